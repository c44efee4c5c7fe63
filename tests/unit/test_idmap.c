// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The id index against a plain array: random inserts and deletes of ids
 * whose keys collide on purpose (few distinct hashes, runs that wrap around
 * the table's end), then every id looked up; a backward shift that drops or
 * strands an id shows up as a lookup that misses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "idmap.h"

#define IDS 2000

struct keys {
	uint64_t key[IDS + 1];	/* key of id; ids are 1..IDS */
	int in[IDS + 1];
	uint64_t (*hash)(uint64_t key);
};

static uint64_t hash_few(uint64_t key)
{
	/* 37 distinct hashes, all near the top of any table: long runs that wrap */
	return (key % 37) + 0xfffffff0u;
}

static uint64_t hash_mixed(uint64_t key)
{
	return idmap__mix64(key);
}

static uint64_t hash_of(uint32_t id, const void *ctx)
{
	const struct keys *k = ctx;

	return k->hash(k->key[id]);
}

static uint32_t find(const struct idmap *m, const struct keys *k, uint64_t key)
{
	idmap__for_each_candidate(m, k->hash(key), slot, id)
		if (k->key[id] == key)
			return id;
	return 0;
}

static void check_all(const struct idmap *m, const struct keys *k)
{
	uint32_t n = 0;

	for (uint32_t id = 1; id <= IDS; id++) {
		assert_int_equal(find(m, k, k->key[id]), k->in[id] ? id : 0);
		n += (uint32_t)k->in[id];
	}
	assert_int_equal(m->used, n);
	assert_true(m->used * 2 <= m->cap || m->cap == 0);
}

static void churn(uint64_t (*hash)(uint64_t key), uint32_t initial_cap)
{
	struct keys *k = calloc(1, sizeof(*k));
	struct idmap m;

	assert_non_null(k);
	k->hash = hash;
	for (uint32_t id = 1; id <= IDS; id++)
		k->key[id] = (uint64_t)id * 0x9e3779b97f4a7c15ull;
	assert_int_equal(idmap__init(&m, initial_cap), 0);
	srand(7);
	for (int round = 0; round < 20000; round++) {
		uint32_t id = 1 + (uint32_t)rand() % IDS;

		if (k->in[id]) {
			assert_true(idmap__delete(&m, hash(k->key[id]), id, hash_of, k));
			k->in[id] = 0;
		} else {
			assert_int_equal(idmap__insert(&m, hash(k->key[id]), id, hash_of, k), 0);
			k->in[id] = 1;
		}
		if (round % 2500 == 0)
			check_all(&m, k);
	}
	check_all(&m, k);
	/* deleting what is not there changes nothing */
	for (uint32_t id = 1; id <= IDS; id++)
		if (!k->in[id])
			assert_false(idmap__delete(&m, hash(k->key[id]), id, hash_of, k));
	check_all(&m, k);
	idmap__free(&m);
	free(k);
}

static void colliding_keys_survive_inserts_and_deletes(void **state)
{
	churn(hash_few, 0);
}

static void spread_keys_survive_inserts_and_deletes(void **state)
{
	churn(hash_mixed, 0);
}

static void a_presized_map_does_not_grow_below_its_size(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	struct idmap m;
	uint32_t cap;

	assert_non_null(k);
	k->hash = hash_mixed;
	assert_int_equal(idmap__init(&m, 100), 0);
	cap = m.cap;
	assert_true(cap >= 200);
	for (uint32_t id = 1; id <= 100; id++) {
		k->key[id] = id;
		k->in[id] = 1;
		assert_int_equal(idmap__insert(&m, hash_mixed(id), id, hash_of, k), 0);
	}
	assert_int_equal(m.cap, cap);
	for (uint32_t id = 101; id <= IDS; id++)
		k->key[id] = id;
	check_all(&m, k);
	idmap__free(&m);
	free(k);
}

static void an_empty_map_finds_nothing(void **state)
{
	struct keys k = { .hash = hash_mixed };
	struct idmap m;

	assert_int_equal(idmap__init(&m, 0), 0);
	assert_int_equal(find(&m, &k, 42), 0);
	assert_null(idmap__home_slot(&m, 42));
	assert_false(idmap__delete(&m, 42, 1, hash_of, &k));
	idmap__free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(colliding_keys_survive_inserts_and_deletes),
		cmocka_unit_test(spread_keys_survive_inserts_and_deletes),
		cmocka_unit_test(a_presized_map_does_not_grow_below_its_size),
		cmocka_unit_test(an_empty_map_finds_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
