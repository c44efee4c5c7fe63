/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Writing a model back as a board file (SPEC §4). Reading is board__load /
 * board__load_text in topology.h. A recording made with --dt carries the
 * merged model this way, so replay sees the TBUs the device tree gave.
 */
#ifndef SMMUTRACE_BOARD_H
#define SMMUTRACE_BOARD_H

#include "topology.h"

/*
 * The whole model T as board-file text (malloc'ed, NUL-terminated, in *OUT).
 * board__load_text of it gives back the same SMMUs and TBUs (names, SMMU,
 * SID ranges, gates); origins and unresolved notes become comments. TBUs
 * without SIDs cannot be written as sections and are listed as comments.
 * 0 or -ENOMEM.
 */
int board__format(const struct topology *t, char **out);

#endif
