// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSONL events (SPEC §3). json-c parses each line; this file owns the lines
 * (bounded length, NUL bytes, strict UTF-8), the event schema and the error
 * messages, which always name FILE:LINE and the field.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "coverage.h"
#include "event.h"
#include "json_writer.h"
#include "jsonl.h"
#include "utf8.h"

#define ERR_LEN		512
#define SHOW_LEN	64	/* longest value quoted in a message */
#define LINE_CAP0	256

struct jsonl_reader {
	FILE *f;
	char *name;
	unsigned char *pre;		/* bytes the sniffer already read from f */
	size_t pre_len, pre_pos;
	char *line;
	size_t line_len, line_cap;
	unsigned long lineno;		/* line being parsed */
	unsigned long ev_line;		/* line of the last event returned */
	struct json_tokener *tok;
	bool have_prev;
	__u64 prev_ts;
	unsigned long prev_line;
	char *meta_extra;
	bool started, eof;
	int failed;			/* sticky: errors end the stream */
	char err[ERR_LEN];
};

/* One line being turned into an event. */
struct ctx {
	struct jsonl_reader *r;
	const char *text;		/* the line, for raw number text */
	size_t len;
	struct json_object *obj;
	struct smt_event *ev;
	const char *tname;		/* "map" */
	const char *needs;		/* required fields, for "missing" messages */
};

/* Keys of a meta event that are not free-form. */
static const char *const meta_keys[] = {
	"ev", "ts", "cpu", "pid", "comm", "kernel", "arch", "strict", "since_boot",
};

/* ---- messages ------------------------------------------------------------ */

static int vfail(struct jsonl_reader *r, int rc, unsigned long line, const char *field,
		 const char *fmt, va_list ap)
{
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s:%lu: ", r->name, line);
	if (field && n >= 0 && (size_t)n < sizeof(r->err))
		n += snprintf(r->err + n, sizeof(r->err) - n, "%s: ", field);
	if (n >= 0 && (size_t)n < sizeof(r->err))
		vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	r->failed = rc;
	return rc;
}

__attribute__((format(printf, 4, 5)))
static int rfail(struct jsonl_reader *r, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(r, rc, r->lineno, field, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c->r, -EINVAL, c->r->lineno, field, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copy TEXT (valid UTF-8) into BUF, shortened with "..." to fit a message. */
static const char *clip(const char *text, size_t n, char *buf)
{
	size_t keep;

	if (n < SHOW_LEN) {
		memcpy(buf, text, n);
		buf[n] = '\0';
		return buf;
	}
	keep = utf8__valid_prefix(text, SHOW_LEN - 4);
	memcpy(buf, text, keep);
	strcpy(buf + keep, "...");
	return buf;
}

/* A JSON value as it would appear in the input, for "got ..." */
static const char *show(struct json_object *v, char *buf)
{
	const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	return clip(t, strlen(t), buf);
}

/* "a map event", "an unmap event" */
static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

static int missing(struct ctx *c, const char *key)
{
	return fail(c, key, "missing; %s %s event needs %s", article(c->tname), c->tname,
		    c->needs);
}

/* ---- raw text of a member ------------------------------------------------- */
/*
 * json-c saturates integers that do not fit in 64 bits instead of failing, so
 * a value at the limit is looked up again in the line's text. The line has
 * already been accepted by json-c, so this scanner can trust its structure
 * (json-c also takes 'single-quoted' strings: so do we).
 */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i;
}

static size_t skip_string(const char *s, size_t n, size_t i)
{
	char q = s[i++];

	while (i < n && s[i] != q)
		i += s[i] == '\\' ? 2 : 1;
	return i < n ? i + 1 : n;
}

static size_t skip_value(const char *s, size_t n, size_t i)
{
	int depth = 0;

	while (i < n) {
		char ch = s[i];

		if (ch == '"' || ch == '\'') {
			i = skip_string(s, n, i);
			if (!depth)
				return i;
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (!depth)
				return i;
			if (!--depth)
				return i + 1;
		} else if (!depth && (ch == ',' || ch == ' ' || ch == '\t' || ch == '\r')) {
			return i;
		}
		i++;
	}
	return i;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Does the quoted string s[i..end) decode to the ASCII KEY? */
static bool key_equals(const char *s, size_t i, size_t end, const char *key)
{
	size_t k = 0;

	i++;		/* opening quote */
	end--;		/* closing quote */
	while (i < end) {
		unsigned int ch = (unsigned char)s[i++];

		if (ch == '\\' && i < end) {
			char e = s[i++];

			switch (e) {
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u':
				ch = 0;
				for (int j = 0; j < 4; j++) {
					int h = i < end ? hexval(s[i]) : -1;

					if (h < 0)
						return false;
					ch = ch << 4 | (unsigned int)h;
					i++;
				}
				break;
			default: ch = (unsigned char)e; break;
			}
			if (ch == 0)	/* json-c ends a key at an escaped NUL */
				break;
			if (ch >= 0x80)
				return false;
		}
		if ((unsigned char)key[k] != ch)
			return false;
		k++;
	}
	return key[k] == '\0';
}

/* Text of the value of top-level member KEY (the last one, as in json-c). */
static bool raw_member(const char *s, size_t n, const char *key, const char **val, size_t *vlen)
{
	size_t i = skip_ws(s, n, 0);
	bool found = false;

	if (i >= n || s[i] != '{')
		return false;
	i++;
	for (;;) {
		size_t ks, ke, vs;

		i = skip_ws(s, n, i);
		if (i >= n || (s[i] != '"' && s[i] != '\''))
			break;
		ks = i;
		i = ke = skip_string(s, n, i);
		i = skip_ws(s, n, i);
		if (i >= n || s[i] != ':')
			break;
		vs = i = skip_ws(s, n, i + 1);
		i = skip_value(s, n, i);
		if (key_equals(s, ks, ke, key)) {
			*val = s + vs;
			*vlen = i - vs;
			found = true;
		}
		i = skip_ws(s, n, i);
		if (i >= n || s[i] != ',')
			break;
		i++;
	}
	return found;
}

/* Is the number token s[0..n) an integer outside int64/uint64? */
static bool int_token_overflows(const char *s, size_t n)
{
	bool neg = false;
	size_t digits;

	if (n && s[0] == '-') {
		neg = true;
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;	/* a double or a literal: not ours */
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	digits = neg ? 19 : 20;
	if (n != digits)
		return n > digits;
	return memcmp(s, neg ? "9223372036854775808" : "18446744073709551615", digits) > 0;
}

/* Any integer token in the JSON text s[0..n) (outside strings) too large? */
static bool text_overflows(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] == '"' || s[i] == '\'') {
			i = skip_string(s, n, i);
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			size_t st = i;

			while (i < n && strchr("0123456789+-.eE", s[i]))
				i++;
			if (int_token_overflows(s + st, i - st))
				return true;
		} else {
			i++;
		}
	}
	return false;
}

static bool member_overflows(struct ctx *c, const char *key, const char **raw, size_t *rawlen)
{
	return raw_member(c->text, c->len, key, raw, rawlen) && text_overflows(*raw, *rawlen);
}

/* ---- typed getters ------------------------------------------------------- */
/* Each returns 1 = present, 0 = absent (or JSON null), <0 = error reported. */

struct jint {
	bool neg;
	int64_t s;	/* when neg */
	uint64_t u;	/* when !neg */
};

static bool saturated(struct json_object *v)
{
	int64_t s = json_object_get_int64(v);

	return s == INT64_MIN || (s >= 0 && json_object_get_uint64(v) == UINT64_MAX);
}

/*
 * V must be a JSON integer with MIN <= value <= MAX; EXPECT describes that in
 * messages. FIELD names it, KEY is its top-level member (for raw text).
 */
static int check_int(struct ctx *c, const char *field, const char *key, struct json_object *v,
		     int64_t min, uint64_t max, const char *expect, struct jint *out)
{
	char buf[SHOW_LEN + 4];
	const char *raw;
	size_t rawlen;

	if (!json_object_is_type(v, json_type_int))
		return fail(c, field, "expected %s, got %s", expect, show(v, buf));
	if (saturated(v) && member_overflows(c, key, &raw, &rawlen)) {
		if (strcmp(field, key))	/* inside an array: the raw text is the array */
			return fail(c, field, "expected %s, got a number that does not fit in 64 bits",
				    expect);
		return fail(c, field, "expected %s, got %s (does not fit in 64 bits)", expect,
			    clip(raw, rawlen, buf));
	}
	out->s = json_object_get_int64(v);
	out->neg = out->s < 0;
	out->u = out->neg ? 0 : json_object_get_uint64(v);
	if (out->neg ? out->s < min : out->u > max)
		return fail(c, field, "expected %s, got %s", expect, show(v, buf));
	return 1;
}

static struct json_object *member(struct ctx *c, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(c->obj, key, &v);
	return v;	/* NULL when absent or JSON null */
}

static int get_int(struct ctx *c, const char *key, bool required, int64_t min, uint64_t max,
		   const char *expect, struct jint *out)
{
	struct json_object *v = member(c, key);

	if (!v)
		return required ? missing(c, key) : 0;
	return check_int(c, key, key, v, min, max, expect, out);
}

static int get_u64(struct ctx *c, const char *key, bool required, uint64_t max,
		   const char *expect, __u64 *out)
{
	struct jint j;
	int rc = get_int(c, key, required, 0, max, expect, &j);

	if (rc > 0)
		*out = j.u;
	return rc;
}

#define ADDR_EXPECT "an integer 0..18446744073709551615 or a \"0x...\" string of 1-16 hex digits"

/* Addresses (and sizes): a JSON integer or a "0x..." string. */
static int get_addr(struct ctx *c, const char *key, bool required, __u64 *out)
{
	struct json_object *v = member(c, key);
	char buf[SHOW_LEN + 4];

	if (!v)
		return required ? missing(c, key) : 0;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		__u64 x = 0;

		if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
			goto bad;
		for (size_t i = 2; i < n; i++) {
			int h = hexval(s[i]);

			if (h < 0)
				goto bad;
			x = x << 4 | (unsigned int)h;
		}
		*out = x;
		return 1;
	}
	if (json_object_is_type(v, json_type_int)) {
		struct jint j;
		int rc = check_int(c, key, key, v, 0, UINT64_MAX, ADDR_EXPECT, &j);

		if (rc > 0)
			*out = j.u;
		return rc;
	}
bad:
	return fail(c, key, "expected %s, got %s", ADDR_EXPECT, show(v, buf));
}

/* A string copied into DST (DSTLEN bytes with the NUL); never truncated. */
static int get_str(struct ctx *c, const char *key, bool required, char *dst, size_t dstlen)
{
	struct json_object *v = member(c, key);
	char buf[SHOW_LEN + 4];
	const char *s;
	size_t n;

	if (!v)
		return required ? missing(c, key) : 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(c, key, "expected a string, got %s", show(v, buf));
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n))
		return fail(c, key, "contains a NUL character (\\u0000); names cannot hold one");
	if (utf8__valid_prefix(s, n) != n)	/* e.g. a lone surrogate escape */
		return fail(c, key, "is not valid UTF-8 once escapes are decoded");
	if (n > dstlen - 1)
		return fail(c, key, "%zu bytes is longer than the limit of %zu bytes: %s",
			    n, dstlen - 1, show(v, buf));
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 1;
}

static int get_bool(struct ctx *c, const char *key, bool required, __u8 *out)
{
	struct json_object *v = member(c, key);
	char buf[SHOW_LEN + 4];

	if (!v)
		return required ? missing(c, key) : 0;
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, key, "expected true or false, got %s", show(v, buf));
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 1;
}

/* One of a fixed set of names; VALID lists them for the message. */
static int get_enum(struct ctx *c, const char *key, int (*from_name)(const char *),
		    const char *valid, int *out)
{
	struct json_object *v = member(c, key);
	char buf[SHOW_LEN + 4];
	int i;

	if (!v)
		return missing(c, key);
	if (!json_object_is_type(v, json_type_string) ||
	    memchr(json_object_get_string(v), '\0', (size_t)json_object_get_string_len(v)) ||
	    (i = from_name(json_object_get_string(v))) < 0)
		return fail(c, key, "expected %s, got %s", valid, show(v, buf));
	*out = i;
	return 1;
}

static int get_sids(struct ctx *c, struct smt_event *ev)
{
	struct json_object *v = member(c, "sids");
	char buf[SHOW_LEN + 4], field[32];
	size_t n;

	if (!v)
		return missing(c, "sids");
	if (!json_object_is_type(v, json_type_array))
		return fail(c, "sids", "expected an array of stream IDs (integers), got %s",
			    show(v, buf));
	n = json_object_array_length(v);
	if (n > SMT_MAX_SIDS)
		return fail(c, "sids", "%zu stream IDs, at most %d are supported per attach event",
			    n, SMT_MAX_SIDS);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		struct jint j;
		int rc;

		snprintf(field, sizeof(field), "sids[%zu]", i);
		if (!e)
			return fail(c, field, "expected an integer 0..4294967295, got null");
		rc = check_int(c, field, "sids", e, 0, UINT32_MAX,
			       "an integer 0..4294967295", &j);
		if (rc < 0)
			return rc;
		ev->sids[i] = (__u32)j.u;
	}
	ev->nsids = (__u32)n;
	ev->present |= SMT_HAS_SIDS;
	return 1;
}

/* ---- free-form meta members ------------------------------------------------ */

/* Write a json-c value canonically (the reader's and the writer's one form). */
static void write_value(struct jsonw *w, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		jsonw__null(w);
		break;
	case json_type_boolean:
		jsonw__bool(w, json_object_get_boolean(v));
		break;
	case json_type_int:
		if (json_object_get_int64(v) < 0)
			jsonw__s64(w, json_object_get_int64(v));
		else
			jsonw__u64(w, json_object_get_uint64(v));
		break;
	case json_type_double: {
		double d = json_object_get_double(v);
		const char *t;

		if (d == d && d - d == 0) {	/* finite */
			jsonw__double(w, d);
			break;
		}
		/* 1e400 is valid JSON (it reads as infinity): keep the text */
		t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if ((t[0] >= '0' && t[0] <= '9') || (t[0] == '-' && t[1] >= '0' && t[1] <= '9'))
			jsonw__raw(w, t);
		else
			jsonw__null(w);	/* NaN, Infinity: not JSON */
		break;
	}
	case json_type_string:
		jsonw__strn(w, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		jsonw__arr_begin(w);
		for (size_t i = 0; i < json_object_array_length(v); i++)
			write_value(w, json_object_array_get_idx(v, i));
		jsonw__arr_end(w);
		break;
	case json_type_object: {
		jsonw__obj_begin(w);
		json_object_object_foreach(v, k, m) {
			jsonw__key(w, k);
			write_value(w, m);
		}
		jsonw__obj_end(w);
		break;
	}
	}
}

static bool is_meta_key(const char *k)
{
	for (size_t i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
		if (!strcmp(k, meta_keys[i]))
			return true;
	return false;
}

/* Does V hold an integer json-c may have saturated? */
static bool has_saturated(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_int:
		return saturated(v);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (has_saturated(json_object_array_get_idx(v, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(v, k, m) {
			(void)k;
			if (m && has_saturated(m))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static int take_meta_extra(struct ctx *c)
{
	struct jsonl_reader *r = c->r;
	char *text = NULL;
	size_t size = 0;
	struct jsonw *w;
	FILE *f;
	int n = 0;

	free(r->meta_extra);
	r->meta_extra = NULL;
	json_object_object_foreach(c->obj, key, v) {
		const char *raw;
		size_t rawlen;

		if (is_meta_key(key))
			continue;
		n++;
		/* SPEC §9 blind spots: replay suppresses rules by them, so they must parse */
		if (!strcmp(key, "blind")) {
			char why[200];

			if (coverage__check_blind(v, why, sizeof(why)))
				return fail(c, key, "%s", why);
		}
		if (v && has_saturated(v) && member_overflows(c, key, &raw, &rawlen))
			return fail(c, key, "holds a number that does not fit in 64 bits");
	}
	if (!n)
		return 0;
	f = open_memstream(&text, &size);
	if (!f)
		return rfail(r, -ENOMEM, NULL, "out of memory");
	w = jsonw__new(f);
	if (!w) {
		fclose(f);
		free(text);
		return rfail(r, -ENOMEM, NULL, "out of memory");
	}
	jsonw__obj_begin(w);
	{
		json_object_object_foreach(c->obj, key2, v2) {
			if (is_meta_key(key2))
				continue;
			jsonw__key(w, key2);
			write_value(w, v2);
		}
	}
	jsonw__obj_end(w);
	jsonw__free(w);
	if (fclose(f) || !text) {
		free(text);
		return rfail(r, -ENOMEM, NULL, "out of memory");
	}
	r->meta_extra = text;
	return 0;
}

/* ---- one event ------------------------------------------------------------- */

/* Run a getter; set the present bit when the field was there (required or not). */
#define TAKE(call, bit) do {				\
	int rc_ = (call);				\
	if (rc_ < 0)					\
		return rc_;				\
	if (rc_ > 0)					\
		ev->present |= (bit);			\
} while (0)

static const char *const needs[SMT_EV_MAX] = {
	[SMT_EV_META] = "nothing but ev and ts",
	[SMT_EV_ATTACH] = "domain, dev and sids",
	[SMT_EV_DETACH] = "domain and dev",
	[SMT_EV_DOMAIN_FREE] = "domain",
	[SMT_EV_MAP] = "domain, iova, size and ret",
	[SMT_EV_UNMAP] = "domain, iova, size and ret",
	[SMT_EV_TLBI] = "scope (and domain for scope \"va\" or \"context\")",
	[SMT_EV_SYNC] = "scope and dur",
	[SMT_EV_FLUSH_ALL] = "domain",
	[SMT_EV_SMMU_RESET] = "smmu",
	[SMT_EV_RPM] = "dev and state",
	[SMT_EV_CLK] = "clk and on",
	[SMT_EV_PD] = "pd and on",
	[SMT_EV_FAULT] = "iova",
	[SMT_EV_LOST] = "count",
};

static int map_unmap(struct ctx *c, struct smt_event *ev)
{
	struct jint ret = { 0 };

	TAKE(get_addr(c, "domain", true, &ev->domain), SMT_HAS_DOMAIN);
	TAKE(get_addr(c, "iova", true, &ev->iova), SMT_HAS_IOVA);
	TAKE(get_addr(c, "size", true, &ev->size), SMT_HAS_SIZE);
	if (ev->size == 0)
		return fail(c, "size", "expected a size > 0, got 0");
	if (ev->size - 1 > UINT64_MAX - ev->iova)
		return fail(c, "size", "iova 0x%llx + size 0x%llx runs past the end of the "
			    "64-bit address space", (unsigned long long)ev->iova,
			    (unsigned long long)ev->size);
	if (ev->type == SMT_EV_MAP) {
		TAKE(get_addr(c, "paddr", false, &ev->paddr), SMT_HAS_PADDR);
		TAKE(get_int(c, "ret", true, INT64_MIN, 0, "0 or a negative errno", &ret),
		    SMT_HAS_RET);
	} else {
		TAKE(get_int(c, "ret", true, INT64_MIN, INT64_MAX,
			    /* the range said: ">= 2^63" must not read as "not an integer" */
			    "bytes unmapped (an integer 0..9223372036854775807) or a negative errno",
			    &ret), SMT_HAS_RET);
	}
	ev->ret = ret.s;
	return 0;
}

/* A field that SCOPE makes required. */
static int scope_needs(struct ctx *c, const char *key, __u32 bit, const char *scope,
		       const char *fields)
{
	if (c->ev->present & bit)
		return 0;
	return fail(c, key, "missing; %s %s event with scope \"%s\" needs %s", article(c->tname),
		    c->tname, scope, fields);
}

static int type_fields(struct ctx *c, struct smt_event *ev)
{
	struct jint j;
	int i, rc;

	switch (ev->type) {
	case SMT_EV_META:
		TAKE(get_str(c, "kernel", false, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		TAKE(get_bool(c, "strict", false, &ev->strict), SMT_HAS_STRICT);
		TAKE(get_str(c, "arch", false, ev->smmu, sizeof(ev->smmu)), SMT_HAS_ARCH);
		TAKE(get_bool(c, "since_boot", false, &ev->since_boot), SMT_HAS_SINCE_BOOT);
		return take_meta_extra(c);
	case SMT_EV_ATTACH:
		TAKE(get_addr(c, "domain", true, &ev->domain), SMT_HAS_DOMAIN);
		TAKE(get_str(c, "dev", true, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		TAKE(get_str(c, "smmu", false, ev->smmu, sizeof(ev->smmu)), SMT_HAS_SMMU);
		rc = get_sids(c, ev);
		return rc < 0 ? rc : 0;
	case SMT_EV_DETACH:
		TAKE(get_addr(c, "domain", true, &ev->domain), SMT_HAS_DOMAIN);
		TAKE(get_str(c, "dev", true, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		return 0;
	case SMT_EV_DOMAIN_FREE:
	case SMT_EV_FLUSH_ALL:
		TAKE(get_addr(c, "domain", true, &ev->domain), SMT_HAS_DOMAIN);
		return 0;
	case SMT_EV_MAP:
	case SMT_EV_UNMAP:
		return map_unmap(c, ev);
	case SMT_EV_TLBI:
		TAKE(get_str(c, "smmu", false, ev->smmu, sizeof(ev->smmu)), SMT_HAS_SMMU);
		TAKE(get_addr(c, "domain", false, &ev->domain), SMT_HAS_DOMAIN);
		rc = get_enum(c, "scope", event__tlbi_scope_from_name,
			      "\"va\", \"context\" or \"all\"", &i);
		if (rc < 0)
			return rc;
		ev->scope = (__u16)i;
		TAKE(get_addr(c, "iova", false, &ev->iova), SMT_HAS_IOVA);
		TAKE(get_addr(c, "size", false, &ev->size), SMT_HAS_SIZE);
		/*
		 * SPEC §3 marks iova and size optional: a "va" TLBI without its
		 * range is taken as covering the whole domain. It still needs the
		 * domain the range belongs to.
		 */
		if (ev->scope == SMT_TLBI_VA) {
			rc = scope_needs(c, "domain", SMT_HAS_DOMAIN, "va", "domain");
			if (rc)
				return rc;
		} else if (ev->scope == SMT_TLBI_CONTEXT) {
			rc = scope_needs(c, "domain", SMT_HAS_DOMAIN, "context", "domain");
			if (rc)
				return rc;
		}
		return 0;
	case SMT_EV_SYNC:
		TAKE(get_str(c, "smmu", false, ev->smmu, sizeof(ev->smmu)), SMT_HAS_SMMU);
		TAKE(get_addr(c, "domain", false, &ev->domain), SMT_HAS_DOMAIN);
		rc = get_enum(c, "scope", event__sync_scope_from_name,
			      "\"context\" or \"global\"", &i);
		if (rc < 0)
			return rc;
		ev->scope = (__u16)i;
		TAKE(get_u64(c, "dur", true, UINT64_MAX,
			    "a duration in ns (an integer 0..18446744073709551615)", &ev->dur),
		    SMT_HAS_DUR);
		TAKE(get_bool(c, "timeout", false, &ev->timeout), SMT_HAS_TIMEOUT);
		/* a "context" sync without its domain (SPEC: domain?) syncs as global */
		return 0;
	case SMT_EV_SMMU_RESET:
		TAKE(get_str(c, "smmu", true, ev->smmu, sizeof(ev->smmu)), SMT_HAS_SMMU);
		return 0;
	case SMT_EV_RPM:
		TAKE(get_str(c, "dev", true, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		rc = get_enum(c, "state", event__rpm_state_from_name,
			      "\"active\", \"suspending\", \"suspended\" or \"resuming\"", &i);
		if (rc < 0)
			return rc;
		ev->state = (__u32)i;
		return 0;
	case SMT_EV_CLK:
	case SMT_EV_PD: {
		const char *key = ev->type == SMT_EV_CLK ? "clk" : "pd";

		TAKE(get_str(c, key, true, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		rc = get_bool(c, "on", true, &ev->on);
		return rc < 0 ? rc : 0;
	}
	case SMT_EV_FAULT:
		TAKE(get_str(c, "smmu", false, ev->smmu, sizeof(ev->smmu)), SMT_HAS_SMMU);
		TAKE(get_addr(c, "domain", false, &ev->domain), SMT_HAS_DOMAIN);
		TAKE(get_str(c, "dev", false, ev->name, sizeof(ev->name)), SMT_HAS_NAME);
		TAKE(get_addr(c, "iova", true, &ev->iova), SMT_HAS_IOVA);
		rc = get_int(c, "flags", false, 0, UINT32_MAX, "an integer 0..4294967295", &j);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			ev->flags = (__u32)j.u;
			ev->present |= SMT_HAS_FLAGS;
		}
		return 0;
	case SMT_EV_LOST:
		rc = get_u64(c, "count", true, UINT64_MAX,
			     "a count of lost events (an integer >= 1)", &ev->count);
		/* "0 lost" would still raise events-lost and mark later findings incomplete */
		if (rc > 0 && !ev->count)
			return fail(c, "count", "expected a count of lost events (an integer >= 1), "
				    "got 0");
		return rc < 0 ? rc : 0;
	}
	return fail(c, "ev", "internal: no schema for this type");
}

static const char *valid_types(void)
{
	static char buf[256];

	if (!buf[0]) {
		size_t n = 0;

		for (unsigned int t = SMT_EV_NONE + 1; t < SMT_EV_MAX; t++)
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
				      event__type_name(t));
	}
	return buf;
}

static int to_event(struct ctx *c, struct smt_event *ev)
{
	struct json_object *v = member(c, "ev");
	char buf[SHOW_LEN + 4];
	unsigned int type;
	struct jint j;
	__u64 ts = 0;
	int rc;

	if (!v)
		return fail(c, "ev", "missing; every event needs \"ev\" (its type) and \"ts\"");
	if (!json_object_is_type(v, json_type_string))
		return fail(c, "ev", "expected the event type as a string, got %s", show(v, buf));
	type = memchr(json_object_get_string(v), '\0', (size_t)json_object_get_string_len(v)) ?
	       SMT_EV_NONE : event__type_from_name(json_object_get_string(v));
	if (type == SMT_EV_NONE)
		return fail(c, "ev", "unknown event type %s; valid types: %s", show(v, buf),
			    valid_types());
	c->tname = event__type_name(type);
	c->needs = needs[type];

	if (!member(c, "ts"))
		return fail(c, "ts", "missing; every event needs \"ev\" and \"ts\" "
			    "(integer nanoseconds)");
	rc = get_u64(c, "ts", true, UINT64_MAX,
		     "integer nanoseconds 0..18446744073709551615", &ts);
	if (rc < 0)
		return rc;
	if (c->r->have_prev && ts < c->r->prev_ts)
		return fail(c, "ts", "%llu is before the previous event's %llu (line %lu); "
			    "events must be in time order", (unsigned long long)ts,
			    (unsigned long long)c->r->prev_ts, c->r->prev_line);

	event__init(ev, type, ts);
	c->ev = ev;
	rc = type_fields(c, ev);
	if (rc < 0)
		return rc;

	rc = get_int(c, "cpu", false, 0, INT32_MAX, "a CPU number 0..2147483647", &j);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		ev->cpu = (__s32)j.u;
		ev->present |= SMT_HAS_CPU;
	}
	rc = get_int(c, "pid", false, 0, INT32_MAX, "a process ID 0..2147483647", &j);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		ev->pid = (__s32)j.u;
		ev->present |= SMT_HAS_PID;
	}
	TAKE(get_str(c, "comm", false, ev->comm, sizeof(ev->comm)), SMT_HAS_COMM);
	return 0;
}

/* ---- lines ------------------------------------------------------------------ */

static bool blank(const char *s, size_t n)
{
	return skip_ws(s, n, 0) == n;
}

/* 1 = a line in r->line, 0 = end of input, <0 = error reported */
static int read_line(struct jsonl_reader *r)
{
	size_t len = 0;
	bool any = false;

	for (;;) {
		int ch;

		if (r->pre_pos < r->pre_len)
			ch = r->pre[r->pre_pos++];
		else
			ch = getc_unlocked(r->f);
		if (ch == EOF) {
			if (ferror(r->f)) {
				int e = errno ? errno : EIO;

				if (!any)
					r->lineno++;
				return rfail(r, -EIO, NULL, "read error: %s", strerror(e));
			}
			if (!any)
				return 0;
			break;	/* last line without a newline */
		}
		if (!any) {
			any = true;
			r->lineno++;
		}
		if (ch == '\n')
			break;
		if (len == JSONL_MAX_LINE)
			return rfail(r, -EINVAL, NULL, "line is longer than %u bytes; each line must "
				     "be one event object", JSONL_MAX_LINE);
		if (len + 1 >= r->line_cap) {
			size_t cap = r->line_cap * 2;
			char *p;

			if (cap > JSONL_MAX_LINE + 1)
				cap = JSONL_MAX_LINE + 1;
			p = realloc(r->line, cap);
			if (!p)
				return rfail(r, -ENOMEM, NULL, "out of memory for a %zu-byte line", cap);
			r->line = p;
			r->line_cap = cap;
		}
		r->line[len++] = (char)ch;
	}
	r->line[len] = '\0';
	r->line_len = len;
	return 1;
}

static int hex4(const char *s, size_t n, size_t i)
{
	int v = 0;

	if (i + 4 > n)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/*
 * What json-c accepts but changes without a word (issue 11): a key given
 * twice (the last one wins), a raw control character inside a string, and a
 * lone UTF-16 surrogate (read as U+FFFD). The text is valid JSON here. Each
 * is bad input: 0, or the error reported.
 */
/*
 * The common line has no control byte, no escape and one ':' per member: then
 * none of check_raw()'s cases can be there, and one cheap pass (vectorized)
 * replaces its scan. A ':' inside a string ("kworker/0:3") only costs the scan.
 */
static bool raw_needs_check(const char *s, size_t n, size_t nmembers)
{
	size_t colons = 0;
	unsigned int odd = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		colons += ch == ':';
		odd |= (ch < 0x20) | (ch == '\\');
	}
	return odd || colons != nmembers;
}

static int check_raw(struct jsonl_reader *r, const char *s, size_t n, size_t col0)
{
	enum { MAX_KEYS = 64 };
	size_t key_at[MAX_KEYS], key_len[MAX_KEYS];
	int nkeys = 0, depth = 0;

	for (size_t i = 0; i < n; i++) {
		size_t st, j;

		if (s[i] == '{' || s[i] == '[') {
			depth++;
			continue;
		}
		if (s[i] == '}' || s[i] == ']') {
			depth--;
			continue;
		}
		if (s[i] != '"')
			continue;
		st = ++i;
		for (; i < n && s[i] != '"'; i++) {
			unsigned char ch = (unsigned char)s[i];
			int u, lo;

			if (ch < 0x20)
				return rfail(r, -EINVAL, NULL, "raw control character 0x%02x inside a "
					     "string at column %zu: JSON needs it escaped (\\t, \\n, "
					     "\\u00XX)", ch, col0 + i + 1);
			if (ch != '\\')
				continue;
			i++;
			if (i >= n || s[i] != 'u')
				continue;
			u = hex4(s, n, i + 1);
			if (u >= 0xd800 && u <= 0xdbff) {
				lo = i + 6 < n && s[i + 5] == '\\' && s[i + 6] == 'u' ? hex4(s, n, i + 7) : -1;
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					i += 10;
					continue;
				}
			}
			if (u >= 0xd800 && u <= 0xdfff)
				return rfail(r, -EINVAL, NULL, "lone UTF-16 surrogate \\u%04x at column "
					     "%zu: not a character (it would be read as U+FFFD)", u,
					     col0 + i);
			i += 4;
		}
		/* a member name of the event object itself: a string followed by ':' */
		j = skip_ws(s, n, i + 1);
		if (depth != 1 || j >= n || s[j] != ':')
			continue;
		for (int k = 0; k < nkeys; k++) {
			if (key_len[k] == i - st && !memcmp(s + key_at[k], s + st, i - st)) {
				char key[SMT_NAME_LEN];

				snprintf(key, sizeof(key), "%.*s", (int)(i - st), s + st);
				return rfail(r, -EINVAL, key, "given twice in one event (column %zu): "
					     "which one is meant? (JSON readers keep only the last)",
					     col0 + st);
			}
		}
		if (nkeys < MAX_KEYS) {
			key_at[nkeys] = st;
			key_len[nkeys++] = i - st;
		}
	}
	return 0;
}

static int parse_line(struct jsonl_reader *r, const char *s, size_t n, size_t col0,
		      struct smt_event *ev)
{
	struct ctx c = { .r = r, .text = s, .len = n };
	struct json_object *obj;
	size_t i, end;
	int rc;

	i = utf8__valid_prefix(s, n);
	if (i < n)
		return rfail(r, -EINVAL, NULL, "not valid UTF-8 at column %zu (byte 0x%02x); "
			     "JSONL must be UTF-8 text", col0 + i + 1, (unsigned char)s[i]);
	i = skip_ws(s, n, 0);
	if (s[i] != '{') {
		char buf[SHOW_LEN + 4];

		return rfail(r, -EINVAL, NULL, "expected a JSON object {...} on each line, got %s",
			     clip(s + i, n - i, buf));
	}
	json_tokener_reset(r->tok);
	obj = json_tokener_parse_ex(r->tok, s, (int)n);
	if (!obj) {
		enum json_tokener_error jerr = json_tokener_get_error(r->tok);

		if (jerr == json_tokener_continue)
			return rfail(r, -EINVAL, NULL, "not valid JSON: the line ends inside the "
				     "object; each event must be one complete line");
		return rfail(r, -EINVAL, NULL, "not valid JSON at column %zu: %s",
			     col0 + json_tokener_get_parse_end(r->tok) + 1,
			     json_tokener_error_desc(jerr));
	}
	end = json_tokener_get_parse_end(r->tok);
	if (skip_ws(s, n, end) != n) {
		json_object_put(obj);
		return rfail(r, -EINVAL, NULL, "unexpected text after the JSON object at column %zu; "
			     "put exactly one object on each line", col0 + skip_ws(s, n, end) + 1);
	}
	rc = raw_needs_check(s, n, (size_t)json_object_object_length(obj)) ?
	     check_raw(r, s, n, col0) : 0;
	if (rc) {
		json_object_put(obj);
		return rc;
	}
	c.obj = obj;
	rc = to_event(&c, ev);
	json_object_put(obj);
	return rc;
}

int jsonl_reader__next(struct jsonl_reader *r, struct smt_event *ev)
{
	if (r->failed)
		return r->failed;
	if (r->eof)
		return 0;
	r->started = true;
	for (;;) {
		const char *s;
		size_t n, col0 = 0;
		const char *nul;
		int rc = read_line(r);

		if (rc == 0)
			r->eof = true;
		if (rc <= 0)
			return rc;
		s = r->line;
		n = r->line_len;
		/* a UTF-8 byte-order mark, as some editors write */
		if (r->lineno == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			n -= 3;
			col0 = 3;
		}
		nul = memchr(s, '\0', n);
		if (nul)
			return rfail(r, -EINVAL, NULL, "NUL byte at column %zu; JSONL must be text",
				     col0 + (size_t)(nul - s) + 1);
		if (blank(s, n))
			continue;
		rc = parse_line(r, s, n, col0, ev);
		if (rc < 0)
			return r->failed = rc;
		r->ev_line = r->lineno;
		r->have_prev = true;
		r->prev_ts = ev->ts;
		r->prev_line = r->lineno;
		return 1;
	}
}

struct jsonl_reader *jsonl_reader__new(FILE *f, const char *name)
{
	struct jsonl_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->f = f;
	r->name = strdup(name ? name : "<input>");
	r->line_cap = LINE_CAP0;
	r->line = malloc(r->line_cap);
	r->tok = json_tokener_new();
	if (!r->name || !r->line || !r->tok) {
		jsonl_reader__free(r);
		return NULL;
	}
	/* trailing text is reported by us, with a clearer message */
	json_tokener_set_flags(r->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
			       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	return r;
}

int jsonl_reader__prepend(struct jsonl_reader *r, const void *buf, size_t len)
{
	unsigned char *p;

	if (r->started)
		return -EBUSY;
	if (!len)
		return 0;
	p = realloc(r->pre, r->pre_len + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + r->pre_len, buf, len);
	r->pre = p;
	r->pre_len += len;
	return 0;
}

const char *jsonl_reader__error(const struct jsonl_reader *r)
{
	return r->err;
}

const char *jsonl_reader__meta_extra(const struct jsonl_reader *r)
{
	return r->meta_extra;
}

unsigned long jsonl_reader__line(const struct jsonl_reader *r)
{
	return r->ev_line;
}

void jsonl_reader__free(struct jsonl_reader *r)
{
	if (!r)
		return;
	if (r->tok)
		json_tokener_free(r->tok);
	free(r->meta_extra);
	free(r->line);
	free(r->pre);
	free(r->name);
	free(r);
}

/* ---- writing ------------------------------------------------------------------ */

static void kv_name(struct jsonw *w, const char *key, const char *s, size_t size)
{
	jsonw__key(w, key);
	jsonw__strn(w, s, strnlen(s, size));
}

int jsonl__write_event(FILE *f, const struct smt_event *ev, const char *meta_extra)
{
	const char *tname = ev->type ? event__type_name(ev->type) : NULL;
	struct json_object *extra = NULL;
	__u32 p = ev->present;
	struct jsonw *w;

	if (!tname)
		return -EINVAL;
	if ((ev->type == SMT_EV_TLBI && !event__tlbi_scope_name(ev->scope)) ||
	    (ev->type == SMT_EV_SYNC && !event__sync_scope_name(ev->scope)) ||
	    (ev->type == SMT_EV_RPM && !event__rpm_state_name(ev->state)))
		return -EINVAL;
	if (ev->type == SMT_EV_META && meta_extra) {
		extra = json_tokener_parse(meta_extra);
		if (!extra || !json_object_is_type(extra, json_type_object)) {
			json_object_put(extra);
			return -EINVAL;
		}
	}
	w = jsonw__new(f);
	if (!w) {
		json_object_put(extra);
		return -ENOMEM;
	}

	jsonw__obj_begin(w);
	jsonw__kv_str(w, "ev", tname);
	jsonw__kv_u64(w, "ts", ev->ts);
	/*
	 * SPEC §3 order. Required fields are written whether or not their
	 * present bit is set, so that the line always reads back.
	 */
	switch (ev->type) {
	case SMT_EV_META:
		if (p & SMT_HAS_NAME)
			kv_name(w, "kernel", ev->name, sizeof(ev->name));
		if (p & SMT_HAS_STRICT)
			jsonw__kv_bool(w, "strict", ev->strict);
		if (p & SMT_HAS_ARCH)
			kv_name(w, "arch", ev->smmu, sizeof(ev->smmu));
		if (p & SMT_HAS_SINCE_BOOT)
			jsonw__kv_bool(w, "since_boot", ev->since_boot);
		break;
	case SMT_EV_ATTACH:
		jsonw__kv_hex(w, "domain", ev->domain);
		kv_name(w, "dev", ev->name, sizeof(ev->name));
		if (p & SMT_HAS_SMMU)
			kv_name(w, "smmu", ev->smmu, sizeof(ev->smmu));
		jsonw__key(w, "sids");
		jsonw__arr_begin(w);
		for (__u32 i = 0; i < ev->nsids && i < SMT_MAX_SIDS; i++)
			jsonw__u64(w, ev->sids[i]);
		jsonw__arr_end(w);
		break;
	case SMT_EV_DETACH:
		jsonw__kv_hex(w, "domain", ev->domain);
		kv_name(w, "dev", ev->name, sizeof(ev->name));
		break;
	case SMT_EV_DOMAIN_FREE:
	case SMT_EV_FLUSH_ALL:
		jsonw__kv_hex(w, "domain", ev->domain);
		break;
	case SMT_EV_MAP:
	case SMT_EV_UNMAP:
		jsonw__kv_hex(w, "domain", ev->domain);
		jsonw__kv_hex(w, "iova", ev->iova);
		jsonw__kv_u64(w, "size", ev->size);
		if (ev->type == SMT_EV_MAP && (p & SMT_HAS_PADDR))
			jsonw__kv_hex(w, "paddr", ev->paddr);
		jsonw__kv_s64(w, "ret", ev->ret);
		break;
	case SMT_EV_TLBI:
		if (p & SMT_HAS_SMMU)
			kv_name(w, "smmu", ev->smmu, sizeof(ev->smmu));
		if ((p & SMT_HAS_DOMAIN) || ev->scope != SMT_TLBI_ALL)
			jsonw__kv_hex(w, "domain", ev->domain);
		jsonw__kv_str(w, "scope", event__tlbi_scope_name(ev->scope));
		if (p & SMT_HAS_IOVA)
			jsonw__kv_hex(w, "iova", ev->iova);
		if (p & SMT_HAS_SIZE)
			jsonw__kv_u64(w, "size", ev->size);
		break;
	case SMT_EV_SYNC:
		if (p & SMT_HAS_SMMU)
			kv_name(w, "smmu", ev->smmu, sizeof(ev->smmu));
		if (p & SMT_HAS_DOMAIN)
			jsonw__kv_hex(w, "domain", ev->domain);
		jsonw__kv_str(w, "scope", event__sync_scope_name(ev->scope));
		jsonw__kv_u64(w, "dur", ev->dur);
		if (p & SMT_HAS_TIMEOUT)
			jsonw__kv_bool(w, "timeout", ev->timeout);
		break;
	case SMT_EV_SMMU_RESET:
		kv_name(w, "smmu", ev->smmu, sizeof(ev->smmu));
		break;
	case SMT_EV_RPM:
		kv_name(w, "dev", ev->name, sizeof(ev->name));
		jsonw__kv_str(w, "state", event__rpm_state_name(ev->state));
		break;
	case SMT_EV_CLK:
	case SMT_EV_PD:
		kv_name(w, ev->type == SMT_EV_CLK ? "clk" : "pd", ev->name, sizeof(ev->name));
		jsonw__kv_bool(w, "on", ev->on);
		break;
	case SMT_EV_FAULT:
		if (p & SMT_HAS_SMMU)
			kv_name(w, "smmu", ev->smmu, sizeof(ev->smmu));
		if (p & SMT_HAS_DOMAIN)
			jsonw__kv_hex(w, "domain", ev->domain);
		if (p & SMT_HAS_NAME)
			kv_name(w, "dev", ev->name, sizeof(ev->name));
		jsonw__kv_hex(w, "iova", ev->iova);
		if (p & SMT_HAS_FLAGS)
			jsonw__kv_u64(w, "flags", ev->flags);
		break;
	case SMT_EV_LOST:
		jsonw__kv_u64(w, "count", ev->count);
		break;
	}
	if (p & SMT_HAS_CPU)
		jsonw__kv_s64(w, "cpu", ev->cpu);
	if (p & SMT_HAS_PID)
		jsonw__kv_s64(w, "pid", ev->pid);
	if (p & SMT_HAS_COMM)
		kv_name(w, "comm", ev->comm, sizeof(ev->comm));
	if (extra) {
		json_object_object_foreach(extra, key, v) {
			if (is_meta_key(key))	/* never a second "ev" or "ts" */
				continue;
			jsonw__key(w, key);
			write_value(w, v);
		}
	}
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	json_object_put(extra);
	return ferror(f) ? -EIO : 0;
}
