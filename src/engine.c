// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine: every SPEC §5 rule is decided in this file.
 *
 * Model, per IOMMU domain, two kinds of state kept apart (SPEC §5):
 *
 * - Page tables: disjoint IOVA ranges (iova_map.h), MAPPED or FREED (known
 *   unmapped). A map or unmap replaces what they held there. FREED ranges are
 *   remembered (coalesced once older than the fault window) to tell "known
 *   unmapped" from "never seen". map-over-live, stale-pte and unmap-unmapped
 *   read only these.
 * - TLBs: every unmap owes its own invalidation ("debt", split in pieces per
 *   mapping it took and where a TLBI covered only part of it). A piece is
 *   owed -> (a TLBI covering it, issued after the unmap) covered -> (a sync
 *   in scope after that TLBI, or flush_all, or smmu_reset) complete. Nothing
 *   done to the range afterwards (a map, another unmap) touches a debt: the
 *   stale translation outlives a remap. Each domain keeps its owed and covered
 *   pieces on two lists (context TLBIs and syncs cost O(pieces they touch)),
 *   the engine keeps all pieces on one timer list in unmap order (the
 *   unmap-no-invalidate deadlines), and a second treap of OWED fragments per
 *   domain counts the pieces over each byte, so that a map finds in O(log n)
 *   whether it reuses an IOVA still owing an invalidation. iova-reuse-before-
 *   sync, unmap-no-invalidate and fault-after-unmap read these.
 *
 * Gates and TBUs (which is gated, which serves a domain, what a gated TBU
 * missed) are kept in gates.c; the findings about them are decided here.
 *
 * Time is event time: windows are measured against the ts of the events,
 * checked before each event is applied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "event.h"
#include "gates.h"
#include "idmap.h"
#include "iova_map.h"

#define EEXIST_ERRNO 17

struct domain {
	uint64_t ptr;
	bool used;
	char smmu[SMT_NAME_LEN];	/* "" = unknown */
	uint32_t root;			/* page tables: MAPPED and FREED ranges */
	uint32_t croot;			/* TLBs: OWED fragments (pieces per byte in seq) */
	uint32_t u_head, u_tail;	/* debt pieces owed (no covering TLBI yet) */
	uint32_t i_head, i_tail;	/* debt pieces covered, waiting for a sync */
	struct dev_att *devs;
	int ndevs;
	uint64_t *serve;		/* bitset over topology TBUs */
	uint64_t live_mappings, live_bytes, pending, maps, unmaps, freed;
	uint64_t freed_at_compact;
	uint32_t next_free;		/* free list of domain slots */
};

/*
 * One piece of an unmap's owed invalidation. Pieces of one unmap share seq and
 * sit together on the timer list, so its deadline gives one finding.
 */
struct debt {
	uint64_t start, end;
	uint64_t unmap_ts, map_ts, inval_ts;	/* map_ts/inval_ts ENGINE_NEVER if unknown/not yet */
	int32_t pid;
	uint32_t comm;
	uint32_t seq, domain;		/* domain: index in the engine */
	uint32_t lprev, lnext;		/* the domain's owed or covered list */
	uint32_t tprev, tnext;		/* engine-wide timer list, in unmap order */
	uint8_t covered, in_timer, gated;
};

struct engine {
	struct engine_opts opts;
	const struct topology *topo;
	struct iova_pool pool;

	struct domain *doms;
	uint32_t ndoms, capdoms, dom_free;
	struct idmap dmap;		/* domain ptr -> index + 1 */
	uint32_t last_dom;		/* index + 1 of the domain looked up last */

	struct gates g;
	char default_smmu[SMT_NAME_LEN];

	/* comm interning */
	char (*comms)[SMT_COMM_LEN];
	uint32_t ncomms, capcomms;
	uint32_t last_comm;			/* the comm interned last: most events repeat it */
	struct idmap comm_ids;		/* comm text -> id */

	/* exact-start index: (domain, start) -> node, so that the common
	 * whole-range operations skip the tree walk */
	struct idmap hidx;

	struct debt *debts;		/* [0] unused: index 0 is nil */
	uint32_t debts_cap, debts_used, debt_free;
	uint32_t t_head, t_tail;	/* unmap-no-invalidate timer list (debt pieces) */
	bool finished;
	uint32_t seq;			/* unmap event counter */
	bool incomplete;		/* events were lost */
	bool since_boot;
	bool strict_known, strict;

	uint32_t *scratch;
	uint32_t scratch_cap;
	uint32_t *scratch2;		/* cover_add's fragments, gaps filled */
	uint32_t scratch2_cap;

	struct engine_summary sum;
};

#define COMM_MAX 65536

/* ---- small helpers ---------------------------------------------------- */

/*
 * A comm as two words, its last byte zero (as the interned copy keeps it):
 * compared and hashed in registers, not byte by byte through a stack copy.
 */
struct comm_key {
	uint64_t w[2];
};

_Static_assert(SMT_COMM_LEN == sizeof(struct comm_key), "a comm is two words");

static struct comm_key comm_key(const char *c)
{
	struct comm_key k;

	memcpy(&k, c, sizeof(k));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k.w[1] &= 0x00ffffffffffffffULL;
#else
	k.w[1] &= 0xffffffffffffff00ULL;
#endif
	return k;
}

static uint64_t comm_hash(struct comm_key k)
{
	return idmap__mix64(k.w[0] ^ idmap__mix64(k.w[1]));
}

static bool comm_is(const struct engine *e, uint32_t id, struct comm_key k)
{
	struct comm_key x;

	memcpy(&x, e->comms[id], sizeof(x));
	return x.w[0] == k.w[0] && x.w[1] == k.w[1];
}

static uint64_t comm_hash_of(uint32_t id, const void *ctx)
{
	const struct engine *e = ctx;

	return comm_hash(comm_key(e->comms[id]));
}

static uint32_t comm_intern(struct engine *e, const struct smt_event *ev)
{
	struct comm_key k;
	uint64_t h;

	if (!(ev->present & SMT_HAS_COMM))
		return 0;
	k = comm_key(ev->comm);
	if (e->last_comm && comm_is(e, e->last_comm, k))
		return e->last_comm;
	h = comm_hash(k);
	idmap__for_each_candidate(&e->comm_ids, h, slot, id)
		if (comm_is(e, id, k))
			return e->last_comm = id;
	/* a full table (65535 distinct comms) leaves the rest without a comm */
	if (e->ncomms >= COMM_MAX)
		return 0;
	if (e->ncomms == e->capcomms) {
		uint32_t ncap = e->capcomms ? e->capcomms * 2 : 64;
		void *n = realloc(e->comms, (size_t)ncap * SMT_COMM_LEN);

		if (!n)
			return 0;
		e->comms = n;
		e->capcomms = ncap;
	}
	if (e->ncomms == 0) {	/* id 0 = unknown */
		memset(e->comms[0], 0, SMT_COMM_LEN);
		e->ncomms = 1;
	}
	memcpy(e->comms[e->ncomms], &k, SMT_COMM_LEN);
	if (idmap__insert(&e->comm_ids, h, e->ncomms, comm_hash_of, e))
		return 0;
	return e->last_comm = e->ncomms++;
}

static void evidence_from_event(struct evidence *x, const struct smt_event *ev, const char *what)
{
	memset(x, 0, sizeof(*x));
	x->type = ev->type;
	x->ts = ev->ts;
	x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
	x->present = ev->present & (SMT_HAS_PID | SMT_HAS_COMM | SMT_HAS_DOMAIN |
				    SMT_HAS_IOVA | SMT_HAS_SIZE);
	if (ev->present & SMT_HAS_COMM)
		memcpy(x->comm, ev->comm, SMT_COMM_LEN - 1);
	x->domain = ev->domain;
	x->iova = ev->iova;
	x->size = ev->size;
	x->ret = ev->ret;
	if (ev->type == SMT_EV_MAP || ev->type == SMT_EV_UNMAP)
		x->present |= SMT_HAS_RET;
	snprintf(x->what, sizeof(x->what), "%s", what);
}

/* evidence for the unmap (or map) that made node N */
static void evidence_from_node(const struct engine *e, struct evidence *x,
			       const struct iova_node *n, uint64_t domain, const char *what)
{
	memset(x, 0, sizeof(*x));
	x->type = n->state == IOVA_MAPPED ? SMT_EV_MAP : SMT_EV_UNMAP;
	x->ts = n->ts;
	x->pid = n->pid;
	x->present = SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
	if (n->pid >= 0)
		x->present |= SMT_HAS_PID;
	if (n->comm && n->comm < e->ncomms) {
		memcpy(x->comm, e->comms[n->comm], SMT_COMM_LEN);
		x->present |= SMT_HAS_COMM;
	}
	x->domain = domain;
	x->iova = n->start;
	x->size = n->end - n->start;
	snprintf(x->what, sizeof(x->what), "%s", what);
}

/* end of [iova, iova+size): a range touching 2^64 ends at UINT64_MAX (its last byte is not tracked) */
static uint64_t range_end(uint64_t iova, uint64_t size)
{
	uint64_t b = iova + size;

	return b < iova ? UINT64_MAX : b;
}

/* ---- findings ------------------------------------------------------------ */

static void finding_init(struct finding *f, enum rule r, enum severity s, uint64_t ts)
{
	memset(f, 0, sizeof(*f));
	f->rule = r;
	f->severity = s;
	f->ts = ts;
}

static void finding_range(struct finding *f, uint64_t domain, uint64_t iova, uint64_t size)
{
	f->has_domain = true;
	f->domain = domain;
	f->has_range = true;
	f->iova = iova;
	f->size = size;
}

static void finding_add_evidence(struct finding *f, const struct evidence *x)
{
	if (f->nevidence < FINDING_MAX_EVIDENCE)
		f->evidence[f->nevidence++] = *x;
}

static void finding_add_tbu(struct engine *e, struct finding *f, int tbu)
{
	if (f->ntbus < FINDING_MAX_TBUS)
		f->tbus[f->ntbus++] = e->topo->tbus[tbu].name;
}

/* "12.345678s": event time in messages */
static const char *fmt_secs(char *buf, size_t len, uint64_t ts)
{
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64 "s", ts / 1000000000, ts % 1000000000 / 1000);
	return buf;
}

static void emit(struct engine *e, struct finding *f)
{
	if (e->opts.not_judged && (*e->opts.not_judged & (1u << f->rule)))
		return;
	f->incomplete = e->incomplete;
	e->sum.findings[f->rule]++;
	e->sum.findings_by_sev[f->severity]++;
	if (e->opts.on_finding)
		e->opts.on_finding(f, e->opts.ctx);
}

/*
 * A finding about an event's range [ev->iova, +size) that a held range X
 * explains: the event and the map/unmap that made X are its evidence.
 */
static void node_finding_init(const struct engine *e, struct finding *f, enum rule r,
			      enum severity sev, uint64_t domain, const struct smt_event *ev,
			      uint64_t size, const char *ev_role, const struct iova_node *x,
			      const char *x_role)
{
	struct evidence xe, xn;

	finding_init(f, r, sev, ev->ts);
	finding_range(f, domain, ev->iova, size);
	evidence_from_event(&xe, ev, ev_role);
	evidence_from_node(e, &xn, x, domain, x_role);
	finding_add_evidence(f, &xe);
	finding_add_evidence(f, &xn);
}

/* ---- domains --------------------------------------------------------------- */

static uint64_t dmap_hash_of(uint32_t v, const void *ctx)
{
	const struct engine *e = ctx;

	return idmap__mix64(e->doms[v - 1].ptr);
}

/* the domain of PTR in the index: its position + 1, 0 if none */
static uint32_t domain_lookup(const struct engine *e, uint64_t ptr)
{
	idmap__for_each_candidate(&e->dmap, idmap__mix64(ptr), slot, v)
		if (e->doms[v - 1].ptr == ptr)
			return v;
	return 0;
}

static struct domain *domain_find(struct engine *e, uint64_t ptr)
{
	uint32_t v;

	/* consecutive events are mostly for one domain */
	if (e->last_dom && e->doms[e->last_dom - 1].ptr == ptr && e->doms[e->last_dom - 1].used)
		return &e->doms[e->last_dom - 1];
	v = domain_lookup(e, ptr);
	if (!v)
		return NULL;
	e->last_dom = v;
	return &e->doms[v - 1];
}

static uint32_t dom_index(const struct engine *e, const struct domain *d)
{
	return (uint32_t)(d - e->doms);
}

static struct domain *domain_get(struct engine *e, uint64_t ptr)
{
	struct domain *d = domain_find(e, ptr);
	uint32_t idx;

	if (d)
		return d;
	if (e->dom_free) {
		idx = e->dom_free - 1;
		e->dom_free = e->doms[idx].next_free;
	} else {
		if (e->ndoms == e->capdoms) {
			uint32_t ncap = e->capdoms ? e->capdoms * 2 : 16;
			struct domain *n = realloc(e->doms, (size_t)ncap * sizeof(*n));

			if (!n)
				return NULL;
			e->doms = n;
			e->capdoms = ncap;
		}
		idx = e->ndoms++;
	}
	d = &e->doms[idx];
	memset(d, 0, sizeof(*d));
	d->used = true;
	d->ptr = ptr;
	snprintf(d->smmu, sizeof(d->smmu), "%s", e->default_smmu);
	if (e->g.serve_words)
		d->serve = calloc((size_t)e->g.serve_words, sizeof(uint64_t));
	if ((e->g.serve_words && !d->serve) ||
	    idmap__insert(&e->dmap, idmap__mix64(ptr), idx + 1, dmap_hash_of, e)) {
		free(d->serve);
		d->used = false;
		d->next_free = e->dom_free;
		e->dom_free = idx + 1;
		return NULL;
	}
	e->sum.domains_seen++;
	return d;
}

/* ---- debts: each unmap's owed invalidation ------------------------------------ */

static struct debt *debt(const struct engine *e, uint32_t i)
{
	return &e->debts[i];
}

/* a zeroed piece, or 0 when out of memory */
static uint32_t debt_alloc(struct engine *e)
{
	uint32_t i;

	if (e->debt_free) {
		i = e->debt_free;
		e->debt_free = e->debts[i].lnext;
	} else {
		if (e->debts_used + 1 >= e->debts_cap) {
			uint32_t ncap = e->debts_cap ? e->debts_cap * 2 : 256;
			struct debt *n = ncap > e->debts_cap ?
					 realloc(e->debts, (size_t)ncap * sizeof(*n)) : NULL;

			if (!n)
				return 0;
			e->debts = n;
			e->debts_cap = ncap;
			if (!e->debts_used)
				e->debts_used = 1;	/* slot 0 is nil */
		}
		i = e->debts_used++;
	}
	memset(&e->debts[i], 0, sizeof(e->debts[i]));
	return i;
}

static void debt_release(struct engine *e, uint32_t i)
{
	e->debts[i].lnext = e->debt_free;
	e->debt_free = i;
}

static void list_del(struct engine *e, uint32_t *head, uint32_t *tail, uint32_t i)
{
	struct debt *n = debt(e, i);

	if (n->lprev)
		debt(e, n->lprev)->lnext = n->lnext;
	else
		*head = n->lnext;
	if (n->lnext)
		debt(e, n->lnext)->lprev = n->lprev;
	else
		*tail = n->lprev;
	n->lprev = n->lnext = 0;
}

static void list_append(struct engine *e, uint32_t *head, uint32_t *tail, uint32_t i)
{
	struct debt *n = debt(e, i);

	n->lnext = 0;
	n->lprev = *tail;
	if (*tail)
		debt(e, *tail)->lnext = i;
	else
		*head = i;
	*tail = i;
}

static void timer_del(struct engine *e, uint32_t i)
{
	struct debt *n = debt(e, i);

	if (!n->in_timer)
		return;
	if (n->tprev)
		debt(e, n->tprev)->tnext = n->tnext;
	else
		e->t_head = n->tnext;
	if (n->tnext)
		debt(e, n->tnext)->tprev = n->tprev;
	else
		e->t_tail = n->tprev;
	n->tprev = n->tnext = 0;
	n->in_timer = 0;
}

/* take page-table node I out of the accounting of its state */
static void node_detach(struct engine *e, struct domain *d, uint32_t i)
{
	struct iova_node *n = iova_node(&e->pool, i);

	switch (n->state) {
	case IOVA_MAPPED:
		d->live_mappings--;
		d->live_bytes -= n->end - n->start;
		e->sum.live_mappings--;
		break;
	case IOVA_FREED:
		d->freed--;
		break;
	}
}

static inline uint64_t hidx_hash(uint32_t dom, uint64_t start)
{
	return idmap__mix64(start ^ ((uint64_t)dom << 40) ^ dom);
}

static uint64_t hidx_hash_of(uint32_t i, const void *ctx)
{
	const struct iova_node *x = iova_node(ctx, i);

	return hidx_hash(x->domain, x->start);
}

/* index node I (its domain and start are set); a full table only costs speed */
static void hidx_insert(struct engine *e, uint32_t i)
{
	const struct iova_node *x = iova_node(&e->pool, i);

	idmap__insert(&e->hidx, hidx_hash(x->domain, x->start), i, hidx_hash_of, &e->pool);
}

static uint32_t hidx_find(const struct engine *e, uint32_t dom, uint64_t start)
{
	idmap__for_each_candidate(&e->hidx, hidx_hash(dom, start), slot, i) {
		const struct iova_node *x = iova_node(&e->pool, i);

		if (x->start == start && x->domain == dom)
			return i;
	}
	return IOVA_NIL;
}

static void hidx_remove(struct engine *e, uint32_t i)
{
	const struct iova_node *x = iova_node(&e->pool, i);

	/* not there when the table could not grow */
	idmap__delete(&e->hidx, hidx_hash(x->domain, x->start), i, hidx_hash_of, &e->pool);
}

/* release a node that is indexed */
static void node_release(struct engine *e, uint32_t i)
{
	hidx_remove(e, i);
	iova_pool__release(&e->pool, i);
}

/* a node was cut in two: the new upper piece joins the same lists, right after */
static void on_split(struct iova_pool *p, uint32_t orig, uint32_t piece, void *ctx)
{
	struct engine *e = ctx;
	const struct iova_node *o = iova_node(p, orig);
	struct domain *d = &e->doms[o->domain];

	/* OWED fragments (the TLB side) are few and found by descent: not indexed;
	 * a piece keeps the count of debts over it (copied with the node) */
	if (o->state == IOVA_OWED)
		return;
	hidx_insert(e, piece);
	o = iova_node(p, orig);	/* the index never moves the pool, but be plain about it */
	switch (o->state) {
	case IOVA_MAPPED:
		d->live_mappings++;
		e->sum.live_mappings++;
		break;
	case IOVA_FREED:
		d->freed++;
		break;
	}
}

/* ---- lifetimes ------------------------------------------------------------------ */

/* a mapping (page-table node) whose life ends without an unmap: replaced or still live */
static void lifetime_of_mapping(struct engine *e, const struct domain *d, const struct iova_node *n)
{
	struct engine_lifetime lt;

	if (!e->opts.on_lifetime || n->state != IOVA_MAPPED)
		return;
	lt = (struct engine_lifetime){
		.domain = d->ptr, .iova = n->start, .size = n->end - n->start, .map_ts = n->ts,
		.unmap_ts = ENGINE_NEVER, .inval_ts = ENGINE_NEVER, .sync_ts = ENGINE_NEVER,
	};
	e->opts.on_lifetime(&lt, e->opts.ctx);
}

static void lifetime_of_debt(struct engine *e, const struct domain *d, const struct debt *x,
			     uint64_t sync_ts)
{
	struct engine_lifetime lt;

	if (!e->opts.on_lifetime)
		return;
	lt = (struct engine_lifetime){
		.domain = d->ptr, .iova = x->start, .size = x->end - x->start, .map_ts = x->map_ts,
		.unmap_ts = x->unmap_ts, .inval_ts = x->inval_ts, .sync_ts = sync_ts,
		.unmapped_gated = x->gated,
	};
	e->opts.on_lifetime(&lt, e->opts.ctx);
}

static void debt_drop(struct engine *e, struct domain *d, uint32_t i, uint32_t *head, uint32_t *tail,
		      uint64_t sync_ts);

static void domain_release(struct engine *e, struct domain *d)
{
	int n;

	/* a freed domain's pending pieces end with it (the pointer may come back as a new domain) */
	while (d->u_head)
		debt_drop(e, d, d->u_head, &d->u_head, &d->u_tail, ENGINE_NEVER);
	while (d->i_head)
		debt_drop(e, d, d->i_head, &d->i_head, &d->i_tail, ENGINE_NEVER);
	n = iova_tree__collect(&e->pool, d->root, &e->scratch, &e->scratch_cap, 0);
	for (int k = 0; k < n; k++) {
		lifetime_of_mapping(e, d, iova_node(&e->pool, e->scratch[k]));
		node_detach(e, d, e->scratch[k]);
		node_release(e, e->scratch[k]);
	}
	n = iova_tree__collect(&e->pool, d->croot, &e->scratch, &e->scratch_cap, 0);
	for (int k = 0; k < n; k++)
		iova_pool__release(&e->pool, e->scratch[k]);
	for (int k = 0; k < d->ndevs; k++)
		free(d->devs[k].sids);
	free(d->devs);
	free(d->serve);
}

static void domain_free(struct engine *e, uint64_t ptr)
{
	struct domain *d = domain_find(e, ptr);
	uint32_t idx;

	if (!d)
		return;
	idx = dom_index(e, d);
	idmap__delete(&e->dmap, idmap__mix64(ptr), idx + 1, dmap_hash_of, e);
	e->last_dom = 0;
	domain_release(e, &e->doms[idx]);
	memset(&e->doms[idx], 0, sizeof(e->doms[idx]));
	e->doms[idx].next_free = e->dom_free;
	e->dom_free = idx + 1;
}

/* ---- gates and TBUs ----------------------------------------------------------- */

static bool tbu_gated(const struct engine *e, int t)
{
	return gates__tbu_gated(&e->g, t);
}

static bool tbu_serves(const struct domain *d, int t)
{
	return d && gates__serves(d->serve, t);
}

static void domain_recompute_serve(struct engine *e, struct domain *d)
{
	if (d->serve)
		gates__compute_serve(&e->g, d->smmu, d->devs, d->ndevs, d->serve);
}

static void tbu_add_exposure(struct engine *e, int t, const struct smt_event *ev,
			     uint64_t domain, uint64_t iova, uint64_t size)
{
	if (gates__add_exposure(&e->g, t, domain, iova, size))
		evidence_from_event(&e->g.tbus[t].first_tlbi, ev, "first TLBI while gated");
}

/* TBU T is back on: the TLBIs it missed while gated make it hold stale translations */
static void tbu_came_back(struct engine *e, int t, const struct smt_event *ev)
{
	struct tbu_state *ts = &e->g.tbus[t];
	struct finding f;
	struct evidence x;
	char extra[64] = "";

	if (!ts->exposed)
		return;
	finding_init(&f, RULE_TBU_STALE_EXPOSURE, SEV_ERROR, ev->ts);
	finding_add_tbu(e, &f, t);
	memcpy(f.ranges, ts->ranges, sizeof(ts->ranges[0]) * (size_t)ts->nranges);
	f.nranges = ts->nranges;
	f.ranges_total = ts->ranges_total;
	if (ts->nranges == 1 && ts->ranges[0].size) {
		finding_range(&f, ts->ranges[0].domain, ts->ranges[0].iova, ts->ranges[0].size);
	} else if (ts->nranges >= 1) {
		f.has_domain = true;
		f.domain = ts->ranges[0].domain;
	}
	finding_add_evidence(&f, &ts->gated_by);
	finding_add_evidence(&f, &ts->first_tlbi);
	evidence_from_event(&x, ev, "TBU back on");
	finding_add_evidence(&f, &x);
	if (ts->ranges_total > FINDING_MAX_RANGES)
		snprintf(extra, sizeof(extra), " (first %d listed)", ts->nranges);
	snprintf(f.message, sizeof(f.message),
		 "TBU %s is back on after %llu TLBI(s) over %d range(s)%s were issued while it was "
		 "gated and no SMMU reset reached it: its micro-TLB may still translate them",
		 e->topo->tbus[t].name, ts->ranges_total, ts->nranges, extra);
	emit(e, &f);
	gates__clear_exposure(&e->g, t);
}

struct gate_back_ctx {
	struct engine *e;
	const struct smt_event *ev;
};

static void on_tbu_back(int t, void *ctx)
{
	struct gate_back_ctx *c = ctx;

	tbu_came_back(c->e, t, c->ev);
}

static void gate_event(struct engine *e, enum gate_kind kind, const char *name, bool on,
		       const struct smt_event *ev)
{
	struct gate_back_ctx c = { e, ev };
	struct evidence change;

	evidence_from_event(&change, ev, on ? "gate on" : "gate off");
	gates__set(&e->g, kind, name, on, &change, on_tbu_back, &c);
}

/* one line naming what gates TBU T, for messages */
static void describe_gated(const struct engine *e, int t, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s)", e->topo->tbus[t].name, e->g.tbus[t].gated_by.what);
}

/*
 * Gate rules shared by unmap/tlbi/sync: fill F's TBU list and return the
 * severity. SCOPE_ALL: a TLBI of every context of SMMU.
 */
static enum severity gated_severity(struct engine *e, struct finding *f, const struct domain *d,
				    const char *smmu, bool scope_all, char *why, size_t whylen)
{
	enum severity sev = SEV_WARNING;
	int first = -1;

	for (int t = 0; t < e->g.ntbus; t++) {
		if (!tbu_gated(e, t))
			continue;
		if (tbu_serves(d, t) ||
		    (scope_all && smmu_match(e->topo->tbus[t].smmu, smmu))) {
			if (sev == SEV_WARNING)
				f->ntbus = 0;
			sev = SEV_ERROR;
			finding_add_tbu(e, f, t);
			if (first < 0)
				first = t;
		} else if (sev == SEV_WARNING) {
			finding_add_tbu(e, f, t);
			if (first < 0)
				first = t;
		}
	}
	if (first >= 0) {
		char g[160];

		describe_gated(e, first, g, sizeof(g));
		snprintf(why, whylen, "%s%s", g, f->ntbus > 1 ? " and others" : "");
		finding_add_evidence(f, &e->g.tbus[first].gated_by);
	}
	return sev;
}

/* ---- carving a tree -------------------------------------------------------------- */

/*
 * Carve the tree at *ROOT around [A, B) (cutting the straddlers whose state
 * is in MASK) and collect the middle's nodes into e->scratch, in order: their
 * count, or -1 when out of memory (the tree is then whole again at *ROOT).
 * The caller joins C back, with rejoin() or iova_tree__join().
 */
static int carve_collect(struct engine *e, uint32_t *root, uint64_t a, uint64_t b,
			 unsigned int mask, struct iova_carve *c)
{
	int n;

	if (!iova_tree__carve(&e->pool, *root, a, b, mask, on_split, e, c)) {
		n = iova_tree__collect(&e->pool, c->mid, &e->scratch, &e->scratch_cap, 0);
		if (n >= 0)
			return n;
	}
	*root = iova_tree__join(&e->pool, c->before, c->mid, c->after);
	return -1;
}

/* the carve C joined again at *ROOT, its middle rebuilt from the N nodes of V */
static void rejoin(struct engine *e, uint32_t *root, const struct iova_carve *c,
		   const uint32_t *v, uint32_t n)
{
	*root = iova_tree__join(&e->pool, c->before, iova_tree__build(&e->pool, v, n), c->after);
}

/* ---- the TLB side: OWED fragments -------------------------------------------------- */

/* the page-table compaction: coalesce old FREED neighbours, bounding memory on long runs */
static void compact_freed(struct engine *e, struct domain *d)
{
	int n;
	uint32_t out = 0;
	uint64_t horizon = e->sum.last_ts > e->opts.fault_window_ns ?
			   e->sum.last_ts - e->opts.fault_window_ns : 0;

	if (d->freed <= 2 * d->freed_at_compact + 4096)
		return;
	n = iova_tree__collect(&e->pool, d->root, &e->scratch, &e->scratch_cap, 0);
	if (n < 0)
		return;
	for (int k = 0; k < n; k++) {
		uint32_t i = e->scratch[k];
		struct iova_node *c = iova_node(&e->pool, i);

		if (out && c->state == IOVA_FREED && c->ts < horizon) {
			struct iova_node *p = iova_node(&e->pool, e->scratch[out - 1]);

			if (p->state == IOVA_FREED && p->ts < horizon && p->end == c->start) {
				p->end = c->end;
				if (c->ts > p->ts) {
					p->ts = c->ts;
					p->pid = c->pid;
					p->comm = c->comm;
				}
				d->freed--;
				node_release(e, i);
				continue;
			}
		}
		e->scratch[out++] = i;
	}
	d->root = iova_tree__build(&e->pool, e->scratch, out);
	d->freed_at_compact = d->freed;
}

static uint32_t cover_node_new(struct engine *e, struct domain *d, uint64_t a, uint64_t b,
			       const struct smt_event *ev, uint32_t comm)
{
	uint32_t i = iova_pool__alloc(&e->pool);
	struct iova_node *x;

	if (!i)
		return IOVA_NIL;
	x = iova_node(&e->pool, i);
	x->start = a;
	x->end = b;
	x->ts = ev->ts;
	x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
	x->comm = comm;
	x->domain = dom_index(e, d);
	x->state = IOVA_OWED;
	x->seq = 1;
	x->owed = 1;
	return i;
}

/*
 * One more pending unmap (EV) over [A, B): every byte's counts go up (seq:
 * pieces pending, owed: of them still owed, not covered by a TLBI); the
 * fragments remember the latest unmap over them (evidence for the rules).
 */
static void cover_add(struct engine *e, struct domain *d, uint64_t a, uint64_t b,
		      const struct smt_event *ev, uint32_t comm)
{
	uint32_t exact, *v;
	struct iova_carve c;
	uint64_t at = a;
	int n;
	uint32_t out = 0;

	/* strict mode: nothing else pending in the domain */
	if (!d->croot) {
		d->croot = cover_node_new(e, d, a, b, ev, comm);
		return;
	}
	exact = iova_tree__find(&e->pool, d->croot, a);
	if (exact && iova_node(&e->pool, exact)->start == a && iova_node(&e->pool, exact)->end == b) {
		struct iova_node *x = iova_node(&e->pool, exact);

		x->seq++;
		x->owed++;
		x->ts = ev->ts;
		x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
		x->comm = comm;
		return;
	}
	n = carve_collect(e, &d->croot, a, b, IOVA_MASK(IOVA_OWED), &c);
	if (n < 0)
		return;
	/* the fragments in order, with the gaps between them filled by new ones */
	if (e->scratch2_cap < (uint32_t)n * 2 + 1) {
		uint32_t ncap = (uint32_t)n * 2 + 64;

		v = realloc(e->scratch2, (size_t)ncap * sizeof(*v));
		if (!v) {
			d->croot = iova_tree__join(&e->pool, c.before, c.mid, c.after);
			return;
		}
		e->scratch2 = v;
		e->scratch2_cap = ncap;
	}
	v = e->scratch2;
	for (int k = 0; k <= n; k++) {
		uint64_t next = k < n ? iova_node(&e->pool, e->scratch[k])->start : b;

		if (at < next) {
			uint32_t g = cover_node_new(e, d, at, next, ev, comm);

			if (g)
				v[out++] = g;
		}
		if (k < n) {
			struct iova_node *x = iova_node(&e->pool, e->scratch[k]);

			x->seq++;
			x->owed++;
			x->ts = ev->ts;
			x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
			x->comm = comm;
			at = x->end;
			v[out++] = e->scratch[k];
		}
	}
	rejoin(e, &d->croot, &c, v, out);
}

/* a pending piece over [A, B) is done: counts go down, fragments at zero go */
static void cover_del(struct engine *e, struct domain *d, uint64_t a, uint64_t b, bool owed)
{
	uint32_t exact = iova_tree__find(&e->pool, d->croot, a), out = 0;
	struct iova_carve c;
	int n;

	if (exact && iova_node(&e->pool, exact)->start == a && iova_node(&e->pool, exact)->end == b) {
		struct iova_node *x = iova_node(&e->pool, exact);

		if (x->seq > 1) {
			x->seq--;
			x->owed -= owed;
			return;
		}
		/* strict mode: the only fragment */
		if (d->croot == exact && !x->left && !x->right) {
			iova_pool__release(&e->pool, exact);
			d->croot = IOVA_NIL;
			return;
		}
	}
	n = carve_collect(e, &d->croot, a, b, IOVA_MASK(IOVA_OWED), &c);
	for (int k = 0; k < n; k++) {
		uint32_t i = e->scratch[k];
		struct iova_node *x = iova_node(&e->pool, i);

		if (x->seq > 1) {
			x->seq--;
			x->owed -= owed;
			e->scratch[out++] = i;
		} else {
			iova_pool__release(&e->pool, i);
		}
	}
	if (n >= 0)
		rejoin(e, &d->croot, &c, e->scratch, out);
}

/* bytes times count, saturating (only a walk's stopping point depends on it) */
static uint64_t owed_bytes(uint64_t bytes, uint32_t count, uint64_t total)
{
	uint64_t v;

	if (__builtin_mul_overflow(bytes, (uint64_t)count, &v) || __builtin_add_overflow(total, v, &v))
		return UINT64_MAX;
	return v;
}

/*
 * A piece over [A, B) is no longer owed (a TLBI covered it): the fragments'
 * owed counts go down. With SUM, nothing changes: returns the owed bytes over
 * [A, B), each byte counted once per piece owing it.
 */
static uint64_t cover_owed(struct engine *e, struct domain *d, uint64_t a, uint64_t b, bool sum)
{
	struct iova_node *r = d->croot ? iova_node(&e->pool, d->croot) : NULL;
	struct iova_carve c;
	uint64_t total = 0;
	int n;

	if (!r)
		return 0;
	/* strict mode: one fragment */
	if (!r->left && !r->right) {
		if (r->end <= a || r->start >= b)
			return 0;
		if (r->start >= a && r->end <= b) {
			if (sum)
				return owed_bytes(r->end - r->start, r->owed, 0);
			r->owed--;
			return 0;
		}
	}
	n = carve_collect(e, &d->croot, a, b, IOVA_MASK(IOVA_OWED), &c);
	if (n < 0)
		return 0;
	for (int k = 0; k < n; k++) {
		struct iova_node *x = iova_node(&e->pool, e->scratch[k]);

		if (sum)
			total = owed_bytes(x->end - x->start, x->owed, total);
		else
			x->owed--;
	}
	d->croot = iova_tree__join(&e->pool, c.before, c.mid, c.after);
	return total;
}

/* ---- the TLB side: debt pieces ----------------------------------------------------- */

/* piece I of a pending unmap, on list HEAD/TAIL, leaves: completed at SYNC_TS or dropped */
static void debt_drop(struct engine *e, struct domain *d, uint32_t i, uint32_t *head, uint32_t *tail,
		      uint64_t sync_ts)
{
	struct debt *x = debt(e, i);

	lifetime_of_debt(e, d, x, sync_ts);
	cover_del(e, d, x->start, x->end, !x->covered);
	list_del(e, head, tail, i);
	timer_del(e, i);
	d->pending--;
	e->sum.pending_invalidations--;
	debt_release(e, i);
}

/* a new piece [A, B) of the unmap EV (numbered SEQ), owed, on the timer */
static void debt_new(struct engine *e, struct domain *d, uint64_t a, uint64_t b, uint64_t map_ts,
		     const struct smt_event *ev, uint32_t comm, uint32_t seq, bool gated)
{
	uint32_t i = debt_alloc(e);
	struct debt *x;

	if (!i)
		return;
	x = debt(e, i);
	x->start = a;
	x->end = b;
	x->unmap_ts = ev->ts;
	x->map_ts = map_ts;
	x->inval_ts = ENGINE_NEVER;
	x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
	x->comm = comm;
	x->seq = seq;
	x->domain = dom_index(e, d);
	x->gated = gated;
	list_append(e, &d->u_head, &d->u_tail, i);
	d->pending++;
	e->sum.pending_invalidations++;
	/* timer list: appended in unmap (= ts) order */
	x->in_timer = 1;
	x->tprev = e->t_tail;
	x->tnext = 0;
	if (e->t_tail)
		debt(e, e->t_tail)->tnext = i;
	else
		e->t_head = i;
	e->t_tail = i;
}

/* cut owed piece I at X: I keeps [start, X), the new piece [X, end) follows it everywhere */
static uint32_t debt_split(struct engine *e, struct domain *d, uint32_t i, uint64_t x)
{
	uint32_t j = debt_alloc(e);
	struct debt *o, *n;

	if (!j)
		return 0;
	o = debt(e, i);
	n = debt(e, j);
	*n = *o;
	n->start = x;
	o->end = x;
	/* list: right after I */
	n->lprev = i;
	n->lnext = o->lnext;
	if (o->lnext)
		debt(e, o->lnext)->lprev = j;
	else if (o->covered)
		d->i_tail = j;
	else
		d->u_tail = j;
	o->lnext = j;
	/* timer: right after I, so the pieces of one unmap stay together */
	n->tprev = n->tnext = 0;
	n->in_timer = 0;
	if (o->in_timer) {
		n->in_timer = 1;
		n->tprev = i;
		n->tnext = o->tnext;
		if (o->tnext)
			debt(e, o->tnext)->tprev = j;
		else
			e->t_tail = j;
		o->tnext = j;
	}
	d->pending++;
	e->sum.pending_invalidations++;
	return j;
}

/* owed piece I is covered by a TLBI at TS */
static void debt_cover(struct engine *e, struct domain *d, uint32_t i, uint64_t ts)
{
	list_del(e, &d->u_head, &d->u_tail, i);
	debt(e, i)->covered = 1;
	debt(e, i)->inval_ts = ts;
	list_append(e, &d->i_head, &d->i_tail, i);
	cover_owed(e, d, debt(e, i)->start, debt(e, i)->end, false);
}

/* a TLBI at TS covers every owed piece of D */
static void invalidate_domain(struct engine *e, struct domain *d, uint64_t ts)
{
	while (d->u_head)
		debt_cover(e, d, d->u_head, ts);
}

/* a TLBI at TS covers the owed pieces of D inside [A, B), cut to it */
/*
 * A TLBI at TS covers the owed pieces of D inside [A, B), cut to it. The
 * fragments' owed counts say how many bytes are owed there: the walk (newest first,
 * as strict mode invalidates what it just unmapped) stops when that is
 * covered, so pieces a lossy capture left owed forever are not walked by
 * every later TLBI.
 */
static void invalidate_range(struct engine *e, struct domain *d, uint64_t a, uint64_t b, uint64_t ts)
{
	uint64_t left = cover_owed(e, d, a, b, true);
	uint32_t i = d->u_tail;

	while (i && left) {
		struct debt *x = debt(e, i);
		uint32_t prev = x->lprev;
		uint64_t n;

		if (x->end <= a || x->start >= b) {
			i = prev;
			continue;
		}
		/* cuts put the new piece after I: the part outside [A, B) is not visited again */
		if (x->end > b && !debt_split(e, d, i, b)) {
			i = prev;
			continue;
		}
		if (debt(e, i)->start < a && !(i = debt_split(e, d, i, a))) {
			i = prev;
			continue;
		}
		n = debt(e, i)->end - debt(e, i)->start;
		debt_cover(e, d, i, ts);
		if (left != UINT64_MAX)
			left = n < left ? left - n : 0;
		i = prev;
	}
}

/* a sync at TS completes every covered piece of D; with ALL (flush_all,
 * smmu_reset: invalidate + sync in one) owed ones too */
static void complete_domain(struct engine *e, struct domain *d, bool all, uint64_t ts)
{
	if (all)
		invalidate_domain(e, d, ts);
	while (d->i_head)
		debt_drop(e, d, d->i_head, &d->i_head, &d->i_tail, ts);
}

/* domains on SMMU (all domains when it is unknown); doms is NULL before the first one */
#define for_each_domain_on(e, d, smmu)						\
	for (struct domain *d = (e)->doms; d && d < (e)->doms + (e)->ndoms; d++)	\
		if (d->used && smmu_match(d->smmu, smmu))

/* ---- the unmap-no-invalidate timer ----------------------------------------------- */

/* evidence for the unmap that made piece X */
static void evidence_from_debt(const struct engine *e, struct evidence *x, const struct debt *n,
			       uint64_t domain, uint64_t lo, uint64_t hi, const char *what)
{
	memset(x, 0, sizeof(*x));
	x->type = SMT_EV_UNMAP;
	x->ts = n->unmap_ts;
	x->pid = n->pid;
	x->present = SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
	if (n->pid >= 0)
		x->present |= SMT_HAS_PID;
	if (n->comm && n->comm < e->ncomms) {
		memcpy(x->comm, e->comms[n->comm], SMT_COMM_LEN);
		x->present |= SMT_HAS_COMM;
	}
	x->domain = domain;
	x->iova = lo;
	x->size = hi - lo;
	snprintf(x->what, sizeof(x->what), "%s", what);
}

static void check_timer(struct engine *e, uint64_t now)
{
	while (e->t_head) {
		uint32_t i = e->t_head, seq;
		struct debt *n = debt(e, i);
		struct domain *d = &e->doms[n->domain];
		uint64_t lo, hi, ts = n->unmap_ts;
		struct finding f;
		struct evidence x;
		char t[32];
		bool synced_missing;

		if (now - n->unmap_ts <= e->opts.inval_window_ns)
			break;
		/* pieces of one unmap sit together on the list: one finding for what is left of it */
		seq = n->seq;
		lo = n->start;
		hi = n->end;
		synced_missing = true;
		while (e->t_head && debt(e, e->t_head)->seq == seq) {
			struct debt *m = debt(e, e->t_head);

			if (m->start < lo)
				lo = m->start;
			if (m->end > hi)
				hi = m->end;
			if (!m->covered)
				synced_missing = false;
			timer_del(e, e->t_head);
		}
		evidence_from_debt(e, &x, debt(e, i), d->ptr, lo, hi, "unmap");
		finding_init(&f, RULE_UNMAP_NO_INVALIDATE, SEV_WARNING, ts);
		finding_range(&f, d->ptr, lo, hi - lo);
		finding_add_evidence(&f, &x);
		snprintf(f.message, sizeof(f.message),
			 "range unmapped at %s is still not %s %" PRIu64
			 " ms later: the TLB may translate it",
			 fmt_secs(t, sizeof(t), ts),
			 synced_missing ? "synced after its TLBI" : "invalidated (TLBI + sync)",
			 e->opts.inval_window_ns / 1000000);
		emit(e, &f);
	}
}

/* ---- event handlers ------------------------------------------------------------ */

static void dev_remove(struct engine *e, struct domain *d, const char *dev)
{
	for (int k = 0; k < d->ndevs; k++) {
		if (strcmp(d->devs[k].dev, dev) == 0) {
			free(d->devs[k].sids);
			d->devs[k] = d->devs[--d->ndevs];
			domain_recompute_serve(e, d);
			return;
		}
	}
}

static void on_attach(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = domain_get(e, ev->domain);
	struct dev_att *a = NULL;

	if (!d)
		return;
	/* a device is in one domain at a time: attaching moves it */
	for (struct domain *o = e->doms; o && o < e->doms + e->ndoms; o++)
		if (o->used && o != d)
			dev_remove(e, o, ev->name);
	if (ev->present & SMT_HAS_SMMU && ev->smmu[0])
		snprintf(d->smmu, sizeof(d->smmu), "%s", ev->smmu);
	for (int k = 0; k < d->ndevs; k++)
		if (strcmp(d->devs[k].dev, ev->name) == 0)
			a = &d->devs[k];
	if (!a) {
		struct dev_att *n = realloc(d->devs, (size_t)(d->ndevs + 1) * sizeof(*n));

		if (!n)
			return;
		d->devs = n;
		a = &d->devs[d->ndevs++];
		memset(a, 0, sizeof(*a));
		snprintf(a->dev, sizeof(a->dev), "%s", ev->name);
	}
	free(a->sids);
	a->sids = NULL;
	a->nsids = 0;
	if (ev->nsids) {
		uint32_t n = ev->nsids > SMT_MAX_SIDS ? SMT_MAX_SIDS : ev->nsids;

		a->sids = malloc(n * sizeof(uint32_t));
		if (a->sids) {
			memcpy(a->sids, ev->sids, n * sizeof(uint32_t));
			a->nsids = n;
		}
	}
	domain_recompute_serve(e, d);
}

static void on_detach(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = domain_find(e, ev->domain);

	if (d)
		dev_remove(e, d, ev->name);
}

static int grow_scratch(struct engine *e)
{
	uint32_t ncap = e->scratch_cap ? e->scratch_cap * 2 : 64;
	uint32_t *n = realloc(e->scratch, (size_t)ncap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	e->scratch = n;
	e->scratch_cap = ncap;
	return 0;
}

/* the node holding exactly [A, B), or IOVA_NIL */
static uint32_t exact_node(struct engine *e, const struct domain *d, uint64_t a, uint64_t b)
{
	uint32_t i = hidx_find(e, dom_index(e, d), a);
	const struct iova_node *n;

	if (!i)
		return IOVA_NIL;
	n = iova_node(&e->pool, i);
	return n->start == a && n->end == b ? i : IOVA_NIL;
}

/*
 * The ranges over [A, B) into e->scratch: the EXACT node alone when there is
 * one (the tree stays as it is), else the middle of a carve (C; the caller
 * joins it back). Their count, or -1 when out of memory (tree left whole).
 */
static int ranges_over(struct engine *e, struct domain *d, uint64_t a, uint64_t b,
		       uint32_t exact, struct iova_carve *c)
{
	if (exact) {
		if (!e->scratch_cap && grow_scratch(e))
			return -1;
		e->scratch[0] = exact;
		return 1;
	}
	return carve_collect(e, &d->root, a, b, IOVA_MASK_ALL, c);
}

static void on_map(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = domain_get(e, ev->domain);
	uint64_t a = ev->iova, b = range_end(ev->iova, ev->size);
	struct iova_carve c;
	int n, over_live = -1, over_known_free = -1;
	uint32_t nn, exact, owed;

	if (!d || ev->size == 0)
		return;
	d->maps++;
	/* the common case, an IOVA handed out again whole: no carving */
	exact = exact_node(e, d, a, b);
	n = ranges_over(e, d, a, b, exact, &c);
	if (n < 0)
		return;
	for (int k = 0; k < n; k++) {
		struct iova_node *x = iova_node(&e->pool, e->scratch[k]);

		if (x->state == IOVA_MAPPED && over_live < 0)
			over_live = k;
		else if (x->state == IOVA_FREED && over_known_free < 0)
			over_known_free = k;
	}

	if (ev->ret != 0) {
		/* failed map: the model does not change */
		if (ev->ret == -EEXIST_ERRNO && over_live < 0 && over_known_free >= 0) {
			struct iova_node *x = iova_node(&e->pool, e->scratch[over_known_free]);
			struct finding f;
			char t[32];

			node_finding_init(e, &f, RULE_STALE_PTE, SEV_ERROR, d->ptr, ev, ev->size,
					  "map failed -EEXIST", x, "earlier unmap reported success");
			snprintf(f.message, sizeof(f.message),
				 "map failed with -EEXIST over 0x%" PRIx64 "+0x%" PRIx64 " although its "
				 "unmap at %s reported success: the unmap left PTEs behind",
				 x->start, x->end - x->start, fmt_secs(t, sizeof(t), x->ts));
			emit(e, &f);
		}
		if (!exact)
			d->root = iova_tree__join(&e->pool, c.before, c.mid, c.after);
		return;
	}

	if (over_live >= 0) {
		struct iova_node *x = iova_node(&e->pool, e->scratch[over_live]);
		struct finding f;
		char t[32];

		node_finding_init(e, &f, RULE_MAP_OVER_LIVE, SEV_ERROR, d->ptr, ev, ev->size, "map", x,
				  "live mapping");
		snprintf(f.message, sizeof(f.message),
			 "map succeeded over 0x%" PRIx64 "+0x%" PRIx64 ", still mapped since %s",
			 x->start, x->end - x->start, fmt_secs(t, sizeof(t), x->ts));
		emit(e, &f);
	}
	/* the TLBs: does an unmap here still owe its invalidation? (the page tables do not say) */
	owed = iova_tree__overlap(&e->pool, d->croot, a, b);
	if (owed) {
		struct iova_node *x = iova_node(&e->pool, owed);
		struct finding f;
		char t[32];

		node_finding_init(e, &f, RULE_IOVA_REUSE_BEFORE_SYNC, SEV_ERROR, d->ptr, ev, ev->size,
				  "map (reuse)", x, "unmap not yet invalidated");
		snprintf(f.message, sizeof(f.message),
			 "IOVA 0x%" PRIx64 "+0x%" PRIx64 " mapped again before its unmap at %s was "
			 "invalidated (a covering TLBI and a sync after it)",
			 x->start, x->end - x->start, fmt_secs(t, sizeof(t), x->ts));
		emit(e, &f);
	}

	/* the page tables: the map replaces whatever they held there (debts stay) */
	if (exact) {
		lifetime_of_mapping(e, d, iova_node(&e->pool, exact));
		node_detach(e, d, exact);
		nn = exact;
	} else {
		for (int k = 0; k < n; k++) {
			lifetime_of_mapping(e, d, iova_node(&e->pool, e->scratch[k]));
			node_detach(e, d, e->scratch[k]);
			node_release(e, e->scratch[k]);
		}
		nn = iova_pool__alloc(&e->pool);
	}
	if (nn) {
		struct iova_node *x = iova_node(&e->pool, nn);

		x->start = a;
		x->end = b;
		x->ts = ev->ts;
		x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
		x->comm = comm_intern(e, ev);
		x->domain = dom_index(e, d);
		x->seq = 0;
		x->state = IOVA_MAPPED;
		if (!exact)
			hidx_insert(e, nn);
		x = iova_node(&e->pool, nn);
		d->live_mappings++;
		d->live_bytes += b - a;
		e->sum.live_mappings++;
		if (e->sum.live_mappings > e->sum.peak_live_mappings)
			e->sum.peak_live_mappings = e->sum.live_mappings;
	}
	if (!exact)
		d->root = iova_tree__join(&e->pool, c.before, nn, c.after);
}

static void on_unmap(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = domain_get(e, ev->domain);
	uint64_t a = ev->iova, b = range_end(ev->iova, ev->size), done;
	bool short_ret;
	uint64_t mapped_bytes = 0, known_unmapped = 0, unknown;
	struct iova_carve c;
	uint32_t keep = IOVA_NIL, nn = IOVA_NIL, exact;
	struct iova_node *known = NULL;
	bool gated = false;
	uint32_t comm;
	int n;

	if (!d || ev->size == 0)
		return;
	d->unmaps++;
	/* ret is bytes unmapped; only that part becomes unmapped in the model */
	short_ret = ev->ret < 0 || (uint64_t)ev->ret < ev->size;
	done = ev->ret > 0 ? ((uint64_t)ev->ret < b - a ? (uint64_t)ev->ret : b - a) : 0;

	if (e->g.gated_tbus) {
		struct finding f;
		struct evidence x;
		char why[200] = "";

		finding_init(&f, RULE_UNMAP_WHILE_GATED, SEV_WARNING, ev->ts);
		finding_range(&f, d->ptr, ev->iova, ev->size);
		evidence_from_event(&x, ev, "unmap");
		finding_add_evidence(&f, &x);
		f.severity = gated_severity(e, &f, d, d->smmu, false, why, sizeof(why));
		snprintf(f.message, sizeof(f.message),
			 f.severity == SEV_ERROR ?
			 "unmap while TBU %s serving this domain is gated: its micro-TLB may miss the invalidation" :
			 "unmap while TBU %s is gated (it does not serve this domain)", why);
		gated = f.severity == SEV_ERROR;
		emit(e, &f);
	}

	/* the common case, a whole mapping unmapped: no carving */
	exact = a + done == b ? exact_node(e, d, a, b) : IOVA_NIL;
	n = ranges_over(e, d, a, b, exact, &c);
	if (n < 0)
		return;
	for (int k = 0; k < n; k++) {
		struct iova_node *x = iova_node(&e->pool, e->scratch[k]);
		uint64_t len = x->end - x->start;

		if (x->state == IOVA_MAPPED) {
			mapped_bytes += len;
			if (x->start < a + done) {
				uint64_t life = ev->ts - x->ts;

				e->sum.lifetime_hist[hist__bucket(life)]++;
			}
		} else {
			known_unmapped += len;
			if (!known)
				known = x;
		}
	}
	unknown = (b - a) - mapped_bytes - known_unmapped;

	if (short_ret || known_unmapped || (unknown && e->since_boot)) {
		struct finding f;
		struct evidence x;

		finding_init(&f, RULE_UNMAP_UNMAPPED, SEV_WARNING, ev->ts);
		finding_range(&f, d->ptr, ev->iova, ev->size);
		evidence_from_event(&x, ev, "unmap");
		finding_add_evidence(&f, &x);
		if (short_ret)
			snprintf(f.message, sizeof(f.message),
				 "unmap returned %" PRId64 " of %" PRIu64 " bytes", (int64_t)ev->ret, (uint64_t)ev->size);
		else if (known_unmapped) {
			struct evidence y;
			char t[32];

			evidence_from_node(e, &y, known, d->ptr, "earlier unmap");
			finding_add_evidence(&f, &y);
			snprintf(f.message, sizeof(f.message),
				 "unmap covers 0x%" PRIx64 " bytes already unmapped at %s (double unmap)",
				 known_unmapped, fmt_secs(t, sizeof(t), known->ts));
		} else
			snprintf(f.message, sizeof(f.message),
				 "unmap covers 0x%" PRIx64 " bytes never seen mapped", unknown);
		emit(e, &f);
	}

	/* only [a, a+done) was unmapped (ret); what the kernel did not unmap stays as it was */
	if (a + done < b) {
		struct iova_carve c2;

		if (iova_tree__carve(&e->pool, c.mid, a + done, b, IOVA_MASK_ALL, on_split, e, &c2)) {
			d->root = iova_tree__join(&e->pool, c.before, c.mid, c.after);
			return;
		}
		keep = iova_tree__join(&e->pool, IOVA_NIL, c2.mid, c2.after);
		n = iova_tree__collect(&e->pool, c2.before, &e->scratch, &e->scratch_cap, 0);
	}
	comm = comm_intern(e, ev);
	if (done) {
		/*
		 * The TLBs: this unmap owes an invalidation for [a, a+done), in one
		 * piece per mapping it took (their lifetimes) and one per run of
		 * bytes not mapped before, all numbered as this unmap.
		 */
		uint64_t run = a, end = a + done;
		uint32_t seq = ++e->seq;

		for (int k = 0; k <= n; k++) {
			const struct iova_node *x = k < n ? iova_node(&e->pool, e->scratch[k]) : NULL;

			if (x && x->state != IOVA_MAPPED)
				continue;
			/* [run, here) is not mapped: bytes never seen or known unmapped */
			if (run < (x ? x->start : end))
				debt_new(e, d, run, x ? x->start : end, ENGINE_NEVER, ev, comm, seq, gated);
			if (!x)
				break;
			debt_new(e, d, x->start, x->end, x->ts, ev, comm, seq, gated);
			run = x->end;
		}
	}
	/* the page tables: [a, a+done) becomes one FREED range; what the kernel did not unmap stays */
	if (exact) {
		node_detach(e, d, exact);
		nn = exact;
	} else {
		for (int k = 0; k < n; k++) {
			node_detach(e, d, e->scratch[k]);
			node_release(e, e->scratch[k]);
		}
		if (done)
			nn = iova_pool__alloc(&e->pool);
	}
	if (done && nn) {
		struct iova_node *x = iova_node(&e->pool, nn);

		x->start = a;
		x->end = a + done;
		x->ts = ev->ts;
		x->pid = (ev->present & SMT_HAS_PID) ? ev->pid : -1;
		x->comm = comm;
		x->domain = dom_index(e, d);
		x->seq = 0;
		x->state = IOVA_FREED;
		if (!exact)
			hidx_insert(e, nn);
		d->freed++;
	}
	if (!exact)
		d->root = iova_tree__join(&e->pool, c.before,
					  iova_tree__join(&e->pool, IOVA_NIL, nn, keep), c.after);
	if (done) {
		cover_add(e, d, a, a + done, ev, comm);
		compact_freed(e, d);
	}
}

/* gate rules for TLBIs and flush_all; also records stale exposure */
static void tlbi_gate_rules(struct engine *e, const struct smt_event *ev, struct domain *d,
			    const char *smmu, bool scope_all)
{
	struct finding f;
	struct evidence x;
	char why[200] = "";

	if (!e->g.gated_tbus)
		return;
	finding_init(&f, RULE_TLBI_WHILE_GATED, SEV_WARNING, ev->ts);
	if (d) {
		f.has_domain = true;
		f.domain = d->ptr;
	}
	if (ev->type == SMT_EV_TLBI && ev->scope == SMT_TLBI_VA)
		finding_range(&f, ev->domain, ev->iova, ev->size);
	evidence_from_event(&x, ev, ev->type == SMT_EV_FLUSH_ALL ? "flush_all" : "tlbi");
	finding_add_evidence(&f, &x);
	f.severity = gated_severity(e, &f, d, smmu, scope_all, why, sizeof(why));
	snprintf(f.message, sizeof(f.message),
		 f.severity == SEV_ERROR ?
		 "%s while TBU %s is gated: the invalidation may never reach its micro-TLB" :
		 "%s while TBU %s is gated (it does not serve this domain)",
		 ev->type == SMT_EV_FLUSH_ALL ? "flush_all" :
		 scope_all ? "TLBI of all contexts" : "TLBI", why);
	emit(e, &f);

	for (int t = 0; t < e->g.ntbus; t++) {
		if (!tbu_gated(e, t))
			continue;
		if (tbu_serves(d, t))
			tbu_add_exposure(e, t, ev, d->ptr,
					 ev->type == SMT_EV_TLBI && ev->scope == SMT_TLBI_VA ? ev->iova : 0,
					 ev->type == SMT_EV_TLBI && ev->scope == SMT_TLBI_VA ? ev->size : 0);
		else if (scope_all && smmu_match(e->topo->tbus[t].smmu, smmu))
			tbu_add_exposure(e, t, ev, 0, 0, 0);
	}
}

static const char *event_smmu(struct engine *e, const struct smt_event *ev, const struct domain *d)
{
	if (ev->present & SMT_HAS_SMMU && ev->smmu[0])
		return ev->smmu;
	if (d)
		return d->smmu;
	return e->default_smmu;
}

static void on_tlbi(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = NULL;
	const char *smmu;

	if (ev->present & SMT_HAS_DOMAIN)
		d = domain_get(e, ev->domain);
	smmu = event_smmu(e, ev, d);
	tlbi_gate_rules(e, ev, d, smmu, ev->scope == SMT_TLBI_ALL);

	if (ev->scope == SMT_TLBI_ALL) {
		for_each_domain_on(e, x, smmu)
			invalidate_domain(e, x, ev->ts);
		return;
	}
	if (!d)
		return;
	/* a "va" TLBI without its range covers the whole domain */
	if (ev->scope == SMT_TLBI_CONTEXT ||
	    (ev->present & (SMT_HAS_IOVA | SMT_HAS_SIZE)) != (SMT_HAS_IOVA | SMT_HAS_SIZE)) {
		invalidate_domain(e, d, ev->ts);
		return;
	}
	if (ev->size)
		invalidate_range(e, d, ev->iova, range_end(ev->iova, ev->size), ev->ts);
}

/* a sync rule's finding: on the sync's domain, with the sync as evidence */
static void sync_finding(struct finding *f, enum rule rule, enum severity sev,
			 const struct smt_event *ev, const struct domain *d)
{
	struct evidence x;

	finding_init(f, rule, sev, ev->ts);
	if (d) {
		f->has_domain = true;
		f->domain = d->ptr;
	}
	evidence_from_event(&x, ev, "sync");
	finding_add_evidence(f, &x);
}

static void on_sync(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = NULL;
	const char *smmu;

	if (ev->present & SMT_HAS_DOMAIN)
		d = domain_get(e, ev->domain);
	smmu = event_smmu(e, ev, d);
	e->sum.sync_hist[hist__bucket(ev->dur)]++;

	if (ev->timeout) {
		struct finding f;

		sync_finding(&f, RULE_SYNC_TIMEOUT, SEV_ERROR, ev, d);
		snprintf(f.message, sizeof(f.message),
			 "TLB sync timed out after %" PRIu64 " us on %s: the SMMU may be deadlocked "
			 "or a TBU did not acknowledge", (uint64_t)ev->dur / 1000, smmu[0] ? smmu : "the SMMU");
		emit(e, &f);
	} else if (ev->dur > e->opts.sync_slow_ns) {
		struct finding f;

		sync_finding(&f, RULE_SYNC_SLOW, SEV_WARNING, ev, d);
		snprintf(f.message, sizeof(f.message),
			 "TLB sync took %" PRIu64 " us (threshold %" PRIu64 " us)",
			 (uint64_t)ev->dur / 1000, e->opts.sync_slow_ns / 1000);
		emit(e, &f);
	}

	if (e->g.gated_tbus) {
		int first = -1, count = 0;

		for (int t = 0; t < e->g.ntbus; t++)
			if (tbu_gated(e, t) && smmu_match(e->topo->tbus[t].smmu, smmu)) {
				if (first < 0)
					first = t;
				count++;
			}
		if (first >= 0) {
			struct finding f;
			struct evidence x;
			char why[160];

			finding_init(&f, RULE_SYNC_WHILE_GATED, SEV_WARNING, ev->ts);
			if (d) {
				f.has_domain = true;
				f.domain = d->ptr;
			}
			for (int t = 0; t < e->g.ntbus; t++)
				if (tbu_gated(e, t) && smmu_match(e->topo->tbus[t].smmu, smmu))
					finding_add_tbu(e, &f, t);
			evidence_from_event(&x, ev, "sync");
			finding_add_evidence(&f, &x);
			finding_add_evidence(&f, &e->g.tbus[first].gated_by);
			describe_gated(e, first, why, sizeof(why));
			snprintf(f.message, sizeof(f.message),
				 "TLB sync while TBU %s%s of this SMMU is gated: it cannot "
				 "acknowledge what it never saw", why, count > 1 ? " and others" : "");
			emit(e, &f);
		}
	}

	/* a context sync without its domain cannot be placed: it syncs as global */
	if (ev->scope == SMT_SYNC_GLOBAL || !d) {
		for_each_domain_on(e, x, smmu)
			complete_domain(e, x, false, ev->ts);
	} else {
		complete_domain(e, d, false, ev->ts);
	}
}

static void on_flush_all(struct engine *e, const struct smt_event *ev)
{
	struct domain *d = domain_get(e, ev->domain);

	if (!d)
		return;
	tlbi_gate_rules(e, ev, d, d->smmu, false);
	complete_domain(e, d, true, ev->ts);
}

static void on_smmu_reset(struct engine *e, const struct smt_event *ev)
{
	const char *smmu = ev->smmu;

	for_each_domain_on(e, x, smmu)
		complete_domain(e, x, true, ev->ts);
	for (int t = 0; t < e->g.ntbus; t++) {
		if (tbu_gated(e, t) || !smmu_match(e->topo->tbus[t].smmu, smmu))
			continue;
		gates__clear_exposure(&e->g, t);
	}
}

static void on_fault(struct engine *e, const struct smt_event *ev)
{
	uint64_t now = ev->ts;
	struct iova_node *hit = NULL;
	struct domain *hit_d = NULL;

	for (struct domain *d = e->doms; d && d < e->doms + e->ndoms; d++) {
		uint32_t i, cands[2];

		if (!d->used)
			continue;
		if (ev->present & SMT_HAS_DOMAIN) {
			if (d->ptr != ev->domain)
				continue;
		} else if (ev->present & SMT_HAS_NAME && ev->name[0]) {
			bool has = false;

			for (int k = 0; k < d->ndevs; k++)
				has |= strcmp(d->devs[k].dev, ev->name) == 0;
			if (!has)
				continue;
		} else if (ev->present & SMT_HAS_SMMU && !smmu_match(d->smmu, ev->smmu)) {
			continue;
		}
		/*
		 * An IOVA unmapped in the window: the page tables' last unmap of it
		 * while it is still unmapped, or an unmap still owing its
		 * invalidation although the IOVA was mapped again. The latest wins.
		 */
		cands[0] = iova_tree__find(&e->pool, d->root, ev->iova);
		cands[1] = iova_tree__find(&e->pool, d->croot, ev->iova);
		for (int k = 0; k < 2; k++) {
			struct iova_node *x;

			if (!(i = cands[k]))
				continue;
			x = iova_node(&e->pool, i);
			if (x->state == IOVA_MAPPED || x->ts > now || now - x->ts > e->opts.fault_window_ns)
				continue;
			if (!hit || x->ts > hit->ts) {
				hit = x;
				hit_d = d;
			}
		}
	}
	if (hit) {
		struct finding f;
		char t[32];

		node_finding_init(e, &f, RULE_FAULT_AFTER_UNMAP, SEV_ERROR, hit_d->ptr, ev, 0, "fault",
				  hit, "unmap");
		snprintf(f.message, sizeof(f.message),
			 "fault at IOVA 0x%" PRIx64 " %" PRIu64 " us after it was unmapped "
			 "(unmap of 0x%" PRIx64 "+0x%" PRIx64 " at %s): "
			 "the device still uses a buffer it gave back",
			 (uint64_t)ev->iova, (now - hit->ts) / 1000, hit->start, hit->end - hit->start,
			 fmt_secs(t, sizeof(t), hit->ts));
		emit(e, &f);
	}
}

static void on_lost(struct engine *e, const struct smt_event *ev)
{
	struct finding f;
	struct evidence x;

	e->sum.lost += ev->count;
	finding_init(&f, RULE_EVENTS_LOST, SEV_WARNING, ev->ts);
	evidence_from_event(&x, ev, "lost");
	finding_add_evidence(&f, &x);
	snprintf(f.message, sizeof(f.message),
		 "the capture dropped %" PRIu64 " events here: findings after this point may be "
		 "incomplete or wrong", (uint64_t)ev->count);
	e->incomplete = true;
	emit(e, &f);
}

static void on_meta(struct engine *e, const struct smt_event *ev)
{
	if (ev->present & SMT_HAS_SINCE_BOOT)
		e->since_boot = ev->since_boot;
	if (ev->present & SMT_HAS_STRICT) {
		e->strict_known = true;
		e->strict = ev->strict;
	}
}

static void on_domain_free(struct engine *e, const struct smt_event *ev)
{
	domain_free(e, ev->domain);
}

static void on_rpm(struct engine *e, const struct smt_event *ev)
{
	gate_event(e, GATE_RPM, ev->name, ev->state != SMT_RPM_SUSPENDED, ev);
}

static void on_clk(struct engine *e, const struct smt_event *ev)
{
	gate_event(e, GATE_CLK, ev->name, ev->on, ev);
}

static void on_pd(struct engine *e, const struct smt_event *ev)
{
	gate_event(e, GATE_PD, ev->name, ev->on, ev);
}

typedef void (*event_handler)(struct engine *e, const struct smt_event *ev);

static const event_handler handlers[SMT_EV_MAX] = {
	[SMT_EV_META] = on_meta,
	[SMT_EV_ATTACH] = on_attach,
	[SMT_EV_DETACH] = on_detach,
	[SMT_EV_DOMAIN_FREE] = on_domain_free,
	[SMT_EV_MAP] = on_map,
	[SMT_EV_UNMAP] = on_unmap,
	[SMT_EV_TLBI] = on_tlbi,
	[SMT_EV_SYNC] = on_sync,
	[SMT_EV_FLUSH_ALL] = on_flush_all,
	[SMT_EV_SMMU_RESET] = on_smmu_reset,
	[SMT_EV_RPM] = on_rpm,
	[SMT_EV_CLK] = on_clk,
	[SMT_EV_PD] = on_pd,
	[SMT_EV_FAULT] = on_fault,
	[SMT_EV_LOST] = on_lost,
};

/* ---- public API ------------------------------------------------------------------ */

struct engine *engine__new(const struct engine_opts *opts)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->opts = *opts;
	if (!e->opts.inval_window_ns)
		e->opts.inval_window_ns = ENGINE_DEFAULT_INVAL_WINDOW_NS;
	if (!e->opts.fault_window_ns)
		e->opts.fault_window_ns = ENGINE_DEFAULT_FAULT_WINDOW_NS;
	if (!e->opts.sync_slow_ns)
		e->opts.sync_slow_ns = ENGINE_DEFAULT_SYNC_SLOW_NS;
	e->topo = opts->topo;
	e->since_boot = true;
	if (iova_pool__init(&e->pool) || gates__init(&e->g, e->topo)) {
		engine__free(e);
		return NULL;
	}
	if (e->topo && e->topo->nsmmus == 1)
		snprintf(e->default_smmu, sizeof(e->default_smmu), "%s", e->topo->smmus[0].name);
	return e;
}

void engine__feed(struct engine *e, const struct smt_event *ev)
{
	if (ev->type >= SMT_EV_MAX)
		return;
	if (!e->sum.events)
		e->sum.first_ts = ev->ts;
	e->sum.events++;
	e->sum.events_by_type[ev->type]++;
	if (ev->ts > e->sum.last_ts)
		e->sum.last_ts = ev->ts;
	check_timer(e, e->sum.last_ts);

	if (handlers[ev->type])
		handlers[ev->type](e, ev);
}

/*
 * Prefetch, in two steps some events apart: first the index slot where a
 * map's or unmap's range start is found, then (its slot cached by then) the
 * range node the slot names, both of its cache lines (56-byte nodes straddle
 * them). On a large working set both are cache misses that would otherwise
 * stall one after the other in exact_node().
 */
#define PREFETCH_NODE_AHEAD 16
#define FEED_CHUNK 64

/* the index hash of EV's range start, false for events that look none up */
static bool prefetch_hash(const struct engine *e, const struct smt_event *ev, uint32_t *dom_cache,
			  uint64_t *hash)
{
	uint32_t v = *dom_cache;

	if (ev->type != SMT_EV_MAP && ev->type != SMT_EV_UNMAP)
		return false;
	/* no side effect on last_dom: a domain created later in the batch is just not prefetched */
	if (!v || e->doms[v - 1].ptr != ev->domain) {
		v = domain_lookup(e, ev->domain);
		if (!v)
			return false;
		*dom_cache = v;
	}
	*hash = hidx_hash(v - 1, ev->iova);
	return true;
}

static void prefetch_node(const struct engine *e, uint64_t hash)
{
	uint32_t i = *idmap__home_slot(&e->hidx, hash);

	if (i) {
		const char *n = (const char *)iova_node(&e->pool, i);

		__builtin_prefetch(n, 1);
		__builtin_prefetch(n + sizeof(struct iova_node) - 1, 1);
	}
}

static void feed_chunk(struct engine *e, const struct smt_event *const *evs, unsigned int n)
{
	uint64_t hash[FEED_CHUNK];
	bool has[FEED_CHUNK];
	uint32_t dom_cache = 0;

	for (unsigned int k = 0; k < n; k++) {
		has[k] = e->hidx.cap && prefetch_hash(e, evs[k], &dom_cache, &hash[k]);
		if (has[k])
			__builtin_prefetch(idmap__home_slot(&e->hidx, hash[k]));
	}
	for (unsigned int k = 0; k < n && k < PREFETCH_NODE_AHEAD; k++)
		if (has[k])
			prefetch_node(e, hash[k]);
	for (unsigned int k = 0; k < n; k++) {
		unsigned int ahead = k + PREFETCH_NODE_AHEAD;

		/* the index may have grown since: then the hash points elsewhere, no harm */
		if (ahead < n && has[ahead])
			prefetch_node(e, hash[ahead]);
		engine__feed(e, evs[k]);
	}
}

void engine__feed_batch(struct engine *e, const struct smt_event *const *evs, unsigned int n)
{
	while (n) {
		unsigned int m = n < FEED_CHUNK ? n : FEED_CHUNK;

		feed_chunk(e, evs, m);
		evs += m;
		n -= m;
	}
}

void engine__finish(struct engine *e)
{
	/* a range still pending is flagged only if its window passed by the last event */
	check_timer(e, e->sum.last_ts);
	if (e->finished || !e->opts.on_lifetime)
		return;
	e->finished = true;
	for (uint32_t k = 0; k < e->ndoms; k++) {
		struct domain *d = &e->doms[k];
		int n;

		if (!d->used)
			continue;
		n = iova_tree__collect(&e->pool, d->root, &e->scratch, &e->scratch_cap, 0);
		for (int j = 0; j < n; j++)
			lifetime_of_mapping(e, d, iova_node(&e->pool, e->scratch[j]));
		for (uint32_t i = d->u_head; i; i = debt(e, i)->lnext)
			lifetime_of_debt(e, d, debt(e, i), ENGINE_NEVER);
		for (uint32_t i = d->i_head; i; i = debt(e, i)->lnext)
			lifetime_of_debt(e, d, debt(e, i), ENGINE_NEVER);
	}
}

void engine__summary(const struct engine *e, struct engine_summary *s)
{
	*s = e->sum;
	s->domains_live = 0;
	for (uint32_t i = 0; i < e->ndoms; i++)
		s->domains_live += e->doms[i].used;
	s->range_nodes = e->pool.live;
	s->range_nodes_peak = e->pool.peak;
	s->index_slots = e->hidx.cap;
	s->strict_known = e->strict_known;
	s->strict = e->strict;
	s->since_boot = e->since_boot;
	s->unknown_gates = 0;
	for (int g = 0; g < e->g.ngates; g++) {
		if (e->g.gates[g].state >= 0)
			continue;
		if (s->unknown_gates < (int)(sizeof(s->unknown_gate_names) /
					     sizeof(s->unknown_gate_names[0])))
			s->unknown_gate_names[s->unknown_gates] = e->g.gates[g].label;
		s->unknown_gates++;
	}
}

int engine__for_each_domain(const struct engine *e,
			    void (*fn)(const struct engine_domain_info *d, void *ctx), void *ctx)
{
	int n = 0;

	for (uint32_t i = 0; i < e->ndoms; i++) {
		const struct domain *d = &e->doms[i];
		struct engine_domain_info info;

		if (!d->used)
			continue;
		memset(&info, 0, sizeof(info));
		info.domain = d->ptr;
		snprintf(info.smmu, sizeof(info.smmu), "%s", d->smmu);
		info.live_mappings = d->live_mappings;
		info.live_bytes = d->live_bytes;
		info.pending = d->pending;
		info.maps = d->maps;
		info.unmaps = d->unmaps;
		for (int k = 0; k < d->ndevs && info.ndevs < 8; k++)
			info.devs[info.ndevs++] = d->devs[k].dev;
		fn(&info, ctx);
		n++;
	}
	return n;
}

int engine__tbu_gated(const struct engine *e, int tbu_idx)
{
	return gates__tbu_state(&e->g, tbu_idx);
}

const struct engine_opts *engine__opts(const struct engine *e)
{
	return &e->opts;
}

void engine__free(struct engine *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i < e->ndoms; i++)
		if (e->doms[i].used) {
			for (int k = 0; k < e->doms[i].ndevs; k++)
				free(e->doms[i].devs[k].sids);
			free(e->doms[i].devs);
			free(e->doms[i].serve);
		}
	gates__fini(&e->g);
	free(e->doms);
	idmap__free(&e->dmap);
	idmap__free(&e->comm_ids);
	free(e->comms);
	free(e->scratch);
	free(e->scratch2);
	idmap__free(&e->hidx);
	free(e->debts);
	iova_pool__fini(&e->pool);
	free(e);
}
