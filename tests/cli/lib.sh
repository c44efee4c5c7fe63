# Helpers for CLI tests (POSIX sh). A test script sources this, sets
# SMMUTRACE to the binary (its $1) and calls `run` and the checks; each check
# prints "ok - NAME" or "not ok - NAME"; `finish` exits non-zero on failure.
SMMUTRACE=${1:?usage: $0 SMMUTRACE_BINARY}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DATA="$TOP/tests/data"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/smmutrace-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILED=0

# run CMD...: stdout -> $TMP/out, stderr -> $TMP/err, status -> $RC
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

ok() { echo "ok - $1"; }
# skip NAME WHY: a check that cannot run on this machine (KTAP SKIP, counted
# apart from the passes)
skip() { echo "ok - $1 # SKIP $2"; }
notok() {
	echo "not ok - $1"
	FAILED=$((FAILED + 1))
	if [ -s "$TMP/err" ]; then sed 's/^/#   stderr: /' "$TMP/err" | head -5; fi
}

# expect_rc NAME CODE: the last run exited with CODE
expect_rc() {
	if [ "$RC" = "$2" ]; then ok "$1"; else echo "#   exit status $RC, expected $2"; notok "$1"; fi
}

# expect_err NAME TEXT: stderr of the last run contains TEXT (fixed string)
expect_err() {
	if grep -qF -- "$2" "$TMP/err"; then ok "$1"; else echo "#   stderr lacks: $2"; notok "$1"; fi
}

# expect_out NAME TEXT: stdout of the last run contains TEXT (fixed string)
expect_out() {
	if grep -qF -- "$2" "$TMP/out"; then ok "$1"; else echo "#   stdout lacks: $2"; notok "$1"; fi
}

# expect_no_out NAME TEXT: stdout of the last run does not contain TEXT
expect_no_out() {
	if grep -qF -- "$2" "$TMP/out"; then echo "#   stdout has: $2"; notok "$1"; else ok "$1"; fi
}

# expect_json NAME PYEXPR: PYEXPR is true for the JSONL stdout, given
# f = list of finding objects, s = the summary object, c = rule -> count
expect_json() {
	if python3 - "$TMP/out" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [l for l in lines if l.get("type") == "finding"]
s = [l for l in lines if l.get("type") == "summary"]
assert len(s) == 1, "expected one summary object, got %d" % len(s)
s = s[0]
c = {}
for x in f:
    c[x["rule"]] = c.get(x["rule"], 0) + 1
ok = eval(sys.argv[2])
if not ok:
    print("#   counts:", c, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else echo "#   false: $2"; notok "$1"; fi
}

finish() {
	[ "$FAILED" = 0 ]
}
