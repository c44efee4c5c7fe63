// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace topology: the board model from the device tree and/or a board file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"
#include "env.h"
#include "topology.h"

#define LIVE_DT_DIR "/proc/device-tree"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace topology [--dt DIR] [--board FILE] [--json]\n"
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
"  -v, --verbose  debug messages to stderr\n"
"  -h, --help     this help\n"
"\n"
"A board file says what the device tree cannot (many TBUs, and most TBU\n"
"clocks, are not described to Linux):\n"
"\n"
"  ; comments start with ; or #\n"
"  [smmu 15000000.iommu]             ; SMMU device name, as in /sys/bus/platform/devices\n"
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

int cmd_topology(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "board", required_argument, NULL, OPT_BOARD },
		{ "dt", required_argument, NULL, OPT_DT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct topology topo;
	struct env env;
	char err[1024];
	struct stat st;
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
			env.verbose++;
			env_verbose = env.verbose;
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
	}

	topology__init(&topo);
	/* device tree first: the board file adds TBUs or replaces those of the same name */
	if (env.dt_dir) {
		pr_debug("topology: reading device tree %s\n", env.dt_dir);
		ret = dt__discover(&topo, env.dt_dir, err, sizeof(err));
		if (ret) {
			pr_err("%s\n", err);
			topology__free(&topo);
			return EXIT_INPUT;
		}
	}
	if (env.board_path) {
		pr_debug("topology: reading board file %s\n", env.board_path);
		ret = board__load(&topo, env.board_path, err, sizeof(err));
		if (ret) {
			pr_err("%s\n", err);
			topology__free(&topo);
			return EXIT_INPUT;
		}
	}

	ret = topology__print(&topo, stdout, env.json);

	/*
	 * LIVE GATE STATE goes here (capture code, not yet written): on a live
	 * board, read each gate's current state (clk enable counts, genpd
	 * status, runtime-PM status from sysfs/debugfs) and print it per TBU,
	 * with "gated"/"ungated"/"unknown" per TBU, plus the devices/domains
	 * attached to each SMMU. Offline (--dt/--board on another machine) there
	 * is no state to show, so nothing is printed for it.
	 */

	topology__free(&topo);
	if (ret || fflush(stdout)) {
		pr_err("topology: writing the output failed: %s\n", strerror(ret ? -ret : errno));
		return EXIT_ENV;
	}
	return EXIT_OK;
}
