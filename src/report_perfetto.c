// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as Chrome trace-event JSON, for ui.perfetto.dev (or
 * chrome://tracing). Tracks: process 1 "TBU gates" (a thread per TBU),
 * process 2 "IOMMU domains" (a thread per domain), process 3 "SMMUs and
 * capture". Gate states and IOVA lifetimes are async slices ("b"/"e" with an
 * id: they overlap, which plain "B"/"E" slices may not); unmaps, TLBIs, syncs,
 * faults and resets are thread instants; findings are instants with the
 * finding in args. ts are microseconds (event ns / 1000, three decimals, so
 * nothing is lost). Events are written sorted by time, so every track is
 * monotonic; a "b" is always written before its "e".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "report.h"

#define PF_MAX_LIFETIMES	200000	/* slices; hazardous first */
#define PF_MAX_MARKS		1000000	/* instants */
#define PF_MAX_SLOTS		1024	/* concurrent slices per domain track group */
#define PF_REF_BITS		40	/* ref = index | slot << PF_REF_BITS */

/*
 * Perfetto makes one track per async id, so lifetimes share ids: a slot is
 * reused only after its previous slice ended (strictly before the next
 * begins), which keeps every id's begin/end pairs sequential and the number
 * of tracks at the domain's peak of concurrent mappings.
 */
struct slots {
	uint64_t *end;
	uint32_t n;
};

static int slot_take(struct slots *s, uint64_t a, uint64_t b)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->end[i] < a) {
			s->end[i] = b;
			return (int)i;
		}
	if (s->n == PF_MAX_SLOTS)
		return -1;
	if ((s->n & (s->n - 1)) == 0) {
		void *x = realloc(s->end, (size_t)(s->n ? s->n * 2 : 8) * sizeof(*s->end));

		if (!x)
			return -2;
		s->end = x;
	}
	s->end[s->n] = b;
	return (int)s->n++;
}

enum pf_kind { PF_GATE_B, PF_GATE_E, PF_LT_B, PF_LT_E, PF_PEND_B, PF_PEND_E, PF_MARK, PF_FINDING };

struct pf_ev {
	uint64_t ts;
	uint64_t seq;		/* insertion order: ties keep "b" before "e" */
	uint64_t ref;		/* lifetime, mark or finding index; gate: lane << 32 | interval */
	uint8_t kind;
};

struct pf {
	struct pf_ev *ev;
	uint64_t n, cap;
	uint64_t t0, t1;	/* visible range */
};

static int push(struct pf *p, uint64_t ts, enum pf_kind k, uint64_t ref)
{
	if (p->n == p->cap) {
		uint64_t nc = p->cap ? p->cap * 2 : 1024;
		void *x = realloc(p->ev, nc * sizeof(*p->ev));

		if (!x)
			return -ENOMEM;
		p->ev = x;
		p->cap = nc;
	}
	p->ev[p->n] = (struct pf_ev){ .ts = ts, .seq = p->n, .ref = ref, .kind = (uint8_t)k };
	p->n++;
	return 0;
}

static int cmp_ev(const void *a, const void *b)
{
	const struct pf_ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* lifetimes by start (map, or unmap when the map was not seen), then index */
static int cmp_start(const void *a, const void *b, void *ctx)
{
	const struct report_model *m = ctx;
	const struct report_lifetime *x = &m->lifetimes[*(const uint64_t *)a];
	const struct report_lifetime *y = &m->lifetimes[*(const uint64_t *)b];
	uint64_t xs = x->map_ts != REPORT_NEVER ? x->map_ts : 0;
	uint64_t ys = y->map_ts != REPORT_NEVER ? y->map_ts : 0;

	if (xs != ys)
		return xs < ys ? -1 : 1;
	return *(const uint64_t *)a < *(const uint64_t *)b ? -1 : 1;
}

static uint64_t clamp(const struct pf *p, uint64_t ts)
{
	return ts < p->t0 ? p->t0 : ts > p->t1 ? p->t1 : ts;
}

static void kv_us(struct jsonw *w, const char *k, uint64_t ns)
{
	char b[48];

	snprintf(b, sizeof(b), "%" PRIu64 ".%03u", ns / 1000, (unsigned int)(ns % 1000));
	jsonw__key(w, k);
	jsonw__raw(w, b);
}

static void meta(struct jsonw *w, const char *what, int pid, int64_t tid, const char *name)
{
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "ph", "M");
	jsonw__kv_str(w, "name", what);
	jsonw__kv_s64(w, "pid", pid);
	if (tid >= 0)
		jsonw__kv_s64(w, "tid", tid);
	jsonw__key(w, "args");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "name", name);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
	jsonw__newline(w);
}

static int lane_pid(const struct report_lane *l)
{
	return l->kind == LANE_TBU ? 1 : l->kind == LANE_DOMAIN ? 2 : 3;
}

/* common head of an event; the caller adds what is specific and closes it */
static void head(struct jsonw *w, const char *ph, const char *cat, const char *name, uint64_t ts,
		 const struct report_lane *l, uint32_t lane)
{
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "ph", ph);
	jsonw__kv_str(w, "cat", cat);
	jsonw__kv_str(w, "name", name);
	kv_us(w, "ts", ts);
	jsonw__kv_s64(w, "pid", lane_pid(l));
	jsonw__kv_u64(w, "tid", lane + 1);
}

static void write_ev(struct jsonw *w, const struct report_model *m, const struct pf_ev *e)
{
	char name[128], id[48];

	switch (e->kind) {
	case PF_GATE_B:
	case PF_GATE_E: {
		uint32_t lane = (uint32_t)(e->ref >> 32), k = (uint32_t)e->ref;
		const struct report_lane *l = &m->lanes[lane];

		/* a TBU's intervals never overlap: one id, one track per TBU */
		snprintf(id, sizeof(id), "gate-%u", lane);
		head(w, e->kind == PF_GATE_B ? "b" : "e", "gate",
		     l->iv[k].state > 0 ? "gated" : "gate state unknown", e->ts, l, lane);
		jsonw__kv_str(w, "id", id);
		if (e->kind == PF_GATE_B) {
			jsonw__key(w, "args");
			jsonw__obj_begin(w);
			jsonw__kv_str(w, "tbu", l->name);
			jsonw__kv_str(w, "gates", l->detail);
			jsonw__obj_end(w);
		}
		break;
	}
	case PF_LT_B:
	case PF_LT_E:
	case PF_PEND_B:
	case PF_PEND_E: {
		uint64_t idx = e->ref & ((1ull << PF_REF_BITS) - 1);
		const struct report_lifetime *lt = &m->lifetimes[idx];
		uint32_t lane = m->domains[lt->domain].lane;
		bool pend = e->kind == PF_PEND_B || e->kind == PF_PEND_E;
		bool begin = e->kind == PF_LT_B || e->kind == PF_PEND_B;

		snprintf(name, sizeof(name), "%s 0x%" PRIx64 "+0x%" PRIx64,
			 pend ? "awaiting invalidation" : "mapped", lt->iova, lt->size);
		snprintf(id, sizeof(id), "%s-%u-%" PRIu64, pend ? "pend" : "map", lt->domain,
			 e->ref >> PF_REF_BITS);
		head(w, begin ? "b" : "e", pend ? "unmapped" : "mapping", name, e->ts,
		     &m->lanes[lane], lane);
		jsonw__kv_str(w, "id", id);
		if (begin) {
			jsonw__key(w, "args");
			jsonw__obj_begin(w);
			jsonw__kv_hex(w, "iova", lt->iova);
			jsonw__kv_u64(w, "size", lt->size);
			jsonw__kv_str(w, "hazard", lt->hazard ? severity__name((enum severity)lt->hazard) :
				      "none");
			if (lt->finding)
				jsonw__kv_u64(w, "finding", report__finding_number(m, lt->finding));
			if (lt->map_ts == REPORT_NEVER)
				jsonw__kv_bool(w, "mapped_before_capture", true);
			jsonw__obj_end(w);
		}
		break;
	}
	case PF_MARK: {
		const struct report_mark *mk = &m->marks[e->ref];

		head(w, "i", "event", report__mark_kind_name((enum mark_kind)mk->kind), e->ts,
		     &m->lanes[mk->lane], mk->lane);
		jsonw__kv_str(w, "s", "t");
		if (mk->finding) {
			jsonw__key(w, "args");
			jsonw__obj_begin(w);
			jsonw__kv_u64(w, "finding", report__finding_number(m, mk->finding));
			jsonw__obj_end(w);
		}
		break;
	}
	case PF_FINDING: {
		const struct report_flink *fl = &m->flinks[e->ref];
		const struct report_finding *rf = fl->finding ? &m->findings[fl->finding - 1] : NULL;

		snprintf(name, sizeof(name), "%s %s", severity__name((enum severity)fl->sev),
			 rule__name((enum rule)fl->rule));
		head(w, "i", "finding", name, e->ts, &m->lanes[fl->lane], fl->lane);
		jsonw__kv_str(w, "s", "p");	/* process-wide: findings stand out */
		jsonw__key(w, "args");
		jsonw__obj_begin(w);
		jsonw__kv_u64(w, "stream_ts_ns", fl->ts);
		if (rf) {
			jsonw__kv_u64(w, "number", rf->number);
			jsonw__kv_str(w, "message", rf->f.message);
			if (rf->f.has_domain)
				jsonw__kv_hex(w, "domain", rf->f.domain);
			if (rf->f.has_range) {
				jsonw__kv_hex(w, "iova", rf->f.iova);
				jsonw__kv_u64(w, "size", rf->f.size);
			}
		}
		jsonw__obj_end(w);
		break;
	}
	}
	jsonw__obj_end(w);
	jsonw__newline(w);
}

static int collect(struct pf *p, const struct report_model *m, uint64_t *lt_dropped,
		   uint64_t *mk_dropped)
{
	uint64_t nlt = 0, nmk = 0;

	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];

		for (uint32_t k = 0; k < l->niv; k++) {
			uint64_t end = l->iv[k].end == REPORT_NEVER ? p->t1 : l->iv[k].end;

			if (end < p->t0 || l->iv[k].start > p->t1)
				continue;
			if (push(p, clamp(p, l->iv[k].start), PF_GATE_B, (uint64_t)i << 32 | k) ||
			    push(p, clamp(p, end), PF_GATE_E, (uint64_t)i << 32 | k))
				return -ENOMEM;
		}
	}
	{
		uint64_t *order = NULL, n = 0;
		struct slots *ms = calloc(m->ndomains ? m->ndomains : 1, sizeof(*ms));
		struct slots *ps = calloc(m->ndomains ? m->ndomains : 1, sizeof(*ps));
		int err = ms && ps ? 0 : -ENOMEM;

		/* hazardous lifetimes first into the export cap, then by start time for the slots */
		if (!err && m->nlifetimes && !(order = malloc(m->nlifetimes * sizeof(*order))))
			err = -ENOMEM;
		for (int pass = 0; !err && pass < 2; pass++)
			for (uint64_t i = 0; i < m->nlifetimes; i++) {
				const struct report_lifetime *l = &m->lifetimes[i];

				if ((pass == 0) != (l->hazard != 0) || !report__lifetime_in_window(m, l))
					continue;
				if (nlt >= PF_MAX_LIFETIMES) {
					(*lt_dropped)++;
					continue;
				}
				nlt++;
				order[n++] = i;
			}
		if (!err && n)
			qsort_r(order, n, sizeof(*order), cmp_start, (void *)m);
		for (uint64_t k = 0; !err && k < n; k++) {
			const struct report_lifetime *l = &m->lifetimes[order[k]];
			uint64_t a = clamp(p, l->map_ts != REPORT_NEVER ? l->map_ts : p->t0);
			uint64_t b = clamp(p, l->unmap_ts != REPORT_NEVER ? l->unmap_ts : p->t1);
			int slot = slot_take(&ms[l->domain], a, b);

			if (slot == -2) {
				err = -ENOMEM;
				break;
			}
			if (slot < 0) {
				(*lt_dropped)++;
				continue;
			}
			if (push(p, a, PF_LT_B, order[k] | (uint64_t)slot << PF_REF_BITS) ||
			    push(p, b, PF_LT_E, order[k] | (uint64_t)slot << PF_REF_BITS)) {
				err = -ENOMEM;
				break;
			}
			if (l->unmap_ts == REPORT_NEVER || l->unmap_ts > p->t1)
				continue;
			a = clamp(p, l->unmap_ts);
			b = clamp(p, l->sync_ts != REPORT_NEVER ? l->sync_ts : p->t1);
			slot = slot_take(&ps[l->domain], a, b);
			if (slot == -2)
				err = -ENOMEM;
			else if (slot >= 0 &&
				 (push(p, a, PF_PEND_B, order[k] | (uint64_t)slot << PF_REF_BITS) ||
				  push(p, b, PF_PEND_E, order[k] | (uint64_t)slot << PF_REF_BITS)))
				err = -ENOMEM;
		}
		for (uint32_t d = 0; ms && ps && d < m->ndomains; d++) {
			free(ms[d].end);
			free(ps[d].end);
		}
		free(ms);
		free(ps);
		free(order);
		if (err)
			return err;
	}
	for (uint64_t i = 0; i < m->nmarks; i++) {
		/* maps are the lifetime slices' beginnings already */
		if (m->marks[i].kind == MK_MAP)
			continue;
		if (nmk >= PF_MAX_MARKS) {
			(*mk_dropped)++;
			continue;
		}
		nmk++;
		if (push(p, m->marks[i].ts, PF_MARK, i))
			return -ENOMEM;
	}
	/* every finding, also those past the detail cap (they carry rule and severity only) */
	for (uint64_t i = 0; i < m->nflinks; i++)
		if (push(p, clamp(p, m->flinks[i].ts), PF_FINDING, i))
			return -ENOMEM;
	if (p->n)
		qsort(p->ev, p->n, sizeof(*p->ev), cmp_ev);
	return 0;
}

int report__write_perfetto(const struct report_model *m, FILE *f)
{
	struct pf p = { 0 };
	struct jsonw *w;
	uint64_t lt_dropped = 0, mk_dropped = 0;
	char v[256];
	int err;

	p.t0 = m->windowed ? m->from : m->first_ts;
	p.t1 = m->windowed && m->to != UINT64_MAX ? m->to : m->last_ts;
	if (p.t1 < p.t0)
		p.t1 = p.t0;
	err = collect(&p, m, &lt_dropped, &mk_dropped);
	if (err) {
		free(p.ev);
		return err;
	}
	w = jsonw__new(f);
	if (!w) {
		free(p.ev);
		return -ENOMEM;
	}
	/* one event per line inside the array: greppable, diffable */
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":", f);
	report__verdict(m, v, sizeof(v));
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "tool", "smmutrace report");
	jsonw__kv_str(w, "input", m->meta.source);
	jsonw__kv_str(w, "verdict", v);
	jsonw__kv_str(w, "kernel", m->meta.kernel);
	jsonw__kv_u64(w, "lifetimes_not_exported", lt_dropped);
	jsonw__kv_u64(w, "instants_not_exported", mk_dropped + m->marks_dropped);
	jsonw__obj_end(w);
	jsonw__newline(w);
	fputs(",\"traceEvents\":[\n", f);
	/* fresh writer: the array's commas are ours, one element per line */
	jsonw__free(w);
	w = jsonw__new(f);
	if (!w) {
		free(p.ev);
		return -ENOMEM;
	}
	{
		bool first = true;
#define SEP() do { if (!first) fputs(",", f); first = false; } while (0)
		SEP();
		meta(w, "process_name", 1, -1, "TBU gates");
		SEP();
		meta(w, "process_name", 2, -1, "IOMMU domains");
		SEP();
		meta(w, "process_name", 3, -1, "SMMUs and capture");
		for (uint32_t i = 0; i < m->nlanes; i++) {
			SEP();
			meta(w, "thread_name", lane_pid(&m->lanes[i]), i + 1, m->lanes[i].name);
		}
		for (uint64_t i = 0; i < p.n; i++) {
			SEP();
			write_ev(w, m, &p.ev[i]);
		}
#undef SEP
	}
	fputs("]}\n", f);
	jsonw__free(w);
	free(p.ev);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
