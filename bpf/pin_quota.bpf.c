// SPDX-License-Identifier: GPL-2.0-only
/*
 * pin_quota — a cap on memory pinned for DMA, below RLIMIT_MEMLOCK.
 *
 * At each map, the pages already charged to the party paying for it (the
 * process's user, or the process: see docs/accounting.md) plus the pages
 * of the new mapping must stay within `quota_bytes`, else the map fails
 * with EDQUOT.  RLIMIT_MEMLOCK is per process and easily raised by whoever
 * starts the VM; this cap is the operator's.  Memory is charged once per
 * page however often it is mapped, so the charged pages count what really
 * is pinned; the new mapping is counted in full (whether its pages are
 * charged already is only known when they are pinned), so a cap should
 * leave room for one mapping.
 * Processes with CAP_IPC_LOCK are not charged and not capped.
 *
 * Knobs: quota_bytes=N (default 1 GiB); uid=N to cap only that user
 * (default: everyone); cgroup_id=N to cap only that cgroup v2 (default:
 * all).
 */
#include "policy_common.h"

#define PAGE_SHIFT 12

const volatile __u64 quota_bytes = 1ULL << 30;
const volatile __u32 uid = 0xffffffff;
const volatile __u64 cgroup_id;

SEC("struct_ops/map")
int BPF_PROG(quota, const struct iommufd_policy_map_ctx *c)
{
	__u64 pages;

	if (uid != 0xffffffff && c->task.uid != uid)
		return 0;
	if (cgroup_id && c->task.cgroup_id != cgroup_id)
		return 0;
	if (c->limit_pages == ~0ULL)
		return 0;
	pages = (c->length + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT;
	if ((c->charged_pages + pages) << PAGE_SHIFT > quota_bytes)
		return -EDQUOT;
	return 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops pin_quota = {
	.map = (void *)quota,
	.name = "pin_quota",
};

char LICENSE[] SEC("license") = "GPL";
