// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Replay benchmark: how much slower is a full replay (decode + engine) than
 * only reading and inflating the recording's blocks, and how much memory does
 * the engine need per live mapping.
 *
 * Usage: bench_replay [-r RUNS] [-P | -D] FILE
 * Each measurement runs RUNS times (default 3), interleaved: inflate only
 * (libdeflate, as the reader does), inflate only with zlib (the reader
 * before it used libdeflate), inflate + decode (the reader without the
 * engine), full replay (reader + engine); medians of CPU time are reported.
 * The topology comes from the board text the recording carries (gen_stream
 * puts it there). -P runs only the full replays, for a profiler
 * (perf record bench_replay -P -r 3 FILE); -D runs only inflate + decode,
 * to profile the reader alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "engine.h"
#include "recording.h"
#include "bench_util.h"
#include "recording_blocks.h"
#include "topology.h"

/* "VmRSS" or "VmHWM" from /proc/self/status, in bytes */
static unsigned long long proc_status_kb(const char *key)
{
	char line[256];
	unsigned long long v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtoull(line + klen + 1, NULL, 10);
	fclose(f);
	return v * 1024;
}

static double run_inflate(const char *path, unsigned long long *nevents, unsigned long long *ubytes)
{
	struct recording_reader *r;
	const void *data;
	size_t len;
	unsigned int n;
	double t0;
	int rc;
	FILE *f;

	*nevents = *ubytes = 0;
	t0 = bench_cpu_s();
	f = bench_open_recording("bench_replay", path, &r);
	while ((rc = recording_reader__next_block(r, &data, &len, &n)) == 1) {
		*nevents += n;
		*ubytes += len;
	}
	if (rc < 0) {
		fprintf(stderr, "bench_replay: %s\n", recording_reader__error(r));
		exit(1);
	}
	recording_reader__free(r);
	fclose(f);
	return bench_cpu_s() - t0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Inflate only, as the reader did before it used libdeflate: every block
 * read, its CRC checked and inflated with zlib's inflate(). The reference
 * the goal was first measured against, kept to compare with it.
 */
static double run_zlib_inflate(const char *path)
{
	unsigned char h[RECORDING_BLOCK_HDR_LEN], *z = NULL, *u = NULL;
	size_t zcap = 0, ucap = 0;
	z_stream zs = { 0 };
	uint32_t meta_len;
	double t0;
	FILE *f;

	t0 = bench_cpu_s();
	f = fopen(path, "rb");
	if (!f || fread(h, 1, 16, f) != 16 || inflateInit2(&zs, -15) != Z_OK) {
		fprintf(stderr, "bench_replay: %s: cannot read\n", path);
		exit(1);
	}
	meta_len = le32(h + 12);
	if (fseek(f, (long)meta_len + 4, SEEK_CUR))
		exit(1);
	while (fread(h, 1, 4, f) == 4 && !memcmp(h, RECORDING_BLOCK_MAGIC, 4)) {
		uint32_t ulen, clen;

		if (fread(h + 4, 1, sizeof(h) - 4, f) != sizeof(h) - 4)
			break;
		ulen = le32(h + 4);
		clen = le32(h + 8);
		if (clen > zcap && !(z = realloc(z, zcap = clen)))
			exit(1);
		if (ulen > ucap && !(u = realloc(u, ucap = ulen)))
			exit(1);
		if (fread(z, 1, clen, f) != clen || le32(h + 32) != (uint32_t)crc32(0, z, clen))
			break;
		inflateReset(&zs);
		zs.next_in = z;
		zs.avail_in = clen;
		zs.next_out = u;
		zs.avail_out = ulen;
		if (inflate(&zs, Z_FINISH) != Z_STREAM_END) {
			fprintf(stderr, "bench_replay: %s: zlib cannot inflate a block\n", path);
			exit(1);
		}
	}
	inflateEnd(&zs);
	free(z);
	free(u);
	fclose(f);
	return bench_cpu_s() - t0;
}

/* reader only: inflate + decode every event, no engine */
static double run_decode(const char *path)
{
	struct recording_reader *r;
	const struct smt_event *ev;
	unsigned long long sum = 0;
	double t0;
	int rc;
	FILE *f;

	t0 = bench_cpu_s();
	f = bench_open_recording("bench_replay", path, &r);
	while ((rc = recording_reader__next_ref(r, &ev)) == 1)
		sum += ev->ts;	/* touch the event, as a consumer would */
	if (rc < 0) {
		fprintf(stderr, "bench_replay: %s\n", recording_reader__error(r));
		exit(1);
	}
	recording_reader__free(r);
	fclose(f);
	if (sum == 42)
		fprintf(stderr, "\n");
	return bench_cpu_s() - t0;
}

static void count_finding(const struct finding *fd, void *ctx)
{
	((unsigned long long *)ctx)[fd->rule]++;
}

/*
 * Full replay (reader + engine). BATCH: with recording_reader__next_batch()
 * and engine__feed_batch() (prefetching ahead), else one event at a time with
 * next_ref() and engine__feed(), as `smmutrace replay` feeds today.
 */
static double run_replay(const char *path, const struct topology *topo, bool batch,
			 struct engine_summary *sum, unsigned long long *findings)
{
	struct engine_opts opts = { .topo = topo, .on_finding = count_finding, .ctx = findings };
	struct recording_reader *r;
	const struct smt_event *ev;
	struct engine *e;
	double t0;
	int rc;
	FILE *f;

	memset(findings, 0, sizeof(unsigned long long) * RULE_MAX);
	t0 = bench_cpu_s();
	f = bench_open_recording("bench_replay", path, &r);
	e = engine__new(&opts);
	if (!e) {
		fprintf(stderr, "bench_replay: engine__new failed\n");
		exit(1);
	}
	if (batch) {
		const struct smt_event *evs[RECORDING_BATCH_MAX];

		while ((rc = recording_reader__next_batch(r, evs, RECORDING_BATCH_MAX)) > 0)
			engine__feed_batch(e, evs, (unsigned int)rc);
	} else {
		while ((rc = recording_reader__next_ref(r, &ev)) == 1)
			engine__feed(e, ev);
	}
	if (rc < 0) {
		fprintf(stderr, "bench_replay: %s\n", recording_reader__error(r));
		exit(1);
	}
	engine__finish(e);
	engine__summary(e, sum);
	engine__free(e);
	recording_reader__free(r);
	fclose(f);
	return bench_cpu_s() - t0;
}

/* the board text in the recording's metadata, or NULL */
static char *meta_board(const char *path)
{
	struct recording_reader *r;
	FILE *f = bench_open_recording("bench_replay", path, &r);
	char *text = recording__meta_board(recording_reader__meta_json(r));

	recording_reader__free(r);
	fclose(f);
	return text;
}

int main(int argc, char **argv)
{
	unsigned long long nev = 0, ubytes = 0, findings[RULE_MAX], rss_before, hwm = 0;
	double t_inflate[16], t_zlib[16], t_decode[16], t_replay[16], t_batch[16];
	double inflate, zinflate, decode, replay, batched;
	unsigned long long bfindings[RULE_MAX];
	struct engine_summary bsum;
	struct engine_summary sum;
	struct topology topo;
	struct rusage ru;
	const char *path;
	char err[512], *board;
	int runs = 3, c;
	bool profile = false, decode_only = false;

	while ((c = getopt(argc, argv, "r:PD")) != -1) {
		if (c == 'P' || c == 'D') {
			profile = c == 'P';
			decode_only = c == 'D';
			continue;
		}
		if (c != 'r')
			goto usage;
		runs = atoi(optarg);
		if (runs < 1 || runs > 16)
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	path = argv[optind];

	topology__init(&topo);
	board = meta_board(path);
	if (board && board__load_text(&topo, board, "<board in recording>", err, sizeof(err))) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return 1;
	}
	free(board);
	if (decode_only) {
		for (int i = 0; i < runs; i++)
			printf("inflate + decode:     %.3f s\n", run_decode(path));
		topology__free(&topo);
		return 0;
	}
	if (profile) {
		for (int i = 0; i < runs; i++)
			printf("full replay:          %.3f s, batched %.3f s\n",
			       run_replay(path, &topo, false, &sum, findings),
			       run_replay(path, &topo, true, &bsum, bfindings));
		topology__free(&topo);
		return 0;
	}

	/* the inflate buffers are allocated by the first inflate run: count them as baseline */
	rss_before = 0;
	for (int i = 0; i < runs; i++) {
		t_inflate[i] = run_inflate(path, &nev, &ubytes);
		t_zlib[i] = run_zlib_inflate(path);
		t_decode[i] = run_decode(path);
		if (i == 0)
			rss_before = proc_status_kb("VmRSS");
		t_replay[i] = run_replay(path, &topo, false, &sum, findings);
		/* memory of one replay: later runs reuse a heap the first one shaped */
		if (i == 0)
			hwm = proc_status_kb("VmHWM");
		t_batch[i] = run_replay(path, &topo, true, &bsum, bfindings);
	}
	inflate = bench_median(t_inflate, runs);
	zinflate = bench_median(t_zlib, runs);
	decode = bench_median(t_decode, runs);
	replay = bench_median(t_replay, runs);
	batched = bench_median(t_batch, runs);
	getrusage(RUSAGE_SELF, &ru);

	printf("recording:            %s\n", path);
	printf("events:               %llu (%.1f MiB encoded, %.1f bytes/event)\n", nev,
	       (double)ubytes / (1 << 20), nev ? (double)ubytes / (double)nev : 0.0);
	printf("board:                %d SMMU(s), %d TBU(s)\n", topo.nsmmus, topo.ntbus);
	printf("runs:                 %d, medians of CPU time below\n", runs);
	printf("inflate only:         %.3f s (%.1f M events/s; libdeflate, as the reader does)\n",
	       inflate, (double)nev / inflate / 1e6);
	printf("zlib inflate only:    %.3f s (%.1f M events/s; zlib inflate(), the reader before)\n",
	       zinflate, (double)nev / zinflate / 1e6);
	printf("inflate + decode:     %.3f s (%.1f M events/s)\n", decode, (double)nev / decode / 1e6);
	printf("full replay:          %.3f s (%.1f M events/s; next_ref + engine__feed, as report, whatif, monitor)\n",
	       replay, (double)nev / replay / 1e6);
	printf("batched replay:       %.3f s (%.1f M events/s; next_batch + engine__feed_batch, as smmutrace replay)\n",
	       batched, (double)nev / batched / 1e6);
	printf("replay / inflate:     %.2f (full replay over libdeflate inflate only; goal <= 2.00)\n",
	       replay / inflate);
	printf("batched / inflate:    %.2f (batched replay over libdeflate inflate only)\n",
	       batched / inflate);
	printf("replay / zlib inflate: %.2f (against the zlib reference of the first measurement)\n",
	       replay / zinflate);
	printf("decode / inflate:     %.2f (inflate + decode over inflate only)\n", decode / inflate);
	printf("peak live mappings:   %llu\n", (unsigned long long)sum.peak_live_mappings);
	printf("range nodes:          %llu at peak (mapped + pending + freed), index %llu slots\n",
	       (unsigned long long)sum.range_nodes_peak, (unsigned long long)sum.index_slots);
	printf("peak RSS:             %.1f MiB (VmHWM; ru_maxrss %.1f MiB)\n",
	       (double)hwm / (1 << 20), (double)ru.ru_maxrss / 1024);
	printf("RSS before replay:    %.1f MiB\n", (double)rss_before / (1 << 20));
	if (sum.peak_live_mappings) {
		printf("RSS per live mapping: %.1f bytes total, %.1f bytes above the pre-replay RSS (goal <= 128)\n",
		       (double)hwm / (double)sum.peak_live_mappings,
		       (double)(hwm - rss_before) / (double)sum.peak_live_mappings);
	}
	printf("findings:            ");
	for (int r = 0; r < RULE_MAX; r++)
		if (findings[r])
			printf(" %s=%llu", rule__name(r), findings[r]);
	printf("\n");
	if (memcmp(findings, bfindings, sizeof(findings)) || sum.events != bsum.events)
		printf("WARNING: the batched replay found otherwise than the full replay\n");
	if (sum.events != nev)
		printf("WARNING: the engine saw %llu events, the blocks hold %llu\n",
		       (unsigned long long)sum.events, nev);
	topology__free(&topo);
	return 0;

usage:
	fprintf(stderr, "Usage: bench_replay [-r RUNS(1-16)] [-P | -D] RECORDING\n");
	return 2;
}
