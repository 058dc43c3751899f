// SPDX-License-Identifier: GPL-2.0-only
/*
 * A policy for selftests/vfio_edu, loaded with iommupolicy: maps longer
 * than the knob max_bytes are refused with EXDEV, whatever path asks
 * (this module's VFIO backend, or the VFIO gate for vfio_iommu_type1), and
 * with deny_attach=1 every attach is refused with EACCES.
 */
#include "iommufd_bpf_btf.h"
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u64 max_bytes = ~0ULL;
const volatile __u32 deny_attach;

SEC("struct_ops/map")
int BPF_PROG(deny_long, const struct iommufd_policy_map_ctx *c)
{
	return c->length > max_bytes ? -EXDEV : 0;
}

SEC("struct_ops/attach")
int BPF_PROG(deny_attaches, const struct iommufd_policy_attach_ctx *c)
{
	return deny_attach ? -EACCES : 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops test_deny = {
	.map = (void *)deny_long,
	.attach = (void *)deny_attaches,
	.name = "test_deny",
};

char LICENSE[] SEC("license") = "GPL";
