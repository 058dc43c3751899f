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
 * packs each as pci_allowlist.h says).  deny_errno=N picks the errno
 * (default EPERM).
 */
#include "policy_common.h"
#include "pci_allowlist.h"

const volatile __u64 allow[PCI_ALLOW_MAX];
const volatile __u32 deny_errno = EPERM;

static bool listed(const struct iommufd_policy_device *d)
{
	for (int i = 0; i < PCI_ALLOW_MAX; i++) {
		__u64 e = allow[i];

		if (!e)
			break;
		if (PCI_ALLOW_VENDOR(e) != d->vendor ||
		    PCI_ALLOW_DEVICE(e) != d->device)
			continue;
		if ((e & PCI_ALLOW_HAS_CLASS) && PCI_ALLOW_CLASS(e) != d->class)
			continue;
		return true;
	}
	return false;
}

SEC("struct_ops/bind")
int BPF_PROG(allowlist, const struct iommufd_policy_bind_ctx *c)
{
	if (c->dev.kind != IOMMUFD_POLICY_DEV_PCI &&
	    c->dev.kind != IOMMUFD_POLICY_DEV_MOCK)
		return -(int)deny_errno;
	return listed(&c->dev) ? 0 : -(int)deny_errno;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops pci_allowlist = {
	.bind = (void *)allowlist,
	.name = "pci_allowlist",
};

char LICENSE[] SEC("license") = "GPL";
