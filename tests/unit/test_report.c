// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The report model (report.h) built from small event streams through the real
 * engine, as `smmutrace report` builds it: lifetimes, gate lanes, marks,
 * finding links, the window, and that every serializer writes what it must.
 * The board is the GPU TBU of tests/data/board/gpu-tbu.ini, loaded as text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "engine.h"
#include "event.h"
#include "report.h"
#include "topology.h"

#define DOM 0xffffff80a1c2e000ull
#define DOM2 0xffffff80b0004000ull
#define SMMU "3da0000.iommu"
#define MS 1000000ull

static const char board[] =
	"[smmu 3da0000.iommu]\n"
	"[tbu gfx_0_tbu]\n"
	"sids = 0x0-0x3ff\n"
	"gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n";

struct fx {
	struct topology topo;
	struct engine *e;
	struct report *r;
	uint64_t ts;
};

static struct fx *fx_new(bool windowed, uint64_t from, uint64_t to)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct engine_opts eo = { 0 };
	struct report_opts ro = { 0 };
	char err[256];

	assert_non_null(fx);
	topology__init(&fx->topo);
	assert_int_equal(board__load_text(&fx->topo, board, "test-board", err, sizeof(err)), 0);
	ro.topo = &fx->topo;
	ro.windowed = windowed;
	ro.from = from;
	ro.to = to;
	ro.window_why = "test";
	ro.source_name = "unit";
	fx->r = report__new(&ro);
	assert_non_null(fx->r);
	eo.topo = &fx->topo;
	eo.on_finding = report__add_finding;
	eo.on_lifetime = report__add_lifetime;
	eo.ctx = fx->r;
	fx->e = engine__new(&eo);
	assert_non_null(fx->e);
	report__set_engine(fx->r, fx->e);
	fx->ts = 1000 * MS;
	return fx;
}

static void fx_free(struct fx *fx)
{
	report__free(fx->r);
	engine__free(fx->e);
	topology__free(&fx->topo);
	free(fx);
}

static void feed(struct fx *fx, struct smt_event *ev)
{
	engine__feed(fx->e, ev);
	assert_int_equal(report__feed(fx->r, ev), 0);
}

static const struct report_model *finish(struct fx *fx)
{
	struct engine_summary s;

	engine__finish(fx->e);
	engine__summary(fx->e, &s);
	assert_int_equal(report__finish(fx->r, &s), 0);
	return report__model(fx->r);
}

/* ---- event builders (each advances time by 1 ms) ---- */

static void ev_attach(struct fx *fx, uint64_t dom, const char *dev, uint32_t sid)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_ATTACH, fx->ts += MS);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_SMMU | SMT_HAS_NAME | SMT_HAS_SIDS;
	ev.domain = dom;
	snprintf(ev.smmu, sizeof(ev.smmu), "%s", SMMU);
	snprintf(ev.name, sizeof(ev.name), "%s", dev);
	ev.sids[0] = sid;
	ev.sids[1] = sid + 1;
	ev.nsids = 2;
	feed(fx, &ev);
}

static void ev_map(struct fx *fx, uint64_t dom, uint64_t iova, uint64_t size, int64_t ret)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_MAP, fx->ts += MS);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
	ev.domain = dom;
	ev.iova = iova;
	ev.size = size;
	ev.ret = ret;
	feed(fx, &ev);
}

static void ev_unmap(struct fx *fx, uint64_t dom, uint64_t iova, uint64_t size)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_UNMAP, fx->ts += MS);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
	ev.domain = dom;
	ev.iova = iova;
	ev.size = size;
	ev.ret = (int64_t)size;
	feed(fx, &ev);
}

static void ev_tlbi(struct fx *fx, uint64_t dom, int scope, uint64_t iova, uint64_t size)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_TLBI, fx->ts += MS);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_SMMU;
	ev.scope = (uint16_t)scope;
	ev.domain = dom;
	snprintf(ev.smmu, sizeof(ev.smmu), "%s", SMMU);
	if (scope == SMT_TLBI_VA) {
		ev.present |= SMT_HAS_IOVA | SMT_HAS_SIZE;
		ev.iova = iova;
		ev.size = size;
	}
	feed(fx, &ev);
}

static void ev_sync(struct fx *fx, uint64_t dom, uint64_t dur)
{
	struct smt_event ev;

	event__init(&ev, SMT_EV_SYNC, fx->ts += MS);
	ev.present |= SMT_HAS_DOMAIN | SMT_HAS_SMMU | SMT_HAS_DUR;
	ev.scope = SMT_SYNC_CONTEXT;
	ev.domain = dom;
	ev.dur = dur;
	snprintf(ev.smmu, sizeof(ev.smmu), "%s", SMMU);
	feed(fx, &ev);
}

static void ev_gate(struct fx *fx, unsigned int type, const char *name, bool on)
{
	struct smt_event ev;

	event__init(&ev, type, fx->ts += MS);
	ev.present |= SMT_HAS_NAME;
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	if (type == SMT_EV_RPM)
		ev.state = on ? SMT_RPM_ACTIVE : SMT_RPM_SUSPENDED;
	else
		ev.on = on;
	feed(fx, &ev);
}

static void gpu_on(struct fx *fx)
{
	ev_gate(fx, SMT_EV_RPM, "3d00000.gpu", true);
	ev_gate(fx, SMT_EV_PD, "gpu_cx_gdsc", true);
	ev_gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", true);
}

static void gpu_off(struct fx *fx)
{
	ev_gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", false);
	ev_gate(fx, SMT_EV_PD, "gpu_cx_gdsc", false);
	ev_gate(fx, SMT_EV_RPM, "3d00000.gpu", false);
}

static uint32_t lane_of_kind(const struct report_model *m, enum lane_kind k)
{
	uint32_t i;

	for (i = 0; i < m->nlanes && m->lanes[i].kind != k; i++)
		;
	assert_true(i < m->nlanes);
	return i;
}

/* ---- tests ---- */

static void test_lifetime_follows_map_unmap_tlbi_sync(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;
	const struct report_lifetime *l;
	uint64_t t_map, t_unmap, t_tlbi, t_sync;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x10000, 0);
	t_map = fx->ts;
	ev_unmap(fx, DOM, 0x100000, 0x10000);
	t_unmap = fx->ts;
	ev_tlbi(fx, DOM, SMT_TLBI_VA, 0x100000, 0x10000);
	t_tlbi = fx->ts;
	ev_sync(fx, DOM, 2000);
	t_sync = fx->ts;
	m = finish(fx);

	assert_int_equal(m->ndomains, 1);
	assert_int_equal(m->nlifetimes, 1);
	l = &m->lifetimes[0];
	assert_int_equal(l->iova, 0x100000);
	assert_int_equal(l->size, 0x10000);
	assert_int_equal(l->map_ts, t_map);
	assert_int_equal(l->unmap_ts, t_unmap);
	assert_int_equal(l->inval_ts, t_tlbi);
	assert_int_equal(l->sync_ts, t_sync);
	assert_int_equal(l->hazard, SEV_NONE);
	assert_int_equal(m->nfindings, 0);
	assert_int_equal(m->worst, SEV_NONE);
	assert_int_equal(m->sync_hist.n, 1);
	assert_int_equal(m->sync_hist.max, 2000);
	assert_int_equal(m->lifetime_hist.n, 1);
	assert_int_equal(m->inval_hist.n, 1);
	assert_int_equal(m->inval_hist.max, t_sync - t_unmap);
	fx_free(fx);
}

static void test_sync_before_tlbi_does_not_complete_a_lifetime(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x1000, 0);
	ev_map(fx, DOM, 0x200000, 0x1000, 0);
	ev_unmap(fx, DOM, 0x100000, 0x1000);
	ev_unmap(fx, DOM, 0x200000, 0x1000);
	/* a TLBI of the first range only, then a sync: the second stays pending */
	ev_tlbi(fx, DOM, SMT_TLBI_VA, 0x100000, 0x1000);
	ev_sync(fx, DOM, 1000);
	m = finish(fx);

	assert_int_equal(m->nlifetimes, 2);
	assert_int_not_equal(m->lifetimes[0].sync_ts, REPORT_NEVER);
	assert_int_equal(m->lifetimes[1].inval_ts, REPORT_NEVER);
	assert_int_equal(m->lifetimes[1].sync_ts, REPORT_NEVER);
	fx_free(fx);
}

static void test_reuse_of_an_iova_is_a_second_lifetime(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x1000, 0);
	ev_unmap(fx, DOM, 0x100000, 0x1000);
	ev_tlbi(fx, DOM, SMT_TLBI_CONTEXT, 0, 0);
	ev_sync(fx, DOM, 1000);
	ev_map(fx, DOM, 0x100000, 0x1000, 0);
	ev_map(fx, DOM, 0x300000, 0x1000, -12);	/* failed map: no lifetime */
	m = finish(fx);

	assert_int_equal(m->nlifetimes, 2);
	assert_int_equal(m->lifetimes[1].iova, 0x100000);
	assert_int_equal(m->lifetimes[1].unmap_ts, REPORT_NEVER);
	assert_int_equal(m->domains[0].maps, 3);
	assert_int_equal(m->domains[0].map_failures, 1);
	/* a context TLBI covers the whole domain */
	assert_int_not_equal(m->lifetimes[0].inval_ts, REPORT_NEVER);
	fx_free(fx);
}

static void test_one_unmap_closes_contiguous_sg_segments(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	/* iommu_map_sg: one map per segment, one unmap for the whole range */
	ev_map(fx, DOM, 0x100000, 0x1000, 0);
	ev_map(fx, DOM, 0x101000, 0x4000, 0);
	ev_map(fx, DOM, 0x105000, 0x1000, 0);
	ev_map(fx, DOM, 0x106000, 0x1000, 0);	/* not covered */
	ev_unmap(fx, DOM, 0x100000, 0x6000);
	m = finish(fx);

	assert_int_equal(m->nlifetimes, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(m->lifetimes[i].unmap_ts, fx->ts);
	assert_int_equal(m->lifetimes[3].unmap_ts, REPORT_NEVER);
	fx_free(fx);
}

static void test_empty_stream_gives_an_empty_passing_report(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m = finish(fx);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(m->events, 0);
	assert_int_equal(m->worst, SEV_NONE);
	for (int (*fn)(const struct report_model *, FILE *) = report__write_html; fn;
	     fn = fn == report__write_html ? report__write_json :
		  fn == report__write_json ? report__write_kcidb :
		  fn == report__write_kcidb ? report__write_perfetto : NULL) {
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(fn(m, f), 0);
		fclose(f);
		assert_true(len > 0);
		free(buf);
		buf = NULL;
	}
	fx_free(fx);
}

static void test_unmap_of_unseen_mapping_starts_a_lifetime_without_map(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_unmap(fx, DOM, 0x500000, 0x2000);
	m = finish(fx);

	assert_int_equal(m->nlifetimes, 1);
	assert_int_equal(m->lifetimes[0].map_ts, REPORT_NEVER);
	assert_int_not_equal(m->lifetimes[0].unmap_ts, REPORT_NEVER);
	assert_int_equal(m->lifetime_hist.n, 0);
	fx_free(fx);
}

static void test_tbu_lane_shows_gated_interval_from_engine_state(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;
	const struct report_lane *l;
	uint64_t off, on;

	(void)state;
	ev_attach(fx, DOM, "3d00000.gpu", 0);	/* gates still unknown */
	gpu_on(fx);
	ev_gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", false);
	off = fx->ts;
	ev_gate(fx, SMT_EV_CLK, "gpu_cc_ahb_clk", true);
	on = fx->ts;
	m = finish(fx);

	l = &m->lanes[lane_of_kind(m, LANE_TBU)];
	assert_string_equal(l->name, "gfx_0_tbu");
	assert_non_null(strstr(l->detail, "clk:gpu_cc_ahb_clk"));
	/* unknown from the first event until all three gates were seen, then gated once */
	assert_int_equal(l->niv, 2);
	assert_int_equal(l->iv[0].state, -1);
	assert_int_equal(l->iv[0].start, m->first_ts);
	assert_int_equal(l->iv[1].state, 1);
	assert_int_equal(l->iv[1].start, off);
	assert_int_equal(l->iv[1].end, on);
	fx_free(fx);
}

static void test_unmap_while_gated_links_finding_to_mark_and_lifetime(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;
	const struct report_finding *rf = NULL;
	uint64_t t_unmap;
	bool marked = false;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x10000, 0);
	gpu_off(fx);
	ev_unmap(fx, DOM, 0x100000, 0x10000);
	t_unmap = fx->ts;
	m = finish(fx);

	assert_true(m->nfindings >= 1);
	for (uint64_t i = 0; i < m->nfindings; i++)
		if (m->findings[i].f.rule == RULE_UNMAP_WHILE_GATED)
			rf = &m->findings[i];
	assert_non_null(rf);
	assert_int_equal(rf->f.severity, SEV_ERROR);
	assert_int_equal(rf->f.ts, t_unmap);
	/* on the domain's lane, which is marked as holding an error */
	assert_int_equal(m->lanes[rf->lane].kind, LANE_DOMAIN);
	assert_int_equal(m->lanes[rf->lane].worst, SEV_ERROR);
	assert_non_null(strstr(m->lanes[rf->lane].name, "3d00000.gpu"));
	for (uint64_t i = 0; i < m->nmarks; i++)
		if (m->marks[i].ts == t_unmap && m->marks[i].kind == MK_UNMAP)
			marked = m->marks[i].sev == SEV_ERROR && m->marks[i].finding != 0;
	assert_true(marked);
	assert_int_equal(m->nlifetimes, 1);
	assert_int_equal(m->lifetimes[0].hazard, SEV_ERROR);
	assert_true(m->lifetimes[0].unmapped_gated);
	assert_int_equal(rf->lifetimes, 1);
	assert_int_equal(m->domains[0].hazards[SEV_ERROR], 1);
	assert_int_equal(m->worst, SEV_ERROR);
	assert_int_equal(m->findings_by_rule[RULE_UNMAP_WHILE_GATED], 1);
	assert_int_equal(m->nflinks, m->nfindings);
	fx_free(fx);
}

static void test_stale_exposure_marks_the_reuse_after_the_tbu_returns(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x10000, 0);
	ev_map(fx, DOM, 0x800000, 0x1000, 0);	/* untouched by the gated TLBI */
	gpu_off(fx);
	ev_unmap(fx, DOM, 0x100000, 0x10000);
	ev_tlbi(fx, DOM, SMT_TLBI_VA, 0x100000, 0x10000);
	ev_sync(fx, DOM, 1000);
	gpu_on(fx);
	ev_map(fx, DOM, 0x100000, 0x10000, 0);	/* reuse under a possibly stale micro-TLB */
	m = finish(fx);

	assert_int_equal(m->findings_by_rule[RULE_TBU_STALE_EXPOSURE], 1);
	assert_int_equal(m->nlifetimes, 3);
	assert_int_equal(m->lifetimes[0].hazard, SEV_ERROR);	/* unmapped while gated */
	assert_int_equal(m->lifetimes[1].hazard, SEV_NONE);	/* other IOVA */
	assert_int_equal(m->lifetimes[2].hazard, SEV_ERROR);	/* the reuse */
	fx_free(fx);
}

static void test_window_limits_marks_and_findings(void **state)
{
	struct fx *fx = fx_new(true, 1000 * MS + 6 * MS, 1000 * MS + 9 * MS);
	const struct report_model *m;

	(void)state;
	gpu_on(fx);				/* +1 .. +3 ms */
	ev_attach(fx, DOM, "3d00000.gpu", 0);	/* +4 */
	ev_map(fx, DOM, 0x100000, 0x1000, 0);	/* +5 */
	gpu_off(fx);				/* +6 .. +8 */
	ev_unmap(fx, DOM, 0x100000, 0x1000);	/* +9: inside */
	ev_unmap(fx, DOM, 0x100000, 0x1000);	/* +10: outside */
	m = finish(fx);

	assert_int_equal(m->events, 10);
	assert_int_equal(m->events_in_window, 4);
	for (uint64_t i = 0; i < m->nmarks; i++) {
		assert_true(m->marks[i].ts >= m->from);
		assert_true(m->marks[i].ts <= m->to);
	}
	assert_int_equal(m->nmarks, 1);	/* the first unmap; gate events are lane intervals */
	/* unmap-while-gated at +9 is in; the second unmap's findings are outside */
	assert_int_equal(m->findings_by_rule[RULE_UNMAP_WHILE_GATED], 1);
	assert_true(m->findings_outside >= 1);
	for (uint64_t i = 0; i < m->nfindings; i++)
		assert_true(m->findings[i].f.ts <= m->to);
	/* the lifetime that started before the window is still shown: it is in it */
	assert_true(report__lifetime_in_window(m, &m->lifetimes[0]));
	fx_free(fx);
}

static void test_tlbi_all_invalidates_every_domain_of_the_smmu(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_attach(fx, DOM2, "ae01000.display", 0x800);
	ev_map(fx, DOM, 0x100000, 0x1000, 0);
	ev_map(fx, DOM2, 0x100000, 0x1000, 0);
	ev_unmap(fx, DOM, 0x100000, 0x1000);
	ev_unmap(fx, DOM2, 0x100000, 0x1000);
	ev_tlbi(fx, DOM, SMT_TLBI_ALL, 0, 0);
	m = finish(fx);

	assert_int_equal(m->ndomains, 2);
	assert_int_equal(m->nlifetimes, 2);
	assert_int_not_equal(m->lifetimes[0].inval_ts, REPORT_NEVER);
	assert_int_not_equal(m->lifetimes[1].inval_ts, REPORT_NEVER);
	fx_free(fx);
}

static void test_recording_metadata_fills_capture_section(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;

	(void)state;
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	report__set_source_meta(fx->r, true,
		"{\"kernel\":\"6.6.52-qcom\",\"arch\":\"aarch64\",\"strict\":false,"
		"\"hooks\":[{\"hook\":\"unmap\",\"target\":\"arm_smmu_unmap_pages\","
		"\"method\":\"fentry\",\"status\":\"attached\"},"
		"{\"hook\":\"rpm\",\"method\":\"tracepoint\"}]}",
		"{\"compatible\":[\"qcom,qcs6490-rb3gen2\",\"qcom,qcm6490\"]}");
	m = finish(fx);
	assert_true(m->meta.is_recording);
	assert_string_equal(m->meta.kernel, "6.6.52-qcom");
	assert_string_equal(m->meta.arch, "aarch64");
	assert_true(m->meta.strict_known);
	assert_false(m->meta.strict);
	assert_string_equal(m->meta.hooks, "unmap: fentry (attached); rpm: tracepoint");
	assert_string_equal(m->meta.compatible, "qcom,qcs6490-rb3gen2, qcom,qcm6490");
	fx_free(fx);
}

/* ---- serializers ---- */

static char *render(const struct report_model *m, int (*fn)(const struct report_model *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(m, f), 0);
	fclose(f);
	return buf;
}

static const struct report_model *gated_example(struct fx *fx)
{
	gpu_on(fx);
	ev_attach(fx, DOM, "3d00000.gpu", 0);
	ev_map(fx, DOM, 0x100000, 0x10000, 0);
	gpu_off(fx);
	ev_unmap(fx, DOM, 0x100000, 0x10000);
	ev_tlbi(fx, DOM, SMT_TLBI_VA, 0x100000, 0x10000);
	ev_sync(fx, DOM, 2000);
	gpu_on(fx);
	return finish(fx);
}

static int text_plain(const struct report_model *m, FILE *f)
{
	return report__write_text(m, f, false);
}

static void test_text_and_json_reports_carry_verdict_and_findings(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m = gated_example(fx);
	struct json_object *o, *v;
	char *text = render(m, text_plain), *json = render(m, report__write_json);

	(void)state;
	assert_non_null(strstr(text, "Verdict: FAIL"));
	assert_non_null(strstr(text, "unmap-while-gated"));
	assert_non_null(strstr(text, "gfx_0_tbu"));
	o = json_tokener_parse(json);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "findings", &v));
	assert_int_equal(json_object_array_length(v), m->nfindings);
	assert_true(json_object_object_get_ex(o, "worst", &v));
	assert_string_equal(json_object_get_string(v), "error");
	assert_true(json_object_object_get_ex(o, "topology", &v));
	assert_true(json_object_is_type(v, json_type_object));
	json_object_put(o);
	free(text);
	free(json);
	fx_free(fx);
}

static void test_kcidb_report_is_v5_3_with_origin_prefixed_ids(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m = gated_example(fx);
	char *json = render(m, report__write_kcidb);
	struct json_object *o, *v, *x, *id;

	(void)state;
	o = json_tokener_parse(json);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "version", &v));
	assert_true(json_object_object_get_ex(v, "major", &x));
	assert_int_equal(json_object_get_int(x), 5);
	assert_true(json_object_object_get_ex(v, "minor", &x));
	assert_int_equal(json_object_get_int(x), 3);
	assert_true(json_object_object_get_ex(o, "incidents", &v));
	assert_int_equal(json_object_array_length(v), m->nfindings);
	for (const char *const *k = (const char *const[]){ "checkouts", "builds", "tests", "issues",
							     "incidents", NULL }; *k; k++) {
		assert_true(json_object_object_get_ex(o, *k, &v));
		assert_true(json_object_array_length(v) > 0);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			x = json_object_array_get_idx(v, i);
			assert_true(json_object_object_get_ex(x, "id", &id));
			assert_true(strncmp(json_object_get_string(id), "smmutrace:", 10) == 0);
		}
	}
	json_object_put(o);
	free(json);
	fx_free(fx);
}

static void test_perfetto_async_slices_pair_up(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m = gated_example(fx);
	char *json = render(m, report__write_perfetto);
	struct json_object *o, *evs;
	int b = 0, e = 0, findings = 0;

	(void)state;
	o = json_tokener_parse(json);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "traceEvents", &evs));
	for (size_t i = 0; i < json_object_array_length(evs); i++) {
		struct json_object *x = json_object_array_get_idx(evs, i), *ph, *cat;
		const char *p;

		assert_true(json_object_object_get_ex(x, "ph", &ph));
		p = json_object_get_string(ph);
		b += !strcmp(p, "b");
		e += !strcmp(p, "e");
		if (json_object_object_get_ex(x, "cat", &cat) && !strcmp(json_object_get_string(cat), "finding"))
			findings++;
	}
	assert_true(b > 0);
	assert_int_equal(b, e);
	assert_int_equal(findings, m->nfindings);
	json_object_put(o);
	free(json);
	fx_free(fx);
}

static void test_html_report_is_self_contained_with_timeline(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m = gated_example(fx);
	char *html = render(m, report__write_html);

	(void)state;
	assert_non_null(strstr(html, "<svg id=\"timeline-svg\""));
	assert_non_null(strstr(html, "class=\"lane tbu\""));
	assert_non_null(strstr(html, "class=\"gate gated\""));
	assert_non_null(strstr(html, "id=\"finding-1\""));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "<link"));
	fx_free(fx);
	free(html);
}

static void test_markup_in_names_is_escaped_in_html(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;
	char *html;

	(void)state;
	ev_attach(fx, DOM, "<script>alert(1)</script>", 0);
	m = finish(fx);
	html = render(m, report__write_html);
	assert_null(strstr(html, "<script>alert"));
	assert_non_null(strstr(html, "&lt;script&gt;alert"));
	free(html);
	fx_free(fx);
}


/*
 * Issue 9, C: the report's lifetimes are the engine's. Half of the unmap was
 * invalidated and synced, the other half never: the report must not show the
 * whole range as synced while the engine reports its reuse before sync.
 */
static void test_issue9_c_lifetimes_never_contradict_a_finding(void **state)
{
	struct fx *fx = fx_new(false, 0, 0);
	const struct report_model *m;
	const struct report_lifetime *l;
	(void)state;
	fx->ts = 0 - MS;	/* the builders add 1 ms: the first event is at 0 */
	ev_map(fx, DOM, 0x1000, 0x2000, 0);
	fx->ts = 1000 - MS;
	ev_unmap(fx, DOM, 0x1000, 0x2000);
	fx->ts = 2000 - MS;
	ev_tlbi(fx, DOM, SMT_TLBI_VA, 0x1000, 0x1000);
	fx->ts = 3000 - MS;
	ev_sync(fx, DOM, 500);
	fx->ts = 4000 - MS;
	ev_map(fx, DOM, 0x2000, 0x1000, 0);
	m = finish(fx);

	assert_int_equal(m->findings_by_rule[RULE_IOVA_REUSE_BEFORE_SYNC], 1);
	assert_int_equal(m->nfindings, 1);
	assert_int_equal(m->findings[0].f.ts, 4000);
	assert_int_equal(m->nlifetimes, 3);
	l = &m->lifetimes[0];	/* the half that was invalidated and synced */
	assert_int_equal(l->iova, 0x1000);
	assert_int_equal(l->size, 0x1000);
	assert_int_equal(l->map_ts, 0);
	assert_int_equal(l->unmap_ts, 1000);
	assert_int_equal(l->inval_ts, 2000);
	assert_int_equal(l->sync_ts, 3000);
	l = &m->lifetimes[1];	/* the half no TLBI covered */
	assert_int_equal(l->iova, 0x2000);
	assert_int_equal(l->size, 0x1000);
	assert_int_equal(l->unmap_ts, 1000);
	assert_true(l->inval_ts == REPORT_NEVER);
	assert_true(l->sync_ts == REPORT_NEVER);
	assert_int_equal(l->hazard, SEV_ERROR);	/* the reuse touches it */
	l = &m->lifetimes[2];	/* the reuse */
	assert_int_equal(l->iova, 0x2000);
	assert_int_equal(l->map_ts, 4000);
	assert_true(l->unmap_ts == REPORT_NEVER);
	assert_int_equal(m->findings[0].lifetimes, 2);
	assert_int_equal(m->lifetimes[0].hazard, 0);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifetime_follows_map_unmap_tlbi_sync),
		cmocka_unit_test(test_sync_before_tlbi_does_not_complete_a_lifetime),
		cmocka_unit_test(test_reuse_of_an_iova_is_a_second_lifetime),
		cmocka_unit_test(test_unmap_of_unseen_mapping_starts_a_lifetime_without_map),
		cmocka_unit_test(test_one_unmap_closes_contiguous_sg_segments),
		cmocka_unit_test(test_empty_stream_gives_an_empty_passing_report),
		cmocka_unit_test(test_tbu_lane_shows_gated_interval_from_engine_state),
		cmocka_unit_test(test_unmap_while_gated_links_finding_to_mark_and_lifetime),
		cmocka_unit_test(test_stale_exposure_marks_the_reuse_after_the_tbu_returns),
		cmocka_unit_test(test_window_limits_marks_and_findings),
		cmocka_unit_test(test_tlbi_all_invalidates_every_domain_of_the_smmu),
		cmocka_unit_test(test_recording_metadata_fills_capture_section),
		cmocka_unit_test(test_text_and_json_reports_carry_verdict_and_findings),
		cmocka_unit_test(test_kcidb_report_is_v5_3_with_origin_prefixed_ids),
		cmocka_unit_test(test_perfetto_async_slices_pair_up),
		cmocka_unit_test(test_html_report_is_self_contained_with_timeline),
		cmocka_unit_test(test_markup_in_names_is_escaped_in_html),
		cmocka_unit_test(test_issue9_c_lifetimes_never_contradict_a_finding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
