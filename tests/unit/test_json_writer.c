// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Streaming JSON writer: commas, nesting, escaping, numbers. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "json_writer.h"
#include "utf8.h"

struct out {
	char *buf;
	size_t size;
	FILE *f;
	struct jsonw *w;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->size);
	assert_non_null(o->f);
	o->w = jsonw__new(o->f);
	assert_non_null(o->w);
}

/* Finish and compare with WANT. */
static void out_expect(struct out *o, const char *want)
{
	jsonw__free(o->w);
	fclose(o->f);
	assert_string_equal(o->buf, want);
	free(o->buf);
}

static void test_commas_between_members_and_elements_at_every_depth(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__obj_begin(o.w);
	jsonw__kv_str(o.w, "a", "x");
	jsonw__key(o.w, "b");
	jsonw__arr_begin(o.w);
	jsonw__u64(o.w, 1);
	jsonw__arr_begin(o.w);
	jsonw__arr_end(o.w);
	jsonw__obj_begin(o.w);
	jsonw__kv_bool(o.w, "c", true);
	jsonw__kv_bool(o.w, "d", false);
	jsonw__obj_end(o.w);
	jsonw__null(o.w);
	jsonw__arr_end(o.w);
	jsonw__key(o.w, "e");
	jsonw__obj_begin(o.w);
	jsonw__obj_end(o.w);
	jsonw__kv_s64(o.w, "f", -1);
	jsonw__obj_end(o.w);
	jsonw__newline(o.w);
	/* a second top-level value starts afresh */
	jsonw__arr_begin(o.w);
	jsonw__raw(o.w, "{\"pre\":1}");
	jsonw__str(o.w, "y");
	jsonw__arr_end(o.w);
	jsonw__newline(o.w);
	out_expect(&o, "{\"a\":\"x\",\"b\":[1,[],{\"c\":true,\"d\":false},null],\"e\":{},\"f\":-1}\n"
		       "[{\"pre\":1},\"y\"]\n");
}

static void test_deep_nesting_keeps_commas_right(void **state)
{
	struct out o;
	char want[1024] = "";

	out_open(&o);
	for (int i = 0; i < 40; i++) {
		jsonw__arr_begin(o.w);
		jsonw__u64(o.w, (uint64_t)i);
		strcat(want, i ? ",[" : "[");
		sprintf(want + strlen(want), "%d", i);
	}
	for (int i = 0; i < 40; i++) {
		jsonw__arr_end(o.w);
		strcat(want, "]");
	}
	out_expect(&o, want);
}

static void test_newline_closes_what_was_left_open(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__obj_begin(o.w);
	jsonw__key(o.w, "a");
	jsonw__arr_begin(o.w);
	jsonw__u64(o.w, 1);
	jsonw__obj_begin(o.w);
	jsonw__key(o.w, "k");
	jsonw__newline(o.w);
	out_expect(&o, "{\"a\":[1,{\"k\":null}]}\n");
}

static void test_integers_and_hex_cover_the_full_range(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__arr_begin(o.w);
	jsonw__u64(o.w, UINT64_MAX);
	jsonw__s64(o.w, INT64_MIN);
	jsonw__s64(o.w, INT64_MAX);
	jsonw__hex(o.w, UINT64_MAX);
	jsonw__hex(o.w, 0);
	jsonw__hex(o.w, 0xABCDEF);
	jsonw__arr_end(o.w);
	out_expect(&o, "[18446744073709551615,-9223372036854775808,9223372036854775807,"
		       "\"0xffffffffffffffff\",\"0x0\",\"0xabcdef\"]");
}

static void test_doubles_are_shortest_exact_and_never_nan(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__arr_begin(o.w);
	jsonw__double(o.w, 1.5);
	jsonw__double(o.w, 0.1);
	jsonw__double(o.w, 1.0);
	jsonw__double(o.w, -0.0);
	jsonw__double(o.w, 1e300);
	jsonw__double(o.w, 0.30000000000000004);
	jsonw__double(o.w, NAN);
	jsonw__double(o.w, INFINITY);
	jsonw__arr_end(o.w);
	out_expect(&o, "[1.5,0.1,1.0,-0.0,1e+300,0.30000000000000004,null,null]");
}

static void test_strings_escape_quotes_backslashes_and_control_characters(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__str(o.w, "a\"b\\c/d\n\t\x01\x1f\x7f e");
	out_expect(&o, "\"a\\\"b\\\\c/d\\u000a\\u0009\\u0001\\u001f\\u007f e\"");
}

static void test_strings_keep_utf8_and_replace_invalid_bytes(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__arr_begin(o.w);
	jsonw__str(o.w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");	/* é € 😀 */
	jsonw__str(o.w, "a\xff" "b");
	jsonw__str(o.w, "\xc0\xaf");			/* overlong '/' */
	jsonw__str(o.w, "\xed\xa0\x80");		/* UTF-16 surrogate */
	jsonw__str(o.w, "\xe2\x82");			/* cut short */
	jsonw__str(o.w, "\xf4\x90\x80\x80");		/* above U+10FFFF */
	jsonw__strn(o.w, "x\0y", 3);
	jsonw__str(o.w, NULL);
	jsonw__arr_end(o.w);
	out_expect(&o, "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"a\\ufffdb\",\"\\ufffd\\ufffd\","
		       "\"\\ufffd\\ufffd\\ufffd\",\"\\ufffd\\ufffd\",\"\\ufffd\\ufffd\\ufffd\\ufffd\","
		       "\"x\\u0000y\",null]");
}

static void test_keys_are_escaped_too(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__obj_begin(o.w);
	jsonw__kv_u64(o.w, "k\"\n", 1);
	jsonw__kv_hex(o.w, "h", 16);
	jsonw__obj_end(o.w);
	out_expect(&o, "{\"k\\\"\\u000a\":1,\"h\":\"0x10\"}");
}

/*
 * Any bytes at all make a string that a strict JSON parser accepts, and
 * valid UTF-8 comes back unchanged.
 */
static void test_random_bytes_always_give_valid_json(void **state)
{
	uint32_t seed = 12345;
	struct json_tokener *tok = json_tokener_new();

	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	for (int round = 0; round < 2000; round++) {
		unsigned char s[32];
		size_t n = (size_t)(round % 32);
		struct json_object *obj;
		struct out o;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (unsigned char)(seed >> 16);
			if (round % 3 == 0)	/* mostly ASCII, sometimes */
				s[i] &= 0x7f;
		}
		out_open(&o);
		jsonw__strn(o.w, (const char *)s, n);
		jsonw__free(o.w);
		fclose(o.f);
		json_tokener_reset(tok);
		obj = json_tokener_parse_ex(tok, o.buf, (int)o.size);
		if (!obj || json_tokener_get_parse_end(tok) != o.size)
			fail_msg("round %d: not JSON: %s", round, o.buf);
		assert_true(json_object_is_type(obj, json_type_string));
		if (utf8__valid_prefix((const char *)s, n) == n) {
			assert_int_equal(json_object_get_string_len(obj), n);
			assert_memory_equal(json_object_get_string(obj), s, n);
		}
		json_object_put(obj);
		free(o.buf);
	}
	json_tokener_free(tok);
}

static void test_memory_writer_returns_the_text(void **state)
{
	struct jsonw *w = jsonw__new_mem();
	char *text;

	assert_non_null(w);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "a", "x\"y");
	jsonw__key(w, "b");
	jsonw__arr_begin(w);
	jsonw__u64(w, 1);
	jsonw__bool(w, false);
	jsonw__arr_end(w);
	jsonw__obj_end(w);
	text = jsonw__mem_take(w);
	assert_string_equal(text, "{\"a\":\"x\\\"y\",\"b\":[1,false]}");
	free(text);
	assert_null(jsonw__mem_take(NULL));
}

static bool skip_b(const char *key, void *ctx)
{
	return !strcmp(key, ctx);
}

static void test_copy_members_keeps_values_and_skips_what_it_is_told(void **state)
{
	struct out o;

	out_open(&o);
	jsonw__obj_begin(o.w);
	jsonw__kv_u64(o.w, "first", 1);
	assert_int_equal(jsonw__copy_members(o.w, "{\"a\":[1,{\"x\":null}],\"b\":2,\"c\":\"p/q\","
					     "\"d\":null}", skip_b, "b"), 0);
	jsonw__obj_end(o.w);
	out_expect(&o, "{\"first\":1,\"a\":[1,{\"x\":null}],\"c\":\"p/q\",\"d\":null}");
	/* not an object: nothing written, an error */
	out_open(&o);
	jsonw__obj_begin(o.w);
	assert_int_equal(jsonw__copy_members(o.w, "[1,2]", NULL, NULL), -EINVAL);
	assert_int_equal(jsonw__copy_members(o.w, "{broken", NULL, NULL), -EINVAL);
	assert_int_equal(jsonw__copy_members(o.w, NULL, NULL, NULL), -EINVAL);
	jsonw__obj_end(o.w);
	out_expect(&o, "{}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commas_between_members_and_elements_at_every_depth),
		cmocka_unit_test(test_deep_nesting_keeps_commas_right),
		cmocka_unit_test(test_newline_closes_what_was_left_open),
		cmocka_unit_test(test_integers_and_hex_cover_the_full_range),
		cmocka_unit_test(test_doubles_are_shortest_exact_and_never_nan),
		cmocka_unit_test(test_strings_escape_quotes_backslashes_and_control_characters),
		cmocka_unit_test(test_strings_keep_utf8_and_replace_invalid_bytes),
		cmocka_unit_test(test_keys_are_escaped_too),
		cmocka_unit_test(test_random_bytes_always_give_valid_json),
		cmocka_unit_test(test_memory_writer_returns_the_text),
		cmocka_unit_test(test_copy_members_keeps_values_and_skips_what_it_is_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
