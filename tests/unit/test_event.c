// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event ABI (include/smmutrace_events.h) and its names (src/event.c):
 * the SPEC §3 name of every type, scope and runtime-PM state and back, what
 * is not a name, event__init's clean slate, and the record layout that BPF
 * and userspace share (a layout change without an SMT_ABI_VERSION bump fails
 * here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "event.h"

/* SPEC §3's table, in enum order */
static const char *const spec_types[] = {
	"meta", "attach", "detach", "domain_free", "map", "unmap", "tlbi", "sync",
	"flush_all", "smmu_reset", "rpm", "clk", "pd", "fault", "lost",
};

static void test_every_type_has_its_spec_name_and_reads_back(void **state)
{
	assert_int_equal(sizeof(spec_types) / sizeof(spec_types[0]), SMT_EV_MAX - 1);
	for (unsigned int t = SMT_EV_META; t < SMT_EV_MAX; t++) {
		assert_non_null(event__type_name(t));
		assert_string_equal(event__type_name(t), spec_types[t - 1]);
		assert_int_equal(event__type_from_name(spec_types[t - 1]), t);
	}
}

static void test_none_and_out_of_range_types_have_no_name(void **state)
{
	assert_null(event__type_name(SMT_EV_NONE));
	assert_null(event__type_name(SMT_EV_MAX));
	assert_null(event__type_name(SMT_EV_MAX + 1));
	assert_null(event__type_name(~0u));
}

/* the reader turns SMT_EV_NONE into "unknown ev": no near miss may pass */
static void test_near_misses_are_not_type_names(void **state)
{
	static const char *const bad[] = {
		"", "MAP", "Map", "ma", "maps", "map ", " map", "un map", "domain-free",
		"flush-all", "smmu-reset", "none", "NONE", "map\t",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (event__type_from_name(bad[i]) != SMT_EV_NONE)
			fail_msg("\"%s\" read as type %u", bad[i], event__type_from_name(bad[i]));
	}
}

/* the names map to the values the BPF programs put in `scope` and `state` */
static void test_scope_and_state_names_match_the_abi_values(void **state)
{
	assert_int_equal(event__tlbi_scope_from_name("va"), SMT_TLBI_VA);
	assert_int_equal(event__tlbi_scope_from_name("context"), SMT_TLBI_CONTEXT);
	assert_int_equal(event__tlbi_scope_from_name("all"), SMT_TLBI_ALL);
	assert_int_equal(event__sync_scope_from_name("context"), SMT_SYNC_CONTEXT);
	assert_int_equal(event__sync_scope_from_name("global"), SMT_SYNC_GLOBAL);
	assert_int_equal(event__rpm_state_from_name("active"), SMT_RPM_ACTIVE);
	assert_int_equal(event__rpm_state_from_name("suspending"), SMT_RPM_SUSPENDING);
	assert_int_equal(event__rpm_state_from_name("suspended"), SMT_RPM_SUSPENDED);
	assert_int_equal(event__rpm_state_from_name("resuming"), SMT_RPM_RESUMING);

	for (unsigned int v = SMT_TLBI_VA; v <= SMT_TLBI_ALL; v++)
		assert_int_equal(event__tlbi_scope_from_name(event__tlbi_scope_name(v)), (int)v);
	for (unsigned int v = SMT_SYNC_CONTEXT; v <= SMT_SYNC_GLOBAL; v++)
		assert_int_equal(event__sync_scope_from_name(event__sync_scope_name(v)), (int)v);
	for (unsigned int v = SMT_RPM_ACTIVE; v <= SMT_RPM_RESUMING; v++)
		assert_int_equal(event__rpm_state_from_name(event__rpm_state_name(v)), (int)v);
}

/* a value past the table has no name (the writer refuses it, never prints junk) */
static void test_out_of_range_scopes_and_states_have_no_name(void **state)
{
	assert_null(event__tlbi_scope_name(SMT_TLBI_ALL + 1));
	assert_null(event__sync_scope_name(SMT_SYNC_GLOBAL + 1));
	assert_null(event__rpm_state_name(SMT_RPM_RESUMING + 1));
	assert_null(event__tlbi_scope_name(~0u));
	assert_null(event__sync_scope_name(~0u));
	assert_null(event__rpm_state_name(~0u));
}

/* each table stands alone: a TLBI scope is no sync scope and the other way round */
static void test_names_of_one_table_are_unknown_in_the_others(void **state)
{
	assert_int_equal(event__sync_scope_from_name("va"), -1);
	assert_int_equal(event__sync_scope_from_name("all"), -1);
	assert_int_equal(event__tlbi_scope_from_name("global"), -1);
	assert_int_equal(event__rpm_state_from_name("context"), -1);
	assert_int_equal(event__tlbi_scope_from_name(""), -1);
	assert_int_equal(event__sync_scope_from_name("Context"), -1);
	assert_int_equal(event__rpm_state_from_name("suspend"), -1);
	assert_int_equal(event__rpm_state_from_name("map"), -1);
}

/* the present bits say what an event carries: init must leave none, and no stale field */
static void test_init_leaves_only_type_and_ts(void **state)
{
	struct smt_event ev, want;

	memset(&ev, 0xa5, sizeof(ev));
	event__init(&ev, SMT_EV_SYNC, UINT64_MAX);
	memset(&want, 0, sizeof(want));
	want.type = SMT_EV_SYNC;
	want.ts = UINT64_MAX;
	assert_memory_equal(&ev, &want, sizeof(ev));
	assert_int_equal(ev.present, 0);
	assert_int_equal(ev.nsids, 0);
	assert_int_equal(ev.name[0], '\0');
}

static void test_present_bits_are_distinct(void **state)
{
	static const unsigned int bits[] = {
		SMT_HAS_CPU, SMT_HAS_PID, SMT_HAS_COMM, SMT_HAS_SMMU, SMT_HAS_DOMAIN,
		SMT_HAS_IOVA, SMT_HAS_SIZE, SMT_HAS_PADDR, SMT_HAS_FLAGS, SMT_HAS_TIMEOUT,
		SMT_HAS_STRICT, SMT_HAS_SINCE_BOOT, SMT_HAS_NAME, SMT_HAS_ARCH, SMT_HAS_SIDS,
		SMT_HAS_RET, SMT_HAS_DUR,
	};
	unsigned int seen = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		assert_int_equal(__builtin_popcount(bits[i]), 1);
		assert_int_equal(seen & bits[i], 0);
		seen |= bits[i];
	}
}

#define FIELD_END(f) (offsetof(struct smt_event, f) + sizeof(((struct smt_event *)0)->f))

/*
 * BPF reserves SMT_EVENT_SIZE_NUMERIC bytes for records without names and the
 * consumer copies that prefix into a zeroed event: every numeric field must
 * lie inside it, the names inside SMT_EVENT_SIZE_NAMES.
 */
static void test_record_prefixes_hold_their_fields(void **state)
{
	assert_true(FIELD_END(nsids) <= SMT_EVENT_SIZE_NUMERIC);
	assert_true(FIELD_END(since_boot) <= SMT_EVENT_SIZE_NUMERIC);
	assert_true(FIELD_END(comm) <= SMT_EVENT_SIZE_NUMERIC);
	assert_int_equal(offsetof(struct smt_event, smmu), SMT_EVENT_SIZE_NUMERIC);
	assert_true(FIELD_END(name) <= SMT_EVENT_SIZE_NAMES);
	assert_int_equal(offsetof(struct smt_event, sids), SMT_EVENT_SIZE_NAMES);
	assert_int_equal(FIELD_END(sids), sizeof(struct smt_event));
}

/*
 * The layout of ABI version 1, field by field (`smmutrace --version` names the
 * version; the header asks for a bump on any layout change): change one, bump it.
 */
static void test_layout_is_that_of_the_abi_version(void **state)
{
	static const struct { const char *name; size_t now, v1; } fields[] = {
#define AT(f, o) { #f, offsetof(struct smt_event, f), o }
		AT(ts, 0), AT(type, 8), AT(scope, 10), AT(present, 12), AT(cpu, 16), AT(pid, 20),
		AT(comm, 24), AT(domain, 40), AT(iova, 48), AT(size, 56), AT(paddr, 64),
		AT(ret, 72), AT(dur, 80), AT(count, 88), AT(state, 96), AT(flags, 100),
		AT(on, 104), AT(timeout, 105), AT(strict, 106), AT(since_boot, 107),
		AT(nsids, 108), AT(smmu, 112), AT(name, 176), AT(sids, 240),
#undef AT
	};

	/* version 2 added the records below; smt_event kept version 1's layout */
	static const struct { const char *name; size_t now, v2; } recs[] = {
#define AT(s, f, o) { #s "." #f, offsetof(struct s, f), o }
		AT(smt_rec_name, ts, 0), AT(smt_rec_name, type, 8), AT(smt_rec_name, dev, 16),
		AT(smt_rec_name, name, 24),
		AT(smt_rec_inval, ts, 0), AT(smt_rec_inval, type, 8), AT(smt_rec_inval, ntlbi, 10),
		AT(smt_rec_inval, flags, 11), AT(smt_rec_inval, sync_scope, 12),
		AT(smt_rec_inval, cpu, 16), AT(smt_rec_inval, pid, 20), AT(smt_rec_inval, comm, 24),
		AT(smt_rec_inval, tlbi_cpu, 40), AT(smt_rec_inval, smmu, 48),
		AT(smt_rec_inval, sync_domain, 56), AT(smt_rec_inval, dur, 64),
		AT(smt_rec_inval, tlbi, 72),
		AT(smt_inval_tlbi, ts, 0), AT(smt_inval_tlbi, domain, 8), AT(smt_inval_tlbi, iova, 16),
		AT(smt_inval_tlbi, size, 24), AT(smt_inval_tlbi, scope, 32),
#undef AT
	};

	if (SMT_ABI_VERSION != 2)
		fail_msg("SMT_ABI_VERSION is %d: write its layout into this test", SMT_ABI_VERSION);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].now != fields[i].v1)
			fail_msg("%s is at %zu, at %zu in ABI version 1: bump SMT_ABI_VERSION",
				 fields[i].name, fields[i].now, fields[i].v1);
	}
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		if (recs[i].now != recs[i].v2)
			fail_msg("%s is at %zu, at %zu in ABI version 2: bump SMT_ABI_VERSION",
				 recs[i].name, recs[i].now, recs[i].v2);
	}
	assert_int_equal(sizeof(struct smt_rec_name), 88);
	assert_int_equal(sizeof(struct smt_inval_tlbi), 40);
	assert_int_equal(SMT_INVAL_MAX_TLBI, 4);
	/* a record type is never an event type */
	assert_true(SMT_REC_BASE >= SMT_EV_MAX);
	/* one TLBI and its sync fit where one numeric event did */
	assert_true(SMT_REC_INVAL_SIZE(1) <= SMT_EVENT_SIZE_NUMERIC);
	assert_int_equal(sizeof(struct smt_event), 496);
	assert_int_equal(SMT_COMM_LEN, 16);
	assert_int_equal(SMT_NAME_LEN, 64);
	assert_int_equal(SMT_MAX_SIDS, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_has_its_spec_name_and_reads_back),
		cmocka_unit_test(test_none_and_out_of_range_types_have_no_name),
		cmocka_unit_test(test_near_misses_are_not_type_names),
		cmocka_unit_test(test_scope_and_state_names_match_the_abi_values),
		cmocka_unit_test(test_out_of_range_scopes_and_states_have_no_name),
		cmocka_unit_test(test_names_of_one_table_are_unknown_in_the_others),
		cmocka_unit_test(test_init_leaves_only_type_and_ts),
		cmocka_unit_test(test_present_bits_are_distinct),
		cmocka_unit_test(test_record_prefixes_hold_their_fields),
		cmocka_unit_test(test_layout_is_that_of_the_abi_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
