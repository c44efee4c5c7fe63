# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# `smmutrace record` in the guest, with `live` watching the same gated
# workload; the guest replays the recording, and the host (scripts/vmtest,
# scripts/vm/replay-check.sh) replays it again on x86: all three must agree.
. ./lib.sh
smt_need record live replay
plan 8

BOARD=/smt/boards/virt-tbu.ini
SMALL_DD="dd if=/dev/vda of=/dev/null bs=4k count=16 iflag=direct"
tbu_ctl get
rm -f /tmp/rec.smtrec*
if smt_start rec record --board $BOARD -o /tmp/rec.smtrec && smt_start rl live $SMT_OPTS --board $BOARD --json --interval 0; then
	ok record-and-live-attached
	tbu_ctl put
	$SMALL_DD 2>/dev/null
	tbu_ctl get
	$SMALL_DD 2>/dev/null
	# two captures: either may have runs skipped by the kernel (see set_lossy)
	set_lossy "$(( $(bpf_misses rl) + $(bpf_misses rec) ))"
	smt_stop rl
	lrc=$?
	smt_stop rec
	rrc=$?
else
	not_ok record-and-live-attached
	lrc=x rrc=x
	smt_stop rl
	smt_stop rec
fi
tbu_ctl put
diag_file /tmp/rec.err 5
check_eq record-exit-status "$rrc" 0
check_eq live-exit-status "$lrc" 1
check test-recording-written test -s /tmp/rec.smtrec
"$SMT_BIN" replay $SMT_OPTS --json /tmp/rec.smtrec >/tmp/replay.out 2>/tmp/replay.err
check_eq guest-replay-exit-status $? 1
diag_file /tmp/replay.err 5
# per-rule counts: live and replay of the same events
diag "live:   $(rule_counts /tmp/rl.out)"
diag "replay: $(rule_counts /tmp/replay.out)"
check_exact replay-finds-what-live-found "$(rule_counts /tmp/replay.out)" "$(rule_counts /tmp/rl.out)"
check_exact replay-unmap-while-gated "$(count_findings /tmp/replay.out unmap-while-gated error)" 64
check_exact replay-one-stale-exposure "$(count_findings /tmp/replay.out tbu-stale-exposure)" 1
# for the host's replay check
send_file rec.smtrec /tmp/rec.smtrec
send_file live.jsonl /tmp/rl.out
send_file replay.jsonl /tmp/replay.out
