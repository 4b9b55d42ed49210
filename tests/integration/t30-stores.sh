#!/bin/bash
# t30-stores.sh: the Secret Service backend where Relay Proxies run: no
# session bus, no Secret Service, no default collection, a locked keyring
# (never read as "absent", nothing deleted), a hung daemon (the deadline),
# and cron-like environments that find the bus through the runtime dir or
# /run/user/<uid>/bus.  Exit codes and messages as documented in store.h
# and ld-relay-token(1).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
export T_TIMEOUT=20

# keyring_count KIND: number of items of KIND under the project's schema
# (secret-tool search prints one "[/org/freedesktop/secrets/...]" per item).
keyring_count()
{
	secret-tool search --all kind "$1" 2>/dev/null | grep -c '^\[/'
}

# prompts: how many unlock prompts the daemon tried to show (it logs one
# warning per prompt because the sandbox has no prompter).
prompts()
{
	grep -c "couldn't create system prompt" \
	    "$KEYRING_SANDBOX_DIR/keyring.log" 2>/dev/null
}

ldrt_login
ldrt_create prod
ID=$CREATED_ID
KEY=$(ldrt_fake_key "$ID")
t_run get prod
expect_out_eq "$KEY" "baseline: get prod prints the stored key"

# ---- no session bus --------------------------------------------------------
mkdir -m 700 "$T/emptyrun"
nobus=(env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY XDG_RUNTIME_DIR="$T/emptyrun")
t_cmd "${nobus[@]}" "$LDRT" --store secret-service get prod
expect_rc 69 "no session bus (runtime dir without a bus): 69"
expect_err_match 'no D-Bus session bus; run inside a login session or use --store file' \
    "the message says there is no session bus and names --store file"
t_cmd "${nobus[@]}" "$LDRT" get prod
expect_rc 69 "store = auto, no bus and no passphrase source: 69"
expect_err_match 'no D-Bus session bus' "auto: the message says there is no session bus"
expect_err_match 'gnome-keyring-daemon' "auto: the message names the Secret Service option"
expect_err_match '--store file with LDRT_PASSPHRASE_FILE' \
    "auto: the message names the file store option"
t_cmd "${nobus[@]}" DISPLAY=:0 "$LDRT" --store secret-service get prod
expect_rc 69 "no bus with DISPLAY set: still 69 (no dbus-launch autolaunch)"
expect_err_no_match 'dbus-launch' "no attempt to autolaunch dbus-launch"
t_cmd env DBUS_SESSION_BUS_ADDRESS="unix:path=$T/emptyrun/gone" \
    "$LDRT" --store secret-service get prod
expect_rc 69 "a stale bus address (socket gone): 69"
expect_err_match 'no D-Bus session bus' "stale address: the no-bus message"
t_cmd "${nobus[@]}" "$LDRT" --store secret-service logout
expect_rc 69 "logout without a bus: 69"
t_run get prod
expect_out_eq "$KEY" "after the no-bus failures the key is still stored"

# ---- locked keyring --------------------------------------------------------
sandbox_lock || t_bail "cannot lock the sandbox collection"
n0=$(prompts)
t_run get prod
expect_rc 77 "locked keyring: get is 77"
expect_err_match 'keyring is locked' "locked keyring: the message says so"
expect_err_no_match 'no key stored|not found' "a locked keyring never reads as absent"
[ "$(prompts)" = "$n0" ]
ok $? "stdin not a terminal: no unlock prompt was requested"
printf -v cmd '%q --no-prompt get prod' "$LDRT"
t_cmd script -qec "$cmd" /dev/null
expect_rc 77 "on a terminal with --no-prompt: 77"
expect_out_match 'keyring is locked' "on a terminal with --no-prompt: the message"
[ "$(prompts)" = "$n0" ]
ok $? "--no-prompt on a terminal: no unlock prompt was requested"
printf -v cmd '%q get prod' "$LDRT"
t_cmd script -qec "$cmd" /dev/null
expect_rc 77 "on a terminal, the unlock prompt cannot be shown (no prompter): 77"
expect_out_match 'keyring is locked \(unlock was dismissed\)' \
    "on a terminal: the message says the unlock was dismissed"
i=0
while [ "$(prompts)" = "$n0" ] && [ "$i" -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
[ "$(prompts)" != "$n0" ]
ok $? "interactive on a terminal: libsecret asked the daemon for an unlock prompt"
t_run status
expect_rc 77 "locked keyring: status is 77"
expect_out_match '^token: +error' "status reports the token as an error, not absent"
t_run logout
expect_rc 77 "logout while locked: 77"
expect_err_match 'keyring is locked' "logout while locked: the message says so"
t_run delete prod --yes
expect_rc 77 "delete while locked: 77"
expect_err_match 'keyring is locked' "delete while locked: the message says so"
t_run_in "$READER_TOKEN" login --token-stdin
expect_rc 77 "login while locked: 77 (the item cannot be written)"
[ "$(keyring_count api-token)" = 1 ] && [ "$(keyring_count relay-key)" = 1 ]
ok $? "while locked, every item is still in the keyring"
sandbox_unlock || t_bail "cannot unlock the sandbox collection"
t_run get prod
expect_rc 0 "after unlocking, get works again"
expect_out_eq "$KEY" "after unlocking, the key is still there (nothing deleted)"
t_run status
expect_rc 0 "after unlocking, the API token is still there"
expect_out_match '^token: +present \(from secret-service\)' \
    "status: the token came from the secret-service store"
t_run token
expect_out_eq "$ADMIN_TOKEN" "the stored token is the one logged in before the lock"
[ "$(fake_count DELETE '.')" = 0 ]
ok $? "the failed delete sent no DELETE request to the API"

# ---- the deadline: a hung Secret Service ------------------------------------
sandbox_daemon_signal STOP || t_bail "cannot stop the keyring daemon"
t_cleanup_push sandbox_daemon_signal CONT
t0=$(date +%s%N)
t_run --timeout 2 --store secret-service get prod
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
expect_rc 75 "hung daemon, --store secret-service --timeout 2: 75"
expect_err_match 'keyring did not answer within 2 s' "the message names the deadline"
[ "$ms" -lt 4000 ]
ok $? "it failed within the deadline + 2 s (took $ms ms)"
t0=$(date +%s%N)
t_run --timeout 2 get prod
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
expect_rc 69 "hung daemon, store = auto, no file store: 69"
expect_err_match 'keyring did not answer within 2 s' "auto: the message names the deadline"
[ "$ms" -lt 4000 ]
ok $? "auto also failed within the deadline + 2 s (took $ms ms)"
t0=$(date +%s%N)
LDRT_TIMEOUT=1 t_run --store secret-service status
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$RC" != 0 ] && [ "$ms" -lt 5000 ]
ok $? "status with a hung daemon and LDRT_TIMEOUT=1 ends quickly (rc $RC, $ms ms)"
sandbox_daemon_signal CONT
t_run get prod
expect_out_eq "$KEY" "after SIGCONT the key is readable again"

# ---- cron-like environments ------------------------------------------------
cron=(env -i HOME="$HOME" PATH="$PATH" LDRT_CONFIG="$LDRT_CONFIG"
    LDRT_API_URL="$LDRT_API_URL")
t_cmd "${cron[@]}" XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" "$LDRT" get prod
expect_rc 0 "env -i with only XDG_RUNTIME_DIR: get works"
expect_out_eq "$KEY" "env -i with only XDG_RUNTIME_DIR: the key"
t_cmd "${cron[@]}" DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS" \
    "$LDRT" get prod
expect_out_eq "$KEY" "env -i with only DBUS_SESSION_BUS_ADDRESS: the key"
t_cmd setsid "${cron[@]}" XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" "$LDRT" get prod
expect_out_eq "$KEY" "the same without a controlling terminal (setsid)"

# Neither variable set: the /run/user/<uid>/bus fallback.  Only inside a
# private mount namespace, with a tmpfs over /run/user and the sandbox's bus
# socket bind-mounted to /run/user/<uid>/bus; the real /run/user is never
# touched.
uid=$(id -u)
cat >"$T/runuser.sh" <<'EOF'
set -e
mount -t tmpfs -o mode=755 tmpfs /run/user
mkdir -m 700 "/run/user/$1"
: >"/run/user/$1/bus"
mount --bind "$2" "/run/user/$1/bus"
shift 2
exec "$@"
EOF
if [ -d /run/user ] && unshare --mount true 2>/dev/null; then
	t_cmd unshare --mount --propagation private bash "$T/runuser.sh" \
	    "$uid" "$XDG_RUNTIME_DIR/bus" "${cron[@]}" "$LDRT" get prod
	expect_rc 0 "env -i without XDG_RUNTIME_DIR and bus address: /run/user/$uid/bus is used"
	expect_out_eq "$KEY" "the /run/user fallback finds the key"
	t_cmd unshare --mount --propagation private bash "$T/runuser.sh" \
	    "$uid" "$T/policy.json" "${cron[@]}" "$LDRT" get prod
	expect_rc 69 "/run/user/$uid/bus that is not a socket: 69"
	expect_err_match 'no D-Bus session bus' "not a socket: the no-bus message"
else
	ok 1 "unshare --mount works (needed for the /run/user fallback test)"
fi
t_cmd "${cron[@]}" "$LDRT" get prod
expect_rc 69 "env -i with no runtime dir, no bus address and no /run/user bus: 69"
expect_err_match 'no D-Bus session bus' "env -i: the no-bus message"

# ---- no Secret Service on the bus ------------------------------------------
sandbox_stop
sandbox_start nodaemon || t_bail "cannot start the nodaemon sandbox"
t_run --store secret-service get prod
expect_rc 69 "no Secret Service on the bus: 69"
expect_err_match 'no Secret Service on the session bus' "the message says so"
t_run_in "$ADMIN_TOKEN" --store secret-service login --token-stdin
expect_rc 69 "login without a Secret Service: 69"
t_run_in "$ADMIN_TOKEN" login --token-stdin
expect_rc 69 "login, store = auto, no Secret Service, no passphrase: 69"
expect_err_match 'no Secret Service' "auto: the message says there is no Secret Service"
expect_err_match 'gnome-keyring-daemon' "auto: the message names the Secret Service option"
expect_err_match '--store file' "auto: the message names the file store option"
t_run status
expect_rc 69 "status without any store: 69"
expect_out_match '^store: +unavailable' "status says the store is unavailable"

# ---- no default collection -------------------------------------------------
sandbox_stop
sandbox_start nounlock || t_bail "cannot start the nounlock sandbox"
t_run_in "$ADMIN_TOKEN" login --token-stdin
expect_rc 69 "login without a default collection: 69"
expect_err_match 'keyring has no default collection' "the message says so"
t_run get prod
expect_rc 67 "get without a default collection: nothing stored (67)"
t_run status
expect_rc 77 "status: not logged in (77)"
expect_out_match '^token: +absent' "status: the token is absent"

t_done
