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

/**
 * struct iommufd_policy_map_ctx - mapping user memory into an IOAS
 * @task: the task asking
 * @ioas_id: the IOAS
 * @prot: IOMMU_READ | IOMMU_WRITE
 * @iova: the IOVA asked for, or 0 when the kernel chooses
 * @length: bytes
 * @uptr: user address
 * @charged_pages: pages the party this map is charged to has charged now
 * @limit_pages: its RLIMIT_MEMLOCK in pages; U64_MAX when it is not
 *               charged (CAP_IPC_LOCK)
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
};

/* iommufd_policy_ops.flags */
enum {
	/* decisions are logged, never enforced */
	IOMMUFD_POLICY_F_AUDIT = 1 << 0,
};

#endif
