/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * BPF run time of smmutrace's own programs, for the monitor's metrics. The
 * kernel counts it only while kernel.bpf_stats_enabled is 1 (it costs a
 * little per run), so monitor reports it only then.
 */
#ifndef SMMUTRACE_MONITOR_BPF_STATS_H
#define SMMUTRACE_MONITOR_BPF_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include "monitor_metrics.h"

struct capture_prog;

/* kernel.bpf_stats_enabled is 1 */
bool bpf_stats__enabled(void);
/* run counts and times of the NPROGS programs (capture__progs); returns how many (<= MAX) */
size_t bpf_stats__collect(const struct capture_prog *progs, int nprogs,
			  struct metrics_bpf_prog *out, size_t max);

#endif
