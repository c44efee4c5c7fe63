// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as text for terminals and as markdown for tickets: the same
 * sections as the HTML report, in the same order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "event.h"
#include "report.h"
#include "text.h"

#define TEXT_MAX_LIFETIMES 20	/* hazardous lifetimes listed; the rest are counted */
#define TEXT_MAX_INTERVALS 20	/* gated intervals listed per TBU */

struct out {
	FILE *f;
	bool md;
};

static void heading(const struct out *o, const char *title)
{
	if (o->md)
		fprintf(o->f, "\n## %s\n\n", title);
	else
		fprintf(o->f, "\n%s\n%.*s\n", title, (int)strlen(title),
			"------------------------------------------------------------");
}

static void kv(const struct out *o, const char *k, const char *v)
{
	if (o->md)
		fprintf(o->f, "- **%s**: ", k);
	else
		fprintf(o->f, "  %-18s ", k);
	text__put(o->f, v);	/* values come from the input (kernel, file name, ...) */
	fputc('\n', o->f);
}

/* markdown table cells must not contain '|'; control characters as \xNN (text.h) */
static const char *cell(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f) {
			if (n + 5 > len)
				break;
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
			continue;
		}
		if (n + 2 > len)
			break;
		buf[n++] = c == '|' ? '/' : (char)c;
	}
	buf[n] = 0;
	return buf;
}

static void meta_row(void *ctx, const char *k, const char *v)
{
	kv(ctx, k, v);
}

static void write_meta(const struct out *o, const struct report_model *m)
{
	heading(o, "Capture");
	report__capture_rows(m, meta_row, (void *)o);
}

static void write_topology(const struct out *o, const struct report_model *m)
{
	const struct topology *t = m->topo;

	heading(o, "Topology");
	if (!t || (!t->nsmmus && !t->ntbus)) {
		fprintf(o->f, "%sNo board description: TBU gate rules could not run. Pass --board "
			"FILE (or --dt DIR) to name the TBUs, their SIDs and gates.\n", o->md ? "" : "  ");
		return;
	}
	for (int i = 0; i < t->nsmmus; i++)
		fprintf(o->f, "%sSMMU %s%s%s\n", o->md ? "- " : "  ", t->smmus[i].name,
			t->smmus[i].compatible[0] ? " " : "", t->smmus[i].compatible);
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *tb = &t->tbus[i];

		fprintf(o->f, "%sTBU %s%s%s: SIDs", o->md ? "- " : "  ", tb->name,
			tb->smmu[0] ? " on " : "", tb->smmu);
		for (int k = 0; k < tb->nsids; k++)
			fprintf(o->f, "%s0x%x-0x%x", k ? "," : " ", tb->sids[k].first, tb->sids[k].last);
		fprintf(o->f, "; gates");
		for (int k = 0; k < tb->ngates; k++)
			fprintf(o->f, "%s%s:%s", k ? ", " : " ", topology__gate_kind_name(tb->gates[k].kind),
				tb->gates[k].name);
		fprintf(o->f, "%s\n", tb->ngates ? "" : " none");
	}
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct report_domain *d = &m->domains[i];

		fprintf(o->f, "%sdomain 0x%" PRIx64 "%s", o->md ? "- " : "  ", d->ptr,
			d->smmu[0] ? " on " : "");
		text__put(o->f, d->smmu);
		fputs(": ", o->f);
		text__put(o->f, d->devs[0] ? d->devs : "no device seen");
		fprintf(o->f, "%s%s\n", d->sids[0] ? ", SIDs " : "", d->sids);
	}
}

static void write_gates(const struct out *o, const struct report_model *m)
{
	char a[32], b[32], d[32];

	heading(o, "TBU gate states");
	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];

		if (l->kind != LANE_TBU)
			continue;
		fprintf(o->f, "%s%s: %u interval%s gated or unknown%s\n", o->md ? "- **" : "  ",
			l->name, l->niv, l->niv == 1 ? "" : "s", o->md ? "**" : "");
		for (uint32_t k = 0; k < l->niv && k < TEXT_MAX_INTERVALS; k++) {
			const struct report_interval *iv = &l->iv[k];
			uint64_t end = iv->end == REPORT_NEVER ? m->last_ts : iv->end;

			report__fmt_ts(m, iv->start, a, sizeof(a));
			report__fmt_ts(m, end, b, sizeof(b));
			report__fmt_dur(end - iv->start, d, sizeof(d));
			fprintf(o->f, "%s%s %s .. %s%s (%s)\n", o->md ? "  - " : "    ",
				iv->state > 0 ? "gated  " : "unknown", a, b,
				iv->end == REPORT_NEVER ? " (end of capture)" : "", d);
		}
		if (l->niv > TEXT_MAX_INTERVALS)
			fprintf(o->f, "%s... %u more\n", o->md ? "  - " : "    ",
				l->niv - TEXT_MAX_INTERVALS);
	}
}

static void write_evidence(const struct out *o, const struct report_model *m,
			   const struct evidence *x)
{
	char t[32];

	report__fmt_ts(m, x->ts, t, sizeof(t));
	/* markdown: unindented, or CommonMark takes the indented list for a code block */
	fprintf(o->f, "%s%s %-16s %s", o->md ? "- `" : "      ", t, x->what,
		event__type_name(x->type) ? event__type_name(x->type) : "?");
	if (x->present & SMT_HAS_DOMAIN)
		fprintf(o->f, " domain=0x%" PRIx64, x->domain);
	if (x->present & SMT_HAS_IOVA)
		fprintf(o->f, " iova=0x%" PRIx64, x->iova);
	if (x->present & SMT_HAS_SIZE)
		fprintf(o->f, " size=0x%" PRIx64, x->size);
	if (x->present & SMT_HAS_RET)
		fprintf(o->f, " ret=%" PRId64, x->ret);
	if (x->present & SMT_HAS_COMM) {
		fputc(' ', o->f);
		text__put(o->f, x->comm);
	}
	if (x->present & SMT_HAS_PID)
		fprintf(o->f, "/%d", x->pid);
	fprintf(o->f, " (ts %" PRIu64 ")%s\n", x->ts, o->md ? "`" : "");
}

static void write_findings(const struct out *o, const struct report_model *m)
{
	uint64_t hidden = 0;
	char t[32];

	heading(o, "Findings");
	if (!m->nfindings) {
		fprintf(o->f, "%sNone%s.\n", o->md ? "" : "  ", m->windowed ? " in the window" : "");
		return;
	}
	/* errors first: they are what the report is about */
	for (uint64_t j = 0; j < 2 * m->nfindings; j++) {
		uint64_t i = j % m->nfindings;
		const struct finding *f = &m->findings[i].f;

		if ((j < m->nfindings) != (f->severity >= SEV_ERROR))
			continue;
		if (!report__finding_shown(m, i)) {
			hidden++;
			continue;
		}
		report__fmt_ts(m, f->ts, t, sizeof(t));
		fprintf(o->f, "%s#%" PRIu64 " %s %s at %s%s%s", o->md ? "\n**" : "  ", m->findings[i].number,
			severity__name(f->severity), rule__name(f->rule), t,
			f->incomplete ? " (incomplete: events were lost before it)" : "",
			o->md ? "**" : "");
		if (f->has_domain)
			fprintf(o->f, " domain 0x%" PRIx64, f->domain);
		if (f->has_range)
			fprintf(o->f, " iova 0x%" PRIx64 "+0x%" PRIx64, f->iova, f->size);
		for (int k = 0; k < f->ntbus; k++) {
			fputs(k ? "," : " tbu ", o->f);
			text__put(o->f, f->tbus[k] ? f->tbus[k] : "?");
		}
		fprintf(o->f, "\n%s", o->md ? "\n" : "      ");
		text__put(o->f, f->message);
		fputc('\n', o->f);
		if (f->nranges) {
			/* ranges_total counts TLBIs; the count shown is of the ranges listed */
			fprintf(o->f, "%sstale ranges (%d%s, from %llu TLBI%s):", o->md ? "\n" : "      ",
				f->nranges, f->nranges == FINDING_MAX_RANGES ? ", the first listed" : "",
				f->ranges_total, f->ranges_total == 1 ? "" : "s");
			for (int k = 0; k < f->nranges; k++)
				fprintf(o->f, " 0x%" PRIx64 ":0x%" PRIx64 "+0x%" PRIx64, f->ranges[k].domain,
					f->ranges[k].iova, f->ranges[k].size);
			fprintf(o->f, "\n");
		}
		if (m->findings[i].lifetimes)
			fprintf(o->f, "%stouches %u IOVA lifetime%s (see Lifetimes)\n",
				o->md ? "\n" : "      ", m->findings[i].lifetimes,
				m->findings[i].lifetimes == 1 ? "" : "s");
		if (f->nevidence)
			fprintf(o->f, "%sevidence:\n", o->md ? "\n" : "      ");
		for (int k = 0; k < f->nevidence; k++)
			write_evidence(o, m, &f->evidence[k]);
	}
	if (hidden)
		fprintf(o->f, "%s%" PRIu64 " more findings not written out here (the first %u and the "
			"first %u errors are): see the counts per rule above, or --format json\n",
			o->md ? "\n" : "  ", hidden, REPORT_SHOW_FIRST, REPORT_SHOW_ERRORS);
	if (m->findings_dropped)
		fprintf(o->f, "%s%" PRIu64 " more findings were counted but not kept with their "
			"evidence (report cap %u)\n", o->md ? "\n" : "  ", m->findings_dropped,
			REPORT_MAX_FINDINGS);
}

static void write_domains(const struct out *o, const struct report_model *m)
{
	char c[200];

	heading(o, "Domains");
	if (o->md) {
		/* the last two count lifetimes, not findings: say so in the header */
		fprintf(o->f, "| domain | devices | maps | unmaps | failed maps | faults | lifetimes "
			"| lifetimes with an error | lifetimes with a warning |\n"
			"|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
	} else {
		fprintf(o->f, "  %-20s %-24s %8s %8s %6s %6s %9s %6s %7s\n", "domain", "devices", "maps",
			"unmaps", "fail", "faults", "lifetimes", "lt-err", "lt-warn");
	}
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct report_domain *d = &m->domains[i];
		char p[24];

		snprintf(p, sizeof(p), "0x%" PRIx64, d->ptr);
		fprintf(o->f, o->md ? "| %s | %s | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %" PRIu64
				" | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " |\n"
				    : "  %-20s %-24s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %6" PRIu64
				" %9" PRIu64 " %6" PRIu64 " %7" PRIu64 "\n",
			p, cell(d->devs[0] ? d->devs : "-", c, sizeof(c)), d->maps, d->unmaps,
			d->map_failures, d->faults, d->lifetimes, d->hazards[SEV_ERROR],
			d->hazards[SEV_WARNING]);
	}
	if (m->domains_dropped)
		fprintf(o->f, "  events of %" PRIu64 " more domains not kept (cap %u)\n",
			m->domains_dropped, REPORT_MAX_DOMAINS);
	if (!o->md && m->ndomains)
		fprintf(o->f, "  (lt-err, lt-warn: of the lifetimes, those an error or a warning "
			"touches; findings are counted under Findings)\n");
}

static void write_lifetimes(const struct out *o, const struct report_model *m)
{
	uint64_t shown = 0, hazardous = 0;
	char a[32], b[32], c[32], d[32];

	heading(o, "IOVA lifetimes touched by findings");
	for (uint64_t i = 0; i < m->nlifetimes; i++) {
		const struct report_lifetime *l = &m->lifetimes[i];

		if (!l->hazard || !report__lifetime_in_window(m, l))
			continue;
		hazardous++;
		if (shown >= TEXT_MAX_LIFETIMES)
			continue;
		shown++;
		report__fmt_ts(m, l->map_ts, a, sizeof(a));
		report__fmt_ts(m, l->unmap_ts, b, sizeof(b));
		report__fmt_ts(m, l->inval_ts, c, sizeof(c));
		report__fmt_ts(m, l->sync_ts, d, sizeof(d));
		fprintf(o->f, "%s%-7s domain 0x%" PRIx64 " iova 0x%" PRIx64 "+0x%" PRIx64
			": map %s, unmap %s%s, tlbi %s, sync %s (finding #%" PRIu64 ")%s\n", o->md ? "- `" : "  ",
			severity__name((enum severity)l->hazard), m->domains[l->domain].ptr, l->iova,
			l->size, l->map_ts == REPORT_NEVER ? "before capture" : a, b,
			l->unmapped_gated ? " while gated" : "", c, d, report__finding_number(m, l->finding), o->md ? "`" : "");
	}
	if (!hazardous)
		fprintf(o->f, "%sNone.\n", o->md ? "" : "  ");
	else if (hazardous > shown)
		fprintf(o->f, "%s... %" PRIu64 " more (the JSON and HTML reports have them all)\n",
			o->md ? "- " : "  ", hazardous - shown);
	if (m->lifetimes_dropped)
		fprintf(o->f, "%s%" PRIu64 " lifetimes beyond the report cap were not followed\n",
			o->md ? "- " : "  ", m->lifetimes_dropped);
}

static void write_hist(const struct out *o, const char *title, const struct report_hist *h)
{
	uint64_t peak = 0;
	int lo = HIST_BUCKETS, hi = -1;
	char a[32], b[32];

	for (int i = 0; i < HIST_BUCKETS; i++)
		if (h->b[i]) {
			lo = i < lo ? i : lo;
			hi = i;
			peak = h->b[i] > peak ? h->b[i] : peak;
		}
	report__fmt_dur(h->n ? h->sum / h->n : 0, a, sizeof(a));
	report__fmt_dur(h->max, b, sizeof(b));
	fprintf(o->f, "%s%s: %" PRIu64 " samples, mean %s, max %s%s\n", o->md ? "\n**" : "\n  ", title,
		h->n, a, b, o->md ? "**\n\n```" : "");
	for (int i = lo; i <= hi; i++) {
		int w = (int)((h->b[i] * 40 + peak - 1) / peak);

		report__fmt_dur(1ull << i, a, sizeof(a));
		report__fmt_dur(i + 1 < 64 ? (1ull << (i + 1)) : UINT64_MAX - 1, b, sizeof(b));
		fprintf(o->f, "    %8s .. %-8s %8" PRIu64 " %.*s\n", a, b, h->b[i], w,
			"########################################");
	}
	if (o->md)
		fprintf(o->f, "```\n");
}

int report__write_text(const struct report_model *m, FILE *f, bool markdown)
{
	struct out o = { .f = f, .md = markdown };
	char v[256];

	report__verdict(m, v, sizeof(v));
	/* the source is a file name: it may hold anything but '/' and NUL */
	fputs(markdown ? "# smmutrace incident report: " : "smmutrace incident report: ", f);
	text__put(f, m->meta.source);
	if (markdown)
		fprintf(f, "\n\n**Verdict: %s**\n", v);
	else
		fprintf(f, "\n\nVerdict: %s\n", v);
	if (m->nfindings) {
		fprintf(f, "%s", markdown ? "\n" : "  ");
		for (int r = 0, first = 1; r < RULE_MAX; r++)
			if (m->findings_by_rule[r]) {
				fprintf(f, "%s%s %" PRIu64, first ? "" : ", ", rule__name((enum rule)r),
					m->findings_by_rule[r]);
				first = 0;
			}
		fprintf(f, "\n");
	}
	write_findings(&o, m);
	write_gates(&o, m);
	write_lifetimes(&o, m);
	write_domains(&o, m);
	heading(&o, "Histograms");
	write_hist(&o, "TLB sync latency", &m->sync_hist);
	write_hist(&o, "IOVA lifetime (map -> unmap)", &m->lifetime_hist);
	write_hist(&o, "Unmap -> invalidated and synced", &m->inval_hist);
	write_topology(&o, m);
	write_meta(&o, m);
	if (m->marks_dropped)
		fprintf(f, "\n%" PRIu64 " timeline marks beyond the report cap were counted, not kept.\n",
			m->marks_dropped);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
