/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Constants shared by the capture BPF programs (bpf/smmutrace.bpf.c) and their
 * loader (src/capture.c) beyond the event ABI itself: the name-filter map's
 * values and the per-CPU statistics slots.
 */
#ifndef SMMUTRACE_CAPTURE_ABI_H
#define SMMUTRACE_CAPTURE_ABI_H

/* gate_names map: key = NUL-padded name[SMT_NAME_LEN], value = these bits */
#define SMT_GATE_CLK	(1u << 0)
#define SMT_GATE_PD	(1u << 1)
#define SMT_GATE_RPM	(1u << 2)

/* SMMU devices the BPF side remembers having named (SMT_REC_DEV_NAME); the
 * consumer holds more, so it never forgets one of these */
#define SMT_SEEN_DEVS	16
#define SMT_DEV_NAMES	64

/* stats array slots (u64 each), SMT_STAT_STRIDE of them per CPU */
enum smt_stat {
	SMT_STAT_DROPS = 0,	/* ring buffer full: record dropped */
	SMT_STAT_FILTERED,	/* clk/rpm/pd events dropped by the name filter */
	SMT_STAT_WAKEUPS,	/* forced consumer wakeups */
	SMT_STAT_NESTED,	/* io-pgtable unmaps skipped: inside a driver unmap */
	SMT_STAT_CMDQ_UNREAD,	/* v3 commands past what one program run decodes: lost */
	SMT_STAT_CMDQ_NODOMAIN,	/* v3 ASID/VMID TLBIs whose domain was never learnt */
	SMT_STAT_CMDQ_OTHER,	/* v3 CFGI_*, ATC_INV, PREFETCH...: decoded, no SPEC event */
	SMT_STAT_EVTQ_OTHER,	/* v3 event records that are not translation faults */
	SMT_STAT_PEND_CLOBBER,	/* entry state found taken: the earlier call's record is lost */
	SMT_STAT_COUNT_ONLY,	/* program runs under count_only (make bench-board's floor) */
	SMT_STAT_KPROBE_RUNS,	/* kprobe/kretprobe program runs, against the kprobes' hits */
	SMT_STAT_MAX,
};
/* a CPU's slots: two cache lines, none shared with another CPU's */
#define SMT_STAT_STRIDE	16

/* offsets into arm-smmu driver structs, -1 = unknown (see smmutrace.bpf.h) */
struct smt_drv_offs {
	int dom_smmu;		/* arm_smmu_domain.smmu */
	int dom_domain;		/* arm_smmu_domain.domain (embedded iommu_domain) */
	int smmu_dev;		/* arm_smmu_device.dev */
};

#endif
