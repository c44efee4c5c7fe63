/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Findings: what the engine concludes, with the events that prove it. */
#ifndef SMMUTRACE_FINDING_H
#define SMMUTRACE_FINDING_H

#include <stdbool.h>
#include <stdint.h>
#include "smmutrace_events.h"

enum rule {
	RULE_UNMAP_WHILE_GATED,
	RULE_TLBI_WHILE_GATED,
	RULE_SYNC_WHILE_GATED,
	RULE_TBU_STALE_EXPOSURE,
	RULE_IOVA_REUSE_BEFORE_SYNC,
	RULE_MAP_OVER_LIVE,
	RULE_STALE_PTE,
	RULE_UNMAP_UNMAPPED,
	RULE_UNMAP_NO_INVALIDATE,
	RULE_FAULT_AFTER_UNMAP,
	RULE_SYNC_SLOW,
	RULE_SYNC_TIMEOUT,
	RULE_EVENTS_LOST,
	RULE_MAX,
};

enum severity {
	SEV_NONE = 0,
	SEV_WARNING = 1,
	SEV_ERROR = 2,
};

#define FINDING_MAX_EVIDENCE 8
#define FINDING_MAX_TBUS 16
#define FINDING_MAX_RANGES 16

struct evidence {
	uint16_t type;		/* SMT_EV_* */
	uint32_t present;	/* SMT_HAS_* of the fields below */
	uint64_t ts;
	int32_t pid;
	char comm[SMT_COMM_LEN];
	uint64_t domain, iova, size;
	int64_t ret;
	char what[48];		/* role: "unmap", "map", "tlbi while gated", ... */
};

struct iova_range {
	uint64_t domain, iova, size;
};

struct finding {
	enum rule rule;
	enum severity severity;
	uint64_t ts;			/* the triggering event's ts */
	bool has_domain, has_range;
	uint64_t domain, iova, size;
	const char *tbus[FINDING_MAX_TBUS];	/* names of the TBUs involved */
	int ntbus;
	struct iova_range ranges[FINDING_MAX_RANGES];	/* tbu-stale-exposure */
	int nranges;
	unsigned long long ranges_total;	/* ranges in all, if more than kept */
	struct evidence evidence[FINDING_MAX_EVIDENCE];
	int nevidence;
	bool incomplete;		/* events were lost before this finding */
	char message[512];
};

const char *rule__name(enum rule r);
int rule__from_name(const char *name);		/* -1 if unknown */
const char *severity__name(enum severity s);	/* "warning", "error" */

#endif
