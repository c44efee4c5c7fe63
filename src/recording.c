// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Recordings (SPEC §7): the on-disk format, its writer and its reader.
 *
 * Format version 3. Little-endian everywhere; CRC32 is zlib's crc32().
 *
 *   header:
 *     8  magic           RECORDING_MAGIC "SMMUTRC\x01"
 *     4  version         3 (2: events without the head byte below; 1: the
 *                        first release, version 2 without the close block)
 *     4  meta_len        <= 16 MiB
 *     N  meta            JSON object text, no NUL ("{}" when the writer had none):
 *                        kernel, arch, board text, hook table, DMA mode, ...
 *     4  crc             CRC32 of every byte above
 *
 *   then zero or more blocks, each:
 *     4  magic           "SMTB"
 *     4  ulen            uncompressed payload bytes, 1..16 MiB
 *     4  clen            compressed payload bytes, 1..16 MiB
 *     4  count           events in the block, >= 1
 *     8  first_ts        ts of the first event
 *     8  last_ts         ts of the last event
 *     4  payload_crc     CRC32 of the compressed payload
 *     4  header_crc      CRC32 of the 36 bytes above
 *     clen bytes         raw deflate stream (RFC 1951) inflating to ulen
 *                        bytes (no zlib wrapper: payload_crc already covers
 *                        the bytes, an adler32 of the output would only
 *                        repeat that work on every replay). Written with
 *                        libdeflate, by earlier writers with zlib: the
 *                        same format, any raw deflate decoder reads both
 *
 *   then, when the writer closed the file (end of capture, SIGINT/SIGTERM,
 *   rotation), one close block, the last bytes of the file:
 *     4  magic           "SMTE"
 *     4  blocks          event blocks before it
 *     8  events          events in them
 *     4  crc             CRC32 of the 16 bytes above
 *   A version-2 or 3 file without it was not closed (the capture was killed, the
 *   board lost power): readers read it up to its last whole block and warn.
 *   Version-1 files cannot say: they are read as before, without a warning
 *   unless they are cut inside a block.
 *
 *   the payload is COUNT events back to back, each:
 *     u8      head       bits 0-3: type (SMT_EV_*); bits 4-7: HEAD_SAME_*
 *                        flags, each standing for values of the previous
 *                        event of this block (all zero before the first):
 *                        SHAPE (0x10): present and fields are omitted, they
 *                          are those of the last event of the same type in
 *                          this block (an error if there is none);
 *                        CTX (0x20): cpu, pid and comm are the previous
 *                          event's;
 *                        RANGE (0x40): iova and size are the previous
 *                          event's;
 *                        DOMAIN (0x80): domain is the previous event's.
 *                        What a flag gives may not also be in fields.
 *     varint  present    SMT_HAS_* bits, as in struct smt_event
 *     varint  fields     REC_F_* bits: which of the values below follow
 *     varint  ts         zigzag(ts - previous ts in this block); the first
 *                        event of a block is relative to 0, so every block
 *                        decodes on its own
 *     values in REC_F_* bit order, only those whose bit is set:
 *                        unsigned as LEB128 varints, signed as zigzag
 *                        varints, sids as varint count (<= SMT_MAX_SIDS) +
 *                        one varint each, and for meta events the free-form
 *                        meta fields (JSON object text) as varint length +
 *                        bytes;
 *                        iova as zigzag(iova - the last nonzero iova of an
 *                        event of this block, 0 before the first);
 *                        comm/smmu/name as varint tag: tag & 1 = 0: a
 *                        literal of tag >> 1 bytes follows (no NUL, shorter
 *                        than the struct field); tag & 1 = 1: the same as
 *                        string number tag >> 1 of this block (literals are
 *                        numbered in order, the first 1024 of them);
 *                        domain as varint tag: 0 = a varint value follows,
 *                        k > 0 = the k-th distinct domain value written as
 *                        a value in this block (the first 1024)
 *
 *   Version 2 (and 1) events are the same without the head byte's flags
 *   (a u8 type where the head is) and with iova as a plain varint.
 *
 * "fields" is separate from "present" so that the struct round-trips exactly
 * (a value that is zero is simply not written), whatever a producer put in it.
 * The per-block string and domain tables halve the bytes to inflate and
 * decode (comm, SMMU name and the 64-bit domain pointer repeat on almost
 * every event), while keeping every block readable on its own. The head
 * byte's flags (version 3) do the same for what consecutive events share: a
 * DMA op's unmap, TLBI and sync come from one task and range, and events of a
 * type have one shape. With IOVAs as deltas they took a board-like stream
 * (bench_consumer -b) from 21.7 to 8.2 payload bytes per event, the bench
 * stream (gen_stream) from 21.5 to 14.9: less to encode, to compress while
 * tracing (level-1 deflate costs per input byte) and to inflate on replay.
 *
 * A block is written with one write() and readers stop at the first block
 * that is not whole, so a capture killed at any moment leaves a file whose
 * whole blocks all read back: a cut file is a warning, not bad input (SPEC §7);
 * a checksum that fails is damage, an error. Readers check every length against the bytes
 * that remain and the limits above before allocating or copying.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <libdeflate.h>
#include <zlib.h>
#include "recording.h"
#include "recording_blocks.h"

#define HDR_FIXED_LEN		(RECORDING_MAGIC_LEN + 4 + 4)
#define DEFAULT_BLOCK_BYTES	(64u << 10)
/* writer blocks stay well under RECORDING_MAX_BLOCK even after deflate's worst case */
#define MAX_BLOCK_BYTES		(8u << 20)
/* free-form meta fields of one meta event (JSONL lines are at most 1 MiB) */
#define MAX_META_EXTRA		(4u << 20)
/* smallest event: type, present, fields, ts; version 3: head, ts */
#define MIN_EVENT_BYTES		4
#define MIN_EVENT_BYTES_V3	2
/* per-block back-reference tables (see the format above) */
#define REC_MAX_STRS		1024
#define REC_MAX_DOMS		1024
#define REF_HASH_SLOTS		2048	/* power of two, twice the table sizes */
/* writer levels: zlib's 1..9, kept when the writer moved to libdeflate (which takes 0..12) */
#define LEVEL_MIN		1
#define LEVEL_MAX		9
#define LEVEL_DEFAULT		1

#define PRESENT_KNOWN		((SMT_HAS_DUR << 1) - 1)

/* version 3: the head byte of an event, its type in the low 4 bits */
#define HEAD_TYPE		0x0f
#define HEAD_SAME_SHAPE		0x10
#define HEAD_SAME_CTX		0x20
#define HEAD_SAME_RANGE		0x40
#define HEAD_SAME_DOMAIN	0x80
_Static_assert(SMT_EV_MAX <= HEAD_TYPE + 1, "a version-3 head byte holds every event type");

enum {
	REC_F_CPU		= 1u << 0,
	REC_F_PID		= 1u << 1,
	REC_F_COMM		= 1u << 2,
	REC_F_SCOPE		= 1u << 3,
	REC_F_DOMAIN		= 1u << 4,
	REC_F_IOVA		= 1u << 5,
	REC_F_SIZE		= 1u << 6,
	REC_F_PADDR		= 1u << 7,
	REC_F_RET		= 1u << 8,
	REC_F_DUR		= 1u << 9,
	REC_F_COUNT		= 1u << 10,
	REC_F_STATE		= 1u << 11,
	REC_F_FLAGS		= 1u << 12,
	REC_F_ON		= 1u << 13,
	REC_F_TIMEOUT		= 1u << 14,
	REC_F_STRICT		= 1u << 15,
	REC_F_SINCE_BOOT	= 1u << 16,
	REC_F_SMMU		= 1u << 17,
	REC_F_NAME		= 1u << 18,
	REC_F_SIDS		= 1u << 19,
	REC_F_META_EXTRA	= 1u << 20,
	REC_F_KNOWN		= (1u << 21) - 1,
	/* fields event_problem() checks beyond type and present */
	REC_F_CHECKED		= REC_F_SCOPE | REC_F_STATE | REC_F_ON | REC_F_TIMEOUT |
				  REC_F_STRICT | REC_F_SINCE_BOOT | REC_F_SIDS,
};

/* varints: 10 bytes per value at most; the fixed part of an event fits in this */
#define MAX_EVENT_FIXED (1 + 3 * 10 + 17 * 10 + 3 * (10 + SMT_NAME_LEN) + 10 + SMT_MAX_SIDS * 5 + 10)

/* ---- byte helpers ----------------------------------------------------------- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
}

/*
 * What is wrong with EV as far as the format is concerned, or NULL. The writer
 * refuses what the reader would refuse, so every recording written reads back.
 * The reader runs it only for events with a field in REC_F_CHECKED: a new
 * check of another field belongs in that mask too.
 */
static const char *event_problem(const struct smt_event *ev)
{
	if (ev->type == SMT_EV_NONE || ev->type >= SMT_EV_MAX)
		return "type: not an event type";
	if (ev->present & ~(uint32_t)PRESENT_KNOWN)
		return "present: unknown field bits";
	if (ev->type == SMT_EV_TLBI && ev->scope > SMT_TLBI_ALL)
		return "scope: not a tlbi scope";
	if (ev->type == SMT_EV_SYNC && ev->scope > SMT_SYNC_GLOBAL)
		return "scope: not a sync scope";
	if (ev->type == SMT_EV_RPM && ev->state > SMT_RPM_RESUMING)
		return "state: not a runtime-PM state";
	if (ev->on > 1 || ev->timeout > 1 || ev->strict > 1 || ev->since_boot > 1)
		return "on/timeout/strict/since_boot: not a boolean";
	if (ev->nsids > SMT_MAX_SIDS)
		return "sids: more than SMT_MAX_SIDS";
	return NULL;
}

/* ---- writer ----------------------------------------------------------------- */

/*
 * A string field's last value written in this block, as the whole struct
 * field, and its reference: the next event's comm or SMMU name is most often
 * the same, and comparing 16 or 64 bytes costs less than measuring, hashing
 * and looking it up (about a fifth of the writer's encoding instructions).
 */
struct str_cache {
	uint64_t raw[SMT_NAME_LEN / 8];
	uint32_t ref;			/* 1 + its index in the string table; 0 = none */
};

struct recording_writer {
	int fd;
	bool own_fd;
	bool sync_blocks;
	bool v3;			/* version 3 (else 2: tests of the older encoding) */
	int err;			/* first write error, returned from then on */
	size_t block_bytes;
	uint8_t *buf;			/* encoded events of the block being filled */
	size_t len, cap;
	uint8_t *out;			/* block header + compressed payload */
	size_t out_cap;
	/*
	 * Blocks are compressed whole, so libdeflate's whole-buffer compressor
	 * does it: on the board `record` shares the CPUs the DMA runs on, and
	 * it costs less than zlib's deflate() at the same level (README,
	 * Performance).
	 */
	struct libdeflate_compressor *ld;
	uint32_t count;
	uint64_t first_ts, last_ts, prev_ts;
	unsigned long long bytes;
	uint32_t nblocks;		/* written, for the close block */
	uint64_t nevents;
	/* this block's string and domain tables, hashed; slots hold index + 1 */
	uint32_t nstrs, str_off[REC_MAX_STRS];
	uint8_t str_len[REC_MAX_STRS];
	uint16_t str_slot[REF_HASH_SLOTS];
	uint32_t ndoms;
	uint64_t dom_val[REC_MAX_DOMS];
	uint16_t dom_slot[REF_HASH_SLOTS];
	/* the last comm, smmu and name written in this block (see str_cache) */
	struct str_cache last_comm, last_smmu, last_name;
	/* the previous event of this block, for the head byte's SAME_* flags */
	int32_t pv_cpu, pv_pid;
	uint64_t pv_comm[SMT_COMM_LEN / 8];
	uint64_t pv_iova, pv_size, pv_domain, iova_base;
	/* the last present and fields of each type in this block (HEAD_SAME_SHAPE) */
	uint32_t shape_present[16], shape_fields[16];
	uint32_t shape_set;		/* bit TYPE: an event of TYPE was written */
};

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static bool buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *nb;
	size_t ncap;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap : 4096;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(*buf, ncap);
	if (!nb)
		return false;
	*buf = nb;
	*cap = ncap;
	return true;
}

static void writer_destroy(struct recording_writer *w)
{
	if (w->own_fd && w->fd >= 0)
		close(w->fd);
	libdeflate_free_compressor(w->ld);
	free(w->buf);
	free(w->out);
	free(w);
}

/* FD: -1 = create PATH ("-" = stdout); else write to FD (not closed by us) */
static int writer_start(struct recording_writer **out, const char *path, int fd,
			const char *meta_json, const struct recording_writer_opts *opts,
			char *err, size_t errlen)
{
	struct recording_writer *w;
	size_t meta_len, hlen;
	unsigned int version;
	uint8_t *hdr;
	int level, rc;

	*out = NULL;
	if (!meta_json)
		meta_json = "{}";
	meta_len = strlen(meta_json);
	if (meta_len > RECORDING_MAX_META) {
		snprintf(err, errlen, "%s: recording metadata is %zu bytes, over the %u MiB limit",
			 path, meta_len, RECORDING_MAX_META >> 20);
		return -E2BIG;
	}
	version = opts && opts->version ? opts->version : RECORDING_VERSION;
	if (version != 2 && version != RECORDING_VERSION) {
		snprintf(err, errlen, "%s: format version %u cannot be written (2 or %d)", path,
			 version, RECORDING_VERSION);
		return -EINVAL;
	}
	level = opts && opts->level ? opts->level : LEVEL_DEFAULT;
	if (level < LEVEL_MIN || level > LEVEL_MAX) {
		snprintf(err, errlen, "%s: compression level %d is not %d..%d", path, level,
			 LEVEL_MIN, LEVEL_MAX);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	w->fd = -1;
	w->block_bytes = opts && opts->block_bytes ? opts->block_bytes : DEFAULT_BLOCK_BYTES;
	if (w->block_bytes > MAX_BLOCK_BYTES)
		w->block_bytes = MAX_BLOCK_BYTES;
	w->sync_blocks = opts && opts->sync_blocks;
	w->v3 = version >= 3;
	w->ld = libdeflate_alloc_compressor(level);
	if (!w->ld) {
		free(w);
		snprintf(err, errlen, "%s: out of memory (libdeflate)", path);
		return -ENOMEM;
	}
	if (!buf_reserve(&w->buf, &w->cap, w->block_bytes + MAX_EVENT_FIXED)) {
		writer_destroy(w);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}

	if (fd >= 0) {
		w->fd = fd;
	} else if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot create: %s (check that the directory exists and is writable)",
				 path, strerror(-rc));
			writer_destroy(w);
			return rc;
		}
		w->own_fd = true;
	}

	hlen = HDR_FIXED_LEN + meta_len + 4;
	hdr = malloc(hlen);
	if (!hdr) {
		writer_destroy(w);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(hdr, RECORDING_MAGIC, RECORDING_MAGIC_LEN);
	put_le32(hdr + RECORDING_MAGIC_LEN, version);
	put_le32(hdr + RECORDING_MAGIC_LEN + 4, (uint32_t)meta_len);
	memcpy(hdr + HDR_FIXED_LEN, meta_json, meta_len);
	put_le32(hdr + HDR_FIXED_LEN + meta_len, crc(hdr, HDR_FIXED_LEN + meta_len));
	rc = write_all(w->fd, hdr, hlen);
	free(hdr);
	if (!rc && w->sync_blocks && fsync(w->fd) && errno != EINVAL)
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
		writer_destroy(w);
		return rc;
	}
	w->bytes = hlen;
	*out = w;
	return 0;
}

int recording_writer__open(struct recording_writer **out, const char *path,
			   const char *meta_json, const struct recording_writer_opts *opts,
			   char *err, size_t errlen)
{
	return writer_start(out, path, -1, meta_json, opts, err, errlen);
}

int recording_writer__open_fd(struct recording_writer **out, int fd, const char *name,
			      const char *meta_json, const struct recording_writer_opts *opts,
			      char *err, size_t errlen)
{
	return writer_start(out, name, fd, meta_json, opts, err, errlen);
}

static uint8_t *put_bytes(uint8_t *p, const char *s, size_t n)
{
	p = put_varint(p, n);
	memcpy(p, s, n);
	return p + n;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static uint32_t hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

/* the struct field S (CAP bytes, 16 or 64) holds what cache C holds */
static inline bool str_cached(const struct str_cache *c, const char *s, size_t cap)
{
	uint64_t d = 0, v;

	for (size_t i = 0; i < cap / 8; i++) {
		memcpy(&v, s + 8 * i, 8);
		d |= v ^ c->raw[i];
	}
	return c->ref && !d;
}

/*
 * A string as a reference to an earlier literal of this block, or as a
 * literal; S is a struct field of CAP bytes holding N before its NUL. C
 * remembers the field and its reference, when it has one.
 */
static uint8_t *put_str(struct recording_writer *w, uint8_t *p, const char *s, size_t n,
			struct str_cache *c, size_t cap)
{
	uint32_t h = hash_bytes(s, n) & (REF_HASH_SLOTS - 1), i;

	for (; w->str_slot[h]; h = (h + 1) & (REF_HASH_SLOTS - 1)) {
		i = w->str_slot[h] - 1u;
		if (w->str_len[i] == n && !memcmp(w->buf + w->str_off[i], s, n))
			goto ref;
	}
	p = put_varint(p, (uint64_t)n << 1);
	c->ref = 0;
	if (w->nstrs < REC_MAX_STRS) {
		w->str_off[w->nstrs] = (uint32_t)(p - w->buf);
		w->str_len[w->nstrs] = (uint8_t)n;
		w->str_slot[h] = (uint16_t)++w->nstrs;
		memcpy(c->raw, s, cap);
		c->ref = w->nstrs;
	}
	memcpy(p, s, n);
	return p + n;
ref:
	memcpy(c->raw, s, cap);
	c->ref = i + 1;
	return put_varint(p, (uint64_t)i << 1 | 1);
}

static uint8_t *put_domain(struct recording_writer *w, uint8_t *p, uint64_t v)
{
	uint32_t h = hash_u64(v) & (REF_HASH_SLOTS - 1);

	for (; w->dom_slot[h]; h = (h + 1) & (REF_HASH_SLOTS - 1)) {
		uint32_t i = w->dom_slot[h] - 1u;

		if (w->dom_val[i] == v)
			return put_varint(p, (uint64_t)i + 1);
	}
	*p++ = 0;
	if (w->ndoms < REC_MAX_DOMS) {
		w->dom_val[w->ndoms] = v;
		w->dom_slot[h] = (uint16_t)++w->ndoms;
	}
	return put_varint(p, v);
}

/*
 * Strings from our producers are always terminated (bpf_probe_read_kernel_str,
 * the JSONL reader's length checks); an unterminated one is cut rather than
 * ending a capture over one odd name.
 */
static size_t name_len(const char *s, size_t cap)
{
	return strnlen(s, cap - 1);
}

/*
 * A string field of CAP bytes: 0 when empty, else nonzero: *HIT says it is
 * the one C holds (written as C's reference), otherwise the length.
 */
static inline size_t str_field(const struct str_cache *c, const char *s, size_t cap, bool *hit)
{
	*hit = false;
	if (!s[0])
		return 0;
	if (str_cached(c, s, cap)) {
		*hit = true;
		return 1;
	}
	return name_len(s, cap);
}

static inline uint8_t *put_str_field(struct recording_writer *w, uint8_t *p, const char *s,
				     size_t n, bool hit, struct str_cache *c, size_t cap)
{
	if (hit)
		return put_varint(p, (uint64_t)(c->ref - 1) << 1 | 1);
	return put_str(w, p, s, n, c, cap);
}

int recording_writer__write(struct recording_writer *w, const struct smt_event *ev,
			    const char *meta_extra)
{
	size_t comm_n = 0, smmu_n = 0, name_n = 0, extra_n = 0;
	bool comm_hit = false, smmu_hit, name_hit;
	uint64_t comm[SMT_COMM_LEN / 8];
	uint32_t f = 0;
	uint8_t head = (uint8_t)ev->type;
	uint8_t *p;

	if (w->err)
		return w->err;
	if (event_problem(ev))
		return -EINVAL;
	memcpy(comm, ev->comm, sizeof(comm));
	if (ev->type != SMT_EV_META)
		meta_extra = NULL;
	if (meta_extra) {
		extra_n = strlen(meta_extra);
		if (extra_n > MAX_META_EXTRA)
			return -E2BIG;
		f |= REC_F_META_EXTRA;
	}
	/* tlbi, sync and unmap of one DMA op: the same task as the event before */
	if (w->v3 && (ev->cpu | ev->pid | comm[0] | comm[1]) && ev->cpu == w->pv_cpu &&
	    ev->pid == w->pv_pid && comm[0] == w->pv_comm[0] && comm[1] == w->pv_comm[1]) {
		head |= HEAD_SAME_CTX;
	} else {
		if (ev->cpu)
			f |= REC_F_CPU;
		if (ev->pid)
			f |= REC_F_PID;
		comm_n = str_field(&w->last_comm, ev->comm, sizeof(ev->comm), &comm_hit);
		if (comm_n)
			f |= REC_F_COMM;
	}
	if (ev->scope)
		f |= REC_F_SCOPE;
	if (ev->domain)
		f |= REC_F_DOMAIN;
	if (ev->iova)
		f |= REC_F_IOVA;
	if (ev->size)
		f |= REC_F_SIZE;
	if (ev->paddr)
		f |= REC_F_PADDR;
	if (ev->ret)
		f |= REC_F_RET;
	if (ev->dur)
		f |= REC_F_DUR;
	if (ev->count)
		f |= REC_F_COUNT;
	if (ev->state)
		f |= REC_F_STATE;
	if (ev->flags)
		f |= REC_F_FLAGS;
	if (ev->on)
		f |= REC_F_ON;
	if (ev->timeout)
		f |= REC_F_TIMEOUT;
	if (ev->strict)
		f |= REC_F_STRICT;
	if (ev->since_boot)
		f |= REC_F_SINCE_BOOT;
	smmu_n = str_field(&w->last_smmu, ev->smmu, sizeof(ev->smmu), &smmu_hit);
	if (smmu_n)
		f |= REC_F_SMMU;
	name_n = str_field(&w->last_name, ev->name, sizeof(ev->name), &name_hit);
	if (name_n)
		f |= REC_F_NAME;
	if (ev->nsids)
		f |= REC_F_SIDS;

	if (!buf_reserve(&w->buf, &w->cap, w->len + MAX_EVENT_FIXED + extra_n))
		return -ENOMEM;
	if (w->count == 0) {
		w->prev_ts = 0;
		w->first_ts = ev->ts;
	}
	/* what the previous event of the block already said (see the format) */
	if (w->v3) {
		if ((ev->iova | ev->size) && ev->iova == w->pv_iova && ev->size == w->pv_size) {
			head |= HEAD_SAME_RANGE;
			f &= ~(uint32_t)(REC_F_IOVA | REC_F_SIZE);
		}
		if (ev->domain && ev->domain == w->pv_domain) {
			head |= HEAD_SAME_DOMAIN;
			f &= ~(uint32_t)REC_F_DOMAIN;
		}
		if ((w->shape_set >> ev->type & 1) && w->shape_present[ev->type] == ev->present &&
		    w->shape_fields[ev->type] == f)
			head |= HEAD_SAME_SHAPE;
	}
	p = w->buf + w->len;
	*p++ = head;
	if (!(head & HEAD_SAME_SHAPE)) {
		p = put_varint(p, ev->present);
		p = put_varint(p, f);
		w->shape_present[ev->type] = ev->present;
		w->shape_fields[ev->type] = f;
		w->shape_set |= 1u << ev->type;
	}
	p = put_varint(p, zigzag((int64_t)(ev->ts - w->prev_ts)));
	if (f & REC_F_CPU)
		p = put_varint(p, zigzag(ev->cpu));
	if (f & REC_F_PID)
		p = put_varint(p, zigzag(ev->pid));
	if (f & REC_F_COMM)
		p = put_str_field(w, p, ev->comm, comm_n, comm_hit, &w->last_comm, sizeof(ev->comm));
	if (f & REC_F_SCOPE)
		p = put_varint(p, ev->scope);
	if (f & REC_F_DOMAIN)
		p = put_domain(w, p, ev->domain);
	if (f & REC_F_IOVA)
		p = put_varint(p, w->v3 ? zigzag((int64_t)(ev->iova - w->iova_base)) : ev->iova);
	if (f & REC_F_SIZE)
		p = put_varint(p, ev->size);
	if (f & REC_F_PADDR)
		p = put_varint(p, ev->paddr);
	if (f & REC_F_RET)
		p = put_varint(p, zigzag(ev->ret));
	if (f & REC_F_DUR)
		p = put_varint(p, ev->dur);
	if (f & REC_F_COUNT)
		p = put_varint(p, ev->count);
	if (f & REC_F_STATE)
		p = put_varint(p, ev->state);
	if (f & REC_F_FLAGS)
		p = put_varint(p, ev->flags);
	if (f & REC_F_ON)
		p = put_varint(p, ev->on);
	if (f & REC_F_TIMEOUT)
		p = put_varint(p, ev->timeout);
	if (f & REC_F_STRICT)
		p = put_varint(p, ev->strict);
	if (f & REC_F_SINCE_BOOT)
		p = put_varint(p, ev->since_boot);
	if (f & REC_F_SMMU)
		p = put_str_field(w, p, ev->smmu, smmu_n, smmu_hit, &w->last_smmu, sizeof(ev->smmu));
	if (f & REC_F_NAME)
		p = put_str_field(w, p, ev->name, name_n, name_hit, &w->last_name, sizeof(ev->name));
	if (f & REC_F_SIDS) {
		p = put_varint(p, ev->nsids);
		for (uint32_t i = 0; i < ev->nsids; i++)
			p = put_varint(p, ev->sids[i]);
	}
	if (f & REC_F_META_EXTRA)
		p = put_bytes(p, meta_extra, extra_n);
	w->len = (size_t)(p - w->buf);
	w->count++;
	w->prev_ts = ev->ts;
	w->pv_cpu = ev->cpu;
	w->pv_pid = ev->pid;
	w->pv_comm[0] = comm[0];
	w->pv_comm[1] = comm[1];
	w->pv_iova = ev->iova;
	w->pv_size = ev->size;
	w->pv_domain = ev->domain;
	if (ev->iova)
		w->iova_base = ev->iova;
	w->last_ts = ev->ts;
	if (w->len >= w->block_bytes)
		return recording_writer__flush(w);
	return 0;
}

int recording_writer__flush(struct recording_writer *w)
{
	uint8_t *h;
	size_t bound, clen;
	int rc;

	if (w->err)
		return w->err;
	if (w->count == 0)
		return 0;
	bound = libdeflate_deflate_compress_bound(w->ld, w->len);
	if (!buf_reserve(&w->out, &w->out_cap, RECORDING_BLOCK_HDR_LEN + bound))
		return -ENOMEM;	/* the block stays buffered: a later flush may succeed */
	/* 0 only if the output did not fit, which the bound rules out */
	clen = libdeflate_deflate_compress(w->ld, w->buf, w->len,
					   w->out + RECORDING_BLOCK_HDR_LEN, bound);
	if (clen == 0)
		return w->err = -EIO;

	h = w->out;
	memcpy(h, RECORDING_BLOCK_MAGIC, 4);
	put_le32(h + 4, (uint32_t)w->len);
	put_le32(h + 8, (uint32_t)clen);
	put_le32(h + 12, w->count);
	put_le64(h + 16, w->first_ts);
	put_le64(h + 24, w->last_ts);
	put_le32(h + 32, crc(h + RECORDING_BLOCK_HDR_LEN, clen));
	put_le32(h + 36, crc(h, 36));

	/* one write() per block: a kill leaves whole blocks and one partial tail */
	rc = write_all(w->fd, h, RECORDING_BLOCK_HDR_LEN + clen);
	/* EINVAL: fsync on a pipe or terminal, nothing to make durable */
	if (!rc && w->sync_blocks && fsync(w->fd) && errno != EINVAL)
		rc = -errno;
	if (rc)
		return w->err = rc;
	w->bytes += RECORDING_BLOCK_HDR_LEN + clen;
	w->nblocks++;
	w->nevents += w->count;
	w->len = 0;
	w->count = 0;
	w->nstrs = 0;
	w->ndoms = 0;
	memset(w->str_slot, 0, sizeof(w->str_slot));
	w->last_comm.ref = w->last_smmu.ref = w->last_name.ref = 0;
	/* every block decodes on its own: no reference to the one before */
	w->pv_cpu = w->pv_pid = 0;
	w->pv_comm[0] = w->pv_comm[1] = 0;
	w->pv_iova = w->pv_size = w->pv_domain = w->iova_base = 0;
	w->shape_set = 0;
	memset(w->dom_slot, 0, sizeof(w->dom_slot));
	return 0;
}

unsigned long long recording_writer__bytes(const struct recording_writer *w)
{
	return w->bytes;
}

int recording_writer__close(struct recording_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = recording_writer__flush(w);
	if (!rc) {
		uint8_t c[RECORDING_CLOSE_LEN];

		/* says the capture ended on purpose; readers warn about files without it */
		memcpy(c, RECORDING_CLOSE_MAGIC, 4);
		put_le32(c + 4, w->nblocks);
		put_le64(c + 8, w->nevents);
		put_le32(c + 16, crc(c, 16));
		rc = write_all(w->fd, c, sizeof(c));
		if (!rc && w->sync_blocks && fsync(w->fd) && errno != EINVAL)
			rc = -errno;
		if (!rc)
			w->bytes += sizeof(c);
	}
	if (w->own_fd) {
		if (close(w->fd) && !rc)
			rc = -errno;
		w->fd = -1;
	}
	writer_destroy(w);
	return rc;
}

/* ---- reader ----------------------------------------------------------------- */

/* what a string field of the reader's event holds (see decode_event) */
struct str_field {
	bool set;			/* not all zero */
	uint32_t ref;			/* 1 + its index in the block's string table, or NO_REF */
};
#define NO_REF	0

/*
 * An event the reader decodes into, and what decode_event must clear of it
 * before the next one (it stays all-zero outside the fields its event set).
 */
struct ev_slot {
	struct smt_event ev;
	struct str_field comm, smmu, name_f;
	uint32_t nsids_set;
};

struct recording_reader {
	FILE *f;
	char *name;
	uint8_t *prefix;		/* bytes the format sniffer already consumed */
	size_t prefix_len, prefix_pos;
	unsigned long long off;		/* bytes consumed so far */
	unsigned long long good_end;	/* end of the last whole block (or header) */
	unsigned long long block_off;	/* where the current block starts */
	unsigned long block_no;		/* 1-based number of the current block */
	char *meta;
	uint8_t *zbuf;			/* compressed payload */
	size_t zcap;
	uint8_t *buf;			/* inflated payload */
	size_t cap, len, pos;
	uint32_t nevents, ev_no;	/* events in the block, events decoded */
	uint64_t prev_ts, first_ts, last_ts;
	uint32_t version;
	uint32_t blocks_read;		/* whole blocks, for the close block's counts */
	uint64_t events_in_blocks;
	int closed;			/* 1 close block read, 0 not (yet), -1 version 1 */
	bool ended;			/* the end was reached (cleanly or cut) */
	char warn[512];			/* how it ended, when it was not closed */
	/*
	 * Blocks are inflated whole, so libdeflate's whole-buffer decoder does
	 * it (same raw deflate as zlib writes, about twice as fast as inflate()).
	 */
	struct libdeflate_decompressor *ld;
	char *meta_extra;		/* of the last meta event returned */
	bool has_meta_extra;
	/* this block's string and domain tables (strings zero-padded, + a spare slot) */
	uint32_t nstrs;
	uint8_t str_len[REC_MAX_STRS];
	char str_text[REC_MAX_STRS + 1][SMT_NAME_LEN];
	uint32_t ndoms;
	uint64_t dom_val[REC_MAX_DOMS];
	/* version 3: the previous event's values, for the head byte's SAME_* flags */
	int32_t pv_cpu, pv_pid;
	char pv_comm[SMT_COMM_LEN];
	uint32_t pv_comm_ref;		/* as str_field.ref */
	bool pv_comm_set;
	uint64_t pv_iova, pv_size, pv_domain, iova_base;
	uint32_t shape_present[16], shape_fields[16];
	uint32_t shape_set;		/* bit TYPE: an event of TYPE was decoded */
	/* next_ref() decodes into slot[0], next_batch() into slot[0..n) */
	struct ev_slot slot[RECORDING_BATCH_MAX];
	int err;
	char msg[512];
};

__attribute__((format(printf, 3, 4)))
static int rfail(struct recording_reader *r, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->msg, sizeof(r->msg), "%s: ", r->name);
	if (n < 0 || (size_t)n >= sizeof(r->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof(r->msg) - n, fmt, ap);
	va_end(ap);
	r->err = rc;
	return rc;
}

/* Read up to N bytes (prefix first); returns how many, < N only at end or error. */
static size_t rread(struct recording_reader *r, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t got = 0;

	if (r->prefix_pos < r->prefix_len) {
		size_t k = r->prefix_len - r->prefix_pos;

		if (k > n)
			k = n;
		memcpy(d, r->prefix + r->prefix_pos, k);
		r->prefix_pos += k;
		got = k;
	}
	if (got < n)
		got += fread(d + got, 1, n - got, r->f);
	r->off += got;
	return got;
}

/*
 * The header is written with one write() before any event: a file that ends
 * inside it was damaged or cut before the capture wrote anything.
 */
static int short_header(struct recording_reader *r, uint32_t meta_len)
{
	if (ferror(r->f))
		return rfail(r, -EIO, "read error at byte %llu: %s", r->off, strerror(errno));
	return rfail(r, -EINVAL,
		     "offset %d: header: the file ends at byte %llu, inside the recording header "
		     "(metadata length %u); no events to read (corrupt, or cut before the "
		     "capture wrote its header)", RECORDING_MAGIC_LEN + 4, r->off, meta_len);
}

/*
 * The file ends inside a block: what a capture killed mid-write or a board
 * losing power leaves. Not bad input (SPEC §7): a warning, and a clean end.
 */
static int cut_in_block(struct recording_reader *r)
{
	if (ferror(r->f))
		return rfail(r, -EIO, "read error at byte %llu: %s", r->off, strerror(errno));
	r->ended = true;
	snprintf(r->warn, sizeof(r->warn),
		 "%s: warning: cut at byte %llu inside block %lu (the capture was killed or the "
		 "board lost power): read up to its last whole block, which ends at byte %llu "
		 "(%llu events)", r->name, r->off, r->block_no, r->good_end,
		 (unsigned long long)r->events_in_blocks);
	return 0;
}

/* a clean end at a block boundary: closed (close block) or not */
static int end_of_blocks(struct recording_reader *r)
{
	r->ended = true;
	if (r->version < 2) {
		r->closed = -1;	/* the first release wrote no close block */
		return 0;
	}
	if (r->closed == 1)
		return 0;
	if (r->blocks_read)
		snprintf(r->warn, sizeof(r->warn),
			 "%s: warning: not closed (the capture was killed or the board lost power): "
			 "it ends after block %u at byte %llu; its %llu events were read", r->name,
			 r->blocks_read, r->good_end, (unsigned long long)r->events_in_blocks);
	else
		snprintf(r->warn, sizeof(r->warn),
			 "%s: warning: not closed (the capture was killed or the board lost power): "
			 "it ends right after its header at byte %llu, with no events", r->name,
			 r->good_end);
	return 0;
}

static int corrupt(struct recording_reader *r, const char *what)
{
	return rfail(r, -EINVAL, "offset %llu: block %lu: %s (corrupt recording); events before it were read",
		     r->block_off, r->block_no, what);
}

static int read_header(struct recording_reader *r)
{
	uint8_t fixed[HDR_FIXED_LEN], tail[4];
	uint32_t version, meta_len, want;
	uLong c;

	if (rread(r, fixed, sizeof(fixed)) < sizeof(fixed)) {
		if (r->off < RECORDING_MAGIC_LEN ||
		    memcmp(fixed, RECORDING_MAGIC, RECORDING_MAGIC_LEN) != 0)
			goto not_recording;
		return short_header(r, 0);
	}
	if (memcmp(fixed, RECORDING_MAGIC, RECORDING_MAGIC_LEN) != 0)
		goto not_recording;
	version = get_le32(fixed + RECORDING_MAGIC_LEN);
	meta_len = get_le32(fixed + RECORDING_MAGIC_LEN + 4);
	if (version < 1 || version > RECORDING_VERSION)
		return rfail(r, -EINVAL,
			     "recording format version %u; this smmutrace reads versions 1 to %d (%s)",
			     version, RECORDING_VERSION,
			     version > RECORDING_VERSION ? "read it with the smmutrace that wrote it, or a newer one"
							 : "the header is corrupt");
	r->version = version;
	if (meta_len > RECORDING_MAX_META)
		return rfail(r, -EINVAL, "offset %d: header: metadata length %u is over the %u MiB limit "
			     "(corrupt recording)", RECORDING_MAGIC_LEN + 4, meta_len,
			     RECORDING_MAX_META >> 20);
	r->meta = malloc((size_t)meta_len + 1);
	if (!r->meta)
		return rfail(r, -ENOMEM, "out of memory");
	if (rread(r, r->meta, meta_len) < meta_len || rread(r, tail, 4) < 4)
		return short_header(r, meta_len);
	r->meta[meta_len] = '\0';
	c = crc32(crc32(0, Z_NULL, 0), fixed, sizeof(fixed));
	c = crc32(c, (const Bytef *)r->meta, meta_len);
	want = get_le32(tail);
	if ((uint32_t)c != want)
		return rfail(r, -EINVAL, "offset 0: header checksum mismatch (corrupt recording): no events read");
	if (memchr(r->meta, '\0', meta_len))
		return rfail(r, -EINVAL, "offset %d: header: metadata contains a NUL byte (corrupt recording)",
			     HDR_FIXED_LEN);
	r->good_end = r->off;
	return 0;

not_recording:
	return rfail(r, -EINVAL, "not a smmutrace recording (it does not start with the recording magic)");
}

int recording_reader__open_prefixed(struct recording_reader **out, FILE *f, const char *name,
				    const void *prefix, size_t prefix_len,
				    char *err, size_t errlen)
{
	struct recording_reader *r;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name ? name : "<recording>"))) {
		free(r);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	r->f = f;
	if (prefix_len) {
		r->prefix = malloc(prefix_len);
		if (!r->prefix) {
			recording_reader__free(r);
			snprintf(err, errlen, "%s: out of memory", name);
			return -ENOMEM;
		}
		memcpy(r->prefix, prefix, prefix_len);
		r->prefix_len = prefix_len;
	}
	r->ld = libdeflate_alloc_decompressor();
	if (!r->ld) {
		recording_reader__free(r);
		snprintf(err, errlen, "%s: out of memory (libdeflate)", name);
		return -ENOMEM;
	}
	rc = read_header(r);
	if (rc) {
		snprintf(err, errlen, "%s", r->msg);
		recording_reader__free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int recording_reader__open(struct recording_reader **out, FILE *f, const char *name,
			   char *err, size_t errlen)
{
	return recording_reader__open_prefixed(out, f, name, NULL, 0, err, errlen);
}

/* The close block whose magic is in H: checked, and nothing may follow it. */
static int read_close(struct recording_reader *r, uint8_t *h)
{
	uint8_t extra;
	char what[160];

	if (rread(r, h + 4, RECORDING_CLOSE_LEN - 4) < RECORDING_CLOSE_LEN - 4)
		return cut_in_block(r);
	if (get_le32(h + 16) != crc(h, 16))
		return corrupt(r, "close block: checksum mismatch");
	if (get_le32(h + 4) != r->blocks_read || get_le64(h + 8) != r->events_in_blocks) {
		snprintf(what, sizeof(what), "close block: says %u blocks and %llu events, the file "
			 "has %u and %llu", get_le32(h + 4), (unsigned long long)get_le64(h + 8),
			 r->blocks_read, (unsigned long long)r->events_in_blocks);
		return corrupt(r, what);
	}
	if (rread(r, &extra, 1) == 1)
		return corrupt(r, "bytes after the close block");
	r->good_end = r->off;
	r->closed = 1;
	return end_of_blocks(r);
}

/* Read, check and inflate the next block. 1 = loaded, 0 = clean end, <0 error. */
static int load_block(struct recording_reader *r)
{
	uint8_t h[RECORDING_BLOCK_HDR_LEN];
	uint32_t ulen, clen, count;
	size_t got;
	size_t in_used, out_len;

	if (r->ended)
		return 0;
	r->block_off = r->off;
	r->block_no++;
	got = rread(r, h, 4);
	if (got == 0 && !ferror(r->f))
		return end_of_blocks(r);
	if (got < 4)
		return cut_in_block(r);
	if (r->version >= 2 && !memcmp(h, RECORDING_CLOSE_MAGIC, 4))
		return read_close(r, h);
	/* checked before reading on: damage here is not a cut */
	if (memcmp(h, RECORDING_BLOCK_MAGIC, 4) != 0)
		return corrupt(r, "no block header here");
	got += rread(r, h + 4, sizeof(h) - 4);
	if (got < sizeof(h))
		return cut_in_block(r);
	if (get_le32(h + 36) != crc(h, 36))
		return corrupt(r, "checksum mismatch");
	ulen = get_le32(h + 4);
	clen = get_le32(h + 8);
	count = get_le32(h + 12);
	r->first_ts = get_le64(h + 16);
	r->last_ts = get_le64(h + 24);
	if (ulen == 0 || ulen > RECORDING_MAX_BLOCK || clen == 0 || clen > RECORDING_MAX_BLOCK)
		return corrupt(r, "block length over the 16 MiB limit or zero");
	if (count == 0 || count > ulen / (r->version >= 3 ? MIN_EVENT_BYTES_V3 : MIN_EVENT_BYTES))
		return corrupt(r, "event count does not fit the block length");
	/* + 1: the zero byte after the payload that decode_event relies on */
	if (!buf_reserve(&r->zbuf, &r->zcap, clen) || !buf_reserve(&r->buf, &r->cap, (size_t)ulen + 1))
		return rfail(r, -ENOMEM, "out of memory");
	if (rread(r, r->zbuf, clen) < clen)
		return cut_in_block(r);
	if (get_le32(h + 32) != crc(r->zbuf, clen))
		return corrupt(r, "checksum mismatch");
	/* the whole payload must be one deflate stream of exactly ulen bytes */
	if (libdeflate_deflate_decompress_ex(r->ld, r->zbuf, clen, r->buf, ulen, &in_used,
					     &out_len) != LIBDEFLATE_SUCCESS ||
	    in_used != clen || out_len != ulen)
		return corrupt(r, "payload does not inflate to the length in its header");
	r->buf[ulen] = 0;
	r->len = ulen;
	r->pos = 0;
	r->nevents = count;
	/* the string table is per block: the fields keep their text, not their references */
	for (int k = 0; k < RECORDING_BATCH_MAX; k++)
		r->slot[k].comm.ref = r->slot[k].smmu.ref = r->slot[k].name_f.ref = NO_REF;
	r->ev_no = 0;
	r->prev_ts = 0;
	r->nstrs = 0;
	r->ndoms = 0;
	r->pv_cpu = r->pv_pid = 0;
	r->pv_comm_set = false;
	r->pv_comm_ref = NO_REF;
	r->pv_iova = r->pv_size = r->pv_domain = r->iova_base = 0;
	r->shape_set = 0;
	r->good_end = r->off;
	r->blocks_read++;
	r->events_in_blocks += count;
	return 1;
}

/*
 * Event decoding. Events are decoded straight into the reader's own structs
 * (r->slot[]), each all-zero outside the fields its current event carries:
 * instead of zeroing 496 bytes per event, the decoder clears only what the
 * previous event left (its numeric fields, its strings, its SIDs), and a
 * string that repeats the previous event's reference to the block's string
 * table is not copied again.
 *
 * The inflated block is followed by a zero byte (load_block puts it there):
 * a varint cut by the end of the block stops on it, one byte past the end,
 * so reading a varint needs no bounds check per byte, only one per value.
 */

static inline bool rd_varint(const uint8_t *b, size_t len, size_t *pos, uint64_t *out)
{
	size_t i = *pos;
	uint64_t v;

	if (i >= len)
		return false;
	v = b[i++];
	if (v < 0x80) {
		*out = v;
		*pos = i;
		return true;
	}
	v &= 0x7f;
	for (unsigned int shift = 7; shift < 64; shift += 7) {
		uint8_t c = b[i++];	/* at worst the zero byte at b[len] */

		if (shift == 63 && c > 1)
			return false;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			if (i > len)
				return false;	/* the varint ran into the end of the block */
			*pos = i;
			*out = v;
			return true;
		}
	}
	return false;
}

/* __u64 is unsigned long long, uint64_t may be unsigned long: no pointer casts between them */
static inline bool get_u64(const uint8_t *b, size_t len, size_t *pos, __u64 *out)
{
	uint64_t v;

	if (!rd_varint(b, len, pos, &v))
		return false;
	*out = v;
	return true;
}

static inline bool get_u32(const uint8_t *b, size_t len, size_t *pos, uint32_t *out)
{
	uint64_t v;

	if (!rd_varint(b, len, pos, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline bool get_s32(const uint8_t *b, size_t len, size_t *pos, int32_t *out)
{
	uint64_t v;
	int64_t s;

	if (!rd_varint(b, len, pos, &v))
		return false;
	s = unzigzag(v);
	if (s < INT32_MIN || s > INT32_MAX)
		return false;
	*out = (int32_t)s;
	return true;
}

static inline bool get_u8(const uint8_t *b, size_t len, size_t *pos, uint8_t *out)
{
	uint64_t v;

	if (!rd_varint(b, len, pos, &v) || v > UINT8_MAX)
		return false;
	*out = (uint8_t)v;
	return true;
}

/*
 * A string field of the reader's event: copied from its zero-padded slot in
 * the string table with a fixed-size copy (a variable-length one costs more
 * than the 16 or 64 bytes), unless it holds that string already.
 */
static inline void set_str(struct str_field *s, char *dst, const char *slot, size_t cap,
			   uint32_t ref)
{
	if (s->ref == ref && ref != NO_REF)
		return;
	if (cap == SMT_COMM_LEN)
		memcpy(dst, slot, SMT_COMM_LEN);
	else
		memcpy(dst, slot, SMT_NAME_LEN);
	s->set = true;
	s->ref = ref;
}

static inline void clear_str(struct str_field *s, char *dst, size_t cap)
{
	if (!s->set)
		return;
	if (cap == SMT_COMM_LEN)
		memset(dst, 0, SMT_COMM_LEN);
	else
		memset(dst, 0, SMT_NAME_LEN);
	s->set = false;
	s->ref = NO_REF;
}

/*
 * A string (literal or reference) shorter than CAP without NUL bytes, into
 * DST. Inlined by force: out of line it took the address of decode_event's
 * position, which then lived on the stack (14 % of decoding's instructions).
 */
static inline __attribute__((always_inline))
bool get_str(struct recording_reader *r, size_t *pos, struct str_field *s, char *dst, size_t cap)
{
	const uint8_t *b = r->buf;
	size_t len = r->len;
	uint64_t tag, n;
	uint32_t i;

	if (!rd_varint(b, len, pos, &tag))
		return false;
	n = tag >> 1;
	if (tag & 1) {
		if (n >= r->nstrs || r->str_len[n] >= cap)
			return false;
		set_str(s, dst, r->str_text[n], cap, (uint32_t)n + 1);
		return true;
	}
	if (n == 0 || n >= cap || n > len - *pos || memchr(b + *pos, '\0', n))
		return false;
	/* past the table's end a literal still goes through the spare slot */
	i = r->nstrs < REC_MAX_STRS ? r->nstrs : REC_MAX_STRS;
	memset(r->str_text[i], 0, SMT_NAME_LEN);
	memcpy(r->str_text[i], b + *pos, n);
	if (i < REC_MAX_STRS) {
		r->str_len[r->nstrs++] = (uint8_t)n;
		set_str(s, dst, r->str_text[i], cap, i + 1);
	} else {
		set_str(s, dst, r->str_text[i], cap, NO_REF);
	}
	*pos += n;
	return true;
}

static inline bool get_domain(struct recording_reader *r, size_t *pos, __u64 *out)
{
	uint64_t tag, v;

	if (!rd_varint(r->buf, r->len, pos, &tag))
		return false;
	if (tag) {
		if (tag > r->ndoms)
			return false;
		*out = r->dom_val[tag - 1];
		return true;
	}
	if (!rd_varint(r->buf, r->len, pos, &v))
		return false;
	if (r->ndoms < REC_MAX_DOMS)
		r->dom_val[r->ndoms++] = v;
	*out = v;
	return true;
}

/*
 * Back to zero: the numeric fields decode_event may not overwrite, as plain
 * stores (gcc made the memsets of them a `rep stos`, slow to start: 5 % of
 * inflate + decode), and the SIDs the previous event set.
 */
static inline void clear_numeric(struct ev_slot *sl)
{
	struct smt_event *ev = &sl->ev;

	ev->scope = 0;
	ev->cpu = ev->pid = 0;
	ev->domain = ev->iova = ev->size = ev->paddr = 0;
	ev->ret = 0;
	ev->dur = ev->count = 0;
	ev->state = ev->flags = 0;
	ev->on = ev->timeout = ev->strict = ev->since_boot = 0;
	ev->nsids = 0;
	if (sl->nsids_set) {
		memset(ev->sids, 0, sl->nsids_set * sizeof(ev->sids[0]));
		sl->nsids_set = 0;
	}
}

/* Decode one event at r->pos into slot SL. NULL, or the field that is wrong. */
static const char *decode_event(struct recording_reader *r, struct ev_slot *sl)
{
	struct smt_event *ev = &sl->ev;
	const uint8_t *b = r->buf;
	size_t len = r->len, pos = r->pos;
	const bool v3 = r->version >= 3;
	uint64_t v;
	uint32_t f, present, head, same = 0;
	const char *bad;

	clear_numeric(sl);
	if (pos >= len)
		return "type: past the end of the block";
	head = b[pos++];
	ev->type = (uint16_t)head;
	if (v3) {
		ev->type = (uint16_t)(head & HEAD_TYPE);
		/* the fields the SAME_* flags give: none of them may follow */
		if (head & HEAD_SAME_CTX)
			same |= REC_F_CPU | REC_F_PID | REC_F_COMM;
		if (head & HEAD_SAME_RANGE)
			same |= REC_F_IOVA | REC_F_SIZE;
		if (head & HEAD_SAME_DOMAIN)
			same |= REC_F_DOMAIN;
	}
	if (v3 && (head & HEAD_SAME_SHAPE)) {
		if (!(r->shape_set >> ev->type & 1))
			return "head: same shape as no earlier event of its type in the block";
		present = r->shape_present[ev->type];
		f = r->shape_fields[ev->type];
	} else {
		if (!get_u32(b, len, &pos, &present))
			return "present";
		if (!get_u32(b, len, &pos, &f) || (f & ~(uint32_t)REC_F_KNOWN))
			return "fields";
		if (v3) {
			r->shape_present[ev->type] = present;
			r->shape_fields[ev->type] = f;
			r->shape_set |= 1u << ev->type;
		}
	}
	if (f & same)
		return "fields: a value the head byte says is the previous event's";
	ev->present = present;
	if (!rd_varint(b, len, &pos, &v))
		return "ts";
	ev->ts = r->prev_ts + (uint64_t)unzigzag(v);
	if (same & REC_F_CPU) {
		ev->cpu = r->pv_cpu;
		ev->pid = r->pv_pid;
	}
	if ((f & REC_F_CPU) && !get_s32(b, len, &pos, &ev->cpu))
		return "cpu";
	if ((f & REC_F_PID) && !get_s32(b, len, &pos, &ev->pid))
		return "pid";
	if (f & REC_F_COMM) {
		if (!get_str(r, &pos, &sl->comm, ev->comm, sizeof(ev->comm)))
			return "comm";
	} else if ((same & REC_F_COMM) && r->pv_comm_set) {
		set_str(&sl->comm, ev->comm, r->pv_comm, sizeof(ev->comm), r->pv_comm_ref);
	} else {
		clear_str(&sl->comm, ev->comm, sizeof(ev->comm));
	}
	if (f & REC_F_SCOPE) {
		if (!rd_varint(b, len, &pos, &v) || v > UINT16_MAX)
			return "scope";
		ev->scope = (uint16_t)v;
	}
	if ((f & REC_F_DOMAIN) && !get_domain(r, &pos, &ev->domain))
		return "domain";
	if (same & REC_F_DOMAIN)
		ev->domain = r->pv_domain;
	if (f & REC_F_IOVA) {
		if (!rd_varint(b, len, &pos, &v))
			return "iova";
		ev->iova = v3 ? r->iova_base + (uint64_t)unzigzag(v) : v;
	}
	if ((f & REC_F_SIZE) && !get_u64(b, len, &pos, &ev->size))
		return "size";
	if (same & REC_F_IOVA) {
		ev->iova = r->pv_iova;
		ev->size = r->pv_size;
	}
	if ((f & REC_F_PADDR) && !get_u64(b, len, &pos, &ev->paddr))
		return "paddr";
	if (f & REC_F_RET) {
		if (!rd_varint(b, len, &pos, &v))
			return "ret";
		ev->ret = unzigzag(v);
	}
	if ((f & REC_F_DUR) && !get_u64(b, len, &pos, &ev->dur))
		return "dur";
	if ((f & REC_F_COUNT) && !get_u64(b, len, &pos, &ev->count))
		return "count";
	if ((f & REC_F_STATE) && !get_u32(b, len, &pos, &ev->state))
		return "state";
	if ((f & REC_F_FLAGS) && !get_u32(b, len, &pos, &ev->flags))
		return "flags";
	if ((f & REC_F_ON) && !get_u8(b, len, &pos, &ev->on))
		return "on";
	if ((f & REC_F_TIMEOUT) && !get_u8(b, len, &pos, &ev->timeout))
		return "timeout";
	if ((f & REC_F_STRICT) && !get_u8(b, len, &pos, &ev->strict))
		return "strict";
	if ((f & REC_F_SINCE_BOOT) && !get_u8(b, len, &pos, &ev->since_boot))
		return "since_boot";
	if (f & REC_F_SMMU) {
		if (!get_str(r, &pos, &sl->smmu, ev->smmu, sizeof(ev->smmu)))
			return "smmu";
	} else {
		clear_str(&sl->smmu, ev->smmu, sizeof(ev->smmu));
	}
	if (f & REC_F_NAME) {
		if (!get_str(r, &pos, &sl->name_f, ev->name, sizeof(ev->name)))
			return "name";
	} else {
		clear_str(&sl->name_f, ev->name, sizeof(ev->name));
	}
	if (f & REC_F_SIDS) {
		if (!get_u32(b, len, &pos, &ev->nsids) || ev->nsids == 0 || ev->nsids > SMT_MAX_SIDS)
			return "sids";
		sl->nsids_set = ev->nsids;
		for (uint32_t i = 0; i < ev->nsids; i++)
			if (!get_u32(b, len, &pos, &ev->sids[i]))
				return "sids";
	}
	if (f & REC_F_META_EXTRA) {
		if (ev->type != SMT_EV_META || !rd_varint(b, len, &pos, &v) ||
		    v > MAX_META_EXTRA || v > len - pos || memchr(b + pos, '\0', v))
			return "meta_extra";
		free(r->meta_extra);
		r->meta_extra = malloc(v + 1);
		if (!r->meta_extra)
			return "meta_extra: out of memory";
		memcpy(r->meta_extra, b + pos, v);
		r->meta_extra[v] = '\0';
		pos += v;
		r->has_meta_extra = true;
	} else if (ev->type == SMT_EV_META) {
		r->has_meta_extra = false;
	}
	/*
	 * Fields this event does not carry are zero and pass every check of
	 * event_problem() but the first two: the rest only when it has one.
	 */
	if (ev->type == SMT_EV_NONE || ev->type >= SMT_EV_MAX ||
	    (present & ~(uint32_t)PRESENT_KNOWN) || (f & REC_F_CHECKED)) {
		bad = event_problem(ev);
		if (bad)
			return bad;
	}
	r->pos = pos;
	r->prev_ts = ev->ts;
	if (v3) {
		r->pv_cpu = ev->cpu;
		r->pv_pid = ev->pid;
		r->pv_comm_set = sl->comm.set;
		if (sl->comm.set) {
			memcpy(r->pv_comm, ev->comm, SMT_COMM_LEN);
			r->pv_comm_ref = sl->comm.ref;
		}
		r->pv_iova = ev->iova;
		r->pv_size = ev->size;
		r->pv_domain = ev->domain;
		if (ev->iova)
			r->iova_base = ev->iova;
	}
	return NULL;
}

/* the next event into slot SL: 1, 0 at the end, or an error */
static int next_into(struct recording_reader *r, struct ev_slot *sl)
{
	const char *bad;
	char what[160];
	int rc;

	if (r->err)
		return r->err;
	while (r->ev_no == r->nevents) {
		rc = load_block(r);
		if (rc <= 0)
			return rc;
	}
	bad = decode_event(r, sl);
	if (!bad && r->ev_no == 0 && sl->ev.ts != r->first_ts)
		bad = "ts: not the block's first_ts";
	r->ev_no++;
	if (!bad && r->ev_no == r->nevents) {
		if (r->pos != r->len)
			bad = "bytes left after the last event";
		else if (sl->ev.ts != r->last_ts)
			bad = "ts: not the block's last_ts";
	}
	if (bad) {
		snprintf(what, sizeof(what), "event %u: %s", r->ev_no, bad);
		return corrupt(r, what);
	}
	return 1;
}

int recording_reader__next_ref(struct recording_reader *r, const struct smt_event **ev)
{
	int rc = next_into(r, &r->slot[0]);

	if (rc == 1)
		*ev = &r->slot[0].ev;
	return rc;
}

int recording_reader__next_batch(struct recording_reader *r, const struct smt_event **evs,
				 unsigned int max)
{
	unsigned int n = 0;
	int rc = 1;

	if (max > RECORDING_BATCH_MAX)
		max = RECORDING_BATCH_MAX;
	while (n < max) {
		rc = next_into(r, &r->slot[n]);
		if (rc != 1)
			break;
		evs[n] = &r->slot[n].ev;
		/* meta_extra() is of the last meta event: end the batch there */
		if (evs[n++]->type == SMT_EV_META)
			break;
	}
	/* an end or error after some events is returned by the next call (r->err, r->ended stay) */
	return n ? (int)n : rc;
}

int recording_reader__next(struct recording_reader *r, struct smt_event *ev)
{
	const struct smt_event *e;
	int rc = recording_reader__next_ref(r, &e);

	if (rc == 1)
		*ev = *e;
	return rc;
}

int recording_reader__next_block(struct recording_reader *r, const void **data, size_t *len,
				 unsigned int *nevents)
{
	int rc;

	if (r->err)
		return r->err;
	rc = load_block(r);
	if (rc <= 0)
		return rc;
	r->ev_no = r->nevents;	/* consumed as a whole */
	*data = r->buf;
	*len = r->len;
	*nevents = r->nevents;
	return 1;
}

unsigned long long recording_reader__good_end(const struct recording_reader *r)
{
	return r->good_end;
}

const char *recording_reader__warning(const struct recording_reader *r)
{
	return r->ended && r->warn[0] ? r->warn : NULL;
}

int recording_reader__closed(const struct recording_reader *r)
{
	return r->closed;
}

unsigned int recording_reader__version(const struct recording_reader *r)
{
	return r->version;
}

const char *recording_reader__error(const struct recording_reader *r)
{
	return r->err ? r->msg : NULL;
}

const char *recording_reader__meta_json(const struct recording_reader *r)
{
	return r->meta;
}

const char *recording_reader__meta_extra(const struct recording_reader *r)
{
	return r->has_meta_extra ? r->meta_extra : NULL;
}

void recording_reader__free(struct recording_reader *r)
{
	if (!r)
		return;
	libdeflate_free_decompressor(r->ld);
	free(r->name);
	free(r->prefix);
	free(r->meta);
	free(r->zbuf);
	free(r->buf);
	free(r->meta_extra);
	free(r);
}

char *recording__meta_board(const char *meta_json)
{
	struct json_object *root, *b;
	char *text = NULL;

	if (!meta_json)
		return NULL;
	root = json_tokener_parse(meta_json);
	if (root && json_object_object_get_ex(root, "board", &b) &&
	    json_object_is_type(b, json_type_string))
		text = strdup(json_object_get_string(b));
	json_object_put(root);
	return text;
}
