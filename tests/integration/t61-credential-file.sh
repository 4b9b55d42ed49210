#!/bin/bash
# t61-credential-file.sh: the git credential-helper mode on the encrypted
# file store (no Secret Service at all): relay keys, generic credentials
# kept in the same file (format version 2 only while it holds one), a wrong
# or missing passphrase (one line, nothing erased, never a prompt).
# shellcheck source-path=SCRIPTDIR disable=SC2119
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup none
export T_TIMEOUT=20
export LDRT_SCRYPT_N=1024	# test-only: fast key derivation
export LDRT_STORE=file
printf '%s\n' 'correct horse battery' >"$T/pass"
chmod 600 "$T/pass"
export LDRT_PASSPHRASE_FILE=$T/pass
STORE=$XDG_DATA_HOME/ld-relay-token/store
unset GIT_ASKPASS SSH_ASKPASS
export GIT_TERMINAL_PROMPT=0

printf '#!/bin/bash\nexec git -c credential.helper= -c %q "$@"\n' \
    "credential.helper=!\"$LDRT\" credential" >"$T/g"
chmod +x "$T/g"

# the format version byte of the store file
version() {
	od -An -tu1 -j9 -N1 "$STORE" | tr -d ' '
}

ldrt_login
ldrt_create prod
PROD_KEY=$(ldrt_fake_key "$CREATED_ID")
[ "$(version)" = 1 ] 
ok $? "a store with relay keys and a token only is format version 1"

t_check_cmd 0 "fill ldrelay://prod from the file store" \
    "$T/g" credential fill <<EOF
url=ldrelay://prod

--
protocol=ldrelay
host=prod
username=default
password=$PROD_KEY
--
EOF

t_check_cmd 0 "approve alice and bob on one host" "$T/g" credential approve <<EOF
url=https://alice:pw1@example.com

--
--
EOF
[ "$(version)" = 2 ]
ok $? "a generic credential makes the file version 2"
t_cmd_in $'url=https://bob:pw2@example.com\n\n' "$T/g" credential approve
t_check_cmd 0 "fill for bob" "$T/g" credential fill <<EOF
url=https://bob@example.com

--
protocol=https
host=example.com
username=bob
password=pw2
--
EOF
t_cmd_in $'url=https://alice:pw1b@example.com\n\n' "$T/g" credential approve
t_check 0 "store again overwrites (get for alice answers the new one)" \
    credential get <<EOF
protocol=https
host=example.com
username=alice
--
username=alice
password=pw1b
--
EOF
t_check 0 "expiry and refresh token round trip" credential store <<EOF
protocol=https
host=oauth.example
path=a/b
username=frank
password=access
password_expiry_utc=4102444800
oauth_refresh_token=refresh-1
EOF
t_check 0 "get with the path answers them" credential get <<EOF
protocol=https
host=oauth.example
path=a/b
--
username=frank
password=access
password_expiry_utc=4102444800
oauth_refresh_token=refresh-1
--
EOF
t_check 0 "get without a path finds it too" credential get <<EOF
protocol=https
host=oauth.example
--
username=frank
password=access
password_expiry_utc=4102444800
oauth_refresh_token=refresh-1
--
EOF
t_check 0 "get with another path does not" credential get <<EOF
protocol=https
host=oauth.example
path=a/c
EOF
t_check 0 "another port does not" credential get <<EOF
protocol=https
host=example.com:444
EOF

t_run get prod
expect_out_eq "$PROD_KEY" "relay keys in a version 2 file still read"

# a wrong passphrase: one line, nothing on stdout, nothing erased
cp "$STORE" "$T/store.before"
printf '%s\n' 'wrong' >"$T/wrong"
chmod 600 "$T/wrong"
LDRT_PASSPHRASE_FILE=$T/wrong t_run_in $'protocol=https\nhost=example.com\n' \
    credential get
expect_rc 77 "a wrong passphrase: exit 77"
expect_out_empty "nothing on stdout"
[ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "one line on stderr"
LDRT_PASSPHRASE_FILE=$T/wrong t_run_in \
    $'protocol=https\nhost=example.com\nusername=alice\n' credential erase
[ "$RC" -ne 0 ]
ok $? "erase with a wrong passphrase fails"
LDRT_PASSPHRASE_FILE='' t_run_in $'protocol=https\nhost=example.com\n' \
    credential get
expect_rc 77 "no passphrase source: exit 77, never a prompt"
cmp -s "$STORE" "$T/store.before"
ok $? "the store file is unchanged"

# no Secret Service at all (no session bus): one line, exit 69
LDRT_STORE=secret-service t_run_in $'protocol=https\nhost=example.com\n' \
    credential get
expect_rc 69 "without a Secret Service: exit 69 (EX_UNAVAILABLE)"
expect_out_empty "nothing on stdout"
[ "$(wc -l <"$T/err")" -eq 1 ]
ok $? "one line on stderr"
printf '#!/bin/bash\nexec git -c credential.helper= -c %q "$@"\n' \
    "credential.helper=!\"$LDRT\" --store secret-service credential" \
    >"$T/gss"
chmod +x "$T/gss"
t_cmd_in $'url=https://example.com\n\n' "$T/gss" credential fill
[ "$RC" -ne 0 ]
ok $? "git credential fill fails cleanly"
expect_out_empty "and prints nothing"
[ "$(grep -c '^ld-relay-token: ' "$T/err")" -eq 1 ]
ok $? "with our one-line error"
t_cmd_in $'url=https://alice@example.com\n\n' "$T/gss" credential reject
cmp -s "$STORE" "$T/store.before"
ok $? "the file store was not touched"

# reject
t_cmd_in $'url=https://alice:stale@example.com\n\n' "$T/g" credential reject
t_check 0 "a stale password erased nothing" credential get <<EOF
protocol=https
host=example.com
username=alice
--
username=alice
password=pw1b
--
EOF
t_cmd_in $'url=https://bob:pw2@example.com\n\n' "$T/g" credential reject
t_check 0 "bob is gone" credential get <<EOF
protocol=https
host=example.com
username=bob
EOF
t_check 0 "erase by protocol and host forgets every user" credential erase <<EOF
protocol=https
host=example.com
EOF
t_check 0 "alice is gone too" credential get <<EOF
protocol=https
host=example.com
EOF
t_check 0 "erase frank" credential erase <<EOF
protocol=https
host=oauth.example
EOF
[ "$(version)" = 1 ]
ok $? "without generic credentials the file is version 1 again"
t_run get prod
expect_out_eq "$PROD_KEY" "and the relay key is intact"

t_done
