// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace replay: analyse a recording or a JSONL event stream offline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis.h"
#include "commands.h"
#include "env.h"
#include "recording.h"
#include "source.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace replay [OPTIONS] FILE|-\n"
"\n"
"Analyse a recording (made by 'smmutrace record' or 'smmutrace convert') or a\n"
"JSONL event stream (one SPEC event per line; '-' reads stdin) exactly as live\n"
"mode would: rebuild every domain's IOVA lifetimes and TBU gate states and\n"
"report findings, then a summary. The format is recognised by its first bytes.\n"
"A recording carries the board file it was made with; --board overrides it.\n"
"Rules needing an event the capture could not see (the \"blind\" key of the\n"
"recording or of a meta event) are not judged: the summary lists them, why.\n"
"\n"
"Options:\n"
ENV_COMMON_HELP
"\n"
"A recording its capture did not close (killed, power lost) or cut inside a\n"
"block is analysed up to its last whole block with a warning saying where it\n"
"ends; the exit status is then that of the findings.\n"
"\n"
"Exit status: 0 no finding at or above --fail-on, 1 such findings,\n"
"2 bad input (the message names FILE:LINE and the field; events before it\n"
"were analysed and the summary printed), 3 environment error or stdout\n"
"could not be written.\n"
"\n"
"Examples:\n"
"  smmutrace replay --board board.ini events.jsonl\n"
"  smmutrace replay --json capture.smt | jq 'select(.type==\"finding\")'\n"
"  cat events.jsonl | smmutrace replay --fail-on warning -\n");
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = { ENV_COMMON_LONGOPTS, { 0 } };
	struct env env;
	struct ev_source *src;
	struct analysis *a;
	const struct smt_event *evs[RECORDING_BATCH_MAX];
	char err[1024], *board;
	int c, rc, status;

	env__init(&env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		rc = env__parse_common(&env, c, optarg);
		if (rc < 0)
			return EXIT_INPUT;
		if (rc == 0) {
			return env__bad_option("replay");
		}
	}
	if (optind != argc - 1) {
		pr_err("replay: give exactly one FILE (or - for stdin); see 'smmutrace replay --help'\n");
		return EXIT_INPUT;
	}
	if (ev_source__open(argv[optind], &src, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_INPUT;
	}
	board = recording__meta_board(ev_source__meta_json(src));
	status = analysis__new(&a, &env, board);
	free(board);
	if (status) {
		ev_source__close(src);
		return status;
	}
	/* SPEC §9: a recording's header and any meta event say what the capture could not see */
	analysis__meta(a, ev_source__meta_json(src));
	/* batches let the engine prefetch ahead (README "Performance"); a batch ends after a meta */
	while ((rc = ev_source__next_batch(src, evs, RECORDING_BATCH_MAX)) > 0) {
		const struct smt_event *last = evs[rc - 1];

		if (last->type != SMT_EV_META) {
			analysis__feed_batch(a, evs, rc);
			continue;
		}
		analysis__feed_batch(a, evs, rc - 1);
		analysis__meta(a, ev_source__meta_extra(src));
		analysis__feed(a, last);
	}
	if (rc < 0) {
		/* everything before the bad spot was analysed: still show it */
		pr_err("%s\n", ev_source__error(src));
		analysis__finish(a);
		status = EXIT_INPUT;
	} else {
		/* a cut or unclosed capture is analysed as far as it goes: say so, exit by findings */
		if (ev_source__warning(src))
			pr_err("%s\n", ev_source__warning(src));
		status = analysis__finish(a);
	}
	analysis__free(a);
	ev_source__close(src);
	return status;
}
