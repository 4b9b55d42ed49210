#!/bin/bash
# t50-readers.sh: what we write is read back by the real readers.
#
# Each value of a table, hostile ones included, is rendered in every format
# by tests/unit/emit_driver; a value the table says the format can carry
# must be read back byte for byte by that format's real readers, a value it
# cannot carry must be refused with exit status 65.  Readers:
#   raw          the bytes before the final newline
#   shell        bash (set -a; . FILE) and dash (. FILE)
#   dotenv       node --env-file, python-dotenv, bash
#   systemd      systemd's own EnvironmentFile= parser (load_env_file() in
#                libsystemd-shared, through emit_driver), bash
#   docker       the docker CLI's --env-file parser: docker run against a
#                fake daemon on a unix socket that records the create request
#   json         python's json
#   k8s-secret   PyYAML (safe_load), kind/apiVersion/name checked too, and
#                kubectl's own parser (kubectl kustomize, offline)
#   curl-config  curl -K FILE against a loopback server that records the
#                Authorization header
# Then env-file merges read back by node, bash, systemd and docker.
#
# Environment: EMIT_DRIVER (default: tests/unit/emit_driver beside the
# build tree).  Prints TAP; exits 1 if anything failed.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
: "${EMIT_DRIVER:=${top_builddir:-$here/../..}/tests/unit/emit_driver}"
if [ ! -x "$EMIT_DRIVER" ]; then
	echo "Bail out! no emit_driver at $EMIT_DRIVER" >&2
	exit 1
fi
T=$(mktemp -d /tmp/t50.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESC COMMAND...: ok when COMMAND succeeds
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

for tool in node python3 bash dash curl docker kubectl; do
	command -v "$tool" >/dev/null ||
	    { echo "Bail out! $tool is not installed" >&2; exit 1; }
done
python3 -c 'import yaml, dotenv' ||
    { echo "Bail out! python3 yaml or dotenv missing" >&2; exit 1; }

# --- the readers: each writes the value of V (or the key) to stdout ---
read_raw() { python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
assert d.endswith(b"\n"), "no final newline"
sys.stdout.buffer.write(d[:-1])' "$1"; }
read_bash() { bash -c 'set -a; . "$1" && printf %s "$V"' _ "$1"; }
read_dash() { dash -c '. "$1" && printf %s "$V"' _ "$1"; }
read_node() { node --env-file="$1" -e \
    'if (process.env.V === undefined) process.exit(2);
     process.stdout.write(process.env.V)'; }
read_pydotenv() { python3 -c 'import sys, dotenv
v = dotenv.dotenv_values(sys.argv[1]).get("V")
sys.exit(2) if v is None else sys.stdout.buffer.write(v.encode())' "$1"; }
# libsystemd-shared's parser leaks by design of a one-shot call (its caller
# exits): keep LeakSanitizer quiet for this reader only in sanitizer builds.
read_systemd() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    "$EMIT_DRIVER" --read-systemd "$1" V
}
read_json() { python3 -c 'import sys, json
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["var"] == "V" and d["name"] == "prod" and d["id"] == "5f0c0ffee"
assert d["display_key"] == "****6666"
assert d["old_key_expires_at"] == "2025-12-04T10:00:00Z"
sys.stdout.buffer.write(d["key"].encode())' "$1"; }
read_yaml() { python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
assert d["apiVersion"] == "v1" and d["kind"] == "Secret", d
assert d["metadata"]["name"] == "ld-relay-prod", d
assert d["type"] == "Opaque" and list(d["stringData"]) == ["V"], d
sys.stdout.buffer.write(d["stringData"]["V"].encode())' "$1"; }
# kubectl's own YAML reader (kyaml, offline through kustomize); what it
# writes back is read by PyYAML
read_kubectl() {
	mkdir -p "$T/kz"
	cp "$1" "$T/kz/secret.yaml"
	printf 'resources:\n- secret.yaml\n' > "$T/kz/kustomization.yaml"
	kubectl kustomize "$T/kz" > "$T/kz.out" && read_yaml "$T/kz.out"
}

# docker: the CLI parses --env-file itself, then asks the daemon to create
# the container; the fake daemon records the request and fails it.
cat > "$T/fake_dockerd.py" <<'EOF'
import http.server, os, socketserver, sys
sock, out = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def address_string(self): return "local"
    def log_message(self, *a): pass
    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Api-Version", "1.45")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_HEAD(self): self.reply(200)
    def do_GET(self):
        self.reply(200, b"OK") if "/_ping" in self.path else self.reply(404, b"{}")
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "/containers/create" in self.path:
            with open(out, "wb") as f:
                f.write(body)
        self.reply(500, b'{"message":"fake daemon"}')
class S(socketserver.UnixStreamServer):
    def get_request(self):
        r, _ = super().get_request()
        return r, ("local", 0)
S(sock, H).serve_forever()
EOF
python3 "$T/fake_dockerd.py" "$T/docker.sock" "$T/docker.req" &
pids+=($!)
read_docker() {
	rm -f "$T/docker.req"
	DOCKER_HOST="unix://$T/docker.sock" DOCKER_CONFIG="$T" \
	    timeout 20 docker run --rm --env-file "$1" ldrt-none true \
	    >/dev/null 2>"$T/docker.err"
	[ -f "$T/docker.req" ] || { cat "$T/docker.err" >&2; return 1; }
	python3 -c 'import json, sys
env = json.load(open(sys.argv[1], encoding="utf-8"))["Env"]
vals = [e[2:] for e in env if e.startswith("V=")]
sys.exit(2) if len(vals) != 1 else sys.stdout.buffer.write(vals[0].encode())' \
	    "$T/docker.req"
}

# curl: a loopback server writes each request's Authorization header.
cat > "$T/auth_server.py" <<'EOF'
import http.server, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        v = self.headers.get("Authorization")
        with open(out, "wb") as f:
            f.write(b"\x00unset" if v is None else v.encode("latin-1"))
        self.send_response(204)
        self.end_headers()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
coproc AUTHSRV { exec python3 "$T/auth_server.py" "$T/auth.got"; }
pids+=($AUTHSRV_PID)
read -r auth_port <&"${AUTHSRV[0]}"
read_curl() {
	rm -f "$T/auth.got"
	curl -q -s -f -K "$1" -o /dev/null "http://127.0.0.1:$auth_port/" &&
	    cat "$T/auth.got"
}

for i in $(seq 50); do [ -S "$T/docker.sock" ] && break; sleep 0.1; done

formats=(raw shell dotenv systemd docker json k8s-secret curl-config)
declare -A readers=(
	[raw]="read_raw"
	[shell]="read_bash read_dash"
	[dotenv]="read_node read_pydotenv read_bash"
	[systemd]="read_systemd read_bash"
	[docker]="read_docker"
	[json]="read_json"
	[k8s-secret]="read_yaml read_kubectl"
	[curl-config]="read_curl"
)

# name | printf format of the value | one letter per format, in the order
# of formats[]: a = must be carried, r = must be refused (65)
values=(
	'plain|rel-8c6f7d3e-1111-4222-8333-444455556666|aaaaaaaa'
	'spaces|a b  c|aaaaaaaa'
	'quotes|it'\''s "q"|aaraaaaa'
	'dollar|$HOME $x $(id) `id`|aaaaaaaa'
	'dollar-brace|a${HOME}b|aaraaaaa'
	'backslash|back\\slash\\\\n\\|aaraaaaa'
	'hash|# not a comment #x|aaaaaaaa'
	'equals|a=b==;c&d|aaaaaaaa'
	'single-quote|'\''|aaraaaaa'
	'double-quote|"|aaaaaaaa'
	'tab|a\tb|aaaaaaar'
	'newline|a\nb|rarrraar'
	'trailing-newline|ab\n|rarrraar'
	'cr|a\rb|rarrraar'
	'escape|\033[0m|aarraaar'
	'utf8|\303\251\342\202\254\360\237\230\200|aaaaaaar'
	'invalid-utf8|\377\376|aarrrrrr'
	'empty||aaaaaaar'
	'outer-spaces| x |aaaaraar'
)

for row in "${values[@]}"; do
	IFS='|' read -r vname vfmt expect <<<"$row"
	printf -- "$vfmt" > "$T/value"
	for i in "${!formats[@]}"; do
		f=${formats[$i]}
		want=${expect:$i:1}
		"$EMIT_DRIVER" "$f" V < "$T/value" > "$T/out" 2>"$T/err"
		rc=$?
		if [ "$want" = r ]; then
			check "$f refuses $vname (65)" [ "$rc" -eq 65 ]
			continue
		fi
		if [ "$rc" -ne 0 ]; then
			not_ok "$f carries $vname: refused: $(cat "$T/err")"
			continue
		fi
		for reader in ${readers[$f]}; do
			if $reader "$T/out" > "$T/got" 2>"$T/rerr" &&
			    cmp -s "$T/got" "$T/value"; then
				ok "$f $vname read back by ${reader#read_}"
			else
				not_ok "$f $vname read back by ${reader#read_}"
				od -c "$T/out" | sed 's/^/# wrote /' | head -5
				od -c "$T/got" | sed 's/^/# got /' | head -5
				sed 's/^/# /' "$T/rerr" | head -5
			fi
		done
	done
done

# A key as long as we take (SECRET_MAX).
head -c 8192 /dev/zero | tr '\0' k > "$T/value"
for f in raw shell dotenv systemd docker json k8s-secret curl-config; do
	"$EMIT_DRIVER" "$f" V < "$T/value" > "$T/out" 2>"$T/err"
	r=${readers[$f]}
	check "$f carries an 8192-byte key" eval \
	    '${r%% *} "$T/out" > "$T/got" && cmp -s "$T/got" "$T/value"'
done

# --- env-file merges, read back ---
env=$T/relay.env
printf '# relay proxy\nOTHER='\''keep me'\''\n\nexport V=rel-old\nV2=x\n' \
    > "$env"
chmod 640 "$env"
printf 'rel-new 1' | "$EMIT_DRIVER" --merge "$env" dotenv V > "$T/res"
check "merge into a dotenv file: written" grep -qx written "$T/res"
printf '# relay proxy\nOTHER='\''keep me'\''\n\nV='\''rel-new 1'\''\nV2=x\n' \
    > "$T/want"
check "merge keeps every other byte" cmp -s "$env" "$T/want"
check "merge keeps mode 0640" [ "$(stat -c %a "$env")" = 640 ]
check "node reads the merged key" \
    eval '[ "$(read_node "$env")" = "rel-new 1" ]'
check "node still reads the other variable" eval '[ "$(node \
    --env-file="$env" -e "process.stdout.write(process.env.OTHER)")" = \
    "keep me" ]'
check "bash reads the merged key" \
    eval '[ "$(read_bash "$env")" = "rel-new 1" ]'
check "python-dotenv reads the merged key" \
    eval '[ "$(read_pydotenv "$env")" = "rel-new 1" ]'
printf 'rel-new 1' | "$EMIT_DRIVER" --merge "$env" dotenv V > "$T/res"
check "same key again: unchanged" grep -qx unchanged "$T/res"

senv=$T/systemd.env
printf 'A=1\r\nV=old\r\nB="x"' > "$senv"
printf 'a "b" $c' | "$EMIT_DRIVER" --merge "$senv" systemd V > "$T/res"
check "merge into a CRLF systemd file keeps CRLF and the missing newline" \
    cmp -s "$senv" <(printf 'A=1\r\nV="a \\"b\\" \\$c"\r\nB="x"')
check "systemd reads the merged key" \
    eval '[ "$(read_systemd "$senv")" = '\''a "b" $c'\'' ]'

denv=$T/docker.env
printf 'V=old\nW=keep\nV=older\n' > "$denv"
printf 'rel-1 #x' | "$EMIT_DRIVER" --merge "$denv" docker V > "$T/res"
check "merge drops later duplicates" \
    cmp -s "$denv" <(printf 'V=rel-1 #x\nW=keep\n')
check "docker reads the merged key" \
    eval '[ "$(read_docker "$denv")" = "rel-1 #x" ]'

ln -s relay.env "$T/link.env"
printf 'k' | "$EMIT_DRIVER" --merge "$T/link.env" dotenv V 2>/dev/null
check "merge refuses a symlink (65)" [ $? -eq 65 ]

echo "1..$n"
[ "$failed" -eq 0 ]
