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

/**
 * struct iommu_iova_range - an IOVA interval
 * @start: first IOVA
 * @last: last IOVA, inclusive
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - ioctl(IOMMU_IOAS_IOVA_RANGES)
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: the IOAS
 * @num_iovas: in: room in @allowed_iovas; out: how many ranges there are
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 * @out_iova_alignment: every IOVA and length given to MAP or COPY must be a
 *                      multiple of this (at most PAGE_SIZE; 1 means any)
 *
 * The IOVA ranges a mapping may use now: everything not reserved.  A new
 * IOAS allows the whole space; attached devices narrow it and detaching
 * widens it again.  When @num_iovas is too small for all ranges the call
 * fills what fits, sets @num_iovas to the total and fails with EMSGSIZE.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - ioctl(IOMMU_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: the IOAS
 * @num_iovas: number of entries in @allowed_iovas (0 clears the list)
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Promise that these ranges stay usable: anything that would reserve IOVA
 * inside them (attaching a device whose reserved regions fall there) is
 * refused, and the call itself fails with EADDRINUSE if a reserved range
 * already lies inside one.  Automatic IOVA allocation then picks only from
 * these ranges.  The list replaces the previous one as a whole.  Ranges must
 * not overlap and must have start < last (EINVAL).
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of IOMMU_IOAS_MAP and IOMMU_IOAS_COPY
 * @IOMMU_IOAS_MAP_FIXED_IOVA: map at the given IOVA; without it the kernel
 *                             chooses one and returns it
 * @IOMMU_IOAS_MAP_WRITEABLE: devices may write
 * @IOMMU_IOAS_MAP_READABLE: devices may read
 *
 * At least one of READABLE and WRITEABLE is required.
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: enum iommufd_ioas_map_flags
 * @ioas_id: the IOAS
 * @__reserved: must be 0
 * @user_va: start of the user memory
 * @length: bytes
 * @iova: in with IOMMU_IOAS_MAP_FIXED_IOVA, else out: where it was mapped
 *
 * Map user memory into the IOAS.  A fixed IOVA must be free (EEXIST if an
 * existing mapping overlaps, EINVAL if a reserved range does).  The memory is
 * pinned, and charged to RLIMIT_MEMLOCK, when a device domain or an access
 * needs it.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_copy - ioctl(IOMMU_IOAS_COPY)
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: enum iommufd_ioas_map_flags
 * @dst_ioas_id: the IOAS to map into
 * @src_ioas_id: the IOAS whose mapping is copied
 * @length: bytes
 * @dst_iova: in with IOMMU_IOAS_MAP_FIXED_IOVA, else out
 * @src_iova: start of the range in the source, which existing mappings must
 *            cover without a gap (ENOENT otherwise)
 *
 * Map the memory behind a range of one IOAS into another (or the same) IOAS.
 * The pages are shared, not pinned or charged again.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - ioctl(IOMMU_IOAS_UNMAP)
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: the IOAS
 * @iova: start of the range
 * @length: in: bytes; out: bytes unmapped
 *
 * Unmap every mapping inside the range.  A mapping is never split: if the
 * range cuts one, the call fails with ENOENT; so does a range with nothing
 * mapped.  iova 0 with length U64_MAX unmaps everything, and succeeds on an
 * empty IOAS.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - options of IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: 0 (default) charges pinned pages to the user's
 *     locked memory, 1 to the process (VmPin), both against
 *     RLIMIT_MEMLOCK.  Context-wide: @object_id must be 0; setting needs
 *     CAP_SYS_RESOURCE and a context with no objects yet (EBUSY).
 * @IOMMU_OPTION_HUGE_PAGES: 1 (default) lets contiguous pages map as large
 *     IOMMU pages, 0 maps everything in PAGE_SIZE pieces.  Per IOAS:
 *     @object_id is the IOAS.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - what IOMMU_OPTION does
 * @IOMMU_OPTION_OP_SET: set the option to @val64
 * @IOMMU_OPTION_OP_GET: return the option in @val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - ioctl(IOMMU_OPTION)
 * @size: sizeof(struct iommu_option)
 * @option_id: enum iommufd_option
 * @op: enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: the object the option belongs to, or 0
 * @val64: the value
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

#endif
