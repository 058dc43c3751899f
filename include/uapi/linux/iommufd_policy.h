/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd-bpf: what a policy sees at bind, attach and map.
 *
 * The read-only contexts iommufd_bpf passes to the programs of a policy
 * (struct_ops iommufd_policy_ops, see docs/policy.md).  BPF programs get
 * these types from the module's BTF; this header is for user space that
 * reads what a policy recorded.  Layouts only grow at the end.
 */
#ifndef _UAPI_IOMMUFD_POLICY_H
#define _UAPI_IOMMUFD_POLICY_H

#include <linux/types.h>

#define IOMMUFD_POLICY_COMM_LEN 16
/* iommufd_policy_ops.name: the policy's name, NUL-terminated */
#define IOMMUFD_POLICY_NAME_LEN 32

/* iommufd_policy_device.kind */
enum iommufd_policy_dev_kind {
	IOMMUFD_POLICY_DEV_OTHER,
	IOMMUFD_POLICY_DEV_PCI,
	IOMMUFD_POLICY_DEV_MOCK,	/* the mock IOMMU's (selftest=1) */
};

#define IOMMUFD_POLICY_RESV_MAX 8

/**
 * struct iommufd_policy_resv - one reserved region of a device
 * @start: first address
 * @last: last address
 * @type: IOMMU_RESV_*
 */
struct iommufd_policy_resv {
	__u64 start;
	__u64 last;
	__u32 type;
	__u32 __pad;
};

/**
 * struct iommufd_policy_device - a device as a policy sees it
 * @name: dev_name(), e.g. "0000:00:10.0" or "iommufd_bpf_mock.3"
 * @kind: enum iommufd_policy_dev_kind
 * @segment: PCI segment (or the mock identity's)
 * @bus: PCI bus
 * @devfn: PCI device and function
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @class: PCI class code (24 bits)
 * @group_id: IOMMU group number
 * @group_devices: devices in that group
 * @isolated_msi: the group can isolate the device's MSI
 * @nr_resv: regions in @resv (the first IOMMUFD_POLICY_RESV_MAX)
 * @resv_direct: IOMMU_RESV_DIRECT regions the device has (all of them)
 * @resv_direct_relaxable: IOMMU_RESV_DIRECT_RELAXABLE regions it has
 * @resv: its reserved regions
 */
struct iommufd_policy_device {
	char name[32];
	__u32 kind;
	__u32 segment;
	__u32 bus;
	__u32 devfn;
	__u32 vendor;
	__u32 device;
	__u32 class;
	__u32 group_id;
	__u32 group_devices;
	__u32 isolated_msi;
	__u32 nr_resv;
	__u32 resv_direct;
	__u32 resv_direct_relaxable;
	__u32 __pad;
	struct iommufd_policy_resv resv[IOMMUFD_POLICY_RESV_MAX];
};

/**
 * struct iommufd_policy_task - the task asking
 * @pid: its process (thread group) ID
 * @uid: its real user ID, in the initial user namespace
 * @cgroup_id: its cgroup v2 ID
 * @comm: its command name
 */
struct iommufd_policy_task {
	__u32 pid;
	__u32 uid;
	__u64 cgroup_id;
	char comm[IOMMUFD_POLICY_COMM_LEN];
};

/* Binding a device to a context (its group's DMA to user space). */
struct iommufd_policy_bind_ctx {
	struct iommufd_policy_device dev;
	struct iommufd_policy_task task;
};

/**
 * struct iommufd_policy_attach_ctx - attaching a bound device
 * @dev: the device
 * @task: the task asking
 * @pt_id: the IOAS or HWPT asked for
 * @ioas_id: the IOAS whose mappings the device will reach
 * @hwpt_id: the HWPT asked for, or 0 when the IOAS picks or makes one
 * @replace: a replace (moving from another HWPT), not a first attach
 */
struct iommufd_policy_attach_ctx {
	struct iommufd_policy_device dev;
	struct iommufd_policy_task task;
	__u32 pt_id;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 replace;
};

/* iommufd_policy_map_ctx.op: the way memory is made reachable */
enum iommufd_policy_map_op {
	IOMMUFD_POLICY_MAP_USER,	/* IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA */
	IOMMUFD_POLICY_MAP_COPY,	/* IOMMU_IOAS_COPY */
	IOMMUFD_POLICY_MAP_ACCESS,	/* an in-kernel access pins pages */
	IOMMUFD_POLICY_MAP_FILE,	/* IOMMU_IOAS_MAP_FILE: uptr is the offset */
};

/**
 * struct iommufd_policy_map_ctx - making user memory reachable by devices
 * @task: the task asking
 * @ioas_id: the IOAS the memory becomes reachable through
 * @prot: IOMMU_READ | IOMMU_WRITE
 * @iova: the IOVA asked for, or 0 when the kernel chooses
 * @length: bytes
 * @uptr: user address (of the owner's memory); for IOMMUFD_POLICY_MAP_FILE
 *        the byte offset in the memfd
 * @charged_pages: pages charged now to the party the asking task's pins
 *                 are charged to: its user's locked_vm (every process of
 *                 the user, and whatever else charges it) by default, its
 *                 process's pinned_vm in IOMMU_OPTION_RLIMIT_MODE 1
 * @limit_pages: the asking task's RLIMIT_MEMLOCK in pages; U64_MAX when it
 *               is not charged (CAP_IPC_LOCK)
 * @op: enum iommufd_policy_map_op
 * @src_ioas_id: for a copy, the IOAS copied from; else 0
 * @src_iova: for a copy, where in it
 * @owner: the process whose memory it is (the one that mapped it first:
 *         for a copy or an access, not always the task asking)
 * @page_size: bytes in a page
 */
struct iommufd_policy_map_ctx {
	struct iommufd_policy_task task;
	__u32 ioas_id;
	__u32 prot;
	__u64 iova;
	__u64 length;
	__u64 uptr;
	__u64 charged_pages;
	__u64 limit_pages;
	__u32 op;
	__u32 src_ioas_id;
	__u64 src_iova;
	struct iommufd_policy_task owner;
	__u64 page_size;
};

/* iommufd_policy_charge_ctx.mode: who pays (docs/accounting.md) */
enum iommufd_policy_charge_mode {
	IOMMUFD_POLICY_CHARGE_USER = 1,	/* the user's locked_vm */
	IOMMUFD_POLICY_CHARGE_MM = 2,	/* the process's pinned_vm */
	/* the process's locked_vm: vfio_iommu_type1's, asked by the VFIO gate */
	IOMMUFD_POLICY_CHARGE_LOCKED_VM = 3,
};

/**
 * struct iommufd_policy_charge_ctx - pinned pages about to be charged
 * @owner: the process whose memory is pinned, which pays
 * @ioas_id: the IOAS the pages are pinned for
 * @mode: enum iommufd_policy_charge_mode
 * @uptr: the first user address of the pages
 * @pages: pages this pin charges (pages the party has charged already,
 *         through another mapping of the same memory, are not counted)
 * @charged_pages: pages the party has charged now, before these: the
 *                 counter RLIMIT_MEMLOCK is checked against
 * @limit_pages: the owner's RLIMIT_MEMLOCK in pages
 * @page_size: bytes in a page
 */
struct iommufd_policy_charge_ctx {
	struct iommufd_policy_task owner;
	__u32 ioas_id;
	__u32 mode;
	__u64 uptr;
	__u64 pages;
	__u64 charged_pages;
	__u64 limit_pages;
	__u64 page_size;
};

/* iommufd_policy_ops.flags */
enum {
	/* decisions are logged, never enforced */
	IOMMUFD_POLICY_F_AUDIT = 1 << 0,
};

#endif
