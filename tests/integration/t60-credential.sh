#!/bin/bash
# t60-credential.sh: the git credential-helper mode driven by real git
# (git credential fill/approve/reject) in a private keyring: relay keys
# (ldrelay://NAME, create-missing), the API token (https://API-HOST),
# generic credentials compatible with git-credential-libsecret, hostile
# input through the binary, and a locked keyring (last).
# shellcheck source-path=SCRIPTDIR disable=SC2119
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
ldrt_login
ldrt_create prod
PROD_ID=$CREATED_ID
PROD_KEY=$(ldrt_fake_key "$PROD_ID")
[ -n "$PROD_KEY" ] || t_bail "no key for prod on the fake"

# git's environment: no prompting, no askpass, no other helpers
unset GIT_ASKPASS SSH_ASKPASS
export GIT_TERMINAL_PROMPT=0
# shellcheck disable=SC2089 # the quotes are for git's shell
HELPER="!\"$LDRT\" credential"
mkdir -p "$T/bin"
ln -s "$LDRT" "$T/bin/git-credential-ld-relay"
API_HOST=${FAKE_URL#https://}
API_HOST=${API_HOST%%/*}

# g: git with our helper given as an absolute path; gp: the same through
# PATH (credential.helper=ld-relay finds git-credential-ld-relay)
printf '#!/bin/bash\nexec git -c credential.helper= -c %q "$@"\n' \
    "credential.helper=$HELPER" >"$T/g"
# shellcheck disable=SC2016 # $PATH and "$@" are for the script
printf '#!/bin/bash\nPATH=%q:$PATH exec git -c credential.helper= -c credential.helper=ld-relay "$@"\n' \
    "$T/bin" >"$T/gp"
chmod +x "$T/g" "$T/gp"
# number of keyring items with the given attributes
nitems() {
	secret-tool search --all "$@" 2>/dev/null | grep -c '^\[/'
}

# ---- protocol=ldrelay ------------------------------------------------------
t_check_cmd 0 "fill ldrelay://prod returns the stored key (absolute helper)" \
    "$T/g" credential fill <<EOF
url=ldrelay://prod

--
protocol=ldrelay
host=prod
username=default
password=$PROD_KEY
--
EOF
t_check_cmd 0 "fill ldrelay://prod through git-credential-ld-relay on PATH" \
    "$T/gp" credential fill <<EOF
url=ldrelay://prod

--
protocol=ldrelay
host=prod
username=default
password=$PROD_KEY
--
EOF
t_check_cmd 0 "fill by config id with username=default" \
    "$T/g" credential fill <<EOF
protocol=ldrelay
host=$PROD_ID
username=default

--
protocol=ldrelay
host=$PROD_ID
username=default
password=$PROD_KEY
--
EOF
t_check 0 "credential get for an unknown relay: no output, exit 0" \
    credential get <<EOF
protocol=ldrelay
host=nosuch
EOF
t_cmd_in $'url=ldrelay://nosuch\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential fill
[ "$RC" -ne 0 ]
ok $? "git credential fill for an unknown relay fails (no prompt)"
expect_out_empty "and prints nothing"
expect_err_no_match 'ld-relay-token' "our helper said nothing on stderr"
t_check 0 "credential get answers username and password only" \
    credential get <<EOF
protocol=ldrelay
host=prod
--
username=default
password=$PROD_KEY
--
EOF
t_check_cmd 0 "argv[0] mode answers get" "$T/bin/git-credential-ld-relay" get <<EOF
protocol=ldrelay
host=prod
--
username=default
password=$PROD_KEY
--
EOF

# store/erase never change the key; erase records the rejection
t_check_cmd 0 "approve for ldrelay is accepted silently" \
    "$T/g" credential approve <<EOF
protocol=ldrelay
host=prod
username=default
password=not-the-key

--
--
EOF
t_check 0 "approve did not change the stored key" credential get <<EOF
protocol=ldrelay
host=prod
--
username=default
password=$PROD_KEY
--
EOF
REC="$XDG_STATE_HOME/ld-relay-token/relays/$PROD_ID.json"
t_check_cmd 0 "reject with another password is silent" \
    "$T/g" credential reject <<EOF
protocol=ldrelay
host=prod
username=default
password=not-the-key

--
--
EOF
! grep -q '"rejected_at_ms": *[1-9]' "$REC" 2>/dev/null
ok $? "a rejected password that is not our key is not recorded"
t_check_cmd 0 "reject with the stored key is silent" \
    "$T/g" credential reject <<EOF
protocol=ldrelay
host=prod
username=default
password=$PROD_KEY

--
--
EOF
grep -q '"rejected_at_ms": *[1-9]' "$REC" 2>/dev/null
ok $? "the rejection is recorded in the relay's state record"
t_check 0 "reject did not erase the key" credential get <<EOF
protocol=ldrelay
host=prod
--
username=default
password=$PROD_KEY
--
EOF

# ---- create-missing --------------------------------------------------------
cat >"$LDRT_CONFIG" <<EOF
[relay auto]
create-missing = true
policy = $T/policy.json

[relay manual]
policy = $T/policy.json
EOF
n0=$(fake_count POST '^/api/v2/account/relay-auto-configs$')
t_cmd_in $'url=ldrelay://manual\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential fill
[ "$RC" -ne 0 ]
ok $? "without create-missing a missing relay is not created"
t_cmd_in $'url=ldrelay://auto\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential fill
expect_rc 0 "create-missing: fill for a relay that does not exist succeeds"
AUTO_KEY=$(sed -n 's/^password=//p' "$T/out")
[ -n "$AUTO_KEY" ]
ok $? "and answers a key"
expect_err_empty "and says nothing on stderr"
n1=$(fake_count POST '^/api/v2/account/relay-auto-configs$')
[ "$((n1 - n0))" -eq 1 ]
ok $? "exactly one config was created on the fake ($n0 -> $n1)"
AUTO_ID=$(sed -n 's/^id *= *//p' "$LDRT_CONFIG")
[ -n "$AUTO_ID" ] && [ "$(ldrt_fake_key "$AUTO_ID")" = "$AUTO_KEY" ]
ok $? "the answered key is the new config's key; its id went to the config"
t_run get auto
expect_out_eq "$AUTO_KEY" "the new key was stored (ld-relay-token get)"
t_cmd_in $'url=ldrelay://auto\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential fill
expect_out_match "^password=$AUTO_KEY\$" "a second fill answers the same key"
n2=$(fake_count POST '^/api/v2/account/relay-auto-configs$')
[ "$n2" -eq "$n1" ]
ok $? "and does not create another config"
# two callers at once still create one config
cat >>"$LDRT_CONFIG" <<EOF
[relay auto2]
create-missing = true
policy = $T/policy.json
EOF
pids=()
for i in 1 2 3; do
	printf 'protocol=ldrelay\nhost=auto2\n' >"$T/par.in"
	timeout 20 "$LDRT" credential get <"$T/par.in" >"$T/par$i.out" \
	    2>"$T/par$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
n3=$(fake_count POST '^/api/v2/account/relay-auto-configs$')
[ "$((n3 - n2))" -eq 1 ]
ok $? "three concurrent fills for a missing relay create one config ($n2 -> $n3)"
k1=$(sed -n 's/^password=//p' "$T/par1.out")
[ -n "$k1" ] && cmp -s "$T/par1.out" "$T/par2.out" &&
    cmp -s "$T/par1.out" "$T/par3.out" && ! [ -s "$T/par1.err" ] &&
    ! [ -s "$T/par2.err" ] && ! [ -s "$T/par3.err" ]
ok $? "and all three answer the same key, silently"

# a relay section of another profile: created and answered in that profile
LDRT_PROFILE=staging ldrt_login
cat >>"$LDRT_CONFIG" <<EOF
[relay stg]
profile = staging
create-missing = true
policy = $T/policy.json
EOF
t_cmd_in $'url=ldrelay://stg\n\n' "$T/g" credential fill
expect_rc 0 "create-missing in the section's profile"
expect_out_match '^username=staging$' "the answer names the section's profile"
STG_KEY=$(sed -n 's/^password=//p' "$T/out")
LDRT_PROFILE=staging t_run get stg
expect_out_eq "$STG_KEY" "the key is stored under that profile"
t_run get stg
expect_rc 67 "and not under the default profile"
: >"$LDRT_CONFIG"

# ---- generic credentials ---------------------------------------------------
t_check_cmd 0 "approve https://alice@example.com" "$T/g" credential approve <<EOF
url=https://alice:pw1@example.com

--
--
EOF
t_check_cmd 0 "fill returns alice's password" "$T/g" credential fill <<EOF
url=https://example.com

--
protocol=https
host=example.com
username=alice
password=pw1
--
EOF
[ "$(nitems protocol https server example.com user alice)" = 1 ]
ok $? "one keyring item for alice"
t_cmd secret-tool search --all protocol https server example.com user alice
cat "$T/out" "$T/err" >"$T/items"
grep -q '^label = Git: https://example.com/$' "$T/items" &&
    grep -q '^schema = org.git.Password$' "$T/items"
ok $? "the item has git-credential-libsecret's label and schema"
t_check_cmd 0 "approve bob on the same host" "$T/g" credential approve <<EOF
url=https://bob:pw2@example.com

--
--
EOF
t_check_cmd 0 "fill for bob returns bob's password" "$T/g" credential fill <<EOF
url=https://bob@example.com

--
protocol=https
host=example.com
username=bob
password=pw2
--
EOF
t_check_cmd 0 "fill for alice still returns alice's" "$T/g" credential fill <<EOF
url=https://alice@example.com

--
protocol=https
host=example.com
username=alice
password=pw1
--
EOF
t_check_cmd 0 "approve alice again with a new password" \
    "$T/g" credential approve <<EOF
url=https://alice:pw1b@example.com

--
--
EOF
[ "$(nitems protocol https server example.com user alice)" = 1 ]
ok $? "storing again overwrote the item (still one for alice)"
t_check_cmd 0 "fill returns the new password" "$T/g" credential fill <<EOF
url=https://alice@example.com

--
protocol=https
host=example.com
username=alice
password=pw1b
--
EOF
t_check_cmd 0 "reject alice with a stale password" "$T/g" credential reject <<EOF
url=https://alice:stale@example.com

--
--
EOF
[ "$(nitems protocol https server example.com user alice)" = 1 ]
ok $? "a non-matching password erased nothing"
t_check_cmd 0 "reject bob with his password" "$T/g" credential reject <<EOF
url=https://bob:pw2@example.com

--
--
EOF
[ "$(nitems protocol https server example.com user bob)" = 0 ] &&
    [ "$(nitems protocol https server example.com user alice)" = 1 ]
ok $? "only bob's item is gone"
t_check 0 "get for bob is now a silent miss" credential get <<EOF
protocol=https
host=example.com
username=bob
EOF
t_check 0 "another port is another host" credential get <<EOF
protocol=https
host=example.com:8443
EOF
t_check 0 "another protocol is another credential" credential get <<EOF
protocol=http
host=example.com
EOF

# ports: host:port is kept in the port attribute
t_check_cmd 0 "approve a host with a port" "$T/g" credential approve <<EOF
url=https://dave:pw3@example.com:8443

--
--
EOF
[ "$(nitems protocol https server example.com port 8443 user dave)" = 1 ]
ok $? "the port went into the integer port attribute"
t_check 0 "get with the port finds it" credential get <<EOF
protocol=https
host=example.com:8443
username=dave
--
username=dave
password=pw3
--
EOF

# paths: credential.useHttpPath
t_check_cmd 0 "approve with useHttpPath stores the path" \
    "$T/g" -c credential.useHttpPath=true credential approve <<EOF
url=https://erin:pw4@git.example.org/team/repo1.git

--
--
EOF
[ "$(nitems protocol https server git.example.org object team/repo1.git)" = 1 ]
ok $? "the path went into the object attribute"
t_check_cmd 0 "fill without useHttpPath (no path sent) finds it" \
    "$T/g" credential fill <<EOF
url=https://git.example.org/team/repo2.git

--
protocol=https
host=git.example.org
username=erin
password=pw4
--
EOF
t_check_cmd 0 "fill with useHttpPath for the same repo finds it" \
    "$T/g" -c credential.useHttpPath=true credential fill <<EOF
url=https://git.example.org/team/repo1.git

--
protocol=https
host=git.example.org
path=team/repo1.git
username=erin
password=pw4
--
EOF
t_cmd_in $'url=https://git.example.org/team/repo2.git\n\n' git \
    -c credential.helper= -c "credential.helper=$HELPER" \
    -c credential.useHttpPath=true credential fill
[ "$RC" -ne 0 ]
ok $? "fill with useHttpPath for another repo finds nothing (git fails)"
expect_out_empty "and prints nothing"
expect_err_match 'terminal prompts disabled' "git would have prompted"
expect_err_no_match 'ld-relay-token' "our helper said nothing on stderr"

# items written by secret-tool (no schema attribute) are read
printf %s 'st-secret' | secret-tool store --label=legacy protocol https \
    server legacy.example user carol
ok $? "secret-tool stored a schema-less item"
t_check_cmd 0 "fill finds the secret-tool item" "$T/g" credential fill <<EOF
url=https://legacy.example

--
protocol=https
host=legacy.example
username=carol
password=st-secret
--
EOF
t_check_cmd 0 "approve over the secret-tool item" "$T/g" credential approve <<EOF
url=https://carol:st-new@legacy.example

--
--
EOF
[ "$(nitems protocol https server legacy.example user carol)" = 1 ]
ok $? "the schema-less item was updated in place, not duplicated"
t_cmd secret-tool lookup protocol https server legacy.example user carol
expect_out_eq st-new "secret-tool sees the new password"
printf %s 'st-port' | secret-tool store --label=legacy2 protocol https \
    server legacy.example port 8080 user carol
t_check_cmd 0 "and one with a port attribute" "$T/g" credential fill <<EOF
url=https://legacy.example:8080

--
protocol=https
host=legacy.example:8080
username=carol
password=st-port
--
EOF

# items of git 2.39's git-credential-libsecret (NetworkPassword schema)
GCL_SRC=/usr/share/doc/git/contrib/credential/libsecret/git-credential-libsecret.c
# shellcheck disable=SC2046 # pkg-config output is word lists
gcc -O1 -o "$T/gcl" "$GCL_SRC" $(pkg-config --cflags --libs libsecret-1) \
    >"$T/gcl.log" 2>&1
ok $? "git's own libsecret helper (2.39) builds from $GCL_SRC" ||
    t_diag_file "$T/gcl.log"
t_check_cmd 0 "it stores a credential" "$T/gcl" store <<EOF
protocol=https
host=old.example:8443
username=gina
password=old-pw
--
username=gina
password=old-pw
--
EOF
t_check_cmd 0 "fill finds the item git's helper wrote" \
    "$T/g" credential fill <<EOF
url=https://old.example:8443

--
protocol=https
host=old.example:8443
username=gina
password=old-pw
--
EOF
t_cmd_in $'url=https://gina:new-pw@old.example:8443\n\n' "$T/g" \
    credential approve
[ "$(nitems protocol https server old.example port 8443 user gina)" = 1 ]
ok $? "approve updated git's item in place"
t_check_cmd 0 "and git's helper reads the new password" "$T/gcl" get <<EOF
protocol=https
host=old.example:8443
--
username=gina
password=new-pw
--
EOF

# expiry and refresh token round trip (git 2.39 drops them: direct calls)
t_check 0 "store with password_expiry_utc and oauth_refresh_token" \
    credential store <<EOF
protocol=https
host=oauth.example
username=frank
password=access
password_expiry_utc=4102444800
oauth_refresh_token=refresh-1
--
--
EOF
t_check 0 "get returns them with the password" credential get <<EOF
protocol=https
host=oauth.example
--
username=frank
password=access
password_expiry_utc=4102444800
oauth_refresh_token=refresh-1
--
EOF
t_cmd secret-tool lookup protocol https server oauth.example user frank
expect_out_eq $'access\npassword_expiry_utc=4102444800\noauth_refresh_token=refresh-1' \
    "the secret has git-credential-libsecret's layout"
t_check 0 "an empty username and password are values" credential store <<EOF
protocol=https
host=empty.example
username=
password=
EOF
t_check 0 "and round-trip as empty strings" credential get <<EOF
protocol=https
host=empty.example
--
username=
password=
--
EOF
t_check 0 "ephemeral credentials are not stored" credential store <<EOF
protocol=https
host=eph.example
username=u
password=p
ephemeral=1
EOF
[ "$(nitems protocol https server eph.example)" = 0 ]
ok $? "nothing stored for the ephemeral credential"
t_check 0 "store without a username stores nothing" credential store <<EOF
protocol=https
host=nouser.example
password=p
EOF
[ "$(nitems protocol https server nouser.example)" = 0 ]
ok $? "nothing stored without a username"

# ---- the API token -----------------------------------------------------------
t_check_cmd 0 "fill https://API-HOST username=default returns the API token" \
    "$T/g" credential fill <<EOF
protocol=https
host=$API_HOST
username=default

--
protocol=https
host=$API_HOST
username=default
password=$ADMIN_TOKEN
--
EOF
t_check 0 "without a username: the profile in use" credential get <<EOF
protocol=https
host=$API_HOST
--
username=default
password=$ADMIN_TOKEN
--
EOF
[ "$(nitems protocol https server "${API_HOST%:*}")" = 0 ]
ok $? "the token is not a generic item"
TOK2=$(ldrt_rand_token)
t_check_cmd 0 "approve a token for profile staging" "$T/g" credential approve <<EOF
protocol=https
host=$API_HOST
username=staging
password=$TOK2

--
--
EOF
t_check 0 "get for username=staging returns it" credential get <<EOF
protocol=https
host=$API_HOST
username=staging
--
username=staging
password=$TOK2
--
EOF
t_cmd secret-tool search --all kind api-token profile staging
grep -q 'attribute.profile = staging' "$T/out" "$T/err"
ok $? "it is stored as profile staging's API token"
t_check_cmd 0 "reject with another password" "$T/g" credential reject <<EOF
protocol=https
host=$API_HOST
username=staging
password=wrong

--
--
EOF
t_check 0 "the token survived" credential get <<EOF
protocol=https
host=$API_HOST
username=staging
--
username=staging
password=$TOK2
--
EOF
t_check_cmd 0 "reject with the token" "$T/g" credential reject <<EOF
protocol=https
host=$API_HOST
username=staging
password=$TOK2

--
--
EOF
t_check 0 "the token is gone" credential get <<EOF
protocol=https
host=$API_HOST
username=staging
EOF
t_check 0 "the default profile's token is untouched" credential get <<EOF
protocol=https
host=$API_HOST
username=default
--
username=default
password=$ADMIN_TOKEN
--
EOF

# ---- the command line and hostile input ------------------------------------
t_run credential capability </dev/null
expect_rc 0 "an unknown operation exits 0"
expect_out_empty "and prints nothing"
expect_err_empty "and says nothing"
RC=0
timeout 5 "$LDRT" credential frobnicate < <(sleep 20) >"$T/out" 2>&1 || RC=$?
expect_rc 0 "an unknown operation does not read stdin"
RC=0
timeout 5 "$T/bin/git-credential-ld-relay" frobnicate < <(sleep 20) \
    >"$T/out" 2>&1 || RC=$?
expect_rc 0 "nor as git-credential-ld-relay"
t_run credential
expect_rc 64 "no operation is a usage error"
t_cmd "$T/bin/git-credential-ld-relay"
expect_rc 64 "also as git-credential-ld-relay"

t_run_in $'protocol=https\nhost=bad.example\nusername=u\npassword=p\ngarbage\n' \
    credential store
expect_rc 65 "a line without '=' is a data error (65)"
expect_out_empty "nothing on stdout"
[ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "the error is one line"
expect_no_secret "garbage" "the error does not quote the line"
[ "$(nitems protocol https server bad.example)" = 0 ]
ok $? "nothing was stored"
python3 -c 'import sys; sys.stdout.write("protocol=https\nhost=bad.example\nusername=u\npassword=" + "x" * 70000 + "\n")' >"$T/long"
t_run_file "$T/long" credential store
expect_rc 65 "a 70 000-byte line is a data error (65)"
[ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "the error is one line"
[ "$(nitems protocol https server bad.example)" = 0 ]
ok $? "nothing was stored"
t_run_in $'protocol=https\nhost=bad.example\r\nusername=u\npassword=p\n' \
    credential store
expect_rc 65 "a CR in a value is a data error (65)"
printf 'protocol=https\nhost=bad.example\nusername=u\npassword=p\0q\n' >"$T/nul"
t_run_file "$T/nul" credential store
expect_rc 65 "a NUL byte is a data error (65)"
[ "$(nitems protocol https server bad.example)" = 0 ]
ok $? "nothing was stored by any of them"
t_run_in $'url=ldrelay://prod\nwwwauth[]=basic realm=x\n\nprotocol=https\n' \
    credential get
expect_rc 0 "input ends at the blank line; unknown keys are ignored"
expect_out_eq $'username=default\npassword='"$PROD_KEY" "the answer is for ldrelay://prod"

# ---- locked keyring (last) -------------------------------------------------
sandbox_lock || t_bail "cannot lock the keyring"
t_cmd_in $'url=https://alice@example.com\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential fill
[ "$RC" -ne 0 ]
ok $? "locked keyring: git credential fill fails"
expect_out_empty "nothing on stdout"
[ "$(grep -c '^ld-relay-token: ' "$T/err")" -eq 1 ] &&
    grep -q '^ld-relay-token: keyring is locked$' "$T/err"
ok $? "our one-line error says the keyring is locked"
t_run_in $'protocol=https\nhost=example.com\nusername=alice\n' credential get
expect_rc 77 "credential get exits 77 (EX_NOPERM)"
expect_out_empty "and prints nothing"
t_run_in $'protocol=ldrelay\nhost=prod\n' credential get
[ "$RC" -ne 0 ]
ok $? "ldrelay get fails too"
expect_out_empty "and prints nothing"
t_cmd_in $'url=https://alice@example.com\n\n' git -c credential.helper= \
    -c "credential.helper=$HELPER" credential reject
t_run_in $'protocol=https\nhost=example.com\n' credential erase
[ "$RC" -ne 0 ]
ok $? "erase in a locked keyring fails"
sandbox_unlock >/dev/null 2>&1 || t_bail "cannot unlock the keyring"
t_check 0 "after unlocking, alice's credential is still there" \
    credential get <<EOF
protocol=https
host=example.com
username=alice
--
username=alice
password=pw1b
--
EOF

t_done
