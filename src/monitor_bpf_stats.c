// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF run time of smmutrace's programs (see monitor_bpf_stats.h). */
#include <bpf/bpf.h>
#include <stdio.h>
#include <string.h>
#include "capture.h"
#include "monitor_bpf_stats.h"

bool bpf_stats__enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

size_t bpf_stats__collect(const struct capture_prog *progs, int nprogs,
			  struct metrics_bpf_prog *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < nprogs && n < max; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(progs[i].fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", progs[i].name);
		out[n].runs = info.run_cnt;
		out[n].run_ns = info.run_time_ns;
		n++;
	}
	return n;
}
