/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The metadata a recording's header carries (SPEC §7), built in one place for
 * every writer (record, convert, monitor's rotating recordings and incident
 * snapshots). Keys:
 *   tool        "smmutrace VERSION" that wrote it
 *   source      who wrote it: "record", "convert", "monitor"
 *   input       where the events came from: convert's IN, monitor's --input
 *               or "live"
 *   board       the board file text the events are judged with (replay and
 *               report read it back: recording__meta_board)
 *   kernel, arch, strict, since_boot, btf, hooks, blind
 *               a live capture's kernel, DMA mode, BTF source, hook table and
 *               blind spots (report and coverage read them)
 * plus the keys of an inherited header (monitor re-recording a recording)
 * and KEY=VALUE strings (convert --meta), which never replace the above.
 */
#ifndef SMMUTRACE_RECORDING_HEADER_H
#define SMMUTRACE_RECORDING_HEADER_H

#include <stdbool.h>

struct recording_header {
	const char *source;		/* "record", "convert", "monitor" */
	const char *input;		/* NULL: not written */
	const char *board;		/* NULL: no board */
	bool captured;			/* the capture keys below are written */
	bool strict;			/* DMA mode: strict (else lazy) */
	const char *btf;		/* where the BTF came from */
	const char *hooks_json;		/* the hook table, JSON array text; NULL = [] */
	const char *blind_json;		/* blind spots, JSON array text; NULL = [] */
	const char *inherit_json;	/* a header whose other keys are kept; may be NULL */
	char *const *kv;		/* "KEY=VALUE", NKV of them */
	int nkv;
};

/* The header as JSON object text (malloc'd), or NULL when memory ran out. */
char *recording_header__json(const struct recording_header *h);

#endif
