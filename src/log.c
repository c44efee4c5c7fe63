// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Messages and the verbosity level (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

static int level = LOG_NORMAL;

void log__more_verbose(void)
{
	level++;
}

void log__set_level(int l)
{
	level = l;
}

int log__level(void)
{
	return level;
}

static void vlog(int min, const char *fmt, va_list ap)
{
	if (level < min)
		return;
	fputs("smmutrace: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* each is a level and nothing else: one wrapper per level, as libbpf-tools has */
#define LOG_FN(name, min)				\
	void name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
							\
		va_start(ap, fmt);			\
		vlog(min, fmt, ap);			\
		va_end(ap);				\
	}

LOG_FN(pr_err, LOG_NORMAL)
LOG_FN(pr_warn, LOG_NORMAL)
LOG_FN(pr_info, LOG_NORMAL)
LOG_FN(pr_debug, LOG_DEBUG)
