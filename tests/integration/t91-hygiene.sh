#!/bin/bash
# t91-hygiene.sh: secret hygiene of the running tool (issue 9).
#
# While login, status, create, list, get, credential get, token and rotate
# (when the binary has it) run, their /proc/PID/cmdline and
# /proc/PID/environ hold neither the API token nor a relay key; neither
# do the argv and environment of the --exec command they start.  Core
# dumps are off (RLIMIT_CORE 0 in /proc/PID/limits) and the process is
# not dumpable (its /proc/PID files belong to root even when it runs as
# another user).  At the end, no file the tool wrote under the test HOME
# or the config holds a secret, except the env/-o files a test asked for,
# and none has group or other permission bits (the tool runs with umask
# 022 here, so its own umask and modes are what is tested).
#
# How a running process is caught: API commands wait on a fake "delay"
# fault (the request is logged on arrival, then the fake sleeps), local
# commands block writing their stdout into a full pipe.  The unit test
# tests/unit/check_secret.c inspects freed secret buffers through
# secret_release_hook (wiped before free).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
umask 022

# The tool must run directly (not under LDRT_TEST_WRAPPER) so that $! is it.
unset LDRT_TEST_WRAPPER
# The fixture exports the tokens for other tests; keep them out of the
# tool's environment so that what /proc shows is what the tool made.
export -n ADMIN_TOKEN READER_TOKEN NONE_TOKEN

SECRETS=("$ADMIN_TOKEN")
# grep_secrets FILE...: status 0 if any known secret occurs in a FILE.
grep_secrets()
{
	local s
	for s in "${SECRETS[@]}"; do
		[ -n "$s" ] || continue
		grep -F -q -a -r -- "$s" "$@" 2>/dev/null && return 0
	done
	return 1
}

# wait_req REGEX N: poll (5 s) until the fake logged N requests on REGEX.
wait_req()
{
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(fake_count '*' "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_syscall PID NR: poll (5 s) until PID sits in system call NR
# (0 read, 1 write) according to /proc/PID/syscall; when that file is
# unreadable (not root: the tool is not dumpable), just wait 0.5 s.
wait_syscall()
{
	local i nr
	for ((i = 0; i < 100; i++)); do
		if ! read -r nr _ <"/proc/$1/syscall" 2>/dev/null; then
			[ -e "/proc/$1" ] && sleep 0.5
			return 0
		fi
		[ "$nr" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# check_proc PID LABEL: the /proc checks on a live process.
check_proc()
{
	local pid=$1 what=$2 st
	if [ ! -r "/proc/$pid/cmdline" ]; then
		ok 1 "$what: the process is alive for sampling"
		return 1
	fi
	tr '\0' '\n' <"/proc/$pid/cmdline" >"$T/proc.cmdline" 2>/dev/null
	[ -s "$T/proc.cmdline" ]
	ok $? "$what: /proc/PID/cmdline was read"
	! grep_secrets "$T/proc.cmdline"
	ok $? "$what: no secret in /proc/PID/cmdline"
	if tr '\0' '\n' <"/proc/$pid/environ" >"$T/proc.environ" 2>/dev/null; then
		! grep_secrets "$T/proc.environ"
		ok $? "$what: no secret in /proc/PID/environ"
	else
		ok 0 "$what: /proc/PID/environ is not readable (not dumpable)"
	fi
	st=1
	grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" && st=0
	ok $st "$what: RLIMIT_CORE is 0 (soft and hard)"
	[ $st = 0 ] || t_diag "$(grep -i core "/proc/$pid/limits")"
}

# sample_api DESC PATH_REGEX STDIN ARGS...: runs the tool in the background
# with a 1 s delay on the first request matching PATH_REGEX and checks it
# while it waits.  Leaves the status in RC, outputs in $T/out and $T/err.
sample_api()
{
	local what=$1 rx=$2 in=$3 pid n0
	shift 3
	printf '%s' "$in" >"$T/in"
	n0=$(fake_count '*' "$rx")
	fake_fault "{\"path\":\"$rx\",\"action\":\"delay\",\"seconds\":1}" \
	    >/dev/null
	"$LDRT" "$@" <"$T/in" >"$T/out" 2>"$T/err" &
	pid=$!
	if wait_req "$rx" $((n0 + 1)); then
		check_proc "$pid" "$what"
	else
		ok 1 "$what: the request reached the fake"
	fi
	wait "$pid"
	RC=$?
	fake_clear_faults
}

# sample_local DESC STDIN ARGS...: runs the tool with stdout into a full
# pipe, so it blocks on its final write holding the key; checks it, then
# drains the pipe.  The output lands in $T/out.
sample_local()
{
	local what=$1 in=$2 pid cpid
	shift 2
	printf '%s' "$in" >"$T/in"
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	exec 7<>"$T/fifo"
	head -c 65536 /dev/zero >&7	# fills the pipe buffer
	"$LDRT" "$@" <"$T/in" >&7 2>"$T/err" &
	pid=$!
	wait_syscall "$pid" 1	# blocked writing into the full pipe
	check_proc "$pid" "$what"
	# the reader must not hold the write end, or it never sees EOF
	timeout 10 cat "$T/fifo" 7>&- >"$T/fifo.out" &
	cpid=$!
	wait "$pid"
	RC=$?
	exec 7>&-
	wait "$cpid"
	tr -d '\0' <"$T/fifo.out" >"$T/out"
}

# ---- login, status ---------------------------------------------------------
sample_api "login" '^/api/v2/account/relay-auto-configs$' "$ADMIN_TOKEN" \
    login --token-stdin
expect_rc 0 "login succeeds after the delay"
expect_no_secret "$ADMIN_TOKEN" "login prints no token"

sample_api "status" '.' "" status
expect_rc 0 "status succeeds after the delay"
expect_no_secret "$ADMIN_TOKEN" "status prints no token"

# ---- create with --exec and an env file ---------------------------------
cat >"$T/exec.sh" <<'EOF'
#!/bin/sh
# records what the after-change command and its parent expose
{
	echo "== env"
	env
	echo "== argv"
	tr '\0' '\n' </proc/$$/cmdline
	echo "== parent argv"
	tr '\0' '\n' </proc/$PPID/cmdline
} >"$EXEC_DUMP" 2>&1
EOF
chmod 755 "$T/exec.sh"
export EXEC_DUMP="$T/exec.dump"
sample_api "create" '^/api/v2/account/relay-auto-configs$' "" \
    create prod --policy "$T/policy.json" --env-file "$T/relay.env" \
    --exec "$T/exec.sh"
expect_rc 0 "create succeeds after the delay"
ID=$(sed -n 's/.*(id \([0-9a-f]*\),.*/\1/p' "$T/err")
[ -n "$ID" ]
ok $? "create reported the id"
KEY=$(ldrt_fake_key "$ID")
SECRETS+=("$KEY")
expect_no_secret "$KEY" "create prints no key"
expect_no_secret "$ADMIN_TOKEN" "create prints no token"
[ -s "$EXEC_DUMP" ]
ok $? "the --exec command ran"
! grep_secrets "$EXEC_DUMP"
ok $? "no secret in the argv or environment of the --exec command (or its parent)"
grep -q "AUTO_CONFIG_KEY=$KEY" "$T/relay.env"
ok $? "the env file asked for holds the key"

sample_api "list" '^/api/v2/account/relay-auto-configs$' "" list
expect_rc 0 "list succeeds after the delay"
expect_no_secret "$KEY" "list prints no key"

# ---- local commands: get, credential get, token -----------------------
rm -f "$EXEC_DUMP"
sample_local "get" "" get prod --exec "$T/exec.sh"
expect_rc 0 "get succeeds"
[ "$(cat "$T/out")" = "$KEY" ]
ok $? "get printed the key (asked for on stdout)"
if [ -s "$EXEC_DUMP" ]; then
	! grep_secrets "$EXEC_DUMP"
	ok $? "no secret in the argv or environment of get's --exec command"
fi

sample_local "credential get" $'protocol=ldrelay\nhost=prod\n\n' \
    credential get
expect_rc 0 "credential get succeeds"
grep -q "^password=$KEY\$" "$T/out"
ok $? "credential get answered the key (asked for on stdout)"

sample_local "token" "" token
expect_rc 0 "token succeeds"

# ---- rotate (once the binary has it) -----------------------------------
if "$LDRT" rotate --help >/dev/null 2>&1; then
	rm -f "$EXEC_DUMP"
	sample_api "rotate" '/reset$' "" rotate prod --exec "$T/exec.sh" \
	    --env-file "$T/relay.env"
	expect_rc 0 "rotate succeeds after the delay"
	KEY2=$(ldrt_fake_key "$ID")
	SECRETS+=("$KEY2")
	expect_no_secret "$KEY2" "rotate prints no new key"
	expect_no_secret "$KEY" "rotate prints no old key"
	[ -s "$EXEC_DUMP" ]
	ok $? "rotate's --exec command ran"
	! grep_secrets "$EXEC_DUMP"
	ok $? "no secret in the argv or environment of rotate's --exec command"
	grep -q "AUTO_CONFIG_KEY=$KEY2" "$T/relay.env"
	ok $? "the env file holds the new key"
else
	t_diag "this binary has no rotate command yet: rotate not sampled"
fi

# ---- not dumpable: its /proc files belong to root --------------------
# A non-dumpable process's /proc/PID files are owned by root.  As root that
# is indistinguishable, so run the tool as nobody (setpriv) there.
# $T is 0700: the unprivileged run gets its own world-usable dir.
NB=$(mktemp -d "${TMPDIR:-/tmp}/ldrt-nb.XXXXXX")
t_cleanup_push rm -rf "$NB"
chmod 755 "$NB"
mkdir -p "$NB/home"
chmod 777 "$NB/home"
mkfifo -m 666 "$NB/fifo"
exec 8<>"$NB/fifo"
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HOME="$NB/home" XDG_CONFIG_HOME="$NB/home" \
	    XDG_STATE_HOME="$NB/home" XDG_DATA_HOME="$NB/home" \
	    LDRT_CONFIG="$NB/home/config" \
	    "$LDRT" --no-prompt credential get <&8 >"$NB/home/err" 2>&1 &
	want_uid=65534
else
	"$LDRT" --no-prompt credential get <&8 >/dev/null 2>&1 &
	want_uid=$(id -u)
fi
pid=$!
# it blocks reading stdin; wait until it is past main()'s hardening
wait_syscall "$pid" 0
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
owner=$(stat -c %u "/proc/$pid/environ" 2>/dev/null)
[ "$uid" = "$want_uid" ] && [ "$owner" = 0 ]
ok $? "the process is not dumpable (runs as uid $uid, /proc/PID/environ owned by uid $owner)" ||
    t_diag_file "$NB/home/err" "unprivileged run"
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
ok $? "RLIMIT_CORE is 0 for the unprivileged process too"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exec 8>&-

# ---- the whole run: files and modes -----------------------------------
t_run logout
expect_rc 0 "logout"
# Every file the tool created: config, state, data dirs and the env file.
files=()
while IFS= read -r -d '' f; do
	files+=("$f")
done < <(find "$HOME" "$T/config" "$T/relay.env" -print0 2>/dev/null)
[ "${#files[@]}" -gt 2 ]
ok $? "the run left files to inspect (${#files[@]})"
bad=$(find "$HOME" "$T/config" "$T/relay.env" -perm /077 2>/dev/null)
[ -z "$bad" ]
ok $? "no file or directory the tool created has group/other bits"
[ -z "$bad" ] || t_diag "$bad"
# no key anywhere but in the env file asked for
leak=
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	[ "$f" = "$T/relay.env" ] && continue
	if grep_secrets "$f"; then
		leak="$leak $f"
	fi
done
[ -z "$leak" ]
ok $? "no secret in any state, config or data file"
[ -z "$leak" ] || t_diag "secret found in:$leak"

t_done
