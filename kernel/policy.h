/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: policy hooks — what a BPF policy sees and implements.
 *
 * A policy is a BPF struct_ops map of type struct iommufd_policy_ops: up to
 * three programs (bind, attach, map), a name and flags.  Each program gets a
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

#define IOMMUFD_POLICY_NAME_LEN 32

/**
 * struct iommufd_policy_ops - a policy (BPF struct_ops type)
 * @bind: before a device is bound; 0 or -errno
 * @attach: before a device is attached or replaced; 0 or -errno
 * @map: before user memory is mapped; 0 or -errno
 * @name: the policy's name, unique among loaded policies
 * @flags: IOMMUFD_POLICY_F_*
 */
struct iommufd_policy_ops {
	int (*bind)(const struct iommufd_policy_bind_ctx *ctx);
	int (*attach)(const struct iommufd_policy_attach_ctx *ctx);
	int (*map)(const struct iommufd_policy_map_ctx *ctx);
	char name[IOMMUFD_POLICY_NAME_LEN];
	u32 flags;
};

int iommufd_policy_register(void);
void iommufd_policy_debugfs(struct dentry *dir);

/*
 * The hooks: nothing but a patched-out branch while no policy is loaded.
 * The map hook's @account_mode is how the mapping will be charged
 * (iopt_account_mode_current(): none with CAP_IPC_LOCK).
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
int __iommufd_policy_bind(struct device *dev);
int __iommufd_policy_attach(struct device *dev, u32 pt_id, u32 ioas_id,
			    u32 hwpt_id, bool replace);
int __iommufd_policy_map(u32 ioas_id, unsigned long iova,
			 unsigned long length, unsigned long uptr, int prot,
			 int account_mode);

static inline int iommufd_policy_bind(struct device *dev)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_bind(dev);
}

static inline int iommufd_policy_attach(struct device *dev, u32 pt_id,
					u32 ioas_id, u32 hwpt_id, bool replace)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_attach(dev, pt_id, ioas_id, hwpt_id, replace);
}

static inline int iommufd_policy_map(u32 ioas_id, unsigned long iova,
				     unsigned long length, unsigned long uptr,
				     int prot, int account_mode)
{
	if (!iommufd_policy_enabled())
		return 0;
	return __iommufd_policy_map(ioas_id, iova, length, uptr, prot,
				    account_mode);
}

#endif
