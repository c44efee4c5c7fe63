/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What-if replay (SPEC §8): rewrite an event stream as the driver would have
 * issued it under one of the policies of the 2017 review
 * (context/lkml-2017-arm-smmu-defer-tlb-flush.txt). A stream -> stream
 * transform: events go in one at a time, the rewritten stream comes out
 * through a callback, and whoever listens (the same engine replay uses)
 * decides the findings. It knows nothing of files or of the engine.
 */
#ifndef SMMUTRACE_WHATIF_H
#define SMMUTRACE_WHATIF_H

#include <stddef.h>
#include <stdint.h>
#include "smmutrace_events.h"
#include "topology.h"

enum whatif_policy {
	/* while the SMMU is suspended, unmaps leave PTEs, no TLBI/sync; done at resume */
	WHATIF_DEFER_UNMAP,
	/* while the SMMU is suspended, PTEs are cleared but TLBIs/syncs skipped; reset at resume */
	WHATIF_SKIP_TLBI,
	/* a gated TBU serving the domain is switched on for each invalidation sequence */
	WHATIF_WAKE_TBU,
	WHATIF_POLICY_MAX,
};

/* for messages: every policy name, comma-separated */
#define WHATIF_POLICY_LIST "defer-unmap, skip-tlbi, wake-tbu"

const char *whatif__policy_name(enum whatif_policy p);
int whatif__policy_from_name(const char *name);	/* -1 if unknown */

/* What the rewrite changed (SPEC §8 "changes"; all six always reported). */
struct whatif_changes {
	uint64_t deferred_unmaps;	/* unmaps whose PTE clearing waited for the resume */
	uint64_t failed_maps;		/* maps rewritten to fail with -EEXIST */
	uint64_t skipped_tlbis;		/* tlbi / flush_all not issued */
	uint64_t skipped_syncs;		/* sync not issued */
	uint64_t tbu_wakes;		/* a gated TBU switched on for an invalidation */
	uint64_t events_dropped;	/* other recorded events absent from the new stream */
};

typedef void (*whatif_emit_fn)(const struct smt_event *ev, void *ctx);

struct whatif_opts {
	enum whatif_policy policy;
	const struct topology *topo;	/* SMMU gates, TBUs; may be NULL */
	whatif_emit_fn emit;		/* receives the rewritten stream, in order */
	void *ctx;
};

struct whatif;

struct whatif *whatif__new(const struct whatif_opts *opts);
/* One recorded event in; zero or more rewritten events out through opts->emit. */
void whatif__feed(struct whatif *w, const struct smt_event *ev);
void whatif__changes(const struct whatif *w, struct whatif_changes *c);
/* unmaps still held when the stream ended (defer-unmap: the SMMU never came back) */
uint64_t whatif__held_at_end(const struct whatif *w);
/* how often an SMMU went to suspended: 0 means defer-unmap and skip-tlbi had nothing to do */
uint64_t whatif__smmu_suspends(const struct whatif *w);
/*
 * SMMU I (0..) as tracked: its name, how often it went to suspended, and its
 * gates as "rpm:NAME, clk:..." in GATES. 0, or -1 past the last one.
 */
int whatif__smmu_info(const struct whatif *w, int i, const char **name, uint64_t *suspends,
		      char *gates, size_t len);
void whatif__free(struct whatif *w);

#endif
