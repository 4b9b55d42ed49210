# shellcheck shell=bash
#
# lib-ldrt.sh: the common fixture of ld-relay-token's integration tests
# (sourced after lib.sh).
#
#   ldrt_setup [SANDBOX_MODE]
#	t_init; a private keyring (t_sandbox MODE, default unlocked) unless
#	MODE is "none"; the fake API on https://127.0.0.1:PORT with its CA;
#	three tokens, exported as ADMIN_TOKEN, READER_TOKEN, NONE_TOKEN (roles
#	admin, reader, none); LDRT_API_URL and LDRT_CA_BUNDLE point the tool at
#	the fake.  Bails out (the run fails) when something cannot start.
#
#   ldrt_login [TOKEN]
#	Logs in with TOKEN (default $ADMIN_TOKEN) on stdin; bails out on
#	failure.
#
#   ldrt_fake_key ID
#	Prints the fake's current full key of config ID.
#
#   ldrt_create NAME
#	Creates NAME with $T/policy.json (written by ldrt_setup) and sets
#	CREATED_ID to its id; bails out on failure.

ldrt_rand_token() {
	python3 -c 'import uuid; print("api-" + str(uuid.uuid4()))'
}

ldrt_setup() {
	local mode=${1:-unlocked}

	t_init
	if [ "$mode" != none ]; then
		t_sandbox "$mode"
	fi
	fake_start "$T/fake" || t_bail "cannot start the fake API"
	t_cleanup_push fake_stop
	ADMIN_TOKEN=$(ldrt_rand_token)
	READER_TOKEN=$(ldrt_rand_token)
	NONE_TOKEN=$(ldrt_rand_token)
	fake_add_token "$ADMIN_TOKEN" admin admin >/dev/null ||
	    t_bail "cannot add a token to the fake"
	fake_add_token "$READER_TOKEN" reader reader >/dev/null
	fake_add_token "$NONE_TOKEN" none none >/dev/null
	export ADMIN_TOKEN READER_TOKEN NONE_TOKEN
	LDRT_API_URL=$FAKE_URL
	LDRT_CA_BUNDLE=$FAKE_CA
	export LDRT_API_URL LDRT_CA_BUNDLE
	printf '%s\n' '[{"effect":"allow","resources":["proj/*:env/production"],"actions":["*"]}]' \
	    >"$T/policy.json"
}

ldrt_login() {
	t_run_in "${1:-$ADMIN_TOKEN}" login --token-stdin
	if [ "$RC" -ne 0 ]; then
		t_diag_file "$T/err" stderr
		t_bail "login failed (rc $RC)"
	fi
}

ldrt_fake_key() {
	fake_state | fake_json_get - \
	    "[c for c in (d['configs'] if isinstance(d, dict) else d) if c['_id'] == '$1'][0]['fullKey']"
}

ldrt_create() {
	t_run create "$1" --policy "$T/policy.json"
	if [ "$RC" -ne 0 ]; then
		t_diag_file "$T/err" stderr
		t_bail "create '$1' failed (rc $RC)"
	fi
	CREATED_ID=$(sed -n 's/^id: *//p' "$T/out")
	export CREATED_ID
}
