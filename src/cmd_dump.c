// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace dump: print a recording (or a JSONL stream, normalized) as JSONL events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "json_writer.h"
#include "output.h"
#include "jsonl.h"
#include "source.h"

enum { OPT_HEADER = OPT_CMD_BASE };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace dump [--header] FILE|-\n"
"\n"
"Print every event of a recording (made by 'smmutrace record' or 'smmutrace\n"
"convert') as JSONL, one SPEC event per line, losslessly: the output read back\n"
"by 'smmutrace replay' or 'smmutrace convert' gives the same events. A JSONL\n"
"stream is accepted too and printed normalized (addresses as \"0x...\" strings,\n"
"fields in a fixed order). '-' reads stdin. The format is recognised by its\n"
"first bytes.\n"
"\n"
"A recording its capture did not close (killed, power lost) or cut inside a\n"
"block is printed up to its last whole block, then a warning says where it\n"
"ends (exit 0); a block whose checksum fails is an error (exit 2).\n"
"\n"
"Options:\n"
"  --header      print the recording's metadata (kernel, arch, board file,\n"
"                hook table, DMA mode, ...) as one JSON object instead, with\n"
"                \"format_version\" and \"closed\" (true: closed by its capture,\n"
"                false: killed or cut, null: format 1 cannot tell)\n"
"  -h, --help    this help\n"
"\n"
"Exit status: 0 ok, 2 bad input (the message names the file and the byte offset\n"
"or line; every event before it was printed), 3 stdout could not be written.\n"
"\n"
"Examples:\n"
"  smmutrace dump cap.smt | jq -c 'select(.ev==\"unmap\")'\n"
"  smmutrace dump --header cap.smt | jq -r .board > board.ini\n"
"  smmutrace dump cap.smt > events.jsonl     # then edit and replay them\n");
}

static int stdout_failed(void)
{
	output__finish_stdout();	/* says why */
	return EXIT_ENV;
}

/*
 * --header: the metadata plus what only the end of the file can tell:
 * "format_version", and "closed" (true: closed by its capture; false: killed
 * or cut; null: format 1, which had no close block).
 */
/* the keys added here replace the header's own of the same name */
static bool header_skip(const char *key, void *ctx)
{
	return !strcmp(key, "format_version") || !strcmp(key, "closed");
}

static int print_header(struct ev_source *src, const char *meta)
{
	struct jsonw *w = jsonw__new_mem();
	struct smt_event ev;
	char *text;
	int rc, closed;

	if (!w) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	while ((rc = ev_source__next(src, &ev)) > 0)
		;
	closed = ev_source__closed(src);
	jsonw__obj_begin(w);
	if (jsonw__copy_members(w, meta, header_skip, NULL)) {
		/* the reader checked it is JSON text; keep it as it is if not an object */
		free(jsonw__mem_take(w));
		printf("%s\n", meta);
	} else {
		jsonw__kv_u64(w, "format_version", (uint64_t)ev_source__format_version(src));
		jsonw__key(w, "closed");
		if (closed < 0)
			jsonw__null(w);
		else
			jsonw__bool(w, rc == 0 && closed == 1);
		jsonw__obj_end(w);
		text = jsonw__mem_take(w);
		if (!text) {
			pr_err("out of memory\n");
			return EXIT_ENV;
		}
		printf("%s\n", text);
		free(text);
	}
	if (rc < 0) {
		pr_err("%s\n", ev_source__error(src));
		return EXIT_INPUT;
	}
	if (ev_source__warning(src))
		pr_err("%s\n", ev_source__warning(src));
	return EXIT_OK;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "header", no_argument, NULL, OPT_HEADER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ev_source *src;
	struct smt_event ev;
	bool header = false;
	char err[1024];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_HEADER:
			header = true;
			break;
		default:
			return env__bad_option("dump");
		}
	}
	if (optind != argc - 1) {
		pr_err("dump: give exactly one FILE (or - for stdin); see 'smmutrace dump --help'\n");
		return EXIT_INPUT;
	}
	if (ev_source__open(argv[optind], &src, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_INPUT;
	}

	if (header) {
		const char *meta = ev_source__meta_json(src);

		if (!meta) {
			pr_err("%s: is a JSONL event stream, not a recording: it has no header "
			       "(run 'smmutrace dump' without --header to see its events)\n",
			       ev_source__name(src));
			ev_source__close(src);
			return EXIT_INPUT;
		}
		rc = print_header(src, meta);
		ev_source__close(src);
		if (fflush(stdout) || ferror(stdout))
			return stdout_failed();
		return rc;
	}

	while ((rc = ev_source__next(src, &ev)) > 0) {
		const char *extra = ev.type == SMT_EV_META ? ev_source__meta_extra(src) : NULL;

		int wrc = jsonl__write_event(stdout, &ev, extra);

		if (wrc == -EINVAL) {
			/* readers never return such events; say so rather than skip it */
			pr_err("%s: an event of type %u at ts %llu cannot be written as JSONL "
			       "(please report this as a bug)\n", ev_source__name(src),
			       ev.type, (unsigned long long)ev.ts);
			ev_source__close(src);
			return EXIT_INPUT;
		}
		if (wrc < 0 || ferror(stdout)) {
			ev_source__close(src);
			return stdout_failed();
		}
	}
	/* everything before the bad spot goes out before the message */
	if (fflush(stdout) || ferror(stdout)) {
		ev_source__close(src);
		return stdout_failed();
	}
	if (rc < 0)
		pr_err("%s\n", ev_source__error(src));
	else if (ev_source__warning(src))
		pr_err("%s\n", ev_source__warning(src));
	ev_source__close(src);
	return rc < 0 ? EXIT_INPUT : EXIT_OK;
}
