// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: HW page tables — IOMMU paging domains that map an IOAS.
 *
 * A paging HWPT owns one IOMMU domain, allocated by the driver of a device
 * (the domain's page sizes, aperture and attach rules are that driver's),
 * and keeps it mapping everything its IOAS maps (io_pagetable.c).  User
 * space makes one with IOMMU_HWPT_ALLOC; attaching a device to an IOAS picks
 * or makes an automatic one (device.c).  A HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING records the pages DMA writes (dirty.c).
 *
 * A nested HWPT is a domain of the driver's own format (the driver data of
 * IOMMU_HWPT_ALLOC) whose translation user space manages, in front of a
 * paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT: a device attached
 * to it reaches, at most, what the parent's IOAS maps.  User space flushes
 * its caches with IOMMU_HWPT_INVALIDATE.  A nested HWPT may send the page
 * faults of its devices to a fault queue (fault.c).
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/*
 * The IOMMU driver of a device the IOMMU core probed (a bound device is):
 * the core's dev_iommu_ops(), which is in its private header.
 */
static const struct iommu_ops *hwpt_dev_iommu_ops(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

/**
 * iommufd_hwpt_paging_alloc() - a new, unpublished paging HWPT on an IOAS
 * @ictx: the context
 * @ioas: the IOAS it will map
 * @idev: the device whose IOMMU driver makes the domain
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @auto_domain: made for an attach to the IOAS, rather than by the user
 *
 * The domain is allocated and filled from the IOAS.  The caller finalizes
 * the object (or aborts and destroys it) and links it into the IOAS's list
 * with iommufd_hwpt_paging_link().  -EOPNOTSUPP for flags the device's
 * IOMMU cannot honour here: dirty tracking needs an IOMMU whose dirty bits
 * this module can read (dirty.c), any flag a driver that takes flags.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags,
			  bool auto_domain)
{
	const struct iommu_ops *ops = hwpt_dev_iommu_ops(idev->dev);
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
		      IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	if (flags && !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !iommufd_dirty_capable(idev->dev))
		return ERR_PTR(-EOPNOTSUPP);

	hwpt = iommufd_object_alloc(ictx, hwpt, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(hwpt))
		return ERR_CAST(hwpt);
	hwpt->paging = hwpt;
	hwpt->ictx = ictx;
	hwpt->auto_domain = auto_domain;
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	INIT_LIST_HEAD(&hwpt->hwpt_item);
	mutex_init(&hwpt->msi_lock);

	if (iommufd_should_fail())
		hwpt->domain = ERR_PTR(-ENOMEM);
	else if (flags)
		hwpt->domain = ops->domain_alloc_user(idev->dev, flags, NULL,
						      NULL);
	else
		hwpt->domain = iommu_paging_domain_alloc(idev->dev);
	if (IS_ERR_OR_NULL(hwpt->domain)) {
		rc = hwpt->domain ? PTR_ERR(hwpt->domain) : -ENOMEM;
		hwpt->domain = NULL;
		goto err_abort;
	}
	/* As the IOMMU core does for the domains it allocates. */
	hwpt->domain->owner = ops;
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    WARN_ON_ONCE(!hwpt->domain->dirty_ops)) {
		rc = -EOPNOTSUPP;
		goto err_abort;
	}
	/* Asked before anything is mapped, as drivers may require. */
	if (device_iommu_capable(idev->dev,
				 IOMMU_CAP_ENFORCE_CACHE_COHERENCY) &&
	    hwpt->domain->ops->enforce_cache_coherency)
		hwpt->enforce_cache_coherency =
			hwpt->domain->ops->enforce_cache_coherency(hwpt->domain);
	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain, hwpt->obj.id);
	if (rc)
		goto err_abort;
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	return hwpt;

err_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

/* Make @hwpt one of its IOAS's HWPTs, which automatic attach may reuse. */
void iommufd_hwpt_paging_link(struct iommufd_hwpt_paging *hwpt)
{
	struct iommufd_ioas *ioas = hwpt->ioas;

	mutex_lock(&ioas->mutex);
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);
	mutex_unlock(&ioas->mutex);
}

/* No group is attached any more: each holds a reference. */
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, obj);
	struct iommufd_ioas *ioas = hwpt->ioas;

	if (ioas) {
		/*
		 * Only this destroy unlinks a linked HWPT, and nobody links
		 * one being destroyed, so the check needs no lock; an
		 * unlinked one may be destroyed under ioas->mutex.
		 */
		if (!list_empty(&hwpt->hwpt_item)) {
			mutex_lock(&ioas->mutex);
			list_del_init(&hwpt->hwpt_item);
			mutex_unlock(&ioas->mutex);
		}
		iopt_table_remove_domain(&ioas->iopt, obj->id);
		iommufd_put_object(&ioas->obj);
	}
	if (hwpt->domain)
		iommu_domain_free(hwpt->domain);
	mutex_destroy(&hwpt->msi_lock);
}

/*
 * A group lets go of @hwpt.  An automatic HWPT goes with its last group;
 * the caller must not hold its IOAS's mutex.
 */
void iommufd_hwpt_paging_put(struct iommufd_hwpt_paging *hwpt)
{
	if (hwpt->auto_domain)
		iommufd_object_put_and_try_destroy(hwpt->ictx, &hwpt->obj);
	else
		iommufd_put_object(&hwpt->obj);
}

/* A group lets go of @hwpt, paging or nested. */
void iommufd_hwpt_put(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING)
		iommufd_hwpt_paging_put(hwpt->paging);
	else
		iommufd_put_object(&hwpt->obj);
}

/* No group is attached any more: each holds a reference. */
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	if (hwpt->common.domain)
		iommu_domain_free(hwpt->common.domain);
	if (hwpt->common.fault)
		iommufd_put_object(&hwpt->common.fault->obj);
	if (hwpt->common.paging)
		iommufd_put_object(&hwpt->common.paging->obj);
}

/*
 * A nested HWPT on @parent for @idev, from the driver data @user_data.
 * -EINVAL when @parent was not allocated as a nesting parent (or by another
 * driver); the driver's errors otherwise (EOPNOTSUPP for a data type it
 * does not know, EINVAL or EFAULT for bad data).
 */
static struct iommufd_hwpt_nested *
hwpt_nested_alloc(struct iommufd_ctx *ictx, struct iommufd_hwpt_paging *parent,
		  struct iommufd_device *idev, u32 flags,
		  const struct iommu_user_data *user_data)
{
	const struct iommu_ops *ops = hwpt_dev_iommu_ops(idev->dev);
	struct iommufd_hwpt_nested *hwpt;
	int rc;

	if ((flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !user_data->len ||
	    !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->domain->owner != ops)
		return ERR_PTR(-EINVAL);

	hwpt = iommufd_object_alloc_member(ictx, hwpt, IOMMUFD_OBJ_HWPT_NESTED,
					   common.obj);
	if (IS_ERR(hwpt))
		return ERR_CAST(hwpt);
	refcount_inc(&parent->obj.users);
	hwpt->common.paging = parent;

	hwpt->common.domain = iommufd_should_fail() ? ERR_PTR(-ENOMEM) :
		ops->domain_alloc_user(idev->dev,
				       flags & ~IOMMU_HWPT_FAULT_ID_VALID,
				       parent->domain, user_data);
	if (IS_ERR_OR_NULL(hwpt->common.domain)) {
		rc = hwpt->common.domain ? PTR_ERR(hwpt->common.domain) :
					   -ENOMEM;
		hwpt->common.domain = NULL;
		goto err_abort;
	}
	hwpt->common.domain->owner = ops;
	if (WARN_ON_ONCE(hwpt->common.domain->type != IOMMU_DOMAIN_NESTED ||
			 !hwpt->common.domain->ops->cache_invalidate_user)) {
		rc = -EINVAL;
		goto err_abort;
	}
	return hwpt;

err_abort:
	iommufd_object_abort_and_destroy(ictx, &hwpt->common.obj);
	return ERR_PTR(rc);
}

/*
 * IOMMU_HWPT_ALLOC: a paging domain for the device @dev_id on the IOAS
 * @pt_id, with dirty tracking if asked (IOMMU_HWPT_ALLOC_NEST_PARENT asks
 * the driver for a domain other domains may nest on); or, with @pt_id a
 * nesting parent, a nested domain from the driver data, whose page faults go
 * to the fault queue @fault_id with IOMMU_HWPT_FAULT_ID_VALID.  Driver data
 * and fault queues for a paging HWPT are refused with EOPNOTSUPP.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	const struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_paging *paging = NULL;
	struct iommufd_object *dev_obj, *pt_obj;
	struct iommufd_hwpt_nested *nested;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_device *idev;
	int rc;

	if (cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;

	dev_obj = iommufd_get_object(ucmd->ictx, cmd->dev_id,
				     IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(dev_obj))
		return PTR_ERR(dev_obj);
	idev = container_of(dev_obj, struct iommufd_device, obj);
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = -EINVAL;
		goto out_put_dev;
	}
	switch (pt_obj->type) {
	case IOMMUFD_OBJ_IOAS:
		/* No driver here takes data for a paging domain. */
		if (cmd->data_type != IOMMU_HWPT_DATA_NONE) {
			rc = -EOPNOTSUPP;
			goto out_put_pt;
		}
		paging = iommufd_hwpt_paging_alloc(ucmd->ictx,
						   container_of(pt_obj,
								struct iommufd_ioas,
								obj),
						   idev, cmd->flags, false);
		if (IS_ERR(paging)) {
			rc = PTR_ERR(paging);
			goto out_put_pt;
		}
		hwpt = &paging->common;
		break;
	case IOMMUFD_OBJ_HWPT_PAGING:
		nested = hwpt_nested_alloc(ucmd->ictx,
					   container_of(pt_obj,
							struct iommufd_hwpt_paging,
							obj),
					   idev, cmd->flags, &user_data);
		if (IS_ERR(nested)) {
			rc = PTR_ERR(nested);
			goto out_put_pt;
		}
		hwpt = &nested->common;
		break;
	default:
		rc = -EINVAL;
		goto out_put_pt;
	}
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct iommufd_fault *fault;

		fault = iommufd_get_fault(ucmd->ictx, cmd->fault_id);
		if (IS_ERR(fault)) {
			rc = PTR_ERR(fault);
			iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
			goto out_put_pt;
		}
		iommufd_fault_set(hwpt, fault);
		iommufd_put_object(&fault->obj);
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
		goto out_put_pt;
	}
	if (paging)
		iommufd_hwpt_paging_link(paging);
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);

out_put_pt:
	iommufd_put_object(pt_obj);
out_put_dev:
	iommufd_put_object(dev_obj);
	return rc;
}

/* The paging HWPT @id, with a reference; put it after. */
struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_hwpt_paging, obj);
}

/*
 * IOMMU_HWPT_SET_DIRTY_TRACKING: turn a HWPT's dirty tracking on (from a
 * clean slate: every dirty bit is cleared first) or off.  EOPNOTSUPP for
 * unknown flags and a HWPT allocated without IOMMU_HWPT_ALLOC_DIRTY_TRACKING.
 * As upstream's, __reserved is not checked: 6.12 callers may leave it.
 */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = iopt_set_dirty_tracking(&hwpt->ioas->iopt, hwpt->obj.id,
				     hwpt->domain,
				     cmd->flags &
				     IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: report (and clear, unless
 * IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) the pages of an IOVA range that DMA
 * wrote since the last report (dirty.c).
 */
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = iommufd_get_hwpt_paging(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = iopt_read_and_clear_dirty(&hwpt->ioas->iopt, hwpt->obj.id,
				       hwpt->domain, cmd);
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/* Most entries one IOMMU_HWPT_INVALIDATE may carry (as 6.12.117 bounds it). */
#define HWPT_INVALIDATE_ENTRIES_MAX BIT(19)

/*
 * IOMMU_HWPT_INVALIDATE: flush the caches of a nested HWPT, whose
 * translation user space owns, as the entries in the driver's format ask.
 * A paging HWPT's are the kernel's to flush (ENOENT, as for any other ID).
 * entry_num comes back as the entries the driver handled, also on error.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommu_domain *domain;
	struct iommufd_object *obj;
	u32 done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len ||
	     cmd->entry_len > PAGE_SIZE ||
	     cmd->entry_num > HWPT_INVALIDATE_ENTRIES_MAX)) {
		rc = -EINVAL;
		goto out;
	}
	obj = iommufd_get_object(ucmd->ictx, cmd->hwpt_id,
				 IOMMUFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out;
	}
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	rc = domain->ops->cache_invalidate_user(domain, &array);
	done = array.entry_num;
	iommufd_put_object(obj);
out:
	cmd->entry_num = done;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
