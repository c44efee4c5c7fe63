// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The recording header (src/recording_header.c): the keys readers take back
 * (board, blind, kernel, hooks, strict), an inherited header's other keys
 * kept, and --meta never replacing what the writer knows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "coverage.h"
#include "recording.h"
#include "recording_header.h"

#define BOARD "[tbu t]\nsids = 0x0-0xff ; \"quoted\" \\ text\ngates = clk:c\n"

static struct json_object *parse(const struct recording_header *h)
{
	char *text = recording_header__json(h);
	struct json_object *o;

	assert_non_null(text);
	o = json_tokener_parse(text);
	free(text);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_board_reads_back_as_written(void **state)
{
	struct recording_header h = { .source = "convert", .input = "ev.jsonl", .board = BOARD };
	char *text = recording_header__json(&h), *board;
	struct json_object *o = parse(&h);

	board = recording__meta_board(text);
	assert_string_equal(board, BOARD);
	assert_string_equal(str(o, "source"), "convert");
	assert_string_equal(str(o, "input"), "ev.jsonl");
	assert_non_null(strstr(str(o, "tool"), "smmutrace "));
	assert_null(str(o, "hooks"));	/* not a capture */
	free(board);
	free(text);
	json_object_put(o);
}

static void test_capture_keys_and_blind_spots(void **state)
{
	struct recording_header h = {
		.source = "record", .captured = true, .strict = true, .btf = "/sys/kernel/btf/vmlinux",
		.hooks_json = "[{\"hook\":\"unmap@v3\",\"status\":\"attached\"}]",
		.blind_json = "[{\"event\":\"sync\",\"smmu\":\"s\",\"reason\":\"r\"}]",
	};
	struct json_object *o = parse(&h), *v;
	struct cov_blind b[4];
	char *text = recording_header__json(&h);

	assert_non_null(str(o, "kernel"));
	assert_non_null(str(o, "arch"));
	assert_true(json_object_object_get_ex(o, "strict", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "since_boot", &v) && !json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "hooks", &v) && json_object_array_length(v) == 1);
	assert_int_equal(coverage__blind_from_meta(text, b, 4), 1);
	assert_string_equal(b[0].event, "sync");
	free(text);
	json_object_put(o);
	/* no blind spot is [], not a missing key: the capture saw everything */
	h.blind_json = NULL;
	o = parse(&h);
	assert_true(json_object_object_get_ex(o, "blind", &v) && json_object_array_length(v) == 0);
	json_object_put(o);
}

/* monitor re-recording a recording: its kernel and hooks stay, source and board are ours */
static void test_inherited_header_keeps_its_other_keys(void **state)
{
	struct recording_header h = {
		.source = "monitor", .input = "in.smt", .board = BOARD,
		.inherit_json = "{\"source\":\"record\",\"kernel\":\"6.12.1\",\"board\":\"old\","
				"\"hooks\":[1,2],\"ticket\":\"LAB-1\"}",
	};
	struct json_object *o = parse(&h), *v;

	assert_string_equal(str(o, "source"), "monitor");
	assert_string_equal(str(o, "board"), BOARD);
	assert_string_equal(str(o, "kernel"), "6.12.1");
	assert_string_equal(str(o, "ticket"), "LAB-1");
	assert_true(json_object_object_get_ex(o, "hooks", &v) && json_object_array_length(v) == 2);
	json_object_put(o);
	/* a header that is not an object adds nothing */
	h.inherit_json = "[]";
	o = parse(&h);
	assert_null(str(o, "kernel"));
	json_object_put(o);
}

static void test_meta_pairs_never_replace_the_writers_keys(void **state)
{
	char *kv[] = { "ticket=LAB-42", "source=me", "board=fake", "ticket=LAB-43", "x=a=b" };
	struct recording_header h = { .source = "convert", .board = BOARD, .kv = kv, .nkv = 5 };
	struct json_object *o = parse(&h);

	assert_string_equal(str(o, "source"), "convert");
	assert_string_equal(str(o, "board"), BOARD);
	assert_string_equal(str(o, "ticket"), "LAB-43");	/* the last one given */
	assert_string_equal(str(o, "x"), "a=b");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_board_reads_back_as_written),
		cmocka_unit_test(test_capture_keys_and_blind_spots),
		cmocka_unit_test(test_inherited_header_keeps_its_other_keys),
		cmocka_unit_test(test_meta_pairs_never_replace_the_writers_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
