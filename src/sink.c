// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text and JSONL sinks for findings and summaries (SPEC §6). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "event.h"
#include "json_writer.h"
#include "sink.h"
#include "text.h"

struct sink {
	FILE *f;
	bool json;
	struct jsonw *w;
	enum severity worst;
	uint64_t written;
	unsigned int not_judged;		/* bit per rule */
	char reasons[RULE_MAX][320];
	int ntbus;		/* -1 = not said (monitor's log); 0 = the gate rules cannot fire */
};

struct sink *sink__new(FILE *f, bool json)
{
	struct sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->f = f;
	s->json = json;
	s->ntbus = -1;
	if (json) {
		s->w = jsonw__new(f);
		if (!s->w) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void sink__free(struct sink *s)
{
	if (!s)
		return;
	jsonw__free(s->w);
	free(s);
}

void sink__set_not_judged(struct sink *s, unsigned int mask, const char reasons[RULE_MAX][320])
{
	s->not_judged = mask;
	for (int r = 0; r < RULE_MAX; r++)
		snprintf(s->reasons[r], sizeof(s->reasons[r]), "%s", mask & (1u << r) ? reasons[r] : "");
}

enum severity sink__worst(const struct sink *s)
{
	return s->worst;
}

static void fmt_ts(char *buf, size_t len, uint64_t ts)
{
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ts / 1000000000, ts % 1000000000);
}

void sink__json_evidence(struct jsonw *w, const struct evidence *x)
{
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "ev", event__type_name(x->type) ? event__type_name(x->type) : "?");
	jsonw__kv_u64(w, "ts", x->ts);
	if (x->present & SMT_HAS_PID)
		jsonw__kv_s64(w, "pid", x->pid);
	if (x->present & SMT_HAS_COMM)
		jsonw__kv_str(w, "comm", x->comm);
	if (x->present & SMT_HAS_DOMAIN)
		jsonw__kv_hex(w, "domain", x->domain);
	if (x->present & SMT_HAS_IOVA)
		jsonw__kv_hex(w, "iova", x->iova);
	if (x->present & SMT_HAS_SIZE)
		jsonw__kv_u64(w, "size", x->size);
	if (x->present & SMT_HAS_RET)
		jsonw__kv_s64(w, "ret", x->ret);
	jsonw__kv_str(w, "role", x->what);
	jsonw__obj_end(w);
}

static void json_finding(struct jsonw *w, const struct finding *f)
{
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "type", "finding");
	jsonw__kv_str(w, "rule", rule__name(f->rule));
	jsonw__kv_str(w, "severity", severity__name(f->severity));
	jsonw__kv_u64(w, "ts", f->ts);
	jsonw__key(w, "domain");
	if (f->has_domain)
		jsonw__hex(w, f->domain);
	else
		jsonw__null(w);
	jsonw__key(w, "iova");
	if (f->has_range)
		jsonw__hex(w, f->iova);
	else
		jsonw__null(w);
	jsonw__key(w, "size");
	if (f->has_range)
		jsonw__u64(w, f->size);
	else
		jsonw__null(w);
	jsonw__key(w, "tbus");
	jsonw__arr_begin(w);
	for (int i = 0; i < f->ntbus; i++)
		jsonw__str(w, f->tbus[i]);
	jsonw__arr_end(w);
	jsonw__kv_str(w, "message", f->message);
	jsonw__key(w, "evidence");
	jsonw__arr_begin(w);
	for (int i = 0; i < f->nevidence; i++)
		sink__json_evidence(w, &f->evidence[i]);
	jsonw__arr_end(w);
	if (f->rule == RULE_TBU_STALE_EXPOSURE) {
		jsonw__key(w, "ranges");
		jsonw__arr_begin(w);
		for (int i = 0; i < f->nranges; i++) {
			jsonw__obj_begin(w);
			jsonw__kv_hex(w, "domain", f->ranges[i].domain);
			if (f->ranges[i].size) {
				jsonw__kv_hex(w, "iova", f->ranges[i].iova);
				jsonw__kv_u64(w, "size", f->ranges[i].size);
			} else {
				jsonw__kv_str(w, "scope", f->ranges[i].domain ? "context" : "all");
			}
			jsonw__obj_end(w);
		}
		jsonw__arr_end(w);
		jsonw__kv_u64(w, "ranges_total", f->ranges_total);
	}
	jsonw__kv_bool(w, "incomplete", f->incomplete);
	jsonw__obj_end(w);
	jsonw__newline(w);
}

/*
 * One line per finding (SPEC §6), its evidence and ranges at the end of the
 * line; with -v the evidence is also spelled out on indented lines below.
 */
static void text_finding(FILE *out, const struct finding *f)
{
	char ts[32];

	fmt_ts(ts, sizeof(ts), f->ts);
	/* the rule is padded to align the fields after it; with none, "rule: message" */
	fprintf(out, f->has_domain || f->has_range || f->ntbus ? "%s %-7s %-22s" : "%s %-7s %s", ts,
		severity__name(f->severity), rule__name(f->rule));
	if (f->has_domain)
		fprintf(out, " domain=0x%" PRIx64, f->domain);
	if (f->has_range) {
		fprintf(out, " iova=0x%" PRIx64, f->iova);
		if (f->size)
			fprintf(out, " size=0x%" PRIx64, f->size);
	}
	if (f->ntbus) {
		fprintf(out, " tbus=");
		for (int i = 0; i < f->ntbus; i++) {
			if (i)
				fputc(',', out);
			text__put(out, f->tbus[i]);
		}
	}
	fputs(": ", out);
	text__put(out, f->message);
	if (f->incomplete)
		fputs(" [incomplete: events were lost before]", out);
	for (int i = 0; i < f->nevidence; i++) {
		const struct evidence *x = &f->evidence[i];

		fmt_ts(ts, sizeof(ts), x->ts);
		fprintf(out, "%s%s@%s", i ? "; " : " | evidence: ", x->what, ts);
		if (x->present & SMT_HAS_IOVA)
			fprintf(out, " iova=0x%" PRIx64, x->iova);
		if (x->present & SMT_HAS_PID)
			fprintf(out, " pid=%d", x->pid);
		if (x->present & SMT_HAS_COMM) {
			fputs(" comm=", out);
			text__put(out, x->comm);
		}
	}
	for (int i = 0; i < f->nranges; i++) {
		fprintf(out, "%s", i ? ", " : " | ranges: ");
		if (f->ranges[i].size)
			fprintf(out, "0x%" PRIx64 "+0x%" PRIx64, f->ranges[i].iova, f->ranges[i].size);
		else if (f->ranges[i].domain)
			fprintf(out, "domain 0x%" PRIx64 " (whole context)", f->ranges[i].domain);
		else
			fprintf(out, "all contexts of the SMMU");
	}
	if (f->ranges_total > (unsigned long long)f->nranges)
		fprintf(out, " (%llu TLBIs in all)", f->ranges_total);
	fputc('\n', out);
	if (log__level() < LOG_DEBUG)
		return;
	for (int i = 0; i < f->nevidence; i++) {
		const struct evidence *x = &f->evidence[i];

		fmt_ts(ts, sizeof(ts), x->ts);
		fprintf(out, "    evidence: %s %s", ts,
			event__type_name(x->type) ? event__type_name(x->type) : "?");
		if (x->present & SMT_HAS_DOMAIN)
			fprintf(out, " domain=0x%" PRIx64, x->domain);
		if (x->present & SMT_HAS_IOVA)
			fprintf(out, " iova=0x%" PRIx64, x->iova);
		if (x->present & SMT_HAS_SIZE)
			fprintf(out, " size=0x%" PRIx64, x->size);
		if (x->present & SMT_HAS_RET)
			fprintf(out, " ret=%" PRId64, x->ret);
		if (x->present & SMT_HAS_PID)
			fprintf(out, " pid=%d", x->pid);
		if (x->present & SMT_HAS_COMM) {
			fputs(" comm=", out);
			text__put(out, x->comm);
		}
		fprintf(out, " (%s)\n", x->what);
	}
}

void sink__finding(const struct finding *f, void *ctx)
{
	struct sink *s = ctx;

	if (f->severity > s->worst)
		s->worst = f->severity;
	s->written++;
	if (s->json)
		json_finding(s->w, f);
	else
		text_finding(s->f, f);
	/* live mode: a finding is news; don't sit on it in a buffer */
	fflush(s->f);
}

/* log2 histogram in the libbpf-tools style */
static void text_hist(FILE *out, const char *title, const uint64_t *h)
{
	int lo = -1, hi = -1;
	uint64_t max = 0;

	for (int i = 0; i < HIST_BUCKETS; i++) {
		if (!h[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (h[i] > max)
			max = h[i];
	}
	if (lo < 0)
		return;
	fprintf(out, "%s\n%24s : %-10s distribution\n", title, "ns", "count");
	for (int i = lo; i <= hi; i++) {
		char range[48];
		int stars = (int)(h[i] * 40 / max);

		/* the last bucket ends at UINT64_MAX: 1 << 64 is undefined */
		snprintf(range, sizeof(range), "%" PRIu64 " -> %" PRIu64,
			 i ? (uint64_t)1 << i : 0,
			 i + 1 < 64 ? ((uint64_t)1 << (i + 1)) - 1 : UINT64_MAX);
		fprintf(out, "%24s : %-10" PRIu64 " |%-40.*s|\n", range, h[i], stars,
			"****************************************");
	}
}

static void json_hist(struct jsonw *w, const char *key, const uint64_t *h)
{
	jsonw__key(w, key);
	jsonw__arr_begin(w);
	for (int i = 0; i < HIST_BUCKETS; i++) {
		if (!h[i])
			continue;
		jsonw__obj_begin(w);
		jsonw__kv_u64(w, "ge_ns", i ? (uint64_t)1 << i : 0);
		jsonw__kv_u64(w, "count", h[i]);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
}

void sink__set_tbus(struct sink *s, int ntbus)
{
	s->ntbus = ntbus;
}

/* clk, rpm and pd events: what only a TBU gives meaning to */
static uint64_t gate_events(const struct engine_summary *sum)
{
	return sum->events_by_type[SMT_EV_CLK] + sum->events_by_type[SMT_EV_RPM] +
	       sum->events_by_type[SMT_EV_PD];
}

void sink__summary(struct sink *s, const struct engine *e, const char *title)
{
	struct engine_summary sum;
	FILE *out = s->f;

	engine__summary(e, &sum);
	if (s->json) {
		struct jsonw *w = s->w;

		jsonw__obj_begin(w);
		jsonw__kv_str(w, "type", "summary");
		if (title)
			jsonw__kv_str(w, "title", title);
		jsonw__kv_u64(w, "events", sum.events);
		jsonw__key(w, "findings");
		jsonw__obj_begin(w);
		for (int r = 0; r < RULE_MAX; r++)
			jsonw__kv_u64(w, rule__name(r), sum.findings[r]);
		jsonw__obj_end(w);
		jsonw__kv_u64(w, "lost", sum.lost);
		/* SPEC §9: rules whose events the capture could not see, with why */
		jsonw__key(w, "not_judged");
		jsonw__obj_begin(w);
		for (int r = 0; r < RULE_MAX; r++)
			if (s->not_judged & (1u << r))
				jsonw__kv_str(w, rule__name(r), s->reasons[r]);
		jsonw__obj_end(w);
		jsonw__kv_u64(w, "errors", sum.findings_by_sev[SEV_ERROR]);
		jsonw__kv_u64(w, "warnings", sum.findings_by_sev[SEV_WARNING]);
		jsonw__key(w, "events_by_type");
		jsonw__obj_begin(w);
		for (int t = 1; t < SMT_EV_MAX; t++)
			if (sum.events_by_type[t])
				jsonw__kv_u64(w, event__type_name(t), sum.events_by_type[t]);
		jsonw__obj_end(w);
		if (s->ntbus >= 0)
			jsonw__kv_u64(w, "tbus", (uint64_t)s->ntbus);
		jsonw__kv_u64(w, "domains", sum.domains_live);
		jsonw__kv_u64(w, "domains_seen", sum.domains_seen);
		jsonw__kv_u64(w, "live_mappings", sum.live_mappings);
		jsonw__kv_u64(w, "peak_live_mappings", sum.peak_live_mappings);
		jsonw__kv_u64(w, "pending_invalidations", sum.pending_invalidations);
		jsonw__key(w, "unknown_gates");
		jsonw__arr_begin(w);
		for (int i = 0; i < sum.unknown_gates && i < 32; i++)
			jsonw__str(w, sum.unknown_gate_names[i]);
		jsonw__arr_end(w);
		jsonw__kv_u64(w, "first_ts", sum.first_ts);
		jsonw__kv_u64(w, "last_ts", sum.last_ts);
		jsonw__key(w, "strict");
		if (sum.strict_known)
			jsonw__bool(w, sum.strict);
		else
			jsonw__null(w);
		jsonw__kv_bool(w, "since_boot", sum.since_boot);
		json_hist(w, "sync_latency_log2", sum.sync_hist);
		json_hist(w, "iova_lifetime_log2", sum.lifetime_hist);
		jsonw__obj_end(w);
		jsonw__newline(w);
		fflush(out);
		return;
	}

	fprintf(out, "\n%s\n", title ? title : "summary");
	fprintf(out, "  events:        %" PRIu64, sum.events);
	if (sum.events) {
		char a[32], b[32];

		fmt_ts(a, sizeof(a), sum.first_ts);
		fmt_ts(b, sizeof(b), sum.last_ts);
		fprintf(out, " (%s .. %s)", a, b);
	}
	fprintf(out, "\n  by type:      ");
	for (int t = 1; t < SMT_EV_MAX; t++)
		if (sum.events_by_type[t])
			fprintf(out, " %s %" PRIu64, event__type_name(t), sum.events_by_type[t]);
	fprintf(out, "\n  domains:       %" PRIu64 " (%" PRIu64 " seen)\n", sum.domains_live,
		sum.domains_seen);
	fprintf(out, "  live mappings: %" PRIu64 " (peak %" PRIu64 "), pending invalidations: %" PRIu64 "\n",
		sum.live_mappings, sum.peak_live_mappings, sum.pending_invalidations);
	fprintf(out, "  DMA mode:      %s%s\n",
		sum.strict_known ? (sum.strict ? "strict" : "lazy (flush queue)") : "unknown",
		sum.since_boot ? "" : "; capture started on a running system");
	fprintf(out, "  lost events:   %" PRIu64 "%s\n", sum.lost,
		sum.lost ? " (findings after the loss are marked incomplete)" : "");
	/* without a TBU, gate events and the gate rules silently mean nothing: say so */
	if (s->ntbus == 0)
		fprintf(out, "  TBUs:          none known (no --board, none in the device tree or the "
			"recording): the gate rules cannot fire and %" PRIu64 " clk/rpm/pd events "
			"were not judged; give --board FILE\n", gate_events(&sum));
	if (sum.unknown_gates) {
		fprintf(out, "  unknown gates: %d (never seen in an event; counted as on):", sum.unknown_gates);
		for (int i = 0; i < sum.unknown_gates && i < 32; i++) {
			fputc(' ', out);
			text__put(out, sum.unknown_gate_names[i]);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "  findings:      %" PRIu64 " errors, %" PRIu64 " warnings\n",
		sum.findings_by_sev[SEV_ERROR], sum.findings_by_sev[SEV_WARNING]);
	for (int r = 0; r < RULE_MAX; r++)
		if (sum.findings[r])
			fprintf(out, "    %-24s %" PRIu64 "\n", rule__name(r), sum.findings[r]);
	for (int r = 0; r < RULE_MAX; r++)
		if (s->not_judged & (1u << r))
			fprintf(out, "  not judged:    %s (%s)\n", rule__name(r), s->reasons[r]);
	text_hist(out, "  sync latency:", sum.sync_hist);
	text_hist(out, "  IOVA lifetime (map -> unmap):", sum.lifetime_hist);
	fflush(out);
}
