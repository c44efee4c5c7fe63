// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rule -> needed events table, blind spots in metadata and the rules they
 * leave unjudged (coverage.h). No hook table here: the readers (JSONL,
 * recordings) use it too. capture_coverage.c judges the hooks per SMMU.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include "coverage.h"
#include "json_writer.h"

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

char *coverage__meta_extra(const struct coverage *c)
{
	char *blind = coverage__blind_json(c->blind, c->nblind), *out = NULL;

	if (blind && asprintf(&out, "{\"blind\":%s}", blind) < 0)
		out = NULL;
	free(blind);
	return out;
}
