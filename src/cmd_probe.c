// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* smmutrace probe: which hooks this kernel offers and how each attaches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "capture.h"
#include "commands.h"
#include "env.h"

static const char *const spec_events[] = {
	"attach", "detach", "domain_free", "map", "unmap", "tlbi", "sync", "flush_all",
	"smmu_reset", "rpm", "clk", "pd", "fault", NULL,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: smmutrace probe [--json] [--btf FILE] [-v]\n"
"\n"
"Resolve every hook against this kernel (kallsyms, BTF), load the BPF programs\n"
"and try to attach each one, then print: hook, target, method, status, reason.\n"
"Needs no board. Needs root.\n"
"\n"
"  --json        one JSON object instead of the table\n"
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
"domain of the SMMUv3 commands issued inside them. Exit 3 when the\n"
"environment cannot run BPF (not root, no BTF, lockdown).\n");
}

static bool event_covered(const struct hook_res *res, const char *ev)
{
	for (int i = 0; i < hook_table_len; i++)
		if (res[i].status == HOOK_ATTACHED && strstr(res[i].def->event, ev))
			return true;
	return false;
}

static void print_table(struct capture *c)
{
	const struct hook_res *res = capture__hooks(c);
	struct utsname u;
	int attached = 0;

	if (!uname(&u))
		printf("kernel: %s %s\n", u.release, u.machine);
	printf("BTF: %s\n%s\n%s\n\n", capture__btf_source(c), capture__fentry_note(c),
	       capture__layout_note(c));
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
		if (event_covered(res, spec_events[i]))
			printf(" %s", spec_events[i]);
	printf("\nNo source here:");
	for (int i = 0; spec_events[i]; i++)
		if (!event_covered(res, spec_events[i]))
			printf(" %s", spec_events[i]);
	printf("\n");
}

static void print_json(struct capture *c)
{
	const struct hook_res *res = capture__hooks(c);
	char *hooks = capture__hooks_json(c);
	struct utsname u;

	memset(&u, 0, sizeof(u));
	uname(&u);
	printf("{\"kernel\":\"%s\",\"arch\":\"%s\",\"btf\":\"%s\",\"fentry\":\"%s\","
	       "\"layout\":\"%s\",\"hooks\":%s,\"events\":{", u.release, u.machine,
	       capture__btf_source(c), capture__fentry_note(c), capture__layout_note(c),
	       hooks ? hooks : "[]");
	for (int i = 0; spec_events[i]; i++)
		printf("%s\"%s\":%s", i ? "," : "", spec_events[i],
		       event_covered(res, spec_events[i]) ? "true" : "false");
	printf("}}\n");
	free(hooks);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "btf", required_argument, NULL, 'b' },
		{ "kallsyms", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct capture_opts opts = { .ringbuf_bytes = 1 << 20, .all_gates = true };
	struct capture *c;
	bool json = false;
	char err[512];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'b': opts.btf_path = optarg; break;
		case 'k': opts.kallsyms_path = optarg; break;
		case 'v': env_verbose++; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_INPUT;
		}
	}
	if (optind < argc) {
		pr_err("probe: unexpected argument '%s'\n", argv[optind]);
		return EXIT_INPUT;
	}
	if (capture__open(&c, &opts, err, sizeof(err))) {
		pr_err("%s\n", err);
		return EXIT_ENV;
	}
	if (json)
		print_json(c);
	else
		print_table(c);
	capture__free(c);
	return EXIT_OK;
}
