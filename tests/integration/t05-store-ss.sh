#!/bin/bash
# t05-store-ss.sh: the Secret Service store's unit tests (check_store_ss)
# inside a private keyring, once per sandbox mode, plus once without any
# bus.  Each Check test case becomes one TAP line here.
. "$(dirname "$0")/lib.sh"
t_init
prog=$top_builddir/tests/unit/check_store_ss
[ -x "$prog" ] || t_bail "missing $prog (build with make check)"

# run_mode MODE: runs the suite in a sandbox of MODE and relays its TAP
# lines as our own checks.
run_mode() {
	local mode=$1 line
	KEYRING_SANDBOX_MODE=$mode CK_TAP_LOG_FILE_NAME="$T/tap.$mode" \
	    CK_VERBOSITY=silent "$top_srcdir/tests/keyring-sandbox.sh" "$prog" \
	    >"$T/out.$mode" 2>"$T/err.$mode"
	RC=$?
	[ -s "$T/tap.$mode" ]
	ok $? "check_store_ss ($mode) ran its suite" ||
	    t_diag_file "$T/err.$mode" stderr
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$mode: ${line#ok * - }" ;;
		"not ok "*) ok 1 "$mode: ${line#not ok * - }" ;;
		esac
	done <"$T/tap.$mode"
	[ "$RC" = 0 ]
	ok $? "check_store_ss ($mode) exits 0" || t_diag_file "$T/err.$mode" stderr
}

for m in unlocked locked nounlock nodaemon; do
	run_mode "$m"
done
# no bus at all
env -u DBUS_SESSION_BUS_ADDRESS CK_TAP_LOG_FILE_NAME="$T/tap.nobus" \
    CK_VERBOSITY=silent "$prog" >"$T/out.nobus" 2>"$T/err.nobus"
ok $? "check_store_ss without any bus exits 0" || t_diag_file "$T/err.nobus" stderr
t_done
