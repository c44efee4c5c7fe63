#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# smmutrace monitor tests: outputs on a stream with known findings, follow
# mode and signals, a real Prometheus server scraping the endpoint, and a soak
# at a fixed event rate with rotation on (SOAK_SECONDS, default 60).
#   tests/monitor/run.sh .output/smmutrace
# Prints "ok - NAME" / "not ok - NAME" lines; exits non-zero on any failure.
# Needs promtool and prometheus (Debian package `prometheus`); without them
# those checks say "not ok" (install with scripts/setup-deps.sh).
set -u
bin=${1:?usage: run.sh SMMUTRACE_BINARY}
case "$bin" in /*) ;; *) bin="$(pwd)/$bin" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_RATE=${SOAK_RATE:-20000}
# bounds the soak checks: resident memory of monitor, in KiB
SOAK_MAX_RSS_KB=${SOAK_MAX_RSS_KB:-32768}

tmp=$(mktemp -d /tmp/smmutrace-monitor.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

pass=0 fail=0 skipped=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
# skip NAME WHY: a check that cannot run here (KTAP SKIP; not a pass)
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; fail=$((fail + 1)); }
check() { # check NAME CMD...: ok when CMD succeeds
	local name=$1; shift
	if "$@" >"$tmp/check.out" 2>&1; then ok "$name"; else notok "$name" "$(head -c 600 "$tmp/check.out")"; fi
}
# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds
wait_for() {
	local n=$(($1 * 5)); shift
	while [ "$n" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; n=$((n - 1)); done
	return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics_addr() { sed -n 's|^# metrics: http://\(.*\)/metrics$|\1|p' "$1"; }

stream=$top/tests/data/streams/gpu-tbu-gated.jsonl
board=$top/tests/data/board/gpu-tbu.ini

# ---- (a) a stream with known findings, every output -------------------------
a=$tmp/a
mkdir -p "$a/rec" "$a/inc"
"$bin" monitor --input "$stream" --board "$board" --period 100ms --lava --no-listen \
	--findings-log "$a/findings.jsonl" --textfile "$a/smmutrace.prom" \
	--record-dir "$a/rec" --incident-dir "$a/inc" >"$a/out" 2>"$a/err"
rc=$?
check "input: exit status 1 when a period has errors" test "$rc" = 1
"$bin" replay --json --board "$board" "$stream" | jq -r 'select(.type=="finding") | .rule' | sort >"$a/want"
jq -r .rule "$a/findings.jsonl" | sort >"$a/got"
check "findings log: the same findings as replay --json" diff -u "$a/want" "$a/got"
check "findings log: one finding object per line" \
	sh -c "[ \$(jq -c 'select(.type==\"finding\" and .evidence)' '$a/findings.jsonl' | wc -l) = \$(wc -l <'$a/findings.jsonl') ] && [ -s '$a/findings.jsonl' ]"
check "ktap: version line first" sh -c "head -1 '$a/out' | grep -qx 'KTAP version 1'"
check "ktap: one line per period, plan at the end" \
	sh -c "grep -qx 'ok 1 period-1' '$a/out' && grep -q '^not ok 2 period-2 # errors: 4 (unmap-while-gated 2, tlbi-while-gated 2), warnings: 2' '$a/out' && grep -q '^not ok 3 period-3 # errors: 1 (tbu-stale-exposure 1)' '$a/out' && grep -qx '1\.\.3' '$a/out'"
check "lava: a test-case signal per period" \
	sh -c "[ \$(grep -c '^<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=smmutrace-period-[0-9]* RESULT=fail MEASUREMENT=[0-9]* UNITS=findings>$' '$a/out') = 2 ] && grep -qx '<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=smmutrace-period-1 RESULT=pass MEASUREMENT=0 UNITS=findings>' '$a/out'"
check "summary: counts match the findings log" \
	sh -c "grep -q \"^# summary: events=30 findings=\$(wc -l <'$a/findings.jsonl') errors=5 warnings=2 \" '$a/out'"
check "textfile: promtool check metrics passes" sh -c "promtool check metrics <'$a/smmutrace.prom'"
check "textfile: final values" \
	sh -c "grep -qx 'smmutrace_events_processed_total 30' '$a/smmutrace.prom' && grep -qx 'smmutrace_findings_total{rule=\"unmap-while-gated\",severity=\"error\"} 2' '$a/smmutrace.prom' && grep -qx 'smmutrace_sync_latency_seconds_count 4' '$a/smmutrace.prom' && grep -qx 'smmutrace_periods_failed_total 2' '$a/smmutrace.prom'"
check "textfile: no temp file left" sh -c "[ \$(ls '$a' | grep -c tmp) = 0 ]"
check "recording: every input event plus the file's meta" \
	sh -c "[ \$('$bin' dump '$a/rec/monitor-000001.smt' | wc -l) = 31 ]"
check "recording: replays to the same findings" \
	sh -c "'$bin' replay --json '$a/rec/monitor-000001.smt' | jq -r 'select(.type==\"finding\") | .rule' | sort | diff -u '$a/want' -"
check "incident: recording and HTML report of the first error" \
	sh -c "[ -s '$a/inc/incident-001.smt' ] && grep -q '<svg' '$a/inc/incident-001.html' && grep -q 'unmap-while-gated' '$a/inc/incident-001.html'"
check "incident: the snapshot starts with the gate state (the TBU is gated in it)" \
	sh -c "'$bin' replay '$a/inc/incident-001.smt' | grep -q 'unmap-while-gated'"

# ---- bad input and usage ------------------------------------------------------
printf '%s\n' '{"ev":"map","ts":1,"domain":"0x1","iova":"0x1000","size":4096,"ret":0}' \
	'{"ev":"map","ts":"soon"}' >"$tmp/bad.jsonl"
"$bin" monitor --input "$tmp/bad.jsonl" --no-listen >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
check "bad input: exit 2 naming file and line, verdict still printed" \
	sh -c "[ $rc = 2 ] && grep -q 'bad.jsonl:2: ts' '$tmp/bad.err' && grep -qx '1\.\.1' '$tmp/bad.out'"
"$bin" monitor --follow --no-listen >/dev/null 2>"$tmp/u.err"; rc=$?
check "usage: --follow without --input is exit 2" sh -c "[ $rc = 2 ] && grep -q 'add --input' '$tmp/u.err'"
"$bin" monitor --input "$stream" --listen nonsense >/dev/null 2>"$tmp/u.err"; rc=$?
check "usage: a bad --listen is exit 2" sh -c "[ $rc = 2 ] && grep -q 'ADDR:PORT' '$tmp/u.err'"
"$bin" monitor --input "$stream" --keep-files 3 --no-listen >/dev/null 2>"$tmp/u.err"; rc=$?
check "usage: retention limits need --record-dir" sh -c "[ $rc = 2 ] && grep -q 'record-dir' '$tmp/u.err'"
check "help: has lab examples" sh -c "'$bin' monitor --help | grep -q 'Examples:'"

# ---- follow mode, HTTP endpoint, signals ----------------------------------------
f=$tmp/f
mkdir -p "$f"
: >"$f/ev.jsonl"
cp "$board" "$f/board.ini"
"$bin" monitor --input "$f/ev.jsonl" --follow --board "$f/board.ini" --period 100ms \
	--listen 127.0.0.1:0 --findings-log "$f/findings.jsonl" >"$f/out" 2>"$f/err" &
mpid=$!; pids+=("$mpid")
wait_for 10 grep -q '^# metrics: http://' "$f/out"
addr=$(metrics_addr "$f/out")
head -15 "$stream" >>"$f/ev.jsonl"
sed -n 16p "$stream" | head -c 20 >>"$f/ev.jsonl"	# half a line: must wait for the rest
scraped() { curl -sf "http://$addr/metrics" | grep -qx "smmutrace_events_processed_total $1"; }
check "follow: whole lines analysed as they arrive, half a line waits" wait_for 10 scraped 15
sed -n 16p "$stream" | tail -c +21 >>"$f/ev.jsonl"
tail -n +17 "$stream" >>"$f/ev.jsonl"
check "follow: the rest once the line is complete" wait_for 10 scraped 30
check "http: /metrics passes promtool" sh -c "curl -sf 'http://$addr/metrics' | promtool check metrics"
check "http: other paths are 404" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://$addr/other') = 404 ]"
check "http: only GET" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST 'http://$addr/metrics') = 405 ]"
printf '\n[tbu extra_tbu]\nsmmu = 3da0000.iommu\nsids = 0x400-0x4ff\n' >>"$f/board.ini"
kill -HUP "$mpid"
check "sighup: a changed board is reloaded and said so" \
	wait_for 10 sh -c "grep -q 'reloaded; the analysis restarted' '$f/err' && curl -sf 'http://$addr/metrics' | grep -qx 'smmutrace_board_reloads_total 1'"
mv "$f/findings.jsonl" "$f/findings.1.jsonl"
kill -HUP "$mpid"
check "sighup: the findings log is reopened (logrotate)" wait_for 10 test -e "$f/findings.jsonl"
lost() { curl -sf "http://$addr/metrics" | grep -qx "smmutrace_lost_events_total $1"; }
mv "$f/ev.jsonl" "$f/ev.1.jsonl"	# logrotate, create mode
echo '{"ev":"lost","ts":6000000000,"count":5}' >"$f/ev.jsonl"
check "follow: a replaced file is followed from its start" wait_for 10 lost 5
: >"$f/ev.jsonl"			# logrotate, copytruncate mode
sleep 0.3
echo '{"ev":"lost","ts":7000000000,"count":4}' >>"$f/ev.jsonl"
check "follow: a truncated file is followed from its start" wait_for 10 lost 9
kill -TERM "$mpid"
wait "$mpid"; rc=$?
check "sigterm: clean end with last verdict, plan and summary" \
	sh -c "[ $rc = 1 ] && grep -qx '1\.\.5' '$f/out' && grep -q '^# summary: events=32 findings=9 errors=5 warnings=4 lost=9 ' '$f/out'"

# ---- follow a recording that grows block by block ----------------------------------
r=$tmp/r
mkdir -p "$r"
python3 "$here/gen_events.py" --events 30000 --board "$r/board.ini" >"$r/ev.jsonl"
"$bin" convert "$r/ev.jsonl" -o "$r/full.smt" --board "$r/board.ini" 2>/dev/null
total=$("$bin" dump "$r/full.smt" | wc -l)
# cut inside a block past the first (60 % of the file), then grow by part of
# what is left: positions from the file's size, which the format's
# compression decides (version 3 writes these events in about 50 KB)
size=$(stat -c %s "$r/full.smt")
cut=$((size * 6 / 10))
more=$(((size - cut) / 2))
head -c "$cut" "$r/full.smt" >"$r/grow.smt"
"$bin" monitor --input "$r/grow.smt" --follow --period 1s --listen 127.0.0.1:0 >"$r/out" 2>"$r/err" &
mpid=$!; pids+=("$mpid")
wait_for 10 grep -q '^# metrics: http://' "$r/out"
addr=$(metrics_addr "$r/out")
some() { # events of the whole blocks so far: some, not all
	local n
	n=$(curl -sf "http://$addr/metrics" | sed -n 's/^smmutrace_events_processed_total //p')
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt "$total" ]
}
check "follow recording: the whole blocks so far are analysed" wait_for 10 some
tail -c +$((cut + 1)) "$r/full.smt" | head -c "$more" >>"$r/grow.smt"
kill -TERM "$mpid"
wait "$mpid"; rc=$?
check "follow recording: stopping inside a block is a clean end" \
	sh -c "[ $rc -le 1 ] && ! grep -q truncated '$r/err' && grep -q '^# summary: events=' '$r/out'"
head -c "$cut" "$r/full.smt" >"$r/grow2.smt"
"$bin" monitor --input "$r/grow2.smt" --follow --period 1s --listen 127.0.0.1:0 >"$r/out2" 2>"$r/err2" &
mpid=$!; pids+=("$mpid")
wait_for 10 grep -q '^# metrics: http://' "$r/out2"
addr=$(metrics_addr "$r/out2")
tail -c +$((cut + 1)) "$r/full.smt" >>"$r/grow2.smt"
scraped() { curl -sf "http://$addr/metrics" | grep -qx "smmutrace_events_processed_total $1"; }
check "follow recording: every event once the file is complete" wait_for 10 scraped "$total"
kill -TERM "$mpid"; wait "$mpid"

# ---- live capture (root and a kernel smmutrace can attach to) ------------------------
l=$tmp/live
mkdir -p "$l"
"$bin" monitor --duration 2s --period 1s --no-listen --textfile "$l/m.prom" >"$l/out" 2>"$l/err"
rc=$?
if [ "$rc" = 3 ]; then
	skip "live: wall-time periods and textfile" "$(head -c 200 "$l/err" | tr '\n' ' ')"
else
	check "live: wall-time periods and textfile" \
		sh -c "[ $rc -le 1 ] && grep -q '^ok 1 period-1' '$l/out' && grep -q '^1\.\.[23]\$' '$l/out' && promtool check metrics <'$l/m.prom'"
fi

# ---- (b) a real Prometheus server scrapes the endpoint ------------------------------
p=$tmp/prom
mkdir -p "$p/data"
if command -v prometheus >/dev/null; then
	mport=$(free_port); pport=$(free_port)
	# stdin stays open (a fifo held by sleep), so monitor keeps serving after the events
	mkfifo "$p/fifo"
	(cat "$stream"; exec sleep 60) >"$p/fifo" &
	pids+=("$!")
	"$bin" monitor --input - --board "$board" --period 100ms --listen "127.0.0.1:$mport" \
		<"$p/fifo" >"$p/out" 2>"$p/err" &
	mpid=$!; pids+=("$mpid")
	cat >"$p/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: smmutrace
	    static_configs:
	      - targets: ["127.0.0.1:$mport"]
	EOF
	prometheus --config.file="$p/prometheus.yml" --storage.tsdb.path="$p/data" \
		--web.listen-address="127.0.0.1:$pport" >"$p/prom.log" 2>&1 &
	ppid=$!; pids+=("$ppid")
	q() { # q PROMQL: the first result's value
		curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
			jq -r '.data.result[0].value[1] // empty'
	}
	qeq() { [ "$(q "$1")" = "$2" ]; }
	check "prometheus: scrapes monitor (up == 1)" wait_for 40 qeq 'up{job="smmutrace"}' 1
	check "prometheus: smmutrace_events_processed_total" wait_for 10 qeq smmutrace_events_processed_total 30
	check "prometheus: events by type" qeq 'smmutrace_events_total{ev="unmap"}' 4
	check "prometheus: findings by rule and severity" \
		qeq 'smmutrace_findings_total{rule="tbu-stale-exposure",severity="error"}' 1
	inrange() { # the stream's syncs took 1.5-4.5 us: the quantile falls in (1us, 5us]
		q 'histogram_quantile(0.99, sum by (le) (smmutrace_sync_latency_seconds_bucket))' |
			awk '{ exit !($1 > 0.000001 && $1 <= 0.000005) }'
	}
	check "prometheus: sync-latency histogram quantile in (1us, 5us]" inrange
	check "prometheus: sync-latency count" qeq smmutrace_sync_latency_seconds_count 4
	check "prometheus: live mappings per domain" \
		qeq 'smmutrace_live_mappings{domain="0xffffff80a1c2e000"}' 1
	kill "$ppid" 2>/dev/null
	kill -TERM "$mpid" 2>/dev/null
else
	notok "prometheus: the prometheus binary is missing (apt-get install prometheus)"
fi

# ---- (c) soak: fixed event rate, rotation on, for SOAK_SECONDS ------------------------
s=$tmp/soak
mkdir -p "$s/rec" "$s/inc"
maxfile=131072 keepbytes=524288
python3 "$here/gen_events.py" --board "$s/board.ini" --events 0 >/dev/null
mkfifo "$s/fifo"
python3 "$here/gen_events.py" --rate "$SOAK_RATE" --seconds "$SOAK_SECONDS" >"$s/fifo" &
gpid=$!; pids+=("$gpid")
"$bin" monitor --input - --board "$s/board.ini" --period 5s --listen 127.0.0.1:0 \
	--findings-log "$s/findings.jsonl" --textfile "$s/m.prom" --record-dir "$s/rec" \
	--max-file-bytes $maxfile --keep-files 6 --keep-bytes $keepbytes --incident-dir "$s/inc" \
	--max-incidents 3 <"$s/fifo" >"$s/out" 2>"$s/err" &
mpid=$!; pids+=("$mpid")
max_rss=0 max_disk=0 samples=0
while kill -0 "$mpid" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$mpid/status" 2>/dev/null)
	disk=$(du -sb "$s/rec" 2>/dev/null | cut -f1)
	[ -n "$rss" ] && [ "$rss" -gt "$max_rss" ] && max_rss=$rss
	[ -n "$disk" ] && [ "$disk" -gt "$max_disk" ] && max_disk=$disk
	samples=$((samples + 1))
	sleep 1
done
wait "$mpid"; rc=$?
events=$(sed -n 's/^# summary: events=\([0-9]*\) .*/\1/p' "$s/out")
found=$(sed -n 's/^# summary: .* findings=\([0-9]*\) .*/\1/p' "$s/out")
echo "# soak: ${SOAK_SECONDS}s at ${SOAK_RATE} events/s: events=$events findings=$found" \
	"max VmRSS ${max_rss} KiB, max record dir ${max_disk} bytes, $samples samples," \
	"$(ls "$s/rec" | wc -l) files at the end, rotations $(sed -n 's/^smmutrace_recording_rotations_total //p' "$s/m.prom")"
check "soak: ran to the end of the stream" \
	sh -c "[ '$rc' -le 1 ] && [ -n '$events' ] && [ '$events' -ge $((SOAK_RATE * SOAK_SECONDS * 9 / 10)) ]"
check "soak: RSS stayed under ${SOAK_MAX_RSS_KB} KiB (max ${max_rss})" test "$max_rss" -gt 0 -a "$max_rss" -le "$SOAK_MAX_RSS_KB"
# closed files within --keep-bytes, plus the file being written (max + one block)
check "soak: record dir stayed within --keep-bytes + one file (max ${max_disk})" \
	test "$max_disk" -le $((keepbytes + maxfile + 131072))
check "soak: files rotated and old ones deleted" \
	sh -c "[ \$(ls '$s/rec' | wc -l) -le 6 ] && grep -q '^smmutrace_recording_deleted_total [1-9]' '$s/m.prom'"
check "soak: no finding lost (log lines == summary findings)" \
	sh -c "[ -n '$found' ] && [ '$found' -gt 0 ] && [ \$(wc -l <'$s/findings.jsonl') = '$found' ]"
check "soak: rotated recordings are whole (each replays to its end)" \
	sh -c "for r in '$s'/rec/*.smt; do '$bin' dump \"\$r\" >/dev/null || exit 1; done"
n=$(ls "$s/inc" | grep -c '\.html$')
check "soak: incident reports written, at most --max-incidents ($n)" test "$n" -ge 1 -a "$n" -le 3

echo "monitor: $pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
