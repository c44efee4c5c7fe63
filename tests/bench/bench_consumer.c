// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record consumer benchmark: what `smmutrace record` spends per event in
 * user space, from the BPF ring buffer to the recording file, on this host's
 * kernel without kprobes or an SMMU. Real records are made by the capture's
 * own handlers through their raw_tp twins and BPF_PROG_TEST_RUN (as
 * tests/bpf/ does): a map (entry + return) and an unmap (entry + return) per
 * pair, into the capture's real ring buffer; then one capture__poll() hands
 * them through the consumer (ring buffer callback, reorder buffer, lost
 * accounting) to the callback, timed alone (CPU time of this process: the
 * BPF runs happen before the clock starts). Two callbacks: nothing (the
 * consumer alone) and recording_writer__write() to OUT, as cmd_record.c does.
 *
 * Usage: bench_consumer [-r ROUNDS] [-n PAIRS] [-x] -o OUT
 * -x interleaves the pairs so every map record arrives after the unmap that
 * followed its entry (ts out of order in the ring, as records from several
 * CPUs arrive; the consumer must sort them). Needs root (BPF): without it,
 * says "skipped: ..." and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture.h"
#include "recording.h"
#include "bench_util.h"
#include "smmutrace_capture.h"
#include "smmutrace.skel.h"

#define MAX_ROUNDS	16

static int prog_fd(struct capture *c, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(capture__skel(c)->obj, name);

	if (!p) {
		fprintf(stderr, "bench_consumer: no program %s\n", name);
		exit(1);
	}
	return bpf_program__fd(p);
}

static void run(int fd, const __u64 *args, int nargs)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(*args) * nargs);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_consumer: test_run: %s\n", strerror(errno));
		exit(1);
	}
}

struct progs {
	int map, map_ret, unmap, unmap_ret;
};

/* PAIRS map + unmap records into the ring buffer, each its own IOVA */
static void fill(const struct progs *p, unsigned int pairs, bool interleave, unsigned int round)
{
	for (unsigned int i = 0; i < pairs; i++) {
		__u64 iova = 0x100000000ull + ((__u64)round * pairs + i) * 4096;
		__u64 map[] = { 0xffff000012340000ull + (i % 8) * 0x1000, iova,
				0x80000000ull + (__u64)i * 4096, 4096, 1 };
		__u64 unmap[] = { map[0], iova, 4096, 1 };
		__u64 ok = 0, unmapped = 4096;

		run(p->map, map, 5);
		if (interleave) {
			/* the unmap's record goes in first, carrying a later entry time */
			run(p->unmap, unmap, 4);
			run(p->unmap_ret, &unmapped, 1);
			run(p->map_ret, &ok, 1);
		} else {
			run(p->map_ret, &ok, 1);
			run(p->unmap, unmap, 4);
			run(p->unmap_ret, &unmapped, 1);
		}
	}
}

static unsigned long long delivered;

static void count_ev(const struct smt_event *ev, void *ctx)
{
	delivered++;
}

static void write_ev(const struct smt_event *ev, void *ctx)
{
	delivered++;
	if (recording_writer__write(ctx, ev, NULL)) {
		fprintf(stderr, "bench_consumer: write failed\n");
		exit(1);
	}
}

/*
 * CPU seconds of one poll taking PAIRS fresh map/unmap pairs (made for ROUND)
 * from the ring buffer to FN; exits 1 if the poll fails or delivers another
 * number of events than were made.
 */
static double timed_poll(struct capture *cap, const struct progs *p, unsigned int pairs,
			 bool interleave, unsigned int round, capture_event_fn fn, void *ctx)
{
	double t0, t;

	fill(p, pairs, interleave, round);
	delivered = 0;
	t0 = bench_cpu_s();
	if (capture__poll(cap, 0, fn, ctx))
		exit(1);
	t = bench_cpu_s() - t0;
	if (delivered != 2ull * pairs) {
		fprintf(stderr, "bench_consumer: %llu events delivered, %u made\n", delivered,
			2 * pairs);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	/* no core-hook filter (smmu_map_fn 0): the twins' domains are made up */
	struct capture_test_layout layout = {
		.v2_dom_smmu = 0, .v2_dom_domain = 64, .v2_smmu_dev = 16,
		.v3_dom_smmu = 8, .v3_dom_domain = 128, .v3_smmu_dev = 16,
		.cmdlist_nargs = 4, .v2_range_cookie_arg = 3,
		.v3_evtq = 320, .v3_q_ent_dwords = 160, .v3_smmu_iommu = 512,
	};
	struct capture_opts o = {
		.no_attach = true, .load_twins = true, .all_gates = true,
		.ringbuf_bytes = 64u << 20,
		/* everything polled is older than the window: one poll releases it all */
		.reorder_ns = 1,
		.test_layout = &layout,
	};
	double t_null[MAX_ROUNDS], t_write[MAX_ROUNDS];
	unsigned int pairs = 50000;
	int rounds = 5, c;
	bool interleave = false;
	const char *out = NULL;
	struct recording_writer *w;
	struct capture *cap;
	struct capture_stats st;
	struct progs p;
	char err[512] = "";

	while ((c = getopt(argc, argv, "r:n:xo:")) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS)
				goto usage;
			break;
		case 'n':
			pairs = (unsigned int)strtoul(optarg, NULL, 0);
			/* two records of up to 512 bytes each (with the ring's header) fit 64 MiB */
			if (!pairs || pairs > 65536)
				goto usage;
			break;
		case 'x':
			interleave = true;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || !out)
		goto usage;
	if (geteuid() != 0) {
		printf("consumer: skipped: needs root (BPF_PROG_TEST_RUN of the capture's twins)\n");
		return 0;
	}
	libbpf_set_print(NULL);
	if (capture__open(&cap, &o, err, sizeof(err))) {
		printf("consumer: skipped: %s\n", err);
		return 0;
	}
	p.map = prog_fd(cap, "twin_kprobe_arm_smmu_map_pages");
	p.map_ret = prog_fd(cap, "twin_kretprobe_arm_smmu_map");
	p.unmap = prog_fd(cap, "twin_kprobe_arm_smmu_unmap_pages");
	p.unmap_ret = prog_fd(cap, "twin_kretprobe_arm_smmu_unmap");
	if (recording_writer__open(&w, out, "{}", NULL, err, sizeof(err))) {
		fprintf(stderr, "bench_consumer: %s\n", err);
		return 1;
	}

	for (int r = 0; r < rounds; r++) {
		/* alternated, each on its own fresh records */
		t_null[r] = timed_poll(cap, &p, pairs, interleave, 2 * r, count_ev, NULL);
		t_write[r] = timed_poll(cap, &p, pairs, interleave, 2 * r + 1, write_ev, w);
	}
	if (capture__drain(cap, count_ev, NULL) || recording_writer__close(w))
		return 1;
	capture__stats(cap, &st);
	if (st.lost) {
		fprintf(stderr, "bench_consumer: %llu records lost: figures not comparable\n",
			(unsigned long long)st.lost);
		return 1;
	}
	{
		double tn = bench_median(t_null, rounds), tw = bench_median(t_write, rounds), n = 2.0 * pairs;

		printf("consumer (%s, %u events a poll, medians of %d, CPU time): ring buffer -> "
		       "callback %.1f ns/event; -> recording writer %.1f ns/event (%.2f M events/s); "
		       "%llu reordered\n", interleave ? "maps after their unmaps" : "in order",
		       2 * pairs, rounds, tn * 1e9 / n, tw * 1e9 / n, n / tw / 1e6,
		       (unsigned long long)st.reordered);
	}
	capture__free(cap);
	return 0;
usage:
	fprintf(stderr, "usage: bench_consumer [-r ROUNDS] [-n PAIRS] [-x] -o OUT\n");
	return 2;
}
