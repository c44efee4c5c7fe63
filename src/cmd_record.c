// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace record -o FILE: trace to a recording, with size cap and rotation. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "board.h"
#include "capture.h"
#include "commands.h"
#include "env.h"
#include "recording.h"
#include "topology.h"

enum {
	OPT_DURATION = OPT_CMD_BASE,
	OPT_MAX_SIZE,
	OPT_ROTATE,
	OPT_BTF,
	OPT_ALL_GATES,
	OPT_RINGBUF,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace record -o FILE [OPTIONS]\n"
"\n"
"Trace the running kernel into a recording (zlib blocks with checksums: a\n"
"file cut anywhere, even by kill -9, reads back up to its last whole block).\n"
"The recording carries the board, kernel release, DMA mode and hook table, so\n"
"'smmutrace replay FILE' needs nothing else. SIGINT/SIGTERM finish the file.\n"
"\n"
"Options:\n"
"  -o, --output FILE     the recording to write (required)\n"
"  --duration DUR        stop after DUR (default: until Ctrl-C)\n"
"  --max-size SIZE       start a new file when FILE reaches SIZE (e.g. 64M);\n"
"                        older ones become FILE.1 .. FILE.N\n"
"  --rotate N            keep N rotated files (default 4)\n"
"  --board FILE          board description (gates to trace, stored in the file)\n"
"  --dt DIR              device tree to discover TBUs from\n"
"  --btf FILE            kernel BTF when /sys/kernel/btf/vmlinux is missing\n"
"  --all-gates           keep clk/rpm/pd events of every name\n"
"  --ringbuf SIZE        kernel ring buffer (default 16M; power of two)\n"
"  -v, --verbose         libbpf and capture statistics to stderr\n"
"\n"
"Example:\n"
"  smmutrace record -o cap.smt --board board.ini --duration 60s\n"
"  smmutrace replay cap.smt\n");
}

struct rec {
	const char *path;
	char *meta;
	struct recording_writer *w;
	uint64_t max_size;
	int rotate;
	int err;
	const struct topology *topo;
	uint64_t events;
	unsigned long long header_bytes;	/* size of a fresh file: never rotate below it */
	uint64_t last_ts;			/* of the last event written */
};

static void json_escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static char *make_meta(struct capture *c, const struct topology *t)
{
	char *buf = NULL, *hooks = capture__hooks_json(c);
	size_t len = 0;
	struct utsname u;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		free(hooks);
		return NULL;
	}
	memset(&u, 0, sizeof(u));
	uname(&u);
	fprintf(f, "{\"tool\":\"smmutrace %s\",\"kernel\":", SMMUTRACE_VERSION);
	json_escape(f, u.release);
	fprintf(f, ",\"arch\":");
	json_escape(f, u.machine);
	fprintf(f, ",\"strict\":%s,\"since_boot\":false,\"btf\":",
		capture_state__strict("") ? "true" : "false");
	json_escape(f, capture__btf_source(c));
	/*
	 * The merged model (device tree + board file), written as a board file:
	 * replay elsewhere must see the TBUs the device tree gave, too.
	 */
	if (t && (t->ntbus || t->nsmmus)) {
		char *board = NULL;

		if (board__format(t, &board) == 0 && board) {
			fprintf(f, ",\"board\":");
			json_escape(f, board);
		}
		free(board);
	}
	fprintf(f, ",\"hooks\":%s}", hooks ? hooks : "[]");
	fclose(f);
	free(hooks);
	return buf;
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
	return ret;
}

/* Full: past --max-size and holding events (a header alone never rotates). */
static bool full(const struct rec *r)
{
	unsigned long long b = recording_writer__bytes(r->w);

	return r->max_size && b >= r->max_size && b > r->header_bytes;
}

/* FILE -> FILE.1 -> ... -> FILE.N (the oldest falls off) */
static int rotate(struct rec *r)
{
	char from[4096], to[4096];
	struct smt_event evs[256];
	int n;

	if (recording_writer__close(r->w))
		pr_err("%s: closing: %s\n", r->path, strerror(errno));
	r->w = NULL;
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
		recording_writer__write(r->w, &evs[i], NULL);
	return 0;
}

static void write_ev(const struct smt_event *ev, void *ctx)
{
	struct rec *r = ctx;

	if (r->err || !r->w)
		return;
	if (recording_writer__write(r->w, ev, NULL)) {
		pr_err("%s: write failed: %s\n", r->path, strerror(errno));
		r->err = -EIO;
		return;
	}
	r->events++;
	r->last_ts = ev->ts;
	if (full(r) && rotate(r))
		r->err = -EIO;
}

/* a block per second at least, so kill -9 loses at most about a second */
static void tick(void *ctx, uint64_t elapsed)
{
	struct rec *r = ctx;

	if (!r->w || r->err)
		return;
	recording_writer__flush(r->w);
	if (full(r) && rotate(r))
		r->err = -EIO;
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
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "all-gates", no_argument, NULL, OPT_ALL_GATES },
		{ "ringbuf", required_argument, NULL, OPT_RINGBUF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct capture_loop loop = { .interval_ns = 1000000000ull };
	struct capture_opts opts = { 0 };
	struct rec r = { .rotate = 4 };
	struct topology topo;
	const char *board = NULL, *dt = NULL;
	struct smt_event evs[256];
	struct capture *c;
	uint64_t rb, t0;
	char err[1024], *end;
	int ch, n, rc, status = EXIT_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': r.path = optarg; break;
		case 'v': env_verbose++; break;
		case 'h': usage(stdout); return EXIT_OK;
		case OPT_BOARD: board = optarg; break;
		case OPT_DT: dt = optarg; break;
		case OPT_BTF: opts.btf_path = optarg; break;
		case OPT_ALL_GATES: opts.all_gates = true; break;
		case OPT_DURATION:
			if (env__parse_duration(optarg, &loop.duration_ns)) {
				pr_err("record: --duration: '%s' is not a duration (e.g. 30s)\n", optarg);
				return EXIT_INPUT;
			}
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
		case OPT_RINGBUF:
			if (capture__parse_size(optarg, &rb) || rb < 4096 || (rb & (rb - 1))) {
				pr_err("record: --ringbuf: '%s' is not a power of two >= 4096\n", optarg);
				return EXIT_INPUT;
			}
			opts.ringbuf_bytes = rb;
			break;
		default:
			usage(stderr);
			return EXIT_INPUT;
		}
	}
	if (!r.path || optind < argc) {
		pr_err("record: %s; see 'smmutrace record --help'\n",
		       r.path ? "unexpected argument" : "-o FILE is required");
		return EXIT_INPUT;
	}
	if (!dt && !access("/proc/device-tree", R_OK))
		dt = "/proc/device-tree";	/* SPEC §4: the board's own device tree */
	topology__init(&topo);
	if ((dt && dt__discover(&topo, dt, err, sizeof(err))) ||
	    (board && board__load(&topo, board, err, sizeof(err)))) {
		pr_err("%s\n", err);
		topology__free(&topo);
		return EXIT_INPUT;
	}
	r.topo = &topo;
	opts.topo = &topo;
	capture__catch_signals();
	t0 = capture__now();
	if (capture__open(&c, &opts, err, sizeof(err))) {
		pr_err("%s\n", err);
		topology__free(&topo);
		return EXIT_ENV;
	}
	r.meta = make_meta(c, &topo);
	if (!r.meta || open_writer(&r)) {
		capture__free(c);
		free(r.meta);
		topology__free(&topo);
		return EXIT_INPUT;
	}
	n = capture_state__read(&topo, "", t0, evs, 256);
	for (int i = 0; i < n; i++)
		capture__inject(c, &evs[i]);
	loop.fn = write_ev;
	loop.on_tick = tick;
	loop.ctx = &r;
	rc = capture__run(c, &loop);
	if (rc)
		pr_err("record: ring buffer: %s\n", strerror(-rc));
	if (env_verbose) {
		struct capture_stats st;

		capture__stats(c, &st);
		fprintf(stderr, "smmutrace: %" PRIu64 " events recorded, %" PRIu64 " lost, %" PRIu64
			" filtered, %d hooks\n", r.events, st.lost, st.filtered, st.attached);
		fprintf(stderr, "smmutrace: SMMUv3: %" PRIu64 " TLBIs of no known domain, %" PRIu64
			" other commands, %" PRIu64 " non-fault event records\n", st.tlbi_no_domain,
			st.cmdq_other, st.evtq_other);
	}
	if (r.w && recording_writer__close(r.w)) {
		pr_err("%s: finishing the recording failed: %s\n", r.path, strerror(errno));
		status = EXIT_ENV;
	}
	if (r.err || rc)
		status = EXIT_ENV;
	capture__free(c);
	free(r.meta);
	topology__free(&topo);
	return status;
}
