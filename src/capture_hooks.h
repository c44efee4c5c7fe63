/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hook table (every logical hook, its candidate kernel functions or
 * tracepoints in fallback order, and the BPF programs that serve it) and its
 * resolution against a kernel's symbol list (/proc/kallsyms). Pure: no BPF
 * here, so the resolution is unit-tested against symbol lists of 5.10, 5.15,
 * 6.1 and 6.12 kernels (tests/data/kallsyms/).
 *
 * Duplicated names. With arm-smmu (v2) and arm-smmu-v3 both built in, about
 * 20 static names exist twice (arm_smmu_map_pages, arm_smmu_unmap_pages, ...):
 * a kprobe by name fails (EADDRNOTAVAIL) and fentry binds the v2 copy. Each
 * copy is assigned to a driver by the address range spanned by symbols that
 * exist in one driver only, and attached by address.
 */
#ifndef SMMUTRACE_CAPTURE_HOOKS_H
#define SMMUTRACE_CAPTURE_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ksyms;

/* Parse kallsyms text ("ADDR TYPE NAME [MODULE]"); only text symbols are kept. */
int ksyms__load(struct ksyms **out, FILE *f, const char *name, char *err, size_t errlen);
int ksyms__load_path(struct ksyms **out, const char *path, char *err, size_t errlen);
/* true when every address read was 0 (kallsyms read without privilege) */
bool ksyms__addrs_hidden(const struct ksyms *ks);
void ksyms__free(struct ksyms *ks);

enum hook_drv {
	HOOK_DRV_ANY = 0,	/* iommu core, io-pgtable, genpd: one copy expected */
	HOOK_DRV_V2,		/* arm-smmu.c */
	HOOK_DRV_V3,		/* arm-smmu-v3.c */
};

enum hook_kind {
	HOOK_KPROBE = 0,	/* kernel function: kprobe (+ kretprobe when ret_prog) */
	HOOK_TP,		/* tracepoint: tp_btf, else raw_tp */
};

struct hook_cand {
	const char *target;	/* function or tracepoint name */
	const char *entry_prog;	/* BPF program for the entry / tracepoint */
	const char *ret_prog;	/* kretprobe program, or NULL */
	/* an iommu core function every call of the event goes through (every
	 * driver's, every caller's: iommu_map and iommu_map_sg alike): it can
	 * stand for the driver rows (prefer_trampoline) */
	bool bottleneck;
};

struct hook_def {
	const char *hook;	/* logical name shown by probe: "unmap@v3" */
	const char *event;	/* SPEC event it produces */
	enum hook_kind kind;
	enum hook_drv drv;
	/* Hooks of one group are alternatives: a `fallback` row is attached
	 * only when no other row of its group attached (e.g. iommu:unmap, which
	 * has no domain pointer, stands in for the driver unmap hooks). */
	const char *group;
	bool fallback;
	bool optional;		/* not a problem when absent (probe says "n/a") */
	/* A fallback that replaces the primary rows of its group where its
	 * candidate is a bottleneck attached by trampoline (fentry) and those
	 * rows would be kprobes (6.12, 7.2: names both drivers define, by
	 * address): a trap and a single-step per call saved. It sees the calls
	 * of every driver's domains, so it stands for v2's and v3's rows. */
	bool prefer_trampoline;
	struct hook_cand cands[3];	/* in order of preference */
	/* A gcc clone (.isra.N, .constprop.N) of the target may be used: its
	 * arguments are known to be the original ones (the row says where
	 * from). Clones are attached by address. */
	bool clone_ok;
	/* Arguments to assume when BTF has no prototype for the target (the
	 * handler's layout depends on it); 0: the hook is unusable then. */
	int nargs_no_btf;
	/* The clone's return value is the original one. gcc's IPA-SRA drops
	 * return values no caller uses, so a clone's is not trusted unless
	 * the row says so. */
	bool clone_ret_ok;
};

extern const struct hook_def hook_table[];
extern const int hook_table_len;

enum hook_status {
	HOOK_UNRESOLVED = 0,
	HOOK_RESOLVED,		/* target found; attach not tried yet */
	HOOK_ATTACHED,
	HOOK_FAILED,		/* attach tried and failed */
	HOOK_MISSING,		/* no candidate exists in this kernel */
	HOOK_SKIPPED,		/* fallback not needed, or not selected */
};

struct hook_res {
	const struct hook_def *def;
	int cand;			/* index into def->cands, -1 if none */
	char symbol[128];		/* the kallsyms name (may carry .isra.N) */
	unsigned long long addr;	/* 0 when attached by name / tracepoint */
	bool by_addr;			/* kprobe by address (duplicated name) */
	char method[32];		/* "kprobe", "kprobe@addr", "tp_btf", "raw_tp" */
	enum hook_status status;
	char reason[160];
	bool fentry;			/* attached as fentry (+ fexit) instead of kprobes */
	bool preferred;			/* prefer_trampoline applied: attached as a primary */
	int displaced_by;		/* 1 + the row that replaced this one, or 0 */
};

/* Which driver a text address belongs to, from the unique-symbol ranges. */
enum hook_drv ksyms__driver_of(const struct ksyms *ks, unsigned long long addr);

/*
 * Resolve every HOOK_KPROBE row against KS into RES[hook_table_len]
 * (HOOK_TP rows are left HOOK_UNRESOLVED for the BTF check).
 */
void hooks__resolve(const struct ksyms *ks, struct hook_res *res);

/*
 * prefer_trampoline, on RES with the fentry choice made (res->fentry): each
 * such row whose candidate is a bottleneck attached by trampoline, in a
 * group whose resolved primaries would all be kprobes, is marked preferred
 * and those primaries HOOK_SKIPPED with the reason (displaced_by). Returns
 * the number of rows skipped. hooks__unprefer(RES, P) undoes it for row P
 * (its trampoline did not attach): its primaries are HOOK_RESOLVED again.
 */
int hooks__prefer_trampolines(struct hook_res *res);
void hooks__unprefer(struct hook_res *res, int p);

/*
 * Every program the table names (and the raw_tp_<tp> stand-in of each
 * tp_btf_<tp>) exists: HAS_PROG(CTX, NAME) says whether the BPF object has
 * NAME. -ENOENT with ERR naming the row and the program otherwise. Checked
 * at load (a renamed program must not silently disable a hook) and by the
 * table's unit test against the skeleton.
 */
int hooks__check_progs(bool (*has_prog)(void *ctx, const char *name), void *ctx,
		       char *err, size_t errlen);
const char *hooks__status_name(enum hook_status s);

#endif
