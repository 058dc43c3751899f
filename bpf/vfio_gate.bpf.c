// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_gate — the policies asked before VFIO acts, on any IOMMU backend.
 *
 * Not a policy but the way the policies reach VFIO's legacy interface:
 * BPF LSM programs on file_ioctl (and file_ioctl_compat) that hand VFIO's
 * ioctls to the module (kernel/vfio_gate.c), which asks the loaded
 * policies before VFIO claims a group's DMA, hands out a device or lets
 * vfio_iommu_type1 map.  Every other ioctl costs three comparisons.
 * iommupolicy loads it with the first policy and unloads it with the last.
 */
#include "policy_common.h"

extern int iommufd_vfio_gate(struct file *file, unsigned int cmd,
			     unsigned long arg) __ksym;
extern int iommufd_vfio_gate_compat(struct file *file,
				    unsigned int cmd) __ksym;

/* include/linux/err.h: an LSM hook returns 0 or -1 .. -MAX_ERRNO. */
#define MAX_ERRNO 4095

/* The ioctls the module decides; the rest go on untouched. */
static bool gated(unsigned int cmd)
{
	return cmd == IOMMUFD_VFIO_GATE_SET_CONTAINER ||
	       cmd == IOMMUFD_VFIO_GATE_GET_DEVICE_FD ||
	       cmd == IOMMUFD_VFIO_GATE_MAP_DMA;
}

/*
 * The verifier checks all 64 bits of what the program returns: sign-extend
 * the kfunc's int in a register the compiler cannot swap for the
 * unextended one, bound it there and return that register.
 */
static __always_inline int lsm_errno(int rc)
{
	long v = rc;

	asm volatile("%0 <<= 32; %0 s>>= 32" : "+r"(v));
	if (v > 0 || v < -MAX_ERRNO)
		return -EPERM;
	return v;
}

SEC("lsm.s/file_ioctl")
int BPF_PROG(vfio_gate, struct file *file, unsigned int cmd,
	     unsigned long arg, int ret)
{
	if (ret || !gated(cmd))
		return lsm_errno(ret);
	return lsm_errno(iommufd_vfio_gate(file, cmd, arg));
}

SEC("lsm/file_ioctl_compat")
int BPF_PROG(vfio_gate_compat, struct file *file, unsigned int cmd,
	     unsigned long arg, int ret)
{
	if (ret || !gated(cmd))
		return lsm_errno(ret);
	return lsm_errno(iommufd_vfio_gate_compat(file, cmd));
}

char LICENSE[] SEC("license") = "GPL";
