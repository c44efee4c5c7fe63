// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The monitor's --input, optionally followed as it grows (see monitor_input.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "jsonl.h"
#include "log.h"
#include "monitor_input.h"
#include "recording.h"

#define BUF_START (64u << 10)
/* a JSONL line may be JSONL_MAX_LINE long; the reader itself says when it is longer */
#define BUF_MAX (JSONL_MAX_LINE + (64u << 10))
/* how often a followed regular file is looked at again */
#define FOLLOW_POLL_MS 100

struct mon_input {
	char *name;
	int fd;
	bool own_fd, follow, regular, is_rec, stopped, eof;
	unsigned long long pos;	/* bytes read from the file */
	input_wait_fn wait;
	void *ctx;
	/* bytes read from fd; [off, ready) may go to the reader */
	char *b;
	size_t len, off, ready, cap;
	FILE *f;	/* the cookie stream the readers read */
	struct jsonl_reader *jsonl;
	struct recording_reader *rec;
	bool warned;			/* the recording's end warning was printed */
	char err[1024];
};

/* what may be handed over: whole lines when following JSONL, else everything */
static void update_ready(struct mon_input *in)
{
	if (in->follow && !in->is_rec && !in->eof) {
		size_t i = in->len;

		while (i > in->off && in->b[i - 1] != '\n')
			i--;
		/* a full buffer without a newline: the reader will call the line too long */
		in->ready = (i == in->off && in->len == in->cap && in->cap == BUF_MAX) ? in->len : i;
	} else {
		in->ready = in->len;
	}
}

/*
 * A followed JSONL file that logrotate truncated (copytruncate) or replaced
 * (create): go on from the start of what is there now. A half line left from
 * before is dropped, and said so. (A recording cannot be continued like this:
 * its header is at the start.) Returns true when reading should go on.
 */
static bool reopened(struct mon_input *in)
{
	struct stat cur, now;
	const char *what = NULL;

	if (fstat(in->fd, &cur))
		return false;
	if ((unsigned long long)cur.st_size < in->pos) {
		if (lseek(in->fd, 0, SEEK_SET) < 0)
			return false;
		what = "was truncated";
	} else if (!stat(in->name, &now) && (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)) {
		int fd = open(in->name, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return false;
		close(in->fd);
		in->fd = fd;
		what = "was replaced";
	}
	if (!what)
		return false;
	pr_info("monitor: %s %s (log rotation?): following it from its start%s\n",
		in->name, what, in->len > in->ready ? "; a half line from before is dropped" : "");
	in->len = in->ready;
	in->pos = 0;
	return true;
}

/* read more bytes into b: >0 got some, 0 end of input, -1 error (errno), -2 stopped */
static int fill(struct mon_input *in)
{
	for (;;) {
		ssize_t n;
		int w;

		if (in->off && in->off == in->len) {
			in->off = in->len = in->ready = 0;
		} else if (in->off && in->len == in->cap) {
			memmove(in->b, in->b + in->off, in->len - in->off);
			in->len -= in->off;
			in->ready -= in->off;
			in->off = 0;
		}
		if (in->len == in->cap) {
			size_t cap = in->cap * 2 > BUF_MAX ? BUF_MAX : in->cap * 2;
			char *p = cap > in->cap ? realloc(in->b, cap) : NULL;

			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			in->b = p;
			in->cap = cap;
		}
		if (!in->regular) {
			/* a pipe: wait here (serving the endpoint) rather than in read() */
			w = in->wait(in->ctx, in->fd, 1000);
			if (w < 0)
				return -2;
			if (w == 0)
				continue;
		}
		n = read(in->fd, in->b + in->len, in->cap - in->len);
		if (n > 0) {
			in->len += n;
			in->pos += n;
			return 1;
		}
		if (n == 0 && in->regular && in->follow && in->own_fd && !in->is_rec && reopened(in))
			continue;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n < 0 || (n == 0 && in->regular && in->follow)) {
			/* a followed file has no end: wait for it to grow */
			if (in->wait(in->ctx, -1, n < 0 ? 0 : FOLLOW_POLL_MS) < 0)
				return -2;
			continue;
		}
		return 0;
	}
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
	struct mon_input *in = cookie;

	while (in->off == in->ready) {
		int rc;

		if (in->stopped)
			return 0;
		rc = fill(in);
		if (rc == -2) {
			in->stopped = true;
			return 0;
		}
		if (rc < 0)
			return -1;
		if (rc == 0) {
			/* end of a pipe or file: a last line without newline is complete now */
			in->eof = true;
			update_ready(in);
			if (in->off == in->ready)
				return 0;
			break;
		}
		update_ready(in);
	}
	if (size > in->ready - in->off)
		size = in->ready - in->off;
	memcpy(buf, in->b + in->off, size);
	in->off += size;
	return size;
}

int mon_input__open(struct mon_input **out, const char *path, bool follow,
		    input_wait_fn wait, void *ctx, char *err, size_t errlen)
{
	cookie_io_functions_t io = { .read = cookie_read };
	struct mon_input *in = calloc(1, sizeof(*in));
	struct stat st;
	int rc;

	*out = NULL;
	if (!in || !(in->b = malloc(BUF_START))) {
		free(in);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	in->cap = BUF_START;
	in->follow = follow;
	in->wait = wait;
	in->ctx = ctx;
	if (!strcmp(path, "-")) {
		in->fd = 0;
		in->name = strdup("<stdin>");
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		in->own_fd = in->fd >= 0;
		in->name = strdup(path);
		if (in->fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s%s", path, strerror(-rc),
				 rc == -ENOENT && follow ? " (with --follow the file must exist: "
				 "create it first, e.g. with touch)" : "");
			mon_input__close(in);
			return rc;
		}
	}
	if (fstat(in->fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		mon_input__close(in);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory; give a JSONL file or a recording", path);
		mon_input__close(in);
		return -EISDIR;
	}
	in->regular = S_ISREG(st.st_mode);
	/* sniff the format from the first bytes (waiting for them when following) */
	while (in->len < RECORDING_MAGIC_LEN) {
		rc = fill(in);
		if (rc == -2) {
			in->stopped = true;
			break;
		}
		if (rc < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			mon_input__close(in);
			return rc;
		}
		if (rc == 0)
			break;
	}
	in->is_rec = in->len >= 4 && !memcmp(in->b, RECORDING_MAGIC,
			in->len < RECORDING_MAGIC_LEN - 1 ? in->len : RECORDING_MAGIC_LEN - 1);
	update_ready(in);
	in->f = fopencookie(in, "r", io);
	if (!in->f) {
		snprintf(err, errlen, "%s: out of memory", path);
		mon_input__close(in);
		return -ENOMEM;
	}
	if (in->is_rec) {
		rc = recording_reader__open(&in->rec, in->f, in->name, err, errlen);
		if (rc) {
			mon_input__close(in);
			return rc;
		}
	} else {
		in->jsonl = jsonl_reader__new(in->f, in->name);
		if (!in->jsonl) {
			snprintf(err, errlen, "%s: out of memory", path);
			mon_input__close(in);
			return -ENOMEM;
		}
	}
	*out = in;
	return 0;
}

int mon_input__next(struct mon_input *in, struct smt_event *ev)
{
	int rc;

	if (in->rec) {
		rc = recording_reader__next(in->rec, ev);
		if (rc < 0) {
			/* stopped in the middle of a block being written: not bad input */
			if (in->stopped)
				return 0;
			snprintf(in->err, sizeof(in->err), "%s", recording_reader__error(in->rec));
		}
		/* a followed file still being written has no close block yet: no warning then */
		if (rc == 0 && !in->stopped && recording_reader__warning(in->rec) && !in->warned) {
			in->warned = true;
			pr_warn("%s\n", recording_reader__warning(in->rec));
		}
		return rc;
	}
	rc = jsonl_reader__next(in->jsonl, ev);
	if (rc < 0)
		snprintf(in->err, sizeof(in->err), "%s", jsonl_reader__error(in->jsonl));
	return rc;
}

const char *mon_input__error(const struct mon_input *in)
{
	return in->err;
}

const char *mon_input__name(const struct mon_input *in)
{
	return in->name;
}

bool mon_input__is_recording(const struct mon_input *in)
{
	return in->is_rec;
}

const char *mon_input__meta_json(const struct mon_input *in)
{
	return in->rec ? recording_reader__meta_json(in->rec) : NULL;
}

const char *mon_input__meta_extra(const struct mon_input *in)
{
	return in->rec ? recording_reader__meta_extra(in->rec) : jsonl_reader__meta_extra(in->jsonl);
}

bool mon_input__stopped(const struct mon_input *in)
{
	return in->stopped;
}

size_t mon_input__partial(const struct mon_input *in)
{
	return in->len - in->off;
}

void mon_input__close(struct mon_input *in)
{
	if (!in)
		return;
	jsonl_reader__free(in->jsonl);
	recording_reader__free(in->rec);
	if (in->f)
		fclose(in->f);
	if (in->own_fd)
		close(in->fd);
	free(in->b);
	free(in->name);
	free(in);
}
