// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What-if rewrites (SPEC §8). Shared bookkeeping follows the recorded stream:
 * gate states (clk/pd/rpm, as SPEC §4 reads them), which SMMU is suspended
 * (any of its gates off; default gate rpm:NAME), which domain belongs to
 * which SMMU and which SIDs it carries. Then one function per policy decides
 * what the driver would have issued instead.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "whatif.h"

#define EEXIST_RET (-17)	/* io-pgtable's -EEXIST for a map over live PTEs */

struct wgate {
	enum gate_kind kind;
	char name[SMT_NAME_LEN];
	bool off;		/* as recorded: clk/pd on:false, rpm suspended */
	bool woken;		/* wake-tbu: the policy holds it on */
	int wakers;		/* wake-tbu: open invalidation sequences holding it */
};

struct wrange {
	uint64_t domain, iova, size;
};

struct wsmmu {
	char name[SMT_NAME_LEN];
	int *gates;		/* indexes into whatif.gates */
	int ngates;
	bool suspended;
	bool resumed;		/* came back with the event being handled */
	uint64_t suspends;
	struct wrange *held;	/* defer-unmap: unmaps whose PTEs are still live */
	int nheld, capheld;
};

struct wdev {
	char name[SMT_NAME_LEN];
	uint32_t nsids;
	uint32_t sids[SMT_MAX_SIDS];
};

struct wdomain {
	uint64_t id;
	int smmu;		/* index into whatif.smmus, -1 unknown */
	struct wdev *devs;
	int ndevs;
};

struct wtbu {
	int smmu;		/* -1: any SMMU (the board did not say) */
	int *gates;
	int ngates;
};

/* wake-tbu: one open invalidation sequence holding a gate on */
struct wwake {
	int gate, smmu;
	uint64_t domain;
	bool all;		/* woken for a scope-all TLBI: only a global sync ends it */
};

struct whatif {
	struct whatif_opts o;
	struct whatif_changes ch;
	struct wgate *gates;
	int ngates;
	struct wsmmu *smmus;
	int nsmmus;
	struct wdomain *doms;
	int ndoms;
	struct wtbu *tbus;
	int ntbus;
	struct wrange *phantoms;	/* defer-unmap: mappings that failed; their unmaps go */
	int nphantoms, capphantoms;
	struct wwake *wakes;
	int nwakes, capwakes;
	int only_smmu;			/* the board's only SMMU, or -1 */
	uint64_t suspends;		/* times an SMMU went to suspended */
	bool oom;
};

static const char *const policy_names[WHATIF_POLICY_MAX] = {
	[WHATIF_DEFER_UNMAP] = "defer-unmap",
	[WHATIF_SKIP_TLBI] = "skip-tlbi",
	[WHATIF_WAKE_TBU] = "wake-tbu",
};

const char *whatif__policy_name(enum whatif_policy p)
{
	return p < WHATIF_POLICY_MAX ? policy_names[p] : "?";
}

int whatif__policy_from_name(const char *name)
{
	for (int i = 0; i < WHATIF_POLICY_MAX; i++)
		if (!strcmp(name, policy_names[i]))
			return i;
	return -1;
}

/* ---- bookkeeping -------------------------------------------------------- */

static void emit(struct whatif *w, const struct smt_event *ev)
{
	w->o.emit(ev, w->o.ctx);
}

static int gate_find(struct whatif *w, enum gate_kind kind, const char *name, bool add)
{
	struct wgate *n;

	for (int i = 0; i < w->ngates; i++)
		if (w->gates[i].kind == kind && !strcmp(w->gates[i].name, name))
			return i;
	if (!add)
		return -1;
	n = realloc(w->gates, sizeof(*n) * (size_t)(w->ngates + 1));
	if (!n) {
		w->oom = true;
		return -1;
	}
	w->gates = n;
	memset(&n[w->ngates], 0, sizeof(*n));
	n[w->ngates].kind = kind;
	snprintf(n[w->ngates].name, SMT_NAME_LEN, "%s", name);
	return w->ngates++;
}

static int add_gate_ref(struct whatif *w, int **list, int *n, const struct gate_ref *g)
{
	int k = gate_find(w, g->kind, g->name, true);
	int *nl;

	if (k < 0)
		return -1;
	nl = realloc(*list, sizeof(*nl) * (size_t)(*n + 1));
	if (!nl) {
		w->oom = true;
		return -1;
	}
	nl[(*n)++] = k;
	*list = nl;
	return 0;
}

/* SMMU by name, added on first sight with the board's gates or rpm:NAME */
static int smmu_find(struct whatif *w, const char *name)
{
	const struct topology *t = w->o.topo;
	struct gate_ref def = { .kind = GATE_RPM };
	struct wsmmu *n;
	int ti;

	if (!name[0])
		return -1;
	for (int i = 0; i < w->nsmmus; i++)
		if (!strcmp(w->smmus[i].name, name))
			return i;
	n = realloc(w->smmus, sizeof(*n) * (size_t)(w->nsmmus + 1));
	if (!n) {
		w->oom = true;
		return -1;
	}
	w->smmus = n;
	memset(&n[w->nsmmus], 0, sizeof(*n));
	snprintf(n[w->nsmmus].name, SMT_NAME_LEN, "%s", name);
	ti = t ? topology__find_smmu(t, name) : -1;
	if (ti >= 0) {
		for (int g = 0; g < t->smmus[ti].ngates; g++)
			add_gate_ref(w, &w->smmus[w->nsmmus].gates, &w->smmus[w->nsmmus].ngates,
				     &t->smmus[ti].gates[g]);
	} else {
		snprintf(def.name, sizeof(def.name), "%s", name);
		add_gate_ref(w, &w->smmus[w->nsmmus].gates, &w->smmus[w->nsmmus].ngates, &def);
	}
	/* its gates may already have been seen off */
	for (int g = 0; g < w->smmus[w->nsmmus].ngates; g++)
		w->smmus[w->nsmmus].suspended |= w->gates[w->smmus[w->nsmmus].gates[g]].off;
	return w->nsmmus++;
}

static struct wdomain *dom_find(struct whatif *w, uint64_t id, bool add)
{
	struct wdomain *n;

	for (int i = 0; i < w->ndoms; i++)
		if (w->doms[i].id == id)
			return &w->doms[i];
	if (!add)
		return NULL;
	n = realloc(w->doms, sizeof(*n) * (size_t)(w->ndoms + 1));
	if (!n) {
		w->oom = true;
		return NULL;
	}
	w->doms = n;
	memset(&n[w->ndoms], 0, sizeof(*n));
	n[w->ndoms].id = id;
	n[w->ndoms].smmu = w->only_smmu;
	return &n[w->ndoms++];
}

static void dom_drop(struct whatif *w, uint64_t id)
{
	struct wdomain *d = dom_find(w, id, false);

	if (!d)
		return;
	free(d->devs);
	*d = w->doms[--w->ndoms];
}

/* The SMMU an event is for: its own smmu field, its domain's, the only one. */
static int event_smmu(struct whatif *w, const struct smt_event *ev)
{
	struct wdomain *d;

	if ((ev->present & SMT_HAS_SMMU) && ev->smmu[0])
		return smmu_find(w, ev->smmu);
	if ((ev->present & SMT_HAS_DOMAIN) && (d = dom_find(w, ev->domain, false)))
		return d->smmu;
	return w->only_smmu;
}

static bool smmu_suspended(const struct whatif *w, int s)
{
	return s >= 0 && w->smmus[s].suspended;
}

static void on_attach(struct whatif *w, const struct smt_event *ev)
{
	struct wdomain *d = dom_find(w, ev->domain, true);
	struct wdev *nd;
	int k;

	if (!d)
		return;
	if ((ev->present & SMT_HAS_SMMU) && ev->smmu[0])
		d->smmu = smmu_find(w, ev->smmu);
	for (k = 0; k < d->ndevs; k++)
		if (!strcmp(d->devs[k].name, ev->name))
			break;
	if (k == d->ndevs) {
		nd = realloc(d->devs, sizeof(*nd) * (size_t)(d->ndevs + 1));
		if (!nd) {
			w->oom = true;
			return;
		}
		d->devs = nd;
		d->ndevs++;
	}
	memset(&d->devs[k], 0, sizeof(d->devs[k]));
	snprintf(d->devs[k].name, SMT_NAME_LEN, "%s", ev->name);
	d->devs[k].nsids = ev->nsids > SMT_MAX_SIDS ? SMT_MAX_SIDS : ev->nsids;
	memcpy(d->devs[k].sids, ev->sids, sizeof(uint32_t) * d->devs[k].nsids);
}

static void on_detach(struct whatif *w, const struct smt_event *ev)
{
	struct wdomain *d = dom_find(w, ev->domain, false);

	for (int k = 0; d && k < d->ndevs; k++)
		if (!strcmp(d->devs[k].name, ev->name)) {
			d->devs[k] = d->devs[--d->ndevs];
			break;
		}
}

/* The gate a clk/pd/rpm event is about, and whether it says "off". -1 if none. */
static int gate_of_event(struct whatif *w, const struct smt_event *ev, bool *off)
{
	enum gate_kind k;

	switch (ev->type) {
	case SMT_EV_CLK:
		k = GATE_CLK;
		*off = !ev->on;
		break;
	case SMT_EV_PD:
		k = GATE_PD;
		*off = !ev->on;
		break;
	case SMT_EV_RPM:
		k = GATE_RPM;
		*off = ev->state == SMT_RPM_SUSPENDED;
		break;
	default:
		return -1;
	}
	/* every gate is tracked: an SMMU named later may use it */
	return gate_find(w, k, ev->name, true);
}

static bool range_overlap(const struct wrange *r, uint64_t domain, uint64_t iova, uint64_t size)
{
	return r->domain == domain && iova < r->iova + r->size && r->iova < iova + size;
}

static int push_range(struct whatif *w, struct wrange **a, int *n, int *cap,
		      uint64_t domain, uint64_t iova, uint64_t size)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		struct wrange *na = realloc(*a, sizeof(*na) * (size_t)nc);

		if (!na) {
			w->oom = true;
			return -ENOMEM;
		}
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = (struct wrange){ .domain = domain, .iova = iova, .size = size };
	return 0;
}

/* a synthesized event: the policy's, so no pid/comm of a recorded task */
static void synth(struct smt_event *ev, unsigned int type, uint64_t ts)
{
	event__init(ev, type, ts);
}

/* ---- defer-unmap (the 2017 patch) ---------------------------------------- */

/*
 * "arm_smmu_unmap ... if the device is suspended, queue the unmap and do it
 * on resume": the caller sees success at once, PTEs stay until resume, and no
 * TLBI/sync reaches the suspended SMMU. A map over a held range then fails
 * in io-pgtable (-EEXIST); the caller never got that mapping, so its later
 * unmap is not issued either.
 */
static void defer_unmap_resume(struct whatif *w, int s, uint64_t ts)
{
	struct wsmmu *sm = &w->smmus[s];
	struct smt_event ev;

	if (!sm->nheld)
		return;
	/* arm_smmu_resume() of the patch calls arm_smmu_unmap() for each held
	 * request: io-pgtable clears the PTEs (the engine already holds them
	 * free: the unmap returned), adds the range TLBI and syncs */
	for (int i = 0; i < sm->nheld; i++) {
		synth(&ev, SMT_EV_TLBI, ts);
		ev.scope = SMT_TLBI_VA;
		ev.domain = sm->held[i].domain;
		ev.iova = sm->held[i].iova;
		ev.size = sm->held[i].size;
		snprintf(ev.smmu, sizeof(ev.smmu), "%s", sm->name);
		ev.present |= SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
		emit(w, &ev);
		synth(&ev, SMT_EV_SYNC, ts);
		ev.scope = SMT_SYNC_CONTEXT;
		ev.domain = sm->held[i].domain;
		snprintf(ev.smmu, sizeof(ev.smmu), "%s", sm->name);
		ev.present |= SMT_HAS_SMMU | SMT_HAS_DOMAIN | SMT_HAS_DUR;
		emit(w, &ev);
	}
	sm->nheld = 0;
}

static bool held_overlaps(const struct wsmmu *sm, uint64_t domain, uint64_t iova, uint64_t size)
{
	for (int i = 0; i < sm->nheld; i++)
		if (range_overlap(&sm->held[i], domain, iova, size))
			return true;
	return false;
}

static void defer_unmap(struct whatif *w, const struct smt_event *ev, int s)
{
	struct smt_event out;
	struct wsmmu *sm = s >= 0 ? &w->smmus[s] : NULL;

	switch (ev->type) {
	case SMT_EV_UNMAP:
		/* the unmap of a mapping that failed under the policy is never issued */
		for (int i = 0; i < w->nphantoms; i++)
			if (range_overlap(&w->phantoms[i], ev->domain, ev->iova, ev->size)) {
				w->phantoms[i] = w->phantoms[--w->nphantoms];
				w->ch.events_dropped++;
				return;
			}
		if (smmu_suspended(w, s) && ev->ret > 0) {
			push_range(w, &sm->held, &sm->nheld, &sm->capheld, ev->domain, ev->iova,
				   (uint64_t)ev->ret);
			w->ch.deferred_unmaps++;
		}
		emit(w, ev);	/* the caller saw it return its size either way */
		return;
	case SMT_EV_MAP:
		if (ev->ret == 0 && sm && held_overlaps(sm, ev->domain, ev->iova, ev->size)) {
			out = *ev;
			out.ret = EEXIST_RET;
			w->ch.failed_maps++;
			push_range(w, &w->phantoms, &w->nphantoms, &w->capphantoms, ev->domain,
				   ev->iova, ev->size);
			emit(w, &out);
			return;
		}
		break;
	case SMT_EV_TLBI:
	case SMT_EV_FLUSH_ALL:
		if (smmu_suspended(w, s)) {
			w->ch.skipped_tlbis++;
			return;
		}
		break;
	case SMT_EV_SYNC:
		if (smmu_suspended(w, s)) {
			w->ch.skipped_syncs++;
			return;
		}
		break;
	default:
		break;
	}
	emit(w, ev);
}

/* ---- skip-tlbi --------------------------------------------------------- */

/*
 * "skip the TLB maintenance while suspended, resume invalidates everything
 * anyway": PTEs are cleared at once, TLBIs and syncs to a suspended SMMU are
 * not issued, and the resume path's reset (invalidate all + sync) stands in
 * for them.
 */
static void skip_tlbi_resume(struct whatif *w, int s, uint64_t ts)
{
	struct smt_event ev;

	synth(&ev, SMT_EV_SMMU_RESET, ts);
	snprintf(ev.smmu, sizeof(ev.smmu), "%s", w->smmus[s].name);
	ev.present |= SMT_HAS_SMMU;
	emit(w, &ev);
}

static void skip_tlbi(struct whatif *w, const struct smt_event *ev, int s)
{
	if (smmu_suspended(w, s)) {
		if (ev->type == SMT_EV_TLBI || ev->type == SMT_EV_FLUSH_ALL) {
			w->ch.skipped_tlbis++;
			return;
		}
		if (ev->type == SMT_EV_SYNC) {
			w->ch.skipped_syncs++;
			return;
		}
	}
	emit(w, ev);
}

/* ---- wake-tbu ---------------------------------------------------------- */

/*
 * "nobody knew what happens to a gated TBU's micro-TLB": the driver could
 * switch the TBU's clocks/power on around each invalidation (as qcom's TBU
 * code votes for its clocks before a TLBI) so it sees every TLBI and sync.
 */
static void gate_event_out(struct whatif *w, int g, bool on, uint64_t ts)
{
	struct smt_event ev;
	const struct wgate *gt = &w->gates[g];

	synth(&ev, gt->kind == GATE_CLK ? SMT_EV_CLK : gt->kind == GATE_PD ? SMT_EV_PD :
		   SMT_EV_RPM, ts);
	snprintf(ev.name, sizeof(ev.name), "%s", gt->name);
	ev.present |= SMT_HAS_NAME;
	if (gt->kind == GATE_RPM)
		ev.state = on ? SMT_RPM_ACTIVE : SMT_RPM_SUSPENDED;
	else
		ev.on = on;
	emit(w, &ev);
}

static bool gate_off_now(const struct wgate *g)
{
	return g->off && !g->woken;
}

static bool tbu_serves(const struct whatif *w, const struct wtbu *tb, int ti,
		       const struct wdomain *d)
{
	const struct topo_tbu *tt = &w->o.topo->tbus[ti];

	if (tb->smmu >= 0 && d->smmu >= 0 && tb->smmu != d->smmu)
		return false;
	for (int k = 0; k < d->ndevs; k++)
		for (uint32_t j = 0; j < d->devs[k].nsids; j++)
			if (topology__tbu_has_sid(tt, d->devs[k].sids[j] & 0xffff))
				return true;
	return false;
}

static void wake_push(struct whatif *w, int g, int s, uint64_t domain, bool all)
{
	if (w->nwakes == w->capwakes) {
		int nc = w->capwakes ? w->capwakes * 2 : 16;
		struct wwake *n = realloc(w->wakes, sizeof(*n) * (size_t)nc);

		if (!n) {
			w->oom = true;
			return;
		}
		w->wakes = n;
		w->capwakes = nc;
	}
	w->wakes[w->nwakes++] = (struct wwake){ .gate = g, .smmu = s, .domain = domain,
						.all = all };
	w->gates[g].wakers++;
}

/* Switch on every gated TBU that serves domain D (all of SMMU S when ALL). */
static void wake_tbus(struct whatif *w, const struct smt_event *ev, int s, bool all)
{
	struct wdomain *d = all ? NULL : dom_find(w, ev->domain, false);

	if (!all && !d)
		return;
	for (int t = 0; t < w->ntbus; t++) {
		struct wtbu *tb = &w->tbus[t];
		bool gated = false;

		if (all ? tb->smmu >= 0 && s >= 0 && tb->smmu != s : !tbu_serves(w, tb, t, d))
			continue;
		for (int g = 0; g < tb->ngates; g++)
			gated |= gate_off_now(&w->gates[tb->gates[g]]);
		if (!gated)
			continue;
		for (int g = 0; g < tb->ngates; g++) {
			int gi = tb->gates[g];

			if (gate_off_now(&w->gates[gi])) {
				gate_event_out(w, gi, true, ev->ts);
				w->gates[gi].woken = true;
			}
			wake_push(w, gi, s, all ? 0 : ev->domain, all);
		}
		w->ch.tbu_wakes++;
	}
}

/* End the sequences a sync (or flush_all) completes; re-gate what nobody holds. */
static void wake_end(struct whatif *w, int s, bool global, uint64_t domain, uint64_t ts)
{
	for (int i = 0; i < w->nwakes;) {
		struct wwake *k = &w->wakes[i];

		struct wgate *g = &w->gates[k->gate];

		if ((s >= 0 && k->smmu >= 0 && k->smmu != s) ||
		    (!global && (k->all || k->domain != domain))) {
			i++;
			continue;
		}
		if (--g->wakers == 0 && g->woken) {
			g->woken = false;
			if (g->off)
				gate_event_out(w, k->gate, false, ts);
		}
		*k = w->wakes[--w->nwakes];
	}
}

static void wake_tbu(struct whatif *w, const struct smt_event *ev, int s)
{
	bool off, global;
	int g;

	switch (ev->type) {
	case SMT_EV_UNMAP:
		wake_tbus(w, ev, s, false);
		break;
	case SMT_EV_TLBI:
		wake_tbus(w, ev, s, ev->scope == SMT_TLBI_ALL);
		break;
	case SMT_EV_FLUSH_ALL:
		/* TLBI + sync in one call: wake, issue, and the sequence is done */
		wake_tbus(w, ev, s, false);
		emit(w, ev);
		wake_end(w, s, false, ev->domain, ev->ts);
		return;
	case SMT_EV_SYNC:
		emit(w, ev);
		global = ev->scope == SMT_SYNC_GLOBAL || !(ev->present & SMT_HAS_DOMAIN);
		wake_end(w, s, global, ev->domain, ev->ts);
		return;
	case SMT_EV_CLK:
	case SMT_EV_PD:
	case SMT_EV_RPM:
		g = gate_of_event(w, ev, &off);
		/* the driver's vote keeps a woken gate on until its sync: the
		 * recorded switch-off happens when the vote is dropped */
		if (g >= 0 && off && w->gates[g].woken) {
			w->ch.events_dropped++;
			return;
		}
		break;
	default:
		break;
	}
	emit(w, ev);
}

/* ---- the stream ---------------------------------------------------------- */

struct whatif *whatif__new(const struct whatif_opts *opts)
{
	struct whatif *w = calloc(1, sizeof(*w));
	const struct topology *t = opts->topo;

	if (!w)
		return NULL;
	w->o = *opts;
	w->only_smmu = -1;
	if (t) {
		for (int i = 0; i < t->nsmmus; i++)
			smmu_find(w, t->smmus[i].name);
		if (t->nsmmus == 1)
			w->only_smmu = 0;
		w->tbus = calloc((size_t)t->ntbus + 1, sizeof(*w->tbus));
		if (!w->tbus)
			w->oom = true;
		for (int i = 0; w->tbus && i < t->ntbus; i++) {
			w->tbus[i].smmu = t->tbus[i].smmu[0] ? smmu_find(w, t->tbus[i].smmu) : -1;
			for (int g = 0; g < t->tbus[i].ngates; g++)
				add_gate_ref(w, &w->tbus[i].gates, &w->tbus[i].ngates,
					     &t->tbus[i].gates[g]);
			w->ntbus++;
		}
	}
	if (w->oom) {
		whatif__free(w);
		return NULL;
	}
	return w;
}

/* Gate bookkeeping for every policy; marks the SMMUs that just resumed. */
static void track_gate(struct whatif *w, const struct smt_event *ev)
{
	bool off;
	int g = gate_of_event(w, ev, &off);

	if (g < 0)
		return;
	w->gates[g].off = off;
	if (!off)
		w->gates[g].woken = false;	/* on by itself now: no longer the policy's doing */
	for (int s = 0; s < w->nsmmus; s++) {
		struct wsmmu *sm = &w->smmus[s];
		bool was = sm->suspended;

		sm->suspended = false;
		for (int k = 0; k < sm->ngates; k++)
			sm->suspended |= w->gates[sm->gates[k]].off;
		sm->resumed = was && !sm->suspended;
		w->suspends += !was && sm->suspended;
		sm->suspends += !was && sm->suspended;
	}
}

void whatif__feed(struct whatif *w, const struct smt_event *ev)
{
	bool gate_ev = ev->type == SMT_EV_CLK || ev->type == SMT_EV_PD || ev->type == SMT_EV_RPM;
	int s = -1;

	switch (ev->type) {
	case SMT_EV_ATTACH:
		on_attach(w, ev);
		break;
	case SMT_EV_DETACH:
		on_detach(w, ev);
		break;
	case SMT_EV_UNMAP:
	case SMT_EV_MAP:
	case SMT_EV_TLBI:
	case SMT_EV_SYNC:
	case SMT_EV_FLUSH_ALL:
		s = event_smmu(w, ev);
		break;
	default:
		break;
	}
	/* wake-tbu looks at the state before a gate event (a woken gate switched off) */
	if (gate_ev && w->o.policy != WHATIF_WAKE_TBU)
		track_gate(w, ev);
	switch (w->o.policy) {
	case WHATIF_DEFER_UNMAP:
		defer_unmap(w, ev, s);
		break;
	case WHATIF_SKIP_TLBI:
		skip_tlbi(w, ev, s);
		break;
	case WHATIF_WAKE_TBU:
		wake_tbu(w, ev, s);
		if (gate_ev)
			track_gate(w, ev);
		break;
	default:
		emit(w, ev);
		break;
	}
	/* the resume work follows the gate event that brought the SMMU back */
	for (int i = 0; gate_ev && i < w->nsmmus; i++) {
		if (!w->smmus[i].resumed)
			continue;
		w->smmus[i].resumed = false;
		if (w->o.policy == WHATIF_DEFER_UNMAP)
			defer_unmap_resume(w, i, ev->ts);
		else if (w->o.policy == WHATIF_SKIP_TLBI)
			skip_tlbi_resume(w, i, ev->ts);
	}
	if (ev->type == SMT_EV_DOMAIN_FREE)
		dom_drop(w, ev->domain);
}

void whatif__changes(const struct whatif *w, struct whatif_changes *c)
{
	*c = w->ch;
}

uint64_t whatif__smmu_suspends(const struct whatif *w)
{
	return w->suspends;
}

int whatif__smmu_info(const struct whatif *w, int i, const char **name, uint64_t *suspends,
		      char *gates, size_t len)
{
	const struct wsmmu *sm;
	size_t n = 0;

	if (i < 0 || i >= w->nsmmus)
		return -1;
	sm = &w->smmus[i];
	*name = sm->name;
	*suspends = sm->suspends;
	gates[0] = '\0';
	for (int k = 0; k < sm->ngates && n < len; k++) {
		const struct wgate *g = &w->gates[sm->gates[k]];

		n += (size_t)snprintf(gates + n, len - n, "%s%s:%s", k ? ", " : "",
				      topology__gate_kind_name(g->kind), g->name);
	}
	return 0;
}

uint64_t whatif__held_at_end(const struct whatif *w)
{
	uint64_t n = 0;

	for (int s = 0; s < w->nsmmus; s++)
		n += (uint64_t)w->smmus[s].nheld;
	return n;
}

void whatif__free(struct whatif *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->nsmmus; i++) {
		free(w->smmus[i].gates);
		free(w->smmus[i].held);
	}
	for (int i = 0; i < w->ndoms; i++)
		free(w->doms[i].devs);
	for (int i = 0; i < w->ntbus; i++)
		free(w->tbus[i].gates);
	free(w->tbus);
	free(w->smmus);
	free(w->doms);
	free(w->gates);
	free(w->phantoms);
	free(w->wakes);
	free(w);
}
