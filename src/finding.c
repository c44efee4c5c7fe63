// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "finding.h"

/* Stable names: they are the product's contract (SPEC §5). */
static const char *const rule_names[RULE_MAX] = {
	[RULE_UNMAP_WHILE_GATED] = "unmap-while-gated",
	[RULE_TLBI_WHILE_GATED] = "tlbi-while-gated",
	[RULE_SYNC_WHILE_GATED] = "sync-while-gated",
	[RULE_TBU_STALE_EXPOSURE] = "tbu-stale-exposure",
	[RULE_IOVA_REUSE_BEFORE_SYNC] = "iova-reuse-before-sync",
	[RULE_MAP_OVER_LIVE] = "map-over-live",
	[RULE_STALE_PTE] = "stale-pte",
	[RULE_UNMAP_UNMAPPED] = "unmap-unmapped",
	[RULE_UNMAP_NO_INVALIDATE] = "unmap-no-invalidate",
	[RULE_FAULT_AFTER_UNMAP] = "fault-after-unmap",
	[RULE_SYNC_SLOW] = "sync-slow",
	[RULE_SYNC_TIMEOUT] = "sync-timeout",
	[RULE_EVENTS_LOST] = "events-lost",
};

const char *rule__name(enum rule r)
{
	return (unsigned int)r < RULE_MAX ? rule_names[r] : "unknown";
}

int rule__from_name(const char *name)
{
	for (int i = 0; i < RULE_MAX; i++)
		if (strcmp(rule_names[i], name) == 0)
			return i;
	return -1;
}

const char *severity__name(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return "error";
	case SEV_WARNING:
		return "warning";
	default:
		return "none";
	}
}
