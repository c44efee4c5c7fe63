// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rotating recordings for the monitor (see monitor_rotate.h). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "event.h"
#include "log.h"
#include "monitor_rotate.h"
#include "recording.h"

#define NAME_FMT "monitor-%06" PRIu64 ".smt"

struct closed_file {
	uint64_t num, size;
};

struct rotator {
	char *dir, *meta;
	uint64_t max_file_bytes, keep_files, keep_bytes;
	struct recording_writer *w;
	uint64_t cur;			/* number of the file being written / next */
	struct closed_file *closed;	/* oldest first */
	size_t nclosed, cap;
	uint64_t closed_bytes, rotations, deleted;
	char path[4096];
};

static void path_of(const struct rotator *r, uint64_t num, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" NAME_FMT, r->dir, num);
}

static int add_closed(struct rotator *r, uint64_t num, uint64_t size)
{
	if (r->nclosed == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct closed_file *p = realloc(r->closed, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->closed = p;
		r->cap = cap;
	}
	r->closed[r->nclosed++] = (struct closed_file){ num, size };
	r->closed_bytes += size;
	return 0;
}

static int by_num(const void *a, const void *b)
{
	const struct closed_file *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* delete the oldest closed files beyond the limits; RESERVE: files still to come */
static void enforce(struct rotator *r, size_t reserve)
{
	size_t drop = 0;

	while (drop < r->nclosed &&
	       ((r->keep_files && r->nclosed - drop + reserve > r->keep_files) ||
		(r->keep_bytes && r->closed_bytes > r->keep_bytes))) {
		char p[4096];

		path_of(r, r->closed[drop].num, p, sizeof(p));
		if (unlink(p) && errno != ENOENT)
			pr_warn("monitor: %s: cannot delete: %s; the record "
				"directory may grow past --keep-bytes\n", p, strerror(errno));
		r->closed_bytes -= r->closed[drop].size;
		r->deleted++;
		drop++;
	}
	if (drop) {
		memmove(r->closed, r->closed + drop, (r->nclosed - drop) * sizeof(*r->closed));
		r->nclosed -= drop;
	}
}

int rotator__new(struct rotator **out, const struct rotator_opts *opts, char *err, size_t errlen)
{
	struct rotator *r = calloc(1, sizeof(*r));
	struct dirent *de;
	DIR *d;
	uint64_t maxnum = 0;
	bool any = false;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "--record-dir: out of memory");
		return -ENOMEM;
	}
	r->dir = strdup(opts->dir);
	r->meta = strdup(opts->meta_json ? opts->meta_json : "{}");
	r->max_file_bytes = opts->max_file_bytes;
	r->keep_files = opts->keep_files;
	r->keep_bytes = opts->keep_bytes;
	d = opendir(opts->dir);
	if (!d || access(opts->dir, W_OK)) {
		int e = errno;

		snprintf(err, errlen, "--record-dir %s: %s (create it, and make it writable for "
			 "the user monitor runs as)", opts->dir, strerror(e));
		if (d)
			closedir(d);
		rotator__free(r);
		return -e;
	}
	while ((de = readdir(d))) {
		uint64_t num;
		int n = 0;
		char p[4096];
		struct stat st;

		if (sscanf(de->d_name, "monitor-%" SCNu64 ".smt%n", &num, &n) != 1 ||
		    !n || de->d_name[n])
			continue;
		path_of(r, num, p, sizeof(p));
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		if (add_closed(r, num, st.st_size)) {
			closedir(d);
			rotator__free(r);
			snprintf(err, errlen, "--record-dir: out of memory");
			return -ENOMEM;
		}
		if (!any || num > maxnum)
			maxnum = num;
		any = true;
	}
	closedir(d);
	if (r->nclosed > 1)
		qsort(r->closed, r->nclosed, sizeof(*r->closed), by_num);
	r->cur = any ? maxnum + 1 : 1;
	/* a previous run's files count too: make room for ours now */
	enforce(r, 1);
	*out = r;
	return 0;
}

static int open_next(struct rotator *r, uint64_t ts, char *err, size_t errlen)
{
	struct smt_event meta;
	int rc;

	path_of(r, r->cur, r->path, sizeof(r->path));
	rc = recording_writer__open(&r->w, r->path, r->meta, NULL, err, errlen);
	if (rc)
		return rc;
	/* this file alone has not seen the mappings made before it */
	event__init(&meta, SMT_EV_META, ts);
	meta.present |= SMT_HAS_SINCE_BOOT;
	meta.since_boot = 0;
	rc = recording_writer__write(r->w, &meta, "{\"monitor_note\":\"rotated recording: "
				     "state before this file is not in it\"}");
	if (rc)
		snprintf(err, errlen, "%s: write: %s", r->path, strerror(-rc));
	return rc;
}

static int close_current(struct rotator *r, char *err, size_t errlen)
{
	uint64_t size;
	int rc;

	if (!r->w)
		return 0;
	rc = recording_writer__close(r->w);
	r->w = NULL;
	if (rc && err)
		snprintf(err, errlen, "%s: closing: %s (disk full?)", r->path, strerror(-rc));
	{
		struct stat st;

		size = stat(r->path, &st) ? 0 : (uint64_t)st.st_size;
	}
	if (add_closed(r, r->cur, size) && !rc)
		rc = -ENOMEM;
	r->cur++;
	return rc;
}

int rotator__write(struct rotator *r, const struct smt_event *ev, const char *meta_extra,
		   char *err, size_t errlen)
{
	int rc;

	if (!r->w) {
		rc = open_next(r, ev->ts, err, errlen);
		if (rc) {
			if (r->w) {
				recording_writer__close(r->w);
				r->w = NULL;
			}
			return rc;
		}
	}
	rc = recording_writer__write(r->w, ev, meta_extra);
	if (rc) {
		snprintf(err, errlen, "%s: write: %s (disk full?)", r->path, strerror(-rc));
		return rc;
	}
	if (recording_writer__bytes(r->w) >= r->max_file_bytes) {
		rc = close_current(r, err, errlen);
		r->rotations++;
		enforce(r, 1);
	}
	return rc;
}

int rotator__flush(struct rotator *r)
{
	return r->w ? recording_writer__flush(r->w) : 0;
}

void rotator__stats(const struct rotator *r, struct rotator_stats *s)
{
	s->files = r->nclosed + (r->w ? 1 : 0);
	s->bytes = r->closed_bytes + (r->w ? recording_writer__bytes(r->w) : 0);
	s->rotations = r->rotations;
	s->deleted = r->deleted;
	snprintf(s->current, sizeof(s->current), "%s", r->w ? r->path : "");
}

int rotator__close(struct rotator *r)
{
	int rc = close_current(r, NULL, 0);

	enforce(r, 0);
	return rc;
}

void rotator__free(struct rotator *r)
{
	if (!r)
		return;
	if (r->w)
		recording_writer__close(r->w);
	free(r->closed);
	free(r->dir);
	free(r->meta);
	free(r);
}
