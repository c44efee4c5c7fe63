// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-period KTAP and LAVA verdict lines (see monitor_verdict.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "monitor_verdict.h"

void period__reset(struct period *p, uint64_t n, uint64_t start_ts)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	p->start_ts = start_ts;
}

void period__finding(struct period *p, const struct finding *f)
{
	if ((unsigned)f->rule >= RULE_MAX || (unsigned)f->severity >= 3)
		return;
	p->findings[f->rule][f->severity]++;
	p->by_sev[f->severity]++;
}

bool period__failed(const struct period *p, enum severity fail_on)
{
	if (fail_on == SEV_NONE)
		return false;
	for (int s = fail_on; s <= SEV_ERROR; s++)
		if (p->by_sev[s])
			return true;
	return false;
}

/* "errors: 2 (unmap-while-gated 1, tbu-stale-exposure 1)" */
static size_t sev_diag(const struct period *p, enum severity s, char *buf, size_t len)
{
	size_t n = 0;
	bool first = true;

#define PUT(...) do { int k_ = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); \
		      n += k_ > 0 ? (size_t)k_ : 0; } while (0)
	PUT("%s: %" PRIu64, s == SEV_ERROR ? "errors" : "warnings", p->by_sev[s]);
	for (int r = 0; r < RULE_MAX; r++) {
		if (!p->findings[r][s])
			continue;
		PUT("%s%s %" PRIu64, first ? " (" : ", ", rule__name(r), p->findings[r][s]);
		first = false;
	}
	if (!first)
		PUT(")");
#undef PUT
	return n;
}

int period__format(const struct period *p, enum severity fail_on, bool lava, char *buf, size_t len)
{
	bool failed = period__failed(p, fail_on);
	char diag[1024] = "";
	size_t d = 0;
	int n;

	if (p->by_sev[SEV_ERROR])
		d += sev_diag(p, SEV_ERROR, diag, sizeof(diag));
	if (p->by_sev[SEV_WARNING]) {
		if (d && d < sizeof(diag))
			d += snprintf(diag + d, sizeof(diag) - d, ", ");
		if (d < sizeof(diag))
			sev_diag(p, SEV_WARNING, diag + d, sizeof(diag) - d);
	}
	n = snprintf(buf, len, "%sok %" PRIu64 " period-%" PRIu64 "%s%s", failed ? "not " : "",
		     p->n, p->n, diag[0] ? " # " : "", diag);
	if (lava && n >= 0) {
		uint64_t counted = p->by_sev[SEV_WARNING] + p->by_sev[SEV_ERROR];

		n += snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			      (size_t)n < len ? len - n : 0,
			      "\n<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=smmutrace-period-%" PRIu64
			      " RESULT=%s MEASUREMENT=%" PRIu64 " UNITS=findings>",
			      p->n, failed ? "fail" : "pass", counted);
	}
	return n;
}
