/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rotating recordings for the monitor (--record-dir): DIR/monitor-NNNNNN.smt,
 * each a whole recording (recording.h) closed properly before the next one
 * starts. A file is closed when it reaches max_file_bytes; then the oldest
 * closed files are deleted until at most keep_files files (the one being
 * written included) and keep_bytes bytes of closed files remain. The file
 * being written is never deleted. Numbering continues after the files a
 * previous run left, which count towards the limits too.
 */
#ifndef SMMUTRACE_MONITOR_ROTATE_H
#define SMMUTRACE_MONITOR_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include "smmutrace_events.h"

struct rotator;

struct rotator_opts {
	const char *dir;
	uint64_t max_file_bytes;	/* > 0 */
	uint64_t keep_files;		/* >= 1; 0 = no limit */
	uint64_t keep_bytes;		/* 0 = no limit */
	const char *meta_json;		/* recording header metadata (board, kernel, ...) */
};

struct rotator_stats {
	uint64_t files, bytes;		/* on disk now (the open file at its written size) */
	uint64_t rotations, deleted;
	char current[4096];		/* path of the file being written */
};

/* 0 or -errno with a message in ERR (directory missing, not writable). */
int rotator__new(struct rotator **out, const struct rotator_opts *opts, char *err, size_t errlen);
/*
 * Write one event; rotates first when the file is full. Each file starts with
 * a meta event (since_boot:false: the file alone does not see earlier state).
 * 0 or -errno (message in ERR).
 */
int rotator__write(struct rotator *r, const struct smt_event *ev, const char *meta_extra,
		   char *err, size_t errlen);
void rotator__stats(const struct rotator *r, struct rotator_stats *s);
/* write out the block being filled (bounds what a crash can lose); 0 or -errno */
int rotator__flush(struct rotator *r);
/* close the file being written (whole blocks); 0 or -errno */
int rotator__close(struct rotator *r);
void rotator__free(struct rotator *r);

#endif
