// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Live capture: environment checks, loader, ring-buffer consumer (see capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture.h"
#include "json_writer.h"
#include "log.h"
#include "smmutrace_capture.h"
#include "smmutrace.skel.h"

#define DEFAULT_RINGBUF		(16u << 20)
#define DEFAULT_REORDER_NS	20000000ull	/* 20 ms: longer than any map/unmap call */
/*
 * How far back an arrival is moved into ts order when it comes in. Records
 * reach the ring buffer at their call's return with its entry time, so most
 * arrive in order or a few records late (another CPU's call in between);
 * one from further back marks the buffer for a sort at release instead.
 */
#define INSERT_MAX		64

struct pending_ev {
	struct smt_event ev;
	uint64_t seq;
};

/* SMMU names the records carry as struct device * (SMT_REC_DEV_NAME) */
struct dev_name {
	uint64_t dev;
	char name[SMT_NAME_LEN];
};

struct capture {
	struct smmutrace_bpf *skel;
	struct ring_buffer *rb;
	struct btf *btf;
	struct hook_res res[64];
	struct bpf_link *links[128];
	int nlinks;
	char btf_source[256];
	char fentry_note[200];
	bool task_state;	/* entry state in task-local storage (choose_entry_state) */
	char state_note[120];
	bool fentry_ok;		/* a trampoline attached here (probe_fentry) */
	bool count_only;	/* SMMUTRACE_COUNT_ONLY: programs count their runs, emit nothing */
	/* SMMUTRACE_DISCARD: records are taken off the ring buffer and dropped
	 * unread (make bench-board: the kernel side's cost without the consumer's) */
	bool discard;
	char layout_note[200];
	uint64_t reorder_ns;
	/* reorder buffer: buf[head..n) are pending, in (ts, seq) order unless unsorted */
	struct pending_ev *buf;
	size_t head, n, cap;
	bool unsorted;
	uint64_t seq;
	uint64_t last_ts;	/* last ts handed out */
	bool any_out;
	uint64_t lost_seen;	/* drops already reported in `lost` events */
	uint64_t user_lost;	/* records dropped here (reorder buffer at its cap) */
	struct dev_name names[SMT_DEV_NAMES];
	int nnames, name_next;	/* names held; the slot a new one takes when full */
	uint64_t recursion_misses;	/* program runs the kernel skipped (last read) */
	uint64_t misses_read_ns;	/* when they were last read */
	/* kprobes made through tracefs, named KP_PREFIX<n>, so their misses are countable */
	const char *tracefs;	/* NULL: no kprobe_events, libbpf's perf kprobes */
	char kp_prefix[32];
	int nkp;		/* events made so far (removed in capture__free) */
	int kp_uncounted;	/* kprobes attached by libbpf: their misses are invisible */
	uint64_t kprobe_misses;	/* kprobe hits the kprobe layer skipped (last read) */
	/* kprobe hits vs our programs' runs (capture_state__kprobe_skipped) */
	bool kp_counting;	/* every kprobe is a tracefs one: the two compare */
	uint64_t kp_hits_base, kp_runs_base;
	uint64_t kp_skip_prev;	/* hits less runs at the last look */
	uint64_t kprobe_skipped;	/* hits whose program the kernel skipped */
	struct capture_stats st;
	int ncpus;
	/* the stats map, mapped: read as memory, never by syscall (see stat_sum) */
	const volatile __u64 *stats;
	size_t stats_len;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (log__level() < LOG_DEBUG || (level == LIBBPF_DEBUG && log__level() < LOG_LIBBPF_DEBUG))
		return 0;
	return vfprintf(stderr, fmt, args);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- BTF facts the programs need (never version numbers) ---- */
static int member_off(const struct btf *btf, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (n && !strcmp(n, name))
			return (int)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

static bool has_member(const struct btf *btf, const struct btf_type *t, const char *name)
{
	return member_off(btf, t, name) >= 0;
}

/* v3 event-queue layout (fault@v3), -1 = unknown */
struct v3_evtq_offs {
	int evtq;	/* arm_smmu_device.evtq + arm_smmu_evtq.q */
	int iommu;	/* arm_smmu_device.iommu */
	int ent_dwords;	/* arm_smmu_queue.ent_dwords */
};

/*
 * Driver struct offsets, in one walk over BTF's structs. v2 and v3 each
 * define struct arm_smmu_domain and struct arm_smmu_device; with both built
 * in, BTF holds two of each, so CO-RE cannot tell them apart. Tell them apart
 * here by members only one driver has.
 */
static void drv_offsets(const struct btf *btf, struct smt_drv_offs *v2, struct smt_drv_offs *v3,
			struct v3_evtq_offs *eo)
{
	int n = btf__type_cnt(btf), evtq_q = -1;

	for (int id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_struct(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name)
			continue;
		if (!strcmp(name, "arm_smmu_domain")) {
			/* v2: struct arm_smmu_cfg cfg; v3: none */
			struct smt_drv_offs *o = has_member(btf, t, "cfg") ? v2 : v3;

			o->dom_smmu = member_off(btf, t, "smmu");
			o->dom_domain = member_off(btf, t, "domain");
		} else if (!strcmp(name, "arm_smmu_device")) {
			/* v2 has context banks (num_context_banks), v3 a command queue */
			struct smt_drv_offs *o = has_member(btf, t, "cmdq") ? v3 :
						 has_member(btf, t, "num_context_banks") ? v2 : NULL;

			if (o)
				o->smmu_dev = member_off(btf, t, "dev");
			/* only the v3 arm_smmu_device has an event queue */
			if (has_member(btf, t, "evtq")) {
				eo->evtq = member_off(btf, t, "evtq");
				eo->iommu = member_off(btf, t, "iommu");
			}
		} else if (!strcmp(name, "arm_smmu_evtq")) {
			evtq_q = member_off(btf, t, "q");
		} else if (!strcmp(name, "arm_smmu_queue")) {
			eo->ent_dwords = member_off(btf, t, "ent_dwords");
		}
	}
	/* without them a fault still counts: no SMMU name, SIDs matched on any SMMU,
	 * and (no ent_dwords) a PRI queue record is not told apart */
	if (eo->evtq >= 0)
		eo->evtq = evtq_q >= 0 ? eo->evtq + evtq_q : -1;
}

/* Parameter count and index of a named parameter of function FN, or -1. */
static int func_params(const struct btf *btf, const char *fn, const char *param, int *idx)
{
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
	const struct btf_type *t;
	const struct btf_param *p;

	if (idx)
		*idx = -1;
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	p = btf_params(t);
	for (int i = 0; idx && param && i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, p[i].name_off);

		if (n && !strcmp(n, param))
			*idx = i;
	}
	return btf_vlen(t);
}

static bool tp_in_btf(const struct btf *btf, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) >= 0;
}

/*
 * Trampolines (fentry) are tried, never assumed: libbpf-tools'
 * fentry_can_attach() does the same. On the CI kernel the load fails with
 * EPERM (ftrace hooks refused); on arm64 6.1 with ENOTSUPP.
 */
static void probe_fentry(struct capture *c)
{
	int id = btf__find_by_name_kind(c->btf, "iommu_domain_free", BTF_KIND_FUNC);
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY);
	int fd, lfd;

	if (strcmp(c->btf_source, "/sys/kernel/btf/vmlinux")) {
		snprintf(c->fentry_note, sizeof(c->fentry_note),
			 "fentry: not tried (BTF from a file); kprobes used");
		return;
	}
	if (id < 0)
		id = btf__find_by_name_kind(c->btf, "schedule", BTF_KIND_FUNC);
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "smt_fentry", "GPL", insns, 2, &o);
	if (fd < 0) {
		snprintf(c->fentry_note, sizeof(c->fentry_note),
			 "fentry: kernel refused a trampoline (%s); kprobes used", strerror(errno));
		return;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0)
		snprintf(c->fentry_note, sizeof(c->fentry_note),
			 "fentry: attach failed (%s); kprobes used", strerror(errno));
	else
		snprintf(c->fentry_note, sizeof(c->fentry_note),
			 "fentry: works here; used for unique names (kprobes by address where "
			 "names are duplicated: fentry would bind the wrong copy)");
	c->fentry_ok = lfd >= 0;
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

static struct bpf_program *trace_prog(struct capture *c, const struct hook_res *r, bool ret)
{
	char name[160];

	snprintf(name, sizeof(name), "%s_%s", ret ? "fexit" : "fentry", r->symbol);
	return bpf_object__find_program_by_name(c->skel->obj, name);
}

/*
 * fentry/fexit (trampolines) for kprobe rows whose target is a unique,
 * unmangled name and that have fentry_<target> (+ fexit_<target>) programs:
 * a trampoline is not skipped when another BPF program runs on the CPU the
 * way a kprobe is. Twins (tests) keep the kprobe programs.
 */
static void choose_fentry(struct capture *c, const struct capture_opts *opts)
{
	if (!c->fentry_ok || opts->load_twins || getenv("SMMUTRACE_NO_FENTRY"))
		return;
	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &c->res[i];
		const struct hook_cand *k;

		if (r->def->kind != HOOK_KPROBE || r->status != HOOK_RESOLVED || r->by_addr ||
		    strchr(r->symbol, '.'))
			continue;
		k = &r->def->cands[r->cand];
		/* a trampoline binds through the target's BTF FUNC (vmlinux only here) */
		if (btf__find_by_name_kind(c->btf, r->symbol, BTF_KIND_FUNC) < 0)
			continue;
		/* a row with a return program may have its fexit alone: it reads the
		 * arguments itself (bpf_get_func_arg), one program run per call */
		if (!trace_prog(c, r, false) && !(k->ret_prog && trace_prog(c, r, true)))
			continue;
		if (k->ret_prog && !trace_prog(c, r, true))
			continue;
		r->fentry = true;
		snprintf(r->method, sizeof(r->method), "fentry");
	}
}

static bool any_fentry(const struct capture *c)
{
	for (int i = 0; i < hook_table_len; i++)
		if (c->res[i].fentry)
			return true;
	return false;
}

/* ---- environment ---- */
static int check_env(const struct capture_opts *opts, char *err, size_t errlen)
{
	char buf[256] = "";
	FILE *f;

	if (geteuid() != 0) {
		snprintf(err, errlen, "must run as root: BPF programs and kernel symbol addresses "
			 "need CAP_BPF, CAP_PERFMON and CAP_SYSLOG; run it with sudo");
		return -EPERM;
	}
	if (!opts->btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "kernel BTF not found (/sys/kernel/btf/vmlinux): use a kernel "
			 "built with CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE (see 'smmutrace probe "
			 "--help' for making one with bpftool gen min_core_btf)");
		return -ENOENT;
	}
	f = fopen("/sys/kernel/security/lockdown", "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && strstr(buf, "[confidentiality]")) {
			fclose(f);
			snprintf(err, errlen, "kernel lockdown is in confidentiality mode: BPF may not "
				 "read kernel memory; boot with lockdown=integrity (or none) to trace");
			return -EPERM;
		}
		fclose(f);
	}
	return 0;
}

/* ---- hook selection ---- */
/* a primary row, or a fallback preferred to its group's primaries (prefer_trampoline) */
static bool is_primary(const struct capture *c, int i)
{
	return !hook_table[i].fallback || c->res[i].preferred;
}

static bool group_attached(const struct capture *c, const char *group)
{
	for (int i = 0; i < hook_table_len; i++)
		if (is_primary(c, i) && !strcmp(hook_table[i].group, group) &&
		    c->res[i].status == HOOK_ATTACHED)
			return true;
	return false;
}

/*
 * The driver's map_pages callbacks (v2's and v3's copies): the core hooks keep
 * the domains whose ops->map_pages is one of them (smmu_domain() in BPF).
 * Only from arm_smmu_map_pages, whose address is the callback's.
 */
/*
 * Entry state in task-local storage (bpf task_state): needs the map type and,
 * in kprobe programs (which share the handlers), bpf_task_storage_get and
 * bpf_get_current_task_btf (on the board: 6.1, 6.12, 7.2). Elsewhere, or with
 * SMMUTRACE_NO_TASK_STATE set, the LRU hashes as before, and the storage map
 * becomes a one-slot array nothing uses (5.10 has no such map type).
 */
static void choose_entry_state(struct capture *c)
{
	struct bpf_map *m = c->skel->maps.task_pend;
	const char *why = NULL;

	if (getenv("SMMUTRACE_NO_TASK_STATE"))
		why = "SMMUTRACE_NO_TASK_STATE is set";
	else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1)
		why = "no task storage maps (5.11+)";
	else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get,
					 NULL) != 1 ||
		 libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_current_task_btf,
					 NULL) != 1)
		why = "this kernel's kprobe programs cannot use task storage";
	c->task_state = !why;
	c->skel->rodata->task_state = c->task_state;
	if (why) {
		snprintf(c->state_note, sizeof(c->state_note),
			 "entry state: LRU hashes (%s)", why);
		bpf_map__set_type(m, BPF_MAP_TYPE_ARRAY);
		bpf_map__set_map_flags(m, 0);
		bpf_map__set_max_entries(m, 1);
	} else {
		snprintf(c->state_note, sizeof(c->state_note),
			 "entry state: task-local storage (LRU hashes when it cannot be had)");
	}
}

static void set_smmu_map_fns(struct capture *c)
{
	int n = 0;

	for (int i = 0; i < hook_table_len && n < 2; i++) {
		const struct hook_res *r = &c->res[i];

		if (strcmp(r->def->group, "map") || r->def->drv == HOOK_DRV_ANY ||
		    r->status != HOOK_RESOLVED || strcmp(r->symbol, "arm_smmu_map_pages"))
			continue;
		c->skel->rodata->smmu_map_fn[n++] = r->addr;
	}
}

static struct bpf_program *prog_by_name(struct capture *c, const char *name)
{
	return bpf_object__find_program_by_name(c->skel->obj, name);
}

static bool obj_has_prog(void *obj, const char *name)
{
	return bpf_object__find_program_by_name(obj, name) != NULL;
}

/* tp_btf_X -> raw_tp_X */
static struct bpf_program *tp_prog(struct capture *c, const struct hook_res *r, bool btf)
{
	char name[96];
	const char *e = r->def->cands[r->cand].entry_prog;

	if (btf)
		return prog_by_name(c, e);
	snprintf(name, sizeof(name), "raw_tp_%s", e + strlen("tp_btf_"));
	return prog_by_name(c, name);
}

/*
 * Does the kernel have tracepoint TP? tracefs knows; without tracefs we
 * cannot tell, and the raw_tp attach will say.
 */
static int tp_exists(const char *tp)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	char pattern[256];
	glob_t g;
	int found;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (access(roots[i], R_OK))
			continue;
		snprintf(pattern, sizeof(pattern), "%s/*/%s", roots[i], tp);
		found = glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0 && g.gl_pathc > 0;
		globfree(&g);
		return found;
	}
	return -1;
}

/*
 * tp_btf needs the tracepoint in the *kernel's* BTF (libbpf resolves the
 * attach target there, even with --btf); without it the raw_tp twin of the
 * same handler attaches by tracepoint name. SMMUTRACE_NO_TP_BTF=1 forces
 * the raw_tp path (tests use it on kernels that have BTF).
 */
static void resolve_tps(struct capture *c)
{
	bool kernel_btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0 && !getenv("SMMUTRACE_NO_TP_BTF");

	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &c->res[i];
		const char *tp = r->def->cands[0].target;

		if (r->def->kind != HOOK_TP)
			continue;
		r->cand = 0;
		snprintf(r->symbol, sizeof(r->symbol), "%s", tp);
		/* with kernel BTF, its btf_trace_* typedefs list every tracepoint */
		if (kernel_btf ? tp_in_btf(c->btf, tp) : false) {
			r->status = HOOK_RESOLVED;
			snprintf(r->method, sizeof(r->method), "tp_btf");
		} else if (!kernel_btf && tp_exists(tp) != 0) {
			r->status = HOOK_RESOLVED;
			snprintf(r->method, sizeof(r->method), "raw_tp");
		} else {
			r->status = HOOK_MISSING;
			snprintf(r->reason, sizeof(r->reason), "no tracepoint %s in this kernel", tp);
		}
	}
}

/* Force the pre-6.9 rpm_return_int folding (tests it on kernels that have rpm_status). */
static void force_rpm_fold(struct capture *c)
{
	for (int i = 0; i < hook_table_len; i++)
		if (!strcmp(c->res[i].def->hook, "rpm") && c->res[i].status == HOOK_RESOLVED) {
			c->res[i].status = HOOK_SKIPPED;
			snprintf(c->res[i].reason, sizeof(c->res[i].reason), "rpm_return_int folding asked for");
		}
}

static void set_autoload(struct capture *c, bool twins)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, c->skel->obj)
		bpf_program__set_autoload(p, twins && !strncmp(bpf_program__name(p), "twin_", 5));
	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &c->res[i];
		const struct hook_cand *k;

		if (r->status != HOOK_RESOLVED)
			continue;
		k = &r->def->cands[r->cand];
		if (r->fentry) {
			for (int ret = 0; ret < 2; ret++) {
				if (ret && !k->ret_prog)
					break;
				p = trace_prog(c, r, ret);
				if (!p)		/* fexit alone (choose_fentry) */
					continue;
				bpf_program__set_autoload(p, true);
				bpf_program__set_attach_target(p, 0, r->symbol);
			}
			/* the kprobes too: the stand-in if the trampoline will not attach */
		}
		if (r->def->kind == HOOK_TP) {
			p = tp_prog(c, r, strcmp(r->method, "raw_tp") != 0);
		} else {
			p = prog_by_name(c, k->entry_prog);
			if (k->ret_prog && prog_by_name(c, k->ret_prog))
				bpf_program__set_autoload(prog_by_name(c, k->ret_prog), true);
		}
		if (p)
			bpf_program__set_autoload(p, true);
	}
	if (twins) {
		/* the raw_tp variants of the tracepoints are twins too */
		bpf_object__for_each_program(p, c->skel->obj)
			if (!strncmp(bpf_program__name(p), "raw_tp_", 7))
				bpf_program__set_autoload(p, true);
	}
}

static int add_link(struct capture *c, struct bpf_link *l)
{
	if (!l)
		return -errno ? -errno : -EINVAL;
	if (c->nlinks >= (int)(sizeof(c->links) / sizeof(c->links[0]))) {
		bpf_link__destroy(l);
		return -E2BIG;
	}
	c->links[c->nlinks++] = l;
	return 0;
}

static int tracefs_append(const char *dir, const char *file, const char *line)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* Events a killed capture left behind (smmutrace/smt<PID>_<n>, PID gone): removed. */
static void remove_stale_kprobes(const char *tracefs)
{
	char path[256], line[512], ev[96], rm[128];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* "p:smmutrace/smt123_4 0x..." or "r16:smmutrace/smt123_5 sym" */
		char *g = strstr(line, ":smmutrace/smt");

		if (!g || sscanf(g + 11, "%95[^ \n]", ev) != 1 || sscanf(ev, "smt%d_", &pid) != 1)
			continue;
		if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(rm, sizeof(rm), "-:smmutrace/%s\n", ev);
		tracefs_append(tracefs, "kprobe_events", rm);
	}
	fclose(f);
}

/*
 * A kprobe made through tracefs, as libbpf's legacy mode does. Why not
 * libbpf's perf-PMU kprobe: a kprobe that hits while a kretprobe handler runs
 * on the same CPU (IRQs are on there; an IRQ-context unmap during a map's
 * return handler, seen on arm64 6.1) is skipped by the kprobe layer and
 * counted only in its nmissed, which kprobe_profile shows for tracefs kprobes
 * and nothing shows for perf-PMU ones. Counted, it becomes a lost event.
 */
static struct bpf_link *attach_kprobe_tracefs(struct capture *c, struct bpf_program *p,
					      const struct hook_res *r, bool ret)
{
	struct perf_event_attr attr;
	struct bpf_link *l;
	char line[320], path[256], id[32], kind[8] = "p";
	int n = c->nkp, pfd, err;

	/*
	 * kretprobe instances: the default without CONFIG_PREEMPTION (Debian's
	 * 5.10 and 6.1) is one per possible CPU, so a call overlapping another
	 * of the same function (an IRQ-context unmap during a task's) would lose
	 * its return, counted only in rp.nmissed, which older kprobe_profiles omit.
	 */
	if (ret)
		snprintf(kind, sizeof(kind), "r%d", c->ncpus * 4 < 64 ? 64 :
			 c->ncpus * 4 > 4096 ? 4096 : c->ncpus * 4);
	if (r->by_addr)
		snprintf(line, sizeof(line), "%s:smmutrace/%s%d 0x%llx\n", kind, c->kp_prefix, n,
			 r->addr);
	else
		snprintf(line, sizeof(line), "%s:smmutrace/%s%d %s\n", kind, c->kp_prefix, n,
			 r->symbol);
	err = tracefs_append(c->tracefs, "kprobe_events", line);
	if (err) {
		errno = -err;
		return NULL;
	}
	c->nkp++;
	snprintf(path, sizeof(path), "%s/events/smmutrace/%s%d/id", c->tracefs, c->kp_prefix, n);
	err = capture__read_line(path, id, sizeof(id));
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = err ? 0 : strtoull(id, NULL, 10);
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	pfd = err ? -1 : syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = err ? err : -errno;
		errno = -err;
		return NULL;
	}
	l = bpf_program__attach_perf_event(p, pfd);
	if (!l) {
		err = -errno;
		close(pfd);
		errno = -err;
	}
	return l;
}

static struct bpf_link *attach_kprobe(struct capture *c, struct bpf_program *p,
				      const struct hook_res *r, bool ret)
{
	LIBBPF_OPTS(bpf_kprobe_opts, o, .retprobe = ret);
	struct bpf_link *l;

	if (c->tracefs) {
		l = attach_kprobe_tracefs(c, p, r, ret);
		if (l)
			return l;
		pr_debug("tracefs kprobe on %s: %s; libbpf's used, its misses cannot be counted\n",
			 r->symbol, strerror(errno));
	}
	c->kp_uncounted++;
	if (r->by_addr) {
		/* libbpf 1.1: no name + offset = absolute address (perf kprobe PMU) */
		o.offset = r->addr;
		return bpf_program__attach_kprobe_opts(p, NULL, &o);
	}
	return bpf_program__attach_kprobe_opts(p, r->symbol, &o);
}

/* destroy the links made since there were NL (a hook attaches whole or not at all) */
static void drop_links_to(struct capture *c, int nl)
{
	while (c->nlinks > nl)
		bpf_link__destroy(c->links[--c->nlinks]);
}

/*
 * R's fentry and fexit programs attached (an fentry may be absent: a row's
 * fexit alone reads the arguments itself). 0, or -errno with none of them
 * left attached.
 */
static int attach_trampolines(struct capture *c, const struct hook_res *r)
{
	struct bpf_program *p = trace_prog(c, r, false);
	int nl = c->nlinks;
	int err = p ? add_link(c, bpf_program__attach_trace(p)) : 0;

	if (!err && r->def->cands[r->cand].ret_prog)
		err = add_link(c, bpf_program__attach_trace(trace_prog(c, r, true)));
	if (err)
		drop_links_to(c, nl);
	return err;
}

static void attach_one(struct capture *c, struct hook_res *r)
{
	const struct hook_cand *k = &r->def->cands[r->cand];
	struct bpf_program *p;
	int nl = c->nlinks, err;

	if (r->def->kind == HOOK_TP) {
		bool btf = strcmp(r->method, "raw_tp") != 0;

		p = tp_prog(c, r, btf);
		err = add_link(c, bpf_program__attach(p));
		if (err) {
			r->status = HOOK_FAILED;
			snprintf(r->reason, sizeof(r->reason), "%s attach: %s", btf ? "tp_btf" : "raw_tp",
				 strerror(-err));
			return;
		}
		r->status = HOOK_ATTACHED;
		return;
	}
	if (r->fentry) {
		err = attach_trampolines(c, r);
		if (!err) {
			r->status = HOOK_ATTACHED;
			return;
		}
		/* e.g. a function ftrace may not patch: the same handlers by kprobe */
		r->fentry = false;
		snprintf(r->method, sizeof(r->method), "kprobe");
		snprintf(r->reason, sizeof(r->reason), "fentry attach: %s; kprobe used",
			 strerror(-err));
	}
	p = prog_by_name(c, k->entry_prog);
	err = add_link(c, attach_kprobe(c, p, r, false));
	if (!err && k->ret_prog)
		err = add_link(c, attach_kprobe(c, prog_by_name(c, k->ret_prog), r, true));
	if (err) {
		drop_links_to(c, nl);
		r->status = HOOK_FAILED;
		if (access("/sys/bus/event_source/devices/kprobe", F_OK) &&
		    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
		    access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
			snprintf(r->reason, sizeof(r->reason),
				 "kprobe attach: %s (kernel has no kprobes: CONFIG_KPROBES off)",
				 strerror(-err));
		else if (r->by_addr)
			snprintf(r->reason, sizeof(r->reason), "kprobe at 0x%llx: %s", r->addr,
				 strerror(-err));
		else
			snprintf(r->reason, sizeof(r->reason), "kprobe attach: %s", strerror(-err));
		return;
	}
	r->status = HOOK_ATTACHED;
}

static void attach_all(struct capture *c)
{
	/* preferred rows first: where one does not attach by trampoline, the
	 * rows it replaced are attached instead (their kprobes cost the same) */
	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &c->res[i];
		int err;

		if (!r->preferred || r->status != HOOK_RESOLVED)
			continue;
		err = attach_trampolines(c, r);
		if (!err) {
			r->status = HOOK_ATTACHED;
			c->st.attached++;
			continue;
		}
		hooks__unprefer(c->res, i);
		r->fentry = false;
		snprintf(r->method, sizeof(r->method), "%s", r->by_addr ? "kprobe@addr" : "kprobe");
		snprintf(r->reason, sizeof(r->reason), "fentry attach: %s; the driver hooks instead",
			 strerror(-err));
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < hook_table_len; i++) {
			struct hook_res *r = &c->res[i];

			if (r->status != HOOK_RESOLVED || is_primary(c, i) != (pass == 0))
				continue;
			if (pass == 1 && group_attached(c, r->def->group)) {
				r->status = HOOK_SKIPPED;
				snprintf(r->reason, sizeof(r->reason), "not needed: primary %s hook attached",
					 r->def->group);
				continue;
			}
			attach_one(c, r);
			if (r->status == HOOK_ATTACHED)
				c->st.attached++;
		}
	}
}

static int add_gate_name(int fd, const struct gate_ref *gr)
{
	char key[SMT_NAME_LEN] = "";
	__u32 bits = 0;

	snprintf(key, sizeof(key), "%s", gr->name);
	bpf_map_lookup_elem(fd, key, &bits);
	bits |= gr->kind == GATE_CLK ? SMT_GATE_CLK :
		gr->kind == GATE_PD ? SMT_GATE_PD : SMT_GATE_RPM;
	return bpf_map_update_elem(fd, key, &bits, BPF_ANY) ? -errno : 0;
}

static int fill_gate_names(struct capture *c, const struct topology *t)
{
	int fd = bpf_map__fd(c->skel->maps.gate_names), err;

	for (int i = 0; t && i < t->ntbus; i++)
		for (int g = 0; g < t->tbus[i].ngates; g++)
			if ((err = add_gate_name(fd, &t->tbus[i].gates[g])))
				return err;
	/* the SMMUs' own gates (default rpm:NAME): what-if replay needs them recorded */
	for (int i = 0; t && i < t->nsmmus; i++)
		for (int g = 0; g < t->smmus[i].ngates; g++)
			if ((err = add_gate_name(fd, &t->smmus[i].gates[g])))
				return err;
	return 0;
}

/* ---- ring buffer ---- */
/* the slot the next arrival is written into, or NULL (counted as lost) */
static struct pending_ev *next_slot(struct capture *c)
{
	if (c->n == c->cap && c->head) {
		/* released events are left in front (no move per release): drop them now */
		memmove(c->buf, c->buf + c->head, (c->n - c->head) * sizeof(*c->buf));
		c->n -= c->head;
		c->head = 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct pending_ev *nb;

		/* consumer hopelessly behind: count as lost, never grow unbounded */
		if (cap > (64u << 20) / sizeof(*nb))
			return NULL;
		nb = realloc(c->buf, cap * sizeof(*nb));
		if (!nb)
			return NULL;
		c->buf = nb;
		c->cap = cap;
	}
	return &c->buf[c->n];
}

/* Take the event written into next_slot() and put it in (ts, seq) order. */
static void commit_slot(struct capture *c)
{
	size_t i = c->n++, j = i;
	uint64_t ts = c->buf[i].ev.ts;
	struct pending_ev tmp;

	c->buf[i].seq = c->seq++;
	if (c->unsorted || j == c->head || c->buf[j - 1].ev.ts <= ts)
		return;
	/* after every pending event with ts <= its own: the order qsort by (ts, seq) gives */
	while (j > c->head && c->buf[j - 1].ev.ts > ts && i - j < INSERT_MAX)
		j--;
	if (j > c->head && c->buf[j - 1].ev.ts > ts) {
		c->unsorted = true;
		return;
	}
	tmp = c->buf[i];
	memmove(c->buf + j + 1, c->buf + j, (i - j) * sizeof(*c->buf));
	c->buf[j] = tmp;
}

static int push(struct capture *c, const struct smt_event *ev)
{
	struct pending_ev *p = next_slot(c);

	if (!p)
		return -ENOMEM;
	p->ev = *ev;
	commit_slot(c);
	return 0;
}

int capture__inject(struct capture *c, const struct smt_event *ev)
{
	return push(c, ev);
}

/* the name held for DEV, or NULL */
static struct dev_name *find_dev_name(struct capture *c, uint64_t dev)
{
	for (int i = 0; i < c->nnames; i++)
		if (c->names[i].dev == dev)
			return &c->names[i];
	return NULL;
}

static void on_dev_name(struct capture *c, const struct smt_rec_name *r)
{
	struct dev_name *n = find_dev_name(c, r->dev);

	if (!n && c->nnames < SMT_DEV_NAMES) {
		n = &c->names[c->nnames++];
	} else if (!n) {
		/* more devices than slots: those past the kernel side's SMT_SEEN_DEVS
		 * are named again with every record, so only they may go */
		n = &c->names[SMT_SEEN_DEVS + c->name_next];
		c->name_next = (c->name_next + 1) % (SMT_DEV_NAMES - SMT_SEEN_DEVS);
	}
	n->dev = r->dev;
	memcpy(n->name, r->name, SMT_NAME_LEN);
	n->name[SMT_NAME_LEN - 1] = 0;
}

/*
 * The reorder slot of one of an smt_rec_inval's events, holding the fields
 * they share, or NULL (counted as lost). Written in place, as on_record()
 * does: no event on the stack copied in afterwards. commit_slot() it before
 * the next slot is taken.
 */
static struct smt_event *inval_event(struct capture *c, const struct smt_rec_inval *r,
				     const char *smmu, unsigned int type, uint64_t ts, int cpu)
{
	struct pending_ev *p = next_slot(c);
	struct smt_event *ev;

	if (!p) {
		c->user_lost++;
		return NULL;
	}
	ev = &p->ev;
	/* everything but the SMMU name, which is copied over when there is one */
	memset(ev, 0, offsetof(struct smt_event, smmu));
	memset(ev->name, 0, sizeof(*ev) - offsetof(struct smt_event, name));
	ev->ts = ts;
	ev->type = type;
	ev->present = SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM;
	ev->cpu = cpu;
	ev->pid = r->pid;
	memcpy(ev->comm, r->comm, SMT_COMM_LEN);
	if (smmu) {
		memcpy(ev->smmu, smmu, SMT_NAME_LEN);
		ev->present |= SMT_HAS_SMMU;
	} else {
		memset(ev->smmu, 0, SMT_NAME_LEN);
	}
	return ev;
}

/* Split a TLBI/sync record back into the events it stands for, in issue order. */
static void on_inval(struct capture *c, const struct smt_rec_inval *r, size_t size)
{
	const char *smmu = NULL;
	struct smt_event *ev;

	if (r->ntlbi > SMT_INVAL_MAX_TLBI || size < SMT_REC_INVAL_SIZE(r->ntlbi)) {
		c->user_lost++;	/* never sent by our programs: counted, not guessed at */
		return;
	}
	if (r->smmu) {
		const struct dev_name *n = find_dev_name(c, r->smmu);

		smmu = n ? n->name : NULL;
		/* the kernel side sends the name first or drops the record */
		if (!smmu)
			pr_debug("SMMU device 0x%llx never named\n", (unsigned long long)r->smmu);
	}
	for (int i = 0; i < r->ntlbi; i++) {
		const struct smt_inval_tlbi *t = &r->tlbi[i];

		ev = inval_event(c, r, smmu, SMT_EV_TLBI, t->ts, r->tlbi_cpu);
		if (!ev)
			continue;
		ev->scope = t->scope;
		if (t->domain) {
			ev->domain = t->domain;
			ev->present |= SMT_HAS_DOMAIN;
		}
		if (t->scope == SMT_TLBI_VA) {
			ev->iova = t->iova;
			ev->size = t->size;
			ev->present |= SMT_HAS_IOVA | SMT_HAS_SIZE;
		}
		commit_slot(c);
	}
	if (!(r->flags & SMT_INVAL_SYNC))
		return;
	ev = inval_event(c, r, smmu, SMT_EV_SYNC, r->ts, r->cpu);
	if (!ev)
		return;
	ev->scope = r->sync_scope;
	ev->dur = r->dur;
	ev->present |= SMT_HAS_DUR;
	if (r->flags & SMT_INVAL_HAS_TIMEOUT) {
		ev->timeout = !!(r->flags & SMT_INVAL_TIMEOUT);
		ev->present |= SMT_HAS_TIMEOUT;
	}
	if (r->sync_domain) {
		ev->domain = r->sync_domain;
		ev->present |= SMT_HAS_DOMAIN;
	}
	commit_slot(c);
}

/* the record (a prefix of struct smt_event) straight into its reorder slot;
 * TLBI/sync records are split into their events, name records kept */
static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	struct pending_ev *p;
	size_t n = size < sizeof(p->ev) ? size : sizeof(p->ev);
	__u16 type;

	if (c->discard)
		return 0;
	if (size < SMT_EVENT_SIZE_NUMERIC && size < SMT_REC_INVAL_SIZE(0))
		return 0;
	memcpy(&type, (char *)data + offsetof(struct smt_event, type), sizeof(type));
	if (type == SMT_REC_DEV_NAME && size >= sizeof(struct smt_rec_name)) {
		on_dev_name(c, data);
		return 0;
	}
	if (type == SMT_REC_INVAL) {
		on_inval(c, data, size);
		return 0;
	}
	if (size < SMT_EVENT_SIZE_NUMERIC)
		return 0;
	p = next_slot(c);
	if (!p) {
		c->user_lost++;
		return 0;
	}
	memcpy(&p->ev, data, n);
	memset((char *)&p->ev + n, 0, sizeof(p->ev) - n);
	commit_slot(c);
	return 0;
}

void capture__feed_record(struct capture *c, void *data, size_t size)
{
	on_record(c, data, size);
}

/*
 * No BPF map syscall while tracing: BPF_MAP_LOOKUP_ELEM raises bpf_prog_active
 * on its CPU, and a kprobe program that fires meanwhile (an IRQ-context unmap)
 * is skipped, silently before 6.7. Hence the mmap-able stats array.
 */
static uint64_t stat_sum(struct capture *c, __u32 slot)
{
	uint64_t sum = 0;

	for (int i = 0; c->stats && i < c->ncpus; i++)
		sum += c->stats[i * SMT_STAT_STRIDE + slot];
	return sum;
}

_Static_assert(SMT_STAT_MAX <= SMT_STAT_STRIDE, "a CPU's stats slots overflow its stride");
_Static_assert(SMT_SEEN_DEVS < SMT_DEV_NAMES, "the consumer forgets no name the kernel side holds");

static int map_stats(struct capture *c)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)c->ncpus * SMT_STAT_STRIDE * sizeof(__u64);
	void *p;

	c->stats_len = (len + page - 1) / page * page;
	p = mmap(NULL, c->stats_len, PROT_READ, MAP_SHARED, bpf_map__fd(c->skel->maps.stats), 0);
	if (p == MAP_FAILED)
		return -errno;
	c->stats = p;
	return 0;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending_ev *x = a, *y = b;

	if (x->ev.ts != y->ev.ts)
		return x->ev.ts < y->ev.ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand out events with ts < CUTOFF in ts order; later arrivals are clamped. */
static void release(struct capture *c, uint64_t cutoff, capture_event_fn fn, void *ctx)
{
	size_t i;

	if (c->head == c->n)
		return;
	if (c->unsorted) {
		qsort(c->buf + c->head, c->n - c->head, sizeof(*c->buf), cmp_pending);
		c->unsorted = false;
	}
	for (i = c->head; i < c->n && c->buf[i].ev.ts < cutoff; i++) {
		struct smt_event *ev = &c->buf[i].ev;

		if (c->any_out && ev->ts < c->last_ts) {
			ev->ts = c->last_ts;
			c->st.reordered++;
		}
		c->last_ts = ev->ts;
		c->any_out = true;
		c->st.events++;
		fn(ev, ctx);
	}
	c->head = i;
	if (c->head == c->n)
		c->head = c->n = 0;
}

static int kprobe_profile(struct capture *c, uint64_t *hits, uint64_t *missed)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/kprobe_profile", c->tracefs);
	return capture_state__kprobe_profile(path, c->kp_prefix, hits, missed);
}

/*
 * The kprobe layer's misses, and hits whose program never ran (kp_counting):
 * hits less the runs read right after them. A hit whose program is still
 * running on another CPU looks skipped at one look only; a skipped one stays
 * skipped, so only what two looks in a row agree on is counted.
 */
static void read_kprobe_profile(struct capture *c, bool force)
{
	uint64_t hits, missed, d, agreed;

	for (int look = 0; look < (force ? 2 : 1); look++) {
		if (look)
			usleep(20000);	/* the last look: confirm it now, no later one comes */
		if (kprobe_profile(c, &hits, &missed))
			return;
		if (missed > c->kprobe_misses)
			c->kprobe_misses = missed;
		if (!c->kp_counting)
			return;
		d = capture_state__kprobe_skipped(c->kp_hits_base, c->kp_runs_base, hits,
						  stat_sum(c, SMT_STAT_KPROBE_RUNS));
		agreed = d < c->kp_skip_prev ? d : c->kp_skip_prev;
		if (agreed > c->kprobe_skipped)
			c->kprobe_skipped = agreed;
		c->kp_skip_prev = d;
	}
}

/*
 * Runs of our programs the kernel skipped: a kprobe that fires while another
 * BPF program runs on that CPU (an IRQ-context unmap, say) is not run at all
 * and only counted in the program's recursion_misses (5.12+; seen on arm64
 * 6.12). Each skipped run is a lost event. Read at most every 100 ms: it is
 * one syscall per loaded program.
 */
static void read_recursion_misses(struct capture *c, uint64_t now, bool force)
{
	struct bpf_program *p;
	uint64_t sum = 0;

	if (!force && now - c->misses_read_ns < 100000000ull)
		return;
	c->misses_read_ns = now;
	bpf_object__for_each_program(p, c->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		/* kprobe programs' skips (6.7+) are among the hits they never ran for */
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    !(c->kp_counting && info.type == BPF_PROG_TYPE_KPROBE))
			sum += info.recursion_misses;
	}
	if (sum > c->recursion_misses)
		c->recursion_misses = sum;
	if (c->tracefs && c->nkp)
		read_kprobe_profile(c, force);
}

/* New kernel-side drops become one `lost` event at the point they were noticed. */
static void check_lost(struct capture *c, uint64_t ts, bool force)
{
	uint64_t drops, now = now_ns();
	struct smt_event ev;

	read_recursion_misses(c, now, force);
	/* commands past what one program run could read are lost TLBIs */
	drops = stat_sum(c, SMT_STAT_DROPS) + stat_sum(c, SMT_STAT_CMDQ_UNREAD) +
		stat_sum(c, SMT_STAT_PEND_CLOBBER) + c->user_lost +
		c->recursion_misses + c->kprobe_misses + c->kprobe_skipped;

	if (drops <= c->lost_seen)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMT_EV_LOST;
	ev.ts = ts;
	ev.count = drops - c->lost_seen;
	if (push(c, &ev))
		return;	/* reported with the next one */
	c->lost_seen = drops;
	c->st.lost = drops;
}

int capture__poll(struct capture *c, int timeout_ms, capture_event_fn fn, void *ctx)
{
	uint64_t now;
	int err;

	err = ring_buffer__poll(c->rb, timeout_ms);
	if (err < 0 && err != -EINTR)
		return err;
	/* records submitted with BPF_RB_NO_WAKEUP are not signalled: always consume */
	err = ring_buffer__consume(c->rb);
	if (err < 0 && err != -EINTR)
		return err;
	now = now_ns();
	check_lost(c, now > c->reorder_ns ? now - c->reorder_ns : 0, false);
	release(c, now > c->reorder_ns ? now - c->reorder_ns : 0, fn, ctx);
	return 0;
}

int capture__drain(struct capture *c, capture_event_fn fn, void *ctx)
{
	int err = ring_buffer__consume(c->rb);

	check_lost(c, now_ns(), true);
	release(c, UINT64_MAX, fn, ctx);
	return err < 0 ? err : 0;
}

void capture__stats(struct capture *c, struct capture_stats *s)
{
	c->st.filtered = stat_sum(c, SMT_STAT_FILTERED);
	c->st.wakeups = stat_sum(c, SMT_STAT_WAKEUPS);
	c->st.tlbi_no_domain = stat_sum(c, SMT_STAT_CMDQ_NODOMAIN);
	c->st.cmdq_other = stat_sum(c, SMT_STAT_CMDQ_OTHER);
	c->st.evtq_other = stat_sum(c, SMT_STAT_EVTQ_OTHER);
	*s = c->st;
}

const struct hook_res *capture__hooks(const struct capture *c)
{
	return c->res;
}

const char *capture__btf_source(const struct capture *c)
{
	return c->btf_source;
}

const char *capture__fentry_note(const struct capture *c)
{
	return c->fentry_note;
}

const char *capture__state_note(const struct capture *c)
{
	return c->state_note;
}

const char *capture__layout_note(const struct capture *c)
{
	return c->layout_note;
}

struct smmutrace_bpf *capture__skel(struct capture *c)
{
	return c->skel;
}

int capture__progs(const struct capture *c, struct capture_prog *out, int max)
{
	struct bpf_program *prog;
	int n = 0;

	if (!c->skel || !c->skel->obj)
		return 0;
	bpf_object__for_each_program(prog, c->skel->obj) {
		int fd = bpf_program__fd(prog);

		if (n == max)
			break;
		/* programs not loaded (hooks this kernel lacks) have no fd */
		if (fd < 0)
			continue;
		out[n++] = (struct capture_prog){ bpf_program__name(prog), fd };
	}
	return n;
}

char *capture__hooks_json(const struct capture *c)
{
	struct jsonw *w = jsonw__new_mem();

	if (!w)
		return NULL;
	jsonw__arr_begin(w);
	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_res *r = &c->res[i];

		jsonw__obj_begin(w);
		jsonw__kv_str(w, "hook", r->def->hook);
		jsonw__kv_str(w, "event", r->def->event);
		jsonw__kv_str(w, "target", r->symbol[0] ? r->symbol : r->def->cands[0].target);
		jsonw__kv_str(w, "method", r->method[0] ? r->method : "-");
		if (r->addr)
			jsonw__kv_hex(w, "addr", r->addr);
		jsonw__kv_str(w, "status", hooks__status_name(r->status));
		jsonw__kv_bool(w, "fallback", r->def->fallback);
		jsonw__kv_str(w, "reason", r->reason);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	return jsonw__mem_take(w);
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	if (c->count_only && c->skel && c->skel->obj && bpf_map__fd(c->skel->maps.stats) >= 0)
		pr_info("count-only: %llu BPF program runs counted, no event captured\n",
			(unsigned long long)stat_sum(c, SMT_STAT_COUNT_ONLY));
	ring_buffer__free(c->rb);
	while (c->nlinks > 0)
		bpf_link__destroy(c->links[--c->nlinks]);
	for (int i = 0; i < c->nkp; i++) {
		char line[96];

		snprintf(line, sizeof(line), "-:smmutrace/%s%d\n", c->kp_prefix, i);
		tracefs_append(c->tracefs, "kprobe_events", line);
	}
	if (c->stats)
		munmap((void *)c->stats, c->stats_len);
	smmutrace_bpf__destroy(c->skel);
	btf__free(c->btf);
	free(c->buf);
	free(c);
}

int capture__open(struct capture **out, const struct capture_opts *opts, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct smt_drv_offs v2, v3;
	struct v3_evtq_offs eo = { -1, -1, -1 };
	struct ksyms *ks = NULL;
	uint64_t missed;
	struct capture *c;
	size_t rb_bytes = opts->ringbuf_bytes ? opts->ringbuf_bytes : DEFAULT_RINGBUF;
	int ret, nparams, idx;

	ret = check_env(opts, err, errlen);
	if (ret)
		return ret;
	libbpf_set_print(libbpf_print);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->reorder_ns = opts->reorder_ns ? opts->reorder_ns : DEFAULT_REORDER_NS;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		c->ncpus = 1;
	/* kprobes through tracefs where it is writable (attach_kprobe_tracefs) */
	if (!getenv("SMMUTRACE_NO_TRACEFS_KPROBES")) {
		if (!access("/sys/kernel/tracing/kprobe_events", W_OK))
			c->tracefs = "/sys/kernel/tracing";
		else if (!access("/sys/kernel/debug/tracing/kprobe_events", W_OK))
			c->tracefs = "/sys/kernel/debug/tracing";
	}
	if (c->tracefs)
		remove_stale_kprobes(c->tracefs);
	snprintf(c->kp_prefix, sizeof(c->kp_prefix), "smt%d_", (int)getpid());
	if ((int)(sizeof(c->res) / sizeof(c->res[0])) < hook_table_len) {
		snprintf(err, errlen, "internal: hook table too long");
		ret = -E2BIG;
		goto fail;
	}

	snprintf(c->btf_source, sizeof(c->btf_source), "%s",
		 opts->btf_path ? opts->btf_path : "/sys/kernel/btf/vmlinux");
	c->btf = opts->btf_path ? btf__parse(opts->btf_path, NULL) : btf__load_vmlinux_btf();
	if (!c->btf) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read BTF: %s; %s", c->btf_source, strerror(errno),
			 opts->btf_path ? "give the BTF of the running kernel (a raw .btf file)" :
			 "pass --btf FILE");
		c->btf = NULL;
		goto fail;
	}

	ret = ksyms__load_path(&ks, opts->kallsyms_path ? opts->kallsyms_path : "/proc/kallsyms",
			       err, errlen);
	if (ret)
		goto fail;
	if (ksyms__addrs_hidden(ks)) {
		snprintf(err, errlen, "/proc/kallsyms shows only zero addresses: run as root, or set "
			 "sysctl kernel.kptr_restrict=0");
		ret = -EPERM;
		goto fail;
	}
	hooks__resolve(ks, c->res);
	resolve_tps(c);
	probe_fentry(c);

	oo.btf_custom_path = opts->btf_path;
retry:
	c->skel = smmutrace_bpf__open_opts(&oo);
	if (!c->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	ret = hooks__check_progs(obj_has_prog, c->skel->obj, err, errlen);
	if (ret)
		goto fail;
	/* 5.4: range_s1(iova, size, granule, leaf, cookie); 5.10+: (..., cookie, reg) */
	if (func_params(c->btf, "arm_smmu_tlb_inv_range_s1", "cookie", &idx) > 0 && idx >= 0)
		c->skel->rodata->v2_range_cookie_arg = idx;
	/* 6.12 added a cmdq argument to arm_smmu_cmdq_issue_cmdlist */
	nparams = func_params(c->btf, "arm_smmu_cmdq_issue_cmdlist", NULL, NULL);
	v2 = (struct smt_drv_offs){ -1, -1, -1 };
	v3 = (struct smt_drv_offs){ -1, -1, -1 };
	drv_offsets(c->btf, &v2, &v3, &eo);
	/* drivers built as modules carry their types in module BTF */
	for (int i = 0; i < 2 && !opts->btf_path; i++) {
		static const char *const mods[] = { "arm_smmu", "arm_smmu_v3" };
		char path[64];
		struct btf *mb;

		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", mods[i]);
		if (access(path, R_OK))
			continue;
		mb = btf__load_module_btf(mods[i], c->btf);
		if (!mb)
			continue;
		drv_offsets(mb, &v2, &v3, &eo);
		if (nparams <= 0)
			nparams = func_params(mb, "arm_smmu_cmdq_issue_cmdlist", NULL, NULL);
		if (func_params(mb, "arm_smmu_tlb_inv_range_s1", "cookie", &idx) > 0 && idx >= 0)
			c->skel->rodata->v2_range_cookie_arg = idx;
		btf__free(mb);
	}
	*(struct smt_drv_offs *)&c->skel->rodata->v2_offs = v2;
	*(struct smt_drv_offs *)&c->skel->rodata->v3_offs = v3;
	snprintf(c->layout_note, sizeof(c->layout_note),
		 "driver layout from BTF: v2 %s, v3 %s%s",
		 v2.dom_domain >= 0 && v2.smmu_dev >= 0 ? "known" : "unknown",
		 v3.dom_domain >= 0 && v3.smmu_dev >= 0 ? "known" : "unknown",
		 v2.dom_domain < 0 || v3.dom_domain < 0 ?
		 " (unknown: TLBIs from io-pgtable callbacks carry no domain or SMMU name)" : "");
	/*
	 * Where BTF lacks the prototype (5.10: statics are not in BTF), the
	 * hook table says what the argument layout is on the kernels that do
	 * that (nargs_no_btf); without such a fact the hook cannot be used.
	 */
	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &c->res[i];

		if (strcmp(r->def->hook, "cmdq@v3") || r->status != HOOK_RESOLVED)
			continue;
		/* a clone's return value is only used where the hook table vouches for it */
		c->skel->rodata->cmdlist_ret_valid = !strchr(r->symbol, '.') || r->def->clone_ret_ok;
		if (nparams > 0) {
			c->skel->rodata->cmdlist_nargs = nparams;
		} else if (r->def->nargs_no_btf) {
			c->skel->rodata->cmdlist_nargs = r->def->nargs_no_btf;
			if (!strstr(r->reason, "no BTF prototype"))
				snprintf(r->reason + strlen(r->reason),
					 sizeof(r->reason) - strlen(r->reason),
					 "%sno BTF prototype: %d arguments (hook table)",
					 r->reason[0] ? "; " : "", r->def->nargs_no_btf);
		} else {
			r->status = HOOK_MISSING;
			snprintf(r->reason, sizeof(r->reason),
				 "no BTF prototype: cannot tell 4 from 5 arguments");
		}
	}
	/* without the SMMU's iommu offset, stream IDs are matched on any SMMU */
	c->skel->rodata->v3_evtq_off = eo.evtq;
	c->skel->rodata->v3_q_ent_dwords_off = eo.ent_dwords;
	c->skel->rodata->v3_smmu_iommu_off = eo.iommu;
	set_smmu_map_fns(c);
	choose_entry_state(c);
	if (opts->test_layout) {
		const struct capture_test_layout *t = opts->test_layout;

		v2 = (struct smt_drv_offs){ t->v2_dom_smmu, t->v2_dom_domain, t->v2_smmu_dev };
		v3 = (struct smt_drv_offs){ t->v3_dom_smmu, t->v3_dom_domain, t->v3_smmu_dev };
		*(struct smt_drv_offs *)&c->skel->rodata->v2_offs = v2;
		*(struct smt_drv_offs *)&c->skel->rodata->v3_offs = v3;
		c->skel->rodata->cmdlist_nargs = t->cmdlist_nargs;
		c->skel->rodata->v2_range_cookie_arg = t->v2_range_cookie_arg;
		c->skel->rodata->v3_evtq_off = t->v3_evtq;
		c->skel->rodata->v3_q_ent_dwords_off = t->v3_q_ent_dwords;
		c->skel->rodata->v3_smmu_iommu_off = t->v3_smmu_iommu;
		c->skel->rodata->cmdlist_ret_valid = !t->cmdlist_ret_unknown;
		c->skel->rodata->smmu_map_fn[0] = t->smmu_map_fn[0];
		c->skel->rodata->smmu_map_fn[1] = t->smmu_map_fn[1];
	}
	c->skel->rodata->filter_names = !opts->all_gates;
	/* make bench-board's floor: the same hooks, every program only counting */
	c->count_only = getenv("SMMUTRACE_COUNT_ONLY") != NULL;
	c->discard = getenv("SMMUTRACE_DISCARD") != NULL;
	c->skel->rodata->count_only = c->count_only;
	c->skel->rodata->wakeup_bytes = rb_bytes / 4 < (256u << 10) ? rb_bytes / 4 : (256u << 10);
	bpf_map__set_max_entries(c->skel->maps.events, rb_bytes);
	bpf_map__set_max_entries(c->skel->maps.stats, c->ncpus * SMT_STAT_STRIDE);
	if (opts->rpm_fold)
		force_rpm_fold(c);
	choose_fentry(c, opts);
	set_autoload(c, opts->load_twins);

	ret = smmutrace_bpf__load(c->skel);
	if (ret && any_fentry(c)) {
		/* a trampoline target the verifier refused: everything by kprobe */
		smmutrace_bpf__destroy(c->skel);
		c->skel = NULL;
		c->fentry_ok = false;
		for (int i = 0; i < hook_table_len; i++)
			if (c->res[i].fentry) {
				c->res[i].fentry = false;
				snprintf(c->res[i].method, sizeof(c->res[i].method), "%s",
					 c->res[i].by_addr ? "kprobe@addr" : "kprobe");
			}
		snprintf(c->fentry_note, sizeof(c->fentry_note),
			 "fentry: works here, but loading the fentry programs failed (%s; -v "
			 "shows why); kprobes used", strerror(-ret));
		goto retry;
	}
	if (ret) {
		snprintf(err, errlen, "loading the BPF programs failed: %s (run with -v for the "
			 "verifier log; 'smmutrace probe' shows what this kernel offers)",
			 strerror(-ret));
		goto fail;
	}
	/* the fentry choice is final once loaded: the core map/unmap by trampoline
	 * replace the driver's kprobe traps where they can (the kprobe programs of
	 * the replaced rows stay loaded: attach_all falls back to them) */
	hooks__prefer_trampolines(c->res);
	ret = fill_gate_names(c, opts->topo);
	if (ret) {
		snprintf(err, errlen, "filling the gate-name filter: %s", strerror(-ret));
		goto fail;
	}
	ret = map_stats(c);
	if (ret) {
		snprintf(err, errlen, "mapping the statistics map: %s", strerror(-ret));
		goto fail;
	}
	if (!opts->no_attach)
		attach_all(c);
	/*
	 * Baseline of hits vs runs: before a kprobe's BPF program is attached,
	 * its hits run none. libbpf's kprobes have no hit count: no comparison.
	 */
	if (c->tracefs && c->nkp && !c->kp_uncounted &&
	    kprobe_profile(c, &c->kp_hits_base, &missed) == 0) {
		c->kp_runs_base = stat_sum(c, SMT_STAT_KPROBE_RUNS);
		c->kp_counting = true;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_record, c, NULL);
	if (!c->rb) {
		ret = -errno;
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		goto fail;
	}
	ksyms__free(ks);
	*out = c;
	return 0;
fail:
	ksyms__free(ks);
	capture__free(c);
	return ret < 0 ? ret : -EINVAL;
}
