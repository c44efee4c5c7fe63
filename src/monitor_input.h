/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The monitor's --input: a JSONL stream or a recording (told apart by the
 * recording magic), from a file or stdin, optionally followed as it grows
 * (tail -f). Reads go through a stdio cookie that, instead of seeing end of
 * file, calls the monitor's WAIT hook (which serves the metrics endpoint and
 * notices signals) and tries again. When following, only whole JSONL lines
 * are handed to the reader, so a line being written is never read half; a
 * recording's reader simply waits for the rest of a block.
 */
#ifndef SMMUTRACE_MONITOR_INPUT_H
#define SMMUTRACE_MONITOR_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include "smmutrace_events.h"

/*
 * Wait up to TIMEOUT_MS for FD to become readable (FD < 0: just wait),
 * serving whatever else needs serving meanwhile. Returns 1 readable (or
 * maybe), 0 timed out, -1 stop now (the input then ends cleanly).
 */
typedef int (*input_wait_fn)(void *ctx, int fd, int timeout_ms);

struct mon_input;

int mon_input__open(struct mon_input **out, const char *path, bool follow,
		    input_wait_fn wait, void *ctx, char *err, size_t errlen);
/* 1 = event, 0 = end (or stopped), <0 = bad input: see mon_input__error() */
int mon_input__next(struct mon_input *in, struct smt_event *ev);
const char *mon_input__error(const struct mon_input *in);
const char *mon_input__name(const struct mon_input *in);
bool mon_input__is_recording(const struct mon_input *in);
/* recording header metadata (JSON object text) or NULL */
const char *mon_input__meta_json(const struct mon_input *in);
/* free-form fields of the last meta event, or NULL */
const char *mon_input__meta_extra(const struct mon_input *in);
/* the wait hook asked to stop (so a cut-off last block is not an error) */
bool mon_input__stopped(const struct mon_input *in);
/* bytes of a last JSONL line left incomplete when the input stopped */
size_t mon_input__partial(const struct mon_input *in);
void mon_input__close(struct mon_input *in);

#endif
