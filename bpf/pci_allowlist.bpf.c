// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_allowlist — only listed devices may be handed to user space.
 *
 * A device is allowed when its vendor and device IDs (and, if the entry
 * names one, its class) match an entry of `allow`; anything else is
 * refused at bind, so an unexpected device never gets its group claimed.
 * Mock test devices carry a PCI-like identity and are judged the same way;
 * devices with neither are refused.
 *
 * Knob: allow=VVVV:DDDD[:CCCCCC],... (hex, up to 32 entries; iommupolicy
 * packs each as vendor << 48 | device << 32 | 1 << 31 when a class is
 * given | class).  deny_errno=N picks the errno (default EPERM).
 */
#include "policy_common.h"

#define MAX_ALLOW 32
#define HAS_CLASS (1ULL << 31)

const volatile __u64 allow[MAX_ALLOW];
const volatile __u32 deny_errno = EPERM;

static bool listed(const struct iommufd_policy_device *d)
{
	for (int i = 0; i < MAX_ALLOW; i++) {
		__u64 e = allow[i];

		if (!e)
			break;
		if ((e >> 48) != d->vendor || ((e >> 32) & 0xffff) != d->device)
			continue;
		if ((e & HAS_CLASS) && (e & 0xffffff) != d->class)
			continue;
		return true;
	}
	return false;
}

SEC("struct_ops/bind")
int BPF_PROG(allowlist, const struct iommufd_policy_bind_ctx *c)
{
	if (c->dev.kind != DEV_PCI && c->dev.kind != DEV_MOCK)
		return -(int)deny_errno;
	return listed(&c->dev) ? 0 : -(int)deny_errno;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops pci_allowlist = {
	.bind = (void *)allowlist,
	.name = "pci_allowlist",
};

char LICENSE[] SEC("license") = "GPL";
