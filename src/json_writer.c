// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Streaming JSON writer. It keeps one "has members" flag per open container
 * so that callers never think about commas; strings are always emitted as
 * valid JSON/UTF-8 whatever bytes they hold (kernel names are not promised
 * to be UTF-8).
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "utf8.h"

struct jsonw {
	FILE *f;
	unsigned char *open;		/* per open container: OPEN_* bits */
	size_t depth, cap;
	bool after_key;			/* the next value belongs to a key: no comma */
	bool failed;			/* out of memory: stop writing */
	char *mem;			/* jsonw__new_mem: the memstream's buffer */
	size_t mem_len;
};

#define OPEN_HAS_MEMBERS	1
#define OPEN_ARRAY		2

struct jsonw *jsonw__new(FILE *f)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->cap = 16;
	w->open = calloc(w->cap, 1);
	if (!w->open) {
		free(w);
		return NULL;
	}
	return w;
}

void jsonw__free(struct jsonw *w)
{
	if (!w)
		return;
	free(w->open);
	free(w);
}

struct jsonw *jsonw__new_mem(void)
{
	struct jsonw *w = jsonw__new(NULL);

	if (!w)
		return NULL;
	/* the memstream keeps the addresses of these two: they live in W */
	w->f = open_memstream(&w->mem, &w->mem_len);
	if (!w->f) {
		jsonw__free(w);
		return NULL;
	}
	return w;
}

char *jsonw__mem_take(struct jsonw *w)
{
	char *text;
	bool ok;

	if (!w)
		return NULL;
	ok = !w->failed && !ferror(w->f);
	fclose(w->f);
	text = w->mem;
	jsonw__free(w);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}

/* Comma before a value or key, unless it follows a key or opens a container. */
static bool begin_item(struct jsonw *w)
{
	if (w->failed)
		return false;
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth) {
		if (w->open[w->depth - 1] & OPEN_HAS_MEMBERS)
			fputc(',', w->f);
		w->open[w->depth - 1] |= OPEN_HAS_MEMBERS;
	}
	return true;
}

static void push(struct jsonw *w, char bracket)
{
	if (!begin_item(w))
		return;
	if (w->depth == w->cap) {
		unsigned char *n = realloc(w->open, w->cap * 2);

		if (!n) {
			w->failed = true;
			return;
		}
		w->open = n;
		w->cap *= 2;
	}
	w->open[w->depth++] = bracket == '[' ? OPEN_ARRAY : 0;
	fputc(bracket, w->f);
}

static void pop(struct jsonw *w, char bracket)
{
	if (w->failed || !w->depth)
		return;
	w->depth--;
	w->after_key = false;
	fputc(bracket, w->f);
}

void jsonw__obj_begin(struct jsonw *w)
{
	push(w, '{');
}

void jsonw__obj_end(struct jsonw *w)
{
	pop(w, '}');
}

void jsonw__arr_begin(struct jsonw *w)
{
	push(w, '[');
}

void jsonw__arr_end(struct jsonw *w)
{
	pop(w, ']');
}

/* A byte that may be copied into a JSON string as is (ASCII part). */
static inline bool plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_escaped(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < n) {
		size_t start = i, l;

		/* copy runs of plain ASCII and well-formed UTF-8 in one go */
		for (;;) {
			if (i < n && plain_ascii(p[i])) {
				i++;
			} else if (i < n && p[i] >= 0x80 && (l = utf8__seq_len(p + i, n - i))) {
				i += l;
			} else {
				break;
			}
		}
		if (i > start)
			fwrite(p + start, 1, i - start, f);
		if (i == n)
			break;
		if (p[i] == '"')
			fputs("\\\"", f);
		else if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			fprintf(f, "\\u%04x", p[i]);
		else
			fputs("\\ufffd", f);	/* a byte that is not UTF-8 */
		i++;
	}
	fputc('"', f);
}

void jsonw__key(struct jsonw *w, const char *key)
{
	if (w->after_key)	/* a key without value: keep the output parseable */
		jsonw__null(w);
	if (!begin_item(w))
		return;
	put_escaped(w->f, key, strlen(key));
	fputc(':', w->f);
	w->after_key = true;
}

void jsonw__strn(struct jsonw *w, const char *s, size_t n)
{
	if (!begin_item(w))
		return;
	put_escaped(w->f, s, n);
}

void jsonw__str(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw__null(w);
		return;
	}
	jsonw__strn(w, s, strlen(s));
}

void jsonw__u64(struct jsonw *w, uint64_t v)
{
	if (begin_item(w))
		fprintf(w->f, "%" PRIu64, v);
}

void jsonw__s64(struct jsonw *w, int64_t v)
{
	if (begin_item(w))
		fprintf(w->f, "%" PRId64, v);
}

void jsonw__double(struct jsonw *w, double v)
{
	char buf[40];

	if (!isfinite(v)) {	/* JSON has no NaN or infinity */
		jsonw__null(w);
		return;
	}
	/* shortest form that reads back as the same double */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* keep it a floating-point number for readers that care */
	if (!strpbrk(buf, ".eE"))
		strcat(buf, ".0");
	if (begin_item(w))
		fputs(buf, w->f);
}

void jsonw__hex(struct jsonw *w, uint64_t v)
{
	if (begin_item(w))
		fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

void jsonw__bool(struct jsonw *w, bool v)
{
	if (begin_item(w))
		fputs(v ? "true" : "false", w->f);
}

void jsonw__null(struct jsonw *w)
{
	if (begin_item(w))
		fputs("null", w->f);
}

void jsonw__raw(struct jsonw *w, const char *json)
{
	if (begin_item(w))
		fputs(json, w->f);
}

void jsonw__kv_str(struct jsonw *w, const char *k, const char *v)
{
	jsonw__key(w, k);
	jsonw__str(w, v);
}

void jsonw__kv_u64(struct jsonw *w, const char *k, uint64_t v)
{
	jsonw__key(w, k);
	jsonw__u64(w, v);
}

void jsonw__kv_s64(struct jsonw *w, const char *k, int64_t v)
{
	jsonw__key(w, k);
	jsonw__s64(w, v);
}

void jsonw__kv_hex(struct jsonw *w, const char *k, uint64_t v)
{
	jsonw__key(w, k);
	jsonw__hex(w, v);
}

void jsonw__kv_bool(struct jsonw *w, const char *k, bool v)
{
	jsonw__key(w, k);
	jsonw__bool(w, v);
}

int jsonw__copy_members(struct jsonw *w, const char *obj,
			bool (*skip)(const char *key, void *ctx), void *ctx)
{
	struct json_object *o = obj ? json_tokener_parse(obj) : NULL;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	json_object_object_foreach(o, k, v) {
		if (skip && skip(k, ctx))
			continue;
		jsonw__key(w, k);
		if (v)
			jsonw__raw(w, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			jsonw__null(w);
	}
	json_object_put(o);
	return 0;
}

void jsonw__newline(struct jsonw *w)
{
	if (w->failed)
		return;
	if (w->after_key)
		jsonw__null(w);
	/* close whatever the caller left open so the line stays valid JSON */
	while (w->depth) {
		w->depth--;
		fputc(w->open[w->depth] & OPEN_ARRAY ? ']' : '}', w->f);
	}
	fputc('\n', w->f);
}
