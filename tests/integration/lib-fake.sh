# lib-fake.sh: drive the fake LaunchDarkly API (tests/fake-ld/fake_ld.py)
# from bash test scripts.  Source it:  . "$srcdir/tests/integration/lib-fake.sh"
#
# Safe under `set -u` and `set -e`.  Registers no traps: the caller owns its
# traps and should call fake_stop from its EXIT trap.  Every curl call passes
# --cacert "$FAKE_CA" (the environment may set CURL_CA_BUNDLE/SSL_CERT_FILE),
# -q (ignore ~/.curlrc) and --noproxy '*'.
#
# Variables exported by fake_start:
#   FAKE_PID FAKE_PORT FAKE_URL FAKE_CA FAKE_DIR FAKE_OTHER_PORT FAKE_OTHER_URL
# Overridable before sourcing or calling:
#   FAKE_LD_PY   path of fake_ld.py (default: ../fake-ld/fake_ld.py from here)
#   FAKE_PYTHON  python interpreter (default: the one python3 resolves to)

if [ -z "${FAKE_LD_PY:-}" ]; then
	FAKE_LD_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fake-ld" && pwd)/fake_ld.py"
fi
if [ -z "${FAKE_PYTHON:-}" ]; then
	# The real interpreter, not a version-manager shim: every helper runs
	# python once or twice, so start-up time matters.
	FAKE_PYTHON=$(python3 -I -S -c 'import sys; print(sys.executable)' \
	    2>/dev/null) || FAKE_PYTHON=
	[ -n "$FAKE_PYTHON" ] || FAKE_PYTHON=python3
fi

# fake__py ARGS...: the interpreter, isolated (-I) and without site (-S);
# the fake and the helpers need only the standard library.
fake__py() {
	"$FAKE_PYTHON" -I -S "$@"
}

# fake__curl ARGS...: curl with the options every helper needs.
fake__curl() {
	curl -q -sS --noproxy '*' --cacert "${FAKE_CA:-/dev/null}" "$@"
}

# fake_make_ca DIR: make a throwaway PKI with the openssl CLI (EC P-256):
#   DIR/ca.pem DIR/ca.key            private CA
#   DIR/server.pem DIR/server.key    server cert for IP:127.0.0.1, DNS:localhost
#                                    signed by that CA
#   DIR/other-ca.pem DIR/other-ca.key  an unrelated CA ("wrong CA" tests)
# Uses its own openssl config (ignores OPENSSL_CONF).  Returns non-zero and
# prints openssl's errors on failure.
fake_make_ca() {
	local dir=$1
	mkdir -p "$dir" || return 1
	(
		umask 077
		cd "$dir" || exit 1
		cat >openssl-fake.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ldrt-fake
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_srv]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
		local ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
		# Any failing step reaches the error block, which exits.
		# shellcheck disable=SC2086,SC2015
		openssl req -config openssl-fake.cnf -x509 -extensions v3_ca $ec \
		    -keyout ca.key -out ca.pem -days 30 \
		    -subj "/CN=ld-relay-token test CA" 2>openssl.err &&
		openssl req -config openssl-fake.cnf -new $ec \
		    -keyout server.key -out server.csr \
		    -subj "/CN=localhost" 2>>openssl.err &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$(openssl rand -hex 8)" -days 30 \
		    -extfile openssl-fake.cnf -extensions v3_srv \
		    -out server.pem 2>>openssl.err &&
		openssl req -config openssl-fake.cnf -x509 -extensions v3_ca $ec \
		    -keyout other-ca.key -out other-ca.pem -days 30 \
		    -subj "/CN=ld-relay-token unrelated CA" 2>>openssl.err ||
		{ cat openssl.err >&2; exit 1; }
		chmod 644 ca.pem other-ca.pem server.pem
		rm -f server.csr
	)
}

# fake_start DIR [EXTRA ARGS...]: start fake_ld.py in the background with its
# state in DIR (made if missing; the CA too, unless DIR/ca.pem, server.pem and
# server.key exist).  EXTRA ARGS go to fake_ld.py, e.g. --tokens FILE,
# --plain-http, --retired-keys latest-only, --no-creator.  Waits (bounded,
# 10 s, polling DIR/port) until it listens.  Sets and exports FAKE_PID,
# FAKE_PORT, FAKE_URL (https://127.0.0.1:PORT, http:// with --plain-http),
# FAKE_CA, FAKE_DIR, FAKE_OTHER_PORT, FAKE_OTHER_URL.  Its stdout/stderr go
# to DIR/fake.out and DIR/fake.err.  Call it in the current shell (not in
# $(...)), so that the variables survive and fake_stop can wait for it.
fake_start() {
	local dir=$1 scheme=https a i=0
	shift
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/server.pem" ] ||
	    [ ! -f "$dir/server.key" ]; then
		fake_make_ca "$dir" || return 1
	fi
	for a in "$@"; do
		if [ "$a" = --plain-http ]; then
			scheme=http
		fi
	done
	rm -f "$dir/port" "$dir/other_port"
	"$FAKE_PYTHON" -I -S "$FAKE_LD_PY" --port 0 --cert "$dir/server.pem" \
	    --key "$dir/server.key" --state-dir "$dir" "$@" \
	    </dev/null >>"$dir/fake.out" 2>>"$dir/fake.err" &
	FAKE_PID=$!
	while [ ! -s "$dir/port" ]; do
		if ! kill -0 "$FAKE_PID" 2>/dev/null; then
			echo "fake_start: fake_ld.py exited early:" >&2
			cat "$dir/fake.err" >&2
			wait "$FAKE_PID" 2>/dev/null || true
			FAKE_PID=
			return 1
		fi
		i=$((i + 1))
		if [ "$i" -ge 200 ]; then
			echo "fake_start: no $dir/port after 10 s" >&2
			fake_stop
			return 1
		fi
		sleep 0.05
	done
	FAKE_PORT=$(cat "$dir/port")
	FAKE_OTHER_PORT=$(cat "$dir/other_port")
	FAKE_URL="$scheme://127.0.0.1:$FAKE_PORT"
	FAKE_OTHER_URL="$scheme://127.0.0.1:$FAKE_OTHER_PORT"
	FAKE_CA="$dir/ca.pem"
	FAKE_DIR=$dir
	export FAKE_PID FAKE_PORT FAKE_URL FAKE_CA FAKE_DIR FAKE_OTHER_PORT \
	    FAKE_OTHER_URL
}

# fake__keylog SECRET: appends SECRET to $LDRT_KEYLOG (when set), the list
# of every token and relay key the suite has seen; tests/leak-scan.sh
# checks afterwards that none of them reached a test log.
fake__keylog() {
	[ -n "${LDRT_KEYLOG:-}" ] || return 0
	printf '%s\n' "$1" >>"$LDRT_KEYLOG"
}

# fake__keylog_state: every current and retired key of the fake, to
# $LDRT_KEYLOG (when set).
fake__keylog_state() {
	[ -n "${LDRT_KEYLOG:-}" ] || return 0
	fake_state 2>/dev/null | fake__py -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for c in d.get("configs", []):
    for k in [c.get("fullKey")] + [r.get("key") for r in c.get("retired", c.get("retiredKeys", [])) if isinstance(r, dict)]:
        if k:
            print(k)' >>"$LDRT_KEYLOG" 2>/dev/null || true
}

# fake_stop: stop the fake started by fake_start (TERM, up to 5 s, then KILL)
# and reap it.  A no-op when none is running; always returns 0.
fake_stop() {
	local i=0
	[ -n "${FAKE_PID:-}" ] || return 0
	fake__keylog_state
	kill -TERM "$FAKE_PID" 2>/dev/null || true
	while kill -0 "$FAKE_PID" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge 100 ]; then
			kill -KILL "$FAKE_PID" 2>/dev/null || true
			break
		fi
		sleep 0.05
	done
	wait "$FAKE_PID" 2>/dev/null || true
	FAKE_PID=
	return 0
}

# fake_ctl METHOD PATH [JSON|-]: call the control interface (/_fake/...);
# JSON is the request body ("-" reads it from stdin).  Prints the response
# body; returns 1 (and prints the status and body on stderr) unless 2xx.
fake_ctl() {
	local method=$1 path=$2 out code
	if [ $# -ge 3 ]; then
		if [ "$3" = - ]; then
			out=$(fake__curl -X "$method" -H 'Content-Type: application/json' \
			    --data-binary @- -w '\n%{http_code}' "$FAKE_URL$path") || return 1
		else
			out=$(printf '%s' "$3" | fake__curl -X "$method" \
			    -H 'Content-Type: application/json' --data-binary @- \
			    -w '\n%{http_code}' "$FAKE_URL$path") || return 1
		fi
	else
		out=$(fake__curl -X "$method" -w '\n%{http_code}' "$FAKE_URL$path") ||
		    return 1
	fi
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	case $code in
	2??)
		printf '%s\n' "$out"
		;;
	*)
		echo "fake_ctl $method $path: HTTP $code: $out" >&2
		return 1
		;;
	esac
}

# fake_json_get FILE|- EXPR: load JSON from FILE (or stdin) and print the
# Python expression EXPR evaluated with the data bound to `d`, e.g.
#   fake_json_get resp.json 'd["items"][0]["_id"]'
#   fake_json_get - 'len(d["items"])'
# Strings print raw; anything else prints as JSON (true, null, [..]).
# Returns 1 if the JSON does not parse or EXPR raises.
fake_json_get() {
	fake__py -c '
import json, sys
src, expr = sys.argv[1], sys.argv[2]
try:
    d = json.load(sys.stdin if src == "-" else open(src))
    v = eval(expr, {"json": json, "re": __import__("re"), "d": d})
except Exception as e:
    sys.stderr.write("fake_json_get: %s: %r\n" % (expr, e))
    sys.exit(1)
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$2"
}

# fake_add_token TOKEN ROLE [NAME]: accept TOKEN with ROLE (admin, writer,
# reader, none, norelay).  The token goes through stdin, not argv.
fake_add_token() {
	fake__keylog "$1"
	FAKE__T=$1 FAKE__R=$2 FAKE__N=${3:-} fake__py -c '
import json, os
o = {"token": os.environ["FAKE__T"], "role": os.environ["FAKE__R"]}
if os.environ["FAKE__N"]:
    o["name"] = os.environ["FAKE__N"]
print(json.dumps(o))' | fake_ctl POST /_fake/tokens - >/dev/null
}

# fake_fault JSON: queue a fault (an object, a list, or {"faults":[..]});
# see tests/fake-ld/README.md.  Prints the control reply.
fake_fault() {
	fake_ctl POST /_fake/faults "$1"
}

# fake_clear_faults: drop every queued fault.
fake_clear_faults() {
	fake_ctl DELETE /_fake/faults >/dev/null
}

# fake_log: print the request log (JSON list) of the API port.
fake_log() {
	fake_ctl GET /_fake/log
}

# fake_clear_log: empty the request log.
fake_clear_log() {
	fake_ctl DELETE /_fake/log >/dev/null
}

# fake_other_log: print the "other host" listener's request log (JSON list).
fake_other_log() {
	fake_ctl GET /_fake/other-log
}

# fake_state: print every config with its current full key and retired keys.
fake_state() {
	fake_ctl GET /_fake/state
}

# fake_stats: print {"connections","tls_handshakes","requests",...}.
fake_stats() {
	fake_ctl GET /_fake/stats
}

# fake_wait_idle [SECONDS]: wait until the fake answers no API request (a
# delayed one the client gave up on included); status 1 if it is still busy
# after SECONDS (default 10).
fake_wait_idle() {
	fake_ctl GET "/_fake/idle?timeout=${1:-10}" >/dev/null
}

# fake_clock OFFSET_MS: set the server clock to real time + OFFSET_MS.
fake_clock() {
	fake_ctl POST /_fake/clock "{\"offset_ms\": $1}" >/dev/null
}

# fake_config JSON: change settings, e.g. '{"retired_keys":"latest-only"}',
# '{"creator":false}'.  Prints the resulting settings.
fake_config() {
	fake_ctl POST /_fake/config "$1"
}

# fake_seed NAME: create a config directly (no API token); prints its
# representation including fullKey.  For more options (id, key, policy,
# creationDate, bulk) call fake_ctl POST /_fake/configs JSON.
fake_seed() {
	FAKE__N=$1 fake__py -c '
import json, os
print(json.dumps({"name": os.environ["FAKE__N"]}))' |
	    fake_ctl POST /_fake/configs -
}

# fake_key_valid KEY|-: exit 0 if the relay key is currently valid (current
# key, or a retired key before its expiry), 1 if not, 2 on error.  With "-"
# (or no argument) the key is read from stdin.  The key goes to curl on
# stdin, never in an argv.
fake_key_valid() {
	local out
	if [ "${1:--}" = - ]; then
		out=$(fake__curl -X POST -H 'Content-Type: text/plain' \
		    --data-binary @- "$FAKE_URL/_fake/keycheck") || return 2
	else
		out=$(printf '%s' "$1" | fake__curl -X POST \
		    -H 'Content-Type: text/plain' --data-binary @- \
		    "$FAKE_URL/_fake/keycheck") || return 2
	fi
	# The fake writes compact JSON with "valid" first.
	case $out in
	'{"valid":true,'*)
		return 0
		;;
	'{"valid":false,'*)
		return 1
		;;
	esac
	return 2
}

# fake_count METHOD PATH_REGEX [STATUS]: print how many logged API requests
# have METHOD ("*" = any; matches the wire or the X-HTTP-Method-Override
# method) and a path matching PATH_REGEX (Python re.search; the path has no
# query string), optionally answered with STATUS ("none" = no answer sent).
fake_count() {
	fake_log | fake__py -c '
import json, re, sys
m, rx = sys.argv[1], re.compile(sys.argv[2])
want = sys.argv[3] if len(sys.argv) > 3 else None
n = 0
for e in json.load(sys.stdin):
    if m != "*" and m not in (e["method"], e.get("effective_method")):
        continue
    if not rx.search(e["path"]):
        continue
    if want is not None:
        got = "none" if e["status"] is None else str(e["status"])
        if got != want:
            continue
    n += 1
print(n)' "$@"
}

# fake_req METHOD PATH [TOKEN [BODY]]: one raw API request (for tests of the
# fake itself and for setting up state).  TOKEN "" sends no Authorization.
# BODY, if given, is sent with Content-Type: application/json.  Writes the
# body to $FAKE_DIR/resp.body, the headers to $FAKE_DIR/resp.headers and
# curl's exit code to $FAKE_DIR/resp.rc; prints the HTTP status (000 if there
# was no response).  Always returns 0.  Extra curl options: FAKE_CURL_OPTS
# (word-split).
fake_req() {
	local method=$1 path=$2 tok=${3:-} code rc=0
	local -a args=(-X "$method" -o "$FAKE_DIR/resp.body"
	    -D "$FAKE_DIR/resp.headers" -w '%{http_code}'
	    --max-time "${FAKE_REQ_TIMEOUT:-20}")
	if [ -n "$tok" ]; then
		args+=(-H "Authorization: $tok")
	fi
	if [ $# -ge 4 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$4")
	fi
	: >"$FAKE_DIR/resp.body"
	: >"$FAKE_DIR/resp.headers"
	# shellcheck disable=SC2086
	code=$(fake__curl "${args[@]}" ${FAKE_CURL_OPTS:-} "$FAKE_URL$path" 2>/dev/null) ||
	    rc=$?
	echo "$rc" >"$FAKE_DIR/resp.rc"
	echo "${code:-000}"
	return 0
}

# fake_resp_header NAME: print the value of header NAME from the last
# fake_req response (case-insensitive; the last one wins, e.g. after
# redirects; empty if absent).
fake_resp_header() {
	local name=${1,,} line k v val=
	while IFS= read -r line; do
		line=${line%$'\r'}
		k=${line%%:*}
		if [ "$k" != "$line" ] && [ "${k,,}" = "$name" ]; then
			v=${line#*:}
			val=${v#"${v%%[! ]*}"}
		fi
	done <"$FAKE_DIR/resp.headers"
	printf '%s\n' "$val"
}
