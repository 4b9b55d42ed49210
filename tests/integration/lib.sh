# shellcheck shell=bash source-path=SCRIPTDIR
#
# lib.sh: a small TAP library for ld-relay-token's bash integration tests.
#
# A test script:
#
#	#!/bin/bash
#	. "$(dirname "$0")/lib.sh"
#	t_init
#	t_sandbox unlocked              # optional: private Secret Service
#	t_run_in "$TOKEN" login --token-stdin
#	expect_rc 0 "login stores the token"
#	expect_no_secret "$TOKEN" "login does not print the token"
#	t_done
#
# It prints TAP (one "ok"/"not ok" line per check, "# " diagnostics, the
# plan "1..N" at the end) and exits 0 when every check passed, 1 otherwise.
# Never `set -e` in a test: a failed check must not end the script.  There
# is deliberately no way to skip a test: in this project a skipped test is
# a failed test, and an exit status of 77 (automake's SKIP) or 99 (ERROR)
# is turned into 1.
#
# Environment read (set by the Makefile's AM_TESTS_ENVIRONMENT; the defaults
# are relative to this file, for running a script by hand from anywhere):
#   LDRT          the binary under test   (default $top_builddir/ld-relay-token)
#   top_srcdir    source tree             (default this dir/../..)
#   top_builddir  build tree              (default $top_srcdir)
#   FAKE_LD       tests/fake-ld/fake_ld.py (default under $top_srcdir)
#   GKUNLOCK      tests/tools/gkunlock    (default under $top_builddir)
#   LDRT_TEST_WRAPPER  command words put in front of "$LDRT" by t_run, e.g.
#                 "valgrind -q --error-exitcode=1 --suppressions=..."
#   T_TIMEOUT     seconds before t_run kills the tool (default 60; RC=124)
# All are exported, absolute paths.  lib-keyring.sh is always sourced and
# lib-fake.sh (the fake LaunchDarkly API) when it exists, with FAKE_LD_PY
# defaulting to $FAKE_LD.
#
# Functions
#
#   t_init
#	Creates the per-script temp dir $T (mktemp -d under ${TMPDIR:-/tmp},
#	mode 0700) and sets umask 077, LC_ALL=C.UTF-8, `set +e`.  Installs
#	the EXIT/INT/TERM/HUP trap that runs the registered cleanups (newest
#	first) and removes $T (kept when T_KEEP=1).  Exports an isolated
#	environment for everything the script runs:
#	  HOME=$T/home  XDG_CONFIG_HOME=$T/home/.config
#	  XDG_DATA_HOME=$T/home/.local/share  XDG_CACHE_HOME=$T/home/.cache
#	  XDG_STATE_HOME=$T/home/.local/state  XDG_RUNTIME_DIR=$T/run (0700)
#	  LDRT_CONFIG=$T/config  GIT_CONFIG_NOSYSTEM=1
#	and unsets LDRT_PROFILE LDRT_API_URL LDRT_CA_BUNDLE LDRT_STORE
#	LDRT_PASSPHRASE_FILE, CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
#	GIT_SSL_CAINFO, the *_proxy variables, DISPLAY WAYLAND_DISPLAY
#	DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
#	CREDENTIALS_DIRECTORY.  t_sandbox later sets DBUS_SESSION_BUS_ADDRESS
#	and XDG_RUNTIME_DIR to the sandbox's bus; HOME stays $T/home.
#
#   t_cleanup_push FUNC [ARGS...]
#	Registers a command to run at exit (LIFO).  Arguments are kept
#	verbatim (printf %q), so any value is safe.
#
#   t_plan N
#	Optional: prints the plan "1..N" first; t_done then checks the count.
#	Without it t_done prints the plan at the end.
#
#   ok STATUS DESC...
#	One test: "ok N - DESC" if STATUS is 0, else "not ok N - DESC".
#	Use as `cmd; ok $? "desc"`.  '#' in DESC is escaped so it can never
#	become a TAP SKIP/TODO directive.  Returns 0 or 1 like STATUS.
#
#   t_diag MSG...   prints "# MSG" (each line of MSG prefixed).
#   t_diag_file FILE [LABEL]  prints up to 40 lines of FILE as "# LABEL: line".
#
#   t_bail MSG...
#	Prints "Bail out! MSG" and exits 1 (cleanups run).  For broken
#	prerequisites: the run fails instead of skipping.
#
#   t_run ARGS...            runs "$LDRT" ARGS with stdin from /dev/null
#   t_run_in STRING ARGS...  same, stdin = STRING exactly (no newline added)
#   t_run_file FILE ARGS...  same, stdin from FILE
#	Stdout goes to $T/out, stderr to $T/err, the exit status to $RC; t_run
#	itself always returns 0, so the tool's status (77 and 99 included)
#	never becomes the script's.  Runs under `timeout $T_TIMEOUT` (RC=124
#	on a hang).  Extra environment per call the bash way:
#	`LDRT_PROFILE=x t_run list` (exported to the tool for that call only).
#
#   t_cmd CMD ARGS...            like t_run for any command (git,
#   t_cmd_in STRING CMD ARGS...  secret-tool, ...): same stdin choices,
#				 $T/out, $T/err, $RC, T_TIMEOUT; never fails
#				 the script.
#
#   expect_rc N DESC           ok if $RC == N; else diagnostics: the rc,
#			       stderr and stdout (first 40 lines each)
#   expect_out_eq STR DESC     ok if stdout == STR (trailing newlines of the
#			       output are ignored, as with $(...))
#   expect_err_eq STR DESC     same for stderr
#   expect_out_file FILE DESC  ok if stdout is byte-identical to FILE
#   expect_out_empty DESC      ok if stdout is empty
#   expect_err_empty DESC      ok if stderr is empty
#   expect_out_match REGEX DESC  ok if some line of stdout matches REGEX
#   expect_err_match REGEX DESC  same for stderr (grep -E syntax)
#   expect_err_no_match REGEX DESC  ok if no line of stderr matches
#   expect_no_secret SECRET DESC [FILE...]
#	ok if SECRET occurs (as a fixed string) in none of $T/out, $T/err and
#	the FILEs given; an empty SECRET is itself a failure.  The secret is
#	never printed in diagnostics.
#
#   t_check RC DESC ARGS... <<\EOF          (git's t/lib-credential.sh style)
#   t_check_cmd RC DESC CMD ARGS... <<\EOF
#	Reads a heredoc of three sections split by lines "--": the stdin to
#	give, the expected stdout, the expected stderr.  Runs "$LDRT" ARGS
#	(t_check) or CMD ARGS (t_check_cmd) like t_run, then one test: ok if
#	the status is RC and stdout and stderr are byte-identical to the
#	sections (each line of a section ends with a newline; an empty or
#	missing section means empty).  On failure, diff -u diagnostics.
#	Example:
#		t_check_cmd 0 "fill answers the stored password" \
#		    git credential fill <<\EOF
#		protocol=https
#		host=example.com
#		--
#		protocol=https
#		host=example.com
#		username=u
#		password=p
#		--
#		EOF
#
#   t_sandbox [MODE]
#	sandbox_start MODE (lib-keyring.sh) and t_cleanup_push sandbox_stop;
#	bails out if the sandbox cannot be set up.
#
#   t_done
#	Prints the plan (unless t_plan was used) and a summary line, and exits
#	0 if every test passed and at least one ran, else 1.
#
# Variables: T (temp dir), RC (last t_run status), LDRT, T_NTESTS, T_NFAIL.
# Internal names start with _t_.

_t_libdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

top_srcdir=$(cd "${top_srcdir:-$_t_libdir/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
LDRT=${LDRT:-$top_builddir/ld-relay-token}
FAKE_LD=${FAKE_LD:-$top_srcdir/tests/fake-ld/fake_ld.py}
GKUNLOCK=${GKUNLOCK:-$top_builddir/tests/tools/gkunlock}
export top_srcdir top_builddir LDRT FAKE_LD GKUNLOCK

T=
RC=
T_NTESTS=0
T_NFAIL=0
_t_planned=
_t_done=
_t_cleanups=()

# shellcheck source=lib-keyring.sh
. "$_t_libdir/lib-keyring.sh"
if [ -f "$_t_libdir/lib-fake.sh" ]; then
	if [ -z "${FAKE_LD_PY-}" ]; then
		export FAKE_LD_PY="$FAKE_LD"
	fi
	# shellcheck source=/dev/null
	. "$_t_libdir/lib-fake.sh"
fi

t_diag()
{
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

t_diag_file()
{
	local f=$1 label=${2:-${1##*/}} line n=0
	if [ ! -s "$f" ]; then
		printf '# %s: (empty)\n' "$label"
		return 0
	fi
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ "$n" -gt 40 ]; then
			printf '# %s: ...\n' "$label"
			break
		fi
		printf '# %s: %s\n' "$label" "$line"
	done <"$f"
}

ok()
{
	local st=$1 desc
	shift
	desc=$*
	desc=${desc//$'\n'/ }
	desc=${desc//\\/\\\\}
	desc=${desc//#/\\#}
	T_NTESTS=$((T_NTESTS + 1))
	if [ "$st" = 0 ]; then
		printf 'ok %d - %s\n' "$T_NTESTS" "$desc"
		return 0
	fi
	T_NFAIL=$((T_NFAIL + 1))
	printf 'not ok %d - %s\n' "$T_NTESTS" "$desc"
	return 1
}

t_plan()
{
	_t_planned=$1
	printf '1..%d\n' "$1"
}

t_bail()
{
	printf 'Bail out! %s\n' "$*"
	exit 1
}

t_cleanup_push()
{
	local cmd
	printf -v cmd '%q ' "$@"
	_t_cleanups+=("$cmd")
}

_t_cleanup()
{
	local st=$? i
	trap '' HUP INT TERM
	for ((i = ${#_t_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_t_cleanups[i]}"
	done
	_t_cleanups=()
	if [ -n "$T" ] && [ "${T_KEEP:-0}" != 1 ]; then
		rm -rf -- "$T"
	elif [ -n "$T" ]; then
		printf '# T_KEEP=1: kept %s\n' "$T"
	fi
	if [ -z "$_t_done" ] && [ "$st" -eq 0 ]; then
		printf '# the script ended before t_done\n'
		st=1
	fi
	case $st in
	77 | 99) st=1 ;;
	esac
	exit "$st"
}

_t_signal()
{
	printf '# killed by signal %d\n' "$1"
	exit $((128 + $1))
}

t_init()
{
	local v
	set +e
	umask 077
	export LC_ALL=C.UTF-8
	T=$(mktemp -d "${TMPDIR:-/tmp}/ldrt.XXXXXX") ||
	    t_bail "cannot create a temp dir under ${TMPDIR:-/tmp}"
	trap _t_cleanup EXIT
	trap '_t_signal 1' HUP
	trap '_t_signal 2' INT
	trap '_t_signal 15' TERM
	mkdir -p "$T/home/.config" "$T/home/.local/share" "$T/home/.cache" \
	    "$T/home/.local/state" "$T/run" || t_bail "cannot populate $T"
	chmod 700 "$T/run"
	export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" \
	    XDG_DATA_HOME="$T/home/.local/share" XDG_CACHE_HOME="$T/home/.cache" \
	    XDG_STATE_HOME="$T/home/.local/state" XDG_RUNTIME_DIR="$T/run" \
	    LDRT_CONFIG="$T/config" GIT_CONFIG_NOSYSTEM=1
	for v in LDRT_PROFILE LDRT_API_URL LDRT_CA_BUNDLE LDRT_STORE \
	    LDRT_PASSPHRASE_FILE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR \
	    GIT_SSL_CAINFO http_proxy HTTP_PROXY https_proxy HTTPS_PROXY \
	    all_proxy ALL_PROXY no_proxy NO_PROXY DISPLAY WAYLAND_DISPLAY \
	    DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK \
	    CREDENTIALS_DIRECTORY; do
		unset "$v"
	done
	: >"$T/out"
	: >"$T/err"
	t_diag "T=$T LDRT=$LDRT"
}

# _t_exec STDIN CMD...: the common part of t_run and t_cmd.
_t_exec()
{
	local in=$1
	shift
	timeout -k 5 "${T_TIMEOUT:-60}" "$@" <"$in" >"$T/out" 2>"$T/err"
	RC=$?
	if [ "$RC" -eq 124 ]; then
		t_diag "timed out after ${T_TIMEOUT:-60} s: $1"
	fi
	return 0
}

_t_tool()
{
	local in=$1 wrap=()
	shift
	if [ -n "${LDRT_TEST_WRAPPER-}" ]; then
		read -r -a wrap <<<"$LDRT_TEST_WRAPPER"
	fi
	_t_exec "$in" "${wrap[@]}" "$LDRT" "$@"
}

t_run()
{
	_t_tool /dev/null "$@"
}

t_run_in()
{
	local s=$1
	shift
	printf '%s' "$s" >"$T/in"
	_t_tool "$T/in" "$@"
}

t_run_file()
{
	local f=$1
	shift
	_t_tool "$f" "$@"
}

t_cmd()
{
	_t_exec /dev/null "$@"
}

t_cmd_in()
{
	local s=$1
	shift
	printf '%s' "$s" >"$T/in"
	_t_exec "$T/in" "$@"
}

# _t_show_run: diagnostics after a failed expectation.
_t_show_run()
{
	t_diag "rc: $RC"
	t_diag_file "$T/err" stderr
	t_diag_file "$T/out" stdout
}

expect_rc()
{
	local want=$1
	shift
	if [ "$RC" = "$want" ]; then
		ok 0 "$@"
		return
	fi
	ok 1 "$@"
	t_diag "expected rc $want, got $RC"
	_t_show_run
	return 1
}

# _t_expect_eq FILE LABEL STR DESC...
_t_expect_eq()
{
	local f=$1 label=$2 want=$3 got
	shift 3
	got=$(cat "$f")
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
		return
	fi
	ok 1 "$@"
	t_diag "expected $label:"
	t_diag "$want"
	_t_show_run
	return 1
}

expect_out_eq()
{
	local want=$1
	shift
	_t_expect_eq "$T/out" stdout "$want" "$@"
}

expect_err_eq()
{
	local want=$1
	shift
	_t_expect_eq "$T/err" stderr "$want" "$@"
}

expect_out_file()
{
	local f=$1
	shift
	if cmp -s "$f" "$T/out"; then
		ok 0 "$@"
		return
	fi
	ok 1 "$@"
	t_diag_file "$f" expected
	_t_show_run
	return 1
}

# _t_expect_empty FILE LABEL DESC...
_t_expect_empty()
{
	local f=$1 label=$2
	shift 2
	if [ ! -s "$f" ]; then
		ok 0 "$@"
		return
	fi
	ok 1 "$@"
	t_diag "expected empty $label"
	_t_show_run
	return 1
}

expect_out_empty()
{
	_t_expect_empty "$T/out" stdout "$@"
}

expect_err_empty()
{
	_t_expect_empty "$T/err" stderr "$@"
}

# _t_expect_match WANT(0 match, 1 no match) FILE LABEL REGEX DESC...
_t_expect_match()
{
	local want=$1 f=$2 label=$3 re=$4 st=1
	shift 4
	grep -E -q -a -- "$re" "$f" && st=0
	if [ "$st" = "$want" ]; then
		ok 0 "$@"
		return
	fi
	ok 1 "$@"
	if [ "$want" = 0 ]; then
		t_diag "expected $label to match: $re"
	else
		t_diag "expected $label not to match: $re"
	fi
	_t_show_run
	return 1
}

expect_out_match()
{
	local re=$1
	shift
	_t_expect_match 0 "$T/out" stdout "$re" "$@"
}

expect_err_match()
{
	local re=$1
	shift
	_t_expect_match 0 "$T/err" stderr "$re" "$@"
}

expect_err_no_match()
{
	local re=$1
	shift
	_t_expect_match 1 "$T/err" stderr "$re" "$@"
}

expect_no_secret()
{
	local secret=$1 desc=$2 f bad=
	shift 2
	if [ -z "$secret" ]; then
		ok 1 "$desc"
		t_diag "expect_no_secret: the secret is empty"
		return 1
	fi
	for f in "$T/out" "$T/err" "$@"; do
		[ -e "$f" ] || continue
		if grep -F -q -a -- "$secret" "$f"; then
			bad="$bad $f"
		fi
	done
	if [ -z "$bad" ]; then
		ok 0 "$desc"
		return
	fi
	ok 1 "$desc"
	t_diag "the secret appears in:$bad"
	return 1
}

# _t_check RC DESC CMD...: the body of t_check and t_check_cmd.
_t_check()
{
	local want=$1 desc=$2 line sec=0 f st=0
	shift 2
	: >"$T/check.in"
	: >"$T/check.out"
	: >"$T/check.err"
	while IFS= read -r line || [ -n "$line" ]; do
		if [ "$line" = -- ] && [ "$sec" -lt 2 ]; then
			sec=$((sec + 1))
			continue
		fi
		case $sec in
		0) f=in ;;
		1) f=out ;;
		*) f=err ;;
		esac
		printf '%s\n' "$line" >>"$T/check.$f"
	done
	_t_exec "$T/check.in" "$@"
	[ "$RC" = "$want" ] || st=1
	cmp -s "$T/check.out" "$T/out" || st=1
	cmp -s "$T/check.err" "$T/err" || st=1
	ok "$st" "$desc"
	[ "$st" = 0 ] && return 0
	[ "$RC" = "$want" ] || t_diag "expected rc $want, got $RC"
	cmp -s "$T/check.out" "$T/out" ||
	    t_diag "$(diff -u --label expected --label stdout \
		"$T/check.out" "$T/out")"
	cmp -s "$T/check.err" "$T/err" ||
	    t_diag "$(diff -u --label expected --label stderr \
		"$T/check.err" "$T/err")"
	return 1
}

t_check()
{
	local want=$1 desc=$2 wrap=()
	shift 2
	if [ -n "${LDRT_TEST_WRAPPER-}" ]; then
		read -r -a wrap <<<"$LDRT_TEST_WRAPPER"
	fi
	_t_check "$want" "$desc" "${wrap[@]}" "$LDRT" "$@"
}

t_check_cmd()
{
	_t_check "$@"
}

t_sandbox()
{
	sandbox_start "${1:-unlocked}" ||
	    t_bail "cannot start the keyring sandbox (${1:-unlocked})"
	t_cleanup_push sandbox_stop
}

t_done()
{
	_t_done=1
	if [ -z "$_t_planned" ]; then
		printf '1..%d\n' "$T_NTESTS"
	elif [ "$_t_planned" != "$T_NTESTS" ]; then
		t_diag "planned $_t_planned tests but ran $T_NTESTS"
		exit 1
	fi
	t_diag "$((T_NTESTS - T_NFAIL)) passed, $T_NFAIL failed"
	if [ "$T_NFAIL" -ne 0 ] || [ "$T_NTESTS" -eq 0 ]; then
		exit 1
	fi
	exit 0
}
