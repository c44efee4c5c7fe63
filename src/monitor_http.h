/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tiny HTTP/1.0 server for the Prometheus endpoint: GET /metrics only,
 * single-threaded and poll-based (the monitor's loop calls it), a bounded
 * number of clients, each with a bounded request and a deadline. Every
 * response closes its connection.
 */
#ifndef SMMUTRACE_MONITOR_HTTP_H
#define SMMUTRACE_MONITOR_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>

#define HTTP_MAX_CLIENTS 8
#define HTTP_MAX_REQUEST 8192
/* pollfds the server may ask for: the listener and one per client */
#define HTTP_MAX_POLLFDS (HTTP_MAX_CLIENTS + 1)

struct http_server;

/* writes the body of GET /metrics to F; 0 or -errno */
typedef int (*http_render_fn)(void *ctx, FILE *f);

/*
 * Listen on ADDR ("127.0.0.1:9464", "[::1]:9464", ":9464" = 127.0.0.1).
 * 0 or -errno with a message in ERR.
 */
int http_server__new(struct http_server **out, const char *addr, http_render_fn render,
		     void *ctx, char *err, size_t errlen);
/* "127.0.0.1:9464" as bound (port 0 in ADDR gives the kernel's choice) */
const char *http_server__addr(const struct http_server *h);
/* Fill up to MAX pollfds; returns how many. */
int http_server__pollfds(struct http_server *h, struct pollfd *p, int max);
/* Handle what poll reported for the N pollfds filled by http_server__pollfds(). */
void http_server__service(struct http_server *h, const struct pollfd *p, int n);
/* Convenience: poll the server alone for up to TIMEOUT_MS and service it. */
void http_server__run_for(struct http_server *h, int timeout_ms);
void http_server__free(struct http_server *h);

#endif
