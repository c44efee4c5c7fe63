// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event sources: JSONL or recording told apart by sniffing, on files and pipes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "event.h"
#include "recording.h"
#include "source.h"

static char dir[64];

static const char jsonl_text[] =
	"{\"ev\":\"meta\",\"ts\":0,\"kernel\":\"6.6\",\"board\":\"qrb5165\"}\n"
	"{\"ev\":\"map\",\"ts\":10,\"domain\":\"0x1\",\"iova\":\"0x1000\",\"size\":4096,\"ret\":0}\n"
	"\n"
	"{\"ev\":\"unmap\",\"ts\":20,\"domain\":\"0x1\",\"iova\":\"0x1000\",\"size\":4096,\"ret\":4096}\n";

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_source.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Read everything; checks the three events of jsonl_text. */
static void expect_jsonl_events(struct ev_source *s)
{
	struct smt_event ev;

	assert_int_equal(ev_source__is_recording(s), 0);
	assert_null(ev_source__meta_json(s));
	assert_int_equal(ev_source__next(s, &ev), 1);
	assert_int_equal(ev.type, SMT_EV_META);
	assert_string_equal(ev.name, "6.6");
	assert_string_equal(ev_source__meta_extra(s), "{\"board\":\"qrb5165\"}");
	assert_int_equal(ev_source__next(s, &ev), 1);
	assert_int_equal(ev.type, SMT_EV_MAP);
	assert_int_equal(ev.iova, 0x1000);
	assert_int_equal(ev_source__next(s, &ev), 1);
	assert_int_equal(ev.type, SMT_EV_UNMAP);
	assert_int_equal(ev.ret, 4096);
	assert_int_equal(ev_source__next(s, &ev), 0);
}

/*
 * next_ref() (replay's path) gives the same events as next(), from JSONL and
 * from a recording: the events of jsonl_text, converted.
 */
static void test_next_ref_gives_what_next_gives(void **state)
{
	struct recording_writer *w;
	struct ev_source *a, *b;
	const struct smt_event *ref;
	struct smt_event ev;
	char err[256];
	int rc, n = 0;

	write_file(path_of("ref.jsonl"), jsonl_text, sizeof(jsonl_text) - 1);
	assert_int_equal(ev_source__open(path_of("ref.jsonl"), &a, err, sizeof(err)), 0);
	assert_int_equal(recording_writer__open(&w, path_of("ref.smt"), NULL, NULL, err,
						sizeof(err)), 0);
	while ((rc = ev_source__next(a, &ev)) == 1)
		assert_int_equal(recording_writer__write(w, &ev, ev_source__meta_extra(a)), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(recording_writer__close(w), 0);
	ev_source__close(a);

	for (int i = 0; i < 2; i++) {
		const char *p = path_of(i ? "ref.smt" : "ref.jsonl");

		assert_int_equal(ev_source__open(p, &a, err, sizeof(err)), 0);
		assert_int_equal(ev_source__open(p, &b, err, sizeof(err)), 0);
		assert_int_equal(ev_source__is_recording(b), i);
		while ((rc = ev_source__next(a, &ev)) == 1) {
			assert_int_equal(ev_source__next_ref(b, &ref), 1);
			assert_memory_equal(ref, &ev, sizeof(ev));
			if (ev.type == SMT_EV_META)
				assert_string_equal(ev_source__meta_extra(b), "{\"board\":\"qrb5165\"}");
			n++;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(ev_source__next_ref(b, &ref), 0);
		ev_source__close(a);
		ev_source__close(b);
	}
	assert_int_equal(n, 6);
}

static void test_jsonl_file_is_sniffed_and_read(void **state)
{
	const char *p = path_of("a.jsonl");
	struct ev_source *s;
	char err[256];

	write_file(p, jsonl_text, sizeof(jsonl_text) - 1);
	assert_int_equal(ev_source__open(p, &s, err, sizeof(err)), 0);
	assert_string_equal(ev_source__name(s), p);
	expect_jsonl_events(s);
	ev_source__close(s);
}

/* Run the rest of the test with fd 0 reading what a child writes in pieces. */
static pid_t stdin_from_child(const void *data, size_t n, int *saved)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *p = data;

		close(fds[0]);
		/* in small pieces with pauses: the reader must cope with short reads */
		for (size_t off = 0; off < n; off += 5) {
			size_t k = n - off < 5 ? n - off : 5;

			if (write(fds[1], p + off, k) != (ssize_t)k)
				_exit(1);
			if (off < 20)
				usleep(2000);
		}
		_exit(0);
	}
	close(fds[1]);
	*saved = dup(0);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(fds[0], 0), 0);
	close(fds[0]);
	clearerr(stdin);
	return pid;
}

static void restore_stdin(pid_t pid, int saved)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
}

static void test_jsonl_from_stdin_pipe_is_sniffed_without_seeking(void **state)
{
	struct ev_source *s;
	char err[256];
	int saved;
	pid_t pid = stdin_from_child(jsonl_text, sizeof(jsonl_text) - 1, &saved);

	assert_int_equal(ev_source__open("-", &s, err, sizeof(err)), 0);
	assert_string_equal(ev_source__name(s), "<stdin>");
	expect_jsonl_events(s);
	ev_source__close(s);
	restore_stdin(pid, saved);
}

static void test_jsonl_from_fifo_is_read(void **state)
{
	const char *p = path_of("fifo");
	char path[128], err[256];
	struct ev_source *s;
	int status;
	pid_t pid;

	strcpy(path, p);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_WRONLY);

		if (fd < 0 || write(fd, jsonl_text, 3) != 3)
			_exit(1);
		usleep(20000);	/* the sniffer sees a short first read */
		if (write(fd, jsonl_text + 3, sizeof(jsonl_text) - 4) != (ssize_t)sizeof(jsonl_text) - 4)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(ev_source__open(path, &s, err, sizeof(err)), 0);
	expect_jsonl_events(s);
	ev_source__close(s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_inputs_shorter_than_the_magic_are_jsonl(void **state)
{
	const char *p = path_of("short.jsonl");
	struct smt_event ev;
	struct ev_source *s;
	char err[256];

	write_file(p, "\n \n", 3);
	assert_int_equal(ev_source__open(p, &s, err, sizeof(err)), 0);
	assert_int_equal(ev_source__next(s, &ev), 0);
	ev_source__close(s);

	write_file(p, "{}\n", 3);
	assert_int_equal(ev_source__open(p, &s, err, sizeof(err)), 0);
	assert_int_equal(ev_source__is_recording(s), 0);
	assert_int_equal(ev_source__next(s, &ev), -EINVAL);
	assert_non_null(strstr(ev_source__error(s), "short.jsonl:1: ev: missing"));
	ev_source__close(s);

	write_file(p, "", 0);
	assert_int_equal(ev_source__open(p, &s, err, sizeof(err)), 0);
	assert_int_equal(ev_source__next(s, &ev), 0);
	ev_source__close(s);
}

static void test_jsonl_errors_name_file_and_line(void **state)
{
	static const char text[] = "{\"ev\":\"lost\",\"ts\":1,\"count\":1}\n"
				   "{\"ev\":\"map\",\"ts\":2,\"domain\":1,\"iova\":1,\"size\":\"x\",\"ret\":0}\n";
	const char *p = path_of("bad.jsonl");
	char want[160], err[256];
	struct smt_event ev;
	struct ev_source *s;

	write_file(p, text, sizeof(text) - 1);
	assert_int_equal(ev_source__open(p, &s, err, sizeof(err)), 0);
	assert_int_equal(ev_source__next(s, &ev), 1);
	assert_int_equal(ev_source__next(s, &ev), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: size: expected", p);
	assert_non_null(strstr(ev_source__error(s), want));
	ev_source__close(s);
}

static void test_missing_file_and_directory_are_open_errors(void **state)
{
	struct ev_source *s = (void *)1;
	char path[128], want[160], err[256];

	strcpy(path, path_of("nope.jsonl"));
	assert_int_equal(ev_source__open(path, &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);

	assert_int_equal(ev_source__open(dir, &s, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: is a directory", dir);
	assert_non_null(strstr(err, want));
}

static void test_compressed_input_is_refused_with_a_hint(void **state)
{
	const char *p = path_of("a.jsonl.gz");
	char path[128], err[256];
	struct ev_source *s;
	char cmd[300];

	strcpy(path, p);
	snprintf(cmd, sizeof(cmd), "printf '{}\\n' | gzip -c > '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ev_source__open(path, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a.jsonl.gz: gzip-compressed data; decompress it first"));
}

/* Three events written to a recording at PATH. */
static void make_recording(const char *path, struct smt_event *evs)
{
	struct recording_writer *w;
	char err[256];

	event__init(&evs[0], SMT_EV_META, 0);
	strcpy(evs[0].name, "6.6");
	evs[0].present = SMT_HAS_NAME;
	event__init(&evs[1], SMT_EV_CLK, 5);
	strcpy(evs[1].name, "gpu_clk");
	evs[1].present = SMT_HAS_NAME;
	event__init(&evs[2], SMT_EV_FAULT, 9);
	evs[2].iova = UINT64_MAX;
	evs[2].present = SMT_HAS_IOVA;
	if (recording_writer__open(&w, path, "{\"kernel\":\"6.6\"}", NULL, err, sizeof(err)))
		fail_msg("recording_writer__open: %s", err);
	assert_int_equal(recording_writer__write(w, &evs[0], "{\"board\":\"x\"}"), 0);
	assert_int_equal(recording_writer__write(w, &evs[1], NULL), 0);
	assert_int_equal(recording_writer__write(w, &evs[2], NULL), 0);
	assert_int_equal(recording_writer__close(w), 0);
}

static void expect_recording_events(struct ev_source *s, const struct smt_event *evs)
{
	struct smt_event ev;

	assert_int_equal(ev_source__is_recording(s), 1);
	assert_non_null(ev_source__meta_json(s));
	assert_non_null(strstr(ev_source__meta_json(s), "6.6"));
	for (int i = 0; i < 3; i++) {
		int rc = ev_source__next(s, &ev);

		if (rc != 1)
			fail_msg("event %d: rc %d: %s", i, rc, ev_source__error(s));
		assert_memory_equal(&ev, &evs[i], sizeof(ev));
		if (i == 0)
			assert_string_equal(ev_source__meta_extra(s), "{\"board\":\"x\"}");
	}
	assert_int_equal(ev_source__next(s, &ev), 0);
}

static void test_recording_file_is_sniffed(void **state)
{
	struct smt_event evs[3];
	struct ev_source *s;
	char path[128], err[256];

	strcpy(path, path_of("a.smtrec"));
	make_recording(path, evs);
	if (ev_source__open(path, &s, err, sizeof(err)))
		fail_msg("open: %s", err);
	expect_recording_events(s, evs);
	ev_source__close(s);
}

static void test_recording_from_stdin_pipe_is_sniffed(void **state)
{
	struct smt_event evs[3];
	struct ev_source *s;
	char path[128], err[256];
	struct stat st;
	char *data;
	FILE *f;
	int saved;
	pid_t pid;

	strcpy(path, path_of("b.smtrec"));
	make_recording(path, evs);
	assert_int_equal(stat(path, &st), 0);
	data = malloc((size_t)st.st_size);
	assert_non_null(data);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(data, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);

	pid = stdin_from_child(data, (size_t)st.st_size, &saved);
	if (ev_source__open("-", &s, err, sizeof(err)))
		fail_msg("open: %s", err);
	expect_recording_events(s, evs);
	ev_source__close(s);
	restore_stdin(pid, saved);
	free(data);
}

static void test_cut_recording_goes_to_the_recording_reader(void **state)
{
	const char *p = path_of("cut.smtrec");
	struct smt_event ev;
	struct ev_source *s = NULL;
	char err[256] = "";
	int rc;

	/* only the first 5 bytes of the magic: not JSON, so say what it is */
	write_file(p, RECORDING_MAGIC, 5);
	rc = ev_source__open(p, &s, err, sizeof(err));
	if (rc == 0) {
		assert_int_equal(ev_source__is_recording(s), 1);
		assert_true(ev_source__next(s, &ev) < 0);
		ev_source__close(s);
	} else {
		assert_true(rc < 0);
		assert_non_null(strstr(err, "cut.smtrec"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonl_file_is_sniffed_and_read),
		cmocka_unit_test(test_next_ref_gives_what_next_gives),
		cmocka_unit_test(test_jsonl_from_stdin_pipe_is_sniffed_without_seeking),
		cmocka_unit_test(test_jsonl_from_fifo_is_read),
		cmocka_unit_test(test_inputs_shorter_than_the_magic_are_jsonl),
		cmocka_unit_test(test_jsonl_errors_name_file_and_line),
		cmocka_unit_test(test_missing_file_and_directory_are_open_errors),
		cmocka_unit_test(test_compressed_input_is_refused_with_a_hint),
		cmocka_unit_test(test_recording_file_is_sniffed),
		cmocka_unit_test(test_recording_from_stdin_pipe_is_sniffed),
		cmocka_unit_test(test_cut_recording_goes_to_the_recording_reader),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
