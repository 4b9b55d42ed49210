#!/bin/bash
# kill9.sh: crash trials of the rotation (issue 9).
#
# usage: tests/stress/kill9.sh [N]     (default 30; the documented run: 200)
#
# Each trial starts `rotate` of one relay (with an env file and an
# after-change command) and kills it with SIGKILL at a random moment: a
# random delay between 0 and 1.5 times the duration of an undisturbed
# rotation, measured first, so kills land before, during and after the
# reset.  Every third trial the fake holds the reset's answer for 0.3 s
# after applying it (the window where only the journal knows a key may be
# lost).  Then `rotate --repair` runs, and after every trial:
#   - repair exits 0 and no journal is left;
#   - a key is stored, it is the fake's current key (no key was lost) and
#     it is valid on the fake;
#   - the key the relay ran before the trial (the env file's) is still
#     valid (grace), so no relay was cut off;
#   - the env file is complete and parseable: one AUTO_CONFIG_KEY line
#     whose value is the stored key, and every other line kept;
#   - no secret on the outputs of the killed or the repairing run.
# Speaks TAP via tests/integration/lib.sh (four checks per trial, two at
# the end: temp files a kill left next to the env file are 0600, and the
# next successful rotation sweeps them all away); the last lines are a
# summary (trials, where the kills landed).  Environment
# as for the integration tests (LDRT, top_builddir, ...); KILL9_SEED fixes
# the random sequence (printed at the start).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/../integration/lib-ldrt.sh"
N=${1:-30}
case $N in
'' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 64 ;;
esac
ldrt_setup unlocked
unset LDRT_TEST_WRAPPER
export -n ADMIN_TOKEN READER_TOKEN NONE_TOKEN
SD=$XDG_STATE_HOME/ld-relay-token
ENVF=$T/relay.env

cat >"$T/config" <<EOF
[relay k9]
env-file = $ENVF
exec = echo ran >>$T/exec.log
grace = 1h
EOF
printf '# relay proxy settings\nLD_LOG_LEVEL=info\nAUTO_CONFIG_KEY=placeholder\nPORT=8030\n' \
    >"$ENVF"
ldrt_login
ldrt_create k9
ID=$CREATED_ID
"$LDRT" rotate k9 </dev/null >/dev/null 2>"$T/err" ||
    { t_diag_file "$T/err"; t_bail "the first rotation fails"; }

now_ms() {
	date +%s%3N
}
# one undisturbed rotation, timed (the median of three)
d=()
for i in 1 2 3; do
	t0=$(now_ms)
	"$LDRT" rotate k9 </dev/null >/dev/null 2>&1 || t_bail "rotation $i failed"
	d+=($(($(now_ms) - t0)))
done
DUR=$(printf '%s\n' "${d[@]}" | sort -n | sed -n 2p)
SEED=${KILL9_SEED:-$$}
RANDOM=$SEED
t_diag "$N trials; an undisturbed rotation takes $DUR ms; seed $SEED"

env_val() {
	sed -n 's/^AUTO_CONFIG_KEY=//p' "$ENVF" | tr -d "'\""
}

killed=0
finished=0
journals=0
for ((trial = 1; trial <= N; trial++)); do
	old=$(env_val)
	fake_clear_faults
	if [ $((trial % 3)) = 0 ]; then
		fake_fault '{"method":"POST","path":"/reset$","action":"delay","seconds":0.3,"when":"after"}' \
		    >/dev/null
		span=$((DUR + 300))
	else
		span=$DUR
	fi
	delay=$((RANDOM * 32768 + RANDOM))
	delay=$((delay % (span * 3 / 2 + 1)))
	"$LDRT" rotate k9 </dev/null >"$T/kill.out" 2>"$T/kill.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	krc=$?
	if [ "$krc" = 137 ]; then
		killed=$((killed + 1))
	else
		finished=$((finished + 1))
	fi
	fake_clear_faults
	[ -e "$SD/journal/$ID.json" ] && journals=$((journals + 1))
	"$LDRT" rotate k9 --repair </dev/null >"$T/rep.out" 2>"$T/rep.err"
	rrc=$?
	what="trial $trial (kill at $delay ms, rc $krc)"
	[ "$rrc" = 0 ] && [ ! -e "$SD/journal/$ID.json" ]
	ok $? "$what: rotate --repair exits 0 and leaves no journal" || {
		t_diag "repair rc $rrc"
		t_diag_file "$T/rep.err" repair
		t_diag_file "$T/kill.err" killed
	}
	k=$("$LDRT" get k9 2>/dev/null)
	live=$(ldrt_fake_key "$ID")
	[ -n "$k" ] && [ "$k" = "$live" ] && fake_key_valid "$k"
	ok $? "$what: the stored key is the fake's current, valid key"
	st=0
	[ "$(grep -c '^AUTO_CONFIG_KEY=' "$ENVF")" = 1 ] &&
	    [ "$(env_val)" = "$k" ] &&
	    grep -qx '# relay proxy settings' "$ENVF" &&
	    grep -qx 'LD_LOG_LEVEL=info' "$ENVF" &&
	    grep -qx 'PORT=8030' "$ENVF" &&
	    [ "$(tail -c 1 "$ENVF" | od -An -c | tr -d ' ')" = '\n' ] || st=1
	ok $st "$what: the env file is complete and holds the stored key" ||
	    t_diag "$(sed 's/rel-[0-9a-f-]*/rel-<key>/' "$ENVF")"
	st=0
	fake_key_valid "$old" || st=1
	for f in "$T/kill.out" "$T/kill.err" "$T/rep.out" "$T/rep.err"; do
		grep -F -q -- "$k" "$f" && st=1
		grep -F -q -- "$old" "$f" && st=1
		grep -F -q -- "$ADMIN_TOKEN" "$f" && st=1
	done
	ok $st "$what: the relay's previous key is still valid; no secret printed"
done
# A kill inside atomic_write() leaves its temp file (.relay.env.ldrt-XXXXXX,
# mode 0600, holding a key) until the next write of the env file sweeps
# it (no writer holds its flock any more).  The repair runs in the loop
# need not write the env file: one more rotation does.  A planted
# leftover makes sure the sweep is seen even when no kill left one.
left=$(find "$T" -maxdepth 1 -name '.relay.env.*' | wc -l)
bad=$(find "$T" -maxdepth 1 -name '.relay.env.*' -perm /077 | wc -l)
[ "$bad" = 0 ]
ok $? "no temp file left by a kill is readable by group or others"
# and one planted, in case no kill landed inside atomic_write()
(umask 077 && echo 'AUTO_CONFIG_KEY=planted' >"$T/.relay.env.ldrt-k9dead")
"$LDRT" rotate k9 </dev/null >/dev/null 2>"$T/err" ||
    { t_diag_file "$T/err"; t_bail "the rotation after the trials fails"; }
after=$(find "$T" -maxdepth 1 -name '.relay.env.ldrt-??????' | wc -l)
[ "$after" = 0 ]
ok $? "the next successful rotation leaves no temp file next to the env file" ||
    t_diag "$(ls -la "$T")"
t_diag "$killed runs killed, $finished finished before the kill, $journals left a journal for --repair; temp files left next to the env file: $left (mode 0600), $after after the next rotation"
t_done
