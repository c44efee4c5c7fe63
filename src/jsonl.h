/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSONL events (SPEC §3): reading with exact error places, and writing. */
#ifndef SMMUTRACE_JSONL_H
#define SMMUTRACE_JSONL_H

#include <stdio.h>
#include "smmutrace_events.h"

#define JSONL_MAX_LINE (1u << 20)	/* longer lines are an input error */

struct jsonl_reader;

/* NAME is used in messages ("<stdin>" for stdin). The reader does not close F. */
struct jsonl_reader *jsonl_reader__new(FILE *f, const char *name);
/*
 * Optionally hand the reader bytes already consumed from F (used when the
 * format sniffer read ahead on a pipe). Must be called before the first next().
 */
int jsonl_reader__prepend(struct jsonl_reader *r, const void *buf, size_t len);
/* 1 = event, 0 = end of input, <0 = error (see jsonl_reader__error) */
int jsonl_reader__next(struct jsonl_reader *r, struct smt_event *ev);
/* "FILE:LINE: field: problem" for the last error */
const char *jsonl_reader__error(const struct jsonl_reader *r);
/* free-form fields of the last meta event as a JSON object text, or NULL */
const char *jsonl_reader__meta_extra(const struct jsonl_reader *r);
/* 1-based number of the line of the last event returned */
unsigned long jsonl_reader__line(const struct jsonl_reader *r);
void jsonl_reader__free(struct jsonl_reader *r);

/*
 * Write EV as one JSON line, SPEC §3 names, addresses as "0x..." strings, only
 * present optional fields. META_EXTRA (may be NULL) is a JSON object text whose
 * members are appended to a meta event. Returns 0 or -errno.
 */
int jsonl__write_event(FILE *f, const struct smt_event *ev, const char *meta_extra);

#endif
