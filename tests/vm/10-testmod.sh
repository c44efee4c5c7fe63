# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# The test module is loaded and its clock, power domain and device produce real
# clk:* / rpm:* tracepoint events and _genpd_power_on/off calls (kernel only).
. ./lib.sh
plan 10

check module-loaded test -w $SMT_CTL
# module BTF exists from 5.11 on (bullseye's 5.10 has only vmlinux BTF): the
# kernel's own modules (virtio_blk, e1000) show whether this kernel has it
if ls /sys/kernel/btf/ | grep -qv '^vmlinux$\|^smmutrace_testmod$'; then
	check module-has-btf test -f /sys/kernel/btf/smmutrace_testmod
else
	skip module-has-btf "this kernel has no module BTF ($(uname -r); /sys/kernel/btf: $(ls /sys/kernel/btf | tr '\n' ' '))"
fi
check_eq starts-gated "$(tbu_status | cut -d' ' -f1-3)" "rpm=suspended clk=0 pd=0"

trace_reset
echo 4096 >$TRACEFS/buffer_size_kb
for e in clk/clk_enable clk/clk_disable clk/clk_prepare clk/clk_unprepare rpm/rpm_resume rpm/rpm_suspend; do
	echo 1 >$TRACEFS/events/$e/enable
done
# genpd has no tracepoint that fires: count its power callbacks with kprobes
echo 'p:smt/genpd_on _genpd_power_on' >>$TRACEFS/kprobe_events
echo 'p:smt/genpd_off _genpd_power_off' >>$TRACEFS/kprobe_events
echo 1 >$TRACEFS/events/smt/enable
echo 1 >$TRACEFS/tracing_on
tbu_ctl get
up=$(tbu_status | cut -d' ' -f1-3)
tbu_ctl put
echo 0 >$TRACEFS/tracing_on
down=$(tbu_status | cut -d' ' -f1-3)

check_eq get-ungates "$up" "rpm=active clk=1 pd=1"
check_eq put-gates "$down" "rpm=suspended clk=0 pd=0"
# clk events fire on 0<->1 count transitions only: exactly one each way
check_eq clk-enable-event "$(count_trace clk_enable 'smt_tbu_clk$')" 1
check_eq clk-disable-event "$(count_trace clk_disable 'smt_tbu_clk$')" 1
check_ge rpm-resume-event "$(count_trace rpm_resume 'smt-tbu\.0 ')" 1
check_ge rpm-suspend-event "$(count_trace rpm_suspend 'smt-tbu\.0 ')" 1
check_eq genpd-power-on-off "$(count_trace genpd_on):$(count_trace genpd_off)" "1:1"

echo 0 >$TRACEFS/events/enable
echo >$TRACEFS/kprobe_events
trace_reset
