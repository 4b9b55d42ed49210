#!/bin/bash
# bench/list.sh: `list` with 5 000 configs.  Target (issue 10): parse +
# print <= 50 ms of CPU beyond the transfer.
#
# The transfer alone is curl fetching the same list (same URL, same TLS
# setup, same headers, token from a header file) into /dev/null.  For each
# of N alternating runs the CPU time (user + sys, from wait4's rusage) of
# both is taken; the figure is the median of the per-pair differences
# tool - curl.  It is charged with everything the tool does besides the
# transfer: start-up (the dynamic loader, GLib, libsecret), the keyring
# search that tells which configs have a stored key, the state files read
# per config, the JSON parse and the table.  The wall times are reported
# too.  BENCH_LIST_N changes the 5 000, BENCH_LIST_RUNS the 15 runs.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
n=${BENCH_LIST_N:-5000}
runs=${BENCH_LIST_RUNS:-15}
bench_setup
fake_ctl POST /_fake/configs "{\"bulk\":$n,\"prefix\":\"cfg-\"}" \
    >/dev/null || exit 1
(umask 077 && printf 'Authorization: %s\nLD-API-Version: 20240415\n' \
    "$ADMIN_TOKEN" >"$BENCH_DIR/headers") || exit 1
url=$FAKE_URL/api/v2/account/relay-auto-configs
lines=$("$LDRT" list | wc -l) || exit 1
[ "$lines" -gt "$n" ] || { echo "list printed $lines lines" >&2; exit 1; }

python3 - "$n" "$runs" "${BENCH_JSON:-}" -- "$LDRT" list \
    -- curl -q -sS -f --noproxy '*' --cacert "$FAKE_CA" \
    -H @"$BENCH_DIR/headers" -o /dev/null "$url" <<'EOF'
import json, os, statistics, subprocess, sys, time

n, runs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rest = sys.argv[5:]
i = rest.index("--")
tool, peer = rest[:i], rest[i + 1:]
TARGET_MS = 50.0


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("list.sh: %s failed: %s" % (cmd[0], err.decode()[:300]))
    return (ru.ru_utime + ru.ru_stime) * 1000, wall * 1000


run(tool)
run(peer)
ct, cp, wt, wp, diff = [], [], [], [], []
for _ in range(runs):
    a, wa = run(tool)
    b, wb = run(peer)
    ct.append(a); cp.append(b); wt.append(wa); wp.append(wb)
    diff.append(a - b)
name = "list (%d configs)" % n
d = statistics.median(diff)
ok = d <= TARGET_MS
print("%-28s %-13s %6.1f ms (target <= %.0f ms) %s" %
      (name, "CPU - transfer", d, TARGET_MS, "ok" if ok else "MISSED"))
print("%-28s medians: A %.1f ms CPU / %.1f ms wall, B (curl) %.1f ms CPU"
      " / %.1f ms wall" % (name, statistics.median(ct),
                           statistics.median(wt), statistics.median(cp),
                           statistics.median(wp)))
if out:
    with open(out, "a") as f:
        f.write(json.dumps({
            "name": name, "cpu_extra_ms": d, "target_ms": TARGET_MS,
            "cpu_a_ms": statistics.median(ct),
            "cpu_b_ms": statistics.median(cp),
            "wall_a_ms": statistics.median(wt),
            "wall_b_ms": statistics.median(wp), "ok": ok}) + "\n")
sys.exit(0 if ok else 1)
EOF
