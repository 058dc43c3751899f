// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: HW page tables — IOMMU paging domains that map an IOAS.
 *
 * A paging HWPT owns one IOMMU domain, allocated by the driver of a device
 * (the domain's page sizes, aperture and attach rules are that driver's),
 * and keeps it mapping everything its IOAS maps (io_pagetable.c).  User
 * space makes one with IOMMU_HWPT_ALLOC; attaching a device to an IOAS picks
 * or makes an automatic one (device.c).  Dirty tracking, nesting and fault
 * queues are not implemented: the flags and data types asking for them are
 * refused with EOPNOTSUPP.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/**
 * iommufd_hwpt_paging_alloc() - a new, unpublished paging HWPT on an IOAS
 * @ictx: the context
 * @ioas: the IOAS it will map
 * @idev: the device whose IOMMU driver makes the domain
 * @auto_domain: made for an attach to the IOAS, rather than by the user
 *
 * The domain is allocated and filled from the IOAS.  The caller finalizes
 * the object (or aborts and destroys it) and links it into the IOAS's list
 * with iommufd_hwpt_paging_link().
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, bool auto_domain)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_object_alloc(ictx, sizeof(*hwpt), IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct iommufd_hwpt_paging, obj);
	hwpt->ictx = ictx;
	hwpt->auto_domain = auto_domain;
	INIT_LIST_HEAD(&hwpt->hwpt_item);
	mutex_init(&hwpt->msi_lock);

	hwpt->domain = iommufd_should_fail() ? ERR_PTR(-ENOMEM) :
		       iommu_paging_domain_alloc(idev->dev);
	if (IS_ERR(hwpt->domain)) {
		rc = PTR_ERR(hwpt->domain);
		hwpt->domain = NULL;
		goto err_abort;
	}
	/* Asked before anything is mapped, as drivers may require. */
	if (device_iommu_capable(idev->dev,
				 IOMMU_CAP_ENFORCE_CACHE_COHERENCY) &&
	    hwpt->domain->ops->enforce_cache_coherency)
		hwpt->enforce_cache_coherency =
			hwpt->domain->ops->enforce_cache_coherency(hwpt->domain);
	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain, obj->id);
	if (rc)
		goto err_abort;
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	return hwpt;

err_abort:
	iommufd_object_abort_and_destroy(ictx, obj);
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

/*
 * IOMMU_HWPT_ALLOC: a paging domain for the device @dev_id on the IOAS
 * @pt_id.  Nesting (@pt_id a HWPT), driver data, dirty tracking and fault
 * queues are refused with EOPNOTSUPP.  IOMMU_HWPT_ALLOC_NEST_PARENT is
 * accepted: it only permits nesting on the HWPT later, and as nothing can
 * nest, such a HWPT is an ordinary paging one.
 */
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *dev_obj, *pt_obj;
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
	if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		/* A nested HWPT on a parent: not implemented. */
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}
	if (pt_obj->type != IOMMUFD_OBJ_IOAS) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	if ((cmd->flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT) ||
	    cmd->data_type != IOMMU_HWPT_DATA_NONE) {
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}

	hwpt = iommufd_hwpt_paging_alloc(ucmd->ictx,
					 container_of(pt_obj,
						      struct iommufd_ioas, obj),
					 idev, false);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_put_pt;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &hwpt->obj);
		goto out_put_pt;
	}
	iommufd_hwpt_paging_link(hwpt);
	iommufd_object_finalize(ucmd->ictx, &hwpt->obj);

out_put_pt:
	iommufd_put_object(pt_obj);
out_put_dev:
	iommufd_put_object(dev_obj);
	return rc;
}

/* Most entries one IOMMU_HWPT_INVALIDATE may carry (as 6.12.117 bounds it). */
#define HWPT_INVALIDATE_ENTRIES_MAX BIT(19)

/*
 * IOMMU_HWPT_INVALIDATE: invalidate the caches of a nested HWPT, whose
 * translation user space owns.  Paging HWPTs are invalidated by the kernel
 * as it unmaps, and nested ones cannot be made yet, so after the argument
 * checks every HWPT ID is ENOENT, as for a HWPT of the wrong type.
 * entry_num comes back as the entries done: none.
 */
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	int rc = -ENOENT;

	if (cmd->__reserved)
		rc = -EOPNOTSUPP;
	else if (cmd->entry_num &&
		 (!cmd->data_uptr || !cmd->entry_len ||
		  cmd->entry_len > PAGE_SIZE ||
		  cmd->entry_num > HWPT_INVALIDATE_ENTRIES_MAX))
		rc = -EINVAL;
	cmd->entry_num = 0;
	if (iommufd_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
