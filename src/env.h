/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CLI state (retsnoop's `env`): the options every subcommand shares, parsed
 * once and passed down. Subcommand-specific options live in their cmd_*.c.
 */
#ifndef SMMUTRACE_ENV_H
#define SMMUTRACE_ENV_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include "finding.h"
#include "log.h"

/* exit status (SPEC §2) */
#define EXIT_OK		0	/* no finding at or above --fail-on */
#define EXIT_FINDINGS	1	/* such findings */
#define EXIT_INPUT	2	/* usage error or bad input */
#define EXIT_ENV	3	/* environment: not root, no BTF, load/attach failure */

struct env {
	const char *board_path;		/* --board FILE */
	const char *dt_dir;		/* --dt DIR */
	bool json;			/* --json */
	enum severity fail_on;		/* --fail-on: SEV_ERROR (default), SEV_WARNING */
	bool fail_never;		/* --fail-on never */
	uint64_t inval_window_ns;	/* --inval-window */
	uint64_t fault_window_ns;	/* --fault-window */
	uint64_t sync_slow_ns;		/* --sync-slow */
};

/* Long options shared by the analysing subcommands; ids >= 0x1000. */
enum {
	OPT_BOARD = 0x1000,
	OPT_DT,
	OPT_JSON,
	OPT_FAIL_ON,
	OPT_INVAL_WINDOW,
	OPT_FAULT_WINDOW,
	OPT_SYNC_SLOW,
	OPT_HELP,
	OPT_CMD_BASE = 0x1100,	/* subcommands number their own options from here */
};

#define ENV_COMMON_LONGOPTS \
	{ "board", required_argument, NULL, OPT_BOARD }, \
	{ "dt", required_argument, NULL, OPT_DT }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON }, \
	{ "inval-window", required_argument, NULL, OPT_INVAL_WINDOW }, \
	{ "fault-window", required_argument, NULL, OPT_FAULT_WINDOW }, \
	{ "sync-slow", required_argument, NULL, OPT_SYNC_SLOW }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "help", no_argument, NULL, 'h' }

/*
 * Help text for the options above, for the subcommands' --help, in parts so
 * that a command that gives an option its own meaning (report's --json,
 * monitor's --fail-on) or refuses it does not list it twice.
 */
#define ENV_HELP_BOARD \
"  --board FILE          board description (TBUs, SIDs, gates); see smmutrace(8)\n" \
"  --dt DIR              device tree to discover TBUs from (default on a live\n" \
"                        board: /proc/device-tree)\n"
#define ENV_HELP_JSON \
"  --json                JSONL output: finding objects, then one summary object\n"
#define ENV_HELP_FAIL_ON \
"  --fail-on LEVEL       error (default), warning or never: exit 1 when a\n" \
"                        finding at or above LEVEL was reported\n"
#define ENV_HELP_WINDOWS \
"  --inval-window DUR    unmap-no-invalidate window (default 100ms)\n" \
"  --fault-window DUR    fault-after-unmap window (default 1s)\n" \
"  --sync-slow DUR       sync-slow threshold (default 1ms)\n" \
"  -v, --verbose         libbpf and debug messages to stderr\n" \
"  -h, --help            this help\n" \
"  DUR is a number with a unit: ns, us, ms, s, m or h (e.g. 250us, 2s); a bare\n" \
"  number is seconds. Zero and more than 365 days are refused.\n"
#define ENV_COMMON_HELP ENV_HELP_BOARD ENV_HELP_JSON ENV_HELP_FAIL_ON ENV_HELP_WINDOWS

/*
 * An unknown option or a missing argument: getopt_long has said which; one
 * line pointing at the help, not the whole help (it hid the message).
 */
int env__bad_option(const char *cmd);	/* returns EXIT_INPUT */

void env__init(struct env *env);
/*
 * Handle one common option from getopt_long. Returns 1 if handled, 0 if C is
 * not a common option, -1 on a bad value (message already printed).
 */
int env__parse_common(struct env *env, int c, const char *arg);
/* durations above this are absurd (SPEC §2): a usage error */
#define ENV_MAX_DURATION_NS (365ull * 86400 * 1000000000)
/*
 * "250us" -> 250000; units ns, us, ms, s, m, h; a bare number is seconds;
 * decimals allowed ("1.5s"). 0, -EINVAL (not a duration) or -ERANGE (over
 * ENV_MAX_DURATION_NS). Zero is returned as 0 ns: callers decide.
 */
int env__parse_duration(const char *s, uint64_t *ns);
/*
 * The one parser every duration option uses: the message ("--OPT: 'ARG' is
 * not a duration/zero/over the limit") is printed here. 0 or -1.
 */
int env__duration_opt(const char *opt, const char *arg, uint64_t *ns, bool zero_ok);
/* NS exactly, in the largest of s, ms, us, ns that divides it: "60s", "250ms". */
void env__fmt_duration(uint64_t ns, char *buf, size_t len);
/* exit status for the highest severity seen (SEV_NONE if none) */
int env__exit_status(const struct env *env, enum severity worst);

struct engine_opts;
struct topology;
/*
 * The one place engine options come from env (--inval-window, --fault-window,
 * --sync-slow): every engine a command builds (analysis, report, whatif's
 * second engine, the monitor and its incident reports) judges with the same
 * windows. TOPO and NOT_JUDGED may be NULL; callbacks are the caller's.
 */
void env__engine_opts(const struct env *env, const struct topology *topo,
		      const unsigned int *not_judged, struct engine_opts *o);
/*
 * The one place the topology is built: --dt first (SPEC §4), then --board,
 * which adds TBUs or replaces those of the same name; without --board, the
 * board text a recording carries (EMBEDDED_BOARD, may be NULL). T is
 * initialized here. 0, or EXIT_INPUT after printing the error (T is then
 * freed).
 */
int env__topology(const struct env *env, const char *embedded_board, struct topology *t);
/* On a live board with no --dt, its own device tree (SPEC §4): live, record, monitor. */
void env__live_dt(struct env *env);

#endif
