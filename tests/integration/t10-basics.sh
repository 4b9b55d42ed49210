#!/bin/bash
# t10-basics.sh: the walking skeleton end to end: login, status, create,
# list, show, get, logout against the fake API and a private keyring.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked

# ---- the command line itself ---------------------------------------------
t_run --version
expect_rc 0 "--version exits 0"
expect_out_match '^ld-relay-token [0-9]+\.[0-9]+' "--version prints the version"
t_run --help
expect_rc 0 "--help exits 0"
for c in login logout status create list show get; do
	expect_out_match "^  $c " "--help lists '$c'"
done
t_run frobnicate
expect_rc 64 "an unknown command is a usage error (64)"
expect_err_match "unknown command 'frobnicate'" "the error names the command"
t_run list --frobnicate
expect_rc 64 "an unknown option is a usage error (64)"
t_run get
expect_rc 64 "get without a name is a usage error"
t_run get prod --format yaml
expect_rc 64 "an unknown format is a usage error"
t_run --api-url http://app.launchdarkly.com list
expect_rc 78 "plain http:// to a non-loopback host is a configuration error (78)"
t_run list
expect_rc 77 "list before login: not logged in (77)"
expect_err_match "not logged in" "the message says to log in"

# ---- login ----------------------------------------------------------------
BAD=$(ldrt_rand_token)
t_run_in "$BAD" login --token-stdin
expect_rc 77 "login with a token the API rejects: 77"
expect_err_match "Invalid access token" "the server's message is shown"
expect_no_secret "$BAD" "the rejected token is not echoed"
t_run status
expect_rc 77 "after a failed login no token is stored"
expect_out_match '^token: +absent' "status says the token is absent"

t_run_in "$NONE_TOKEN" login
expect_rc 77 "login with a token without relay permissions: 77"
expect_err_match "relay-proxy permissions" "the message names the missing permission"

n_before=$(fake_count '*' '.')
t_run_in "$ADMIN_TOKEN" login
expect_rc 0 "login with piped stdin stores the token"
expect_no_secret "$ADMIN_TOKEN" "login does not print the token"
n_after=$(fake_count GET '^/api/v2/account/relay-auto-configs$')
[ "$((n_after))" -ge 1 ]
ok $? "login checked the token with GET relay-auto-configs"
t_cmd secret-tool search --all kind api-token
expect_rc 0 "the token is in the keyring under the project's schema"
cat "$T/out" "$T/err" | grep -q 'attribute.profile = default'
ok $? "the keyring item carries the profile attribute"

# ---- status ---------------------------------------------------------------
FP=$(printf %s "$ADMIN_TOKEN" | sha256sum | cut -c1-12)
t_run status
expect_rc 0 "status exits 0 when the API accepts the token"
expect_out_match "^fingerprint: +$FP\$" "status shows the SHA-256 fingerprint"
expect_out_match '^api: +ok' "status says the API is reachable"
expect_out_match '^store: +secret-service' "status names the store backend"
expect_no_secret "$ADMIN_TOKEN" "status does not print the token"
t_run status --json
expect_rc 0 "status --json exits 0"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["token"]=="present" and d["fingerprint"]==sys.argv[2] and d["api"]=="ok"' "$T/out" "$FP"
ok $? "status --json is valid JSON with token, fingerprint and api"

# ---- create ---------------------------------------------------------------
t_run create prod --policy "$T/missing.json"
expect_rc 66 "create with a missing policy file: 66"
printf '[{"effect":"allow",' >"$T/bad.json"
t_run create prod --policy "$T/bad.json"
expect_rc 65 "create with invalid policy JSON: 65"
expect_err_match "policy" "the error names the policy"
printf '[{"effect":"maybe"}]' >"$T/bad2.json"
t_run create prod --policy "$T/bad2.json"
expect_rc 65 "create with a policy whose effect is not allow/deny: 65"
n=$(fake_count POST '^/api/v2/account/relay-auto-configs$')
[ "$n" = 0 ]
ok $? "no create request reached the API for bad policies"

t_run_in "$READER_TOKEN" -p reader login --token-stdin
expect_rc 0 "a reader token can log in (it may list)"
t_run -p reader create prod --policy "$T/policy.json"
expect_rc 77 "a reader token cannot create: 77"

t_run create prod --policy "$T/policy.json"
expect_rc 0 "create prod succeeds"
ID=$(sed -n 's/^id: *//p' "$T/out")
[ ${#ID} = 24 ]
ok $? "create prints the 24-character id"
expect_out_match '^name: +prod$' "create prints the name"
KEY=$(ldrt_fake_key "$ID")
expect_out_match "^display key: +${KEY: -4}\$" "create prints the display key"
expect_no_secret "$KEY" "create does not print the key without an output option"
fake_log >"$T/log.json"
python3 - "$T/log.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
creates = [r for r in log if r["method"] == "POST" and r["status"] == 201]
assert len(creates) == 1, creates
h = {k.lower(): v for k, v in creates[0]["headers"].items()}
assert h["ld-api-version"] == "20240415", h
assert h["user-agent"].startswith("ld-relay-token/"), h
assert creates[0]["body"]["name"] == "prod"
assert all({k.lower(): v for k, v in r["headers"].items()}.get("ld-api-version") == "20240415" for r in log)
PY
ok $? "every request sent LD-API-Version 20240415 and the User-Agent"
grep -q "id = $ID" "$T/config"
ok $? "create recorded the id in the config file's [relay prod] section"

# ---- get ------------------------------------------------------------------
n_before=$(fake_count '*' '.')
t_run get prod
expect_rc 0 "get prod exits 0"
expect_out_eq "$KEY" "get prod prints the key the fake created"
t_run get "$ID"
expect_out_eq "$KEY" "get by id prints the same key"
t_run get prod --format raw
expect_out_eq "$KEY" "get --format raw prints the key"
n_after=$(fake_count '*' '.')
[ "$n_before" = "$n_after" ]
ok $? "get made no API request"
t_run get nosuch
expect_rc 67 "get of an unknown relay: 67"

# ---- list and show --------------------------------------------------------
fake_seed other >/dev/null
t_run list
expect_rc 0 "list exits 0"
expect_out_match "^$ID +prod +${KEY: -4} .* yes +-$" "list shows prod with its key stored"
expect_out_match " other .* no +-$" "list shows a config without a stored key"
t_run list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s={x["name"]:x["stored"] for x in d}; assert s=={"prod":True,"other":False}, s' "$T/out"
ok $? "list --json reports stored true/false"
t_run show prod
expect_rc 0 "show prod exits 0"
expect_out_match "^id: +$ID\$" "show prints the id"
expect_out_match '^policy: .*proj/\*:env/production' "show prints the policy"
t_run show prod --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["stored"] and d["stored_key_matches"] and d["policy"][0]["effect"]=="allow"' "$T/out"
ok $? "show --json has the policy and the stored-key state"
t_run show 0123456789abcdef01234567
expect_rc 67 "show of an unknown id: 67"
t_run show nosuch
expect_rc 67 "show of an unknown name: 67"
fake_seed dup >/dev/null
fake_seed dup >/dev/null
t_run show dup
expect_rc 65 "a name matching two configs is an error (65)"
expect_err_match "matches 2 relay configs" "the error says how many match"

# ---- a reset done outside the tool is noticed ---------------------------------
code=$(fake_req POST "/api/v2/account/relay-auto-configs/$ID/reset" "$ADMIN_TOKEN")
[ "$code" = 200 ]
ok $? "the key of prod was reset behind the tool's back"
t_run list
expect_out_match "^$ID +prod .*changed elsewhere" "list says prod's key changed elsewhere"
expect_err_match "warning: relay 'prod': changed elsewhere" "list warns about it on stderr"
t_run show prod
expect_out_match '^note: +changed elsewhere' "show says the key changed elsewhere"
t_run status
expect_out_match '^  prod \('"$ID"'\): changed elsewhere' "status lists prod as changed elsewhere"
t_run get prod
expect_out_eq "$KEY" "get still prints the stored (now replaced) key"
KEY2=$(ldrt_fake_key "$ID")
printf %s "$KEY2" >"$T/newkey"
t_run_file "$T/newkey" import prod --key-stdin
expect_rc 0 "importing the new key adopts it"
t_run list
expect_out_match "^$ID +prod +${KEY2: -4} .* yes +-$" "after import the note is gone"
KEY=$KEY2

# ---- the API's text never drives the terminal ------------------------------
# a config named with an escape sequence, a C1 CSI and a newline
EVIL_ID=$(printf '{"name":"evil\\u001b]0;pwned\\u0007\\u009b2J\\nx"}' |
    fake_ctl POST /_fake/configs - | fake_json_get - "d['_id']")
t_run list
expect_rc 0 "list with a hostile config name exits 0"
expect_out_match "^$EVIL_ID +evil\?\]0;pwned\?\?\?2J\?x " \
    "list prints the name with each control character as '?'"
LC_ALL=C grep -q -a $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' "$T/out"
ok $((!$?)) "list's output has no control character but newlines"
t_run show "$EVIL_ID"
expect_out_match "^name: +evil\?\]0;pwned\?\?\?2J\?x\$" "show too"
LC_ALL=C grep -q -a $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' "$T/out" "$T/err"
ok $((!$?)) "show's output has no control character but newlines"
t_run show "$EVIL_ID" --json
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["name"] == "evil\x1b]0;pwned\x07\x9b2J\nx"' "$T/out"
ok $? "show --json keeps the name exactly (JSON escapes it)"
t_run delete "$EVIL_ID" --yes
expect_rc 0 "the hostile config is deleted"
LC_ALL=C grep -q -a $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' "$T/out" "$T/err"
ok $((!$?)) "delete's messages have no control character but newlines"

# ---- create with an output format ------------------------------------------
t_run create staging --policy "$T/policy.json" --format raw
expect_rc 0 "create --format raw exits 0"
SID=$(python3 -c 'import json,sys; print([c["_id"] for c in json.load(sys.stdin)["configs"] if c["name"]=="staging"][0])' <<<"$(fake_state)")
SKEY=$(ldrt_fake_key "$SID")
expect_out_eq "$SKEY" "create --format raw prints exactly the new key"

# ---- TLS ------------------------------------------------------------------
n_before=$(fake_count '*' '.')
t_run --ca-bundle "$FAKE_DIR/other-ca.pem" list
expect_rc 69 "a certificate the CA bundle does not trust: 69"
expect_err_match "ca-bundle" "the message hints at --ca-bundle"
n_after=$(fake_count '*' '.')
[ "$n_before" = "$n_after" ]
ok $? "the fake saw no request (no token sent) over the untrusted connection"

# ---- logout ---------------------------------------------------------------
t_run logout
expect_rc 0 "logout exits 0"
t_run status
expect_rc 77 "after logout status reports no token (77)"
expect_out_match '^token: +absent' "status says the token is absent"
t_run get prod
expect_out_eq "$KEY" "relay keys stay stored after logout"
t_run logout
expect_rc 0 "logout twice is not an error"

t_done
