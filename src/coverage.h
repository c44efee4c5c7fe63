/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Coverage (SPEC §9): for each SMMU that is translating on this system (a
 * device bound to arm-smmu or arm-smmu-v3), which logical events the resolved
 * hook table can capture and how; which rules need which events (the one
 * rule -> events table); the blind spots that follow, and the rules they
 * blind. Pure apart from the sysfs scan: no BPF here. coverage.c holds the
 * rule table and the blind-spot metadata (the readers need them);
 * capture_coverage.c judges the hook table per SMMU and gates live capture.
 *
 * A rule whose events the capture could not see is "not judged": never
 * reported, listed in the summary with the reason. Blind spots travel in a
 * recording's metadata and in the JSONL `meta` event as
 *   "blind":[{"event":"tlbi","smmu":"9050000.smmuv3","reason":"..."}]
 */
#ifndef SMMUTRACE_COVERAGE_H
#define SMMUTRACE_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "capture_hooks.h"
#include "finding.h"
#include "smmutrace_events.h"

struct topology;
struct json_object;

/* Logical events coverage is judged on (SPEC §3 names). */
enum cov_event {
	COV_MAP,
	COV_UNMAP,
	COV_TLBI,
	COV_SYNC,
	COV_FLUSH_ALL,
	COV_SMMU_RESET,
	COV_ATTACH,
	COV_FAULT,
	COV_RPM,
	COV_CLK,
	COV_PD,
	COV_EVENT_MAX,
};

#define COV_MAX_SMMUS	16
#define COV_MAX_BLIND	(COV_MAX_SMMUS * COV_EVENT_MAX)

const char *coverage__event_name(int ev);
int coverage__event_from_name(const char *name);	/* -1 if not a coverage event */

struct cov_smmu {
	char name[SMT_NAME_LEN];	/* device name, as events carry it: "9050000.smmuv3" */
	char driver[32];		/* "arm-smmu-v3" or "arm-smmu" */
	enum hook_drv drv;
};

/*
 * Translating SMMUs: devices bound to the arm-smmu-v3 and arm-smmu (v2, incl.
 * Qualcomm) platform drivers under SYSFS/bus/platform/drivers (SYSFS "/sys"
 * on a live system). Returns how many (at most MAX) or -errno (-ENOENT when
 * SYSFS has no bus/platform/drivers: not a sysfs).
 */
int coverage__find_smmus(const char *sysfs, struct cov_smmu *out, int max);

struct cov_cell {
	bool yes;
	char how[200];		/* "tlbi-range@v3: __arm_smmu_tlb_inv_range (kprobe)", or why not */
};

struct cov_blind {
	char event[16];
	char smmu[SMT_NAME_LEN];
	char reason[256];
};

struct coverage {
	int nsmmus;
	struct cov_smmu smmus[COV_MAX_SMMUS];
	struct cov_cell cell[COV_MAX_SMMUS][COV_EVENT_MAX];
	bool needed[COV_MAX_SMMUS][COV_EVENT_MAX];	/* by an active rule */
	unsigned int gate_mask[COV_MAX_SMMUS];		/* gate kinds its TBUs use */
	int nblind;
	struct cov_blind blind[COV_MAX_BLIND];		/* needed and not captured */
};

/*
 * Judge RES (hook_table_len rows) for each of SMMUS. A row counts when it is
 * attached, or, with RESOLVED_COUNTS (probe --load-only: nothing attached),
 * when it resolved. TOPO (may be NULL) says which gate kinds the gate rules
 * need for each SMMU's TBUs.
 */
void coverage__compute(struct coverage *c, const struct hook_res *res,
		       const struct cov_smmu *smmus, int nsmmus,
		       const struct topology *topo, bool resolved_counts);

/*
 * coverage__find_smmus(SYSFS) + coverage__compute: what live capture, record
 * and probe judge. 0, or -errno when sysfs cannot be read (ERR says so).
 */
int coverage__judge(struct coverage *c, const struct hook_res *res, const char *sysfs,
		    const struct topology *topo, bool resolved_counts, char *err, size_t errlen);
/*
 * One line about blind spot I of C: "9050000.smmuv3 (arm-smmu-v3) cannot see
 * tlbi: REASON; not judged: RULES".
 */
const char *coverage__blind_line(const struct coverage *c, int i, char *buf, size_t len);

/*
 * Live capture's gate (SPEC §9): with blind spots and without FORCE, print
 * each one and how to go on ("smmutrace: CMD: ...") and return true: the
 * caller exits EXIT_ENV. With FORCE they are printed as a warning and it
 * returns false, as without blind spots.
 */
bool coverage__refuse(const struct coverage *c, const char *cmd, bool force);
/* {"blind":[...]}: the free-form fields a capture's meta event carries; malloc'd */
char *coverage__meta_extra(const struct coverage *c);

/*
 * Does RULE need EV? GATE_MASK (bits 1 << COV_CLK/COV_PD/COV_RPM) is the gate
 * kinds the TBUs use: a gate rule needs those, and nothing at all when there
 * is no gated TBU (it cannot fire).
 */
bool coverage__rule_needs(enum rule rule, int ev, unsigned int gate_mask);
#define COV_ALL_GATES ((1u << COV_CLK) | (1u << COV_PD) | (1u << COV_RPM))
/* "iova-reuse-before-sync, unmap-no-invalidate" for the rules EV blinds; into BUF */
const char *coverage__rules_blinded(int ev, unsigned int gate_mask, char *buf, size_t len);

/* The blind spots as a JSON array text; malloc'd, NULL on ENOMEM. */
char *coverage__blind_json(const struct cov_blind *b, int n);

/*
 * Check a meta object's "blind" value (json-c): 0 if it is well formed, else
 * -EINVAL with what is wrong in ERR.
 */
int coverage__check_blind(struct json_object *blind, char *err, size_t errlen);
/*
 * Read the "blind" array of a meta object given as JSON text (recording
 * header or a meta event's free-form fields). Returns how many (at most MAX)
 * were stored; 0 when there is none or the text is not an object.
 */
int coverage__blind_from_meta(const char *meta_json, struct cov_blind *out, int max);

/*
 * Rules a set of blind spots leaves unjudged: sets bit (1u << rule) in *MASK
 * and REASONS[rule] ("tlbi not captured on 9050000.smmuv3: ...") for each.
 */
void coverage__not_judged(const struct cov_blind *b, int n, unsigned int *mask,
			  char reasons[RULE_MAX][320]);

#endif
