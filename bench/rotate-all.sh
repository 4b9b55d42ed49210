#!/bin/bash
# bench/rotate-all.sh: `rotate --all` over 200 relays (no exec, one env file
# each) against the same work done with peer tools: one curl command line
# doing the 200 resets over one connection, one python3 parse of the 200
# answers that also writes the 200 env files, then 200 `secret-tool store`
# calls, each with its key on stdin.  Target (issue 10): wall <= 1.0x, and
# exactly one TLS handshake per run of the tool (the fake counts them).
#
# The two sides rotate disjoint sets of 200 configs in the same fake and the
# same private keyring, so neither sees the other's resets as "changed
# elsewhere" and both pay for a keyring of the same size.  A run is a fresh
# rotation of all 200 (no --if-older-than).  BENCH_ROTATE_N changes the 200,
# BENCH_ROTATE_RUNS the 5 runs per side.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
n=${BENCH_ROTATE_N:-200}
runs=${BENCH_ROTATE_RUNS:-5}
bench_setup
# one retired key per config, so the fake's state does not grow run by run
fake_config '{"retired_keys":"latest-only"}' >/dev/null || exit 1
fake_ctl POST /_fake/configs "{\"bulk\":$n,\"prefix\":\"tool-\"}" \
    >"$BENCH_DIR/tool.json" || exit 1
fake_ctl POST /_fake/configs "{\"bulk\":$n,\"prefix\":\"peer-\"}" \
    >"$BENCH_DIR/peer.json" || exit 1
api_host=${FAKE_URL#https://}
mkdir -p "$BENCH_DIR/env-tool" "$BENCH_DIR/env-peer" || exit 1
# the tool's relay sections; the peer's list of "id name env-file"
python3 - "$BENCH_DIR" >>"$XDG_CONFIG_HOME/ld-relay-token/config" <<'EOF' ||
import json, sys
d = sys.argv[1]
for it in json.load(open(d + "/tool.json"))["items"]:
    print("\n[relay %s]\nid = %s\nenv-file = %s/env-tool/%s.env"
          % (it["name"], it["_id"], d, it["name"]))
with open(d + "/peer.list", "w") as f:
    for it in json.load(open(d + "/peer.json"))["items"]:
        f.write("%s %s %s/env-peer/%s.env\n"
                % (it["_id"], it["name"], d, it["name"]))
EOF
    exit 1
# the token goes to curl in a header file, never in argv
(umask 077 && printf 'Authorization: %s\nLD-API-Version: 20240415\n' \
    "$ADMIN_TOKEN" >"$BENCH_DIR/peer-headers") || exit 1

# The peer: curl reads its URLs from a config on stdin (-K -) so that the
# command line stays short; every URL on one curl command line shares one
# connection.  The answers arrive concatenated on stdout; python3 splits
# them, writes each env file (temp file + rename, like the tool, without
# fsync) and passes "id name key" lines to the store loop.
cat >"$BENCH_DIR/peer.sh" <<'EOF'
#!/bin/bash
set -eo pipefail
d=$BENCH_DIR
exp=$(( ($(date +%s) + 3600) * 1000 ))
while read -r id _ _; do
	printf 'url = "%s/api/v2/account/relay-auto-configs/%s/reset?expiry=%s"\n' \
	    "$FAKE_URL" "$id" "$exp"
done <"$d/peer.list" |
curl -q -sS -f --noproxy '*' --cacert "$FAKE_CA" -H @"$d/peer-headers" \
    -X POST -K - |
python3 -c '
import json, os, sys
order = [l.split() for l in open(sys.argv[1])]
env = dict((i, (n, f)) for i, n, f in order)
text, dec, pos, out = sys.stdin.read(), json.JSONDecoder(), 0, []
while pos < len(text):
    doc, pos = dec.raw_decode(text, pos)
    name, path = env[doc["_id"]]
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, ("AUTO_CONFIG_KEY=%s\n" % doc["fullKey"]).encode())
    os.close(fd)
    os.replace(tmp, path)
    out.append("%s %s %s\n" % (doc["_id"], name, doc["fullKey"]))
if len(out) != len(order):
    sys.exit("peer: %d answers for %d resets" % (len(out), len(order)))
sys.stdout.write("".join(out))
' "$d/peer.list" |
while read -r id name key; do
	printf %s "$key" | secret-tool store --label "Relay key $name" \
	    kind relay-key profile default api-host "$API_HOST" \
	    relay-id "$id" relay-name "$name"
done
EOF
chmod +x "$BENCH_DIR/peer.sh"
export API_HOST=$api_host FAKE_URL FAKE_CA BENCH_DIR

stat_field() {
	fake_stats | fake_json_get - "d[\"$1\"]"
}

# One checked run of each side first: exactly one TLS handshake, n resets.
rc=0
fake_ctl DELETE /_fake/stats >/dev/null
"$LDRT" -q rotate --all --grace 1h || exit 1
hs=$(stat_field tls_handshakes) req=$(stat_field requests)
echo "rotate --all ($n)          TLS handshakes: $hs (target 1)," \
    "API requests: $req"
[ "$hs" = 1 ] || rc=1
fake_ctl DELETE /_fake/stats >/dev/null
"$BENCH_DIR/peer.sh" || exit 1
phs=$(stat_field tls_handshakes) preq=$(stat_field requests)
echo "peer (curl + secret-tool)  TLS handshakes: $phs, API requests: $preq"
[ "$preq" = "$n" ] || { echo "peer did $preq requests, not $n" >&2; exit 1; }
n_env=$(find "$BENCH_DIR/env-tool" -name '*.env' | wc -l)
[ "$n_env" = "$n" ] || { echo "tool wrote $n_env env files" >&2; exit 1; }
# the first relay of each side: env file = stored key = the API's current key
current() {
	fake__curl -X POST -H 'Content-Type: text/plain' --data-binary @- \
	    "$FAKE_URL/_fake/keycheck" | grep -q '"current": *true'
}
read -r _ pname penv <"$BENCH_DIR/peer.list"
tenv=$(find "$BENCH_DIR/env-tool" -name '*.env' | sort | head -n 1)
tname=$(basename "$tenv" .env)
for side in tool peer; do
	if [ "$side" = tool ]; then
		name=$tname env=$tenv
		s=$("$LDRT" get "$name")
	else
		name=$pname env=$penv
		s=$(secret-tool lookup kind relay-key relay-id \
		    "$(sed -n "s/ $name .*//p" "$BENCH_DIR/peer.list")")
	fi
	k=$(sed -n 's/^AUTO_CONFIG_KEY=//p' "$env")
	if [ -z "$k" ] || [ "$k" != "$s" ] || ! printf %s "$k" | current; then
		echo "$side side: env file, store and API disagree for $name" >&2
		exit 1
	fi
done

BENCH_RUNS=$runs bench_measure --name "rotate --all ($n)" \
    --target-wall 1.0 --rss-runs 0 \
    -- "$LDRT" -q rotate --all --grace 1h \
    -- "$BENCH_DIR/peer.sh" || rc=1
if [ -n "${BENCH_JSON:-}" ]; then
	printf '{"name":"rotate --all (%s)","tls_handshakes":%s,"ok":%s}\n' \
	    "$n" "$hs" "$([ "$hs" = 1 ] && echo true || echo false)" \
	    >>"$BENCH_JSON"
fi
exit $rc
