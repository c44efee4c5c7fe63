// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"

struct analysis {
	struct topology topo;
	struct engine *engine;
	struct sink *sink;
	const struct env *env;
};

int analysis__new(struct analysis **out, const struct env *env, const char *embedded_board)
{
	struct analysis *a = calloc(1, sizeof(*a));
	struct engine_opts opts = { 0 };
	char err[1024];

	*out = NULL;
	if (!a) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	a->env = env;
	topology__init(&a->topo);
	/* device tree first, the board file adds or overrides */
	if (env->dt_dir && dt__discover(&a->topo, env->dt_dir, err, sizeof(err))) {
		pr_err("%s\n", err);
		goto bad_input;
	}
	if (env->board_path) {
		if (board__load(&a->topo, env->board_path, err, sizeof(err))) {
			pr_err("%s\n", err);
			goto bad_input;
		}
	} else if (embedded_board && *embedded_board) {
		if (board__load_text(&a->topo, embedded_board, "<board in recording>", err, sizeof(err))) {
			pr_err("%s\n", err);
			goto bad_input;
		}
	}
	a->sink = sink__new(stdout, env->json);
	if (a->sink)
		sink__set_tbus(a->sink, a->topo.ntbus);
	opts.topo = &a->topo;
	opts.inval_window_ns = env->inval_window_ns;
	opts.fault_window_ns = env->fault_window_ns;
	opts.sync_slow_ns = env->sync_slow_ns;
	opts.on_finding = sink__finding;
	opts.ctx = a->sink;
	a->engine = a->sink ? engine__new(&opts) : NULL;
	if (!a->engine) {
		pr_err("out of memory\n");
		analysis__free(a);
		return EXIT_ENV;
	}
	*out = a;
	return 0;

bad_input:
	analysis__free(a);
	return EXIT_INPUT;
}

void analysis__feed(struct analysis *a, const struct smt_event *ev)
{
	engine__feed(a->engine, ev);
}

int analysis__finish(struct analysis *a)
{
	engine__finish(a->engine);
	sink__summary(a->sink, a->engine, NULL);
	return env__exit_status(a->env, sink__worst(a->sink));
}

struct engine *analysis__engine(struct analysis *a)
{
	return a->engine;
}

const struct topology *analysis__topology(const struct analysis *a)
{
	return &a->topo;
}

struct sink *analysis__sink(struct analysis *a)
{
	return a->sink;
}

void analysis__free(struct analysis *a)
{
	if (!a)
		return;
	engine__free(a->engine);
	sink__free(a->sink);
	topology__free(&a->topo);
	free(a);
}
