// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policies for selftests/policy: each decision is driven by a global the
 * test sets, and each program counts its calls and keeps what it saw, so
 * the test can check the order of calls, the verdicts and the contexts.
 */
#include "iommufd_bpf_btf.h"
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Set by the test. */
__u32 first_deny_vendor = 0xffffffff;
__u32 second_deny_device = 0xffffffff;
__u32 deny_ioas;
__u64 max_map_length = ~0ULL;
__u32 deny_map_ioas;		/* maps (and copies) into it: EXDEV */
__u32 deny_access_pins;		/* IOMMUFD_POLICY_MAP_ACCESS: EXDEV */
__u64 max_charged_pages = ~0ULL;

/* Seen by the programs. */
__u32 first_binds, second_binds, audit_binds, attaches, maps, charges;
struct iommufd_policy_bind_ctx last_bind;
struct iommufd_policy_attach_ctx last_attach;
struct iommufd_policy_map_ctx last_map;
struct iommufd_policy_charge_ctx last_charge;

SEC("struct_ops/bind")
int BPF_PROG(first_bind, const struct iommufd_policy_bind_ctx *c)
{
	first_binds++;
	bpf_probe_read_kernel(&last_bind, sizeof(last_bind), c);
	return c->dev.vendor == first_deny_vendor ? -EACCES : 0;
}

SEC("struct_ops/attach")
int BPF_PROG(first_attach, const struct iommufd_policy_attach_ctx *c)
{
	attaches++;
	bpf_probe_read_kernel(&last_attach, sizeof(last_attach), c);
	return deny_ioas && c->ioas_id == deny_ioas ? -EXDEV : 0;
}

SEC("struct_ops/map")
int BPF_PROG(first_map, const struct iommufd_policy_map_ctx *c)
{
	maps++;
	bpf_probe_read_kernel(&last_map, sizeof(last_map), c);
	if (deny_map_ioas && c->ioas_id == deny_map_ioas)
		return -EXDEV;
	if (deny_access_pins && c->op == IOMMUFD_POLICY_MAP_ACCESS)
		return -EXDEV;
	return c->length > max_map_length ? -EDQUOT : 0;
}

SEC("struct_ops/charge")
int BPF_PROG(first_charge, const struct iommufd_policy_charge_ctx *c)
{
	charges++;
	bpf_probe_read_kernel(&last_charge, sizeof(last_charge), c);
	return c->charged_pages + c->pages > max_charged_pages ? -EDQUOT : 0;
}

SEC("struct_ops/bind")
int BPF_PROG(second_bind, const struct iommufd_policy_bind_ctx *c)
{
	second_binds++;
	return c->dev.device == second_deny_device ? -EPERM : 0;
}

SEC("struct_ops/bind")
int BPF_PROG(audit_bind, const struct iommufd_policy_bind_ctx *c)
{
	audit_binds++;
	return -EPERM;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops first = {
	.bind = (void *)first_bind,
	.attach = (void *)first_attach,
	.map = (void *)first_map,
	.charge = (void *)first_charge,
	.name = "first",
};

SEC(".struct_ops.link")
struct iommufd_policy_ops second = {
	.bind = (void *)second_bind,
	.name = "second",
};

SEC(".struct_ops.link")
struct iommufd_policy_ops auditor = {
	.bind = (void *)audit_bind,
	.name = "auditor",
	.flags = IOMMUFD_POLICY_F_AUDIT,
};

/* Another policy called "first": attaching it while first is loaded fails. */
SEC(".struct_ops.link")
struct iommufd_policy_ops first_again = {
	.bind = (void *)second_bind,
	.name = "first",
};

char LICENSE[] SEC("license") = "GPL";
