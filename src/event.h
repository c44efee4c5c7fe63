/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names of event types and enum values, shared by every reader and writer. */
#ifndef SMMUTRACE_EVENT_H
#define SMMUTRACE_EVENT_H

#include <stdbool.h>
#include "smmutrace_events.h"

/* "map", "unmap", ... or NULL for an unknown type */
const char *event__type_name(unsigned int type);
/* SMT_EV_* for a SPEC name, or SMT_EV_NONE */
unsigned int event__type_from_name(const char *name);

const char *event__tlbi_scope_name(unsigned int scope);
int event__tlbi_scope_from_name(const char *name);	/* -1 if unknown */
const char *event__sync_scope_name(unsigned int scope);
int event__sync_scope_from_name(const char *name);	/* -1 if unknown */
const char *event__rpm_state_name(unsigned int state);
int event__rpm_state_from_name(const char *name);	/* -1 if unknown */

/* Reset an event to all zero: no optional field present (the present bits say what is). */
void event__init(struct smt_event *ev, unsigned int type, __u64 ts);

#endif
