/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding sinks (SPEC §6): one line per finding as text for people, or JSONL
 * (`type: finding` objects and one final `type: summary` object).
 */
#ifndef SMMUTRACE_SINK_H
#define SMMUTRACE_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include "engine.h"
#include "finding.h"

struct sink;

struct sink *sink__new(FILE *f, bool json);
/* engine_finding_fn-compatible: pass sink as ctx */
void sink__finding(const struct finding *f, void *sink);
/* how many TBUs the topology has, for the summary (0: says the gate rules cannot fire) */
void sink__set_tbus(struct sink *s, int ntbus);
/* summary at the end of a run (also used for live mode's periodic summary) */
void sink__summary(struct sink *s, const struct engine *e, const char *title);
/*
 * Rules the capture could not judge (coverage.h): bit (1u << rule) in MASK,
 * the reason in REASONS[rule]. The summary lists them as "not judged".
 */
void sink__set_not_judged(struct sink *s, unsigned int mask, const char reasons[RULE_MAX][320]);
/* highest severity written so far */
enum severity sink__worst(const struct sink *s);
void sink__free(struct sink *s);

struct jsonw;
/* one evidence event as a JSON object, as finding objects carry them */
void sink__json_evidence(struct jsonw *w, const struct evidence *x);

#endif
