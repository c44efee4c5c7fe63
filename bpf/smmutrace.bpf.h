/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel types smmutrace reads that are not in every vmlinux BTF (the x86 CI
 * kernel has no genpd or io-pgtable; older kernels lay out fwspec
 * differently). Flavoured names (___smt, ___old): CO-RE matches them by the
 * name before "___" and every access is guarded by bpf_core_*_exists().
 *
 * The arm-smmu driver-private structs (struct arm_smmu_domain,
 * struct arm_smmu_device) are deliberately NOT described here: with v2 and v3
 * both built in, vmlinux BTF holds two different structs of each name and a
 * CO-RE relocation against them is ambiguous. The loader reads their member
 * offsets from BTF per driver and passes them in .rodata (smt_offs below).
 */
#ifndef SMMUTRACE_BPF_H
#define SMMUTRACE_BPF_H

struct generic_pm_domain___smt {
	const char *name;
} __attribute__((preserve_access_index));

struct io_pgtable_ops___smt {
	void *map_pages;
} __attribute__((preserve_access_index));

struct io_pgtable___smt {
	void *cookie;
	struct io_pgtable_ops___smt ops;
} __attribute__((preserve_access_index));

/* <= 5.9: the fwspec hung directly off struct device */
struct device___old {
	struct iommu_fwspec *iommu_fwspec;
} __attribute__((preserve_access_index));

/* dev_iommu.iommu_dev appeared after fwspec moved into dev_iommu */
struct dev_iommu___smt {
	struct iommu_fwspec *fwspec;
	struct iommu_device *iommu_dev;
} __attribute__((preserve_access_index));

#endif
