// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace report: an incident report from a recording or JSONL stream.
 * Wires a source, the engine and the report model (report.h), then the
 * serializers. The engine always sees the whole stream (findings depend on
 * history); the window only limits what the report shows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "coverage.h"
#include "engine.h"
#include "env.h"
#include "json_writer.h"
#include "output.h"
#include "recording.h"
#include "report.h"
#include "source.h"
#include "topology.h"
#include "whatif.h"

#define DEFAULT_AROUND_WINDOW_NS 1000000000ull	/* 1 s: a suspend/resume cycle or two */

enum {
	OPT_HTML = OPT_CMD_BASE,
	OPT_FORMAT,
	OPT_KCIDB,
	OPT_PERFETTO,
	OPT_FROM,
	OPT_TO,
	OPT_AROUND,
	OPT_WINDOW,
	OPT_POLICY,
};

static const struct option longopts[] = {
	{ "html", required_argument, NULL, OPT_HTML },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "kcidb", required_argument, NULL, OPT_KCIDB },
	{ "perfetto", required_argument, NULL, OPT_PERFETTO },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "around-finding", required_argument, NULL, OPT_AROUND },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "policy", required_argument, NULL, OPT_POLICY },
	ENV_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace report FILE [--html OUT] [--format text|markdown|json]\n"
"                        [--kcidb OUT] [--perfetto OUT]\n"
"                        [--from FROM] [--to TO] | [--around-finding N [--window DUR]]\n"
"                        [--policy P] [--board FILE]\n"
"\n"
"Write an incident report from a recording or a JSONL event stream (FILE, or -\n"
"for stdin): a verdict, the findings with their evidence events, a timeline\n"
"with one lane per TBU gate state and per SMMU and IOMMU domain, every\n"
"domain's IOVA lifetimes (map -> unmap -> invalidated -> synced, as the\n"
"analysis decided them: an unmap invalidated in parts is one lifetime per\n"
"part) coloured by hazard, sync-latency and IOVA-lifetime histograms, the\n"
"topology and the capture metadata (kernel, hook table, DMA mode, lost events).\n"
"\n"
"Outputs (any combination; with none, text goes to stdout):\n"
"  --html OUT            one self-contained HTML file (inline SVG timeline, no\n"
"                        network, no external resources): open it in a browser\n"
"  --format FMT          text (default), markdown (for tickets) or json, on stdout\n"
"                        (--json is --format json here)\n"
"  --kcidb OUT           KCIDB v5.3 JSON (checkout, build, tests, issues,\n"
"                        incidents; origin \"smmutrace\") for kcidb-submit\n"
"  --perfetto OUT        Chrome trace-event JSON: open it in ui.perfetto.dev\n"
"                        (gate states and mappings as slices, findings as instants)\n"
"\n"
"Zooming into an incident (the analysis still reads the whole capture):\n"
"  --from FROM, --to TO  show only events in [FROM, TO]. Both are event time: a\n"
"                        plain number is nanoseconds as in the stream's \"ts\";\n"
"                        with a unit (5120ms, 5s) it is absolute too; a leading +\n"
"                        makes it relative to the first event (+120ms)\n"
"  --around-finding N    centre the window on finding N (1 = first, as numbered\n"
"                        in the report); reads FILE twice, so not from stdin\n"
"  --window DUR          width of that window (default 1s)\n"
"\n"
"Two timelines (see 'smmutrace whatif --help'):\n"
"  --policy P            also judge the capture as if the driver had followed\n"
"                        policy P (defer-unmap, skip-tlbi, wake-tbu): HTML shows\n"
"                        its timeline and findings below the recorded ones on\n"
"                        the same time axis; text/markdown append the report\n"
"                        under the policy; json is {\"policy\", \"actual\",\n"
"                        \"under_policy\"}. Not with --kcidb or --perfetto. The\n"
"                        exit status is then that of the findings under P.\n"
"\n"
"Analysis options:\n"
ENV_HELP_BOARD
ENV_HELP_FAIL_ON
ENV_HELP_WINDOWS
"\n"
"Exit status: 0 no finding at or above --fail-on (default error), 1 such\n"
"findings (the report is written either way), 2 bad usage or bad input,\n"
"3 an output file cannot be written.\n"
"\n"
"Examples:\n"
"  smmutrace report cap.smt --html incident.html\n"
"  smmutrace report events.jsonl --board board.ini --format markdown > ticket.md\n"
"  smmutrace report cap.smt --around-finding 1 --window 200ms --html zoom.html\n"
"  smmutrace report cap.smt --kcidb kcidb.json --perfetto trace.json --fail-on never\n"
"  smmutrace report cap.smt --policy defer-unmap --html what-if.html\n");
}

struct window_arg {
	bool set, relative;
	uint64_t ns;
};

/* "123456789" (ns), "5120ms", "+120ms" */
static int parse_ts(const char *opt, const char *arg, struct window_arg *w)
{
	const char *s = arg;
	char *end;
	unsigned long long v;

	w->relative = *s == '+';
	if (w->relative)
		s++;
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (!errno && !*end) {
			w->ns = v;
			w->set = true;
			return 0;
		}
	}
	if (env__parse_duration(s, &w->ns) == 0) {
		w->set = true;
		return 0;
	}
	pr_err("--%s: '%s' is not a time: give nanoseconds (5120000000), a number with a unit\n"
	       "(5120ms, 5s) or an offset from the first event (+120ms)\n", opt, arg);
	return -1;
}

static int write_file(const char *path, const char *what, const struct report_model *m,
		      int (*fn)(const struct report_model *, FILE *))
{
	struct output o;
	struct stat st;
	char opt[32];
	long size;
	int err;

	snprintf(opt, sizeof(opt), "%s report", what);
	err = output__open(&o, path, opt, OUTPUT_REPLACE);
	if (err)
		return err;
	err = fn(m, o.f);
	if (err && !output__failed(o.f)) {
		/* not a write error (those close reports, naming the output) */
		output__abort(&o);
		pr_err("%s: %s report: %s\n", path, what, strerror(-err));
		return EXIT_ENV;
	}
	/* the size only means something for a file; a device or FIFO just took it */
	size = !fflush(o.f) && !o.is_stdout && fstat(o.fd, &st) == 0 && S_ISREG(st.st_mode) ?
	       (long)st.st_size : -1;
	err = output__close(&o);
	if (err)
		return err;
	if (size >= 0)
		printf("%s: %s report written (%ld KiB)\n", path, what, (size + 1023) / 1024);
	else if (!o.is_stdout)
		printf("%s: %s report written\n", path, what);
	return 0;
}

struct first_pass {
	uint64_t want, seen, ts;
	bool found;
};

static void count_finding(const struct finding *f, void *ctx)
{
	struct first_pass *p = ctx;

	if (++p->seen == p->want && !p->found) {
		p->found = true;
		p->ts = f->ts;
	}
}

struct run {
	const struct env *env;
	const char *path;
	struct topology topo;
	bool topo_ready;
	/* SPEC §9: rules the capture's blind spots leave unjudged (bit per rule) */
	unsigned int not_judged;
	char nj_reasons[RULE_MAX][320];
};

/* blind spots from a recording header or a meta event's free-form fields */
static void take_blind(struct run *run, const char *meta_json)
{
	struct cov_blind b[COV_MAX_BLIND];
	int n = coverage__blind_from_meta(meta_json, b, COV_MAX_BLIND);

	coverage__not_judged(b, n, &run->not_judged, run->nj_reasons);
}

/* report --policy: the rewritten stream builds a second engine and report */
struct policy_side {
	struct whatif *wi;
	struct engine *e;
	struct report *rep;
	bool oom;
};

static void policy_feed(const struct smt_event *ev, void *ctx)
{
	struct policy_side *ps = ctx;

	engine__feed(ps->e, ev);
	if (report__feed(ps->rep, ev))
		ps->oom = true;
}

static void policy_free(struct policy_side *ps)
{
	whatif__free(ps->wi);
	report__free(ps->rep);
	engine__free(ps->e);
}

/*
 * write_file() takes a one-model serializer; the page with both timelines
 * needs the policy's model too, handed over here (one report per process).
 */
static const struct report_model *html_policy_model;
static const char *html_policy;

static int write_html_whatif(const struct report_model *m, FILE *f)
{
	return report__write_html_whatif(m, html_policy_model, html_policy, f);
}

/* one report's JSON as a member value of W (the serializer ends it with a newline) */
static int json_member(struct jsonw *w, const char *key, const struct report_model *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = report__write_json(m, f);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret) {
		while (len && text[len - 1] == '\n')
			text[--len] = 0;
		jsonw__key(w, key);
		jsonw__raw(w, text);
	}
	free(text);
	return ret;
}

/* the recorded report and the policy's, in one object */
static int write_json_whatif(const struct report_model *m, const struct report_model *pm,
			     const char *policy)
{
	struct jsonw *w = jsonw__new(stdout);
	int ret;

	if (!w)
		return -ENOMEM;
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "policy", policy);
	ret = json_member(w, "actual", m);
	if (!ret)
		ret = json_member(w, "under_policy", pm);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	return ret;
}

/* text, markdown or json on stdout, with the policy's report after the recorded one */
static int write_stdout(const char *format, const struct report_model *m,
			const struct report_model *pm, const char *policy)
{
	bool md = format && !strcmp(format, "markdown");
	int wret;

	if (format && !strcmp(format, "json")) {
		return pm ? write_json_whatif(m, pm, policy) : report__write_json(m, stdout);
	}
	wret = report__write_text(m, stdout, md);
	if (!wret && pm) {
		printf(md ? "\n---\n\n# Under policy %s (smmutrace whatif)\n\n" :
		       "\n==== under policy %s (smmutrace whatif): the same capture as the driver "
		       "would have issued it ====\n\n", policy);
		wret = report__write_text(pm, stdout, md);
	}
	return wret;
}

static int open_source(const struct run *run, struct ev_source **src)
{
	char err[1024];

	if (ev_source__open(run->path, src, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_INPUT;
	}
	return 0;
}

static int load_topology(struct run *run, struct ev_source *src)
{
	char *board;
	int ret;

	if (run->topo_ready)
		return 0;
	board = recording__meta_board(ev_source__meta_json(src));
	ret = env__topology(run->env, board, &run->topo);
	free(board);
	run->topo_ready = !ret;
	return ret;
}

/* --around-finding: a first pass finds the finding's time */
static int find_finding_ts(struct run *run, uint64_t n, uint64_t *ts)
{
	struct first_pass p = { .want = n };
	struct ev_source *src;
	struct engine_opts o;
	struct engine *e;
	struct smt_event ev;
	int ret;

	ret = open_source(run, &src);
	if (ret)
		return ret;
	ret = load_topology(run, src);
	if (ret)
		goto out;
	env__engine_opts(run->env, &run->topo, &run->not_judged, &o);
	o.on_finding = count_finding;
	o.ctx = &p;
	e = engine__new(&o);
	if (!e) {
		pr_err("out of memory\n");
		ret = EXIT_ENV;
		goto out;
	}
	take_blind(run, ev_source__meta_json(src));
	while (!p.found && (ret = ev_source__next(src, &ev)) == 1) {
		if (ev.type == SMT_EV_META)
			take_blind(run, ev_source__meta_extra(src));
		engine__feed(e, &ev);
	}
	if (ret < 0) {
		pr_err("%s\n", ev_source__error(src));
		ret = EXIT_INPUT;
	} else {
		if (!p.found)
			engine__finish(e);
		ret = 0;
		if (!p.found) {
			pr_err("--around-finding %" PRIu64 ": %s has only %" PRIu64 " finding%s; "
			       "run 'smmutrace report %s' to see them numbered\n", n, run->path,
			       p.seen, p.seen == 1 ? "" : "s", run->path);
			ret = EXIT_INPUT;
		}
	}
	engine__free(e);
	*ts = p.ts;
out:
	ev_source__close(src);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	const char *html = NULL, *kcidb = NULL, *perfetto = NULL, *format = NULL;
	struct window_arg from = { 0 }, to = { 0 };
	uint64_t around = 0, window_ns = DEFAULT_AROUND_WINDOW_NS;
	bool window_given = false;
	struct run run = { 0 };
	struct report_opts ro = { 0 };
	struct ev_source *src = NULL;
	struct report *rep = NULL;
	struct engine *e = NULL;
	struct engine_summary sum;
	struct engine_opts o;
	struct smt_event ev;
	char why[128] = "";
	struct env env;
	struct policy_side ps = { 0 };
	const char *policy = NULL;
	int c, ret, nread;

	env__init(&env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_HTML:
			html = optarg;
			break;
		case OPT_KCIDB:
			kcidb = optarg;
			break;
		case OPT_PERFETTO:
			perfetto = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") && strcmp(optarg, "markdown") && strcmp(optarg, "json")) {
				pr_err("--format: '%s' is not one of text, markdown, json "
				       "(HTML, KCIDB and Perfetto have their own options)\n", optarg);
				return EXIT_INPUT;
			}
			format = optarg;
			break;
		case OPT_FROM:
			if (parse_ts("from", optarg, &from))
				return EXIT_INPUT;
			break;
		case OPT_TO:
			if (parse_ts("to", optarg, &to))
				return EXIT_INPUT;
			break;
		case OPT_AROUND:
			errno = 0;
			around = strtoull(optarg, &end, 10);
			if (errno || *end || !around || optarg[0] == '-') {
				pr_err("--around-finding: '%s' is not a finding number (1 = the first "
				       "finding of the report)\n", optarg);
				return EXIT_INPUT;
			}
			break;
		case OPT_POLICY:
			if (whatif__policy_from_name(optarg) < 0) {
				pr_err("--policy: '%s' is not a policy: use one of "
				       WHATIF_POLICY_LIST "\n", optarg);
				return EXIT_INPUT;
			}
			policy = optarg;
			break;
		case OPT_WINDOW:
			if (env__duration_opt("window", optarg, &window_ns, false))
				return EXIT_INPUT;
			window_given = true;
			break;
		default:
			ret = env__parse_common(&env, c, optarg);
			if (ret == 1)
				break;
			if (ret == 0)
				return env__bad_option("report");
			return EXIT_INPUT;
		}
	}
	if (optind + 1 != argc) {
		pr_err("report: %s; usage: smmutrace report FILE [--html OUT] ... "
		       "(see 'smmutrace report --help')\n",
		       optind >= argc ? "give the recording or JSONL file to report on"
				      : "give exactly one input file");
		return EXIT_INPUT;
	}
	if (env.json && !format)
		format = "json";
	if (around && (from.set || to.set)) {
		pr_err("--around-finding and --from/--to both choose the window: use one of them\n");
		return EXIT_INPUT;
	}
	if (policy && (kcidb || perfetto)) {
		pr_err("--policy: KCIDB and Perfetto outputs describe the recorded capture only; "
		       "write them in a run without --policy\n");
		return EXIT_INPUT;
	}
	if (window_given && !around) {
		pr_err("--window sets the width around --around-finding N: add that option, "
		       "or use --from/--to\n");
		return EXIT_INPUT;
	}
	run.env = &env;
	run.path = argv[optind];
	if (around && strcmp(run.path, "-") == 0) {
		pr_err("--around-finding reads the input twice, which stdin cannot do: "
		       "save the stream to a file first\n");
		return EXIT_INPUT;
	}

	if (around) {
		uint64_t ts;

		ret = find_finding_ts(&run, around, &ts);
		if (ret)
			goto out;
		from = (struct window_arg){ .set = true, .ns = ts > window_ns / 2 ? ts - window_ns / 2 : 0 };
		to = (struct window_arg){ .set = true, .ns = ts + window_ns / 2 };
		snprintf(why, sizeof(why), "around finding %" PRIu64, around);
	}

	ret = open_source(&run, &src);
	if (ret)
		goto out;
	ret = load_topology(&run, src);
	if (ret)
		goto out;
	nread = ev_source__next(src, &ev);
	/* the window needs the first event when it is relative to it */
	ro.topo = &run.topo;
	ro.source_name = ev_source__name(src);
	if (from.set || to.set) {
		uint64_t base = nread == 1 ? ev.ts : 0;

		ro.windowed = true;
		ro.from = from.set ? from.ns + (from.relative ? base : 0) : 0;
		ro.to = to.set ? to.ns + (to.relative ? base : 0) : UINT64_MAX;
		if (ro.from > ro.to) {
			pr_err("--from is after --to: the window would be empty\n");
			ret = EXIT_INPUT;
			goto out;
		}
		if (!why[0])
			snprintf(why, sizeof(why), "--from/--to");
		ro.window_why = why;
	}
	rep = report__new(&ro);
	env__engine_opts(&env, &run.topo, &run.not_judged, &o);
	o.on_finding = report__add_finding;
	o.on_lifetime = report__add_lifetime;
	o.ctx = rep;
	e = rep ? engine__new(&o) : NULL;
	if (!e) {
		pr_err("out of memory\n");
		ret = EXIT_ENV;
		goto out;
	}
	/* the report reads TBU gate states back from the engine */
	report__set_engine(rep, e);
	if (policy) {
		struct whatif_opts wo = { 0 };

		ps.rep = report__new(&ro);
		env__engine_opts(&env, &run.topo, &run.not_judged, &o);
		o.on_finding = report__add_finding;
		o.on_lifetime = report__add_lifetime;
		o.ctx = ps.rep;
		ps.e = ps.rep ? engine__new(&o) : NULL;
		wo.policy = (enum whatif_policy)whatif__policy_from_name(policy);
		wo.topo = &run.topo;
		wo.emit = policy_feed;
		wo.ctx = &ps;
		ps.wi = ps.e ? whatif__new(&wo) : NULL;
		if (!ps.wi) {
			pr_err("out of memory\n");
			ret = EXIT_ENV;
			goto out;
		}
		report__set_engine(ps.rep, ps.e);
	}

	take_blind(&run, ev_source__meta_json(src));
	for (; nread == 1; nread = ev_source__next(src, &ev)) {
		if (ev.type == SMT_EV_META)
			take_blind(&run, ev_source__meta_extra(src));
		engine__feed(e, &ev);
		if (ps.wi)
			whatif__feed(ps.wi, &ev);
		if (report__feed(rep, &ev) || ps.oom) {
			pr_err("out of memory while building the report\n");
			ret = EXIT_ENV;
			goto out;
		}
	}
	if (nread < 0) {
		pr_err("%s\n", ev_source__error(src));
		ret = EXIT_INPUT;
		goto out;
	}
	if (ev_source__warning(src))	/* cut or unclosed: reported as far as it goes */
		pr_err("%s\n", ev_source__warning(src));
	engine__finish(e);
	engine__summary(e, &sum);
	for (int r = 0; r < RULE_MAX; r++)
		if (run.not_judged & (1u << r))
			pr_err("report: not judged: %s (%s)\n", rule__name(r), run.nj_reasons[r]);
	report__set_source_meta(rep, ev_source__is_recording(src), ev_source__meta_json(src),
				ev_source__meta_extra(src));
	if (report__finish(rep, &sum)) {
		pr_err("out of memory while linking findings to the timeline\n");
		ret = EXIT_ENV;
		goto out;
	}
	if (ps.wi) {
		struct engine_summary psum;

		engine__finish(ps.e);
		engine__summary(ps.e, &psum);
		report__set_source_meta(ps.rep, ev_source__is_recording(src),
					ev_source__meta_json(src), ev_source__meta_extra(src));
		if (report__finish(ps.rep, &psum)) {
			pr_err("out of memory while linking findings to the timeline\n");
			ret = EXIT_ENV;
			goto out;
		}
	}

	{
		const struct report_model *m = report__model(rep);
		const struct report_model *pm = ps.rep ? report__model(ps.rep) : NULL;
		int wret = 0;

		if (format || (!html && !kcidb && !perfetto)) {
			wret = write_stdout(format, m, pm, policy);
			if (output__finish_stdout()) {
				ret = EXIT_ENV;
				goto out;
			}
			if (wret) {
				pr_err("report: %s\n", strerror(-wret));
				ret = EXIT_ENV;
				goto out;
			}
		} else {
			char verdict[256];

			report__verdict(m, verdict, sizeof(verdict));
			printf("%s\n", verdict);
			if (pm) {
				report__verdict(pm, verdict, sizeof(verdict));
				printf("under policy %s: %s\n", policy, verdict);
			}
		}
		html_policy_model = pm;
		html_policy = policy;
		if (html && (wret = write_file(html, "HTML", m, pm ? write_html_whatif :
							   report__write_html)))
			goto written;
		if (kcidb && (wret = write_file(kcidb, "KCIDB", m, report__write_kcidb)))
			goto written;
		if (perfetto && (wret = write_file(perfetto, "Perfetto", m, report__write_perfetto)))
			goto written;
written:
		if (wret) {
			ret = wret;
			goto out;
		}
		ret = env__exit_status(&env, pm ? pm->worst : m->worst);
	}
out:
	policy_free(&ps);
	report__free(rep);
	engine__free(e);
	if (src)
		ev_source__close(src);
	if (run.topo_ready)
		topology__free(&run.topo);
	return ret;
}
