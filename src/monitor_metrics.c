// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Monitor metrics and their Prometheus text exposition (see monitor_metrics.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "monitor_metrics.h"

/* 1us .. 10s in 1-2.5-5 steps: TLB syncs take microseconds, timeouts ~1s */
static const uint64_t sync_bounds_ns[METRICS_SYNC_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
	250000000, 500000000, 1000000000, 10000000000ull,
};

struct metrics {
	uint64_t events;
	uint64_t by_type[SMT_EV_MAX];
	uint64_t lost;
	uint64_t findings;
	uint64_t findings_by[RULE_MAX][3];	/* [rule][severity] */
	uint64_t sync_buckets[METRICS_SYNC_BUCKETS + 1];	/* not cumulative; last = +Inf */
	uint64_t sync_count, sync_sum_ns;
	uint64_t val[MET_MAX];
	struct metrics_bpf_prog bpf[METRICS_MAX_BPF_PROGS];
	size_t nbpf;
};

struct metrics *metrics__new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics__free(struct metrics *m)
{
	free(m);
}

uint64_t metrics__sync_bucket_ns(int i)
{
	return i >= 0 && i < METRICS_SYNC_BUCKETS ? sync_bounds_ns[i] : UINT64_MAX;
}

void metrics__event(struct metrics *m, const struct smt_event *ev)
{
	int b;

	m->events++;
	if (ev->type < SMT_EV_MAX)
		m->by_type[ev->type]++;
	if (ev->type == SMT_EV_LOST)
		m->lost += ev->count;
	if (ev->type == SMT_EV_SYNC && (ev->present & SMT_HAS_DUR)) {
		for (b = 0; b < METRICS_SYNC_BUCKETS && ev->dur > sync_bounds_ns[b]; b++)
			;
		m->sync_buckets[b]++;
		m->sync_count++;
		m->sync_sum_ns += ev->dur;
	}
}

void metrics__finding(struct metrics *m, const struct finding *f)
{
	m->findings++;
	if ((unsigned)f->rule < RULE_MAX && (unsigned)f->severity < 3)
		m->findings_by[f->rule][f->severity]++;
}

void metrics__set_bpf(struct metrics *m, const struct metrics_bpf_prog *p, size_t n)
{
	if (n > METRICS_MAX_BPF_PROGS)
		n = METRICS_MAX_BPF_PROGS;
	memcpy(m->bpf, p, n * sizeof(*p));
	m->nbpf = n;
}

void metrics__set(struct metrics *m, enum metric_id id, uint64_t v)
{
	m->val[id] = v;
}

void metrics__add(struct metrics *m, enum metric_id id, uint64_t v)
{
	m->val[id] += v;
}

uint64_t metrics__get(const struct metrics *m, enum metric_id id)
{
	return m->val[id];
}

uint64_t metrics__events(const struct metrics *m)
{
	return m->events;
}

uint64_t metrics__findings(const struct metrics *m)
{
	return m->findings;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* seconds from ns, exact (no float rounding): "0.000250000" */
static void secs(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
}

static int by_live_desc(const void *a, const void *b)
{
	const struct metrics_domain *x = a, *y = b;

	if (x->live != y->live)
		return x->live < y->live ? 1 : -1;
	return x->domain < y->domain ? -1 : x->domain > y->domain;
}

static const struct {
	enum metric_id id;
	const char *name, *type, *help;
} simple[] = {
	{ MET_PERIODS, "smmutrace_periods_total", "counter", "Verdict periods judged" },
	{ MET_PERIODS_FAILED, "smmutrace_periods_failed_total", "counter",
	  "Verdict periods with findings at or above --fail-on" },
	{ MET_INCIDENTS, "smmutrace_incidents_total", "counter",
	  "Incident snapshots (recording + HTML report) taken" },
	{ MET_REC_FILES, "smmutrace_recording_files", "gauge", "Rotating recordings kept on disk" },
	{ MET_REC_BYTES, "smmutrace_recording_bytes", "gauge", "Bytes of the rotating recordings on disk" },
	{ MET_REC_ROTATIONS, "smmutrace_recording_rotations_total", "counter",
	  "Recordings closed because they reached --max-file-bytes" },
	{ MET_REC_DELETED, "smmutrace_recording_deleted_total", "counter",
	  "Old recordings deleted to stay within --keep-files/--keep-bytes" },
	{ MET_RELOADS, "smmutrace_board_reloads_total", "counter", "Board file reloads (SIGHUP)" },
	{ MET_DOMAINS, "smmutrace_domains", "gauge", "IOMMU domains alive" },
	{ MET_LIVE_MAPPINGS, "smmutrace_live_mappings_all", "gauge", "Live mappings in all domains" },
};

int metrics__write(const struct metrics *m, FILE *f, struct metrics_domain *doms, size_t ndoms)
{
	uint64_t cum = 0, other = 0;
	size_t i;

	head(f, "smmutrace_events_processed_total", "counter", "Events analysed");
	fprintf(f, "smmutrace_events_processed_total %" PRIu64 "\n", m->events);
	head(f, "smmutrace_events_total", "counter", "Events analysed, by event type");
	for (unsigned t = 1; t < SMT_EV_MAX; t++)
		fprintf(f, "smmutrace_events_total{ev=\"%s\"} %" PRIu64 "\n", event__type_name(t),
			m->by_type[t]);
	head(f, "smmutrace_lost_events_total", "counter",
	     "Events the capture dropped (sum of lost events' counts)");
	fprintf(f, "smmutrace_lost_events_total %" PRIu64 "\n", m->lost);
	head(f, "smmutrace_findings_total", "counter", "Findings, by rule and severity");
	for (int r = 0; r < RULE_MAX; r++)
		for (int s = SEV_WARNING; s <= SEV_ERROR; s++)
			fprintf(f, "smmutrace_findings_total{rule=\"%s\",severity=\"%s\"} %" PRIu64 "\n",
				rule__name(r), severity__name(s), m->findings_by[r][s]);

	head(f, "smmutrace_sync_latency_seconds", "histogram", "TLB sync durations");
	for (i = 0; i < METRICS_SYNC_BUCKETS; i++) {
		cum += m->sync_buckets[i];
		fprintf(f, "smmutrace_sync_latency_seconds_bucket{le=\"");
		secs(f, sync_bounds_ns[i]);
		fprintf(f, "\"} %" PRIu64 "\n", cum);
	}
	cum += m->sync_buckets[METRICS_SYNC_BUCKETS];
	fprintf(f, "smmutrace_sync_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	fprintf(f, "smmutrace_sync_latency_seconds_sum ");
	secs(f, m->sync_sum_ns);
	fprintf(f, "\nsmmutrace_sync_latency_seconds_count %" PRIu64 "\n", m->sync_count);

	head(f, "smmutrace_live_mappings", "gauge",
	     "Live mappings per IOMMU domain (the largest 64 domains; the rest as domain=\"other\")");
	if (ndoms > 1)
		qsort(doms, ndoms, sizeof(*doms), by_live_desc);
	for (i = 0; i < ndoms; i++) {
		if (i < METRICS_MAX_DOMAIN_LABELS)
			fprintf(f, "smmutrace_live_mappings{domain=\"0x%" PRIx64 "\"} %" PRIu64 "\n",
				doms[i].domain, doms[i].live);
		else
			other += doms[i].live;
	}
	if (ndoms > METRICS_MAX_DOMAIN_LABELS)
		fprintf(f, "smmutrace_live_mappings{domain=\"other\"} %" PRIu64 "\n", other);

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		head(f, simple[i].name, simple[i].type, simple[i].help);
		fprintf(f, "%s %" PRIu64 "\n", simple[i].name, m->val[simple[i].id]);
	}
	if (m->nbpf) {
		head(f, "smmutrace_bpf_runs_total", "counter",
		     "Runs of smmutrace's BPF programs (kernel.bpf_stats_enabled=1)");
		for (i = 0; i < m->nbpf; i++)
			fprintf(f, "smmutrace_bpf_runs_total{prog=\"%s\"} %" PRIu64 "\n", m->bpf[i].name,
				m->bpf[i].runs);
		head(f, "smmutrace_bpf_run_seconds_total", "counter",
		     "Time spent in smmutrace's BPF programs (kernel.bpf_stats_enabled=1)");
		for (i = 0; i < m->nbpf; i++) {
			fprintf(f, "smmutrace_bpf_run_seconds_total{prog=\"%s\"} ", m->bpf[i].name);
			secs(f, m->bpf[i].run_ns);
			fprintf(f, "\n");
		}
	}
	head(f, "smmutrace_last_event_seconds", "gauge",
	     "Timestamp of the last event analysed (event clock: CLOCK_MONOTONIC of the board)");
	fprintf(f, "smmutrace_last_event_seconds ");
	secs(f, m->val[MET_LAST_EVENT_TS]);
	fprintf(f, "\n");
	return ferror(f) ? -EIO : 0;
}
