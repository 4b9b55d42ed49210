# shellcheck shell=bash
# bench/lib.sh: the private world a benchmark runs in (sourced): a keyring
# sandbox, the fake API, a logged-in profile and one relay config "bench"
# whose key is stored.  Reuses the test suite's libraries; nothing outside
# a temp dir is touched.
#
#   bench_setup      sets BENCH_DIR, LDRT, ADMIN_TOKEN, RELAY_ID; exports the
#                    isolated HOME/XDG_* and LDRT_API_URL/LDRT_CA_BUNDLE
#   bench_measure    runs bench/measure.py with the JSON results appended to
#                    $BENCH_JSON (if set)

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LDRT=${LDRT:-$bench_root/ld-relay-token}
# shellcheck source=../tests/integration/lib-keyring.sh
. "$bench_root/tests/integration/lib-keyring.sh"
# shellcheck source=../tests/integration/lib-fake.sh
. "$bench_root/tests/integration/lib-fake.sh"

bench_cleanup() {
	fake_stop
	sandbox_stop
	[ -n "${BENCH_DIR:-}" ] && rm -rf "$BENCH_DIR"
}

bench_setup() {
	BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ldrt-bench.XXXXXX") || exit 1
	trap bench_cleanup EXIT
	trap 'exit 143' TERM INT HUP
	export HOME=$BENCH_DIR/home
	export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
	export XDG_STATE_HOME=$HOME/.local/state XDG_CACHE_HOME=$HOME/.cache
	mkdir -p "$HOME"
	unset LDRT_PROFILE LDRT_API_URL LDRT_CA_BUNDLE LDRT_STORE LDRT_CONFIG \
	    CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR https_proxy HTTPS_PROXY
	sandbox_start unlocked >/dev/null || exit 1
	fake_start "$BENCH_DIR/fake" >/dev/null || exit 1
	ADMIN_TOKEN="api-$(python3 -c 'import uuid; print(uuid.uuid4())')"
	fake_add_token "$ADMIN_TOKEN" admin bench >/dev/null || exit 1
	export LDRT_API_URL=$FAKE_URL LDRT_CA_BUNDLE=$FAKE_CA
	printf %s "$ADMIN_TOKEN" | "$LDRT" -q login --token-stdin || exit 1
	printf '[{"effect":"allow","resources":["proj/*:env/*"],"actions":["*"]}]' \
	    >"$BENCH_DIR/policy.json"
	RELAY_ID=$("$LDRT" create bench --policy "$BENCH_DIR/policy.json" |
	    sed -n 's/^id: *//p')
	[ -n "$RELAY_ID" ] || exit 1
	export LDRT BENCH_DIR RELAY_ID ADMIN_TOKEN
}

bench_measure() {
	python3 "$bench_root/bench/measure.py" ${BENCH_JSON:+--json "$BENCH_JSON"} \
	    ${BENCH_RUNS:+--runs "$BENCH_RUNS"} "$@"
}
