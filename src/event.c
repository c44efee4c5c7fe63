// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "event.h"

static const char *const type_names[SMT_EV_MAX] = {
	[SMT_EV_META] = "meta",
	[SMT_EV_ATTACH] = "attach",
	[SMT_EV_DETACH] = "detach",
	[SMT_EV_DOMAIN_FREE] = "domain_free",
	[SMT_EV_MAP] = "map",
	[SMT_EV_UNMAP] = "unmap",
	[SMT_EV_TLBI] = "tlbi",
	[SMT_EV_SYNC] = "sync",
	[SMT_EV_FLUSH_ALL] = "flush_all",
	[SMT_EV_SMMU_RESET] = "smmu_reset",
	[SMT_EV_RPM] = "rpm",
	[SMT_EV_CLK] = "clk",
	[SMT_EV_PD] = "pd",
	[SMT_EV_FAULT] = "fault",
	[SMT_EV_LOST] = "lost",
};

static const char *const tlbi_scopes[] = { "va", "context", "all" };
static const char *const sync_scopes[] = { "context", "global" };
static const char *const rpm_states[] = { "active", "suspending", "suspended", "resuming" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *const *names, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *event__type_name(unsigned int type)
{
	return type < SMT_EV_MAX ? type_names[type] : NULL;
}

unsigned int event__type_from_name(const char *name)
{
	int i = lookup(type_names, SMT_EV_MAX, name);

	return i < 0 ? SMT_EV_NONE : (unsigned int)i;
}

const char *event__tlbi_scope_name(unsigned int scope)
{
	return scope < ARRAY_LEN(tlbi_scopes) ? tlbi_scopes[scope] : NULL;
}

int event__tlbi_scope_from_name(const char *name)
{
	return lookup(tlbi_scopes, ARRAY_LEN(tlbi_scopes), name);
}

const char *event__sync_scope_name(unsigned int scope)
{
	return scope < ARRAY_LEN(sync_scopes) ? sync_scopes[scope] : NULL;
}

int event__sync_scope_from_name(const char *name)
{
	return lookup(sync_scopes, ARRAY_LEN(sync_scopes), name);
}

const char *event__rpm_state_name(unsigned int state)
{
	return state < ARRAY_LEN(rpm_states) ? rpm_states[state] : NULL;
}

int event__rpm_state_from_name(const char *name)
{
	return lookup(rpm_states, ARRAY_LEN(rpm_states), name);
}

void event__init(struct smt_event *ev, unsigned int type, __u64 ts)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = (__u16)type;
	ev->ts = ts;
}
