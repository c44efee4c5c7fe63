// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The hook table and its resolution against kallsyms (see capture_hooks.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture_hooks.h"

/* A kernel function or tracepoint and the programs named after it in
 * bpf/smmutrace.bpf.c (kprobe_<fn>, kretprobe_<fn>, tp_btf_<tp>): a row
 * cannot name a program that sits on another function. */
#define FN(fn)		{ .target = fn, .entry_prog = "kprobe_" fn }
#define FN_RET(fn)	{ .target = fn, .entry_prog = "kprobe_" fn, .ret_prog = "kretprobe_" fn }
#define TP(tp)		{ .target = tp, .entry_prog = "tp_btf_" tp }
/* an iommu core function every call of the event goes through (see bottleneck) */
#define CORE_RET(fn)	{ .target = fn, .entry_prog = "kprobe_" fn, .ret_prog = "kretprobe_" fn, \
			  .bottleneck = true }

/*
 * THE fallback table. Order inside cands[] is preference; a `fallback` row is
 * used only when no primary row of its group attached. Programs are in
 * bpf/smmutrace.bpf.c.
 */
const struct hook_def hook_table[] = {
	/* map / unmap with return values: the driver ops (5.15+ *_pages, older plain) */
	{ .hook = "map@v2", .event = "map", .group = "map",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN_RET("arm_smmu_map_pages"), FN_RET("arm_smmu_map") } },
	{ .hook = "map@v3", .event = "map", .group = "map",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("arm_smmu_map_pages"), FN_RET("arm_smmu_map") } },
	/*
	 * The iommu core: every IOMMU driver's domains, v2's and v3's alike (the
	 * BPF side keeps the SMMUs' by domain->ops). A fallback, except where it
	 * attaches by trampoline and the driver rows would be kprobes (6.12, 7.2:
	 * arm_smmu_map_pages is in both drivers, so by address): a trap and a
	 * single-step per call against a trampoline (prefer_trampoline).
	 *   __iommu_map(domain, iova, paddr, size, prot, gfp): static; under
	 *     iommu_map and iommu_map_sg (6.12; 5.10, 6.1: also iommu_map_atomic,
	 *     the DMA path there)
	 *   iommu_map_nosync, same arguments: its 7.x name (7.2 has no __iommu_map)
	 *   iommu_map misses iommu_map_sg's maps: never preferred
	 */
	{ .hook = "map@core", .event = "map", .group = "map",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .fallback = true, .prefer_trampoline = true,
	  .cands = { CORE_RET("__iommu_map"), CORE_RET("iommu_map_nosync"), FN_RET("iommu_map") } },
	{ .hook = "map@tracepoint", .event = "map", .group = "map",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY, .fallback = true,
	  .cands = { TP("map") } },
	{ .hook = "unmap@v2", .event = "unmap", .group = "unmap",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN_RET("arm_smmu_unmap_pages"), FN_RET("arm_smmu_unmap") } },
	{ .hook = "unmap@v3", .event = "unmap", .group = "unmap",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("arm_smmu_unmap_pages"), FN_RET("arm_smmu_unmap") } },
	/* __iommu_unmap(domain, iova, size, gather): under iommu_unmap and
	 * iommu_unmap_fast on every version; the one caller of ops->unmap_pages */
	{ .hook = "unmap@core", .event = "unmap", .group = "unmap",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .fallback = true, .prefer_trampoline = true,
	  .cands = { CORE_RET("__iommu_unmap") } },
	{ .hook = "unmap@tracepoint", .event = "unmap", .group = "unmap",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY, .fallback = true,
	  .cands = { TP("unmap") } },
	/* io-pgtable: drm/msm per-process tables bypass the driver and iommu core */
	{ .hook = "unmap@io-pgtable", .event = "unmap", .group = "unmap-pgtable",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .optional = true,
	  .cands = { FN_RET("arm_lpae_unmap_pages"), FN_RET("arm_lpae_unmap") } },

	/* v2 TLB maintenance: range_s1 serves walk and add_page (5.10+); those
	 * two stand in when a compiler inlined range_s1 */
	{ .hook = "tlbi-range@v2", .event = "tlbi", .group = "tlbi-range-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_tlb_inv_range_s1") } },
	{ .hook = "tlbi-range-s2@v2", .event = "tlbi", .group = "tlbi-range-s2-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_tlb_inv_range_s2") } },
	{ .hook = "tlbi-walk@v2", .event = "tlbi", .group = "tlbi-range-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .fallback = true, .optional = true,
	  .cands = { FN("arm_smmu_tlb_inv_walk_s1") } },
	{ .hook = "tlbi-add-page@v2", .event = "tlbi", .group = "tlbi-range-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .fallback = true, .optional = true,
	  .cands = { FN("arm_smmu_tlb_add_page_s1") } },
	{ .hook = "tlbi-context@v2", .event = "tlbi", .group = "tlbi-context-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_tlb_inv_context_s1") } },
	{ .hook = "tlbi-context-s2@v2", .event = "tlbi", .group = "tlbi-context-s2-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_tlb_inv_context_s2") } },
	{ .hook = "sync@v2", .event = "sync", .group = "sync-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN_RET("__arm_smmu_tlb_sync") } },
	{ .hook = "sync-domain@v2", .event = "sync", .group = "sync-domain-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_iotlb_sync") } },
	{ .hook = "sync-timeout@qcom", .event = "sync", .group = "sync-timeout",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .optional = true,
	  .cands = { FN("qcom_smmu_tlb_sync_debug") } },
	{ .hook = "smmu_reset@v2", .event = "smmu_reset", .group = "reset-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_device_reset") } },
	{ .hook = "context-fault@v2", .event = "fault", .group = "ctxfault-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN("arm_smmu_context_fault") } },

	/*
	 * v3: every TLBI and CMD_SYNC is decoded from the command queue
	 * (smmuv3-invalidation-by-version.md §1, §6): arm_smmu_cmdq_issue_cmdlist
	 * is the one insertion point on every kernel.
	 *   5.10.223: only the clone arm_smmu_cmdq_issue_cmdlist.isra.0, not in
	 *     BTF; args stay (smmu x0, cmds x1, n w2, sync w3) (seen on a boot:
	 *     cmdq at smmu+0x40 in x0), hence clone_ok and 4 without BTF. Its
	 *     return value is not (x0 at return was nonzero for every sync on
	 *     the 5.10 board): clone_ret_ok stays false, syncs carry no timeout.
	 *   6.1: (smmu, cmds, n, sync). 6.12, 7.2: (smmu, cmdq, cmds, n, sync),
	 *     7.2 with struct arm_smmu_cmd *cmds (same 16-byte layout). BTF
	 *     has the prototype there; the loader counts its parameters.
	 */
	{ .hook = "cmdq@v3", .event = "tlbi,sync", .group = "cmdq-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .clone_ok = true, .nargs_no_btf = 4,
	  .cands = { FN_RET("arm_smmu_cmdq_issue_cmdlist") } },
	/*
	 * Domain of the commands issued inside (a command carries only an
	 * ASID/VMID): these hooks emit nothing by themselves ("-"), they
	 * attribute cmdq@v3's va/context TLBIs and teach it ASID -> domain.
	 *   6.1-6.12: __arm_smmu_tlb_inv_range(cmd, iova, size, granule, smmu_domain)
	 *   7.2: arm_smmu_domain_inv_range(smmu_domain, iova, size, granule, leaf)
	 *     (__arm_smmu_tlb_inv_range is gone; flush_iotlb_all calls it too)
	 *   5.10: arm_smmu_tlb_inv_range(iova, size, granule, leaf, smmu_domain),
	 *     static and absent from the 5.10 BTF: positions from the v5.10 source
	 */
	{ .hook = "tlbi-range@v3", .event = "-", .group = "tlbi-range-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("__arm_smmu_tlb_inv_range"),
		     FN_RET("arm_smmu_domain_inv_range"),
		     FN_RET("arm_smmu_tlb_inv_range") } },
	/* io-pgtable tlb_flush_all (cookie = smmu_domain) on every version */
	{ .hook = "tlbi-context@v3", .event = "-", .group = "tlbi-context-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("arm_smmu_tlb_inv_context") } },
	/*
	 * v3 faults: no tracepoint fires for them (the driver never calls
	 * report_iommu_fault). queue_remove_raw(q, ent) is static, unique and
	 * not cloned on 5.10, 6.1, 6.12 and 7.2; the records are architectural.
	 */
	{ .hook = "fault@v3", .event = "fault", .group = "fault-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("queue_remove_raw") } },

	/* both drivers */
	{ .hook = "flush_all@v2", .event = "flush_all", .group = "flush-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN_RET("arm_smmu_flush_iotlb_all") } },
	{ .hook = "flush_all@v3", .event = "flush_all", .group = "flush-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("arm_smmu_flush_iotlb_all") } },
	{ .hook = "attach@v2", .event = "attach", .group = "attach-v2",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V2, .optional = true,
	  .cands = { FN_RET("arm_smmu_attach_dev") } },
	{ .hook = "attach@v3", .event = "attach", .group = "attach-v3",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_V3, .optional = true,
	  .cands = { FN_RET("arm_smmu_attach_dev") } },

	/* iommu core */
	{ .hook = "detach", .event = "detach", .group = "detach",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY,
	  .cands = { FN("iommu_detach_device") } },
	{ .hook = "domain_free", .event = "domain_free", .group = "domain_free",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY,
	  .cands = { FN("iommu_domain_free") } },
	{ .hook = "dma-domain-ties", .event = "attach", .group = "ties",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY,
	  .cands = { FN_RET("iommu_get_dma_domain") } },
	{ .hook = "fault", .event = "fault", .group = "fault",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY,
	  .cands = { FN("report_iommu_fault") } },
	{ .hook = "fault@tracepoint", .event = "fault", .group = "fault",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY, .fallback = true,
	  .cands = { TP("io_page_fault") } },

	/* gates */
	{ .hook = "rpm", .event = "rpm", .group = "rpm",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY,
	  .cands = { TP("rpm_status") } },
	/* before 6.9: states read at the end of rpm_suspend/resume/idle */
	{ .hook = "rpm@return_int", .event = "rpm", .group = "rpm",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY, .fallback = true,
	  .cands = { TP("rpm_return_int") } },
	{ .hook = "clk-on", .event = "clk", .group = "clk-on",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY,
	  .cands = { TP("clk_enable") } },
	{ .hook = "clk-off", .event = "clk", .group = "clk-off",
	  .kind = HOOK_TP, .drv = HOOK_DRV_ANY,
	  .cands = { TP("clk_disable") } },
	/* genpd has no tracepoints; gdsc_* only where _genpd_* is missing (they nest) */
	{ .hook = "pd-on", .event = "pd", .group = "pd-on",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .optional = true,
	  .cands = { FN_RET("_genpd_power_on") } },
	{ .hook = "pd-off", .event = "pd", .group = "pd-off",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .optional = true,
	  .cands = { FN_RET("_genpd_power_off") } },
	{ .hook = "pd-on@gdsc", .event = "pd", .group = "pd-on",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .fallback = true, .optional = true,
	  .cands = { FN_RET("gdsc_enable") } },
	{ .hook = "pd-off@gdsc", .event = "pd", .group = "pd-off",
	  .kind = HOOK_KPROBE, .drv = HOOK_DRV_ANY, .fallback = true, .optional = true,
	  .cands = { FN_RET("gdsc_disable") } },
};
const int hook_table_len = sizeof(hook_table) / sizeof(hook_table[0]);

/* ---- kallsyms ---- */
struct ksym {
	unsigned long long addr;
	char *name;	/* as in kallsyms, e.g. "arm_smmu_atc_inv_master.isra.0" */
	size_t base_len;	/* length of the name without a .isra.N/.constprop.N/... suffix */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	bool nonzero;
	/* address ranges of the v2 and v3 drivers (from unique symbols) */
	unsigned long long lo[3], hi[3];
};

/* Symbols only one driver has (emulated-board.md §4, kernel-hooks.md §1.5). */
static const char *const v2_anchors[] = {
	"__arm_smmu_tlb_sync", "arm_smmu_tlb_inv_context_s1", "arm_smmu_tlb_add_page_s1",
	"arm_smmu_tlb_inv_walk_s1", "arm_smmu_device_reset", "arm_smmu_write_context_bank",
	"arm_smmu_context_fault", "arm_smmu_global_fault", "arm_smmu_runtime_resume",
	"arm_smmu_write_s2cr", "arm_smmu_write_sme", NULL,
};
static const char *const v3_anchors[] = {
	"arm_smmu_cmdq_issue_cmdlist", "arm_smmu_tlb_inv_context", "__arm_smmu_tlb_inv_range",
	"arm_smmu_tlb_inv_walk", "arm_smmu_evtq_thread", "arm_smmu_gerror_handler",
	"arm_smmu_init_one_queue", "arm_smmu_cmdq_write_entries", "arm_smmu_priq_thread",
	"arm_smmu_tlb_inv_page_nosync", "arm_smmu_write_reg_sync", NULL,
};

/* Only names that can matter to the hook table are kept (kallsyms is ~150k lines). */
static bool interesting(const char *name)
{
	static const char *const pfx[] = {
		"arm_smmu", "__arm_smmu", "qcom_smmu", "arm_lpae", "__iommu", "iommu_",
		"report_iommu", "_genpd", "genpd", "gdsc_", "queue_remove_raw", NULL,
	};
	for (int i = 0; pfx[i]; i++)
		if (!strncmp(name, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

static size_t base_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

static bool is_name(const struct ksym *s, const char *fn)
{
	size_t l = strlen(fn);

	return s->base_len == l && !strncmp(s->name, fn, l);
}

static void ksyms__ranges(struct ksyms *ks)
{
	const char *const *anchors[3] = { NULL, v2_anchors, v3_anchors };

	for (int d = 1; d <= 2; d++) {
		ks->lo[d] = UINT64_MAX;
		ks->hi[d] = 0;
		for (size_t i = 0; i < ks->n; i++) {
			for (int a = 0; anchors[d][a]; a++) {
				if (!is_name(&ks->syms[i], anchors[d][a]))
					continue;
				if (ks->syms[i].addr < ks->lo[d])
					ks->lo[d] = ks->syms[i].addr;
				if (ks->syms[i].addr > ks->hi[d])
					ks->hi[d] = ks->syms[i].addr;
			}
		}
	}
}

int ksyms__load(struct ksyms **out, FILE *f, const char *name, char *err, size_t errlen)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512];
	unsigned long lineno = 0;

	if (!ks)
		return -ENOMEM;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, sym[256];
		struct ksym *s;

		lineno++;
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3) {
			snprintf(err, errlen, "%s:%lu: not a kallsyms line", name, lineno);
			ksyms__free(ks);
			return -EINVAL;
		}
		/* fn.cold is gcc's out-of-line cold tail of fn, not a function entry */
		if (tolower((unsigned char)type) != 't' || !interesting(sym) || strstr(sym, ".cold"))
			continue;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 256;
			struct ksym *ns = realloc(ks->syms, cap * sizeof(*ns));

			if (!ns) {
				ksyms__free(ks);
				return -ENOMEM;
			}
			ks->syms = ns;
			ks->cap = cap;
		}
		s = &ks->syms[ks->n];
		s->addr = addr;
		s->name = strdup(sym);
		if (!s->name) {
			ksyms__free(ks);
			return -ENOMEM;
		}
		s->base_len = base_len(sym);
		ks->n++;
		if (addr)
			ks->nonzero = true;
	}
	ksyms__ranges(ks);
	*out = ks;
	return 0;
}

int ksyms__load_path(struct ksyms **out, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = ksyms__load(out, f, path, err, errlen);
	fclose(f);
	return ret;
}

bool ksyms__addrs_hidden(const struct ksyms *ks)
{
	return ks->n && !ks->nonzero;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->syms[i].name);
	free(ks->syms);
	free(ks);
}

/* v2/v3 objects are linked apart: a copy belongs to the driver whose range holds it,
 * else to the nearest range within 1 MiB. */
enum hook_drv ksyms__driver_of(const struct ksyms *ks, unsigned long long addr)
{
	unsigned long long best = 1ull << 20;
	enum hook_drv drv = HOOK_DRV_ANY;

	for (int d = 1; d <= 2; d++) {
		unsigned long long dist;

		if (ks->lo[d] > ks->hi[d])
			continue;
		if (addr >= ks->lo[d] && addr <= ks->hi[d])
			return d;
		dist = addr < ks->lo[d] ? ks->lo[d] - addr : addr - ks->hi[d];
		if (dist < best) {
			best = dist;
			drv = d;
		}
	}
	return drv;
}

const char *hooks__status_name(enum hook_status s)
{
	switch (s) {
	case HOOK_RESOLVED: return "resolved";
	case HOOK_ATTACHED: return "attached";
	case HOOK_FAILED: return "failed";
	case HOOK_MISSING: return "missing";
	case HOOK_SKIPPED: return "skipped";
	default: return "unresolved";
	}
}

static void resolve_one(const struct ksyms *ks, const struct hook_def *d, struct hook_res *r)
{
	const char *clone = NULL;
	const char *other_drv = NULL;

	for (int c = 0; c < 3 && d->cands[c].target; c++) {
		const struct ksym *pick = NULL;
		int copies = 0, matching = 0;

		for (size_t i = 0; i < ks->n; i++) {
			const struct ksym *s = &ks->syms[i];

			if (!is_name(s, d->cands[c].target))
				continue;
			copies++;
			if (d->drv != HOOK_DRV_ANY && ksyms__driver_of(ks, s->addr) != d->drv) {
				other_drv = d->cands[c].target;
				continue;
			}
			matching++;
			/* prefer the exact name over a compiler clone */
			if (!pick || (pick->name[pick->base_len] && !s->name[s->base_len]))
				pick = s;
		}
		if (!pick)
			continue;
		if (pick->name[pick->base_len] && !d->clone_ok) {
			/* .isra/.constprop/.part clones may have their arguments rewritten
			 * by gcc: the handlers read arguments, so they cannot use them */
			clone = pick->name;
			continue;
		}
		r->cand = c;
		snprintf(r->symbol, sizeof(r->symbol), "%s", pick->name);
		r->addr = pick->addr;
		/* a clone by address: a dotted name is not accepted by every kprobe path */
		r->by_addr = copies > 1 || matching > 1 || pick->name[pick->base_len];
		snprintf(r->method, sizeof(r->method), "%s", r->by_addr ? "kprobe@addr" : "kprobe");
		r->status = HOOK_RESOLVED;
		if (pick->name[pick->base_len])
			snprintf(r->reason, sizeof(r->reason), "gcc clone %s (arguments known "
				 "unchanged: hook table)", pick->name);
		else if (r->by_addr)
			snprintf(r->reason, sizeof(r->reason), "name exists %d times; %s copy at 0x%llx",
				 copies, d->drv == HOOK_DRV_V2 ? "v2" : d->drv == HOOK_DRV_V3 ?
				 "v3" : "first", pick->addr);
		return;
	}
	r->status = HOOK_MISSING;
	if (clone)
		snprintf(r->reason, sizeof(r->reason),
			 "only the compiler clone %s exists (arguments may be rewritten)", clone);
	else if (other_drv)
		snprintf(r->reason, sizeof(r->reason), "%s exists, but not in the %s driver",
			 other_drv, d->drv == HOOK_DRV_V2 ? "v2 (arm-smmu)" : "v3 (arm-smmu-v3)");
	else if (d->cands[1].target)
		snprintf(r->reason, sizeof(r->reason), "none of %s, %s%s%s in kallsyms (not built?)",
			 d->cands[0].target, d->cands[1].target, d->cands[2].target ? ", " : "",
			 d->cands[2].target ? d->cands[2].target : "");
	else
		snprintf(r->reason, sizeof(r->reason), "not in kallsyms (inlined or not built)");
}

void hooks__resolve(const struct ksyms *ks, struct hook_res *res)
{
	for (int i = 0; i < hook_table_len; i++) {
		struct hook_res *r = &res[i];

		memset(r, 0, sizeof(*r));
		r->def = &hook_table[i];
		r->cand = -1;
		if (hook_table[i].kind == HOOK_KPROBE)
			resolve_one(ks, &hook_table[i], r);
	}
}

/* Rows Q of P's group that P would replace: its primaries that resolved. */
static bool displaceable(const struct hook_res *res, int p, int q)
{
	const struct hook_def *d = res[p].def, *e = res[q].def;

	return q != p && !e->fallback && !strcmp(e->group, d->group) &&
	       (res[q].status == HOOK_RESOLVED || res[q].displaced_by == p + 1);
}

int hooks__prefer_trampolines(struct hook_res *res)
{
	int n = 0;

	for (int p = 0; p < hook_table_len; p++) {
		struct hook_res *r = &res[p];
		bool traps = false;

		if (!r->def->prefer_trampoline || r->status != HOOK_RESOLVED || !r->fentry ||
		    r->cand < 0 || !r->def->cands[r->cand].bottleneck)
			continue;
		for (int q = 0; q < hook_table_len; q++) {
			if (!displaceable(res, p, q))
				continue;
			/* a primary by trampoline too: nothing to gain, keep the driver's */
			if (res[q].fentry) {
				traps = false;
				break;
			}
			traps = true;
		}
		if (!traps)
			continue;
		r->preferred = true;
		for (int q = 0; q < hook_table_len; q++) {
			struct hook_res *s = &res[q];

			if (!displaceable(res, p, q))
				continue;
			s->status = HOOK_SKIPPED;
			s->displaced_by = p + 1;
			snprintf(s->reason, sizeof(s->reason), "%s: a kprobe trap per call; %s (%s, "
				 "by trampoline) sees the same calls, every SMMU driver's",
				 s->by_addr ? "name in both drivers, by address" : "kprobe",
				 r->def->hook, r->symbol);
			n++;
		}
	}
	return n;
}

void hooks__unprefer(struct hook_res *res, int p)
{
	res[p].preferred = false;
	for (int q = 0; q < hook_table_len; q++) {
		if (res[q].displaced_by != p + 1)
			continue;
		res[q].status = HOOK_RESOLVED;
		res[q].displaced_by = 0;
		snprintf(res[q].reason, sizeof(res[q].reason), "%s did not attach: this one instead",
			 res[p].def->hook);
	}
}

int hooks__check_progs(bool (*has_prog)(void *ctx, const char *name), void *ctx,
		       char *err, size_t errlen)
{
	for (int i = 0; i < hook_table_len; i++) {
		const struct hook_def *d = &hook_table[i];

		for (int c = 0; c < 3 && d->cands[c].target; c++) {
			const struct hook_cand *k = &d->cands[c];
			const char *names[3] = { k->entry_prog, k->ret_prog, NULL };
			char raw[96];

			if (d->kind == HOOK_TP) {
				snprintf(raw, sizeof(raw), "raw_tp_%s", k->target);
				names[2] = raw;
			}
			for (int n = 0; n < 3; n++) {
				if (!names[n] || has_prog(ctx, names[n]))
					continue;
				snprintf(err, errlen, "hook table row %s (%s): BPF program %s is not in "
					 "the BPF object (bpf/smmutrace.bpf.c names programs after their "
					 "hook: fix the row or the program)", d->hook, k->target, names[n]);
				return -ENOENT;
			}
		}
	}
	return 0;
}
