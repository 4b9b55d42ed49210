#!/bin/bash
# t51-outputs.sh: OUTPUT OPTS through the binary: formats on stdout,
# -o FILE, env files merged atomically, the command after a change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ldrt.sh"
ldrt_setup unlocked
ldrt_login
ldrt_create prod
ID=$CREATED_ID
KEY=$(ldrt_fake_key "$ID")

# ---- formats on stdout ------------------------------------------------------
t_run get prod --format shell
expect_out_eq "export AUTO_CONFIG_KEY=$KEY" "shell format"
t_run get prod --format dotenv --var RELAY_KEY
expect_out_eq "RELAY_KEY=$KEY" "dotenv format with --var"
t_run get prod --format systemd
expect_out_eq "AUTO_CONFIG_KEY=$KEY" "systemd format"
t_run get prod --format json
python3 - "$T/out" "$KEY" "$ID" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["key"] == sys.argv[2] and d["id"] == sys.argv[3], d
assert d["name"] == "prod" and d["var"] == "AUTO_CONFIG_KEY", d
assert d["display_key"] == sys.argv[2][-4:], d
PY
ok $? "json format carries name, id, var, key and display key"
t_run get prod --format k8s-secret --k8s-namespace relay
expect_rc 0 "k8s-secret format"
expect_out_match '^kind: Secret$' "the manifest is a Secret"
expect_out_match '^  name: "?ld-relay-prod"?$' "default name ld-relay-<name>"
expect_out_match '^  namespace: "?relay"?$' "--k8s-namespace"
grep -qF "$KEY" "$T/out"
ok $? "the manifest's stringData holds the key"
t_run get prod --format docker
expect_out_eq "AUTO_CONFIG_KEY=$KEY" "docker format"
t_run get prod --var 'BAD-NAME' --format shell
expect_rc 64 "an invalid --var is a usage error"
t_run get prod --format curl-config
expect_rc 64 "curl-config is for the API token only"

# ---- -o FILE ------------------------------------------------------------------
t_run get prod --format shell -o "$T/key.sh"
expect_rc 0 "-o writes the output to a file"
expect_out_empty "nothing on stdout with -o"
[ "$(cat "$T/key.sh")" = "export AUTO_CONFIG_KEY=$KEY" ]
ok $? "the -o file holds the shell line"
[ "$(stat -c %a "$T/key.sh")" = 600 ]
ok $? "the -o file has mode 0600"
(set -a; . "$T/key.sh"; [ "$AUTO_CONFIG_KEY" = "$KEY" ])
ok $? "bash reads the key back from the -o file"
printf 'old\n' >"$T/wide.out"
chmod 0644 "$T/wide.out"
t_run get prod -o "$T/wide.out"
[ "$(stat -c %a "$T/wide.out")" = 600 ] && [ "$(cat "$T/wide.out")" = "$KEY" ]
ok $? "-o over an existing 0644 file leaves it 0600 with the key"
chmod 0644 "$T/wide.out"
t_run get prod -o "$T/wide.out"
[ "$(stat -c %a "$T/wide.out")" = 600 ]
ok $? "-o fixes the mode even when the content is unchanged"

# ---- env files ------------------------------------------------------------------
ENV=$T/relay.env
t_run get prod --env-file "$ENV"
expect_rc 0 "--env-file creates a new env file"
expect_out_empty "the key is not printed when it goes to an env file"
[ "$(cat "$ENV")" = "AUTO_CONFIG_KEY=$KEY" ]
ok $? "the new env file holds AUTO_CONFIG_KEY"
[ "$(stat -c %a "$ENV")" = 600 ]
ok $? "a new env file has mode 0600"
ino=$(stat -c %i.%Y.%y "$ENV")
t_run get prod --env-file "$ENV"
expect_err_match "unchanged" "an env file already up to date is reported unchanged"
[ "$(stat -c %i.%Y.%y "$ENV")" = "$ino" ]
ok $? "an unchanged env file is not rewritten (same inode and mtime)"

printf '# relay settings\nUSE_REDIS=1\nexport AUTO_CONFIG_KEY=old\n\nPORT=8030' >"$ENV.2"
chmod 0640 "$ENV.2"
t_run get prod --env-file "$ENV.2"
expect_rc 0 "merging into an existing env file"
printf '# relay settings\nUSE_REDIS=1\nAUTO_CONFIG_KEY=%s\n\nPORT=8030' "$KEY" >"$T/want"
cmp -s "$ENV.2" "$T/want"
ok $? "only the AUTO_CONFIG_KEY line changed, the rest byte for byte"
[ "$(stat -c %a "$ENV.2")" = 640 ]
ok $? "an existing env file keeps its mode"

ln -s "$ENV.2" "$T/link.env"
t_run get prod --env-file "$T/link.env"
expect_rc 65 "a symlinked env file is refused"
t_run get prod --env-file "$T/link.env" --follow-symlinks
expect_rc 0 "--follow-symlinks writes through the link"
[ -L "$T/link.env" ]
ok $? "the symlink is still a symlink"
t_run get prod --env-file "$T/nodir/relay.env"
[ "$RC" = 66 ]
ok $? "an env file in a missing directory: 66 (the directory must exist)"
[ ! -e "$T/nodir" ]
ok $? "no directory was created"

# ---- the command after a change ---------------------------------------------------
cat >"$T/restart.sh" <<'SH'
#!/bin/sh
echo run >>"$1/ran"
env >"$1/exec-env"
tr '\0' ' ' </proc/$$/cmdline >"$1/exec-cmdline"
SH
chmod +x "$T/restart.sh"
rm -f "$ENV"
t_run get prod --env-file "$ENV" --exec "$T/restart.sh $T"
expect_rc 0 "--exec runs after the env file changed"
[ "$(wc -l <"$T/ran")" = 1 ]
ok $? "the command ran once"
! grep -qF "$KEY" "$T/exec-env" "$T/exec-cmdline"
ok $? "the key is neither in the command's environment nor its argv"
t_run get prod --env-file "$ENV" --exec "$T/restart.sh $T"
expect_rc 0 "no change: exit 0"
[ "$(wc -l <"$T/ran")" = 1 ]
ok $? "no change: the command did not run again"
rm -f "$ENV"
t_run get prod --env-file "$ENV" --exec 'echo restart failed >&2; exit 3'
expect_rc 70 "a failing command makes the run fail (70)"
expect_err_match "restart failed" "its stderr is reported"
rm -f "$ENV"
start=$(date +%s)
t_run get prod --env-file "$ENV" --exec 'sleep 30' --exec-timeout 1s
[ "$RC" != 0 ] && [ $(( $(date +%s) - start )) -lt 15 ]
ok $? "a command past --exec-timeout is killed and the run fails"

# ---- create writes outputs too ----------------------------------------------------
t_run create staging --policy "$T/policy.json" --env-file "$T/staging.env"
expect_rc 0 "create --env-file"
SID=$(grep -o 'id [0-9a-f]\{24\}' "$T/err" | head -1 | cut -c4-)
SKEY=$(ldrt_fake_key "$SID")
[ -n "$SKEY" ] && [ "$(cat "$T/staging.env")" = "AUTO_CONFIG_KEY=$SKEY" ]
ok $? "create wrote the new key into the env file"
expect_no_secret "$SKEY" "create --env-file does not print the key"

# a section written before the config exists delivers its key on create
cat >>"$T/config" <<EOF

[relay canary]
env-file = $T/canary.env
var = CANARY_KEY
exec = printf ran >$T/canary.ran
EOF
t_run create canary --policy "$T/policy.json"
expect_rc 0 "create of a config whose section has env-file, var and exec"
CID=$(sed -n 's/^id: *//p' "$T/out")
[ -n "$CID" ]
ok $? "without output options stdout has the summary (id: ...)"
CKEY=$(ldrt_fake_key "$CID")
[ -n "$CKEY" ] && [ "$(cat "$T/canary.env")" = "CANARY_KEY=$CKEY" ]
ok $? "the section's env-file got the new key under its var"
[ "$(cat "$T/canary.ran" 2>/dev/null)" = ran ]
ok $? "the section's exec ran"
expect_no_secret "$CKEY" "create through the section does not print the key"
grep -q "^id = $CID\$" "$T/config"
ok $? "the section got the new id"

t_done
