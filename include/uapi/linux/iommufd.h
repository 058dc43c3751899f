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
	/* From Linux 6.13 on; this module has them on 6.12 as well. */
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
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
 * struct iommu_ioas_map_file - ioctl(IOMMU_IOAS_MAP_FILE)
 * @size: sizeof(struct iommu_ioas_map_file)
 * @flags: enum iommufd_ioas_map_flags
 * @ioas_id: the IOAS
 * @fd: a memfd (shmem or hugetlbfs)
 * @start: byte offset in the file
 * @length: bytes
 * @iova: in with IOMMU_IOAS_MAP_FIXED_IOVA, else out: where it was mapped
 *
 * Like IOMMU_IOAS_MAP, with the memory named by file and offset instead of
 * a user address, so that it stays meaningful in another process (one that
 * takes over with IOMMU_IOAS_CHANGE_PROCESS).  The file's pages are pinned
 * when a domain or an access needs them, which fails with EINVAL for a
 * range past the file's end.  Fails with EBADF for a bad @fd, EINVAL for a
 * file that is not a memfd, EACCES for a file not opened for reading (or
 * for writing, with IOMMU_IOAS_MAP_WRITEABLE) and EPERM for a writable map
 * of a file sealed against writes.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

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

/*
 * The rest of the 6.12 interface: device-facing commands.  Their structures
 * are the ABI, defined here for programs and for upstream's tests; which of
 * them this module implements is listed in docs/uapi.md (the others answer
 * ENOTTY).
 */

/**
 * enum iommufd_vfio_ioas_op - what IOMMU_VFIO_IOAS does
 * @IOMMU_VFIO_IOAS_GET: return the IOAS the VFIO compatibility ioctls use
 * @IOMMU_VFIO_IOAS_SET: make @ioas_id that IOAS
 * @IOMMU_VFIO_IOAS_CLEAR: turn the compatibility IOAS off
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - ioctl(IOMMU_VFIO_IOAS)
 * @size: sizeof(struct iommu_vfio_ioas)
 * @ioas_id: in for SET, out for GET
 * @op: enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * The VFIO type1 ioctls name no IOAS; this chooses the one they act on.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the HWPT may be the parent of nested ones
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the device must support dirty tracking
 * @IOMMU_HWPT_FAULT_ID_VALID: @fault_id names a fault queue
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
};

/**
 * enum iommu_hwpt_vtd_s1_flags - VT-d stage-1 page table attributes
 * @IOMMU_VTD_S1_SRE: supervisor requests
 * @IOMMU_VTD_S1_EAFE: extended access
 * @IOMMU_VTD_S1_WPE: write protection
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - a VT-d stage-1 table (IOMMU_HWPT_DATA_VTD_S1)
 * @flags: enum iommu_hwpt_vtd_s1_flags
 * @pgtbl_addr: guest physical address of the table
 * @addr_width: its address width
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * enum iommu_hwpt_data_type - what IOMMU_HWPT_ALLOC's data describes
 * @IOMMU_HWPT_DATA_NONE: nothing: a paging domain of the kernel's
 * @IOMMU_HWPT_DATA_VTD_S1: struct iommu_hwpt_vtd_s1
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
};

/**
 * struct iommu_hwpt_alloc - ioctl(IOMMU_HWPT_ALLOC)
 * @size: sizeof(struct iommu_hwpt_alloc)
 * @flags: enum iommufd_hwpt_alloc_flags
 * @dev_id: the device the HWPT is made for
 * @pt_id: the IOAS (or parent HWPT) it connects to
 * @out_hwpt_id: the new HWPT
 * @__reserved: must be 0
 * @data_type: enum iommu_hwpt_data_type
 * @data_len: bytes at @data_uptr
 * @data_uptr: type-specific data
 * @fault_id: a fault queue, with IOMMU_HWPT_FAULT_ID_VALID
 * @__reserved2: must be 0
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * enum iommu_hw_info_vtd_flags - flags of struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: stage-1 page tables must not be
 *                                         read-only (an erratum)
 */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/**
 * struct iommu_hw_info_vtd - VT-d hardware information
 * @flags: enum iommu_hw_info_vtd_flags
 * @__reserved: must be 0
 * @cap_reg: the capability register
 * @ecap_reg: the extended capability register
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * enum iommu_hw_info_type - what IOMMU_GET_HW_INFO's data holds
 * @IOMMU_HW_INFO_TYPE_NONE: nothing type-specific
 * @IOMMU_HW_INFO_TYPE_DEFAULT: as input, the IOMMU's own type (a later
 *                              kernel's name for 0; see
 *                              IOMMU_HW_INFO_FLAG_INPUT_TYPE)
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

/**
 * enum iommufd_hw_capabilities - generic IOMMU capabilities
 * @IOMMU_HW_CAP_DIRTY_TRACKING: dirty tracking of DMA writes
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: PASID execute permission
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: PASID privileged mode
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/**
 * enum iommufd_hw_info_flags - flags of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: @in_data_type asks for a particular type
 *
 * A later kernel's addition in a field 6.12 requires to be 0, so 6.12
 * callers are unaffected.
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - ioctl(IOMMU_GET_HW_INFO)
 * @size: sizeof(struct iommu_hw_info)
 * @flags: enum iommufd_hw_info_flags (6.12: must be 0)
 * @dev_id: a device bound to this file
 * @data_len: in: room at @data_uptr; out: the size of the kernel's data
 * @data_uptr: buffer for the type-specific data
 * @in_data_type: with IOMMU_HW_INFO_FLAG_INPUT_TYPE, the type asked for
 *                (a later kernel's addition sharing @out_data_type's place)
 * @out_data_type: enum iommu_hw_info_type of the data returned
 * @out_max_pasid_log2: PASID width, 0 without PASID support
 * @__reserved: must be 0
 * @out_capabilities: enum iommufd_hw_capabilities
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};

#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: on (off without it)
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: the HWPT
 * @__reserved: must be 0
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, \
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: read without clearing
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: the HWPT
 * @flags: enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: start of the range
 * @length: bytes
 * @page_size: bytes each bit stands for
 * @data: user pointer to the bitmap
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, \
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/**
 * enum iommu_hwpt_invalidate_data_type - what an invalidation entry is
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: struct iommu_hwpt_vtd_s1_invalidate
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - VT-d stage-1 invalidation
 * @IOMMU_VTD_INV_FLAGS_LEAF: leaf entries only
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - one VT-d stage-1 invalidation
 * @addr: start address
 * @npages: pages
 * @flags: enum iommu_hwpt_vtd_s1_invalidate_flags
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_hwpt_invalidate - ioctl(IOMMU_HWPT_INVALIDATE)
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: the nested HWPT
 * @data_uptr: array of entries
 * @data_type: enum iommu_hwpt_invalidate_data_type
 * @entry_len: bytes per entry
 * @entry_num: in: entries; out: entries handled
 * @__reserved: must be 0
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/**
 * enum iommu_hwpt_pgfault_flags - flags of struct iommu_hwpt_pgfault
 * @IOMMU_PGFAULT_FLAGS_PASID_VALID: @pasid is valid
 * @IOMMU_PGFAULT_FLAGS_LAST_PAGE: the last fault of its group
 */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/**
 * enum iommu_hwpt_pgfault_perm - what a faulting access wanted
 * @IOMMU_PGFAULT_PERM_READ: read
 * @IOMMU_PGFAULT_PERM_WRITE: write
 * @IOMMU_PGFAULT_PERM_EXEC: execute
 * @IOMMU_PGFAULT_PERM_PRIV: privileged
 */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/**
 * struct iommu_hwpt_pgfault - a page fault read from a fault queue
 * @flags: enum iommu_hwpt_pgfault_flags
 * @dev_id: the faulting device
 * @pasid: its PASID
 * @grpid: the fault group
 * @perm: enum iommu_hwpt_pgfault_perm
 * @__reserved: must be 0
 * @addr: faulting address
 * @length: bytes
 * @cookie: to pass back in the response
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

/**
 * enum iommufd_page_response_code - how a fault was handled
 * @IOMMUFD_PAGE_RESP_SUCCESS: retry the access
 * @IOMMUFD_PAGE_RESP_INVALID: fail it
 */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/**
 * struct iommu_hwpt_page_response - a response written to a fault queue
 * @cookie: the fault's cookie
 * @code: enum iommufd_page_response_code
 */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/**
 * struct iommu_fault_alloc - ioctl(IOMMU_FAULT_QUEUE_ALLOC)
 * @size: sizeof(struct iommu_fault_alloc)
 * @flags: must be 0
 * @out_fault_id: the new fault queue
 * @out_fault_fd: a file to read faults from and write responses to
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/**
 * struct iommu_ioas_change_process - ioctl(IOMMU_IOAS_CHANGE_PROCESS)
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: must be 0
 *
 * Make the calling process the owner of every mapping of every IOAS of
 * this context: what is pinned is charged to the caller's RLIMIT_MEMLOCK
 * from now on, and released from the previous owner's.  Only mappings made
 * with IOMMU_IOAS_MAP_FILE can move (EINVAL if any other is present).  On
 * failure (ENOMEM, or the caller's limit) nothing has changed.  For live
 * update: a new VMM process takes over a running device's mappings.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};

#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

#endif
