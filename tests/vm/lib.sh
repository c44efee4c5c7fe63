# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=sh
# Guest-side helpers for the board scenarios (sourced by busybox sh).
# Each scenario is one KTAP subtest document: `plan N`, then N results, printed
# indented by two spaces as they happen; /init prints the parent result line.
# Exit status: 0 all ok, 1 something failed, 77 whole scenario skipped (the
# reason is the last "# SKIP" line).

SMT_BIN=${SMT_BIN:-/usr/bin/smmutrace}
SMT_TMP=${SMT_TMP:-/tmp}
TRACEFS=${TRACEFS:-/sys/kernel/tracing}
SMT_CTL=/sys/kernel/debug/smt_tbu/ctl
SMT_STATUS=/sys/kernel/debug/smt_tbu/status
GOLDEN_DD="dd if=/dev/vda of=/dev/null bs=4k count=1024 iflag=direct"
# Analysis options for every live/replay run here: under TCG emulation a
# CMD_SYNC now and then takes milliseconds of host time, which the default
# 1 ms sync-slow threshold would report; the rig is not about that rule.
SMT_OPTS="--sync-slow 1s"

_n=0
_planned=0
_failed=0

plan() {
	_planned=$1
	echo "  KTAP version 1"
	echo "  1..$1"
}

diag() { echo "  # $*"; }

# diag_file FILE [MAX]: show a file's first MAX (20) lines as diagnostics
diag_file() {
	[ -s "$1" ] || return 0
	head -n "${2:-20}" "$1" | sed 's/^/  # | /'
}

ok() {
	_n=$((_n + 1))
	echo "  ok $_n $1"
}

not_ok() {
	_n=$((_n + 1))
	_failed=1
	echo "  not ok $_n $1"
}

skip() {
	_n=$((_n + 1))
	echo "  ok $_n $1 # SKIP $2"
}

# check NAME CMD...: ok when CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		diag "$1: got '$2', want '$3'"
		not_ok "$1"
	fi
}

# check_ge NAME GOT MIN
check_ge() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null; then
		ok "$1"
	else
		diag "$1: got '$2', want at least $3"
		not_ok "$1"
	fi
}

# skip_all REASON: the whole scenario does not apply here
skip_all() {
	echo "$*" >"$SMT_TMP/skip_reason"
	_planned=$_n
	exit 77
}

# Called at exit: results missing against the plan are failures.
_finish() {
	local rc=$?
	if [ "$_n" -lt "$_planned" ]; then
		while [ "$_n" -lt "$_planned" ]; do not_ok "missing-result # scenario stopped early (status $rc)"; done
	elif [ "$_n" -gt "$_planned" ]; then
		diag "plan said $_planned results, gave $_n"
		_failed=1
	fi
	[ "$rc" = 77 ] && exit 77
	exit $_failed
}
trap _finish EXIT

# ---- tracefs -------------------------------------------------------------
trace_reset() {
	echo 0 >$TRACEFS/tracing_on
	echo 0 >$TRACEFS/events/enable
	echo >$TRACEFS/trace
}

# count_trace EVENT [PATTERN]: lines of the trace buffer for EVENT (e.g.
# "map" from "iommu:map" shows as " map:"), optionally also matching PATTERN
count_trace() {
	if [ -n "$2" ]; then
		grep -E " $1: " $TRACEFS/trace | grep -cE "$2"
	else
		grep -cE " $1: " $TRACEFS/trace
	fi
}

# ---- ground truth: the kernel's own iommu:map/unmap tracepoints -------------
# truth_start: record iommu:map and iommu:unmap in the trace buffer (next to
# whatever smmutrace captures over the same DMA)
truth_start() {
	trace_reset
	echo 8192 >$TRACEFS/buffer_size_kb
	echo 1 >$TRACEFS/events/iommu/map/enable
	echo 1 >$TRACEFS/events/iommu/unmap/enable
	echo 1 >$TRACEFS/tracing_on
}

truth_stop() {
	echo 0 >$TRACEFS/tracing_on
	echo 0 >$TRACEFS/events/iommu/enable
	# "overrun" > 0: the buffer wrapped and the truth is incomplete
	awk '$1 == "overrun:" { s += $2 } END { print s + 0 }' $TRACEFS/per_cpu/cpu*/stats >/tmp/truth.overrun
}

# truth_missing EV EVENTS: (iova,size) records the kernel's iommu:EV
# tracepoint gave (EV = map or unmap) that smmutrace's JSONL EVENTS lacks,
# compared as multisets (a record seen twice by the kernel must be captured
# twice). Prints the number missing; the first ones go to /tmp/truth.EV.missing.
# Formats: 5.10 "map: IOMMU: iova=0x%016llx paddr=... size=%zu", 6.x+
# "map: IOMMU: iova=0x%016llx - 0x%016llx paddr=... size=%zu", unmap "...
# size=%zu unmapped_size=%zu".
truth_missing() {
	# fields by name: 5.10's unmap has no " - end" part, and "unmapped_size="
	# must not be taken for "size="
	grep -E " $1: IOMMU: iova=" $TRACEFS/trace |
		awk '{ iova = ""; size = ""
			for (i = 1; i <= NF; i++) {
				if (iova == "" && $i ~ /^iova=0x/) iova = $i
				else if (size == "" && $i ~ /^size=/) size = substr($i, 6)
			}
			sub(/^iova=0x0*/, "", iova)
			print (iova == "" ? "0" : iova), size }' >/tmp/truth.$1
	grep -E "\"ev\" *: *\"$1\"" "$2" |
		sed -n 's/.*"iova" *: *"0x0*\([0-9a-f][0-9a-f]*\)".*"size" *: *\([0-9][0-9]*\).*/\1 \2/p' >/tmp/capture.$1
	# FILENAME, not FNR == NR: an empty capture must not turn into the truth
	awk -v out=/tmp/truth.$1.missing 'FILENAME == ARGV[1] { have[$0]++; next }
		{ if (have[$0] > 0) have[$0]--; else { miss++; if (miss <= 5) print > out } }
		END { print miss + 0 }' /tmp/capture.$1 /tmp/truth.$1
}

# check_truth NAME EV EVENTS: every iommu:EV record of the kernel is in EVENTS
check_truth() {
	local n m
	rm -f /tmp/truth.$2.missing
	m=$(truth_missing "$2" "$3")
	n=$(wc -l </tmp/truth.$2)
	diag "$1: kernel iommu:$2 records $n, smmutrace $2 events $(wc -l </tmp/capture.$2), missing $m"
	[ -s /tmp/truth.$2.missing ] && diag "  missing (iova size): $(tr '\n' ';' </tmp/truth.$2.missing)"
	if [ "$(cat /tmp/truth.overrun 2>/dev/null)" != 0 ]; then
		skip "$1" "the trace buffer overran: the kernel's record is incomplete"
	elif [ "$n" = 0 ]; then
		diag "$1: the kernel's iommu:$2 tracepoint gave nothing"
		not_ok "$1"
	else
		check_exact "$1" "$m" 0
	fi
}

# ---- the test module ------------------------------------------------------
tbu_ctl() { echo "$1" >$SMT_CTL; }
tbu_status() { cat $SMT_STATUS; }

# ---- kallsyms: resolve a name duplicated by the v2 and v3 drivers ---------
# ksym_v3 NAME: address of NAME's arm-smmu-v3 copy: the copy nearest to the
# address range spanned by functions only arm-smmu-v3 has (inside it, as a rule)
ksym_v3() {
	# /proc/kallsyms is large and awk is slow under TCG: grep once
	[ -s /tmp/.kallsyms.smmu ] || grep -E ' (__)?arm_smmu_' /proc/kallsyms >/tmp/.kallsyms.smmu
	awk -v want="$1" '
	function hex(s,   i, c, v) { v = 0; s = tolower(s)
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
		return v }
	BEGIN { split("arm_smmu_cmdq_issue_cmdlist __arm_smmu_tlb_inv_range arm_smmu_tlb_inv_context " \
		"arm_smmu_evtq_thread arm_smmu_priq_thread arm_smmu_gerror_handler arm_smmu_combined_irq_handler " \
		"arm_smmu_write_reg_sync arm_smmu_init_one_queue arm_smmu_cmdq_build_cmd arm_smmu_atc_inv_domain " \
		"arm_smmu_install_ste_for_dev arm_smmu_domain_finalise_s1 arm_smmu_init_l2_strtab " \
		"arm_smmu_page_response arm_smmu_free_msis arm_smmu_disable_action arm_smmu_write_msi_msg", l, " ")
		for (i in l) v3[l[i]] = 1 }
	$2 ~ /^[tT]$/ && ($3 in v3) { a = hex($1); if (lo == "" || a < lo) lo = a; if (hi == "" || a > hi) hi = a }
	$2 ~ /^[tT]$/ && $3 == want { n++; c[n] = $1 }
	END {
		best = ""; bd = -1
		for (i = 1; i <= n; i++) { a = hex(c[i]); d = a < lo ? lo - a : (a > hi ? a - hi : 0)
			if (bd < 0 || d < bd) { bd = d; best = c[i] } }
		print best }' /tmp/.kallsyms.smmu
}

# ---- smmutrace -------------------------------------------------------------
# smt_can CMD: does the smmutrace binary implement CMD? (The placeholder
# commands answer even --help with "not available in this build".)
smt_can() {
	[ -x "$SMT_BIN" ] || return 1
	! "$SMT_BIN" "$1" --help 2>&1 | grep -q "not available in this build"
}

# smt_need CMD...: skip the whole scenario unless every CMD is implemented
smt_need() {
	local c
	[ -x "$SMT_BIN" ] || skip_all "no smmutrace binary in this initramfs"
	for c in "$@"; do
		smt_can "$c" || skip_all "smmutrace $c not available"
	done
}

# jnum FIELD FILE: numeric value of "FIELD": N on the last line holding it
jnum() {
	sed -n "s/.*\"$1\" *: *\"\\{0,1\\}\\(-\\{0,1\\}[0-9x][0-9a-fx]*\\).*/\\1/p" "$2" | tail -n1
}

# count_json KEY VALUE FILE: lines of a JSONL file with "KEY":"VALUE"
count_json() {
	grep -cE "\"$1\" *: *\"$2\"" "$3"
}

# wait_kprobe NAME [SECONDS]: wait until a kprobe on NAME is registered
# (smmutrace attached), up to SECONDS (30)
wait_kprobe() {
	local i=0
	while [ $i -lt $((${2:-30} * 10)) ]; do
		grep -q " $1+0x0" /sys/kernel/debug/kprobes/list 2>/dev/null && return 0
		usleep 100000
		i=$((i + 1))
	done
	return 1
}

# ---- JSONL (smmutrace --json and --events output; flat objects) ------------
# jfield FIELD: print FIELD's value (string unquoted, or number) of each stdin line
jfield() {
	sed -n "s/.*\"$1\" *: *\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"
}

# summary_lost FILE: the summary's lost count in smmutrace --json output (its
# first "lost"; jfield would take the last, events_by_type's count of lost events)
summary_lost() {
	grep -E '"type" *: *"summary"' "$1" | grep -oE '"lost" *: *[0-9]+' | head -n1 | grep -oE '[0-9]+$'
}

# Big JSONL files are digested once into small tables (busybox under TCG is
# slow): events -> "EV DOMAIN", findings -> "RULE SEVERITY TS TBUS".
_jtab() {
	awk -v keys="$2" -v sel="$3" '
	function f(k,   v) {
		if (!match($0, "\"" k "\" *: *\"?[^\",}]*")) return "-"
		v = substr($0, RSTART, RLENGTH); sub(/^"[^"]*" *: *"?/, "", v)
		return v == "" ? "-" : v }
	function tbus(   v) {
		if (!match($0, "\"tbus\" *: *\\[[^]]*")) return "-"
		v = substr($0, RSTART, RLENGTH); sub(/^"tbus" *: *\[/, "", v); gsub(/[" ]/, "", v)
		return v == "" ? "-" : v }
	$0 ~ sel { n = split(keys, k, " "); line = ""
		for (i = 1; i <= n; i++) line = line (i > 1 ? " " : "") (k[i] == "tbus" ? tbus() : f(k[i]))
		print line }' "$1"
}
ev_table() { [ -f "$1.tab" ] || _jtab "$1" "ev domain" '^[{] *"ev" *: *"' >"$1.tab"; }
finding_table() { [ -f "$1.ftab" ] || _jtab "$1" "rule severity ts tbus" '"type" *: *"finding"' >"$1.ftab"; }

# count_ev FILE EV [DOMAIN]: events of type EV (in DOMAIN) in a JSONL file
count_ev() {
	ev_table "$1"
	if [ -n "$3" ]; then grep -c "^$2 $3\$" "$1.tab"; else grep -c "^$2 " "$1.tab"; fi
}

# ev_counts FILE: "map=N unmap=N ..." of a JSONL event file
ev_counts() {
	ev_table "$1"
	cut -d' ' -f1 "$1.tab" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

# virtio_domain FILE: the virtio-blk disk's domain: from an attach event naming
# 0000:00:01.0, else the domain with the most map events
virtio_domain() {
	local d
	d=$(grep -E '"ev" *: *"attach"' "$1" | grep '0000:00:01\.0' | jfield domain | tail -n1)
	if [ -z "$d" ]; then
		ev_table "$1"
		d=$(grep '^map ' "$1.tab" | cut -d' ' -f2 | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	fi
	echo "$d"
}

# count_findings FILE [RULE [SEVERITY]]: finding objects in smmutrace --json output
count_findings() {
	finding_table "$1"
	grep -cE "^${2:-[a-z-]+} ${3:-[a-z]+} " "$1.ftab"
}

# rule_counts FILE: "rule=N ..." of the findings in smmutrace --json output
rule_counts() {
	finding_table "$1"
	cut -d' ' -f1 "$1.ftab" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'
}

# ---- running smmutrace in the background -----------------------------------
# unmap_kprobes: kprobes registered on the SMMU drivers' unmap callback
# (arm_smmu_unmap_pages; arm_smmu_unmap before 5.18)
unmap_kprobes() {
	grep -cE ' arm_smmu_unmap(_pages)?\+0x0' /sys/kernel/debug/kprobes/list 2>/dev/null
}

# unmap_hooked PID BEFORE: smmutrace PID has its hook on the unmap path: a
# kprobe on the drivers' unmap callback beyond the BEFORE there were, or,
# where it hooks the iommu core by trampoline instead (6.12+; those are
# attached first: map and unmap, fentry and fexit), a trampoline on
# __iommu_unmap and four BPF links of its own (one trampoline serves every
# process, so enabled_functions alone cannot tell a second capture's)
unmap_hooked() {
	[ "$(unmap_kprobes)" -gt "$2" ] && return 0
	grep -qE '^__iommu_unmap ' $TRACEFS/enabled_functions 2>/dev/null &&
		[ "$(ls -l /proc/$1/fd 2>/dev/null | grep -c bpf_link)" -ge 4 ]
}

# smt_start NAME ARGS...: run "smmutrace ARGS" in the background, stdout to
# /tmp/NAME.out (the console with SMT_STDOUT=console), stderr to /tmp/NAME.err; wait until it has attached its hooks
# (its hook on the unmap path appeared and its open files stopped
# changing). Returns 1 if it died or did not attach within 60 s.
smt_start() {
	local name=$1 before pid i=0 last=-1 same=0 now
	shift
	before=$(unmap_kprobes)
	if [ "${SMT_STDOUT:-}" = console ]; then
		"$SMT_BIN" "$@" 2>/tmp/$name.err &
	else
		"$SMT_BIN" "$@" >/tmp/$name.out 2>/tmp/$name.err &
	fi
	pid=$!
	echo $pid >/tmp/$name.pid
	while [ $i -lt 240 ]; do
		kill -0 $pid 2>/dev/null || { diag "smmutrace $*: exited early"; diag_file /tmp/$name.err; return 1; }
		if unmap_hooked $pid "$before"; then
			now=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
			if [ "$now" = "$last" ]; then
				same=$((same + 1))
				[ $same -ge 4 ] && return 0
			else
				same=0
				last=$now
			fi
		fi
		usleep 250000
		i=$((i + 1))
	done
	diag "smmutrace $*: not attached after 60 s"
	diag_file /tmp/$name.err
	return 1
}

# bpf_misses NAME: runs of NAME's BPF programs the kernel skipped because
# another BPF program was running on that CPU (fdinfo recursion_misses; 5.12+)
# set_lossy MISSES: the kernel skipped MISSES runs of smmutrace's BPF
# programs. A kprobe that fires while another BPF program runs on the same CPU
# (an IRQ-context unmap during a map's program) is not run at all; under TCG
# on one CPU the windows are long, so a few runs in some boots are skipped.
# The capture reports them as lost events (checked by lost_reported), and the
# scenario's exact counts are then not asserted: check_exact skips them.
_lossy=""
set_lossy() {
	if [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null; then
		_lossy="the kernel skipped $1 BPF program runs or kprobe hits (nesting on one CPU); they were lost events"
		diag "$_lossy: exact counts not asserted in this run"
	fi
}

# check_exact NAME GOT WANT: check_eq, skipped when the run lost events to the kernel
check_exact() {
	if [ -n "$_lossy" ]; then skip "$1" "$_lossy"; else check_eq "$@"; fi
}

# check_lost NAME LOST: zero lost events; when the kernel skipped runs, at
# least one lost event must have said so (never silent)
check_lost() {
	if [ -n "$_lossy" ]; then check_ge "$1" "${2%%:*}" 1; else check_eq "$1" "$2" "$3"; fi
}

bpf_misses() {
	local pid r k
	pid=$(cat /tmp/$1.pid 2>/dev/null) || { echo 0; return 0; }
	r=$(cat /proc/$pid/fdinfo/* 2>/dev/null | awk '$1 == "recursion_misses:" { s += $2 } END { print s + 0 }')
	# and kprobe hits the kprobe layer skipped (a kprobe during a kretprobe
	# handler on that CPU): nmissed of smmutrace's tracefs kprobes smt<PID>_<n>
	k=$(awk -v p="smt${pid}_" 'index($1, p) == 1 { s += $3 } END { print s + 0 }' \
		${TRACEFS:-/sys/kernel/tracing}/kprobe_profile 2>/dev/null)
	echo $((r + ${k:-0}))
}

# smt_stop NAME: SIGINT, wait (60 s at most), return smmutrace's exit status
smt_stop() {
	local pid i=0 rc
	pid=$(cat /tmp/$1.pid 2>/dev/null) || return 255
	# let the ring buffer drain before stopping
	sleep 1
	kill -INT $pid 2>/dev/null
	while kill -0 $pid 2>/dev/null && [ $i -lt 240 ]; do
		usleep 250000
		i=$((i + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		diag "smmutrace ($1) ignored SIGINT for 60 s: killed"
		kill -KILL $pid
	fi
	wait $pid
	rc=$?
	rm -f /tmp/$1.pid
	return $rc
}

# send_file NAME FILE: hand FILE to the host; /init prints everything in
# /tmp/out after the KTAP document (gzip + base64 between markers)
send_file() {
	mkdir -p /tmp/out
	cp "$2" "/tmp/out/$1"
}

# now_s: seconds since boot with centiseconds
now_s() { cut -d' ' -f1 /proc/uptime; }
# secs_since T0
secs_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'; }
