// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace: dispatch to the subcommands, nothing else. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "output.h"
#include "smmutrace_events.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "probe", cmd_probe, "which hooks this kernel offers and how each attaches" },
	{ "topology", cmd_topology, "SMMUs, TBUs, SID ranges, gates and their state" },
	{ "live", cmd_live, "trace now: findings as they happen, periodic summary" },
	{ "record", cmd_record, "trace to a recording file" },
	{ "replay", cmd_replay, "analyse a recording or JSONL event stream offline" },
	{ "dump", cmd_dump, "print a recording as JSONL events" },
	{ "convert", cmd_convert, "convert JSONL events <-> recording" },
	{ "report", cmd_report, "incident report (text, markdown, HTML, JSON, KCIDB, Perfetto)" },
	{ "monitor", cmd_monitor, "long-running mode for test farms" },
	{ "whatif", cmd_whatif, "replay as if the driver had followed a policy (defer-unmap, ...)" },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace COMMAND [OPTIONS] [ARGS]\n"
"\n"
"Trace ARM SMMU (IOMMU) unmaps, TLB invalidations and syncs together with the\n"
"clock, power-domain and runtime-PM state of the TBUs, rebuild every IOMMU\n"
"domain's IOVA lifetimes and report hazards: unmaps/TLBIs while a TBU is gated,\n"
"IOVA reuse before the TLB sync, stale PTEs, faults on just-unmapped IOVAs,\n"
"slow or timed-out syncs.\n"
"\n"
"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"Run 'smmutrace COMMAND --help' for a command's options.\n"
"\n"
"Exit status: 0 no finding at or above --fail-on, 1 such findings,\n"
"2 usage error or bad input, 3 environment error (not root, no BTF, ...).\n"
"\n"
"Examples:\n"
"  smmutrace probe                         what this kernel offers\n"
"  smmutrace live --board board.ini        trace and report as it happens\n"
"  smmutrace record -o cap.smt --duration 60s\n"
"  smmutrace replay cap.smt                same findings, offline\n"
"  smmutrace whatif --policy defer-unmap cap.smt   as if unmaps were deferred\n");
}

/* Every command's stdout is checked once, here: a full disk is never a silent success. */
static int finish(int status)
{
	return output__finish_stdout() ? EXIT_ENV : status;
}

int main(int argc, char **argv)
{
	output__wrap_stdout();
	if (argc < 2) {
		usage(stderr);
		return EXIT_INPUT;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		/* "help replay" = "replay --help" */
		if (!strcmp(argv[1], "help") && argc > 2) {
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
				if (!strcmp(argv[2], commands[i].name)) {
					char *hargv[] = { argv[2], (char *)"--help", NULL };

					return finish(commands[i].fn(2, hargv));
				}
			}
			pr_err("'%s' is not a command; run 'smmutrace --help' for the list\n", argv[2]);
			return EXIT_INPUT;
		}
		usage(stdout);
		return finish(EXIT_OK);
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("smmutrace %s (%s), event ABI %d\n", SMMUTRACE_VERSION, SMMUTRACE_GIT,
		       SMT_ABI_VERSION);
		return finish(EXIT_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish(commands[i].fn(argc - 1, argv + 1));
	pr_err("'%s' is not a command; run 'smmutrace --help' for the list\n", argv[1]);
	return EXIT_INPUT;
}
