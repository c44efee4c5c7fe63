// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Offline event sources: a recording or a JSONL stream, told apart by the
 * recording magic. The sniffed bytes are handed to the chosen reader instead
 * of seeking back, so pipes and stdin work.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "jsonl.h"
#include "recording.h"
#include "source.h"

/* What identifies a recording of any version: the magic without its version byte. */
#define RECORDING_ID_LEN (RECORDING_MAGIC_LEN - 1)

struct ev_source {
	char *name;
	FILE *f;
	bool own_f;
	struct jsonl_reader *jsonl;
	struct recording_reader *rec;
	struct smt_event ev;	/* JSONL events for next_ref() */
	char warn[256];		/* an empty input */
};

/*
 * Bytes of the recording magic that match: a recording with one damaged byte
 * there must not be read as JSONL (it would be "a NUL byte on line 1").
 */
static int magic_matches(const unsigned char *buf, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n && i < RECORDING_MAGIC_LEN; i++)
		k += buf[i] == (unsigned char)RECORDING_MAGIC[i];
	return k;
}

static bool looks_like_recording(const unsigned char *buf, size_t n)
{
	/*
	 * A JSONL stream starts with '{' or whitespace, never with "SMMU": a
	 * cut-off or newer-version recording still goes to the recording
	 * reader, which can say what is wrong with it.
	 */
	if (n < 4)
		return false;
	return !memcmp(buf, RECORDING_MAGIC, n < RECORDING_ID_LEN ? n : RECORDING_ID_LEN);
}

/* Compressed input is a common mistake (a gzipped capture from a test farm). */
static const char *compression(const unsigned char *buf, size_t n)
{
	if (n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return "gzip";
	if (n >= 4 && !memcmp(buf, "\x28\xb5\x2f\xfd", 4))
		return "zstd";
	if (n >= 6 && !memcmp(buf, "\xfd" "7zXZ\0", 6))
		return "xz";
	return NULL;
}

int ev_source__open(const char *path, struct ev_source **out, char *err, size_t errlen)
{
	unsigned char magic[RECORDING_MAGIC_LEN];
	struct ev_source *s;
	struct stat st;
	size_t n;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (!strcmp(path, "-")) {
		s->f = stdin;
		s->name = strdup("<stdin>");
	} else {
		s->f = fopen(path, "rb");
		s->own_f = true;
		s->name = strdup(path);
		if (!s->f) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			goto fail;
		}
	}
	if (!s->name) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto fail;
	}
	if (fstat(fileno(s->f), &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen, "%s: is a directory; give a JSONL event file or a recording",
			 s->name);
		goto fail;
	}

	n = fread(magic, 1, sizeof(magic), s->f);
	if (n < sizeof(magic) && ferror(s->f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error: %s", s->name, strerror(errno ? errno : EIO));
		goto fail;
	}

	if (compression(magic, n)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: %s-compressed data; decompress it first and give the "
			 "result (or pipe it in as \"-\")", s->name, compression(magic, n));
		goto fail;
	}
	if (n == sizeof(magic) && !looks_like_recording(magic, n) &&
	    magic_matches(magic, n) >= RECORDING_MAGIC_LEN - 2) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: offset 0: the recording magic is damaged (%d of its %d "
			 "bytes differ): corrupt recording", s->name,
			 RECORDING_MAGIC_LEN - magic_matches(magic, n), RECORDING_MAGIC_LEN);
		goto fail;
	}
	if (n == 0)
		snprintf(s->warn, sizeof(s->warn), "%s: warning: empty (0 bytes): no events to read "
			 "(a capture killed before it wrote anything leaves this)", s->name);
	if (looks_like_recording(magic, n)) {
		rc = recording_reader__open_prefixed(&s->rec, s->f, s->name, magic, n, err, errlen);
		if (rc < 0)
			goto fail;
	} else {
		s->jsonl = jsonl_reader__new(s->f, s->name);
		if (!s->jsonl || jsonl_reader__prepend(s->jsonl, magic, n) < 0) {
			rc = -ENOMEM;
			snprintf(err, errlen, "%s: %s", s->name, strerror(ENOMEM));
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	ev_source__close(s);
	return rc;
}

int ev_source__next(struct ev_source *s, struct smt_event *ev)
{
	if (s->rec)
		return recording_reader__next(s->rec, ev);
	return jsonl_reader__next(s->jsonl, ev);
}

int ev_source__next_ref(struct ev_source *s, const struct smt_event **ev)
{
	int rc;

	if (s->rec)
		return recording_reader__next_ref(s->rec, ev);
	rc = jsonl_reader__next(s->jsonl, &s->ev);
	*ev = &s->ev;
	return rc;
}

int ev_source__next_batch(struct ev_source *s, const struct smt_event **evs, unsigned int max)
{
	int rc;

	if (s->rec)
		return recording_reader__next_batch(s->rec, evs, max);
	rc = ev_source__next_ref(s, &evs[0]);
	return rc > 0 ? 1 : rc;
}

const char *ev_source__error(const struct ev_source *s)
{
	if (s->rec)
		return recording_reader__error(s->rec);
	return jsonl_reader__error(s->jsonl);
}

const char *ev_source__warning(const struct ev_source *s)
{
	if (s->rec)
		return recording_reader__warning(s->rec);
	return s->warn[0] ? s->warn : NULL;
}

int ev_source__closed(const struct ev_source *s)
{
	return s->rec ? recording_reader__closed(s->rec) : -1;
}

unsigned int ev_source__format_version(const struct ev_source *s)
{
	return s->rec ? recording_reader__version(s->rec) : 0;
}

const char *ev_source__name(const struct ev_source *s)
{
	return s->name;
}

int ev_source__is_recording(const struct ev_source *s)
{
	return s->rec != NULL;
}

const char *ev_source__meta_json(const struct ev_source *s)
{
	return s->rec ? recording_reader__meta_json(s->rec) : NULL;
}

const char *ev_source__meta_extra(const struct ev_source *s)
{
	if (s->rec)
		return recording_reader__meta_extra(s->rec);
	return jsonl_reader__meta_extra(s->jsonl);
}

void ev_source__close(struct ev_source *s)
{
	if (!s)
		return;
	jsonl_reader__free(s->jsonl);
	if (s->rec)
		recording_reader__free(s->rec);
	if (s->f && s->own_f)
		fclose(s->f);
	free(s->name);
	free(s);
}
