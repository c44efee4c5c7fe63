// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as one JSON object for machines: the whole model, with addresses
 * as "0x..." strings and times as event-time nanoseconds (as in the JSONL
 * stream). "report_version" changes when a field changes meaning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "json_writer.h"
#include "report.h"
#include "sink.h"

#define REPORT_JSON_VERSION 1
#define JSON_MAX_LIFETIMES 100000	/* hazardous ones always come first */

static void kv_ts(struct jsonw *w, const char *k, uint64_t ts)
{
	jsonw__key(w, k);
	if (ts == REPORT_NEVER)
		jsonw__null(w);
	else
		jsonw__u64(w, ts);
}

static void write_hist(struct jsonw *w, const char *k, const struct report_hist *h)
{
	jsonw__key(w, k);
	jsonw__obj_begin(w);
	jsonw__kv_u64(w, "count", h->n);
	jsonw__kv_u64(w, "sum_ns", h->sum);
	jsonw__kv_u64(w, "max_ns", h->max);
	/* log2 buckets: bucket i holds values in [2^i, 2^(i+1)) ns */
	jsonw__key(w, "buckets");
	jsonw__arr_begin(w);
	for (int i = 0; i < HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		jsonw__obj_begin(w);
		jsonw__kv_u64(w, "ge_ns", 1ull << i);
		jsonw__kv_u64(w, "count", h->b[i]);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__obj_end(w);
}

static void write_finding(struct jsonw *w, const struct report_model *m, uint64_t i)
{
	const struct report_finding *rf = &m->findings[i];
	const struct finding *f = &rf->f;

	jsonw__obj_begin(w);
	jsonw__kv_u64(w, "number", rf->number);
	jsonw__kv_str(w, "rule", rule__name(f->rule));
	jsonw__kv_str(w, "severity", severity__name(f->severity));
	jsonw__kv_u64(w, "ts", f->ts);
	if (f->has_domain)
		jsonw__kv_hex(w, "domain", f->domain);
	if (f->has_range) {
		jsonw__kv_hex(w, "iova", f->iova);
		jsonw__kv_u64(w, "size", f->size);
	}
	jsonw__key(w, "tbus");
	jsonw__arr_begin(w);
	for (int k = 0; k < f->ntbus; k++)
		jsonw__str(w, f->tbus[k] ? f->tbus[k] : "?");
	jsonw__arr_end(w);
	if (f->nranges) {
		jsonw__key(w, "ranges");
		jsonw__arr_begin(w);
		for (int k = 0; k < f->nranges; k++) {
			jsonw__obj_begin(w);
			jsonw__kv_hex(w, "domain", f->ranges[k].domain);
			jsonw__kv_hex(w, "iova", f->ranges[k].iova);
			jsonw__kv_u64(w, "size", f->ranges[k].size);
			jsonw__obj_end(w);
		}
		jsonw__arr_end(w);
		/* the engine's ranges_total counts TLBIs: say so, and whether the list is cut */
		jsonw__kv_u64(w, "ranges_total", (uint64_t)f->nranges);
		jsonw__kv_u64(w, "tlbis_while_gated", f->ranges_total);
		jsonw__kv_bool(w, "ranges_truncated", f->nranges == FINDING_MAX_RANGES &&
			       f->ranges_total > (unsigned long long)f->nranges);
	}
	jsonw__kv_str(w, "message", f->message);
	jsonw__kv_bool(w, "incomplete", f->incomplete);
	jsonw__kv_str(w, "lane", m->lanes[rf->lane].name);
	jsonw__kv_u64(w, "lifetimes", rf->lifetimes);
	jsonw__key(w, "evidence");
	jsonw__arr_begin(w);
	for (int k = 0; k < f->nevidence; k++)
		sink__json_evidence(w, &f->evidence[k]);
	jsonw__arr_end(w);
	jsonw__obj_end(w);
}

static void write_lifetime(struct jsonw *w, const struct report_model *m,
			   const struct report_lifetime *l)
{
	jsonw__obj_begin(w);
	jsonw__kv_hex(w, "domain", m->domains[l->domain].ptr);
	jsonw__kv_hex(w, "iova", l->iova);
	jsonw__kv_u64(w, "size", l->size);
	kv_ts(w, "map_ts", l->map_ts);
	kv_ts(w, "unmap_ts", l->unmap_ts);
	kv_ts(w, "invalidated_ts", l->inval_ts);
	kv_ts(w, "synced_ts", l->sync_ts);
	jsonw__kv_str(w, "hazard", l->hazard ? severity__name((enum severity)l->hazard) : "none");
	if (l->finding)
		jsonw__kv_u64(w, "finding", report__finding_number(m, l->finding));
	jsonw__obj_end(w);
}

static void write_lanes(struct jsonw *w, const struct report_model *m)
{
	jsonw__key(w, "lanes");
	jsonw__arr_begin(w);
	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];

		jsonw__obj_begin(w);
		jsonw__kv_str(w, "kind", report__lane_kind_name(l->kind));
		jsonw__kv_str(w, "name", l->name);
		jsonw__kv_str(w, "detail", l->detail);
		jsonw__key(w, "marks");
		jsonw__obj_begin(w);
		for (int k = 0; k < MK_MAX; k++)
			if (l->marks[k])
				jsonw__kv_u64(w, report__mark_kind_name((enum mark_kind)k), l->marks[k]);
		jsonw__obj_end(w);
		if (l->kind == LANE_TBU) {
			jsonw__key(w, "intervals");
			jsonw__arr_begin(w);
			for (uint32_t k = 0; k < l->niv; k++) {
				jsonw__obj_begin(w);
				jsonw__kv_str(w, "state", l->iv[k].state > 0 ? "gated" : "unknown");
				jsonw__kv_u64(w, "start", l->iv[k].start);
				kv_ts(w, "end", l->iv[k].end);
				jsonw__obj_end(w);
			}
			jsonw__arr_end(w);
			jsonw__kv_u64(w, "intervals_dropped", l->iv_dropped);
		}
		jsonw__kv_str(w, "worst", severity__name(l->worst));
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
}

/* topology__print's JSON object, embedded as it is */
static void write_topology(struct jsonw *w, const struct topology *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	if (!t || !(mf = open_memstream(&buf, &len))) {
		jsonw__null(w);
		return;
	}
	if (topology__print(t, mf, true) || fclose(mf) || !len) {
		jsonw__null(w);
	} else {
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = 0;
		jsonw__raw(w, buf);
	}
	free(buf);
}

static void write_meta(struct jsonw *w, const struct report_model *m)
{
	const struct report_meta *mt = &m->meta;

	jsonw__key(w, "capture");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "input", mt->source);
	jsonw__kv_str(w, "format", mt->is_recording ? "recording" : "jsonl");
	jsonw__kv_str(w, "kernel", mt->kernel);
	jsonw__kv_str(w, "arch", mt->arch);
	jsonw__kv_str(w, "dma_mode", !mt->strict_known ? "unknown" : mt->strict ? "strict" : "lazy");
	jsonw__key(w, "since_boot");
	if (mt->since_boot_known)
		jsonw__bool(w, mt->since_boot);
	else
		jsonw__null(w);
	jsonw__kv_str(w, "compatible", mt->compatible);
	jsonw__kv_str(w, "model", mt->model);
	jsonw__kv_str(w, "hooks", mt->hooks);
	if (mt->meta_json) {
		jsonw__key(w, "recording_meta");
		jsonw__raw(w, mt->meta_json);
	}
	if (mt->meta_extra) {
		jsonw__key(w, "meta_extra");
		jsonw__raw(w, mt->meta_extra);
	}
	jsonw__kv_u64(w, "events", m->events);
	jsonw__kv_u64(w, "first_ts", m->first_ts);
	jsonw__kv_u64(w, "last_ts", m->last_ts);
	jsonw__kv_u64(w, "lost", m->sum.lost);
	jsonw__key(w, "unknown_gates");
	jsonw__arr_begin(w);
	for (int i = 0; i < m->sum.unknown_gates && i < 32; i++)
		jsonw__str(w, m->sum.unknown_gate_names[i] ? m->sum.unknown_gate_names[i] : "?");
	jsonw__arr_end(w);
	jsonw__obj_end(w);

	jsonw__key(w, "window");
	jsonw__obj_begin(w);
	jsonw__kv_bool(w, "windowed", m->windowed);
	jsonw__kv_str(w, "why", m->window_why);
	jsonw__kv_u64(w, "from", m->from);
	kv_ts(w, "to", m->to == UINT64_MAX ? REPORT_NEVER : m->to);
	jsonw__kv_u64(w, "events", m->events_in_window);
	jsonw__kv_u64(w, "lost", m->lost);
	jsonw__kv_u64(w, "findings_outside", m->findings_outside);
	jsonw__key(w, "events_by_type");
	jsonw__obj_begin(w);
	for (int t = 1; t < SMT_EV_MAX; t++)
		if (m->events_by_type[t])
			jsonw__kv_u64(w, event__type_name(t), m->events_by_type[t]);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
}

int report__write_json(const struct report_model *m, FILE *f)
{
	struct jsonw *w = jsonw__new(f);
	char v[256];
	uint64_t n = 0;

	if (!w)
		return -ENOMEM;
	report__verdict(m, v, sizeof(v));
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "type", "report");
	jsonw__kv_u64(w, "report_version", REPORT_JSON_VERSION);
	jsonw__kv_str(w, "verdict", v);
	jsonw__kv_str(w, "worst", severity__name(m->worst));
	write_meta(w, m);

	jsonw__key(w, "findings_by_rule");
	jsonw__obj_begin(w);
	for (int r = 0; r < RULE_MAX; r++)
		if (m->findings_by_rule[r])
			jsonw__kv_u64(w, rule__name((enum rule)r), m->findings_by_rule[r]);
	jsonw__obj_end(w);
	jsonw__key(w, "findings");
	jsonw__arr_begin(w);
	for (uint64_t i = 0; i < m->nfindings; i++)
		write_finding(w, m, i);
	jsonw__arr_end(w);
	jsonw__kv_u64(w, "findings_dropped", m->findings_dropped);

	jsonw__key(w, "topology");
	write_topology(w, m->topo);
	write_lanes(w, m);

	jsonw__key(w, "domains");
	jsonw__arr_begin(w);
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct report_domain *d = &m->domains[i];

		jsonw__obj_begin(w);
		jsonw__kv_hex(w, "domain", d->ptr);
		jsonw__kv_str(w, "smmu", d->smmu);
		jsonw__kv_str(w, "devices", d->devs);
		jsonw__kv_str(w, "sids", d->sids);
		jsonw__kv_u64(w, "maps", d->maps);
		jsonw__kv_u64(w, "unmaps", d->unmaps);
		jsonw__kv_u64(w, "map_failures", d->map_failures);
		jsonw__kv_u64(w, "faults", d->faults);
		jsonw__kv_u64(w, "lifetimes", d->lifetimes);
		jsonw__kv_u64(w, "lifetimes_error", d->hazards[SEV_ERROR]);
		jsonw__kv_u64(w, "lifetimes_warning", d->hazards[SEV_WARNING]);
		jsonw__kv_bool(w, "freed", d->freed);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);

	/* hazardous lifetimes first, then the others, up to the cap */
	jsonw__key(w, "lifetimes");
	jsonw__arr_begin(w);
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < m->nlifetimes && n < JSON_MAX_LIFETIMES; i++) {
			const struct report_lifetime *l = &m->lifetimes[i];

			if ((pass == 0) != (l->hazard != 0) || !report__lifetime_in_window(m, l))
				continue;
			write_lifetime(w, m, l);
			n++;
		}
	jsonw__arr_end(w);
	jsonw__kv_u64(w, "lifetimes_total", m->nlifetimes);
	jsonw__kv_u64(w, "lifetimes_dropped", m->lifetimes_dropped);
	jsonw__kv_u64(w, "marks", m->nmarks);
	jsonw__kv_u64(w, "marks_dropped", m->marks_dropped);

	jsonw__key(w, "histograms");
	jsonw__obj_begin(w);
	write_hist(w, "sync_latency", &m->sync_hist);
	write_hist(w, "iova_lifetime", &m->lifetime_hist);
	write_hist(w, "unmap_to_synced", &m->inval_hist);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
