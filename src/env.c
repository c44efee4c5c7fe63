// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "env.h"
#include "topology.h"

#define LIVE_DT_DIR "/proc/device-tree"

void env__init(struct env *env)
{
	memset(env, 0, sizeof(*env));
	env->fail_on = SEV_ERROR;
	/* windows stay 0 ("not given"): engine__new owns their defaults */
}

int env__parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "", 1000000000ull },	/* a bare number is seconds, as timeout(1) reads it */
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "m", 60000000000ull }, { "h", 3600000000000ull },
	};
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;
	bool digits = false;

	if (!s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		/* "1.5s": nanoseconds are the finest unit, more digits than 18 add nothing */
		for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
			if (scale < 1000000000000000000ull) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (!digits)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t m = units[i].mult;

		if (strcmp(p, units[i].unit))
			continue;
		if (whole > ENV_MAX_DURATION_NS / m)
			return -ERANGE;
		/* the fraction (< 1 unit) in double: exact enough below the 365-day limit */
		*ns = whole * m + (uint64_t)((double)frac / (double)scale * (double)m + 0.5);
		if (*ns > ENV_MAX_DURATION_NS)
			return -ERANGE;
		return 0;
	}
	return -EINVAL;
}

void env__fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{ "s", 1000000000ull }, { "ms", 1000000 }, { "us", 1000 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns && ns % units[i].mult == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].mult),
				 units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

int env__duration_opt(const char *opt, const char *arg, uint64_t *ns, bool zero_ok)
{
	uint64_t v;
	int rc = env__parse_duration(arg, &v);

	if (rc == -ERANGE) {
		pr_err("--%s: '%s' is over the %d-day limit of a duration\n", opt, arg,
		       (int)(ENV_MAX_DURATION_NS / 86400000000000ull));
		return -1;
	}
	if (rc) {
		pr_err("--%s: '%s' is not a duration: give a number with a unit (ns, us, ms, s, m, "
		       "h), e.g. 250us, 100ms, 2s; a bare number is seconds\n", opt, arg);
		return -1;
	}
	if (!v && !zero_ok) {
		pr_err("--%s: '%s' is zero: give a positive duration, e.g. 100ms\n", opt, arg);
		return -1;
	}
	*ns = v;
	return 0;
}

static int parse_window(const char *opt, const char *arg, uint64_t *ns)
{
	return env__duration_opt(opt, arg, ns, false) ? -1 : 1;
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
		log__more_verbose();	/* the one level (log.c), read by every module */
		return 1;
	}
	return 0;
}

int env__bad_option(const char *cmd)
{
	pr_err("%s: see 'smmutrace %s --help' for the options\n", cmd, cmd);
	return EXIT_INPUT;
}

int env__exit_status(const struct env *env, enum severity worst)
{
	if (env->fail_never || worst == SEV_NONE)
		return EXIT_OK;
	return worst >= env->fail_on ? EXIT_FINDINGS : EXIT_OK;
}

void env__engine_opts(const struct env *env, const struct topology *topo,
		      const unsigned int *not_judged, struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->topo = topo;
	o->inval_window_ns = env->inval_window_ns;
	o->fault_window_ns = env->fault_window_ns;
	o->sync_slow_ns = env->sync_slow_ns;
	o->not_judged = not_judged;
}

int env__topology(const struct env *env, const char *embedded_board, struct topology *t)
{
	char err[1024];

	topology__init(t);
	if (env->dt_dir) {
		pr_debug("reading device tree %s\n", env->dt_dir);
		if (dt__discover(t, env->dt_dir, err, sizeof(err)))
			goto bad;
	}
	if (env->board_path) {
		pr_debug("reading board file %s\n", env->board_path);
		if (board__load(t, env->board_path, err, sizeof(err)))
			goto bad;
	} else if (embedded_board && *embedded_board) {
		if (board__load_text(t, embedded_board, "<board in recording>", err, sizeof(err)))
			goto bad;
	}
	return 0;
bad:
	pr_err("%s\n", err);
	topology__free(t);
	return EXIT_INPUT;
}

void env__live_dt(struct env *env)
{
	if (!env->dt_dir && !access(LIVE_DT_DIR, R_OK))
		env->dt_dir = LIVE_DT_DIR;
}
