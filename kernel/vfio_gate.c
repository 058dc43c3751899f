// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the VFIO gate — policies asked before VFIO acts, on any
 * IOMMU backend.
 *
 * VFIO claims a group's DMA when the group joins a container
 * (VFIO_GROUP_SET_CONTAINER), before it asks any IOMMU backend, and a
 * container may be served by vfio_iommu_type1, which asks no policy at
 * all.  A module cannot hook VFIO's ioctls, but a BPF LSM program on
 * file_ioctl runs before every ioctl handler: bpf/vfio_gate.bpf.c is such a
 * program, loaded with the policies by iommupolicy, and it calls the kfunc
 * here for VFIO's ioctls.  The kfunc asks the loaded policies:
 *
 *  - VFIO_GROUP_SET_CONTAINER on a group file: the bind policies, about
 *    every device of the group, before the claim (so before the IOMMU
 *    core refuses a device with a firmware-mandated direct mapping);
 *  - VFIO_GROUP_GET_DEVICE_FD on a group file, unless this module's
 *    backend bound the group under the policies loaded now: a group this
 *    backend refused (VFIO then hands it to vfio_iommu_type1) gets no
 *    device; any other is decided by the bind policies again (one that
 *    joined a container before the policies were loaded, say);
 *  - VFIO_IOMMU_MAP_DMA on a container not served by this module: the map
 *    policies, then the charge policies with what vfio_iommu_type1 will
 *    charge the process's locked_vm.  Containers of this module ask their
 *    policies themselves; which is which, the container says
 *    (VFIO_CHECK_EXTENSION of IOMMUFD_BPF_VFIO_SERVED).
 *
 * A 32-bit process's ioctls arrive through file_ioctl_compat, where BPF
 * LSM programs may not sleep (and asking a policy about a device does):
 * there the gate refuses the three ioctls above while policies are loaded.
 *
 * With no policy loaded every kfunc returns at once (a static key).
 * Locking: none of its own; the kfuncs run in the caller's ioctl, before
 * VFIO takes any lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "iommufd_private.h"
#include "policy.h"

/*
 * What bpf/vfio_gate.bpf.c takes from the module's BTF: the ioctls it
 * passes on (every other one, /dev/iommu's among them, costs it three
 * comparisons).
 */
enum iommufd_vfio_gate_abi {
	IOMMUFD_VFIO_GATE_SET_CONTAINER = VFIO_GROUP_SET_CONTAINER,
	IOMMUFD_VFIO_GATE_GET_DEVICE_FD = VFIO_GROUP_GET_DEVICE_FD,
	IOMMUFD_VFIO_GATE_MAP_DMA = VFIO_IOMMU_MAP_DMA,
};

/* The bind policies, about every device of the group behind @file. */
static int gate_group(struct file *file, bool joining)
{
	struct iommu_group *group = iommufd_vfio_file_group(file);
	struct device **devs;
	unsigned int i, n;
	int rc = 0;

	if (!group)
		return 0;
	if (!joining) {
		/* Decided when this backend bound it, under these policies. */
		if (iommufd_vfio_backend_decided(group))
			goto out_put;
		/* Refused by this backend: VFIO's fall-back gets no device. */
		rc = iommufd_vfio_backend_refused(group);
		if (rc) {
			pr_info_ratelimited("VFIO group %d: no device for %s[%d]: this module refused the group (errno %d) and policies are loaded\n",
					    iommu_group_id(group),
					    current->comm,
					    task_tgid_nr(current), -rc);
			goto out_put;
		}
	}
	devs = iommufd_group_devices(group, &n);
	if (IS_ERR(devs)) {
		/* No device: nothing to decide (and VFIO refuses it). */
		rc = PTR_ERR(devs) == -ENODEV ? 0 : PTR_ERR(devs);
		goto out_put;
	}
	for (i = 0; i < n && !rc; i++)
		rc = iommufd_policy_bind(devs[i], false);
	iommufd_group_devices_put(devs, n);
	if (!rc && joining)
		iommufd_vfio_backend_forget(group);
out_put:
	iommu_group_put(group);
	return rc;
}

/* Whether @file is a VFIO container (/dev/vfio/vfio). */
static bool file_is_vfio_container(struct file *file)
{
	struct inode *inode = file_inode(file);

	return S_ISCHR(inode->i_mode) &&
	       inode->i_rdev == MKDEV(MISC_MAJOR, VFIO_MINOR);
}

/*
 * VFIO_IOMMU_MAP_DMA on a container vfio_iommu_type1 serves: the map
 * policies, then the charge.  A bad argument is left to VFIO to refuse.
 */
static int gate_map(struct file *file, unsigned long arg)
{
	struct vfio_iommu_type1_dma_map map;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	int prot = 0, rc;

	if (!file_is_vfio_container(file) || !file->f_op->unlocked_ioctl)
		return 0;
	if (file->f_op->unlocked_ioctl(file, VFIO_CHECK_EXTENSION,
				       IOMMUFD_BPF_VFIO_SERVED) > 0)
		return 0;
	if (copy_from_user(&map, (void __user *)arg, minsz) ||
	    map.argsz < minsz || !map.size)
		return 0;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	rc = iommufd_policy_map(&(struct iommufd_policy_map_req){
		.op = IOMMUFD_POLICY_MAP_USER,
		.iova = map.iova,
		.length = map.size,
		.uptr = map.vaddr,
		.prot = prot,
		.account_mode = IOPT_PAGES_ACCOUNT_NONE,
	});
	if (rc)
		return rc;
	/* type1 does not hold a process with CAP_IPC_LOCK to its limit. */
	if (capable(CAP_IPC_LOCK) || (map.flags & VFIO_DMA_MAP_FLAG_VADDR))
		return 0;
	return __iommufd_policy_charge_locked_vm(map.vaddr,
						 DIV_ROUND_UP(map.size,
							      PAGE_SIZE));
}

__bpf_kfunc_start_defs();

/**
 * iommufd_vfio_gate() - ask the policies about a VFIO ioctl, before VFIO
 * @file: the file the ioctl is for
 * @cmd: the ioctl
 * @arg: its argument
 *
 * For a sleepable BPF LSM program on file_ioctl.  Returns 0 to let the
 * ioctl go on, or the errno of the policy that denied it.
 */
__bpf_kfunc int iommufd_vfio_gate(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	if (!iommufd_policy_enabled())
		return 0;
	switch (cmd) {
	case VFIO_GROUP_SET_CONTAINER:
		return gate_group(file, true);
	case VFIO_GROUP_GET_DEVICE_FD:
		return gate_group(file, false);
	case VFIO_IOMMU_MAP_DMA:
		return gate_map(file, arg);
	}
	return 0;
}

/**
 * iommufd_vfio_gate_compat() - the same for a 32-bit process's ioctl
 * @file: the file the ioctl is for
 * @cmd: the ioctl
 *
 * For a BPF LSM program on file_ioctl_compat, which may not sleep: what
 * iommufd_vfio_gate() would decide is refused with EPERM while policies
 * are loaded.
 */
__bpf_kfunc int iommufd_vfio_gate_compat(struct file *file, unsigned int cmd)
{
	bool gated;

	if (!iommufd_policy_enabled())
		return 0;
	switch (cmd) {
	case VFIO_GROUP_SET_CONTAINER:
	case VFIO_GROUP_GET_DEVICE_FD:
		gated = iommufd_vfio_file_is_group(file);
		break;
	case VFIO_IOMMU_MAP_DMA:
		gated = file_is_vfio_container(file);
		break;
	default:
		gated = false;
	}
	if (!gated)
		return 0;
	pr_info_ratelimited("VFIO ioctl %#x of 32-bit %s[%d] refused: policies are loaded and cannot be asked from a compat ioctl\n",
			    cmd, current->comm, task_tgid_nr(current));
	return -EPERM;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(vfio_gate_kfuncs)
BTF_ID_FLAGS(func, iommufd_vfio_gate, KF_SLEEPABLE | KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, iommufd_vfio_gate_compat, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(vfio_gate_kfuncs)

/*
 * Registered for BPF_PROG_TYPE_LSM, which shares its kfuncs with tracing
 * programs: only LSM programs on the two ioctl hooks may call the gate's
 * (the module's only kfuncs), on the file and argument the hook was given.
 */
static int vfio_gate_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	const char *fn = prog->aux->attach_func_name;

	if (prog->type == BPF_PROG_TYPE_LSM && fn &&
	    (!strcmp(fn, "bpf_lsm_file_ioctl") ||
	     !strcmp(fn, "bpf_lsm_file_ioctl_compat")))
		return 0;
	return -EACCES;
}

static const struct btf_kfunc_id_set vfio_gate_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &vfio_gate_kfuncs,
	.filter = vfio_gate_kfunc_filter,
};

int iommufd_vfio_gate_register(void)
{
	BTF_TYPE_EMIT_ENUM(IOMMUFD_VFIO_GATE_SET_CONTAINER);
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_LSM,
					 &vfio_gate_kfunc_set);
}
