// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as one self-contained HTML file: inline CSS, inline SVG, one
 * small inline script (selection highlighting only; the page reads fine
 * without it). No external resource of any kind, so it can be mailed,
 * attached to a ticket or opened offline.
 *
 * Large captures: a lane whose marks exceed its drawing budget is drawn as
 * per-pixel-column bins (height = log count, colour = most frequent kind,
 * red/amber when a finding is in the bin) and the page says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "report.h"

#define SVG_W		1180	/* viewBox width; scales to the page */
#define LABEL_W		230	/* lane labels */
#define PLOT_X		(LABEL_W + 10)
#define PLOT_W		(SVG_W - PLOT_X - 10)
#define AXIS_H		28
#define TBU_LANE_H	22
#define LANE_H		30
#define NBINS		(PLOT_W / 2)	/* aggregate into 2-px columns */
#define MARK_BUDGET	24000	/* individual marks drawn in the whole timeline */
#define LANE_MARK_MAX	3000	/* individual marks drawn in one lane */
#define FINDING_DRAW_MAX REPORT_SHOW_FIRST	/* finding markers drawn one by one */
#define LT_DOMAINS_MAX	8	/* domains with a lifetime chart */
#define LT_ROWS_MAX	48	/* IOVA rows per lifetime chart */
#define LT_DRAW_MAX	3000	/* lifetimes drawn per chart */

static const char *const mark_colour[MK_MAX] = {
	[MK_MAP] = "#7aa6d8", [MK_UNMAP] = "#7b3fa0", [MK_TLBI] = "#e07b00",
	[MK_SYNC] = "#2e8b57", [MK_FLUSH_ALL] = "#138d90", [MK_SMMU_RESET] = "#222",
	[MK_FAULT] = "#d00000", [MK_LOST] = "#888", [MK_ATTACH] = "#555",
};

/* how tall a tick is: the interesting kinds stand out */
static const int mark_height[MK_MAX] = {
	[MK_MAP] = 8, [MK_UNMAP] = 16, [MK_TLBI] = 14, [MK_SYNC] = 12, [MK_FLUSH_ALL] = 14,
	[MK_SMMU_RESET] = 20, [MK_FAULT] = 22, [MK_LOST] = 20, [MK_ATTACH] = 20,
};

static const char *sev_colour(int sev)
{
	return sev >= SEV_ERROR ? "#d00000" : sev == SEV_WARNING ? "#e0a000" : "#4a7fbf";
}

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* control characters would make the document invalid */
			fputc((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' ? '?' : *s, f);
		}
	}
}

struct view {
	const struct report_model *m;
	FILE *f;
	uint64_t t0, t1;	/* visible time range */
	double scale;		/* px per ns */
	/* "" for the recorded stream; "policy-" for the what-if one (report --policy),
	 * so both timelines and finding lists can sit on one page */
	const char *pfx;
	const char *title;	/* heading suffix: "" or " under policy P" */
};

static double xpos(const struct view *v, uint64_t ts)
{
	if (ts <= v->t0)
		return PLOT_X;
	if (ts >= v->t1)
		return PLOT_X + PLOT_W;
	return PLOT_X + (double)(ts - v->t0) * v->scale;
}

static int bin_of(const struct view *v, uint64_t ts)
{
	int b = (int)((xpos(v, ts) - PLOT_X) / 2);

	return b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
}

/* ---- page frame -------------------------------------------------------- */

static const char css[] =
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}"
"main{max-width:1400px;margin:0 auto;padding:12px 20px 40px}"
"h1{font-size:20px;margin:8px 0}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}"
"h3{font-size:15px;margin:16px 0 4px}"
".verdict{padding:10px 14px;border-radius:6px;font-size:16px;font-weight:600;margin:8px 0}"
".FAIL{background:#fde2e2;border:1px solid #d00000}.WARN{background:#fff4d6;border:1px solid #e0a000}"
".PASS{background:#e3f5e8;border:1px solid #2e8b57}"
".chip{display:inline-block;padding:1px 8px;margin:2px 4px 2px 0;border-radius:10px;background:#eee;font-size:13px}"
".error{color:#b00000;font-weight:600}.warning{color:#a07000;font-weight:600}"
"svg{width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:4px}"
"svg text{font:11px system-ui,sans-serif;fill:#333}svg .lbl{font-size:12px}svg .sub{fill:#777;font-size:10px}"
"svg .sel{stroke:#000!important;stroke-width:3px!important}"
"table{border-collapse:collapse;margin:6px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
"th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}"
".finding{background:#fff;border:1px solid #ddd;border-left:5px solid #4a7fbf;border-radius:4px;padding:6px 10px;margin:8px 0}"
".finding.sev2{border-left-color:#d00000}.finding.sev1{border-left-color:#e0a000}"
".finding:target{box-shadow:0 0 0 3px #333}"
"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}"
".note{color:#555;font-size:13px}.legend span{margin-right:14px;white-space:nowrap}"
".sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}"
"nav a{margin-right:12px}";

static const char script[] =
"(function(){\n"

"function sel(){\n"
"  var old=document.querySelectorAll('.sel');for(var i=0;i<old.length;i++)old[i].classList.remove('sel');\n"
"  var m=/^#(policy-)?finding-(\\d+)$/.exec(location.hash);if(!m)return;\n"
"  var els=document.querySelectorAll('[data-f=\"'+(m[1]||'')+m[2]+'\"]');\n"
"  for(var j=0;j<els.length;j++)els[j].classList.add('sel');\n"
"}\n"
"window.addEventListener('hashchange',sel);sel();\n"
"var marks=document.querySelectorAll('#timeline-svg .mk').length;\n"
"document.body.setAttribute('data-report-ready',String(marks));\n"
"})();\n";

static void write_head(const struct view *v)
{
	FILE *f = v->f;
	char verdict[256];

	report__verdict(v->m, verdict, sizeof(verdict));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>smmutrace: ", f);
	esc(f, verdict);
	fputs("</title>\n<style>", f);
	fputs(css, f);
	/* first thing on the page: any later script error is recorded where tests look */
	fputs("</style>\n<script>window.addEventListener('error',function(e){"
	      "document.documentElement.setAttribute('data-report-error',String(e.message));});"
	      "</script>\n</head>\n<body>\n<main>\n<h1>smmutrace incident report: <span class=\"mono\">", f);
	esc(f, v->m->meta.source);
	fprintf(f, "</span></h1>\n<div class=\"verdict %s\" id=\"verdict\">",
		v->m->worst >= SEV_ERROR ? "FAIL" : v->m->worst == SEV_WARNING ? "WARN" : "PASS");
	esc(f, verdict);
	fputs("</div>\n<div>", f);
	for (int r = 0; r < RULE_MAX; r++)
		if (v->m->findings_by_rule[r])
			fprintf(f, "<span class=\"chip\">%s: %" PRIu64 "</span>", rule__name((enum rule)r),
				v->m->findings_by_rule[r]);
	fputs("</div>\n<nav><a href=\"#timeline\">Timeline</a><a href=\"#findings\">Findings</a>"
	      "<a href=\"#lifetimes\">IOVA lifetimes</a><a href=\"#histograms\">Histograms</a>"
	      "<a href=\"#topology\">Topology</a><a href=\"#capture\">Capture</a></nav>\n", f);
}

/* ---- timeline ---------------------------------------------------------- */

static uint64_t nice_step(uint64_t span)
{
	uint64_t step = 1;

	while (step * 10 <= span / 4 && step < UINT64_MAX / 10)
		step *= 10;
	/* 1, 2, 5 x 10^k: about 5 to 10 ticks */
	if (span / step > 20)
		step *= 5;
	else if (span / step > 10)
		step *= 2;
	return step ? step : 1;
}

static void axis(const struct view *v, double y, double h)
{
	FILE *f = v->f;
	uint64_t span = v->t1 - v->t0, step = nice_step(span);
	char b[32];

	for (uint64_t t = (v->t0 + step - 1) / step * step; t <= v->t1; t += step) {
		double x = xpos(v, t);

		report__fmt_ts(v->m, t, b, sizeof(b));
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			x, y + 16, x, y + h, x, y + 12, b);
		if (t > UINT64_MAX - step)
			break;
	}
}

struct lane_plan {
	uint64_t n;		/* marks in the window */
	bool aggregate;
	double y, h;
	uint32_t (*bins)[MK_MAX + 1];	/* [NBINS][kinds + worst severity] */
};

static void draw_mark(const struct view *v, const struct report_mark *mk, const struct lane_plan *p)
{
	char t[32];
	int h = mark_height[mk->kind];
	double x = xpos(v, mk->ts), y = p->y + p->h - 4 - h;

	report__fmt_ts(v->m, mk->ts, t, sizeof(t));
	fprintf(v->f, "<rect class=\"mk k%d\" x=\"%.1f\" y=\"%.1f\" width=\"%s\" height=\"%d\" fill=\"%s\"",
		mk->kind, x - 0.75, y, mk->sev ? "2.5" : "1.5", h,
		mk->sev ? sev_colour(mk->sev) : mark_colour[mk->kind]);
	if (mk->finding)
		fprintf(v->f, " data-f=\"%" PRIu64 "\"", report__finding_number(v->m, mk->finding));
	fprintf(v->f, "><title>%s %s (ts %" PRIu64 ")%s</title></rect>\n",
		report__mark_kind_name((enum mark_kind)mk->kind), t, mk->ts,
		mk->finding ? ": finding, see below" : "");
}

static void draw_bins(const struct view *v, const struct lane_plan *p)
{
	double bw = 2.0;

	for (int b = 0; b < NBINS; b++) {
		uint32_t total = 0, best = 0;
		int kind = 0, sev = (int)p->bins[b][MK_MAX];

		for (int k = 0; k < MK_MAX; k++) {
			total += p->bins[b][k];
			/* maps dominate by number; prefer showing the rarer kinds */
			if (p->bins[b][k] && (k != MK_MAP || best == 0) &&
			    (p->bins[b][k] > best || kind == MK_MAP)) {
				best = p->bins[b][k];
				kind = k;
			}
		}
		if (!total)
			continue;
		{
			double h = 3 + (p->h - 8) * fmin(1.0, log10(1.0 + total) / 4.0);

			fprintf(v->f, "<rect class=\"mk agg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\" fill=\"%s\"><title>%u events here (mostly %s)%s</title></rect>\n",
				PLOT_X + b * bw, p->y + p->h - 4 - h, bw, h,
				sev ? sev_colour(sev) : mark_colour[kind], total,
				report__mark_kind_name((enum mark_kind)kind),
				sev ? ", with findings" : "");
		}
	}
}

static void draw_findings(const struct view *v, const struct lane_plan *plans)
{
	const struct report_model *m = v->m;
	FILE *f = v->f;

	if (m->nflinks <= FINDING_DRAW_MAX && m->nflinks == m->nfindings) {
		for (uint64_t i = 0; i < m->nfindings; i++) {
			const struct report_finding *rf = &m->findings[i];
			const struct lane_plan *p = &plans[rf->lane];
			double x = xpos(v, rf->f.ts);

			fprintf(f, "<a href=\"#%sfinding-%" PRIu64 "\"><path class=\"fm\" data-f=\"%s%" PRIu64
				"\" d=\"M%.1f %.1f l5 -8 h-10 z\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\">"
				"<title>#%" PRIu64 " %s %s: ", v->pfx, rf->number, v->pfx, rf->number, x, p->y + 9,
				sev_colour(rf->f.severity), rf->number, severity__name(rf->f.severity),
				rule__name(rf->f.rule));
			esc(f, rf->f.message);
			fputs("</title></path></a>\n", f);
			/* evidence: hollow rings on the finding's lane, highlighted on selection */
			for (int k = 0; k < rf->f.nevidence; k++) {
				if (rf->f.evidence[k].ts == rf->f.ts)
					continue;
				fprintf(f, "<circle class=\"evm\" data-f=\"%s%" PRIu64 "\" cx=\"%.1f\" cy=\"%.1f\" "
					"r=\"3\" fill=\"none\" stroke=\"%s\" stroke-width=\"1\"><title>evidence of #%"
					PRIu64 ": ", v->pfx, rf->number, xpos(v, rf->f.evidence[k].ts), p->y + 5,
					sev_colour(rf->f.severity), rf->number);
				esc(f, rf->f.evidence[k].what);
				fputs("</title></circle>\n", f);
			}
		}
		return;
	}
	/* too many: one marker per lane and bin, with the count */
	{
		uint32_t nl = m->nlanes;
		uint32_t *cnt = calloc((size_t)nl * NBINS, sizeof(*cnt));
		uint8_t *sev = calloc((size_t)nl * NBINS, 1);
		uint64_t *first = calloc((size_t)nl * NBINS, sizeof(*first));

		if (cnt && sev && first) {
			for (uint64_t i = 0; i < m->nflinks; i++) {
				const struct report_flink *fl = &m->flinks[i];
				size_t k = (size_t)fl->lane * NBINS + bin_of(v, fl->ts);

				/* link to a finding written out in full, if one is in the column */
				if (fl->finding && report__finding_shown(m, fl->finding - 1) &&
				    (!first[k] || (fl->sev > sev[k])))
					first[k] = report__finding_number(m, fl->finding);
				cnt[k]++;
				if (fl->sev > sev[k])
					sev[k] = fl->sev;
			}
			for (uint32_t l = 0; l < nl; l++)
				for (int b = 0; b < NBINS; b++) {
					size_t k = (size_t)l * NBINS + b;

					if (!cnt[k])
						continue;
					if (first[k])
						fprintf(f, "<a href=\"#%sfinding-%" PRIu64 "\">", v->pfx,
							first[k]);
					fprintf(f, "<path class=\"fm agg\" d=\"M%.1f %.1f l4 -7 h-8 z\" "
						"fill=\"%s\"><title>%u finding%s here", PLOT_X + b * 2.0 + 1,
						plans[l].y + 8, sev_colour(sev[k]), cnt[k], cnt[k] == 1 ? "" : "s");
					if (first[k])
						fprintf(f, ", e.g. #%" PRIu64, first[k]);
					fputs("</title></path>", f);
					fputs(first[k] ? "</a>\n" : "\n", f);
				}
		}
		free(cnt);
		free(sev);
		free(first);
	}
}

static void write_timeline(const struct view *v)
{
	const struct report_model *m = v->m;
	FILE *f = v->f;
	struct lane_plan *plans = calloc(m->nlanes ? m->nlanes : 1, sizeof(*plans));
	uint64_t drawn_total = 0, aggregated = 0, active = 0;
	double y = AXIS_H;
	uint32_t budget;
	char a[32], b[32];

	fprintf(f, "<h2 id=\"%stimeline\">Timeline%s</h2>\n", v->pfx, v->title);
	if (!plans) {
		fputs("<p class=\"note\">Out of memory drawing the timeline.</p>\n", f);
		return;
	}
	for (uint32_t i = 0; i < m->nlanes; i++)
		for (int k = 0; k < MK_MAX; k++)
			plans[i].n += m->lanes[i].marks[k];
	for (uint32_t i = 0; i < m->nlanes; i++)
		active += plans[i].n > 0;
	budget = active ? MARK_BUDGET / (uint32_t)active : MARK_BUDGET;
	if (budget > LANE_MARK_MAX)
		budget = LANE_MARK_MAX;
	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];

		/* lanes with nothing to show are left out, except TBUs (their state matters) */
		if (l->kind != LANE_TBU && !plans[i].n && l->worst == SEV_NONE) {
			plans[i].h = 0;
			plans[i].y = y;
			continue;
		}
		plans[i].y = y;
		plans[i].h = l->kind == LANE_TBU ? TBU_LANE_H : LANE_H;
		y += plans[i].h + 4;
		/* marks beyond the cap were counted but not kept: those lanes must aggregate too */
		plans[i].aggregate = plans[i].n > budget || m->marks_dropped;
		if (plans[i].aggregate && plans[i].n) {
			plans[i].bins = calloc(NBINS, sizeof(*plans[i].bins));
			aggregated++;
		}
	}

	report__fmt_ts(m, v->t0, a, sizeof(a));
	report__fmt_ts(m, v->t1, b, sizeof(b));
	fprintf(f, "<p class=\"note\">%s to %s%s%s%s. One lane per TBU (red: gated, grey: gate state "
		"unknown) and per SMMU and IOMMU domain; ticks are events, triangles are findings "
		"(click one for its evidence; hover anything for details). The red bands show when a "
		"TBU was gated.</p>\n", a, b, m->windowed ? " (window: " : "",
		m->windowed ? m->window_why : "", m->windowed ? ")" : "");
	fputs("<div class=\"legend note\">", f);
	for (int k = 0; k < MK_MAX; k++)
		fprintf(f, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", mark_colour[k],
			report__mark_kind_name((enum mark_kind)k));
	fputs("<span><i class=\"sw\" style=\"background:#d00000\"></i>error finding</span>"
	      "<span><i class=\"sw\" style=\"background:#e0a000\"></i>warning finding</span></div>\n", f);

	fprintf(f, "<svg id=\"%stimeline-svg\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
		"aria-label=\"%stimeline\">\n", v->pfx, SVG_W, y + 6, v->pfx);
	axis(v, 0, y);
	/* gated bands behind everything */
	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];

		if (l->kind != LANE_TBU)
			continue;
		for (uint32_t k = 0; k < l->niv; k++) {
			uint64_t end = l->iv[k].end == REPORT_NEVER ? v->t1 : l->iv[k].end;
			double x0 = xpos(v, l->iv[k].start), x1 = xpos(v, end);

			if (end < v->t0 || l->iv[k].start > v->t1 || l->iv[k].state <= 0)
				continue;
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.0f\" "
				"fill=\"#d00000\" opacity=\"0.06\"/>\n", x0, AXIS_H, fmax(x1 - x0, 1), y - AXIS_H);
		}
	}
	for (uint32_t i = 0; i < m->nlanes; i++) {
		const struct report_lane *l = &m->lanes[i];
		const struct lane_plan *p = &plans[i];

		if (!p->h)
			continue;
		fprintf(f, "<g class=\"lane %s\" data-lane=\"%u\">\n", report__lane_kind_name(l->kind), i);
		fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", p->y,
			SVG_W, p->h, l->kind == LANE_TBU ? "#fff7f7" : i % 2 ? "#fbfbfb" : "#f5f7fa");
		fprintf(f, "<text class=\"lbl\" x=\"6\" y=\"%.1f\"><title>", p->y + (p->h > 24 ? 13 : 15));
		esc(f, l->detail);
		fprintf(f, "</title>%s ", l->kind == LANE_TBU ? "TBU" : l->kind == LANE_SMMU ? "SMMU" :
			l->kind == LANE_DOMAIN ? "dom" : "");
		{
			char nm[40];

			snprintf(nm, sizeof(nm), "%.32s%s", l->name, strlen(l->name) > 32 ? "..." : "");
			esc(f, nm);
		}
		fputs("</text>\n", f);
		if (l->kind != LANE_TBU)
			fprintf(f, "<text class=\"sub\" x=\"6\" y=\"%.1f\">%" PRIu64 " events%s</text>\n",
				p->y + 26, p->n, p->aggregate ? ", aggregated" : "");
		for (uint32_t k = 0; k < l->niv; k++) {
			uint64_t end = l->iv[k].end == REPORT_NEVER ? v->t1 : l->iv[k].end;
			double x0 = xpos(v, l->iv[k].start), x1 = xpos(v, end);
			char d[32];

			if (end < v->t0 || l->iv[k].start > v->t1)
				continue;
			report__fmt_dur(end - l->iv[k].start, d, sizeof(d));
			report__fmt_ts(m, l->iv[k].start, a, sizeof(a));
			fprintf(f, "<rect class=\"gate %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"><title>%s from %s for %s</title></rect>\n",
				l->iv[k].state > 0 ? "gated" : "unknown", x0, p->y + 3, fmax(x1 - x0, 1.5),
				p->h - 6, l->iv[k].state > 0 ? "#e05050" : "#bbb",
				l->iv[k].state > 0 ? "gated" : "gate state unknown", a, d);
		}
		fputs("</g>\n", f);
	}
	/* marks, in time order; aggregated lanes fill their bins */
	for (uint64_t i = 0; i < m->nmarks; i++) {
		const struct report_mark *mk = &m->marks[i];
		struct lane_plan *p = &plans[mk->lane];

		if (mk->ts < v->t0 || mk->ts > v->t1 || !p->h)
			continue;
		if (p->aggregate) {
			if (p->bins) {
				int bn = bin_of(v, mk->ts);

				p->bins[bn][mk->kind]++;
				if (mk->sev > p->bins[bn][MK_MAX])
					p->bins[bn][MK_MAX] = mk->sev;
			}
			continue;
		}
		draw_mark(v, mk, p);
		drawn_total++;
	}
	for (uint32_t i = 0; i < m->nlanes; i++)
		if (plans[i].bins)
			draw_bins(v, &plans[i]);
	draw_findings(v, plans);
	fputs("</svg>\n", f);
	if (aggregated || m->nflinks > FINDING_DRAW_MAX || m->marks_dropped)
		fprintf(f, "<p class=\"note\" id=\"aggregation\"><b>Aggregated:</b> %" PRIu64 " lane%s had "
			"more marks than can be drawn one by one (budget %u per lane), so they are drawn as "
			"%d columns of 2 px: the bar height grows with the log of the count, its colour is "
			"the most frequent kind (red/amber when a finding is in it). %" PRIu64 " marks are "
			"drawn individually.%s%s Use <code>--from/--to</code> or <code>--around-finding N"
			"</code> to zoom in.</p>\n",
			aggregated, aggregated == 1 ? "" : "s", budget, NBINS, drawn_total,
			m->nflinks > FINDING_DRAW_MAX ? " Findings are drawn one marker per column." : "",
			m->marks_dropped ? " Events beyond the report's memory cap were counted, not drawn." : "");
	for (uint32_t i = 0; i < m->nlanes; i++)
		free(plans[i].bins);
	free(plans);
}

/* ---- findings ---------------------------------------------------------- */

static void write_findings(const struct view *v)
{
	const struct report_model *m = v->m;
	uint64_t hidden = 0;
	FILE *f = v->f;
	char t[32];

	fprintf(f, "<h2 id=\"%sfindings\">Findings%s (%" PRIu64 ")</h2>\n", v->pfx, v->title,
		m->findings_by_sev[SEV_ERROR] + m->findings_by_sev[SEV_WARNING]);
	if (!m->nfindings)
		fprintf(f, "<p>No finding%s.</p>\n", m->windowed ? " in the window" : "");
	else
		fputs("<p class=\"note\">Errors first, then warnings; numbers are in time order.</p>\n", f);
	/* errors first: they are what the report is about */
	for (uint64_t j = 0; j < 2 * m->nfindings; j++) {
		uint64_t i = j % m->nfindings;
		const struct report_finding *rf = &m->findings[i];
		const struct finding *x = &rf->f;

		if ((j < m->nfindings) != (x->severity >= SEV_ERROR))
			continue;
		if (!report__finding_shown(m, i)) {
			hidden++;
			continue;
		}
		report__fmt_ts(m, x->ts, t, sizeof(t));
		fprintf(f, "<div class=\"finding sev%d\" id=\"%sfinding-%" PRIu64 "\">"
			"<b>#%" PRIu64 "</b> <span class=\"%s\">%s</span> <b>%s</b> at %s "
			"<span class=\"note\">(ts %" PRIu64 ", lane ", x->severity, v->pfx, rf->number, rf->number,
			severity__name(x->severity), severity__name(x->severity), rule__name(x->rule), t, x->ts);
		esc(f, m->lanes[rf->lane].name);
		fputs(")</span>", f);
		if (x->incomplete)
			fputs(" <span class=\"warning\">incomplete: events were lost before it</span>", f);
		fputs("<br>", f);
		esc(f, x->message);
		if (x->has_domain || x->ntbus) {
			fputs("<br><span class=\"mono\">", f);
			if (x->has_domain)
				fprintf(f, "domain 0x%" PRIx64 " ", x->domain);
			if (x->has_range)
				fprintf(f, "iova 0x%" PRIx64 "+0x%" PRIx64 " ", x->iova, x->size);
			for (int k = 0; k < x->ntbus; k++) {
				fputs(k ? ", " : "TBU ", f);
				esc(f, x->tbus[k] ? x->tbus[k] : "?");
			}
			fputs("</span>", f);
		}
		if (x->nranges) {
			fprintf(f, "<br>stale ranges (%d%s, from %llu TLBI%s): <span class=\"mono\">",
				x->nranges, x->nranges == FINDING_MAX_RANGES ? ", the first listed" : "",
				x->ranges_total, x->ranges_total == 1 ? "" : "s");
			for (int k = 0; k < x->nranges; k++)
				fprintf(f, "%s0x%" PRIx64 "+0x%" PRIx64, k ? ", " : "", x->ranges[k].iova,
					x->ranges[k].size);
			fputs("</span>", f);
		}
		fprintf(f, "<br><a href=\"#timeline\">show in timeline</a>%s", rf->lifetimes ? " · " : "");
		if (rf->lifetimes)
			fprintf(f, "<a href=\"#lifetimes\">%u IOVA lifetime%s</a>", rf->lifetimes,
				rf->lifetimes == 1 ? "" : "s");
		if (x->nevidence) {
			fputs("<table><tr><th>evidence</th><th>time</th><th>event</th><th>domain</th>"
			      "<th>iova</th><th>size</th><th>ret</th><th>task</th></tr>\n", f);
			for (int k = 0; k < x->nevidence; k++) {
				const struct evidence *e = &x->evidence[k];

				report__fmt_ts(m, e->ts, t, sizeof(t));
				fputs("<tr><td>", f);
				esc(f, e->what);
				fprintf(f, "</td><td class=\"mono\">%s<br><span class=\"note\">ts %" PRIu64
					"</span></td><td>%s</td><td class=\"mono\">", t, e->ts,
					event__type_name(e->type) ? event__type_name(e->type) : "?");
				if (e->present & SMT_HAS_DOMAIN)
					fprintf(f, "0x%" PRIx64, e->domain);
				fputs("</td><td class=\"mono\">", f);
				if (e->present & SMT_HAS_IOVA)
					fprintf(f, "0x%" PRIx64, e->iova);
				fputs("</td><td class=\"mono\">", f);
				if (e->present & SMT_HAS_SIZE)
					fprintf(f, "0x%" PRIx64, e->size);
				fputs("</td><td class=\"mono\">", f);
				if (e->present & SMT_HAS_RET)
					fprintf(f, "%" PRId64, e->ret);
				fputs("</td><td>", f);
				if (e->present & SMT_HAS_COMM)
					esc(f, e->comm);
				if (e->present & SMT_HAS_PID)
					fprintf(f, "/%d", e->pid);
				fputs("</td></tr>\n", f);
			}
			fputs("</table>", f);
		}
		fputs("</div>\n", f);
	}
	if (hidden || m->findings_dropped) {
		fprintf(f, "<p class=\"note\" id=\"findings-more\"><b>%" PRIu64 " more findings</b> are "
			"not written out here (the first %u and the first %u errors are); all of them are "
			"on the timeline. Per rule:</p>\n<table><tr><th>rule</th><th>findings</th></tr>\n",
			hidden + m->findings_dropped, REPORT_SHOW_FIRST, REPORT_SHOW_ERRORS);
		for (int r = 0; r < RULE_MAX; r++)
			if (m->findings_by_rule[r])
				fprintf(f, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
					rule__name((enum rule)r), m->findings_by_rule[r]);
		fputs("</table>\n<p class=\"note\">The JSON report (<code>--format json</code>) "
		      "has every kept finding with its evidence.</p>\n", f);
	}
	if (m->findings_outside)
		fprintf(f, "<p class=\"note\">%" PRIu64 " findings outside the window are not shown.</p>\n",
			m->findings_outside);
}

/* ---- lifetimes ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void lifetime_seg(const struct view *v, double y, double h, uint64_t a, uint64_t b,
			 const char *fill, double op)
{
	double x0 = xpos(v, a), x1 = xpos(v, b);

	if (b < v->t0 || a > v->t1)
		return;
	fprintf(v->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		"opacity=\"%.2f\"/>", x0, y, fmax(x1 - x0, 1.2), h, fill, op);
}

static void write_domain_lifetimes(const struct view *v, uint32_t dom)
{
	const struct report_model *m = v->m;
	const struct report_domain *d = &m->domains[dom];
	FILE *f = v->f;
	uint64_t n = 0, nd = 0, drawn = 0, *iovas;
	double rowh;
	int rows;

	for (uint64_t i = 0; i < m->nlifetimes; i++)
		n += m->lifetimes[i].domain == dom && report__lifetime_in_window(m, &m->lifetimes[i]);
	fputs("<h3>domain <span class=\"mono\">", f);
	esc(f, m->lanes[d->lane].name);
	fprintf(f, "</span>: %" PRIu64 " lifetimes in view, %" PRIu64 " error, %" PRIu64
		" warning</h3>\n", n, d->hazards[SEV_ERROR], d->hazards[SEV_WARNING]);
	if (!n)
		return;
	iovas = malloc(n * sizeof(*iovas));
	if (!iovas)
		return;
	for (uint64_t i = 0, k = 0; i < m->nlifetimes; i++)
		if (m->lifetimes[i].domain == dom && report__lifetime_in_window(m, &m->lifetimes[i]))
			iovas[k++] = m->lifetimes[i].iova;
	qsort(iovas, n, sizeof(*iovas), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		if (!nd || iovas[nd - 1] != iovas[i])
			iovas[nd++] = iovas[i];
	/* one row per IOVA: reuse of an address shows on the same row; many IOVAs share rows */
	rows = nd > LT_ROWS_MAX ? LT_ROWS_MAX : (int)nd;
	rowh = rows > 24 ? 8 : 14;
	fprintf(f, "<svg class=\"lifetimes\" viewBox=\"0 0 %d %.0f\">\n", SVG_W,
		AXIS_H + rows * rowh + 8);
	axis(v, 0, AXIS_H + rows * rowh);
	for (int r = 0; r < rows; r++) {
		uint64_t first = iovas[(uint64_t)r * nd / rows];

		fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"sub\">0x%" PRIx64 "%s</text>\n",
			LABEL_W - 130, AXIS_H + r * rowh + rowh - 3, first, nd > (uint64_t)rows ? "+" : "");
	}
	/* hazardous lifetimes first so they are never the ones left out */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < m->nlifetimes && drawn < LT_DRAW_MAX; i++) {
			const struct report_lifetime *l = &m->lifetimes[i];
			uint64_t lo = 0, hi = nd, start, end;
			const char *col;
			bool link;
			double y;
			char a[32], b[32];
			int row;

			if (l->domain != dom || (pass == 0) != (l->hazard != 0) ||
			    !report__lifetime_in_window(m, l))
				continue;
			while (lo < hi) {
				uint64_t mid = (lo + hi) / 2;

				if (iovas[mid] < l->iova)
					lo = mid + 1;
				else
					hi = mid;
			}
			row = (int)(lo * rows / nd);
			y = AXIS_H + row * rowh + 1;
			col = l->hazard ? sev_colour(l->hazard) : "#4a7fbf";
			start = l->map_ts != REPORT_NEVER ? l->map_ts : v->t0;
			end = l->unmap_ts != REPORT_NEVER ? l->unmap_ts : v->t1;
			report__fmt_ts(m, l->map_ts, a, sizeof(a));
			report__fmt_ts(m, l->unmap_ts, b, sizeof(b));
			fprintf(f, "<g class=\"lt\"%s><title>iova 0x%" PRIx64 "+0x%" PRIx64 ": mapped %s, "
				"unmapped %s%s; %s</title>", l->finding ? "" : "", l->iova, l->size,
				l->map_ts == REPORT_NEVER ? "before the capture" : a, b,
				l->unmapped_gated ? " while its TBU was gated" : "",
				l->hazard ? (l->hazard >= SEV_ERROR ? "error: see its finding" :
					     "warning: see its finding") : "no hazard");
			link = l->finding && report__finding_shown(m, l->finding - 1);
			if (link)
				fprintf(f, "<a href=\"#finding-%" PRIu64 "\">",
					report__finding_number(m, l->finding));
			lifetime_seg(v, y, rowh - 2, start, end, col, 0.9);
			if (l->unmap_ts != REPORT_NEVER) {
				uint64_t inv = l->inval_ts != REPORT_NEVER ? l->inval_ts : v->t1;
				uint64_t syn = l->sync_ts != REPORT_NEVER ? l->sync_ts : v->t1;

				lifetime_seg(v, y + 2, rowh - 6, l->unmap_ts, inv, col, 0.55);
				if (l->inval_ts != REPORT_NEVER)
					lifetime_seg(v, y + 3, rowh - 8, inv, syn, col, 0.3);
			}
			if (link)
				fputs("</a>", f);
			fputs("</g>\n", f);
			drawn++;
		}
	fputs("</svg>\n", f);
	if (drawn < n || nd > (uint64_t)rows)
		fprintf(f, "<p class=\"note\">Aggregated: %" PRIu64 " of %" PRIu64 " lifetimes drawn "
			"(hazardous ones first); %" PRIu64 " distinct IOVAs share %d rows (row label = "
			"lowest IOVA in it).</p>\n", drawn, n, nd, rows);
	free(iovas);
}

static void write_lifetimes(const struct view *v)
{
	const struct report_model *m = v->m;
	FILE *f = v->f;
	uint32_t order[LT_DOMAINS_MAX];
	uint32_t norder = 0;

	fputs("<h2 id=\"lifetimes\">IOVA lifetimes per domain</h2>\n"
	      "<p class=\"note\">One row per IOVA (a reused address stays on its row). A bar is a "
	      "mapping: solid from map to unmap, lighter until a TLBI covers it, lightest until the "
	      "TLB sync completes it; an unmap invalidated in parts is one bar per part. Blue: no hazard; amber: a warning finding touches it; red: an "
	      "error finding (click it).</p>\n", f);
	/* the domains with the most hazards, then the most lifetimes */
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct report_domain *d = &m->domains[i];
		uint32_t k;

		if (!d->lifetimes)
			continue;
		if (norder < LT_DOMAINS_MAX)
			order[norder++] = i;
		else if (d->hazards[2] + d->hazards[1] > m->domains[order[norder - 1]].hazards[2] +
			 m->domains[order[norder - 1]].hazards[1])
			order[norder - 1] = i;
		else
			continue;
		for (k = norder - 1; k > 0; k--) {
			const struct report_domain *a = &m->domains[order[k - 1]], *b = &m->domains[order[k]];
			uint32_t t;

			if (a->hazards[2] * 1000000 + a->hazards[1] >= b->hazards[2] * 1000000 + b->hazards[1])
				break;
			t = order[k - 1];
			order[k - 1] = order[k];
			order[k] = t;
		}
	}
	if (!norder)
		fputs("<p>No mapping was seen.</p>\n", f);
	for (uint32_t i = 0; i < norder; i++)
		write_domain_lifetimes(v, order[i]);
	if (m->ndomains > norder)
		fprintf(f, "<p class=\"note\">%u more domains have no chart here; the table below and "
			"the JSON report have them all.</p>\n", m->ndomains - norder);
	fputs("<table><tr><th>domain</th><th>SMMU</th><th>devices</th><th>SIDs</th><th>maps</th>"
	      "<th>unmaps</th><th>failed maps</th><th>faults</th><th>lifetimes</th><th>error</th>"
	      "<th>warning</th></tr>\n", f);
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct report_domain *d = &m->domains[i];

		fprintf(f, "<tr><td class=\"mono\">0x%" PRIx64 "</td><td>", d->ptr);
		esc(f, d->smmu);
		fputs("</td><td>", f);
		esc(f, d->devs);
		fputs("</td><td class=\"mono\">", f);
		esc(f, d->sids);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
			"<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%"
			PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			d->maps, d->unmaps, d->map_failures, d->faults, d->lifetimes, d->hazards[2],
			d->hazards[1]);
	}
	fputs("</table>\n", f);
	if (m->lifetimes_dropped)
		fprintf(f, "<p class=\"note\">%" PRIu64 " lifetimes beyond the report cap were not "
			"followed.</p>\n", m->lifetimes_dropped);
}

/* ---- histograms ---------------------------------------------------------- */

static void write_hist(const struct view *v, const char *title, const struct report_hist *h)
{
	FILE *f = v->f;
	int lo = HIST_BUCKETS, hi = -1, nb;
	uint64_t peak = 0;
	char a[32], b[32];

	for (int i = 0; i < HIST_BUCKETS; i++)
		if (h->b[i]) {
			lo = i < lo ? i : lo;
			hi = i;
			peak = h->b[i] > peak ? h->b[i] : peak;
		}
	report__fmt_dur(h->n ? h->sum / h->n : 0, a, sizeof(a));
	report__fmt_dur(h->max, b, sizeof(b));
	fprintf(f, "<div style=\"display:inline-block;vertical-align:top;width:32%%;min-width:320px;"
		"margin-right:1%%\"><h3>%s</h3><p class=\"note\">%" PRIu64 " samples, mean %s, max %s</p>\n",
		title, h->n, a, b);
	if (!h->n) {
		fputs("</div>\n", f);
		return;
	}
	nb = hi - lo + 1;
	fprintf(f, "<svg class=\"hist\" viewBox=\"0 0 400 %d\">\n", nb * 18 + 6);
	for (int i = lo; i <= hi; i++) {
		double w = 220.0 * (double)h->b[i] / (double)peak;
		int y = (i - lo) * 18 + 3;

		report__fmt_dur(1ull << i, a, sizeof(a));
		fprintf(f, "<text x=\"70\" y=\"%d\" text-anchor=\"end\">&#8805;%s</text>"
			"<rect x=\"76\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#4a7fbf\"/>"
			"<text x=\"%.1f\" y=\"%d\">%" PRIu64 "</text>\n",
			y + 11, a, y, w > 0 && w < 1 ? 1 : w, 80 + w, y + 11, h->b[i]);
	}
	fputs("</svg></div>\n", f);
}

/* ---- topology and capture ------------------------------------------------ */

static void write_topology(const struct view *v)
{
	const struct report_model *m = v->m;
	const struct topology *t = m->topo;
	FILE *f = v->f;

	fputs("<h2 id=\"topology\">Topology</h2>\n", f);
	if (!t || (!t->nsmmus && !t->ntbus)) {
		fputs("<p>No board description was given, so the TBU gate rules could not run. Pass "
		      "<code>--board FILE</code> (or <code>--dt DIR</code>) naming the TBUs, their SIDs "
		      "and gates.</p>\n", f);
		return;
	}
	fputs("<table><tr><th>SMMU</th><th>TBU</th><th>SIDs</th><th>gates</th><th>state at the end"
	      "</th><th>domains served</th><th>from</th></tr>\n", f);
	for (int s = 0; s < t->nsmmus || (s == 0 && !t->nsmmus); s++) {
		for (int i = 0; i < t->ntbus; i++) {
			const struct topo_tbu *tb = &t->tbus[i];
			const struct report_lane *lane = NULL;

			if (t->nsmmus && tb->smmu[0] && strcmp(tb->smmu, t->smmus[s].name))
				continue;
			if (t->nsmmus && !tb->smmu[0] && s)
				continue;
			for (uint32_t l = 0; l < m->nlanes; l++)
				if (m->lanes[l].kind == LANE_TBU && m->lanes[l].tbu == i)
					lane = &m->lanes[l];
			fputs("<tr><td>", f);
			esc(f, t->nsmmus ? t->smmus[s].name : tb->smmu);
			fputs("</td><td>", f);
			esc(f, tb->name);
			fputs("</td><td class=\"mono\">", f);
			for (int k = 0; k < tb->nsids; k++)
				fprintf(f, "%s0x%x-0x%x", k ? ", " : "", tb->sids[k].first, tb->sids[k].last);
			fputs("</td><td class=\"mono\">", f);
			for (int k = 0; k < tb->ngates; k++) {
				fprintf(f, "%s%s:", k ? "<br>" : "", topology__gate_kind_name(tb->gates[k].kind));
				esc(f, tb->gates[k].name);
			}
			fputs("</td><td>", f);
			if (lane && lane->niv && lane->iv[lane->niv - 1].end == REPORT_NEVER)
				fputs(lane->iv[lane->niv - 1].state > 0 ? "<span class=\"error\">gated</span>"
									: "unknown", f);
			else
				fputs("on", f);
			fputs("</td><td class=\"mono\">", f);
			for (uint32_t d = 0, n = 0; d < m->ndomains; d++) {
				const struct report_domain *rd = &m->domains[d];
				bool serves = false;
				char *s2 = strdup(rd->sids), *save = NULL;

				for (char *tok = s2 ? strtok_r(s2, ",", &save) : NULL; tok && !serves;
				     tok = strtok_r(NULL, ",", &save)) {
					unsigned int a = 0, b = 0;
					int got = sscanf(tok, "%x-%x", &a, &b);

					if (got == 1)
						b = a;
					for (unsigned int sid = a; got >= 1 && sid <= b && !serves; sid++)
						serves = topology__tbu_has_sid(tb, sid);
				}
				free(s2);
				if (serves && (!tb->smmu[0] || !rd->smmu[0] || !strcmp(tb->smmu, rd->smmu)))
					fprintf(f, "%s0x%" PRIx64, n++ ? "<br>" : "", rd->ptr);
			}
			fputs("</td><td class=\"note\">", f);
			esc(f, tb->origin);
			fputs("</td></tr>\n", f);
		}
		if (!t->nsmmus)
			break;
	}
	fputs("</table>\n", f);
	if (t->nsmmus) {
		fputs("<p class=\"note\">SMMUs: ", f);
		for (int s = 0; s < t->nsmmus; s++) {
			fputs(s ? "; " : "", f);
			esc(f, t->smmus[s].name);
			if (t->smmus[s].compatible[0]) {
				fputs(" (", f);
				esc(f, t->smmus[s].compatible);
				fputs(")", f);
			}
		}
		fputs("</p>\n", f);
	}
}

static void row(FILE *f, const char *k, const char *v)
{
	fputs("<tr><th>", f);
	esc(f, k);
	fputs("</th><td>", f);
	esc(f, v);
	fputs("</td></tr>\n", f);
}

static void meta_row(void *ctx, const char *k, const char *v)
{
	row(ctx, k, v);
}

static void write_capture(const struct view *v)
{
	const struct report_model *m = v->m;
	FILE *f = v->f;
	char b[1200];

	fputs("<h2 id=\"capture\">Capture</h2>\n<table>\n", f);
	report__capture_rows(m, meta_row, f);
	b[0] = 0;
	for (int t = 1; t < SMT_EV_MAX; t++)
		if (m->events_by_type[t]) {
			size_t n = strlen(b);

			snprintf(b + n, sizeof(b) - n, "%s%s %" PRIu64, n ? ", " : "", event__type_name(t),
				 m->events_by_type[t]);
		}
	row(f, "events by type (in view)", b);
	fputs("</table>\n", f);
}

static void view_init(struct view *v, const struct report_model *m, FILE *f)
{
	*v = (struct view){ .m = m, .f = f, .pfx = "", .title = "" };
	v->t0 = m->windowed ? m->from : m->first_ts;
	v->t1 = m->windowed && m->to != UINT64_MAX ? m->to : m->last_ts;
	if (m->windowed && m->to == UINT64_MAX)
		v->t1 = m->last_ts > v->t0 ? m->last_ts : v->t0;
	if (v->t1 <= v->t0)
		v->t1 = v->t0 + 1000;	/* one event or none: a 1 us view */
	v->scale = (double)PLOT_W / (double)(v->t1 - v->t0);
}

static int write_page(const struct report_model *m, const struct report_model *pm,
		      const char *policy, FILE *f)
{
	struct view v, pv;
	char title[96];

	view_init(&v, m, f);
	write_head(&v);
	write_timeline(&v);
	if (pm) {
		/* the same time axis as the recorded timeline, so the two line up */
		pv = v;
		pv.m = pm;
		pv.pfx = "policy-";
		snprintf(title, sizeof(title), " under policy %s", policy);
		pv.title = title;
		fprintf(f, "<p class=\"note\" id=\"policy\">Below: the same capture rewritten as the "
			"driver would have issued it under policy <b>%s</b> (smmutrace whatif), judged by "
			"the same engine.</p>\n", policy);
		write_timeline(&pv);
	}
	write_findings(&v);
	if (pm)
		write_findings(&pv);
	write_lifetimes(&v);
	fputs("<h2 id=\"histograms\">Histograms</h2>\n", f);
	write_hist(&v, "TLB sync latency", &m->sync_hist);
	write_hist(&v, "IOVA lifetime (map to unmap)", &m->lifetime_hist);
	write_hist(&v, "Unmap to invalidated and synced", &m->inval_hist);
	write_topology(&v);
	write_capture(&v);
	fprintf(f, "<p class=\"note\">Written by smmutrace report. Event times are the stream's "
		"nanosecond ts; +s.us is relative to the first event.</p>\n</main>\n<script>%s</script>\n"
		"</body></html>\n", script);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int report__write_html(const struct report_model *m, FILE *f)
{
	return write_page(m, NULL, NULL, f);
}

int report__write_html_whatif(const struct report_model *m, const struct report_model *pm,
			      const char *policy, FILE *f)
{
	return write_page(m, pm, policy, f);
}
