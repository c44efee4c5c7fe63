/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine's gate and TBU model (SPEC §5): each board gate (clk:/pd:/rpm:)
 * is on, off or unknown (= on); a TBU is gated while any of its gates is off,
 * and serves a domain when the domain's SIDs (from attach) meet its SID
 * ranges on the same SMMU. A TBU also remembers the TLBIs issued for its
 * domains while it was gated (its exposure).
 *
 * This file keeps state only: what is a finding about it is decided in
 * engine.c.
 */
#ifndef SMMUTRACE_GATES_H
#define SMMUTRACE_GATES_H

#include <stdbool.h>
#include <stdint.h>
#include "finding.h"
#include "topology.h"

struct gate {
	enum gate_kind kind;
	char name[SMT_NAME_LEN];
	char label[SMT_NAME_LEN + 8];	/* "clk:NAME" as in board files */
	int state;			/* -1 unknown, 0 off, 1 on */
	struct evidence change;		/* event of the last change */
	int *tbus;
	int ntbus;
};

struct tbu_state {
	int off_gates;			/* gates of this TBU that are off */
	bool exposed;			/* TLBIs for its domains while gated */
	struct iova_range ranges[FINDING_MAX_RANGES];
	int nranges;
	unsigned long long ranges_total;
	struct evidence first_tlbi;
	struct evidence gated_by;	/* the gate event that gated it */
};

/* a device attached to a domain, with the SIDs that decide which TBUs serve it */
struct dev_att {
	char dev[SMT_NAME_LEN];
	uint32_t *sids;
	uint32_t nsids;
};

struct gates {
	const struct topology *topo;
	struct gate *gates;
	int ngates;
	struct tbu_state *tbus;		/* per topology TBU */
	int ntbus;
	int gated_tbus;			/* TBUs gated now: the rules' fast "none" test */
	int serve_words;		/* uint64_t words of a domain's serve bitset */
};

/* both empty names (unknown SMMU) match anything */
static inline bool smmu_match(const char *a, const char *b)
{
	return !a[0] || !b[0] || __builtin_strcmp(a, b) == 0;
}

static inline bool gates__tbu_gated(const struct gates *g, int t)
{
	return g->tbus[t].off_gates > 0;
}

/* TBU T serves the domain whose serve bitset is SERVE (NULL: none) */
static inline bool gates__serves(const uint64_t *serve, int t)
{
	return serve && (serve[t / 64] >> (t % 64) & 1);
}

/* The gates of TOPO's TBUs (TOPO may be NULL), all unknown. 0 or -ENOMEM. */
int gates__init(struct gates *g, const struct topology *topo);
void gates__fini(struct gates *g);
/* the gate KIND:NAME of the board, or -1 */
int gates__find(const struct gates *g, enum gate_kind kind, const char *name);

typedef void (*gates_back_fn)(int tbu, void *ctx);
/*
 * Gate KIND:NAME turns ON or off, CHANGE being its event. A TBU it gates
 * remembers CHANGE as what gated it; BACK is called for each TBU that comes
 * back on (none gated any more). Gates not on the board are ignored.
 */
void gates__set(struct gates *g, enum gate_kind kind, const char *name, bool on,
		const struct evidence *change, gates_back_fn back, void *ctx);
/* 1 gated, 0 on, -1 on as far as known (a gate of it never seen) or no such TBU */
int gates__tbu_state(const struct gates *g, int t);

/* Which TBUs serve a domain on SMMU with devices DEVS: bits set in SERVE (serve_words long). */
void gates__compute_serve(const struct gates *g, const char *smmu, const struct dev_att *devs,
			  int ndevs, uint64_t *serve);

/*
 * TBU T, gated, missed a TLBI of [IOVA, +SIZE) in DOMAIN (0 size: all of it).
 * True when it is the first since the TBU was last clean: the caller then
 * sets first_tlbi.
 */
bool gates__add_exposure(struct gates *g, int t, uint64_t domain, uint64_t iova, uint64_t size);
/* TBU T holds nothing stale any more (a reset reached it, or its exposure was reported) */
void gates__clear_exposure(struct gates *g, int t);

#endif
