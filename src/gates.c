// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gates.h"

int gates__find(const struct gates *g, enum gate_kind kind, const char *name)
{
	for (int i = 0; i < g->ngates; i++)
		if (g->gates[i].kind == kind && strcmp(g->gates[i].name, name) == 0)
			return i;
	return -1;
}

/* gate R (new ones start unknown), its index or -ENOMEM */
static int gate_get(struct gates *g, const struct gate_ref *r)
{
	int k = gates__find(g, r->kind, r->name);
	struct gate *ng;

	if (k >= 0)
		return k;
	ng = realloc(g->gates, (size_t)(g->ngates + 1) * sizeof(*ng));
	if (!ng)
		return -ENOMEM;
	g->gates = ng;
	k = g->ngates++;
	memset(&g->gates[k], 0, sizeof(g->gates[k]));
	g->gates[k].kind = r->kind;
	g->gates[k].state = -1;
	snprintf(g->gates[k].name, sizeof(g->gates[k].name), "%s", r->name);
	snprintf(g->gates[k].label, sizeof(g->gates[k].label), "%s:%s",
		 topology__gate_kind_name(r->kind), r->name);
	return k;
}

int gates__init(struct gates *g, const struct topology *t)
{
	memset(g, 0, sizeof(*g));
	g->topo = t;
	g->ntbus = t ? t->ntbus : 0;
	if (!g->ntbus)
		return 0;
	g->serve_words = (g->ntbus + 63) / 64;
	g->tbus = calloc((size_t)g->ntbus, sizeof(*g->tbus));
	if (!g->tbus)
		return -ENOMEM;
	for (int i = 0; i < t->ntbus; i++) {
		for (int r = 0; r < t->tbus[i].ngates; r++) {
			int k = gate_get(g, &t->tbus[i].gates[r]);
			struct gate *gt;
			int *nt;

			if (k < 0)
				return k;
			gt = &g->gates[k];
			/* a TBU listing the same gate twice counts it once */
			for (int x = 0; x < gt->ntbus; x++)
				if (gt->tbus[x] == i)
					goto next;
			nt = realloc(gt->tbus, (size_t)(gt->ntbus + 1) * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			gt->tbus = nt;
			gt->tbus[gt->ntbus++] = i;
next:;
		}
	}
	return 0;
}

void gates__fini(struct gates *g)
{
	for (int k = 0; k < g->ngates; k++)
		free(g->gates[k].tbus);
	free(g->gates);
	free(g->tbus);
	memset(g, 0, sizeof(*g));
}

void gates__set(struct gates *g, enum gate_kind kind, const char *name, bool on,
		const struct evidence *change, gates_back_fn back, void *ctx)
{
	int k = gates__find(g, kind, name);
	struct gate *gt;
	int old;

	if (k < 0)
		return;
	gt = &g->gates[k];
	old = gt->state;
	gt->state = on ? 1 : 0;
	if (old == gt->state)
		return;
	gt->change = *change;
	for (int x = 0; x < gt->ntbus; x++) {
		int t = gt->tbus[x];
		struct tbu_state *ts = &g->tbus[t];

		if (!on) {
			if (ts->off_gates++ == 0) {
				g->gated_tbus++;
				ts->gated_by = gt->change;
				snprintf(ts->gated_by.what, sizeof(ts->gated_by.what), "%s:%s off",
					 topology__gate_kind_name(kind), name);
			}
		} else if (old == 0) {
			if (--ts->off_gates == 0) {
				g->gated_tbus--;
				back(t, ctx);
			}
		}
	}
}

int gates__tbu_state(const struct gates *g, int t)
{
	const struct topo_tbu *tb;
	bool unknown = false;

	if (t < 0 || t >= g->ntbus)
		return -1;
	if (gates__tbu_gated(g, t))
		return 1;
	tb = &g->topo->tbus[t];
	for (int r = 0; r < tb->ngates; r++) {
		int k = gates__find(g, tb->gates[r].kind, tb->gates[r].name);

		if (k >= 0 && g->gates[k].state < 0)
			unknown = true;
	}
	return unknown ? -1 : 0;
}

void gates__compute_serve(const struct gates *g, const char *smmu, const struct dev_att *devs,
			  int ndevs, uint64_t *serve)
{
	memset(serve, 0, (size_t)g->serve_words * sizeof(uint64_t));
	for (int t = 0; t < g->ntbus; t++) {
		const struct topo_tbu *tb = &g->topo->tbus[t];

		if (!smmu_match(tb->smmu, smmu))
			continue;
		for (int k = 0; k < ndevs; k++)
			for (uint32_t j = 0; j < devs[k].nsids; j++)
				if (topology__tbu_has_sid(tb, devs[k].sids[j] & 0xffff))
					goto serves;
		continue;
serves:
		serve[t / 64] |= 1ull << (t % 64);
	}
}

bool gates__add_exposure(struct gates *g, int t, uint64_t domain, uint64_t iova, uint64_t size)
{
	struct tbu_state *ts = &g->tbus[t];
	bool first = !ts->exposed;

	if (first) {
		ts->exposed = true;
		ts->nranges = 0;
		ts->ranges_total = 0;
	}
	ts->ranges_total++;
	/* extend the last range when TLBIs walk up contiguously */
	if (ts->nranges) {
		struct iova_range *r = &ts->ranges[ts->nranges - 1];

		if (r->domain == domain && r->size && size && r->iova + r->size == iova) {
			r->size += size;
			return first;
		}
		if (r->domain == domain && r->iova == iova && r->size == size)
			return first;
	}
	if (ts->nranges < FINDING_MAX_RANGES)
		ts->ranges[ts->nranges++] = (struct iova_range){ domain, iova, size };
	return first;
}

void gates__clear_exposure(struct gates *g, int t)
{
	g->tbus[t].exposed = false;
	g->tbus[t].nranges = 0;
	g->tbus[t].ranges_total = 0;
}
