#!/bin/bash
# t40-rotate.sh: "rotate" against the fake API and a private keyring: the
# reset request (expiry = now + grace, never retried), the new key stored
# and delivered (env file, exec), the old key's expiry recorded, grace
# rules, a lost reset response, the policy (--if-older-than, max-age),
# --all with a failing relay, --dry-run, "changed elsewhere", and the
# rotation log.  Crash points, locks and the recovery file: t41.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
SD=$XDG_STATE_HOME/ld-relay-token
ALL_KEYS=$T/all-keys		# every key seen, for the no-key checks

# stored_key NAME: the key in the store (ld-relay-token get).
stored_key() {
	"$LDRT" get "$1" 2>/dev/null
}

# fake_key NAME: the fake's current key of relay NAME.
fake_key_of() {
	fake_state | fake_json_get - \
	    "[c for c in d['configs'] if c['name'] == '$1'][0]['fullKey']"
}

# remember KEY...: keep keys for the final "no key in any log" checks.
remember() {
	printf '%s\n' "$@" >>"$ALL_KEYS"
}

# resets ID: number of POST .../ID/reset requests logged.
resets() {
	fake_count POST "/relay-auto-configs/$1/reset\$"
}

# last_reset_expiry_delta: expiry sent minus the time the fake got the
# request (ms), of the last reset logged; "none" without an expiry.
last_reset_expiry_delta() {
	fake_log | fake__py -c '
import json, sys
r = [e for e in json.load(sys.stdin) if e["path"].endswith("/reset")][-1]
x = r["query"].get("expiry")
print("none" if x is None else int(x) - r["real_time_ms"])'
}

# ss_items ID: "relay-name secret" of every keyring item of relay ID.
ss_items() {
	t_cmd secret-tool search --all relay-id "$1"
	cat "$T/out" "$T/err" | awk '/^\[/ { if (n != "") print n, s; n = "-"; s = "-" }
	    /^secret = / { s = $3 } /^attribute\.relay-name = / { n = $3 }
	    END { if (n != "") print n, s }'
}

# env_key FILE: the AUTO_CONFIG_KEY value in an env file.
env_key() {
	sed -n 's/^AUTO_CONFIG_KEY=//p' "$1" | tr -d "'\""
}

cat >"$T/config" <<EOF
[relay prod]
env-file = $T/prod.env
exec = echo restarted >>$T/exec.log
EOF
ldrt_login
ldrt_create prod
PROD=$CREATED_ID
K0=$(stored_key prod)
remember "$K0"
[ -n "$K0" ] && [ "$K0" = "$(fake_key_of prod)" ]
ok $? "setup: prod created and its key stored"
# create delivers through the section too: env file written, exec run once
[ "$(env_key "$T/prod.env")" = "$K0" ] && [ "$(wc -l <"$T/exec.log")" = 1 ]
ok $? "setup: create wrote the section's env file and ran its exec"
: >"$T/exec.log"

# ---- one rotation, default grace ------------------------------------------
t_run rotate prod
expect_rc 0 "rotate prod exits 0"
K1=$(stored_key prod)
remember "$K1"
[ -n "$K1" ] && [ "$K1" != "$K0" ] && [ "$K1" = "$(fake_key_of prod)" ]
ok $? "the new key is stored and is the fake's current key"
expect_err_match "rotated 'prod': \.\.\.${K0: -4} -> \.\.\.${K1: -4}; old key valid until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" \
    "summary: name, old -> new display key, old key valid until"
expect_no_secret "$K1" "the new key is not printed"
expect_out_empty "nothing on stdout without --format"
[ "$(resets "$PROD")" = 1 ]
ok $? "exactly one reset request"
d=$(last_reset_expiry_delta)
[ "$d" != none ] && [ "$d" -ge 3598000 ] && [ "$d" -le 3602000 ]
ok $? "expiry = now + 1h within 2 s (default grace; got delta $d ms)"
printf '%s' "$K0" | fake_key_valid -
ok $? "the old key is still valid on the fake (grace)"
[ "$(env_key "$T/prod.env")" = "$K1" ]
ok $? "the section's env file holds the new key"
[ "$(wc -l <"$T/exec.log")" = 1 ]
ok $? "the section's exec ran once"
[ ! -e "$SD/journal/$PROD.json" ]
ok $? "no journal is left behind"
fake_json_get "$SD/relays/$PROD.json" \
    "d['display_key'] == '${K1: -4}' and d['old_display_key'] == '${K0: -4}' and d['old_key_expires_at_ms'] > 0 and not d['exec_failed']" |
    grep -qx true
ok $? "the state record has new/old display keys and the old key's expiry"
[ "$(ss_items "$PROD")" = "prod $K1" ]
ok $? "the keyring holds one item for prod, with the new key"

# renamed outside the tool: the new key goes to an item with the new name,
# and the item with the old name is removed
ldrt_create ren1
REN=$CREATED_ID
[ "$(fake_req PATCH "/api/v2/account/relay-auto-configs/$REN" \
    "$ADMIN_TOKEN" '{"patch":[{"op":"replace","path":"/name","value":"ren2"}]}')" = 200 ]
ok $? "setup: ren1 renamed to ren2 on the fake"
t_run rotate "$REN"
expect_rc 0 "rotate of a relay renamed elsewhere exits 0"
RK=$(ldrt_fake_key "$REN")
remember "$RK"
[ "$(ss_items "$REN")" = "ren2 $RK" ]
ok $? "one keyring item, with the new name and the new key (got '$(ss_items "$REN" | cut -c1-12)...')"

# ---- grace and expiry options ---------------------------------------------
t_run rotate prod --grace 15m
expect_rc 0 "rotate --grace 15m"
d=$(last_reset_expiry_delta)
[ "$d" != none ] && [ "$d" -ge 898000 ] && [ "$d" -le 902000 ]
ok $? "expiry = now + 15m within 2 s (got $d ms)"
K2=$(stored_key prod)
remember "$K2"

want=$(($(date +%s) * 1000 + 7200000))
t_run rotate prod --expiry "$want"
expect_rc 0 "rotate --expiry EPOCH_MS"
fake_log | fake_json_get - "[e for e in d if e['path'].endswith('/reset')][-1]['query']['expiry']" >"$T/x"
[ "$(cat "$T/x")" = "$want" ]
ok $? "--expiry epoch ms is sent exactly"
K3=$(stored_key prod)
remember "$K3"
t3=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
t_run rotate prod --expiry "$t3"
expect_rc 0 "rotate --expiry RFC3339"
fake_log | fake_json_get - "[e for e in d if e['path'].endswith('/reset')][-1]['query']['expiry']" >"$T/x"
[ "$(cat "$T/x")" = "$(($(date -u -d "$t3" +%s) * 1000))" ]
ok $? "--expiry RFC 3339 is converted to epoch ms exactly"
K4=$(stored_key prod)
remember "$K4"

n=$(resets "$PROD")
t_run rotate prod --grace 1h --expiry "$want"
expect_rc 64 "--grace with --expiry is a usage error"
t_run rotate prod --grace 7x
expect_rc 64 "a malformed duration is a usage error"
t_run rotate prod --expiry 2001-01-01T00:00:00Z
expect_rc 64 "an expiry in the past is refused"
t_run rotate prod --grace 0
expect_rc 64 "--grace 0 without --yes is refused"
expect_err_match "--yes" "the message asks for --yes"
t_run rotate prod --grace 30s
expect_rc 64 "a grace shorter than the exec timeout (60s) is refused"
expect_err_match "exec timeout" "the message names the exec timeout"
t_run rotate prod --grace 30s --exec-timeout 10s
expect_rc 0 "a grace longer than --exec-timeout is accepted"
K5=$(stored_key prod)
remember "$K5"
[ "$(resets "$PROD")" = $((n + 1)) ]
ok $? "refused rotations sent no reset"

t_run rotate prod --grace 0 --yes
expect_rc 0 "--grace 0 --yes rotates"
[ "$(last_reset_expiry_delta)" = none ]
ok $? "--grace 0 sends no expiry (the old key dies at once)"
expect_err_match "old key stopped working at once" "the summary says so"
printf '%s' "$K5" | fake_key_valid -
[ $? = 1 ]
ok $? "the old key is invalid on the fake"
K6=$(stored_key prod)
remember "$K6"

# ---- 503 on the reset: not retried -----------------------------------------
n=$(resets "$PROD")
fake_fault '{"action":"status","status":503,"method":"POST","path":"/reset$"}' >/dev/null
t_run rotate prod
expect_rc 69 "a 503 on the reset: exit 69"
[ "$(resets "$PROD")" = $((n + 1)) ]
ok $? "the reset was not retried (exactly one more reset request)"
[ "$(stored_key prod)" = "$K6" ] && [ "$K6" = "$(fake_key_of prod)" ]
ok $? "the key is unchanged and still the stored one"
[ ! -e "$SD/journal/$PROD.json" ]
ok $? "a refused reset leaves no journal"
tail -n 1 "$SD/rotations.jsonl" | grep -q '"outcome":"reset-failed"'
ok $? "the rotation log records reset-failed"

# ---- a lost response (applied, then the connection dropped) --------------
n=$(resets "$PROD")
fake_fault '{"action":"apply_then_drop","method":"POST","path":"/reset$"}' >/dev/null
t_run rotate prod
expect_rc 75 "a reset whose response was lost: exit 75"
expect_err_match "rotate --repair prod" "the message says to run rotate --repair"
[ "$(resets "$PROD")" = $((n + 1)) ]
ok $? "the reset was sent once, not retried"
[ -e "$SD/journal/$PROD.json" ] &&
    grep -q 'reset-outcome-unknown' "$SD/journal/$PROD.json"
ok $? "a note (journal reset-outcome-unknown) is left in the state dir"
printf '%s' "$K6" | fake_key_valid -
ok $? "the old (stored) key is still valid on the fake"
LOST=$(fake_key_of prod)
remember "$LOST"
[ "$LOST" != "$K6" ]
ok $? "the fake did apply the reset"
t_run rotate prod --repair
expect_rc 0 "rotate --repair recovers"
K7=$(stored_key prod)
remember "$K7"
[ "$K7" = "$(fake_key_of prod)" ] && [ "$K7" != "$LOST" ]
ok $? "a new reset recovered: the stored key is the live key"
[ "$(env_key "$T/prod.env")" = "$K7" ]
ok $? "the env file holds the recovered key"
printf '%s' "$K6" | fake_key_valid -
ok $? "the key the relays run is still valid"
[ ! -e "$SD/journal/$PROD.json" ]
ok $? "the journal is cleared"
expect_err_match "repaired 'prod': \.\.\.${K6: -4} -> \.\.\.${K7: -4}" \
    "the summary names the original old key"

# ---- exec failure ----------------------------------------------------------
t_run rotate prod --exec 'echo boom >&2; exit 3'
expect_rc 70 "a failing exec after a stored key: exit 70"
expect_err_match "restart before" "the message says until when to restart"
K8=$(stored_key prod)
remember "$K8"
[ "$K8" = "$(fake_key_of prod)" ] && [ "$(env_key "$T/prod.env")" = "$K8" ]
ok $? "the key is stored and the env file written despite the exec failure"
fake_json_get "$SD/relays/$PROD.json" "d['exec_failed']" | grep -qx true
ok $? "the record says the exec failed"
tail -n 1 "$SD/rotations.jsonl" | grep -q '"outcome":"exec-failed"'
ok $? "the rotation log records exec-failed"
: >"$T/exec.log"
t_run rotate prod --repair
expect_rc 0 "rotate --repair runs the exec again"
[ "$(wc -l <"$T/exec.log")" = 1 ] && [ "$(stored_key prod)" = "$K8" ]
ok $? "... without another reset"
fake_json_get "$SD/relays/$PROD.json" "d['exec_failed']" | grep -qx false
ok $? "the record no longer says the exec failed"
t_run rotate prod --repair
expect_rc 0 "rotate --repair with nothing to repair exits 0"
expect_err_match "nothing to repair" "and says so"

# ---- --format prints the new key on stdout --------------------------------
t_run rotate prod --format dotenv --var RELAY_KEY
expect_rc 0 "rotate --format dotenv"
K9=$(stored_key prod)
remember "$K9"
expect_out_eq "RELAY_KEY=$K9" "the new key in the requested format on stdout"

# ---- policy: --if-older-than / max-age --------------------------------------
n=$(resets "$PROD")
t_run rotate prod --if-older-than 1h
expect_rc 0 "a key younger than --if-older-than: exit 0"
expect_err_match "nothing due" "one-line 'nothing due' summary"
[ "$(wc -l <"$T/err")" = 1 ]
ok $? "exactly one line"
t_run -q rotate prod --if-older-than 1h
expect_rc 0 "-q: still exit 0"
expect_err_empty "-q: silent"
[ "$(resets "$PROD")" = "$n" ]
ok $? "nothing due: no reset"
t_run rotate prod --if-older-than 0s
expect_rc 0 "--if-older-than 0s: due"
[ "$(resets "$PROD")" = $((n + 1)) ]
ok $? "a due key is reset"
K10=$(stored_key prod)
remember "$K10"

# ---- changed elsewhere -------------------------------------------------------
code=$(fake_req POST "/api/v2/account/relay-auto-configs/$PROD/reset" "$ADMIN_TOKEN")
[ "$code" = 200 ]
ok $? "setup: the key is reset outside the tool"
OUTSIDE=$(fake_key_of prod)
remember "$OUTSIDE"
n=$(resets "$PROD")
t_run rotate prod
expect_rc 65 "a key reset elsewhere: exit 65"
expect_err_match "changed elsewhere" "the message says 'changed elsewhere'"
[ "$(resets "$PROD")" = "$n" ]
ok $? "no reset without --repair"
t_run rotate prod --dry-run
expect_rc 0 "dry-run reports it"
expect_out_match "changed elsewhere" "dry-run says 'changed elsewhere'"
t_run rotate prod --repair
expect_rc 0 "--repair rotates a key changed elsewhere"
K11=$(stored_key prod)
remember "$K11"
[ "$K11" = "$(fake_key_of prod)" ] && [ "$(env_key "$T/prod.env")" = "$K11" ]
ok $? "the stored key and the env file are the live key again"

# ---- --all across several relays, one failing -------------------------------
cat >>"$T/config" <<EOF
[relay fa]
profile = fleet
env-file = $T/fa.env
[relay fb]
profile = fleet
env-file = $T/fb.env
max-age = 30d
[relay fc]
profile = fleet
env-file = $T/fc.env
max-age = 0s
EOF
t_run_in "$ADMIN_TOKEN" -p fleet login --token-stdin
expect_rc 0 "setup: login in profile fleet"
for r in fa fb fc; do
	t_run -p fleet create "$r" --policy "$T/policy.json"
	[ "$RC" = 0 ] || t_bail "create $r failed"
	eval "ID_$r=\$(sed -n 's/^id: *//p' \"\$T/out\")"
done
remember "$(fake_key_of fa)" "$(fake_key_of fb)" "$(fake_key_of fc)"
n=$(fake_count POST '/reset$')
t_run -p fleet rotate --all
expect_rc 0 "rotate --all: max-age of each section (mixed due / not due)"
[ "$(resets "$ID_fa")" = 1 ] && [ "$(resets "$ID_fb")" = 0 ] &&
    [ "$(resets "$ID_fc")" = 1 ]
ok $? "fa (no max-age) and fc (max-age 0s) rotated, fb (30d) not"
[ "$(fake_count POST '/reset$')" = $((n + 2)) ]
ok $? "no other relay was touched"
remember "$(fake_key_of fa)" "$(fake_key_of fc)"
[ "$(env_key "$T/fc.env")" = "$(fake_key_of fc)" ]
ok $? "each relay's section env file is written"

t_run -p fleet rotate --all --if-older-than 1h
expect_rc 0 "--all with nothing due: exit 0"
expect_err_match "nothing due \(3 relay configs checked\)" "one summary line"

fake_fault "{\"action\":\"status\",\"status\":403,\"method\":\"POST\",\"path\":\"$ID_fb/reset\$\"}" >/dev/null
t_run -p fleet rotate --all --if-older-than 0s
expect_rc 77 "--all with a permanently failing relay: its code (77)"
expect_err_match "'fb'" "the failing relay is named"
expect_err_match "1 of 3 relay configs failed" "the total is reported"
[ "$(resets "$ID_fa")" = 2 ] && [ "$(resets "$ID_fc")" = 2 ]
ok $? "the other relays were rotated past the failure"
remember "$(fake_key_of fa)" "$(fake_key_of fc)"

fake_fault "{\"action\":\"status\",\"status\":403,\"method\":\"POST\",\"path\":\"$ID_fa/reset\$\"}" >/dev/null
fake_fault "{\"action\":\"status\",\"status\":409,\"method\":\"POST\",\"path\":\"$ID_fc/reset\$\"}" >/dev/null
t_run -p fleet rotate --all --if-older-than 0s
expect_rc 75 "--all with a temporary failure among others: 75"
remember "$(fake_key_of fb)"

# --all-stored adds stored keys that have no relay section.
t_run -p fleet create orphan --policy "$T/policy.json"
[ "$RC" = 0 ] || t_bail "create orphan failed"
ID_orphan=$(sed -n 's/^id: *//p' "$T/out")
remember "$(fake_key_of orphan)"
sed -i '/^\[relay orphan\]/,$d' "$T/config"
grep -q orphan "$T/config"
[ $? = 1 ]
ok $? "setup: 'orphan' has a stored key but no relay section"
t_run -p fleet rotate --all --if-older-than 0s
[ "$(resets "$ID_orphan")" = 0 ]
ok $? "--all leaves a stored key without a section alone"
remember "$(fake_key_of fa)" "$(fake_key_of fb)" "$(fake_key_of fc)"
t_run -p fleet rotate --all-stored --if-older-than 0s
expect_rc 0 "--all-stored"
[ "$(resets "$ID_orphan")" = 1 ] && [ "$(resets "$ID_fb")" -ge 2 ]
ok $? "--all-stored rotates it along with the sections"
remember "$(fake_key_of fa)" "$(fake_key_of fb)" "$(fake_key_of fc)" "$(fake_key_of orphan)"
[ "$("$LDRT" -p fleet get orphan 2>/dev/null)" = "$(fake_key_of orphan)" ]
ok $? "its new key is stored"

# ---- --dry-run changes nothing ------------------------------------------------
fake_clear_log
(cd "$SD" && find . -type f -exec sha256sum {} + | sort) >"$T/state.before"
fake_state | fake_json_get - "[c['fullKey'] for c in d['configs']]" >"$T/fake.before"
t_run -p fleet rotate --all --dry-run
expect_rc 0 "--dry-run --all exits 0"
expect_out_match "^would rotate 'fa'" "it prints what would be done per relay"
expect_out_match "'fb' is not due" "with the policy applied"
expect_err_no_match '\[1/3\]' "no progress lines when stderr is not a terminal"
t_cmd script -qec "$(printf '%q ' "$LDRT" -p fleet rotate --all --dry-run)" /dev/null
expect_rc 0 "--dry-run --all on a terminal"
expect_out_match '\[1/3\] fa \.\.\.' "on a terminal, progress is shown ([1/3] fa ...)"
expect_out_match '\[3/3\] fc \.\.\.' "for every relay"
t_run rotate prod --dry-run --if-older-than 0s
expect_rc 0 "--dry-run of one relay"
expect_out_match "^would rotate 'prod' \(key \.\.\.${K11: -4}" "names the display key"
[ "$(fake_count '*' '.')" -gt 0 ] && [ "$(fake_count GET '.')" = "$(fake_count '*' '.')" ]
ok $? "the request log has only GETs"
(cd "$SD" && find . -type f -exec sha256sum {} + | sort) >"$T/state.after"
fake_state | fake_json_get - "[c['fullKey'] for c in d['configs']]" >"$T/fake.after"
cmp -s "$T/state.before" "$T/state.after" && cmp -s "$T/fake.before" "$T/fake.after"
ok $? "no state file and no key changed"

# ---- usage ---------------------------------------------------------------------
t_run rotate
expect_rc 64 "rotate without a relay is a usage error"
t_run rotate --all prod
expect_rc 64 "--all with names is a usage error"
t_run rotate prod --force
expect_rc 64 "--force without --repair is a usage error"
t_run rotate nosuchrelay
expect_rc 67 "an unknown relay: 67"

# ---- the rotation log ------------------------------------------------------------
fake__py - "$SD/rotations.jsonl" <<'EOF'
import json, sys
need = {"time", "time_ms", "relay_id", "relay_name", "old_display_key",
        "new_display_key", "old_key_expires_at", "old_key_expires_at_ms",
        "outcome", "message"}
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert need <= set(o), o
    for k in ("old_display_key", "new_display_key"):
        assert o[k] is None or len(o[k]) <= 8, o
    n += 1
assert n >= 10, n
EOF
ok $? "every rotation log line is JSON with the documented fields"
bad=0
while IFS= read -r k; do
	[ -n "$k" ] || continue
	for f in "$SD/rotations.jsonl" "$SD"/relays/*.json; do
		grep -qF -- "$k" "$f" && bad=1
	done
done <"$ALL_KEYS"
grep -q 'rel-' "$SD/rotations.jsonl" && bad=1
ok $bad "no key appears in the rotation log or the records ($(sort -u "$ALL_KEYS" | wc -l) keys checked)"
[ "$(stat -c %a "$SD/rotations.jsonl")" = 600 ]
ok $? "the rotation log is 0600"

t_done
