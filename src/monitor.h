/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The monitor (smmutrace monitor): one analysis fed events for days, its
 * findings fanned out to the findings log, metrics (endpoint and textfile),
 * per-period KTAP/LAVA verdicts on stdout, rotating recordings and incident
 * snapshots, with a board reload on SIGHUP. cmd_monitor.c wires it to an
 * event source (live capture or --input) and the signals; the parts are the
 * other monitor_*.h.
 */
#ifndef SMMUTRACE_MONITOR_H
#define SMMUTRACE_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include "env.h"
#include "monitor_incident.h"
#include "monitor_metrics.h"
#include "monitor_rotate.h"
#include "smmutrace_events.h"

struct monitor;

struct monitor_opts {
	struct env env;			/* --board/--dt (SIGHUP reloads them), windows, --fail-on */
	bool live;			/* periods on wall time (monitor__tick); else on event time */
	bool lava;			/* LAVA test-case signals too */
	uint64_t period_ns;
	const char *input;		/* --input, for the recordings' header; NULL = live */
	const char *listen;		/* ADDR:PORT of /metrics; NULL = none */
	const char *findings_log;	/* NULL = none */
	const char *textfile;		/* NULL = none */
	struct rotator_opts record;	/* .dir NULL = no recordings; .meta_json is set here */
	struct incident_opts incidents;	/* .dir NULL = no snapshots; meta, topo, engine set here */
	/* every so many events while busy: the caller looks at its signals and clock */
	void (*on_busy)(void *ctx);
	void *ctx;
};

/*
 * The metrics and the endpoint, which answers from now on (before the input
 * has its first bytes). 0, or an exit status after printing why.
 */
int monitor__new(struct monitor **out, const struct monitor_opts *opts);
/* "ADDR:PORT" the endpoint listens on, NULL without one */
const char *monitor__listen_addr(const struct monitor *m);
/*
 * The analysis (topology from env, or the board an input recording carries
 * in SRC_META, its blind spots) and the outputs. 0, or an exit status after
 * printing why.
 */
int monitor__open(struct monitor *m, const char *src_meta);
const struct topology *monitor__topology(const struct monitor *m);
/*
 * Live: where the BPF run time of the capture's programs comes from while it
 * runs (FN NULL: nowhere, the capture is gone or the kernel does not count).
 */
typedef size_t (*monitor_bpf_fn)(void *ctx, struct metrics_bpf_prog *out, size_t max);
void monitor__set_bpf_stats(struct monitor *m, monitor_bpf_fn fn, void *ctx);
/* one event; META_EXTRA: the free-form fields of a meta event ("blind"), or NULL */
void monitor__feed(struct monitor *m, const struct smt_event *ev, const char *meta_extra);
/* wall time NOW, live: closes and opens periods */
void monitor__tick(struct monitor *m, uint64_t now);
/* SIGHUP: reopen the findings log; restart the analysis if the board file changed */
void monitor__reload(struct monitor *m);
/* wait up to TIMEOUT_MS for FD (-1: none) while serving the endpoint: 1 FD ready, else 0 */
int monitor__wait(struct monitor *m, int fd, int timeout_ms);
/*
 * The end, after a run that ended with STATUS (0, or EXIT_INPUT at a bad
 * input), at END_TS on the period clock (live: wall time now; 0: the last
 * event's time): the last verdict, the plan and the summary; returns the exit
 * status (a failed period 1, a lost output 3).
 */
int monitor__finish(struct monitor *m, int status, uint64_t end_ts);
void monitor__free(struct monitor *m);

#endif
