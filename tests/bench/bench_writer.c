// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Recording writer benchmark: what `smmutrace record` spends per event after
 * the ring buffer, encoding and compressing, with the events already in
 * memory (on the board this runs on the CPUs the DMA runs on).
 *
 * Usage: bench_writer [-r RUNS] [-n MAX_EVENTS] [-l LEVEL]... -o OUT FILE
 * Reads up to MAX_EVENTS (default 2000000) events of recording FILE into
 * memory, then, RUNS times (default 3) per level (default 1, the writer's
 * default, and 6, zlib's), interleaved:
 *   - writes them all with recording_writer to OUT (a file: the write()s are
 *     part of the cost, as on the board);
 *   - compresses the uncompressed payloads of OUT's blocks again, whole, with
 *     libdeflate (what the writer does) and with zlib's deflate() as the
 *     writer did before (raw deflate, deflateReset per block, same level).
 * Medians of CPU time (user + system) are reported, and bytes per event on
 * disk for both compressors. "writer with zlib" is the writer's time with
 * libdeflate's compression swapped for zlib's, both measured here on the
 * same blocks: everything else the writer does is the same code.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>
#include <zlib.h>
#include "recording.h"
#include "bench_util.h"
#include "recording_blocks.h"

#define MAX_RUNS	16
#define MAX_LEVELS	9

static double run_writer(const char *out, const struct smt_event *evs, size_t n, int level,
			 unsigned long long *bytes)
{
	struct recording_writer_opts opts = { .level = level };
	struct recording_writer *w;
	char err[512];
	double t0 = bench_cpu_s();

	if (recording_writer__open(&w, out, "{}", &opts, err, sizeof(err))) {
		fprintf(stderr, "bench_writer: %s\n", err);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		if (recording_writer__write(w, &evs[i], NULL)) {
			fprintf(stderr, "bench_writer: %s: event %zu refused\n", out, i + 1);
			exit(1);
		}
	}
	*bytes = recording_writer__bytes(w);
	if (recording_writer__close(w)) {
		fprintf(stderr, "bench_writer: %s: close failed\n", out);
		exit(1);
	}
	*bytes += RECORDING_CLOSE_LEN;
	return bench_cpu_s() - t0;
}

struct blocks {
	uint8_t **data;
	size_t *len;
	size_t n;
	size_t max_len;
};

/* the uncompressed payloads of FILE's blocks, what the writer compressed */
static void load_blocks(const char *path, struct blocks *b)
{
	struct recording_reader *r;
	FILE *f = bench_open_recording("bench_writer", path, &r);
	const void *data;
	size_t len, cap = 0;
	unsigned int nev;

	while (recording_reader__next_block(r, &data, &len, &nev) == 1) {
		if (b->n == cap) {
			cap = cap ? 2 * cap : 256;
			b->data = realloc(b->data, cap * sizeof(*b->data));
			b->len = realloc(b->len, cap * sizeof(*b->len));
			if (!b->data || !b->len)
				goto oom;
		}
		b->data[b->n] = malloc(len);
		if (!b->data[b->n])
			goto oom;
		memcpy(b->data[b->n], data, len);
		b->len[b->n++] = len;
		if (len > b->max_len)
			b->max_len = len;
	}
	recording_reader__free(r);
	fclose(f);
	return;
oom:
	fprintf(stderr, "bench_writer: out of memory\n");
	exit(1);
}

static void free_blocks(struct blocks *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->data[i]);
	free(b->data);
	free(b->len);
	memset(b, 0, sizeof(*b));
}

static double run_libdeflate(const struct blocks *b, int level, uint8_t *out, size_t cap,
			     unsigned long long *clen)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	double t0 = bench_cpu_s();

	*clen = 0;
	for (size_t i = 0; i < b->n; i++) {
		size_t k = libdeflate_deflate_compress(c, b->data[i], b->len[i], out, cap);

		if (!k) {
			fprintf(stderr, "bench_writer: libdeflate: block %zu did not fit\n", i);
			exit(1);
		}
		*clen += k;
	}
	t0 = bench_cpu_s() - t0;
	libdeflate_free_compressor(c);
	return t0;
}

/* as the writer did before libdeflate: one z_stream, reset per block */
static double run_zlib(const struct blocks *b, int level, uint8_t *out, size_t cap,
		       unsigned long long *clen)
{
	z_stream zs = { 0 };
	double t0;

	if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	t0 = bench_cpu_s();
	*clen = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (deflateReset(&zs) != Z_OK)
			exit(1);
		zs.next_in = b->data[i];
		zs.avail_in = (uInt)b->len[i];
		zs.next_out = out;
		zs.avail_out = (uInt)cap;
		if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
			fprintf(stderr, "bench_writer: zlib: block %zu failed\n", i);
			exit(1);
		}
		*clen += cap - zs.avail_out;
	}
	t0 = bench_cpu_s() - t0;
	deflateEnd(&zs);
	return t0;
}

int main(int argc, char **argv)
{
	int runs = 3, levels[MAX_LEVELS], nlevels = 0, c;
	size_t max_events = 2000000, n = 0, cap;
	struct smt_event *evs;
	struct recording_reader *r;
	const char *out = NULL;
	FILE *f;

	while ((c = getopt(argc, argv, "r:n:l:o:")) != -1) {
		switch (c) {
		case 'r':
			runs = atoi(optarg);
			if (runs < 1 || runs > MAX_RUNS)
				goto usage;
			break;
		case 'n':
			max_events = strtoull(optarg, NULL, 0);
			if (!max_events)
				goto usage;
			break;
		case 'l':
			if (nlevels == MAX_LEVELS)
				goto usage;
			levels[nlevels] = atoi(optarg);
			if (levels[nlevels] < 1 || levels[nlevels] > 9)
				goto usage;
			nlevels++;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || !out)
		goto usage;
	if (!nlevels) {
		levels[nlevels++] = 1;
		levels[nlevels++] = 6;
	}

	f = bench_open_recording("bench_writer", argv[optind], &r);
	cap = max_events < 1u << 20 ? max_events : 1u << 20;
	evs = malloc(cap * sizeof(*evs));
	while (evs && n < max_events) {
		if (n == cap) {
			cap *= 2;
			evs = realloc(evs, cap * sizeof(*evs));
			if (!evs)
				break;
		}
		c = recording_reader__next(r, &evs[n]);
		if (c < 0) {
			fprintf(stderr, "bench_writer: %s\n", recording_reader__error(r));
			return 1;
		}
		if (c == 0)
			break;
		n++;
	}
	if (!evs) {
		fprintf(stderr, "bench_writer: out of memory for %zu events\n", max_events);
		return 1;
	}
	recording_reader__free(r);
	fclose(f);
	printf("writer (%zu events in memory -> file, CPU time, medians of %d)\n", n, runs);

	for (int l = 0; l < nlevels; l++) {
		double tw[MAX_RUNS], tld[MAX_RUNS], tz[MAX_RUNS], w, ld, z;
		unsigned long long bytes = 0, ld_bytes = 0, z_bytes = 0, payload = 0;
		struct blocks b = { 0 };
		uint8_t *buf;
		size_t bcap;

		/* a first write gives the blocks the compressors are timed on */
		run_writer(out, evs, n, levels[l], &bytes);
		load_blocks(out, &b);
		for (size_t i = 0; i < b.n; i++)
			payload += b.len[i];
		bcap = compressBound((uLong)b.max_len) + 65536;
		buf = malloc(bcap);
		if (!buf)
			return 1;
		for (int i = 0; i < runs; i++) {
			tw[i] = run_writer(out, evs, n, levels[l], &bytes);
			tld[i] = run_libdeflate(&b, levels[l], buf, bcap, &ld_bytes);
			tz[i] = run_zlib(&b, levels[l], buf, bcap, &z_bytes);
		}
		w = bench_median(tw, runs);
		ld = bench_median(tld, runs);
		z = bench_median(tz, runs);
		printf("level %d: writer %.3f s (%.2f M events/s, %.1f ns/event), %.2f bytes/event on disk\n",
		       levels[l], w, n / w / 1e6, w * 1e9 / n, (double)bytes / n);
		printf("  compress only: libdeflate %.3f s, zlib %.3f s (zlib / libdeflate %.2f); "
		       "payload %.2f, libdeflate %.2f, zlib %.2f bytes/event\n",
		       ld, z, z / ld, (double)payload / n, (double)ld_bytes / n, (double)z_bytes / n);
		printf("  writer with zlib (libdeflate's compress time swapped for zlib's): %.3f s "
		       "(%.2f M events/s); writer / that %.2f\n",
		       w - ld + z, n / (w - ld + z) / 1e6, w / (w - ld + z));
		free(buf);
		free_blocks(&b);
	}
	free(evs);
	return 0;
usage:
	fprintf(stderr, "usage: bench_writer [-r RUNS] [-n MAX_EVENTS] [-l LEVEL]... -o OUT FILE\n");
	return 2;
}
