// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policies the verifier must refuse (selftests/policy loads each program
 * alone): one writes to its read-only context, one never returns, one is
 * sleepable (policies run under RCU).
 */
#include "iommufd_bpf_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("struct_ops/bind")
int BPF_PROG(writes_ctx, const struct iommufd_policy_bind_ctx *c)
{
	((struct iommufd_policy_bind_ctx *)c)->dev.vendor = 0;
	return 0;
}

SEC("struct_ops/bind")
int BPF_PROG(loops, const struct iommufd_policy_bind_ctx *c)
{
	for (;;)
		;
	return 0;
}

SEC("struct_ops.s/map")
int BPF_PROG(sleeps, const struct iommufd_policy_map_ctx *c)
{
	return 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops bad_write = {
	.bind = (void *)writes_ctx,
	.name = "bad_write",
};

SEC(".struct_ops.link")
struct iommufd_policy_ops bad_loop = {
	.bind = (void *)loops,
	.name = "bad_loop",
};

SEC(".struct_ops.link")
struct iommufd_policy_ops bad_sleep = {
	.map = (void *)sleeps,
	.name = "bad_sleep",
};

char LICENSE[] SEC("license") = "GPL";
