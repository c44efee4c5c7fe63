// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace convert: JSONL events -> recording, or recording -> JSONL events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "env.h"
#include "output.h"
#include "jsonl.h"
#include "recording.h"
#include "recording_header.h"
#include "source.h"
#include "topology.h"

enum { OPT_META = OPT_CMD_BASE };

#define MAX_META_ARGS 256

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace convert IN -o OUT [--board FILE] [--meta KEY=VALUE]...\n"
"\n"
"Convert a JSONL event stream (SPEC section 3, one event per line) into a\n"
"recording, or a recording into JSONL. The direction follows IN's format,\n"
"which is recognised by its first bytes; '-' as IN reads stdin, '-' as OUT\n"
"writes stdout (for a recording only when stdout is not a terminal).\n"
"\n"
"A recording is compressed, checksummed per block and carries metadata: the\n"
"board file, so that 'smmutrace replay' needs no --board, and any KEY=VALUE\n"
"given (kernel release, board name, ticket, ...). 'smmutrace dump --header'\n"
"shows it.\n"
"\n"
"Options:\n"
"  -o, --output OUT      file to write (required)\n"
"  --board FILE          board description to embed (checked first; JSONL\n"
"                        input only)\n"
"  --meta KEY=VALUE      metadata to embed as a string, repeatable (JSONL input\n"
"                        only)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 ok, 2 usage error or bad input (the message names the file and\n"
"line or byte offset; OUT then holds every event before it and is complete),\n"
"3 OUT could not be written (disk full, permissions).\n"
"\n"
"Examples:\n"
"  smmutrace convert events.jsonl -o events.smt --board board.ini --meta kernel=6.6.8\n"
"  smmutrace convert cap.smt -o - | grep '\"ev\":\"fault\"'\n"
"  smmutrace convert cap.smt -o cap.jsonl && smmutrace convert cap.jsonl -o cap2.smt\n");
}

/* true when A and B name the same existing file (convert x -o x would truncate its input) */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return false;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int to_recording(struct ev_source *src, const char *out, const char *board_path,
			char **kv, int nkv)
{
	struct recording_writer *w;
	struct output o;
	struct topology topo;
	struct smt_event ev;
	unsigned long long n = 0;
	char err[1024], *meta;
	int rc, wrc;

	if (!strcmp(out, "-") && isatty(STDOUT_FILENO)) {
		pr_err("convert: will not write a binary recording to a terminal; give -o FILE "
		       "or redirect stdout\n");
		return EXIT_INPUT;
	}
	/* a bad board file is found now, not at replay time */
	topology__init(&topo);
	if (board_path && board__load(&topo, board_path, err, sizeof(err))) {
		pr_err("%s\n", err);
		topology__free(&topo);
		return EXIT_INPUT;
	}
	{
		struct recording_header h = {
			.source = "convert",
			.input = ev_source__name(src),
			.board = topo.board_text,
			.kv = kv,
			.nkv = nkv,
		};

		meta = recording_header__json(&h);
	}
	topology__free(&topo);
	if (!meta) {
		pr_err("out of memory\n");
		return EXIT_ENV;
	}
	rc = output__open(&o, out, "-o", OUTPUT_REPLACE);
	if (rc) {
		free(meta);
		return rc;
	}
	fflush(o.f);	/* nothing buffered may follow the writer's own write()s */
	rc = recording_writer__open_fd(&w, o.fd, out, meta, NULL, err, sizeof(err));
	free(meta);
	if (rc) {
		output__abort(&o);
		if (rc == -ENOMEM || rc == -E2BIG)
			pr_err("%s\n", err);
		else
			pr_err("%s: -o: write failed: %s\n", out, strerror(-rc));
		return EXIT_ENV;
	}

	while ((rc = ev_source__next(src, &ev)) > 0) {
		wrc = recording_writer__write(w, &ev, ev_source__meta_extra(src));
		if (wrc == -EINVAL || wrc == -E2BIG) {
			/* the readers do not return such events; say so rather than drop it */
			recording_writer__close(w);
			output__abort(&o);
			pr_err("%s: event %llu (ts %llu) cannot be recorded (please report this as a bug)\n",
			       ev_source__name(src), n + 1, (unsigned long long)ev.ts);
			return EXIT_INPUT;
		}
		if (wrc) {
			recording_writer__close(w);
			output__abort(&o);
			pr_err("%s: -o: write failed: %s\n", out, strerror(-wrc));
			return EXIT_ENV;
		}
		n++;
	}
	/* close first: the recording holds every event before a bad line, complete */
	wrc = recording_writer__close(w);
	if (rc < 0)
		pr_err("%s\n", ev_source__error(src));
	else if (ev_source__warning(src))
		pr_err("%s\n", ev_source__warning(src));
	if (wrc) {
		output__abort(&o);
		pr_err("%s: -o: write failed: %s\n", out, strerror(-wrc));
		return EXIT_ENV;
	}
	if (output__close(&o))
		return EXIT_ENV;
	return rc < 0 ? EXIT_INPUT : EXIT_OK;
}

static int to_jsonl(struct ev_source *src, const char *out)
{
	struct smt_event ev;
	struct output o;
	int rc, wrc = 0;

	rc = output__open(&o, out, "-o", OUTPUT_REPLACE);
	if (rc)
		return rc;
	while ((rc = ev_source__next(src, &ev)) > 0) {
		wrc = jsonl__write_event(o.f, &ev, ev.type == SMT_EV_META ? ev_source__meta_extra(src)
									  : NULL);
		if (wrc == -EINVAL)
			break;
		if (wrc || ferror(o.f))
			break;	/* output__close names the output and the reason */
	}
	if (wrc == -EINVAL) {
		output__abort(&o);
		pr_err("%s: an event at ts %llu cannot be written as JSONL (please report this as a bug)\n",
		       ev_source__name(src), (unsigned long long)ev.ts);
		return EXIT_INPUT;
	}
	if (output__close(&o))
		return EXIT_ENV;
	if (rc < 0) {
		pr_err("%s\n", ev_source__error(src));
		return EXIT_INPUT;
	}
	if (ev_source__warning(src))
		pr_err("%s\n", ev_source__warning(src));
	return EXIT_OK;
}

/* a file name ending in EXT (".smt"), compared case-insensitively */
static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), k = strlen(ext);

	return n > k && !strcasecmp(path + n - k, ext);
}

int cmd_convert(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "meta", required_argument, NULL, OPT_META },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL, *board = NULL;
	char *kv[MAX_META_ARGS];
	struct ev_source *src;
	char err[1024];
	int c, nkv = 0, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'o':
			out = optarg;
			break;
		case OPT_BOARD:
			board = optarg;
			break;
		case OPT_META: {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || eq - optarg >= 256) {
				pr_err("--meta: '%s' is not KEY=VALUE (KEY non-empty, under 256 bytes), "
				       "e.g. --meta kernel=6.6.8\n", optarg);
				return EXIT_INPUT;
			}
			if (nkv == MAX_META_ARGS) {
				pr_err("--meta: more than %d given\n", MAX_META_ARGS);
				return EXIT_INPUT;
			}
			kv[nkv++] = optarg;
			break;
		}
		default:
			return env__bad_option("convert");
		}
	}
	if (optind != argc - 1 || !out) {
		pr_err("convert: give one input file and -o OUT; see 'smmutrace convert --help'\n");
		return EXIT_INPUT;
	}
	if (same_file(argv[optind], out)) {
		pr_err("convert: '%s' is both input and output; write to another file\n", out);
		return EXIT_INPUT;
	}
	if (ev_source__open(argv[optind], &src, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_INPUT;
	}
	if (ev_source__is_recording(src)) {
		if (board || nkv) {
			pr_err("convert: %s is a recording, which becomes JSONL: --board and --meta "
			       "only apply when writing a recording\n", ev_source__name(src));
			ev_source__close(src);
			return EXIT_INPUT;
		}
		/* JSONL under a recording's name would be taken for a damaged recording */
		if (has_ext(out, ".smt")) {
			pr_err("convert: %s is a recording, so OUT is JSONL; '%s' is a recording's "
			       "name (.smt): give a .jsonl name, or - for stdout\n",
			       ev_source__name(src), out);
			ev_source__close(src);
			return EXIT_INPUT;
		}
		status = to_jsonl(src, out);
	} else {
		if (has_ext(out, ".jsonl") || has_ext(out, ".json")) {
			pr_err("convert: %s is JSONL, so OUT is a recording; '%s' is a JSONL name: "
			       "give a .smt name\n", ev_source__name(src), out);
			ev_source__close(src);
			return EXIT_INPUT;
		}
		status = to_recording(src, out, board, kv, nkv);
	}
	ev_source__close(src);
	return status;
}
