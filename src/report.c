// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The incident-report model (report.h): timeline lanes and marks, per-domain
 * IOVA lifetimes, histograms, findings linked to marks and lifetimes.
 *
 * The engine decides the rules; this file only keeps what a report shows.
 * Lifetimes are the engine's (engine.h, on_lifetime -> report__add_lifetime):
 * the report keeps no model of its own, so a lifetime never says an IOVA was
 * invalidated when a finding says it was not. TBU gate states are read back
 * from the engine after each gate event, so the lanes show exactly what the
 * rules saw.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "idmap.h"
#include "report.h"

struct report {
	struct report_model m;
	struct report_opts opts;
	int *tbu_state;		/* per topology TBU: 1 gated, 0 not, -1 unknown */
	bool started;
	struct idmap doms;	/* domain pointer -> index + 1 (newest domain of that pointer) */
	uint64_t cap_marks, cap_lifetimes, cap_findings, cap_flinks;
	uint64_t nerrors;
	uint64_t seen;		/* findings in the whole capture, for their numbers */
	uint32_t cap_lanes, cap_domains;
	uint32_t capture_lane;
};

static const char *const mark_names[MK_MAX] = {
	[MK_MAP] = "map", [MK_UNMAP] = "unmap", [MK_TLBI] = "tlbi", [MK_SYNC] = "sync",
	[MK_FLUSH_ALL] = "flush_all", [MK_SMMU_RESET] = "smmu_reset", [MK_FAULT] = "fault",
	[MK_LOST] = "lost", [MK_ATTACH] = "attach",
};

const char *report__mark_kind_name(enum mark_kind k)
{
	return (unsigned int)k < MK_MAX ? mark_names[k] : "?";
}

const char *report__lane_kind_name(enum lane_kind k)
{
	switch (k) {
	case LANE_TBU:
		return "tbu";
	case LANE_SMMU:
		return "smmu";
	case LANE_DOMAIN:
		return "domain";
	default:
		return "capture";
	}
}

/* grow *P (elements of ELSZ) so that NEED fit; 0 or -ENOMEM */
static int grow(void **p, uint64_t *cap, size_t elsz, uint64_t need)
{
	uint64_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*p, ncap * elsz);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

static int grow32(void **p, uint32_t *cap, size_t elsz, uint32_t need)
{
	uint64_t c = *cap;
	int err = grow(p, &c, elsz, need);

	*cap = (uint32_t)c;
	return err;
}

static void hist_add(struct report_hist *h, uint64_t v)
{
	h->b[hist__bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* ---- lanes ------------------------------------------------------------- */

static int lane_add(struct report *r, enum lane_kind kind, const char *name, uint32_t *idx)
{
	struct report_lane *l;

	if (grow32((void **)&r->m.lanes, &r->cap_lanes, sizeof(*l), r->m.nlanes + 1))
		return -ENOMEM;
	l = &r->m.lanes[r->m.nlanes];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->tbu = -1;
	l->domain = -1;
	snprintf(l->name, sizeof(l->name), "%s", name);
	*idx = r->m.nlanes++;
	return 0;
}

static int smmu_lane(struct report *r, const char *name, uint32_t *idx)
{
	for (uint32_t i = 0; i < r->m.nlanes; i++)
		if (r->m.lanes[i].kind == LANE_SMMU && strcmp(r->m.lanes[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	/* bound: SMMUs named by events but absent from the board */
	if (r->m.nlanes >= 2 * REPORT_MAX_DOMAINS) {
		*idx = r->capture_lane;
		return 0;
	}
	return lane_add(r, LANE_SMMU, name, idx);
}

/* ---- domains ------------------------------------------------------------- */

static uint64_t dom_hash_of(uint32_t v, const void *ctx)
{
	const struct report *r = ctx;

	return idmap__mix64(r->m.domains[v - 1].ptr);
}

static uint32_t dom_lookup(const struct report *r, uint64_t ptr)
{
	idmap__for_each_candidate(&r->doms, idmap__mix64(ptr), slot, v)
		if (r->m.domains[v - 1].ptr == ptr)
			return v;
	return 0;
}

/* domain VAL (index + 1) is now the one of its pointer */
static int dom_put(struct report *r, uint32_t val)
{
	uint64_t ptr = r->m.domains[val - 1].ptr;

	idmap__for_each_candidate(&r->doms, idmap__mix64(ptr), slot, v)
		if (r->m.domains[v - 1].ptr == ptr) {
			r->doms.slots[slot] = val;
			return 0;
		}
	return idmap__insert(&r->doms, idmap__mix64(ptr), val, dom_hash_of, r);
}

static const char *default_smmu(const struct report *r)
{
	const struct topology *t = r->opts.topo;

	return t && t->nsmmus == 1 ? t->smmus[0].name : "";
}

/* Domain of EV (created on first sight, or anew after domain_free); NULL when full. */
static struct report_domain *domain_get(struct report *r, const struct smt_event *ev)
{
	uint32_t v = dom_lookup(r, ev->domain);
	struct report_domain *d;
	char name[160];
	uint32_t lane;

	if (v && !(r->m.domains[v - 1].freed && ev->type == SMT_EV_ATTACH))
		return &r->m.domains[v - 1];
	if (r->m.ndomains >= REPORT_MAX_DOMAINS) {
		r->m.domains_dropped++;
		return NULL;
	}
	if (grow32((void **)&r->m.domains, &r->cap_domains, sizeof(*d), r->m.ndomains + 1))
		return NULL;
	snprintf(name, sizeof(name), "0x%" PRIx64, (uint64_t)ev->domain);
	if (lane_add(r, LANE_DOMAIN, name, &lane))
		return NULL;
	d = &r->m.domains[r->m.ndomains];
	memset(d, 0, sizeof(*d));
	d->ptr = ev->domain;
	d->lane = lane;
	snprintf(d->smmu, sizeof(d->smmu), "%s", default_smmu(r));
	r->m.lanes[lane].domain = (int)r->m.ndomains;
	if (dom_put(r, r->m.ndomains + 1))
		return NULL;
	r->m.ndomains++;
	return d;
}

static void domain_refresh_lane(struct report *r, struct report_domain *d)
{
	struct report_lane *l = &r->m.lanes[d->lane];

	if (d->devs[0])
		snprintf(l->name, sizeof(l->name), "0x%" PRIx64 " (%.120s)", d->ptr, d->devs);
	snprintf(l->detail, sizeof(l->detail), "domain 0x%" PRIx64 "%s%.40s%s%.100s%s%.60s", d->ptr,
		 d->smmu[0] ? " on " : "", d->smmu, d->devs[0] ? ", devices " : "", d->devs,
		 d->sids[0] ? ", SIDs " : "", d->sids);
}

static void append_str(char *buf, size_t len, const char *sep, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? sep : "", s);
}

static void on_attach(struct report *r, struct report_domain *d, const struct smt_event *ev)
{
	char s[32];

	if (ev->present & SMT_HAS_SMMU)
		snprintf(d->smmu, sizeof(d->smmu), "%s", ev->smmu);
	if ((ev->present & SMT_HAS_NAME) && !strstr(d->devs, ev->name))
		append_str(d->devs, sizeof(d->devs), ", ", ev->name);
	/* SIDs as ranges: consecutive ids collapse to "first-last" */
	for (uint32_t i = 0; i < ev->nsids && i < SMT_MAX_SIDS;) {
		uint32_t j = i;

		while (j + 1 < ev->nsids && j + 1 < SMT_MAX_SIDS && ev->sids[j + 1] == ev->sids[j] + 1)
			j++;
		if (j > i)
			snprintf(s, sizeof(s), "0x%x-0x%x", ev->sids[i] & 0xffff, ev->sids[j] & 0xffff);
		else
			snprintf(s, sizeof(s), "0x%x", ev->sids[i] & 0xffff);
		if (!strstr(d->sids, s))
			append_str(d->sids, sizeof(d->sids), ",", s);
		i = j + 1;
	}
	domain_refresh_lane(r, d);
}

/* ---- lifetimes ------------------------------------------------------------ */

static struct report_lifetime *lifetime_new(struct report *r, struct report_domain *d,
					    uint64_t iova, uint64_t size, uint64_t map_ts)
{
	struct report_lifetime *l;

	if (r->m.nlifetimes >= REPORT_MAX_LIFETIMES) {
		r->m.lifetimes_dropped++;
		d->lifetimes_dropped++;
		return NULL;
	}
	if (grow((void **)&r->m.lifetimes, &r->cap_lifetimes, sizeof(*l), r->m.nlifetimes + 1)) {
		r->m.lifetimes_dropped++;
		d->lifetimes_dropped++;
		return NULL;
	}
	l = &r->m.lifetimes[r->m.nlifetimes++];
	memset(l, 0, sizeof(*l));
	l->iova = iova;
	l->size = size;
	l->map_ts = map_ts;
	l->unmap_ts = l->inval_ts = l->sync_ts = REPORT_NEVER;
	l->domain = (uint32_t)(d - r->m.domains);
	d->lifetimes++;
	if (size > d->max_size)
		d->max_size = size;
	return l;
}

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	uint64_t ae = as ? a + as : a + 1, be = bs ? b + bs : b + 1;

	return a < be && b < ae;
}

static bool in_window(const struct report_model *m, uint64_t ts)
{
	return ts != REPORT_NEVER && (!m->windowed || (ts >= m->from && ts <= m->to));
}

void report__add_lifetime(const struct engine_lifetime *lt, void *ctx)
{
	struct report *r = ctx;
	struct report_model *m = &r->m;
	struct smt_event ev;
	struct report_domain *d;
	struct report_lifetime *l;

	event__init(&ev, SMT_EV_MAP, lt->map_ts);
	ev.present = SMT_HAS_DOMAIN;
	ev.domain = lt->domain;
	d = domain_get(r, &ev);
	if (!d)
		return;
	l = lifetime_new(r, d, lt->iova, lt->size, lt->map_ts);
	if (!l)
		return;
	l->unmap_ts = lt->unmap_ts;
	l->inval_ts = lt->inval_ts;
	l->sync_ts = lt->sync_ts;
	l->unmapped_gated = lt->unmapped_gated;
	if (l->map_ts != REPORT_NEVER && in_window(m, l->unmap_ts) && l->unmap_ts >= l->map_ts)
		hist_add(&m->lifetime_hist, l->unmap_ts - l->map_ts);
	if (l->unmap_ts != REPORT_NEVER && in_window(m, l->sync_ts) && l->sync_ts >= l->unmap_ts)
		hist_add(&m->inval_hist, l->sync_ts - l->unmap_ts);
}

static void on_map(struct report_domain *d, const struct smt_event *ev)
{
	d->maps++;
	if (ev->ret)
		d->map_failures++;
}

static void on_sync(struct report *r, const struct smt_event *ev)
{
	bool in = !r->m.windowed || (ev->ts >= r->m.from && ev->ts <= r->m.to);

	if (in && (ev->present & SMT_HAS_DUR))
		hist_add(&r->m.sync_hist, ev->dur);
}

/* ---- gates ---------------------------------------------------------------- */

static void tbu_set_state(struct report *r, int t, int s, uint64_t ts)
{
	struct report_lane *l = NULL;

	for (uint32_t i = 0; i < r->m.nlanes; i++)
		if (r->m.lanes[i].kind == LANE_TBU && r->m.lanes[i].tbu == t) {
			l = &r->m.lanes[i];
			break;
		}
	if (!l || r->tbu_state[t] == s)
		return;
	/* close the open interval; drop it if it ended before the window */
	if (l->niv && l->iv[l->niv - 1].end == REPORT_NEVER) {
		l->iv[l->niv - 1].end = ts;
		if (r->m.windowed && ts < r->m.from)
			l->niv--;
	}
	r->tbu_state[t] = s;
	if (s == 0 || (r->m.windowed && ts > r->m.to))
		return;
	if (l->niv >= REPORT_MAX_INTERVALS) {
		l->iv_dropped++;
		return;
	}
	if (grow32((void **)&l->iv, &l->iv_cap, sizeof(*l->iv), l->niv + 1)) {
		l->iv_dropped++;
		return;
	}
	l->iv[l->niv++] = (struct report_interval){ .start = ts, .end = REPORT_NEVER, .state = s };
}

static void gates_update(struct report *r, uint64_t ts)
{
	const struct topology *t = r->opts.topo;

	if (!t || !r->opts.engine)
		return;
	for (int i = 0; i < t->ntbus; i++)
		tbu_set_state(r, i, engine__tbu_gated(r->opts.engine, i), ts);
}

/* ---- the public API ------------------------------------------------------- */

struct report *report__new(const struct report_opts *opts)
{
	struct report *r = calloc(1, sizeof(*r));
	const struct topology *t = opts->topo;
	uint32_t idx;

	if (!r)
		return NULL;
	r->opts = *opts;
	r->m.topo = t;
	r->m.windowed = opts->windowed;
	r->m.from = opts->from;
	r->m.to = opts->to;
	snprintf(r->m.window_why, sizeof(r->m.window_why), "%s",
		 opts->window_why ? opts->window_why : "");
	snprintf(r->m.meta.source, sizeof(r->m.meta.source), "%s",
		 opts->source_name ? opts->source_name : "");
	r->m.first_ts = r->m.win_first_ts = REPORT_NEVER;
	r->tbu_state = calloc(t && t->ntbus ? t->ntbus : 1, sizeof(int));
	if (idmap__init(&r->doms, REPORT_MAX_DOMAINS) || !r->tbu_state)
		goto fail;
	if (t) {
		snprintf(r->m.meta.compatible, sizeof(r->m.meta.compatible), "%s", t->compatible);
		snprintf(r->m.meta.model, sizeof(r->m.meta.model), "%s", t->model);
		for (int i = 0; i < t->ntbus; i++) {
			const struct topo_tbu *tb = &t->tbus[i];
			struct report_lane *l;
			char g[160] = "";

			if (lane_add(r, LANE_TBU, tb->name, &idx))
				goto fail;
			l = &r->m.lanes[idx];
			l->tbu = i;
			for (int k = 0; k < tb->ngates; k++) {
				char one[SMT_NAME_LEN + 8];

				snprintf(one, sizeof(one), "%s:%s",
					 topology__gate_kind_name(tb->gates[k].kind), tb->gates[k].name);
				append_str(g, sizeof(g), ", ", one);
			}
			snprintf(l->detail, sizeof(l->detail), "TBU %.60s%s%.60s, gates %.100s", tb->name,
				 tb->smmu[0] ? " on " : "", tb->smmu, g[0] ? g : "none");
		}
		for (int i = 0; i < t->nsmmus; i++)
			if (lane_add(r, LANE_SMMU, t->smmus[i].name, &idx))
				goto fail;
	}
	if (lane_add(r, LANE_CAPTURE, "capture", &r->capture_lane))
		goto fail;
	snprintf(r->m.lanes[r->capture_lane].detail, sizeof(r->m.lanes[0].detail),
		 "lost events and events naming neither a domain nor an SMMU");
	return r;
fail:
	report__free(r);
	return NULL;
}

void report__set_engine(struct report *r, const struct engine *e)
{
	r->opts.engine = e;
}

static void json_str_field(struct json_object *o, const char *key, char *dst, size_t len)
{
	struct json_object *v;

	if (!dst[0] && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(dst, len, "%s", json_object_get_string(v));
}

/* "compatible" as a string or an array of strings -> "a, b" */
static void json_compatible(struct json_object *o, char *dst, size_t len)
{
	struct json_object *v;

	if (dst[0] || !json_object_object_get_ex(o, "compatible", &v))
		return;
	if (json_object_is_type(v, json_type_string)) {
		snprintf(dst, len, "%s", json_object_get_string(v));
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_string))
				append_str(dst, len, ", ", json_object_get_string(e));
		}
	}
}

/* the hook table, whatever shape the recording gives it, as "name: how; ..." */
static void json_hooks(struct json_object *o, char *dst, size_t len)
{
	struct json_object *v;

	if (dst[0] || !json_object_object_get_ex(o, "hooks", &v))
		return;
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			char one[256];

			snprintf(one, sizeof(one), "%s: %s", k, json_object_get_string(val));
			append_str(dst, len, "; ", one);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i), *n = NULL, *h = NULL;
			char one[256];

			if (json_object_is_type(e, json_type_object)) {
				struct json_object *st = NULL;

				/* capture.c writes {hook, target, method, status, ...} */
				if (!json_object_object_get_ex(e, "hook", &n))
					json_object_object_get_ex(e, "name", &n);
				if (!json_object_object_get_ex(e, "method", &h) &&
				    !json_object_object_get_ex(e, "how", &h))
					json_object_object_get_ex(e, "attach", &h);
				json_object_object_get_ex(e, "status", &st);
				snprintf(one, sizeof(one), "%s: %s%s%s%s", n ? json_object_get_string(n) : "?",
					 h ? json_object_get_string(h) : "?", st ? " (" : "",
					 st ? json_object_get_string(st) : "", st ? ")" : "");
			} else {
				snprintf(one, sizeof(one), "%s", json_object_get_string(e));
			}
			append_str(dst, len, "; ", one);
		}
	}
}

static void meta_from_json(struct report_meta *mt, const char *text)
{
	struct json_object *o, *v;

	if (!text)
		return;
	o = json_tokener_parse(text);
	if (!o)
		return;
	if (json_object_is_type(o, json_type_object)) {
		json_str_field(o, "kernel", mt->kernel, sizeof(mt->kernel));
		json_str_field(o, "arch", mt->arch, sizeof(mt->arch));
		json_str_field(o, "model", mt->model, sizeof(mt->model));
		json_compatible(o, mt->compatible, sizeof(mt->compatible));
		json_hooks(o, mt->hooks, sizeof(mt->hooks));
		if (!mt->strict_known && json_object_object_get_ex(o, "strict", &v) &&
		    json_object_is_type(v, json_type_boolean)) {
			mt->strict_known = true;
			mt->strict = json_object_get_boolean(v);
		}
	}
	json_object_put(o);
}

void report__set_source_meta(struct report *r, bool is_recording, const char *meta_json,
			     const char *meta_extra)
{
	struct report_meta *mt = &r->m.meta;

	mt->is_recording = is_recording;
	free(mt->meta_json);
	mt->meta_json = meta_json ? strdup(meta_json) : NULL;
	if (meta_extra) {
		free(mt->meta_extra);
		mt->meta_extra = strdup(meta_extra);
	}
	/* the device tree (topology) wins; then the recording header; then meta fields */
	meta_from_json(mt, meta_json);
	meta_from_json(mt, meta_extra);
}

static enum mark_kind mark_kind_of(unsigned int type)
{
	switch (type) {
	case SMT_EV_MAP:
		return MK_MAP;
	case SMT_EV_UNMAP:
		return MK_UNMAP;
	case SMT_EV_TLBI:
		return MK_TLBI;
	case SMT_EV_SYNC:
		return MK_SYNC;
	case SMT_EV_FLUSH_ALL:
		return MK_FLUSH_ALL;
	case SMT_EV_SMMU_RESET:
		return MK_SMMU_RESET;
	case SMT_EV_FAULT:
		return MK_FAULT;
	case SMT_EV_LOST:
		return MK_LOST;
	case SMT_EV_ATTACH:
	case SMT_EV_DETACH:
	case SMT_EV_DOMAIN_FREE:
		return MK_ATTACH;
	default:
		return MK_MAX;
	}
}

static int add_mark(struct report *r, uint32_t lane, enum mark_kind k, uint64_t ts)
{
	struct report_mark *mk;

	r->m.lanes[lane].marks[k]++;
	if (r->m.nmarks >= REPORT_MAX_MARKS) {
		r->m.marks_dropped++;
		return 0;
	}
	if (grow((void **)&r->m.marks, &r->cap_marks, sizeof(*mk), r->m.nmarks + 1)) {
		r->m.marks_dropped++;
		return -ENOMEM;
	}
	mk = &r->m.marks[r->m.nmarks++];
	memset(mk, 0, sizeof(*mk));
	mk->ts = ts;
	mk->lane = lane;
	mk->kind = (uint8_t)k;
	return 0;
}

int report__feed(struct report *r, const struct smt_event *ev)
{
	struct report_model *m = &r->m;
	struct report_domain *d = NULL;
	bool in = !m->windowed || (ev->ts >= m->from && ev->ts <= m->to);
	enum mark_kind k;
	uint32_t lane;

	if (ev->type >= SMT_EV_MAX)
		return 0;
	m->events++;
	if (m->first_ts == REPORT_NEVER)
		m->first_ts = ev->ts;
	if (ev->ts > m->last_ts)
		m->last_ts = ev->ts;
	if (!r->started) {
		r->started = true;
		/* gates never seen are "unknown" from the start */
		gates_update(r, ev->ts);
	}
	if (in) {
		m->events_in_window++;
		m->events_by_type[ev->type]++;
		if (m->win_first_ts == REPORT_NEVER)
			m->win_first_ts = ev->ts;
		m->win_last_ts = ev->ts;
	}

	if ((ev->present & SMT_HAS_DOMAIN) && ev->type != SMT_EV_META)
		d = domain_get(r, ev);

	switch (ev->type) {
	case SMT_EV_META:
		if (ev->present & SMT_HAS_NAME)
			snprintf(m->meta.kernel, sizeof(m->meta.kernel), "%s", ev->name);
		if (ev->present & SMT_HAS_ARCH)
			snprintf(m->meta.arch, sizeof(m->meta.arch), "%s", ev->smmu);
		if (ev->present & SMT_HAS_STRICT) {
			m->meta.strict_known = true;
			m->meta.strict = ev->strict;
		}
		if (ev->present & SMT_HAS_SINCE_BOOT) {
			m->meta.since_boot_known = true;
			m->meta.since_boot = ev->since_boot;
		}
		break;
	case SMT_EV_ATTACH:
		if (d)
			on_attach(r, d, ev);
		break;
	case SMT_EV_DOMAIN_FREE:
		if (d)
			d->freed = true;
		break;
	case SMT_EV_MAP:
		if (d)
			on_map(d, ev);
		break;
	case SMT_EV_UNMAP:
		if (d)
			d->unmaps++;
		break;
	case SMT_EV_SYNC:
		on_sync(r, ev);
		break;
	case SMT_EV_SMMU_RESET:
		gates_update(r, ev->ts);
		break;
	case SMT_EV_RPM:
	case SMT_EV_CLK:
	case SMT_EV_PD:
		gates_update(r, ev->ts);
		break;
	case SMT_EV_FAULT:
		if (d)
			d->faults++;
		break;
	case SMT_EV_LOST:
		if (in)
			m->lost += ev->count;
		break;
	}

	k = mark_kind_of(ev->type);
	if (!in || k == MK_MAX)
		return 0;
	if (d)
		lane = d->lane;
	else if ((ev->present & SMT_HAS_SMMU) && ev->smmu[0] && ev->type != SMT_EV_META)
		smmu_lane(r, ev->smmu, &lane);
	else if (default_smmu(r)[0] && ev->type != SMT_EV_LOST)
		smmu_lane(r, default_smmu(r), &lane);
	else
		lane = r->capture_lane;
	return add_mark(r, lane, k, ev->ts);
}

static uint32_t finding_lane(struct report *r, const struct finding *f)
{
	if (f->has_domain) {
		uint32_t v = dom_lookup(r, f->domain);

		if (v)
			return r->m.domains[v - 1].lane;
	}
	for (int i = 0; i < f->ntbus; i++)
		for (uint32_t l = 0; l < r->m.nlanes; l++)
			if (r->m.lanes[l].kind == LANE_TBU && f->tbus[i] &&
			    strcmp(r->m.lanes[l].name, f->tbus[i]) == 0)
				return l;
	return r->capture_lane;
}

void report__add_finding(const struct finding *f, void *ctx)
{
	struct report *r = ctx;
	struct report_model *m = &r->m;
	struct report_finding *rf;
	uint32_t lane, kept = 0;

	r->seen++;
	if (m->windowed && (f->ts < m->from || f->ts > m->to)) {
		m->findings_outside++;
		return;
	}
	m->findings_by_rule[f->rule < RULE_MAX ? f->rule : 0]++;
	m->findings_by_sev[f->severity <= SEV_ERROR ? f->severity : SEV_ERROR]++;
	if (f->severity > m->worst)
		m->worst = f->severity;
	lane = finding_lane(r, f);
	if (f->severity > m->lanes[lane].worst)
		m->lanes[lane].worst = f->severity;
	if (m->nfindings >= REPORT_MAX_FINDINGS ||
	    grow((void **)&m->findings, &r->cap_findings, sizeof(*rf), m->nfindings + 1)) {
		m->findings_dropped++;
	} else {
		rf = &m->findings[m->nfindings++];
		memset(rf, 0, sizeof(*rf));
		rf->f = *f;
		rf->lane = lane;
		rf->number = r->seen;
		rf->err_rank = (uint32_t)(f->severity >= SEV_ERROR ? r->nerrors : UINT32_MAX);
		kept = (uint32_t)m->nfindings;
	}
	if (f->severity >= SEV_ERROR)
		r->nerrors++;
	if (m->nflinks >= REPORT_MAX_FLINKS ||
	    grow((void **)&m->flinks, &r->cap_flinks, sizeof(*m->flinks), m->nflinks + 1)) {
		m->flinks_dropped++;
		return;
	}
	m->flinks[m->nflinks++] = (struct report_flink){ .ts = f->ts, .lane = lane, .finding = kept,
							 .sev = (uint8_t)f->severity,
							 .rule = (uint8_t)f->rule };
}

/* first mark with ts >= TS */
static uint64_t mark_lower_bound(const struct report_model *m, uint64_t ts)
{
	uint64_t lo = 0, hi = m->nmarks;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (m->marks[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void touch_lifetime(struct report_model *m, struct report_lifetime *l, uint32_t fi,
			   const struct finding *f)
{
	if (f->severity > l->hazard) {
		m->domains[l->domain].hazards[l->hazard] -= l->hazard ? 1 : 0;
		l->hazard = (uint8_t)f->severity;
		m->domains[l->domain].hazards[l->hazard]++;
	}
	if (!l->finding)
		l->finding = fi + 1;
	if (f->rule == RULE_UNMAP_WHILE_GATED && l->unmap_ts == f->ts)
		l->unmapped_gated = 1;
}

static uint64_t lt_end(const struct report_lifetime *l)
{
	return l->sync_ts;	/* REPORT_NEVER when not completed */
}

static uint64_t lt_start(const struct report_lifetime *l)
{
	return l->map_ts != REPORT_NEVER ? l->map_ts : l->unmap_ts;
}

static int cmp_lt_start(const void *a, const void *b)
{
	const struct report_lifetime *x = a, *y = b;

	if (lt_start(x) != lt_start(y))
		return lt_start(x) < lt_start(y) ? -1 : 1;
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->iova != y->iova)
		return x->iova < y->iova ? -1 : 1;
	return x->unmap_ts < y->unmap_ts ? -1 : x->unmap_ts > y->unmap_ts;
}

/* lifetime indices sorted by (domain, iova), for the overlap search */
static int cmp_lt(const void *a, const void *b, void *base)
{
	const struct report_lifetime *lts = base;
	const struct report_lifetime *x = &lts[*(const uint32_t *)a];
	const struct report_lifetime *y = &lts[*(const uint32_t *)b];

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->iova != y->iova)
		return x->iova < y->iova ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* lifetimes of DOM overlapping [iova, iova+size) alive at one of the finding's times */
static uint32_t link_range(struct report_model *m, const uint32_t *idx, uint32_t fi, uint32_t dom,
			   uint64_t iova, uint64_t size)
{
	const struct finding *f = &m->findings[fi].f;
	uint64_t lo = 0, hi = m->nlifetimes, next_inval = REPORT_NEVER;
	uint64_t from = iova > m->domains[dom].max_size ? iova - m->domains[dom].max_size : 0;
	uint64_t end = size ? iova + size : iova + 1;
	uint32_t n = 0;

	/* first lifetime of DOM with iova >= FROM: nothing before it can reach IOVA */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct report_lifetime *l = &m->lifetimes[idx[mid]];

		if (l->domain < dom || (l->domain == dom && l->iova < from))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t k = lo; k < m->nlifetimes; k++) {
			struct report_lifetime *l = &m->lifetimes[idx[k]];
			bool hit = false;

			if (l->domain != dom || l->iova >= end)
				break;
			if (!overlaps(l->iova, l->size, iova, size))
				continue;
			if (pass == 0) {
				/* a TBU back with stale entries endangers what is mapped there next,
				 * until a TLBI issued with the TBU on clears them */
				if (f->rule == RULE_TBU_STALE_EXPOSURE && l->inval_ts != REPORT_NEVER &&
				    l->inval_ts >= f->ts && l->inval_ts < next_inval)
					next_inval = l->inval_ts;
				continue;
			}
			for (int e = -1; e < f->nevidence && !hit; e++) {
				uint64_t ts = e < 0 ? f->ts : f->evidence[e].ts;

				hit = (l->map_ts == REPORT_NEVER || l->map_ts <= ts) && ts <= lt_end(l);
			}
			if (f->rule == RULE_TBU_STALE_EXPOSURE && l->map_ts != REPORT_NEVER &&
			    l->map_ts >= f->ts && l->map_ts < next_inval)
				hit = true;
			if (hit) {
				touch_lifetime(m, l, fi, f);
				n++;
			}
		}
	}
	return n;
}

int report__finish(struct report *r, const struct engine_summary *sum)
{
	struct report_model *m = &r->m;
	uint32_t *idx = NULL;

	if (sum)
		m->sum = *sum;
	if (!m->meta.strict_known && sum && sum->strict_known) {
		m->meta.strict_known = true;
		m->meta.strict = sum->strict;
	}
	if (m->first_ts == REPORT_NEVER)
		m->first_ts = m->last_ts = 0;
	if (m->win_first_ts == REPORT_NEVER)
		m->win_first_ts = m->win_last_ts = m->windowed ? m->from : m->first_ts;
	if (!m->windowed) {
		m->from = m->first_ts;
		m->to = m->last_ts;
	}
	/* the mark of each finding's triggering event, on the finding's lane */
	for (uint64_t k = 0; k < m->nflinks; k++) {
		const struct report_flink *fl = &m->flinks[k];

		for (uint64_t i = mark_lower_bound(m, fl->ts); i < m->nmarks && m->marks[i].ts == fl->ts;
		     i++) {
			struct report_mark *mk = &m->marks[i];

			if (mk->lane != fl->lane)
				continue;
			if (fl->sev > mk->sev)
				mk->sev = fl->sev;
			if (!mk->finding)
				mk->finding = fl->finding;
			break;
		}
	}
	/* the engine reports a lifetime when it ends: show them in the order they began */
	if (m->nlifetimes)
		qsort(m->lifetimes, m->nlifetimes, sizeof(*m->lifetimes), cmp_lt_start);
	if (m->nlifetimes) {
		idx = malloc(m->nlifetimes * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
		for (uint64_t i = 0; i < m->nlifetimes; i++)
			idx[i] = (uint32_t)i;
		qsort_r(idx, m->nlifetimes, sizeof(*idx), cmp_lt, m->lifetimes);
	}
	for (uint64_t fi = 0; idx && fi < m->nfindings; fi++) {
		struct report_finding *rf = &m->findings[fi];
		const struct finding *f = &rf->f;

		/* ranges, when given, are the precise form of the finding's range */
		if (f->has_domain && f->has_range && !f->nranges) {
			uint32_t v = dom_lookup(r, f->domain);

			if (v) {
				rf->lifetimes += link_range(m, idx, (uint32_t)fi, v - 1, f->iova, f->size);
			}
		}
		for (int k = 0; k < f->nranges; k++) {
			uint32_t v = dom_lookup(r, f->ranges[k].domain);

			if (v) {
				rf->lifetimes += link_range(m, idx, (uint32_t)fi, v - 1,
							    f->ranges[k].iova, f->ranges[k].size);
			}
		}
	}
	free(idx);
	return 0;
}

const struct report_model *report__model(const struct report *r)
{
	return &r->m;
}

void report__free(struct report *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->m.nlanes; i++)
		free(r->m.lanes[i].iv);
	free(r->m.lanes);
	free(r->m.marks);
	free(r->m.lifetimes);
	free(r->m.domains);
	free(r->m.findings);
	free(r->m.flinks);
	free(r->m.meta.meta_json);
	free(r->m.meta.meta_extra);
	idmap__free(&r->doms);
	free(r->tbu_state);
	free(r);
}

/* ---- helpers for the serializers ------------------------------------------- */

void report__fmt_dur(uint64_t ns, char *buf, size_t len)
{
	if (ns == REPORT_NEVER)
		snprintf(buf, len, "-");
	else if (ns >= 10000000000ull)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (ns >= 1000000000ull)
		snprintf(buf, len, "%.3fs", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.3gms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.3gus", ns / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
}

void report__fmt_ts(const struct report_model *m, uint64_t ts, char *buf, size_t len)
{
	if (ts == REPORT_NEVER)
		snprintf(buf, len, "-");
	else if (ts >= m->first_ts)
		snprintf(buf, len, "+%" PRIu64 ".%06" PRIu64 "s",
			 (uint64_t)((ts - m->first_ts) / 1000000000u),
			 (uint64_t)((ts - m->first_ts) / 1000u % 1000000u));
	else
		snprintf(buf, len, "-%" PRIu64 ".%06" PRIu64 "s",
			 (uint64_t)((m->first_ts - ts) / 1000000000u),
			 (uint64_t)((m->first_ts - ts) / 1000u % 1000000u));
}

void report__verdict(const struct report_model *m, char *buf, size_t len)
{
	uint64_t e = m->findings_by_sev[SEV_ERROR], w = m->findings_by_sev[SEV_WARNING];
	char rules[160] = "";
	int shown = 0;

	if (!e && !w) {
		snprintf(buf, len, "PASS: no hazard found in %" PRIu64 " events%s",
			 m->events_in_window, m->lost ? " (but events were lost)" : "");
		return;
	}
	/* name the error rules (severity is per rule and finding: list rules seen with errors) */
	for (int r = 0; r < RULE_MAX; r++) {
		bool err = false;

		for (uint64_t i = 0; i < m->nflinks && !err; i++)
			err = m->flinks[i].rule == r && m->flinks[i].sev >= SEV_ERROR;
		if (!err && (e || !m->findings_by_rule[r]))
			continue;
		if (shown < 3) {
			size_t n = strlen(rules);

			snprintf(rules + n, sizeof(rules) - n, "%s%s", shown ? ", " : "", rule__name((enum rule)r));
		}
		shown++;
	}
	snprintf(buf, len, "%s: %" PRIu64 " error%s, %" PRIu64 " warning%s (%s%s)",
		 e ? "FAIL" : "WARN", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", rules,
		 shown > 3 ? ", ..." : "");
}

uint64_t report__finding_number(const struct report_model *m, uint64_t idx1)
{
	return idx1 && idx1 <= m->nfindings ? m->findings[idx1 - 1].number : 0;
}

bool report__finding_shown(const struct report_model *m, uint64_t i)
{
	return i < REPORT_SHOW_FIRST ||
	       (m->findings[i].f.severity >= SEV_ERROR && m->findings[i].err_rank < REPORT_SHOW_ERRORS);
}

bool report__lifetime_in_window(const struct report_model *m, const struct report_lifetime *l)
{
	uint64_t start = l->map_ts != REPORT_NEVER ? l->map_ts : l->unmap_ts;
	uint64_t end = l->sync_ts != REPORT_NEVER ? l->sync_ts : REPORT_NEVER;

	if (!m->windowed)
		return true;
	return start <= m->to && (end == REPORT_NEVER || end >= m->from);
}

void report__capture_rows(const struct report_model *m,
			  void (*row)(void *ctx, const char *key, const char *value), void *ctx)
{
	const struct report_meta *mt = &m->meta;
	char b[1200], d[64], t1[32], t2[32];

	row(ctx, "input", mt->source[0] ? mt->source : "?");
	row(ctx, "format", mt->is_recording ? "recording" : "JSONL event stream");
	row(ctx, "kernel", mt->kernel[0] ? mt->kernel : "unknown (no meta event)");
	row(ctx, "arch", mt->arch[0] ? mt->arch : "unknown");
	row(ctx, "DMA mode", !mt->strict_known ? "unknown (no meta event said strict or lazy)" :
	    mt->strict ? "strict (unmap invalidates at once)" :
	    "lazy (flush queue: invalidation deferred)");
	row(ctx, "since boot", !mt->since_boot_known ? "unknown" : mt->since_boot ? "yes" :
	    "no: mappings made before the capture are unknown");
	row(ctx, "device tree compatible", mt->compatible[0] ? mt->compatible : "unknown");
	if (mt->model[0])
		row(ctx, "board model", mt->model);
	row(ctx, "hook table", mt->hooks[0] ? mt->hooks : "not recorded (JSONL input or no header)");
	report__fmt_dur(m->last_ts - m->first_ts, d, sizeof(d));
	snprintf(b, sizeof(b), "%" PRIu64 " over %s (ts %" PRIu64 " to %" PRIu64 ")", m->events, d,
		 m->first_ts, m->last_ts);
	row(ctx, "events", b);
	snprintf(b, sizeof(b), "%" PRIu64 "%s", m->sum.lost,
		 m->sum.lost ? ": findings after the first loss are marked incomplete" : "");
	row(ctx, "lost events", b);
	if (m->windowed) {
		report__fmt_ts(m, m->from, t1, sizeof(t1));
		report__fmt_ts(m, m->to == UINT64_MAX ? m->last_ts : m->to, t2, sizeof(t2));
		snprintf(b, sizeof(b), "%s to %s (%s): %" PRIu64 " events; %" PRIu64
			 " finding%s outside it not shown", t1, t2, m->window_why, m->events_in_window,
			 m->findings_outside, m->findings_outside == 1 ? "" : "s");
		row(ctx, "window", b);
	}
	b[0] = 0;
	for (int i = 0; i < m->sum.unknown_gates && i < 32; i++) {
		size_t n = strlen(b);

		snprintf(b + n, sizeof(b) - n, "%s%s", i ? ", " : "",
			 m->sum.unknown_gate_names[i] ? m->sum.unknown_gate_names[i] : "?");
	}
	row(ctx, "gates never seen (counted as on)", b[0] ? b : "none");
}
