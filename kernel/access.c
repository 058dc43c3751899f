// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: accesses — the kernel reading and writing IOVA for a device
 * that does not DMA through an IOMMU (an emulated or mediated device, a
 * user-space accelerator queue), and the VFIO backend's pin_pages/dma_rw.
 *
 * An access is created by its driver, attached to one IOAS, and then pins
 * IOVA ranges (iommufd_access_pin_pages()) or copies through them
 * (iommufd_access_rw()).  Unmapping IOVA that an access has pinned calls the
 * driver's unmap callback, which must unpin before returning; the unmap
 * waits for that.  The driver holds the access object until
 * iommufd_access_destroy(); it also holds the context open.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "io_pagetable.h"
#include "policy.h"

/**
 * iommufd_access_create() - create an access in @ictx
 * @ictx: the context
 * @ops: the driver's callbacks; ops->unmap is required to pin pages
 * @data: passed to the callbacks
 * @id: receives the object ID
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, access, IOMMUFD_OBJ_ACCESS);
	if (IS_ERR(access))
		return ERR_CAST(access);
	access->ops = ops;
	access->data = data;
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->ioas_lock);
	/* The driver's reference, until iommufd_access_destroy(). */
	refcount_inc(&access->obj.users);
	access->ictx = ictx;
	get_file(ictx->file);
	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}

/* The object's destroy: what the driver left attached is let go here. */
void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	if (access->ioas_unpin)
		iommufd_access_detach(access);
	mutex_destroy(&access->ioas_lock);
	fput(access->ictx->file);
}

void iommufd_access_destroy(struct iommufd_access *access)
{
	iommufd_object_destroy_user(access->ictx, &access->obj);
}

/*
 * Move the access from the IOAS it is on to @new_ioas (NULL: detach), with
 * ioas_lock held.  On success the caller's reference on @new_ioas becomes
 * the attachment's; on failure the caller still holds it.
 *
 * What the driver pinned through the old IOAS must be unpinned there: its
 * unmap callback does that, and takes ioas_lock, so the lock is dropped
 * around the call.  Meanwhile @ioas is NULL, so new pins fail with -ENOENT,
 * and @ioas_unpin still names the old IOAS, where the callback's unpins go.
 * Another change arriving in that window finds @ioas and @ioas_unpin
 * different and gets -EBUSY.
 */
static int access_change_ioas(struct iommufd_access *access,
			      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *old_ioas = access->ioas_unpin;
	u32 old_list_id = access->iopt_access_list_id;
	u32 new_list_id = 0;
	int rc;

	lockdep_assert_held(&access->ioas_lock);
	if (access->ioas != old_ioas)
		return -EBUSY;
	if (new_ioas && new_ioas == old_ioas) {
		iommufd_put_object(&new_ioas->obj);
		return 0;
	}
	if (new_ioas) {
		rc = iopt_add_access(&new_ioas->iopt, access, &new_list_id);
		if (rc)
			return rc;
	}
	if (old_ioas) {
		access->ioas = NULL;
		if (access->ops->unmap) {
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, ULONG_MAX);
			mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&old_ioas->iopt, old_list_id);
		iommufd_put_object(&old_ioas->obj);
	}
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	access->iopt_access_list_id = new_list_id;
	return 0;
}

/* Look up @ioas_id and move the access there; ENOENT for a bad ID. */
static int access_change_ioas_id(struct iommufd_access *access, u32 ioas_id)
{
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(access->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = access_change_ioas(access, ioas);
	if (rc)
		iommufd_put_object(&ioas->obj);
	return rc;
}

/* Attach to the IOAS @ioas_id; -EINVAL if attached or being moved. */
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (access->ioas || access->ioas_unpin)
		rc = -EINVAL;
	else
		rc = access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

/*
 * Move to another IOAS (as upstream: the same one is a no-op).  The old IOAS
 * is let go only once the new one is attached; the driver is told to unpin
 * everything it holds through the old one first (its unmap callback over
 * the whole IOVA space).  -EBUSY while another move is under way.
 */
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas_unpin)
		rc = -ENOENT;
	else
		rc = access_change_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}

/*
 * Let the IOAS go.  A move under way (another thread in the driver's unmap
 * callback) is the driver's bug: the access stays where that move leaves it.
 */
void iommufd_access_detach(struct iommufd_access *access)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas_unpin))
		WARN_ON(access_change_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);
}

/*
 * Called by unmap with no lock held: every access attached to @iopt hears of
 * [iova, iova + length - 1] and must unpin what it holds there.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, unsigned long iova,
				 unsigned long length)
{
	struct iommufd_access *access;
	unsigned long index;

	xa_lock(&iopt->access_list);
	xa_for_each(&iopt->access_list, index, access) {
		if (!refcount_inc_not_zero(&access->obj.users))
			continue;
		xa_unlock(&iopt->access_list);
		access->ops->unmap(access->data, iova, length);
		iommufd_put_object(&access->obj);
		xa_lock(&iopt->access_list);
	}
	xa_unlock(&iopt->access_list);
}

/*
 * Undo the access pins of [iova, last], area by area.  iova_rwsem is held for
 * reading; unpinning is allowed while an unmap waits for it.
 */
static void access_unpin_range(struct io_pagetable *iopt, unsigned long iova,
			       unsigned long last)
{
	struct iopt_walk walk;
	struct iopt_area *area;

	for (area = iopt_walk_first(&walk, iopt, iova, last); area;
	     area = iopt_walk_next(&walk)) {
		iopt_pages_remove_access(area->pages,
					 iopt_area_iova_to_index(area, walk.cur),
					 iopt_area_iova_to_index(area, walk.end),
					 iopt);
		WARN_ON(atomic_dec_if_positive(&area->num_accesses) < 0);
	}
	WARN_ON(!walk.complete);
	/* An unmap may be waiting for exactly this (iopt_unmap_range()). */
	atomic_inc(&iopt->access_unpins);
	wake_up_all(&iopt->access_wait);
}

/*
 * Check an IOVA range and lock an IOAS's table for reading (with ioas_lock
 * held): the attached IOAS to pin or copy, or, with @unpin, the one pins were
 * made through (the old one while the access moves).  *iopt and *last are
 * set on success.  access_unlock() undoes it.
 */
static int access_lock_range(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, bool unpin,
			     struct io_pagetable **iopt, unsigned long *last)
{
	struct iommufd_ioas *ioas;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	mutex_lock(&access->ioas_lock);
	ioas = unpin ? access->ioas_unpin : access->ioas;
	if (!ioas) {
		mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	*iopt = &ioas->iopt;
	down_read(&(*iopt)->iova_rwsem);
	return 0;
}

static void access_unlock(struct iommufd_access *access,
			  struct io_pagetable *iopt)
{
	up_read(&iopt->iova_rwsem);
	mutex_unlock(&access->ioas_lock);
}

/**
 * iommufd_access_pin_pages() - pin the pages behind an IOVA range
 * @access: an access created with ops->needs_pin_pages
 * @iova: first IOVA
 * @length: bytes
 * @out_pages: receives one struct page per page the range touches
 * @flags: IOMMUFD_ACCESS_RW_WRITE if the driver will write
 *
 * The pages stay pinned until iommufd_access_unpin_pages() of the same
 * range, which the driver must call when its unmap callback asks.
 */
int iommufd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, struct page **out_pages,
			     unsigned int flags)
{
	unsigned long last, first_index, last_index;
	unsigned long pinned_last = iova - 1;
	struct io_pagetable *iopt;
	struct iopt_walk walk;
	struct iopt_area *area;
	int rc = 0;

	if (WARN_ON(!access->ops->unmap))
		return -EINVAL;
	rc = access_lock_range(access, iova, length, false, &iopt, &last);
	if (rc)
		return rc;
	for (area = iopt_walk_first(&walk, iopt, iova, last); area;
	     area = iopt_walk_next(&walk)) {
		/* An unmap is waiting for the pins here to go away. */
		if (area->prevent_access) {
			rc = -EINVAL;
			break;
		}
		/* No user address to pin from (VFIO_DMA_UNMAP_FLAG_VADDR). */
		if (area->vaddr_invalid) {
			rc = -EBUSY;
			break;
		}
		if ((flags & IOMMUFD_ACCESS_RW_WRITE) &&
		    !(area->iommu_prot & IOMMU_WRITE)) {
			rc = -EPERM;
			break;
		}
		/* The pinned pages become reachable by the access's device. */
		rc = iommufd_policy_map(&(struct iommufd_policy_map_req){
			.op = IOMMUFD_POLICY_MAP_ACCESS,
			.ioas_id = access->ioas->obj.id,
			.iova = walk.cur,
			.length = walk.end - walk.cur + 1,
			.uptr = area->pages->uptr +
				iopt_area_start_byte(area, walk.cur),
			.prot = flags & IOMMUFD_ACCESS_RW_WRITE ?
				IOMMU_READ | IOMMU_WRITE : IOMMU_READ,
			.account_mode = IOPT_PAGES_ACCOUNT_NONE,
			.owner = area->pages->source_task,
		});
		if (rc)
			break;
		first_index = iopt_area_iova_to_index(area, walk.cur);
		last_index = iopt_area_iova_to_index(area, walk.end);
		rc = iopt_pages_add_access(area->pages, first_index,
					   last_index, out_pages, flags,
					   &access->ioas->iopt);
		if (rc)
			break;
		atomic_inc(&area->num_accesses);
		out_pages += last_index - first_index + 1;
		pinned_last = walk.end;
	}
	if (!rc && !walk.complete)
		rc = -ENOENT;
	if (rc && pinned_last != iova - 1)
		access_unpin_range(iopt, iova, pinned_last);
	access_unlock(access, iopt);
	return rc;
}

/**
 * iommufd_access_unpin_pages() - undo iommufd_access_pin_pages()
 * @access: the access
 * @iova: the same IOVA as pinned
 * @length: the same length as pinned
 */
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length)
{
	struct io_pagetable *iopt;
	unsigned long last;

	if (WARN_ON(access_lock_range(access, iova, length, true, &iopt,
				      &last)))
		return;
	access_unpin_range(iopt, iova, last);
	access_unlock(access, iopt);
}

/**
 * iommufd_access_rw() - copy between a kernel buffer and IOVA
 * @access: the access
 * @iova: first IOVA, any alignment
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_WRITE to write IOVA; IOMMUFD_ACCESS_RW_SLOW_PATH
 */
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t length, unsigned int flags)
{
	struct io_pagetable *iopt;
	struct iopt_walk walk;
	struct iopt_area *area;
	unsigned long last, len;
	int rc = 0;

	rc = access_lock_range(access, iova, length, false, &iopt, &last);
	if (rc)
		return rc;
	for (area = iopt_walk_first(&walk, iopt, iova, last); area;
	     area = iopt_walk_next(&walk)) {
		if ((flags & IOMMUFD_ACCESS_RW_WRITE) &&
		    !(area->iommu_prot & IOMMU_WRITE)) {
			rc = -EPERM;
			break;
		}
		if (area->vaddr_invalid) {
			rc = -EBUSY;
			break;
		}
		len = walk.end - walk.cur + 1;
		rc = iopt_pages_rw(area->pages,
				   iopt_area_start_byte(area, walk.cur), data,
				   len, flags);
		if (rc)
			break;
		data += len;
	}
	if (!rc && !walk.complete)
		rc = -ENOENT;
	access_unlock(access, iopt);
	return rc;
}
