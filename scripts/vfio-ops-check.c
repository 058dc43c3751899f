// SPDX-License-Identifier: GPL-2.0-only
/*
 * Build-time check, never loaded: kernel/vfio_iommu.h declares VFIO's
 * private backend interface as 6.12 has it; this compiles it against the
 * real drivers/vfio/vfio.h of Debian's linux-source-6.12 and fails on any
 * difference (see the Makefile's vfio-ops-check).
 */
#include <linux/build_bug.h>
#include <linux/container_of.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/vfio.h>

#include "vfio.h"	/* VFIO's own, from the kernel source */

/* First our enumerators, under other names, to compare their values. */
#define vfio_group_type ours_vfio_group_type
#define VFIO_IOMMU OURS_VFIO_IOMMU
#define VFIO_EMULATED_IOMMU OURS_VFIO_EMULATED_IOMMU
#define VFIO_NO_IOMMU OURS_VFIO_NO_IOMMU
#define vfio_iommu_driver_ops ours_unused_ops
#define vfio_register_iommu_driver ours_unused_register
#define vfio_unregister_iommu_driver ours_unused_unregister
#include "vfio_iommu.h"
#undef vfio_group_type
#undef VFIO_IOMMU
#undef VFIO_EMULATED_IOMMU
#undef VFIO_NO_IOMMU
#undef vfio_iommu_driver_ops
#undef vfio_register_iommu_driver
#undef vfio_unregister_iommu_driver

static_assert((int)OURS_VFIO_IOMMU == (int)VFIO_IOMMU);
static_assert((int)OURS_VFIO_EMULATED_IOMMU == (int)VFIO_EMULATED_IOMMU);
static_assert((int)OURS_VFIO_NO_IOMMU == (int)VFIO_NO_IOMMU);

/* Then the ops and functions, with VFIO's own enum type. */
#undef IOMMUFD_BPF_VFIO_IOMMU_H
#define IOMMUFD_BPF_VFIO_GROUP_TYPE_DECLARED
#define vfio_iommu_driver_ops ours_vfio_iommu_driver_ops
#define vfio_register_iommu_driver ours_vfio_register_iommu_driver
#define vfio_unregister_iommu_driver ours_vfio_unregister_iommu_driver
#include "vfio_iommu.h"
#undef vfio_iommu_driver_ops
#undef vfio_register_iommu_driver
#undef vfio_unregister_iommu_driver

/* Each member (named twice, as ours and theirs): same type, same offset. */
#define SAME_TYPE(a, b)                                                       \
	static_assert(__builtin_types_compatible_p(                            \
		typeof_member(struct ours_vfio_iommu_driver_ops, a),           \
		typeof_member(struct vfio_iommu_driver_ops, b)))
#define SAME_OFFSET(a, b)                                                     \
	static_assert(offsetof(struct ours_vfio_iommu_driver_ops, a) ==       \
		      offsetof(struct vfio_iommu_driver_ops, b))

static_assert(sizeof(struct ours_vfio_iommu_driver_ops) ==
	      sizeof(struct vfio_iommu_driver_ops));
SAME_TYPE(name, name);
SAME_OFFSET(name, name);
SAME_TYPE(owner, owner);
SAME_OFFSET(owner, owner);
SAME_TYPE(open, open);
SAME_OFFSET(open, open);
SAME_TYPE(release, release);
SAME_OFFSET(release, release);
SAME_TYPE(ioctl, ioctl);
SAME_OFFSET(ioctl, ioctl);
SAME_TYPE(attach_group, attach_group);
SAME_OFFSET(attach_group, attach_group);
SAME_TYPE(detach_group, detach_group);
SAME_OFFSET(detach_group, detach_group);
SAME_TYPE(pin_pages, pin_pages);
SAME_OFFSET(pin_pages, pin_pages);
SAME_TYPE(unpin_pages, unpin_pages);
SAME_OFFSET(unpin_pages, unpin_pages);
SAME_TYPE(register_device, register_device);
SAME_OFFSET(register_device, register_device);
SAME_TYPE(unregister_device, unregister_device);
SAME_OFFSET(unregister_device, unregister_device);
SAME_TYPE(dma_rw, dma_rw);
SAME_OFFSET(dma_rw, dma_rw);
SAME_TYPE(group_iommu_domain, group_iommu_domain);
SAME_OFFSET(group_iommu_domain, group_iommu_domain);
/* The functions: the same shape, each with its own struct. */
static_assert(__same_type(&ours_vfio_register_iommu_driver,
			  int (*)(const struct ours_vfio_iommu_driver_ops *)));
static_assert(__same_type(&vfio_register_iommu_driver,
			  int (*)(const struct vfio_iommu_driver_ops *)));
static_assert(__same_type(&ours_vfio_unregister_iommu_driver,
			  void (*)(const struct ours_vfio_iommu_driver_ops *)));
static_assert(__same_type(&vfio_unregister_iommu_driver,
			  void (*)(const struct vfio_iommu_driver_ops *)));

MODULE_DESCRIPTION("compile-time check of iommufd-bpf's VFIO declarations");
MODULE_LICENSE("GPL");

/*
 * The VFIO gate (kernel/vfio_gate.c) reads a group file's private_data as
 * the group's class device, named after its IOMMU group: VFIO's struct
 * vfio_group must begin with that struct device.
 */
static_assert(offsetof(struct vfio_group, dev) == 0);
static_assert(__builtin_types_compatible_p(typeof_member(struct vfio_group, dev),
					   struct device));
