/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: policy hooks — what a BPF policy sees and implements.
 *
 * A policy is a BPF struct_ops map of type struct iommufd_policy_ops: up to
 * four programs (bind, attach, map, charge), a name and flags.  Each program gets a
 * read-only context (include/uapi/linux/iommufd_policy.h) and returns 0 to
 * allow or a negative errno to deny.  BPF programs see these types through
 * the module's BTF, tools through that header; docs/policy.md describes
 * every field.
 */
#ifndef IOMMUFD_BPF_POLICY_H
#define IOMMUFD_BPF_POLICY_H

#include <linux/jump_label.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "../include/uapi/linux/iommufd_policy.h"

static_assert(IOMMUFD_POLICY_COMM_LEN == TASK_COMM_LEN);

struct dentry;
struct device;

/**
 * struct iommufd_policy_ops - a policy (BPF struct_ops type)
 * @bind: before a device is bound; 0 or -errno
 * @attach: before a device is attached or replaced; 0 or -errno
 * @map: before user memory is made reachable through an IOAS (map, copy,
 *       access pin); 0 or -errno
 * @charge: before pinned pages are charged to a party's RLIMIT_MEMLOCK
 *          counter; 0 or -errno
 * @name: the policy's name, unique among loaded policies
 * @flags: IOMMUFD_POLICY_F_*
 */
struct iommufd_policy_ops {
	int (*bind)(const struct iommufd_policy_bind_ctx *ctx);
	int (*attach)(const struct iommufd_policy_attach_ctx *ctx);
	int (*map)(const struct iommufd_policy_map_ctx *ctx);
	int (*charge)(const struct iommufd_policy_charge_ctx *ctx);
	char name[IOMMUFD_POLICY_NAME_LEN];
	u32 flags;
};

int iommufd_policy_register(void);
void iommufd_policy_debugfs(struct dentry *dir);

/**
 * struct iommufd_policy_map_req - what a map hook is asked about
 * @op: enum iommufd_policy_map_op
 * @ioas_id: the IOAS the memory becomes reachable through
 * @iova: the IOVA asked for, or 0 when the kernel chooses
 * @length: bytes
 * @uptr: user address
 * @prot: IOMMU_READ | IOMMU_WRITE
 * @account_mode: how the asking task's pins are charged
 *                (iopt_account_mode_current(): none with CAP_IPC_LOCK)
 * @src_ioas_id: for a copy, the IOAS copied from
 * @src_iova: for a copy, where in it
 * @owner: the process whose memory it is; NULL for the asking one
 */
struct iommufd_policy_map_req {
	u32 op;
	u32 ioas_id;
	unsigned long iova;
	unsigned long length;
	unsigned long uptr;
	int prot;
	int account_mode;
	u32 src_ioas_id;
	unsigned long src_iova;
	struct task_struct *owner;
};

struct iopt_pages;

/*
 * The hooks: nothing but a patched-out branch while no policy is loaded.
 * IOMMUFD_BPF_NO_POLICY_HOOKS (make bench builds such a module to measure
 * that branch against) compiles them out: policies load but are never
 * asked.
 */
#ifdef IOMMUFD_BPF_NO_POLICY_HOOKS
#define iommufd_policy_enabled() false
#else
#define iommufd_policy_enabled() static_branch_unlikely(&iommufd_policy_active)
#endif
DECLARE_STATIC_KEY_FALSE(iommufd_policy_active);
u64 iommufd_policy_generation(void);
int __iommufd_policy_bind(struct device *dev, bool whole_group);
int __iommufd_policy_attach(struct device *dev, u32 pt_id, u32 ioas_id,
			    u32 hwpt_id, bool replace);
int __iommufd_policy_map(const struct iommufd_policy_map_req *req);
int __iommufd_policy_charge(struct iopt_pages *pages, u32 ioas_id,
			    unsigned long uptr, unsigned long npages,
			    unsigned long charged, unsigned long limit);
int __iommufd_policy_charge_locked_vm(unsigned long uptr,
				      unsigned long npages);

/*
 * Before @dev is bound; @whole_group also asks about every other device of
 * its IOMMU group, whose DMA the bind claims with it.
 */
static inline int iommufd_policy_bind(struct device *dev, bool whole_group)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_bind(dev, whole_group);
}

static inline int iommufd_policy_attach(struct device *dev, u32 pt_id,
					u32 ioas_id, u32 hwpt_id, bool replace)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_attach(dev, pt_id, ioas_id, hwpt_id, replace);
}

static inline int iommufd_policy_map(const struct iommufd_policy_map_req *req)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_map(req);
}

/*
 * Before @npages pinned pages of @pages from @uptr are charged to its
 * party, which has @charged now against a limit of @limit pages.  Under the
 * ledger's mutex: the programs may not sleep (they never do).
 */
static inline int iommufd_policy_charge(struct iopt_pages *pages, u32 ioas_id,
					unsigned long uptr,
					unsigned long npages,
					unsigned long charged,
					unsigned long limit)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_charge(pages, ioas_id, uptr, npages, charged,
				       limit);
}

#endif
