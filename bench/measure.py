#!/usr/bin/env python3
"""measure.py: compare two commands side by side, the way bench/ reports.

usage: measure.py [--runs N] [--callgrind N] [--stdin FILE] [--json OUT]
                  --name NAME --target-wall R [--target-ir R] [--target-rss R]
                  -- CMD_A... -- CMD_B...

A is the command under test, B its peer.  They run alternately (A B A B ...)
N times each; every run is a fresh process.  For each pair the wall-time
ratio A/B is taken, and the median of those ratios is reported with the
median wall times.  Peak RSS is GNU time's %M, median of --rss-runs (7) runs each.  Instructions are counted with valgrind's callgrind
(every process of the command, across exec; not the daemons it talks to), median of --callgrind runs each.  Both commands must
exit 0 and print the same stdout (checked on every run), so a benchmark
cannot pass by doing less work.

Prints one line per metric and exits 1 when a ratio misses its target.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(cmd, stdin_path):
    """Runs cmd; returns (wall seconds, maxrss KiB, stdout bytes).  The
    maxrss includes the forked Python's, so it is not used."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    out = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=stdin, stdout=out,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    if stdin_path:
        stdin.close()
    out.seek(0)
    data = out.read()
    out.close()
    if p.returncode != 0:
        sys.exit("measure: %s exited %d" % (cmd[0], p.returncode))
    return t1 - t0, ru.ru_maxrss, data


def peak_rss(cmd, stdin_path):
    """Peak RSS in KiB of cmd alone, through GNU time (a small C parent,
    so the fork's high-water mark is not ours, as a fork of Python's is)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdin=stdin,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if stdin_path:
        stdin.close()
    return int(r.stderr.strip().splitlines()[-1])


def instructions(cmd, stdin_path):
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    # --trace-children: a command that execs a helper is counted whole
    r = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                        "--callgrind-out-file=/dev/null"] + cmd,
                       stdin=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if stdin_path:
        stdin.close()
    counts = [int(x) for x in re.findall(r"Collected : (\d+)", r.stderr)]
    if not counts:
        sys.exit("measure: no callgrind count for %s" % cmd[0])
    return sum(counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--callgrind", type=int, default=3)
    ap.add_argument("--rss-runs", type=int, default=7,
                    help="runs of each command for peak RSS (default 7; 0: "
                    "no RSS)")
    ap.add_argument("--stdin")
    ap.add_argument("--json")
    ap.add_argument("--name", required=True)
    ap.add_argument("--target-wall", type=float, required=True)
    ap.add_argument("--target-ir", type=float)
    ap.add_argument("--target-rss", type=float)
    ap.add_argument("--same-output", action="store_true",
                    help="require A and B to print the same stdout")
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    rest = a.rest
    if not rest or rest[0] != "--" or "--" not in rest[1:]:
        ap.error("give -- CMD_A... -- CMD_B...")
    i = rest.index("--", 1)
    cmd_a, cmd_b = rest[1:i], rest[i + 1:]

    # one warm-up each (page cache, daemons), not counted
    run_once(cmd_a, a.stdin)
    run_once(cmd_b, a.stdin)
    ratios, wa, wb, ra, rb = [], [], [], [], []
    for _ in range(a.runs):
        ta, _, oa = run_once(cmd_a, a.stdin)
        tb, _, ob = run_once(cmd_b, a.stdin)
        if a.same_output and oa.rstrip(b"\n") != ob.rstrip(b"\n"):
            sys.exit("measure: %s: the two commands printed different "
                     "output" % a.name)
        ratios.append(ta / tb)
        wa.append(ta)
        wb.append(tb)
    for _ in range(a.rss_runs):
        ra.append(peak_rss(cmd_a, a.stdin))
        rb.append(peak_rss(cmd_b, a.stdin))
    res = {
        "name": a.name,
        "wall_a_ms": statistics.median(wa) * 1000,
        "wall_b_ms": statistics.median(wb) * 1000,
        "wall_ratio": statistics.median(ratios),
    }
    if ra:
        res["rss_a_kib"] = statistics.median(ra)
        res["rss_b_kib"] = statistics.median(rb)
        res["rss_ratio"] = res["rss_a_kib"] / res["rss_b_kib"]
    if a.target_ir is not None and a.callgrind > 0:
        ia = statistics.median(instructions(cmd_a, a.stdin)
                               for _ in range(a.callgrind))
        ib = statistics.median(instructions(cmd_b, a.stdin)
                               for _ in range(a.callgrind))
        res.update(ir_a=ia, ir_b=ib, ir_ratio=ia / ib)
    checks = [("wall", res["wall_ratio"], a.target_wall)]
    if a.target_ir is not None and "ir_ratio" in res:
        checks.append(("instructions", res["ir_ratio"], a.target_ir))
    if a.target_rss is not None and "rss_ratio" in res:
        checks.append(("peak RSS", res["rss_ratio"], a.target_rss))
    ok = True
    for what, got, want in checks:
        verdict = "ok" if got <= want else "MISSED"
        ok = ok and got <= want
        print("%-28s %-13s %6.3fx (target <= %.2fx) %s" %
              (a.name, what, got, want, verdict))
    print("%-28s medians: A %.2f ms%s%s, B %.2f ms%s%s" % (
        a.name, res["wall_a_ms"],
        (" / %d KiB" % res["rss_a_kib"]) if ra else "",
        (" / %.2f M instr" % (res["ir_a"] / 1e6)) if "ir_a" in res else "",
        res["wall_b_ms"], (" / %d KiB" % res["rss_b_kib"]) if rb else "",
        (" / %.2f M instr" % (res["ir_b"] / 1e6)) if "ir_b" in res else ""))
    res["ok"] = ok
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(res) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
