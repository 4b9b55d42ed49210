#!/bin/bash
# tests/leak-scan.sh: after the whole test run, no API token or relay key
# the suite handled may appear in any captured test output.
#
# Every token a test gives the fake API and every key the fake held when it
# stopped is appended to $LDRT_KEYLOG (tests/integration/lib-fake.sh).  The
# test logs hold everything the tests printed: TAP lines and, on failures,
# the tool's stdout and stderr.  Tests compare keys inside their own temp
# dirs and never print them, so any known key in a log is a leak.
#
# usage: tests/leak-scan.sh KEYLOG LOG...   prints TAP, exits 0 or 1
set -u
keylog=$1
shift
python3 - "$keylog" "$@" <<'PY'
import re, sys
keylog, logs = sys.argv[1], sys.argv[2:]
try:
    keys = {l.strip() for l in open(keylog, errors="replace") if l.strip()}
except FileNotFoundError:
    keys = set()
pat = re.compile(r"(?:rel|api)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
n = 0
def ok(cond, desc):
    global n
    n += 1
    print(("ok" if cond else "not ok"), n, "-", desc)
    return cond
ok(len(keys) > 0, "the suite recorded the tokens and keys it used (%d)" % len(keys))
bad = 0
for f in logs:
    try:
        text = open(f, errors="replace").read()
    except OSError:
        continue
    hits = sorted({m for m in pat.findall(text) if m in keys})
    if hits:
        bad += 1
        # never print the key itself: its last 4 characters are enough
        print("# %s: %d known secret(s), ending in %s" % (f, len(hits), ", ".join(h[-4:] for h in hits[:5])))
ok(bad == 0, "no known token or key in any of %d test logs" % len(logs))
print("1..%d" % n)
sys.exit(0 if bad == 0 and keys else 1)
PY
