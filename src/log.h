/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Messages on stderr, "smmutrace: " first, and the one verbosity level
 * (-v, -vv) every module reads (libbpf-tools' pr_* helpers). Errors,
 * warnings and notices always print; pr_debug only with -v; libbpf's own
 * debug output only with -vv.
 */
#ifndef SMMUTRACE_LOG_H
#define SMMUTRACE_LOG_H

enum log_level {
	LOG_NORMAL = 0,		/* errors, warnings, notices */
	LOG_DEBUG = 1,		/* -v: pr_debug, libbpf warnings, capture statistics */
	LOG_LIBBPF_DEBUG = 2,	/* -vv: libbpf's debug output too */
};

/* one more -v */
void log__more_verbose(void);
void log__set_level(int level);
int log__level(void);

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
