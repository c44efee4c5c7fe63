// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smmutrace kernel side: turn SMMU driver calls, io-pgtable, iommu core,
 * runtime-PM, clk and power-domain activity into struct smt_event records
 * (include/smmutrace_events.h) in one ring buffer.
 *
 * Every handler body is a static function of plain arguments, wrapped twice:
 * once for production (tp_btf / kprobe / kretprobe) and once as a raw_tp
 * "twin" (twin_*), because raw_tp is the only type BPF_PROG_TEST_RUN accepts;
 * tests feed the twins fabricated kernel objects. Nothing autoloads: the
 * loader (src/capture.c) enables exactly the programs it attaches.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "smmutrace_events.h"
#include "smmutrace_capture.h"
#include "smmutrace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- configuration, set by the loader before load ---- */
const volatile bool filter_names = false;	/* clk/rpm/pd only for gate_names */
const volatile __u32 wakeup_bytes = 256 * 1024;	/* force a wakeup past this backlog */
const volatile struct smt_drv_offs v2_offs = { -1, -1, -1 };
const volatile struct smt_drv_offs v3_offs = { -1, -1, -1 };
/* arm_smmu_tlb_inv_range_s1/_s2: 5.4 has (iova,size,granule,leaf,cookie), 5.10+ (...,cookie,reg) */
const volatile __u32 v2_range_cookie_arg = 3;
/* arm_smmu_cmdq_issue_cmdlist: 4 args, or 5 since 6.12 (cmdq added as arg 1) */
const volatile __u32 cmdlist_nargs = 4;
/* its return value (-ETIMEDOUT = CMD_SYNC timeout) is usable: not so in a gcc clone */
const volatile bool cmdlist_ret_valid = true;
const volatile bool emit_ties = true;		/* attach events learnt on the DMA path */
/*
 * Entry state of the DMA path's calls (map, unmap, io-pgtable unmap, v3
 * invalidation context, command-queue sync) in task-local storage instead of
 * the LRU hashes: a storage lookup costs a fraction of an LRU update + lookup
 * + delete. Set by the loader where kprobe programs may use task storage and
 * bpf_get_current_task_btf (6.1+ here; not 5.10); the LRU path stays for
 * older kernels and catches what the storage cannot take.
 */
const volatile bool task_state = false;
/* every program only counts its run (SMMUTRACE_COUNT_ONLY): bench-board's floor,
 * the cost of the same hooks with nothing done in them */
const volatile bool count_only = false;
/*
 * The SMMU drivers' map_pages callbacks (the v2 and v3 copies of
 * arm_smmu_map_pages, from kallsyms; 0 = unknown). The iommu core's map and
 * unmap see every IOMMU driver's domains: a domain is an SMMU's when its
 * ops->map_pages is one of these. All 0: no filter.
 */
const volatile __u64 smmu_map_fn[2] = {};
/* v3 event queue, from BTF: arm_smmu_device.evtq.q, arm_smmu_queue.ent_dwords,
 * arm_smmu_device.iommu (the iommu_device a device's dev_iommu points to) */
const volatile int v3_evtq_off = -1;
const volatile int v3_q_ent_dwords_off = -1;
const volatile int v3_smmu_iommu_off = -1;

/* ---- maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/*
 * Statistics: SMT_STAT_STRIDE slots per CPU in an mmap-able array the consumer
 * reads as memory. Not a per-CPU map read with BPF_MAP_LOOKUP_ELEM: that
 * syscall raises bpf_prog_active on its CPU, and before 6.7 trace_call_bpf
 * skips a kprobe program meanwhile (an IRQ-context unmap) without counting it
 * anywhere: the board's silent loss on 5.10 and 6.1.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SMT_STAT_STRIDE);	/* x possible CPUs, set at load */
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct gate_key {
	char name[SMT_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct gate_key);
	__type(value, __u32);
} gate_names SEC(".maps");

enum pend_kind {
	PEND_MAP = 1,
	PEND_UNMAP,
	PEND_LPAE,
	PEND_SYNC_V2,
	PEND_SYNC_V3,
	PEND_CTX_DOMAIN,	/* v2: domain whose context bank the next sync serves */
	PEND_ATTACH,
	PEND_PD,
	PEND_GETDOM,
	PEND_CTX_FAULT,
	PEND_FLUSH,		/* inside flush_iotlb_all: its TLBI + sync are the flush_all event */
	PEND_V3_CTX,		/* inside a v3 function that knows the domain of its commands */
	PEND_EVTQ,		/* inside queue_remove_raw: the queue and the record buffer */
};

struct pend_key {
	__u64 pid_tgid;
	__u32 kind;
	__u32 pad;
};

struct pend {
	__u64 ts;
	__u64 domain;
	__u64 iova;
	__u64 size;
	__u64 paddr;
	__u64 ptr;	/* smmu, dev or genpd */
	__u32 flags;
	__u32 aux;
};

/* LRU: a lost kretprobe (maxactive exceeded) must not leak entries forever */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pend_key);
	__type(value, struct pend);
} pending SEC(".maps");

/*
 * Task-local entry state (task_state): per context a task runs a call in
 * (task, softirq, hardirq, nested hardirq: an interrupt's call must not
 * take the state of the call it interrupted), one slot per kind of the DMA
 * path and the sync record a command-queue call builds (inval_pend's).
 */
#define CTX_LEVELS	4

enum ts_kind {
	TS_MAP,
	TS_UNMAP,
	TS_LPAE,
	TS_V3_CTX,
	TS_KINDS,
};
#define TS_SYNC_BIT	(1u << TS_KINDS)

struct smt_ctx_state {
	struct pend p[TS_KINDS];
	__u32 valid;	/* 1 << enum ts_kind, TS_SYNC_BIT */
	__u32 pad;
	struct smt_rec_inval sync;
};

struct smt_task_pend {
	struct smt_ctx_state ctx[CTX_LEVELS];
};

/* where task storage is missing (5.10) the loader makes this a plain array
 * that nothing uses: task_state is false and the verifier drops its code */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct smt_task_pend);
} task_pend SEC(".maps");

/*
 * Entries that went to the LRU hashes because the task storage could not be
 * had (its recursion guard, or no memory): while any is outstanding, a miss
 * in the storage also looks there. A lost return leaves it counted: slower,
 * never wrong.
 */
__u64 spilled = 0;
/* flush_iotlb_all calls in progress: in_flush_all() looks only when some are */
__u64 flushes = 0;
/* bumped when a cached fact may have changed: an ASID's domain (asid_gen),
 * a detach (tie_gen), a domain freed (dom_gen) */
__u64 asid_gen = 0;
__u64 tie_gen = 0;
__u64 dom_gen = 0;

/*
 * One-entry caches per CPU and context level of what the DMA path asks on
 * every call: the last domain/device tie reported, the last ASID's domain,
 * the last domain found to be an SMMU's. Per level: an interrupting program
 * never tears the entry of the one it interrupted.
 */
struct smt_cache_ent {
	__u64 tie_domain, tie_dev, tie_gen;
	__u64 asid_smmu, asid_domain, asid_gen;
	__u32 asid_tag, dom_smmu;
	__u64 dom, dom_gen;
};

struct smt_cpu_cache {
	struct smt_cache_ent lvl[CTX_LEVELS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct smt_cpu_cache);
} cpu_cache SEC(".maps");

/* rpm fold mode: last state emitted per struct device */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} rpm_last SEC(".maps");

struct tie_key {
	__u64 domain;
	__u64 dev;
};

/* domain<->device ties already reported (attach, or learnt on the DMA path) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tie_key);
	__type(value, __u8);
} ties SEC(".maps");

struct sid_key {
	__u64 iommu;	/* struct iommu_device * of the SMMU (0 when its offset is unknown) */
	__u32 sid;
	__u32 pad;
};

struct sid_val {
	__u64 domain;
	__u64 dev;
};

/* stream ID -> domain and device, from attach: names the culprit of a v3 fault */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sid_key);
	__type(value, struct sid_val);
} sids SEC(".maps");

/*
 * SMMU devices whose name the consumer already has (an SMT_REC_DEV_NAME went
 * out): TLBI and sync records then carry the struct device * alone, no
 * string read each. A system has a few SMMUs: slots fill in order and are
 * scanned; past the last slot a name goes out with every record (correct,
 * only slower). Plain stores: a race at worst sends a name twice.
 */
struct seen_devs {
	__u64 dev[SMT_SEEN_DEVS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seen_devs);
} seen_devs SEC(".maps");

/* ---- helpers ---- */
static __always_inline void stat_add(__u32 slot, __u64 n)
{
	__u32 k = bpf_get_smp_processor_id() * SMT_STAT_STRIDE + slot;
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		*v += n;
}

static __always_inline void stat_inc(__u32 slot)
{
	stat_add(slot, 1);
}

/*
 * The context a call runs in: task, softirq or hardirq (preempt_count's
 * SOFTIRQ_OFFSET and HARDIRQ bits; not NMI: arm64 may enter its debug
 * exception, where a kprobe's entry handler runs, as an NMI, and the
 * kretprobe's return handler runs outside it). An IRQ-context unmap that interrupts
 * a softirq- or task-context unmap on the same CPU runs under the same current
 * task: keyed by task alone, the inner call takes the outer one's entry state
 * and the outer record is silently lost. arm64 keeps preempt_count in
 * thread_info; elsewhere (x86: per-CPU, no kprobes on the CI kernel) 0.
 */
/* irq_ctx() of T, a BTF task pointer: a plain load, no probe_read */
static __always_inline __u32 irq_bits(struct task_struct *t)
{
#ifdef __TARGET_ARCH_arm64
	return (__u32)t->thread_info.preempt_count & 0x000f0100;
#else
	return 0;
#endif
}

static __always_inline __u32 irq_ctx(void)
{
#ifdef __TARGET_ARCH_arm64
	struct task_struct *t;

	if (task_state)
		return irq_bits(bpf_get_current_task_btf());
	t = (struct task_struct *)bpf_get_current_task();
	return (__u32)BPF_CORE_READ(t, thread_info.preempt_count) & 0x000f0100;
#else
	return 0;
#endif
}

/* irq_ctx() bits as a level: 0 task, 1 softirq, 2 hardirq, 3 nested hardirq */
static __always_inline __u32 level_of(__u32 pc)
{
	__u32 hard = (pc >> 16) & 0xf;

	if (hard)
		return hard > 1 ? 3 : 2;
	return pc ? 1 : 0;
}

static __always_inline __u32 ctx_level(void)
{
	return level_of(irq_ctx());
}

static __always_inline struct pend_key pkey(__u32 kind)
{
	struct pend_key k = { .pid_tgid = bpf_get_current_pid_tgid(), .kind = kind,
			      .pad = irq_ctx() };

	return k;
}

/* Save entry state; state already there means its call never returned through us: lost */
static __always_inline void pend_save_lru(struct pend_key *k, struct pend *p)
{
	if (bpf_map_lookup_elem(&pending, k))
		stat_inc(SMT_STAT_PEND_CLOBBER);
	bpf_map_update_elem(&pending, k, p, BPF_ANY);
}

/* the current task's state for its context level; CREATE: make it if missing */
static __always_inline struct smt_ctx_state *task_ctx(bool create)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct smt_task_pend *v;
	__u32 lvl;

	v = bpf_task_storage_get(&task_pend, t, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!v)
		return NULL;
	lvl = level_of(irq_bits(t));
	if (lvl >= CTX_LEVELS)
		return NULL;
	return &v->ctx[lvl];
}

/* this CPU's cache entry for the current context level */
static __always_inline struct smt_cache_ent *cache_ent(void)
{
	__u32 zero = 0, lvl = ctx_level();
	struct smt_cpu_cache *c = bpf_map_lookup_elem(&cpu_cache, &zero);

	if (!c || lvl >= CTX_LEVELS)
		return NULL;
	return &c->lvl[lvl];
}

/* the task-state slot of a PEND_* kind, or -1: kept in the LRU hash */
static __always_inline int ts_slot(__u32 kind)
{
	if (!task_state)
		return -1;
	switch (kind) {
	case PEND_MAP:
		return TS_MAP;
	case PEND_UNMAP:
		return TS_UNMAP;
	case PEND_LPAE:
		return TS_LPAE;
	case PEND_V3_CTX:
		return TS_V3_CTX;
	}
	return -1;
}

/*
 * Entry state of KIND for the current task and context. CLOBBER: state
 * already there is a call whose return never came through us, counted as
 * lost (not for the context kinds, which a nested call may replace).
 */
static __always_inline void pend_save(__u32 kind, struct pend *p, bool clobber)
{
	int slot = ts_slot(kind);
	struct pend_key k;
	struct smt_ctx_state *cs;

	if (slot >= 0 && slot < TS_KINDS) {
		cs = task_ctx(true);
		if (cs) {
			if (clobber && (cs->valid & (1u << slot)))
				stat_inc(SMT_STAT_PEND_CLOBBER);
			cs->p[slot] = *p;
			cs->valid |= 1u << slot;
			return;
		}
		__sync_fetch_and_add(&spilled, 1);
	}
	k = pkey(kind);
	if (clobber)
		pend_save_lru(&k, p);
	else
		bpf_map_update_elem(&pending, &k, p, BPF_ANY);
}

/*
 * A return that could not reach the task storage (its recursion guard was
 * held on this CPU) and found nothing in the hashes: if its entry state is
 * in the storage, its record is lost. Counted as lost rather than assumed
 * absent: a gap said out loud, never a silent one.
 */
static __always_inline bool unreachable(bool no_storage, bool take, __u32 kind)
{
	if (no_storage && take && kind != PEND_V3_CTX)
		stat_inc(SMT_STAT_PEND_CLOBBER);
	return false;
}

/* The entry state of KIND (NULL: none); OUT gets a copy, and TAKE removes it. */
static __always_inline bool pend_get(__u32 kind, struct pend *out, bool take)
{
	int slot = ts_slot(kind);
	bool no_storage = false;
	struct pend_key k;
	struct smt_ctx_state *cs;
	struct pend *p;

	if (slot >= 0 && slot < TS_KINDS) {
		cs = task_ctx(false);
		if (cs && (cs->valid & (1u << slot))) {
			*out = cs->p[slot];
			if (take)
				cs->valid &= ~(1u << slot);
			return true;
		}
		no_storage = !cs;
		if (!spilled)
			return unreachable(no_storage, take, kind);
	}
	k = pkey(kind);
	p = bpf_map_lookup_elem(&pending, &k);
	if (!p)
		return unreachable(no_storage, take, kind);
	*out = *p;
	if (take && !bpf_map_delete_elem(&pending, &k) && slot >= 0)
		__sync_fetch_and_add(&spilled, -1);
	return true;
}

/* Reserve a record of SIZE bytes (a prefix of struct smt_event), zeroed. */
#define RESERVE(size) ({						\
	struct smt_event *__e = bpf_ringbuf_reserve(&events, (size), 0);	\
	if (__e)							\
		__builtin_memset(__e, 0, (size));			\
	else								\
		stat_inc(SMT_STAT_DROPS);				\
	__e;								\
})

static __always_inline void fill_common(struct smt_event *e, __u16 type, __u64 ts)
{
	e->ts = ts;
	e->type = type;
	e->present = SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* Batched wakeups: a wakeup per record costs ~900 ns on the CI VM vs ~180 batched.
 * The consumer is woken only once wakeup_bytes are pending. */
static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(void *e)
{
	__u64 flags = wakeup_flag();

	if (flags == BPF_RB_FORCE_WAKEUP)
		stat_inc(SMT_STAT_WAKEUPS);
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void read_dev_name(char *dst, struct device *dev)
{
	const char *name;

	if (!dev)
		return;
	name = BPF_CORE_READ(dev, kobj.name);
	if (name)
		bpf_probe_read_kernel_str(dst, SMT_NAME_LEN, name);
}

/* Name of the SMMU through an arm_smmu_device pointer, using per-driver offsets. */
static __always_inline bool read_smmu_name(char *dst, __u64 smmu, int dev_off)
{
	struct device *dev = NULL;

	if (!smmu || dev_off < 0)
		return false;
	bpf_probe_read_kernel(&dev, sizeof(dev), (void *)(smmu + dev_off));
	if (!dev)
		return false;
	read_dev_name(dst, dev);
	return true;
}

static __always_inline __u64 read_ptr(__u64 base, int off)
{
	__u64 v = 0;

	if (!base || off < 0)
		return 0;
	bpf_probe_read_kernel(&v, sizeof(v), (void *)(base + off));
	return v;
}

/* Name filter for clk/rpm/pd: NAME must be NUL-padded to SMT_NAME_LEN. */
static __always_inline bool wanted(struct gate_key *k, __u32 kind)
{
	__u32 *bits;

	if (!filter_names)
		return true;
	bits = bpf_map_lookup_elem(&gate_names, k);
	if (bits && (*bits & kind))
		return true;
	stat_inc(SMT_STAT_FILTERED);
	return false;
}

/* ---- runtime PM ---- */
static __always_inline int emit_rpm(struct device *dev, __u32 state)
{
	struct gate_key k = {};
	struct smt_event *e;

	read_dev_name(k.name, dev);
	if (!wanted(&k, SMT_GATE_RPM))
		return 0;
	e = RESERVE(SMT_EVENT_SIZE_NAMES);
	if (!e)
		return 0;
	fill_common(e, SMT_EV_RPM, bpf_ktime_get_ns());
	e->state = state;
	e->present |= SMT_HAS_NAME;
	__builtin_memcpy(e->name, k.name, SMT_NAME_LEN);
	submit(e);
	return 0;
}

/* kernel enum rpm_status -> SPEC state; -1 for RPM_INVALID */
static __always_inline int rpm_state(int st)
{
	if (st == bpf_core_enum_value(enum rpm_status, RPM_ACTIVE))
		return SMT_RPM_ACTIVE;
	if (st == bpf_core_enum_value(enum rpm_status, RPM_RESUMING))
		return SMT_RPM_RESUMING;
	if (st == bpf_core_enum_value(enum rpm_status, RPM_SUSPENDED))
		return SMT_RPM_SUSPENDED;
	if (st == bpf_core_enum_value(enum rpm_status, RPM_SUSPENDING))
		return SMT_RPM_SUSPENDING;
	return -1;
}

/* rpm:rpm_status (6.9+): every runtime_status change */
static __always_inline int on_rpm_status(struct device *dev, int status)
{
	int st = rpm_state(status);

	if (st < 0)
		return 0;
	return emit_rpm(dev, st);
}

/*
 * Before 6.9 there is no rpm_status. rpm_return_int fires at the end of
 * rpm_suspend()/rpm_resume()/rpm_idle(), after runtime_status was updated:
 * read the state there and emit only changes per device. The intermediate
 * suspending/resuming states are not seen in this mode (documented).
 */
static __always_inline int on_rpm_return_int(struct device *dev)
{
	__u64 key = (__u64)dev;
	__u32 *last;
	int st;

	if (!dev)
		return 0;
	st = rpm_state(BPF_CORE_READ(dev, power.runtime_status));
	if (st < 0)
		return 0;
	last = bpf_map_lookup_elem(&rpm_last, &key);
	if (last && *last == (__u32)st)
		return 0;
	bpf_map_update_elem(&rpm_last, &key, &st, BPF_ANY);
	return emit_rpm(dev, st);
}

/* ---- clocks (clk:clk_enable/clk_disable fire on 0<->1 enable-count transitions) ---- */
static __always_inline int on_clk(struct clk_core *core, __u8 on)
{
	struct gate_key k = {};
	struct smt_event *e;
	const char *name;

	if (!core)
		return 0;
	name = BPF_CORE_READ(core, name);
	if (name)
		bpf_probe_read_kernel_str(k.name, SMT_NAME_LEN, name);
	if (!wanted(&k, SMT_GATE_CLK))
		return 0;
	e = RESERVE(SMT_EVENT_SIZE_NAMES);
	if (!e)
		return 0;
	fill_common(e, SMT_EV_CLK, bpf_ktime_get_ns());
	e->on = on;
	e->present |= SMT_HAS_NAME;
	__builtin_memcpy(e->name, k.name, SMT_NAME_LEN);
	submit(e);
	return 0;
}

/* ---- power domains: _genpd_power_on/off or gdsc_enable/disable, on success ---- */
static __always_inline int on_pd_entry(void *genpd, __u32 on)
{
	struct pend_key k = pkey(PEND_PD);
	struct pend p = { .ts = bpf_ktime_get_ns(), .ptr = (__u64)genpd, .aux = on };

	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

static __always_inline int on_pd_return(long ret)
{
	struct pend_key k = pkey(PEND_PD);
	struct gate_key g = {};
	struct smt_event *e;
	struct pend *p;
	const char *name = NULL;
	__u64 genpd, ts;
	__u32 on;

	p = bpf_map_lookup_elem(&pending, &k);
	if (!p)
		return 0;
	genpd = p->ptr;
	ts = p->ts;
	on = p->aux;
	bpf_map_delete_elem(&pending, &k);
	if (ret != 0 || !genpd)
		return 0;
	if (bpf_core_field_exists(struct generic_pm_domain___smt, name))
		name = BPF_CORE_READ((struct generic_pm_domain___smt *)genpd, name);
	if (name)
		bpf_probe_read_kernel_str(g.name, SMT_NAME_LEN, name);
	if (!wanted(&g, SMT_GATE_PD))
		return 0;
	e = RESERVE(SMT_EVENT_SIZE_NAMES);
	if (!e)
		return 0;
	/* ts = entry: power-off starts gating at entry; power-on is only safe at
	 * return, but one event per transition keeps the stream simple */
	fill_common(e, SMT_EV_PD, on ? bpf_ktime_get_ns() : ts);
	e->on = on;
	e->present |= SMT_HAS_NAME;
	__builtin_memcpy(e->name, g.name, SMT_NAME_LEN);
	submit(e);
	return 0;
}

/* ---- map / unmap (entry saved, record emitted at return with ts = entry) ---- */
static __always_inline int on_map_entry(__u64 domain, __u64 iova, __u64 paddr, __u64 size)
{
	struct pend p = { .ts = bpf_ktime_get_ns(), .domain = domain, .iova = iova,
			  .paddr = paddr, .size = size };

	pend_save(PEND_MAP, &p, true);
	return 0;
}

/* the map or unmap record of a call whose entry state P its return took */
static __always_inline void emit_dma(__u16 type, struct pend *p, __s64 ret)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NUMERIC);

	if (!e)
		return;
	fill_common(e, type, p->ts);
	e->domain = p->domain;
	e->iova = p->iova;
	e->size = p->size;
	e->ret = ret;
	e->present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
	if (type == SMT_EV_MAP) {
		e->paddr = p->paddr;
		e->present |= SMT_HAS_PADDR;
	}
	submit(e);
}

static __always_inline int on_map_return(long ret)
{
	struct pend p;

	if (pend_get(PEND_MAP, &p, true))
		emit_dma(SMT_EV_MAP, &p, (int)ret);	/* int in every map op */
	return 0;
}

static __always_inline int on_unmap_entry(__u64 domain, __u64 iova, __u64 size, __u32 kind)
{
	struct pend p = { .domain = domain, .iova = iova, .size = size };

	if (kind == PEND_LPAE) {
		/* io-pgtable under the driver's own unmap: already reported by it */
		struct pend outer;

		if (pend_get(PEND_UNMAP, &outer, false)) {
			stat_inc(SMT_STAT_NESTED);
			return 0;
		}
	}
	p.ts = bpf_ktime_get_ns();
	pend_save(kind, &p, true);
	return 0;
}

static __always_inline int on_unmap_return(long ret, __u32 kind)
{
	struct pend p;

	if (pend_get(kind, &p, true))
		emit_dma(SMT_EV_UNMAP, &p, (__s64)(__u64)ret);	/* size_t bytes unmapped */
	return 0;
}

/*
 * iommu core hooks (map@core, unmap@core): the driver hooks see only their
 * SMMU's domains; the core sees every IOMMU driver's (v2's and v3's alike,
 * and those of non-SMMU IOMMUs on the same SoC, which have no TLBI hook here:
 * their unmaps would look never invalidated). Keep an SMMU's domains only,
 * by the driver callback behind domain->ops. A non-SMMU domain's io-pgtable
 * unmaps are then reported by unmap@io-pgtable, as with the driver hooks.
 */
static __always_inline bool smmu_domain(__u64 domain)
{
	const struct iommu_domain_ops *ops;
	struct smt_cache_ent *ce;
	bool yes;
	__u64 fn;

	if (!smmu_map_fn[0] && !smmu_map_fn[1])
		return true;
	/* 5.13+: domain->ops is a struct iommu_domain_ops (the loader sets
	 * smmu_map_fn only from arm_smmu_map_pages, 5.15+) */
	if (!bpf_core_field_exists(struct iommu_domain_ops, map_pages) || !domain)
		return false;
	/* a domain's ops never change while it lives; a freed one bumps dom_gen */
	ce = cache_ent();
	if (ce && ce->dom == domain && ce->dom_gen == dom_gen)
		return ce->dom_smmu;
	ops = BPF_CORE_READ((struct iommu_domain *)domain, ops);
	fn = ops ? (__u64)BPF_CORE_READ(ops, map_pages) : 0;
	yes = fn && (fn == smmu_map_fn[0] || fn == smmu_map_fn[1]);
	if (ce) {
		ce->dom = domain;
		ce->dom_gen = dom_gen;
		ce->dom_smmu = yes;
	}
	return yes;
}

/* __iommu_map / iommu_map_nosync / iommu_map(domain, iova, paddr, size, prot, gfp):
 * ts = entry as for the driver hook (a map racing a sync on another CPU is
 * ordered by when it started: SPEC §3), so entry state is kept to the return.
 * A failed map's unroll (iommu_unmap of what was mapped) is a nested unmap
 * of a range the stream never saw mapped: not a finding in a capture, which
 * is never since_boot (SPEC §3 meta). */
static __always_inline int on_core_map_entry(__u64 domain, __u64 iova, __u64 paddr, __u64 size)
{
	if (!smmu_domain(domain))
		return 0;
	return on_map_entry(domain, iova, paddr, size);
}

/* __iommu_unmap(domain, iova, size, gather): entry state under PEND_UNMAP, so
 * the io-pgtable unmap it calls is known as nested and not reported twice */
static __always_inline int on_core_unmap_entry(__u64 domain, __u64 iova, __u64 size)
{
	if (!smmu_domain(domain))
		return 0;
	return on_unmap_entry(domain, iova, size, PEND_UNMAP);
}

/* io-pgtable ops -> struct io_pgtable -> cookie: the owner (arm_smmu_domain, msm pagetable) */
static __always_inline __u64 lpae_domain(__u64 ops)
{
	/* Without the owner's type the ops pointer itself identifies the page table. */
	return ops;
}

/*
 * flush_iotlb_all is reported as one flush_all event (SPEC: a context TLBI +
 * sync); the TLBI and CMD_SYNC the driver issues inside it are not repeated,
 * so a lazy-mode flush-queue flush is not also counted as a sync.
 */
static __always_inline bool in_flush_all(void)
{
	struct pend_key k;
	struct pend *p;

	if (!flushes)
		return false;
	k = pkey(PEND_FLUSH);
	p = bpf_map_lookup_elem(&pending, &k);

	/* a lost kretprobe must not hide this task's TLBIs for long */
	return p && bpf_ktime_get_ns() - p->ts < 100000000ull;
}

/* ---- TLB invalidation ---- */
/*
 * DEV's name to the consumer unless it has it. False when that record could
 * not be sent: a record naming DEV would then reach the consumer unnamed, so
 * the caller drops it as lost instead.
 */
static __always_inline bool name_dev(__u64 dev)
{
	__u32 zero = 0;
	struct seen_devs *s = bpf_map_lookup_elem(&seen_devs, &zero);
	struct smt_rec_name *r;
	int i, slot = -1;

	if (!s)
		return false;
	for (i = 0; i < SMT_SEEN_DEVS; i++) {
		if (s->dev[i] == dev)
			return true;
		if (!s->dev[i]) {
			slot = i;
			break;
		}
	}
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return false;
	r->ts = 0;
	r->type = SMT_REC_DEV_NAME;
	r->pad = 0;
	r->pad2 = 0;
	r->dev = dev;
	r->name[0] = 0;
	read_dev_name(r->name, (struct device *)dev);
	bpf_ringbuf_submit(r, 0);
	if (slot >= 0)
		s->dev[slot] = dev;
	return true;
}

/* The struct device * of an arm_smmu_device (0: unknown), named to the consumer;
 * false: it could not be named (the caller drops its record, counted) */
static __always_inline bool smmu_dev(__u64 smmu, int dev_off, __u64 *dev)
{
	*dev = read_ptr(smmu, dev_off);
	return !*dev || name_dev(*dev);
}

/* Header of an smt_rec_inval: every field but the tlbi[] entries */
static __always_inline void inval_init(struct smt_rec_inval *r, __u64 ts, __u64 dev)
{
	r->ts = ts;
	r->type = SMT_REC_INVAL;
	r->ntlbi = 0;
	r->flags = 0;
	r->sync_scope = 0;
	r->pad = 0;
	r->cpu = bpf_get_smp_processor_id();
	r->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	r->tlbi_cpu = r->cpu;
	r->pad2 = 0;
	r->smmu = dev;
	r->sync_domain = 0;
	r->dur = 0;
}

static __always_inline void inval_tlbi(struct smt_inval_tlbi *t, __u64 domain, __u32 scope,
				       __u64 iova, __u64 size, __u64 ts)
{
	t->ts = ts;
	t->domain = domain;
	t->iova = scope == SMT_TLBI_VA ? iova : 0;
	t->size = scope == SMT_TLBI_VA ? size : 0;
	t->scope = scope;
	t->pad = 0;
}

static __always_inline int emit_tlbi(__u64 domain, __u32 scope, __u64 iova, __u64 size,
				     __u64 smmu, int smmu_dev_off, __u64 ts)
{
	struct smt_rec_inval *r;
	__u64 dev;

	if (!smmu_dev(smmu, smmu_dev_off, &dev)) {
		stat_inc(SMT_STAT_DROPS);
		return 0;
	}
	r = bpf_ringbuf_reserve(&events, SMT_REC_INVAL_SIZE(1), 0);
	if (!r) {
		stat_inc(SMT_STAT_DROPS);
		return 0;
	}
	inval_init(r, ts, dev);
	r->ntlbi = 1;
	inval_tlbi(&r->tlbi[0], domain, scope, iova, size, ts);
	submit(r);
	return 0;
}

/* struct arm_smmu_domain * (io-pgtable cookie) -> struct iommu_domain * */
static __always_inline __u64 cookie_domain(__u64 cookie, int dom_off)
{
	if (!cookie || dom_off < 0)
		return 0;
	return cookie + dom_off;
}

static __always_inline void set_ctx_domain(__u64 domain)
{
	struct pend_key k = pkey(PEND_CTX_DOMAIN);
	struct pend p = { .ts = bpf_ktime_get_ns(), .domain = domain };

	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
}

/* v2: arm_smmu_tlb_inv_context_s1/_s2(cookie): TLBIASID / TLBIVMID, then a context sync */
static __always_inline int on_v2_inv_context(__u64 cookie)
{
	__u64 dom = cookie_domain(cookie, v2_offs.dom_domain);

	set_ctx_domain(dom);
	if (in_flush_all())
		return 0;
	return emit_tlbi(dom, SMT_TLBI_CONTEXT, 0, 0, read_ptr(cookie, v2_offs.dom_smmu),
			 v2_offs.smmu_dev, bpf_ktime_get_ns());
}

static __always_inline int on_v2_inv_range(__u64 iova, __u64 size, __u64 cookie)
{
	__u64 dom = cookie_domain(cookie, v2_offs.dom_domain);

	set_ctx_domain(dom);
	return emit_tlbi(dom, SMT_TLBI_VA, iova, size, read_ptr(cookie, v2_offs.dom_smmu),
			 v2_offs.smmu_dev, bpf_ktime_get_ns());
}

/*
 * ---- v3: the command queue is the source of every TLBI and CMD_SYNC ----
 *
 * All commands reach the queue through arm_smmu_cmdq_issue_cmdlist(), on
 * every kernel (smmuv3-invalidation-by-version.md §1), so TLBIs and syncs
 * are decoded there; the function-level hooks below only say which domain
 * the ASID/VMID of the commands issued inside them belongs to (a command
 * carries no domain pointer). Nothing else emits v3 tlbi/sync: no double
 * counting between a function hook and the queue.
 */
#define CMDQ_OP_TLBI_NH_ALL	0x10
#define CMDQ_OP_TLBI_NH_ASID	0x11
#define CMDQ_OP_TLBI_NH_VA	0x12
#define CMDQ_OP_TLBI_EL2_ALL	0x20
#define CMDQ_OP_TLBI_EL2_ASID	0x21
#define CMDQ_OP_TLBI_EL2_VA	0x22
#define CMDQ_OP_TLBI_S12_VMALL	0x28
#define CMDQ_OP_TLBI_S2_IPA	0x2a
#define CMDQ_OP_TLBI_NSNH_ALL	0x30
/* CMDQ_BATCH_ENTRIES = BITS_PER_LONG: no caller passes more in one call */
#define CMDQ_MAX_DECODE		64

/* tag of an ASID (stage 1) or VMID (stage 2) in the asids map */
#define CMDQ_TAG_S2		(1u << 16)

struct asid_key {
	__u64 smmu;	/* struct arm_smmu_device * */
	__u32 tag;	/* ASID, or VMID | CMDQ_TAG_S2 */
	__u32 pad;
};

/* ASID/VMID -> struct iommu_domain *, learnt while a domain-aware function runs */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct asid_key);
	__type(value, __u64);
} asids SEC(".maps");

/*
 * The record a command-queue call is building (its TLBIs as decoded), per
 * CPU: used only within one run of the entry program, which never runs
 * twice at once on a CPU (a kprobe or trampoline program is skipped while
 * it runs), then sent or handed to inval_pend.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct smt_rec_inval);
} inval_buf SEC(".maps");

/*
 * A call that asks for a CMD_SYNC, from its entry to its return: its TLBIs
 * and the sync go out as one record at the return, when the sync's duration
 * is known. Keyed like `pending` (task and context: the call may sleep or
 * move between the two only before it disables IRQs). LRU: a lost return
 * must not leak entries.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pend_key);
	__type(value, struct smt_rec_inval);
} inval_pend SEC(".maps");

/* Send the NTLBI first TLBIs of R (and its sync, if flagged): NEV events. */
static __always_inline void inval_out(struct smt_rec_inval *r, __u32 ntlbi, __u32 nev)
{
	__u64 flags = wakeup_flag();

	if (ntlbi > SMT_INVAL_MAX_TLBI)
		ntlbi = SMT_INVAL_MAX_TLBI;
	r->ntlbi = ntlbi;
	if (bpf_ringbuf_output(&events, r, SMT_REC_INVAL_SIZE(ntlbi), flags))
		stat_add(SMT_STAT_DROPS, nev);
	else if (flags == BPF_RB_FORCE_WAKEUP)
		stat_inc(SMT_STAT_WAKEUPS);
}

/* Domain-aware v3 invalidation functions: their domain (and granule, for
 * commands without a range) holds for the commands issued until they return. */
static __always_inline int on_v3_ctx_entry(__u64 smmu_domain, __u64 granule)
{
	struct pend p = { .domain = cookie_domain(smmu_domain, v3_offs.dom_domain),
			  .size = granule };

	pend_save(PEND_V3_CTX, &p, false);
	return 0;
}

static __always_inline int on_v3_ctx_return(void)
{
	struct pend p;

	pend_get(PEND_V3_CTX, &p, true);
	return 0;
}

/* Pages of a range TLBI: (NUM+1) << SCALE pages of the TG size (TG 1/2/3 = 4K/16K/64K). */
static __always_inline __u64 cmd_range_size(__u64 w0, __u64 w1, __u64 granule)
{
	__u64 tg = (w1 >> 10) & 3, num = (w0 >> 12) & 0x1f, scale = (w0 >> 20) & 0x1f;

	if (!tg)	/* no RANGE_INV: the driver sends one command per granule */
		return granule ? granule : 4096;
	return ((num + 1) << scale) << (12 + 2 * (tg - 1));
}

/*
 * One 16-byte command. Global (not inlined) so the verifier checks it once,
 * not once per iteration of the caller's loop. CTX_DOMAIN is the domain of
 * the enclosing domain-aware function (0 if none): it attributes the
 * command and teaches the ASID/VMID -> domain map for later commands.
 */
__noinline int smt_cmdq_cmd(__u64 smmu, __u64 w0, __u64 w1, __u64 ctx_domain, __u64 granule)
{
	__u32 op = w0 & 0xff, scope, tag, zero = 0, n;
	__u64 ts = bpf_ktime_get_ns();
	struct asid_key k = { .smmu = smmu };
	__u64 domain = ctx_domain, iova = 0, size = 0, *d;
	struct smt_cache_ent *ce;
	struct smt_rec_inval *r;

	switch (op) {
	case CMDQ_OP_TLBI_NH_ALL:
	case CMDQ_OP_TLBI_EL2_ALL:
	case CMDQ_OP_TLBI_NSNH_ALL:
		domain = 0;
		scope = SMT_TLBI_ALL;
		goto add;
	case CMDQ_OP_TLBI_NH_ASID:
	case CMDQ_OP_TLBI_EL2_ASID:
		scope = SMT_TLBI_CONTEXT;
		tag = w0 >> 48;
		break;
	case CMDQ_OP_TLBI_NH_VA:
	case CMDQ_OP_TLBI_EL2_VA:
		scope = SMT_TLBI_VA;
		tag = w0 >> 48;
		break;
	case CMDQ_OP_TLBI_S12_VMALL:
		scope = SMT_TLBI_CONTEXT;
		tag = ((w0 >> 32) & 0xffff) | CMDQ_TAG_S2;
		break;
	case CMDQ_OP_TLBI_S2_IPA:
		scope = SMT_TLBI_VA;
		tag = ((w0 >> 32) & 0xffff) | CMDQ_TAG_S2;
		break;
	default:
		stat_inc(SMT_STAT_CMDQ_OTHER);
		return 0;
	}
	k.tag = tag;
	ce = cache_ent();
	if (ce && ce->asid_smmu == smmu && ce->asid_tag == tag && ce->asid_gen == asid_gen &&
	    (!domain || domain == ce->asid_domain)) {
		/* what the asids map holds, as this CPU last saw it */
		domain = ce->asid_domain;
		goto known;
	}
	d = bpf_map_lookup_elem(&asids, &k);
	if (domain) {
		/* an LRU update per command costs more than the lookup: only on change */
		if (!d || *d != domain) {
			bpf_map_update_elem(&asids, &k, &domain, BPF_ANY);
			__sync_fetch_and_add(&asid_gen, 1);
		}
	} else if (d) {
		domain = *d;
	}
	if (ce && domain) {
		ce->asid_smmu = smmu;
		ce->asid_tag = tag;
		ce->asid_domain = domain;
		ce->asid_gen = asid_gen;
	}
known:
	if (!domain) {
		/* SPEC: a va/context TLBI needs its domain; counted, never invented */
		stat_inc(SMT_STAT_CMDQ_NODOMAIN);
		return 0;
	}
	if (scope == SMT_TLBI_VA) {
		/* VA[63:12] (stage 1) / IPA[51:12] (stage 2) */
		iova = op == CMDQ_OP_TLBI_S2_IPA ? w1 & 0x000ffffffffff000ull : w1 & ~0xfffull;
		size = cmd_range_size(w0, w1, granule);
	}
add:
	r = bpf_map_lookup_elem(&inval_buf, &zero);
	if (!r)
		return 0;
	n = r->ntlbi;
	if (n >= SMT_INVAL_MAX_TLBI) {
		/* full: these go out now, ahead of (and older than) the rest */
		inval_out(r, SMT_INVAL_MAX_TLBI, SMT_INVAL_MAX_TLBI);
		n = 0;
	}
	inval_tlbi(&r->tlbi[n], domain, scope, iova, size, ts);
	r->ntlbi = n + 1;
	return 0;
}

/*
 * arm_smmu_cmdq_issue_cmdlist(smmu, [cmdq,] cmds, n, sync): argument
 * positions decided by the loader (cmdlist_nargs). The appended CMD_SYNC is
 * never in cmds[] (5.10 even passes cmds=NULL, n=0): sync comes from the
 * argument. The sync's time is taken after the commands were read, so a
 * stream orders it after the TLBIs it completes.
 *
 * One record per call: the TLBIs keep the time they were decoded and go out
 * with the sync at the return (the consumer's reorder window puts them back
 * in ts order; a call without a sync sends its TLBIs at once). Past
 * SMT_INVAL_MAX_TLBI the earlier ones go out at entry, so records arrive in
 * issue order even where two ts are equal.
 */
static __always_inline int on_cmdlist_entry(__u64 smmu, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	__u64 cmds = cmdlist_nargs >= 5 ? a2 : a1;
	__s64 n = (int)(cmdlist_nargs >= 5 ? a3 : a2);
	bool sync = (cmdlist_nargs >= 5 ? a4 : a3) & 0xff;
	__u64 ctx_domain = 0, granule = 0, dev;
	struct smt_ctx_state *cs = NULL;
	struct smt_rec_inval *r;
	struct pend ctx;
	__u32 zero = 0;
	int i;

	if (in_flush_all())
		return 0;
	/* one storage lookup for the context's domain and the sync record */
	if (task_state)
		cs = task_ctx(true);
	r = bpf_map_lookup_elem(&inval_buf, &zero);
	if (!r)
		return 0;
	if (!smmu_dev(smmu, v3_offs.smmu_dev, &dev)) {
		/* unnamed, its events would lose their smmu: lost instead */
		stat_add(SMT_STAT_DROPS, (n > 0 ? (n < CMDQ_MAX_DECODE ? n : CMDQ_MAX_DECODE) : 0) +
					 sync);
		return 0;
	}
	inval_init(r, 0, dev);
	if (cs && (cs->valid & (1u << TS_V3_CTX))) {
		ctx_domain = cs->p[TS_V3_CTX].domain;
		granule = cs->p[TS_V3_CTX].size;
	} else if ((!cs || spilled) && pend_get(PEND_V3_CTX, &ctx, false)) {
		ctx_domain = ctx.domain;
		granule = ctx.size;
	}
	for (i = 0; i < CMDQ_MAX_DECODE && cmds; i++) {
		__u64 w[2] = {};

		if (i >= n)
			break;
		bpf_probe_read_kernel(w, sizeof(w), (void *)(cmds + i * 16));
		smt_cmdq_cmd(smmu, w[0], w[1], ctx_domain, granule);
	}
	if (n > CMDQ_MAX_DECODE)
		stat_add(SMT_STAT_CMDQ_UNREAD, n - CMDQ_MAX_DECODE);
	if (sync) {
		struct pend_key k;

		/* taken after the commands were read: a stream orders it after them */
		r->ts = bpf_ktime_get_ns();
		r->flags = SMT_INVAL_SYNC;
		r->sync_scope = SMT_SYNC_GLOBAL;
		if (task_state) {
			if (cs) {
				/* an earlier call's return never came through here */
				if (cs->valid & TS_SYNC_BIT)
					stat_add(SMT_STAT_PEND_CLOBBER, cs->sync.ntlbi + 1);
				cs->sync = *r;
				cs->valid |= TS_SYNC_BIT;
				return 0;
			}
			__sync_fetch_and_add(&spilled, 1);
		}
		k = pkey(PEND_SYNC_V3);
		if (bpf_map_update_elem(&inval_pend, &k, r, BPF_NOEXIST)) {
			/* an earlier call's return never came through here: its
			 * TLBIs and sync are lost (one record: counted once each) */
			struct smt_rec_inval *old = bpf_map_lookup_elem(&inval_pend, &k);

			if (old)
				stat_add(SMT_STAT_PEND_CLOBBER, old->ntlbi + 1);
			bpf_map_update_elem(&inval_pend, &k, r, BPF_ANY);
		}
	} else if (r->ntlbi) {
		inval_out(r, r->ntlbi, r->ntlbi);
	}
	return 0;
}

/* TIMEOUT: 0, 1, or -1 when the hook cannot tell (no `timeout` field) */
static __always_inline int emit_sync(struct pend *p, __u32 scope, __u64 domain, int timeout,
				     int smmu_dev_off)
{
	struct smt_rec_inval *r;
	__u64 dev;

	if (!smmu_dev(p->ptr, smmu_dev_off, &dev)) {
		stat_inc(SMT_STAT_DROPS);
		return 0;
	}
	r = bpf_ringbuf_reserve(&events, SMT_REC_INVAL_SIZE(0), 0);
	if (!r) {
		stat_inc(SMT_STAT_DROPS);
		return 0;
	}
	inval_init(r, p->ts, dev);
	r->dur = bpf_ktime_get_ns() - p->ts;
	r->flags = SMT_INVAL_SYNC;
	if (timeout >= 0)
		r->flags |= SMT_INVAL_HAS_TIMEOUT | (timeout ? SMT_INVAL_TIMEOUT : 0);
	r->sync_scope = scope;
	r->sync_domain = domain;
	submit(r);
	return 0;
}

/* R's sync completed with RET: send R */
static __always_inline void sync_out(struct smt_rec_inval *r, long ret)
{
	__u32 n;

	r->dur = bpf_ktime_get_ns() - r->ts;
	r->cpu = bpf_get_smp_processor_id();
	/* -ETIMEDOUT from arm_smmu_cmdq_poll_until_sync ("CMD_SYNC timeout") */
	if (cmdlist_ret_valid)
		r->flags |= SMT_INVAL_HAS_TIMEOUT | ((int)ret != 0 ? SMT_INVAL_TIMEOUT : 0);
	n = r->ntlbi;
	inval_out(r, n, n + 1);
}

static __always_inline int on_cmdlist_return(long ret)
{
	struct smt_ctx_state *cs = NULL;
	struct smt_rec_inval *r;
	struct pend_key k;

	if (task_state) {
		cs = task_ctx(false);
		if (cs && (cs->valid & TS_SYNC_BIT)) {
			cs->valid &= ~TS_SYNC_BIT;
			sync_out(&cs->sync, ret);
			return 0;
		}
		if (!spilled)
			return unreachable(!cs, true, PEND_SYNC_V3);
	}
	k = pkey(PEND_SYNC_V3);
	r = bpf_map_lookup_elem(&inval_pend, &k);
	if (!r)
		return unreachable(task_state && !cs, true, PEND_SYNC_V3);
	sync_out(r, ret);
	if (!bpf_map_delete_elem(&inval_pend, &k) && task_state)
		__sync_fetch_and_add(&spilled, -1);
	return 0;
}

/* ---- v2 sync: __arm_smmu_tlb_sync(smmu, page, sync, status); page 0 = GR0 = global ---- */
static __always_inline int on_v2_sync_entry(__u64 smmu, __u64 page)
{
	struct pend_key k = pkey(PEND_SYNC_V2);
	struct pend p = { .ts = bpf_ktime_get_ns(), .ptr = smmu, .aux = (int)page };

	if (in_flush_all())
		return 0;
	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

/* qcom_smmu_tlb_sync_debug() runs only after a sync timed out (6.1+) */
static __always_inline int on_v2_sync_timeout(void)
{
	struct pend_key k = pkey(PEND_SYNC_V2);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);

	if (p)
		p->flags = 1;
	return 0;
}

static __always_inline int on_v2_sync_return(void)
{
	struct pend_key k = pkey(PEND_SYNC_V2);
	struct pend_key kc = pkey(PEND_CTX_DOMAIN);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);
	struct pend *c;
	__u64 domain = 0;

	if (!p)
		return 0;
	if (p->aux != 0) {
		c = bpf_map_lookup_elem(&pending, &kc);
		if (c)
			domain = c->domain;
	}
	emit_sync(p, p->aux == 0 ? SMT_SYNC_GLOBAL : SMT_SYNC_CONTEXT, domain, p->flags != 0,
		  v2_offs.smmu_dev);
	bpf_map_delete_elem(&pending, &k);
	return 0;
}

/* ---- flush_all, domain_free, reset ---- */
static __always_inline int emit_domain_only(__u32 type, __u64 domain)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NUMERIC);

	if (!e)
		return 0;
	fill_common(e, type, bpf_ktime_get_ns());
	e->domain = domain;
	e->present |= SMT_HAS_DOMAIN;
	submit(e);
	return 0;
}

static __always_inline int on_flush_all(__u64 domain)
{
	struct pend_key k = pkey(PEND_FLUSH);
	struct pend p = { .ts = bpf_ktime_get_ns(), .domain = domain };

	set_ctx_domain(domain);
	/* counted when first saved: a nested flush replaces the state */
	if (!bpf_map_update_elem(&pending, &k, &p, BPF_NOEXIST))
		__sync_fetch_and_add(&flushes, 1);
	else
		bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return emit_domain_only(SMT_EV_FLUSH_ALL, domain);
}

static __always_inline int on_flush_all_return(void)
{
	struct pend_key k = pkey(PEND_FLUSH);

	if (!bpf_map_delete_elem(&pending, &k))
		__sync_fetch_and_add(&flushes, -1);
	return 0;
}

static __always_inline int on_domain_free(__u64 domain)
{
	/* its address may come back as another driver's domain */
	__sync_fetch_and_add(&dom_gen, 1);
	return emit_domain_only(SMT_EV_DOMAIN_FREE, domain);
}

static __always_inline int on_smmu_reset(__u64 smmu)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NAMES);

	if (!e)
		return 0;
	fill_common(e, SMT_EV_SMMU_RESET, bpf_ktime_get_ns());
	if (read_smmu_name(e->smmu, smmu, v2_offs.smmu_dev))
		e->present |= SMT_HAS_SMMU;
	submit(e);
	return 0;
}

/* ---- attach / detach / ties ---- */
static __always_inline struct iommu_fwspec *dev_fwspec(struct device *dev)
{
	if (bpf_core_field_exists(dev->iommu))
		return BPF_CORE_READ(dev, iommu, fwspec);
	return BPF_CORE_READ((struct device___old *)dev, iommu_fwspec);
}

/* The SMMU behind DEV: dev->iommu->iommu_dev is the iommu_device whose sysfs
 * device is a child of the SMMU's platform device. */
static __always_inline struct iommu_device *dev_iommu_device(struct device *dev)
{
	struct dev_iommu___smt *di;

	if (!bpf_core_field_exists(struct dev_iommu___smt, iommu_dev))
		return NULL;
	di = (struct dev_iommu___smt *)BPF_CORE_READ(dev, iommu);
	if (!di)
		return NULL;
	return BPF_CORE_READ(di, iommu_dev);
}

static __always_inline void dev_smmu_name(struct smt_event *e, struct iommu_device *idev)
{
	struct device *sd, *parent;

	if (!idev)
		return;
	sd = BPF_CORE_READ(idev, dev);
	if (!sd)
		return;
	parent = BPF_CORE_READ(sd, parent);
	read_dev_name(e->smmu, parent ? parent : sd);
	if (e->smmu[0])
		e->present |= SMT_HAS_SMMU;
}

static __always_inline int emit_attach(__u64 domain, struct device *dev, __u64 ts)
{
	struct tie_key t = { .domain = domain, .dev = (__u64)dev };
	struct sid_val sv = { .domain = domain, .dev = (__u64)dev };
	struct iommu_device *idev = dev_iommu_device(dev);
	struct sid_key sk = { .iommu = v3_smmu_iommu_off >= 0 ? (__u64)idev : 0 };
	struct iommu_fwspec *fw;
	struct smt_event *e;
	__u8 one = 1;
	__u32 n = 0;
	int i;

	bpf_map_update_elem(&ties, &t, &one, BPF_ANY);
	e = RESERVE(sizeof(struct smt_event));
	if (!e)
		return 0;
	fill_common(e, SMT_EV_ATTACH, ts);
	e->domain = domain;
	e->present |= SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_SIDS;
	read_dev_name(e->name, dev);
	dev_smmu_name(e, idev);
	fw = dev_fwspec(dev);
	if (fw) {
		n = BPF_CORE_READ(fw, num_ids);
		if (n > SMT_MAX_SIDS)
			n = SMT_MAX_SIDS;
		bpf_probe_read_kernel(e->sids, (n & 0x7f) * sizeof(__u32),
				      (void *)fw + bpf_core_field_offset(struct iommu_fwspec, ids));
	}
	e->nsids = n;
	for (i = 0; i < SMT_MAX_SIDS; i++) {
		if (i >= (int)n)
			break;
		sk.sid = e->sids[i];
		bpf_map_update_elem(&sids, &sk, &sv, BPF_ANY);
	}
	submit(e);
	return 0;
}

static __always_inline int on_attach_entry(__u64 domain, __u64 dev)
{
	struct pend_key k = pkey(PEND_ATTACH);
	struct pend p = { .ts = bpf_ktime_get_ns(), .domain = domain, .ptr = dev };

	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

static __always_inline int on_attach_return(long ret)
{
	struct pend_key k = pkey(PEND_ATTACH);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);
	__u64 domain, dev, ts;

	if (!p)
		return 0;
	domain = p->domain;
	dev = p->ptr;
	ts = p->ts;
	bpf_map_delete_elem(&pending, &k);
	if ((int)ret == 0 && domain && dev)
		emit_attach(domain, (struct device *)dev, ts);
	return 0;
}

static __always_inline int on_detach(__u64 domain, __u64 dev)
{
	struct tie_key t = { .domain = domain, .dev = dev };
	struct smt_event *e;

	bpf_map_delete_elem(&ties, &t);
	__sync_fetch_and_add(&tie_gen, 1);
	e = RESERVE(SMT_EVENT_SIZE_NAMES);
	if (!e)
		return 0;
	fill_common(e, SMT_EV_DETACH, bpf_ktime_get_ns());
	e->domain = domain;
	e->present |= SMT_HAS_DOMAIN | SMT_HAS_NAME;
	read_dev_name(e->name, (struct device *)dev);
	submit(e);
	return 0;
}

/*
 * Boot-time domains: iommu_get_dma_domain(dev) runs on every dma-iommu
 * map/unmap, so its (dev, return value) pair ties a device to a domain that
 * was attached before the capture started. Reported once per pair.
 */
static __always_inline int on_getdom_entry(__u64 dev)
{
	struct pend_key k = pkey(PEND_GETDOM);
	struct pend p = { .ts = bpf_ktime_get_ns(), .ptr = dev };

	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

/* TS 0: now */
static __always_inline int emit_tie(__u64 domain, __u64 dev, __u64 ts)
{
	struct tie_key t = { .domain = domain, .dev = dev };
	struct smt_cache_ent *ce;

	if (!emit_ties || !domain || !dev)
		return 0;
	/* the same pair as this CPU's last one, and no detach since: reported */
	ce = cache_ent();
	if (ce && ce->tie_domain == domain && ce->tie_dev == dev && ce->tie_gen == tie_gen)
		return 0;
	if (ce) {
		ce->tie_domain = domain;
		ce->tie_dev = dev;
		ce->tie_gen = tie_gen;
	}
	if (bpf_map_lookup_elem(&ties, &t))
		return 0;
	return emit_attach(domain, (struct device *)dev, ts ? ts : bpf_ktime_get_ns());
}

static __always_inline int on_getdom_return(__u64 domain)
{
	struct pend_key k = pkey(PEND_GETDOM);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);
	__u64 dev, ts;

	if (!p)
		return 0;
	dev = p->ptr;
	ts = p->ts;
	bpf_map_delete_elem(&pending, &k);
	return emit_tie(domain, dev, ts);
}

/* fexit: the device is still an argument; the call is a few loads, so its
 * return time stands for its entry time */
static __always_inline int on_getdom_fexit(__u64 dev, __u64 domain)
{
	return emit_tie(domain, dev, 0);
}

/* ---- faults ---- */
static __always_inline int emit_fault(__u64 domain, struct device *dev, __u64 iova, int flags,
				      __u64 smmu, int smmu_dev_off)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NAMES);

	if (!e)
		return 0;
	fill_common(e, SMT_EV_FAULT, bpf_ktime_get_ns());
	if (read_smmu_name(e->smmu, smmu, smmu_dev_off))
		e->present |= SMT_HAS_SMMU;
	e->iova = iova;
	e->flags = flags;
	e->present |= SMT_HAS_IOVA | SMT_HAS_FLAGS;
	if (domain) {
		e->domain = domain;
		e->present |= SMT_HAS_DOMAIN;
	}
	if (dev) {
		read_dev_name(e->name, dev);
		e->present |= SMT_HAS_NAME;
	}
	submit(e);
	return 0;
}

/* report_iommu_fault(domain, dev, iova, flags): every driver's fault report */
static __always_inline int on_report_fault(__u64 domain, __u64 dev, __u64 iova, __u64 flags)
{
	return emit_fault(domain, (struct device *)dev, iova, (int)flags, 0, -1);
}

/* v2 arm_smmu_context_fault(irq, cookie): remember the domain for io_page_fault */
static __always_inline int on_v2_context_fault(__u64 cookie)
{
	struct pend_key k = pkey(PEND_CTX_FAULT);
	struct pend p = { .ts = bpf_ktime_get_ns(),
			  .domain = cookie_domain(cookie, v2_offs.dom_domain) };

	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

/* iommu:io_page_fault (no domain in the tracepoint; from a v2 context fault if one is open) */
static __always_inline int on_io_page_fault(struct device *dev, __u64 iova, int flags)
{
	struct pend_key k = pkey(PEND_CTX_FAULT);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);
	__u64 domain = 0;

	if (p) {
		domain = p->domain;
		bpf_map_delete_elem(&pending, &k);
	}
	return emit_fault(domain, dev, iova, flags, 0, -1);
}

/*
 * v3 faults: no core tracepoint fires for them on any kernel (the driver
 * never calls report_iommu_fault), so the raw 32-byte event records are
 * read as queue_remove_raw() hands them to arm_smmu_evtq_thread.
 * The priq shares the function: only queues of 4-dword entries are the evtq.
 */
#define EVTQ_ENT_DWORDS		4
#define EVT_ID_F_TRANSLATION	0x10
#define EVT_ID_F_PERMISSION	0x13

static __always_inline int on_evtq_entry(__u64 q, __u64 ent)
{
	struct pend_key k = pkey(PEND_EVTQ);
	struct pend p = { .ptr = q, .iova = ent };
	__u64 dwords = EVTQ_ENT_DWORDS;

	if (v3_q_ent_dwords_off >= 0)
		bpf_probe_read_kernel(&dwords, sizeof(dwords), (void *)(q + v3_q_ent_dwords_off));
	if (dwords != EVTQ_ENT_DWORDS)
		return 0;
	bpf_map_update_elem(&pending, &k, &p, BPF_ANY);
	return 0;
}

static __always_inline int on_evtq_return(long ret)
{
	struct pend_key k = pkey(PEND_EVTQ);
	struct pend *p = bpf_map_lookup_elem(&pending, &k);
	struct sid_key sk = {};
	struct sid_val *sv;
	__u64 q, ent, w[4] = {}, smmu = 0, domain = 0, dev = 0;
	__u32 id, flags;

	if (!p)
		return 0;
	q = p->ptr;
	ent = p->iova;
	bpf_map_delete_elem(&pending, &k);
	if ((int)ret != 0)	/* -EAGAIN: queue empty, ent untouched */
		return 0;
	bpf_probe_read_kernel(w, sizeof(w), (void *)ent);
	id = w[0] & 0xff;
	if (id < EVT_ID_F_TRANSLATION || id > EVT_ID_F_PERMISSION) {
		stat_inc(SMT_STAT_EVTQ_OTHER);
		return 0;
	}
	if (v3_evtq_off >= 0)
		smmu = q - v3_evtq_off;
	sk.iommu = smmu && v3_smmu_iommu_off >= 0 ? smmu + v3_smmu_iommu_off : 0;
	sk.sid = w[0] >> 32;
	sv = bpf_map_lookup_elem(&sids, &sk);
	if (sv) {
		domain = sv->domain;
		dev = sv->dev;
	}
	/* dw1: RnW[35] (1 = read), S2[39], PnU[33], InD[34] */
	flags = (((w[1] >> 35) & 1) ? 0 : SMT_FAULT_WRITE) | id << SMT_FAULT_ID_SHIFT |
		(((w[1] >> 39) & 1) ? SMT_FAULT_S2 : 0) | (((w[1] >> 33) & 1) ? SMT_FAULT_PRIV : 0) |
		(((w[1] >> 34) & 1) ? SMT_FAULT_INSN : 0);
	return emit_fault(domain, (struct device *)dev, w[2], flags, smmu, v3_offs.smmu_dev);
}

/* iommu:map / iommu:unmap: no domain pointer; used only when no map/unmap kprobe attaches */
static __always_inline int on_tp_map(__u64 iova, __u64 paddr, __u64 size)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NUMERIC);

	if (!e)
		return 0;
	fill_common(e, SMT_EV_MAP, bpf_ktime_get_ns());
	e->iova = iova;
	e->paddr = paddr;
	e->size = size;
	e->present |= SMT_HAS_IOVA | SMT_HAS_PADDR | SMT_HAS_SIZE | SMT_HAS_RET;
	submit(e);
	return 0;
}

static __always_inline int on_tp_unmap(__u64 iova, __u64 size, __u64 unmapped)
{
	struct smt_event *e = RESERVE(SMT_EVENT_SIZE_NUMERIC);

	if (!e)
		return 0;
	fill_common(e, SMT_EV_UNMAP, bpf_ktime_get_ns());
	e->iova = iova;
	e->size = size;
	e->ret = unmapped;
	e->present |= SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
	submit(e);
	return 0;
}

/* ---- program wrappers ---- */

/* count_only: the run is counted and nothing else (verifier prunes the rest) */
static __always_inline bool counted_only(void)
{
	if (!count_only)
		return false;
	stat_inc(SMT_STAT_COUNT_ONLY);
	return true;
}

/* tracepoint: tp_btf for production + raw_tp twin (also the fallback attach) */
#define TP_TWIN(tp, call, ...)							\
SEC("tp_btf/" #tp) int BPF_PROG(tp_btf_##tp, ##__VA_ARGS__)			\
{ if (counted_only()) return 0; return call; }					\
SEC("raw_tp/" #tp) int BPF_PROG(raw_tp_##tp, ##__VA_ARGS__)			\
{ if (counted_only()) return 0; return call; }

/*
 * kernel function: kprobe (attached by name or address) + raw_tp twin for
 * tests. Every program is named after the function it sits on
 * (kprobe_<fn>, kretprobe_<fn>, fentry_<fn>): a handler serving several
 * functions gets one program (and twin) per function. Each kprobe run is
 * counted: the kprobes' hits less these runs are the runs the kernel
 * skipped, which before 6.7 nothing else counts.
 */
#define KPROBE_TWIN(fn, call, ...)						\
SEC("kprobe") int BPF_KPROBE(kprobe_##fn, ##__VA_ARGS__)			\
{ stat_inc(SMT_STAT_KPROBE_RUNS); if (counted_only()) return 0; return call; }	\
SEC("raw_tp") int BPF_PROG(twin_kprobe_##fn, ##__VA_ARGS__) { return call; }

#define KRETPROBE_TWIN(fn, call, arg)						\
SEC("kretprobe") int BPF_KRETPROBE(kretprobe_##fn, arg)			\
{ stat_inc(SMT_STAT_KPROBE_RUNS); if (counted_only()) return 0; return call; }	\
SEC("raw_tp") int BPF_PROG(twin_kretprobe_##fn, arg) { return call; }

TP_TWIN(rpm_status, on_rpm_status(dev, status), struct device *dev, int status)
TP_TWIN(rpm_return_int, on_rpm_return_int(dev), struct device *dev, unsigned long ip, int ret)
TP_TWIN(clk_enable, on_clk(core, 1), struct clk_core *core)
TP_TWIN(clk_disable, on_clk(core, 0), struct clk_core *core)
TP_TWIN(io_page_fault, on_io_page_fault(dev, iova, flags),
	struct device *dev, unsigned long iova, int flags)
TP_TWIN(map, on_tp_map(iova, paddr, size), unsigned long iova, __u64 paddr, size_t size)
TP_TWIN(unmap, on_tp_unmap(iova, size, unmapped), unsigned long iova, size_t size,
	size_t unmapped)

/* arm_smmu_map_pages(domain, iova, paddr, pgsize, pgcount, prot, gfp, mapped) 5.15+ */
KPROBE_TWIN(arm_smmu_map_pages, on_map_entry(domain, iova, paddr, pgsize * pgcount),
	    __u64 domain, __u64 iova, __u64 paddr, __u64 pgsize, __u64 pgcount)
KRETPROBE_TWIN(arm_smmu_map_pages, on_map_return(ret), long ret)
/* arm_smmu_map / iommu_map(domain, iova, paddr, size, prot[, gfp]) */
KPROBE_TWIN(arm_smmu_map, on_map_entry(domain, iova, paddr, size),
	    __u64 domain, __u64 iova, __u64 paddr, __u64 size)
KRETPROBE_TWIN(arm_smmu_map, on_map_return(ret), long ret)
/* iommu core (map@core): __iommu_map (<= 6.12: under iommu_map and iommu_map_sg),
 * iommu_map_nosync (its 7.x name), iommu_map; SMMU domains only */
KPROBE_TWIN(__iommu_map, on_core_map_entry(domain, iova, paddr, size),
	    __u64 domain, __u64 iova, __u64 paddr, __u64 size)
KRETPROBE_TWIN(__iommu_map, on_map_return(ret), long ret)
KPROBE_TWIN(iommu_map_nosync, on_core_map_entry(domain, iova, paddr, size),
	    __u64 domain, __u64 iova, __u64 paddr, __u64 size)
KRETPROBE_TWIN(iommu_map_nosync, on_map_return(ret), long ret)
KPROBE_TWIN(iommu_map, on_core_map_entry(domain, iova, paddr, size),
	    __u64 domain, __u64 iova, __u64 paddr, __u64 size)
KRETPROBE_TWIN(iommu_map, on_map_return(ret), long ret)

/* arm_smmu_unmap_pages(domain, iova, pgsize, pgcount, gather) 5.15+ */
KPROBE_TWIN(arm_smmu_unmap_pages, on_unmap_entry(domain, iova, pgsize * pgcount, PEND_UNMAP),
	    __u64 domain, __u64 iova, __u64 pgsize, __u64 pgcount)
KRETPROBE_TWIN(arm_smmu_unmap_pages, on_unmap_return(ret, PEND_UNMAP), long ret)
/* arm_smmu_unmap / __iommu_unmap(domain, iova, size[, gather]) */
KPROBE_TWIN(arm_smmu_unmap, on_unmap_entry(domain, iova, size, PEND_UNMAP),
	    __u64 domain, __u64 iova, __u64 size)
KRETPROBE_TWIN(arm_smmu_unmap, on_unmap_return(ret, PEND_UNMAP), long ret)
KPROBE_TWIN(__iommu_unmap, on_core_unmap_entry(domain, iova, size),
	    __u64 domain, __u64 iova, __u64 size)
KRETPROBE_TWIN(__iommu_unmap, on_unmap_return(ret, PEND_UNMAP), long ret)

/* arm_lpae_unmap_pages(ops, iova, pgsize, pgcount, gather): drm/msm per-process tables */
KPROBE_TWIN(arm_lpae_unmap_pages,
	    on_unmap_entry(lpae_domain(ops), iova, pgsize * pgcount, PEND_LPAE),
	    __u64 ops, __u64 iova, __u64 pgsize, __u64 pgcount)
KRETPROBE_TWIN(arm_lpae_unmap_pages, on_unmap_return(ret, PEND_LPAE), long ret)
/* arm_lpae_unmap(ops, iova, size[, gather]) <= 6.1 */
KPROBE_TWIN(arm_lpae_unmap, on_unmap_entry(lpae_domain(ops), iova, size, PEND_LPAE),
	    __u64 ops, __u64 iova, __u64 size)
KRETPROBE_TWIN(arm_lpae_unmap, on_unmap_return(ret, PEND_LPAE), long ret)

/* v2 */
KPROBE_TWIN(arm_smmu_tlb_inv_context_s1, on_v2_inv_context(cookie), __u64 cookie)
KPROBE_TWIN(arm_smmu_tlb_inv_context_s2, on_v2_inv_context(cookie), __u64 cookie)
KPROBE_TWIN(arm_smmu_tlb_inv_range_s1,
	    on_v2_inv_range(iova, size, v2_range_cookie_arg == 4 ? a4 : a3),
	    __u64 iova, __u64 size, __u64 granule, __u64 a3, __u64 a4)
KPROBE_TWIN(arm_smmu_tlb_inv_range_s2,
	    on_v2_inv_range(iova, size, v2_range_cookie_arg == 4 ? a4 : a3),
	    __u64 iova, __u64 size, __u64 granule, __u64 a3, __u64 a4)
/* arm_smmu_tlb_inv_walk_s1(iova, size, granule, cookie): fallback when range_s1 is inlined */
KPROBE_TWIN(arm_smmu_tlb_inv_walk_s1, on_v2_inv_range(iova, size, cookie),
	    __u64 iova, __u64 size, __u64 granule, __u64 cookie)
/* arm_smmu_tlb_add_page_s1(gather, iova, granule, cookie) */
KPROBE_TWIN(arm_smmu_tlb_add_page_s1, on_v2_inv_range(iova, granule, cookie),
	    __u64 gather, __u64 iova, __u64 granule, __u64 cookie)
KPROBE_TWIN(__arm_smmu_tlb_sync, on_v2_sync_entry(smmu, page), __u64 smmu, __u64 page)
KRETPROBE_TWIN(__arm_smmu_tlb_sync, on_v2_sync_return(), long ret)
KPROBE_TWIN(qcom_smmu_tlb_sync_debug, on_v2_sync_timeout(), __u64 smmu)
/* the v2 copy of arm_smmu_iotlb_sync(domain, gather): names the domain of the next context sync */
KPROBE_TWIN(arm_smmu_iotlb_sync, (set_ctx_domain(domain), 0), __u64 domain)
KPROBE_TWIN(arm_smmu_device_reset, on_smmu_reset(smmu), __u64 smmu)
KPROBE_TWIN(arm_smmu_context_fault, on_v2_context_fault(cookie), __u64 irq, __u64 cookie)

/* v3 */
/* domain-aware invalidation functions: name the domain of the commands they issue */
/* 6.1-6.12 __arm_smmu_tlb_inv_range(cmd, iova, size, granule, smmu_domain) */
KPROBE_TWIN(__arm_smmu_tlb_inv_range, on_v3_ctx_entry(smmu_domain, granule),
	    __u64 cmd, __u64 iova, __u64 size, __u64 granule, __u64 smmu_domain)
KRETPROBE_TWIN(__arm_smmu_tlb_inv_range, on_v3_ctx_return(), long ret)
/* 5.10 arm_smmu_tlb_inv_range(iova, size, granule, leaf, smmu_domain): static, not in
 * the 5.10 BTF; positions from drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c v5.10 */
KPROBE_TWIN(arm_smmu_tlb_inv_range, on_v3_ctx_entry(smmu_domain, granule),
	    __u64 iova, __u64 size, __u64 granule, __u64 leaf, __u64 smmu_domain)
KRETPROBE_TWIN(arm_smmu_tlb_inv_range, on_v3_ctx_return(), long ret)
/* 7.2 arm_smmu_domain_inv_range(smmu_domain, iova, size, granule, leaf) */
KPROBE_TWIN(arm_smmu_domain_inv_range, on_v3_ctx_entry(smmu_domain, granule),
	    __u64 smmu_domain, __u64 iova, __u64 size, __u64 granule)
KRETPROBE_TWIN(arm_smmu_domain_inv_range, on_v3_ctx_return(), long ret)
KPROBE_TWIN(arm_smmu_tlb_inv_context, on_v3_ctx_entry(cookie, 0), __u64 cookie)
KRETPROBE_TWIN(arm_smmu_tlb_inv_context, on_v3_ctx_return(), long ret)
/* queue_remove_raw(q, ent): every record leaving the event (and PRI) queue */
KPROBE_TWIN(queue_remove_raw, on_evtq_entry(q, ent), __u64 q, __u64 ent)
KRETPROBE_TWIN(queue_remove_raw, on_evtq_return(ret), long ret)
KPROBE_TWIN(arm_smmu_cmdq_issue_cmdlist, on_cmdlist_entry(smmu, a1, a2, a3, a4),
	    __u64 smmu, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
KRETPROBE_TWIN(arm_smmu_cmdq_issue_cmdlist, on_cmdlist_return(ret), long ret)

/* both drivers */
KPROBE_TWIN(arm_smmu_flush_iotlb_all, on_flush_all(domain), __u64 domain)
KRETPROBE_TWIN(arm_smmu_flush_iotlb_all, on_flush_all_return(), long ret)
KPROBE_TWIN(arm_smmu_attach_dev, on_attach_entry(domain, dev), __u64 domain, __u64 dev)
KRETPROBE_TWIN(arm_smmu_attach_dev, on_attach_return(ret), long ret)

/* iommu core */
KPROBE_TWIN(iommu_detach_device, on_detach(domain, dev), __u64 domain, __u64 dev)
KPROBE_TWIN(iommu_domain_free, on_domain_free(domain), __u64 domain)
KPROBE_TWIN(iommu_get_dma_domain, on_getdom_entry(dev), __u64 dev)
KRETPROBE_TWIN(iommu_get_dma_domain, on_getdom_return(ret), __u64 ret)
KPROBE_TWIN(report_iommu_fault, on_report_fault(domain, dev, iova, flags),
	    __u64 domain, __u64 dev, __u64 iova, __u64 flags)

/* power domains: _genpd_power_on/off(genpd, timed), gdsc_enable/disable(genpd) */
KPROBE_TWIN(_genpd_power_on, on_pd_entry((void *)genpd, 1), __u64 genpd)
KRETPROBE_TWIN(_genpd_power_on, on_pd_return(ret), long ret)
KPROBE_TWIN(_genpd_power_off, on_pd_entry((void *)genpd, 0), __u64 genpd)
KRETPROBE_TWIN(_genpd_power_off, on_pd_return(ret), long ret)
KPROBE_TWIN(gdsc_enable, on_pd_entry((void *)genpd, 1), __u64 genpd)
KRETPROBE_TWIN(gdsc_enable, on_pd_return(ret), long ret)
KPROBE_TWIN(gdsc_disable, on_pd_entry((void *)genpd, 0), __u64 genpd)
KRETPROBE_TWIN(gdsc_disable, on_pd_return(ret), long ret)

/*
 * fentry/fexit twins of the kprobes, for functions whose name is unique
 * (a trampoline binds by name: on a v2/v3 duplicate it would take the wrong
 * copy). The loader uses them where the kernel has trampolines (arm64 6.12+)
 * and binds each to its target before load; a kprobe there can be skipped
 * when it fires while another BPF program runs on the CPU, a trampoline
 * mostly not. Arguments and return value come through bpf_get_func_arg/_ret
 * (5.17+, like arm64 trampolines), as plain integers: the handlers are the
 * kprobes' own.
 */
#define FARGS(ctx, a)							\
	__u64 a[5] = {};						\
	for (int __i = 0; __i < 5; __i++)				\
		bpf_get_func_arg(ctx, __i, &a[__i])

static __always_inline __u64 farg(void *ctx, int n)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, n, &v);
	return v;
}

#define FENTRY(fn, call)						\
SEC("fentry") int fentry_##fn(void *ctx)					\
{ if (counted_only()) return 0; FARGS(ctx, a); return call; }

#define FEXIT(fn, call)							\
SEC("fexit") int fexit_##fn(void *ctx)					\
{ __u64 ret = 0; if (counted_only()) return 0; bpf_get_func_ret(ctx, &ret); return call; }

/* v3 */
FENTRY(arm_smmu_cmdq_issue_cmdlist, on_cmdlist_entry(a[0], a[1], a[2], a[3], a[4]))
FEXIT(arm_smmu_cmdq_issue_cmdlist, on_cmdlist_return(ret))
FENTRY(__arm_smmu_tlb_inv_range, on_v3_ctx_entry(a[4], a[3]))
FEXIT(__arm_smmu_tlb_inv_range, on_v3_ctx_return())
FENTRY(arm_smmu_domain_inv_range, on_v3_ctx_entry(a[0], a[3]))
FEXIT(arm_smmu_domain_inv_range, on_v3_ctx_return())
FENTRY(arm_smmu_tlb_inv_context, on_v3_ctx_entry(a[0], 0))
FEXIT(arm_smmu_tlb_inv_context, on_v3_ctx_return())
FENTRY(queue_remove_raw, on_evtq_entry(a[0], a[1]))
FEXIT(queue_remove_raw, on_evtq_return(ret))

/* io-pgtable: called under the driver's unmap on every DMA unmap (nested, so
 * skipped): a trampoline there costs far less than a kprobe trap */
FENTRY(arm_lpae_unmap_pages, on_unmap_entry(lpae_domain(a[0]), a[1], a[2] * a[3], PEND_LPAE))
FEXIT(arm_lpae_unmap_pages, on_unmap_return(ret, PEND_LPAE))
FENTRY(arm_lpae_unmap, on_unmap_entry(lpae_domain(a[0]), a[1], a[2], PEND_LPAE))
FEXIT(arm_lpae_unmap, on_unmap_return(ret, PEND_LPAE))

/* iommu core: where the driver's map/unmap are names both SMMU drivers define
 * (kprobe traps by address), the core's map and unmap by trampoline instead
 * (hooks__prefer_trampolines). fentry + fexit, not fexit alone: the map keeps
 * its entry time (SPEC §3), the unmap its PEND_UNMAP state for io-pgtable. */
FENTRY(__iommu_map, on_core_map_entry(a[0], a[1], a[2], a[3]))
FEXIT(__iommu_map, on_map_return((int)ret))
FENTRY(iommu_map_nosync, on_core_map_entry(a[0], a[1], a[2], a[3]))
FEXIT(iommu_map_nosync, on_map_return((int)ret))
FENTRY(__iommu_unmap, on_core_unmap_entry(a[0], a[1], a[2]))
FEXIT(__iommu_unmap, on_unmap_return(ret, PEND_UNMAP))

/* v2 */
FENTRY(arm_smmu_tlb_inv_context_s1, on_v2_inv_context(a[0]))
FENTRY(arm_smmu_tlb_inv_context_s2, on_v2_inv_context(a[0]))
FENTRY(arm_smmu_tlb_inv_range_s1, on_v2_inv_range(a[0], a[1], a[v2_range_cookie_arg == 4 ? 4 : 3]))
FENTRY(arm_smmu_tlb_inv_range_s2, on_v2_inv_range(a[0], a[1], a[v2_range_cookie_arg == 4 ? 4 : 3]))
FENTRY(__arm_smmu_tlb_sync, on_v2_sync_entry(a[0], a[1]))
FEXIT(__arm_smmu_tlb_sync, on_v2_sync_return())
FENTRY(arm_smmu_device_reset, on_smmu_reset(a[0]))

/* iommu core, power domains */
FENTRY(iommu_detach_device, on_detach(a[0], a[1]))
FENTRY(iommu_domain_free, on_domain_free(a[0]))
/* fexit alone: it has the device argument too; called on every DMA map and
 * unmap, so one program run instead of two and no entry state */
FEXIT(iommu_get_dma_domain, on_getdom_fexit(farg(ctx, 0), ret))
SEC("raw_tp") int BPF_PROG(twin_fexit_iommu_get_dma_domain, __u64 dev, __u64 ret)
{ return on_getdom_fexit(dev, ret); }
FENTRY(report_iommu_fault, on_report_fault(a[0], a[1], a[2], a[3]))
FENTRY(_genpd_power_on, on_pd_entry((void *)a[0], 1))
FEXIT(_genpd_power_on, on_pd_return((int)ret))
FENTRY(_genpd_power_off, on_pd_entry((void *)a[0], 0))
FEXIT(_genpd_power_off, on_pd_return((int)ret))
