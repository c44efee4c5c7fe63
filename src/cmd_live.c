// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace live: trace now, findings as they happen, periodic per-domain summary. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis.h"
#include "capture.h"
#include "commands.h"
#include "coverage.h"
#include "env.h"
#include "output.h"
#include "json_writer.h"
#include "jsonl.h"
#include "text.h"

enum {
	OPT_DURATION = OPT_CMD_BASE,
	OPT_INTERVAL,
	OPT_EVENTS,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace live [OPTIONS]\n"
"\n"
"Trace the running kernel (BPF on the SMMU drivers, io-pgtable, iommu core,\n"
"runtime PM, clocks and power domains), report findings as they happen and a\n"
"per-domain summary every --interval; on SIGINT/SIGTERM or after --duration,\n"
"the final summary. Gate states at start are read from sysfs/debugfs. Needs root.\n"
"\n"
"Options:\n"
"  --duration DUR        stop after DUR (default: until Ctrl-C)\n"
"  --interval DUR        per-domain summary period (default 10s, 0 = none)\n"
"  --btf FILE            kernel BTF when /sys/kernel/btf/vmlinux is missing\n"
"  --all-gates           keep clk/rpm/pd events of every name (default: only\n"
"                        the gates the board names)\n"
"  --ringbuf SIZE        kernel ring buffer (default 16M; power of two, <= 2G)\n"
"  --events FILE         also write every event as JSONL to FILE ('-' = stderr)\n"
"  --force               trace even when an event a rule needs cannot be\n"
"                        captured on a translating SMMU ('smmutrace probe'):\n"
"                        those rules are then not judged (summary says why)\n"
"  --sysfs DIR           sysfs root to find translating SMMUs under (default /sys)\n"
"  --kallsyms FILE       symbol list to resolve hooks against (default /proc/kallsyms)\n"
ENV_COMMON_HELP
"\n"
"Examples:\n"
"  smmutrace live --board board.ini\n"
"  smmutrace live --board board.ini --json --duration 60s --fail-on warning\n");
}

struct live {
	struct analysis *a;
	bool json;
	FILE *events;	/* --events */
	char *meta_extra;	/* {"blind":[...]} for the meta event of --events */
};

static void feed(const struct smt_event *ev, void *ctx)
{
	struct live *l = ctx;

	if (l->events) {
		jsonl__write_event(l->events, ev, ev->type == SMT_EV_META ? l->meta_extra : NULL);
		fflush(l->events);	/* a debugging aid: readable while live runs */
	}
	analysis__feed(l->a, ev);
	fflush(stdout);
}

static void print_domain(const struct engine_domain_info *d, void *ctx)
{
	printf("  domain 0x%" PRIx64 "%s%s: %" PRIu64 " live (%" PRIu64 " bytes), %" PRIu64
	       " pending invalidation, %" PRIu64 " maps, %" PRIu64 " unmaps",
	       d->domain, d->smmu[0] ? " on " : "", d->smmu, d->live_mappings,
	       d->live_bytes, d->pending, d->maps, d->unmaps);
	for (int i = 0; i < d->ndevs && i < 8; i++) {
		fputs(i ? ", " : "; devices: ", stdout);
		text__put(stdout, d->devs[i]);
	}
	printf("\n");
}

static void json_domain(const struct engine_domain_info *d, void *ctx)
{
	struct jsonw *w = ctx;

	jsonw__obj_begin(w);
	jsonw__kv_hex(w, "domain", d->domain);
	jsonw__kv_str(w, "smmu", d->smmu);
	jsonw__kv_u64(w, "live_mappings", d->live_mappings);
	jsonw__kv_u64(w, "live_bytes", d->live_bytes);
	jsonw__kv_u64(w, "pending", d->pending);
	jsonw__kv_u64(w, "maps", d->maps);
	jsonw__kv_u64(w, "unmaps", d->unmaps);
	jsonw__obj_end(w);
}

static void tick(void *ctx, uint64_t elapsed)
{
	struct live *l = ctx;
	struct jsonw *w;

	if (!l->json) {
		printf("-- %.1fs --\n", elapsed / 1e9);
		engine__for_each_domain(analysis__engine(l->a), print_domain, NULL);
	} else if ((w = jsonw__new(stdout))) {
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "type", "interval");
		jsonw__kv_u64(w, "elapsed_ns", elapsed);
		jsonw__key(w, "domains");
		jsonw__arr_begin(w);
		engine__for_each_domain(analysis__engine(l->a), json_domain, w);
		jsonw__arr_end(w);
		jsonw__obj_end(w);
		jsonw__newline(w);
		jsonw__free(w);
	}
	fflush(stdout);
}

int cmd_live(int argc, char **argv)
{
	static const struct option longopts[] = {
		ENV_COMMON_LONGOPTS,
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		CAPTURE_LONGOPTS,
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ 0 },
	};
	struct capture_loop loop = { .interval_ns = 10000000000ull };
	struct capture_opts opts = { 0 };
	struct live l = { 0 };
	struct capture_start_opts so = { .cmd = "live" };
	struct capture *c;
	struct env env;
	const char *events_path = NULL;
	struct output events_out = { 0 };
	struct coverage *cov;
	int ch, rc, status;

	env__init(&env);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_DURATION:
			if (env__duration_opt("duration", optarg, &loop.duration_ns, false))
				return EXIT_INPUT;
			continue;
		case OPT_INTERVAL:
			/* 0 = no periodic summary */
			if (env__duration_opt("interval", optarg, &loop.interval_ns, true))
				return EXIT_INPUT;
			continue;
		case OPT_EVENTS:
			events_path = optarg;
			continue;
		}
		rc = capture__parse_opt(&opts, &so, "live", ch, optarg);
		if (rc < 0)
			return EXIT_INPUT;
		if (rc)
			continue;
		rc = env__parse_common(&env, ch, optarg);
		if (rc < 0)
			return EXIT_INPUT;
		if (rc == 0) {
			return env__bad_option("live");
		}
	}
	if (optind < argc) {
		pr_err("live: unexpected argument '%s'; see 'smmutrace live --help'\n", argv[optind]);
		return EXIT_INPUT;
	}
	env__live_dt(&env);
	if (events_path) {
		if (strcmp(events_path, "-")) {
			/* in place: it is read while live runs */
			status = output__open(&events_out, events_path, "--events", OUTPUT_STREAM);
			if (status)
				return status;
			l.events = events_out.f;
		} else {
			l.events = stderr;
		}
	}
	status = analysis__new(&l.a, &env, NULL);
	if (status) {
		output__abort(&events_out);
		return status;
	}
	l.json = env.json;
	opts.topo = analysis__topology(l.a);
	status = capture__start(&c, &opts, &so, &cov);
	if (status) {
		analysis__free(l.a);
		output__abort(&events_out);
		return status;
	}
	analysis__blind(l.a, cov->blind, cov->nblind);
	l.meta_extra = cov->nblind ? coverage__meta_extra(cov) : NULL;
	free(cov);
	loop.fn = feed;
	loop.on_tick = tick;
	loop.ctx = &l;
	rc = capture__run(c, &loop);
	if (rc)
		pr_err("live: ring buffer: %s\n", strerror(-rc));
	capture__log_stats(c);
	capture__free(c);
	status = analysis__finish(l.a);
	analysis__free(l.a);
	free(l.meta_extra);
	if (output__close(&events_out))
		return EXIT_ENV;
	return rc ? EXIT_ENV : status;
}
