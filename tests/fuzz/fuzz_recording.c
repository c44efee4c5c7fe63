// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Arbitrary bytes as a recording: the reader must end with 0 or an error
 * message, never crash, hang or allocate past the format's limits.
 *
 * The first byte picks a mode. Raw: the bytes are the file (odd first byte:
 * part of them is handed over as the format sniffer's prefix). Wrapped
 * (bit 1 set): the rest becomes the payload of one block with valid
 * checksums, so that the event decoder itself is reached, which random
 * bytes behind CRC32s almost never do; in a version-3 file if bit 2 is set
 * (head byte flags), else in a version-2 one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "recording.h"
#include "recording_blocks.h"

/* every byte after the string's NUL is zero, as in a struct that was zeroed first */
static bool zero_tail(const char *s, size_t cap)
{
	for (size_t i = strnlen(s, cap); i < cap; i++)
		if (s[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* header "{}" + one block: count = data[1], payload = data[2..]; version by data[0] bit 2 */
static uint8_t *wrap(const uint8_t *data, size_t size, size_t *len)
{
	const uint8_t *payload = data + 2;
	size_t plen = size - 2;
	uLongf clen = compressBound(plen);
	uint8_t *out = malloc(22 + RECORDING_BLOCK_HDR_LEN + clen), *h;

	if (!out)
		return NULL;
	memcpy(out, RECORDING_MAGIC, RECORDING_MAGIC_LEN);
	le32(out + 8, data[0] & 4 ? RECORDING_VERSION : 2);
	le32(out + 12, 2);
	memcpy(out + 16, "{}", 2);
	le32(out + 18, (uint32_t)crc32(0, out, 18));
	h = out + 22;
	{
		/* raw deflate, as the format has it */
		z_stream zs = { 0 };
		int zrc;

		if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			free(out);
			return NULL;
		}
		zs.next_in = (Bytef *)payload;
		zs.avail_in = (uInt)plen;
		zs.next_out = h + RECORDING_BLOCK_HDR_LEN;
		zs.avail_out = (uInt)clen;
		zrc = deflate(&zs, Z_FINISH);
		clen = clen - zs.avail_out;
		deflateEnd(&zs);
		if (zrc != Z_STREAM_END) {
			free(out);
			return NULL;
		}
	}
	memset(h, 0, RECORDING_BLOCK_HDR_LEN);
	memcpy(h, RECORDING_BLOCK_MAGIC, 4);
	le32(h + 4, (uint32_t)plen);
	le32(h + 8, (uint32_t)clen);
	le32(h + 12, data[1]);
	/* first_ts/last_ts stay 0: events with ts 0 get past that check */
	le32(h + 32, (uint32_t)crc32(0, h + RECORDING_BLOCK_HDR_LEN, clen));
	le32(h + 36, (uint32_t)crc32(0, h, 36));
	*len = 22 + RECORDING_BLOCK_HDR_LEN + clen;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording_reader *r;
	const struct smt_event *ev;
	uint8_t *owned = NULL;
	size_t prefix = 0;
	char err[512];
	FILE *f;
	int rc;

	if (size < 2)
		return 0;
	if (data[0] & 2) {
		owned = wrap(data, size, &size);
		if (!owned)
			return 0;
		data = owned;
	} else if (data[0] & 1) {
		prefix = size < RECORDING_MAGIC_LEN ? size - 1 : RECORDING_MAGIC_LEN;
	}
	f = size > prefix ? fmemopen((void *)(data + prefix), size - prefix, "rb")
			  : fopen("/dev/null", "rb");
	if (!f) {
		free(owned);
		return 0;
	}
	rc = recording_reader__open_prefixed(&r, f, "fuzz", data, prefix, err, sizeof(err));
	if (rc == 0) {
		(void)strlen(recording_reader__meta_json(r));
		/* next_ref: the reader's own event, which it clears only partly between events */
		while ((rc = recording_reader__next_ref(r, &ev)) == 1) {
			const char *me = recording_reader__meta_extra(r);

			if (me)
				(void)strlen(me);
			if (ev->type == 0 || ev->type >= SMT_EV_MAX || ev->nsids > SMT_MAX_SIDS ||
			    ev->name[SMT_NAME_LEN - 1] || ev->smmu[SMT_NAME_LEN - 1] ||
			    ev->comm[SMT_COMM_LEN - 1])
				__builtin_trap();	/* the reader let a bad event through */
			if (!zero_tail(ev->comm, SMT_COMM_LEN) || !zero_tail(ev->smmu, SMT_NAME_LEN) ||
			    !zero_tail(ev->name, SMT_NAME_LEN))
				__builtin_trap();	/* a previous event's string left behind */
			for (uint32_t i = ev->nsids; i < SMT_MAX_SIDS; i++)
				if (ev->sids[i])
					__builtin_trap();	/* a previous event's SIDs left behind */
		}
		if (rc < 0 && !recording_reader__error(r))
			__builtin_trap();	/* an error without a message */
		recording_reader__free(r);
	} else if (!err[0]) {
		__builtin_trap();
	}
	fclose(f);
	free(owned);
	return 0;
}
