// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A recording's header metadata (see recording_header.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "json_writer.h"
#include "recording_header.h"

/* the keys written here: an inherited header or --meta never overrides them */
static bool own_key(const struct recording_header *h, const char *k, size_t n)
{
	static const char *const always[] = { "tool", "source", "input", "board" };
	static const char *const captured[] = {
		"kernel", "arch", "strict", "since_boot", "btf", "hooks", "blind",
	};

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (strlen(always[i]) == n && !strncmp(always[i], k, n))
			return (i != 2 || h->input) && (i != 3 || h->board);
	for (size_t i = 0; h->captured && i < sizeof(captured) / sizeof(captured[0]); i++)
		if (strlen(captured[i]) == n && !strncmp(captured[i], k, n))
			return true;
	return false;
}

static bool inherited_skip(const char *key, void *ctx)
{
	return own_key(ctx, key, strlen(key));
}

static bool same_key(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return n == strcspn(b, "=") && !strncmp(a, b, n);
}

static void write_kv(struct jsonw *w, const struct recording_header *h)
{
	for (int i = 0; i < h->nkv; i++) {
		char key[256];
		size_t n = strcspn(h->kv[i], "=");
		bool later = false;

		/* the caller checked KEY=VALUE (KEY under 256 bytes) when parsing options */
		if (!h->kv[i][n] || n >= sizeof(key) || own_key(h, h->kv[i], n))
			continue;
		/* a key given twice: the last one, as a JSON object keeps it */
		for (int j = i + 1; j < h->nkv && !later; j++)
			later = same_key(h->kv[i], h->kv[j]);
		if (later)
			continue;
		memcpy(key, h->kv[i], n);
		key[n] = 0;
		jsonw__kv_str(w, key, h->kv[i] + n + 1);
	}
}

char *recording_header__json(const struct recording_header *h)
{
	struct jsonw *w = jsonw__new_mem();

	if (!w)
		return NULL;
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "tool", "smmutrace " SMMUTRACE_VERSION);
	jsonw__kv_str(w, "source", h->source);
	if (h->input)
		jsonw__kv_str(w, "input", h->input);
	if (h->captured) {
		struct utsname u;

		memset(&u, 0, sizeof(u));
		uname(&u);
		jsonw__kv_str(w, "kernel", u.release);
		jsonw__kv_str(w, "arch", u.machine);
		jsonw__kv_bool(w, "strict", h->strict);
		jsonw__kv_bool(w, "since_boot", false);
		jsonw__kv_str(w, "btf", h->btf ? h->btf : "");
	}
	if (h->board)
		jsonw__kv_str(w, "board", h->board);
	if (h->captured) {
		jsonw__key(w, "hooks");
		jsonw__raw(w, h->hooks_json ? h->hooks_json : "[]");
		/* SPEC §9: what this capture could not see (coverage.h); [] = nothing */
		jsonw__key(w, "blind");
		jsonw__raw(w, h->blind_json ? h->blind_json : "[]");
	}
	/* an inherited header's other keys, as it wrote them */
	jsonw__copy_members(w, h->inherit_json, inherited_skip, (void *)h);
	write_kv(w, h);
	jsonw__obj_end(w);
	return jsonw__mem_take(w);
}
