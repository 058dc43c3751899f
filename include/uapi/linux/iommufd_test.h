/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd-bpf: IOMMU_TEST_CMD, the test interface of /dev/iommu.
 *
 * ABI-identical to drivers/iommu/iommufd/iommufd_test.h of Linux 6.12, so
 * upstream's own iommufd selftests drive this module unchanged.  Operations
 * this project adds would take numbers upstream does not use.  The module
 * answers IOMMU_TEST_CMD only in its test build (IOMMUFD_BPF_TEST=y, as
 * upstream's CONFIG_IOMMUFD_TEST) and only when loaded with selftest=1;
 * otherwise it is an unknown ioctl (ENOTTY).
 *
 * Every operation takes struct iommu_test_cmd: @op picks it, @id names its
 * object (an IOAS, or for the access operations the access's file
 * descriptor), and the union member of the same name carries the rest.  An
 * unknown @op is EOPNOTSUPP.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

/*
 * In the module, <linux/iommufd.h> is the kernel's internal API header; the
 * module includes this directory's iommufd.h itself before this file.
 */
#ifndef __KERNEL__
#include <linux/iommufd.h>
#endif
#include <linux/types.h>

enum {
	/* Reserve IOVA in IOAS @id */
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	/*
	 * New mock device, bound to this file and attached to IOAS or HWPT
	 * @id; returns the test-device object (IOMMU_DESTROY detaches,
	 * unbinds and removes the device), the HWPT and the device object
	 */
	IOMMU_TEST_OP_MOCK_DOMAIN,
	/* HWPT @id's mock domain maps check_map's IOVA range to uptr's pages */
	IOMMU_TEST_OP_MD_CHECK_MAP,
	/* Each page of a user buffer is pinned exactly check_refs.refs times */
	IOMMU_TEST_OP_MD_CHECK_REFS,
	/* New access on IOAS @id; returns a file descriptor that holds it */
	IOMMU_TEST_OP_CREATE_ACCESS,
	/* Undo one ACCESS_PAGES of access @id */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	/* Pin an IOVA range through access @id, checked against uptr */
	IOMMU_TEST_OP_ACCESS_PAGES,
	/* Copy between IOVA and a user buffer through access @id */
	IOMMU_TEST_OP_ACCESS_RW,
	/* Bound the bytes of one pin batch (module-wide, for tests) */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	/* Move the device of test-device object @id to IOAS or HWPT pt_id */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	/* Move access @id to another IOAS */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	/* MOCK_DOMAIN with MOCK_FLAGS_DEVICE_* for the new device */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	/*
	 * Upstream: entry check_iotlb.id of a nested HWPT's IOTLB.  Here, on
	 * a paging HWPT @id (check_iotlb.id 0): its mock domain has had
	 * exactly check_iotlb.iotlb IOTLB syncs.
	 */
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
};

/* The mock IOMMU's usable IOVA */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/*
 * mock_domain_flags.dev_flags.  DEVICE_PASID is a later kernel's addition
 * that the 6.12 stable tree's selftests already use.
 */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* PASID width of a PASID-capable mock device (a later kernel's addition) */
#define MOCK_PASID_WIDTH 20

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/*
 * Project extensions, in operation numbers upstream does not use.
 *
 * IOMMU_TEST_OP_BPF_MOCK_DEVICE creates a device behind the mock IOMMU, in a
 * real IOMMU group, with what policies look at: a PCI-like identity, one
 * reserved region of any IOMMU_RESV_* type (or MOCK_BPF_RESV_NONE), and a
 * group shared with every other device of the same non-zero group_tag.  It
 * returns a test-device object (IOMMU_DESTROY removes the device) and the
 * device's number N: it is /sys/bus/platform/devices/iommufd_bpf_mock.N.
 *
 * IOMMU_TEST_OP_BPF_BIND binds the mock device of test-device object @id to
 * this file, as a driver would, and returns the device object's ID.  The
 * binding lasts until the test-device object is destroyed.
 */
enum {
	IOMMU_TEST_OP_BPF_MOCK_DEVICE = 0x100,
	IOMMU_TEST_OP_BPF_BIND = 0x101,
	IOMMU_TEST_OP_BPF_INJECT = 0x102,
	IOMMU_TEST_OP_BPF_ATTACH = 0x103,
	IOMMU_TEST_OP_BPF_DETACH = 0x104,
	IOMMU_TEST_OP_BPF_PIN_FLOOR = 0x105,
	IOMMU_TEST_OP_BPF_FAIL_NTH = 0x106,
};

#define MOCK_BPF_RESV_NONE 0xffffffff

/* bpf_mock_device.flags */
enum {
	/* the device raises MSI its group cannot isolate */
	MOCK_BPF_DEV_UNSAFE_MSI = 1 << 0,
	/* its domains also have 512-page IOPTEs (MOCK_FLAGS_DEVICE_HUGE_IOVA) */
	MOCK_BPF_DEV_HUGE_IOVA = 1 << 1,
	/* it has MOCK_PASID_WIDTH bits of PASID (MOCK_FLAGS_DEVICE_PASID) */
	MOCK_BPF_DEV_PASID = 1 << 2,
	/* its IOMMU cannot track dirty pages (MOCK_FLAGS_DEVICE_NO_DIRTY) */
	MOCK_BPF_DEV_NO_DIRTY = 1 << 3,
};

/* The mock IOMMU's page size (upstream's: half a CPU page) */
#define MOCK_BPF_IO_PAGE_SIZE 2048

struct iommu_test_bpf_mock_device {
	__u32 flags;		/* MOCK_BPF_DEV_* */
	__u32 group_tag;
	__u32 pci_id;		/* vendor << 16 | device */
	__u32 pci_class;	/* class code */
	__u32 pci_bdf;		/* segment << 16 | bus << 8 | devfn */
	__u32 resv_type;	/* IOMMU_RESV_*, or MOCK_BPF_RESV_NONE */
	__aligned_u64 resv_start;
	__aligned_u64 resv_length;
	__u32 out_stdev_id;
	__u32 out_index;
};

struct iommu_test_bpf_bind {
	__u32 out_dev_id;
	__u32 __reserved;
};

/*
 * IOMMU_TEST_OP_BPF_ATTACH attaches the bound device of test-device object
 * @id to IOAS or HWPT @pt_id, and returns the HWPT it is attached to (an
 * automatic one for an IOAS).  IOMMU_TEST_OP_BPF_DETACH detaches it.
 */
struct iommu_test_bpf_attach {
	__u32 pt_id;
	__u32 out_hwpt_id;
};

/*
 * IOMMU_TEST_OP_BPF_INJECT: make the mock IOMMU fail (module-wide, @id
 * unused).  The @map_fail_nth-th map of a mock domain from now on fails
 * with ENOMEM, and the @attach_fail_nth-th attach of a mock paging domain
 * with EIO, and the @chunk_fail_nth-th allocation of a PFN store chunk
 * (pages.c: one per 511 pinned pages of a mapping) with ENOMEM; 0
 * disarms.  Each fires once.  @__reserved must be 0.
 */
struct iommu_test_bpf_inject {
	__u32 map_fail_nth;
	__u32 attach_fail_nth;
	__u32 chunk_fail_nth;
	__u32 __reserved;
};

/*
 * IOMMU_TEST_OP_BPF_PIN_FLOOR: the benchmarks' floor.  Pin the @length
 * bytes at @uptr (page aligned) as a mapping would, long-term and
 * writable, with nothing else (no IOAS, no accounting, no domain), then
 * unpin them all; @id unused.  Returns the pages pinned.
 */
struct iommu_test_bpf_pin_floor {
	__aligned_u64 uptr;
	__aligned_u64 length;
	__aligned_u64 out_pages;
};

/*
 * IOMMU_TEST_OP_BPF_FAIL_NTH: arm the calling thread's failure countdown
 * (@id unused): the @nth point of failure (an allocation, insertion, pin,
 * map, domain allocation or attach) the thread reaches from now on fails
 * with ENOMEM, once; 0 disarms.  Returns in @out_remaining the points the
 * previous countdown had still to pass: 0 if it fired (or there was none).
 */
struct iommu_test_bpf_fail_nth {
	__u32 nth;
	__u32 out_remaining;
};

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		/* Project extension; fits the union, which keeps its size */
		struct iommu_test_bpf_mock_device bpf_mock_device;
		struct iommu_test_bpf_bind bpf_bind;
		struct iommu_test_bpf_inject bpf_inject;
		struct iommu_test_bpf_attach bpf_attach;
		struct iommu_test_bpf_pin_floor bpf_pin_floor;
		struct iommu_test_bpf_fail_nth bpf_fail_nth;
	};
	__u32 last;
};

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* IOMMU_GET_HW_INFO's data for a mock device */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* HWPT data of a nested mock domain (not a value of iommu_hwpt_data_type) */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/* Invalidation data of a nested mock domain, and an invalid variant */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

struct iommu_hwpt_invalidate_selftest {
#define IOMMU_TEST_INVALIDATE_FLAG_ALL 1	/* bit 0: invalidate every entry */
	__u32 flags;
	__u32 iotlb_id;
};

#endif
