// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace monitor: the long-running mode for test farms. Wires an event
 * source (live capture or --input, followed as it grows) to the engine, and
 * the engine's findings to a JSONL findings log, Prometheus metrics (HTTP
 * endpoint and/or node-exporter textfile), per-period KTAP/LAVA verdicts on
 * stdout, rotating recordings and incident snapshots. Everything it keeps is
 * bounded; see the module headers monitor_*.h.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "commands.h"
#include "coverage.h"
#include "engine.h"
#include "env.h"
#include "output.h"
#include "recording.h"
#include "event.h"
#include "monitor_bpf_stats.h"
#include "monitor_http.h"
#include "monitor_incident.h"
#include "monitor_input.h"
#include "monitor_metrics.h"
#include "monitor_rotate.h"
#include "monitor_verdict.h"
#include "sink.h"
#include "topology.h"

#define DEFAULT_LISTEN		"127.0.0.1:9464"
#define DEFAULT_PERIOD_NS	60000000000ull
#define DEFAULT_MAX_FILE	(64ull << 20)
#define DEFAULT_KEEP_FILES	10
#define DEFAULT_KEEP_BYTES	(1ull << 30)
/* findings echoed on stdout per period; all of them go to the findings log */
#define ECHO_PER_PERIOD		20
/* how many events between looks at the endpoint and the signals while busy */
#define SERVICE_EVERY		1024

enum {
	OPT_INPUT = OPT_CMD_BASE,
	OPT_FOLLOW,
	OPT_PERIOD,
	OPT_FINDINGS_LOG,
	OPT_TEXTFILE,
	OPT_LISTEN,
	OPT_NO_LISTEN,
	OPT_RECORD_DIR,
	OPT_KEEP_FILES,
	OPT_KEEP_BYTES,
	OPT_MAX_FILE_BYTES,
	OPT_INCIDENT_DIR,
	OPT_INCIDENT_BEFORE,
	OPT_INCIDENT_AFTER,
	OPT_INCIDENT_EVENTS,
	OPT_MAX_INCIDENTS,
	OPT_DURATION,
	OPT_LAVA,
	OPT_BTF,
	OPT_ALL_GATES,
	OPT_RINGBUF,
	OPT_FORCE,
	OPT_SYSFS,
	OPT_KALLSYMS,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace monitor [OPTIONS]\n"
"\n"
"Run for days on a test-farm board: analyse every SMMU event as 'live' does,\n"
"with bounded memory and disk, and report to the lab:\n"
"  - stdout: KTAP, one test line per --period ('ok 3 period-3' or\n"
"    'not ok 3 period-3 # errors: ...'), findings as '#' diagnostics, and with\n"
"    --lava the LAVA test-case signals; the plan and a summary at the end;\n"
"  - a JSONL findings log (one finding per line, flushed at once);\n"
"  - Prometheus metrics on http://ADDR/metrics and/or a node-exporter textfile;\n"
"  - rotating recordings of every event, and incident snapshots (a recording\n"
"    and an HTML report around each period's first error).\n"
"Events come from the running kernel (needs root, like 'live'), or from\n"
"--input: a JSONL stream or a recording, '-' for stdin, followed as it grows\n"
"with --follow. Periods run on event time with --input, on wall time live.\n"
"SIGINT/SIGTERM (or --duration) end the run: last verdict, plan, summary.\n"
"SIGHUP reopens the findings log (for logrotate) and reloads --board; a\n"
"changed board restarts the analysis at that point (the log says so).\n"
"\n"
"Input:\n"
"  --input FILE|-        events from FILE (JSONL or recording) instead of live\n"
"  --follow              keep reading FILE as it grows (tail -f); without it\n"
"                        monitor ends at the end of the input\n"
"  --duration DUR        stop after DUR of wall time (default: until a signal)\n"
"  --btf FILE, --all-gates, --ringbuf SIZE   live capture, as in 'live'\n"
"  --force, --sysfs DIR, --kallsyms FILE     live capture, as in 'live': without\n"
"                        --force a blind spot (see 'smmutrace probe') is exit 3;\n"
"                        with it, its rules are not judged ('# not judged:' lines)\n"
"Verdicts:\n"
"  --period DUR          verdict period (default 60s)\n"
"  --lava                also print <LAVA_SIGNAL_TESTCASE ...> lines\n"
"  --fail-on LEVEL       a period fails with a finding at or above LEVEL\n"
"                        (error, the default, warning or never); also the\n"
"                        exit status: 1 when any period failed\n"
"Outputs:\n"
"  --findings-log FILE   append findings as JSONL (the 'replay --json' objects)\n"
"  --listen ADDR:PORT    serve /metrics here (default " DEFAULT_LISTEN "; port 0 =\n"
"                        any free port, printed at start)\n"
"  --no-listen           no HTTP endpoint\n"
"  --textfile FILE       write the metrics to FILE every period, atomically\n"
"                        (node_exporter --collector.textfile.directory; name it\n"
"                        *.prom)\n"
"Recordings:\n"
"  --record-dir DIR      record every event to DIR/monitor-NNNNNN.smt\n"
"  --max-file-bytes SIZE start a new file at SIZE (default 64M)\n"
"  --keep-files N        keep at most N files, the one being written included\n"
"                        (default 10)\n"
"  --keep-bytes SIZE     keep at most SIZE of closed files (default 1G); the\n"
"                        file being written is never deleted\n"
"Incidents:\n"
"  --incident-dir DIR    on a period's first error, write DIR/incident-NNN.smt\n"
"                        (the events around it) and incident-NNN.html\n"
"  --incident-before DUR window before the finding (default 5s)\n"
"  --incident-after DUR  window after it (default 1s)\n"
"  --incident-events N   events kept for the window before (default 10000)\n"
"  --max-incidents N     snapshots per run (default 10)\n"
"Analysis:\n"
ENV_HELP_BOARD
ENV_HELP_WINDOWS
"  SIZE is bytes with an optional K, M or G suffix.\n"
"\n"
"Exit status: 0 no period failed, 1 a period failed, 2 usage error or bad\n"
"input (after the verdict of what was read), 3 environment error.\n"
"\n"
"Examples:\n"
"  # on a lab board, under systemd (scripts/smmutrace-monitor.service):\n"
"  smmutrace monitor --board /etc/smmutrace/board.ini --period 300s \\\n"
"      --findings-log /var/log/smmutrace/findings.jsonl \\\n"
"      --textfile /var/lib/node_exporter/textfile/smmutrace.prom \\\n"
"      --record-dir /var/lib/smmutrace --keep-bytes 2G \\\n"
"      --incident-dir /var/lib/smmutrace/incidents\n"
"  # in a LAVA job, 10 minutes of the workload:\n"
"  smmutrace monitor --board board.ini --duration 600s --period 60s --lava\n"
"  # events collected elsewhere, appended to a file:\n"
"  smmutrace monitor --input /srv/board7/events.jsonl --follow --no-listen \\\n"
"      --textfile /var/lib/node_exporter/textfile/board7.prom\n"
"  curl -s http://127.0.0.1:9464/metrics | grep smmutrace_findings_total\n");
}

static volatile sig_atomic_t stop_flag, hup_flag;

static void on_stop(int sig)
{
	stop_flag = sig;
}

static void on_hup(int sig)
{
	hup_flag = 1;
}

struct mon {
	struct env env;
	/* options */
	const char *input, *log_path, *textfile, *listen, *record_dir, *incident_dir;
	bool follow, lava, live;
	uint64_t period_ns, duration_ns;
	struct rotator_opts ropts;
	struct incident_opts iopts;
	/* analysis */
	struct topology topo;
	bool topo_ready;
	struct engine *engine;
	char *board_text;		/* the board the analysis runs with */
	/* SPEC §9: rules a blind spot leaves unjudged (bit per rule), read by the engines */
	unsigned int not_judged;
	char nj_reasons[RULE_MAX][320];
	char *meta_extra;		/* live: {"blind":[...]} for the meta event, or NULL */
	const char *sysfs;
	bool force;
	/* outputs */
	struct output log_out;		/* --findings-log */
	FILE *log;			/* log_out.f */
	struct sink *log_sink;
	struct metrics *metrics;
	struct http_server *http;
	struct rotator *rot;
	bool rec_failed;
	bool log_failed;		/* --findings-log stopped taking writes */
	int out_failed;			/* an output failed: the exit status (3) */
	struct incidents *inc;
	struct capture *cap;		/* live: for the BPF run time */
	bool bpf_stats;
	struct metrics_domain *doms;
	size_t ndoms, doms_cap;
	/* verdicts */
	struct period period;
	bool period_open;
	uint64_t periods, periods_failed;
	uint64_t echoed;		/* findings echoed this period */
	enum severity fail_on;
	enum severity worst;
	uint64_t by_sev[3], lost;	/* whole run (the engine restarts on reload) */
	uint64_t start_wall;
	uint64_t since_service;
};

/* ---- analysis -------------------------------------------------------------- */

static void on_finding(const struct finding *f, void *ctx);

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return NULL;
	}
	/* board files are small; topology's loader rejects absurd ones */
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && len < (16u << 20))
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* topology from --dt and --board (or the board a recording carries) */
static int load_topology(struct mon *m, struct topology *t, const char *embedded, char **text_out)
{
	char err[1024];

	topology__init(t);
	*text_out = NULL;
	if (m->env.dt_dir && dt__discover(t, m->env.dt_dir, err, sizeof(err)))
		goto bad;
	if (m->env.board_path) {
		if (board__load(t, m->env.board_path, err, sizeof(err)))
			goto bad;
		*text_out = read_text(m->env.board_path);
	} else if (embedded && *embedded) {
		if (board__load_text(t, embedded, "<board in recording>", err, sizeof(err)))
			goto bad;
		*text_out = strdup(embedded);
	}
	return 0;
bad:
	pr_err("%s\n", err);
	topology__free(t);
	return -EINVAL;
}

static struct engine *new_engine(struct mon *m)
{
	struct engine_opts o = {
		.topo = &m->topo,
		.inval_window_ns = m->env.inval_window_ns,
		.fault_window_ns = m->env.fault_window_ns,
		.sync_slow_ns = m->env.sync_slow_ns,
		.on_finding = on_finding,
		.ctx = m,
		.not_judged = &m->not_judged,
	};

	return engine__new(&o);
}

/* SIGHUP: reopen the log; rebuild the analysis if the board file changed */
static void reload(struct mon *m, uint64_t ts)
{
	struct topology t;
	struct engine *e;
	char *text;

	hup_flag = 0;
	if (m->log) {
		struct output o;

		/* logrotate moved the old file away: append to a new one at the same path */
		if (!output__open(&o, m->log_path, "--findings-log", OUTPUT_APPEND)) {
			struct sink *ns = sink__new(o.f, true);

			if (ns) {
				sink__free(m->log_sink);
				if (output__close(&m->log_out) && !m->log_failed) {
					m->log_failed = true;	/* the old file's tail: said above */
					m->out_failed = EXIT_ENV;
				}
				m->log_out = o;
				m->log = o.f;
				m->log_sink = ns;
				m->log_failed = false;
			} else {
				output__abort(&o);
			}
		} else {
			pr_err("monitor: SIGHUP: --findings-log: still writing the old file\n");
		}
	}
	if (!m->env.board_path || !m->engine)
		return;
	if (load_topology(m, &t, NULL, &text)) {
		pr_err("monitor: SIGHUP: the board file has errors (above); still running with "
		       "the previous board\n");
		return;
	}
	if (text && m->board_text && !strcmp(text, m->board_text)) {
		pr_info("monitor: SIGHUP: board %s unchanged; analysis continues\n",
			m->env.board_path);
		topology__free(&t);
		free(text);
		return;
	}
	/* the engine holds pointers into its topology: replace both together */
	engine__free(m->engine);
	topology__free(&m->topo);
	m->topo = t;
	free(m->board_text);
	m->board_text = text;
	e = new_engine(m);
	if (!e) {
		pr_err("monitor: out of memory rebuilding the analysis\n");
		exit(EXIT_ENV);
	}
	m->engine = e;
	if (m->inc)
		incidents__set_topology(m->inc, &m->topo);
	{
		struct smt_event meta;

		/* mappings made before now are unknown to the new engine */
		event__init(&meta, SMT_EV_META, ts);
		meta.present |= SMT_HAS_SINCE_BOOT;
		meta.since_boot = 0;
		engine__feed(m->engine, &meta);
	}
	metrics__add(m->metrics, MET_RELOADS, 1);
	pr_info("monitor: SIGHUP: board %s reloaded; the analysis restarted "
		"at ts %" PRIu64 " (gate states and mappings before it are unknown to it)\n",
		m->env.board_path, ts);
	printf("# board reloaded at ts %" PRIu64 ": analysis restarted\n", ts);
	fflush(stdout);
}

/* ---- metrics ------------------------------------------------------------- */

static void collect_domain(const struct engine_domain_info *d, void *ctx)
{
	struct mon *m = ctx;

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
	struct mon *m = ctx;
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
	if (m->cap && m->bpf_stats) {
		static struct metrics_bpf_prog progs[METRICS_MAX_BPF_PROGS];

		metrics__set_bpf(m->metrics, progs,
				 bpf_stats__collect(m->cap, progs, METRICS_MAX_BPF_PROGS));
	}
	return metrics__write(m->metrics, f, m->doms, m->ndoms);
}

/*
 * node_exporter must never see half a file: a regular file is replaced
 * atomically (output.c). A failure is reported once, and the run ends with
 * exit 3: a farm must not run on without metrics and never know.
 */
static int write_textfile(struct mon *m)
{
	struct output o;
	int rc;

	if (!m->textfile)
		return 0;
	rc = output__open(&o, m->textfile, "--textfile", OUTPUT_REPLACE);
	if (!rc) {
		if (render(m, o.f) && !output__failed(o.f)) {
			output__abort(&o);
			pr_err("%s: --textfile: out of memory\n", m->textfile);
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
static void check_log(struct mon *m)
{
	int err;

	if (!m->log || m->log_failed || !output__failed(m->log))
		return;
	err = output__error(&m->log_out);
	m->log_failed = true;
	m->out_failed = EXIT_ENV;
	pr_err("%s: --findings-log: write failed: %s; findings are no longer logged, the "
	       "analysis goes on and the run will exit 3\n", m->log_path,
	       strerror(err ? err : EIO));
}

/* ---- verdicts ------------------------------------------------------------ */

static void close_period(struct mon *m, uint64_t end_ts)
{
	char line[2048];

	if (!m->period_open)
		return;
	m->period.end_ts = end_ts;
	if (m->echoed > ECHO_PER_PERIOD)
		printf("# %" PRIu64 " more findings in period %" PRIu64 " (all are in the findings "
		       "log)\n", m->echoed - ECHO_PER_PERIOD, m->period.n);
	period__format(&m->period, m->fail_on, m->lava, line, sizeof(line));
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

static void open_period(struct mon *m, uint64_t start_ts)
{
	period__reset(&m->period, m->periods + 1, start_ts);
	m->period_open = true;
	m->echoed = 0;
}

/* Period boundaries on the clock T (event time or wall). */
static void roll_periods(struct mon *m, uint64_t t)
{
	if (!m->period_open) {
		open_period(m, t);
		return;
	}
	if (t < m->period.start_ts + m->period_ns)
		return;
	{
		uint64_t start = m->period.start_ts + m->period_ns;

		close_period(m, start);
		/* periods without events are not reported: the next one holds T */
		start += (t - start) / m->period_ns * m->period_ns;
		open_period(m, start);
	}
}

static void on_finding(const struct finding *f, void *ctx)
{
	struct mon *m = ctx;

	metrics__finding(m->metrics, f);
	if (!m->period_open)
		open_period(m, f->ts);
	period__finding(&m->period, f);
	if (f->severity > m->worst)
		m->worst = f->severity;
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

/* ---- events -------------------------------------------------------------- */

static void service(struct mon *m, uint64_t ts)
{
	if (m->http)
		http_server__run_for(m->http, 0);
	if (hup_flag)
		reload(m, ts);
	if (m->duration_ns && capture__now() - m->start_wall >= m->duration_ns)
		stop_flag = SIGALRM;
}

/* blind spots (a meta object's "blind", coverage.h): their rules are not judged from here on */
static void take_blind(struct mon *m, const struct cov_blind *b, int n)
{
	unsigned int before = m->not_judged;

	coverage__not_judged(b, n, &m->not_judged, m->nj_reasons);
	for (int r = 0; r < RULE_MAX; r++)
		if ((m->not_judged & ~before) & (1u << r))
			printf("# not judged: %s (%s)\n", rule__name(r), m->nj_reasons[r]);
}

static void process(struct mon *m, const struct smt_event *ev, const char *meta_extra)
{
	if (ev->type == SMT_EV_META && meta_extra) {
		struct cov_blind b[COV_MAX_BLIND];

		take_blind(m, b, coverage__blind_from_meta(meta_extra, b, COV_MAX_BLIND));
	}
	if (!m->live)
		roll_periods(m, ev->ts);
	metrics__event(m->metrics, ev);
	if (ev->type == SMT_EV_LOST)
		m->lost += ev->count;
	metrics__set(m->metrics, MET_LAST_EVENT_TS, ev->ts);
	if (m->rot && !m->rec_failed) {
		char err[4200];

		if (rotator__write(m->rot, ev, ev->type == SMT_EV_META ? meta_extra : NULL, err,
				   sizeof(err))) {
			pr_err("monitor: --record-dir: %s; recording stopped, the analysis goes on\n", err);
			m->rec_failed = true;
		}
	}
	if (m->inc)
		incidents__event(m->inc, ev, meta_extra);
	engine__feed(m->engine, ev);
	if (++m->since_service >= SERVICE_EVERY) {
		m->since_service = 0;
		service(m, ev->ts);
	}
}

/* input wait hook: serve the endpoint while the input has nothing new */
static int input_wait(void *ctx, int fd, int timeout_ms)
{
	struct mon *m = ctx;
	struct pollfd p[HTTP_MAX_POLLFDS + 1];
	int n = 0, ready = 0;

	if (stop_flag)
		return -1;
	if (hup_flag)
		reload(m, metrics__get(m->metrics, MET_LAST_EVENT_TS));
	if (m->duration_ns) {
		uint64_t el = capture__now() - m->start_wall;

		if (el >= m->duration_ns) {
			stop_flag = SIGALRM;
			return -1;
		}
		if ((m->duration_ns - el) / 1000000 < (uint64_t)timeout_ms)
			timeout_ms = (int)((m->duration_ns - el) / 1000000) + 1;
	}
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
	if (stop_flag)
		return -1;
	return ready;
}

static int run_input(struct mon *m, struct mon_input *in)
{
	struct cov_blind b[COV_MAX_BLIND];
	struct smt_event ev;
	int rc;

	/* a recording's header says what its capture could not see */
	take_blind(m, b, coverage__blind_from_meta(mon_input__meta_json(in), b, COV_MAX_BLIND));
	while (!stop_flag && (rc = mon_input__next(in, &ev)) == 1)
		process(m, &ev, mon_input__meta_extra(in));
	if (stop_flag)
		rc = 0;
	if (rc < 0) {
		pr_err("%s\n", mon_input__error(in));
		pr_err("monitor: stopping at the bad input above; the events before it were "
		       "analysed\n");
		return EXIT_INPUT;
	}
	if (mon_input__partial(in))
		pr_info("monitor: %s: the last %zu bytes were not a whole line "
			"yet when monitor stopped; not analysed\n", mon_input__name(in),
			mon_input__partial(in));
	return 0;
}

/* ---- live capture ---------------------------------------------------------- */

static void live_event(const struct smt_event *ev, void *ctx)
{
	struct mon *m = ctx;

	process(m, ev, ev->type == SMT_EV_META ? m->meta_extra : NULL);
}

static int run_live(struct mon *m, struct capture_opts *copts)
{
	struct smt_event evs[256];
	struct capture *c;
	struct coverage *cov;
	char err[1024];
	uint64_t t0 = capture__now();
	int n, rc = 0;

	if (capture__open(&c, copts, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_ENV;
	}
	/* SPEC §9: no findings from a blind spot; with --force its rules are not judged */
	err[0] = 0;
	cov = malloc(sizeof(*cov));
	if (!cov || coverage__judge(cov, capture__hooks(c), m->sysfs ? m->sysfs : "/sys", &m->topo,
				    false, err, sizeof(err)) ||
	    coverage__refuse(cov, "monitor", m->force)) {
		if (!cov || err[0])
			pr_err("%s\n", cov ? err : "out of memory");
		free(cov);
		capture__free(c);
		return EXIT_ENV;
	}
	m->meta_extra = cov->nblind ? coverage__meta_extra(cov) : NULL;
	free(cov);
	m->cap = c;
	m->bpf_stats = bpf_stats__enabled();
	printf("# BPF run time: %s\n", m->bpf_stats ? "exported (kernel.bpf_stats_enabled=1)" :
	       "not counted by the kernel (sysctl kernel.bpf_stats_enabled=1 to export it)");
	fflush(stdout);
	n = capture_state__read(&m->topo, "", t0, evs, 256);
	if (n < 0)
		pr_err("monitor: reading the initial gate states failed; they start unknown\n");
	for (int i = 0; i < n; i++)
		capture__inject(c, &evs[i]);
	while (!stop_flag) {
		uint64_t now;

		rc = capture__poll(c, 100, live_event, m);
		if (rc == -EINTR)
			rc = 0;
		if (rc)
			break;
		service(m, metrics__get(m->metrics, MET_LAST_EVENT_TS));
		now = capture__now();
		if (!stop_flag)
			roll_periods(m, now);
	}
	capture__drain(c, live_event, m);
	m->cap = NULL;
	capture__free(c);
	if (rc) {
		pr_err("monitor: ring buffer: %s\n", strerror(-rc));
		return EXIT_ENV;
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------- */

/* recording header metadata: the source's, else the board and where events came from */
static char *make_meta(struct mon *m, const char *src_meta)
{
	struct json_object *o = src_meta ? json_tokener_parse(src_meta) : NULL;
	char *s;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
	}
	if (m->board_text)
		json_object_object_add(o, "board", json_object_new_string(m->board_text));
	json_object_object_add(o, "monitor_source", json_object_new_string(m->input ? m->input : "live"));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int parse_count(const char *opt, const char *arg, uint64_t *v, uint64_t min)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *v < min || *v > 1000000000ull) {
		pr_err("monitor: --%s: '%s' is not a number >= %" PRIu64 "\n", opt, arg, min);
		return -EINVAL;
	}
	return 0;
}

static int parse_size(const char *opt, const char *arg, uint64_t *v)
{
	if (capture__parse_size(arg, v) || !*v) {
		pr_err("monitor: --%s: '%s' is not a size (bytes with an optional K, M or G, "
		       "e.g. 64M)\n", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_dur(const char *opt, const char *arg, uint64_t *v)
{
	return env__duration_opt(opt, arg, v, false) ? -EINVAL : 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	/* no SA_RESTART: a blocked poll returns and the loop looks at the flags */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int parse_args(struct mon *m, struct capture_opts *copts, int argc, char **argv)
{
	static const struct option longopts[] = {
		ENV_COMMON_LONGOPTS,
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "period", required_argument, NULL, OPT_PERIOD },
		{ "findings-log", required_argument, NULL, OPT_FINDINGS_LOG },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "no-listen", no_argument, NULL, OPT_NO_LISTEN },
		{ "record-dir", required_argument, NULL, OPT_RECORD_DIR },
		{ "keep-files", required_argument, NULL, OPT_KEEP_FILES },
		{ "keep-bytes", required_argument, NULL, OPT_KEEP_BYTES },
		{ "max-file-bytes", required_argument, NULL, OPT_MAX_FILE_BYTES },
		{ "incident-dir", required_argument, NULL, OPT_INCIDENT_DIR },
		{ "incident-before", required_argument, NULL, OPT_INCIDENT_BEFORE },
		{ "incident-after", required_argument, NULL, OPT_INCIDENT_AFTER },
		{ "incident-events", required_argument, NULL, OPT_INCIDENT_EVENTS },
		{ "max-incidents", required_argument, NULL, OPT_MAX_INCIDENTS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "lava", no_argument, NULL, OPT_LAVA },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "all-gates", no_argument, NULL, OPT_ALL_GATES },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "sysfs", required_argument, NULL, OPT_SYSFS },
		{ "kallsyms", required_argument, NULL, OPT_KALLSYMS },
		{ "ringbuf", required_argument, NULL, OPT_RINGBUF },
		{ 0 },
	};
	bool no_listen = false;
	uint64_t v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case OPT_INPUT: m->input = optarg; continue;
		case OPT_FOLLOW: m->follow = true; continue;
		case OPT_PERIOD:
			if (parse_dur("period", optarg, &m->period_ns))
				return -1;
			continue;
		case OPT_FINDINGS_LOG: m->log_path = optarg; continue;
		case OPT_TEXTFILE: m->textfile = optarg; continue;
		case OPT_LISTEN: m->listen = optarg; continue;
		case OPT_NO_LISTEN: no_listen = true; continue;
		case OPT_RECORD_DIR: m->record_dir = optarg; continue;
		case OPT_KEEP_FILES:
			if (parse_count("keep-files", optarg, &m->ropts.keep_files, 1))
				return -1;
			continue;
		case OPT_KEEP_BYTES:
			if (parse_size("keep-bytes", optarg, &m->ropts.keep_bytes))
				return -1;
			continue;
		case OPT_MAX_FILE_BYTES:
			if (parse_size("max-file-bytes", optarg, &m->ropts.max_file_bytes))
				return -1;
			continue;
		case OPT_INCIDENT_DIR: m->incident_dir = optarg; continue;
		case OPT_INCIDENT_BEFORE:
			if (parse_dur("incident-before", optarg, &m->iopts.before_ns))
				return -1;
			continue;
		case OPT_INCIDENT_AFTER:
			if (parse_dur("incident-after", optarg, &m->iopts.after_ns))
				return -1;
			continue;
		case OPT_INCIDENT_EVENTS:
			if (parse_count("incident-events", optarg, &v, 1) || v > 1000000) {
				pr_err("monitor: --incident-events: at most 1000000\n");
				return -1;
			}
			m->iopts.ring_events = v;
			m->iopts.after_events = v;
			continue;
		case OPT_MAX_INCIDENTS:
			if (parse_count("max-incidents", optarg, &v, 1))
				return -1;
			m->iopts.max_incidents = (unsigned)v;
			continue;
		case OPT_DURATION:
			if (parse_dur("duration", optarg, &m->duration_ns))
				return -1;
			continue;
		case OPT_LAVA: m->lava = true; continue;
		case OPT_BTF: copts->btf_path = optarg; continue;
		case OPT_ALL_GATES: copts->all_gates = true; continue;
		case OPT_FORCE: m->force = true; continue;
		case OPT_SYSFS: m->sysfs = optarg; continue;
		case OPT_KALLSYMS: copts->kallsyms_path = optarg; continue;
		case OPT_RINGBUF:
			if (capture__parse_size(optarg, &v) || v < 4096 || (v & (v - 1))) {
				pr_err("monitor: --ringbuf: '%s' is not a power of two >= 4096\n", optarg);
				return -1;
			}
			/* BPF_MAP_TYPE_RINGBUF max_entries is a u32: a usage error, not a load failure */
			if (v > (1ull << 31)) {
				pr_err("monitor: --ringbuf: '%s' is over 2G, the largest ring buffer the kernel "
				       "takes\n", optarg);
				return -1;
			}
			copts->ringbuf_bytes = v;
			continue;
		}
		rc = env__parse_common(&m->env, c, optarg);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			env__bad_option("monitor");
			return -1;
		}
	}
	if (optind < argc) {
		pr_err("monitor: unexpected argument '%s' (the input is given with --input FILE); "
		       "see 'smmutrace monitor --help'\n", argv[optind]);
		return -1;
	}
	if (m->env.json) {
		pr_err("monitor: --json: stdout carries the KTAP verdicts; findings go to "
		       "--findings-log FILE as JSONL\n");
		return -1;
	}
	if (m->follow && !m->input) {
		pr_err("monitor: --follow reads a growing --input FILE: add --input\n");
		return -1;
	}
	if (no_listen && m->listen) {
		pr_err("monitor: --listen and --no-listen: choose one\n");
		return -1;
	}
	if (!no_listen && !m->listen)
		m->listen = DEFAULT_LISTEN;
	if (no_listen)
		m->listen = NULL;
	if (!m->record_dir && (m->ropts.keep_files || m->ropts.keep_bytes || m->ropts.max_file_bytes)) {
		pr_err("monitor: --keep-files/--keep-bytes/--max-file-bytes limit --record-dir: add it\n");
		return -1;
	}
	m->live = !m->input;
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon *m = calloc(1, sizeof(*m));
	struct capture_opts copts = { 0 };
	struct mon_input *in = NULL;
	char err[4200], *embedded = NULL, *meta = NULL, period[32];
	int status = EXIT_OK, rc;

	if (!m) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	env__init(&m->env);
	m->period_ns = DEFAULT_PERIOD_NS;
	m->iopts.before_ns = 5000000000ull;
	m->iopts.after_ns = 1000000000ull;
	m->iopts.ring_events = m->iopts.after_events = 10000;
	m->iopts.max_incidents = 10;
	stop_flag = hup_flag = 0;
	rc = parse_args(m, &copts, argc, argv);
	if (rc) {
		free(m);
		return rc > 0 ? EXIT_OK : EXIT_INPUT;
	}
	m->fail_on = m->env.fail_never ? SEV_NONE : m->env.fail_on;
	if (m->record_dir) {
		if (!m->ropts.max_file_bytes)
			m->ropts.max_file_bytes = DEFAULT_MAX_FILE;
		if (!m->ropts.keep_files)
			m->ropts.keep_files = DEFAULT_KEEP_FILES;
		if (!m->ropts.keep_bytes)
			m->ropts.keep_bytes = DEFAULT_KEEP_BYTES;
		m->ropts.dir = m->record_dir;
	}
	install_signals();
	m->start_wall = capture__now();
	m->metrics = metrics__new();
	if (!m->metrics) {
		pr_err("out of memory\n");
		status = EXIT_ENV;
		goto out;
	}
	/* the endpoint first: it answers while --follow waits for the first bytes */
	if (m->listen && http_server__new(&m->http, m->listen, render, m, err, sizeof(err))) {
		pr_err("monitor: %s\n", err);
		status = strstr(err, "is not ADDR:PORT") ? EXIT_INPUT : EXIT_ENV;
		goto out;
	}
	env__fmt_duration(m->period_ns, period, sizeof(period));
	printf("KTAP version 1\n# smmutrace monitor %s: %s, period %s (%s time)\n",
	       SMMUTRACE_VERSION, m->input ? (m->follow ? "following input" : "input") : "live capture",
	       period, m->live ? "wall" : "event");
	if (m->http)
		printf("# metrics: http://%s/metrics\n", http_server__addr(m->http));
	fflush(stdout);
	if (m->input) {
		if (mon_input__open(&in, m->input, m->follow, input_wait, m, err, sizeof(err))) {
			pr_err("%s\n", err);
			status = EXIT_INPUT;
			goto out;
		}
		embedded = recording__meta_board(mon_input__meta_json(in));
	} else if (!m->env.dt_dir && !access("/proc/device-tree", R_OK)) {
		m->env.dt_dir = "/proc/device-tree";	/* SPEC §4, as live does */
	}
	if (load_topology(m, &m->topo, embedded, &m->board_text)) {
		status = EXIT_INPUT;
		goto out;
	}
	m->topo_ready = true;
	m->engine = new_engine(m);
	if (!m->engine) {
		pr_err("out of memory\n");
		status = EXIT_ENV;
		goto out;
	}
	if (m->log_path) {
		status = output__open(&m->log_out, m->log_path, "--findings-log", OUTPUT_APPEND);
		if (status)
			goto out;
		m->log = m->log_out.f;
		m->log_sink = sink__new(m->log, true);
		if (!m->log_sink) {
			pr_err("out of memory\n");
			status = EXIT_ENV;
			goto out;
		}
	}
	meta = make_meta(m, in ? mon_input__meta_json(in) : NULL);
	if (m->record_dir) {
		m->ropts.meta_json = meta;
		if (rotator__new(&m->rot, &m->ropts, err, sizeof(err))) {
			pr_err("monitor: %s\n", err);
			status = EXIT_ENV;
			goto out;
		}
	}
	if (m->incident_dir) {
		m->iopts.dir = m->incident_dir;
		m->iopts.meta_json = meta;
		m->iopts.topo = &m->topo;
		m->iopts.engine = (struct engine_opts){
			.inval_window_ns = m->env.inval_window_ns,
			.fault_window_ns = m->env.fault_window_ns,
			.sync_slow_ns = m->env.sync_slow_ns,
			.not_judged = &m->not_judged,
		};
		if (incidents__new(&m->inc, &m->iopts, err, sizeof(err))) {
			pr_err("monitor: %s\n", err);
			status = EXIT_ENV;
			goto out;
		}
	}

	/* a textfile that cannot be written fails now, not after a day of running */
	if (write_textfile(m)) {
		status = EXIT_ENV;
		goto out;
	}
	if (m->input) {
		status = run_input(m, in);
	} else {
		copts.topo = &m->topo;
		open_period(m, capture__now());
		status = run_live(m, &copts);
	}
	engine__finish(m->engine);	/* windows that passed by the last event */
	if (m->inc)
		incidents__finish(m->inc);
	if (m->rot && rotator__close(m->rot))
		pr_err("monitor: --record-dir: closing the last recording failed (disk full?)\n");
	close_period(m, m->live ? capture__now() : metrics__get(m->metrics, MET_LAST_EVENT_TS));
	printf("1..%" PRIu64 "\n", m->periods);
	{
		struct engine_summary s;
		struct rotator_stats rs = { 0 };

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
	}
	fflush(stdout);
	if (stop_flag && stop_flag != SIGALRM)
		pr_info("monitor: stopped by signal %d\n", (int)stop_flag);
	if (!status)
		status = m->periods_failed ? EXIT_FINDINGS : EXIT_OK;
	if (!status && m->rec_failed)
		status = EXIT_ENV;
	if (status < EXIT_INPUT && m->out_failed)
		status = m->out_failed;	/* a lost output outweighs the findings */
out:
	mon_input__close(in);
	incidents__free(m->inc);
	rotator__free(m->rot);
	http_server__free(m->http);
	sink__free(m->log_sink);
	if (m->log_failed)
		output__abort(&m->log_out);	/* already said */
	else if (output__close(&m->log_out) && status < EXIT_INPUT)
		status = EXIT_ENV;
	engine__free(m->engine);
	if (m->topo_ready)
		topology__free(&m->topo);
	metrics__free(m->metrics);
	free(m->doms);
	free(m->board_text);
	free(embedded);
	free(meta);
	free(m->meta_extra);
	free(m);
	return status;
}
