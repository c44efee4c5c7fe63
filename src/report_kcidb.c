// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report as KCIDB v5.3 JSON (kernelci/kcidb-io schema): one checkout (the
 * kernel release that ran), one build of it, tests (the run, one per rule, and
 * measurements), issues (one per finding signature, stable across runs) and
 * incidents (one per finding, linking its issue to its rule's test). Every id
 * is "smmutrace:..."; origin is "smmutrace". Submission is the lab's job
 * (kcidb-submit); this only writes the file.
 *
 * Status mapping: a rule with an error finding is FAIL, a rule with only
 * warnings is DONE (it ran, produced a count, did not judge the code), a rule
 * without findings is PASS.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "report.h"

#define KCIDB_ORIGIN		"smmutrace"
#define KCIDB_MAX_INCIDENTS	2000	/* one per finding, then counted in misc */
#define KCIDB_MAX_ISSUES	512
#define KCIDB_EXCERPT_MAX	16000	/* the schema allows 16384 */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv1a(h, s, strlen(s) + 1);
}

#define FNV_INIT 0xcbf29ce484222325ull

/* rule names use '-'; KCIDB paths are dot-separated words: use '_' */
static void path_word(char *dst, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		dst[i] = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ? s[i] :
			 (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : '_';
	dst[i] = 0;
}

/* the devices of a finding's domain: stable across boots, unlike the pointer */
static const char *finding_devs(const struct report_model *m, const struct finding *f)
{
	for (uint32_t i = 0; f->has_domain && i < m->ndomains; i++)
		if (m->domains[i].ptr == f->domain && m->domains[i].devs[0])
			return m->domains[i].devs;
	return "";
}

struct issue {
	uint64_t sig;
	uint64_t first;		/* finding index */
	uint64_t count;
	int rule;
	enum severity sev;
};

static uint64_t finding_sig(const struct report_model *m, const struct finding *f)
{
	uint64_t h = fnv_str(FNV_INIT, rule__name(f->rule));

	h = fnv_str(h, finding_devs(m, f));
	for (int k = 0; k < f->ntbus; k++)
		h = fnv_str(h, f->tbus[k] ? f->tbus[k] : "");
	return h;
}

static void write_environment(struct jsonw *w, const struct report_model *m)
{
	char buf[sizeof(m->meta.compatible)];
	char *save = NULL;

	jsonw__key(w, "environment");
	jsonw__obj_begin(w);
	if (m->meta.compatible[0]) {
		/* stored as "a, b"; KCIDB wants the DT strings as an array */
		snprintf(buf, sizeof(buf), "%s", m->meta.compatible);
		jsonw__key(w, "compatible");
		jsonw__arr_begin(w);
		/* DT compatible strings hold commas but never spaces */
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			size_t n = strlen(t);

			if (n && t[n - 1] == ',')
				t[--n] = 0;
			if (n)
				jsonw__str(w, t);
		}
		jsonw__arr_end(w);
	}
	if (m->meta.model[0])
		jsonw__kv_str(w, "comment", m->meta.model);
	jsonw__key(w, "misc");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "kernel", m->meta.kernel);
	jsonw__kv_str(w, "dma_mode", !m->meta.strict_known ? "unknown" :
		      m->meta.strict ? "strict" : "lazy");
	jsonw__kv_str(w, "hooks", m->meta.hooks);
	jsonw__kv_u64(w, "lost_events", m->sum.lost);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
}

static void finding_line(const struct report_model *m, uint64_t i, char *buf, size_t len)
{
	const struct finding *f = &m->findings[i].f;
	char t[32];

	report__fmt_ts(m, f->ts, t, sizeof(t));
	snprintf(buf, len, "#%" PRIu64 " %s %s at %s (ts %" PRIu64 "): %s\n", m->findings[i].number,
		 severity__name(f->severity), rule__name(f->rule), t, f->ts, f->message);
}

static void write_test(struct jsonw *w, const struct report_model *m, const char *run,
		       const char *build_id, const char *path, const char *status,
		       const char *comment, double value, const char *unit, int rule)
{
	char id[256];

	snprintf(id, sizeof(id), "%s:%s:%s", KCIDB_ORIGIN, run, path);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "id", id);
	jsonw__kv_str(w, "origin", KCIDB_ORIGIN);
	jsonw__kv_str(w, "build_id", build_id);
	jsonw__kv_str(w, "path", path);
	jsonw__kv_str(w, "status", status);
	jsonw__kv_str(w, "comment", comment);
	if (value >= 0) {
		jsonw__key(w, "number");
		jsonw__obj_begin(w);
		jsonw__key(w, "value");
		jsonw__double(w, value);
		if (unit) {
			jsonw__kv_str(w, "unit", unit);
			if (!strcmp(unit, "s"))
				jsonw__kv_str(w, "prefix", "metric");
		}
		jsonw__obj_end(w);
	}
	if (m->last_ts > m->first_ts) {
		jsonw__key(w, "duration");
		jsonw__double(w, (double)(m->last_ts - m->first_ts) / 1e9);
	}
	write_environment(w, m);
	/* the findings of this rule (or all, for the run) as the log excerpt */
	{
		char *ex = malloc(KCIDB_EXCERPT_MAX + 1), line[700];
		size_t n = 0;

		if (ex) {
			ex[0] = 0;
			for (uint64_t i = 0; i < m->nfindings; i++) {
				size_t l;

				if (rule >= 0 && (int)m->findings[i].f.rule != rule)
					continue;
				finding_line(m, i, line, sizeof(line));
				l = strlen(line);
				if (n + l > KCIDB_EXCERPT_MAX)
					break;
				memcpy(ex + n, line, l + 1);
				n += l;
			}
			if (n)
				jsonw__kv_str(w, "log_excerpt", ex);
			free(ex);
		}
	}
	jsonw__key(w, "misc");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "input", m->meta.source);
	if (rule >= 0)
		jsonw__kv_str(w, "rule", rule__name((enum rule)rule));
	jsonw__kv_u64(w, "events", m->events_in_window);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
}

int report__write_kcidb(const struct report_model *m, FILE *f)
{
	struct jsonw *w = jsonw__new(f);
	struct issue *issues = calloc(KCIDB_MAX_ISSUES, sizeof(*issues));
	uint32_t nissues = 0;
	char run[64], checkout_id[96], build_id[96], arch[SMT_NAME_LEN], path[96], comment[512];
	uint64_t h;
	int ret = 0;

	if (!w || !issues) {
		jsonw__free(w);
		free(issues);
		return -ENOMEM;
	}
	/* stable ids: the same capture gives the same ids, so resubmission is idempotent */
	h = fnv_str(FNV_INIT, m->meta.source);
	h = fnv1a(h, &m->first_ts, sizeof(m->first_ts));
	h = fnv1a(h, &m->last_ts, sizeof(m->last_ts));
	h = fnv1a(h, &m->events, sizeof(m->events));
	h = fnv1a(h, &m->from, sizeof(m->from));
	h = fnv1a(h, &m->to, sizeof(m->to));
	snprintf(run, sizeof(run), "run-%016" PRIx64, h);
	snprintf(checkout_id, sizeof(checkout_id), "%s:kernel-%016" PRIx64, KCIDB_ORIGIN,
		 fnv_str(FNV_INIT, m->meta.kernel));
	path_word(arch, sizeof(arch), m->meta.arch);
	snprintf(build_id, sizeof(build_id), "%s:build-%016" PRIx64, KCIDB_ORIGIN,
		 fnv_str(fnv_str(FNV_INIT, m->meta.kernel), m->meta.arch));

	for (uint64_t i = 0; i < m->nfindings; i++) {
		const struct finding *x = &m->findings[i].f;
		uint64_t sig = finding_sig(m, x);
		uint32_t k;

		for (k = 0; k < nissues && issues[k].sig != sig; k++)
			;
		if (k == nissues) {
			if (nissues == KCIDB_MAX_ISSUES)
				continue;
			issues[nissues++] = (struct issue){ .sig = sig, .first = i, .rule = x->rule };
		}
		issues[k].count++;
		if (x->severity > issues[k].sev)
			issues[k].sev = x->severity;
	}

	jsonw__obj_begin(w);
	jsonw__key(w, "version");
	jsonw__obj_begin(w);
	jsonw__kv_u64(w, "major", 5);
	jsonw__kv_u64(w, "minor", 3);
	jsonw__obj_end(w);

	jsonw__key(w, "checkouts");
	jsonw__arr_begin(w);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "id", checkout_id);
	jsonw__kv_str(w, "origin", KCIDB_ORIGIN);
	snprintf(comment, sizeof(comment), "kernel %s", m->meta.kernel[0] ? m->meta.kernel : "unknown");
	jsonw__kv_str(w, "comment", comment);
	jsonw__kv_bool(w, "valid", true);
	jsonw__key(w, "misc");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "kernel_release", m->meta.kernel);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
	jsonw__arr_end(w);

	jsonw__key(w, "builds");
	jsonw__arr_begin(w);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "id", build_id);
	jsonw__kv_str(w, "origin", KCIDB_ORIGIN);
	jsonw__kv_str(w, "checkout_id", checkout_id);
	if (arch[0])
		jsonw__kv_str(w, "architecture", arch);
	jsonw__kv_str(w, "comment", "the kernel as it ran on the board (not built by smmutrace)");
	jsonw__obj_end(w);
	jsonw__arr_end(w);

	jsonw__key(w, "tests");
	jsonw__arr_begin(w);
	report__verdict(m, comment, sizeof(comment));
	write_test(w, m, run, build_id, "smmutrace",
		   m->worst >= SEV_ERROR ? "FAIL" : m->worst == SEV_WARNING ? "DONE" : "PASS",
		   comment, (double)m->nfindings, "findings", -1);
	for (int r = 0; r < RULE_MAX; r++) {
		enum severity worst = SEV_NONE;
		char word[64];

		for (uint64_t i = 0; i < m->nfindings; i++)
			if ((int)m->findings[i].f.rule == r && m->findings[i].f.severity > worst)
				worst = m->findings[i].f.severity;
		path_word(word, sizeof(word), rule__name((enum rule)r));
		snprintf(path, sizeof(path), "smmutrace.%s", word);
		snprintf(comment, sizeof(comment), "%" PRIu64 " %s finding%s", m->findings_by_rule[r],
			 rule__name((enum rule)r), m->findings_by_rule[r] == 1 ? "" : "s");
		write_test(w, m, run, build_id, path,
			   worst >= SEV_ERROR ? "FAIL" : m->findings_by_rule[r] ? "DONE" : "PASS",
			   comment, (double)m->findings_by_rule[r], "findings", r);
	}
	if (m->sync_hist.n) {
		snprintf(comment, sizeof(comment), "longest TLB sync of %" PRIu64, m->sync_hist.n);
		write_test(w, m, run, build_id, "smmutrace.measure.sync_latency_max", "DONE", comment,
			   (double)m->sync_hist.max / 1e9, "s", -2);
	}
	write_test(w, m, run, build_id, "smmutrace.measure.lost_events", "DONE",
		   "events the capture dropped", (double)m->sum.lost, "events", -2);
	jsonw__arr_end(w);

	jsonw__key(w, "issues");
	jsonw__arr_begin(w);
	for (uint32_t k = 0; k < nissues; k++) {
		const struct finding *x = &m->findings[issues[k].first].f;
		const char *devs = finding_devs(m, x);
		char id[96], word[64], cat[96];

		snprintf(id, sizeof(id), "%s:issue-%016" PRIx64, KCIDB_ORIGIN, issues[k].sig);
		path_word(word, sizeof(word), rule__name(x->rule));
		snprintf(cat, sizeof(cat), "runtime.smmu.%s", word);
		snprintf(comment, sizeof(comment), "%s%s%s%s%s", rule__name(x->rule),
			 x->ntbus ? " on TBU " : "", x->ntbus && x->tbus[0] ? x->tbus[0] : "",
			 devs[0] ? " for " : "", devs);
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "id", id);
		jsonw__kv_u64(w, "version", 1);
		jsonw__kv_str(w, "origin", KCIDB_ORIGIN);
		jsonw__kv_str(w, "report_subject", comment);
		jsonw__key(w, "culprit");
		jsonw__obj_begin(w);
		/* a hazard in the kernel's IOMMU handling, not in the test or the lab */
		jsonw__kv_bool(w, "code", x->rule != RULE_EVENTS_LOST);
		jsonw__kv_bool(w, "tool", x->rule == RULE_EVENTS_LOST);
		jsonw__kv_bool(w, "harness", false);
		jsonw__obj_end(w);
		jsonw__key(w, "categories");
		jsonw__arr_begin(w);
		jsonw__str(w, cat);
		jsonw__arr_end(w);
		jsonw__kv_str(w, "comment", x->message);
		jsonw__key(w, "misc");
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "rule", rule__name(x->rule));
		jsonw__kv_str(w, "severity", severity__name(issues[k].sev));
		jsonw__kv_str(w, "devices", devs);
		jsonw__key(w, "tbus");
		jsonw__arr_begin(w);
		for (int t = 0; t < x->ntbus; t++)
			jsonw__str(w, x->tbus[t] ? x->tbus[t] : "?");
		jsonw__arr_end(w);
		jsonw__kv_u64(w, "occurrences", issues[k].count);
		jsonw__obj_end(w);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);

	jsonw__key(w, "incidents");
	jsonw__arr_begin(w);
	for (uint64_t i = 0; i < m->nfindings && i < KCIDB_MAX_INCIDENTS; i++) {
		const struct finding *x = &m->findings[i].f;
		uint64_t sig = finding_sig(m, x);
		char id[128], word[64], test_id[256], issue_id[96];
		uint32_t k;

		for (k = 0; k < nissues && issues[k].sig != sig; k++)
			;
		if (k == nissues)
			continue;	/* beyond the issue cap */
		path_word(word, sizeof(word), rule__name(x->rule));
		snprintf(id, sizeof(id), "%s:%s:finding-%" PRIu64, KCIDB_ORIGIN, run,
			 m->findings[i].number);
		snprintf(issue_id, sizeof(issue_id), "%s:issue-%016" PRIx64, KCIDB_ORIGIN, sig);
		snprintf(test_id, sizeof(test_id), "%s:%s:smmutrace.%s", KCIDB_ORIGIN, run, word);
		finding_line(m, i, comment, sizeof(comment));
		comment[strcspn(comment, "\n")] = 0;
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "id", id);
		jsonw__kv_str(w, "origin", KCIDB_ORIGIN);
		jsonw__kv_str(w, "issue_id", issue_id);
		jsonw__kv_u64(w, "issue_version", 1);
		jsonw__kv_str(w, "test_id", test_id);
		jsonw__kv_bool(w, "present", true);
		jsonw__kv_str(w, "comment", comment);
		jsonw__key(w, "misc");
		jsonw__obj_begin(w);
		jsonw__kv_u64(w, "ts", x->ts);
		jsonw__kv_str(w, "severity", severity__name(x->severity));
		if (x->has_domain)
			jsonw__kv_hex(w, "domain", x->domain);
		if (x->has_range) {
			jsonw__kv_hex(w, "iova", x->iova);
			jsonw__kv_u64(w, "size", x->size);
		}
		jsonw__kv_bool(w, "incomplete", x->incomplete);
		jsonw__obj_end(w);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	free(issues);
	fflush(f);
	if (ferror(f))
		ret = -EIO;
	return ret;
}
