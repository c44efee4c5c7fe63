// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Starting and running a live capture, shared by live, record and monitor (see capture.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "capture.h"
#include "coverage.h"
#include "env.h"
#include "monitor_bpf_stats.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

uint64_t capture__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int capture__parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (v > (1ull << 40) >> shift)
		return -EINVAL;
	*bytes = v << shift;
	return 0;
}

void capture__catch_signals(void)
{
	struct sigaction sa;

	/* Also when started in the background by a shell, where SIGINT is
	 * ignored; no SA_RESTART: the poll returns EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int capture__stop_signal(void)
{
	return stop_signal;
}

/* Gate states now, stamped at T0 (before attaching: every traced event comes after). */
static int inject_initial_state(struct capture *c, const struct topology *t, uint64_t t0)
{
	struct smt_event evs[256];
	int n = capture_state__read(t, "", t0, evs, 256);

	for (int i = 0; i < n; i++)
		if (capture__inject(c, &evs[i]))
			return -ENOMEM;
	return n < 0 ? n : 0;
}

int capture__start(struct capture **out, const struct capture_opts *opts,
		   const struct capture_start_opts *so, struct coverage **covp)
{
	struct coverage *cov;
	struct capture *c;
	char err[1024];
	uint64_t t0;

	*out = NULL;
	*covp = NULL;
	capture__catch_signals();
	t0 = capture__now();
	if (capture__open(&c, opts, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_ENV;
	}
	/* SPEC §9: no findings from a blind spot; with --force its rules are not judged */
	err[0] = 0;
	cov = malloc(sizeof(*cov));
	if (!cov || coverage__judge(cov, capture__hooks(c), so->sysfs ? so->sysfs : "/sys",
				    opts->topo, false, err, sizeof(err)) ||
	    coverage__refuse(cov, so->cmd, so->force)) {
		if (!cov || err[0])
			pr_err("%s\n", cov ? err : "out of memory");
		free(cov);
		capture__free(c);
		return EXIT_ENV;
	}
	if (inject_initial_state(c, opts->topo, t0))
		pr_warn("%s: reading the initial gate states failed; they start unknown\n", so->cmd);
	*out = c;
	*covp = cov;
	return 0;
}

int capture__parse_opt(struct capture_opts *o, struct capture_start_opts *so, const char *cmd,
		       int c, const char *arg)
{
	uint64_t rb;

	switch (c) {
	case OPT_CAP_BTF:
		o->btf_path = arg;
		return 1;
	case OPT_CAP_ALL_GATES:
		o->all_gates = true;
		return 1;
	case OPT_CAP_FORCE:
		so->force = true;
		return 1;
	case OPT_CAP_SYSFS:
		so->sysfs = arg;
		return 1;
	case OPT_CAP_KALLSYMS:
		o->kallsyms_path = arg;
		return 1;
	case OPT_CAP_RINGBUF:
		if (capture__parse_size(arg, &rb) || rb < 4096 || (rb & (rb - 1))) {
			pr_err("%s: --ringbuf: '%s' is not a power of two >= 4096\n", cmd, arg);
			return -1;
		}
		/* BPF_MAP_TYPE_RINGBUF max_entries is a u32: a usage error, not a load failure */
		if (rb > (1ull << 31)) {
			pr_err("%s: --ringbuf: '%s' is over 2G, the largest ring buffer the kernel "
			       "takes\n", cmd, arg);
			return -1;
		}
		o->ringbuf_bytes = rb;
		return 1;
	}
	return 0;
}

static int by_run_ns(const void *a, const void *b)
{
	const struct metrics_bpf_prog *x = a, *y = b;

	return x->run_ns < y->run_ns ? 1 : x->run_ns > y->run_ns ? -1 : 0;
}

/*
 * What tracing cost: this process's CPU time (the consumer: decoding,
 * writing, compressing) and, while kernel.bpf_stats_enabled is 1, the run
 * time of each BPF program in the kernel (make bench-board's breakdown).
 */
static void log_cost(struct capture *c)
{
	struct metrics_bpf_prog p[METRICS_MAX_BPF_PROGS];
	struct capture_prog progs[METRICS_MAX_BPF_PROGS];
	uint64_t runs = 0, ns = 0;
	struct rusage ru;
	size_t n;

	if (!getrusage(RUSAGE_SELF, &ru))
		pr_debug("consumer CPU time: user %ld.%06ld s, system %ld.%06ld s\n",
			 (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
			 (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	if (!bpf_stats__enabled()) {
		pr_debug("BPF run time: not counted (sysctl kernel.bpf_stats_enabled=1 counts it)\n");
		return;
	}
	n = bpf_stats__collect(progs, capture__progs(c, progs, METRICS_MAX_BPF_PROGS), p,
			       METRICS_MAX_BPF_PROGS);
	qsort(p, n, sizeof(p[0]), by_run_ns);
	for (size_t i = 0; i < n; i++) {
		runs += p[i].runs;
		ns += p[i].run_ns;
	}
	pr_debug("BPF run time: %" PRIu64 ".%06" PRIu64 " s in %" PRIu64 " runs\n",
		 ns / 1000000000u, ns % 1000000000u / 1000u, runs);
	for (size_t i = 0; i < n && p[i].runs; i++)
		pr_debug("  %-40s %10" PRIu64 " runs %12" PRIu64 " ns %6" PRIu64 " ns/run\n",
			 p[i].name, p[i].runs, p[i].run_ns, p[i].run_ns / p[i].runs);
}

void capture__log_stats(struct capture *c)
{
	struct capture_stats st;

	if (log__level() < LOG_DEBUG)
		return;
	capture__stats(c, &st);
	pr_debug("%" PRIu64 " events, %" PRIu64 " lost, %" PRIu64 " filtered, %" PRIu64
		 " reordered, %" PRIu64 " wakeups, %d hooks\n", st.events, st.lost, st.filtered,
		 st.reordered, st.wakeups, st.attached);
	pr_debug("SMMUv3: %" PRIu64 " TLBIs of no known domain, %" PRIu64 " other commands, %"
		 PRIu64 " non-fault event records\n", st.tlbi_no_domain, st.cmdq_other,
		 st.evtq_other);
	log_cost(c);
}

int capture__run(struct capture *c, const struct capture_loop *l)
{
	uint64_t start = capture__now(), next_tick;
	int err = 0;

	next_tick = l->interval_ns ? start + l->interval_ns : UINT64_MAX;
	while (!stop_signal) {
		uint64_t now = capture__now();

		if (l->duration_ns && now - start >= l->duration_ns)
			break;
		err = capture__poll(c, 100, l->fn, l->ctx);
		if (err)
			break;
		now = capture__now();
		if (now >= next_tick) {
			if (l->on_tick)
				l->on_tick(l->ctx, now - start);
			next_tick += l->interval_ns;
		}
		if (l->on_idle && !stop_signal && !l->on_idle(l->ctx, now))
			break;
	}
	capture__drain(c, l->fn, l->ctx);
	return err;
}
