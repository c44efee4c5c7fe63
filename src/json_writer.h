/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Streaming JSON writer (one value per line for JSONL, no DOM). Escapes
 * strings (control characters, invalid UTF-8 bytes as \ufffd) and keeps
 * commas right. Errors of the underlying FILE are seen by the caller with
 * ferror().
 */
#ifndef SMMUTRACE_JSON_WRITER_H
#define SMMUTRACE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

struct jsonw *jsonw__new(FILE *f);
void jsonw__free(struct jsonw *w);
/*
 * A writer into memory, for JSON text kept as a string (recording headers,
 * the hook table): jsonw__mem_take ends it, frees W and returns the text
 * (malloc'd), or NULL when memory ran out on the way.
 */
struct jsonw *jsonw__new_mem(void);
char *jsonw__mem_take(struct jsonw *w);

void jsonw__obj_begin(struct jsonw *w);
void jsonw__obj_end(struct jsonw *w);
void jsonw__arr_begin(struct jsonw *w);
void jsonw__arr_end(struct jsonw *w);
void jsonw__key(struct jsonw *w, const char *key);	/* inside an object */
void jsonw__str(struct jsonw *w, const char *s);
void jsonw__strn(struct jsonw *w, const char *s, size_t n);
void jsonw__u64(struct jsonw *w, uint64_t v);
void jsonw__s64(struct jsonw *w, int64_t v);
void jsonw__double(struct jsonw *w, double v);
void jsonw__hex(struct jsonw *w, uint64_t v);		/* "0x..." string */
void jsonw__bool(struct jsonw *w, bool v);
void jsonw__null(struct jsonw *w);
void jsonw__raw(struct jsonw *w, const char *json);	/* pre-formatted value */
/* object member shorthands */
void jsonw__kv_str(struct jsonw *w, const char *k, const char *v);
void jsonw__kv_u64(struct jsonw *w, const char *k, uint64_t v);
void jsonw__kv_s64(struct jsonw *w, const char *k, int64_t v);
void jsonw__kv_hex(struct jsonw *w, const char *k, uint64_t v);
void jsonw__kv_bool(struct jsonw *w, const char *k, bool v);
/*
 * Into the open object: the members of the JSON object text OBJ (parsed with
 * json-c, values written as they were), except those SKIP (may be NULL) says
 * true for. 0, or -EINVAL when OBJ is not a JSON object (nothing written).
 */
int jsonw__copy_members(struct jsonw *w, const char *obj,
			bool (*skip)(const char *key, void *ctx), void *ctx);
/* end the current top-level value with '\n' (JSONL) */
void jsonw__newline(struct jsonw *w);

#endif
