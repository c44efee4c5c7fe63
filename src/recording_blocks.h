/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Block-level access to recordings, below the event API of recording.h: for
 * the replay benchmark (inflate cost alone) and format tests. Tools use
 * recording_reader__next() instead.
 */
#ifndef SMMUTRACE_RECORDING_BLOCKS_H
#define SMMUTRACE_RECORDING_BLOCKS_H

#include <stddef.h>
#include "recording.h"

/* Layout constants of format version 3 (described at the top of recording.c). */
#define RECORDING_VERSION	3
#define RECORDING_CLOSE_MAGIC	"SMTE"
#define RECORDING_CLOSE_LEN	20
#define RECORDING_MAX_META	(16u << 20)	/* header metadata JSON */
#define RECORDING_MAX_BLOCK	(16u << 20)	/* compressed or uncompressed block */
#define RECORDING_BLOCK_MAGIC	"SMTB"
#define RECORDING_BLOCK_HDR_LEN	40

/*
 * The next whole block, checksummed and inflated but not decoded into events:
 * DATA and LEN give the encoded event bytes (valid until the next call), NEVENTS
 * how many events the block header says it holds. 1 = block, 0 = clean end,
 * <0 = error as for recording_reader__next(). Do not mix with
 * recording_reader__next() on the same reader.
 */
int recording_reader__next_block(struct recording_reader *r, const void **data, size_t *len,
				 unsigned int *nevents);

/* Offset just after the last whole block read (or after the header). */
unsigned long long recording_reader__good_end(const struct recording_reader *r);

#endif
