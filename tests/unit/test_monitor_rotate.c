// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rotating recordings of the monitor: numbering, retention limits, whole files. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "event.h"
#include "monitor_rotate.h"
#include "recording.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_rotate.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

static bool exists(uint64_t num)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/monitor-%06llu.smt", dir, (unsigned long long)num);
	return access(p, F_OK) == 0;
}

static int count_files(uint64_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	*bytes = 0;
	while ((de = readdir(d))) {
		struct stat st;
		char p[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		stat(p, &st);
		*bytes += st.st_size;
		n++;
	}
	closedir(d);
	return n;
}

/* the events of recording NUM: types into TYPES (up to MAX); returns count, -1 if broken */
static int read_back(uint64_t num, uint16_t *types, int max)
{
	struct recording_reader *r;
	struct smt_event ev;
	char p[256], err[256];
	FILE *f;
	int n = 0, rc;

	snprintf(p, sizeof(p), "%s/monitor-%06llu.smt", dir, (unsigned long long)num);
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(recording_reader__open(&r, f, p, err, sizeof(err)), 0);
	while ((rc = recording_reader__next(r, &ev)) == 1) {
		if (n < max)
			types[n] = ev.type;
		if (ev.type == SMT_EV_META && n == 0)
			assert_int_equal(ev.since_boot, 0);
		n++;
	}
	recording_reader__free(r);
	fclose(f);
	return rc < 0 ? -1 : n;
}

static void write_maps(struct rotator *r, int n, uint64_t ts0)
{
	char err[512];

	for (int i = 0; i < n; i++) {
		struct smt_event ev;

		event__init(&ev, SMT_EV_MAP, ts0 + i);
		ev.present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET;
		ev.domain = 0x1000;
		ev.iova = 0x10000 + i * 4096;
		ev.size = 4096;
		assert_int_equal(rotator__write(r, &ev, NULL, err, sizeof(err)), 0);
	}
}

static void test_each_file_is_a_whole_recording_starting_with_a_meta_event(void **state)
{
	struct rotator_opts o = { .dir = dir, .max_file_bytes = 1, .keep_files = 100 };
	struct rotator *r;
	uint16_t types[4];
	char err[512];

	assert_int_equal(rotator__new(&r, &o, err, sizeof(err)), 0);
	/* a 1-byte limit: every event closes its file */
	write_maps(r, 3, 100);
	assert_int_equal(rotator__close(r), 0);
	rotator__free(r);
	for (uint64_t num = 1; num <= 3; num++) {
		assert_true(exists(num));
		assert_int_equal(read_back(num, types, 4), 2);
		assert_int_equal(types[0], SMT_EV_META);
		assert_int_equal(types[1], SMT_EV_MAP);
	}
	assert_false(exists(4));
}

static void test_numbering_continues_after_a_previous_runs_files(void **state)
{
	struct rotator_opts o = { .dir = dir, .max_file_bytes = 1 << 20, .keep_files = 100 };
	struct rotator_stats s;
	struct rotator *r;
	char err[512], p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/monitor-000041.smt", dir);
	f = fopen(p, "w");
	fputs("old", f);
	fclose(f);
	assert_int_equal(rotator__new(&r, &o, err, sizeof(err)), 0);
	write_maps(r, 1, 1);
	rotator__stats(r, &s);
	assert_non_null(strstr(s.current, "monitor-000042.smt"));
	assert_int_equal(s.files, 2);
	rotator__free(r);
}

static void test_keep_files_counts_the_open_file_and_never_deletes_it(void **state)
{
	struct rotator_opts o = { .dir = dir, .max_file_bytes = 1, .keep_files = 3 };
	struct rotator_stats s;
	struct rotator *r;
	uint64_t bytes;
	char err[512];

	assert_int_equal(rotator__new(&r, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 10; i++) {
		write_maps(r, 1, 10 + i);
		/* after each rotation: at most keep_files - 1 closed files wait for the next */
		assert_true(count_files(&bytes) <= 2);
	}
	rotator__stats(r, &s);
	assert_int_equal(s.rotations, 10);
	assert_int_equal(s.deleted, 8);
	assert_int_equal(rotator__close(r), 0);
	rotator__free(r);
	/* the newest survive */
	assert_true(exists(9));
	assert_true(exists(10));
	assert_false(exists(8));
}

static void test_keep_bytes_deletes_oldest_closed_files_first(void **state)
{
	struct rotator_opts o = { .dir = dir, .max_file_bytes = 1 << 20, .keep_files = 0 };
	struct rotator *r;
	uint64_t one, bytes;
	char err[512];

	/* measure one closed file */
	assert_int_equal(rotator__new(&r, &o, err, sizeof(err)), 0);
	write_maps(r, 1, 1);
	assert_int_equal(rotator__close(r), 0);
	rotator__free(r);
	count_files(&one);
	teardown(state);
	setup(state);

	o.max_file_bytes = 1;
	o.keep_bytes = one * 3 + one / 2;	/* room for three closed files */
	assert_int_equal(rotator__new(&r, &o, err, sizeof(err)), 0);
	for (int i = 0; i < 8; i++) {
		write_maps(r, 1, 10 + i);
		count_files(&bytes);
		assert_true(bytes <= o.keep_bytes);
	}
	rotator__free(r);
	assert_true(exists(8) && exists(7) && exists(6));
	assert_false(exists(5));
}

static void test_a_missing_directory_is_reported_with_what_to_do(void **state)
{
	struct rotator_opts o = { .dir = "/nonexistent/smmutrace", .max_file_bytes = 1 };
	struct rotator *r;
	char err[512];

	assert_true(rotator__new(&r, &o, err, sizeof(err)) < 0);
	assert_null(r);
	assert_non_null(strstr(err, "/nonexistent/smmutrace"));
	assert_non_null(strstr(err, "create it"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_file_is_a_whole_recording_starting_with_a_meta_event,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbering_continues_after_a_previous_runs_files,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_files_counts_the_open_file_and_never_deletes_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_bytes_deletes_oldest_closed_files_first,
						setup, teardown),
		cmocka_unit_test(test_a_missing_directory_is_reported_with_what_to_do),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
