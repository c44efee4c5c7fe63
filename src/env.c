// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "env.h"

int env_verbose;

void env__init(struct env *env)
{
	memset(env, 0, sizeof(*env));
	env->fail_on = SEV_ERROR;
	env->inval_window_ns = ENGINE_DEFAULT_INVAL_WINDOW_NS;
	env->fault_window_ns = ENGINE_DEFAULT_FAULT_WINDOW_NS;
	env->sync_slow_ns = ENGINE_DEFAULT_SYNC_SLOW_NS;
}

int env__parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -EINVAL;
			*ns = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_window(const char *opt, const char *arg, uint64_t *ns)
{
	if (env__parse_duration(arg, ns) == 0 && *ns > 0)
		return 1;
	pr_err("--%s: '%s' is not a duration: give a number with a unit, e.g. 100ms, 250us, 2s\n",
	       opt, arg);
	return -1;
}

int env__parse_common(struct env *env, int c, const char *arg)
{
	switch (c) {
	case OPT_BOARD:
		env->board_path = arg;
		return 1;
	case OPT_DT:
		env->dt_dir = arg;
		return 1;
	case OPT_JSON:
		env->json = true;
		return 1;
	case OPT_FAIL_ON:
		env->fail_never = false;
		if (strcmp(arg, "error") == 0)
			env->fail_on = SEV_ERROR;
		else if (strcmp(arg, "warning") == 0)
			env->fail_on = SEV_WARNING;
		else if (strcmp(arg, "never") == 0)
			env->fail_never = true;
		else {
			pr_err("--fail-on: '%s' is not one of error, warning, never\n", arg);
			return -1;
		}
		return 1;
	case OPT_INVAL_WINDOW:
		return parse_window("inval-window", arg, &env->inval_window_ns);
	case OPT_FAULT_WINDOW:
		return parse_window("fault-window", arg, &env->fault_window_ns);
	case OPT_SYNC_SLOW:
		return parse_window("sync-slow", arg, &env->sync_slow_ns);
	case 'v':
		env->verbose++;
		env_verbose = env->verbose;
		return 1;
	}
	return 0;
}

int env__exit_status(const struct env *env, enum severity worst)
{
	if (env->fail_never || worst == SEV_NONE)
		return EXIT_OK;
	return worst >= env->fail_on ? EXIT_FINDINGS : EXIT_OK;
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	fputs("smmutrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (!env_verbose)
		return;
	fputs("smmutrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
