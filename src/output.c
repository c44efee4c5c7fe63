// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Output paths: replace regular files atomically, write anything else in place. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "env.h"
#include "output.h"

/*
 * Streams write through this cookie so that the errno of the write() that
 * failed is kept: stdio only keeps a flag, and by the time the output is
 * closed errno is long gone (ENOSPC would be reported as "I/O error").
 */
struct fd_cookie {
	int fd;
	int err;	/* first write error */
	bool own_fd;
};

static struct fd_cookie stdout_cookie = { .fd = STDOUT_FILENO };

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	struct fd_cookie *k = c;
	size_t done = 0;

	while (done < n) {
		ssize_t r = write(k->fd, buf + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!k->err)
				k->err = r < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return (ssize_t)n;
}

static int cookie_close(void *c)
{
	struct fd_cookie *k = c;
	int rc = 0;

	if (k->own_fd && close(k->fd)) {
		rc = -1;
		if (!k->err)
			k->err = errno;
	}
	if (k != &stdout_cookie)
		free(k);
	return rc;
}

static FILE *cookie_open(struct fd_cookie *k)
{
	cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };

	return fopencookie(k, "w", io);
}

void output__wrap_stdout(void)
{
	FILE *f = cookie_open(&stdout_cookie);

	if (!f)
		return;	/* out of memory at start: plain stdout, still checked at the end */
	/* a terminal sees lines as they come, as with the real stdout */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
}

/* the error of a stream from output__open (or stdout), as an errno value */
static int stream_errno(struct output *o, int fallback)
{
	struct fd_cookie *k = o->is_stdout ? &stdout_cookie : o->cookie;

	return k && k->err ? k->err : fallback;
}

static FILE *fd_stream(struct output *o, int fd)
{
	struct fd_cookie *k = calloc(1, sizeof(*k));
	FILE *f;

	if (!k)
		return NULL;
	k->fd = fd;
	k->own_fd = true;
	f = cookie_open(k);
	if (!f) {
		free(k);
		return NULL;
	}
	o->cookie = k;
	o->fd = fd;
	return f;
}

static int open_failed(struct output *o, int err)
{
	pr_err("%s: %s: cannot create: %s; check that the directory exists and is writable\n",
	       o->path, o->what, strerror(err));
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return EXIT_ENV;
}

int output__open(struct output *o, const char *path, const char *what, enum output_mode mode)
{
	struct stat st;
	bool exists;
	int fd;

	memset(o, 0, sizeof(*o));
	o->what = what;
	if (!path || !*path) {
		pr_err("%s: an empty path is not an output\n", what);
		return EXIT_INPUT;
	}
	if (!strcmp(path, "-")) {
		o->f = stdout;
		o->fd = STDOUT_FILENO;
		o->is_stdout = true;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path)
		return open_failed(o, ENOMEM);
	exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		pr_err("%s: %s: is a directory; give a file name\n", path, what);
		free(o->path);
		o->path = NULL;
		return EXIT_INPUT;
	}
	/*
	 * Only a regular file reached without a symlink is replaced: renaming
	 * over /dev/null, a FIFO or a symlink would destroy it instead of
	 * writing to what it stands for.
	 */
	if (mode == OUTPUT_REPLACE && (!exists || (lstat(path, &st) == 0 && S_ISREG(st.st_mode)))) {
		size_t n = strlen(path) + sizeof(".tmp.XXXXXX");
		mode_t um;

		o->tmp = malloc(n);
		if (!o->tmp)
			return open_failed(o, ENOMEM);
		snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
		fd = mkostemp(o->tmp, O_CLOEXEC);
		if (fd < 0)
			return open_failed(o, errno);
		/* mkostemp makes 0600: give what a plain create (or the file replaced) had */
		um = umask(0);
		umask(um);
		if (fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~um))) {
			/* not fatal: the content is what matters */
		}
		o->f = fd_stream(o, fd);
		if (!o->f) {
			int e = errno;

			close(fd);
			unlink(o->tmp);
			return open_failed(o, e);
		}
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (mode == OUTPUT_APPEND ? O_APPEND : O_TRUNC),
		  0666);
	if (fd < 0)
		return open_failed(o, errno);
	o->f = fd_stream(o, fd);
	if (!o->f) {
		close(fd);
		return open_failed(o, ENOMEM);
	}
	return 0;
}

bool output__failed(FILE *f)
{
	return fflush(f) != 0 || ferror(f);
}

int output__error(const struct output *o)
{
	return stream_errno((struct output *)o, o->f && ferror(o->f) ? EIO : 0);
}

static int write_failed(const char *name, const char *what, int err)
{
	if (what)
		pr_err("%s: %s: write failed: %s\n", name, what,
		       err ? strerror(err) : "an earlier write returned an error");
	else
		pr_err("%s: write failed: %s\n", name,
		       err ? strerror(err) : "an earlier write returned an error");
	return EXIT_ENV;
}

int output__close(struct output *o)
{
	int err = 0;

	if (!o->f)
		return 0;
	if (o->is_stdout) {
		o->f = NULL;
		return output__finish_stdout();
	}
	if (fflush(o->f) || ferror(o->f))
		err = stream_errno(o, EIO);
	/* EINVAL/ENOTSUP: fsync on a device or FIFO, nothing to make durable */
	if (!err && o->tmp && fsync(o->fd) && errno != EINVAL && errno != ENOTSUP)
		err = errno;
	if (fclose(o->f) && !err)
		err = errno ? errno : EIO;	/* the cookie is freed by now */
	o->f = NULL;
	if (!err && o->tmp && rename(o->tmp, o->path))
		err = errno;
	if (err) {
		if (o->tmp)
			unlink(o->tmp);
		write_failed(o->path, o->what, err);
	}
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return err ? EXIT_ENV : 0;
}

void output__abort(struct output *o)
{
	if (o->f && !o->is_stdout)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

int output__finish_stdout(void)
{
	int err;

	if (!fflush(stdout) && !ferror(stdout))
		return 0;
	err = stdout_cookie.err;
	/* said once: a later check sees a clean stream */
	clearerr(stdout);
	stdout_cookie.err = 0;
	return write_failed("<stdout>", NULL, err);
}
