# shellcheck shell=bash
#
# lib-keyring.sh: a private, headless Secret Service for tests (bash, sourced).
#
# Recipe and pitfalls: keyring-notes.md §2.  Each sandbox has its own temp
# dir, its own dbus-daemon (D-Bus activation off) and its own
# gnome-keyring-daemon; the user's real keyring, bus and XDG_RUNTIME_DIR are
# never used.  Both daemons are children of the calling shell, so call these
# functions from the script's main shell, never from a subshell or $(...).
#
# Functions
#
#   sandbox_start [MODE]
#	Starts a sandbox and waits until it is ready (bounded polling).  MODE
#	(default $KEYRING_SANDBOX_MODE, else "unlocked") is one of
#	  unlocked  daemon started with --unlock: the "login" collection exists,
#		    is unlocked and is the "default" alias
#	  nounlock  daemon without --unlock: no login keyring, no default
#		    collection (storing to the default fails with "Object does
#		    not exist at path ...")
#	  nodaemon  a bus without any secret service ("The name
#		    org.freedesktop.secrets was not provided by any .service
#		    files")
#	  locked    as unlocked, then the default collection is locked with
#		    Service.Lock before the function returns
#	In the calling shell it unsets DISPLAY WAYLAND_DISPLAY
#	GNOME_KEYRING_CONTROL SSH_AUTH_SOCK CREDENTIALS_DIRECTORY, and exports
#	DBUS_SESSION_BUS_ADDRESS (unix:path=$XDG_RUNTIME_DIR/bus),
#	XDG_RUNTIME_DIR (the sandbox's, mode 0700) and
#	  KEYRING_SANDBOX_DIR         the private temp dir
#	  KEYRING_SANDBOX_PASSWORD    the login keyring's password (random hex;
#				      also set in nounlock/nodaemon, unused)
#	  KEYRING_SANDBOX_COLLECTION  /org/freedesktop/secrets/collection/login
#				      (empty in nounlock and nodaemon modes)
#	  KEYRING_SANDBOX_DAEMON_PID  gnome-keyring-daemon (empty in nodaemon)
#	  KEYRING_SANDBOX_BUS_PID     dbus-daemon
#	HOME and the other XDG_* variables of the caller are left alone (see
#	sandbox_export_home).  The daemons' own HOME and XDG_* dirs are
#	$KEYRING_SANDBOX_DIR/{home,data,config,cache,state,run}; their logs are
#	$KEYRING_SANDBOX_DIR/{bus,keyring}.log.
#	Returns 0 when ready; 1 with a message on stderr otherwise (everything
#	already torn down).  Refuses to start a second sandbox in one shell.
#	Knobs: TMPDIR (the temp dir goes under it; the path must be at most 80
#	characters of [A-Za-z0-9/._-], because a unix socket path is limited to
#	~107 bytes), KEYRING_SANDBOX_TIMEOUT (readiness deadline in seconds,
#	default 10), KEYRING_SANDBOX_ACTIVATION=1 (turn D-Bus activation back
#	on: the stock session service dirs are added to the bus config).
#
#   sandbox_stop
#	TERMs gnome-keyring-daemon, then dbus-daemon (KILL after 2 s each),
#	reaps both, removes the temp dir, unsets DBUS_SESSION_BUS_ADDRESS and
#	the KEYRING_SANDBOX_* variables and restores XDG_RUNTIME_DIR.  Safe to
#	call twice or when nothing was started.  Always returns 0.
#
#   sandbox_export_home
#	Exports HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
#	XDG_STATE_HOME pointing into the sandbox (the wrapper script
#	tests/keyring-sandbox.sh does this for its command).
#
#   sandbox_lock
#	Locks the default collection (dbus-send ...Service.Lock; secret-tool
#	lock is broken in libsecret 0.20.5) and waits until it reports
#	Locked == true.  Returns 0 or 1.
#
#   sandbox_unlock [PASSWORD]
#	Unlocks the default collection headlessly with $GKUNLOCK (default
#	$top_builddir/tests/tools/gkunlock; built into the sandbox dir with
#	gcc when missing) fed PASSWORD (default $KEYRING_SANDBOX_PASSWORD) on
#	stdin.  Returns gkunlock's status (0 ok, 1 refused, e.g. "Denied"); its
#	stderr passes through.
#
#   sandbox_is_locked
#	Prints "true" or "false" (the collection's Locked property); returns 1
#	when it cannot be read.
#
#   sandbox_daemon_signal SIGNAL
#	Sends SIGNAL (e.g. STOP, CONT, KILL) to gnome-keyring-daemon, to
#	simulate a hung or vanished service.  sandbox_stop still cleans up.
#
#   sandbox_dbus_call DEST PATH IFACE.METHOD [ARGS...]
#	dbus-send --print-reply=literal on the sandbox bus, 2 s reply timeout.
#
# Internal names start with _ks_.

_ks_dir=
_ks_env=()
_ks_bus_pid=
_ks_daemon_pid=
_ks_saved_runtime_set=
_ks_saved_runtime=

_ks_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_ks_err()
{
	printf 'keyring-sandbox: %s\n' "$*" >&2
}

# Microseconds since the epoch (bash 5's EPOCHREALTIME).
_ks_now_us()
{
	local t=${EPOCHREALTIME/./}
	printf '%s\n' "${t#0}"
}

# _ks_alive PID: true while PID exists and is not a zombie.
_ks_alive()
{
	local st=
	[ -n "${1-}" ] || return 1
	if [ -d /proc/self ]; then
		{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
		st=${st##*) }
		case $st in
		Z* | X*) return 1 ;;
		esac
		return 0
	fi
	kill -0 "$1" 2>/dev/null
}

# _ks_stop_pid PID: TERM (and CONT, in case it is stopped), KILL after 2 s,
# then reap it if it is our child.
_ks_stop_pid()
{
	local pid=${1-} i=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null
	while _ks_alive "$pid" && [ "$i" -lt 40 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if _ks_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

sandbox_dbus_call()
{
	local dest=$1 path=$2 method=$3
	shift 3
	dbus-send --session --reply-timeout=2000 --print-reply=literal \
	    --dest="$dest" "$path" "$method" "$@"
}

# _ks_wait_for DESC CMD...: runs CMD until it succeeds or the deadline
# passes; fails early when a daemon died.
_ks_wait_for()
{
	local desc=$1 deadline
	shift
	deadline=$(($(_ks_now_us) + ${KEYRING_SANDBOX_TIMEOUT:-10} * 1000000))
	while ! "$@"; do
		if ! _ks_alive "$_ks_bus_pid"; then
			_ks_err "dbus-daemon exited while waiting for $desc"
			return 1
		fi
		if [ -n "$_ks_daemon_pid" ] && ! _ks_alive "$_ks_daemon_pid"; then
			_ks_err "gnome-keyring-daemon exited while waiting" \
			    "for $desc"
			return 1
		fi
		if [ "$(_ks_now_us)" -ge "$deadline" ]; then
			_ks_err "timed out after ${KEYRING_SANDBOX_TIMEOUT:-10} s" \
			    "waiting for $desc"
			return 1
		fi
		sleep 0.02
	done
}

_ks_bus_ready()
{
	[ -s "$_ks_dir/bus.addr" ] && [ -S "$_ks_dir/run/bus" ]
}

_ks_has_owner()
{
	local out
	out=$(sandbox_dbus_call org.freedesktop.DBus /org/freedesktop/DBus \
	    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets \
	    2>/dev/null) || return 1
	case $out in
	*true*) return 0 ;;
	esac
	return 1
}

# _ks_read_alias WANT: ReadAlias default answers and (if WANT is set)
# names that path; "/" means no default collection.
_ks_read_alias()
{
	local out
	out=$(sandbox_dbus_call org.freedesktop.secrets \
	    /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias \
	    string:default 2>/dev/null) || return 1
	out=${out//[[:space:]]/}
	[ -n "$out" ] || return 1
	[ -z "${1-}" ] || [ "$out" = "$1" ]
}

sandbox_is_locked()
{
	local out
	[ -n "${KEYRING_SANDBOX_COLLECTION-}" ] || return 1
	out=$(sandbox_dbus_call org.freedesktop.secrets \
	    "$KEYRING_SANDBOX_COLLECTION" org.freedesktop.DBus.Properties.Get \
	    string:org.freedesktop.Secret.Collection string:Locked \
	    2>/dev/null) || return 1
	case $out in
	*true*) echo true ;;
	*false*) echo false ;;
	*) return 1 ;;
	esac
}

_ks_locked_is()
{
	[ "$(sandbox_is_locked)" = "$1" ]
}

_ks_write_bus_config()
{
	{
		cat <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- keyring sandbox: private session bus, D-Bus activation off -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=$_ks_dir/run/bus</listen>
  <auth>EXTERNAL</auth>
EOF
		if [ "${KEYRING_SANDBOX_ACTIVATION:-0}" = 1 ]; then
			echo '  <standard_session_servicedirs/>'
		fi
		cat <<EOF
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	} >"$_ks_dir/bus.conf"
}

# _ks_env_list: sets the array _ks_env to the daemons' environment
# (assignments for env(1)).  The daemons are started as `env ... DAEMON &`
# (a simple command, so $! is the daemon itself), never through a shell
# function, which would put a subshell between us and the daemon.
_ks_env_list()
{
	_ks_env=(HOME="$_ks_dir/home" XDG_DATA_HOME="$_ks_dir/data"
	    XDG_CONFIG_HOME="$_ks_dir/config" XDG_CACHE_HOME="$_ks_dir/cache"
	    XDG_STATE_HOME="$_ks_dir/state" XDG_RUNTIME_DIR="$_ks_dir/run"
	    DBUS_SESSION_BUS_ADDRESS="unix:path=$_ks_dir/run/bus")
}

_ks_show_logs()
{
	local f
	for f in "$_ks_dir/bus.log" "$_ks_dir/keyring.log"; do
		[ -s "$f" ] || continue
		_ks_err "${f##*/}:"
		sed -n '1,20s/^/keyring-sandbox:   /p' "$f" >&2
	done
}

_ks_fail()
{
	_ks_err "$@"
	[ -z "$_ks_dir" ] || _ks_show_logs
	sandbox_stop
	return 1
}

_ks_mkdir()
{
	local tmp=${TMPDIR:-/tmp} d
	tmp=${tmp%/}
	d=$(mktemp -d "${tmp:-/}/krsb.XXXXXX") || {
		_ks_err "cannot create a temp dir under '${tmp:-/}'"
		return 1
	}
	if [ "${#d}" -gt 80 ]; then
		rmdir "$d"
		_ks_err "temp dir path '$d' is longer than 80 characters;" \
		    "set a shorter TMPDIR"
		return 1
	fi
	case $d in
	*[!A-Za-z0-9/._-]*)
		rmdir "$d"
		_ks_err "temp dir path '$d' has characters other than" \
		    "[A-Za-z0-9/._-]; set another TMPDIR"
		return 1
		;;
	esac
	_ks_dir=$d
	chmod 700 "$d" &&
	    mkdir -m 700 "$d/home" "$d/data" "$d/config" "$d/cache" \
		"$d/state" "$d/run"
}

_ks_start_bus()
{
	_ks_write_bus_config || return 1
	_ks_env_list
	env "${_ks_env[@]}" dbus-daemon --nofork --config-file="$_ks_dir/bus.conf" \
	    --print-address=3 3>"$_ks_dir/bus.addr" \
	    </dev/null >/dev/null 2>"$_ks_dir/bus.log" &
	_ks_bus_pid=$!
	_ks_wait_for "the bus socket" _ks_bus_ready || return 1
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$_ks_dir/run/bus"
}

# _ks_start_daemon MODE PASSWORD
_ks_start_daemon()
{
	local coll=/org/freedesktop/secrets/collection/login
	if [ "$1" = nounlock ]; then
		_ks_env_list
		env "${_ks_env[@]}" gnome-keyring-daemon --foreground \
		    --components=secrets \
		    </dev/null >"$_ks_dir/keyring.log" 2>&1 &
		_ks_daemon_pid=$!
		_ks_wait_for "org.freedesktop.secrets on the bus" \
		    _ks_has_owner || return 1
		_ks_wait_for "Service.ReadAlias default" _ks_read_alias ||
		    return 1
		return 0
	fi
	_ks_env_list
	printf %s "$2" | env "${_ks_env[@]}" gnome-keyring-daemon --foreground \
	    --unlock --components=secrets >"$_ks_dir/keyring.log" 2>&1 &
	_ks_daemon_pid=$!
	_ks_wait_for "org.freedesktop.secrets on the bus" _ks_has_owner ||
	    return 1
	_ks_wait_for "alias default = $coll" _ks_read_alias "$coll" ||
	    return 1
	KEYRING_SANDBOX_COLLECTION=$coll
	_ks_wait_for "$coll unlocked" _ks_locked_is false || return 1
}

sandbox_start()
{
	local mode=${1:-${KEYRING_SANDBOX_MODE:-unlocked}} pw cmd
	case $mode in
	unlocked | nounlock | nodaemon | locked) ;;
	*)
		_ks_err "unknown mode '$mode' (unlocked, nounlock," \
		    "nodaemon or locked)"
		return 1
		;;
	esac
	if [ -n "$_ks_dir" ]; then
		_ks_err "a sandbox is already running in this shell ($_ks_dir)"
		return 1
	fi
	for cmd in dbus-daemon dbus-send mktemp env; do
		command -v "$cmd" >/dev/null ||
		    { _ks_err "'$cmd' not found"; return 1; }
	done
	if [ "$mode" != nodaemon ] &&
	    ! command -v gnome-keyring-daemon >/dev/null; then
		_ks_err "'gnome-keyring-daemon' not found"
		return 1
	fi
	pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	if [ "${#pw}" -ne 32 ]; then
		_ks_err "cannot read /dev/urandom"
		return 1
	fi

	unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL SSH_AUTH_SOCK \
	    CREDENTIALS_DIRECTORY DBUS_SESSION_BUS_ADDRESS
	_ks_saved_runtime_set=${XDG_RUNTIME_DIR+set}
	_ks_saved_runtime=${XDG_RUNTIME_DIR-}
	KEYRING_SANDBOX_COLLECTION=

	_ks_mkdir || { sandbox_stop; return 1; }
	_ks_start_bus || { _ks_fail "could not start dbus-daemon"; return; }
	if [ "$mode" != nodaemon ]; then
		_ks_start_daemon "$mode" "$pw" ||
		    { _ks_fail "could not start gnome-keyring-daemon"; return; }
	fi

	export XDG_RUNTIME_DIR="$_ks_dir/run"
	export KEYRING_SANDBOX_DIR="$_ks_dir"
	export KEYRING_SANDBOX_PASSWORD="$pw"
	export KEYRING_SANDBOX_COLLECTION
	export KEYRING_SANDBOX_DAEMON_PID="$_ks_daemon_pid"
	export KEYRING_SANDBOX_BUS_PID="$_ks_bus_pid"

	if [ "$mode" = locked ]; then
		sandbox_lock || { _ks_fail "could not lock the collection"; return; }
	fi
	return 0
}

sandbox_stop()
{
	if [ -n "$_ks_daemon_pid" ]; then
		_ks_stop_pid "$_ks_daemon_pid"
		_ks_daemon_pid=
	fi
	if [ -n "$_ks_bus_pid" ]; then
		_ks_stop_pid "$_ks_bus_pid"
		_ks_bus_pid=
	fi
	if [ -n "$_ks_dir" ]; then
		case $_ks_dir in
		*/krsb.??????) rm -rf -- "$_ks_dir" ;;
		esac
		_ks_dir=
		unset DBUS_SESSION_BUS_ADDRESS
		if [ "$_ks_saved_runtime_set" = set ]; then
			export XDG_RUNTIME_DIR="$_ks_saved_runtime"
		else
			unset XDG_RUNTIME_DIR
		fi
	fi
	unset KEYRING_SANDBOX_DIR KEYRING_SANDBOX_PASSWORD \
	    KEYRING_SANDBOX_COLLECTION KEYRING_SANDBOX_DAEMON_PID \
	    KEYRING_SANDBOX_BUS_PID
	return 0
}

sandbox_export_home()
{
	[ -n "$_ks_dir" ] || { _ks_err "no sandbox running"; return 1; }
	export HOME="$_ks_dir/home" XDG_DATA_HOME="$_ks_dir/data" \
	    XDG_CONFIG_HOME="$_ks_dir/config" XDG_CACHE_HOME="$_ks_dir/cache" \
	    XDG_STATE_HOME="$_ks_dir/state"
}

sandbox_lock()
{
	[ -n "${KEYRING_SANDBOX_COLLECTION-}" ] ||
	    { _ks_err "no default collection to lock"; return 1; }
	sandbox_dbus_call org.freedesktop.secrets /org/freedesktop/secrets \
	    org.freedesktop.Secret.Service.Lock \
	    "array:objpath:$KEYRING_SANDBOX_COLLECTION" >/dev/null || return 1
	_ks_wait_for "$KEYRING_SANDBOX_COLLECTION locked" _ks_locked_is true
}

# Prints the path of a usable gkunlock, building one if needed.
_ks_gkunlock()
{
	local top src out
	top=${top_builddir:-$_ks_lib_dir/../..}
	out=${GKUNLOCK:-$top/tests/tools/gkunlock}
	if [ -x "$out" ]; then
		printf '%s\n' "$out"
		return 0
	fi
	src=${top_srcdir:-$_ks_lib_dir/../..}/tests/tools/gkunlock.c
	out=$_ks_dir/gkunlock
	if [ ! -x "$out" ]; then
		# shellcheck disable=SC2046 # pkg-config output is word lists
		gcc -std=gnu11 -O2 -o "$out" "$src" \
		    $(pkg-config --cflags --libs gio-2.0) >&2 || {
			_ks_err "no gkunlock and building '$src' failed"
			return 1
		}
	fi
	printf '%s\n' "$out"
}

sandbox_unlock()
{
	local gk pw=${1-${KEYRING_SANDBOX_PASSWORD-}}
	[ -n "${KEYRING_SANDBOX_COLLECTION-}" ] ||
	    { _ks_err "no default collection to unlock"; return 1; }
	gk=$(_ks_gkunlock) || return 1
	printf %s "$pw" | "$gk" "$KEYRING_SANDBOX_COLLECTION"
}

sandbox_daemon_signal()
{
	[ -n "$_ks_daemon_pid" ] || { _ks_err "no daemon running"; return 1; }
	kill -s "$1" "$_ks_daemon_pid"
}
