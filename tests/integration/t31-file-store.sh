#!/bin/bash
# t31-file-store.sh: the encrypted file store (round trip, wrong passphrase,
# tampered and truncated files, mode checks, concurrent writers), systemd
# credentials (API token and passphrase), store = auto and its reasons,
# and "store migrate" both ways (generic git credentials included),
# including failures that must leave the source untouched.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
export T_TIMEOUT=20
export LDRT_SCRYPT_N=1024	# test-only: fast key derivation

D1=$XDG_DATA_HOME
STORE=$D1/ld-relay-token/store

keyring_count()
{
	secret-tool search --all kind "$1" 2>/dev/null | grep -c '^\['
}

kill_quietly()
{
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

sha()
{
	sha256sum "$1" 2>/dev/null | cut -d' ' -f1
}

# flip_byte FILE OFFSET: xor one byte in place (mode and inode kept).
flip_byte()
{
	python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
with open(p, 'r+b') as f:
    data = bytearray(f.read())
    if off < 0:
        off += len(data)
    data[off] ^= 0x01
    f.seek(0)
    f.write(data)
PY
}

printf 'correct horse battery staple' >"$T/pass"
printf 'wrong horse' >"$T/wrong"
chmod 600 "$T/pass" "$T/wrong"
export LDRT_PASSPHRASE_FILE=$T/pass

# ---- round trip --------------------------------------------------------------
t_run_in "$ADMIN_TOKEN" --store file login --token-stdin
expect_rc 0 "--store file login stores the token"
[ -f "$STORE" ]
ok $? "the store file exists at \$XDG_DATA_HOME/ld-relay-token/store"
[ "$(stat -c %a "$STORE")" = 600 ] &&
    [ "$(stat -c %a "${STORE%/*}")" = 700 ]
ok $? "store file 0600 in a 0700 directory"
[ "$(keyring_count api-token)" = 0 ]
ok $? "nothing went to the keyring"
t_run --store file create prod --policy "$T/policy.json"
expect_rc 0 "--store file create prod"
ID=$(sed -n 's/^id: *//p' "$T/out")
KEY=$(ldrt_fake_key "$ID")
t_run --store file get prod
expect_rc 0 "--store file get prod"
expect_out_eq "$KEY" "the file store returns the key"
! grep -F -q -a -e "$KEY" -e "$ADMIN_TOKEN" "$STORE"
ok $? "neither the key nor the API token appear in the store file"
t_run --store file status
expect_rc 0 "--store file status"
expect_out_match '^store: +file \(file: selected by configuration\)' \
    "status shows the file backend and why"
expect_out_match '^token: +present \(from file\)' "status: the token came from the file store"
LDRT_STORE="file" t_run get prod
expect_out_eq "$KEY" "LDRT_STORE=file selects the file store too"
printf '[profile default]\nstore = file\n' >"$T/cfg-file"
LDRT_CONFIG=$T/cfg-file t_run get "$ID"
expect_out_eq "$KEY" "store = file in the config selects the file store"

# ---- wrong passphrase ------------------------------------------------------
h=$(sha "$STORE")
LDRT_PASSPHRASE_FILE=$T/wrong t_run --store file get prod
expect_rc 77 "wrong passphrase: 77"
expect_err_match 'wrong passphrase or damaged store' "wrong passphrase: the message"
LDRT_PASSPHRASE_FILE=$T/wrong t_run --store file logout
expect_rc 77 "logout with the wrong passphrase: 77"
LDRT_PASSPHRASE_FILE=$T/wrong t_run_in "$READER_TOKEN" --store file -p r login --token-stdin
expect_rc 77 "login (a write) with the wrong passphrase: 77"
[ "$(sha "$STORE")" = "$h" ]
ok $? "after the wrong passphrase the store file is byte-identical"

# ---- tampered and truncated files -------------------------------------------
cp -p "$STORE" "$T/good"
size=$(stat -c %s "$STORE")
for off in 100 -1 -20 0 9 64; do
	cp "$T/good" "$STORE"
	flip_byte "$STORE" "$off"
	cp -p "$STORE" "$T/bad"
	t_run --store file get prod
	expect_rc 65 "a flipped byte at offset $off: 65"
	expect_err_match 'damaged|format version' \
	    "offset $off: the message says the store is damaged"
	expect_no_secret "$KEY" "offset $off: no partial data is printed"
	t_run --store file logout
	expect_rc 65 "logout on the tampered file (offset $off): 65"
	cmp -s "$STORE" "$T/bad"
	ok $? "the tampered file (offset $off) was left untouched"
done
for len in 0 40 67 100 $((size - 1)); do
	head -c "$len" "$T/good" >"$STORE"
	cp -p "$STORE" "$T/bad"
	t_run --store file get prod
	expect_rc 65 "a store truncated to $len bytes: 65"
	t_run_in "$READER_TOKEN" --store file -p r login --token-stdin
	expect_rc 65 "login (a write) on a file truncated to $len bytes: 65"
	cmp -s "$STORE" "$T/bad"
	ok $? "the truncated file ($len bytes) was left untouched"
done
cp "$T/good" "$STORE"
t_run --store file get prod
expect_out_eq "$KEY" "the restored file reads again"

# ---- mode checks -----------------------------------------------------------
chmod 644 "$T/pass"
t_run --store file get prod
expect_rc 77 "a passphrase file readable by others: 77"
expect_err_match '0644' "the message names the passphrase file's mode"
chmod 640 "$T/pass"
t_run --store file get prod
expect_rc 77 "a passphrase file readable by the group: 77"
chmod 600 "$T/pass"
chmod 644 "$STORE"
t_run --store file get prod
expect_rc 77 "a store file readable by others: 77"
expect_err_match "store file .* has mode 0644" "the message names the store file's mode"
t_run --store file logout
expect_rc 77 "logout refuses the 0644 store file too"
chmod 600 "$STORE"
cmp -s "$STORE" "$T/good"
ok $? "the store file was not modified by the refused operations"

# ---- concurrent writers ------------------------------------------------------
pids=()
for n in c1 c2 c3; do
	"$LDRT" --store file create "$n" --policy "$T/policy.json" \
	    </dev/null >"$T/$n.out" 2>"$T/$n.err" &
	pids+=($!)
done
st=0
for p in "${pids[@]}"; do
	wait "$p" || st=1
done
ok $st "three concurrent 'create' processes with the file store all succeed"
for n in c1 c2 c3; do
	cid=$(sed -n 's/^id: *//p' "$T/$n.out")
	t_run --store file get "$n"
	expect_out_eq "$(ldrt_fake_key "$cid")" "after the concurrent writes, $n's key is stored"
done
t_run --store file get prod
expect_out_eq "$KEY" "and prod's key survived them"
find "${STORE%/*}" -mindepth 1 ! -name store ! -name store.lock >"$T/leftover"
[ ! -s "$T/leftover" ]
ok $? "no temporary files are left next to the store"

# A writer that holds the lock: the others give up after --timeout.
# (bash execs into sleep, which keeps the locked fd: killing it unlocks)
bash -c 'exec 9>>"$1" && flock 9 && exec sleep 30' _ "$STORE.lock" \
    </dev/null >/dev/null 2>&1 &
holder=$!
t_cleanup_push kill_quietly "$holder"
i=0
while flock -n "$STORE.lock" true && [ "$i" -lt 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
t0=$(date +%s%N)
t_run --timeout 1 --store file get prod
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc 75 "the store locked by another process: 75 after --timeout"
expect_err_match 'is locked by another process' "the message says another process holds it"
[ "$ms" -lt 3000 ]
ok $? "it gave up within the deadline + 2 s (took $ms ms)"
kill_quietly "$holder"
t_run --store file get prod
expect_out_eq "$KEY" "once the lock is released the store reads again"

# ---- systemd credentials ---------------------------------------------------
mkdir -m 700 "$T/creds"
printf '%s\n' "$READER_TOKEN" >"$T/creds/ld-api-token"
chmod 600 "$T/creds/ld-api-token"
CREDENTIALS_DIRECTORY=$T/creds t_run -p fromcred list
expect_rc 0 "list works with \$CREDENTIALS_DIRECTORY/ld-api-token, without login"
expect_out_match ' prod ' "list shows the relay configs"
CREDENTIALS_DIRECTORY=$T/creds t_run -p fromcred status
expect_rc 0 "status with the credential: 0"
expect_out_match '^token: +present \(from systemd credential\)' \
    "status says the token came from the systemd credential"
expect_out_match "^fingerprint: +$(printf %s "$READER_TOKEN" | sha256sum | cut -c1-12)\$" \
    "the credential's token is used (its fingerprint)"
CREDENTIALS_DIRECTORY=$T/creds t_run -p fromcred status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["token_source"]=="systemd credential", d' "$T/out"
ok $? "status --json: token_source is \"systemd credential\""
expect_no_secret "$READER_TOKEN" "status does not print the credential"
chmod 644 "$T/creds/ld-api-token"
CREDENTIALS_DIRECTORY=$T/creds t_run -p fromcred list
expect_rc 77 "a credential readable by others is refused: 77"
chmod 600 "$T/creds/ld-api-token"

mkdir -m 700 "$T/creds2"
cp "$T/pass" "$T/creds2/ld-relay-token.passphrase"
chmod 600 "$T/creds2/ld-relay-token.passphrase"
t_cmd env -u LDRT_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$T/creds2" \
    "$LDRT" --store file get prod
expect_rc 0 "the file store opens with \$CREDENTIALS_DIRECTORY/ld-relay-token.passphrase"
expect_out_eq "$KEY" "the credential passphrase decrypts the store"
cp "$T/wrong" "$T/creds2/ld-relay-token.passphrase"
t_cmd env -u LDRT_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$T/creds2" \
    "$LDRT" --store file get prod
expect_rc 77 "a wrong passphrase credential: 77"
cp "$T/pass" "$T/creds2/ld-relay-token.passphrase"
t_cmd env -u LDRT_PASSPHRASE_FILE "$LDRT" --store file get prod
expect_rc 77 "no passphrase source and no terminal: 77"
expect_err_match 'LDRT_PASSPHRASE_FILE' "the message names the passphrase sources"

# ---- store = auto with a Secret Service --------------------------------------
t_run status
expect_out_match '^store: +secret-service \(secret-service: answered on the session bus\)' \
    "auto with a Secret Service: secret-service, and why"

# ---- migrate file -> secret-service (source kept) ---------------------------
# A generic git credential, stored as git sends it, travels with the items.
GIT_GET=$'protocol=https\nhost=git.example.com\n'
t_run_in $'protocol=https\nhost=git.example.com\nusername=gina\npassword=git-pw-1\n' \
    --store file credential store
expect_rc 0 "credential store keeps a git credential in the file store"
h=$(sha "$STORE")
t_run --store file store migrate --to file
expect_rc 64 "migrate to the backend already in use: 64"
expect_err_match "already 'file'" "the message says the store is already in use"
t_run store migrate
expect_rc 64 "migrate without --to: 64"
t_run --store file store migrate --to keyring
expect_rc 64 "migrate --to an unknown backend: 64"
t_run --store file store migrate --to secret-service
expect_rc 0 "file -> secret-service: 0"
expect_err_match 'copied 5 items from file to secret-service \(1 API token, 4 relay keys\) and 1 git credential,' \
    "the counts are reported, git credentials included"
expect_err_match 'unchanged' "it says the source is unchanged"
expect_out_empty "nothing on stdout"
expect_no_secret "$KEY" "migrate prints no secret"
expect_no_secret git-pw-1 "nor the git password"
[ "$(sha "$STORE")" = "$h" ]
ok $? "without --delete-source the file store is byte-identical"
t_run get prod
expect_out_eq "$KEY" "the secret-service store now has prod's key"
t_run token
expect_out_eq "$ADMIN_TOKEN" "and the API token"
[ "$(keyring_count relay-key)" = 4 ] && [ "$(keyring_count api-token)" = 1 ]
ok $? "the keyring holds 4 relay keys and 1 API token"
secret-tool search --all kind relay-key 2>&1 | grep -q '^label = Relay key prod ('
ok $? "the migrated items carry readable labels (relay name kept)"
t_run_in "$GIT_GET" credential get
expect_out_eq $'username=gina\npassword=git-pw-1' \
    "credential get answers the migrated git credential from the keyring"
secret-tool search --all xdg:schema org.git.Password 2>&1 |
    grep -q '^label = Git: https://git.example.com/$'
ok $? "it is an org.git.Password item with git-credential-libsecret's label"

t_run --store file store migrate --to secret-service
expect_rc 0 "migrating the same items again: 0"
expect_err_match '6 of them were already there with the same secret' \
    "it says the destination already had them"

# A different secret under the same key in the destination (here: another
# token logged in there since) is never overwritten silently.
t_run_in "$READER_TOKEN" login --token-stdin
expect_rc 0 "another token logged in to the keyring for the same profile"
t_run --store file store migrate --to secret-service --delete-source
expect_rc 65 "a different secret already in the destination: 65"
expect_err_match "already holds a different API token of profile 'default'" \
    "the message names the conflicting item"
expect_err_match 'nothing was copied to secret-service; nothing was deleted from file' \
    "it says nothing was copied or deleted"
[ "$(sha "$STORE")" = "$h" ]
ok $? "the source file store is byte-identical after the conflict"
t_run token
expect_out_eq "$READER_TOKEN" "the destination's token was not replaced"
t_run --store file store migrate --to secret-service --overwrite
expect_rc 0 "--overwrite replaces it: 0"
expect_err_match "replacing the different API token of profile 'default'" \
    "--overwrite warns about the replaced item"
expect_no_secret "$READER_TOKEN" "the warning does not show either token"
t_run token
expect_out_eq "$ADMIN_TOKEN" "the destination now has the source's token"

# The same for a git credential with the same protocol/host/path/username.
t_run_in $'protocol=https\nhost=git.example.com\nusername=gina\npassword=git-pw-2\n' \
    credential store
expect_rc 0 "another password for gina stored in the keyring"
t_run --store file store migrate --to secret-service --delete-source
expect_rc 65 "a different git credential already in the destination: 65"
expect_err_match "already holds a different git credential for https://git.example.com of user 'gina'" \
    "the message names the conflicting git credential"
expect_err_match 'nothing was copied to secret-service; nothing was deleted from file' \
    "it says nothing was copied or deleted"
expect_no_secret git-pw-1 "the message shows neither password (source)"
expect_no_secret git-pw-2 "the message shows neither password (destination)"
[ "$(sha "$STORE")" = "$h" ]
ok $? "the source file store is byte-identical after the git conflict"
t_run_in "$GIT_GET" credential get
expect_out_eq $'username=gina\npassword=git-pw-2' \
    "the destination's git credential was not replaced"
t_run --store file store migrate --to secret-service --overwrite
expect_rc 0 "--overwrite replaces the git credential: 0"
expect_err_match "replacing the different git credential for https://git.example.com of user 'gina'" \
    "--overwrite warns about the replaced git credential"
expect_no_secret git-pw-2 "the warning does not show the password"
t_run_in "$GIT_GET" credential get
expect_out_eq $'username=gina\npassword=git-pw-1' \
    "the keyring now has the source's git credential"

# ---- migrate secret-service -> file (fresh file store) ----------------------
t_run_in "$READER_TOKEN" -p reader login --token-stdin
expect_rc 0 "a second profile logs in to the keyring"
# git 2.39's helper keeps NetworkPassword items labelled "Git: ..."; other
# programs' NetworkPassword items are theirs and stay where they are.
printf %s old-pw | secret-tool store --label='Git: https://old.example/' \
    xdg:schema org.gnome.keyring.NetworkPassword protocol https \
    server old.example user olga
ok $? "an item as git 2.39's helper writes it"
printf %s mail-pw | secret-tool store --label='Mail account' \
    xdg:schema org.gnome.keyring.NetworkPassword protocol imap \
    server mail.example user olga
ok $? "another program's NetworkPassword item"
XDG_DATA_HOME=$T/d2 t_run store migrate --to file
expect_rc 0 "secret-service -> file: 0"
expect_err_match 'copied 6 items from secret-service to file \(2 API tokens, 4 relay keys\) and 2 git credentials,' \
    "every profile's items and both git credentials are copied"
expect_no_secret old-pw "no git password in the messages"
XDG_DATA_HOME=$T/d2 t_run_in "$GIT_GET" --store file credential get
expect_out_eq $'username=gina\npassword=git-pw-1' \
    "the new file store answers the git credential"
XDG_DATA_HOME=$T/d2 t_run_in $'protocol=https\nhost=old.example\n' \
    --store file credential get
expect_out_eq $'username=olga\npassword=old-pw' "and git 2.39's credential"
XDG_DATA_HOME=$T/d2 t_run_in $'protocol=imap\nhost=mail.example\n' \
    --store file credential get
expect_rc 0 "a lookup of the other program's item: 0"
expect_out_empty "the other program's item was not copied"
XDG_DATA_HOME=$T/d2 t_run --store file get prod
expect_out_eq "$KEY" "the new file store has prod's key"
XDG_DATA_HOME=$T/d2 t_run --store file -p reader token
expect_out_eq "$READER_TOKEN" "the new file store has the reader profile's token"
[ "$(keyring_count relay-key)" = 4 ] && [ "$(keyring_count api-token)" = 2 ]
ok $? "the source keyring still has every item"

# ---- failures: nothing is deleted -------------------------------------------
sandbox_lock || t_bail "cannot lock the collection"
h=$(sha "$STORE")
t_run --store file store migrate --to secret-service --delete-source
expect_rc 77 "file -> locked keyring with --delete-source: 77"
expect_err_match 'keyring is locked' "the failure is named"
expect_err_match 'nothing was deleted from file' "it says nothing was deleted"
[ "$(sha "$STORE")" = "$h" ]
ok $? "the source file store is byte-identical"
t_run --store file get prod
expect_out_eq "$KEY" "the source still returns prod's key"
XDG_DATA_HOME=$T/d3 t_run store migrate --to file --delete-source
expect_rc 77 "locked keyring as the source: 77"
[ ! -e "$T/d3/ld-relay-token/store" ]
ok $? "no file store was written from an unreadable source"
sandbox_unlock || t_bail "cannot unlock the collection"
[ "$(keyring_count relay-key)" = 4 ] && [ "$(keyring_count api-token)" = 2 ]
ok $? "after unlocking, the keyring still has every item"
LDRT_PASSPHRASE_FILE=$T/wrong t_run store migrate --to file --delete-source
expect_rc 77 "a destination file store with the wrong passphrase: 77"
[ "$(sha "$STORE")" = "$h" ] && [ "$(keyring_count relay-key)" = 4 ]
ok $? "neither the destination file nor the source keyring changed"

# ---- migrate file -> secret-service with --delete-source --------------------
sandbox_stop
sandbox_start unlocked || t_bail "cannot restart the sandbox"
[ "$(keyring_count relay-key)" = 0 ]
ok $? "a fresh, empty keyring"
XDG_DATA_HOME=$T/d2 t_run --store file store migrate --to secret-service \
    --delete-source
expect_rc 0 "file -> secret-service --delete-source: 0"
expect_err_match 'copied 6 items .* and 2 git credentials' \
    "six items and two git credentials copied"
expect_err_match 'deleted 6 items and 2 git credentials from file' \
    "six items and two git credentials deleted from the source"
t_run_in "$GIT_GET" credential get
expect_out_eq $'username=gina\npassword=git-pw-1' \
    "the keyring answers the git credential"
XDG_DATA_HOME=$T/d2 t_run_in "$GIT_GET" --store file credential get
expect_rc 0 "the source file store is asked for it: 0"
expect_out_empty "it no longer has the git credential"
[ "$(od -An -tu1 -j9 -N1 "$T/d2/ld-relay-token/store" | tr -d ' ')" = 1 ]
ok $? "without git credentials the file is format version 1 again"
t_run get prod
expect_out_eq "$KEY" "the keyring has prod's key"
t_run -p reader token
expect_out_eq "$READER_TOKEN" "and the reader profile's token"
XDG_DATA_HOME=$T/d2 t_run --store file get prod
expect_rc 67 "the source file store no longer has prod's key (67)"
XDG_DATA_HOME=$T/d2 t_run --store file status
expect_out_match '^token: +absent' "nor the API token"
XDG_DATA_HOME=$T/d2 t_run --store file store migrate --to secret-service
expect_rc 0 "migrating an empty store: 0"
expect_err_match 'nothing to migrate' "it says there is nothing to migrate"

# secret-service -> file -> secret-service, both with --delete-source.
# Erasing gina by key and password would also erase this schema-less item
# (same password, a path): gina stays in the keyring, and so does it.
printf %s git-pw-1 | secret-tool store --label=legacy protocol https \
    server git.example.com user gina object team/r.git
ok $? "a schema-less item that gina's erase pattern matches"
printf %s mail-pw | secret-tool store --label='Mail account' \
    xdg:schema org.gnome.keyring.NetworkPassword protocol imap \
    server mail.example user olga
XDG_DATA_HOME=$T/d7 t_run store migrate --to file --delete-source
expect_rc 0 "secret-service -> file --delete-source: 0"
expect_err_match 'copied 6 items .* and 2 git credentials' \
    "six items and two git credentials copied"
expect_err_match "left the git credential for https://git.example.com of user 'gina' in the source" \
    "gina is left in the keyring, with the reason"
expect_err_match 'deleted 6 items and 1 git credential from secret-service' \
    "the other git credential is deleted from the keyring"
expect_no_secret git-pw-1 "no git password in the messages"
XDG_DATA_HOME=$T/d7 t_run_in "$GIT_GET" --store file credential get
expect_out_eq $'username=gina\npassword=git-pw-1' "the file store has gina"
XDG_DATA_HOME=$T/d7 t_run_in $'protocol=https\nhost=old.example\n' \
    --store file credential get
expect_out_eq $'username=olga\npassword=old-pw' "and olga"
t_run_in $'protocol=https\nhost=old.example\n' credential get
expect_rc 0 "the keyring is asked for olga: 0"
expect_out_empty "olga is gone from the keyring"
t_cmd secret-tool lookup protocol https server git.example.com user gina \
    object team/r.git
expect_out_eq git-pw-1 "the schema-less item is still in the keyring"
t_cmd secret-tool lookup protocol imap server mail.example user olga
expect_out_eq mail-pw "the other program's item is still in the keyring"
t_run_in $'protocol=https\nhost=git.example.com\nusername=gina\npassword=git-pw-1\n' \
    credential erase
t_run_in $'protocol=https\nhost=git.example.com\nusername=gina\n' \
    credential get
expect_out_empty "gina and the schema-less item erased by hand"
XDG_DATA_HOME=$T/d7 t_run --store file store migrate --to secret-service \
    --delete-source
expect_rc 0 "file -> secret-service --delete-source: 0"
expect_err_match 'deleted 6 items and 2 git credentials from file' \
    "everything deleted from the file store"
t_run_in "$GIT_GET" credential get
expect_out_eq $'username=gina\npassword=git-pw-1' "gina is back in the keyring"
[ "$(keyring_count relay-key)" = 4 ] && [ "$(keyring_count api-token)" = 2 ]
ok $? "and so is every item"

# ---- the passphrase prompt on a terminal -------------------------------------
# ttyrun.py runs a command on a new pseudo-terminal and types the answers in
# $PTY_ANSWERS (one per line), each after the prompt ending in ": " shows.
cat >"$T/ttyrun.py" <<'PY'
import os, pty, select, sys, time
answers = [a for a in os.environ.pop("PTY_ANSWERS", "").split("\n") if a]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
end = time.time() + 15
out = b""
def more():
    r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
    if not r:
        return b""
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
for a in answers:
    seen = b""
    while not seen.rstrip(b" ").endswith(b":"):
        d = more()
        if not d:
            break
        seen += d
        out += d
    os.write(fd, a.encode() + b"\n")
while True:
    d = more()
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
PTY_ANSWERS=$'p4ss\np4ss' t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d5" \
    python3 "$T/ttyrun.py" "$LDRT" store migrate --to file
expect_rc 0 "migrate to a new file store, passphrase typed twice on the terminal: 0"
expect_out_match 'New passphrase for the ld-relay-token store: ' "the new passphrase is asked for"
expect_out_match 'Repeat the passphrase: ' "and asked again"
expect_no_secret p4ss "the typed passphrase is not echoed"
printf p4ss >"$T/pass5"
XDG_DATA_HOME=$T/d5 LDRT_PASSPHRASE_FILE=$T/pass5 t_run --store file get prod
expect_out_eq "$KEY" "the store created with the typed passphrase opens with it"
PTY_ANSWERS=$'p4ss' t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d5" \
    python3 "$T/ttyrun.py" "$LDRT" --store file get prod
expect_rc 0 "the passphrase typed on the terminal opens the store"
expect_out_match "^$KEY" "and the key is printed"
PTY_ANSWERS=$'nope' t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d5" \
    python3 "$T/ttyrun.py" "$LDRT" --store file get prod
expect_rc 77 "a wrong passphrase typed on the terminal: 77"
PTY_ANSWERS=$'one1\ntwo2' t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d6" \
    python3 "$T/ttyrun.py" "$LDRT" store migrate --to file --delete-source
expect_rc 65 "the two typed passphrases differ: 65"
expect_out_match 'passphrases do not match' "the message says they differ"
[ ! -e "$T/d6/ld-relay-token/store" ] && [ "$(keyring_count relay-key)" = 4 ]
ok $? "no store file was created and the keyring kept every item"
PTY_ANSWERS=$'p4ss' t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d5" \
    python3 "$T/ttyrun.py" "$LDRT" --no-prompt --store file get prod
expect_rc 77 "--no-prompt on a terminal never asks for the passphrase: 77"
expect_out_match 'no passphrase for the file store' "the message names the sources instead"

# ---- store = auto without a Secret Service ----------------------------------
sandbox_stop
sandbox_start nodaemon || t_bail "cannot start the nodaemon sandbox"
t_run status
expect_out_match '^store: +file \(file: Secret Service unavailable \(.*\), store file exists\)' \
    "auto without a Secret Service, store file present: file, and why"
t_run get prod
expect_out_eq "$KEY" "auto falls back to the file store"
XDG_DATA_HOME=$T/d4 t_run status
expect_out_match '^store: +file \(file: Secret Service unavailable \(no Secret Service.*\), passphrase source configured\)' \
    "auto without a Secret Service, no file, LDRT_PASSPHRASE_FILE: file, and why"
t_cmd env -u LDRT_PASSPHRASE_FILE CREDENTIALS_DIRECTORY="$T/creds2" \
    XDG_DATA_HOME="$T/d4" "$LDRT" status
expect_out_match 'passphrase source configured' "the passphrase credential counts as a source"
t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d4" "$LDRT" get prod
expect_rc 69 "auto with neither a Secret Service nor a file store: 69"
expect_err_match 'gnome-keyring-daemon' "the message names the Secret Service option"
expect_err_match '--store file with LDRT_PASSPHRASE_FILE' "and the file store option"
t_cmd env -u LDRT_PASSPHRASE_FILE XDG_DATA_HOME="$T/d4" \
    CREDENTIALS_DIRECTORY="$T/creds" "$LDRT" -p fromcred status
expect_rc 0 "status with the token credential and no store at all: 0"
expect_out_match '^store: +unavailable \(.*no Secret Service' \
    "status says why no store is available"
expect_out_match '^token: +present \(from systemd credential\)' \
    "and that the token came from the credential"
expect_out_match '^api: +ok$' "the API line carries no store message"
h=$(sha "$STORE")
t_run --store file store migrate --to secret-service --delete-source
expect_rc 69 "file -> secret-service without a Secret Service: 69"
[ "$(sha "$STORE")" = "$h" ]
ok $? "the source file store is untouched"

t_done
