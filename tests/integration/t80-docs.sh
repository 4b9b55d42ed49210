#!/bin/bash
#
# t80-docs.sh: the manual pages and shell completion agree with the program.
#
#   - every page in man/ renders without a single message from
#     `mandoc -Tlint` and `groff -ww -z -man` (with and without tbl);
#   - ld-relay-token(1) documents every command and long option that
#     `ld-relay-token --help` and `ld-relay-token CMD --help` show, and
#     every option it documents (as a .TP entry) exists in some --help;
#     the lists are read from --help at test time, never written down here;
#   - output formats (src/emit.c), exit codes (EX_* used in src/), LDRT_*
#     variables (src/) and configuration keys (src/config.c) are documented;
#   - the bash completion function, driven with COMP_WORDS/COMP_CWORD,
#     completes every command and option of --help, formats, and profile
#     and relay names from the configuration file; the zsh function parses
#     and names every command and option.
#
# Run by hand: bash tests/integration/t80-docs.sh

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
t_init

mandir=$top_srcdir/man
main1=$mandir/ld-relay-token.1
bashcomp=$top_srcdir/completion/bash/ld-relay-token
zshcomp=$top_srcdir/completion/zsh/_ld-relay-token

for tool in mandoc groff zsh; do
	command -v "$tool" >/dev/null || t_bail "$tool is not installed"
done
[ -x "$LDRT" ] || t_bail "no binary at $LDRT"
[ -f "$main1" ] || t_bail "no $main1"

# in_list LIST WORD: is WORD one of the whitespace-separated words of LIST?
in_list()
{
	case " $(printf '%s' "$1" | tr -s '[:space:]' ' ') " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

# words FILE: the lines of FILE on one line
words()
{
	tr '\n' ' ' <"$1"
}

# Long options ("--word") in text on stdin, one per line, sorted, unique.
long_opts()
{
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# --- 1. every page lints and renders cleanly ---------------------------

pages=()
for f in "$mandir"/*.[1-9]; do
	[ -f "$f" ] && pages+=("$f")
done
[ "${#pages[@]}" -ge 3 ]
ok $? "man/ holds the pages (${#pages[@]})"
for f in "${pages[@]}"; do
	p=${f##*/}
	mandoc -Tlint "$f" >"$T/lint" 2>&1
	st=$?
	[ "$st" -eq 0 ] && [ ! -s "$T/lint" ]
	ok $? "mandoc -Tlint $p: no message" || t_diag_file "$T/lint" mandoc
	groff -ww -z -man "$f" >"$T/groff" 2>&1
	[ ! -s "$T/groff" ]
	ok $? "groff -ww -z -man $p: no output" || t_diag_file "$T/groff" groff
	groff -t -ww -z -man "$f" >"$T/groff" 2>&1
	[ ! -s "$T/groff" ]
	ok $? "groff -t -ww -z -man $p: no output" || t_diag_file "$T/groff" groff
	# .TH NAME SECTION matches the file name
	name=${p%.*}
	sec=${p##*.}
	th=$(awk '$1 == ".TH" { print $2, $3; exit }' "$f")
	up=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
	[ "$th" = "$up $sec" ]
	ok $? ".TH of $p is '$up $sec'" || t_diag "found: .TH $th"
	# the page renders to text that names itself
	mandoc -Tascii "$f" 2>/dev/null | col -bx >"$T/txt"
	grep -q "^NAME" "$T/txt" && grep -q "$name" "$T/txt"
	ok $? "$p renders with a NAME section"
done

# --- 2. what --help says ------------------------------------------------

t_run --help
expect_rc 0 "--help succeeds"
cp "$T/out" "$T/help"
awk '/^Commands:/ { f = 1; next } /^$/ { f = 0 } f { print $1 }' \
    "$T/help" >"$T/help-cmds"
[ -s "$T/help-cmds" ]
ok $? "--help lists commands ($(words "$T/help-cmds"))"
# global options: the paragraph "Global options:"
awk '/^Global options:/ { f = 1; next } /^$/ { f = 0 } f' "$T/help" |
    long_opts >"$T/help-global"
in_list "$(cat "$T/help-global")" --profile &&
    in_list "$(cat "$T/help-global")" --help
ok $? "--help lists global long options"

# every long option anywhere in --help (global, output options ...)
long_opts <"$T/help" >"$T/help-all-opts"
while read -r c; do
	t_run "$c" --help
	[ "$RC" -eq 0 ] && grep -q "^usage: ld-relay-token $c" "$T/out"
	ok $? "'$c --help' prints its usage" || t_diag_file "$T/out" out
	long_opts <"$T/out" | grep -vxF -- --help >"$T/help-opts-$c"
	cat "$T/help-opts-$c" >>"$T/help-all-opts"
done <"$T/help-cmds"
sort -u -o "$T/help-all-opts" "$T/help-all-opts"

# --- 3. what ld-relay-token(1) documents --------------------------------
#
# Every .TP tag, as text, with its section and (in COMMANDS) the command
# whose entry it belongs to: "SECTION<TAB>COMMAND<TAB>TAG".

awk '
function txt(s) {
	sub(/^\.[A-Z]+[ \t]+/, "", s)
	gsub(/\\f[BIRP]/, "", s); gsub(/\\f\(../, "", s)
	gsub(/\\-/, "-", s); gsub(/\\[|&^]/, "", s); gsub(/"/, "", s)
	gsub(/\\e/, "\\", s)
	return s
}
/^\.SH/ { sec = $0; sub(/^\.SH[ \t]+/, "", sec); gsub(/"/, "", sec)
	cmd = "-"; depth = 0; next }
/^\.RS/ { depth++; next }
/^\.RE/ { if (depth > 0) depth--; next }
/^\.TP/ { tag = 1; next }
tag {
	tag = 0
	t = txt($0)
	if (sec == "COMMANDS" && depth == 0) { split(t, w, " "); cmd = w[1] }
	printf "%s\t%s\t%s\n", sec, cmd, t
}' "$main1" >"$T/tags"
[ -s "$T/tags" ]
ok $? "ld-relay-token(1) has tagged entries"

awk -F '\t' '$1 == "COMMANDS" { print $2 }' "$T/tags" | sort -u \
    >"$T/man-cmds"
awk -F '\t' '$1 == "GLOBAL OPTIONS" { print $3 }' "$T/tags" | long_opts \
    >"$T/man-global"
awk -F '\t' '$1 == "OUTPUT OPTIONS" { print $3 }' "$T/tags" | long_opts \
    >"$T/man-output"
awk -F '\t' '$1 == "COMMANDS" || $1 ~ /OPTIONS$/ { print $3 }' "$T/tags" |
    long_opts >"$T/man-all-opts"

mandoc -Tascii "$main1" 2>/dev/null | col -bx >"$T/main.txt"
sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$T/main.txt" >"$T/synopsis"

while read -r c; do
	grep -qxF -- "$c" "$T/man-cmds"
	ok $? "command '$c' (--help) has an entry in COMMANDS of ld-relay-token(1)"
	grep -qE -- "ld-relay-token $c( |\$)" "$T/synopsis"
	ok $? "command '$c' (--help) is in the SYNOPSIS of ld-relay-token(1)"
done <"$T/help-cmds"
while read -r c; do
	grep -qxF -- "$c" "$T/help-cmds"
	ok $? "command '$c' of ld-relay-token(1) is in --help"
done <"$T/man-cmds"

while read -r o; do
	grep -qxF -- "$o" "$T/man-global"
	ok $? "global option $o (--help) is in GLOBAL OPTIONS of ld-relay-token(1)"
done <"$T/help-global"
while read -r o; do
	grep -qxF -- "$o" "$T/help-global"
	ok $? "global option $o of ld-relay-token(1) is in --help"
done <"$T/man-global"

# A command's options: documented in its own entry, or as an output or
# global option.
while read -r c; do
	awk -F '\t' -v c="$c" '$1 == "COMMANDS" && $2 == c { print $3 }' \
	    "$T/tags" | long_opts >"$T/man-opts-$c"
	while read -r o; do
		grep -qxF -- "$o" "$T/man-opts-$c" ||
		    grep -qxF -- "$o" "$T/man-output" ||
		    grep -qxF -- "$o" "$T/man-global"
		ok $? "'$c' option $o (--help) is documented in ld-relay-token(1)"
	done <"$T/help-opts-$c"
done <"$T/help-cmds"
# Every option tagged in the page exists in some --help.
while read -r o; do
	grep -qxF -- "$o" "$T/help-all-opts"
	ok $? "option $o of ld-relay-token(1) is in --help or a command's --help"
done <"$T/man-all-opts"

# git-credential-ld-relay(1): the operations of 'credential --help'
gc1=$mandir/git-credential-ld-relay.1
if grep -qx credential "$T/help-cmds"; then
	t_run credential --help
	ops=$(sed -n 's/^usage: ld-relay-token credential \([a-z|]*\).*/\1/p' \
	    "$T/out" | tr '|' ' ')
	[ -n "$ops" ]
	ok $? "'credential --help' names the operations ($ops)"
	mandoc -Tascii "$gc1" 2>/dev/null | col -bx |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' >"$T/gc-synopsis"
	for op in $ops; do
		grep -qE "git-credential-ld-relay .*(^|[ |])$op([ |]|\$)" \
		    "$T/gc-synopsis"
		ok $? "git-credential-ld-relay(1) SYNOPSIS has operation $op"
	done
fi

# --- 4. formats, exit codes, environment, configuration keys ------------

sed -n '/emit_names\[\] = {/,/^};/p' "$top_srcdir/src/emit.c" |
    grep -oE '"[a-z0-9-]+"' | tr -d '"' >"$T/formats"
[ "$(wc -l <"$T/formats")" -ge 8 ]
ok $? "formats read from src/emit.c ($(words "$T/formats"))"
awk -F '\t' '$1 == "FORMATS" { print $3 }' "$T/tags" >"$T/man-formats"
while read -r fmt; do
	grep -qxF -- "$fmt" "$T/man-formats"
	ok $? "format $fmt is described in FORMATS of ld-relay-token(1)"
	grep -qE "^ +$fmt " "$T/main.txt"
	ok $? "format $fmt has a row in the quoting table"
done <"$T/formats"
while read -r fmt; do
	grep -qxF -- "$fmt" "$T/formats"
	ok $? "format $fmt of ld-relay-token(1) exists in src/emit.c"
done <"$T/man-formats"

# exit codes: every EX_* the sources use has a row in EXIT STATUS
awk -F '\t' '$1 == "EXIT STATUS" { print $3 }' "$T/tags" >"$T/man-codes"
cat "$top_srcdir"/src/*.c | grep -oE '\bEX_[A-Z]+\b' | sort -u >"$T/ex-used"
while read -r ex; do
	n=$(awk -v x="$ex" '$1 == "#define" && $2 == x { print $3 }' \
	    /usr/include/sysexits.h)
	[ -n "$n" ] && grep -qxF -- "$n" "$T/man-codes"
	ok $? "exit code $ex ($n) used in src/ is in EXIT STATUS"
done <"$T/ex-used"
grep -qxF 0 "$T/man-codes"
ok $? "exit code 0 is in EXIT STATUS"

# LDRT_* variables read by the sources (LDRT_TEST_* hooks excepted, they
# exist only in test builds)
awk -F '\t' '$1 == "ENVIRONMENT" { print $3 }' "$T/tags" >"$T/man-env"
cat "$top_srcdir"/src/*.c | grep -oE '"LDRT_[A-Z0-9_]+"' | tr -d '"' |
    grep -v '^LDRT_TEST_' | sort -u >"$T/env-used"
while read -r v; do
	grep -qw -- "$v" "$T/man-env"
	ok $? "variable $v read in src/ is in ENVIRONMENT of ld-relay-token(1)"
done <"$T/env-used"

# configuration keys of src/config.c's tables in ld-relay-token.conf(5)
conf5=$mandir/ld-relay-token.conf.5
awk '
/^\.SH/ { sec = $0; next }
/^\.TP/ { tag = 1; next }
tag { tag = 0; t = $0; sub(/^\.[A-Z]+[ \t]+"?/, "", t); gsub(/\\-/, "-", t)
	split(t, w, " "); print sec "\t" w[1] }' "$conf5" >"$T/conf-tags"
for kind in profile relay; do
	up=$(printf '%s' "$kind" | tr '[:lower:]' '[:upper:]')
	awk -v k="$kind" '
	/^static const struct config_key/ { on = 0 }
	$0 ~ "^static const struct config_key config_" k "_keys" { on = 1 }
	on && /^\t\{ "/ { split($0, a, "\""); print a[2] }
	on && /^};/ { on = 0 }' "$top_srcdir/src/config.c" >"$T/keys-$kind"
	[ -s "$T/keys-$kind" ]
	ok $? "$kind keys read from src/config.c ($(words "$T/keys-$kind"))"
	while read -r k; do
		grep -qxF -- ".SH $up SECTIONS	$k" "$T/conf-tags"
		ok $? "[$kind] key $k is documented in ld-relay-token.conf(5)"
	done <"$T/keys-$kind"
	awk -F '\t' -v s=".SH $up SECTIONS" '$1 == s { print $2 }' \
	    "$T/conf-tags" >"$T/conf-$kind"
	while read -r k; do
		grep -qxF -- "$k" "$T/keys-$kind"
		ok $? "[$kind] key $k of ld-relay-token.conf(5) exists in src/config.c"
	done <"$T/conf-$kind"
done

# --- 5. bash completion -------------------------------------------------

[ -f "$bashcomp" ] && bash -n "$bashcomp"
ok $? "bash completion parses"

cat >"$T/comp-config" <<'EOF'
# completion test
[profile default]
api-url = https://app.launchdarkly.com
[profile staging]
[relay prod]
id = 5f0c1a2b3c4d5e6f7a8b9c0d
[ relay  preprod ]
[relay with blank]
[other thing]
EOF

# comp WORD...: the completions bash offers for the last WORD, one a line
comp()
{
	LDRT_CONFIG=$T/comp-config bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_ld_relay_token
		printf "%s\n" "${COMPREPLY[@]}"' comp "$bashcomp" "$@" |
	    sort -u
}

# expect_comp "WORDS" "EXPECTED WORDS" DESC: the exact set of completions
expect_comp()
{
	local got want
	# shellcheck disable=SC2086
	got=$(comp $1 | tr '\n' ' ')
	# shellcheck disable=SC2086 # the words of $2, split on purpose
	want=$(printf '%s\n' $2 | sort -u | tr '\n' ' ')
	[ "$got" = "$want" ]
	ok $? "$3" || t_diag "completing '$1': got '$got', want '$want'"
}

expect_comp "ld-relay-token ro" "rotate" "bash: 'ro' completes to rotate"
expect_comp "ld-relay-token get --format k" "k8s-secret" \
    "bash: get --format k completes to k8s-secret"
expect_comp "ld-relay-token token --format ''" "raw curl-config json" \
    "bash: token --format offers only raw, curl-config and json"
expect_comp "ld-relay-token -p ''" "default staging" \
    "bash: -p offers the profiles of the config file"
expect_comp "ld-relay-token get p" "prod preprod" \
    "bash: get offers relay names of the config file"
expect_comp "ld-relay-token --store s" "secret-service" \
    "bash: --store s completes to secret-service"
expect_comp "ld-relay-token store ''" "migrate" "bash: store offers migrate"
expect_comp "ld-relay-token store migrate --to ''" "file secret-service" \
    "bash: store migrate --to offers the backends"
expect_comp "ld-relay-token credential ''" "get store erase" \
    "bash: credential offers get, store and erase"
expect_comp "git-credential-ld-relay ''" "get store erase" \
    "bash: git-credential-ld-relay offers get, store and erase"

# --config on the line wins over LDRT_CONFIG
printf '[relay other]\n' >"$T/comp-config2"
expect_comp "ld-relay-token --config $T/comp-config2 rotate ''" "other" \
    "bash: relay names come from --config when given"
expect_comp "ld-relay-token --config = $T/comp-config2 rotate ''" "other" \
    "bash: --config=FILE is understood"

# every format of src/emit.c is offered after --format
comp ld-relay-token get --format '' >"$T/c-formats"
cmp -s "$T/c-formats" <(sort -u "$T/formats")
ok $? "bash: --format offers exactly the formats of src/emit.c" ||
    t_diag "got: $(words "$T/c-formats")"

# every command of --help, every global option, every option of CMD --help
comp ld-relay-token '' >"$T/c-cmds"
while read -r c; do
	grep -qxF -- "$c" "$T/c-cmds"
	ok $? "bash: command '$c' (--help) is completed"
done <"$T/help-cmds"
comp ld-relay-token -- >"$T/c-global"
while read -r o; do
	grep -qxF -- "$o" "$T/c-global"
	ok $? "bash: global option $o (--help) is completed"
done <"$T/help-global"
while read -r c; do
	[ -s "$T/help-opts-$c" ] || continue
	# "store migrate --": the options belong to the subcommand
	case $c in
	store) comp ld-relay-token store migrate -- >"$T/c-opts" ;;
	*) comp ld-relay-token "$c" -- >"$T/c-opts" ;;
	esac
	while read -r o; do
		grep -qxF -- "$o" "$T/c-opts"
		ok $? "bash: '$c' option $o (--help) is completed"
	done <"$T/help-opts-$c"
done <"$T/help-cmds"

# --- 6. zsh completion --------------------------------------------------

zsh -n "$zshcomp"
ok $? "zsh completion parses"
head -1 "$zshcomp" | grep -qx '#compdef ld-relay-token git-credential-ld-relay'
ok $? "zsh completion is for ld-relay-token and git-credential-ld-relay"
while read -r c; do
	grep -qE -- "^ +'$c:" "$zshcomp"
	ok $? "zsh: command '$c' (--help) is completed"
	while read -r o; do
		grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" "$zshcomp"
		ok $? "zsh: '$c' option $o (--help) is completed"
	done <"$T/help-opts-$c"
done <"$T/help-cmds"

# Drive zsh's completion system through a pseudo-terminal (zsh/zpty):
# type a line and TAB, wait (at most 5 s) for the completed word to appear.
cat >"$T/zcomp.zsh" <<'EOF'
zmodload zsh/zpty || { print "FAIL zsh/zpty"; exit 1; }
compdir=$1 cfg=$2
shift 2
zpty z zsh -f -i || { print "FAIL zpty"; exit 1; }
zpty -w z "PS1='%% '; unsetopt zle_bracketed_paste 2>/dev/null; fpath=($compdir \$fpath); autoload -Uz compinit; compinit -u -D; export LDRT_CONFIG=$cfg; bindkey '^I' complete-word; echo READY-\$((6*7))"
buf=
for i in {1..100}; do
	zpty -r -t z chunk && buf+=$chunk
	[[ $buf == *READY-42* ]] && break
	sleep 0.1
done
[[ $buf == *READY-42* ]] || { print "FAIL setup"; exit 1; }
while (( $# >= 2 )); do
	input=$1 want=$2 buf=
	shift 2
	zpty -w -n z "$input"$'\t'
	for i in {1..50}; do
		zpty -r -t z chunk && buf+=$chunk
		[[ $buf == *$want* ]] && break
		sleep 0.1
	done
	if [[ $buf == *$want* ]]; then
		print -r -- "PASS $input -> $want"
	else
		print -r -- "FAIL $input -> $want"
	fi
	zpty -w -n z $'\C-a\C-k'
	sleep 0.2
	while zpty -r -t z chunk; do :; done
done
zpty -d z
EOF
timeout 120 zsh -f "$T/zcomp.zsh" "$(dirname "$zshcomp")" "$T/comp-config" \
    'ld-relay-token ro' rotate \
    'ld-relay-token get --format=k' k8s-secret \
    'ld-relay-token get prep' preprod \
    'ld-relay-token --profile st' staging \
    'ld-relay-token store migrate --to=s' secret-service \
    'ld-relay-token rotate --dry' dry-run \
    'git-credential-ld-relay er' erase >"$T/zcomp.out" 2>&1
n=0
while read -r verdict rest; do
	[ "$verdict" = PASS ]
	ok $? "zsh: $rest"
	n=$((n + 1))
done <"$T/zcomp.out"
[ "$n" -eq 7 ]
ok $? "zsh: all 7 completions were tried" || t_diag_file "$T/zcomp.out" zsh

t_done
