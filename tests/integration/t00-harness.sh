#!/bin/bash
#
# t00-harness.sh: proves the test harness itself (lib.sh, lib-keyring.sh,
# tests/keyring-sandbox.sh, gkunlock) before any test relies on it.  The
# tool under test is not involved: $LDRT is replaced by a stub script.
#
# Run by hand: bash tests/integration/t00-harness.sh

# Single quotes around $ are intended throughout (code for child shells).
# shellcheck source-path=SCRIPTDIR disable=SC2016
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init

# --- lib.sh: the isolated environment ----------------------------------

[ -d "$T" ] && [ "$(stat -c %a "$T")" = 700 ]
ok $? "t_init creates a private temp dir"
case $T in
"${TMPDIR:-/tmp}"/ldrt.*) st=0 ;;
*) st=1 ;;
esac
ok $st "the temp dir is under \${TMPDIR:-/tmp}"
[ "$HOME" = "$T/home" ] && [ "$XDG_CONFIG_HOME" = "$T/home/.config" ] &&
    [ "$XDG_RUNTIME_DIR" = "$T/run" ] && [ "$LDRT_CONFIG" = "$T/config" ]
ok $? "HOME, XDG_* and LDRT_CONFIG point into \$T"
[ -z "${CURL_CA_BUNDLE+x}${SSL_CERT_FILE+x}${SSL_CERT_DIR+x}" ] &&
    [ -z "${LDRT_CA_BUNDLE+x}${DBUS_SESSION_BUS_ADDRESS+x}${DISPLAY+x}" ]
ok $? "CA bundle, bus and display variables are not inherited"

# A stub standing in for the tool: prints its args and some environment,
# echoes stdin to stderr, sleeps or exits as told by STUB_SLEEP/STUB_RC.
stub=$T/stub
cat >"$stub" <<'EOF'
#!/bin/sh
printf 'arg:%s\n' "$@"
printf 'home:%s\n' "$HOME"
printf 'config:%s\n' "$LDRT_CONFIG"
printf 'ca:%s\n' "${CURL_CA_BUNDLE-unset}"
printf 'foo:%s\n' "${FOO-unset}"
cat >&2
[ -z "$STUB_SLEEP" ] || sleep "$STUB_SLEEP"
exit "${STUB_RC:-0}"
EOF
chmod +x "$stub"

LDRT=$stub STUB_RC=77 t_run "a b" 'c$d'
st=$?
ok $st "t_run returns 0 even when the tool exits 77"
expect_rc 77 "t_run records the tool's exit status in \$RC"
expect_out_match '^arg:a b$' "t_run passes arguments verbatim (1)"
expect_out_match '^arg:c\$d$' "t_run passes arguments verbatim (2)"
expect_out_match "^home:$T/home\$" "the tool sees the isolated HOME"
expect_out_match '^ca:unset$' "the tool sees no CURL_CA_BUNDLE"
expect_out_match '^foo:unset$' "FOO is not set by default"
expect_err_empty "t_run gives the tool an empty stdin"

LDRT=$stub FOO=bar t_run x
expect_out_match '^foo:bar$' "VAR=value t_run passes VAR to the tool"
[ -z "${FOO+x}" ]
ok $? "... for that call only"

LDRT=$stub t_run_in $'line1\nsecret' x
expect_err_eq $'line1\nsecret' "t_run_in feeds the string as stdin"
[ "$(wc -c <"$T/err")" -eq 12 ]
ok $? "t_run_in adds no newline"
printf 'from file\n' >"$T/infile"
LDRT=$stub t_run_file "$T/infile" x
expect_err_eq "from file" "t_run_file feeds the file as stdin"

LDRT=$stub STUB_SLEEP=10 T_TIMEOUT=1 t_run x >/dev/null
expect_rc 124 "t_run kills a hung tool after T_TIMEOUT (RC 124)"

t_cmd sh -c 'echo out; echo err >&2; exit 3'
[ "$RC" = 3 ] && [ "$(cat "$T/out")" = out ] && [ "$(cat "$T/err")" = err ]
ok $? "t_cmd captures stdout, stderr and status of any command"

# --- lib.sh: the expectations, in a subshell so failures stay local -----

printf 'hello\nworld\n' >"$T/out"
printf 'ld-relay-token: boom\n' >"$T/err"
RC=5
sub()
{
	("$@") >"$T/sub" 2>&1
	head -n 1 "$T/sub"
}
[ "$(sub expect_rc 5 d)" = "ok $((T_NTESTS + 1)) - d" ]
ok $? "expect_rc passes on the right status"
[[ "$(sub expect_rc 0 d)" == "not ok "* ]] &&
    grep -q '^# expected rc 0, got 5$' "$T/sub" &&
    grep -q '^# stderr: ld-relay-token: boom$' "$T/sub"
ok $? "expect_rc fails on another status and shows stderr"
[[ "$(sub expect_out_eq $'hello\nworld' d)" == "ok "* ]] &&
    [[ "$(sub expect_out_eq hello d)" == "not ok "* ]]
ok $? "expect_out_eq compares the whole output"
[[ "$(sub expect_out_match '^wor' d)" == "ok "* ]] &&
    [[ "$(sub expect_out_match '^orl' d)" == "not ok "* ]]
ok $? "expect_out_match uses grep -E per line"
[[ "$(sub expect_err_match 'boom$' d)" == "ok "* ]] &&
    [[ "$(sub expect_err_match 'hello' d)" == "not ok "* ]] &&
    [[ "$(sub expect_err_no_match 'hello' d)" == "ok "* ]] &&
    [[ "$(sub expect_err_no_match 'boom' d)" == "not ok "* ]]
ok $? "expect_err_match and expect_err_no_match look at stderr"
[[ "$(sub expect_out_empty d)" == "not ok "* ]] &&
    [[ "$(sub expect_err_empty d)" == "not ok "* ]]
ok $? "expect_out_empty and expect_err_empty detect output"
printf 'hello\nworld\n' >"$T/same"
printf 'hello\nworld' >"$T/nonl"
[[ "$(sub expect_out_file "$T/same" d)" == "ok "* ]] &&
    [[ "$(sub expect_out_file "$T/nonl" d)" == "not ok "* ]]
ok $? "expect_out_file compares bytes"
printf 'x' >"$T/other"
[[ "$(sub expect_no_secret s3cr3t d)" == "ok "* ]] &&
    [[ "$(sub expect_no_secret orl d)" == "not ok "* ]] &&
    [[ "$(sub expect_no_secret boo d)" == "not ok "* ]] &&
    [[ "$(sub expect_no_secret x d "$T/other")" == "not ok "* ]] &&
    [[ "$(sub expect_no_secret '' d)" == "not ok "* ]] &&
    ! grep -q orl "$T/sub"
ok $? "expect_no_secret finds a leak in stdout, stderr or a file"
# shellcheck disable=SC1003
[ "$(sub ok 0 'a # SKIP b\')" = "ok $((T_NTESTS + 1)) - a \\# SKIP b\\\\" ]
ok $? "ok escapes '#' so a description is never a directive"
[[ "$(sub ok 1 d)" == "not ok "* ]]
ok $? "ok with a non-zero status is 'not ok'"
[ "$(type -t t_skip)" = "" ]
ok $? "there is no t_skip"

t_check_cmd 0 "t_check_cmd: stdin, stdout and stderr from one heredoc" \
    sh -c 'cat; echo "to err" >&2' <<\EOF
line one
line two
--
line one
line two
--
to err
EOF
[ "$(sub t_check_cmd 0 d sh -c 'echo x' <<<$'--\ny\n--')" = "not ok $((T_NTESTS + 1)) - d" ] &&
    grep -q '^# +x$' "$T/sub" && grep -q '^# -y$' "$T/sub"
ok $? "t_check_cmd fails on a stdout difference and shows a diff"
[[ "$(sub t_check_cmd 0 d sh -c 'echo x >&2' <<<$'--\n--')" == "not ok "* ]] &&
    [[ "$(sub t_check_cmd 0 d sh -c 'exit 3' <<<'')" == "not ok "* ]] &&
    [[ "$(sub t_check_cmd 3 d sh -c 'exit 3' <<<'')" == "ok "* ]]
ok $? "t_check_cmd checks stderr and the exit status"
LDRT=$stub t_check 0 "t_check runs \$LDRT with the stdin section" a <<EOF
in
--
arg:a
home:$T/home
config:$T/config
ca:unset
foo:unset
--
in
EOF

# --- lib.sh: exit status and cleanups, in child scripts -------------------

child()
{
	printf '. %q\nt_init\n%s\n' "$_t_libdir/lib.sh" "$1" >"$T/child.sh"
	TMPDIR=$T t_cmd bash "$T/child.sh"
}
child 't_cleanup_push echo "first cleanup" "a  b"
t_cleanup_push echo second
ok 0 one
t_done'
[ "$RC" = 0 ] && [ "$(tail -n 2 "$T/out")" = $'second\nfirst cleanup a  b' ] &&
    grep -q '^1\.\.1$' "$T/out"
ok $? "cleanups run newest first with their arguments; plan at the end"
! compgen -G "$T/ldrt.*" >/dev/null
ok $? "the child's temp dir is removed"
child 'ok 0 one
ok 1 two
t_done'
expect_rc 1 "a failed check makes the script exit 1"
child 'ok 0 one
exit 77'
expect_rc 1 "exit 77 (automake SKIP) becomes 1"
child 'exit 99'
expect_rc 1 "exit 99 (automake ERROR) becomes 1"
child 'ok 0 one'
expect_rc 1 "a script that never reaches t_done fails"
child 't_done'
expect_rc 1 "a script with no test fails"
child 't_plan 2
ok 0 one
t_done'
expect_rc 1 "t_done fails when the plan does not match"
printf '. %q\nt_init\n%s\n' "$_t_libdir/lib.sh" \
    't_cleanup_push touch "$TMPDIR/cleaned"
sleep 30 &
t_cleanup_push kill $!
touch "$TMPDIR/ready"
wait $!' >"$T/child.sh"
TMPDIR=$T bash "$T/child.sh" >"$T/out" 2>"$T/err" &
cpid=$!
for _ in $(seq 100); do
	[ -e "$T/ready" ] && break
	sleep 0.05
done
kill -TERM "$cpid"
wait "$cpid"
RC=$?
expect_rc 143 "TERM ends the script with 128+15"
[ -e "$T/cleaned" ]
ok $? "... after running the cleanups"

# --- lib-keyring.sh: the four modes -------------------------------------

orig_runtime=$XDG_RUNTIME_DIR

sandbox_start unlocked
ok $? "sandbox_start unlocked"
sbdir=$KEYRING_SANDBOX_DIR
dpid=$KEYRING_SANDBOX_DAEMON_PID
bpid=$KEYRING_SANDBOX_BUS_PID
[ "$(cat "/proc/$dpid/comm")" = gnome-keyring-d ] &&
    [ "$(cat "/proc/$bpid/comm")" = dbus-daemon ]
ok $? "the recorded PIDs are the daemons themselves"
_ks_alive "$dpid" && _ks_alive "$bpid"
ok $? "_ks_alive sees the running daemons"
[ "$XDG_RUNTIME_DIR" = "$sbdir/run" ] &&
    [ "$(stat -c %a "$sbdir/run")" = 700 ] &&
    [ "$DBUS_SESSION_BUS_ADDRESS" = "unix:path=$sbdir/run/bus" ] &&
    [ -S "$sbdir/run/bus" ]
ok $? "the bus is at \$XDG_RUNTIME_DIR/bus in a private 0700 dir"
[ "$KEYRING_SANDBOX_COLLECTION" = /org/freedesktop/secrets/collection/login ] &&
    [ -n "$KEYRING_SANDBOX_PASSWORD" ] && [ "$(sandbox_is_locked)" = false ]
ok $? "the login collection exists and is unlocked"
! grep -q standard_session_servicedirs "$sbdir/bus.conf"
ok $? "D-Bus activation is off"
printf 'hunter2' | secret-tool store --label t00 t00attr one
ok $? "secret-tool store in the unlocked sandbox"
[ "$(secret-tool lookup t00attr one)" = hunter2 ]
ok $? "secret-tool lookup returns the stored secret"
ls "$sbdir"/data/keyrings/login.keyring >/dev/null 2>&1
ok $? "the keyring file lives in the sandbox"

sandbox_lock
ok $? "sandbox_lock"
[ "$(sandbox_is_locked)" = true ]
ok $? "the collection reports Locked"
t_cmd secret-tool lookup t00attr one
[ "$RC" = 1 ] && [ ! -s "$T/out" ]
ok $? "lookup in a locked collection prints nothing and exits 1"
t_cmd secret-tool search t00attr one
expect_err_match 'Cannot get secret of a locked object' \
    "secret-tool search says the item is locked"
sandbox_unlock wrong-password 2>"$T/err"
RC=$?
expect_rc 1 "gkunlock with a wrong password fails"
expect_err_match 'Denied' "... with Denied"
sandbox_unlock
ok $? "gkunlock with the right password unlocks"
[ "$(secret-tool lookup t00attr one)" = hunter2 ]
ok $? "lookup works again after the unlock"

sandbox_stop
! { _ks_alive "$dpid" || _ks_alive "$bpid"; }
ok $? "sandbox_stop leaves no keyring or bus process"
[ ! -e "$sbdir" ]
ok $? "sandbox_stop removes the sandbox dir"
[ -z "${DBUS_SESSION_BUS_ADDRESS+x}${KEYRING_SANDBOX_DIR+x}" ] &&
    [ "$XDG_RUNTIME_DIR" = "$orig_runtime" ]
ok $? "sandbox_stop restores the environment"
sandbox_stop
ok $? "sandbox_stop twice is harmless"

sandbox_start nounlock
ok $? "sandbox_start nounlock"
[ -z "$KEYRING_SANDBOX_COLLECTION" ] && [ -n "$KEYRING_SANDBOX_DAEMON_PID" ]
ok $? "nounlock: a daemon but no collection"
t_cmd_in x secret-tool store --label t00 t00attr one
expect_rc 1 "nounlock: store fails"
expect_err_match 'Object does not exist at path .*/collection/login' \
    "nounlock: ... with 'Object does not exist'"
dpid=$KEYRING_SANDBOX_DAEMON_PID
bpid=$KEYRING_SANDBOX_BUS_PID
sandbox_stop
! _ks_alive "$dpid" && ! _ks_alive "$bpid"
ok $? "nounlock: sandbox_stop leaves no process"

sandbox_start nodaemon
ok $? "sandbox_start nodaemon"
[ -z "$KEYRING_SANDBOX_DAEMON_PID" ] && [ -n "$KEYRING_SANDBOX_BUS_PID" ]
ok $? "nodaemon: a bus, no daemon"
t_cmd_in x secret-tool store --label t00 t00attr one
expect_rc 1 "nodaemon: store fails"
expect_err_match 'org.freedesktop.secrets was not provided by any .service files' \
    "nodaemon: ... with 'not provided by any .service files'"
bpid=$KEYRING_SANDBOX_BUS_PID
sandbox_stop
! _ks_alive "$bpid"
ok $? "nodaemon: sandbox_stop leaves no process"

sandbox_start locked
ok $? "sandbox_start locked"
[ "$(sandbox_is_locked)" = true ]
ok $? "locked: the collection is locked"
t_cmd_in x secret-tool store --label t00 t00attr one
expect_err_match 'Cannot create an item in a locked collection' \
    "locked: store fails"
sandbox_unlock
ok $? "locked: gkunlock unlocks"
t_cmd_in y secret-tool store --label t00 t00attr one
expect_rc 0 "locked: store works after the unlock"
t_cmd secret-tool lookup t00attr one
expect_out_eq y "locked: lookup works after the unlock"

dpid=$KEYRING_SANDBOX_DAEMON_PID
bpid=$KEYRING_SANDBOX_BUS_PID
sandbox_daemon_signal STOP
start=$SECONDS
sandbox_stop
! _ks_alive "$dpid" && ! _ks_alive "$bpid" && [ $((SECONDS - start)) -lt 6 ]
ok $? "sandbox_stop also ends a stopped (hung) daemon, within seconds"

sandbox_start bogus 2>"$T/err"
RC=$?
expect_rc 1 "sandbox_start refuses an unknown mode"
sandbox_start unlocked && sandbox_start unlocked 2>"$T/err"
RC=$?
expect_rc 1 "sandbox_start refuses a second sandbox in one shell"
sandbox_stop
TMPDIR=$T/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
mkdir "$TMPDIR"
sandbox_start unlocked 2>"$T/err"
RC=$?
unset TMPDIR
expect_rc 1 "sandbox_start refuses a temp dir path over 80 characters"
expect_err_match 'longer than 80' "... and says why"

# --- keyring-sandbox.sh: the wrapper ------------------------------------

ksw=$top_srcdir/tests/keyring-sandbox.sh
t_cmd_in 'p4ss' "$ksw" sh -c \
    'secret-tool store --label w wattr v && secret-tool lookup wattr v &&
     echo && echo "$HOME" && exit 7'
expect_rc 7 "wrapper: the command's exit status is the script's"
[ "$(head -n 1 "$T/out")" = p4ss ]
ok $? "wrapper: stdin reaches the command; the keyring works"
expect_out_match '^/.*/krsb\.[A-Za-z0-9]{6}/home$' \
    "wrapper: the command's HOME is inside the sandbox"
t_cmd "$ksw" -- sh -c 'exit 0'
expect_rc 0 "wrapper: '--' before the command"
KEYRING_SANDBOX_MODE=nodaemon t_cmd "$ksw" sh -c \
    'test -z "$KEYRING_SANDBOX_DAEMON_PID" && test -n "$KEYRING_SANDBOX_BUS_PID"'
expect_rc 0 "wrapper: KEYRING_SANDBOX_MODE selects the mode"
KEYRING_SANDBOX_MODE=bogus t_cmd "$ksw" true
expect_rc 70 "wrapper: 70 when the sandbox cannot be set up"
t_cmd "$ksw"
expect_rc 64 "wrapper: 64 without a command"

for sig in TERM HUP; do
	rm -f "$T/pids"
	"$ksw" sh -c 'sleep 30 & echo "$KEYRING_SANDBOX_DAEMON_PID $KEYRING_SANDBOX_BUS_PID $KEYRING_SANDBOX_DIR $$ $!" >"$0"; wait' \
	    "$T/pids" &
	wpid=$!
	for _ in $(seq 100); do
		[ -s "$T/pids" ] && break
		sleep 0.05
	done
	read -r dpid bpid sbdir cpid spid <"$T/pids"
	kill -s "$sig" "$wpid"
	wait "$wpid"
	RC=$?
	case $sig in
	TERM) expect_rc 143 "wrapper: SIGTERM gives 143" ;;
	HUP) expect_rc 129 "wrapper: SIGHUP gives 129" ;;
	esac
	[ -n "$spid" ] && [ -n "$sbdir" ] && [ ! -e "$sbdir" ] &&
	    ! _ks_alive "$dpid" && ! _ks_alive "$bpid" &&
	    ! _ks_alive "$cpid" && ! _ks_alive "$spid"
	ok $? "wrapper: after SIG$sig no daemon, command, grandchild or temp dir is left"
done

t_done
