// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Incident snapshots: window recording + HTML report (see monitor_incident.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "monitor_incident.h"
#include "output.h"
#include "recording.h"
#include "report.h"
#include "source.h"

/* state-setting events remembered (gates by name, attaches by domain+device) */
#define MAX_STATE 1024

enum state_kind { ST_META, ST_CLK, ST_PD, ST_RPM, ST_ATTACH };

struct state_ev {
	enum state_kind kind;
	struct smt_event ev;
};

struct incidents {
	struct incident_opts o;
	char *dir, *meta_json;
	struct smt_event *ring;
	size_t ring_head, ring_n;	/* oldest at ring_head */
	struct state_ev *state;
	size_t nstate;
	uint64_t state_dropped;
	char *meta_extra;		/* of the last meta event */
	/* the running snapshot */
	struct recording_writer *w;
	uint64_t end_ts, after_written;
	unsigned count;
	char path[4096];
	char why[256];
};

int incidents__new(struct incidents **out, const struct incident_opts *opts, char *err, size_t errlen)
{
	struct incidents *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (!in || !(in->ring = calloc(opts->ring_events ? opts->ring_events : 1, sizeof(*in->ring))) ||
	    !(in->state = calloc(MAX_STATE, sizeof(*in->state)))) {
		if (in)
			free(in->ring);
		free(in);
		snprintf(err, errlen, "--incident-dir: out of memory for %zu events "
			 "(lower --incident-events)", opts->ring_events);
		return -ENOMEM;
	}
	in->o = *opts;
	if (!in->o.ring_events)
		in->o.ring_events = 1;
	in->dir = strdup(opts->dir);
	in->meta_json = strdup(opts->meta_json ? opts->meta_json : "{}");
	in->o.dir = in->dir;
	in->o.meta_json = in->meta_json;
	if (access(opts->dir, W_OK)) {
		int e = errno;

		snprintf(err, errlen, "--incident-dir %s: %s (create it, and make it writable for "
			 "the user monitor runs as)", opts->dir, strerror(e));
		incidents__free(in);
		return -e;
	}
	*out = in;
	return 0;
}

void incidents__set_topology(struct incidents *in, const struct topology *topo)
{
	in->o.topo = topo;
}

unsigned incidents__count(const struct incidents *in)
{
	return in->count;
}

static bool same_key(const struct state_ev *s, enum state_kind k, const struct smt_event *ev)
{
	if (s->kind != k)
		return false;
	if (k == ST_META)
		return true;
	if (k == ST_ATTACH && s->ev.domain != ev->domain)
		return false;
	return !strcmp(s->ev.name, ev->name);
}

static void state_remove(struct incidents *in, size_t i)
{
	in->state[i] = in->state[--in->nstate];
}

static void remember_state(struct incidents *in, const struct smt_event *ev, const char *meta_extra)
{
	enum state_kind k;
	size_t i;

	switch (ev->type) {
	case SMT_EV_META:
		k = ST_META;
		free(in->meta_extra);
		in->meta_extra = meta_extra ? strdup(meta_extra) : NULL;
		break;
	case SMT_EV_CLK: k = ST_CLK; break;
	case SMT_EV_PD: k = ST_PD; break;
	case SMT_EV_RPM: k = ST_RPM; break;
	case SMT_EV_ATTACH: k = ST_ATTACH; break;
	case SMT_EV_DETACH:
		for (i = 0; i < in->nstate; i++)
			if (same_key(&in->state[i], ST_ATTACH, ev)) {
				state_remove(in, i);
				break;
			}
		return;
	case SMT_EV_DOMAIN_FREE:
		for (i = 0; i < in->nstate;) {
			if (in->state[i].kind == ST_ATTACH && in->state[i].ev.domain == ev->domain)
				state_remove(in, i);
			else
				i++;
		}
		return;
	default:
		return;
	}
	for (i = 0; i < in->nstate; i++)
		if (same_key(&in->state[i], k, ev))
			break;
	if (i == in->nstate) {
		if (in->nstate == MAX_STATE) {
			in->state_dropped++;	/* a snapshot may then start with that gate unknown */
			return;
		}
		in->nstate++;
	}
	in->state[i].kind = k;
	in->state[i].ev = *ev;
}

static int by_ts(const void *a, const void *b)
{
	const struct state_ev *x = a, *y = b;

	return x->ev.ts < y->ev.ts ? -1 : x->ev.ts > y->ev.ts;
}

/* Report the snapshot at SMT into HTML (written to a temp file, then renamed). */
static int write_report(struct incidents *in, const char *smt, const char *html)
{
	struct report_opts ro = { .topo = in->o.topo, .source_name = smt };
	struct engine_opts eo = in->o.engine;
	struct ev_source *src = NULL;
	struct report *rep = NULL;
	struct engine *e = NULL;
	struct engine_summary sum;
	struct smt_event ev;
	char err[1024];
	struct output o;
	int rc = -ENOMEM, n;

	if (ev_source__open(smt, &src, err, sizeof(err))) {
		pr_err("monitor: incident report: %s\n", err);
		return -EIO;
	}
	rep = report__new(&ro);
	eo.topo = in->o.topo;
	eo.on_finding = report__add_finding;
	eo.on_lifetime = report__add_lifetime;
	eo.ctx = rep;
	e = rep ? engine__new(&eo) : NULL;
	if (!e)
		goto out;
	report__set_engine(rep, e);
	while ((n = ev_source__next(src, &ev)) == 1) {
		engine__feed(e, &ev);
		if (report__feed(rep, &ev))
			goto out;
	}
	engine__finish(e);
	engine__summary(e, &sum);
	report__set_source_meta(rep, true, ev_source__meta_json(src), ev_source__meta_extra(src));
	if (report__finish(rep, &sum))
		goto out;
	if (output__open(&o, html, "incident report", OUTPUT_REPLACE)) {
		rc = -EIO;	/* output__open said why */
		goto out_quiet;
	}
	rc = report__write_html(report__model(rep), o.f);
	if (rc && !output__failed(o.f)) {
		output__abort(&o);
		goto out;
	}
	rc = output__close(&o) ? -EIO : 0;	/* output__close said why */
	goto out_quiet;
out:
	if (rc)
		pr_err("monitor: incident report %s: %s\n", html, strerror(-rc));
out_quiet:
	engine__free(e);
	report__free(rep);
	ev_source__close(src);
	return rc;
}

static void finish_active(struct incidents *in)
{
	char html[4200];
	size_t l;
	int rc;

	if (!in->w)
		return;
	rc = recording_writer__close(in->w);
	in->w = NULL;
	if (rc) {
		pr_err("monitor: incident %s: closing: %s (disk full?)\n", in->path, strerror(-rc));
		return;
	}
	snprintf(html, sizeof(html), "%s", in->path);
	l = strlen(html);
	if (l > 4)
		snprintf(html + l - 4, sizeof(html) - (l - 4), ".html");
	if (!write_report(in, in->path, html))
		pr_info("monitor: incident %u (%s): wrote %s and %s\n", in->count,
			in->why, in->path, html);
}

void incidents__trigger(struct incidents *in, const struct finding *f)
{
	uint64_t wstart = f->ts > in->o.before_ns ? f->ts - in->o.before_ns : 0;
	char err[1024];
	size_t i, first;
	int rc = 0;

	if (in->w || in->count >= in->o.max_incidents)
		return;
	in->count++;
	snprintf(in->path, sizeof(in->path), "%s/incident-%03u.smt", in->dir, in->count);
	snprintf(in->why, sizeof(in->why), "%s at ts %" PRIu64, rule__name(f->rule), f->ts);
	if (recording_writer__open(&in->w, in->path, in->meta_json, NULL, err, sizeof(err))) {
		pr_err("monitor: incident: %s\n", err);
		in->w = NULL;
		return;
	}
	/* the window's first kept event; state older than it goes in first */
	for (first = 0; first < in->ring_n; first++)
		if (in->ring[(in->ring_head + first) % in->o.ring_events].ts >= wstart)
			break;
	if (first < in->ring_n)
		wstart = in->ring[(in->ring_head + first) % in->o.ring_events].ts;
	qsort(in->state, in->nstate, sizeof(*in->state), by_ts);
	for (i = 0; i < in->nstate && !rc; i++)
		if (in->state[i].ev.ts < wstart)
			rc = recording_writer__write(in->w, &in->state[i].ev,
						     in->state[i].kind == ST_META ? in->meta_extra : NULL);
	for (i = first; i < in->ring_n && !rc; i++)
		rc = recording_writer__write(in->w, &in->ring[(in->ring_head + i) % in->o.ring_events],
					     NULL);
	if (rc) {
		pr_err("monitor: incident %s: write: %s (disk full?)\n", in->path, strerror(-rc));
		recording_writer__close(in->w);
		in->w = NULL;
		return;
	}
	in->end_ts = f->ts + in->o.after_ns;
	in->after_written = 0;
}

int incidents__event(struct incidents *in, const struct smt_event *ev, const char *meta_extra)
{
	if (in->w) {
		if (ev->ts > in->end_ts || in->after_written >= in->o.after_events) {
			finish_active(in);
		} else {
			int rc = recording_writer__write(in->w, ev, ev->type == SMT_EV_META ? meta_extra : NULL);

			in->after_written++;
			if (rc) {
				pr_err("monitor: incident %s: write: %s (disk full?)\n", in->path,
				       strerror(-rc));
				finish_active(in);
			}
		}
	}
	if (in->ring_n == in->o.ring_events) {
		in->ring[in->ring_head] = *ev;
		in->ring_head = (in->ring_head + 1) % in->o.ring_events;
	} else {
		in->ring[(in->ring_head + in->ring_n++) % in->o.ring_events] = *ev;
	}
	/* drop what fell out of the window: keeps the snapshot small */
	while (in->ring_n > 1 && in->ring[in->ring_head].ts + in->o.before_ns < ev->ts) {
		in->ring_head = (in->ring_head + 1) % in->o.ring_events;
		in->ring_n--;
	}
	remember_state(in, ev, meta_extra);
	return 0;
}

void incidents__finish(struct incidents *in)
{
	finish_active(in);
}

void incidents__free(struct incidents *in)
{
	if (!in)
		return;
	if (in->w)
		recording_writer__close(in->w);
	free(in->ring);
	free(in->state);
	free(in->meta_extra);
	free(in->dir);
	free(in->meta_json);
	free(in);
}
