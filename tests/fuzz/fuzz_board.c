// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Board-file parser on arbitrary bytes: no crash, no leak, and the model it
 * accepts is sane (every TBU has SIDs within 16 bits, first <= last, named
 * gates); a rejection always comes with a "NAME:LINE: " message; and the
 * model written back with board__format reads back the same.
 *
 * Run with scripts/run-fuzz.sh (seeds tests/fuzz/corpus/board/, tokens
 * tests/fuzz/board.dict).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct topology *t)
{
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *b = &t->tbus[i];

		if (b->nsids < 1 || !b->name[0] || b->nsids > 4096 || b->ngates > 64)
			abort();
		for (int j = 0; j < b->nsids; j++)
			if (b->sids[j].first > b->sids[j].last || b->sids[j].last > 0xffff)
				abort();
		for (int j = 0; j < b->ngates; j++)
			if (!b->gates[j].name[0] || b->gates[j].kind > GATE_RPM)
				abort();
	}
}

/* board__format, then board__load_text of that, gives the same TBUs */
static void round_trip(const struct topology *t)
{
	struct topology u;
	char *text, err[512];

	if (board__format(t, &text))
		abort();
	topology__init(&u);
	if (board__load_text(&u, text, "fmt", err, sizeof(err)) || u.ntbus != t->ntbus ||
	    u.nsmmus != t->nsmmus)
		abort();
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *a = &t->tbus[i], *b = &u.tbus[i];

		if (strcmp(a->name, b->name) || strcmp(a->smmu, b->smmu) ||
		    a->nsids != b->nsids || a->ngates != b->ngates ||
		    memcmp(a->sids, b->sids, sizeof(*a->sids) * a->nsids) ||
		    (a->ngates && memcmp(a->gates, b->gates, sizeof(*a->gates) * a->ngates)))
			abort();
	}
	topology__free(&u);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct topology t;
	char err[512];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	memcpy(text, data, size);
	text[size] = '\0';
	for (int round = 0; round < 2; round++) {
		topology__init(&t);
		/* the second round as if a device tree had declared two SMMUs */
		if (round && board__load_text(&t, "[smmu a]\n[smmu b]\n", "dt", err, sizeof(err)))
			abort();
		err[0] = '\0';
		if (board__load_text(&t, text, "fuzz", err, sizeof(err)) == 0) {
			check(&t);
			round_trip(&t);
			if (!t.board_text || strcmp(t.board_text, text))
				abort();
			if (devnull) {
				topology__print(&t, devnull, false);
				topology__print(&t, devnull, true);
			}
		} else if (strncmp(err, "fuzz:", 5)) {
			abort();
		}
		topology__free(&t);
	}
	free(text);
	return 0;
}
