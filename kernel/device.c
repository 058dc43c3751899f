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
 *
 * Attaching puts the device's whole group on a HWPT's domain: the group is
 * the unit of isolation, so all its bound devices share one HWPT, and the
 * group's DMA moves from the blocking domain to the HWPT's domain and back
 * (detach), or from one domain straight to another (replace: the IOMMU core
 * switches without passing through an unblocked state, and the old domain
 * is freed only after).  While attached, the device's reserved regions are
 * reserved in the IOAS; attach is refused (EADDRINUSE) when something is
 * mapped there.  Attaching to an IOAS reuses an automatic HWPT of that IOAS
 * whose domain the device's driver accepts, or makes a new one.
 *
 * Locking: ictx->devices_lock (bind, unbind, the group table), then
 * ioas->mutex (choosing an automatic HWPT), then igroup->lock, then
 * hwpt->msi_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"
#include "policy.h"
#include "trace.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "bind devices whose IOMMU group has no isolated MSI (as vfio_iommu_type1's)");

/* iommu_group_replace_domain() is exported for iommufd only. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

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

struct group_walk {
	struct device **devs;
	unsigned int n;
	unsigned int room;
};

static int group_walk_one(struct device *dev, void *data)
{
	struct group_walk *w = data;

	if (w->devs && w->n < w->room)
		w->devs[w->n] = get_device(dev);
	w->n++;
	return 0;
}

/**
 * iommufd_group_devices() - take every device of an IOMMU group
 * @group: the group
 * @n: set to how many
 *
 * The devices are taken (a reference each) under the group's mutex and
 * used after it is dropped: binding, attaching and asking the IOMMU driver
 * about a device take it again.  A device that joins meanwhile is not
 * among them.  Returns the array, for iommufd_group_devices_put(), or an
 * ERR_PTR: -ENODEV for an empty group, -ENOMEM.
 */
struct device **iommufd_group_devices(struct iommu_group *group,
				      unsigned int *n)
{
	struct group_walk w = {};

	iommu_group_for_each_dev(group, &w, group_walk_one);
	if (!w.n)
		return ERR_PTR(-ENODEV);
	w.room = w.n;
	w.n = 0;
	w.devs = iommufd_should_fail() ? NULL :
		 kcalloc(w.room, sizeof(*w.devs), GFP_KERNEL);
	if (!w.devs)
		return ERR_PTR(-ENOMEM);
	iommu_group_for_each_dev(group, &w, group_walk_one);
	*n = min(w.n, w.room);
	return w.devs;
}

void iommufd_group_devices_put(struct device **devs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put_device(devs[i]);
	kfree(devs);
}

/*
 * Can the device's MSI reach nothing but what its group may write?  Mock
 * devices say so themselves; for real ones the IOMMU core knows.
 */
bool iommufd_device_msi_isolated(struct device *dev, struct iommu_group *group)
{
	int mock = iommufd_mock_device_unsafe_msi(dev);

	if (mock >= 0)
		return !mock;
	return iommu_group_has_isolated_msi(group);
}

/* The context's state of @group, made for its first bound device. */
static struct iommufd_group *iommufd_group_get(struct iommufd_ctx *ictx,
					       struct iommu_group *group)
{
	struct iommufd_group *igroup;
	int rc;

	lockdep_assert_held(&ictx->devices_lock);
	igroup = xa_load(&ictx->groups, iommu_group_id(group));
	if (igroup) {
		igroup->users++;
		return igroup;
	}
	igroup = iommufd_should_fail() ? NULL :
		 kzalloc(sizeof(*igroup), GFP_KERNEL_ACCOUNT);
	if (!igroup)
		return ERR_PTR(-ENOMEM);
	igroup->users = 1;
	mutex_init(&igroup->lock);
	INIT_LIST_HEAD(&igroup->devices);
	igroup->group = iommu_group_ref_get(group);
	rc = iommufd_should_fail() ? -ENOMEM :
	     xa_err(xa_store(&ictx->groups, iommu_group_id(group), igroup,
			     GFP_KERNEL_ACCOUNT));
	if (rc) {
		iommu_group_put(group);
		kfree(igroup);
		return ERR_PTR(rc);
	}
	return igroup;
}

static void iommufd_group_put(struct iommufd_ctx *ictx,
			      struct iommufd_group *igroup)
{
	lockdep_assert_held(&ictx->devices_lock);
	if (--igroup->users)
		return;
	WARN_ON(igroup->hwpt);
	xa_erase(&ictx->groups, iommu_group_id(igroup->group));
	iommu_group_put(igroup->group);
	mutex_destroy(&igroup->lock);
	kfree(igroup);
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
 * iommufd_device_bind_flags() - bind a device to a context
 * @ictx: the context
 * @dev: the device, in an IOMMU group
 * @id: receives the device object's ID
 * @flags: IOMMUFD_BIND_GROUP_OWNED when the caller owns the group's DMA
 *         (VFIO's group does before its container picks an IOMMU backend)
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
struct iommufd_device *iommufd_device_bind_flags(struct iommufd_ctx *ictx,
						 struct device *dev, u32 *id,
						 unsigned int flags)
{
	struct iommufd_device *idev;
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
	/*
	 * Loaded policies first: they may refuse more, and say so.  VFIO's
	 * group binds each of its devices; any other bind claims the whole
	 * group with this one device, and so asks about all of them.
	 */
	rc = iommufd_policy_bind(dev, !(flags & IOMMUFD_BIND_GROUP_OWNED));
	if (rc)
		goto err_group;
	if (!iommufd_device_msi_isolated(dev, group) &&
	    !allow_unsafe_interrupts) {
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

	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_group;
	}
	idev->ictx = ictx;
	idev->group = group;
	idev->dev = dev;
	INIT_LIST_HEAD(&idev->attach_item);

	mutex_lock(&ictx->devices_lock);
	if (device_bound(ictx, dev)) {
		rc = -EBUSY;
		goto err_unlock;
	}
	idev->igroup = iommufd_group_get(ictx, group);
	if (IS_ERR(idev->igroup)) {
		rc = PTR_ERR(idev->igroup);
		goto err_unlock;
	}
	idev->group_owned = flags & IOMMUFD_BIND_GROUP_OWNED;
	rc = idev->group_owned ? 0 : iommu_device_claim_dma_owner(dev, ictx);
	if (rc) {
		iommufd_group_put(ictx, idev->igroup);
		goto err_unlock;
	}
	get_device(dev);
	list_add_tail(&idev->node, &ictx->devices);
	mutex_unlock(&ictx->devices_lock);

	/* The binding driver's reference, until iommufd_device_unbind(). */
	refcount_inc(&idev->obj.users);
	iommufd_object_finalize(ictx, &idev->obj);
	trace_bind(dev_name(dev), iommu_group_id(group), idev->obj.id);
	*id = idev->obj.id;
	return idev;

err_unlock:
	mutex_unlock(&ictx->devices_lock);
	iommufd_object_abort(ictx, &idev->obj);
err_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	return iommufd_device_bind_flags(ictx, dev, id, 0);
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

	/* A driver unbinding an attached device lets it go first. */
	iommufd_device_detach(idev);
	mutex_lock(&ictx->devices_lock);
	list_del(&idev->node);
	if (!idev->group_owned)
		iommu_device_release_dma_owner(idev->dev);
	iommufd_group_put(ictx, idev->igroup);
	mutex_unlock(&ictx->devices_lock);
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

	cmd->out_capabilities = 0;
	/* Only where this module can read the dirty bits (dirty.c). */
	if (iommufd_dirty_capable(idev->dev))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	cmd->out_max_pasid_log2 = idev->dev->iommu->max_pasids ?
				  ilog2(idev->dev->iommu->max_pasids) : 0;
	/*
	 * The device is let go before user memory is touched: a copy that
	 * faults for long (userfaultfd) must not hold up the device's unbind.
	 */
	iommufd_put_object(obj);
	obj = NULL;

	copy = min(cmd->data_len, len);
	if (copy_to_user(ubuf, data, copy) ||
	    (cmd->data_len > copy &&
	     clear_user(ubuf + copy, cmd->data_len - copy))) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = len;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	kfree(data);
	if (obj)
		iommufd_put_object(obj);
	return rc;
}

/* Where the device's MSI doorbell is translated, or PHYS_ADDR_MAX. */
static phys_addr_t device_sw_msi(struct device *dev)
{
	phys_addr_t start = PHYS_ADDR_MAX;
	struct iommu_resv_region *region;
	LIST_HEAD(regions);

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_SW_MSI) {
			start = region->start;
			break;
		}
	}
	iommu_put_resv_regions(dev, &regions);
	return start;
}

/*
 * A device whose IOMMU translates its MSI writes (IOMMU_RESV_SW_MSI) needs
 * the domain's MSI cookie at that IOVA, so the kernel maps the doorbell
 * there.  A domain has one cookie: a device wanting it elsewhere cannot use
 * the domain (-EINVAL; an automatic attach then makes another).
 */
static int hwpt_setup_msi(struct iommufd_hwpt_paging *hwpt,
			  struct device *dev)
{
	phys_addr_t start = device_sw_msi(dev);
	int rc = 0;

	if (start == PHYS_ADDR_MAX)
		return 0;
	mutex_lock(&hwpt->msi_lock);
	if (!hwpt->msi_cookie) {
		rc = iommufd_should_fail() ? -ENOMEM :
		     iommu_get_msi_cookie(hwpt->domain, start);
		if (!rc) {
			hwpt->msi_cookie = true;
			hwpt->sw_msi_start = start;
		}
	} else if (hwpt->sw_msi_start != start) {
		rc = -EINVAL;
	}
	mutex_unlock(&hwpt->msi_lock);
	return rc;
}

/* Reserve @idev's regions in @hwpt's IOAS and give it its MSI mapping. */
static int device_prepare(struct iommufd_device *idev,
			  struct iommufd_hwpt_paging *hwpt, bool reserve)
{
	int rc;

	if (reserve) {
		rc = iopt_table_enforce_dev_resv_regions(&hwpt->ioas->iopt,
							 idev->dev);
		if (rc)
			return rc;
	}
	rc = hwpt_setup_msi(hwpt, idev->dev);
	if (rc && reserve)
		iopt_remove_reserved_iova(&hwpt->ioas->iopt, idev->dev);
	return rc;
}

/*
 * A device on a HWPT with a fault queue raises page requests: its IOPF is
 * on while it is attached to one.  Under igroup->lock.
 */
static int device_iopf_on(struct iommufd_device *idev,
			  struct iommufd_hw_pagetable *hwpt)
{
	int rc;

	if (!hwpt->fault || idev->iopf)
		return 0;
	/*
	 * A VF shares its PF's page request interface, which nothing here
	 * coordinates: as upstream, no IOPF for one.
	 */
	if (dev_is_pci(idev->dev) && to_pci_dev(idev->dev)->is_virtfn)
		return -EINVAL;
	rc = iommufd_should_fail() ? -ENOMEM :
	     iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	if (!rc)
		idev->iopf = true;
	return rc;
}

static void device_iopf_off(struct iommufd_device *idev)
{
	if (!idev->iopf)
		return;
	iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	idev->iopf = false;
}

/* Forget the group's attach handle, answering the faults that came by it. */
static void group_drop_handle(struct iommufd_group *igroup,
			      struct iommufd_hw_pagetable *hwpt)
{
	if (!igroup->handle)
		return;
	iommufd_fault_flush(hwpt->fault, igroup->handle);
	kfree(igroup->handle);
	igroup->handle = NULL;
}

/*
 * Put the group's DMA on @hwpt's domain: attach it (from the blocking
 * domain) or, with @replace, switch the domain it is on without blocking
 * DMA in between.  A domain with a fault queue goes through a new attach
 * handle for device @dev_id, which is how the IOMMU core finds its fault
 * handler; the old one goes, its unanswered faults answered.  For the mock
 * IOMMU, faults are raised under igroup->lock, held here, so none comes
 * through a handle being dropped.  igroup->hwpt is still the old HWPT.
 */
static int group_set_hwpt(struct iommufd_group *igroup,
			  struct iommufd_hw_pagetable *hwpt, u32 dev_id,
			  bool replace)
{
	struct iommufd_attach_handle *handle = NULL;
	int rc;

	if (hwpt->fault) {
		handle = iommufd_should_fail() ? NULL :
			 kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);
		if (!handle)
			return -ENOMEM;
		handle->dev_id = dev_id;
	}
	if (iommufd_should_fail())
		rc = -ENOMEM;
	else if (!replace && handle)
		rc = iommu_attach_group_handle(hwpt->domain, igroup->group,
					       &handle->handle);
	else if (!replace)
		rc = iommu_attach_group(hwpt->domain, igroup->group);
	else if (handle || igroup->handle)
		/* A NULL handle takes the old one out of the group. */
		rc = iommu_replace_group_handle(igroup->group, hwpt->domain,
						handle ? &handle->handle :
							 NULL);
	else
		rc = iommu_group_replace_domain(igroup->group, hwpt->domain);
	if (rc) {
		kfree(handle);
		return rc;
	}
	if (replace)
		group_drop_handle(igroup, igroup->hwpt);
	igroup->handle = handle;
	return 0;
}

static int device_attach_hwpt(struct iommufd_device *idev,
			      struct iommufd_hw_pagetable *hwpt,
			      struct iommufd_hw_pagetable **old)
{
	struct iommufd_ioas *ioas = hwpt->paging->ioas;
	struct iommufd_group *igroup = idev->igroup;
	int rc;

	mutex_lock(&igroup->lock);
	if (idev->hwpt) {
		rc = -EBUSY;
		goto out_unlock;
	}
	/* The group is the unit: its devices share one HWPT. */
	if (igroup->hwpt && igroup->hwpt != hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = device_prepare(idev, hwpt->paging, true);
	if (rc)
		goto out_unlock;
	rc = device_iopf_on(idev, hwpt);
	if (rc)
		goto err_unreserve;
	if (!igroup->hwpt) {
		rc = group_set_hwpt(igroup, hwpt, idev->obj.id, false);
		if (rc)
			goto err_iopf;
		refcount_inc(&hwpt->obj.users);
		igroup->hwpt = hwpt;
	}
	idev->hwpt = hwpt;
	list_add_tail(&idev->attach_item, &igroup->devices);
	trace_attach(dev_name(idev->dev), iommu_group_id(idev->group),
		     idev->obj.id, hwpt->obj.id, ioas->obj.id);
	goto out_unlock;

err_iopf:
	device_iopf_off(idev);
err_unreserve:
	iopt_remove_reserved_iova(&ioas->iopt, idev->dev);
out_unlock:
	mutex_unlock(&igroup->lock);
	return rc;
}

/*
 * Move the device's group to @hwpt.  The IOMMU core switches the domain
 * without blocking DMA in between; the old HWPT comes back in *old for the
 * caller to put once it holds no lock (it may be destroyed then).
 */
static int device_replace_hwpt(struct iommufd_device *idev,
			       struct iommufd_hw_pagetable *hwpt,
			       struct iommufd_hw_pagetable **old)
{
	struct iommufd_ioas *ioas = hwpt->paging->ioas;
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_hw_pagetable *cur_hwpt;
	struct iommufd_device *cur;
	bool moving;
	int rc = 0;

	mutex_lock(&igroup->lock);
	cur_hwpt = igroup->hwpt;
	if (!idev->hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (cur_hwpt == hwpt)
		goto out_unlock;
	/* Within one IOAS the reservations are there already. */
	moving = cur_hwpt->paging->ioas != ioas;
	list_for_each_entry(cur, &igroup->devices, attach_item) {
		rc = device_prepare(cur, hwpt->paging, moving);
		if (rc)
			goto err_unreserve;
		rc = device_iopf_on(cur, hwpt);
		if (rc)
			goto err_unreserve;
	}
	rc = group_set_hwpt(igroup, hwpt, idev->obj.id, true);
	if (rc)
		goto err_unreserve;
	list_for_each_entry(cur, &igroup->devices, attach_item) {
		if (moving)
			iopt_remove_reserved_iova(&cur_hwpt->paging->ioas->iopt,
						  cur->dev);
		if (!hwpt->fault)
			device_iopf_off(cur);
		cur->hwpt = hwpt;
	}
	refcount_inc(&hwpt->obj.users);
	igroup->hwpt = hwpt;
	*old = cur_hwpt;
	trace_replace(dev_name(idev->dev), iommu_group_id(idev->group),
		      idev->obj.id, cur_hwpt->obj.id, hwpt->obj.id,
		      ioas->obj.id);
	goto out_unlock;

err_unreserve:
	/* Removing what was not reserved is a no-op. */
	list_for_each_entry(cur, &igroup->devices, attach_item) {
		if (moving)
			iopt_remove_reserved_iova(&ioas->iopt, cur->dev);
		/* IOPF stays on for the HWPT the group is still on. */
		if (!cur_hwpt->fault)
			device_iopf_off(cur);
	}
out_unlock:
	mutex_unlock(&igroup->lock);
	return rc;
}

typedef int (*device_attach_fn)(struct iommufd_device *idev,
				struct iommufd_hw_pagetable *hwpt,
				struct iommufd_hw_pagetable **old);

/*
 * Attach (or replace) to an IOAS: the first automatic HWPT of the IOAS
 * whose domain the device's driver accepts, else a new one.  -EINVAL from
 * @fn means "not this domain"; any other error ends the search.
 */
static int device_auto_domain(struct iommufd_device *idev,
			      struct iommufd_ioas *ioas, u32 *pt_id,
			      device_attach_fn fn,
			      struct iommufd_hw_pagetable **old)
{
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->auto_domain ||
		    !refcount_inc_not_zero(&hwpt->obj.users))
			continue;
		rc = fn(idev, &hwpt->common, old);
		iommufd_put_object(&hwpt->obj);
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt->obj.id;
		goto out_unlock;
	}

	hwpt = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, 0, true);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	rc = fn(idev, &hwpt->common, old);
	if (rc) {
		/* Not linked yet, so destroying it takes no IOAS lock. */
		iommufd_object_abort_and_destroy(idev->ictx, &hwpt->obj);
		goto out_unlock;
	}
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	iommufd_object_finalize(idev->ictx, &hwpt->obj);
	*pt_id = hwpt->obj.id;
out_unlock:
	mutex_unlock(&ioas->mutex);
	return rc;
}

/* Ask the loaded policies about attaching @idev to @obj (IOAS or HWPT). */
static int device_policy(struct iommufd_device *idev,
			 struct iommufd_object *obj, bool replace)
{
	u32 ioas_id = 0, hwpt_id = 0;

	if (obj->type == IOMMUFD_OBJ_IOAS) {
		ioas_id = obj->id;
	} else if (obj->type == IOMMUFD_OBJ_HWPT_PAGING ||
		   obj->type == IOMMUFD_OBJ_HWPT_NESTED) {
		hwpt_id = obj->id;
		ioas_id = container_of(obj, struct iommufd_hw_pagetable,
				       obj)->paging->ioas->obj.id;
	}
	return iommufd_policy_attach(idev->dev, obj->id, ioas_id, hwpt_id,
				     replace);
}

static int device_change_pt(struct iommufd_device *idev, u32 *pt_id,
			    device_attach_fn fn)
{
	struct iommufd_hw_pagetable *old = NULL;
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	rc = device_policy(idev, obj, fn == device_replace_hwpt);
	if (rc)
		goto out_put;
	switch (obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
	case IOMMUFD_OBJ_HWPT_NESTED:
		rc = fn(idev, container_of(obj, struct iommufd_hw_pagetable,
					   obj), &old);
		break;
	case IOMMUFD_OBJ_IOAS:
		rc = device_auto_domain(idev,
					container_of(obj, struct iommufd_ioas,
						     obj), pt_id, fn, &old);
		break;
	default:
		rc = -EINVAL;
		break;
	}
out_put:
	iommufd_put_object(obj);
	if (old)
		iommufd_hwpt_put(old);
	return rc;
}

/**
 * iommufd_device_attach() - attach a bound device to an IOAS or a HWPT
 * @idev: the device, not attached
 * @pt_id: the IOAS or HWPT; for an IOAS, receives the HWPT chosen
 *
 * Returns -EBUSY when attached already, -EINVAL when the group is attached
 * to another HWPT or the domain does not suit the device, -EADDRINUSE when
 * the IOAS maps something where the device has a reserved region, -ENOENT
 * for an unknown ID.
 */
int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id)
{
	return device_change_pt(idev, pt_id, device_attach_hwpt);
}

/**
 * iommufd_device_replace() - move an attached device to another IOAS or HWPT
 * @idev: the device, attached
 * @pt_id: as for iommufd_device_attach()
 *
 * The whole group moves; DMA goes through the old domain until the new one
 * takes over, and the old HWPT is released after.  -EINVAL when the device
 * is not attached.
 */
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id)
{
	return device_change_pt(idev, pt_id, device_replace_hwpt);
}

/**
 * iommufd_device_detach() - detach a device
 * @idev: the device
 *
 * The last device of its group to leave puts the group back on the blocking
 * domain; its reserved regions stop constraining the IOAS.  -EINVAL when
 * the device is not attached.
 */
int iommufd_device_detach(struct iommufd_device *idev)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_hw_pagetable *hwpt, *put = NULL;
	int rc = 0;

	mutex_lock(&igroup->lock);
	hwpt = idev->hwpt;
	if (!hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	list_del_init(&idev->attach_item);
	idev->hwpt = NULL;
	if (list_empty(&igroup->devices)) {
		if (igroup->handle) {
			iommu_detach_group_handle(hwpt->domain, igroup->group);
			group_drop_handle(igroup, hwpt);
		} else {
			iommu_detach_group(hwpt->domain, igroup->group);
		}
		igroup->hwpt = NULL;
		put = hwpt;
	} else if (hwpt->fault) {
		/* The group stays on the HWPT: the device's faults go now. */
		iommufd_fault_flush_dev(hwpt->fault, idev->dev);
		if (igroup->handle->dev_id == idev->obj.id)
			WRITE_ONCE(igroup->handle->dev_id,
				   list_first_entry(&igroup->devices,
						    struct iommufd_device,
						    attach_item)->obj.id);
	}
	device_iopf_off(idev);
	iopt_remove_reserved_iova(&hwpt->paging->ioas->iopt, idev->dev);
	trace_detach(dev_name(idev->dev), iommu_group_id(idev->group),
		     idev->obj.id, hwpt->obj.id, hwpt->paging->ioas->obj.id);
out_unlock:
	mutex_unlock(&igroup->lock);
	if (put)
		iommufd_hwpt_put(put);
	return rc;
}
