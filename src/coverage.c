// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Coverage per translating SMMU, and the rules its blind spots leave unjudged (coverage.h). */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "coverage.h"
#include "env.h"
#include "json_writer.h"
#include "topology.h"

static const char *const ev_names[COV_EVENT_MAX] = {
	[COV_MAP] = "map", [COV_UNMAP] = "unmap", [COV_TLBI] = "tlbi", [COV_SYNC] = "sync",
	[COV_FLUSH_ALL] = "flush_all", [COV_SMMU_RESET] = "smmu_reset", [COV_ATTACH] = "attach",
	[COV_FAULT] = "fault", [COV_RPM] = "rpm", [COV_CLK] = "clk", [COV_PD] = "pd",
};

const char *coverage__event_name(int ev)
{
	return ev >= 0 && ev < COV_EVENT_MAX ? ev_names[ev] : "?";
}

int coverage__event_from_name(const char *name)
{
	for (int i = 0; i < COV_EVENT_MAX; i++)
		if (!strcmp(name, ev_names[i]))
			return i;
	return -1;
}

#define B(e) (1u << (e))
#define GATES (1u << 31)	/* the gate kinds the TBUs use */

/*
 * THE rule -> needed events table (SPEC §9). A rule is judged only when every
 * event it needs was captured: without tlbi/sync every unmap looks never
 * invalidated; without unmap a re-map looks like a map over a live range;
 * without map every unmap looks like one of an unmapped range. smmu_reset and
 * attach only refine findings (fewer, better attributed), so no rule needs them.
 */
static const unsigned int rule_needs[RULE_MAX] = {
	[RULE_UNMAP_WHILE_GATED] = B(COV_UNMAP) | GATES,
	[RULE_TLBI_WHILE_GATED] = B(COV_TLBI) | GATES,
	[RULE_SYNC_WHILE_GATED] = B(COV_SYNC) | GATES,
	[RULE_TBU_STALE_EXPOSURE] = B(COV_TLBI) | GATES,
	[RULE_IOVA_REUSE_BEFORE_SYNC] = B(COV_MAP) | B(COV_UNMAP) | B(COV_TLBI) | B(COV_SYNC) |
					B(COV_FLUSH_ALL),
	[RULE_MAP_OVER_LIVE] = B(COV_MAP) | B(COV_UNMAP),
	[RULE_STALE_PTE] = B(COV_MAP) | B(COV_UNMAP),
	[RULE_UNMAP_UNMAPPED] = B(COV_MAP) | B(COV_UNMAP),
	[RULE_UNMAP_NO_INVALIDATE] = B(COV_UNMAP) | B(COV_TLBI) | B(COV_SYNC) | B(COV_FLUSH_ALL),
	[RULE_FAULT_AFTER_UNMAP] = B(COV_UNMAP) | B(COV_FAULT),
	[RULE_SYNC_SLOW] = B(COV_SYNC),
	[RULE_SYNC_TIMEOUT] = B(COV_SYNC),
	[RULE_EVENTS_LOST] = 0,
};

bool coverage__rule_needs(enum rule rule, int ev, unsigned int gate_mask)
{
	unsigned int n;

	if ((int)rule < 0 || rule >= RULE_MAX || ev < 0 || ev >= COV_EVENT_MAX)
		return false;
	n = rule_needs[rule];
	if (n & GATES) {
		/* no gated TBU: the gate rules cannot fire, so they need nothing */
		if (!(gate_mask & COV_ALL_GATES))
			return false;
		n |= gate_mask & COV_ALL_GATES;
	}
	return n & B(ev);
}

const char *coverage__rules_blinded(int ev, unsigned int gate_mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int r = 0; r < RULE_MAX && off < len; r++)
		if (coverage__rule_needs(r, ev, gate_mask))
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", rule__name(r));
	return buf;
}

/*
 * Rows that see an event only in part, per SMMU driver: a context or
 * TLBI-all invalidation never completes the range TLBIs an unmap issues,
 * and arm-smmu-v3 reports translation faults from its event queue without
 * report_iommu_fault() (research/smmuv3-invalidation-by-version.md, 5.10-7.1).
 * When cmdq@v3 decodes every command (branch capture), drop its line here.
 */
static const struct {
	const char *hook, *event;
	enum hook_drv drv;	/* the SMMU driver it is partial for; ANY = every one */
	const char *only;
} partial[] = {
	{ "tlbi-context@v2", "tlbi", HOOK_DRV_ANY, "whole-context TLBIs only" },
	{ "tlbi-context-s2@v2", "tlbi", HOOK_DRV_ANY, "whole-context TLBIs only" },
	{ "tlbi-context@v3", "tlbi", HOOK_DRV_ANY, "whole-context TLBIs only" },
	{ "cmdq@v3", "tlbi", HOOK_DRV_ANY, "TLBI-all commands only" },
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

		if ((d->drv != HOOK_DRV_ANY && d->drv != drv) || !row_has_event(d, ev))
			continue;
		if (group ? strcmp(d->group, group) != 0 : is_half(d->group))
			continue;
		(*rows)++;
		only = partial_only(d, ev, drv);
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
	const char *name = ev_names[ev];
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

				snprintf(b->event, sizeof(b->event), "%s", ev_names[e]);
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

/* ---- blind spots in metadata ---- */

char *coverage__blind_json(const struct cov_blind *b, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw *w;

	if (!f)
		return NULL;
	w = jsonw__new(f);
	if (!w) {
		fclose(f);
		free(buf);
		return NULL;
	}
	jsonw__arr_begin(w);
	for (int i = 0; i < n; i++) {
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "event", b[i].event);
		jsonw__kv_str(w, "smmu", b[i].smmu);
		jsonw__kv_str(w, "reason", b[i].reason);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__free(w);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int coverage__check_blind(struct json_object *blind, char *err, size_t errlen)
{
	if (!json_object_is_type(blind, json_type_array)) {
		snprintf(err, errlen, "expected an array of {\"event\", \"smmu\", \"reason\"} objects");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(blind); i++) {
		struct json_object *o = json_object_array_get_idx(blind, i), *v;
		static const char *const keys[] = { "event", "smmu", "reason" };

		if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "element %zu: expected an object {\"event\", \"smmu\", "
				 "\"reason\"}", i);
			return -EINVAL;
		}
		for (int k = 0; k < 3; k++)
			if (json_object_object_get_ex(o, keys[k], &v) &&
			    !json_object_is_type(v, json_type_string)) {
				snprintf(err, errlen, "element %zu: %s: expected a string", i, keys[k]);
				return -EINVAL;
			}
		if (!json_object_object_get_ex(o, "event", &v)) {
			snprintf(err, errlen, "element %zu: event: missing", i);
			return -EINVAL;
		}
		if (coverage__event_from_name(json_object_get_string(v)) < 0) {
			snprintf(err, errlen, "element %zu: event: \"%s\" is not one of map, unmap, "
				 "tlbi, sync, flush_all, smmu_reset, attach, fault, rpm, clk, pd", i,
				 json_object_get_string(v));
			return -EINVAL;
		}
	}
	return 0;
}

static void copy_str(char *dst, size_t len, struct json_object *o, const char *key)
{
	struct json_object *v;

	dst[0] = 0;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, len, "%s", json_object_get_string(v));
}

int coverage__blind_from_meta(const char *meta_json, struct cov_blind *out, int max)
{
	struct json_object *root, *blind;
	char err[160];
	int n = 0;

	if (!meta_json)
		return 0;
	root = json_tokener_parse(meta_json);
	if (!root)
		return 0;
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "blind", &blind) &&
	    !coverage__check_blind(blind, err, sizeof(err))) {
		for (size_t i = 0; i < json_object_array_length(blind) && n < max; i++) {
			struct json_object *o = json_object_array_get_idx(blind, i);

			copy_str(out[n].event, sizeof(out[n].event), o, "event");
			copy_str(out[n].smmu, sizeof(out[n].smmu), o, "smmu");
			copy_str(out[n].reason, sizeof(out[n].reason), o, "reason");
			n++;
		}
	}
	json_object_put(root);
	return n;
}

void coverage__not_judged(const struct cov_blind *b, int n, unsigned int *mask,
			  char reasons[RULE_MAX][320])
{
	for (int i = 0; i < n; i++) {
		int ev = coverage__event_from_name(b[i].event);

		if (ev < 0)
			continue;
		/* the recording does not say which gates were in use: assume any */
		for (int r = 0; r < RULE_MAX; r++) {
			if (!coverage__rule_needs(r, ev, COV_ALL_GATES) || (*mask & (1u << r)))
				continue;
			*mask |= 1u << r;
			snprintf(reasons[r], 320, "%s not captured%s%s%s%s", b[i].event,
				 b[i].smmu[0] ? " on " : "", b[i].smmu, b[i].reason[0] ? ": " : "",
				 b[i].reason);
		}
	}
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

char *coverage__meta_extra(const struct coverage *c)
{
	char *blind = coverage__blind_json(c->blind, c->nblind), *out = NULL;

	if (blind && asprintf(&out, "{\"blind\":%s}", blind) < 0)
		out = NULL;
	free(blind);
	return out;
}
