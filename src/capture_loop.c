// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The capture loop shared by live and record (see capture.h). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture.h"

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

int capture__run(struct capture *c, const struct capture_loop *l)
{
	uint64_t start = capture__now(), next_tick;
	int err = 0;

	capture__catch_signals();	/* no-op if the caller did it already */
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
	}
	capture__drain(c, l->fn, l->ctx);
	return err;
}
