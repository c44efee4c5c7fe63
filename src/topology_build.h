/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Building a struct topology: shared by board.c and dt.c only. Users of the
 * model read struct topology (topology.h) and never call these.
 */
#ifndef SMMUTRACE_TOPOLOGY_BUILD_H
#define SMMUTRACE_TOPOLOGY_BUILD_H

#include "topology.h"

/* Bounds on what one model may hold: bad input must not allocate without limit. */
#define TOPO_MAX_SMMUS		256
#define TOPO_MAX_TBUS		1024
#define TOPO_MAX_SIDS		4096	/* SID ranges per TBU */
#define TOPO_MAX_GATES		64	/* gates per TBU */
#define TOPO_MAX_UNRESOLVED	64	/* unresolved notes per TBU */

/* Release what TBU owns (not TBU itself) and zero it. */
void topo_tbu__release(struct topo_tbu *tbu);
/* Deep copy; 0 or -ENOMEM (DST then holds nothing). */
int topo_tbu__copy(struct topo_tbu *dst, const struct topo_tbu *src);
int topo_tbu__add_sid(struct topo_tbu *tbu, uint32_t first, uint32_t last);
/* Adds unless the same gate is already there. */
int topo_tbu__add_gate(struct topo_tbu *tbu, enum gate_kind kind, const char *name);
int topo_tbu__add_unresolved(struct topo_tbu *tbu, const char *note);

/* Append an SMMU (no duplicate check); -ENOSPC past TOPO_MAX_SMMUS. */
int topology__add_smmu(struct topology *t, const char *name, const char *compatible,
		       const char *origin);
/*
 * Move TBU into T (T owns its memory afterwards, TBU is zeroed). Replaces a
 * TBU of the same name wholly when REPLACE, else -EEXIST. -ENOSPC past
 * TOPO_MAX_TBUS.
 */
int topology__put_tbu(struct topology *t, struct topo_tbu *tbu, bool replace);

/* snprintf into a fixed buffer; true when it fitted */
bool topo_copy_name(char *dst, size_t len, const char *src);

#endif
