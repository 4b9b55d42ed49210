#!/bin/bash
# t41-rotate-crash.sh: rotation survives crashes, lost responses, a failing
# store and concurrent runs.
#
# Crash points come from the test-only hook LDRT_TEST_CRASH_AT (SIGKILL at
# after-journal, after-reset-before-store, after-store-before-outputs,
# after-outputs-before-exec; built unless --disable-test-hooks).  After
# each crash, "rotate --repair" must leave the store, the env file and the
# fake agreeing on one live key, with the key the relays ran still valid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
SD=$XDG_STATE_HOME/ld-relay-token

stored_key() {
	"$LDRT" get "$1" 2>/dev/null
}

fake_key_of() {
	fake_state | fake_json_get - \
	    "[c for c in d['configs'] if c['name'] == '$1'][0]['fullKey']"
}

resets() {
	fake_count POST "/relay-auto-configs/$1/reset\$"
}

env_key() {
	sed -n 's/^AUTO_CONFIG_KEY=//p' "$1" | tr -d "'\""
}

execs() {
	if [ -e "$T/exec.log" ]; then wc -l <"$T/exec.log"; else echo 0; fi
}

# consistent NAME ENVFILE OLDKEY DESC: the store, the env file and the fake
# agree on the live key, no journal is left, and OLDKEY is still valid.
consistent() {
	local k live
	k=$(stored_key "$1")
	live=$(fake_key_of "$1")
	[ -n "$k" ] && [ "$k" = "$live" ] && [ "$(env_key "$2")" = "$k" ] &&
	    [ ! -e "$SD/journal/$ID.json" ] &&
	    printf '%s' "$3" | fake_key_valid -
	ok $? "$4"
}

cat >"$T/config" <<EOF
[relay cr]
env-file = $T/cr.env
exec = echo ran >>$T/exec.log
EOF
ldrt_login
ldrt_create cr
ID=$CREATED_ID
PLAIN_ID=$(fake_seed plain | fake_json_get - "d['_id']")
t_run rotate cr
expect_rc 0 "setup: a first rotation writes the env file"

# ---- crash points, then rotate --repair -------------------------------------
for point in after-journal after-reset-before-store \
    after-store-before-outputs after-outputs-before-exec; do
	K=$(stored_key cr)
	n=$(resets "$ID")
	x=$(execs)
	LDRT_TEST_CRASH_AT=$point t_run rotate cr
	expect_rc 137 "$point: the process is killed (SIGKILL)"
	[ -e "$SD/journal/$ID.json" ]
	ok $? "$point: the journal is left behind"
	if [ "$point" = after-journal ]; then
		# list and status read the journal directory once for all
		t_run list
		expect_out_match "^$ID +cr .*rotation interrupted \(.*\): run 'ld-relay-token rotate --repair $ID'\$" \
		    "list notes the unfinished rotation"
		expect_out_match "^$PLAIN_ID +plain .* no +-\$" \
		    "list: a config with no local state has no note"
		t_run status
		expect_out_match "^  cr \($ID\): rotation interrupted" \
		    "status notes the unfinished rotation"
		t_run list --json
		python3 - "$T/out" "$ID" "$PLAIN_ID" <<'PY'
import json, sys
d = {c["id"]: c for c in json.load(open(sys.argv[1]))}
assert d[sys.argv[2]]["note"].startswith("rotation interrupted"), d
assert d[sys.argv[3]]["note"] is None, d
PY
		ok $? "list --json: the note of the one, none for the other"
	fi
	t_run rotate cr --repair
	expect_rc 0 "$point: rotate --repair exits 0"
	consistent cr "$T/cr.env" "$K" \
	    "$point: store, env file and API agree; the old key is still valid"
	case $point in
	after-journal)
		want_resets=$n want_execs=$x ;;
	after-reset-before-store)
		want_resets=$((n + 2)) want_execs=$((x + 1)) ;;
	*)
		want_resets=$((n + 1)) want_execs=$((x + 1)) ;;
	esac
	[ "$(resets "$ID")" = "$want_resets" ]
	ok $? "$point: $((want_resets - n)) reset(s) in all (got $(($(resets "$ID") - n)))"
	[ "$(execs)" = "$want_execs" ]
	ok $? "$point: the exec ran $((want_execs - x)) time(s) after the crash"
	if [ "$point" != after-journal ]; then
		fake_json_get "$SD/relays/$ID.json" \
		    "d['old_display_key'] == '${K: -4}' and d['old_key_expires_at_ms'] > 0" |
		    grep -qx true
		ok $? "$point: the record names the key the relays ran and its expiry"
	fi
done

# A crash, then an ordinary run: the leftover journal is repaired first.
K=$(stored_key cr)
n=$(resets "$ID")
LDRT_TEST_CRASH_AT=after-reset-before-store t_run rotate cr
expect_rc 137 "crash after the reset, before the store"
t_run rotate cr
expect_rc 0 "the next ordinary run exits 0"
expect_err_match "resetting again" "it says it resets again"
consistent cr "$T/cr.env" "$K" "the next run recovered the rotation"
[ "$(resets "$ID")" = $((n + 2)) ]
ok $? "one recovering reset, no extra rotation"

K=$(stored_key cr)
n=$(resets "$ID")
LDRT_TEST_CRASH_AT=after-journal t_run rotate cr
expect_rc 137 "crash before the reset"
t_run rotate cr
expect_rc 0 "the next ordinary run clears the stale journal and rotates"
[ "$(resets "$ID")" = $((n + 1)) ]
ok $? "exactly one reset"
consistent cr "$T/cr.env" "$K" "the rotation completed"

# ---- lost responses ------------------------------------------------------------
K=$(stored_key cr)
n=$(resets "$ID")
fake_fault '{"action":"drop","method":"POST","path":"/reset$"}' >/dev/null
t_run rotate cr
expect_rc 75 "connection dropped before the reset was applied: 75"
t_run rotate cr --repair
expect_rc 0 "--repair"
expect_err_match "cleared the journal" "nothing was lost: the journal is cleared"
[ "$(stored_key cr)" = "$K" ] && [ "$(fake_key_of cr)" = "$K" ] &&
    [ ! -e "$SD/journal/$ID.json" ] && [ "$(resets "$ID")" = $((n + 1)) ]
ok $? "no reset by the repair; the key is unchanged"

K=$(stored_key cr)
fake_fault '{"action":"apply_then_drop","method":"POST","path":"/reset$"}' >/dev/null
t_run rotate cr
expect_rc 75 "apply-then-drop: 75"
t_run rotate cr --repair
expect_rc 0 "apply-then-drop: --repair recovers"
consistent cr "$T/cr.env" "$K" "apply-then-drop: a new reset recovered while the old key is valid"

# The same with a grace of 0: the old key is gone, so is the new one.
fake_fault '{"action":"apply_then_drop","method":"POST","path":"/reset$"}' >/dev/null
t_run rotate cr --grace 0 --yes
expect_rc 75 "apply-then-drop with grace 0: 75"
n=$(resets "$ID")
t_run rotate cr --repair
expect_rc 65 "key lost and old key expired: --repair alone refuses (65)"
expect_err_match "repair --force cr" "and asks for --repair --force"
t_run rotate cr
expect_rc 65 "an ordinary run refuses too"
[ "$(resets "$ID")" = "$n" ]
ok $? "no reset without --force"
tail -n 1 "$SD/rotations.jsonl" | grep -q '"outcome":"key-lost"'
ok $? "the rotation log records key-lost"
t_run rotate cr --repair --force
expect_rc 0 "--repair --force resets without grace"
k=$(stored_key cr)
[ "$k" = "$(fake_key_of cr)" ] && [ "$(env_key "$T/cr.env")" = "$k" ] &&
    [ ! -e "$SD/journal/$ID.json" ]
ok $? "the new key is stored and written"

# ---- the store fails: recovery file ---------------------------------------------
mkdir -p "$T/creds"
printf '%s' "$ADMIN_TOKEN" >"$T/creds/ld-api-token"
chmod 600 "$T/creds/ld-api-token"
K=$(stored_key cr)
sandbox_lock || t_bail "cannot lock the sandbox keyring"
CREDENTIALS_DIRECTORY=$T/creds t_run rotate cr
[ "$RC" != 0 ]
ok $? "store failure: non-zero exit (got $RC)"
expect_rc 77 "a locked keyring: 77"
NEW=$(fake_key_of cr)
rec=$(ls "$SD"/recovery/"$ID"-*.key 2>/dev/null | head -n 1)
[ -n "$rec" ] && [ "$(stat -c %a "$rec")" = 600 ] && [ "$(head -n 1 "$rec")" = "$NEW" ]
ok $? "the new key is in a 0600 recovery file in the state dir"
expect_err_match "recovery|saved to '$SD/recovery/" "the message says where"
expect_no_secret "$NEW" "the new key is not printed" "$SD/rotations.jsonl"
grep -q '"outcome":"store-failed"' "$SD/rotations.jsonl"
ok $? "the rotation log records store-failed"
[ -e "$SD/journal/$ID.json" ]
ok $? "the journal is kept"
sandbox_unlock || t_bail "cannot unlock the sandbox keyring"
[ "$(stored_key cr)" = "$K" ]
ok $? "the store still holds the old key"
t_run_file "$rec" import cr --key-stdin
expect_rc 0 "the recovery file imports"
x=$(execs)
t_run rotate cr --repair
expect_rc 0 "--repair finishes the rotation after the import"
consistent cr "$T/cr.env" "$K" "store, env file and API agree after the import"
[ "$(execs)" = $((x + 1)) ]
ok $? "the exec ran"

# ---- locks -------------------------------------------------------------------------
n=$(resets "$ID")
x=$(execs)
fake_fault '{"action":"delay","seconds":1,"method":"POST","path":"/reset$"}' >/dev/null
pids=()
for i in 1 2 3 4 5 6 7 8 9 10; do
	(
		timeout 60 "$LDRT" rotate cr >"$T/c$i.out" 2>"$T/c$i.err"
		echo $? >"$T/c$i.rc"
	) &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: the keyring and the fake are children
n0=0 n75=0 other=
for i in 1 2 3 4 5 6 7 8 9 10; do
	case $(cat "$T/c$i.rc") in
	0) n0=$((n0 + 1)) ;;
	75) n75=$((n75 + 1)) ;;
	*) other="$other $i:$(cat "$T/c$i.rc")" ;;
	esac
done
[ -z "$other" ] && [ "$n0" -ge 1 ]
ok $? "10 concurrent rotations: each exits 0 or 75 ($n0 x 0, $n75 x 75$other)"
[ "$(resets "$ID")" = $((n + 1)) ]
ok $? "exactly one reset on the fake (got $(($(resets "$ID") - n)))"
[ "$(execs)" = $((x + 1)) ]
ok $? "the exec ran once"
grep -l 'another rotation' "$T"/c*.err >/dev/null || [ "$n75" = 0 ]
ok $? "the runs that lost the race say another rotation is running"
k=$(stored_key cr)
[ "$k" = "$(fake_key_of cr)" ] && [ "$(env_key "$T/cr.env")" = "$k" ]
ok $? "the stored key is the live key"

# A run that waits for the lock does not rotate a second time.  The first
# run holds the lock while the fake delays its reset; a slow wrapper
# (valgrind) needs a longer delay to start the other runs meanwhile.
delay=1
[ -z "${LDRT_TEST_WRAPPER-}" ] || delay=20
n=$(resets "$ID")
fake_fault "{\"action\":\"delay\",\"seconds\":$delay,\"method\":\"POST\",\"path\":\"/reset\$\"}" >/dev/null
(timeout 60 "$LDRT" rotate cr >"$T/a.out" 2>"$T/a.err"; echo $? >"$T/a.rc") &
apid=$!
i=0
while [ ! -e "$SD/journal/$ID.json" ] && [ "$i" -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
t_run rotate cr --lock-wait 0
expect_rc 75 "--lock-wait 0 while another rotation runs: 75"
expect_err_match "another rotation" "the message says another rotation runs"
t_run rotate cr --lock-wait 60
expect_rc 0 "--lock-wait 60 waits for the other run"
expect_err_match "just rotated by another run" "and finds the relay already rotated"
wait "$apid"
[ "$(cat "$T/a.rc")" = 0 ] && [ "$(resets "$ID")" = $((n + 1)) ]
ok $? "one reset in all"

t_done
