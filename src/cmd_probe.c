// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace probe: which hooks this kernel offers and how each attaches. */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "capture.h"
#include "commands.h"
#include "coverage.h"
#include "env.h"
#include "json_writer.h"
#include "topology.h"

static const char *const spec_events[] = {
	"attach", "detach", "domain_free", "map", "unmap", "tlbi", "sync", "flush_all",
	"smmu_reset", "rpm", "clk", "pd", "fault", NULL,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace probe [--json] [--btf FILE] [--board FILE] [--load-only]\n"
"                       [--kallsyms FILE] [--sysfs DIR] [-v]\n"
"\n"
"Resolve every hook against this kernel (kallsyms, BTF), load the BPF programs\n"
"and try to attach each one, then print: hook, target, method, status, reason.\n"
"Then the coverage of each SMMU that is translating here (a device bound to\n"
"arm-smmu-v3 or arm-smmu): for every logical event (map, unmap, tlbi, sync,\n"
"flush_all, smmu_reset, attach, fault, rpm, clk, pd) whether it can be\n"
"captured and by which hook; and each blind spot: an event a rule needs that\n"
"cannot be captured, the rules it blinds, what to do. Needs root.\n"
"\n"
"  --json        one JSON object instead of the table\n"
"  --board FILE  board description: the gate rules then need the events of\n"
"                its TBUs' gates (clk, pd, rpm); without TBUs they need none\n"
"  --dt DIR      device tree to discover TBUs from (default /proc/device-tree)\n"
"  --load-only   load the programs but attach nothing: a hook counts as\n"
"                capturable when it resolved (for symbol lists of other kernels)\n"
"  --sysfs DIR   sysfs root to find translating SMMUs under (default /sys)\n"
"  --btf FILE    kernel BTF to use when /sys/kernel/btf/vmlinux is missing.\n"
"                A small one for smmutrace only, from the board's full BTF\n"
"                (e.g. cut from vmlinux with pahole, or BTFHub):\n"
"                  bpftool gen min_core_btf FULL.btf smmutrace.btf smmutrace.bpf.o\n"
"  --kallsyms F  symbol list to resolve against (default /proc/kallsyms)\n"
"  -v            libbpf messages (-vv: with debug)\n"
"\n"
"Methods: fentry (+ fexit; unique names, where the kernel has trampolines),\n"
"kprobe (by name), kprobe@addr (a name both SMMU drivers define: the right\n"
"copy by address; or a gcc .isra clone whose arguments the hook table knows),\n"
"tp_btf, raw_tp. Hooks with event \"-\" emit nothing alone: they name the\n"
"domain of the SMMUv3 commands issued inside them.\n"
"\n"
"Exit status: 0 every event a rule needs can be captured on every translating\n"
"SMMU, or no SMMU is translating here (nothing to judge: said so); 1 a blind\n"
"spot (live and record then refuse without --force); 2 usage error, bad board\n"
"file or an unreadable --btf/--kallsyms file; 3 the environment cannot run BPF\n"
"(not root, no BTF, lockdown).\n"
"\n"
"Examples:\n"
"  smmutrace probe                             what this kernel offers, per SMMU\n"
"  smmutrace probe --json | jq '.coverage'     blind spots and unjudged rules\n"
"  smmutrace probe --btf /boot/smmutrace.btf   a kernel without /sys/kernel/btf\n"
"  smmutrace probe --load-only --kallsyms other.kallsyms --sysfs DIR\n"
"                                              judge another kernel's symbols\n");
}

/* --load-only (LOAD_ONLY) attaches nothing: a resolved hook is what attach would try */
static bool event_covered(const struct hook_res *res, const char *ev, bool load_only)
{
	for (int i = 0; i < hook_table_len; i++)
		if ((res[i].status == HOOK_ATTACHED || (load_only && res[i].status == HOOK_RESOLVED)) &&
		    strstr(res[i].def->event, ev))
			return true;
	return false;
}

static void print_table(struct capture *c, bool load_only)
{
	const struct hook_res *res = capture__hooks(c);
	struct utsname u;
	int attached = 0;

	if (!uname(&u))
		printf("kernel: %s %s\n", u.release, u.machine);
	printf("BTF: %s\n%s\n%s\n%s\n\n", capture__btf_source(c), capture__fentry_note(c),
	       capture__layout_note(c), capture__state_note(c));
	printf("%-20s %-30s %-11s %-9s %s\n", "HOOK", "TARGET", "METHOD", "STATUS", "REASON");
	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_res *r = &res[i];

		printf("%-20s %-30s %-11s %-9s %s\n", r->def->hook,
		       r->symbol[0] ? r->symbol : r->def->cands[0].target,
		       r->method[0] ? r->method : "-", hooks__status_name(r->status), r->reason);
		attached += r->status == HOOK_ATTACHED;
	}
	printf("\n%d of %d hooks attached. Events with a source here:", attached, hook_table_len);
	for (int i = 0; spec_events[i]; i++)
		if (event_covered(res, spec_events[i], load_only))
			printf(" %s", spec_events[i]);
	printf("\nNo source here:");
	for (int i = 0; spec_events[i]; i++)
		if (!event_covered(res, spec_events[i], load_only))
			printf(" %s", spec_events[i]);
	printf("\n");
}

static void print_coverage(const struct coverage *cov, const char *sysfs)
{
	char line[1024];

	if (!cov->nsmmus) {
		printf("\ncoverage: no translating SMMU (no device bound to arm-smmu-v3 or arm-smmu "
		       "under %s/bus/platform/drivers): no SMMU events can occur here, so no rule "
		       "has a blind spot\n", sysfs);
		return;
	}
	printf("\ncoverage per translating SMMU (NO = a rule needs it and it cannot be captured):\n");
	printf("%-20s %-12s %-11s %-8s %s\n", "SMMU", "DRIVER", "EVENT", "CAPTURE", "HOW");
	for (int s = 0; s < cov->nsmmus; s++)
		for (int e = 0; e < COV_EVENT_MAX; e++) {
			const struct cov_cell *cell = &cov->cell[s][e];

			printf("%-20s %-12s %-11s %-8s %s\n", cov->smmus[s].name, cov->smmus[s].driver,
			       coverage__event_name(e), cell->yes ? "yes" : cov->needed[s][e] ? "NO" : "no",
			       cell->how);
		}
	if (!cov->nblind) {
		printf("\nno blind spot: every event a rule needs can be captured on %d SMMU%s\n",
		       cov->nsmmus, cov->nsmmus == 1 ? "" : "s");
		return;
	}
	printf("\n");
	for (int i = 0; i < cov->nblind; i++)
		printf("blind: %s\n", coverage__blind_line(cov, i, line, sizeof(line)));
	printf("%d blind spot%s: findings of those rules would be false alarms or missing. "
	       "live and record refuse to trace (exit 3) unless --force, which records the blind "
	       "spots so replay lists those rules as not judged. To see the events: a kernel "
	       "where the hooks above resolve (functions not inlined, driver BTF present).\n",
	       cov->nblind, cov->nblind == 1 ? "" : "s");
}

static void json_coverage(struct jsonw *w, const struct coverage *cov, const char *sysfs)
{
	char *blind = coverage__blind_json(cov->blind, cov->nblind);
	char rules[256];

	jsonw__key(w, "coverage");
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "sysfs", sysfs);
	jsonw__key(w, "smmus");
	jsonw__arr_begin(w);
	for (int s = 0; s < cov->nsmmus; s++) {
		jsonw__obj_begin(w);
		jsonw__kv_str(w, "smmu", cov->smmus[s].name);
		jsonw__kv_str(w, "driver", cov->smmus[s].driver);
		jsonw__key(w, "events");
		jsonw__obj_begin(w);
		for (int e = 0; e < COV_EVENT_MAX; e++) {
			jsonw__key(w, coverage__event_name(e));
			jsonw__obj_begin(w);
			jsonw__kv_bool(w, "captured", cov->cell[s][e].yes);
			jsonw__kv_bool(w, "needed", cov->needed[s][e]);
			jsonw__kv_str(w, "how", cov->cell[s][e].how);
			jsonw__obj_end(w);
		}
		jsonw__obj_end(w);
		jsonw__obj_end(w);
	}
	jsonw__arr_end(w);
	jsonw__key(w, "blind");
	jsonw__raw(w, blind ? blind : "[]");
	jsonw__key(w, "not_judged");
	jsonw__obj_begin(w);
	for (int r = 0; r < RULE_MAX; r++) {
		for (int i = 0; i < cov->nblind; i++) {
			int ev = coverage__event_from_name(cov->blind[i].event);
			unsigned int gm = COV_ALL_GATES;

			for (int s = 0; s < cov->nsmmus; s++)
				if (!strcmp(cov->smmus[s].name, cov->blind[i].smmu))
					gm = cov->gate_mask[s];
			if (!coverage__rule_needs(r, ev, gm))
				continue;
			snprintf(rules, sizeof(rules), "%s not captured on %s", cov->blind[i].event,
				 cov->blind[i].smmu);
			jsonw__kv_str(w, rule__name(r), rules);
			break;
		}
	}
	jsonw__obj_end(w);
	jsonw__obj_end(w);
	free(blind);
}

/* 0, or -ENOMEM */
static int print_json(struct capture *c, const struct coverage *cov, const char *sysfs,
		      bool load_only)
{
	const struct hook_res *res = capture__hooks(c);
	char *hooks = capture__hooks_json(c);
	struct jsonw *w = jsonw__new(stdout);
	struct utsname u;

	if (!w || !hooks) {
		jsonw__free(w);
		free(hooks);
		return -ENOMEM;
	}
	memset(&u, 0, sizeof(u));
	uname(&u);
	jsonw__obj_begin(w);
	jsonw__kv_str(w, "kernel", u.release);
	jsonw__kv_str(w, "arch", u.machine);
	jsonw__kv_str(w, "btf", capture__btf_source(c));
	jsonw__kv_str(w, "fentry", capture__fentry_note(c));
	jsonw__kv_str(w, "layout", capture__layout_note(c));
	jsonw__kv_str(w, "entry_state", capture__state_note(c));
	jsonw__key(w, "hooks");
	jsonw__raw(w, hooks);
	jsonw__key(w, "events");
	jsonw__obj_begin(w);
	for (int i = 0; spec_events[i]; i++)
		jsonw__kv_bool(w, spec_events[i], event_covered(res, spec_events[i], load_only));
	jsonw__obj_end(w);
	json_coverage(w, cov, sysfs);
	jsonw__obj_end(w);
	jsonw__newline(w);
	jsonw__free(w);
	free(hooks);
	return 0;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "btf", required_argument, NULL, 'b' },
		{ "kallsyms", required_argument, NULL, 'k' },
		{ "board", required_argument, NULL, 'B' },
		{ "dt", required_argument, NULL, 'D' },
		{ "load-only", no_argument, NULL, 'L' },
		{ "sysfs", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct capture_opts opts = { .ringbuf_bytes = 1 << 20, .all_gates = true };
	const char *sysfs = "/sys";
	struct env env;
	struct coverage *cov;
	struct topology topo;
	struct capture *c;
	bool json = false;
	char err[1024];
	int ch, status;

	env__init(&env);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'b': opts.btf_path = optarg; break;
		case 'k': opts.kallsyms_path = optarg; break;
		case 'B': env.board_path = optarg; break;
		case 'D': env.dt_dir = optarg; break;
		case 'L': opts.no_attach = true; break;
		case 'S': sysfs = optarg; break;
		case 'v': log__more_verbose(); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return env__bad_option("probe");
		}
	}
	if (optind < argc) {
		pr_err("probe: unexpected argument '%s'\n", argv[optind]);
		return EXIT_INPUT;
	}
	/* a missing file is the user's typo, not the environment: name the option */
	if (opts.kallsyms_path && access(opts.kallsyms_path, R_OK)) {
		pr_err("probe: --kallsyms: %s: %s\n", opts.kallsyms_path, strerror(errno));
		return EXIT_INPUT;
	}
	if (opts.btf_path && access(opts.btf_path, R_OK)) {
		pr_err("probe: --btf: %s: %s\n", opts.btf_path, strerror(errno));
		return EXIT_INPUT;
	}
	/* the gate rules need the events of the gates the TBUs use (SPEC §4, §9) */
	env__live_dt(&env);
	status = env__topology(&env, NULL, &topo);
	if (status)
		return status;
	if (capture__open(&c, &opts, err, sizeof(err))) {
		pr_err("%s\n", err);
		topology__free(&topo);
		return EXIT_ENV;
	}
	cov = malloc(sizeof(*cov));
	if (!cov || coverage__judge(cov, capture__hooks(c), sysfs, &topo, opts.no_attach,
				    err, sizeof(err))) {
		pr_err("%s\n", cov ? err : "out of memory");
		free(cov);
		capture__free(c);
		topology__free(&topo);
		return EXIT_ENV;
	}
	status = cov->nblind ? EXIT_FINDINGS : EXIT_OK;
	if (json && print_json(c, cov, sysfs, opts.no_attach)) {
		pr_err("out of memory\n");
		status = EXIT_ENV;
	} else if (!json) {
		print_table(c, opts.no_attach);
		print_coverage(cov, sysfs);
	}
	free(cov);
	capture__free(c);
	topology__free(&topo);
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("probe: writing the output failed\n");
		return EXIT_ENV;
	}
	return status;
}
