/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Recordings (SPEC §7): a header with format version and metadata (JSON
 * object text: kernel, arch, board, hook table, DMA mode, ...) followed by
 * raw-deflate-compressed blocks of events, each with its own checksum, so that a
 * file cut anywhere is readable up to its last whole block. Writing buffers
 * at most one block in memory.
 */
#ifndef SMMUTRACE_RECORDING_H
#define SMMUTRACE_RECORDING_H

#include <stddef.h>
#include <stdio.h>
#include "smmutrace_events.h"

#define RECORDING_MAGIC "SMMUTRC\x01"	/* 8 bytes: first bytes of every recording */
#define RECORDING_MAGIC_LEN 8

struct recording_writer;
struct recording_reader;

struct recording_writer_opts {
	size_t block_bytes;	/* uncompressed bytes per block; 0 = default (64 KiB) */
	int level;		/* deflate level 1..9 (libdeflate's); 0 = default (1) */
	int sync_blocks;	/* fsync after each block (record: power-cut safety) */
	/* format version to write: 0 = the current one (3); 2 for tests of older readers' files */
	unsigned int version;
};

/* META_JSON: JSON object text stored in the header (may be NULL = "{}"). */
int recording_writer__open(struct recording_writer **out, const char *path,
			   const char *meta_json, const struct recording_writer_opts *opts,
			   char *err, size_t errlen);
/* As recording_writer__open, writing to FD (left open); NAME is used in messages. */
int recording_writer__open_fd(struct recording_writer **out, int fd, const char *name,
			      const char *meta_json, const struct recording_writer_opts *opts,
			      char *err, size_t errlen);
int recording_writer__write(struct recording_writer *w, const struct smt_event *ev,
			    const char *meta_extra);
/* write out the block being filled (also done by close) */
int recording_writer__flush(struct recording_writer *w);
/* bytes written to the file so far */
unsigned long long recording_writer__bytes(const struct recording_writer *w);
int recording_writer__close(struct recording_writer *w);	/* flushes; 0 or -errno */

/*
 * F is an open file positioned at its start (stdin allowed: the reader only
 * reads forward). NAME is used in messages.
 */
int recording_reader__open(struct recording_reader **out, FILE *f, const char *name,
			   char *err, size_t errlen);
/* As recording_reader__open, with bytes already consumed from F (the sniffer's). */
int recording_reader__open_prefixed(struct recording_reader **out, FILE *f, const char *name,
				    const void *prefix, size_t prefix_len,
				    char *err, size_t errlen);
/*
 * 1 = event, 0 = end, <0 = error: a corrupt block ("FILE: offset N: ..."). A
 * file that ends without its close block or inside a block is not an error
 * (SPEC §7): next() returns 0 and recording_reader__warning() says where it ends.
 */
int recording_reader__next(struct recording_reader *r, struct smt_event *ev);
/*
 * As recording_reader__next(), without the copy: *EV points at the reader's
 * own event (every byte defined, as next() would fill it), valid until the
 * next call on R. The fast path for replay.
 */
int recording_reader__next_ref(struct recording_reader *r, const struct smt_event **ev);
/* the most events one recording_reader__next_batch() call returns */
#define RECORDING_BATCH_MAX 32
/*
 * Up to MAX (at most RECORDING_BATCH_MAX) events in order into EVS, each
 * pointing at one of the reader's own events as next_ref() does, all valid
 * until the next call on R: so that a consumer sees several events ahead
 * (engine__feed_batch() prefetches with them). A batch ends after a meta
 * event, so meta_extra() is that event's. The count, 0 at the end, or an
 * error; an end or error met after some events is returned by the next call.
 */
int recording_reader__next_batch(struct recording_reader *r, const struct smt_event **evs,
				 unsigned int max);
/* After the end: "FILE: warning: ..." when the file was not closed or was cut, else NULL. */
const char *recording_reader__warning(const struct recording_reader *r);
/* After the end: 1 closed by its writer, 0 not closed or cut, -1 format 1 (cannot say). */
int recording_reader__closed(const struct recording_reader *r);
/* format version from the header (1 to 3) */
unsigned int recording_reader__version(const struct recording_reader *r);
const char *recording_reader__error(const struct recording_reader *r);
const char *recording_reader__meta_json(const struct recording_reader *r);
/* free-form meta fields of the last meta event returned, or NULL */
const char *recording_reader__meta_extra(const struct recording_reader *r);
void recording_reader__free(struct recording_reader *r);

/*
 * The board file text a recording carries in its metadata ("board"), as a
 * malloc'ed string, or NULL when META_JSON is NULL or has none.
 */
char *recording__meta_board(const char *meta_json);

#endif
