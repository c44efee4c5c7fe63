#!/bin/sh
# Report suite: the HTML report rendered by real headless Chromium (Debian
# `chromium`), the KCIDB v5.3 check and the Perfetto structure check, for the
# GPU-TBU-gated example and for a generated capture of REPORT_EVENTS events
# (default 1000000). Prints "ok - NAME" / "not ok - NAME" like tests/cli.
#   tests/report/run.sh [SMMUTRACE]      (default .output/smmutrace)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$TOP/.output/smmutrace}
EVENTS=${REPORT_EVENTS:-1000000}
HERE="$TOP/tests/report"
DATA="$TOP/tests/data"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/smmutrace-report.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILED=0

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; FAILED=$((FAILED + 1)); }
# check NAME CMD...: CMD's output is shown as diagnostics
check() {
	name=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then
		sed 's/^/# /' "$TMP/check.out"
		ok "$name"
	else
		sed 's/^/#   /' "$TMP/check.out" | head -30
		notok "$name"
	fi
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "not ok - chromium is installed (apt-get install chromium; scripts/setup-deps.sh does)"
	exit 1
fi

# render HTML NAME: DOM, screenshot and console log of a headless Chromium
# without network, sandbox or GPU, with a profile of its own
render() {
	for what in dump-dom screenshot; do
		prof=$(mktemp -d "$TMP/profile.XXXXXX")
		if [ $what = dump-dom ]; then
			arg=--dump-dom
		else
			arg=--screenshot="$TMP/$2.png"
		fi
		timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
			--disable-background-networking --disable-component-update --disable-sync \
			--no-first-run --user-data-dir="$prof" --enable-logging=stderr --v=0 \
			--window-size=1280,1000 $arg "file://$1" \
			>>"$TMP/$2.$what" 2>>"$TMP/$2.log" || return 1
	done
	[ -s "$TMP/$2.dump-dom" ] && [ -s "$TMP/$2.png" ]
}

first_last() {	# FILE -> "FIRST_TS LAST_TS" of a JSONL stream
	python3 - "$1" <<'PY'
import json, sys
ts = [json.loads(l)["ts"] for l in open(sys.argv[1]) if l.strip()]
print(min(ts), max(ts))
PY
}

report_set() {	# NAME STREAM BOARD: HTML, KCIDB and Perfetto of one capture
	"$BIN" report "$2" --board "$3" --html "$TMP/$1.html" --kcidb "$TMP/$1.kcidb.json" \
		--perfetto "$TMP/$1.perfetto.json" --fail-on never >"$TMP/$1.stdout" 2>"$TMP/$1.stderr"
}

# ---- the GPU TBU example ---------------------------------------------------
S="$DATA/streams/gpu-tbu-gated.jsonl"
B="$DATA/board/gpu-tbu.ini"
if report_set gpu "$S" "$B"; then ok "gpu example: report writes HTML, KCIDB, Perfetto"
else sed 's/^/#   /' "$TMP/gpu.stderr"; notok "gpu example: report writes HTML, KCIDB, Perfetto"; fi
if render "$TMP/gpu.html" gpu; then ok "gpu example: chromium renders the HTML"
else sed 's/^/#   /' "$TMP/gpu.log" | tail -5; notok "gpu example: chromium renders the HTML"; fi
check "gpu example: page renders, timeline has TBU and domain lanes, marks, gated band, no script error" \
	python3 "$HERE/check_html.py" "$TMP/gpu.html" "$TMP/gpu.dump-dom" "$TMP/gpu.png" "$TMP/gpu.log" \
	--gated --min-lanes 2 --min-marks 18
check "gpu example: KCIDB validates against v5.3 and carries the DT compatible" \
	python3 "$HERE/check_kcidb.py" "$TMP/gpu.kcidb.json" --origin smmutrace \
	--compatible qcom,qcs6490-rb3gen2 --compatible qcom,qcm6490
# shellcheck disable=SC2046
check "gpu example: Perfetto structure (async pairs, us timestamps, monotonic tracks)" \
	python3 "$HERE/check_perfetto.py" "$TMP/gpu.perfetto.json" $(first_last "$S") --min-findings 7

# the checks must catch a broken page: a script error and an external resource
sed 's#</main>#</main><script>nosuchfunction();</script><img src="https://example.org/x.png">#' \
	"$TMP/gpu.html" >"$TMP/broken.html"
if render "$TMP/broken.html" broken &&
   ! python3 "$HERE/check_html.py" "$TMP/broken.html" "$TMP/broken.dump-dom" "$TMP/broken.png" \
	"$TMP/broken.log" --gated >"$TMP/broken.out" 2>&1 &&
   grep -q "script error" "$TMP/broken.out" && grep -q "outside itself" "$TMP/broken.out"; then
	ok "html check rejects a page with a script error and an external resource"
else
	sed 's/^/#   /' "$TMP/broken.out"; notok "html check rejects a page with a script error and an external resource"
fi
python3 - "$TMP/gpu.kcidb.json" "$TMP/bad.kcidb.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["tests"][0]["status"] = "WARN"          # not a KCIDB status
del d["incidents"][0]["issue_version"]     # required
d["issues"][0]["id"] = "other:x"           # id of another origin
json.dump(d, open(sys.argv[2], "w"))
PY
if ! python3 "$HERE/check_kcidb.py" "$TMP/bad.kcidb.json" --origin smmutrace >"$TMP/bad.out" 2>&1 &&
   [ "$(grep -c -e 'status' -e 'issue_version' -e 'does not start with' "$TMP/bad.out")" -ge 3 ]; then
	ok "kcidb check rejects a bad status, a missing required field and a foreign id"
else
	sed 's/^/#   /' "$TMP/bad.out"; notok "kcidb check rejects a bad status, a missing required field and a foreign id"
fi

# ---- report --policy: the what-if timeline below the recorded one -------------
if "$BIN" report "$S" --board "$B" --policy wake-tbu --html "$TMP/wi.html" --fail-on never \
	>"$TMP/wi.stdout" 2>"$TMP/wi.stderr"; then ok "--policy wake-tbu: report writes the HTML"
else sed 's/^/#   /' "$TMP/wi.stderr"; notok "--policy wake-tbu: report writes the HTML"; fi
if render "$TMP/wi.html" wi; then ok "--policy: chromium renders the two-timeline page"
else sed 's/^/#   /' "$TMP/wi.log" | tail -5; notok "--policy: chromium renders the two-timeline page"; fi
check "--policy: the recorded timeline still passes the page checks" \
	python3 "$HERE/check_html.py" "$TMP/wi.html" "$TMP/wi.dump-dom" "$TMP/wi.png" "$TMP/wi.log" \
	--gated --min-lanes 2 --min-marks 18
# the policy's timeline comes second, has the same lanes, its own marks, and
# (wake-tbu on this capture) none of the recorded timeline's 7 finding markers
check "--policy: policy timeline below, same lanes, no finding markers; the recorded one has 7" \
	python3 - "$TMP/wi.dump-dom" <<'PY'
import re, sys
d = open(sys.argv[1]).read()
a, b = d.find('id="timeline-svg"'), d.find('id="policy-timeline-svg"')
assert 0 <= a < b, (a, b)
rec, pol = d[a:b], d[b:d.find("</svg>", b)]
lanes = lambda s: re.findall(r'data-lane="(\d+)"', s)
assert lanes(rec) == lanes(pol) and lanes(rec), (lanes(rec), lanes(pol))
assert rec.count('class="fm"') == 7 and pol.count('class="fm"') == 0, (rec.count('class="fm"'), pol.count('class="fm"'))
assert pol.count('class="mk') >= 18
assert 'id="policy-findings"' in d and "under policy wake-tbu" in d
PY

# ---- a large capture ---------------------------------------------------------
python3 "$HERE/gen_capture.py" "$EVENTS" "$TMP/big.jsonl" 1 | sed 's/^/# /'
start=$(date +%s)
if /usr/bin/env time -f '%M' -o "$TMP/big.rss" true 2>/dev/null; then
	TIME="/usr/bin/env time -f %M -o $TMP/big.rss"
else
	TIME=""
fi
# shellcheck disable=SC2086
if $TIME "$BIN" report "$TMP/big.jsonl" --board "$TMP/big.jsonl.ini" --html "$TMP/big.html" \
	--kcidb "$TMP/big.kcidb.json" --perfetto "$TMP/big.perfetto.json" --fail-on never \
	>"$TMP/big.stdout" 2>"$TMP/big.stderr"; then
	echo "# $EVENTS events: report took $(( $(date +%s) - start )) s${TIME:+, max RSS $(cat "$TMP/big.rss") KiB}; HTML $(du -k "$TMP/big.html" | cut -f1) KiB"
	ok "$EVENTS-event capture: report writes HTML, KCIDB, Perfetto"
else
	sed 's/^/#   /' "$TMP/big.stderr"; notok "$EVENTS-event capture: report writes HTML, KCIDB, Perfetto"
fi
if render "$TMP/big.html" big; then ok "$EVENTS-event capture: chromium renders the HTML"
else sed 's/^/#   /' "$TMP/big.log" | tail -5; notok "$EVENTS-event capture: chromium renders the HTML"; fi
check "$EVENTS-event capture: page renders, lanes and aggregated marks, says it aggregated, no script error" \
	python3 "$HERE/check_html.py" "$TMP/big.html" "$TMP/big.dump-dom" "$TMP/big.png" "$TMP/big.log" \
	--gated --aggregated --min-lanes 4 --min-marks 500
check "$EVENTS-event capture: KCIDB validates against v5.3" \
	python3 "$HERE/check_kcidb.py" "$TMP/big.kcidb.json" --origin smmutrace \
	--compatible qcom,qcs6490-rb3gen2 --compatible qcom,qcm6490
# shellcheck disable=SC2046
check "$EVENTS-event capture: Perfetto structure" \
	python3 "$HERE/check_perfetto.py" "$TMP/big.perfetto.json" $(first_last "$TMP/big.jsonl") --min-findings 100

[ "$FAILED" = 0 ]
