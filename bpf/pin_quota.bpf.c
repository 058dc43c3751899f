// SPDX-License-Identifier: GPL-2.0-only
/*
 * pin_quota — a cap on memory pinned for DMA, below RLIMIT_MEMLOCK.
 *
 * Asked where pinned pages are charged (docs/accounting.md): whenever
 * pages are pinned for a device — a map into an IOAS with a domain, a
 * domain attached under existing maps, a copy, an access pin — the pages
 * the paying party has charged plus the newly charged ones must stay
 * within `quota_bytes`, else the pin (and the call that made it) fails
 * with EDQUOT.  The party is the counter RLIMIT_MEMLOCK is checked
 * against: the user's (all its processes) by default, the process's in
 * IOMMU_OPTION_RLIMIT_MODE 1.  A page already charged through another
 * mapping is not charged again, so mapping one buffer twice costs it once.
 * RLIMIT_MEMLOCK is per process and easily raised by whoever starts the
 * VM; this cap is the operator's.  Processes with CAP_IPC_LOCK are not
 * charged and not capped.
 *
 * Knobs: quota_bytes=N (default 1 GiB); uid=N to cap only that user
 * (default: everyone); cgroup_id=N to cap only the processes of that
 * cgroup v2 whose memory is pinned (default: all).
 */
#include "policy_common.h"

const volatile __u64 quota_bytes = 1ULL << 30;
const volatile __u32 uid = 0xffffffff;
const volatile __u64 cgroup_id;

SEC("struct_ops/charge")
int BPF_PROG(quota, const struct iommufd_policy_charge_ctx *c)
{
	__u64 quota;

	if (uid != 0xffffffff && c->owner.uid != uid)
		return 0;
	if (cgroup_id && c->owner.cgroup_id != cgroup_id)
		return 0;
	/* In pages, so that nothing can wrap: the quota rounded down. */
	quota = quota_bytes / c->page_size;
	if (c->charged_pages > quota || c->pages > quota - c->charged_pages)
		return -EDQUOT;
	return 0;
}

SEC(".struct_ops.link")
struct iommufd_policy_ops pin_quota = {
	.charge = (void *)quota,
	.name = "pin_quota",
};

char LICENSE[] SEC("license") = "GPL";
