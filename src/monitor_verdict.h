/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-period verdicts of the monitor: one KTAP test line per period
 * ("ok N period-N" / "not ok N period-N # errors: ...") and, for LAVA, the
 * test-case signal LAVA's serial-line parser picks up
 * ("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=smmutrace-period-N RESULT=fail ...>").
 */
#ifndef SMMUTRACE_MONITOR_VERDICT_H
#define SMMUTRACE_MONITOR_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "finding.h"

struct period {
	uint64_t n;			/* 1-based */
	uint64_t start_ts, end_ts;	/* ns, the period's clock (event time or wall) */
	uint64_t events;
	uint64_t findings[RULE_MAX][3];	/* [rule][severity] */
	uint64_t by_sev[3];
};

void period__reset(struct period *p, uint64_t n, uint64_t start_ts);
void period__finding(struct period *p, const struct finding *f);
/* the period fails when it has a finding at or above FAIL_ON (SEV_NONE: never fails) */
bool period__failed(const struct period *p, enum severity fail_on);
/*
 * The KTAP line (no newline) into BUF; with LAVA also "\n" and the LAVA
 * signal. Returns the length (snprintf-style: may exceed LEN-1 when cut).
 */
int period__format(const struct period *p, enum severity fail_on, bool lava, char *buf, size_t len);

#endif
