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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "commands.h"
#include "coverage.h"
#include "env.h"
#include "monitor.h"
#include "monitor_bpf_stats.h"
#include "monitor_input.h"

#define DEFAULT_LISTEN		"127.0.0.1:9464"
#define DEFAULT_PERIOD_NS	60000000000ull
#define DEFAULT_MAX_FILE	(64ull << 20)
#define DEFAULT_KEEP_FILES	10
#define DEFAULT_KEEP_BYTES	(1ull << 30)

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

static volatile sig_atomic_t hup_flag;

static void on_hup(int sig)
{
	hup_flag = 1;
}

/* the wiring: options that are not the monitor's, and why the run stops */
struct mon_run {
	struct monitor_opts mo;
	struct monitor *m;
	struct capture_opts copts;
	struct capture_start_opts so;
	bool follow;
	uint64_t duration_ns, start_wall;
	bool duration_over;
	char *meta_extra;		/* live: {"blind":[...]} for the meta event, or NULL */
};

static bool stopping(const struct mon_run *r)
{
	return capture__stop_signal() || r->duration_over;
}

/* between events while busy, and while waiting: SIGHUP and --duration */
static void on_busy(void *ctx)
{
	struct mon_run *r = ctx;

	if (hup_flag) {
		hup_flag = 0;
		monitor__reload(r->m);
	}
	if (r->duration_ns && capture__now() - r->start_wall >= r->duration_ns)
		r->duration_over = true;
}

/* ---- --input ----------------------------------------------------------------- */

/* input wait hook: serve the endpoint while the input has nothing new */
static int input_wait(void *ctx, int fd, int timeout_ms)
{
	struct mon_run *r = ctx;
	int ready;

	on_busy(r);
	if (stopping(r))
		return -1;
	if (r->duration_ns) {
		uint64_t left = r->duration_ns - (capture__now() - r->start_wall);

		if (left / 1000000 < (uint64_t)timeout_ms)
			timeout_ms = (int)(left / 1000000) + 1;
	}
	ready = monitor__wait(r->m, fd, timeout_ms);
	return stopping(r) ? -1 : ready;
}

static int run_input(struct mon_run *r, struct mon_input *in)
{
	struct smt_event ev;
	int rc;

	while (!stopping(r) && (rc = mon_input__next(in, &ev)) == 1)
		monitor__feed(r->m, &ev, mon_input__meta_extra(in));
	if (stopping(r))
		rc = 0;
	if (rc < 0) {
		pr_err("%s\n", mon_input__error(in));
		pr_err("monitor: stopping at the bad input above; the events before it were "
		       "analysed\n");
		return EXIT_INPUT;
	}
	if (mon_input__partial(in))
		pr_info("monitor: %s: the last %zu bytes were not a whole line yet when monitor "
			"stopped; not analysed\n", mon_input__name(in), mon_input__partial(in));
	return 0;
}

/* ---- live capture ---------------------------------------------------------- */

static void live_event(const struct smt_event *ev, void *ctx)
{
	struct mon_run *r = ctx;

	monitor__feed(r->m, ev, r->meta_extra);
}

static bool live_idle(void *ctx, uint64_t now)
{
	struct mon_run *r = ctx;

	monitor__wait(r->m, -1, 0);
	on_busy(r);
	if (stopping(r))
		return false;
	monitor__tick(r->m, now);
	return true;
}

/* the metrics' BPF run time, read from the capture's programs (monitor_bpf_stats.c) */
static size_t live_bpf_stats(void *ctx, struct metrics_bpf_prog *out, size_t max)
{
	struct capture_prog progs[METRICS_MAX_BPF_PROGS];

	return bpf_stats__collect(progs, capture__progs(ctx, progs, METRICS_MAX_BPF_PROGS), out,
				  max);
}

static int run_live(struct mon_run *r)
{
	struct capture_loop loop = { .fn = live_event, .on_idle = live_idle, .ctx = r };
	struct coverage *cov;
	struct capture *c;
	bool bpf;
	int rc;

	r->copts.topo = monitor__topology(r->m);
	rc = capture__start(&c, &r->copts, &r->so, &cov);
	if (rc)
		return rc;
	r->meta_extra = cov->nblind ? coverage__meta_extra(cov) : NULL;
	free(cov);
	bpf = bpf_stats__enabled();
	printf("# BPF run time: %s\n", bpf ? "exported (kernel.bpf_stats_enabled=1)" :
	       "not counted by the kernel (sysctl kernel.bpf_stats_enabled=1 to export it)");
	fflush(stdout);
	monitor__set_bpf_stats(r->m, bpf ? live_bpf_stats : NULL, c);
	/*
	 * --duration and the first period count from here, once the programs are
	 * attached, as live and record count theirs: a slow load (a busy machine)
	 * must not eat the capture's time
	 */
	r->start_wall = capture__now();
	monitor__tick(r->m, r->start_wall);
	rc = capture__run(c, &loop);
	monitor__set_bpf_stats(r->m, NULL, NULL);
	capture__free(c);
	if (rc) {
		pr_err("monitor: ring buffer: %s\n", strerror(-rc));
		return EXIT_ENV;
	}
	return 0;
}

/* ---- setup ------------------------------------------------------------------- */

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

static int parse_args(struct mon_run *r, int argc, char **argv)
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
		CAPTURE_LONGOPTS,
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
		case OPT_INPUT: r->mo.input = optarg; continue;
		case OPT_FOLLOW: r->follow = true; continue;
		case OPT_PERIOD:
			if (parse_dur("period", optarg, &r->mo.period_ns))
				return -1;
			continue;
		case OPT_FINDINGS_LOG: r->mo.findings_log = optarg; continue;
		case OPT_TEXTFILE: r->mo.textfile = optarg; continue;
		case OPT_LISTEN: r->mo.listen = optarg; continue;
		case OPT_NO_LISTEN: no_listen = true; continue;
		case OPT_RECORD_DIR: r->mo.record.dir = optarg; continue;
		case OPT_KEEP_FILES:
			if (parse_count("keep-files", optarg, &r->mo.record.keep_files, 1))
				return -1;
			continue;
		case OPT_KEEP_BYTES:
			if (parse_size("keep-bytes", optarg, &r->mo.record.keep_bytes))
				return -1;
			continue;
		case OPT_MAX_FILE_BYTES:
			if (parse_size("max-file-bytes", optarg, &r->mo.record.max_file_bytes))
				return -1;
			continue;
		case OPT_INCIDENT_DIR: r->mo.incidents.dir = optarg; continue;
		case OPT_INCIDENT_BEFORE:
			if (parse_dur("incident-before", optarg, &r->mo.incidents.before_ns))
				return -1;
			continue;
		case OPT_INCIDENT_AFTER:
			if (parse_dur("incident-after", optarg, &r->mo.incidents.after_ns))
				return -1;
			continue;
		case OPT_INCIDENT_EVENTS:
			if (parse_count("incident-events", optarg, &v, 1) || v > 1000000) {
				pr_err("monitor: --incident-events: at most 1000000\n");
				return -1;
			}
			r->mo.incidents.ring_events = v;
			r->mo.incidents.after_events = v;
			continue;
		case OPT_MAX_INCIDENTS:
			if (parse_count("max-incidents", optarg, &v, 1))
				return -1;
			r->mo.incidents.max_incidents = (unsigned)v;
			continue;
		case OPT_DURATION:
			if (parse_dur("duration", optarg, &r->duration_ns))
				return -1;
			continue;
		case OPT_LAVA: r->mo.lava = true; continue;
		}
		rc = capture__parse_opt(&r->copts, &r->so, "monitor", c, optarg);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		rc = env__parse_common(&r->mo.env, c, optarg);
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
	if (r->mo.env.json) {
		pr_err("monitor: --json: stdout carries the KTAP verdicts; findings go to "
		       "--findings-log FILE as JSONL\n");
		return -1;
	}
	if (r->follow && !r->mo.input) {
		pr_err("monitor: --follow reads a growing --input FILE: add --input\n");
		return -1;
	}
	if (no_listen && r->mo.listen) {
		pr_err("monitor: --listen and --no-listen: choose one\n");
		return -1;
	}
	if (!no_listen && !r->mo.listen)
		r->mo.listen = DEFAULT_LISTEN;
	if (no_listen)
		r->mo.listen = NULL;
	if (!r->mo.record.dir && (r->mo.record.keep_files || r->mo.record.keep_bytes || r->mo.record.max_file_bytes)) {
		pr_err("monitor: --keep-files/--keep-bytes/--max-file-bytes limit --record-dir: add it\n");
		return -1;
	}
	r->mo.live = !r->mo.input;
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon_run r = { 0 };
	struct mon_input *in = NULL;
	char err[4200], period[32];
	int status, rc;

	env__init(&r.mo.env);
	r.mo.period_ns = DEFAULT_PERIOD_NS;
	r.mo.incidents.before_ns = 5000000000ull;
	r.mo.incidents.after_ns = 1000000000ull;
	r.mo.incidents.ring_events = r.mo.incidents.after_events = 10000;
	r.mo.incidents.max_incidents = 10;
	r.so.cmd = "monitor";
	rc = parse_args(&r, argc, argv);
	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_INPUT;
	if (r.mo.record.dir) {
		if (!r.mo.record.max_file_bytes)
			r.mo.record.max_file_bytes = DEFAULT_MAX_FILE;
		if (!r.mo.record.keep_files)
			r.mo.record.keep_files = DEFAULT_KEEP_FILES;
		if (!r.mo.record.keep_bytes)
			r.mo.record.keep_bytes = DEFAULT_KEEP_BYTES;
	}
	if (r.mo.live)
		env__live_dt(&r.mo.env);
	r.mo.on_busy = on_busy;
	r.mo.ctx = &r;
	/* no SA_RESTART: a blocked poll returns and the loop looks at the flags */
	capture__catch_signals();
	{
		struct sigaction sa = { .sa_handler = on_hup };

		sigaction(SIGHUP, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	r.start_wall = capture__now();
	/* the endpoint first: it answers while --follow waits for the first bytes */
	status = monitor__new(&r.m, &r.mo);
	if (status)
		return status;
	env__fmt_duration(r.mo.period_ns, period, sizeof(period));
	printf("KTAP version 1\n# smmutrace monitor %s: %s, period %s (%s time)\n",
	       SMMUTRACE_VERSION, r.mo.input ? (r.follow ? "following input" : "input") :
	       "live capture", period, r.mo.live ? "wall" : "event");
	if (monitor__listen_addr(r.m))
		printf("# metrics: http://%s/metrics\n", monitor__listen_addr(r.m));
	fflush(stdout);
	if (r.mo.input && mon_input__open(&in, r.mo.input, r.follow, input_wait, &r, err,
					  sizeof(err))) {
		pr_err("%s\n", err);
		status = EXIT_INPUT;
		goto out;
	}
	status = monitor__open(r.m, in ? mon_input__meta_json(in) : NULL);
	if (status)
		goto out;
	if (in) {
		status = run_input(&r, in);
	} else {
		status = run_live(&r);
	}
	status = monitor__finish(r.m, status, r.mo.live ? capture__now() : 0);
	if (capture__stop_signal())
		pr_info("monitor: stopped by signal %d\n", capture__stop_signal());
out:
	mon_input__close(in);
	monitor__free(r.m);
	free(r.meta_extra);
	return status;
}
