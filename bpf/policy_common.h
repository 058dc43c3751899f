/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the shipped policies share: the types (the kernel's and the
 * module's, from BTF) and the few constants BTF does not carry.
 */
#ifndef IOMMUFD_BPF_POLICY_COMMON_H
#define IOMMUFD_BPF_POLICY_COMMON_H

#include "iommufd_bpf_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1
#define EDQUOT 122

/* IOMMUFD_POLICY_DEV_* */
#define DEV_PCI 1
#define DEV_MOCK 2

#endif
