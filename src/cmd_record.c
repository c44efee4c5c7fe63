// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace record -o FILE: trace to a recording, with size cap and rotation. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "board.h"
#include "capture.h"
#include "commands.h"
#include "coverage.h"
#include "env.h"
#include "recording.h"
#include "recording_header.h"
#include "topology.h"

enum {
	OPT_DURATION = OPT_CMD_BASE,
	OPT_MAX_SIZE,
	OPT_ROTATE,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace record -o FILE [OPTIONS]\n"
"\n"
"Trace the running kernel into a recording (zlib blocks with checksums: a\n"
"file cut anywhere, even by kill -9, reads back up to its last whole block).\n"
"The recording carries the board, kernel release, DMA mode and hook table, so\n"
"'smmutrace replay FILE' needs nothing else. The end of --duration,\n"
"SIGINT/SIGTERM and rotation close the file with a close block; replaying a\n"
"file without one (killed, power lost) warns where it ends.\n"
"Without --board (or TBUs in the device tree) clk/rpm/pd events are dropped\n"
"in the kernel: the start line says so; --all-gates keeps them all.\n"
"\n"
"Options:\n"
"  -o, --output FILE     the recording to write (required)\n"
"  --duration DUR        stop after DUR (default: until Ctrl-C; a bare number\n"
"                        is seconds)\n"
"  --max-size SIZE       start a new file when FILE reaches SIZE (e.g. 64M);\n"
"                        older ones become FILE.1 .. FILE.N\n"
"  --rotate N            keep N rotated files (default 4)\n"
"  --board FILE          board description (gates to trace, stored in the file)\n"
"  --dt DIR              device tree to discover TBUs from\n"
"  --btf FILE            kernel BTF when /sys/kernel/btf/vmlinux is missing\n"
"  --all-gates           keep clk/rpm/pd events of every name\n"
"  --ringbuf SIZE        kernel ring buffer (default 16M; power of two, <= 2G)\n"
"  --force               trace even when an event a rule needs cannot be\n"
"                        captured on a translating SMMU ('smmutrace probe'\n"
"                        shows them): the blind spots go into the recording\n"
"                        (\"blind\" in its metadata and meta event) and replay\n"
"                        lists their rules as not judged\n"
"  --sysfs DIR           sysfs root to find translating SMMUs under (default /sys)\n"
"  --kallsyms FILE       symbol list to resolve hooks against (default /proc/kallsyms)\n"
"  -v, --verbose         libbpf and capture statistics to stderr (and each BPF\n"
"                        program's run time when kernel.bpf_stats_enabled=1)\n"
"\n"
"Exit status: 0 recorded; 2 usage error; 3 environment error, or a blind spot\n"
"without --force (each named, with the rules it blinds).\n"
"\n"
"Example:\n"
"  smmutrace record -o cap.smt --board board.ini --duration 60s\n"
"  smmutrace replay cap.smt\n");
}

struct rec {
	const char *path;
	char *meta;
	char *meta_extra;	/* {"blind":[...]} for the meta event; NULL if none */
	struct recording_writer *w;
	uint64_t max_size;
	int rotate;
	int err;
	const struct topology *topo;
	uint64_t events;
	unsigned long long header_bytes;	/* size of a fresh file: never rotate below it */
	unsigned long long traced;		/* traced events in this file (not its initial state) */
	uint64_t last_ts;			/* of the last event written */
};

static char *make_meta(struct capture *c, const struct topology *t, const struct coverage *cov)
{
	struct recording_header h = {
		.source = "record",
		.captured = true,
		.strict = capture_state__strict("") != 0,
		.btf = capture__btf_source(c),
		.hooks_json = capture__hooks_json(c),
		.blind_json = coverage__blind_json(cov->blind, cov->nblind),
	};
	char *board = NULL, *meta;

	/*
	 * The merged model (device tree + board file), written as a board file:
	 * replay elsewhere must see the TBUs the device tree gave, too.
	 */
	if (t && (t->ntbus || t->nsmmus) && board__format(t, &board) == 0)
		h.board = board;
	meta = recording_header__json(&h);
	free(board);
	free((char *)h.hooks_json);
	free((char *)h.blind_json);
	return meta;
}

static int open_writer(struct rec *r)
{
	struct recording_writer_opts o = { 0 };
	char err[512];
	int ret;

	ret = recording_writer__open(&r->w, r->path, r->meta, &o, err, sizeof(err));
	if (ret)
		pr_err("%s\n", err);
	else
		r->header_bytes = recording_writer__bytes(r->w);
	r->traced = 0;
	return ret;
}

/* Full: past --max-size and holding events (a header alone never rotates). */
static bool full(const struct rec *r)
{
	unsigned long long b = recording_writer__bytes(r->w);

	/*
	 * A file whose header and initial gate states already pass SIZE holds no
	 * traced event yet: rotating it would keep a file of initial state only.
	 */
	return r->max_size && b >= r->max_size && b > r->header_bytes && r->traced;
}

/* FILE -> FILE.1 -> ... -> FILE.N (the oldest falls off) */
static int rotate(struct rec *r)
{
	char from[4096], to[4096];
	struct smt_event evs[256];
	int n;

	n = recording_writer__close(r->w);
	r->w = NULL;
	if (n) {
		/* rotating on would hide that this file's tail is lost */
		pr_err("%s: -o: closing for rotation failed: %s\n", r->path, strerror(-n));
		return n;
	}
	for (int i = r->rotate; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", r->path);
		else
			snprintf(from, sizeof(from), "%s.%d", r->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", r->path, i);
		if (rename(from, to) && errno != ENOENT) {
			pr_err("%s: rotating to %s: %s\n", from, to, strerror(errno));
			return -errno;
		}
	}
	if (open_writer(r))
		return -EIO;
	/* every file stands alone: start it with the gate states as they are now */
	/* stamped with the last event's time: the stream stays non-decreasing */
	n = capture_state__read(r->topo, "", r->last_ts, evs, 256);
	for (int i = 0; i < n; i++)
		recording_writer__write(r->w, &evs[i], evs[i].type == SMT_EV_META ? r->meta_extra : NULL);
	return 0;
}

static void write_ev(const struct smt_event *ev, void *ctx)
{
	struct rec *r = ctx;

	int ret;

	if (r->err || !r->w)
		return;
	ret = recording_writer__write(r->w, ev, ev->type == SMT_EV_META ? r->meta_extra : NULL);
	if (ret) {
		/* the writer's own errno: the global one is stale by now */
		pr_err("%s: -o: write failed: %s\n", r->path, strerror(-ret));
		r->err = ret;
		return;
	}
	r->events++;
	r->traced++;
	r->last_ts = ev->ts;
	if (full(r) && rotate(r))
		r->err = -EIO;
}

/* a block per second at least, so kill -9 loses at most about a second */
static void tick(void *ctx, uint64_t elapsed)
{
	struct rec *r = ctx;

	int ret;

	if (!r->w || r->err)
		return;
	ret = recording_writer__flush(r->w);
	if (ret) {
		pr_err("%s: -o: write failed: %s\n", r->path, strerror(-ret));
		r->err = ret;
		return;
	}
	if (full(r) && rotate(r))
		r->err = -EIO;
}

/*
 * The start line: where the capture goes and what happens to gate events,
 * which are filtered in the kernel to the topology's gate names: without a
 * TBU every clk/rpm/pd event is dropped, and a user must hear it now.
 */
static void say_gates(const char *path, const struct topology *t, bool all_gates)
{
	int ngates = 0;

	for (int i = 0; i < t->ntbus; i++)
		ngates += t->tbus[i].ngates;
	if (all_gates)
		pr_info("recording to %s; every clk/rpm/pd event is kept "
			"(--all-gates)\n", path);
	else if (!t->ntbus)
		pr_info("recording to %s; no TBU known (no --board, none in the "
			"device tree): clk/rpm/pd events are dropped in the kernel; give --board FILE, "
			"or --all-gates to keep them all\n", path);
	else
		pr_info("recording to %s; clk/rpm/pd events kept for the %d "
			"gates of %d TBUs\n", path, ngates, t->ntbus);
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "rotate", required_argument, NULL, OPT_ROTATE },
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "dt", required_argument, NULL, OPT_DT },
		CAPTURE_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct capture_loop loop = { .interval_ns = 1000000000ull };
	struct capture_opts opts = { 0 };
	struct rec r = { .rotate = 4 };
	struct topology topo;
	struct capture_start_opts so = { .cmd = "record" };
	struct env env;
	struct coverage *cov;
	struct capture *c;
	char *end;
	int ch, rc, status = EXIT_OK;

	env__init(&env);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': r.path = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		/* --board, --dt, -v: the options record shares (its longopts refuse the rest) */
		case OPT_BOARD: case OPT_DT: case 'v':
			env__parse_common(&env, ch, optarg);
			break;
		case OPT_DURATION:
			if (env__duration_opt("duration", optarg, &loop.duration_ns, false))
				return EXIT_INPUT;
			break;
		case OPT_MAX_SIZE:
			if (capture__parse_size(optarg, &r.max_size) || r.max_size < 4096) {
				pr_err("record: --max-size: '%s' is not a size >= 4096 (e.g. 64M)\n",
				       optarg);
				return EXIT_INPUT;
			}
			break;
		case OPT_ROTATE:
			r.rotate = strtol(optarg, &end, 10);
			if (*end || r.rotate < 1 || r.rotate > 1000) {
				pr_err("record: --rotate: '%s' is not a number from 1 to 1000\n", optarg);
				return EXIT_INPUT;
			}
			break;
		default:
			rc = capture__parse_opt(&opts, &so, "record", ch, optarg);
			if (rc < 0)
				return EXIT_INPUT;
			if (!rc)
				return env__bad_option("record");
		}
	}
	if (!r.path || optind < argc) {
		pr_err("record: %s; see 'smmutrace record --help'\n",
		       r.path ? "unexpected argument" : "-o FILE is required");
		return EXIT_INPUT;
	}
	/*
	 * Written in place (a killed capture must leave what it wrote at PATH),
	 * so PATH may be a device or FIFO; but never a directory, and rotation
	 * renames PATH, which must not happen to anything but a regular file.
	 */
	{
		struct stat st;

		if (stat(r.path, &st) == 0 && S_ISDIR(st.st_mode)) {
			pr_err("%s: -o: is a directory; give a file name\n", r.path);
			return EXIT_INPUT;
		}
		if (r.max_size && lstat(r.path, &st) == 0 && !S_ISREG(st.st_mode)) {
			pr_err("%s: -o: --max-size rotates by renaming the file, and this is not a "
			       "regular file; give a file name\n", r.path);
			return EXIT_INPUT;
		}
	}
	env__live_dt(&env);
	status = env__topology(&env, NULL, &topo);
	if (status)
		return status;
	r.topo = &topo;
	opts.topo = &topo;
	/* SPEC §9: no recording whose findings would come from a blind spot, unless --force */
	status = capture__start(&c, &opts, &so, &cov);
	if (status) {
		topology__free(&topo);
		return status;
	}
	r.meta_extra = cov->nblind ? coverage__meta_extra(cov) : NULL;
	r.meta = make_meta(c, &topo, cov);
	free(cov);
	if (!r.meta || open_writer(&r)) {
		/* a directory was refused before loading: this is the environment */
		capture__free(c);
		free(r.meta);
		free(r.meta_extra);
		topology__free(&topo);
		return EXIT_ENV;
	}
	say_gates(r.path, &topo, opts.all_gates);
	loop.fn = write_ev;
	loop.on_tick = tick;
	loop.ctx = &r;
	rc = capture__run(c, &loop);
	if (rc)
		pr_err("record: ring buffer: %s\n", strerror(-rc));
	pr_debug("%" PRIu64 " events recorded\n", r.events);
	capture__log_stats(c);
	if (log__level() < LOG_DEBUG && !opts.all_gates && !topo.ntbus) {
		struct capture_stats st;

		capture__stats(c, &st);
		if (st.filtered)
			pr_info("%" PRIu64 " clk/rpm/pd events were dropped in the "
				"kernel: no TBU known (--board, or --all-gates to keep them)\n",
				st.filtered);
	}
	if (r.w && !r.err) {
		int ret = recording_writer__close(r.w);

		if (ret) {
			pr_err("%s: -o: finishing the recording failed: %s\n", r.path,
			       strerror(-ret));
			status = EXIT_ENV;
		}
	} else if (r.w) {
		recording_writer__close(r.w);	/* the error was said when it happened */
	}
	if (r.err || rc)
		status = EXIT_ENV;
	capture__free(c);
	free(r.meta);
	free(r.meta_extra);
	topology__free(&topo);
	return status;
}
