#!/bin/bash
# selftest.sh: drive the fake LaunchDarkly API (fake_ld.py) with curl through
# tests/integration/lib-fake.sh and check every route, role, fault, the clock,
# the key oracle, the log and the control interface.  Prints TAP (plan last)
# and exits non-zero if any test failed.
#
# FAKE_SELFTEST_HUGE_MIB (default 1): size of the "huge" fault body.
# FAKE_SELFTEST_KEEP=1: keep the temporary directory (fake.err, logs).
#
# Checks are eval'ed strings (SC2016), variables are used inside them
# (SC2034) and helpers run from traps and t (SC2317).
# shellcheck disable=SC2016,SC2034,SC2317
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
# shellcheck source=../integration/lib-fake.sh
. "$here/../integration/lib-fake.sh"

huge_mib=${FAKE_SELFTEST_HUGE_MIB:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fake-ld-selftest.XXXXXX") || exit 1

jeval_pid=
cleanup() {
	fake_stop
	exec 7>&- 8<&-
	if [ -n "$jeval_pid" ]; then
		kill "$jeval_pid" 2>/dev/null
		wait "$jeval_pid" 2>/dev/null
	fi
	if [ -n "${FAKE_SELFTEST_KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

n=0
fails=0

# One long-lived python evaluates the JSON checks (a start-up per check
# would dominate the run time).  Protocol: "FILE\nEXPR\n" in, "OK value"
# or "ERR message" out.
coproc JEVAL {
	exec "$FAKE_PYTHON" -I -S -u -c '
import json, re, sys
while True:
    src = sys.stdin.readline()
    if not src:
        break
    expr = sys.stdin.readline().rstrip("\n")
    try:
        with open(src.rstrip("\n"), "rb") as f:
            d = json.loads(f.read().decode("utf-8"))
        v = eval(expr, {"json": json, "re": re, "d": d})
        out = v if isinstance(v, str) else json.dumps(v)
        sys.stdout.write("OK " + out.replace("\n", "\\n") + "\n")
    except Exception as e:
        sys.stdout.write("ERR %s: %r\n" % (expr, e))
    sys.stdout.flush()
'
}
exec 7>&"${JEVAL[1]}" 8<&"${JEVAL[0]}"
jeval_pid=$JEVAL_PID

# jget FILE|- EXPR: like fake_json_get, through the long-lived python.
jget() {
	local src=$1 line
	if [ "$src" = - ]; then
		src=$tmp/stdin.json
		cat >"$src"
	fi
	printf '%s\n%s\n' "$src" "$2" >&7
	IFS= read -r line <&8 || return 1
	case $line in
	"OK "*)
		printf '%s\n' "${line#OK }"
		;;
	*)
		echo "jget: ${line#ERR }" >&2
		return 1
		;;
	esac
}

# t DESC CMD...: one test, ok if CMD succeeds.
t() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
	fi
}

# t_is GOT WANT DESC: one test, ok if GOT = WANT.
t_is() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3"
		echo "#   got: '$1'"
		echo "#  want: '$2'"
		fails=$((fails + 1))
	fi
}

# jb EXPR: evaluate a Python expression on the last response body (as d).
jb() {
	jget "$FAKE_DIR/resp.body" "$1"
}

# jt EXPR: succeed if EXPR is true on the last response body.
jt() {
	[ "$(jb "bool($1)" 2>/dev/null)" = true ]
}

# js FILE EXPR: succeed if EXPR is true on the JSON in FILE.
js() {
	[ "$(jget "$1" "bool($2)" 2>/dev/null)" = true ]
}

rc() {
	cat "$FAKE_DIR/resp.rc"
}

hdr() {
	fake_resp_header "$1"
}

now_ms() {
	fake_ctl GET /_fake/clock | jget - 'd["now_ms"]'
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

cat >"$tmp/tokens.json" <<'EOF'
{"tok-admin": "admin", "tok-writer": "writer", "tok-reader": "reader",
 "tok-none": "none", "tok-norelay": {"role": "norelay", "name": "ci"}}
EOF

C=/api/v2/account/relay-auto-configs
POL='[{"actions":["*"],"effect":"allow","resources":["proj/*:env/*"]}]'
UUID_RX='^rel-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# ------------------------------------------------------------ start-up, TLS
if ! fake_start "$tmp/fake" --tokens "$tmp/tokens.json"; then
	echo "not ok 1 - fake_start"
	echo "1..1"
	exit 1
fi
t "fake_start: port file and variables" test -s "$FAKE_DIR/port" -a \
    -n "$FAKE_PORT" -a -n "$FAKE_OTHER_PORT" -a "$FAKE_URL" = \
    "https://127.0.0.1:$FAKE_PORT"
t "CA, server cert and other CA made" test -s "$FAKE_DIR/ca.pem" -a \
    -s "$FAKE_DIR/server.pem" -a -s "$FAKE_DIR/server.key" -a \
    -s "$FAKE_DIR/other-ca.pem"
t "server cert verifies against the CA, not the other CA" eval \
    'openssl verify -CAfile "$FAKE_DIR/ca.pem" "$FAKE_DIR/server.pem" >/dev/null &&
     ! openssl verify -CAfile "$FAKE_DIR/other-ca.pem" "$FAKE_DIR/server.pem" >/dev/null 2>&1'
listening_on_loopback_only() {
	local hex
	hex=$(printf '%04X' "$FAKE_PORT")
	grep -q " 0100007F:$hex 00000000:0000 0A " /proc/net/tcp &&
	    ! grep -q " 00000000:$hex 00000000:0000 0A " /proc/net/tcp
}
t "listens on 127.0.0.1 only" listening_on_loopback_only

code=$(fake_req GET /api/v2)
t_is "$code" 200 "GET /api/v2 over HTTPS with the test CA, no token"
t "root has links" jt '"relayAutoConfigs" in d["links"]'
t_is "$(fake_json_get "$FAKE_DIR/resp.body" 'd["links"]["versions"]["href"]')" \
    /api/v2/versions "lib fake_json_get FILE: string printed raw"
t_is "$(printf '{"a":[1,true,null]}' | fake_json_get - 'd["a"]')" \
    "[1, true, null]" "lib fake_json_get -: non-strings as JSON"
t_is "$(printf '[1,2]' | fake_json_get - '[x for x in d if x > len(d) - 1]')" \
    "[2]" "lib fake_json_get: d visible inside comprehensions"
t "lib fake_json_get fails on bad JSON" eval '! printf "{" | fake_json_get - d 2>/dev/null'
code=$(fake_req GET /api/v2 junk-token)
t_is "$code" 200 "root never answers 401"
curl -q -sS --noproxy '*' --cacert "$FAKE_DIR/other-ca.pem" -o /dev/null \
    "$FAKE_URL/api/v2" 2>/dev/null
t_is "$?" 60 "wrong CA: curl refuses the certificate"
t "failed TLS handshake counted" \
    eval '[ "$(fake_stats | jget - "d[\"tls_failures\"]")" -ge 1 ]'

# ------------------------------------------------------------ routing
code=$(fake_req GET /api/v2/nosuch tok-admin)
t_is "$code $(jb 'd["code"]')" "404 not_found" "unknown path: 404 not_found"
t_is "$(hdr content-type)" application/json "404 is application/json"
code=$(fake_req PUT "$C" tok-admin '{}')
t_is "$code $(jb 'd["code"]') $(hdr allow)" "405 method_not_allowed GET, POST" \
    "PUT on the collection: 405 with Allow"
code=$(fake_req POST /api/v2/caller-identity tok-admin '{}')
t_is "$code" 405 "POST caller-identity: 405"
code=$(FAKE_CURL_OPTS=-I fake_req HEAD /api/v2/caller-identity tok-admin)
t_is "$code $(stat -c %s "$FAKE_DIR/resp.headers" | sed 's/[0-9]*/x/')" "405 x" \
    "HEAD: 405"
code=$(fake_req GET "$C/" tok-admin)
t_is "$code" 404 "trailing slash on collection: 404"
code=$(fake_req GET "$C/abc/reset/x" tok-admin)
t_is "$code" 404 "too deep path: 404"

# ------------------------------------------------------------ auth and roles
code=$(fake_req GET "$C")
t_is "$code $(jb 'd["code"]+"|"+d["message"]')" \
    "401 unauthorized|Invalid access token" "no token: 401 exact body"
t_is "$(hdr content-type)" application/json "401 is application/json"
code=$(fake_req GET "$C" tok-unknown)
t_is "$code" 401 "unknown token: 401"
code=$(fake_req GET "$C" "Bearer tok-admin")
t_is "$code" 401 "Bearer scheme: 401 (raw token only)"
code=$(fake_req GET "$C" tok-admin)
t_is "$code $(cat "$FAKE_DIR/resp.body")" '200 {"items":[]}' "admin list: empty"
t "normal response has X-Ratelimit-Route-Remaining" \
    eval '[ -n "$(hdr x-ratelimit-route-remaining)" ]'
t "normal response has X-Ratelimit-Reset in epoch ms" \
    eval '[ "$(hdr x-ratelimit-reset)" -gt "$(ms)" ]'
code=$(fake_req GET /api/v2/caller-identity tok-admin)
t_is "$code $(jb 'd["tokenKind"]')" "200 personal" "caller-identity admin"
code=$(fake_req GET /api/v2/caller-identity tok-none)
t_is "$code $(jb 'd["code"]')" "403 forbidden" "caller-identity role none: 403"
code=$(fake_req GET /api/v2/caller-identity tok-norelay)
t_is "$code $(jb 'd["tokenName"]')" "200 ci" "caller-identity role norelay: 200, name"
code=$(fake_req GET "$C" tok-norelay)
t_is "$code" 403 "list role norelay: 403"
code=$(fake_req GET "$C" tok-none)
t_is "$code $(jb 'd["code"]')" "403 forbidden" "list role none: 403"
code=$(fake_req GET "$C" tok-reader)
t_is "$code" 200 "list role reader: 200"
code=$(FAKE_CURL_OPTS="-H LD-API-Version:20220603" fake_req GET /api/v2/versions tok-admin)
t_is "$code $(jb 'd["currentVersion"]') $(jb '20240415 in d["validVersions"]')" \
    "200 20220603 true" "versions honours LD-API-Version"
code=$(fake_req GET /api/v2/versions)
t_is "$code" 401 "versions without token: 401"

# ------------------------------------------------------------ create
code=$(fake_req POST "$C" tok-admin "{\"name\":\"prod relays\",\"policy\":$POL}")
t_is "$code" 201 "admin create: 201"
cp "$FAKE_DIR/resp.body" "$tmp/create1.json"
ID1=$(jb 'd["_id"]')
KEY1=$(jb 'd["fullKey"]')
t "create: _id is 24 hex" eval '[[ $ID1 =~ ^[0-9a-f]{24}$ ]]'
t "create: fullKey is rel- + UUIDv4" eval '[[ $KEY1 =~ $UUID_RX ]]'
t "create: displayKey is the last 4 of fullKey" jt 'd["displayKey"] == d["fullKey"][-4:]'
t "create: integer dates" jt 'type(d["creationDate"]) is int and d["creationDate"] == d["lastModified"]'
t "create: _creator present" jt '"_creator" in d and d["_creator"]["role"] == "admin"'
t "create: policy echoed" jt 'd["policy"][0]["resources"] == ["proj/*:env/*"]'
code=$(fake_req POST "$C" tok-writer "{\"name\":\"staging\",\"policy\":$POL}")
t_is "$code" 201 "writer create: 201"
ID2=$(jb 'd["_id"]')
K2a=$(jb 'd["fullKey"]')
code=$(fake_req POST "$C" tok-reader "{\"name\":\"x\",\"policy\":$POL}")
t_is "$code $(jb 'd["code"]')" "403 forbidden" "reader create: 403"
code=$(fake_req POST "$C" tok-none "{\"name\":\"x\",\"policy\":$POL}")
t_is "$code" 403 "none create: 403"
for bad in 'not json' '[]' "{\"policy\":$POL}" '{"name":"x"}' \
    '{"name":"","policy":[]}' '{"name":"x","policy":{}}' \
    '{"name":"x","policy":[{"effect":"maybe"}]}' '{"name":3,"policy":[]}'; do
	code=$(fake_req POST "$C" tok-admin "$bad")
	t_is "$code $(jb 'd["code"]')" "400 invalid_request" "create rejects $bad"
done
fake_add_token tok-new reader
code=$(fake_req GET "$C" tok-new)
t_is "$code" 200 "token added via /_fake/tokens works"
code=$(fake_req POST "$C" tok-new "{\"name\":\"x\",\"policy\":$POL}")
t_is "$code" 403 "added reader token cannot create"
fake_ctl POST /_fake/tokens '{"token":"tok-new","role":null}' >/dev/null
code=$(fake_req GET "$C" tok-new)
t_is "$code" 401 "removed token: 401"

# ------------------------------------------------------------ get and list
code=$(fake_req GET "$C/$ID1" tok-admin)
t_is "$code" 200 "get one: 200"
t "get one: no fullKey, displayKey matches" \
    jt "\"fullKey\" not in d and d['displayKey'] == '${KEY1: -4}'"
code=$(fake_req GET "$C/$ID1" tok-reader)
t_is "$code" 200 "reader get one: 200"
code=$(fake_req GET "$C" tok-admin)
t "list: two items, none with fullKey" \
    jt 'len(d["items"]) == 2 and all("fullKey" not in i for i in d["items"])'
code=$(fake_req GET "$C/0123456789abcdef01234567" tok-admin)
t_is "$code $(jb 'd["code"]')" "404 not_found" "get unknown id: 404"
code=$(fake_req GET "$C/0123456789abcdef01234567" tok-none)
t_is "$code" 403 "get with role none: 403"
fake_state >"$tmp/state.json"
t "/_fake/state has the current full key" \
    js "$tmp/state.json" "[c['fullKey'] for c in d['configs'] if c['_id'] == '$ID1'] == ['$KEY1']"

# ------------------------------------------------------------ patch
lm0=$(jget "$tmp/create1.json" 'd["lastModified"]')
code=$(fake_req PATCH "$C/$ID1" tok-admin \
    '{"patch":[{"op":"replace","path":"/name","value":"renamed"}],"comment":"selftest"}')
t_is "$code $(jb 'd["name"]')" "200 renamed" "patch wrapper: replace name"
t "patch: no fullKey, lastModified bumped" \
    jt "'fullKey' not in d and d['lastModified'] >= $lm0"
t "log records the patch comment" \
    eval 'fake_log | jget - "[e[\"body\"][\"comment\"] for e in d if e[\"method\"] == \"PATCH\"][-1]" | grep -qx selftest'
code=$(fake_req PATCH "$C/$ID1" tok-admin \
    '[{"op":"add","path":"/policy/-","value":{"effect":"deny","actions":["*"],"notResources":["proj/*:env/test"]}}]')
t_is "$code $(jb 'len(d["policy"])')" "200 2" "patch bare array: add /policy/-"
code=$(fake_req PATCH "$C/$ID1" tok-admin \
    '{"patch":[{"op":"replace","path":"/policy/0/resources","value":["proj/x:env/*"]}]}')
t_is "$code $(jb 'd["policy"][0]["resources"][0]')" "200 proj/x:env/*" \
    "patch replace /policy/0/resources"
code=$(fake_req PATCH "$C/$ID1" tok-admin '{"patch":[
 {"op":"copy","from":"/policy/0","path":"/policy/-"},
 {"op":"move","from":"/policy/2","path":"/policy/0"},
 {"op":"remove","path":"/policy/1"},
 {"op":"test","path":"/name","value":"renamed"}]}')
t_is "$code $(jb '[s["effect"] for s in d["policy"]]')" '200 ["allow", "deny"]' \
    "patch copy, move, remove, test"
for bad in '{"op":"test","path":"/name","value":"other"}' \
    '{"op":"frobnicate","path":"/name","value":"x"}' \
    '{"op":"replace","path":"/nosuch/0","value":"x"}' \
    '{"op":"replace","path":"/policy/9","value":{}}' \
    '{"op":"replace","path":"name","value":"x"}' \
    '{"op":"add","path":"/extra","value":"x"}' \
    '{"op":"remove","path":"/name"}' \
    '{"op":"replace","path":"/name"}'; do
	code=$(fake_req PATCH "$C/$ID1" tok-admin "{\"patch\":[$bad]}")
	t_is "$code $(jb 'd["code"]')" "422 patch_failed" "patch 422: $bad"
done
for bad in '{"op":"replace","path":"/displayKey","value":"abcd"}' \
    '{"op":"replace","path":"/_id","value":"x"}' \
    '{"op":"replace","path":"/creationDate","value":1}' \
    '{"op":"replace","path":"/lastModified","value":1}' \
    '{"op":"add","path":"/fullKey","value":"rel-x"}' \
    '{"op":"add","path":"/_creator","value":{}}' \
    '{"op":"replace","path":"/policy/0/effect","value":"maybe"}'; do
	code=$(fake_req PATCH "$C/$ID1" tok-admin "{\"patch\":[$bad]}")
	t_is "$code $(jb 'd["code"]')" "400 invalid_request" "patch 400: $bad"
done
for bad in 'nope' '{"patch":{}}' '{"comment":"x"}'; do
	code=$(fake_req PATCH "$C/$ID1" tok-admin "$bad")
	t_is "$code" 400 "patch body 400: $bad"
done
code=$(fake_req GET "$C/$ID1" tok-admin)
t "failed patches changed nothing" \
    jt 'd["name"] == "renamed" and len(d["policy"]) == 2'
code=$(fake_req PATCH "$C/$ID1" tok-admin '{"merge":{"name":"merged"},"comment":"m"}')
t_is "$code $(jb 'd["name"]')" "200 merged" "patch merge form"
code=$(fake_req PATCH "$C/$ID1" tok-reader '{"patch":[]}')
t_is "$code" 403 "reader patch: 403"
code=$(fake_req PATCH "$C/0123456789abcdef01234567" tok-admin '{"patch":[]}')
t_is "$code" 404 "patch unknown id: 404"
fake_fault '{"method":"PATCH","action":"status","status":409}' >/dev/null
code=$(fake_req PATCH "$C/$ID1" tok-admin \
    '{"patch":[{"op":"replace","path":"/name","value":"conflicted"}]}')
t_is "$code $(jb 'd["code"]')" "409 optimistic_locking_error" "injected 409 on PATCH"
code=$(fake_req GET "$C/$ID1" tok-admin)
t_is "$(jb 'd["name"]')" merged "409 did not apply the patch"

# ------------------------------------------------------------ reset, key oracle, clock
code=$(fake_req POST "$C/$ID1/reset" tok-admin)
KEY2=$(jb 'd["fullKey"]')
t_is "$code" 200 "reset without expiry: 200"
t "reset: new fullKey, displayKey = its last 4" \
    jt "d['fullKey'] != '$KEY1' and d['displayKey'] == d['fullKey'][-4:]"
t "reset: new key is rel- + UUIDv4" eval '[[ $KEY2 =~ $UUID_RX ]]'
t "old key invalid at once without expiry" eval '! fake_key_valid "$KEY1"'
t "new key valid" fake_key_valid "$KEY2"
t "fake_key_valid reads stdin" eval 'printf "%s\n" "$KEY2" | fake_key_valid -'
t "keycheck: current, id" eval "fake_ctl POST /_fake/keycheck '{\"key\":\"$KEY2\"}' |
    jget - 'd[\"current\"] and d[\"id\"] == \"$ID1\"' | grep -qx true"
code=$(fake_req GET /relay_auto_config "$KEY2")
t_is "$code $(hdr content-type)" "200 text/event-stream" "stream oracle: 200 for current key"
t "stream oracle: one put event" grep -q '^event: put$' "$FAKE_DIR/resp.body"
code=$(fake_req GET /relay_auto_config "$KEY1")
t_is "$code" 401 "stream oracle: 401 for retired expired key"
code=$(fake_req GET /relay_auto_config)
t_is "$code" 401 "stream oracle: 401 without key"
code=$(fake_req GET /relay_auto_config rel-unknown)
t_is "$code" 401 "stream oracle: 401 for unknown key"

now=$(now_ms)
exp=$((now + 60000))
fake_clear_log
code=$(fake_req POST "$C/$ID1/reset?expiry=$exp" tok-admin)
KEY3=$(jb 'd["fullKey"]')
t_is "$code" 200 "reset with expiry: 200"
t "old key valid during grace" fake_key_valid "$KEY2"
t "new key valid" fake_key_valid "$KEY3"
code=$(fake_req GET /relay_auto_config "$KEY2")
t_is "$code" 200 "stream oracle: 200 for old key during grace"
t "log has the exact expiry sent" \
    eval 'fake_log | jget - "[e[\"query\"][\"expiry\"] for e in d if e[\"path\"].endswith(\"/reset\")][0]" | grep -qx "$exp"'
fake_state >"$tmp/state.json"
t "state: retired key with expiresAt = expiry" \
    js "$tmp/state.json" "[r for c in d['configs'] for r in c['retired'] if r['key'] == '$KEY2'][0]['expiresAt'] == $exp"
fake_clock 120000
t "clock +120 s: old key expired" eval '! fake_key_valid "$KEY2"'
code=$(fake_req GET /relay_auto_config "$KEY2")
t_is "$code" 401 "clock +120 s: stream oracle 401 for old key"
t "clock +120 s: current key still valid" fake_key_valid "$KEY3"
t "clock offset reported" eval '[ "$(now_ms)" -ge $((now + 120000)) ]'
fake_clock 0
t "clock back: old key valid again" fake_key_valid "$KEY2"

code=$(fake_req POST "$C/$ID1/reset?expiry=1000" tok-admin)
KEY4=$(jb 'd["fullKey"]')
t_is "$code" 200 "reset with expiry in the past: 200"
t "expiry in the past: old key invalid at once" eval '! fake_key_valid "$KEY3"'
for bad in abc 1.5 '' 1e3 '%2B5' '5&expiry=6' '0x10'; do
	code=$(fake_req POST "$C/$ID1/reset?expiry=$bad" tok-admin)
	t_is "$code $(jb 'd["code"]')" "400 invalid_request" "reset rejects expiry=$bad"
done
t "rejected resets kept the key" fake_key_valid "$KEY4"
code=$(fake_req POST "$C/$ID1/reset" tok-admin '{}')
KEY5=$(jb 'd["fullKey"]')
t_is "$code" 200 "reset tolerates a {} body"
code=$(fake_req GET "$C/$ID1" tok-admin)
t "GET after reset: no fullKey, new displayKey" \
    jt "'fullKey' not in d and d['displayKey'] == '${KEY5: -4}'"
code=$(fake_req POST "$C/$ID1/reset" tok-reader)
t_is "$code" 403 "reader reset: 403"
code=$(fake_req POST "$C/0123456789abcdef01234567/reset" tok-admin)
t_is "$code" 404 "reset unknown id: 404"
code=$(fake_req GET "$C/$ID1/reset" tok-admin)
t_is "$code" 405 "GET on reset: 405"

exp=$(($(now_ms) + 60000))
fake_req POST "$C/$ID2/reset?expiry=$exp" tok-admin >/dev/null
K2b=$(jb 'd["fullKey"]')
fake_req POST "$C/$ID2/reset?expiry=$exp" tok-admin >/dev/null
K2c=$(jb 'd["fullKey"]')
t "keep-all: both retired keys valid" eval 'fake_key_valid "$K2a" && fake_key_valid "$K2b"'
fake_config '{"retired_keys":"latest-only"}' >/dev/null
fake_req POST "$C/$ID2/reset?expiry=$exp" tok-admin >/dev/null
K2d=$(jb 'd["fullKey"]')
t "latest-only: older retired keys invalid" \
    eval '! fake_key_valid "$K2a" && ! fake_key_valid "$K2b"'
t "latest-only: latest retired and current valid" \
    eval 'fake_key_valid "$K2c" && fake_key_valid "$K2d"'
fake_config '{"retired_keys":"keep-all"}' >/dev/null

fake_config '{"creator":false}' >/dev/null
code=$(fake_req GET "$C/$ID1" tok-admin)
t "creator off: no _creator" jt '"_creator" not in d'
fake_config '{"creator":true}' >/dev/null
code=$(fake_req GET "$C/$ID1" tok-admin)
t "creator on again" jt '"_creator" in d'
t "bad setting rejected" eval '! fake_config "{\"retired_keys\":\"some\"}" 2>/dev/null'

fake_config '{"strict_version":true}' >/dev/null
code=$(FAKE_CURL_OPTS="-H LD-API-Version:19990101" fake_req GET "$C" tok-admin)
t_is "$code" 400 "strict_version: unknown LD-API-Version gets 400"
code=$(FAKE_CURL_OPTS="-H LD-API-Version:20240415" fake_req GET "$C" tok-admin)
t_is "$code" 200 "strict_version: 20240415 accepted"
fake_config '{"strict_version":false}' >/dev/null

# ------------------------------------------------------------ delete
code=$(fake_req DELETE "$C/$ID2" tok-reader)
t_is "$code" 403 "reader delete: 403"
code=$(fake_req DELETE "$C/$ID2" tok-admin)
t_is "$code $(stat -c %s "$FAKE_DIR/resp.body")" "204 0" "delete: 204, empty body"
code=$(fake_req GET "$C/$ID2" tok-admin)
t_is "$code" 404 "get after delete: 404"
t "delete: keys invalid" eval '! fake_key_valid "$K2d" && ! fake_key_valid "$K2c"'
t "keycheck after delete names the id" eval "fake_ctl POST /_fake/keycheck '{\"key\":\"$K2d\"}' |
    jget - 'd[\"valid\"] is False and d[\"id\"] == \"$ID2\"' | grep -qx true"
code=$(fake_req GET /relay_auto_config "$K2d")
t_is "$code" 401 "stream oracle: 401 after delete"
code=$(fake_req DELETE "$C/$ID2" tok-admin)
t_is "$code" 404 "delete again: 404"
code=$(FAKE_CURL_OPTS="-H X-HTTP-Method-Override:DELETE" fake_req POST "$C/$ID2" tok-admin '')
t_is "$code" 404 "X-HTTP-Method-Override: DELETE tunnels"

# ------------------------------------------------------------ log
fake_clear_log
fake_state >/dev/null
t_is "$(fake_count '*' .)" 0 "control requests are not logged"
exp=$(($(now_ms) + 5000))
FAKE_CURL_OPTS="-H LD-API-Version:20240415" fake_req POST "$C/$ID1/reset?expiry=$exp" tok-admin >/dev/null
fake_req POST "$C/$ID1/reset" tok-admin >/dev/null
fake_req GET "$C" tok-nobody >/dev/null
fake_log >"$tmp/log.json"
t_is "$(fake_count POST '/reset$')" 2 "fake_count POST /reset$"
t_is "$(fake_count POST '/reset$' 200)" 2 "fake_count with status"
t_is "$(fake_count GET "^$C\$" 401)" 1 "fake_count GET 401"
t "log never holds a token value" eval '! grep -q "tok-admin\|tok-nobody" "$tmp/log.json"'
label=$(printf %s tok-admin | sha256sum | cut -c1-8)
t "log: token label, role, presence; no authorization header" js "$tmp/log.json" \
    "d[0]['auth_token_label'] == '$label' and d[0]['auth_token_role'] == 'admin' and d[0]['auth_present'] and 'authorization' not in d[0]['headers']"
t "log: unknown token role" js "$tmp/log.json" "d[2]['auth_token_role'] == 'unknown'"
t "log: LD-API-Version recorded" js "$tmp/log.json" \
    "d[0]['headers']['ld-api-version'] == '20240415' and 'ld-api-version' not in d[1]['headers']"
t "log: seq, time, query, status, connection" js "$tmp/log.json" \
    "d[0]['seq'] < d[1]['seq'] and d[0]['query'] == {'expiry': '$exp'} and d[0]['status'] == 200 and isinstance(d[0]['connection'], int) and d[0]['time_ms'] > 0"
t "log ?since=SEQ" eval "[ \"\$(fake_ctl GET '/_fake/log?since=$(jget "$tmp/log.json" 'd[1]["seq"]')' |
    jget - 'len(d)')\" = 1 ]"

# ------------------------------------------------------------ faults
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":503}' >/dev/null
code=$(fake_req GET "$C" tok-admin)
t_is "$code $(jb 'd["code"]') $(hdr content-type)" "503 service_unavailable application/json" \
    "fault status 503 with JSON error"
code=$(fake_req GET "$C" tok-admin)
t_is "$code" 200 "fault consumed after count 1"
fake_fault '{"action":"status","status":500,"body":"oops","content_type":"text/plain"}' >/dev/null
code=$(fake_req GET /api/v2/caller-identity tok-admin)
t_is "$code $(cat "$FAKE_DIR/resp.body") $(hdr content-type)" "500 oops text/plain" \
    "fault status with custom body"
fake_fault '[{"path":"caller","action":"status","status":500},{"path":"caller","action":"status","status":502}]' >/dev/null
c1=$(fake_req GET /api/v2/caller-identity tok-admin)
c2=$(fake_req GET /api/v2/caller-identity tok-admin)
c3=$(fake_req GET /api/v2/caller-identity tok-admin)
t_is "$c1 $c2 $c3" "500 502 200" "faults consumed in order"
fake_fault '{"path":"caller","action":"status","status":503,"count":-1}' >/dev/null
c1=$(fake_req GET /api/v2/caller-identity tok-admin)
c2=$(fake_req GET /api/v2/caller-identity tok-admin)
c3=$(fake_req GET /api/v2/caller-identity tok-admin)
t_is "$c1 $c2 $c3" "503 503 503" "count -1 repeats"
fake_clear_faults
t_is "$(fake_req GET /api/v2/caller-identity tok-admin)" 200 "DELETE /_fake/faults clears"

now=$(now_ms)
fake_fault '{"action":"rate_limit","reset_offset_ms":1500,"retry_after":2}' >/dev/null
code=$(fake_req GET "$C" tok-admin)
t_is "$code $(jb 'd["code"]') $(hdr x-ratelimit-route-remaining) $(hdr retry-after)" \
    "429 rate_limited 0 2" "rate_limit: 429, remaining 0, Retry-After"
reset=$(hdr x-ratelimit-reset)
t "rate_limit: X-Ratelimit-Reset = now + offset (ms)" \
    eval '[ "$reset" -ge $((now + 1500)) ] && [ "$reset" -le $((now + 4000)) ]'
fake_fault '{"action":"rate_limit","reset_offset_ms":-5000,"global":true}' >/dev/null
code=$(fake_req GET "$C" tok-admin)
reset=$(hdr x-ratelimit-reset)
t_is "$code $(hdr x-ratelimit-global-remaining) $(hdr retry-after)" "429 0 " \
    "rate_limit global, no Retry-After"
t "rate_limit: reset in the past" eval '[ "$reset" -lt "$(now_ms)" ]'

fake_fault '{"method":"POST","path":"/reset$","action":"status","status":500}' >/dev/null
code=$(fake_req GET "$C/$ID1" tok-admin)
dk=$(jb 'd["displayKey"]')
t_is "$code" 200 "fault with method/path does not match other requests"
code=$(fake_req POST "$C/$ID1/reset" tok-admin)
t_is "$code" 500 "fault matches POST reset"
fake_req GET "$C/$ID1" tok-admin >/dev/null
t_is "$(jb 'd["displayKey"]')" "$dk" "status fault did not apply the reset"

fake_fault '{"action":"delay","seconds":0.6}' >/dev/null
code=$(FAKE_REQ_TIMEOUT=0.2 fake_req GET "$C" tok-admin)
t_is "$code $(rc)" "000 28" "delay past the client timeout"
fake_fault '{"action":"delay","seconds":0.3}' >/dev/null
t0=$(ms)
code=$(fake_req GET "$C" tok-admin)
t1=$(ms)
t "delay then a normal answer" eval '[ "$code" = 200 ] && [ $((t1 - t0)) -ge 300 ]'
fake_fault '{"path":"/reset$","action":"delay","seconds":0.6,"when":"after"}' >/dev/null
code=$(FAKE_REQ_TIMEOUT=0.2 fake_req POST "$C/$ID1/reset" tok-admin)
fake_req GET "$C/$ID1" tok-admin >/dev/null
t "delay when=after: reset applied though the client timed out" \
    eval '[ "$code" = 000 ] && [ "$(jb "d[\"displayKey\"]")" != "$dk" ]'

# /_fake/idle: a test waits for a request its client gave up on, no sleep
fake_fault '{"action":"delay","seconds":2}' >/dev/null
code=$(FAKE_REQ_TIMEOUT=0.2 fake_req GET "$C" tok-admin)
t_is "$code $(fake__curl -o /dev/null -w '%{http_code}' \
    "$FAKE_URL/_fake/idle?timeout=0.05")" "000 503" \
    "idle: 503 while a delayed request is still being answered"
t0=$(ms)
fake_wait_idle 10
r=$?
t1=$(ms)
t "idle: returns once the delayed request is answered" \
    eval '[ "$r" = 0 ] && [ $((t1 - t0)) -ge 500 ]'
t0=$(ms)
fake_wait_idle 5
r=$?
t1=$(ms)
t "idle: at once when nothing is in flight" \
    eval '[ "$r" = 0 ] && [ $((t1 - t0)) -lt 1000 ]'

dk=$(fake_req GET "$C/$ID1" tok-admin >/dev/null; jb 'd["displayKey"]')
fake_clear_log
fake_fault '{"path":"/reset$","action":"apply_then_drop"}' >/dev/null
code=$(fake_req POST "$C/$ID1/reset" tok-admin)
t_is "$code $(rc)" "000 52" "apply_then_drop: no response at all"
fake_req GET "$C/$ID1" tok-admin >/dev/null
t "apply_then_drop: key was rotated" eval '[ "$(jb "d[\"displayKey\"]")" != "$dk" ]'
t "apply_then_drop: logged without status" eval 'fake_log |
    jget - "d[0][\"status\"] is None and d[0][\"fault\"] == \"apply_then_drop\"" | grep -qx true'

before=$(fake_req GET "$C" tok-admin >/dev/null; jb 'len(d["items"])')
fake_fault '{"method":"POST","action":"drop"}' >/dev/null
code=$(fake_req POST "$C" tok-admin "{\"name\":\"dropped\",\"policy\":$POL}")
t_is "$code $(rc)" "000 52" "drop: no response"
fake_req GET "$C" tok-admin >/dev/null
t_is "$(jb 'len(d["items"])')" "$before" "drop: nothing applied"

fake_req GET "$C/$ID1" tok-admin >/dev/null
full=$(stat -c %s "$FAKE_DIR/resp.body")
fake_fault '{"action":"truncate"}' >/dev/null
code=$(fake_req GET "$C/$ID1" tok-admin)
t_is "$code $(rc) $(stat -c %s "$FAKE_DIR/resp.body")" "200 18 $((full / 2))" \
    "truncate: 200, half the body, then close (partial transfer)"
t_is "$(hdr content-length)" "$full" "truncate: Content-Length of the full body"
fake_fault '{"action":"truncate","content_length":"cut"}' >/dev/null
code=$(fake_req GET "$C/$ID1" tok-admin)
t_is "$code $(rc) $(stat -c %s "$FAKE_DIR/resp.body")" "200 0 $((full / 2))" \
    "truncate content_length=cut: complete message, cut JSON"
t "truncate: body is not valid JSON" eval '! jb d >/dev/null 2>&1'
code=$(fake_req POST "$C/$ID1/reset" tok-admin)
t_is "$code" 200 "connection usable after faults"

fake_fault '{"action":"non_json","status":502}' >/dev/null
code=$(fake_req GET "$C" tok-admin)
t_is "$code $(hdr content-type) $(head -c 6 "$FAKE_DIR/resp.body")" "502 text/html <html>" \
    "non_json: 502 with HTML"

fake_fault "{\"action\":\"huge\",\"mib\":$huge_mib}" >/dev/null
code=$(fake_req GET "$C" tok-admin)
size=$((huge_mib * 1048576))
t_is "$code $(hdr content-length) $(stat -c %s "$FAKE_DIR/resp.body")" "200 $size $size" \
    "huge: $huge_mib MiB body with Content-Length"
fake_fault '{"action":"huge","bytes":100}' >/dev/null
code=$(fake_req GET "$C" tok-admin)
t "huge bytes=100 is exact valid JSON" eval '[ "$(stat -c %s "$FAKE_DIR/resp.body")" = 100 ] && jb d >/dev/null'

fake_ctl DELETE /_fake/other-log >/dev/null
fake_fault '{"action":"redirect"}' >/dev/null
code=$(fake_req GET "$C?x=1" tok-admin)
t_is "$code $(hdr location)" "302 $FAKE_OTHER_URL$C?x=1" "redirect: 302 to the other host, path kept"
t_is "$(fake_other_log | jget - 'len(d)')" 0 "redirect not followed: other host saw nothing"
fake_fault '{"action":"redirect"}' >/dev/null
code=$(FAKE_CURL_OPTS=-L fake_req GET "$C" tok-admin)
t_is "$code $(cat "$FAKE_DIR/resp.body")" "200 {}" "redirect followed: other host answers 200 {}"
t "other host: request logged, no Authorization (curl drops it)" eval 'fake_other_log |
    jget - "len(d) == 1 and d[0][\"path\"] == \"$C\" and d[0][\"auth_present\"] is False" | grep -qx true'
fake_fault '{"action":"redirect","status":307}' >/dev/null
code=$(FAKE_CURL_OPTS="-L --location-trusted" fake_req GET "$C" tok-admin)
t "other host logs that Authorization was sent (never its value)" eval 'fake_other_log |
    jget - "d[-1][\"auth_present\"] is True and \"authorization\" not in d[-1][\"headers\"]" | grep -qx true'
t "other log never holds the token" eval '! fake_other_log | grep -q tok-admin'

fake_fault '{"path":"^/relay_auto_config$","action":"status","status":503}' >/dev/null
code=$(fake_req GET /relay_auto_config "$KEY5")
t_is "$code" 503 "faults apply to the stream oracle too"
t "bad fault action rejected" eval '! fake_fault "{\"action\":\"explode\"}" 2>/dev/null'
t "bad fault count rejected" eval '! fake_fault "{\"action\":\"drop\",\"count\":0}" 2>/dev/null'
t "bad fault regex rejected" eval '! fake_fault "{\"action\":\"drop\",\"path\":\"(\"}" 2>/dev/null'
t_is "$(fake_ctl GET /_fake/faults)" "[]" "no faults left queued"

# ------------------------------------------------------------ stats, keep-alive
fake_ctl DELETE /_fake/stats >/dev/null
fake_clear_log
curl -q -sS --noproxy '*' --cacert "$FAKE_CA" -H "Authorization: tok-admin" \
    -o /dev/null -o /dev/null "$FAKE_URL/api/v2/caller-identity" \
    "$FAKE_URL/api/v2/caller-identity"
fake_stats >"$tmp/stats.json"
t "stats: 2 requests over 1 connection, 1 TLS handshake" js "$tmp/stats.json" \
    "d['requests'] == 2 and d['connections'] == 1 and d['tls_handshakes'] == 1"
t "log: both requests on one connection" eval 'fake_log |
    jget - "d[0][\"connection\"] == d[1][\"connection\"] and [e[\"conn_request\"] for e in d] == [1, 2]" | grep -qx true'

# ------------------------------------------------------------ seeding
code=$(fake_ctl POST /_fake/configs \
    '{"name":"seeded","id":"0123456789abcdef01234567","key":"rel-00000000-0000-4000-8000-000000000001","creationDate":1600000000000}' |
    jget - 'd["displayKey"]')
t_is "$code" 0001 "seed with id and key"
t "seeded key valid" fake_key_valid rel-00000000-0000-4000-8000-000000000001
code=$(fake_req GET "$C/0123456789abcdef01234567" tok-reader)
t_is "$code $(jb 'd["creationDate"]')" "200 1600000000000" "seeded config served"
t "seed with an existing id rejected" eval '! fake_ctl POST /_fake/configs "{\"name\":\"x\",\"id\":\"0123456789abcdef01234567\"}" 2>/dev/null'
t "fake_seed prints the full key" eval '[[ $(fake_seed "via helper" | jget - "d[\"fullKey\"]") =~ $UUID_RX ]]'
t0=$(ms)
code=$(fake_ctl POST /_fake/configs '{"bulk":5000,"prefix":"relay-"}' | jget - 'd["count"]')
t_is "$code" 5000 "bulk seed 5000"
code=$(fake_req GET "$C" tok-admin)
t1=$(ms)
t "list returns all 5000 + earlier" jt 'len(d["items"]) >= 5003 and any(i["name"] == "relay-0001" for i in d["items"])'
t "bulk seed and list of 5000 under 5 s" eval '[ $((t1 - t0)) -lt 5000 ]'
fake_ctl DELETE /_fake/configs >/dev/null
code=$(fake_req GET "$C" tok-admin)
t_is "$(cat "$FAKE_DIR/resp.body")" '{"items":[]}' "DELETE /_fake/configs wipes"
t "unknown control endpoint: 404" eval '! fake_ctl GET /_fake/nosuch 2>/dev/null'
t "control body must be JSON: 400" eval '! fake_ctl POST /_fake/clock "nope" 2>/dev/null'

# ------------------------------------------------------------ SIGTERM, --plain-http, shutdown
pid=$FAKE_PID
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
wait "$pid"
t_is "$?" 0 "SIGTERM: clean exit 0"
FAKE_PID=
t "port file removed on exit" test ! -e "$tmp/fake/port"

if fake_start "$tmp/plain" --plain-http --no-creator; then
	t_is "$FAKE_URL" "http://127.0.0.1:$FAKE_PORT" "--plain-http: http URL"
	t "--no-creator: no _creator" eval 'fake_seed plain | jget - "\"_creator\" not in d" | grep -qx true'
	fake_ctl POST /_fake/shutdown >/dev/null
	i=0
	while kill -0 "$FAKE_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	wait "$FAKE_PID"
	t_is "$?" 0 "POST /_fake/shutdown: clean exit 0"
	FAKE_PID=
else
	t "fake_start --plain-http" false
fi

echo "1..$n"
if [ "$fails" -ne 0 ]; then
	echo "# $fails of $n failed"
	exit 1
fi
exit 0
