/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One interface for everything that produces events offline: a JSONL stream
 * or a recording, told apart by the recording magic. The engine is fed from
 * here (or from live capture) and never knows which.
 */
#ifndef SMMUTRACE_SOURCE_H
#define SMMUTRACE_SOURCE_H

#include <stddef.h>
#include "smmutrace_events.h"

struct ev_source;

/*
 * Open PATH ("-" = stdin). Returns 0 or a negative errno; on error a message
 * "FILE: problem" is written to err.
 */
int ev_source__open(const char *path, struct ev_source **out, char *err, size_t errlen);

/*
 * Next event: 1 = *ev filled, 0 = clean end of input, <0 = input error
 * (-EINVAL bad data, -EIO read error): ev_source__error() then says
 * "FILE:LINE: field: problem" (JSONL) or "FILE: offset N: problem" (recording).
 * Events before the error have all been returned.
 */
int ev_source__next(struct ev_source *s, struct smt_event *ev);
/*
 * As ev_source__next(), without copying the event: *EV points at the
 * source's own, valid until the next call on S (replay's path: a recording's
 * events are decoded straight into it).
 */
int ev_source__next_ref(struct ev_source *s, const struct smt_event **ev);
/*
 * Up to MAX events into EVS (as next_ref(), all valid until the next call):
 * a recording's batch (recording_reader__next_batch(), ending after a meta
 * event), one event at a time from JSONL. The count, 0 at the end, or < 0.
 */
int ev_source__next_batch(struct ev_source *s, const struct smt_event **evs, unsigned int max);
const char *ev_source__error(const struct ev_source *s);

/*
 * After the end (next() returned 0): "FILE: warning: ..." when the input was
 * a recording not closed by its capture or cut inside a block, or empty; the
 * events up to there were all returned (SPEC §7). NULL otherwise.
 */
const char *ev_source__warning(const struct ev_source *s);

/* After the end: 1 closed by its capture, 0 not closed or cut, -1 cannot tell (format 1, JSONL). */
int ev_source__closed(const struct ev_source *s);
/* Recording format version (0 for JSONL). */
unsigned int ev_source__format_version(const struct ev_source *s);

/* Name as given ("-" shown as "<stdin>"). */
const char *ev_source__name(const struct ev_source *s);
/* 1 when the input is a recording, 0 for JSONL. */
int ev_source__is_recording(const struct ev_source *s);
/*
 * Recording metadata as a JSON object text (kernel, arch, board, hooks, ...),
 * or NULL for JSONL input.
 */
const char *ev_source__meta_json(const struct ev_source *s);
/* Free-form fields of the last `meta` event read, as JSON object text, or NULL. */
const char *ev_source__meta_extra(const struct ev_source *s);

void ev_source__close(struct ev_source *s);

#endif
