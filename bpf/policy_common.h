/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the shipped policies share: the types and enums (the kernel's and
 * the module's: IOMMUFD_POLICY_DEV_*, IOMMUFD_POLICY_MAP_*, ...) from BTF,
 * and errno numbers from the kernel's uAPI header, which BTF does not
 * carry.  A program returns 0 to allow or -errno to deny.
 */
#ifndef IOMMUFD_BPF_POLICY_COMMON_H
#define IOMMUFD_BPF_POLICY_COMMON_H

#include "iommufd_bpf_btf.h"
#include <asm-generic/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#endif
