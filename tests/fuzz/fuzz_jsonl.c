// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSONL reader fuzz target: the input is a whole stream. Every event read must
 * be written back by jsonl__write_event and read again into the identical
 * struct (and the same free-form meta text): whatever the reader accepts, the
 * writer must be able to say.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct smt_event *ev, const char *extra)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct jsonl_reader *r;
	struct smt_event back;
	FILE *in;
	int rc;

	if (!out)
		abort();
	if (jsonl__write_event(out, ev, extra))
		abort();	/* the writer refused an event the reader produced */
	fclose(out);
	in = fmemopen(text, len, "r");
	if (!in)
		abort();
	r = jsonl_reader__new(in, "roundtrip");
	if (!r)
		abort();
	rc = jsonl_reader__next(r, &back);
	if (rc != 1) {
		fprintf(stderr, "writer output does not read back: %s\n%s",
			jsonl_reader__error(r), text);
		abort();
	}
	if (memcmp(&back, ev, sizeof(back))) {
		fprintf(stderr, "event differs after the round trip:\n%s", text);
		abort();
	}
	if ((extra == NULL) != (jsonl_reader__meta_extra(r) == NULL) ||
	    (extra && strcmp(extra, jsonl_reader__meta_extra(r)))) {
		fprintf(stderr, "meta extra differs: %s vs %s\n", extra ? extra : "(null)",
			jsonl_reader__meta_extra(r) ? jsonl_reader__meta_extra(r) : "(null)");
		abort();
	}
	if (jsonl_reader__next(r, &back) != 0)
		abort();
	jsonl_reader__free(r);
	fclose(in);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl_reader *r;
	struct smt_event ev;
	FILE *f;
	int rc;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	r = jsonl_reader__new(f, "fuzz");
	if (!r)
		abort();
	while ((rc = jsonl_reader__next(r, &ev)) == 1)
		round_trip(&ev, ev.type == SMT_EV_META ? jsonl_reader__meta_extra(r) : NULL);
	/* an error always comes with its place */
	if (rc < 0 && strncmp(jsonl_reader__error(r), "fuzz:", 5))
		abort();
	jsonl_reader__free(r);
	fclose(f);
	return 0;
}
