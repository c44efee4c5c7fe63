// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The monitor's HTTP/1.0 /metrics endpoint (see monitor_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "monitor_http.h"

/* a client that has not sent its request or taken its answer by then is dropped */
#define CLIENT_DEADLINE_S 10

struct client {
	int fd;			/* -1 = free slot */
	time_t deadline;
	char req[HTTP_MAX_REQUEST];
	size_t req_len;
	char *resp;		/* NULL while reading the request */
	size_t resp_len, resp_off;
};

struct http_server {
	int lfd;
	char addr[64];
	http_render_fn render;
	void *ctx;
	struct client c[HTTP_MAX_CLIENTS];
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon, *h, *port_s;
	char *end;
	unsigned long port;
	size_t hl;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = rb - h;
		port_s = rb + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		h = addr;
		hl = colon - addr;
		port_s = colon + 1;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!hl)
		strcpy(host, "127.0.0.1");
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno || end == port_s || *end || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s4);
	}
	return 0;
}

int http_server__new(struct http_server **out, const char *addr, http_render_fn render,
		     void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct http_server *h;
	char host[INET6_ADDRSTRLEN];
	int one = 1, rc;

	*out = NULL;
	if (parse_addr(addr, &ss, &len)) {
		snprintf(err, errlen, "--listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9464, "
			 "[::1]:9464)", addr);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "--listen: out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < HTTP_MAX_CLIENTS; i++)
		h->c[i].fd = -1;
	h->render = render;
	h->ctx = ctx;
	h->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0)
		goto fail;
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&ss, len) || listen(h->lfd, 16))
		goto fail;
	len = sizeof(ss);
	getsockname(h->lfd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(h->addr, sizeof(h->addr), "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(h->addr, sizeof(h->addr), "%s:%u", host, ntohs(s4->sin_port));
	}
	*out = h;
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "--listen %s: %s%s", addr, strerror(-rc),
		 rc == -EADDRINUSE ? ": another exporter (or monitor) uses that port; pick another "
				     "with --listen, or --no-listen" : "");
	if (h->lfd >= 0)
		close(h->lfd);
	free(h);
	return rc;
}

const char *http_server__addr(const struct http_server *h)
{
	return h->addr;
}

static void drop(struct client *c)
{
	close(c->fd);
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
	c->req_len = c->resp_len = c->resp_off = 0;
}

static void respond(struct http_server *h, struct client *c, int code, const char *reason,
		    const char *ctype, const char *body, size_t blen)
{
	FILE *f = open_memstream(&c->resp, &c->resp_len);

	if (!f) {
		drop(c);
		return;
	}
	fprintf(f, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n", code, reason, ctype, blen);
	fwrite(body, 1, blen, f);
	if (fclose(f)) {
		free(c->resp);
		c->resp = NULL;
		drop(c);
	}
	c->resp_off = 0;
}

static void answer(struct http_server *h, struct client *c)
{
	char method[16], path[256];
	char *body = NULL;
	size_t blen = 0;
	FILE *f;

	if (sscanf(c->req, "%15s %255s", method, path) != 2) {
		static const char msg[] = "bad request\n";

		respond(h, c, 400, "Bad Request", "text/plain", msg, sizeof(msg) - 1);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char msg[] = "only GET /metrics\n";

		respond(h, c, 405, "Method Not Allowed", "text/plain", msg, sizeof(msg) - 1);
		return;
	}
	/* query strings are ignored: Prometheus adds none, curl users might */
	if (strncmp(path, "/metrics", 8) || (path[8] && path[8] != '?')) {
		static const char msg[] = "smmutrace monitor: the metrics are at /metrics\n";

		respond(h, c, 404, "Not Found", "text/plain", msg, sizeof(msg) - 1);
		return;
	}
	f = open_memstream(&body, &blen);
	if (!f || h->render(h->ctx, f)) {
		static const char msg[] = "could not render the metrics\n";

		if (f)
			fclose(f);
		free(body);
		respond(h, c, 500, "Internal Server Error", "text/plain", msg, sizeof(msg) - 1);
		return;
	}
	fclose(f);
	respond(h, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
		strcmp(method, "HEAD") ? blen : 0);
	free(body);
}

static void accept_one(struct http_server *h)
{
	int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < HTTP_MAX_CLIENTS; i++) {
		if (h->c[i].fd < 0) {
			h->c[i].fd = fd;
			h->c[i].deadline = now_s() + CLIENT_DEADLINE_S;
			return;
		}
	}
	/* all slots busy: a scraper retries on its next interval */
	close(fd);
}

static void read_req(struct http_server *h, struct client *c)
{
	ssize_t n = read(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(c);
		return;
	}
	if (n < 0)
		return;
	c->req_len += n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		answer(h, c);
		return;
	}
	if (c->req_len == sizeof(c->req) - 1) {
		static const char msg[] = "request too long\n";

		respond(h, c, 431, "Request Header Fields Too Large", "text/plain", msg,
			sizeof(msg) - 1);
	}
}

static void write_resp(struct client *c)
{
	ssize_t n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	c->resp_off += n;
	if (c->resp_off == c->resp_len) {
		shutdown(c->fd, SHUT_WR);
		drop(c);
	}
}

int http_server__pollfds(struct http_server *h, struct pollfd *p, int max)
{
	int n = 0;
	time_t now = now_s();

	if (max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = h->lfd, .events = POLLIN };
	for (int i = 0; i < HTTP_MAX_CLIENTS && n < max; i++) {
		struct client *c = &h->c[i];

		if (c->fd < 0)
			continue;
		if (now > c->deadline) {
			drop(c);
			continue;
		}
		p[n++] = (struct pollfd){ .fd = c->fd, .events = c->resp ? POLLOUT : POLLIN };
	}
	return n;
}

void http_server__service(struct http_server *h, const struct pollfd *p, int n)
{
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		if (p[k].fd == h->lfd) {
			accept_one(h);
			continue;
		}
		for (int i = 0; i < HTTP_MAX_CLIENTS; i++) {
			struct client *c = &h->c[i];

			if (c->fd != p[k].fd)
				continue;
			if (c->resp)
				write_resp(c);
			else if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				read_req(h, c);
			if (c->fd >= 0 && c->resp && c->resp_off == 0)
				write_resp(c);	/* usually fits the socket buffer at once */
			break;
		}
	}
}

void http_server__run_for(struct http_server *h, int timeout_ms)
{
	struct pollfd p[HTTP_MAX_POLLFDS];
	int n = http_server__pollfds(h, p, HTTP_MAX_POLLFDS);

	if (poll(p, n, timeout_ms) > 0)
		http_server__service(h, p, n);
}

void http_server__free(struct http_server *h)
{
	if (!h)
		return;
	for (int i = 0; i < HTTP_MAX_CLIENTS; i++)
		if (h->c[i].fd >= 0)
			drop(&h->c[i]);
	close(h->lfd);
	free(h);
}
