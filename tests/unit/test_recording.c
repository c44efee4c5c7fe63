// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Recording format: round trips, truncation, corruption, limits (src/recording.c). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>
#include "event.h"
#include "recording.h"
#include "recording_blocks.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
	strcpy(tmpdir, "/tmp/smt-rec-test.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tmp_path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* whole file into memory */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct rec_event {
	struct smt_event ev;
	const char *meta_extra;
};

/* Every event type, once with every field set to extremes, once minimal. */
static int make_events(struct rec_event *out)
{
	int n = 0;

	for (unsigned int t = SMT_EV_META; t < SMT_EV_MAX; t++) {
		struct smt_event *e = &out[n].ev;

		/* all fields, extreme values */
		event__init(e, t, 0xffffffffffffffffull - 1000 + n);
		e->present = 0x1ffff;
		e->cpu = INT32_MIN;
		e->pid = INT32_MAX;
		memset(e->comm, 'c', SMT_COMM_LEN - 1);
		e->domain = 0xffffffffffffffffull;
		e->iova = 0xffffffffffffffffull;
		e->size = 0xffffffffffffffffull;
		e->paddr = 0x8000000000000000ull;
		e->ret = INT64_MIN;
		e->dur = 0xffffffffffffffffull;
		e->count = 0xffffffffffffffffull;
		e->flags = 0xffffffff;
		e->on = e->timeout = e->strict = e->since_boot = 1;
		memset(e->smmu, 's', SMT_NAME_LEN - 1);
		memset(e->name, 'n', SMT_NAME_LEN - 1);
		e->nsids = SMT_MAX_SIDS;
		for (int i = 0; i < SMT_MAX_SIDS; i++)
			e->sids[i] = i == 0 ? 0xffffffffu : (uint32_t)i * 7919u;
		if (t == SMT_EV_TLBI)
			e->scope = SMT_TLBI_ALL;
		else if (t == SMT_EV_SYNC)
			e->scope = SMT_SYNC_GLOBAL;
		if (t == SMT_EV_RPM)
			e->state = SMT_RPM_RESUMING;
		out[n].meta_extra = t == SMT_EV_META ? "{\"board\":\"x\\ny\",\"n\":[1,2,{}]}" : NULL;
		n++;

		/* minimal: only the type and a ts that goes back to 0 */
		e = &out[n].ev;
		event__init(e, t, 0);
		out[n].meta_extra = t == SMT_EV_META ? "" : NULL;
		n++;
	}
	/* a meta event without free-form fields, a negative cpu and ret */
	event__init(&out[n].ev, SMT_EV_META, 5);
	n++;
	event__init(&out[n].ev, SMT_EV_MAP, 6);
	out[n].ev.cpu = -1;
	out[n].ev.ret = -17;
	out[n].ev.present = SMT_HAS_RET | SMT_HAS_CPU;
	n++;
	return n;
}

static void write_events(const char *path, const struct rec_event *evs, int n,
			 size_t block_bytes, const char *meta)
{
	struct recording_writer_opts opts = { .block_bytes = block_bytes };
	struct recording_writer *w;
	char err[256];

	assert_int_equal(recording_writer__open(&w, path, meta, &opts, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(recording_writer__write(w, &evs[i].ev, evs[i].meta_extra), 0);
	assert_int_equal(recording_writer__close(w), 0);
}

static void assert_same_event(const struct smt_event *a, const struct smt_event *b)
{
	assert_int_equal(a->type, b->type);
	assert_true(a->ts == b->ts);
	assert_memory_equal(a, b, sizeof(*a));
}

static void test_every_event_type_round_trips_exactly(void **state)
{
	struct rec_event evs[64];
	int n = make_events(evs);
	struct recording_reader *r;
	struct smt_event ev;
	char err[256];
	FILE *f;

	write_events(tmp_path("all.smt"), evs, n, 0, "{\"kernel\":\"6.1\"}");
	f = fopen(tmp_path("all.smt"), "rb");
	assert_int_equal(recording_reader__open(&r, f, "all.smt", err, sizeof(err)), 0);
	assert_string_equal(recording_reader__meta_json(r), "{\"kernel\":\"6.1\"}");
	for (int i = 0; i < n; i++) {
		assert_int_equal(recording_reader__next(r, &ev), 1);
		assert_same_event(&ev, &evs[i].ev);
		if (ev.type == SMT_EV_META) {
			if (evs[i].meta_extra)
				assert_string_equal(recording_reader__meta_extra(r), evs[i].meta_extra);
			else
				assert_null(recording_reader__meta_extra(r));
		}
	}
	assert_int_equal(recording_reader__next(r, &ev), 0);
	assert_null(recording_reader__error(r));
	recording_reader__free(r);
	fclose(f);
}

/* a string of LEN (< CAP) bytes from a small pool, so that blocks reference earlier ones */
static void pool_str(char *dst, size_t cap, unsigned int k)
{
	static const char *const pool[] = {
		"a", "kworker/u8:3", "15000000.iommu", "gpu_cc_ahb_clk", "x",
		"a-device-name-that-fills-most-of-the-sixty-four-byte-field-here",
		"3d00000.gpu", "dma-io",
	};
	const char *s = pool[k % (sizeof(pool) / sizeof(pool[0]))];

	memset(dst, 0, cap);
	strncpy(dst, s, cap - 1);
}

/*
 * The reader decodes into its own event and clears only what the previous
 * event set: whatever came before (longer strings, more SIDs, other fields,
 * the end of a block), every byte of each event must be what was written,
 * through next_ref() and through next() into a dirty struct.
 */
static void exact_whatever_preceded(unsigned int version)
{
	struct recording_writer_opts opts = { .block_bytes = 200, .version = version };
	static const unsigned int types[] = { SMT_EV_ATTACH, SMT_EV_MAP, SMT_EV_CLK, SMT_EV_UNMAP,
					      SMT_EV_RPM, SMT_EV_SYNC, SMT_EV_FAULT, SMT_EV_META };
	const unsigned int n = 3000;
	struct recording_writer *w;
	struct recording_reader *r;
	const struct smt_event *got;
	struct smt_event *evs, dirty;
	uint32_t x = 12345;
	char err[256];
	FILE *f;

	evs = calloc(n, sizeof(*evs));
	assert_non_null(evs);
	for (unsigned int i = 0; i < n; i++) {
		struct smt_event *e = &evs[i];

		x = x * 1103515245u + 12345u;
		event__init(e, types[(x >> 8) % 8], 1000 + i);
		if (x & (1u << 20)) {
			e->present |= SMT_HAS_COMM;
			pool_str(e->comm, sizeof(e->comm), x >> 21);
		}
		if (x & (1u << 24)) {
			e->present |= SMT_HAS_SMMU;
			pool_str(e->smmu, sizeof(e->smmu), x >> 25);
		}
		if (x & (1u << 28)) {
			e->present |= SMT_HAS_NAME;
			pool_str(e->name, sizeof(e->name), x >> 29);
		}
		if (e->type == SMT_EV_ATTACH) {
			e->present |= SMT_HAS_SIDS;
			e->nsids = 1 + (x >> 16) % SMT_MAX_SIDS;
			for (uint32_t k = 0; k < e->nsids; k++)
				e->sids[k] = k * 3 + i;
		}
		if (e->type == SMT_EV_MAP || e->type == SMT_EV_UNMAP) {
			e->present |= SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE;
			e->domain = 0xffff000000000000ull + (x >> 12) % 3;
			e->iova = (uint64_t)i << 12;
			e->size = 4096;
			e->ret = -(int64_t)(x % 5);
		}
		if (e->type == SMT_EV_SYNC)
			e->dur = x % 1000, e->timeout = x & 1;
		if (e->type == SMT_EV_CLK)
			e->on = x & 1;
		if (e->type == SMT_EV_META)
			e->strict = 1;
		e->cpu = (int)(x % 7);
		/* the task, range or domain of the event before, as a DMA op's events have */
		if (i && (x & (1u << 30))) {
			e->cpu = evs[i - 1].cpu;
			e->pid = evs[i - 1].pid = 1000 + (int)(x % 3);
			memcpy(e->comm, evs[i - 1].comm, sizeof(e->comm));
		}
		if (i && (x & (1u << 31))) {
			e->iova = evs[i - 1].iova;
			e->size = evs[i - 1].size;
		}
		if (i && (x & (1u << 29)))
			e->domain = evs[i - 1].domain;
	}
	assert_int_equal(recording_writer__open(&w, tmp_path("exact.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(recording_writer__write(w, &evs[i], NULL), 0);
	assert_int_equal(recording_writer__close(w), 0);

	f = fopen(tmp_path("exact.smt"), "rb");
	assert_int_equal(recording_reader__open(&r, f, "exact.smt", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(recording_reader__next_ref(r, &got), 1);
		if (memcmp(got, &evs[i], sizeof(*got)))
			fail_msg("next_ref: event %u differs from what was written", i);
	}
	assert_int_equal(recording_reader__next_ref(r, &got), 0);
	recording_reader__free(r);

	rewind(f);
	assert_int_equal(recording_reader__open(&r, f, "exact.smt", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < n; i++) {
		memset(&dirty, 0xa5, sizeof(dirty));
		assert_int_equal(recording_reader__next(r, &dirty), 1);
		if (memcmp(&dirty, &evs[i], sizeof(dirty)))
			fail_msg("next: event %u differs from what was written", i);
	}
	assert_int_equal(recording_reader__next(r, &dirty), 0);
	assert_true(recording_reader__closed(r) == 1);
	recording_reader__free(r);

	/* in batches (of every size up to the most), each slot exact as well; a meta event ends one */
	rewind(f);
	assert_int_equal(recording_reader__open(&r, f, "exact.smt", err, sizeof(err)), 0);
	for (unsigned int i = 0, max = 1; i < n; max = max % RECORDING_BATCH_MAX + 1) {
		const struct smt_event *batch[RECORDING_BATCH_MAX];
		int got_n = recording_reader__next_batch(r, batch, max);

		assert_in_range(got_n, 1, max);
		for (int k = 0; k < got_n; k++, i++) {
			if (memcmp(batch[k], &evs[i], sizeof(*batch[k])))
				fail_msg("next_batch: event %u differs from what was written", i);
			if (evs[i].type == SMT_EV_META)
				assert_int_equal(k, got_n - 1);
		}
		if (got_n < (int)max && i < n)
			assert_int_equal(batch[got_n - 1]->type, SMT_EV_META);
	}
	assert_int_equal(recording_reader__next_batch(r, (const struct smt_event *[1]){ 0 }, 1), 0);
	recording_reader__free(r);
	fclose(f);
	free(evs);
}

static void test_each_event_is_exact_whatever_preceded_it(void **state)
{
	exact_whatever_preceded(0);
}

/* the version-2 encoding (no head byte flags, plain IOVAs) still written and read exactly */
static void test_each_event_is_exact_whatever_preceded_it_in_version_2(void **state)
{
	exact_whatever_preceded(2);
}

static void test_null_metadata_is_empty_object(void **state)
{
	struct recording_reader *r;
	struct smt_event ev;
	char err[256];
	FILE *f;

	write_events(tmp_path("empty.smt"), NULL, 0, 0, NULL);
	f = fopen(tmp_path("empty.smt"), "rb");
	assert_int_equal(recording_reader__open(&r, f, "empty.smt", err, sizeof(err)), 0);
	assert_string_equal(recording_reader__meta_json(r), "{}");
	assert_int_equal(recording_reader__next(r, &ev), 0);
	recording_reader__free(r);
	fclose(f);
}

/* a deterministic stream of map/unmap events over a few domains */
static void stream_event(struct smt_event *e, unsigned int i)
{
	event__init(e, i % 3 == 2 ? SMT_EV_SYNC : (i & 1) ? SMT_EV_UNMAP : SMT_EV_MAP,
		    1000000ull + i * 1234ull);
	e->present = SMT_HAS_DOMAIN | SMT_HAS_IOVA | SMT_HAS_SIZE | SMT_HAS_RET | SMT_HAS_PID;
	e->domain = 0xffffff8000001000ull + (i % 5) * 0x1000;
	e->iova = 0xfff00000ull + (uint64_t)(i % 100) * 4096;
	e->size = 4096;
	e->pid = (int)(i % 300);
	e->ret = e->type == SMT_EV_UNMAP ? 4096 : 0;
	if (e->type == SMT_EV_SYNC)
		e->dur = i;
}

static void test_many_blocks_read_back_in_order(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 256 };
	struct recording_writer *w;
	struct recording_reader *r;
	struct smt_event ev, want;
	const void *data;
	size_t len;
	unsigned int nev, blocks = 0, total = 0, short_blocks = 0;
	char err[256];
	FILE *f;

	assert_int_equal(recording_writer__open(&w, tmp_path("many.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 5000; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);

	f = fopen(tmp_path("many.smt"), "rb");
	assert_int_equal(recording_reader__open(&r, f, "many.smt", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < 5000; i++) {
		stream_event(&want, i);
		assert_int_equal(recording_reader__next(r, &ev), 1);
		assert_same_event(&ev, &want);
	}
	assert_int_equal(recording_reader__next(r, &ev), 0);
	recording_reader__free(r);

	/* the block view sees the same events, in more than a few blocks */
	rewind(f);
	assert_int_equal(recording_reader__open(&r, f, "many.smt", err, sizeof(err)), 0);
	while (recording_reader__next_block(r, &data, &len, &nev) == 1) {
		/* only the last block (written by close) may be short */
		assert_true(short_blocks == 0);
		if (len < 256)
			short_blocks++;
		blocks++;
		total += nev;
	}
	assert_null(recording_reader__error(r));
	assert_true(blocks > 50);
	assert_int_equal(total, 5000);
	recording_reader__free(r);
	fclose(f);
}

/* block starts of FILE (and the header end) by walking block headers */
static int block_starts(const uint8_t *buf, size_t len, size_t *starts, int max)
{
	size_t off = RECORDING_MAGIC_LEN + 8;
	uint32_t meta_len;
	int n = 0;

	memcpy(&meta_len, buf + RECORDING_MAGIC_LEN + 4, 4);	/* the tests run little-endian */
	off += meta_len + 4;
	/* the writer closed it: the close block is the last RECORDING_CLOSE_LEN bytes */
	assert_true(len >= RECORDING_CLOSE_LEN);
	assert_memory_equal(buf + len - RECORDING_CLOSE_LEN, RECORDING_CLOSE_MAGIC, 4);
	len -= RECORDING_CLOSE_LEN;
	while (off < len && n < max) {
		uint32_t clen;

		starts[n++] = off;
		memcpy(&clen, buf + off + 8, 4);
		off += RECORDING_BLOCK_HDR_LEN + clen;
	}
	assert_int_equal(off, len);
	if (n < max)
		starts[n] = len;	/* where the close block starts */
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* little-endian host, as the tests assume */
}

/* recording_reader__closed() at the end of the last read_all() */
static int last_closed;

/*
 * Events read from BUF[0..LEN) through a prefix + FILE; returns next()'s final
 * value, with the error or the end warning in MSG.
 */
static int read_all(const uint8_t *buf, size_t len, size_t prefix, unsigned int *nread,
		    char *msg, size_t msglen, int *open_rc)
{
	struct recording_reader *r;
	struct smt_event ev, want;
	FILE *f;
	int rc;

	*nread = 0;
	msg[0] = '\0';
	if (prefix > len)
		prefix = len;
	/* fmemopen refuses a zero-sized buffer: an empty tail is /dev/null */
	f = len - prefix ? fmemopen((void *)(buf + prefix), len - prefix, "rb") : fopen("/dev/null", "rb");
	assert_non_null(f);
	*open_rc = recording_reader__open_prefixed(&r, f, "cut.smt", buf, prefix, msg, msglen);
	if (*open_rc) {
		fclose(f);
		return *open_rc;
	}
	while ((rc = recording_reader__next(r, &ev)) == 1) {
		stream_event(&want, *nread);
		assert_same_event(&ev, &want);
		(*nread)++;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s", recording_reader__error(r));
		/* errors stick */
		assert_int_equal(recording_reader__next(r, &ev), rc);
	} else if (recording_reader__warning(r)) {
		snprintf(msg, msglen, "%s", recording_reader__warning(r));
		/* the end sticks too */
		assert_int_equal(recording_reader__next(r, &ev), 0);
	}
	if (rc == 0)
		last_closed = recording_reader__closed(r);
	recording_reader__free(r);
	fclose(f);
	return rc;
}

static void test_file_cut_at_every_byte_reads_whole_blocks_then_warns_where_it_ends(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 64 };
	struct recording_writer *w;
	struct smt_event ev;
	size_t len, starts[64], hdr_end;
	unsigned int per_block_total[64];
	uint8_t *buf;
	char err[512], want[512];
	int nblocks;

	assert_int_equal(recording_writer__open(&w, tmp_path("cut.smt"), "{\"k\":1}", &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 40; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);
	buf = slurp(tmp_path("cut.smt"), &len);
	nblocks = block_starts(buf, len, starts, 64);
	assert_true(nblocks >= 4);
	hdr_end = starts[0];

	/* events in whole blocks before each block start */
	per_block_total[0] = 0;
	for (int b = 0; b < nblocks; b++) {
		uint32_t cnt;

		memcpy(&cnt, buf + starts[b] + 12, 4);
		per_block_total[b + 1] = per_block_total[b] + cnt;
	}
	assert_int_equal(per_block_total[nblocks], 40);

	for (size_t cut = 0; cut <= len; cut++) {
		unsigned int nread;
		int rc, open_rc, whole = 0;

		/* also hand part of it over as the sniffer's prefix */
		rc = read_all(buf, cut, cut % 11, &nread, err, sizeof(err), &open_rc);
		while (whole < nblocks && starts[whole + 1] <= cut)
			whole++;
		if (cut < hdr_end) {
			assert_int_equal(open_rc, -EINVAL);
			if (cut >= RECORDING_MAGIC_LEN)
				assert_non_null(strstr(err, "inside the recording header"));
			else
				assert_non_null(strstr(err, "not a smmutrace recording"));
			continue;
		}
		/* SPEC §7: never an error, always every event of the whole blocks */
		assert_int_equal(open_rc, 0);
		assert_int_equal(rc, 0);
		assert_int_equal(nread, per_block_total[whole]);
		if (cut == len) {
			assert_string_equal(err, "");	/* closed: no warning */
			assert_int_equal(last_closed, 1);
			continue;
		}
		assert_int_equal(last_closed, 0);
		if (cut == hdr_end) {
			snprintf(want, sizeof(want), "cut.smt: warning: not closed (the capture was killed "
				 "or the board lost power): it ends right after its header at byte %zu, "
				 "with no events", cut);
		} else if (cut == starts[whole]) {
			/* at a block boundary, the close block included: killed between writes */
			snprintf(want, sizeof(want), "cut.smt: warning: not closed (the capture was killed "
				 "or the board lost power): it ends after block %d at byte %zu; its %u "
				 "events were read", whole, cut, per_block_total[whole]);
		} else {
			snprintf(want, sizeof(want), "cut.smt: warning: cut at byte %zu inside block %d "
				 "(the capture was killed or the board lost power): read up to its last "
				 "whole block, which ends at byte %zu (%u events)", cut, whole + 1,
				 starts[whole], per_block_total[whole]);
		}
		assert_string_equal(err, want);
	}
	free(buf);
}

static void test_flipped_byte_in_a_block_is_a_checksum_error_naming_its_offset(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 64 };
	struct recording_writer *w;
	struct smt_event ev;
	size_t len, starts[64];
	uint8_t *buf;
	char err[512], want[160];
	int nblocks;

	assert_int_equal(recording_writer__open(&w, tmp_path("flip.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 20; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);
	buf = slurp(tmp_path("flip.smt"), &len);
	nblocks = block_starts(buf, len, starts, 64);

	for (int b = 0; b < nblocks; b++) {
		for (size_t off = starts[b]; off < starts[b + 1]; off++) {
			unsigned int nread, before = 0;
			int rc, open_rc;

			for (int k = 0; k < b; k++) {
				uint32_t cnt;

				memcpy(&cnt, buf + starts[k] + 12, 4);
				before += cnt;
			}
			buf[off] ^= 0x20;
			rc = read_all(buf, len, 0, &nread, err, sizeof(err), &open_rc);
			buf[off] ^= 0x20;
			assert_int_equal(open_rc, 0);
			assert_int_equal(rc, -EINVAL);
			assert_int_equal(nread, before);
			snprintf(want, sizeof(want), "cut.smt: offset %zu: block %d: ", starts[b], b + 1);
			if (strncmp(err, want, strlen(want)) != 0)
				fail_msg("flip at %zu: '%s' does not start with '%s'", off, err, want);
			assert_non_null(strstr(err, "(corrupt recording); events before it were read"));
			if (off >= starts[b] + RECORDING_BLOCK_HDR_LEN)	/* payload */
				assert_non_null(strstr(err, "checksum mismatch"));
		}
	}
	/* the close block is checked as strictly: every event read, then exit 2 */
	for (size_t off = starts[nblocks]; off < len; off++) {
		unsigned int nread;
		int rc, open_rc;

		buf[off] ^= 0x20;
		rc = read_all(buf, len, 0, &nread, err, sizeof(err), &open_rc);
		buf[off] ^= 0x20;
		assert_int_equal(open_rc, 0);
		assert_int_equal(rc, -EINVAL);
		assert_int_equal(nread, 20);
		snprintf(want, sizeof(want), "cut.smt: offset %zu: block %d: ", starts[nblocks],
			 nblocks + 1);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("flip at %zu: '%s' does not start with '%s'", off, err, want);
	}
	free(buf);
}

/* a close block whose counts do not match the file, and bytes after it, are damage */
static void test_close_block_counts_and_trailing_bytes_are_checked(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 64 };
	struct recording_writer *w;
	struct smt_event ev;
	size_t len, starts[64];
	uint8_t *buf, *big;
	char err[512];
	unsigned int nread;
	int nblocks, rc, open_rc;

	assert_int_equal(recording_writer__open(&w, tmp_path("close.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 20; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);
	buf = slurp(tmp_path("close.smt"), &len);
	nblocks = block_starts(buf, len, starts, 64);

	/* a whole block dropped before the close block (counts re-checksummed) */
	big = malloc(len + 1);
	assert_non_null(big);
	memcpy(big, buf, starts[nblocks - 1]);
	memcpy(big + starts[nblocks - 1], buf + starts[nblocks], RECORDING_CLOSE_LEN);
	rc = read_all(big, starts[nblocks - 1] + RECORDING_CLOSE_LEN, 0, &nread, err, sizeof(err),
		      &open_rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "close block: says"));

	/* one byte after the close block */
	memcpy(big, buf, len);
	big[len] = 0;
	rc = read_all(big, len + 1, 0, &nread, err, sizeof(err), &open_rc);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(nread, 20);
	assert_non_null(strstr(err, "bytes after the close block"));
	free(big);
	free(buf);
}

/* format 1 (the first release) has no close block: read as before, "cannot tell" */
static void test_format_1_file_without_close_block_reads_without_warning(void **state)
{
	/* format 1's events are format 2's */
	struct recording_writer_opts opts = { .block_bytes = 64, .version = 2 };
	struct recording_writer *w;
	struct smt_event ev;
	size_t len, starts[64];
	uint8_t *buf;
	char err[512];
	unsigned int nread;
	int nblocks, rc, open_rc;
	uLong c;

	assert_int_equal(recording_writer__open(&w, tmp_path("v1.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 20; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);
	buf = slurp(tmp_path("v1.smt"), &len);
	nblocks = block_starts(buf, len, starts, 64);
	/* as the first release wrote it: version 1, header re-checksummed, no close block */
	put32(buf + RECORDING_MAGIC_LEN, 1);
	c = crc32(0, buf, (uInt)(starts[0] - 4));
	put32(buf + starts[0] - 4, (uint32_t)c);
	rc = read_all(buf, starts[nblocks], 0, &nread, err, sizeof(err), &open_rc);
	assert_int_equal(rc, 0);
	assert_int_equal(nread, 20);
	assert_string_equal(err, "");
	assert_int_equal(last_closed, -1);
	/* cut inside a block: the same warning as format 2 */
	rc = read_all(buf, starts[nblocks] - 3, 0, &nread, err, sizeof(err), &open_rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(err, "warning: cut at byte"));
	free(buf);
}


/* raw deflate (the format's payload encoding); returns the compressed length */
static size_t raw_deflate(uint8_t *out, size_t cap, const uint8_t *in, size_t len)
{
	z_stream zs = { 0 };
	size_t n;

	assert_int_equal(deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = cap - zs.avail_out;
	deflateEnd(&zs);
	return n;
}

/* a recording of format VERSION whose one block holds PAYLOAD with valid checksums */
static size_t craft_version(uint8_t *out, unsigned int version, const uint8_t *payload,
			    size_t plen, uint32_t count, uint64_t first_ts, uint64_t last_ts)
{
	size_t off = 0;
	uLongf clen = 4096;
	uint8_t *h;

	memcpy(out, RECORDING_MAGIC, 8);
	put32(out + 8, version);
	put32(out + 12, 2);
	memcpy(out + 16, "{}", 2);
	put32(out + 18, (uint32_t)crc32(0, out, 18));
	off = 22;
	h = out + off;
	clen = raw_deflate(h + RECORDING_BLOCK_HDR_LEN, clen, payload, plen);
	memcpy(h, RECORDING_BLOCK_MAGIC, 4);
	put32(h + 4, (uint32_t)plen);
	put32(h + 8, (uint32_t)clen);
	put32(h + 12, count);
	memcpy(h + 16, &first_ts, 8);
	memcpy(h + 24, &last_ts, 8);
	put32(h + 32, (uint32_t)crc32(0, h + RECORDING_BLOCK_HDR_LEN, clen));
	put32(h + 36, (uint32_t)crc32(0, h, 36));
	return off + RECORDING_BLOCK_HDR_LEN + clen;
}

/* the same in format 2, the encoding the hand-made payloads below have */
static size_t craft(uint8_t *out, const uint8_t *payload, size_t plen, uint32_t count,
		    uint64_t first_ts, uint64_t last_ts)
{
	return craft_version(out, 2, payload, plen, count, first_ts, last_ts);
}

static int read_crafted(const uint8_t *file, size_t len, char *msg, size_t msglen, int *nev)
{
	struct recording_reader *r;
	struct smt_event ev;
	FILE *f = fmemopen((void *)file, len, "rb");
	int rc;

	*nev = 0;
	rc = recording_reader__open(&r, f, "x.smt", msg, msglen);
	if (rc == 0) {
		while ((rc = recording_reader__next(r, &ev)) == 1)
			(*nev)++;
		if (rc < 0)
			snprintf(msg, msglen, "%s", recording_reader__error(r));
		recording_reader__free(r);
	}
	fclose(f);
	return rc;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* raw deflate of IN with zlib at LEVEL/STRATEGY; FLUSH_AT > 0: a full flush after that many bytes */
static size_t zlib_deflate_variant(uint8_t *out, size_t cap, const uint8_t *in, size_t len,
				   int level, int strategy, size_t flush_at)
{
	z_stream zs = { 0 };
	size_t first = flush_at && flush_at < len ? flush_at : 0;
	size_t n;

	assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, -15, 8, strategy), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (first) {
		zs.avail_in = (uInt)first;
		assert_int_equal(deflate(&zs, Z_FULL_FLUSH), Z_OK);
	}
	zs.avail_in = (uInt)(len - first);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = cap - zs.avail_out;
	deflateEnd(&zs);
	return n;
}

/*
 * Reader and writer use libdeflate, earlier writers zlib: the format is raw
 * deflate either way. Every block the writer makes inflates
 * with zlib to what the reader returns, and blocks deflated by zlib in any
 * way (stored, fixed or Huffman-only codes, RLE, level 9, a full flush
 * inside) read back as the same events.
 */

/* zlib's own inflate() takes the CLEN-byte raw deflate block Z to exactly ULEN bytes in OUT */
static void zlib_inflate_block(const uint8_t *z, uint32_t clen, uint8_t *out, uint32_t ulen)
{
	z_stream zs = { 0 };

	assert_int_equal(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = (uint8_t *)z;
	zs.avail_in = clen;
	zs.next_out = out;
	zs.avail_out = ulen;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	assert_int_equal(zs.avail_out, 0);
	inflateEnd(&zs);
}

static void test_blocks_are_zlib_raw_deflate_both_ways(void **state)
{
	static const struct { int level, strategy; size_t flush_at; } variants[] = {
		{ 0, Z_DEFAULT_STRATEGY, 0 }, { 1, Z_FIXED, 0 }, { 6, Z_HUFFMAN_ONLY, 0 },
		{ 6, Z_RLE, 0 }, { 9, Z_DEFAULT_STRATEGY, 0 }, { 6, Z_DEFAULT_STRATEGY, 1000 },
	};
	struct recording_writer_opts opts = { .block_bytes = 4096, .level = 9 };
	struct recording_writer *w;
	struct recording_reader *r;
	struct smt_event ev, want;
	const unsigned int n = 4000;
	uint8_t *file, *out, *plain;
	size_t flen, off, hlen, olen;
	const void *data;
	size_t dlen;
	unsigned int nev, blocks = 0;
	char err[256];
	FILE *f;

	assert_int_equal(recording_writer__open(&w, tmp_path("z.smt"), "{\"k\":1}", &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < n; i++) {
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);
	file = slurp(tmp_path("z.smt"), &flen);
	hlen = 16 + le32(file + 12) + 4;
	out = malloc(2 * flen + 65536);
	plain = malloc(RECORDING_MAX_BLOCK);
	assert_non_null(out);
	assert_non_null(plain);

	for (size_t v = 0; v <= sizeof(variants) / sizeof(variants[0]); v++) {
		f = fopen(tmp_path("z.smt"), "rb");
		assert_int_equal(recording_reader__open(&r, f, "z.smt", err, sizeof(err)), 0);
		memcpy(out, file, hlen);
		olen = hlen;
		for (off = hlen; memcmp(file + off, RECORDING_BLOCK_MAGIC, 4) == 0;
		     off += RECORDING_BLOCK_HDR_LEN + le32(file + off + 8)) {
			uint32_t ulen = le32(file + off + 4), clen = le32(file + off + 8);
			uint8_t *h = out + olen;
			size_t c;

			/* zlib inflates the writer's block to what the reader gives */
			assert_int_equal(recording_reader__next_block(r, &data, &dlen, &nev), 1);
			zlib_inflate_block(file + off + RECORDING_BLOCK_HDR_LEN, clen, plain, ulen);
			assert_int_equal(dlen, ulen);
			assert_memory_equal(data, plain, ulen);
			if (v == 0)
				blocks++;
			if (v == sizeof(variants) / sizeof(variants[0]))
				continue;

			/* the same payload deflated another way by zlib */
			memcpy(h, file + off, 32);
			c = zlib_deflate_variant(h + RECORDING_BLOCK_HDR_LEN, 2 * ulen + 1024, plain, ulen,
						 variants[v].level, variants[v].strategy,
						 variants[v].flush_at);
			put32(h + 8, (uint32_t)c);
			put32(h + 32, (uint32_t)crc32(0, h + RECORDING_BLOCK_HDR_LEN, (uInt)c));
			put32(h + 36, (uint32_t)crc32(0, h, 36));
			olen += RECORDING_BLOCK_HDR_LEN + c;
		}
		assert_int_equal(recording_reader__next_block(r, &data, &dlen, &nev), 0);
		assert_int_equal(recording_reader__closed(r), 1);
		recording_reader__free(r);
		fclose(f);
		if (v == sizeof(variants) / sizeof(variants[0]))
			break;
		assert_int_equal(flen - off, RECORDING_CLOSE_LEN);
		memcpy(out + olen, file + off, RECORDING_CLOSE_LEN);
		olen += RECORDING_CLOSE_LEN;

		f = fmemopen(out, olen, "rb");
		assert_int_equal(recording_reader__open(&r, f, "variant.smt", err, sizeof(err)), 0);
		for (unsigned int i = 0; i < n; i++) {
			stream_event(&want, i);
			assert_int_equal(recording_reader__next(r, &ev), 1);
			assert_same_event(&ev, &want);
		}
		assert_int_equal(recording_reader__next(r, &ev), 0);
		assert_null(recording_reader__error(r));
		assert_int_equal(recording_reader__closed(r), 1);
		recording_reader__free(r);
		fclose(f);
	}
	assert_true(blocks > 10);
	free(plain);
	free(out);
	free(file);
}

/* stream_event with names and a few kinds more, so blocks hold literals and references */
static void varied_event(struct smt_event *e, unsigned int i)
{
	static const char *const comms[] = { "kworker/u8:1", "irq/45-virtio", "dd", "fio" };

	stream_event(e, i);
	snprintf(e->comm, sizeof(e->comm), "%s", comms[(i / 7) % 4]);
	if (e->type == SMT_EV_SYNC)
		snprintf(e->smmu, sizeof(e->smmu), "%s", "15000000.iommu");
	e->cpu = (int)(i % 4);
	e->paddr = e->type == SMT_EV_MAP ? 0x80000000ull + (uint64_t)(i * 2654435761u) : 0;
}

/*
 * The writer compresses with libdeflate at every level it accepts (1..9), and
 * each block it writes inflates with zlib's inflate() to exactly the bytes the
 * reader's libdeflate inflate gives, the same bytes at every level (the level
 * changes the compression, never the encoded events); the events read back.
 * Level 0 is the default (1, the same file byte for byte); others are refused.
 */
static void test_every_level_writes_blocks_zlib_inflates_to_the_same_bytes(void **state)
{
	const unsigned int n = 30000;
	uint8_t *plain, *level1 = NULL, *file, *ref_file = NULL;
	size_t level1_len = 0, flen, ref_len = 0;
	char err[256], name[32];

	plain = malloc(RECORDING_MAX_BLOCK);
	assert_non_null(plain);
	for (int level = 0; level <= 9; level++) {
		struct recording_writer_opts opts = { .level = level };
		struct recording_writer *w;
		struct recording_reader *r;
		struct smt_event ev, want;
		const void *data;
		size_t dlen, off, hlen, payload_len = 0;
		unsigned int nev, blocks = 0;
		FILE *f;

		snprintf(name, sizeof(name), "level%d.smt", level);
		assert_int_equal(recording_writer__open(&w, tmp_path(name), NULL, &opts, err,
							sizeof(err)), 0);
		for (unsigned int i = 0; i < n; i++) {
			varied_event(&ev, i);
			assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
		}
		assert_int_equal(recording_writer__close(w), 0);
		file = slurp(tmp_path(name), &flen);
		if (level == 0) {
			ref_file = file;	/* compared with level 1's below */
			ref_len = flen;
			continue;
		}
		if (level == 1) {
			assert_int_equal(flen, ref_len);
			assert_memory_equal(file, ref_file, flen);
		}

		f = fopen(tmp_path(name), "rb");
		assert_non_null(f);
		assert_int_equal(recording_reader__open(&r, f, name, err, sizeof(err)), 0);
		hlen = 16 + le32(file + 12) + 4;
		for (off = hlen; off + RECORDING_BLOCK_HDR_LEN <= flen &&
				 memcmp(file + off, RECORDING_BLOCK_MAGIC, 4) == 0;
		     off += RECORDING_BLOCK_HDR_LEN + le32(file + off + 8)) {
			uint32_t ulen = le32(file + off + 4), clen = le32(file + off + 8);

			assert_int_equal(recording_reader__next_block(r, &data, &dlen, &nev), 1);
			zlib_inflate_block(file + off + RECORDING_BLOCK_HDR_LEN, clen, plain, ulen);
			assert_int_equal(dlen, ulen);
			assert_memory_equal(data, plain, ulen);
			/* deflate did compress: the block is not stored */
			assert_true(clen < ulen / 2);
			if (level == 1) {
				level1 = realloc(level1, level1_len + ulen);
				assert_non_null(level1);
				memcpy(level1 + level1_len, plain, ulen);
				level1_len += ulen;
			} else {
				assert_true(payload_len + ulen <= level1_len);
				assert_memory_equal(level1 + payload_len, plain, ulen);
			}
			payload_len += ulen;
			blocks++;
		}
		assert_int_equal(payload_len, level1_len);
		assert_true(blocks > 3);
		assert_int_equal(recording_reader__next_block(r, &data, &dlen, &nev), 0);
		assert_int_equal(recording_reader__closed(r), 1);
		recording_reader__free(r);
		fclose(f);

		f = fopen(tmp_path(name), "rb");
		assert_int_equal(recording_reader__open(&r, f, name, err, sizeof(err)), 0);
		for (unsigned int i = 0; i < n; i++) {
			varied_event(&want, i);
			assert_int_equal(recording_reader__next(r, &ev), 1);
			assert_same_event(&ev, &want);
		}
		assert_int_equal(recording_reader__next(r, &ev), 0);
		assert_null(recording_reader__error(r));
		recording_reader__free(r);
		fclose(f);
		free(file);
	}

	/* libdeflate would take 10..12 (and 0): the documented range stays zlib's */
	for (size_t i = 0; i < 3; i++) {
		static const int bad[] = { -1, 10, 12 };
		struct recording_writer_opts opts = { .level = bad[i] };
		struct recording_writer *w = (void *)1;

		err[0] = '\0';
		assert_int_equal(recording_writer__open(&w, tmp_path("bad.smt"), NULL, &opts, err,
							sizeof(err)), -EINVAL);
		assert_null(w);
		assert_non_null(strstr(err, "is not 1..9"));
	}
	free(ref_file);
	free(level1);
	free(plain);
}

static void test_bad_event_contents_behind_a_good_checksum_are_rejected(void **state)
{
	static const struct {
		uint8_t bytes[32];
		size_t len;
		uint32_t count;
		const char *field;
	} cases[] = {
		/* type 0 */
		{ { 0, 0, 0, 0 }, 4, 1, "event 1: type" },
		/* type past SMT_EV_MAX */
		{ { SMT_EV_MAX, 0, 0, 0 }, 4, 1, "event 1: type" },
		/* comm literal of 16 bytes: does not fit with its NUL */
		{ { SMT_EV_MAP, 0, 1 << 2, 0, 16 << 1 }, 21, 1, "event 1: comm" },
		/* name literal with a NUL inside */
		{ { SMT_EV_CLK, 0, 0x80, 0x80, 0x10, 0, 2 << 1, 'a', 0 }, 9, 1, "event 1: name" },
		/* string length past the end of the block */
		{ { SMT_EV_CLK, 0, 0x80, 0x80, 0x10, 0, 100, 'a' }, 8, 1, "event 1: name" },
		/* reference to a string the block has not had */
		{ { SMT_EV_CLK, 0, 0x80, 0x80, 0x10, 0, 1 }, 7, 1, "event 1: name" },
		/* reference to a domain the block has not had */
		{ { SMT_EV_MAP, 0, 0x10, 0, 1 }, 5, 1, "event 1: domain" },
		/* a 17-byte name, then referenced as a comm (16 bytes) */
		{ { SMT_EV_CLK, 0, 0x80, 0x80, 0x10, 0, 17 << 1, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
		    'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', SMT_EV_MAP, 0, 1 << 2, 0, 1 },
		  29, 2, "event 2: comm" },
		/* 65 sids */
		{ { SMT_EV_ATTACH, 0, 0x80, 0x80, 0x20, 0, 65 }, 7, 1, "event 1: sids" },
		/* unknown field bit */
		{ { SMT_EV_MAP, 0, 0x80, 0x80, 0x80, 0x01, 0 }, 7, 1, "event 1: fields" },
		/* unknown present bit */
		{ { SMT_EV_MAP, 0x80, 0x80, 0x08, 0, 0 }, 6, 1, "event 1: present" },
		/* varint longer than 64 bits */
		{ { SMT_EV_MAP, 0, 0x10, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		  14, 1, "event 1: domain" },
		/* tlbi scope 3 */
		{ { SMT_EV_TLBI, 0, 1 << 3, 0, 3 }, 5, 1, "event 1: scope" },
		/* a varint cut by the end of the block (the reader pads the block with a 0) */
		{ { SMT_EV_MAP, 0, 1 << 5, 0, 0x80, 0x80 }, 6, 1, "event 1: iova" },
		/* the block ends where a value is due */
		{ { SMT_EV_MAP, 0, 1 << 5, 0 }, 4, 1, "event 1: iova" },
		/* a 10-byte varint with more than 64 bits, the last byte of the block */
		{ { SMT_EV_MAP, 0, 1 << 6, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 },
		  14, 1, "event 1: size" },
		/* clk on = 2 */
		{ { SMT_EV_CLK, 0, 0x80, 0x40, 0, 2 }, 6, 1, "event 1: on" },
		/* the same after a good one (the decoder checks these only when present) */
		{ { SMT_EV_CLK, 0, 0x80, 0x40, 0, 1, SMT_EV_CLK, 0, 0x80, 0x40, 0, 2 }, 12, 2,
		  "event 2: on" },
		/* sync scope 2 */
		{ { SMT_EV_SYNC, 0, 1 << 3, 0, 2 }, 5, 1, "event 1: scope: not a sync scope" },
		/* rpm state 4 */
		{ { SMT_EV_RPM, 0, 0x80, 0x10, 0, 4 }, 6, 1, "event 1: state" },
		/* meta_extra on a map event */
		{ { SMT_EV_MAP, 0, 0x80, 0x80, 0x40, 0, 0 }, 7, 1, "event 1: meta_extra" },
		/* count says 2, the block holds 1 event and 4 spare bytes */
		{ { SMT_EV_MAP, 0, 0, 0, 0xff, 0, 0, 0 }, 8, 2, "event 2: type" },
		/* count says 1, bytes left over */
		{ { SMT_EV_MAP, 0, 0, 0, SMT_EV_MAP, 0, 0, 0 }, 8, 1, "event 1: bytes left" },
		/* count larger than the block could hold */
		{ { SMT_EV_MAP, 0, 0, 0 }, 4, 2, "event count does not fit" },
	};
	uint8_t file[8192];
	char msg[512];
	int nev;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = craft(file, cases[i].bytes, cases[i].len, cases[i].count, 0, 0);

		assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), -EINVAL);
		if (!strstr(msg, cases[i].field) || !strstr(msg, "offset 22: block 1: "))
			fail_msg("case %zu: '%s' lacks '%s'", i, msg, cases[i].field);
	}

	/* and the same machinery accepts a good hand-made event */
	{
		/*
		 * present HAS_NAME, fields ON|NAME, ts 10, on 1, name literal "clk";
		 * then the same with ts + 0 and the name as reference 0
		 */
		const uint8_t good[] = { SMT_EV_CLK, 0x80, 0x20, 0x80, 0xc0, 0x10, 20,
					 1, 3 << 1, 'c', 'l', 'k',
					 SMT_EV_CLK, 0x80, 0x20, 0x80, 0xc0, 0x10, 0,
					 1, 0 << 1 | 1 };
		size_t len = craft(file, good, sizeof(good), 2, 10, 10);

		assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), 0);
		assert_int_equal(nev, 2);
		/* first_ts in the header must match the event */
		len = craft(file, good, sizeof(good), 2, 11, 10);
		assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), -EINVAL);
		assert_non_null(strstr(msg, "first_ts"));
	}
}

/*
 * Version 3's head byte: its flags take values from the event before (or,
 * for the shape, from the last event of the type), hand-made here so the
 * bytes are the format's and not just what the writer does.
 */
static void test_version_3_head_flags_take_the_previous_events_values(void **state)
{
	static const struct {
		uint8_t bytes[16];
		size_t len;
		uint32_t count;
		const char *field;
	} bad[] = {
		/* the same shape as no earlier map */
		{ { SMT_EV_MAP | 0x10, 0 }, 2, 1, "event 1: head" },
		/* the same shape as an earlier unmap, but no map */
		{ { SMT_EV_UNMAP, 0, 0, 0, SMT_EV_MAP | 0x10, 0 }, 6, 2, "event 2: head" },
		/* the same task as the event before, and a cpu as well */
		{ { SMT_EV_MAP | 0x20, 0, 1, 0, 2 }, 5, 1, "event 1: fields" },
		/* the same range, and an iova */
		{ { SMT_EV_MAP | 0x40, 0, 1 << 5, 0, 2 }, 5, 1, "event 1: fields" },
		/* the same domain, and a domain */
		{ { SMT_EV_MAP | 0x80, 0, 1 << 4, 0, 0, 2 }, 6, 1, "event 1: fields" },
		/* type 0, whatever the flags */
		{ { 0x20, 0, 0, 0 }, 4, 1, "event 1: type" },
	};
	/*
	 * map: cpu 3, domain 0x10, iova 0x1000, size 0x10 (fields 0x71);
	 * unmap: the same task, range and domain, nothing else;
	 * map: the first map's shape, cpu 6, domain 0x10 by reference, iova
	 * 0x1000 - 0x800 as a delta, size 0x10
	 */
	static const uint8_t good[] = {
		SMT_EV_MAP, 0, 0x71, 0, 6, 0, 0x10, 0x80, 0x40, 0x10,
		SMT_EV_UNMAP | 0x20 | 0x40 | 0x80, 0, 0, 0,
		SMT_EV_MAP | 0x10, 0, 12, 1, 0xff, 0x1f, 0x10,
	};
	struct recording_reader *r;
	struct smt_event ev[3], end;
	uint8_t file[8192];
	char msg[512];
	size_t len;
	FILE *f;
	int nev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = craft_version(file, 3, bad[i].bytes, bad[i].len, bad[i].count, 0, 0);
		assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), -EINVAL);
		if (!strstr(msg, bad[i].field))
			fail_msg("case %zu: '%s' lacks '%s'", i, msg, bad[i].field);
	}
	len = craft_version(file, 3, good, sizeof(good), 3, 0, 0);
	f = fmemopen(file, len, "rb");
	assert_int_equal(recording_reader__open(&r, f, "x.smt", msg, sizeof(msg)), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(recording_reader__next(r, &ev[i]), 1);
	assert_int_equal(recording_reader__next(r, &end), 0);
	assert_null(recording_reader__error(r));
	recording_reader__free(r);
	fclose(f);
	assert_int_equal(ev[0].cpu, 3);
	assert_true(ev[0].domain == 0x10 && ev[0].iova == 0x1000 && ev[0].size == 0x10);
	assert_int_equal(ev[1].type, SMT_EV_UNMAP);
	assert_int_equal(ev[1].cpu, 3);
	assert_true(ev[1].domain == 0x10 && ev[1].iova == 0x1000 && ev[1].size == 0x10);
	assert_int_equal(ev[2].type, SMT_EV_MAP);
	assert_int_equal(ev[2].cpu, 6);
	assert_true(ev[2].domain == 0x10 && ev[2].iova == 0x800 && ev[2].size == 0x10);
}

static void test_other_version_is_refused_naming_the_version_read(void **state)
{
	uint8_t file[64];
	char msg[512];
	int nev;

	memcpy(file, RECORDING_MAGIC, 8);
	put32(file + 8, 4);
	put32(file + 12, 2);
	memcpy(file + 16, "{}", 2);
	put32(file + 18, (uint32_t)crc32(0, file, 18));
	assert_int_equal(read_crafted(file, 22, msg, sizeof(msg), &nev), -EINVAL);
	assert_string_equal(msg, "x.smt: recording format version 4; this smmutrace reads versions 1 "
			    "to 3 (read it with the smmutrace that wrote it, or a newer one)");
}

static void test_absurd_lengths_are_refused_before_allocating(void **state)
{
	uint8_t file[256];
	uint8_t *h;
	char msg[512];
	int nev;
	size_t len;

	/* metadata length 4 GiB */
	memcpy(file, RECORDING_MAGIC, 8);
	put32(file + 8, 1);
	put32(file + 12, 0xffffffffu);
	assert_int_equal(read_crafted(file, 16, msg, sizeof(msg), &nev), -EINVAL);
	assert_non_null(strstr(msg, "metadata length 4294967295 is over the 16 MiB limit"));

	/* header checksum */
	put32(file + 12, 2);
	memcpy(file + 16, "{}", 2);
	put32(file + 18, 0);
	assert_int_equal(read_crafted(file, 22, msg, sizeof(msg), &nev), -EINVAL);
	assert_non_null(strstr(msg, "header checksum mismatch"));

	/* a block claiming 4 GiB, with a correct header checksum */
	put32(file + 18, (uint32_t)crc32(0, file, 18));
	h = file + 22;
	memset(h, 0, RECORDING_BLOCK_HDR_LEN);
	memcpy(h, RECORDING_BLOCK_MAGIC, 4);
	put32(h + 4, 0xffffffffu);
	put32(h + 8, 0xffffffffu);
	put32(h + 12, 1);
	put32(h + 36, (uint32_t)crc32(0, h, 36));
	len = 22 + RECORDING_BLOCK_HDR_LEN;
	assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), -EINVAL);
	assert_string_equal(msg, "x.smt: offset 22: block 1: block length over the 16 MiB limit or zero "
			    "(corrupt recording); events before it were read");

	/* something that is not a block where one should start */
	memcpy(h, "JUNK", 4);
	assert_int_equal(read_crafted(file, len, msg, sizeof(msg), &nev), -EINVAL);
	assert_non_null(strstr(msg, "offset 22: block 1: no block header here"));
}

/* more distinct strings and domains in one block than its tables hold */
static void table_event(struct smt_event *e, unsigned int i)
{
	event__init(e, SMT_EV_ATTACH, i);
	e->present = SMT_HAS_DOMAIN | SMT_HAS_NAME | SMT_HAS_COMM | SMT_HAS_SMMU;
	e->domain = 0xffff000000000000ull + (uint64_t)(i % 1500) * 0x1000;
	snprintf(e->comm, sizeof(e->comm), "c%u", i % 2500);
	snprintf(e->name, sizeof(e->name), "dev-%u", (i * 7) % 1700);
	snprintf(e->smmu, sizeof(e->smmu), "smmu%u", i % 3);
}

static void test_string_and_domain_tables_overflowing_in_one_block_read_back(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 4u << 20 };
	struct recording_writer *w;
	struct recording_reader *r;
	struct smt_event ev, want;
	const void *data;
	size_t len;
	unsigned int nev;
	char err[256];
	FILE *f;

	assert_int_equal(recording_writer__open(&w, tmp_path("tables.smt"), NULL, &opts, err,
						sizeof(err)), 0);
	for (unsigned int i = 0; i < 6000; i++) {
		table_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__close(w), 0);

	f = fopen(tmp_path("tables.smt"), "rb");
	assert_int_equal(recording_reader__open(&r, f, "tables.smt", err, sizeof(err)), 0);
	for (unsigned int i = 0; i < 6000; i++) {
		table_event(&want, i);
		assert_int_equal(recording_reader__next(r, &ev), 1);
		assert_same_event(&ev, &want);
	}
	assert_int_equal(recording_reader__next(r, &ev), 0);
	recording_reader__free(r);
	/* all of it was one block */
	rewind(f);
	assert_int_equal(recording_reader__open(&r, f, "tables.smt", err, sizeof(err)), 0);
	assert_int_equal(recording_reader__next_block(r, &data, &len, &nev), 1);
	assert_int_equal(nev, 6000);
	recording_reader__free(r);
	fclose(f);
}

static void test_writer_refuses_events_the_reader_would_refuse(void **state)
{
	struct recording_writer *w;
	struct smt_event ev;
	char err[256];

	assert_int_equal(recording_writer__open(&w, tmp_path("bad.smt"), NULL, NULL, err,
						sizeof(err)), 0);
	event__init(&ev, SMT_EV_NONE, 1);
	assert_int_equal(recording_writer__write(w, &ev, NULL), -EINVAL);
	event__init(&ev, SMT_EV_TLBI, 1);
	ev.scope = 3;
	assert_int_equal(recording_writer__write(w, &ev, NULL), -EINVAL);
	event__init(&ev, SMT_EV_ATTACH, 1);
	ev.nsids = SMT_MAX_SIDS + 1;
	assert_int_equal(recording_writer__write(w, &ev, NULL), -EINVAL);
	event__init(&ev, SMT_EV_MAP, 1);
	ev.present = 1u << 20;
	assert_int_equal(recording_writer__write(w, &ev, NULL), -EINVAL);
	/* and is still usable afterwards */
	event__init(&ev, SMT_EV_MAP, 1);
	assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	assert_int_equal(recording_writer__close(w), 0);
}

static void test_write_errors_are_returned(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 64 };
	struct recording_writer *w;
	struct smt_event ev;
	char err[256];
	int rc = 0;

	/* /dev/full: the header write itself fails with ENOSPC */
	assert_int_equal(recording_writer__open(&w, "/dev/full", NULL, &opts, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "/dev/full: write failed: No space left on device"));

	assert_int_equal(recording_writer__open(&w, tmp_path("no/such/dir.smt"), NULL, &opts, err,
						sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create"));

	/* a pipe whose reader is gone: block writes fail with EPIPE, not silently */
	{
		int fds[2], saved = dup(STDOUT_FILENO);

		assert_int_equal(pipe(fds), 0);
		signal(SIGPIPE, SIG_IGN);
		fflush(stdout);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[1]);
		assert_int_equal(recording_writer__open(&w, "-", NULL, &opts, err, sizeof(err)), 0);
		close(fds[0]);
		for (unsigned int i = 0; i < 100 && rc == 0; i++) {
			stream_event(&ev, i);
			rc = recording_writer__write(w, &ev, NULL);
		}
		assert_int_equal(rc, -EPIPE);
		assert_int_equal(recording_writer__close(w), -EPIPE);
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

static void test_bytes_counts_what_is_on_disk(void **state)
{
	struct recording_writer_opts opts = { .block_bytes = 100 };
	struct recording_writer *w;
	struct smt_event ev;
	unsigned long long before = 0;
	size_t len;
	char err[256];

	assert_int_equal(recording_writer__open(&w, tmp_path("bytes.smt"), "{}", &opts, err,
						sizeof(err)), 0);
	assert_int_equal(recording_writer__bytes(w), 8 + 4 + 4 + 2 + 4);
	/* 50 events or more, up to one that leaves its block pending */
	for (unsigned int i = 0; i < 50 || recording_writer__bytes(w) != before; i++) {
		before = recording_writer__bytes(w);
		stream_event(&ev, i);
		assert_int_equal(recording_writer__write(w, &ev, NULL), 0);
	}
	assert_int_equal(recording_writer__flush(w), 0);
	assert_true(recording_writer__bytes(w) > before);
	free(slurp(tmp_path("bytes.smt"), &len));
	assert_int_equal(len, recording_writer__bytes(w));
	assert_int_equal(recording_writer__close(w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_event_type_round_trips_exactly),
		cmocka_unit_test(test_null_metadata_is_empty_object),
		cmocka_unit_test(test_each_event_is_exact_whatever_preceded_it),
		cmocka_unit_test(test_each_event_is_exact_whatever_preceded_it_in_version_2),
		cmocka_unit_test(test_many_blocks_read_back_in_order),
		cmocka_unit_test(test_file_cut_at_every_byte_reads_whole_blocks_then_warns_where_it_ends),
		cmocka_unit_test(test_flipped_byte_in_a_block_is_a_checksum_error_naming_its_offset),
		cmocka_unit_test(test_bad_event_contents_behind_a_good_checksum_are_rejected),
		cmocka_unit_test(test_blocks_are_zlib_raw_deflate_both_ways),
		cmocka_unit_test(test_every_level_writes_blocks_zlib_inflates_to_the_same_bytes),
		cmocka_unit_test(test_version_3_head_flags_take_the_previous_events_values),
		cmocka_unit_test(test_other_version_is_refused_naming_the_version_read),
		cmocka_unit_test(test_close_block_counts_and_trailing_bytes_are_checked),
		cmocka_unit_test(test_format_1_file_without_close_block_reads_without_warning),
		cmocka_unit_test(test_absurd_lengths_are_refused_before_allocating),
		cmocka_unit_test(test_string_and_domain_tables_overflowing_in_one_block_read_back),
		cmocka_unit_test(test_writer_refuses_events_the_reader_would_refuse),
		cmocka_unit_test(test_write_errors_are_returned),
		cmocka_unit_test(test_bytes_counts_what_is_on_disk),
	};

	return cmocka_run_group_tests_name("recording", tests, setup_dir, teardown_dir);
}
