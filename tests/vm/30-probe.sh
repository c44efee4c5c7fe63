# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# modes: strict
# smmutrace probe resolves the arm-smmu-v3 hooks on Debian's kernel: names both
# drivers define are attached by address, fentry is never used on 6.1; where
# trampolines work the command queue is traced by fentry, and map/unmap by
# the iommu core's functions (trampolines) instead of the drivers' kprobes by
# address, which are then skipped; v3 faults have a hook.
. ./lib.sh
smt_need probe
plan 10

"$SMT_BIN" probe --json >/tmp/probe.json 2>/tmp/probe.err
check_eq probe-exit-status $? 0
diag_file /tmp/probe.err 5
missing=""
for ev in map unmap tlbi sync flush_all attach rpm clk pd fault; do
	grep -qE "\"$ev\" *: *true" /tmp/probe.json || missing="$missing $ev"
done
check_eq events-with-a-source "${missing:-none}" none
# one line per hook object
sed 's/},{/}\n{/g' /tmp/probe.json >/tmp/probe.hooks
send_file probe.json /tmp/probe.json
hook() { grep -E "\"hook\" *: *\"$1\"" /tmp/probe.hooks | head -n1; }
fentry_ok=0
grep -q '"fentry" *: *"fentry: works here; used' /tmp/probe.json && fentry_ok=1
# where trampolines work: the core's map/unmap by fentry, the drivers' rows skipped
drv=attached/kprobe@addr core=skipped
[ $fentry_ok = 1 ] && drv=skipped/kprobe@addr core=attached/fentry
h=$(hook unmap@v3)
check_eq unmap-v3-attached "$(echo "$h" | jfield status)/$(echo "$h" | jfield method)" "$drv"
h=$(hook unmap@core)
s=$(echo "$h" | jfield status)
[ "$s" = attached ] && s="$s/$(echo "$h" | jfield method)"
check_eq unmap-core "$s" "$core"
h=$(hook map@core)
s=$(echo "$h" | jfield status)
[ "$s" = attached ] && s="$s/$(echo "$h" | jfield method)"
check_eq map-core "$s" "$core"
# every hook on a v3 copy of a duplicated name sits at the v3 address, every
# v2 one elsewhere (the v3 copy is the one next to v3-only functions)
wrong=""
for h in $(grep -E '"method" *: *"kprobe@addr"' /tmp/probe.hooks | grep -E '"status" *: *"attached"' | tr -d ' '); do
	name=$(echo "$h" | jfield hook) t=$(echo "$h" | jfield target) a=$(echo "$h" | jfield addr)
	v3=$(ksym_v3 "${t%@*}")
	case "$name" in
	*@v3) [ "${a#0x}" = "$v3" ] || wrong="$wrong $name" ;;
	*@v2) [ "${a#0x}" != "$v3" ] || wrong="$wrong $name" ;;
	esac
done
check_eq by-address-hooks-on-the-right-copy "${wrong:-none}" none
h=$(hook map@v3)
check_eq map-v3-attached "$(echo "$h" | jfield status)/$(echo "$h" | jfield method)" "$drv"
case "$(uname -r)" in
6.1.*) check_eq no-fentry-on-6.1 "$(grep -cE '"method" *: *"f(entry|exit)' /tmp/probe.hooks)" 0 ;;
*) ok "no-fentry-on-6.1 # (kernel $(uname -r))" ;;
esac
h=$(hook cmdq@v3)
if [ $fentry_ok = 1 ]; then want=attached/fentry
else want="attached/$(echo "$h" | jfield method | grep -E '^kprobe(@addr)?$')"; fi
check_eq cmdq-v3-attached "$(echo "$h" | jfield status)/$(echo "$h" | jfield method)" "$want"
h=$(hook fault@v3)
check_eq fault-v3-attached "$(echo "$h" | jfield status)" attached
diag "attached: $(grep -cE '"status" *: *"attached"' /tmp/probe.hooks) of $(wc -l </tmp/probe.hooks) hooks; methods: $(jfield method </tmp/probe.hooks | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
