// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Initial state for live capture: what the gates the board names look like
 * right now, read from sysfs/debugfs, plus the meta event (since_boot:false,
 * DMA mode, kernel, arch). Emitted before any traced event so the engine
 * does not start with every gate "unknown".
 */
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "capture.h"
#include "event.h"

int capture__read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

/* iommu.strict=0|1 on the command line, or -1 */
static int cmdline_strict(const char *root)
{
	char path[512], buf[4096];
	const char *p;

	snprintf(path, sizeof(path), "%s/proc/cmdline", root);
	if (capture__read_line(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "iommu.strict=");
	if (!p)
		return -1;
	return p[13] == '0' ? 0 : 1;
}

/*
 * Does a group's "DMA" type mean strict? Only since 5.15, which added
 * "DMA-FQ" for lazy groups; before it every translated group reads "DMA"
 * whatever iommu.strict says (seen on Debian 5.10 with iommu.strict=0).
 * No other sysfs or BTF fact tells the two apart, hence the release.
 */
static bool dma_type_means_strict(const char *root)
{
	char path[512], buf[128];
	int major = 0, minor = 0;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/osrelease", root);
	if (capture__read_line(path, buf, sizeof(buf)) || sscanf(buf, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 5 || (major == 5 && minor >= 15);
}

int capture_state__strict(const char *root)
{
	char pattern[512], buf[64];
	int strict = -1;
	glob_t g;

	/* per-group type (5.15+): DMA-FQ = lazy flush queue, DMA = strict */
	snprintf(pattern, sizeof(pattern), "%s/sys/kernel/iommu_groups/*/type", root);
	if (!glob(pattern, 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			if (capture__read_line(g.gl_pathv[i], buf, sizeof(buf)))
				continue;
			if (!strcmp(buf, "DMA-FQ"))
				strict = 0;
			else if (!strcmp(buf, "DMA") && strict < 0)
				strict = 1;
		}
		globfree(&g);
	}
	if (strict == 1 && !dma_type_means_strict(root))
		strict = -1;
	if (strict < 0)
		strict = cmdline_strict(root);
	if (strict < 0) {
		/* Kconfig default: IOMMU_DEFAULT_DMA_LAZY on x86/s390, strict elsewhere */
#if defined(__x86_64__) || defined(__s390x__)
		strict = 0;
#else
		strict = 1;
#endif
	}
	return strict;
}

int capture_state__kprobe_profile(const char *path, const char *prefix, uint64_t *hits,
				  uint64_t *missed)
{
	FILE *f = fopen(path, "r");
	size_t pl = strlen(prefix);
	char line[512], name[256];
	unsigned long long hit, miss;
	uint64_t hsum = 0, msum = 0;

	if (!f)
		return -errno;
	/* "  EVENT   NHIT   NMISSED" (kernel/trace/trace_kprobe.c, profile_seq_show) */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %255s %llu %llu", name, &hit, &miss) == 3 &&
		    !strncmp(name, prefix, pl)) {
			hsum += hit;
			msum += miss;
		}
	fclose(f);
	*hits = hsum;
	*missed = msum;
	return 0;
}

uint64_t capture_state__kprobe_skipped(uint64_t hits_base, uint64_t runs_base, uint64_t hits,
				       uint64_t runs)
{
	uint64_t h = hits > hits_base ? hits - hits_base : 0;
	uint64_t r = runs > runs_base ? runs - runs_base : 0;

	return h > r ? h - r : 0;
}

static void gate_event(struct smt_event *ev, unsigned int type, uint64_t ts, const char *name)
{
	event__init(ev, type, ts);
	snprintf(ev->name, sizeof(ev->name), "%s", name);
	ev->present |= SMT_HAS_NAME;
}

static int read_clk(const char *root, const char *name, uint64_t ts, struct smt_event *ev)
{
	char path[512], buf[32];

	snprintf(path, sizeof(path), "%s/sys/kernel/debug/clk/%s/clk_enable_count", root, name);
	if (capture__read_line(path, buf, sizeof(buf)))
		return 0;
	gate_event(ev, SMT_EV_CLK, ts, name);
	ev->on = strtol(buf, NULL, 10) > 0;
	return 1;
}

static int read_rpm(const char *root, const char *name, uint64_t ts, struct smt_event *ev)
{
	char pattern[512], buf[32];
	int n = 0, st;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/sys/bus/*/devices/%s/power/runtime_status", root,
		 name);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	if (g.gl_pathc && !capture__read_line(g.gl_pathv[0], buf, sizeof(buf))) {
		/* "unsupported" / "error": runtime PM off, nothing to say */
		st = event__rpm_state_from_name(buf);
		if (st >= 0) {
			gate_event(ev, SMT_EV_RPM, ts, name);
			ev->state = st;
			n = 1;
		}
	}
	globfree(&g);
	return n;
}

static int read_pd(const char *root, const char *name, uint64_t ts, struct smt_event *ev)
{
	char path[512], buf[32];

	/* genpd debugfs: "on", or "off-N" with the idle state index */
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/pm_genpd/%s/current_state", root, name);
	if (capture__read_line(path, buf, sizeof(buf)))
		return 0;
	gate_event(ev, SMT_EV_PD, ts, name);
	ev->on = !strncmp(buf, "on", 2);
	return 1;
}

static bool seen_before(const struct topology *t, int tbu, int gate)
{
	const struct gate_ref *g = &t->tbus[tbu].gates[gate];

	for (int i = 0; i <= tbu; i++)
		for (int j = 0; j < (i == tbu ? gate : t->tbus[i].ngates); j++)
			if (t->tbus[i].gates[j].kind == g->kind &&
			    !strcmp(t->tbus[i].gates[j].name, g->name))
				return true;
	return false;
}

static int read_gate(const char *root, const struct gate_ref *g, uint64_t ts, struct smt_event *ev)
{
	switch (g->kind) {
	case GATE_CLK:
		return read_clk(root, g->name, ts, ev);
	case GATE_RPM:
		return read_rpm(root, g->name, ts, ev);
	case GATE_PD:
		return read_pd(root, g->name, ts, ev);
	}
	return 0;
}

/* an SMMU gate already read for a TBU (or another SMMU): one event per gate */
static bool already_read(const struct gate_ref *g, const struct smt_event *evs, int n)
{
	static const unsigned int type[] = { [GATE_CLK] = SMT_EV_CLK, [GATE_PD] = SMT_EV_PD,
					     [GATE_RPM] = SMT_EV_RPM };

	for (int i = 1; i < n; i++)
		if (evs[i].type == type[g->kind] && !strcmp(evs[i].name, g->name))
			return true;
	return false;
}

int capture_state__read(const struct topology *t, const char *root, uint64_t ts,
			struct smt_event *evs, int max)
{
	struct utsname u;
	int n = 0;

	if (max < 1)
		return -ENOSPC;
	event__init(&evs[0], SMT_EV_META, ts);
	evs[0].since_boot = 0;
	evs[0].strict = capture_state__strict(root);
	evs[0].present |= SMT_HAS_SINCE_BOOT | SMT_HAS_STRICT;
	if (!uname(&u)) {
		/* utsname fields are 65 bytes: cut to SMT_NAME_LEN - 1 */
		snprintf(evs[0].name, sizeof(evs[0].name), "%.63s", u.release);
		snprintf(evs[0].smmu, sizeof(evs[0].smmu), "%.63s", u.machine);
		evs[0].present |= SMT_HAS_NAME | SMT_HAS_ARCH;
	}
	n = 1;
	for (int i = 0; t && i < t->ntbus; i++) {
		for (int j = 0; j < t->tbus[i].ngates && n < max; j++) {
			const struct gate_ref *g = &t->tbus[i].gates[j];

			if (seen_before(t, i, j))
				continue;
			n += read_gate(root, g, ts, &evs[n]);
		}
	}
	/* the SMMUs' own gates (SPEC §4): what-if replay needs their state at start */
	for (int i = 0; t && i < t->nsmmus; i++)
		for (int j = 0; j < t->smmus[i].ngates && n < max; j++)
			if (!already_read(&t->smmus[i].gates[j], evs, n))
				n += read_gate(root, &t->smmus[i].gates[j], ts, &evs[n]);
	return n;
}
