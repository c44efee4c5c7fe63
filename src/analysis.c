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
	unsigned int not_judged;	/* bit per rule, read by the engine at emission */
	char reasons[RULE_MAX][320];
};

int analysis__new(struct analysis **out, const struct env *env, const char *embedded_board)
{
	struct analysis *a = calloc(1, sizeof(*a));
	struct engine_opts opts;
	int status;

	*out = NULL;
	if (!a) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	a->env = env;
	status = env__topology(env, embedded_board, &a->topo);
	if (status) {
		free(a);
		return status;
	}
	a->sink = sink__new(stdout, env->json);
	if (a->sink)
		sink__set_tbus(a->sink, a->topo.ntbus);
	env__engine_opts(env, &a->topo, &a->not_judged, &opts);
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
}

void analysis__feed(struct analysis *a, const struct smt_event *ev)
{
	engine__feed(a->engine, ev);
}

void analysis__feed_batch(struct analysis *a, const struct smt_event *const *evs, unsigned int n)
{
	engine__feed_batch(a->engine, evs, n);
}

void analysis__blind(struct analysis *a, const struct cov_blind *b, int n)
{
	coverage__not_judged(b, n, &a->not_judged, a->reasons);
	sink__set_not_judged(a->sink, a->not_judged, (const char (*)[320])a->reasons);
}

void analysis__meta(struct analysis *a, const char *meta_json)
{
	struct cov_blind b[COV_MAX_BLIND];
	int n = coverage__blind_from_meta(meta_json, b, COV_MAX_BLIND);

	if (n > 0)
		analysis__blind(a, b, n);
}

int analysis__finish(struct analysis *a)
{
	engine__finish(a->engine);
	sink__summary(a->sink, a->engine, NULL);
	return env__exit_status(a->env, sink__worst(a->sink));
}

const unsigned int *analysis__not_judged(const struct analysis *a, const char (**reasons)[320])
{
	if (reasons)
		*reasons = (const char (*)[320])a->reasons;
	return &a->not_judged;
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
