// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace topology: the board model from the device tree and/or a board file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "capture.h"
#include "commands.h"
#include "env.h"
#include "topology.h"

#define LIVE_DT_DIR "/proc/device-tree"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace topology [--dt DIR] [--board FILE] [--json] [--state]\n"
"\n"
"Show the SMMUs and their TBUs: the stream IDs each TBU carries and the gates\n"
"(clocks, power domains, runtime PM of devices) that can switch it off. This\n"
"is the model live, record and replay use to decide whether an unmap or TLB\n"
"invalidation reached a TBU that was gated.\n"
"\n"
"Sources, merged in this order:\n"
"  --dt DIR       a directory laid out like /proc/device-tree: SMMU nodes and\n"
"                 qcom,*-tbu nodes (qcom,stream-id-range, clocks, power-domains)\n"
"  --board FILE   a board file: adds TBUs, or replaces those of the same name\n"
"  With neither, " LIVE_DT_DIR " is read if this system has one.\n"
"\n"
"Options:\n"
"  --json         one JSON object: {\"smmus\":[...],\"tbus\":[...],...}\n"
"  --state        also show each gate's state now on this system (clk enable\n"
"                counts from debugfs, runtime-PM status from sysfs, genpd\n"
"                status from debugfs), whether each SMMU is suspended and\n"
"                each TBU gated; the\n"
"                default when the model comes from this system's device tree\n"
"                (text output only)\n"
"  -v, --verbose  debug messages to stderr\n"
"  -h, --help     this help\n"
"\n"
"A board file says what the device tree cannot (many TBUs, and most TBU\n"
"clocks, are not described to Linux):\n"
"\n"
"  ; comments start with ; or #\n"
"  [smmu 15000000.iommu]             ; SMMU device name, as in /sys/bus/platform/devices\n"
"  gates = rpm:15000000.iommu        ; optional: what suspends the SMMU itself\n"
"                                    ; (default: its own runtime PM)\n"
"  [tbu gpu_tbu0]\n"
"  smmu  = 15000000.iommu            ; optional when the board has one SMMU\n"
"  sids  = 0x0-0x3ff, 0x800          ; stream IDs through this TBU, inclusive\n"
"  gates = clk:gpu_cc_ahb_clk, pd:gpu_cx_gdsc, rpm:3d00000.gpu\n"
"\n"
"Gates: clk:NAME is a clock (as in /sys/kernel/debug/clk), pd:NAME a power\n"
"domain (as in /sys/kernel/debug/pm_genpd), rpm:DEV a device whose runtime PM\n"
"state gates the TBU. A TBU is gated while any of its gates is off. Device-tree\n"
"gates the tree gives no name for are listed as \"unresolved\": name them in\n"
"the board file.\n"
"\n"
"Exit status: 0 model printed; 2 usage error, nothing to read, or a bad board\n"
"file or device tree (the message names the file, line and field).\n"
"\n"
"Examples:\n"
"  smmutrace topology                          this board's device tree\n"
"  smmutrace topology --board board.ini        a board file on its own\n"
"  smmutrace topology --dt " LIVE_DT_DIR " --board board.ini --json\n");
}

/* the state-event of gate G among the initial-state events, or NULL */
static const struct smt_event *gate_event(const struct gate_ref *g, const struct smt_event *evs, int n)
{
	static const unsigned int type[] = { [GATE_CLK] = SMT_EV_CLK, [GATE_PD] = SMT_EV_PD,
					     [GATE_RPM] = SMT_EV_RPM };

	for (int i = 0; i < n; i++)
		if (evs[i].type == type[g->kind] && strcmp(evs[i].name, g->name) == 0)
			return &evs[i];
	return NULL;
}

/*
 * "clk:a on, rpm:b off (suspended)" for GATES into LINE; *gated when any is
 * off, *unknown when any was not found.
 */
static void gate_states(const struct gate_ref *gates, int ngates, const struct smt_event *evs,
			int n, char *line, size_t size, bool *gated, bool *unknown)
{
	size_t len = 0;

	line[0] = 0;
	*gated = *unknown = false;
	for (int g = 0; g < ngates; g++) {
		const struct smt_event *ev = gate_event(&gates[g], evs, n);
		const char *st;

		if (!ev) {
			st = "unknown";
			*unknown = true;
		} else if (ev->type == SMT_EV_RPM) {
			st = ev->state == SMT_RPM_SUSPENDED ? "off (suspended)" : "on";
			*gated |= ev->state == SMT_RPM_SUSPENDED;
		} else {
			st = ev->on ? "on" : "off";
			*gated |= !ev->on;
		}
		if (len < size)
			len += (size_t)snprintf(line + len, size - len, "%s%s:%s %s", g ? ", " : "",
						topology__gate_kind_name(gates[g].kind), gates[g].name,
						st);
	}
}

/*
 * Each gate's state now, read the way live capture reads its initial state,
 * whether each SMMU is suspended and each TBU gated (any gate off; unknown
 * counts as on).
 */
static void print_state(const struct topology *t)
{
	static struct smt_event evs[1024];
	struct timespec now;
	char line[2048];
	bool off, unknown;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	n = capture_state__read(t, "", (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec,
				evs, (int)(sizeof(evs) / sizeof(evs[0])));
	if (n < 0) {
		pr_err("topology: cannot read gate states: %s\n", strerror(-n));
		return;
	}
	printf("\nGate state now (sysfs/debugfs of this system):\n");
	for (int i = 0; i < t->nsmmus; i++) {
		const struct topo_smmu *s = &t->smmus[i];

		gate_states(s->gates, s->ngates, evs, n, line, sizeof(line), &off, &unknown);
		printf("  smmu %-19s %-9s %s\n", s->name,
		       off ? "SUSPENDED" : unknown ? "unknown" : "up", line);
	}
	for (int i = 0; i < t->ntbus; i++) {
		const struct topo_tbu *tb = &t->tbus[i];

		gate_states(tb->gates, tb->ngates, evs, n, line, sizeof(line), &off, &unknown);
		printf("  %-24s %-8s %s\n", tb->name,
		       off ? "GATED" : unknown ? "unknown" : tb->ngates ? "up" : "no gates", line);
	}
}

int cmd_topology(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "dt", required_argument, NULL, OPT_DT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state", no_argument, NULL, OPT_CMD_BASE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct topology topo;
	struct env env;
	struct stat st;
	bool state = false;
	int c, ret;

	env__init(&env);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'v':
			log__more_verbose();
			continue;
		case OPT_CMD_BASE:
			state = true;
			continue;
		case '?':
			if (optopt)
				pr_err("topology: -%c: unknown option; see 'smmutrace topology --help'\n",
				       optopt);
			else
				pr_err("topology: %s: unknown option or missing argument; see "
				       "'smmutrace topology --help'\n", argv[optind - 1]);
			return EXIT_INPUT;
		default:
			break;
		}
		ret = env__parse_common(&env, c, optarg);
		if (ret < 0)
			return EXIT_INPUT;
	}
	if (optind < argc) {
		pr_err("topology: unexpected argument '%s'; give files with --board FILE or "
		       "--dt DIR\n", argv[optind]);
		return EXIT_INPUT;
	}
	if (!env.board_path && !env.dt_dir) {
		if (stat(LIVE_DT_DIR, &st) < 0 || !S_ISDIR(st.st_mode)) {
			pr_err("topology: no topology source: give --board FILE and/or --dt DIR "
			       "(this system has no " LIVE_DT_DIR ")\n");
			return EXIT_INPUT;
		}
		env.dt_dir = LIVE_DT_DIR;
		state = true;	/* this system's own model: its gates have a state now */
	}

	ret = env__topology(&env, NULL, &topo);
	if (ret)
		return ret;

	ret = topology__print(&topo, stdout, env.json);

	if (!ret && state && !env.json)
		print_state(&topo);

	topology__free(&topo);
	if (ret || fflush(stdout)) {
		pr_err("topology: writing the output failed: %s\n", strerror(ret ? -ret : errno));
		return EXIT_ENV;
	}
	return EXIT_OK;
}
