#!/bin/bash
# bench/get.sh: `get NAME` of a stored key against `secret-tool lookup` of
# the same item in the same private keyring.  Targets (issue 10): wall
# <= 1.10x, instructions <= 1.10x, peak RSS <= 1.15x.
. "$(dirname "$0")/lib.sh"
bench_setup
bench_measure --name "get NAME" --same-output \
    --target-wall 1.10 --target-ir 1.10 --target-rss 1.15 \
    -- "$LDRT" get bench \
    -- secret-tool lookup kind relay-key relay-id "$RELAY_ID"
