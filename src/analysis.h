/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One analysis run, shared by replay, live and monitor: topology (board file,
 * device tree, or the board a recording carries) + engine + sink. Callers feed
 * events from wherever they come from.
 */
#ifndef SMMUTRACE_ANALYSIS_H
#define SMMUTRACE_ANALYSIS_H

#include "coverage.h"
#include "engine.h"
#include "env.h"
#include "sink.h"
#include "topology.h"

struct analysis;

/*
 * Build the topology from env (--board, --dt) and, when no --board is given,
 * from EMBEDDED_BOARD (board text a recording carries; may be NULL).
 * Returns 0, or an exit status (EXIT_INPUT) after printing the error.
 */
int analysis__new(struct analysis **out, const struct env *env, const char *embedded_board);
void analysis__feed(struct analysis *a, const struct smt_event *ev);
/* as N analysis__feed() calls; the engine prefetches across the batch */
void analysis__feed_batch(struct analysis *a, const struct smt_event *const *evs, unsigned int n);
/*
 * Blind spots of the capture (SPEC §9): the rules needing those events are
 * not judged from here on (no finding, listed in the summary with why).
 * analysis__meta takes them from a meta object's "blind" key (a recording's
 * header or a meta event's free-form fields; NULL is fine).
 */
void analysis__blind(struct analysis *a, const struct cov_blind *b, int n);
void analysis__meta(struct analysis *a, const char *meta_json);
/* End of stream: flush windows, print the summary; returns the exit status. */
int analysis__finish(struct analysis *a);
/* the rules not judged so far (bit per rule) and why; for a second engine on the same capture */
const unsigned int *analysis__not_judged(const struct analysis *a, const char (**reasons)[320]);
struct engine *analysis__engine(struct analysis *a);
const struct topology *analysis__topology(const struct analysis *a);
struct sink *analysis__sink(struct analysis *a);
void analysis__free(struct analysis *a);

#endif
