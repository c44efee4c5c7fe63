/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine: rebuilds every IOMMU domain's IOVA lifetimes (map -> unmap ->
 * TLBI -> sync -> reuse) and TBU gate states from normalized events, and
 * decides every SPEC §5 rule. It takes events one at a time in stream order
 * and knows nothing of where they came from.
 */
#ifndef SMMUTRACE_ENGINE_H
#define SMMUTRACE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include "smmutrace_events.h"
#include "finding.h"
#include "topology.h"

#define ENGINE_DEFAULT_INVAL_WINDOW_NS	100000000ull	/* 100 ms */
#define ENGINE_DEFAULT_FAULT_WINDOW_NS	1000000000ull	/* 1 s */
#define ENGINE_DEFAULT_SYNC_SLOW_NS	1000000ull	/* 1 ms */

struct engine;

typedef void (*engine_finding_fn)(const struct finding *f, void *ctx);

#define ENGINE_NEVER UINT64_MAX	/* a lifetime step not seen (yet) */

/*
 * One IOVA lifetime as the engine decided it: map -> unmap (page tables) ->
 * TLBI -> sync (TLBs). Reported once, when it is over: its unmap's
 * invalidation completed, its domain was freed, a map replaced it, or the
 * stream ended (then the steps not reached are ENGINE_NEVER). An unmap whose
 * invalidation completes in parts (a TLBI covering half of it) gives one
 * lifetime per part, so a lifetime never claims more than the rules saw.
 */
struct engine_lifetime {
	uint64_t domain;
	uint64_t iova, size;
	uint64_t map_ts;	/* ENGINE_NEVER: mapped before the capture, or never seen mapped */
	uint64_t unmap_ts;	/* ENGINE_NEVER: still mapped */
	uint64_t inval_ts;	/* first TLBI covering it after the unmap (or flush_all/reset) */
	uint64_t sync_ts;	/* the sync (flush_all, smmu_reset) that completed it */
	bool unmapped_gated;	/* its unmap was issued while a TBU serving the domain was gated */
};

typedef void (*engine_lifetime_fn)(const struct engine_lifetime *lt, void *ctx);

struct engine_opts {
	const struct topology *topo;	/* may be NULL: no TBUs known */
	uint64_t inval_window_ns;	/* 0 = default */
	uint64_t fault_window_ns;	/* 0 = default */
	uint64_t sync_slow_ns;		/* 0 = default */
	engine_finding_fn on_finding;	/* called for every finding as it is decided */
	void *ctx;
	/* bit (1u << rule) set: the rule is not judged (a blind spot of the capture,
	 * coverage.h), its findings neither emitted nor counted; may be NULL */
	const unsigned int *not_judged;
	engine_lifetime_fn on_lifetime;	/* may be NULL; called with ctx for every lifetime */
};

#define HIST_BUCKETS 64	/* log2 buckets of nanoseconds */
/* the bucket of V ns: floor(log2(V)), 0 for 0 and 1, the last for all above */
static inline int hist__bucket(uint64_t v)
{
	int b = 0;

	while (v > 1 && b < HIST_BUCKETS - 1) {
		v >>= 1;
		b++;
	}
	return b;
}

struct engine_summary {
	uint64_t events;
	uint64_t events_by_type[SMT_EV_MAX];
	uint64_t findings[RULE_MAX];
	uint64_t findings_by_sev[3];
	uint64_t lost;			/* sum of lost counts */
	uint64_t domains_seen;
	uint64_t domains_live;
	uint64_t live_mappings;		/* ranges held as mapped now */
	uint64_t peak_live_mappings;
	uint64_t pending_invalidations;	/* unmap pieces not yet invalidated+synced */
	uint64_t range_nodes, range_nodes_peak;	/* ranges held (mapped, pending, freed) */
	uint64_t index_slots;		/* exact-start index size */
	uint64_t first_ts, last_ts;
	int unknown_gates;		/* board gates never seen in an event */
	const char *unknown_gate_names[32];	/* first few of them */
	uint64_t sync_hist[HIST_BUCKETS];	/* sync durations, log2(ns) */
	uint64_t lifetime_hist[HIST_BUCKETS];	/* map -> unmap, log2(ns) */
	bool strict_known, strict;	/* from meta */
	bool since_boot;		/* from meta; true unless meta said false */
};

struct engine *engine__new(const struct engine_opts *opts);
/* the options in force: windows given as 0 hold their defaults here */
const struct engine_opts *engine__opts(const struct engine *e);
/* Feed one event; findings are reported through opts->on_finding. */
void engine__feed(struct engine *e, const struct smt_event *ev);
/*
 * Feed EVS[0..N) in order: the same as N engine__feed() calls (same findings,
 * callbacks between the same events), but it looks ahead in the batch to
 * prefetch the ranges the maps and unmaps will touch, hiding cache misses
 * (recording_reader__next_batch() gives such batches).
 */
void engine__feed_batch(struct engine *e, const struct smt_event *const *evs, unsigned int n);
/* End of stream: decide windows that passed by the last event, and report the
 * lifetimes still open (live mappings, pending invalidations) to on_lifetime. */
void engine__finish(struct engine *e);
void engine__summary(const struct engine *e, struct engine_summary *s);
/* Per-domain view for the periodic summary of live mode. */
struct engine_domain_info {
	uint64_t domain;
	char smmu[SMT_NAME_LEN];
	uint64_t live_mappings, live_bytes, pending, maps, unmaps;
	int ndevs;
	const char *devs[8];
};
/* Calls FN for every known domain; returns how many. */
int engine__for_each_domain(const struct engine *e,
			    void (*fn)(const struct engine_domain_info *d, void *ctx), void *ctx);
/* Current gate state of a TBU by index into the topology: 1 gated, 0 not, -1 unknown. */
int engine__tbu_gated(const struct engine *e, int tbu_idx);
void engine__free(struct engine *e);

#endif
