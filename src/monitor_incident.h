/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Incident snapshots for the monitor (--incident-dir): a bounded ring of the
 * most recent events, plus the latest state-setting events (meta, attach,
 * clk/pd/rpm per name) so a snapshot starts with the gates and domains in
 * the state they had. On a trigger (an error-level finding) the window
 * before it and the events for a while after go to DIR/incident-NNN.smt,
 * then a report of that recording (report.h) to DIR/incident-NNN.html.
 */
#ifndef SMMUTRACE_MONITOR_INCIDENT_H
#define SMMUTRACE_MONITOR_INCIDENT_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "finding.h"
#include "smmutrace_events.h"
#include "topology.h"

struct incidents;

struct incident_opts {
	const char *dir;
	uint64_t before_ns, after_ns;	/* window around the trigger, event time */
	size_t ring_events;		/* events kept before a trigger */
	size_t after_events;		/* at most this many after it */
	unsigned max_incidents;		/* snapshots in one run */
	const char *meta_json;		/* recording header of the snapshots */
	const struct topology *topo;	/* for the report; may change (set_topology) */
	struct engine_opts engine;	/* windows for the report's engine */
};

int incidents__new(struct incidents **out, const struct incident_opts *opts, char *err, size_t errlen);
void incidents__set_topology(struct incidents *in, const struct topology *topo);
/* every event, before the engine sees it; 0 or -errno (message printed) */
int incidents__event(struct incidents *in, const struct smt_event *ev, const char *meta_extra);
/* an error-level finding: start a snapshot unless one is running or the cap is reached */
void incidents__trigger(struct incidents *in, const struct finding *f);
/* snapshots taken (finished or running) */
unsigned incidents__count(const struct incidents *in);
/* end: finish a running snapshot (its report included) */
void incidents__finish(struct incidents *in);
void incidents__free(struct incidents *in);

#endif
