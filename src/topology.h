/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The board model: SMMUs and their TBUs (stream-ID ranges and the clock,
 * power-domain and runtime-PM gates that can switch each TBU off). Built from
 * the device tree (qcom,*-tbu nodes) and/or a board file (SPEC §4); the board
 * file adds TBUs or overrides those of the same name.
 */
#ifndef SMMUTRACE_TOPOLOGY_H
#define SMMUTRACE_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "smmutrace_events.h"

enum gate_kind {
	GATE_CLK = 0,	/* clk:NAME, off after clk on:false */
	GATE_PD = 1,	/* pd:NAME, off after pd on:false */
	GATE_RPM = 2,	/* rpm:DEV, off while DEV is suspended */
};

struct gate_ref {
	enum gate_kind kind;
	char name[SMT_NAME_LEN];
};

struct sid_range {
	uint32_t first, last;	/* inclusive, compared as sid & 0xffff */
};

struct topo_tbu {
	char name[SMT_NAME_LEN];
	char smmu[SMT_NAME_LEN];	/* "" = the board's only SMMU / unknown */
	char compatible[SMT_NAME_LEN];	/* from DT, "" if none */
	struct sid_range *sids;
	int nsids;
	struct gate_ref *gates;
	int ngates;
	/* DT gates that could not be named: "clocks: phandle 0x1f cell 3", ... */
	char **unresolved;
	int nunresolved;
	char origin[256];		/* "board FILE:LINE" or "dt PATH" */
};

#define TOPO_MAX_SMMU_GATES 8

/*
 * The SMMU itself (TCU, programming interface) is suspended while any of its
 * gates is off (SPEC §4). Without gates = in the board file its gate is its
 * own runtime PM, rpm:NAME: arm-smmu v2/v3 drivers suspend it through
 * pm_runtime on the SMMU's platform device.
 */
struct topo_smmu {
	char name[SMT_NAME_LEN];
	char compatible[128];		/* from DT, "" if none */
	char origin[256];
	struct gate_ref gates[TOPO_MAX_SMMU_GATES];
	int ngates;			/* always >= 1 */
	bool gates_given;		/* false: the default rpm:NAME */
};

struct topology {
	struct topo_smmu *smmus;
	int nsmmus;
	struct topo_tbu *tbus;
	int ntbus;
	char model[128];		/* DT root "model", "" if unknown */
	char compatible[128];		/* DT root first "compatible", "" if unknown */
	char *board_text;		/* the board file as read, for recordings; NULL if none */
};

void topology__init(struct topology *t);
void topology__free(struct topology *t);

/*
 * Add/override from a board file. 0 on success; -EINVAL with
 * "FILE:LINE: field: problem" in err; -errno with "FILE: strerror" if it
 * cannot be read.
 */
int board__load(struct topology *t, const char *path, char *err, size_t errlen);
/* Same from text in memory (recordings carry the board file). NAME for messages. */
int board__load_text(struct topology *t, const char *text, const char *name,
		     char *err, size_t errlen);

/*
 * Discover SMMUs and qcom,*-tbu nodes from a directory laid out like
 * /proc/device-tree (a directory per node, properties as raw big-endian
 * files). 0 on success, -errno with "DIR/node/prop: problem" in err.
 */
int dt__discover(struct topology *t, const char *dir, char *err, size_t errlen);

/* Index of the SMMU/TBU with that name, or -1. */
int topology__find_smmu(const struct topology *t, const char *name);
int topology__find_tbu(const struct topology *t, const char *name);
/* true when SID (& 0xffff) falls in one of TBU's ranges */
bool topology__tbu_has_sid(const struct topo_tbu *tbu, uint32_t sid);

/* Gate as written in board files: "clk:NAME" etc. */
const char *topology__gate_kind_name(enum gate_kind k);
/* Human-readable model (text) or one JSON object (json) */
int topology__print(const struct topology *t, FILE *f, bool json);

#endif
