/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd-bpf: the /dev/iommu user API.
 *
 * ABI-identical to <linux/iommufd.h> of Linux 6.12 for every command this
 * module implements: same ioctl numbers, structure layouts, flags and errno
 * conventions, so a program built against either header talks to either
 * kernel side.  The include guard is upstream's on purpose: when a kernel or
 * libc header set already carries the 6.12 definitions, the two are the same
 * ABI and whichever comes first serves.  `make check` compares this file's
 * layouts against the 6.12 header field by field (selftests/abi-compare).
 *
 * Every command takes a pointer to a structure whose first __u32 is its size.
 * The kernel accepts any size from the structure's first published version
 * upwards: a shorter one is refused with EINVAL, bytes past what the kernel
 * knows must be zero (else E2BIG), and output fields are written back only as
 * far as the caller's size reaches.
 *
 * Errno conventions shared by all commands:
 *   ENOTTY      the ioctl number is not a command of this interface
 *   E2BIG       non-zero bytes beyond the structure the kernel understands
 *   EOPNOTSUPP  a flag or a field value the kernel does not support
 *   EINVAL      a field that is understood but wrong
 *   ENOENT      no object (or IOVA) by that ID
 *   EBUSY       the object is still used by another object
 *   ENOMEM      out of memory
 *   EOVERFLOW   arithmetic on the caller's values overflowed
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/* Command numbers: the ioctl is _IO(IOMMUFD_TYPE, IOMMUFD_CMD_xxx). */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
};

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: sizeof(struct iommu_destroy)
 * @id: the object to destroy, of any type
 *
 * Fails with ENOENT when no object has @id and with EBUSY while another
 * object still depends on it (a device attached to an IOAS, say).
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - ioctl(IOMMU_IOAS_ALLOC)
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: no flags are defined; must be 0
 * @out_ioas_id: the new IOAS's object ID
 *
 * Create an I/O address space: a table from IOVA to user memory that devices
 * attach to.  A new IOAS maps nothing.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

#endif
