// SPDX-License-Identifier: GPL-2.0-only
/*
 * deny_resv_direct — refuse devices whose firmware demands a direct mapping.
 *
 * A device with an IOMMU_RESV_DIRECT region (an RMRR on VT-d, an IVMD on
 * AMD, an RMR on Arm) must keep a 1:1 mapping of that memory, which user
 * space cannot be trusted with: the kernel refuses to give its group a
 * blocking domain.  This policy refuses the bind earlier, naming the
 * policy, and in audit mode shows which devices would be refused.
 *
 * Knob: include_relaxable=1 also refuses IOMMU_RESV_DIRECT_RELAXABLE
 * regions (RMRRs the kernel lets go of, e.g. for USB and graphics), for
 * sites that do not trust the firmware's judgement.  deny_errno=N picks
 * the errno (default EPERM).
 */
#include "policy_common.h"

const volatile __u32 include_relaxable;
const volatile __u32 deny_errno = EPERM;

SEC("struct_ops/bind")
int BPF_PROG(deny_direct, const struct iommufd_policy_bind_ctx *c)
{
	if (c->dev.resv_direct ||
	    (include_relaxable && c->dev.resv_direct_relaxable))
		return -(int)deny_errno;
	return 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops deny_resv_direct = {
	.bind = (void *)deny_direct,
	.name = "deny_resv_direct",
};

char LICENSE[] SEC("license") = "GPL";
