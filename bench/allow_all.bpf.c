// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmarks' policy: allows every bind, attach and map, so what is
 * measured is the cost of asking a policy.  bench/run loads it 1 and 3
 * times (iommupolicy load FILE --name N).
 */
#include "policy_common.h"

SEC("struct_ops/bind")
int BPF_PROG(allow_bind, const struct iommufd_policy_bind_ctx *c)
{
	return 0;
}

SEC("struct_ops/attach")
int BPF_PROG(allow_attach, const struct iommufd_policy_attach_ctx *c)
{
	return 0;
}

SEC("struct_ops/map")
int BPF_PROG(allow_map, const struct iommufd_policy_map_ctx *c)
{
	return 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops allow_all = {
	.bind = (void *)allow_bind,
	.attach = (void *)allow_attach,
	.map = (void *)allow_map,
	.name = "allow_all",
};

char LICENSE[] SEC("license") = "GPL";
