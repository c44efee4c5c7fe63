/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output paths (SPEC §2): one way for every writer to open and finish a file
 * it was told to write. A regular file (or a new path) is written to a temp
 * file next to it and renamed over it at the end, so a reader never sees half
 * of it; anything else (a symlink, a device, a FIFO, /dev/stdout) is opened
 * and written in place and never replaced. Every write error, found by
 * fflush/ferror/fsync/fclose at the end, is reported naming the output.
 */
#ifndef SMMUTRACE_OUTPUT_H
#define SMMUTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

struct output {
	FILE *f;
	char *path;		/* as given */
	char *tmp;		/* temp file renamed over PATH at the end, or NULL (in place) */
	const char *what;	/* for messages: "--html", "--textfile", "-o", ... */
	bool is_stdout;		/* "-": not closed, only flushed */
	int fd;			/* under F, for writers that write() themselves (flush F first) */
	void *cookie;		/* output.c's: keeps the errno of a failed write */
};

enum output_mode {
	OUTPUT_REPLACE,		/* regular files replaced atomically */
	OUTPUT_APPEND,		/* always in place, appending (logs) */
	OUTPUT_STREAM,		/* always in place, truncating (recordings being captured:
				 * a killed capture must leave what it wrote at PATH) */
};

/*
 * Open PATH ("-" = stdout) for WHAT. Returns 0, or an exit status with the
 * message printed: EXIT_INPUT when PATH is a directory or empty, EXIT_ENV when
 * it cannot be created.
 */
int output__open(struct output *o, const char *path, const char *what, enum output_mode mode);
/*
 * Flush, check and close (fsync + rename for a replaced regular file).
 * 0, or EXIT_ENV with "smmutrace: PATH: WHAT: write failed: REASON" printed;
 * on failure the temp file is removed and PATH is left as it was.
 */
int output__close(struct output *o);
/* Give up (an error already reported): remove the temp file, PATH unchanged. */
void output__abort(struct output *o);
/* Whether F has seen a write error so far (flushes it first). */
bool output__failed(FILE *f);

/* errno of the first failed write to O (0 = none so far) */
int output__error(const struct output *o);

/* At start: stdout keeps the errno of a failed write, for output__finish_stdout. */
void output__wrap_stdout(void);
/*
 * stdout at the end of a command: flushed and checked. 0, or EXIT_ENV with
 * "smmutrace: <stdout>: write failed: REASON" printed.
 */
int output__finish_stdout(void);

#endif
