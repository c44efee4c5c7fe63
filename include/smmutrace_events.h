/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * smmutrace event ABI: the one definition of a normalized event, shared by the
 * BPF programs (ring-buffer records), the capture code, the JSONL and
 * recording readers/writers and the engine.
 *
 * The layout is fixed and versioned (SMT_ABI_VERSION). Fields are ordered so
 * that a record is usable as a *prefix*: BPF reserves only
 * SMT_EVENT_SIZE_NUMERIC bytes for map/unmap records and SMT_EVENT_SIZE_NAMES
 * for records that carry names; the consumer copies the prefix into a zeroed
 * struct. TLBIs and syncs come as struct smt_rec_inval (below), which the
 * consumer splits into events. Bump SMT_ABI_VERSION on any layout change.
 *
 * Usable from BPF (after vmlinux.h, which provides __u64 & co.) and from
 * userspace (linux/types.h).
 */
#ifndef SMMUTRACE_EVENTS_H
#define SMMUTRACE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SMT_ABI_VERSION 2	/* 2: the record types below (smt_event unchanged) */

#define SMT_COMM_LEN 16
#define SMT_NAME_LEN 64	/* device, SMMU, clock, power-domain names incl. NUL */
#define SMT_MAX_SIDS 64	/* stream IDs carried by one attach event */

enum smt_ev_type {
	SMT_EV_NONE = 0,
	SMT_EV_META,
	SMT_EV_ATTACH,
	SMT_EV_DETACH,
	SMT_EV_DOMAIN_FREE,
	SMT_EV_MAP,
	SMT_EV_UNMAP,
	SMT_EV_TLBI,
	SMT_EV_SYNC,
	SMT_EV_FLUSH_ALL,
	SMT_EV_SMMU_RESET,
	SMT_EV_RPM,
	SMT_EV_CLK,
	SMT_EV_PD,
	SMT_EV_FAULT,
	SMT_EV_LOST,
	SMT_EV_MAX,
};

/* tlbi scopes (SPEC §3) */
enum smt_tlbi_scope {
	SMT_TLBI_VA = 0,	/* range [iova, iova+size) of domain */
	SMT_TLBI_CONTEXT = 1,	/* everything of domain */
	SMT_TLBI_ALL = 2,	/* every context of smmu */
};

/* sync scopes (SPEC §3) */
enum smt_sync_scope {
	SMT_SYNC_CONTEXT = 0,	/* the domain's context bank */
	SMT_SYNC_GLOBAL = 1,	/* the whole smmu */
};

/* runtime-PM states, as rpm:rpm_status reports them */
enum smt_rpm_state {
	SMT_RPM_ACTIVE = 0,
	SMT_RPM_SUSPENDING = 1,
	SMT_RPM_SUSPENDED = 2,
	SMT_RPM_RESUMING = 3,
};

/* `present` bits: which optional fields an event carries */
#define SMT_HAS_CPU		(1u << 0)
#define SMT_HAS_PID		(1u << 1)
#define SMT_HAS_COMM		(1u << 2)
#define SMT_HAS_SMMU		(1u << 3)
#define SMT_HAS_DOMAIN		(1u << 4)
#define SMT_HAS_IOVA		(1u << 5)
#define SMT_HAS_SIZE		(1u << 6)
#define SMT_HAS_PADDR		(1u << 7)
#define SMT_HAS_FLAGS		(1u << 8)	/* fault flags */
#define SMT_HAS_TIMEOUT		(1u << 9)	/* sync timeout given */
#define SMT_HAS_STRICT		(1u << 10)	/* meta */
#define SMT_HAS_SINCE_BOOT	(1u << 11)	/* meta */
#define SMT_HAS_NAME		(1u << 12)	/* dev / clk / pd / meta kernel */
#define SMT_HAS_ARCH		(1u << 13)	/* meta: arch is in smmu[] */
#define SMT_HAS_SIDS		(1u << 14)
#define SMT_HAS_RET		(1u << 15)
#define SMT_HAS_DUR		(1u << 16)

/* fault `flags`: IOMMU_FAULT_READ/WRITE in bit 0 (as report_iommu_fault); from an
 * SMMUv3 event record also the event ID and the record's S2, PnU, InD bits */
#define SMT_FAULT_WRITE		(1u << 0)
#define SMT_FAULT_ID_SHIFT	8		/* bits 8-15: v3 event ID (0x10 F_TRANSLATION...) */
#define SMT_FAULT_S2		(1u << 16)	/* stage-2 fault */
#define SMT_FAULT_PRIV		(1u << 17)	/* privileged access */
#define SMT_FAULT_INSN		(1u << 18)	/* instruction fetch */

struct smt_event {
	__u64 ts;		/* ns; monotonic, non-decreasing in a stream */
	__u16 type;		/* enum smt_ev_type */
	__u16 scope;		/* tlbi: enum smt_tlbi_scope; sync: enum smt_sync_scope */
	__u32 present;		/* SMT_HAS_* */
	__s32 cpu;
	__s32 pid;
	char comm[SMT_COMM_LEN];
	__u64 domain;		/* struct iommu_domain * as an integer */
	__u64 iova;
	__u64 size;
	__u64 paddr;
	__s64 ret;		/* map: 0 or -errno; unmap: bytes unmapped */
	__u64 dur;		/* sync: duration in ns */
	__u64 count;		/* lost: number of events dropped */
	__u32 state;		/* rpm: enum smt_rpm_state */
	__u32 flags;		/* fault: IOMMU_FAULT_* flags */
	__u8 on;		/* clk, pd: 1 = enabled/powered */
	__u8 timeout;		/* sync: 1 = timed out */
	__u8 strict;		/* meta: 1 = strict, 0 = lazy (flush queue) */
	__u8 since_boot;	/* meta: 1 = capture saw everything since boot */
	__u32 nsids;
	/* ---- SMT_EVENT_SIZE_NUMERIC ends here ---- */
	char smmu[SMT_NAME_LEN];	/* SMMU device name; meta: arch */
	char name[SMT_NAME_LEN];	/* attach/detach/rpm/fault: dev; clk: clock;
					 * pd: power domain; meta: kernel release */
	/* ---- SMT_EVENT_SIZE_NAMES ends here ---- */
	__u32 sids[SMT_MAX_SIDS];	/* attach: stream IDs (fwspec ids) */
};

#define SMT_EVENT_SIZE_NUMERIC	((unsigned long)&((struct smt_event *)0)->smmu)
#define SMT_EVENT_SIZE_NAMES	((unsigned long)&((struct smt_event *)0)->sids)

/*
 * Ring-buffer records that are not events (type >= SMT_REC_BASE, beyond
 * every enum smt_ev_type): the consumer turns them into events. They start
 * with ts and type where struct smt_event has them.
 */
#define SMT_REC_BASE		0x100
#define SMT_REC_DEV_NAME	0x100	/* struct smt_rec_name */
#define SMT_REC_INVAL		0x101	/* struct smt_rec_inval */

/*
 * The name of a struct device * that later records carry as a number (an
 * SMMU's): emitted before the first record naming that pointer, so a record
 * costs no string read. The consumer keeps the names.
 */
struct smt_rec_name {
	__u64 ts;
	__u16 type;		/* SMT_REC_DEV_NAME */
	__u16 pad;
	__u32 pad2;
	__u64 dev;
	char name[SMT_NAME_LEN];
};

/* one TLBI of an smt_rec_inval: a `tlbi` event of the record's SMMU, cpu, pid, comm */
struct smt_inval_tlbi {
	__u64 ts;
	__u64 domain;		/* 0: none (scope all) */
	__u64 iova;		/* scope va only */
	__u64 size;
	__u32 scope;		/* enum smt_tlbi_scope */
	__u32 pad;
};

#define SMT_INVAL_SYNC		(1u << 0)	/* a `sync` event follows the TLBIs */
#define SMT_INVAL_HAS_TIMEOUT	(1u << 1)	/* the sync's `timeout` is known */
#define SMT_INVAL_TIMEOUT	(1u << 2)	/* ... and it timed out */
#define SMT_INVAL_MAX_TLBI	4

/*
 * TLBIs and/or the sync of one SMMU, in issue order: NTLBI `tlbi` events,
 * then a `sync` if SMT_INVAL_SYNC. One record per command-queue call that
 * asks for a sync (emitted at its return, when the sync's duration is known),
 * so a DMA unmap's TLBI and CMD_SYNC cost one record, not two. The record is
 * variable-sized: only the NTLBI first tlbi[] entries are sent.
 */
struct smt_rec_inval {
	__u64 ts;		/* the sync's ts (its call's entry, after the commands) */
	__u16 type;		/* SMT_REC_INVAL */
	__u8 ntlbi;		/* <= SMT_INVAL_MAX_TLBI */
	__u8 flags;		/* SMT_INVAL_* */
	__u16 sync_scope;	/* enum smt_sync_scope */
	__u16 pad;
	__s32 cpu;		/* the sync's cpu */
	__s32 pid;
	char comm[SMT_COMM_LEN];
	__s32 tlbi_cpu;		/* the TLBIs' cpu (where they were decoded) */
	__u32 pad2;
	__u64 smmu;		/* the SMMU's struct device *, named by an smt_rec_name; 0: none */
	__u64 sync_domain;	/* 0: none */
	__u64 dur;		/* the sync's duration in ns */
	struct smt_inval_tlbi tlbi[SMT_INVAL_MAX_TLBI];
};

#define SMT_REC_INVAL_SIZE(n)	((unsigned long)&((struct smt_rec_inval *)0)->tlbi[n])

#endif /* SMMUTRACE_EVENTS_H */
