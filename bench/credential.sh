#!/bin/bash
# bench/credential.sh: `credential get` for ldrelay://NAME against
# `secret-tool lookup` of the same item.  Targets as for get.
. "$(dirname "$0")/lib.sh"
bench_setup
printf 'protocol=ldrelay\nhost=bench\n\n' >"$BENCH_DIR/req"
bench_measure --name "credential get" --stdin "$BENCH_DIR/req" \
    --target-wall 1.10 --target-ir 1.10 --target-rss 1.15 \
    -- "$LDRT" credential get \
    -- secret-tool lookup kind relay-key relay-id "$RELAY_ID"
