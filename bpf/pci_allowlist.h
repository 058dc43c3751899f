/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How a pci_allowlist entry packs a PCI identity into one 64-bit knob
 * value: shared by the policy and by iommupolicy, which parses
 * VVVV:DDDD[:CCCCCC] into it.  0 ends the list.
 */
#ifndef IOMMUFD_BPF_PCI_ALLOWLIST_H
#define IOMMUFD_BPF_PCI_ALLOWLIST_H

#define PCI_ALLOW_MAX 32
#define PCI_ALLOW_ENTRY(vendor, device) \
	((unsigned long long)(vendor) << 48 | (unsigned long long)(device) << 32)
#define PCI_ALLOW_VENDOR(e) ((unsigned int)((e) >> 48))
#define PCI_ALLOW_DEVICE(e) ((unsigned int)((e) >> 32) & 0xffff)
/* the entry names a class, in its low 24 bits */
#define PCI_ALLOW_HAS_CLASS (1ULL << 31)
#define PCI_ALLOW_CLASS(e) ((unsigned int)(e) & 0xffffff)

#endif
