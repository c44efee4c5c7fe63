// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test-only: a map value to build fabricated kernel objects in (struct
 * device, clk_core, fwspec, ...) and a raw_tp program that publishes its
 * kernel address, so handler twins can be given real kernel pointers
 * (ci-host-kernel.md §3). Leaking the pointer needs root.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FAKEMEM_SIZE 65536

struct fakemem {
	char b[FAKEMEM_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fakemem);
} mem SEC(".maps");

__u64 mem_addr;

SEC("raw_tp")
int publish_addr(void *ctx)
{
	__u32 k = 0;
	void *p = bpf_map_lookup_elem(&mem, &k);

	if (p)
		mem_addr = (__u64)p;
	return 0;
}
