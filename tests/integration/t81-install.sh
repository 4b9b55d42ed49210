#!/bin/bash
#
# t81-install.sh: "make install DESTDIR=..." puts every file where it
# belongs, the installed program runs (also as git-credential-ld-relay),
# man finds its pages, the installed completion works, and "make uninstall"
# removes everything again.
#
# The directories are read from the build tree's Makefile (whatever
# configure was given), never assumed.  Needs a configured and built tree
# ($top_builddir/Makefile); run by hand:
#	bash tests/integration/t81-install.sh

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init

[ -f "$top_builddir/Makefile" ] || t_bail "no Makefile in $top_builddir"
for tool in make man mandoc; do
	command -v "$tool" >/dev/null || t_bail "$tool is not installed"
done

# A make that does not inherit the outer "make check" (jobserver, -k ...).
tmake()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make --no-print-directory -C "$top_builddir" "$@"
}

# mkvar NAME: a variable of the build tree's Makefile, fully expanded.
mkvar()
{
	# shellcheck disable=SC2016 # $(...) is make syntax here
	printf 'print-var:\n\t@printf "%%s\\n" "$(%s)"\n' "$1" |
	    tmake -s -f Makefile -f - print-var 2>/dev/null
}

dest=$T/dest
d_bindir=$(mkvar bindir)
d_mandir=$(mkvar mandir)
d_bashcompletiondir=$(mkvar bashcompletiondir)
d_zshcompletiondir=$(mkvar zshcompletiondir)
d_systemdsystemunitdir=$(mkvar systemdsystemunitdir)
d_cronexampledir=$(mkvar cronexampledir)
d_EXEEXT=$(mkvar EXEEXT)
val=
for v in bindir mandir bashcompletiondir zshcompletiondir \
    systemdsystemunitdir cronexampledir; do
	eval "val=\$d_$v"
	t_diag "$v = $val"
	case $val in
	/*) st=0 ;;
	*) st=1 ;;
	esac
	ok $st "configure set $v (an absolute directory)"
done

tmake install DESTDIR="$dest" >"$T/install.log" 2>&1
st=$?
ok $st "make install DESTDIR=... succeeds" || t_diag_file "$T/install.log" install

bin=$dest$d_bindir/ld-relay-token$d_EXEEXT
helper=$dest$d_bindir/git-credential-ld-relay$d_EXEEXT

# --- the program and its alias -------------------------------------------

[ -f "$bin" ] && [ -x "$bin" ] && [ "$(stat -c %a "$bin")" = 755 ]
ok $? "bin/ld-relay-token is installed, mode 755"
"$bin" --version >"$T/out" 2>"$T/err"
st=$?
[ "$st" -eq 0 ] && grep -q '^ld-relay-token [0-9]' "$T/out"
ok $? "the installed binary runs: $(cat "$T/out")"
[ -L "$helper" ] || [ "$helper" -ef "$bin" ]
ok $? "bin/git-credential-ld-relay is a link"
[ "$helper" -ef "$bin" ]
ok $? "git-credential-ld-relay resolves to the installed ld-relay-token"
if [ -L "$helper" ]; then
	case $(readlink "$helper") in
	/*) st=1 ;;
	*) st=0 ;;
	esac
	ok $st "the link is relative, so DESTDIR does not leak into it" ||
	    t_diag "link: $(readlink "$helper")"
fi
# argv[0] selects the credential-helper mode: an unknown operation is
# ignored silently with exit 0 (git's rule), where the main program would
# call it an unknown command
"$helper" frobnicate </dev/null >"$T/out" 2>"$T/err"
st=$?
[ "$st" -eq 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ]
ok $? "git-credential-ld-relay runs in helper mode (unknown operation: exit 0, silent)" ||
    { t_diag "rc=$st"; t_diag_file "$T/err" stderr; }
"$bin" frobnicate </dev/null >"$T/out" 2>"$T/err"
[ $? -eq 64 ]
ok $? "ld-relay-token itself rejects the unknown command (exit 64)"

# --- man pages -------------------------------------------------------------

for p in man1/ld-relay-token.1 man5/ld-relay-token.conf.5 \
    man1/git-credential-ld-relay.1; do
	f=$dest$d_mandir/$p
	[ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ]
	ok $? "$p is installed, mode 644"
	cmp -s "$f" "$top_srcdir/man/${p#*/}"
	ok $? "$p is the page from man/"
done
for q in "ld-relay-token" "5 ld-relay-token.conf" "git-credential-ld-relay"; do
	# shellcheck disable=SC2086
	w=$(MANPATH=$dest$d_mandir man -w $q 2>"$T/err")
	case $w in
	"$dest$d_mandir"/*) st=0 ;;
	*) st=1 ;;
	esac
	ok $st "man -w $q finds the installed page" || t_diag_file "$T/err" man
done
MANPATH=$dest$d_mandir MANWIDTH=80 man ld-relay-token 2>"$T/err" |
    col -bx >"$T/man.txt"
grep -q 'EXIT STATUS' "$T/man.txt" && [ ! -s "$T/err" ]
ok $? "man ld-relay-token formats the installed page without errors" ||
    t_diag_file "$T/err" man

# --- completion ------------------------------------------------------------

bc=$dest$d_bashcompletiondir
[ -f "$bc/ld-relay-token" ] && [ "$(stat -c %a "$bc/ld-relay-token")" = 644 ]
ok $? "bash completion installed as $d_bashcompletiondir/ld-relay-token"
[ -L "$bc/git-credential-ld-relay" ] &&
    [ "$bc/git-credential-ld-relay" -ef "$bc/ld-relay-token" ]
ok $? "bash completion for git-credential-ld-relay links to it"
out=$(bash --norc --noprofile -c '
	. "$1"
	complete -p ld-relay-token git-credential-ld-relay >/dev/null || exit 1
	COMP_WORDS=(ld-relay-token rot); COMP_CWORD=1
	_ld_relay_token
	echo "${COMPREPLY[*]}"' sh "$bc/ld-relay-token" 2>&1)
[ "$out" = rotate ]
ok $? "the installed bash completion completes 'rot' to rotate" ||
    t_diag "got: $out"
zc=$dest$d_zshcompletiondir/_ld-relay-token
[ -f "$zc" ] && head -1 "$zc" | grep -q '^#compdef ld-relay-token'
ok $? "zsh completion installed as $d_zshcompletiondir/_ld-relay-token"

# --- systemd units and cron example ---------------------------------------

for u in ld-relay-token-rotate.service ld-relay-token-rotate.timer; do
	f=$dest$d_systemdsystemunitdir/$u
	[ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ]
	ok $? "systemd unit $u installed in $d_systemdsystemunitdir"
done
f=$dest$d_systemdsystemunitdir/ld-relay-token-rotate.service
if [ -f "$f" ]; then
	# the unit runs the installed program, wherever the prefix put it
	exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$f" | head -1)
	[ "$exe" = "$d_bindir/ld-relay-token$d_EXEEXT" ]
	ok $? "the service's ExecStart runs $d_bindir/ld-relay-token" ||
	    t_diag "ExecStart program: $exe"
fi
f=$dest$d_cronexampledir/ld-relay-token
[ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ] &&
    grep -q 'ld-relay-token' "$f"
ok $? "cron example installed in $d_cronexampledir"
case $d_cronexampledir in
/etc/cron.d | /etc/cron.d/) st=1 ;;
*) st=0 ;;
esac
ok $st "the cron example is not installed where cron would run it"

# nothing installed world- or group-writable, nothing setuid
find "$dest" \( -perm -o+w -o -perm -g+w -o -perm -u+s -o -perm -g+s \) \
    ! -type l >"$T/badperm"
[ ! -s "$T/badperm" ]
ok $? "no installed file is group/world-writable or set-id" ||
    t_diag_file "$T/badperm" perm

# --- uninstall ---------------------------------------------------------------

find "$dest" \( -type f -o -type l \) | sort >"$T/installed"
t_diag "installed $(wc -l <"$T/installed") files"
tmake uninstall DESTDIR="$dest" >"$T/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR=... succeeds" ||
    t_diag_file "$T/uninstall.log" uninstall
find "$dest" \( -type f -o -type l \) >"$T/left"
[ ! -s "$T/left" ]
ok $? "make uninstall removes every installed file and link" ||
    t_diag_file "$T/left" left

t_done
