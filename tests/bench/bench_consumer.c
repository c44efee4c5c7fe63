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
 * Usage: bench_consumer [-r ROUNDS] [-n PAIRS] [-x | -b] -o OUT
 * -x interleaves the pairs so every map record arrives after the unmap that
 * followed its entry (ts out of order in the ring, as records from several
 * CPUs arrive; the consumer must sort them). -b is the board's stream (make
 * bench-board: map, unmap, tlbi, sync per pair, the last two from one SMMUv3
 * command-queue record): the records are made here, as the programs fill
 * them, and handed to the consumer's ring-buffer callback by
 * capture__feed_record(), so callgrind sees only the consumer's
 * instructions (timed_board_null / timed_board_write). Needs root (BPF):
 * without it, says "skipped: ..." and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
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

/* ---- -b: the board's stream, records made here ---- */

#define BOARD_SMMU	0xffff00000a000000ull	/* the SMMU's struct device * */
#define BOARD_DOMAIN	0xffff000012340000ull

struct board_recs {
	struct smt_event *ev;		/* 2 per pair: map, unmap (SMT_EVENT_SIZE_NUMERIC sent) */
	struct smt_rec_inval *inval;	/* 1 per pair: tlbi + sync */
	uint64_t next_ts;
};

static void board_common(struct smt_event *e, unsigned int type, uint64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->ts = ts;
	e->type = type;
	e->present = SMT_HAS_CPU | SMT_HAS_PID | SMT_HAS_COMM | SMT_HAS_DOMAIN | SMT_HAS_IOVA |
		     SMT_HAS_SIZE | SMT_HAS_RET;
	e->cpu = 1;
	e->pid = 4242;
	memcpy(e->comm, "dma_bench", 10);
	e->domain = BOARD_DOMAIN;
}

static uint64_t board_rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;	/* xorshift64: the same stream every run */

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/*
 * PAIRS direct reads' DMA ops, about 30 us apart as on the board: map,
 * unmap, the unmap's TLBI (decoded at the command queue's entry) and its
 * CMD_SYNC, with jittered times, a pinned user page per read (scattered
 * physical pages), one of 1024 IOVAs (the IOVA caches hand freed ones back)
 * and a reader that now and then moves CPU: about the 21 payload bytes and
 * 10 bytes on disk per event bench-board's recordings have.
 */
static void board_fill(struct board_recs *b, unsigned int pairs)
{
	for (unsigned int i = 0; i < pairs; i++) {
		struct smt_event *m = &b->ev[2 * i], *u = &b->ev[2 * i + 1];
		struct smt_rec_inval *r = &b->inval[i];
		uint64_t t = b->next_ts, iova = 0xfff00000ull - (board_rnd() % 1024) * 0x1000ull;
		uint64_t t_unmap = t + 4000 + board_rnd() % 4000;
		uint64_t t_tlbi = t_unmap + 800 + board_rnd() % 400;
		int cpu = board_rnd() % 16 ? 1 : 0;

		b->next_ts += 25000 + board_rnd() % 10000;
		board_common(m, SMT_EV_MAP, t);
		m->cpu = cpu;
		m->present |= SMT_HAS_PADDR;
		m->iova = iova;
		m->size = 0x1000;
		m->paddr = 0x880000000ull + (board_rnd() % 0x40000) * 0x1000;
		board_common(u, SMT_EV_UNMAP, t_unmap);
		u->cpu = cpu;
		u->iova = iova;
		u->size = 0x1000;
		u->ret = 0x1000;
		memset(r, 0, sizeof(*r));
		r->ts = t_tlbi + 150 + board_rnd() % 100;
		r->type = SMT_REC_INVAL;
		r->ntlbi = 1;
		r->flags = SMT_INVAL_SYNC | SMT_INVAL_HAS_TIMEOUT;
		r->sync_scope = SMT_SYNC_GLOBAL;
		r->cpu = r->tlbi_cpu = cpu;
		r->pid = 4242;
		memcpy(r->comm, "dma_bench", 10);
		r->smmu = BOARD_SMMU;
		r->sync_domain = BOARD_DOMAIN;
		r->dur = 1500 + board_rnd() % 1500;
		r->tlbi[0].ts = t_tlbi;
		r->tlbi[0].domain = BOARD_DOMAIN;
		r->tlbi[0].iova = iova;
		r->tlbi[0].size = 0x1000;
		r->tlbi[0].scope = SMT_TLBI_VA;
	}
}

static void board_feed(struct capture *cap, struct board_recs *b, unsigned int pairs)
{
	for (unsigned int i = 0; i < pairs; i++) {
		capture__feed_record(cap, &b->ev[2 * i], SMT_EVENT_SIZE_NUMERIC);
		capture__feed_record(cap, &b->ev[2 * i + 1], SMT_EVENT_SIZE_NUMERIC);
		capture__feed_record(cap, &b->inval[i], SMT_REC_INVAL_SIZE(1));
	}
}

/* separate functions so callgrind can count each (--toggle-collect=timed_board_*) */
__attribute__((noinline))
static int timed_board_null(struct capture *cap, struct board_recs *b, unsigned int pairs)
{
	board_feed(cap, b, pairs);
	return capture__poll(cap, 0, count_ev, NULL);
}

__attribute__((noinline))
static int timed_board_write(struct capture *cap, struct board_recs *b, unsigned int pairs,
			     struct recording_writer *w)
{
	board_feed(cap, b, pairs);
	return capture__poll(cap, 0, write_ev, w);
}

static double board_poll(struct capture *cap, struct board_recs *b, unsigned int pairs,
			 struct recording_writer *w)
{
	double t0, t;
	int rc;

	board_fill(b, pairs);
	delivered = 0;
	t0 = bench_cpu_s();
	rc = w ? timed_board_write(cap, b, pairs, w) : timed_board_null(cap, b, pairs);
	t = bench_cpu_s() - t0;
	if (rc || delivered != 4ull * pairs) {
		fprintf(stderr, "bench_consumer: %llu events delivered, %u made\n", delivered,
			4 * pairs);
		exit(1);
	}
	return t;
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
	unsigned int pairs = 0;
	int rounds = 5, c;
	bool interleave = false, board = false;
	struct board_recs brec = { 0 };
	const char *out = NULL;
	struct recording_writer *w;
	struct capture *cap;
	struct capture_stats st;
	struct stat sb;
	struct progs p;
	char err[512] = "";

	while ((c = getopt(argc, argv, "r:n:xbo:")) != -1) {
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
		case 'b':
			board = true;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!pairs)
		pairs = board ? 25000 : 50000;
	/* one poll's records all fit the reorder buffer (64 MiB of events) */
	if (optind != argc || !out || (board && (interleave || pairs > 32768)))
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

	if (board) {
		struct smt_rec_name name = { .type = SMT_REC_DEV_NAME, .dev = BOARD_SMMU,
					     .name = "4f00000.iommu" };

		brec.ev = calloc(2 * (size_t)pairs, sizeof(*brec.ev));
		brec.inval = calloc(pairs, sizeof(*brec.inval));
		if (!brec.ev || !brec.inval)
			return 1;
		/* in the past, so one poll releases them; 2 * ROUNDS * PAIRS * 30 us at most */
		brec.next_ts = capture__now() - 2ull * rounds * pairs * 30000 - 1000000000ull;
		name.ts = brec.next_ts;
		capture__feed_record(cap, &name, sizeof(name));
	}
	for (int r = 0; r < rounds && board; r++) {
		t_null[r] = board_poll(cap, &brec, pairs, NULL);
		t_write[r] = board_poll(cap, &brec, pairs, w);
	}
	for (int r = 0; r < rounds && !board; r++) {
		/* alternated, each on its own fresh records */
		t_null[r] = timed_poll(cap, &p, pairs, interleave, 2 * r, count_ev, NULL);
		t_write[r] = timed_poll(cap, &p, pairs, interleave, 2 * r + 1, write_ev, w);
	}
	if (capture__drain(cap, count_ev, NULL) || recording_writer__close(w))
		return 1;
	if (stat(out, &sb))
		return 1;
	capture__stats(cap, &st);
	if (st.lost) {
		fprintf(stderr, "bench_consumer: %llu records lost: figures not comparable\n",
			(unsigned long long)st.lost);
		return 1;
	}
	{
		double tn = bench_median(t_null, rounds), tw = bench_median(t_write, rounds);
		double n = (board ? 4.0 : 2.0) * pairs;

		printf("consumer (%s, %.0f events a poll, medians of %d, CPU time): %s -> "
		       "callback %.1f ns/event; -> recording writer %.1f ns/event (%.2f M events/s); "
		       "%llu reordered; %.2f bytes/event on disk\n",
		       board ? "board stream: map, unmap, tlbi, sync" :
		       interleave ? "maps after their unmaps" : "in order",
		       n, rounds, board ? "record callback" : "ring buffer", tn * 1e9 / n,
		       tw * 1e9 / n, n / tw / 1e6, (unsigned long long)st.reordered,
		       (double)sb.st_size / (n * rounds));
	}
	capture__free(cap);
	return 0;
usage:
	fprintf(stderr, "usage: bench_consumer [-r ROUNDS] [-n PAIRS] [-x | -b] -o OUT\n");
	return 2;
}
