// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The board model: storage, lookup and printing. Filling it is board.c
 * (board files) and dt.c (device tree).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "topology.h"
#include "topology_build.h"

void topology__init(struct topology *t)
{
	memset(t, 0, sizeof(*t));
}

void topo_tbu__release(struct topo_tbu *tbu)
{
	free(tbu->sids);
	free(tbu->gates);
	for (int i = 0; i < tbu->nunresolved; i++)
		free(tbu->unresolved[i]);
	free(tbu->unresolved);
	memset(tbu, 0, sizeof(*tbu));
}

void topology__free(struct topology *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ntbus; i++)
		topo_tbu__release(&t->tbus[i]);
	free(t->tbus);
	free(t->smmus);
	free(t->board_text);
	topology__init(t);
}

bool topo_copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

int topo_tbu__copy(struct topo_tbu *dst, const struct topo_tbu *src)
{
	*dst = *src;
	dst->sids = NULL;
	dst->gates = NULL;
	dst->unresolved = NULL;
	dst->nsids = dst->ngates = dst->nunresolved = 0;
	if (src->nsids) {
		dst->sids = malloc(sizeof(*dst->sids) * src->nsids);
		if (!dst->sids)
			goto nomem;
		memcpy(dst->sids, src->sids, sizeof(*dst->sids) * src->nsids);
		dst->nsids = src->nsids;
	}
	if (src->ngates) {
		dst->gates = malloc(sizeof(*dst->gates) * src->ngates);
		if (!dst->gates)
			goto nomem;
		memcpy(dst->gates, src->gates, sizeof(*dst->gates) * src->ngates);
		dst->ngates = src->ngates;
	}
	for (int i = 0; i < src->nunresolved; i++)
		if (topo_tbu__add_unresolved(dst, src->unresolved[i]))
			goto nomem;
	return 0;
nomem:
	topo_tbu__release(dst);
	return -ENOMEM;
}

int topo_tbu__add_sid(struct topo_tbu *tbu, uint32_t first, uint32_t last)
{
	struct sid_range *n;

	if (tbu->nsids >= TOPO_MAX_SIDS)
		return -ENOSPC;
	n = realloc(tbu->sids, sizeof(*n) * (tbu->nsids + 1));
	if (!n)
		return -ENOMEM;
	tbu->sids = n;
	n[tbu->nsids].first = first;
	n[tbu->nsids].last = last;
	tbu->nsids++;
	return 0;
}

int topo_tbu__add_gate(struct topo_tbu *tbu, enum gate_kind kind, const char *name)
{
	struct gate_ref *n;

	for (int i = 0; i < tbu->ngates; i++)
		if (tbu->gates[i].kind == kind && !strcmp(tbu->gates[i].name, name))
			return 0;
	if (tbu->ngates >= TOPO_MAX_GATES)
		return -ENOSPC;
	if (strlen(name) >= SMT_NAME_LEN)
		return -ENAMETOOLONG;
	n = realloc(tbu->gates, sizeof(*n) * (tbu->ngates + 1));
	if (!n)
		return -ENOMEM;
	tbu->gates = n;
	memset(&n[tbu->ngates], 0, sizeof(*n));	/* whole entries compare with memcmp */
	n[tbu->ngates].kind = kind;
	topo_copy_name(n[tbu->ngates].name, sizeof(n[tbu->ngates].name), name);
	tbu->ngates++;
	return 0;
}

int topo_tbu__add_unresolved(struct topo_tbu *tbu, const char *note)
{
	char **n;
	char *s;

	if (tbu->nunresolved >= TOPO_MAX_UNRESOLVED)
		return -ENOSPC;
	s = strdup(note);
	if (!s)
		return -ENOMEM;
	n = realloc(tbu->unresolved, sizeof(*n) * (tbu->nunresolved + 1));
	if (!n) {
		free(s);
		return -ENOMEM;
	}
	tbu->unresolved = n;
	n[tbu->nunresolved++] = s;
	return 0;
}

int topology__add_smmu(struct topology *t, const char *name, const char *compatible,
		       const char *origin)
{
	struct topo_smmu *n, *s;

	if (t->nsmmus >= TOPO_MAX_SMMUS)
		return -ENOSPC;
	n = realloc(t->smmus, sizeof(*n) * (t->nsmmus + 1));
	if (!n)
		return -ENOMEM;
	t->smmus = n;
	s = &n[t->nsmmus++];
	memset(s, 0, sizeof(*s));
	topo_copy_name(s->name, sizeof(s->name), name);
	topo_copy_name(s->compatible, sizeof(s->compatible), compatible ? compatible : "");
	topo_copy_name(s->origin, sizeof(s->origin), origin ? origin : "");
	s->gates[0].kind = GATE_RPM;
	topo_copy_name(s->gates[0].name, sizeof(s->gates[0].name), s->name);
	s->ngates = 1;
	return 0;
}

int topology__put_tbu(struct topology *t, struct topo_tbu *tbu, bool replace)
{
	int i = topology__find_tbu(t, tbu->name);
	struct topo_tbu *n;

	if (i >= 0) {
		if (!replace)
			return -EEXIST;
		topo_tbu__release(&t->tbus[i]);
		t->tbus[i] = *tbu;
		memset(tbu, 0, sizeof(*tbu));
		return 0;
	}
	if (t->ntbus >= TOPO_MAX_TBUS)
		return -ENOSPC;
	n = realloc(t->tbus, sizeof(*n) * (t->ntbus + 1));
	if (!n)
		return -ENOMEM;
	t->tbus = n;
	n[t->ntbus++] = *tbu;
	memset(tbu, 0, sizeof(*tbu));
	return 0;
}

int topology__find_smmu(const struct topology *t, const char *name)
{
	for (int i = 0; i < t->nsmmus; i++)
		if (!strcmp(t->smmus[i].name, name))
			return i;
	return -1;
}

int topology__find_tbu(const struct topology *t, const char *name)
{
	for (int i = 0; i < t->ntbus; i++)
		if (!strcmp(t->tbus[i].name, name))
			return i;
	return -1;
}

bool topology__tbu_has_sid(const struct topo_tbu *tbu, uint32_t sid)
{
	sid &= 0xffff;
	for (int i = 0; i < tbu->nsids; i++)
		if (sid >= tbu->sids[i].first && sid <= tbu->sids[i].last)
			return true;
	return false;
}

const char *topology__gate_kind_name(enum gate_kind k)
{
	switch (k) {
	case GATE_CLK: return "clk";
	case GATE_PD: return "pd";
	case GATE_RPM: return "rpm";
	}
	return "?";
}

/*
 * First SID range shared by TBUs A and B, if any. Two TBUs of one SMMU with
 * common SIDs is legal in a board file (a master behind two TBUs), but a
 * domain with those SIDs is then served by both, so the model says so.
 */
static bool tbu_overlap(const struct topo_tbu *a, const struct topo_tbu *b,
			struct sid_range *common)
{
	for (int i = 0; i < a->nsids; i++)
		for (int j = 0; j < b->nsids; j++) {
			uint32_t lo = a->sids[i].first > b->sids[j].first ?
				      a->sids[i].first : b->sids[j].first;
			uint32_t hi = a->sids[i].last < b->sids[j].last ?
				      a->sids[i].last : b->sids[j].last;

			if (lo <= hi) {
				common->first = lo;
				common->last = hi;
				return true;
			}
		}
	return false;
}

/* Overlap notes: calls FN(a, b, range) for each overlapping pair of one SMMU. */
static void for_each_overlap(const struct topology *t,
			     void (*fn)(void *ctx, const struct topo_tbu *a,
					const struct topo_tbu *b, struct sid_range r),
			     void *ctx)
{
	/* TOPO_MAX_TBUS^2/2 pairs at most: fine for a one-off print */
	for (int i = 0; i < t->ntbus; i++)
		for (int j = i + 1; j < t->ntbus; j++) {
			struct sid_range r;

			if (strcmp(t->tbus[i].smmu, t->tbus[j].smmu))
				continue;
			if (tbu_overlap(&t->tbus[i], &t->tbus[j], &r))
				fn(ctx, &t->tbus[i], &t->tbus[j], r);
		}
}

static void fmt_range(char *buf, size_t len, struct sid_range r)
{
	if (r.first == r.last)
		snprintf(buf, len, "0x%x", r.first);
	else
		snprintf(buf, len, "0x%x-0x%x", r.first, r.last);
}

static void overlap_note(char *buf, size_t len, const struct topo_tbu *a,
			 const struct topo_tbu *b, struct sid_range r)
{
	char rs[32];

	fmt_range(rs, sizeof(rs), r);
	snprintf(buf, len, "TBUs %s and %s%s%s share SIDs (first: %s): a domain with those "
		 "SIDs is served by both", a->name, b->name, a->smmu[0] ? " of " : "",
		 a->smmu, rs);
}

static void text_overlap(void *ctx, const struct topo_tbu *a, const struct topo_tbu *b,
			 struct sid_range r)
{
	char note[512];

	overlap_note(note, sizeof(note), a, b, r);
	fprintf((FILE *)ctx, "note: %s\n", note);
}

static void json_overlap(void *ctx, const struct topo_tbu *a, const struct topo_tbu *b,
			 struct sid_range r)
{
	char note[512];

	overlap_note(note, sizeof(note), a, b, r);
	jsonw__str((struct jsonw *)ctx, note);
}

static void print_text(const struct topology *t, FILE *f)
{
	if (t->model[0] || t->compatible[0])
		fprintf(f, "board: %s%s%s%s\n", t->model[0] ? t->model : "(no model)",
			t->compatible[0] ? " (" : "", t->compatible,
			t->compatible[0] ? ")" : "");
	fprintf(f, "SMMUs: %d\n", t->nsmmus);
	for (int i = 0; i < t->nsmmus; i++) {
		const struct topo_smmu *s = &t->smmus[i];

		fprintf(f, "  %s", s->name);
		if (s->compatible[0])
			fprintf(f, "  %s", s->compatible);
		fprintf(f, "  [%s]\n", s->origin);
		fprintf(f, "    gates:");
		for (int j = 0; j < s->ngates; j++)
			fprintf(f, "%s%s:%s", j ? ", " : " ",
				topology__gate_kind_name(s->gates[j].kind), s->gates[j].name);
		fprintf(f, "%s\n", s->gates_given ? "" : " (default: its own runtime PM)");
	}
	fprintf(f, "TBUs: %d\n", t->ntbus);
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *tbu = &t->tbus[i];

		fprintf(f, "  %s", tbu->name);
		if (tbu->compatible[0])
			fprintf(f, "  %s", tbu->compatible);
		fprintf(f, "  [%s]\n", tbu->origin);
		fprintf(f, "    smmu:  %s\n", tbu->smmu[0] ? tbu->smmu :
			t->nsmmus ? "(not given)" : "(not given; no SMMU declared)");
		fprintf(f, "    sids: ");
		if (!tbu->nsids)
			fprintf(f, " none");
		for (int j = 0; j < tbu->nsids; j++) {
			char rs[32];

			fmt_range(rs, sizeof(rs), tbu->sids[j]);
			fprintf(f, "%s%s", j ? ", " : " ", rs);
		}
		fprintf(f, "\n    gates:");
		if (!tbu->ngates)
			fprintf(f, " none known: this TBU is never counted as gated");
		for (int j = 0; j < tbu->ngates; j++)
			fprintf(f, "%s%s:%s", j ? ", " : " ",
				topology__gate_kind_name(tbu->gates[j].kind), tbu->gates[j].name);
		fprintf(f, "\n");
		for (int j = 0; j < tbu->nunresolved; j++)
			fprintf(f, "    unresolved: %s\n", tbu->unresolved[j]);
	}
	for_each_overlap(t, text_overlap, f);
	for (int i = 0; i < t->ntbus; i++)
		if (t->tbus[i].nunresolved) {
			fprintf(f, "hint: a [tbu NAME] section in a board file (--board) replaces "
				"the TBU of that name wholly: give its sids = and all its gates =\n");
			break;
		}
}

static int print_json(const struct topology *t, FILE *f)
{
	struct jsonw *w = jsonw__new(f);

	if (!w)
		return -ENOMEM;
	jsonw__obj_begin(w);
	jsonw__key(w, "smmus");
	jsonw__arr_begin(w);
	for (int i = 0; i < t->nsmmus; i++) {
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "name", t->smmus[i].name);
		jsonw__kv_str(w, "compatible", t->smmus[i].compatible);
		jsonw__kv_str(w, "origin", t->smmus[i].origin);
		jsonw__key(w, "gates");
		jsonw__arr_begin(w);
		for (int j = 0; j < t->smmus[i].ngates; j++) {
			char g[SMT_NAME_LEN + 8];

			snprintf(g, sizeof(g), "%s:%s",
				 topology__gate_kind_name(t->smmus[i].gates[j].kind),
				 t->smmus[i].gates[j].name);
			jsonw__str(w, g);
		}
		jsonw__arr_end(w);
		jsonw__kv_bool(w, "gates_given", t->smmus[i].gates_given);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__key(w, "tbus");
	jsonw__arr_begin(w);
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *tbu = &t->tbus[i];

		jsonw__obj_begin(w);
		jsonw__kv_str(w, "name", tbu->name);
		jsonw__kv_str(w, "smmu", tbu->smmu);
		jsonw__kv_str(w, "compatible", tbu->compatible);
		jsonw__key(w, "sids");
		jsonw__arr_begin(w);
		for (int j = 0; j < tbu->nsids; j++) {
			jsonw__obj_begin(w);
			jsonw__kv_u64(w, "first", tbu->sids[j].first);
			jsonw__kv_u64(w, "last", tbu->sids[j].last);
			jsonw__obj_end(w);
		}
		jsonw__arr_end(w);
		jsonw__key(w, "gates");
		jsonw__arr_begin(w);
		for (int j = 0; j < tbu->ngates; j++) {
			char g[SMT_NAME_LEN + 8];

			snprintf(g, sizeof(g), "%s:%s",
				 topology__gate_kind_name(tbu->gates[j].kind), tbu->gates[j].name);
			jsonw__str(w, g);
		}
		jsonw__arr_end(w);
		jsonw__key(w, "unresolved");
		jsonw__arr_begin(w);
		for (int j = 0; j < tbu->nunresolved; j++)
			jsonw__str(w, tbu->unresolved[j]);
		jsonw__arr_end(w);
		jsonw__kv_str(w, "origin", tbu->origin);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__key(w, "notes");
	jsonw__arr_begin(w);
	for_each_overlap(t, json_overlap, w);
	jsonw__arr_end(w);
	jsonw__kv_str(w, "model", t->model);
	jsonw__kv_str(w, "compatible", t->compatible);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	return 0;
}

int topology__print(const struct topology *t, FILE *f, bool json)
{
	if (json) {
		int err = print_json(t, f);

		if (err)
			return err;
	} else {
		print_text(t, f);
	}
	return ferror(f) ? -EIO : 0;
}
