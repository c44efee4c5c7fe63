// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace whatif: replay a recording or stream as if the driver had followed
 * a policy of the 2017 review (SPEC §8). One pass: every recorded event goes
 * to an engine as recorded (the "actual" counts) and through the policy's
 * rewrite (whatif.c) to a second engine whose findings are the output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "commands.h"
#include "env.h"
#include "json_writer.h"
#include "recording.h"
#include "source.h"
#include "whatif.h"

enum { OPT_POLICY = OPT_CMD_BASE };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace whatif --policy P [OPTIONS] FILE|-\n"
"\n"
"Replay a recording or JSONL event stream as if the SMMU driver had followed\n"
"policy P, and compare: the stream is rewritten the way the driver would have\n"
"issued it, the same engine as 'replay' judges the result, and the findings\n"
"under the policy are printed, then a table of findings per rule, as recorded\n"
"and under the policy, and what the rewrite changed. The policies are those\n"
"argued about in the 2017 review of \"iommu/arm-smmu: Defer TLB flush in case\n"
"of unmap op\" (see smmutrace(8) and docs/whatif.md):\n"
"\n"
"  defer-unmap   while the SMMU is suspended an unmap returns its size but\n"
"                leaves the PTEs, and no TLBI or sync is issued; at resume the\n"
"                held unmaps are done (TLBI each, one sync). A map over a held\n"
"                range fails with -EEXIST (stale-pte) and that mapping's later\n"
"                unmap is dropped.\n"
"  skip-tlbi     while the SMMU is suspended unmaps clear PTEs but TLBIs and\n"
"                syncs are skipped; at resume an smmu_reset (invalidate all +\n"
"                sync) is issued.\n"
"  wake-tbu      before an unmap or TLBI for a domain a gated TBU serves, the\n"
"                driver switches that TBU's gates on; it switches them off again\n"
"                after the sync that completes the invalidation.\n"
"\n"
"The SMMU is suspended while one of its gates is off: [smmu NAME] gates = in\n"
"the board file, else rpm:NAME (its own runtime PM).\n"
"\n"
"Options:\n"
"  --policy P            defer-unmap, skip-tlbi or wake-tbu (required)\n"
ENV_COMMON_HELP
"  With --json: the finding objects under the policy, then one object\n"
"  {\"type\":\"whatif\",\"policy\":P,\"actual\":{rule:N},\"under_policy\":{rule:N},\n"
"   \"changes\":{\"deferred_unmaps\":N,\"failed_maps\":N,\"skipped_tlbis\":N,\n"
"   \"skipped_syncs\":N,\"tbu_wakes\":N,\"events_dropped\":N}}.\n"
"\n"
"Exit status: as replay, for the findings under the policy: 0 none at or above\n"
"--fail-on, 1 such findings, 2 usage error or bad input, 3 output error.\n"
"\n"
"Examples:\n"
"  smmutrace whatif --policy defer-unmap capture.smt\n"
"  smmutrace whatif --policy wake-tbu --board board.ini --json events.jsonl\n");
}

struct run {
	struct whatif *wi;
	struct engine *actual;
	struct analysis *policy;
};

static void no_finding(const struct finding *f, void *ctx)
{
	(void)f;
	(void)ctx;
}

static void to_policy_engine(const struct smt_event *ev, void *ctx)
{
	analysis__feed(ctx, ev);
}

static void feed(struct run *r, struct ev_source *src, const struct smt_event *ev)
{
	/* SPEC §9: a blind spot declared mid-stream leaves its rules unjudged in both columns */
	if (ev->type == SMT_EV_META)
		analysis__meta(r->policy, ev_source__meta_extra(src));
	engine__feed(r->actual, ev);
	whatif__feed(r->wi, ev);
}

static const char *const change_names[] = {
	"deferred_unmaps", "failed_maps", "skipped_tlbis", "skipped_syncs", "tbu_wakes",
	"events_dropped",
};

static void change_values(const struct whatif_changes *c, uint64_t v[6])
{
	v[0] = c->deferred_unmaps;
	v[1] = c->failed_maps;
	v[2] = c->skipped_tlbis;
	v[3] = c->skipped_syncs;
	v[4] = c->tbu_wakes;
	v[5] = c->events_dropped;
}

static void write_json(FILE *f, enum whatif_policy p, const struct engine_summary *act,
		       const struct engine_summary *pol, const struct whatif_changes *c)
{
	struct jsonw *w = jsonw__new(f);
	uint64_t v[6];

	if (!w)
		return;
	change_values(c, v);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "type", "whatif");
	jsonw__kv_str(w, "policy", whatif__policy_name(p));
	jsonw__key(w, "actual");
	jsonw__obj_begin(w);
	for (int r = 0; r < RULE_MAX; r++)
		jsonw__kv_u64(w, rule__name(r), act->findings[r]);
	jsonw__obj_end(w);
	jsonw__key(w, "under_policy");
	jsonw__obj_begin(w);
	for (int r = 0; r < RULE_MAX; r++)
		jsonw__kv_u64(w, rule__name(r), pol->findings[r]);
	jsonw__obj_end(w);
	jsonw__key(w, "changes");
	jsonw__obj_begin(w);
	for (int i = 0; i < 6; i++)
		jsonw__kv_u64(w, change_names[i], v[i]);
	jsonw__obj_end(w);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
}

static void write_text(FILE *f, enum whatif_policy p, const char *file,
		       const struct engine_summary *act, const struct engine_summary *pol,
		       const struct whatif_changes *c, const struct whatif *wi)
{
	uint64_t held = whatif__held_at_end(wi), suspends = whatif__smmu_suspends(wi), ns;
	const char *name;
	char gates[512];
	static const char *const change_help[] = {
		"unmaps whose PTEs stayed until the SMMU resumed",
		"maps that would have failed with -EEXIST",
		"TLBIs (or flush_all) not issued to a suspended SMMU",
		"syncs not issued to a suspended SMMU",
		"times a gated TBU was switched on for an invalidation",
		"recorded events the policy removes (unmaps of failed maps, gate-offs held back)",
	};
	uint64_t v[6], ta = 0, tp = 0;
	char head[64];
	int rows = 0;

	change_values(c, v);
	snprintf(head, sizeof(head), "under %s", whatif__policy_name(p));
	fprintf(f, "\nwhat-if: %s, policy %s\n", file, whatif__policy_name(p));
	fprintf(f, "  %-24s %10s %18s\n", "rule", "actual", head);
	for (int r = 0; r < RULE_MAX; r++) {
		ta += act->findings[r];
		tp += pol->findings[r];
		if (!act->findings[r] && !pol->findings[r])
			continue;
		rows++;
		fprintf(f, "  %-24s %10" PRIu64 " %18" PRIu64 "\n", rule__name(r),
			act->findings[r], pol->findings[r]);
	}
	if (!rows)
		fprintf(f, "  (no findings either way)\n");
	fprintf(f, "  %-24s %10" PRIu64 " %18" PRIu64 "\n", "total", ta, tp);
	fprintf(f, "  %-24s %10" PRIu64 " %18" PRIu64 "\n", "errors",
		act->findings_by_sev[SEV_ERROR], pol->findings_by_sev[SEV_ERROR]);
	fprintf(f, "changes:\n");
	for (int i = 0; i < 6; i++)
		fprintf(f, "  %-16s %8" PRIu64 "  %s\n", change_names[i], v[i], change_help[i]);
	/* what "suspended" meant: the gates each SMMU was judged by */
	for (int i = 0; p != WHATIF_WAKE_TBU &&
	     !whatif__smmu_info(wi, i, &name, &ns, gates, sizeof(gates)); i++)
		fprintf(f, "smmu %s: suspended %" PRIu64 " time%s (gates: %s)\n", name, ns,
			ns == 1 ? "" : "s", gates);
	if (!suspends && p != WHATIF_WAKE_TBU)
		fprintf(f, "note: no SMMU was suspended in this stream, so %s had nothing to "
			"change; if another gate suspends the SMMU, name it in the board file: "
			"[smmu NAME] gates = ...\n", whatif__policy_name(p));
	if (held)
		fprintf(f, "note: %" PRIu64 " deferred unmap%s still held at the end: the SMMU "
			"did not resume before the stream ended\n", held, held == 1 ? "" : "s");
}

int cmd_whatif(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		ENV_COMMON_LONGOPTS,
		{ 0 },
	};
	struct run r = { 0 };
	struct engine_opts eo;
	struct whatif_opts wo = { 0 };
	struct engine_summary act, pol;
	struct whatif_changes ch;
	struct ev_source *src;
	struct smt_event ev;
	struct env env;
	const char *policy = NULL;
	const char (*nj_reasons)[320];
	char err[1024], *board;
	unsigned int nj;
	int c, rc, status, p;

	env__init(&env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == OPT_POLICY) {
			policy = optarg;
			continue;
		}
		rc = env__parse_common(&env, c, optarg);
		if (rc < 0)
			return EXIT_INPUT;
		if (rc == 0) {
			usage(stderr);
			return EXIT_INPUT;
		}
	}
	if (!policy) {
		pr_err("whatif: give --policy P, one of " WHATIF_POLICY_LIST "; see "
		       "'smmutrace whatif --help'\n");
		return EXIT_INPUT;
	}
	p = whatif__policy_from_name(policy);
	if (p < 0) {
		pr_err("whatif: --policy: '%s' is not a policy: use one of " WHATIF_POLICY_LIST
		       "\n", policy);
		return EXIT_INPUT;
	}
	if (optind != argc - 1) {
		pr_err("whatif: give exactly one FILE (or - for stdin); see 'smmutrace whatif --help'\n");
		return EXIT_INPUT;
	}
	if (ev_source__open(argv[optind], &src, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_INPUT;
	}
	board = recording__meta_board(ev_source__meta_json(src));
	status = analysis__new(&r.policy, &env, board);
	free(board);
	if (status) {
		ev_source__close(src);
		return status;
	}
	/* one set of unjudged rules for both engines: the capture was blind for both */
	analysis__meta(r.policy, ev_source__meta_json(src));
	/* the recorded stream, judged as replay would: the "actual" column */
	env__engine_opts(&env, analysis__topology(r.policy), analysis__not_judged(r.policy, NULL),
			 &eo);
	eo.on_finding = no_finding;
	r.actual = engine__new(&eo);
	wo.policy = (enum whatif_policy)p;
	wo.topo = analysis__topology(r.policy);
	wo.emit = to_policy_engine;
	wo.ctx = r.policy;
	r.wi = r.actual ? whatif__new(&wo) : NULL;
	if (!r.wi) {
		pr_err("out of memory\n");
		status = EXIT_ENV;
		goto out;
	}
	while ((rc = ev_source__next(src, &ev)) > 0)
		feed(&r, src, &ev);
	status = 0;
	if (rc < 0) {
		/* everything before the bad spot was analysed: still show it */
		pr_err("%s\n", ev_source__error(src));
		status = EXIT_INPUT;
	}
	engine__finish(r.actual);
	engine__finish(analysis__engine(r.policy));
	engine__summary(r.actual, &act);
	engine__summary(analysis__engine(r.policy), &pol);
	whatif__changes(r.wi, &ch);
	nj = *analysis__not_judged(r.policy, &nj_reasons);
	for (int i = 0; i < RULE_MAX; i++)
		if (nj & (1u << i))
			pr_err("whatif: not judged: %s (%s)\n", rule__name(i), nj_reasons[i]);
	if (env.json)
		write_json(stdout, (enum whatif_policy)p, &act, &pol, &ch);
	else
		write_text(stdout, (enum whatif_policy)p, ev_source__name(src), &act, &pol, &ch, r.wi);
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("whatif: writing the output failed: %s\n", strerror(errno ? errno : EIO));
		status = EXIT_ENV;
	} else if (!status) {
		status = env__exit_status(&env, sink__worst(analysis__sink(r.policy)));
	}
out:
	whatif__free(r.wi);
	engine__free(r.actual);
	analysis__free(r.policy);
	ev_source__close(src);
	return status;
}
