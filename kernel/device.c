// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: device objects — binding a device to a context.
 *
 * Binding claims DMA ownership of the device's IOMMU group for the context
 * (iommu_device_claim_dma_owner() with the context as owner): from then on
 * the kernel's DMA API no longer uses the group, and no other context — no
 * other owner at all — can bind any device of it.  That is the security rule
 * of iommufd: user space gets a device only with its whole group, and the
 * kernel, not user space, enforces it.  Unbinding (destroy, or close of the
 * file) gives the group back.
 *
 * Before claiming, binding refuses what user space must not drive: a device
 * whose DMA is not cache coherent, a group without isolated MSI (unless
 * allow_unsafe_interrupts=1, as VFIO has it), and a device whose firmware
 * demands a permanent 1:1 mapping (an IOMMU_RESV_DIRECT region: RMRR on
 * VT-d).  The IOMMU core would refuse the last one too, when the blocking
 * domain is attached; refusing first gives one log line that names the
 * device and the region.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"
#include "trace.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "bind devices whose IOMMU group has no isolated MSI (as vfio_iommu_type1's)");

/*
 * A region that forbids giving the device to user space, with its range in
 * *start and *last; false if there is none.
 */
static bool device_direct_region(struct device *dev, phys_addr_t *start,
				 phys_addr_t *last)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	bool found = false;

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type != IOMMU_RESV_DIRECT)
			continue;
		*start = region->start;
		*last = region->start + region->length - 1;
		found = true;
		break;
	}
	iommu_put_resv_regions(dev, &regions);
	return found;
}

/*
 * Could the device's MSI reach beyond what its group may write?  Mock
 * devices say so themselves; for real ones the IOMMU core knows.
 */
static bool device_msi_unsafe(struct device *dev, struct iommu_group *group)
{
	int mock = iommufd_mock_device_unsafe_msi(dev);

	if (mock >= 0)
		return mock;
	return !iommu_group_has_isolated_msi(group);
}

/* Is @dev bound to @ictx already?  Under ictx->devices_lock. */
static bool device_bound(struct iommufd_ctx *ictx, struct device *dev)
{
	struct iommufd_device *idev;

	lockdep_assert_held(&ictx->devices_lock);
	list_for_each_entry(idev, &ictx->devices, node)
		if (idev->dev == dev)
			return true;
	return false;
}

/**
 * iommufd_device_bind() - bind a device to a context
 * @ictx: the context
 * @dev: the device, in an IOMMU group
 * @id: receives the device object's ID
 *
 * The caller (the driver that owns the device: the VFIO backend, or the test
 * device) holds the object until iommufd_device_unbind(); user space cannot
 * destroy it.
 *
 * Returns the device object, or an ERR_PTR: -ENODEV without an IOMMU group,
 * -EBUSY if already bound here, -EINVAL if not cache coherent or the
 * firmware demands a direct mapping, -EPERM without isolated MSI or when
 * another owner has the group.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	struct iommu_group *group;
	phys_addr_t start, last;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		rc = -EINVAL;
		goto err_group;
	}
	if (device_msi_unsafe(dev, group) && !allow_unsafe_interrupts) {
		dev_warn_ratelimited(dev,
				     "bind refused: its IOMMU group has no isolated MSI (load with allow_unsafe_interrupts=1 to permit)\n");
		rc = -EPERM;
		goto err_group;
	}
	if (device_direct_region(dev, &start, &last)) {
		dev_warn_ratelimited(dev,
				     "bind refused: firmware requires a direct mapping of [%pa-%pa] (IOMMU_RESV_DIRECT, e.g. an RMRR)\n",
				     &start, &last);
		rc = -EINVAL;
		goto err_group;
	}

	obj = iommufd_object_alloc(ictx, sizeof(*idev), IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto err_group;
	}
	idev = container_of(obj, struct iommufd_device, obj);
	idev->ictx = ictx;
	idev->group = group;
	idev->dev = dev;

	mutex_lock(&ictx->devices_lock);
	if (device_bound(ictx, dev)) {
		rc = -EBUSY;
		goto err_unlock;
	}
	rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc)
		goto err_unlock;
	get_device(dev);
	list_add_tail(&idev->node, &ictx->devices);
	mutex_unlock(&ictx->devices_lock);

	/* The binding driver's reference, until iommufd_device_unbind(). */
	refcount_inc(&obj->users);
	iommufd_object_finalize(ictx, obj);
	trace_bind(dev_name(dev), iommu_group_id(group), obj->id);
	*id = obj->id;
	return idev;

err_unlock:
	mutex_unlock(&ictx->devices_lock);
	iommufd_object_abort(ictx, obj);
err_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}

void iommufd_device_unbind(struct iommufd_device *idev)
{
	iommufd_object_destroy_user(idev->ictx, &idev->obj);
}

/* The object's destroy: give the group back. */
void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);
	struct iommufd_ctx *ictx = idev->ictx;

	mutex_lock(&ictx->devices_lock);
	list_del(&idev->node);
	mutex_unlock(&ictx->devices_lock);
	iommu_device_release_dma_owner(idev->dev);
	trace_unbind(dev_name(idev->dev), iommu_group_id(idev->group),
		     obj->id);
	put_device(idev->dev);
	iommu_group_put(idev->group);
}

/*
 * IOMMU_GET_HW_INFO: what the device's IOMMU is.  The driver's data is copied
 * as far as the caller's buffer reaches, the rest of the buffer zeroed, and
 * data_len set to the driver's full size.  IOMMU_HW_INFO_FLAG_INPUT_TYPE (a
 * later kernel's flag) asks for a type: the default (0) or the driver's own;
 * 6.12 drivers know no other.
 */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void __user *ubuf = u64_to_user_ptr(cmd->data_uptr);
	u32 want = IOMMU_HW_INFO_TYPE_DEFAULT, len = 0, copy;
	const struct iommu_ops *ops;
	struct iommufd_object *obj;
	struct iommufd_device *idev;
	void *data = NULL;
	int rc = 0;

	if ((cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) ||
	    cmd->__reserved[0] || cmd->__reserved[1] || cmd->__reserved[2])
		return -EOPNOTSUPP;
	if (cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		want = cmd->in_data_type;

	obj = iommufd_get_object(ucmd->ictx, cmd->dev_id, IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);

	cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	ops = idev->dev->iommu->iommu_dev->ops;
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &len, &cmd->out_data_type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			data = NULL;
			goto out_put;
		}
	}
	if (want != IOMMU_HW_INFO_TYPE_DEFAULT && want != cmd->out_data_type) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

	copy = min(cmd->data_len, len);
	if (copy_to_user(ubuf, data, copy) ||
	    (cmd->data_len > copy &&
	     clear_user(ubuf + copy, cmd->data_len - copy))) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = len;
	cmd->out_capabilities = 0;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	cmd->out_max_pasid_log2 = idev->dev->iommu->max_pasids ?
				  ilog2(idev->dev->iommu->max_pasids) : 0;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	kfree(data);
	iommufd_put_object(obj);
	return rc;
}
