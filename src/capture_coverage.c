// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which hooks capture which logical events on each translating SMMU, the
 * blind spots that follow, and live capture's refusal (coverage.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "coverage.h"
#include "log.h"
#include "topology.h"

#define B(e) (1u << (e))

/*
 * Rows that see an event only in part, per SMMU driver: a context or
 * TLBI-all invalidation never completes the range TLBIs an unmap issues,
 * and arm-smmu-v3 reports translation faults from its event queue without
 * report_iommu_fault() (research/smmuv3-invalidation-by-version.md, 5.10-7.1).
 */
static const struct {
	const char *hook, *event;
	enum hook_drv drv;	/* the SMMU driver it is partial for; ANY = every one */
	const char *only;
} partial[] = {
	{ "tlbi-context@v2", "tlbi", HOOK_DRV_ANY, "whole-context TLBIs only" },
	{ "tlbi-context-s2@v2", "tlbi", HOOK_DRV_ANY, "whole-context TLBIs only" },
	{ "sync-timeout@qcom", "sync", HOOK_DRV_ANY, "timed-out syncs only" },
	{ "fault", "fault", HOOK_DRV_V3, "not called by arm-smmu-v3" },
	{ "fault@tracepoint", "fault", HOOK_DRV_V3, "not fired by arm-smmu-v3" },
};

static const char *partial_only(const struct hook_def *d, const char *ev, enum hook_drv drv)
{
	for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++)
		if (!strcmp(partial[i].hook, d->hook) && !strcmp(partial[i].event, ev) &&
		    (partial[i].drv == HOOK_DRV_ANY || partial[i].drv == drv))
			return partial[i].only;
	return NULL;
}

/*
 * Rows whose event needs a second row to be usable: cmdq@v3 decodes every
 * command, but a range TLBI names only an ASID/VMID; its domain is learnt from
 * the driver function that issued it (tlbi-range@v3, event "-"). Without that
 * row the decoder counts range TLBIs and drops them, so unmaps would look
 * never invalidated.
 */
static const struct {
	const char *hook, *event, *needs, *why;
} companion[] = {
	{ "cmdq@v3", "tlbi", "tlbi-range@v3", "range TLBIs without a domain (tlbi-range@v3 %s)" },
};

static const char *companion_missing(const struct hook_res *res, const struct hook_def *d,
				     const char *ev, bool resolved_counts, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(companion) / sizeof(companion[0]); i++) {
		if (strcmp(companion[i].hook, d->hook) || strcmp(companion[i].event, ev))
			continue;
		for (int j = 0; j < hook_table_len; j++) {
			const struct hook_res *r = &res[j];

			if (strcmp(hook_table[j].hook, companion[i].needs))
				continue;
			if (r->status == HOOK_ATTACHED || (resolved_counts && r->status == HOOK_RESOLVED))
				return NULL;
			snprintf(buf, len, companion[i].why, hooks__status_name(r->status));
			return buf;
		}
		snprintf(buf, len, companion[i].why, "not in the hook table");
		return buf;
	}
	return NULL;
}

/* Is EV one of the comma-separated events of the row ("tlbi,sync")? */
static bool row_has_event(const struct hook_def *d, const char *ev)
{
	size_t l = strlen(ev);

	for (const char *p = d->event; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == l && !strncmp(p, ev, l))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static const char *drv_name(enum hook_drv drv)
{
	return drv == HOOK_DRV_V3 ? "arm-smmu-v3" : drv == HOOK_DRV_V2 ? "arm-smmu" : "any";
}

/* Groups that are halves of one event: both must be seen (a clock seen going
 * off but never on again would stay gated forever) */
static bool is_half(const char *group)
{
	static const char *const halves[] = { "clk-on", "clk-off", "pd-on", "pd-off" };

	for (size_t i = 0; i < sizeof(halves) / sizeof(halves[0]); i++)
		if (!strcmp(group, halves[i]))
			return true;
	return false;
}

/* The first row of GROUP (NULL = any group) that sees EV on DRV: 1 usable, 0 none, why in WHY */
static int find_source(const struct hook_res *res, enum hook_drv drv, const char *ev,
		       const char *group, bool resolved_counts, int *row, char *why, size_t whylen,
		       int *rows)
{
	size_t off = strlen(why);

	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_res *r = &res[i];
		const struct hook_def *d = &hook_table[i];
		bool usable = r->status == HOOK_ATTACHED || (resolved_counts && r->status == HOOK_RESOLVED);
		const char *only;
		char need[96];

		if ((d->drv != HOOK_DRV_ANY && d->drv != drv) || !row_has_event(d, ev))
			continue;
		if (group ? strcmp(d->group, group) != 0 : is_half(d->group))
			continue;
		(*rows)++;
		only = partial_only(d, ev, drv);
		if (!only)
			only = companion_missing(res, d, ev, resolved_counts, need, sizeof(need));
		if (usable && !only) {
			*row = i;
			return 1;
		}
		if (off < whylen)
			off += snprintf(why + off, whylen - off, "%s%s: %s", off ? "; " : "",
					d->hook, usable ? only : hooks__status_name(r->status));
	}
	return 0;
}

static void judge_cell(struct cov_cell *cell, const struct hook_res *res, enum hook_drv drv,
		       int ev, bool resolved_counts)
{
	const char *name = coverage__event_name(ev);
	const char *groups[4] = { NULL };
	int ngroups = 0, rows = 0, found = 0;
	char why[160] = "";
	size_t off = 0;

	memset(cell, 0, sizeof(*cell));
	/* the halves this event has on this driver, else any one source will do */
	for (int i = 0; i < hook_table_len && ngroups < 4; i++) {
		const struct hook_def *d = &hook_table[i];
		bool dup = false;

		if ((d->drv != HOOK_DRV_ANY && d->drv != drv) || !row_has_event(d, name) ||
		    !is_half(d->group))
			continue;
		for (int g = 0; g < ngroups; g++)
			dup |= !strcmp(groups[g], d->group);
		if (!dup)
			groups[ngroups++] = d->group;
	}
	for (int g = 0; g < (ngroups ? ngroups : 1); g++) {
		int row = -1;

		if (!find_source(res, drv, name, ngroups ? groups[g] : NULL, resolved_counts, &row,
				 why, sizeof(why), &rows))
			continue;
		found++;
		if (off < sizeof(cell->how))
			off += snprintf(cell->how + off, sizeof(cell->how) - off, "%s%s: %s (%s)",
					off ? ", " : "", hook_table[row].hook,
					res[row].symbol[0] ? res[row].symbol : hook_table[row].cands[0].target,
					res[row].method[0] ? res[row].method : "-");
	}
	cell->yes = found == (ngroups ? ngroups : 1);
	if (cell->yes)
		return;
	if (!rows)
		snprintf(cell->how, sizeof(cell->how), "no hook for %s %s in the hook table",
			 drv_name(drv), name);
	else
		snprintf(cell->how, sizeof(cell->how), "no hook for %s %s on this kernel (%s)",
			 drv_name(drv), name, why);
}

/* gate kinds used by the TBUs of SMMU (a TBU naming no SMMU belongs to every one) */
static unsigned int gate_mask_of(const struct topology *t, const char *smmu)
{
	static const int kind_ev[] = { [GATE_CLK] = COV_CLK, [GATE_PD] = COV_PD, [GATE_RPM] = COV_RPM };
	unsigned int m = 0;

	for (int i = 0; t && i < t->ntbus; i++) {
		const struct topo_tbu *tb = &t->tbus[i];

		if (tb->smmu[0] && strcmp(tb->smmu, smmu))
			continue;
		for (int g = 0; g < tb->ngates; g++)
			m |= B(kind_ev[tb->gates[g].kind]);
	}
	return m;
}

void coverage__compute(struct coverage *c, const struct hook_res *res,
		       const struct cov_smmu *smmus, int nsmmus,
		       const struct topology *topo, bool resolved_counts)
{
	memset(c, 0, sizeof(*c));
	for (int s = 0; s < nsmmus && s < COV_MAX_SMMUS; s++) {
		unsigned int gm = gate_mask_of(topo, smmus[s].name);

		c->smmus[c->nsmmus] = smmus[s];
		c->gate_mask[c->nsmmus] = gm;
		for (int e = 0; e < COV_EVENT_MAX; e++) {
			struct cov_cell *cell = &c->cell[c->nsmmus][e];

			judge_cell(cell, res, smmus[s].drv, e, resolved_counts);
			for (int r = 0; r < RULE_MAX; r++)
				c->needed[c->nsmmus][e] |= coverage__rule_needs(r, e, gm);
			if (c->needed[c->nsmmus][e] && !cell->yes && c->nblind < COV_MAX_BLIND) {
				struct cov_blind *b = &c->blind[c->nblind++];

				snprintf(b->event, sizeof(b->event), "%s", coverage__event_name(e));
				snprintf(b->smmu, sizeof(b->smmu), "%s", smmus[s].name);
				_Static_assert(sizeof(b->reason) >= sizeof(cell->how), "reason holds how");
				memcpy(b->reason, cell->how, sizeof(cell->how));
			}
		}
		c->nsmmus++;
	}
}

/* ---- translating SMMUs from sysfs ---- */

static int cmp_smmu(const void *a, const void *b)
{
	return strcmp(((const struct cov_smmu *)a)->name, ((const struct cov_smmu *)b)->name);
}

int coverage__find_smmus(const char *sysfs, struct cov_smmu *out, int max)
{
	static const struct { const char *driver; enum hook_drv drv; } drivers[] = {
		{ "arm-smmu-v3", HOOK_DRV_V3 },
		{ "arm-smmu", HOOK_DRV_V2 },	/* also the Qualcomm SMMUs (arm-smmu-qcom.c) */
	};
	char root[4096];
	struct stat st;
	int n = 0;

	/* every sysfs has it: without it SYSFS is not one (a typo'd --sysfs must not read as "no SMMU") */
	snprintf(root, sizeof(root), "%s/bus/platform/drivers", sysfs);
	if (stat(root, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	for (size_t d = 0; d < sizeof(drivers) / sizeof(drivers[0]); d++) {
		char path[4096], dev[4096 + 256];
		struct dirent *de;
		DIR *dir;

		snprintf(path, sizeof(path), "%s/bus/platform/drivers/%s", sysfs, drivers[d].driver);
		dir = opendir(path);
		if (!dir) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;	/* driver not built or not loaded */
			return -errno;
		}
		/* the driver directory links every bound device; "module" links the module */
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.' || !strcmp(de->d_name, "module"))
				continue;
			snprintf(dev, sizeof(dev), "%s/%s", path, de->d_name);
			if (lstat(dev, &st) || !S_ISLNK(st.st_mode) || n >= max ||
			    strlen(de->d_name) >= sizeof(out[n].name))
				continue;
			memcpy(out[n].name, de->d_name, strlen(de->d_name) + 1);
			snprintf(out[n].driver, sizeof(out[n].driver), "%s", drivers[d].driver);
			out[n].drv = drivers[d].drv;
			n++;
		}
		closedir(dir);
	}
	qsort(out, n, sizeof(*out), cmp_smmu);
	return n;
}

int coverage__judge(struct coverage *c, const struct hook_res *res, const char *sysfs,
		    const struct topology *topo, bool resolved_counts, char *err, size_t errlen)
{
	struct cov_smmu smmus[COV_MAX_SMMUS];
	int n = coverage__find_smmus(sysfs, smmus, COV_MAX_SMMUS);

	if (n < 0) {
		snprintf(err, errlen, "%s/bus/platform/drivers: %s (cannot tell which SMMUs translate)",
			 sysfs, strerror(-n));
		return n;
	}
	coverage__compute(c, res, smmus, n, topo, resolved_counts);
	return 0;
}

const char *coverage__blind_line(const struct coverage *c, int i, char *buf, size_t len)
{
	const struct cov_blind *b = &c->blind[i];
	unsigned int gm = 0;
	const char *driver = "";
	char rules[256];

	for (int s = 0; s < c->nsmmus; s++)
		if (!strcmp(c->smmus[s].name, b->smmu)) {
			gm = c->gate_mask[s];
			driver = c->smmus[s].driver;
		}
	coverage__rules_blinded(coverage__event_from_name(b->event), gm, rules, sizeof(rules));
	snprintf(buf, len, "%s (%s) cannot see %s: %s; not judged: %s", b->smmu, driver, b->event,
		 b->reason, rules);
	return buf;
}

bool coverage__refuse(const struct coverage *c, const char *cmd, bool force)
{
	char line[1024];

	if (!c->nblind)
		return false;
	for (int i = 0; i < c->nblind; i++)
		pr_err("%s: blind: %s\n", cmd, coverage__blind_line(c, i, line, sizeof(line)));
	if (force) {
		pr_err("%s: --force: tracing with %d blind spot%s; the rules above are not judged\n",
		       cmd, c->nblind, c->nblind == 1 ? "" : "s");
		return false;
	}
	pr_err("%s: refusing to trace with %d blind spot%s: those rules would report false alarms "
	       "or nothing (see 'smmutrace probe'); --force traces anyway and records the blind "
	       "spots, and their rules are then not judged\n", cmd, c->nblind,
	       c->nblind == 1 ? "" : "s");
	return true;
}

