/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Monitor metrics: counters, gauges and the sync-latency histogram that
 * `smmutrace monitor` keeps, written in the Prometheus text exposition format
 * (0.0.4) for the HTTP endpoint and the node-exporter textfile. Every name
 * starts with smmutrace_, counters end in _total, no timestamps.
 */
#ifndef SMMUTRACE_MONITOR_METRICS_H
#define SMMUTRACE_MONITOR_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "finding.h"
#include "smmutrace_events.h"

/* live-mapping gauges: the biggest domains by name, the rest as domain="other" */
#define METRICS_MAX_DOMAIN_LABELS 64

/* sync-latency histogram upper bounds, ns (a +Inf bucket follows) */
#define METRICS_SYNC_BUCKETS 20

/* values the monitor sets as they change */
enum metric_id {
	MET_PERIODS,		/* counter: periods judged */
	MET_PERIODS_FAILED,	/* counter: periods with findings at/above --fail-on */
	MET_INCIDENTS,		/* counter: incident snapshots taken */
	MET_REC_FILES,		/* gauge: recordings kept in --record-dir */
	MET_REC_BYTES,		/* gauge: their bytes */
	MET_REC_ROTATIONS,	/* counter: recordings closed by rotation */
	MET_REC_DELETED,	/* counter: recordings deleted by retention */
	MET_RELOADS,		/* counter: board reloads (SIGHUP) */
	MET_LAST_EVENT_TS,	/* gauge: ts of the last event, ns */
	MET_DOMAINS,		/* gauge: domains alive in the engine */
	MET_LIVE_MAPPINGS,	/* gauge: all live mappings */
	MET_MAX,
};

struct metrics;

struct metrics_domain {
	uint64_t domain;
	uint64_t live;		/* live mappings */
};

/* one BPF program's run statistics (kernel.bpf_stats_enabled) */
struct metrics_bpf_prog {
	char name[64];
	uint64_t runs, run_ns;
};
#define METRICS_MAX_BPF_PROGS 128

struct metrics *metrics__new(void);
/* BPF run time of the programs (live capture only); replaces the previous set */
void metrics__set_bpf(struct metrics *m, const struct metrics_bpf_prog *p, size_t n);
/* count one event: per type, lost counts, sync durations */
void metrics__event(struct metrics *m, const struct smt_event *ev);
void metrics__finding(struct metrics *m, const struct finding *f);
void metrics__set(struct metrics *m, enum metric_id id, uint64_t v);
void metrics__add(struct metrics *m, enum metric_id id, uint64_t v);
uint64_t metrics__get(const struct metrics *m, enum metric_id id);
uint64_t metrics__events(const struct metrics *m);
uint64_t metrics__findings(const struct metrics *m);
/*
 * Write the exposition text. DOMS (NDOMS, may be 0) are the per-domain live
 * mappings; the array is reordered (largest first). 0 or -errno.
 */
int metrics__write(const struct metrics *m, FILE *f, struct metrics_domain *doms, size_t ndoms);
/* upper bound I (0..METRICS_SYNC_BUCKETS-1) of the sync histogram, ns */
uint64_t metrics__sync_bucket_ns(int i);
void metrics__free(struct metrics *m);

#endif
