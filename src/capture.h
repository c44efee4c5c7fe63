/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live capture: check the environment, resolve the hook table against
 * kallsyms and BTF, load and attach the BPF programs, and turn ring-buffer
 * records into struct smt_event in timestamp order (records sent at a call's
 * return carry its entry time: map/unmap, and a command-queue call's TLBIs
 * and sync; they arrive late and a short reorder window fixes that),
 * with `lost` events where the kernel side had to drop records.
 */
#ifndef SMMUTRACE_CAPTURE_H
#define SMMUTRACE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "capture_hooks.h"
#include "smmutrace_events.h"
#include "topology.h"

struct capture;
struct smmutrace_bpf;

struct capture_opts {
	const char *btf_path;		/* --btf FILE; NULL = /sys/kernel/btf/vmlinux */
	const char *kallsyms_path;	/* NULL = /proc/kallsyms */
	const struct topology *topo;	/* gate names for the in-kernel filter; may be NULL */
	bool all_gates;			/* --all-gates: no clk/rpm/pd name filter */
	size_t ringbuf_bytes;		/* 0 = 16 MiB; a power of two >= page size */
	uint64_t reorder_ns;		/* 0 = 20 ms */
	bool no_attach;			/* load only (tests, probe --load-only) */
	bool load_twins;		/* also load the raw_tp test twins (tests) */
	bool rpm_fold;			/* rpm states from rpm_return_int even if rpm_status exists */
	/* tests: driver layout of fabricated objects instead of the kernel's BTF */
	const struct capture_test_layout *test_layout;
};

struct capture_test_layout {
	int v2_dom_smmu, v2_dom_domain, v2_smmu_dev;
	int v3_dom_smmu, v3_dom_domain, v3_smmu_dev;
	int cmdlist_nargs;		/* 4 (<= 6.11) or 5 (6.12+) */
	int v2_range_cookie_arg;	/* 3 (5.10+) or 4 (5.4) */
	int v3_evtq, v3_q_ent_dwords, v3_smmu_iommu;	/* fault@v3; -1 = unknown */
	int cmdlist_ret_unknown;	/* 1: the queue hook is a clone with no usable return */
	uint64_t smmu_map_fn[2];	/* the SMMU drivers' map_pages (core hooks' filter); 0 = none */
};

typedef void (*capture_event_fn)(const struct smt_event *ev, void *ctx);

/*
 * 0, or -errno with one line in ERR saying what is missing and what to do
 * (the caller prints it and exits EXIT_ENV).
 */
int capture__open(struct capture **out, const struct capture_opts *opts, char *err, size_t errlen);

/* Wait up to TIMEOUT_MS, then hand every event older than the reorder window to FN. */
int capture__poll(struct capture *c, int timeout_ms, capture_event_fn fn, void *ctx);
/* Queue an event made here (initial state) so it goes out in ts order with the rest. */
int capture__inject(struct capture *c, const struct smt_event *ev);
/*
 * Benchmarks and tests: DATA (SIZE bytes) handed to the consumer as if read
 * from the ring buffer (the same callback), so records made in memory, the
 * command queue's TLBI/sync records included, go through it without BPF.
 */
void capture__feed_record(struct capture *c, void *data, size_t size);
/* End of capture: hand over everything still buffered. */
int capture__drain(struct capture *c, capture_event_fn fn, void *ctx);

struct capture_stats {
	uint64_t events;	/* records delivered */
	uint64_t lost;		/* records the kernel side dropped (ring buffer full) */
	uint64_t filtered;	/* clk/rpm/pd records dropped by the name filter */
	uint64_t wakeups;	/* forced consumer wakeups */
	uint64_t reordered;	/* records that arrived after the window (ts clamped) */
	int attached;		/* hooks attached */
	/* SMMUv3 decoding (-v): TLBIs whose ASID/VMID no domain-aware hook named,
	 * commands that are no SPEC event (CFGI, ATC_INV...), non-fault records */
	uint64_t tlbi_no_domain, cmdq_other, evtq_other;
};
void capture__stats(struct capture *c, struct capture_stats *s);

/* The resolved hook table (hook_table_len rows). */
const struct hook_res *capture__hooks(const struct capture *c);
/* Where the BTF came from: "/sys/kernel/btf/vmlinux" or the --btf path. */
const char *capture__btf_source(const struct capture *c);
/* One line about fentry on this kernel (probe shows it). */
const char *capture__fentry_note(const struct capture *c);
/* Where the programs keep a call's entry state until its return (probe shows it). */
const char *capture__state_note(const struct capture *c);
/* Whether the arm-smmu driver struct offsets were found in BTF (probe shows it). */
const char *capture__layout_note(const struct capture *c);
/* The hook table as a JSON array (for probe --json and recording metadata); malloc'd. */
char *capture__hooks_json(const struct capture *c);
/* One BPF program of the capture, for its run statistics (monitor's metrics). */
struct capture_prog {
	const char *name;
	int fd;
};
/* The loaded programs (those of hooks this kernel lacks are not), at most MAX; how many. */
int capture__progs(const struct capture *c, struct capture_prog *out, int max);
/* The loaded skeleton (tests drive the raw_tp twins with BPF_PROG_TEST_RUN). */
struct smmutrace_bpf *capture__skel(struct capture *c);
void capture__free(struct capture *c);

/*
 * Initial state (capture_state.c): the meta event and one event per gate the
 * topology names (clk enable counts from debugfs, runtime-PM status from
 * sysfs, genpd state from debugfs), all at time TS. ROOT prefixes every path
 * ("" on a live system; tests use a fake tree). Returns how many events were
 * written to EVS (at most MAX), or -errno.
 */
int capture_state__read(const struct topology *t, const char *root, uint64_t ts,
			struct smt_event *evs, int max);
/* DMA mode: 1 strict, 0 lazy (flush queue), from iommu_groups/x/type or the cmdline. */
int capture_state__strict(const char *root);
/* The first line of a sysfs/tracefs file, without its newline. 0 or -errno. */
int capture__read_line(const char *path, char *buf, size_t len);
/*
 * Sums of the nhit and nmissed columns of a tracefs kprobe_profile (PATH)
 * over the events whose name starts with PREFIX, into *HITS and *MISSED.
 * 0 or -errno.
 */
int capture_state__kprobe_profile(const char *path, const char *prefix, uint64_t *hits,
				  uint64_t *missed);
/*
 * kprobe hits whose program never ran: a kprobe counts a hit (nhit) before
 * trace_call_bpf, which skips the program while bpf_prog_active is raised on
 * that CPU (another BPF program, any process's BPF map syscall) and before
 * 6.7 counts that nowhere. HITS less RUNS (our programs' own count, read
 * right after the hits), both past their baseline read after attaching; runs
 * of hits made in between are no negative loss.
 */
uint64_t capture_state__kprobe_skipped(uint64_t hits_base, uint64_t runs_base, uint64_t hits,
				       uint64_t runs);

#endif

#ifndef SMMUTRACE_CAPTURE_RUN
#define SMMUTRACE_CAPTURE_RUN
/*
 * Starting and running a live capture, the same for live, record and monitor
 * (capture_loop.c).
 */
struct coverage;

struct capture_start_opts {
	const char *cmd;	/* "live", "record", "monitor": names the command in messages */
	const char *sysfs;	/* root to find translating SMMUs under; NULL = /sys */
	bool force;		/* --force: trace with blind spots (their rules not judged) */
};

/*
 * Catch SIGINT/SIGTERM (first: a signal during the slow load is not lost),
 * note the time, open the capture (load, attach), judge its coverage (SPEC
 * §9: a blind spot is refused unless FORCE) and inject the initial gate
 * states, stamped before any traced event; a failed read of them is warned
 * about (the gates then start unknown), never silent. On success *COV holds
 * the coverage (its blind spots; the caller frees it). 0, or EXIT_ENV after
 * printing why.
 */
int capture__start(struct capture **out, const struct capture_opts *opts,
		   const struct capture_start_opts *so, struct coverage **cov);

/* The options of every command that starts a capture (live, record, monitor). */
enum {
	OPT_CAP_BTF = 0x1080,	/* between env's common options and OPT_CMD_BASE */
	OPT_CAP_ALL_GATES,
	OPT_CAP_RINGBUF,
	OPT_CAP_FORCE,
	OPT_CAP_SYSFS,
	OPT_CAP_KALLSYMS,
};

#define CAPTURE_LONGOPTS \
	{ "btf", required_argument, NULL, OPT_CAP_BTF }, \
	{ "all-gates", no_argument, NULL, OPT_CAP_ALL_GATES }, \
	{ "ringbuf", required_argument, NULL, OPT_CAP_RINGBUF }, \
	{ "force", no_argument, NULL, OPT_CAP_FORCE }, \
	{ "sysfs", required_argument, NULL, OPT_CAP_SYSFS }, \
	{ "kallsyms", required_argument, NULL, OPT_CAP_KALLSYMS }

/*
 * One of CAPTURE_LONGOPTS from getopt_long into O and SO: 1 handled, 0 not
 * one of them, -1 a bad value (said, naming CMD).
 */
int capture__parse_opt(struct capture_opts *o, struct capture_start_opts *so, const char *cmd,
		       int c, const char *arg);

/*
 * The capture loop: SIGINT/SIGTERM end it cleanly; DURATION_NS 0 = until a
 * signal; ON_TICK runs every INTERVAL_NS (0 = never) with the elapsed time;
 * ON_IDLE (may be NULL) after every poll, at most 100 ms apart, with the
 * monotonic time: returning false ends the loop. Everything buffered is
 * handed to FN before it returns. Returns 0 or -errno.
 */
struct capture_loop {
	uint64_t duration_ns;
	uint64_t interval_ns;
	capture_event_fn fn;
	void (*on_tick)(void *ctx, uint64_t elapsed_ns);
	bool (*on_idle)(void *ctx, uint64_t now);
	void *ctx;
};
int capture__run(struct capture *c, const struct capture_loop *l);
/*
 * Catch SIGINT/SIGTERM from now on (capture__start does it; the monitor calls
 * it first, so a signal while it sets up is not lost, and for --input, which
 * has no capture).
 */
void capture__catch_signals(void);
/* the signal that asked to stop (SIGINT, SIGTERM), 0 if none yet */
int capture__stop_signal(void);
/* -v: the capture's statistics on stderr (what was delivered, lost, filtered, decoded) */
void capture__log_stats(struct capture *c);
/* monotonic now, the clock of every event timestamp */
uint64_t capture__now(void);
/* "16M", "4096", "1G" -> bytes; -EINVAL */
int capture__parse_size(const char *s, uint64_t *bytes);
#endif
