// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BPF run time of smmutrace's programs (see monitor_bpf_stats.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include "capture.h"
#include "monitor_bpf_stats.h"
#include "smmutrace_capture.h"	/* types the skeleton refers to */
/* the skeleton's helpers that capture.c uses are unused here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "smmutrace.skel.h"
#pragma GCC diagnostic pop

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

size_t bpf_stats__collect(struct capture *c, struct metrics_bpf_prog *out, size_t max)
{
	struct smmutrace_bpf *skel = capture__skel(c);
	struct bpf_program *prog;
	size_t n = 0;

	if (!skel || !skel->obj)
		return 0;
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (n == max)
			break;
		memset(&info, 0, sizeof(info));
		/* programs not loaded (hooks this kernel lacks) have no fd */
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].runs = info.run_cnt;
		out[n].run_ns = info.run_time_ns;
		n++;
	}
	return n;
}
