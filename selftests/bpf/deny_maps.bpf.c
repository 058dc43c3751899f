// SPDX-License-Identifier: GPL-2.0-only
/*
 * A policy for selftests/vfio_edu, loaded with iommupolicy: maps longer
 * than the knob max_bytes are refused with EXDEV, whatever path asks
 * (this module's VFIO backend, or the VFIO gate for vfio_iommu_type1).
 */
#include "iommufd_bpf_btf.h"
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u64 max_bytes = ~0ULL;

SEC("struct_ops/map")
int BPF_PROG(deny_long, const struct iommufd_policy_map_ctx *c)
{
	return c->length > max_bytes ? -EXDEV : 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops deny_maps = {
	.map = (void *)deny_long,
	.name = "deny_maps",
};

char LICENSE[] SEC("license") = "GPL";
