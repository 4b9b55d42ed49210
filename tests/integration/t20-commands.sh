#!/bin/bash
# t20-commands.sh: update, delete, import and token against the fake API
# and a private keyring (issue 3): success and failure paths, exit codes,
# what reaches the API (request log) and what stays stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
ldrt_login "$ADMIN_TOKEN"

# json_check FILE PYTHON-EXPR: exit 0 if the expression (d = the JSON in
# FILE) is true.
json_check() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# one_line DESC: stderr is exactly one line.
one_line() {
	[ "$(wc -l <"$T/err")" -eq 1 ]
	ok $? "$1"
}

# fake_name ID: the config's name on the fake.
fake_name() {
	fake_state | fake_json_get - \
	    "[c['name'] for c in d['configs'] if c['_id'] == '$1'][0]"
}

# last_patch FILE: the body of the last logged PATCH, into FILE.
last_patch() {
	fake_log | fake_json_get - \
	    "[r['body'] for r in d if r['method'] == 'PATCH'][-1]" >"$1"
}

# relay_attr_names ID: the relay-name attributes of keyring items of ID.
relay_attr_names() {
	t_cmd secret-tool search --all relay-id "$1"
	cat "$T/out" "$T/err" | sed -n 's/^attribute\.relay-name = //p'
}

# ---- update ---------------------------------------------------------------
ldrt_create alpha
AID=$CREATED_ID
AKEY=$(ldrt_fake_key "$AID")

t_run update alpha
expect_rc 64 "update without --rename or --policy is a usage error (64)"
t_run update
expect_rc 64 "update without a name is a usage error (64)"
t_run update alpha --comment "just a comment"
expect_rc 64 "update with only --comment is a usage error (64)"
t_run update alpha --rename ""
expect_rc 64 "update --rename with an empty name is a usage error (64)"
n=$(fake_count PATCH '.')
[ "$n" = 0 ]
ok $? "no PATCH reached the API for usage errors"

fake_clear_log
t_run update alpha --rename beta --comment "ticket OPS-1"
expect_rc 0 "update --rename exits 0"
expect_no_secret "$ADMIN_TOKEN" "update does not print the token"
expect_no_secret "$AKEY" "update does not print the relay key"
[ "$(fake_name "$AID")" = beta ]
ok $? "the fake's config is now named beta"
last_patch "$T/patch.json"
json_check "$T/patch.json" \
    'd == {"patch":[{"op":"replace","path":"/name","value":"beta"}],"comment":"ticket OPS-1"}'
ok $? "PATCH body is {patch:[replace /name],comment} exactly"
t_diag_file "$T/patch.json" patch
grep -qx '\[relay beta\]' "$T/config" && ! grep -qx '\[relay alpha\]' "$T/config"
ok $? "the config section [relay alpha] is now [relay beta]"
t_run get beta
expect_rc 0 "get by the new name exits 0"
expect_out_eq "$AKEY" "the stored key is retrievable by the new name"
t_run get "$AID"
expect_out_eq "$AKEY" "the stored key is retrievable by id after the rename"
names=$(relay_attr_names "$AID")
[ "$names" = beta ]
ok $? "the keyring item's relay-name attribute follows the rename (got '$names')"

printf '%s\n' '[{"effect":"deny","resources":["proj/*:env/test"],"actions":["*"]}]' \
    >"$T/policy2.json"
t_run update beta --policy "$T/policy2.json"
expect_rc 0 "update --policy FILE exits 0"
fake_state | fake_json_get - \
    "[c['policy'] for c in d['configs'] if c['_id'] == '$AID'][0]" >"$T/pol.json"
json_check "$T/pol.json" 'd == [{"effect":"deny","resources":["proj/*:env/test"],"actions":["*"]}]'
ok $? "the fake holds the new policy"
last_patch "$T/patch.json"
json_check "$T/patch.json" \
    'list(d) == ["patch"] and d["patch"][0]["op"] == "replace" and d["patch"][0]["path"] == "/policy" and len(d["patch"]) == 1'
ok $? "PATCH body has only the /policy replace op and no comment"

t_run_in '[{"effect":"allow","resources":["proj/x:env/*"],"actions":["*"]}]' \
    update beta --policy - --rename gamma
expect_rc 0 "update --policy - (stdin) with --rename exits 0"
last_patch "$T/patch.json"
json_check "$T/patch.json" \
    'sorted(o["path"] for o in d["patch"]) == ["/name","/policy"] and [o for o in d["patch"] if o["path"]=="/policy"][0]["value"][0]["resources"] == ["proj/x:env/*"]'
ok $? "PATCH from stdin carries both replace ops"
[ "$(fake_name "$AID")" = gamma ]
ok $? "the fake's config is now named gamma"

t_run_in '[{"effect":"perhaps"}]' update gamma --policy -
expect_rc 65 "update with an invalid policy on stdin: 65"
one_line "the invalid-policy error is one line"

# 409 once, then success: retried
fake_fault '{"method":"PATCH","action":"status","status":409}' >/dev/null
fake_clear_log
t_run update gamma --rename delta
expect_rc 0 "a single 409 is retried and the update succeeds"
n=$(fake_count PATCH '.')
[ "$n" = 2 ]
ok $? "two PATCHes logged (409, then 200; got $n)"
[ "$(fake_name "$AID")" = delta ]
ok $? "the retried rename was applied"

# persistent 409: 75
fake_fault '{"method":"PATCH","action":"status","status":409,"count":-1}' >/dev/null
fake_clear_log
t_run update delta --rename epsilon
expect_rc 75 "persistent 409: exit 75"
expect_err_match 'conflict' "the message says there was a conflicting change"
one_line "the 409 error is one line"
expect_no_secret "$ADMIN_TOKEN" "the 409 error does not contain the token"
n=$(fake_count PATCH '.')
[ "$n" -ge 2 ] && [ "$n" -le 5 ]
ok $? "persistent 409 retried a few times, then gave up ($n PATCHes)"
fake_clear_faults
[ "$(fake_name "$AID")" = delta ]
ok $? "nothing renamed after persistent 409"

# 422 and 400 from the server: 65 with its message
fake_fault '{"method":"PATCH","action":"status","status":422,"body":{"code":"patch_failed","message":"server says patch no good"}}' >/dev/null
t_run update delta --rename zeta
expect_rc 65 "422: exit 65"
expect_err_match 'server says patch no good' "422: the server's message is shown"
one_line "the 422 error is one line"
fake_fault '{"method":"PATCH","action":"status","status":400,"body":{"code":"invalid_request","message":"bad name here"}}' >/dev/null
t_run update delta --rename zeta
expect_rc 65 "400: exit 65"
expect_err_match 'bad name here' "400: the server's message is shown"
expect_no_secret "$ADMIN_TOKEN" "the 400 error does not contain the token"
[ "$(fake_name "$AID")" = delta ]
ok $? "nothing renamed after 422/400"

# A hostile server message: it quotes the token and has line breaks and
# escape sequences.  The error stays one line without the token.
FAKE__T=$ADMIN_TOKEN python3 -c 'import json,os; print(json.dumps({"method":"PATCH","action":"status","status":400,"body":{"code":"invalid_request","message":"token " + os.environ["FAKE__T"] + " line1\nline2\r\u001b[31mred"}}))' |
    fake_ctl POST /_fake/faults - >/dev/null
t_run update delta --rename zeta
expect_rc 65 "400 with a hostile message: 65"
one_line "the hostile message is shown on one line"
expect_no_secret "$ADMIN_TOKEN" "the token quoted by the server is not shown"
grep -q $'\e' "$T/err"
[ $? = 1 ]
ok $? "no escape character reaches the terminal"

# a 200 whose body is cut: the change was applied, and the message says so
fake_fault '{"method":"PATCH","action":"truncate","content_length":"cut"}' >/dev/null
t_run update delta --comment cut --policy "$T/policy2.json"
expect_rc 76 "update answered with broken JSON: 76"
expect_err_match 'applied but its response is unusable' "the message says the update was applied"
one_line "the unusable-response error is one line"

t_run update nosuch --rename x
expect_rc 67 "update of an unknown relay: 67"
one_line "the unknown-relay error is one line"
t_run update 0123456789abcdef01234567 --rename x
expect_rc 67 "update of an unknown id: 67"

# ---- update --rename carries the config section -----------------------------
# [relay NAME] holds the operator's settings: after a rename they are found
# under the new name, with every key and comment, and the old name is gone.
cat >>"$T/config" <<EOF

# the production Relay Proxy
[relay prod]
# its env file
env-file = $T/prod.env   # read at start-up
var = PROD_KEY
EOF
chmod 0640 "$T/config"
ldrt_create prod
PRID=$CREATED_ID
sed 's/^\[relay prod\]$/[relay prod2]/' "$T/config" >"$T/config.want"
t_run update prod --rename prod2
expect_rc 0 "update --rename with a [relay prod] section: 0"
expect_err_no_match 'warning' "no warning when the section is renamed"
cmp -s "$T/config.want" "$T/config"
ok $? "the config file has [relay prod2] with the old keys and comments, and no [relay prod]"
t_diag_file "$T/config" config
[ "$(stat -c %a "$T/config")" = 640 ]
ok $? "the config file keeps its mode 0640 (got $(stat -c %a "$T/config"))"
json_check "$XDG_STATE_HOME/ld-relay-token/relays/$PRID.json" 'd["name"] == "prod2"'
ok $? "the state record's name follows the rename"
t_run rotate prod2
expect_rc 0 "rotate prod2 exits 0"
PKEY2=$(ldrt_fake_key "$PRID")
[ "$(sed -n 's/^PROD_KEY=//p' "$T/prod.env" | tr -d "'\"")" = "$PKEY2" ]
ok $? "rotate prod2 used the section's env-file and var settings"
t_run get prod2
expect_rc 0 "get prod2 exits 0"
expect_out_eq "$PKEY2" "get prod2 prints the rotated key"
t_run get prod
expect_rc 67 "get by the old name: 67 (no section or stored key by that name)"

# [relay NEW] already there: neither section is touched; exit 0, because
# the API rename happened and is not undone.
cat >>"$T/config" <<EOF

[relay conf2]
# the operator's own settings
var = MINE
EOF
ldrt_create conf
CID=$CREATED_ID
cp "$T/config" "$T/config.before"
t_run update conf --rename conf2
expect_rc 0 "update --rename onto an existing section: 0 (the API rename is done)"
[ "$(fake_name "$CID")" = conf2 ]
ok $? "the fake's config is named conf2"
cmp -s "$T/config.before" "$T/config"
ok $? "the config file is unchanged: [relay conf] and [relay conf2] both kept"
expect_err_match '^ld-relay-token: warning: .*\[relay conf2\] already exists.*\[relay conf\] was not renamed.*move its settings' \
    "a warning names both sections and what to do"
[ "$(grep -c 'warning' "$T/err")" = 1 ]
ok $? "one warning line"

# A new name that cannot head the section is refused before the API call.
fake_clear_log
t_run update conf2 --rename 'a]b'
expect_rc 64 "a new name that cannot be a section name: 64"
expect_err_match 'nothing changed' "the message says nothing changed"
one_line "the refusal is one line"
n=$(fake_count PATCH '.')
[ "$n" = 0 ]
ok $? "no PATCH reached the API"

# The config file cannot be rewritten after the API rename (here: it became
# malformed while the PATCH was in flight): the error says what happened and
# what to do, and the exit code is the config error's.
fake_clear_log
fake_fault '{"method":"PATCH","action":"delay","seconds":4}' >/dev/null
( t_run update prod2 --rename prod3; echo "$RC" >"$T/bg.rc" ) &
bg=$!
for _ in $(seq 100); do
	[ "$(fake_count PATCH '.')" -ge 1 ] && break
	sleep 0.1
done
printf '[relay prod2]\n' >>"$T/config"
cp "$T/config" "$T/config.before"
wait "$bg"
RC=$(cat "$T/bg.rc")
expect_rc 78 "the config file cannot be rewritten after the API rename: 78"
expect_err_match "renamed to 'prod3' in LaunchDarkly, but \[relay prod2\] was not \(rename it by hand\): not written: .*duplicate section" \
    "the error says the API rename happened, the section was not renamed, and why"
one_line "the error is one line"
[ "$(fake_name "$PRID")" = prod3 ]
ok $? "the fake's config is named prod3"
cmp -s "$T/config.before" "$T/config"
ok $? "the malformed config file was not rewritten"
sed -i '$d' "$T/config"

# ---- delete ---------------------------------------------------------------
# The config is renamed behind the tool's back: the config file still has
# [relay delta] (id AID) while the config is 'eta' in the API.  Deleting by
# the old local name must not forget the key of a config that still exists.
st=$(fake_req PATCH "/api/v2/account/relay-auto-configs/$AID" "$ADMIN_TOKEN" \
    '{"patch":[{"op":"replace","path":"/name","value":"eta"}]}')
[ "$st" = 200 ]
ok $? "renamed 'delta' to 'eta' on the fake behind the tool's back (got $st)"
n_before=$(fake_count DELETE '.')
t_run delete delta --yes
expect_rc 67 "delete by a name the API no longer knows, its id renamed: 67"
expect_err_match "now named 'eta'" "the message names the config's current name"
one_line "the renamed-config error is one line"
n_after=$(fake_count DELETE '.')
[ "$n_before" = "$n_after" ]
ok $? "no DELETE reached the API"
t_run get delta
expect_out_eq "$AKEY" "the renamed config's key is still stored"

ldrt_create doomed
DID=$CREATED_ID
DKEY=$(ldrt_fake_key "$DID")

n_before=$(fake_count DELETE '.')
t_run delete doomed
expect_rc 64 "delete without --yes and stdin not a tty: 64"
expect_err_match '[-]-yes' "the message mentions --yes"
n_after=$(fake_count DELETE '.')
[ "$n_before" = "$n_after" ]
ok $? "no DELETE reached the API without --yes"
t_run get doomed
expect_out_eq "$DKEY" "the key is still stored after a refused delete"
fake_key_valid "$DKEY"
ok $? "the key still works on the fake after a refused delete"

# Stdin not a terminal refuses even when a controlling terminal exists
# (an answer typed there must not be read).
t_cmd_in $'y\n' script -qec "$(printf %q "$LDRT") delete doomed </dev/null" /dev/null
expect_rc 64 "delete with a terminal but stdin redirected: 64"
n_after=$(fake_count DELETE '.')
[ "$n_before" = "$n_after" ]
ok $? "no DELETE reached the API with stdin redirected"

# On a terminal it asks; script(1) provides one.
t_cmd_in $'n\n' script -qec "$(printf %q "$LDRT") delete doomed" /dev/null
[ "$RC" != 0 ]
ok $? "delete on a terminal, answered 'n': fails (rc $RC)"
grep -q 'Delete relay config .doomed.*\[y/N\]' "$T/out"
ok $? "delete on a terminal asks the question"
n_after=$(fake_count DELETE '.')
[ "$n_before" = "$n_after" ]
ok $? "no DELETE reached the API after 'n'"
t_run get doomed
expect_out_eq "$DKEY" "the key is still stored after 'n'"

t_run delete doomed --yes
expect_rc 0 "delete --yes exits 0"
expect_no_secret "$DKEY" "delete does not print the key"
n=$(fake_count DELETE "/relay-auto-configs/$DID\$" 204)
[ "$n" = 1 ]
ok $? "exactly one DELETE of that id answered 204"
st=$(fake_req GET "/api/v2/account/relay-auto-configs/$DID" "$ADMIN_TOKEN")
[ "$st" = 404 ]
ok $? "the fake says 404 for the deleted config (got $st)"
t_run get doomed
expect_rc 67 "get after delete: 67 (stored key gone)"
t_run get "$DID"
expect_rc 67 "get by id after delete: 67"
fake_key_valid "$DKEY"
[ $? = 1 ]
ok $? "the deleted config's key is invalid on the fake"

# The config vanishes between the lookup and the DELETE: the API's 404
# still means it is gone, so the stored key is forgotten too.
ldrt_create racy
fake_fault '{"method":"DELETE","action":"status","status":404}' >/dev/null
t_run delete racy --yes
expect_rc 0 "delete answered 404 by the API: 0"
expect_err_match 'already gone' "the message says it was already gone"
t_run get racy
expect_rc 67 "the stored key is forgotten after the 404"

# API 404 while a key is stored: forget it locally and say so
ldrt_create ghost
GID=$CREATED_ID
st=$(fake_req DELETE "/api/v2/account/relay-auto-configs/$GID" "$ADMIN_TOKEN")
[ "$st" = 204 ]
ok $? "deleted 'ghost' on the fake behind the tool's back"
t_run delete ghost --yes
expect_rc 0 "delete of a config gone from the API but stored locally: 0"
expect_err_match 'forgot|forgotten' "the message says the stored key was forgotten"
expect_err_match 'does not exist|already gone|not found' "the message says it was gone from the API"
t_run get ghost
expect_rc 67 "get after forgetting: 67"
t_run delete ghost --yes
expect_rc 67 "deleting it again: 67 (nothing left anywhere)"
t_run delete nosuch --yes
expect_rc 67 "delete of an unknown relay: 67"
one_line "the unknown-relay error is one line"

# ---- import ---------------------------------------------------------------
fake_seed imported >"$T/seed.json"
IID=$(fake_json_get "$T/seed.json" 'd["_id"]')
IKEY=$(fake_json_get "$T/seed.json" 'd["fullKey"]')
t_run import imported
expect_rc 64 "import without --key-stdin: 64"
t_run get imported
expect_rc 67 "nothing stored after the usage error"

WRONG="${IKEY%????}zzzz"
t_run_in "$WRONG" import imported --key-stdin
expect_rc 65 "import of a key whose last 4 differ: 65"
expect_no_secret "$WRONG" "the refused key is not echoed"
one_line "the refusal is one line"
t_run get imported
expect_rc 67 "nothing stored after the refusal"

t_run_in "$IKEY" import imported --key-stdin
expect_rc 0 "import of the right key: 0"
expect_no_secret "$IKEY" "import does not print the key"
t_run get imported
expect_rc 0 "get after import: 0"
expect_out_eq "$IKEY" "get returns the imported key"
t_run get "$IID"
expect_out_eq "$IKEY" "get by id returns the imported key"
# a trailing newline (echo KEY | import) is not part of the key
fake_seed imported2 >"$T/seed2.json"
I2KEY=$(fake_json_get "$T/seed2.json" 'd["fullKey"]')
t_run_in "$I2KEY"$'\n' import imported2 --key-stdin
expect_rc 0 "import of a key with a trailing newline: 0"
t_run get imported2
expect_out_eq "$I2KEY" "the stored key has no trailing newline"
[ "$(wc -c <"$T/out")" = $((${#I2KEY} + 1)) ]
ok $? "get prints the key and one newline"
t_run_in "" import imported2 --key-stdin
[ "$RC" != 0 ]
ok $? "import of an empty key fails (rc $RC)"
t_run get imported2
expect_out_eq "$I2KEY" "the failed import left the stored key alone"
t_run_in "$IKEY" import nosuch --key-stdin
expect_rc 67 "import for an unknown relay: 67"

# ---- token ----------------------------------------------------------------
t_run token --format raw
expect_rc 0 "token --format raw: 0"
expect_out_eq "$ADMIN_TOKEN" "token --format raw prints the token"
t_run token --format json
expect_rc 0 "token --format json: 0"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
ok $? "token --format json is valid JSON"
TOK=$ADMIN_TOKEN python3 -c 'import json,os,sys; d=json.load(open(sys.argv[1])); assert os.environ["TOK"] in json.dumps(d)' "$T/out"
ok $? "token --format json contains the token"
t_run token --format raw -o "$T/tok"
expect_rc 0 "token --format raw -o FILE: 0"
expect_no_secret "$ADMIN_TOKEN" "token -o FILE prints nothing of the token"
[ "$(cat "$T/tok")" = "$ADMIN_TOKEN" ]
ok $? "the file holds the token"
[ "$(stat -c %a "$T/tok")" = 600 ]
ok $? "the token file is mode 0600 (got $(stat -c %a "$T/tok"))"
t_run -p nobody token
expect_rc 77 "token for a profile that is not logged in: 77"
t_run token --format shell
expect_rc 64 "token --format shell: 64 (not a token format)"
expect_no_secret "$ADMIN_TOKEN" "the usage error does not print the token"
t_run token --format dotenv
expect_rc 64 "token --format dotenv: 64"

t_run token --format curl-config
expect_rc 0 "token --format curl-config: 0"
cp "$T/out" "$T/curlcfg"
fake_clear_log
# The token reaches curl on stdin only: argv has the URL and options.
code=$(curl -q -sS --noproxy '*' --cacert "$FAKE_CA" -K - \
    -o "$T/curl.body" -w '%{http_code}' \
    "$FAKE_URL/api/v2/account/relay-auto-configs" <"$T/curlcfg")
crc=$?
[ "$crc" = 0 ]
ok $? "curl -K - with the curl-config output exits 0"
[ "$code" = 200 ]
ok $? "the fake answered 200 to curl's list request (got $code)"
n=$(fake_log | fake_json_get - "len([r for r in d if r['auth_token_role'] == 'admin'])")
[ "$n" = 1 ]
ok $? "the fake saw the admin token from curl"
json_check "$T/curl.body" '"items" in d'
ok $? "curl got the list"

# ---- the same with the file store ------------------------------------------
printf 'correct horse battery staple' >"$T/pass"
export LDRT_STORE=file LDRT_PASSPHRASE_FILE=$T/pass
ldrt_login "$ADMIN_TOKEN"
ldrt_create filed
FID=$CREATED_ID
FKEY=$(ldrt_fake_key "$FID")
t_run update filed --rename filed2
expect_rc 0 "file store: update --rename exits 0"
t_run get filed2
expect_out_eq "$FKEY" "file store: the key follows the rename"
t_run get "$FID"
expect_out_eq "$FKEY" "file store: the key is retrievable by id"
t_run delete filed2 --yes
expect_rc 0 "file store: delete --yes exits 0"
t_run get "$FID"
expect_rc 67 "file store: the key is gone after delete"
fake_seed fimp >"$T/seed3.json"
F3KEY=$(fake_json_get "$T/seed3.json" 'd["fullKey"]')
t_run_in "${F3KEY%????}abcd" import fimp --key-stdin
expect_rc 65 "file store: import of a wrong key: 65"
t_run get fimp
expect_rc 67 "file store: nothing stored after the refusal"
t_run_in "$F3KEY" import fimp --key-stdin
expect_rc 0 "file store: import of the right key: 0"
t_run get fimp
expect_out_eq "$F3KEY" "file store: get returns the imported key"
! grep -rqF -- "$F3KEY" "$T/home" "$T/config" 2>/dev/null
ok $? "file store: the key is not stored in clear text anywhere under HOME"
unset LDRT_STORE LDRT_PASSPHRASE_FILE

t_done
