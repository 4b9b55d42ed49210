#!/bin/bash
# t21-http.sh: the HTTP behaviour of issue 3 against the fake API: headers,
# 401, 429 waits, 5xx retries (GET only), lost responses, malformed,
# truncated and oversized bodies, HTML error pages, redirects, TLS, refused
# connections, timeouts, proxies and keep-alive.  Every error message is one
# line without the token.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
ldrt_login "$ADMIN_TOKEN"

LIST='^/api/v2/account/relay-auto-configs$'

# now_ms: wall clock in ms.
now_ms() {
	date +%s%3N
}

# timed_run ARGS...: t_run, and the elapsed time in $MS.
timed_run() {
	local t0
	t0=$(now_ms)
	t_run "$@"
	MS=$(($(now_ms) - t0))
}

# err_ok DESC: the usual checks of a failed command's stderr: one line,
# no token, no core dump.
err_ok() {
	[ "$(wc -l <"$T/err")" -eq 1 ]
	ok $? "$1: the error is one line" || t_diag_file "$T/err" stderr
	expect_no_secret "$ADMIN_TOKEN" "$1: the error does not contain the token"
	[ "$RC" -lt 128 ] && ! compgen -G "$T/core*" >/dev/null
	ok $? "$1: no crash (rc $RC, no core file)"
}

# fresh: clear faults and the request log (kept in $T/logs/ for the
# check of headers on every request at the end).
NLOG=0
mkdir -p "$T/logs"
fresh() {
	fake_clear_faults
	NLOG=$((NLOG + 1))
	fake_log >"$T/logs/$NLOG.json"
	fake_clear_log
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# fake_drop_token TOKEN: make the fake forget TOKEN (token via stdin).
fake_drop_token() {
	FAKE__T=$1 python3 -c 'import json,os; print(json.dumps({"token": os.environ["FAKE__T"], "role": None}))' |
	    fake_ctl POST /_fake/tokens - >/dev/null
}

ulimit -c unlimited 2>/dev/null
cd "$T" || t_bail "cannot cd to $T"

# ---- 401: no request after it -----------------------------------------------
REVOKED=$(ldrt_rand_token)
fake_add_token "$REVOKED" admin revoked
t_run_in "$REVOKED" -p revoked login --token-stdin
expect_rc 0 "a second profile logs in"
fake_drop_token "$REVOKED"
fresh
t_run -p revoked list
expect_rc 77 "list with a revoked token: 77"
n=$(fake_count '*' '.')
[ "$n" = 1 ]
ok $? "exactly one request after a 401, no retry (got $n)"
expect_err_match 'Invalid access token' "the 401 message is the server's"
expect_no_secret "$REVOKED" "the revoked token is not shown"
err_ok "401"
fresh
t_run -p revoked status
expect_rc 77 "status with a revoked token: 77"
n=$(fake_count '*' '.')
[ "$n" = 1 ]
ok $? "status stops at the first 401 (got $n requests)"
expect_no_secret "$REVOKED" "status does not show the revoked token"

# ---- 429 ------------------------------------------------------------------
fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"rate_limit","reset_offset_ms":1000}' >/dev/null
timed_run -v list
expect_rc 0 "429 once, then success"
[ "$MS" -ge 800 ]
ok $? "the command waited for the rate-limit reset (${MS} ms >= 800)"
expect_err_match 'rate limited.*waiting [0-9]+ ms' "-v shows the wait on stderr"
n=$(fake_count GET "$LIST")
[ "$n" = 2 ]
ok $? "two list requests: 429, then 200 (got $n)"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"rate_limit","retry_after":1,"reset_offset_ms":-60000}' >/dev/null
timed_run list
expect_rc 0 "429 with Retry-After: 1 and a reset in the past, then success"
[ "$MS" -ge 950 ]
ok $? "Retry-After is honoured (${MS} ms >= 950)"

fresh
fake_fault '{"action":"rate_limit","reset_offset_ms":-5000,"count":-1}' >/dev/null
timed_run list
expect_rc 75 "persistent 429: 75"
[ "$MS" -lt 10000 ]
ok $? "persistent 429 gives up in bounded time (${MS} ms)"
n=$(fake_count GET "$LIST" 429)
[ "$n" = 5 ]
ok $? "at most 5 tries when rate limited (got $n)"
expect_err_match 'rate limited.*retry after [0-9]{4}-[0-9]{2}-[0-9]{2}T' "the message says when to retry"
err_ok "persistent 429"

# 429 on create: nothing was applied, so it is retried
fresh
fake_fault '{"method":"POST","action":"rate_limit","reset_offset_ms":-1000}' >/dev/null
t_run create limited --policy "$T/policy.json"
expect_rc 0 "429 on create, then success"
n=$(fake_count POST "$LIST")
[ "$n" = 2 ]
ok $? "create retried after 429 (got $n creates)"
n=$(fake_state | fake_json_get - "len([c for c in d['configs'] if c['name'] == 'limited'])")
[ "$n" = 1 ]
ok $? "exactly one config created"

# ---- 5xx ------------------------------------------------------------------
fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":503}' >/dev/null
t_run list
expect_rc 0 "503 on list once: retried, then success"
n=$(fake_count GET "$LIST")
[ "$n" = 2 ]
ok $? "two list requests: 503, then 200 (got $n)"

fresh
fake_fault '{"method":"GET","action":"status","status":503,"count":-1}' >/dev/null
timed_run list
expect_rc 69 "persistent 503 on list: 69"
n=$(fake_count GET "$LIST")
[ "$n" = 3 ]
ok $? "3 tries for persistent 503 (got $n)"
[ "$MS" -lt 10000 ]
ok $? "persistent 503 gives up in bounded time (${MS} ms)"
expect_err_match '503' "the message names the status"
err_ok "persistent 503"

fresh
fake_fault '{"method":"POST","action":"status","status":503,"count":-1}' >/dev/null
t_run create no503 --policy "$T/policy.json"
expect_rc 69 "503 on create: 69"
n=$(fake_count POST "$LIST")
[ "$n" = 1 ]
ok $? "503 on create is not retried (got $n creates)"
err_ok "503 on create"

fresh
fake_fault '{"method":"PATCH","action":"status","status":503,"count":-1}' >/dev/null
t_run update limited --rename limited503
expect_rc 69 "503 on update: 69"
n=$(fake_count PATCH '.')
[ "$n" = 1 ]
ok $? "503 on update is not retried (got $n PATCHes)"
err_ok "503 on update"

ldrt_create del503
fresh
fake_fault '{"method":"DELETE","action":"status","status":503}' >/dev/null
t_run delete del503 --yes
expect_rc 0 "503 once on delete: retried, then success"
n=$(fake_count DELETE '.')
[ "$n" = 2 ]
ok $? "two DELETEs: 503, then 204 (got $n)"

# ---- lost responses -------------------------------------------------------
fresh
fake_fault '{"method":"POST","path":"relay-auto-configs$","action":"apply_then_drop"}' >/dev/null
t_run create dropped --policy "$T/policy.json"
[ "$RC" = 75 ] || [ "$RC" = 76 ]
ok $? "create applied then dropped: 75 or 76 (got $RC)"
n=$(fake_count POST "$LIST")
[ "$n" = 1 ]
ok $? "exactly one create sent (got $n)"
expect_err_match 'may have been created' "the message says a config may exist"
err_ok "apply-then-drop on create"

fresh
fake_fault '{"method":"PATCH","action":"apply_then_drop"}' >/dev/null
t_run update dropped --rename dropped2
expect_rc 75 "update applied then dropped: 75"
n=$(fake_count PATCH '.')
[ "$n" = 1 ]
ok $? "exactly one PATCH sent (got $n)"
err_ok "apply-then-drop on update"

# DELETE is idempotent: the retry finds it gone and that is success
ldrt_create delme
DID=$CREATED_ID
fresh
fake_fault '{"method":"DELETE","action":"apply_then_drop"}' >/dev/null
t_run delete delme --yes
expect_rc 0 "delete applied then dropped: retried, 404, success"
n=$(fake_count DELETE "/$DID\$")
[ "$n" = 2 ]
ok $? "the delete was retried once (got $n)"
t_run get delme
expect_rc 67 "the stored key is gone"

# ---- bodies ---------------------------------------------------------------
fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":200,"body":"{\"items\": [ {\"_id\": tru"}' >/dev/null
t_run list
expect_rc 76 "malformed JSON on list: 76"
err_ok "malformed body"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":200,"body":"<html>hi</html>","content_type":"text/html"}' >/dev/null
t_run list
expect_rc 76 "an HTML 200 on list: 76"
err_ok "HTML 200"
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":200,"body":""}' >/dev/null
t_run list
expect_rc 76 "an empty 200 on list: 76"
err_ok "empty 200"
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"status","status":200,"body":{"items":[{"_id":"x"}]}}' >/dev/null
t_run list
expect_rc 76 "a list item without its required fields: 76"
err_ok "incomplete item"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"truncate","content_length":"cut"}' >/dev/null
t_run list
expect_rc 76 "truncated JSON (complete message) on list: 76"
err_ok "truncated body (cut)"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"truncate","content_length":"full","count":-1}' >/dev/null
t_run list
expect_rc 76 "short transfer (Content-Length not reached) on list: 76"
err_ok "truncated body (short transfer)"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"huge","mib":50}' >/dev/null
timed_run list
expect_rc 76 "50 MiB body on list: 76"
expect_err_match 'too large' "the message says the body is too large"
err_ok "50 MiB body"
n=$(fake_count GET "$LIST")
[ "$n" = 1 ]
ok $? "an oversized body is not retried (got $n)"

# (on create, which is not retried, to keep the script fast)
fresh
fake_fault '{"method":"POST","action":"non_json","status":502}' >/dev/null
t_run create html502 --policy "$T/policy.json"
expect_rc 69 "an HTML 502 page: 69"
expect_err_match 'HTTP 502' "the message has the status line"
expect_err_no_match '<|html|nginx' "the message has no HTML"
err_ok "HTML 502"

fresh
fake_fault '{"method":"GET","action":"non_json","status":403}' >/dev/null
t_run list
expect_rc 77 "an HTML 403 page: 77"
expect_err_match 'HTTP 403' "the message has the status line"
expect_err_no_match '<|html|nginx' "the message has no HTML"
err_ok "HTML 403"

# ---- redirects ------------------------------------------------------------
fresh
fake_ctl DELETE /_fake/other-log >/dev/null
fake_fault '{"method":"GET","action":"redirect","status":302}' >/dev/null
t_run list
[ "$RC" -ne 0 ]
ok $? "a redirect is an error (rc $RC)"
expect_err_match "127\\.0\\.0\\.1:$FAKE_OTHER_PORT" "the message names the other host"
err_ok "redirect"
fake_other_log >"$T/other.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(1 if any(r.get("auth_present") or "authorization" in {k.lower() for k in r.get("headers",{})} for r in d) else 0)' "$T/other.json"
ok $? "no Authorization reached the other host"
n=$(fake_json_get "$T/other.json" 'len(d)')
[ "$n" = 0 ]
ok $? "the other host got no request at all (got $n)"

fresh
fake_fault '{"method":"POST","action":"redirect","status":307}' >/dev/null
t_run create redirected --policy "$T/policy.json"
[ "$RC" -ne 0 ]
ok $? "a 307 on create is an error (rc $RC)"
n=$(fake_json_get "$(fake_other_log >"$T/other.json"; echo "$T/other.json")" 'len(d)')
[ "$n" = 0 ]
ok $? "the create was not re-sent to the other host (got $n)"

# ---- TLS ------------------------------------------------------------------
fresh
fake_ctl DELETE /_fake/stats >/dev/null
t_run --ca-bundle "$FAKE_DIR/other-ca.pem" list
expect_rc 69 "a CA bundle that does not trust the server: 69"
expect_err_match 'ca-bundle' "the message hints at --ca-bundle"
err_ok "wrong CA"
fake_stats >"$T/stats.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["requests"] == 0 and d["tls_failures"] >= 1 else 1)' "$T/stats.json"
ok $? "the fake saw a failed handshake and no request"
LDRT_CA_BUNDLE=$FAKE_DIR/other-ca.pem t_run list
expect_rc 69 "LDRT_CA_BUNDLE with the wrong CA: 69"
t_run --ca-bundle "$T/no-such-ca.pem" list
expect_rc 66 "a CA bundle that does not exist: 66"
err_ok "missing CA bundle"
LDRT_CA_BUNDLE='' t_run list
expect_rc 69 "the system CAs do not trust the fake's CA: 69"

# ---- connection problems --------------------------------------------------
# the token for a host nobody listens on comes as a systemd credential
mkdir -p "$T/creds"
printf '%s' "$ADMIN_TOKEN" >"$T/creds/ld-api-token"
PORT=$(free_port)
CREDENTIALS_DIRECTORY=$T/creds timed_run --api-url "https://127.0.0.1:$PORT" list
expect_rc 75 "connection refused: 75"
[ "$MS" -lt 10000 ]
ok $? "connection refused gives up in bounded time (${MS} ms)"
err_ok "connection refused"

fresh
fake_fault '{"method":"GET","path":"relay-auto-configs$","action":"delay","seconds":2,"count":-1}' >/dev/null
timed_run --timeout 1 list
expect_rc 75 "a response slower than --timeout 1: 75"
[ "$MS" -ge 3000 ] && [ "$MS" -lt 8000 ]
ok $? "timeout within 3 tries x timeout + backoff (${MS} ms)"
expect_err_match 'timed out' "the message says it timed out"
err_ok "timeout"
n=$(fake_count GET "$LIST")
[ "$n" = 3 ]
ok $? "a timed-out GET is tried 3 times (got $n)"

fresh
fake_fault '{"method":"POST","action":"delay","seconds":3,"when":"after"}' >/dev/null
timed_run --timeout 2 create slow --policy "$T/policy.json"
expect_rc 75 "a create slower than --timeout 2: 75"
[ "$MS" -lt 7000 ]
ok $? "a timed-out create is not retried (${MS} ms)"
n=$(fake_count POST "$LIST")
[ "$n" = 1 ]
ok $? "exactly one create sent (got $n)"
expect_err_match 'may have been created' "the message says a config may exist"
n=$(fake_state | fake_json_get - "len([c for c in d['configs'] if c['name'] == 'slow'])")
[ "$n" = 1 ]
ok $? "the fake did create it (the answer was lost, not the request)"

# ---- proxies --------------------------------------------------------------
DEAD=$(free_port)
fresh
t_run --proxy "http://127.0.0.1:$DEAD" list
expect_rc 75 "--proxy to a dead port: 75 (the option is used)"
err_ok "--proxy"
https_proxy=http://127.0.0.1:$DEAD t_run list
expect_rc 75 "https_proxy to a dead port: 75 (the environment is used)"
err_ok "https_proxy"
n=$(fake_count '*' '.')
[ "$n" = 0 ]
ok $? "no request reached the fake directly (got $n)"
https_proxy=http://127.0.0.1:$DEAD no_proxy=127.0.0.1 t_run list
expect_rc 0 "no_proxy exempts the API host"

# A working CONNECT proxy: the request goes through it, TLS is still
# verified end to end, and the proxy sees only the CONNECT line.
cat >"$T/proxy.py" <<'PY'
import select, socket, socketserver, sys
log = open(sys.argv[1], "a", buffering=1)
class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        log.write(line + "\n")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = parts[1].rsplit(":", 1)
        up = socket.create_connection((host, int(port)))
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        a, b = self.connection, up
        while True:
            r, _, _ = select.select([a, b], [], [], 30)
            if not r:
                break
            for s in r:
                try:
                    d = s.recv(65536)
                    if d:
                        (b if s is a else a).sendall(d)
                except OSError:
                    d = b""
                if not d:
                    up.close()
                    return
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
coproc PROXY { exec python3 "$T/proxy.py" "$T/proxy.log" 2>"$T/proxy.err"; }
t_cleanup_push kill "$PROXY_PID"
PPORT=
read -r -t 20 PPORT <&"${PROXY[0]}"
[ -n "$PPORT" ] || t_bail "the test proxy did not start"
fresh
t_run --proxy "http://127.0.0.1:$PPORT" list
expect_rc 0 "list through a working --proxy: 0"
grep -q "^CONNECT 127\.0\.0\.1:$FAKE_PORT HTTP/1\.[01]\$" "$T/proxy.log"
ok $? "the request went through the proxy (CONNECT logged)"
grep -q -i -e authorization -e "$ADMIN_TOKEN" "$T/proxy.log"
[ $? = 1 ]
ok $? "the proxy saw neither the token nor an Authorization header"
: >"$T/proxy.log"
https_proxy=http://127.0.0.1:$PPORT t_run list
expect_rc 0 "list through https_proxy: 0"
grep -q '^CONNECT ' "$T/proxy.log"
ok $? "https_proxy is used (CONNECT logged)"
https_proxy=http://127.0.0.1:$PPORT t_run --ca-bundle "$FAKE_DIR/other-ca.pem" list
expect_rc 69 "through the proxy, the server certificate is still verified: 69"

# ---- configuration --------------------------------------------------------
t_run --api-url http://example.com list
expect_rc 78 "plain http:// to a non-loopback host: 78"
err_ok "plain http"

# ---- verbose output never shows the token ---------------------------------
t_run -v -v status
expect_rc 0 "status -v -v exits 0"
expect_no_secret "$ADMIN_TOKEN" "-v -v does not print the token"
expect_err_no_match '[Aa]uthorization' "-v -v does not print the Authorization header"

# ---- keep-alive -----------------------------------------------------------
fresh
fake_ctl DELETE /_fake/stats >/dev/null
t_run status
expect_rc 0 "status exits 0"
fake_stats >"$T/stats.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["requests"] >= 2 and d["connections"] == 1 else 1)' "$T/stats.json"
ok $? "status makes its requests over one connection"
t_diag_file "$T/stats.json" stats
n=$(fake_log | fake_json_get - 'len(set(r["connection"] for r in d))')
[ "$n" = 1 ]
ok $? "every request in the log shares one connection id (got $n)"

# ---- headers on every request ----------------------------------------------
fresh
t_run list
t_run show limited
t_run update limited --rename limited2 --comment c
t_run delete limited2 --yes
fresh
python3 - "$T"/logs/*.json <<'PY'
import json, sys
log = [r for f in sys.argv[1:] for r in json.load(open(f))]
assert len(log) >= 40, len(log)
for r in log:
    h = {k.lower(): v for k, v in r["headers"].items()}
    assert h.get("ld-api-version") == "20240415", r
    assert r["auth_present"] and not r["auth_has_scheme"], r
    assert h.get("accept") == "application/json", r
    if r["method"] in ("POST", "PATCH"):
        assert h.get("content-type") == "application/json", r
methods = {r["method"] for r in log}
assert {"GET", "POST", "PATCH", "DELETE"} <= methods, methods
print("# %d requests checked" % len(log))
PY
ok $? "every request of this script sent LD-API-Version 20240415, the raw token and Accept"

t_done
