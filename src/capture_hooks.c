// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The hook table and its resolution against kallsyms (see capture_hooks.h). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture_hooks.h"

#define K(t, e, r) { t, e, r }

/*
 * THE fallback table. Order inside cands[] is preference; a `fallback` row is
 * used only when no primary row of its group attached. Programs are in
 * bpf/smmutrace.bpf.c.
 */
/* trailing hook_def fields (clone_ok, nargs_no_btf, ...) default to 0 in rows that omit them */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct hook_def hook_table[] = {
	/* map / unmap with return values: the driver ops (5.15+ *_pages, older plain) */
	{ "map@v2", "map", HOOK_KPROBE, HOOK_DRV_V2, "map", false, true,
	  { K("arm_smmu_map_pages", "kprobe_arm_smmu_map_pages", "kretprobe_arm_smmu_map"),
	    K("arm_smmu_map", "kprobe_arm_smmu_map", "kretprobe_arm_smmu_map") } },
	{ "map@v3", "map", HOOK_KPROBE, HOOK_DRV_V3, "map", false, true,
	  { K("arm_smmu_map_pages", "kprobe_arm_smmu_map_pages", "kretprobe_arm_smmu_map"),
	    K("arm_smmu_map", "kprobe_arm_smmu_map", "kretprobe_arm_smmu_map") } },
	/* iommu_map is not on the 6.1 DMA path (iommu_map_atomic): a fallback only */
	{ "map@core", "map", HOOK_KPROBE, HOOK_DRV_ANY, "map", true, false,
	  { K("iommu_map", "kprobe_arm_smmu_map", "kretprobe_arm_smmu_map") } },
	{ "map@tracepoint", "map", HOOK_TP, HOOK_DRV_ANY, "map", true, false,
	  { K("map", "tp_btf_map", NULL) } },
	{ "unmap@v2", "unmap", HOOK_KPROBE, HOOK_DRV_V2, "unmap", false, true,
	  { K("arm_smmu_unmap_pages", "kprobe_arm_smmu_unmap_pages", "kretprobe_arm_smmu_unmap"),
	    K("arm_smmu_unmap", "kprobe_arm_smmu_unmap", "kretprobe_arm_smmu_unmap") } },
	{ "unmap@v3", "unmap", HOOK_KPROBE, HOOK_DRV_V3, "unmap", false, true,
	  { K("arm_smmu_unmap_pages", "kprobe_arm_smmu_unmap_pages", "kretprobe_arm_smmu_unmap"),
	    K("arm_smmu_unmap", "kprobe_arm_smmu_unmap", "kretprobe_arm_smmu_unmap") } },
	{ "unmap@core", "unmap", HOOK_KPROBE, HOOK_DRV_ANY, "unmap", true, false,
	  { K("__iommu_unmap", "kprobe_arm_smmu_unmap", "kretprobe_arm_smmu_unmap") } },
	{ "unmap@tracepoint", "unmap", HOOK_TP, HOOK_DRV_ANY, "unmap", true, false,
	  { K("unmap", "tp_btf_unmap", NULL) } },
	/* io-pgtable: drm/msm per-process tables bypass the driver and iommu core */
	{ "unmap@io-pgtable", "unmap", HOOK_KPROBE, HOOK_DRV_ANY, "unmap-pgtable", false, true,
	  { K("arm_lpae_unmap_pages", "kprobe_arm_lpae_unmap_pages", "kretprobe_arm_lpae_unmap"),
	    K("arm_lpae_unmap", "kprobe_arm_lpae_unmap", "kretprobe_arm_lpae_unmap") } },

	/* v2 TLB maintenance: range_s1 serves walk and add_page (5.10+); those
	 * two stand in when a compiler inlined range_s1 */
	{ "tlbi-range@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-range-v2", false, true,
	  { K("arm_smmu_tlb_inv_range_s1", "kprobe_arm_smmu_tlb_inv_range_s1", NULL) } },
	{ "tlbi-range-s2@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-range-s2-v2", false, true,
	  { K("arm_smmu_tlb_inv_range_s2", "kprobe_arm_smmu_tlb_inv_range_s1", NULL) } },
	{ "tlbi-walk@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-range-v2", true, true,
	  { K("arm_smmu_tlb_inv_walk_s1", "kprobe_arm_smmu_tlb_inv_walk_s1", NULL) } },
	{ "tlbi-add-page@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-range-v2", true, true,
	  { K("arm_smmu_tlb_add_page_s1", "kprobe_arm_smmu_tlb_add_page_s1", NULL) } },
	{ "tlbi-context@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-context-v2", false, true,
	  { K("arm_smmu_tlb_inv_context_s1", "kprobe_arm_smmu_tlb_inv_context_s1", NULL) } },
	{ "tlbi-context-s2@v2", "tlbi", HOOK_KPROBE, HOOK_DRV_V2, "tlbi-context-s2-v2", false, true,
	  { K("arm_smmu_tlb_inv_context_s2", "kprobe_arm_smmu_tlb_inv_context_s1", NULL) } },
	{ "sync@v2", "sync", HOOK_KPROBE, HOOK_DRV_V2, "sync-v2", false, true,
	  { K("__arm_smmu_tlb_sync", "kprobe___arm_smmu_tlb_sync", "kretprobe___arm_smmu_tlb_sync") } },
	{ "sync-domain@v2", "sync", HOOK_KPROBE, HOOK_DRV_V2, "sync-domain-v2", false, true,
	  { K("arm_smmu_iotlb_sync", "kprobe_arm_smmu_iotlb_sync", NULL) } },
	{ "sync-timeout@qcom", "sync", HOOK_KPROBE, HOOK_DRV_ANY, "sync-timeout", false, true,
	  { K("qcom_smmu_tlb_sync_debug", "kprobe_qcom_smmu_tlb_sync_debug", NULL) } },
	{ "smmu_reset@v2", "smmu_reset", HOOK_KPROBE, HOOK_DRV_V2, "reset-v2", false, true,
	  { K("arm_smmu_device_reset", "kprobe_arm_smmu_device_reset", NULL) } },
	{ "context-fault@v2", "fault", HOOK_KPROBE, HOOK_DRV_V2, "ctxfault-v2", false, true,
	  { K("arm_smmu_context_fault", "kprobe_arm_smmu_context_fault", NULL) } },

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
	{ "cmdq@v3", "tlbi,sync", HOOK_KPROBE, HOOK_DRV_V3, "cmdq-v3", false, true,
	  { K("arm_smmu_cmdq_issue_cmdlist", "kprobe_arm_smmu_cmdq_issue_cmdlist",
	      "kretprobe_arm_smmu_cmdq_issue_cmdlist") }, true, 4 },
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
	{ "tlbi-range@v3", "-", HOOK_KPROBE, HOOK_DRV_V3, "tlbi-range-v3", false, true,
	  { K("__arm_smmu_tlb_inv_range", "kprobe___arm_smmu_tlb_inv_range", "kretprobe_v3_tlbi_ctx"),
	    K("arm_smmu_domain_inv_range", "kprobe_arm_smmu_domain_inv_range",
	      "kretprobe_v3_tlbi_ctx"),
	    K("arm_smmu_tlb_inv_range", "kprobe_arm_smmu_tlb_inv_range", "kretprobe_v3_tlbi_ctx") } },
	/* io-pgtable tlb_flush_all (cookie = smmu_domain) on every version */
	{ "tlbi-context@v3", "-", HOOK_KPROBE, HOOK_DRV_V3, "tlbi-context-v3", false, true,
	  { K("arm_smmu_tlb_inv_context", "kprobe_arm_smmu_tlb_inv_context", "kretprobe_v3_tlbi_ctx") } },
	/*
	 * v3 faults: no tracepoint fires for them (the driver never calls
	 * report_iommu_fault). queue_remove_raw(q, ent) is static, unique and
	 * not cloned on 5.10, 6.1, 6.12 and 7.2; the records are architectural.
	 */
	{ "fault@v3", "fault", HOOK_KPROBE, HOOK_DRV_V3, "fault-v3", false, true,
	  { K("queue_remove_raw", "kprobe_queue_remove_raw", "kretprobe_queue_remove_raw") } },

	/* both drivers */
	{ "flush_all@v2", "flush_all", HOOK_KPROBE, HOOK_DRV_V2, "flush-v2", false, true,
	  { K("arm_smmu_flush_iotlb_all", "kprobe_arm_smmu_flush_iotlb_all",
	      "kretprobe_arm_smmu_flush_iotlb_all") } },
	{ "flush_all@v3", "flush_all", HOOK_KPROBE, HOOK_DRV_V3, "flush-v3", false, true,
	  { K("arm_smmu_flush_iotlb_all", "kprobe_arm_smmu_flush_iotlb_all",
	      "kretprobe_arm_smmu_flush_iotlb_all") } },
	{ "attach@v2", "attach", HOOK_KPROBE, HOOK_DRV_V2, "attach-v2", false, true,
	  { K("arm_smmu_attach_dev", "kprobe_arm_smmu_attach_dev", "kretprobe_arm_smmu_attach_dev") } },
	{ "attach@v3", "attach", HOOK_KPROBE, HOOK_DRV_V3, "attach-v3", false, true,
	  { K("arm_smmu_attach_dev", "kprobe_arm_smmu_attach_dev", "kretprobe_arm_smmu_attach_dev") } },

	/* iommu core */
	{ "detach", "detach", HOOK_KPROBE, HOOK_DRV_ANY, "detach", false, false,
	  { K("iommu_detach_device", "kprobe_iommu_detach_device", NULL) } },
	{ "domain_free", "domain_free", HOOK_KPROBE, HOOK_DRV_ANY, "domain_free", false, false,
	  { K("iommu_domain_free", "kprobe_iommu_domain_free", NULL) } },
	{ "dma-domain-ties", "attach", HOOK_KPROBE, HOOK_DRV_ANY, "ties", false, false,
	  { K("iommu_get_dma_domain", "kprobe_iommu_get_dma_domain",
	      "kretprobe_iommu_get_dma_domain") } },
	{ "fault", "fault", HOOK_KPROBE, HOOK_DRV_ANY, "fault", false, false,
	  { K("report_iommu_fault", "kprobe_report_iommu_fault", NULL) } },
	{ "fault@tracepoint", "fault", HOOK_TP, HOOK_DRV_ANY, "fault", true, false,
	  { K("io_page_fault", "tp_btf_io_page_fault", NULL) } },

	/* gates */
	{ "rpm", "rpm", HOOK_TP, HOOK_DRV_ANY, "rpm", false, false,
	  { K("rpm_status", "tp_btf_rpm_status", NULL) } },
	/* before 6.9: states read at the end of rpm_suspend/resume/idle */
	{ "rpm@return_int", "rpm", HOOK_TP, HOOK_DRV_ANY, "rpm", true, false,
	  { K("rpm_return_int", "tp_btf_rpm_return_int", NULL) } },
	{ "clk-on", "clk", HOOK_TP, HOOK_DRV_ANY, "clk-on", false, false,
	  { K("clk_enable", "tp_btf_clk_enable", NULL) } },
	{ "clk-off", "clk", HOOK_TP, HOOK_DRV_ANY, "clk-off", false, false,
	  { K("clk_disable", "tp_btf_clk_disable", NULL) } },
	/* genpd has no tracepoints; gdsc_* only where _genpd_* is missing (they nest) */
	{ "pd-on", "pd", HOOK_KPROBE, HOOK_DRV_ANY, "pd-on", false, true,
	  { K("_genpd_power_on", "kprobe__genpd_power_on", "kretprobe__genpd_power") } },
	{ "pd-off", "pd", HOOK_KPROBE, HOOK_DRV_ANY, "pd-off", false, true,
	  { K("_genpd_power_off", "kprobe__genpd_power_off", "kretprobe__genpd_power") } },
	{ "pd-on@gdsc", "pd", HOOK_KPROBE, HOOK_DRV_ANY, "pd-on", true, true,
	  { K("gdsc_enable", "kprobe__genpd_power_on", "kretprobe__genpd_power") } },
	{ "pd-off@gdsc", "pd", HOOK_KPROBE, HOOK_DRV_ANY, "pd-off", true, true,
	  { K("gdsc_disable", "kprobe__genpd_power_off", "kretprobe__genpd_power") } },
};
#pragma GCC diagnostic pop
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
