// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The monitor object (see monitor.h): analysis, periods, finding fan-out, reload. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coverage.h"
#include "engine.h"
#include "event.h"
#include "monitor.h"
#include "monitor_http.h"
#include "monitor_metrics.h"
#include "monitor_verdict.h"
#include "output.h"
#include "recording.h"
#include "recording_header.h"
#include "sink.h"
#include "topology.h"

/* findings echoed on stdout per period; all of them go to the findings log */
#define ECHO_PER_PERIOD		20
/* how many events between looks at the endpoint and the caller's signals while busy */
#define SERVICE_EVERY		1024

struct monitor {
	struct monitor_opts o;
	enum severity fail_on;		/* SEV_NONE: --fail-on never */
	/* analysis */
	struct topology topo;
	struct engine *engine;
	/* SPEC §9: rules a blind spot leaves unjudged (bit per rule), read by the engines */
	unsigned int not_judged;
	char nj_reasons[RULE_MAX][320];
	char *meta;			/* the header of our recordings and snapshots */
	/* outputs */
	struct output log_out;		/* --findings-log */
	struct sink *log_sink;
	bool log_failed;		/* --findings-log stopped taking writes */
	struct metrics *metrics;
	struct http_server *http;
	struct rotator *rot;
	bool rec_failed;
	int out_failed;			/* an output failed: the exit status (3) */
	struct incidents *inc;
	monitor_bpf_fn bpf_stats;	/* live: the BPF run time */
	void *bpf_ctx;
	struct metrics_domain *doms;
	size_t ndoms, doms_cap;
	/* verdicts */
	struct period period;
	bool period_open;
	uint64_t periods, periods_failed;
	uint64_t echoed;		/* findings echoed this period */
	uint64_t by_sev[3], lost;	/* whole run (the engine restarts on reload) */
	uint64_t since_service;
};

/* ---- metrics ------------------------------------------------------------- */

static void collect_domain(const struct engine_domain_info *d, void *ctx)
{
	struct monitor *m = ctx;

	if (m->ndoms == m->doms_cap) {
		size_t cap = m->doms_cap ? m->doms_cap * 2 : 64;
		struct metrics_domain *p = realloc(m->doms, cap * sizeof(*p));

		if (!p)
			return;	/* the gauge then misses some domains; the rest is right */
		m->doms = p;
		m->doms_cap = cap;
	}
	m->doms[m->ndoms++] = (struct metrics_domain){ d->domain, d->live_mappings };
}

static int render(void *ctx, FILE *f)
{
	struct monitor *m = ctx;
	struct engine_summary s;

	m->ndoms = 0;
	if (m->engine) {
		engine__for_each_domain(m->engine, collect_domain, m);
		engine__summary(m->engine, &s);
		metrics__set(m->metrics, MET_DOMAINS, s.domains_live);
		metrics__set(m->metrics, MET_LIVE_MAPPINGS, s.live_mappings);
	}
	if (m->rot) {
		struct rotator_stats rs;

		rotator__stats(m->rot, &rs);
		metrics__set(m->metrics, MET_REC_FILES, rs.files);
		metrics__set(m->metrics, MET_REC_BYTES, rs.bytes);
		metrics__set(m->metrics, MET_REC_ROTATIONS, rs.rotations);
		metrics__set(m->metrics, MET_REC_DELETED, rs.deleted);
	}
	if (m->inc)
		metrics__set(m->metrics, MET_INCIDENTS, incidents__count(m->inc));
	metrics__set(m->metrics, MET_PERIODS, m->periods);
	metrics__set(m->metrics, MET_PERIODS_FAILED, m->periods_failed);
	if (m->bpf_stats) {
		static struct metrics_bpf_prog progs[METRICS_MAX_BPF_PROGS];

		metrics__set_bpf(m->metrics, progs,
				 m->bpf_stats(m->bpf_ctx, progs, METRICS_MAX_BPF_PROGS));
	}
	return metrics__write(m->metrics, f, m->doms, m->ndoms);
}

/*
 * node_exporter must never see half a file: a regular file is replaced
 * atomically (output.c). A failure is reported once, and the run ends with
 * exit 3: a farm must not run on without metrics and never know.
 */
static int write_textfile(struct monitor *m)
{
	struct output o;
	int rc;

	if (!m->o.textfile)
		return 0;
	rc = output__open(&o, m->o.textfile, "--textfile", OUTPUT_REPLACE);
	if (!rc) {
		if (render(m, o.f) && !output__failed(o.f)) {
			output__abort(&o);
			pr_err("%s: --textfile: out of memory\n", m->o.textfile);
			rc = EXIT_ENV;
		} else {
			rc = output__close(&o);
		}
	}
	if (rc && !m->out_failed)
		pr_err("monitor: --textfile: metrics not written; the analysis goes on and the "
		       "run will exit 3\n");
	if (rc)
		m->out_failed = rc;
	return rc;
}

/* a findings log that stopped taking writes (disk full): said once, exit 3 at the end */
static void check_log(struct monitor *m)
{
	int err;

	if (!m->log_sink || m->log_failed || !output__failed(m->log_out.f))
		return;
	err = output__error(&m->log_out);
	m->log_failed = true;
	m->out_failed = EXIT_ENV;
	pr_err("%s: --findings-log: write failed: %s; findings are no longer logged, the "
	       "analysis goes on and the run will exit 3\n", m->o.findings_log,
	       strerror(err ? err : EIO));
}

/* ---- verdicts ------------------------------------------------------------ */

static void close_period(struct monitor *m, uint64_t end_ts)
{
	char line[2048];

	if (!m->period_open)
		return;
	m->period.end_ts = end_ts;
	if (m->echoed > ECHO_PER_PERIOD)
		printf("# %" PRIu64 " more findings in period %" PRIu64 " (all are in the findings "
		       "log)\n", m->echoed - ECHO_PER_PERIOD, m->period.n);
	period__format(&m->period, m->fail_on, m->o.lava, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	m->periods++;
	if (period__failed(&m->period, m->fail_on))
		m->periods_failed++;
	m->period_open = false;
	if (m->rot)
		rotator__flush(m->rot);	/* a crash now loses at most this period's tail */
	write_textfile(m);
}

static void open_period(struct monitor *m, uint64_t start_ts)
{
	period__reset(&m->period, m->periods + 1, start_ts);
	m->period_open = true;
	m->echoed = 0;
}

/* Period boundaries on the clock T (event time or wall). */
static void roll_periods(struct monitor *m, uint64_t t)
{
	uint64_t start;

	if (!m->period_open) {
		open_period(m, t);
		return;
	}
	if (t < m->period.start_ts + m->o.period_ns)
		return;
	start = m->period.start_ts + m->o.period_ns;
	close_period(m, start);
	/* periods without events are not reported: the next one holds T */
	start += (t - start) / m->o.period_ns * m->o.period_ns;
	open_period(m, start);
}

void monitor__tick(struct monitor *m, uint64_t now)
{
	roll_periods(m, now);
}

/* ---- findings: the fan-out --------------------------------------------------- */

static void on_finding(const struct finding *f, void *ctx)
{
	struct monitor *m = ctx;

	metrics__finding(m->metrics, f);
	if (!m->period_open)
		open_period(m, f->ts);
	period__finding(&m->period, f);
	if ((unsigned)f->severity < 3)
		m->by_sev[f->severity]++;
	if (m->log_sink && !m->log_failed) {
		sink__finding(f, m->log_sink);
		check_log(m);
	}
	if (++m->echoed <= ECHO_PER_PERIOD)
		printf("# %s %s ts=%" PRIu64 ": %s\n", severity__name(f->severity),
		       rule__name(f->rule), f->ts, f->message);
	if (m->inc && f->severity == SEV_ERROR && m->period.by_sev[SEV_ERROR] == 1)
		incidents__trigger(m->inc, f);
}

/* ---- analysis -------------------------------------------------------------- */

static struct engine *new_engine(struct monitor *m)
{
	struct engine_opts o;

	env__engine_opts(&m->o.env, &m->topo, &m->not_judged, &o);
	o.on_finding = on_finding;
	o.ctx = m;
	return engine__new(&o);
}

/* blind spots (a meta object's "blind", coverage.h): their rules are not judged from here on */
static void take_blind(struct monitor *m, const char *meta_json)
{
	struct cov_blind b[COV_MAX_BLIND];
	int n = coverage__blind_from_meta(meta_json, b, COV_MAX_BLIND);
	unsigned int before = m->not_judged;

	coverage__not_judged(b, n, &m->not_judged, m->nj_reasons);
	for (int r = 0; r < RULE_MAX; r++)
		if ((m->not_judged & ~before) & (1u << r))
			printf("# not judged: %s (%s)\n", rule__name(r), m->nj_reasons[r]);
}

/* logrotate moved the old findings log away: append to a new one at the same path */
static void reopen_log(struct monitor *m)
{
	struct output o;
	struct sink *ns;

	if (output__open(&o, m->o.findings_log, "--findings-log", OUTPUT_APPEND)) {
		pr_err("monitor: SIGHUP: --findings-log: still writing the old file\n");
		return;
	}
	ns = sink__new(o.f, true);
	if (!ns) {
		output__abort(&o);
		return;
	}
	sink__free(m->log_sink);
	if (output__close(&m->log_out) && !m->log_failed) {
		m->log_failed = true;	/* the old file's tail: said above */
		m->out_failed = EXIT_ENV;
	}
	m->log_out = o;
	m->log_sink = ns;
	m->log_failed = false;
}

void monitor__reload(struct monitor *m)
{
	uint64_t ts = metrics__get(m->metrics, MET_LAST_EVENT_TS);
	struct smt_event meta;
	struct topology t;
	struct engine *e;

	if (m->log_sink)
		reopen_log(m);
	if (!m->o.env.board_path || !m->engine)
		return;
	if (env__topology(&m->o.env, NULL, &t)) {
		pr_err("monitor: SIGHUP: the board file has errors (above); still running with "
		       "the previous board\n");
		return;
	}
	if (t.board_text && m->topo.board_text && !strcmp(t.board_text, m->topo.board_text)) {
		pr_info("monitor: SIGHUP: board %s unchanged; analysis continues\n",
			m->o.env.board_path);
		topology__free(&t);
		return;
	}
	/* the engine holds pointers into its topology: replace both together */
	engine__free(m->engine);
	topology__free(&m->topo);
	m->topo = t;
	e = new_engine(m);
	if (!e) {
		pr_err("monitor: out of memory rebuilding the analysis\n");
		exit(EXIT_ENV);
	}
	m->engine = e;
	if (m->inc)
		incidents__set_topology(m->inc, &m->topo);
	/* mappings made before now are unknown to the new engine */
	event__init(&meta, SMT_EV_META, ts);
	meta.present |= SMT_HAS_SINCE_BOOT;
	meta.since_boot = 0;
	engine__feed(m->engine, &meta);
	metrics__add(m->metrics, MET_RELOADS, 1);
	pr_info("monitor: SIGHUP: board %s reloaded; the analysis restarted at ts %" PRIu64
		" (gate states and mappings before it are unknown to it)\n",
		m->o.env.board_path, ts);
	printf("# board reloaded at ts %" PRIu64 ": analysis restarted\n", ts);
	fflush(stdout);
}

/* ---- events -------------------------------------------------------------- */

static void service(struct monitor *m)
{
	if (m->http)
		http_server__run_for(m->http, 0);
	if (m->o.on_busy)
		m->o.on_busy(m->o.ctx);
}

void monitor__feed(struct monitor *m, const struct smt_event *ev, const char *meta_extra)
{
	if (ev->type != SMT_EV_META)
		meta_extra = NULL;
	if (meta_extra)
		take_blind(m, meta_extra);
	if (!m->o.live)
		roll_periods(m, ev->ts);
	metrics__event(m->metrics, ev);
	if (ev->type == SMT_EV_LOST)
		m->lost += ev->count;
	metrics__set(m->metrics, MET_LAST_EVENT_TS, ev->ts);
	if (m->rot && !m->rec_failed) {
		char err[4200];

		if (rotator__write(m->rot, ev, meta_extra, err, sizeof(err))) {
			pr_err("monitor: --record-dir: %s; recording stopped, the analysis goes on\n", err);
			m->rec_failed = true;
		}
	}
	if (m->inc)
		incidents__event(m->inc, ev, meta_extra);
	engine__feed(m->engine, ev);
	if (++m->since_service >= SERVICE_EVERY) {
		m->since_service = 0;
		service(m);
	}
}

int monitor__wait(struct monitor *m, int fd, int timeout_ms)
{
	struct pollfd p[HTTP_MAX_POLLFDS + 1];
	int n = 0, ready = 0;

	if (fd >= 0)
		p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (m->http)
		n += http_server__pollfds(m->http, p + n, HTTP_MAX_POLLFDS);
	if (poll(p, n, timeout_ms) > 0) {
		if (fd >= 0 && p[0].revents)
			ready = 1;
		if (m->http)
			http_server__service(m->http, p + (fd >= 0), n - (fd >= 0));
	}
	return ready;
}

void monitor__set_bpf_stats(struct monitor *m, monitor_bpf_fn fn, void *ctx)
{
	m->bpf_stats = fn;
	m->bpf_ctx = ctx;
}

/* ---- setup and end ----------------------------------------------------------- */

int monitor__new(struct monitor **out, const struct monitor_opts *opts)
{
	struct monitor *m = calloc(1, sizeof(*m));
	char err[4200];

	*out = NULL;
	if (!m) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	m->o = *opts;
	m->fail_on = m->o.env.fail_never ? SEV_NONE : m->o.env.fail_on;
	topology__init(&m->topo);
	m->metrics = metrics__new();
	if (!m->metrics) {
		pr_err("out of memory\n");
		monitor__free(m);
		return EXIT_ENV;
	}
	if (m->o.listen && http_server__new(&m->http, m->o.listen, render, m, err, sizeof(err))) {
		pr_err("monitor: %s\n", err);
		monitor__free(m);
		return strstr(err, "is not ADDR:PORT") ? EXIT_INPUT : EXIT_ENV;
	}
	*out = m;
	return 0;
}

const char *monitor__listen_addr(const struct monitor *m)
{
	return m->http ? http_server__addr(m->http) : NULL;
}

const struct topology *monitor__topology(const struct monitor *m)
{
	return &m->topo;
}

int monitor__open(struct monitor *m, const char *src_meta)
{
	char err[4200], *embedded = recording__meta_board(src_meta);
	struct recording_header h = { .source = "monitor", .inherit_json = src_meta };
	int status;

	status = env__topology(&m->o.env, embedded, &m->topo);
	free(embedded);
	if (status)
		return status;
	m->engine = new_engine(m);
	if (!m->engine) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	if (m->o.findings_log) {
		status = output__open(&m->log_out, m->o.findings_log, "--findings-log", OUTPUT_APPEND);
		if (status)
			return status;
		m->log_sink = sink__new(m->log_out.f, true);
		if (!m->log_sink) {
			pr_err("out of memory\n");
			return EXIT_ENV;
		}
	}
	/* recording header: the source's, with the board and where events came from */
	h.input = m->o.input ? m->o.input : "live";
	h.board = m->topo.board_text;
	m->meta = recording_header__json(&h);
	if (!m->meta) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	if (m->o.record.dir) {
		m->o.record.meta_json = m->meta;
		if (rotator__new(&m->rot, &m->o.record, err, sizeof(err))) {
			pr_err("monitor: %s\n", err);
			return EXIT_ENV;
		}
	}
	if (m->o.incidents.dir) {
		m->o.incidents.meta_json = m->meta;
		m->o.incidents.topo = &m->topo;
		env__engine_opts(&m->o.env, NULL, &m->not_judged, &m->o.incidents.engine);
		if (incidents__new(&m->inc, &m->o.incidents, err, sizeof(err))) {
			pr_err("monitor: %s\n", err);
			return EXIT_ENV;
		}
	}
	/* a recording's header says what its capture could not see */
	take_blind(m, src_meta);
	/* a textfile that cannot be written fails now, not after a day of running */
	return write_textfile(m) ? EXIT_ENV : 0;
}

/* 0, or -errno when the log's tail could not be written (said by output.c) */
static int close_log(struct monitor *m)
{
	sink__free(m->log_sink);
	m->log_sink = NULL;
	if (m->log_failed) {
		output__abort(&m->log_out);	/* already said */
		return 0;
	}
	return output__close(&m->log_out);
}

int monitor__finish(struct monitor *m, int status, uint64_t end_ts)
{
	struct engine_summary s;
	struct rotator_stats rs = { 0 };

	engine__finish(m->engine);	/* windows that passed by the last event */
	if (m->inc)
		incidents__finish(m->inc);
	if (m->rot && rotator__close(m->rot))
		pr_err("monitor: --record-dir: closing the last recording failed (disk full?)\n");
	close_period(m, end_ts ? end_ts : metrics__get(m->metrics, MET_LAST_EVENT_TS));
	printf("1..%" PRIu64 "\n", m->periods);
	engine__summary(m->engine, &s);
	if (m->rot)
		rotator__stats(m->rot, &rs);
	printf("# summary: events=%" PRIu64 " findings=%" PRIu64 " errors=%" PRIu64
	       " warnings=%" PRIu64 " lost=%" PRIu64 " periods=%" PRIu64 " failed=%" PRIu64
	       " incidents=%u recordings=%" PRIu64 " recording_bytes=%" PRIu64 "\n",
	       metrics__events(m->metrics), metrics__findings(m->metrics),
	       m->by_sev[SEV_ERROR], m->by_sev[SEV_WARNING], m->lost, m->periods,
	       m->periods_failed, m->inc ? incidents__count(m->inc) : 0, rs.files, rs.bytes);
	if (s.unknown_gates)
		printf("# %d board gates were never seen in an event (counted as on)\n",
		       s.unknown_gates);
	fflush(stdout);
	if (!status)
		status = m->periods_failed ? EXIT_FINDINGS : EXIT_OK;
	if (!status && m->rec_failed)
		status = EXIT_ENV;
	if (status < EXIT_INPUT && m->out_failed)
		status = m->out_failed;	/* a lost output outweighs the findings */
	if (close_log(m) && status < EXIT_INPUT)
		status = EXIT_ENV;
	return status;
}

void monitor__free(struct monitor *m)
{
	if (!m)
		return;
	incidents__free(m->inc);
	rotator__free(m->rot);
	http_server__free(m->http);
	close_log(m);
	engine__free(m->engine);
	topology__free(&m->topo);
	metrics__free(m->metrics);
	free(m->doms);
	free(m->meta);
	free(m);
}
