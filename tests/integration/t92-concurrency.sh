#!/bin/bash
# t92-concurrency.sh: concurrent readers and rotations of one relay
# (issue 9).  20 concurrent `get` all print the same key; 20 concurrent
# `rotate` of one relay make exactly one reset on the fake (the others see
# the lock and exit 75, or wait for it and find the key fresh), and the
# key stored afterwards is the fake's current one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
ldrt_login "$ADMIN_TOKEN"
ldrt_create prod
ID=$CREATED_ID
N=20
unset LDRT_TEST_WRAPPER

# run_many N ARGS...: N concurrent runs of the tool; outputs in
# $T/c.I.out/.err, statuses in $T/c.I.rc.
run_many() {
	local n=$1 i
	local -a pids=()
	shift
	rm -f "$T"/c.*
	for ((i = 1; i <= n; i++)); do
		timeout 60 "$LDRT" "$@" </dev/null >"$T/c.$i.out" \
		    2>"$T/c.$i.err" &
		pids+=($!)
	done
	for ((i = 1; i <= n; i++)); do
		wait "${pids[i - 1]}"
		echo $? >"$T/c.$i.rc"
	done
}

# rcs: the sorted exit statuses of the last run_many, "rc:count ...".
rcs() {
	cat "$T"/c.*.rc | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}

# ---- 20 concurrent get --------------------------------------------------
KEY=$(ldrt_fake_key "$ID")
run_many "$N" get prod
[ "$(rcs)" = "0:$N " ]
ok $? "$N concurrent get all exit 0 ($(rcs))"
st=0
for ((i = 1; i <= N; i++)); do
	[ "$(cat "$T/c.$i.out")" = "$KEY" ] || st=1
done
ok $st "$N concurrent get all print the same, current key"

if ! "$LDRT" rotate --help >/dev/null 2>&1; then
	t_diag "no rotate command in this binary: rotation not tested"
	t_done
fi

# ---- 20 concurrent rotate -----------------------------------------------
# The reset is held 1 s by the fake, so every other run starts while the
# first holds the lock.
reset_count() {
	fake_count POST "^/api/v2/account/relay-auto-configs/$ID/reset\$"
}
fake_clear_log
fake_fault '{"method":"POST","path":"/reset$","action":"delay","seconds":1}' \
    >/dev/null
run_many "$N" rotate prod --grace 1h
n=$(reset_count)
[ "$n" = 1 ]
ok $? "$N concurrent rotate: exactly one reset on the fake (got $n)"
bad=$(cat "$T"/c.*.rc | grep -cv '^\(0\|75\)$')
[ "$bad" = 0 ]
ok $? "every rotate exits 0 or 75 (lock held): $(rcs)"
[ "$(grep -c '^0$' "$T"/c.*.rc | awk -F: '{s+=$2} END {print s}')" = 1 ]
ok $? "exactly one rotate reports success"
NEW=$(ldrt_fake_key "$ID")
t_run get prod
expect_out_eq "$NEW" "the stored key is the fake's current key"
fake_key_valid "$KEY"
ok $? "the old key is still valid (grace)"
grep -l -i 'lock' "$T"/c.*.err >/dev/null
ok $? "a run that found the lock held says so"
st=0
for f in "$T"/c.*.out "$T"/c.*.err; do
	grep -F -q -- "$NEW" "$f" && st=1
done
ok $st "no rotate printed the new key"

# ---- the same, each waiting for the lock -------------------------------
fake_clear_log
fake_fault '{"method":"POST","path":"/reset$","action":"delay","seconds":1}' \
    >/dev/null
run_many "$N" rotate prod --grace 1h --if-older-than 1h --lock-wait 30
n=$(reset_count)
[ "$n" = 0 ]
ok $? "with --if-older-than 1h a fresh key is not reset (got $n)"
[ "$(rcs)" = "0:$N " ]
ok $? "$N waiting rotations all exit 0 ($(rcs))"

# The key's age is local (the last rotation recorded here): age it by
# 60 s in its state record (written as the tool writes it: 0600, renamed
# into place), then 20 waiting rotations with --if-older-than 8s make one
# reset; the others get the lock after it and find the new key fresh.
python3 - "$XDG_STATE_HOME/ld-relay-token/relays/$ID.json" <<'EOF'
import json, os, sys
p = sys.argv[1]
d = json.load(open(p))
d["created_or_rotated_at_ms"] -= 60000
fd = os.open(p + ".aged", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, json.dumps(d).encode())
os.close(fd)
os.replace(p + ".aged", p)
EOF
ok $? "the stored key's recorded age is moved back 60 s"
fake_clear_log
run_many "$N" rotate prod --grace 1h --if-older-than 8s --lock-wait 30
n=$(reset_count)
[ "$n" = 1 ]
ok $? "$N waiting rotations of a due key: exactly one reset (got $n)"
[ "$(rcs)" = "0:$N " ]
ok $? "all of them exit 0 ($(rcs))"
NEW2=$(ldrt_fake_key "$ID")
t_run get prod
expect_out_eq "$NEW2" "the stored key is the fake's current key"
fake_clear_faults

t_done
