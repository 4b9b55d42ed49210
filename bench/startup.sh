#!/bin/bash
# bench/startup.sh: --version and --help against a trivial C binary.
# Target (issue 10): <= 3x.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
LDRT=${LDRT:-$root/ld-relay-token}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ldrt-bench.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
printf 'int main(void){return 0;}\n' >"$dir/true.c"
cc -O2 -o "$dir/true" "$dir/true.c" || exit 1
rc=0
python3 "$here/measure.py" ${BENCH_JSON:+--json "$BENCH_JSON"} \
    ${BENCH_RUNS:+--runs "$BENCH_RUNS"} --name=--version \
    --target-wall 3.0 -- "$LDRT" --version -- "$dir/true" || rc=1
python3 "$here/measure.py" ${BENCH_JSON:+--json "$BENCH_JSON"} \
    ${BENCH_RUNS:+--runs "$BENCH_RUNS"} --name=--help \
    --target-wall 3.0 -- "$LDRT" --help -- "$dir/true" || rc=1
exit $rc
