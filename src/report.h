/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The incident-report model: what `smmutrace report` knows about a capture,
 * built once from the event stream and the engine's findings, then written by
 * thin serializers (report_text.c, report_html.c, report_json.c,
 * report_kcidb.c, report_perfetto.c).
 *
 * Building: report__new(), then for every event report__feed() *after* the
 * engine has seen it (so gate states read back from the engine are current),
 * report__add_finding() from the engine's on_finding callback,
 * report__add_lifetime() from its on_lifetime callback (both with the report
 * as the engine's ctx), and report__finish() with the engine's summary after
 * engine__finish() (which reports the lifetimes still open). The serializers only read the
 * model through report__model().
 *
 * Memory is bounded: marks, lifetimes and findings each have a cap; what is
 * beyond a cap is counted (and said in every output), never silently lost.
 */
#ifndef SMMUTRACE_REPORT_H
#define SMMUTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine.h"
#include "finding.h"
#include "topology.h"

#define REPORT_NEVER UINT64_MAX	/* a lifetime step not (yet) seen */

#define REPORT_MAX_MARKS	(4u << 20)
#define REPORT_MAX_LIFETIMES	(1u << 20)
#define REPORT_MAX_FINDINGS	20000u	/* kept with their evidence; all are counted */
#define REPORT_MAX_FLINKS	(4u << 20)	/* findings placed on the timeline */
#define REPORT_SHOW_FIRST	200u	/* findings written out in full by text/HTML ... */
#define REPORT_SHOW_ERRORS	500u	/* ... plus this many errors */
#define REPORT_MAX_DOMAINS	4096u
#define REPORT_MAX_INTERVALS	(1u << 18)	/* gate intervals per TBU lane */

/* what a mark on the timeline stands for */
enum mark_kind {
	MK_MAP,
	MK_UNMAP,
	MK_TLBI,
	MK_SYNC,
	MK_FLUSH_ALL,
	MK_SMMU_RESET,
	MK_FAULT,
	MK_LOST,
	MK_ATTACH,	/* attach, detach, domain_free */
	MK_MAX,
};

enum lane_kind {
	LANE_TBU,	/* one per TBU of the board: gated intervals */
	LANE_SMMU,	/* one per SMMU: tlbi all, global syncs, resets */
	LANE_DOMAIN,	/* one per IOMMU domain: map/unmap/tlbi/sync/fault */
	LANE_CAPTURE,	/* lost events, events without a domain or SMMU */
};

/* a span of a TBU lane: gated (state 1) or gate state unknown (-1) */
struct report_interval {
	uint64_t start, end;	/* end REPORT_NEVER = still so at the end */
	int state;
};

struct report_lane {
	enum lane_kind kind;
	char name[160];		/* "gfx_0_tbu", "3da0000.iommu", "0xffff...(3d00000.gpu)" */
	char detail[256];	/* gates, SIDs, devices */
	int tbu;		/* LANE_TBU: index into the topology */
	int domain;		/* LANE_DOMAIN: index into model->domains */
	struct report_interval *iv;
	uint32_t niv, iv_cap;
	uint64_t iv_dropped;
	uint64_t marks[MK_MAX];	/* marks in the window, per kind */
	enum severity worst;	/* worst finding on this lane */
};

struct report_mark {
	uint64_t ts;
	uint32_t lane;
	uint8_t kind;		/* enum mark_kind */
	uint8_t sev;		/* severity of a finding triggered here */
	uint16_t pad;
	uint32_t finding;	/* index + 1 of that finding, 0 = none */
	uint32_t pad2;
};

/* one mapping's life in a domain: map -> unmap -> invalidated -> synced, as the
 * engine decided it (struct engine_lifetime) */
struct report_lifetime {
	uint64_t iova, size;
	uint64_t map_ts;	/* REPORT_NEVER: mapped before the capture started */
	uint64_t unmap_ts, inval_ts, sync_ts;	/* REPORT_NEVER: not reached */
	uint32_t domain;	/* index into model->domains */
	uint8_t hazard;		/* enum severity of the worst finding touching it */
	uint8_t unmapped_gated;	/* unmap issued while a serving TBU was gated */
	uint16_t pad;
	uint32_t finding;	/* index + 1 of the first finding touching it, 0 = none */
};

struct report_domain {
	uint64_t ptr;
	char smmu[SMT_NAME_LEN];
	char devs[192];		/* "3d00000.gpu, ..." */
	char sids[128];		/* "0x0-0x3" */
	uint32_t lane;
	uint64_t maps, unmaps, map_failures, faults;
	uint64_t lifetimes, lifetimes_dropped;
	uint64_t hazards[3];	/* lifetimes by hazard severity */
	uint64_t max_size;	/* largest lifetime size (for overlap search) */
	bool freed;
};

struct report_hist {
	uint64_t b[HIST_BUCKETS];	/* log2 ns buckets, as engine.h */
	uint64_t n, sum, max;
};

struct report_finding {
	struct finding f;
	uint32_t lane;
	uint32_t lifetimes;	/* lifetimes it touches */
	uint32_t err_rank;	/* among error findings, 0-based */
	uint64_t number;	/* 1-based in the whole capture: what --around-finding takes */
};

/* where a finding sits on the timeline (kept for all findings, even past the detail cap) */
struct report_flink {
	uint64_t ts;
	uint32_t lane;
	uint32_t finding;	/* index + 1 into findings[], 0 = not kept in detail */
	uint8_t sev, rule;
};

struct report_meta {
	char source[256];	/* input name */
	bool is_recording;
	char kernel[SMT_NAME_LEN];
	char arch[SMT_NAME_LEN];
	bool strict_known, strict;
	bool since_boot_known, since_boot;
	char compatible[128];	/* device tree root compatible, "" if unknown */
	char model[128];	/* device tree model */
	char *meta_json;	/* recording header metadata (JSON object text) or NULL */
	char *meta_extra;	/* free-form fields of the meta event or NULL */
	char hooks[2048];	/* hook table, one "name: how" per entry, "; " separated */
};

struct report_model {
	const struct topology *topo;
	struct report_meta meta;

	/* window (event time, ns); whole capture when !windowed */
	bool windowed;
	uint64_t from, to;
	char window_why[128];	/* "--from/--to", "around finding 3 (+-500ms)" */

	uint64_t first_ts, last_ts;		/* whole capture */
	uint64_t win_first_ts, win_last_ts;	/* events inside the window */
	uint64_t events, events_in_window;
	uint64_t events_by_type[SMT_EV_MAX];	/* in the window */
	uint64_t lost;				/* in the window */

	struct report_lane *lanes;
	uint32_t nlanes;
	struct report_mark *marks;	/* in ts order */
	uint64_t nmarks, marks_dropped;
	struct report_lifetime *lifetimes;	/* in order of map (or unmap when the map was not seen) */
	uint64_t nlifetimes, lifetimes_dropped;
	struct report_domain *domains;
	uint32_t ndomains;
	uint64_t domains_dropped;
	struct report_finding *findings;	/* in the window, in report order */
	uint64_t nfindings, findings_dropped, findings_outside;
	struct report_flink *flinks;	/* every finding in the window, in order */
	uint64_t nflinks, flinks_dropped;
	uint64_t findings_by_rule[RULE_MAX];
	uint64_t findings_by_sev[3];
	enum severity worst;

	struct report_hist sync_hist;		/* sync durations */
	struct report_hist lifetime_hist;	/* map -> unmap */
	struct report_hist inval_hist;		/* unmap -> synced */

	struct engine_summary sum;		/* the engine's view of the whole capture */
};

struct report;

struct report_opts {
	const struct topology *topo;	/* may be NULL */
	const struct engine *engine;	/* read back for TBU gate states; may be NULL */
	bool windowed;
	uint64_t from, to;		/* inclusive, event-time ns */
	const char *window_why;
	const char *source_name;
};

struct report *report__new(const struct report_opts *opts);
/* The engine whose TBU gate states the lanes show (set before the first feed). */
void report__set_engine(struct report *r, const struct engine *e);
/* Record EV (call after engine__feed of the same event). 0 or -ENOMEM. */
int report__feed(struct report *r, const struct smt_event *ev);
/* engine_finding_fn-compatible: pass the report as ctx. */
void report__add_finding(const struct finding *f, void *report);
/* engine_lifetime_fn-compatible (the engine's lifetimes are the report's): pass the report as ctx. */
void report__add_lifetime(const struct engine_lifetime *lt, void *report);
/* Capture metadata the source knows (recording header, meta extras); may be NULL. */
void report__set_source_meta(struct report *r, bool is_recording, const char *meta_json,
			     const char *meta_extra);
/* End of stream: link findings to marks and lifetimes. 0 or -ENOMEM. */
int report__finish(struct report *r, const struct engine_summary *sum);
const struct report_model *report__model(const struct report *r);
void report__free(struct report *r);

/* ---- helpers shared by the serializers ---- */

const char *report__mark_kind_name(enum mark_kind k);
const char *report__lane_kind_name(enum lane_kind k);
/* "+1.234567s" relative to the first event of the capture */
void report__fmt_ts(const struct report_model *m, uint64_t ts, char *buf, size_t len);
/* "1.5ms", "250us", "3ns" */
void report__fmt_dur(uint64_t ns, char *buf, size_t len);
/* one-sentence verdict ("2 errors, 1 warning: ...") */
void report__verdict(const struct report_model *m, char *buf, size_t len);
/* the number shown for finding index+1 IDX1 (0 when IDX1 is 0) */
uint64_t report__finding_number(const struct report_model *m, uint64_t idx1);
/* finding I is written out in full (the first ones and the first errors) */
bool report__finding_shown(const struct report_model *m, uint64_t i);
/* lifetime is inside the window (any part) */
bool report__lifetime_in_window(const struct report_model *m, const struct report_lifetime *l);

/* ---- serializers: 0 or -errno (write errors of F) ---- */

int report__write_text(const struct report_model *m, FILE *f, bool markdown);
int report__write_json(const struct report_model *m, FILE *f);
int report__write_html(const struct report_model *m, FILE *f);
/* report --policy: the recorded capture M with the timeline and findings of the
 * same capture under POLICY (PM, smmutrace whatif) below its own, on one axis */
int report__write_html_whatif(const struct report_model *m, const struct report_model *pm,
			      const char *policy, FILE *f);
int report__write_kcidb(const struct report_model *m, FILE *f);
int report__write_perfetto(const struct report_model *m, FILE *f);

/*
 * The capture's description (input, kernel, DMA mode, events, lost, window,
 * gates never seen) as key/value rows, one ROW call each: the text, markdown
 * and HTML reports lay them out, so they say the same thing.
 */
void report__capture_rows(const struct report_model *m,
			  void (*row)(void *ctx, const char *key, const char *value), void *ctx);

#endif
