// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Report fuzz target: the input is a JSONL stream. Whatever the reader
 * accepts goes through the engine into the report model with a GPU-TBU board,
 * and every serializer must write it: text, markdown, HTML, and JSON, KCIDB
 * and Perfetto that parse back as JSON.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "jsonl.h"
#include "report.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char board[] =
	"[smmu 3da0000.iommu]\n"
	"[smmu 15000000.iommu]\n"
	"[tbu gfx_0_tbu]\nsmmu = 3da0000.iommu\nsids = 0x0-0x3ff\n"
	"gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"
	"[tbu anoc_tbu]\nsmmu = 15000000.iommu\nsids = 0x800-0x8ff\ngates = pd:hf0_gdsc\n";

static int text_fn(const struct report_model *m, FILE *f)
{
	return report__write_text(m, f, false);
}

static int md_fn(const struct report_model *m, FILE *f)
{
	return report__write_text(m, f, true);
}

static void write_all(const struct report_model *m)
{
	static int (*const fns[])(const struct report_model *, FILE *) = {
		text_fn, md_fn, report__write_html, report__write_json, report__write_kcidb,
		report__write_perfetto,
	};

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (!f || fns[i](m, f))
			abort();
		fclose(f);
		if (i >= 3) {
			struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
			struct json_object *o = json_tokener_parse_ex(tok, buf, (int)len);

			if (!o || json_tokener_get_error(tok) != json_tokener_success) {
				fprintf(stderr, "serializer %zu wrote invalid JSON:\n%.2000s\n", i, buf);
				abort();
			}
			json_object_put(o);
			json_tokener_free(tok);
		}
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	struct topology topo;
	struct engine_opts eo = { 0 };
	struct report_opts ro = { 0 };
	struct engine_summary sum;
	struct jsonl_reader *r;
	struct report *rep;
	struct engine *e;
	struct smt_event ev;
	char err[256];
	int n = 0;

	if (!in)
		return 0;
	topology__init(&topo);
	if (board__load_text(&topo, board, "fuzz-board", err, sizeof(err)))
		abort();
	r = jsonl_reader__new(in, "fuzz");
	ro.topo = &topo;
	ro.source_name = "fuzz";
	/* a window on odd inputs, so both paths run */
	if (size & 1) {
		ro.windowed = true;
		ro.from = size;
		ro.to = (uint64_t)size * 1000000;
		ro.window_why = "fuzz";
	}
	rep = report__new(&ro);
	eo.topo = &topo;
	eo.on_finding = report__add_finding;
	eo.on_lifetime = report__add_lifetime;
	eo.ctx = rep;
	e = engine__new(&eo);
	if (!r || !rep || !e)
		abort();
	report__set_engine(rep, e);
	while (n++ < 100000 && jsonl_reader__next(r, &ev) == 1) {
		engine__feed(e, &ev);
		if (report__feed(rep, &ev))
			abort();
	}
	engine__finish(e);
	engine__summary(e, &sum);
	report__set_source_meta(rep, false, NULL, jsonl_reader__meta_extra(r));
	if (report__finish(rep, &sum))
		abort();
	write_all(report__model(rep));
	report__free(rep);
	engine__free(e);
	jsonl_reader__free(r);
	topology__free(&topo);
	fclose(in);
	return 0;
}
