#!/bin/bash
#
# keyring-sandbox.sh: run a command inside a private, headless Secret Service.
#
# usage: tests/keyring-sandbox.sh [--] CMD [ARGS...]
#
# Starts a private dbus-daemon (D-Bus activation off) and gnome-keyring-daemon
# in a fresh temp dir under ${TMPDIR:-/tmp}, waits until the secret service
# is ready, then runs CMD as a child with this script's stdin.  CMD sees
# HOME, XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_STATE_HOME and
# XDG_RUNTIME_DIR inside the temp dir, DBUS_SESSION_BUS_ADDRESS of the
# private bus, no DISPLAY, WAYLAND_DISPLAY, GNOME_KEYRING_CONTROL,
# SSH_AUTH_SOCK or CREDENTIALS_DIRECTORY, and
#   KEYRING_SANDBOX_DIR KEYRING_SANDBOX_PASSWORD KEYRING_SANDBOX_COLLECTION
#   KEYRING_SANDBOX_DAEMON_PID KEYRING_SANDBOX_BUS_PID
# On exit, INT, TERM or HUP the command (and its descendants), then the
# keyring daemon, then dbus-daemon are TERMed (KILL after 2 s), reaped, and
# the temp dir is removed.  The user's own keyring is never touched.
#
# Environment:
#   KEYRING_SANDBOX_MODE        unlocked (default), nounlock, nodaemon, locked
#                               (see tests/integration/lib-keyring.sh)
#   KEYRING_SANDBOX_TIMEOUT     readiness deadline in seconds (default 10)
#   KEYRING_SANDBOX_ACTIVATION  1 to turn D-Bus activation back on
#
# Exit status: CMD's; 70 if the sandbox could not be set up; 64 on a usage
# error; 128+N when this script gets signal N.
#
# Example:
#   printf s3cret | tests/keyring-sandbox.sh sh -c \
#       'secret-tool store --label x attr val && secret-tool lookup attr val'

_ksw_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 70
# shellcheck source-path=SCRIPTDIR source=integration/lib-keyring.sh
. "$_ksw_here/integration/lib-keyring.sh" || exit 70

_ksw_child=

# The functions below run from traps; shellcheck cannot see that.
# shellcheck disable=SC2317

# Prints PID's descendants, children first, from /proc.
_ksw_descendants()
{
	local f st ppid pid
	local -a kids=()
	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		pid=${st%% *}
		st=${st##*) }
		ppid=${st#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$1" ] && kids+=("$pid")
	done
	for pid in "${kids[@]}"; do
		printf '%s\n' "$pid"
		_ksw_descendants "$pid"
	done
}

# shellcheck disable=SC2317
_ksw_cleanup()
{
	local pid
	local -a desc=()
	if [ -n "$_ksw_child" ]; then
		mapfile -t desc < <(_ksw_descendants "$_ksw_child")
		_ks_stop_pid "$_ksw_child"
		for pid in "${desc[@]}"; do
			_ks_stop_pid "$pid"
		done
		_ksw_child=
	fi
	sandbox_stop
}

# shellcheck disable=SC2317
_ksw_signal()
{
	trap '' HUP INT TERM
	_ksw_cleanup
	trap - EXIT
	exit $((128 + $1))
}

trap _ksw_cleanup EXIT
trap '_ksw_signal 1' HUP
trap '_ksw_signal 2' INT
trap '_ksw_signal 15' TERM

if [ "${1-}" = -- ]; then
	shift
fi
if [ $# -eq 0 ]; then
	echo "usage: keyring-sandbox.sh [--] CMD [ARGS...]" >&2
	exit 64
fi

sandbox_start "${KEYRING_SANDBOX_MODE:-unlocked}" || exit 70
sandbox_export_home || exit 70

# A background job of a non-interactive shell gets stdin from /dev/null and
# ignores INT and QUIT; give CMD our stdin and the default dispositions back.
if env --default-signal=INT true 2>/dev/null; then
	env --default-signal=INT,QUIT -- "$@" <&0 &
else
	"$@" <&0 &
fi
_ksw_child=$!
wait "$_ksw_child"
_ksw_rc=$?
_ksw_child=
exit "$_ksw_rc"
