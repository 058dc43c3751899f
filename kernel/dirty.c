// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: dirty tracking of paging HWPTs (IOMMU_HWPT_SET_DIRTY_TRACKING
 * and IOMMU_HWPT_GET_DIRTY_BITMAP).
 *
 * An IOMMU driver reports dirty IOPTEs with iommu_dirty_bitmap_record(),
 * which hands them to iova_bitmap_set().  That function belongs to the
 * kernel's iommufd driver support (CONFIG_IOMMUFD_DRIVER), which Debian's
 * 6.12 does not build: there it is an empty inline stub, so a hardware
 * driver's dirty bits reach no bitmap at all.  This module therefore drives
 * only dirty ops that report through its own recorder,
 * iommufd_dirty_record(): the mock IOMMU's.  For any other IOMMU,
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING is EOPNOTSUPP and IOMMU_GET_HW_INFO does
 * not claim IOMMU_HW_CAP_DIRTY_TRACKING (iommufd_dirty_capable()).
 *
 * The caller's bitmap is u64 words, bit i standing for the page_size bytes
 * at iova + i * page_size; it may sit at any byte address.  It is filled a
 * window at a time: the user pages under the window's words are pinned
 * first (so a bad bitmap fails before any dirty bit of that window is
 * cleared), the dirty bits are read into a kernel copy under the IOAS's
 * iova_rwsem, and the set bits are then ORed into the pinned pages with no
 * lock held.  The driver reports an IOPTE whole: one that crosses into the
 * next window is carried there, and the next window's read starts after
 * it, so no IOPTE is read (and cleared) twice.  Bits already
 * set in the caller's bitmap stay set, so several HWPTs can report into one
 * bitmap.
 *
 * Locking: iova_rwsem (read) around each window's reads; the driver takes
 * its own lock inside.  The recorder runs under that driver lock and only
 * writes the kernel copy.
 */
#include <linux/iommu.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/* The window's kernel copy: one page of the caller's bitmap. */
#define DIRTY_WINDOW_BITS (PAGE_SIZE * BITS_PER_BYTE)

/* The caller's u64 words have the layout of a kernel bitmap's longs. */
static_assert(sizeof(unsigned long) == sizeof(u64));
static_assert((unsigned long)IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ==
	      IOMMU_DIRTY_NO_CLEAR);

/**
 * struct iova_bitmap - one IOMMU_HWPT_GET_DIRTY_BITMAP call's bitmap
 * @iova: the IOVA bit 0 stands for
 * @last: the last IOVA of the call's range
 * @pgshift: log2 of the bytes one bit stands for
 * @data: the caller's bitmap
 * @win_bit: the first bit of the current window (a multiple of 64)
 * @win_nbits: the bits of the current window
 * @bits: the current window's bits, bit 0 being @win_bit
 * @ahead: an IOPTE reported in this window reaches past its end: its part
 *         [@ahead_start, @ahead_last] is set in the windows that follow,
 *         which read only after @ahead_last
 * @ahead_start: see @ahead
 * @ahead_last: see @ahead
 *
 * The kernel declares this type and leaves it opaque (its implementation
 * is CONFIG_IOMMUFD_DRIVER's, absent here); this is this module's, and
 * only the mock IOMMU's dirty ops, which record with iommufd_dirty_record(),
 * ever see one.
 */
struct iova_bitmap {
	unsigned long iova;
	unsigned long last;
	unsigned int pgshift;
	u8 __user *data;
	unsigned long win_bit;
	unsigned long win_nbits;
	unsigned long *bits;
	bool ahead;
	unsigned long ahead_start;
	unsigned long ahead_last;
};

/* Set the bits for IOVA [start, last] that fall in the current window. */
static void dirty_bitmap_set(struct iova_bitmap *bm, unsigned long start,
			     unsigned long last)
{
	unsigned long first_bit, last_bit;
	unsigned long win_last = bm->win_bit + bm->win_nbits - 1;

	start = max(start, bm->iova);
	last = min(last, bm->last);
	if (start > last)
		return;
	first_bit = max((start - bm->iova) >> bm->pgshift, bm->win_bit);
	last_bit = (last - bm->iova) >> bm->pgshift;
	if (last_bit > win_last) {
		unsigned long next = bm->iova + ((win_last + 1) << bm->pgshift);

		if (!bm->ahead) {
			bm->ahead = true;
			bm->ahead_start = max(start, next);
			bm->ahead_last = last;
		} else {
			bm->ahead_start = min(bm->ahead_start,
					      max(start, next));
			bm->ahead_last = max(bm->ahead_last, last);
		}
		last_bit = win_last;
	}
	if (first_bit > last_bit)
		return;
	bitmap_set(bm->bits, first_bit - bm->win_bit,
		   last_bit - first_bit + 1);
}

/**
 * iommufd_dirty_record() - a driver reports [@iova, @iova + @length) dirty
 * @dirty: what the driver was given: this module's bitmap (or none, when
 *         the call only clears) and the IOTLB gather to flush
 * @iova: first IOVA of the dirty IOPTE(s)
 * @length: their bytes
 *
 * What iommu_dirty_bitmap_record() does on a kernel with
 * CONFIG_IOMMUFD_DRIVER, for this module's bitmap.
 */
void iommufd_dirty_record(struct iommu_dirty_bitmap *dirty,
			  unsigned long iova, unsigned long length)
{
	if (dirty->bitmap)
		dirty_bitmap_set(dirty->bitmap, iova, iova + length - 1);
	if (dirty->gather)
		iommu_iotlb_gather_add_range(dirty->gather, iova, length);
}

/* Can this module read dirty bits that @dev's IOMMU records? */
bool iommufd_dirty_capable(struct device *dev)
{
	return iommufd_mock_dev(dev) &&
	       device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING);
}

/*
 * Clear the dirty bits of everything @iopt maps in @domain, so tracking
 * starts from a clean snapshot.  iova_rwsem is held.
 */
static int iopt_clear_dirty(struct io_pagetable *iopt, u32 id,
			    struct iommu_domain *domain)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iopt_area *area;
	unsigned long npages = 0;
	int rc = 0;

	lockdep_assert_held(&iopt->iova_rwsem);
	iommu_iotlb_gather_init(&gather);
	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
		rc = ops->read_and_clear_dirty(domain, iopt_area_iova(area),
					       iopt_area_length(area), 0,
					       &dirty);
		if (rc)
			break;
		npages += DIV_ROUND_UP(iopt_area_length(area), PAGE_SIZE);
	}
	if (gather.start <= gather.end)
		iopt_iotlb_sync(iopt, id, domain, &gather, npages);
	return rc;
}

/**
 * iopt_set_dirty_tracking() - turn @domain's dirty tracking on or off
 * @iopt: the table @domain maps
 * @id: @domain's HWPT
 * @domain: a domain of @iopt
 * @enable: on (after clearing every dirty bit) or off
 *
 * Returns -EOPNOTSUPP for a domain without dirty tracking.
 */
int iopt_set_dirty_tracking(struct io_pagetable *iopt, u32 id,
			    struct iommu_domain *domain, bool enable)
{
	const struct iommu_dirty_ops *ops = domain->dirty_ops;
	int rc = 0;

	if (!ops)
		return -EOPNOTSUPP;
	down_read(&iopt->iova_rwsem);
	if (enable)
		rc = iopt_clear_dirty(iopt, id, domain);
	if (!rc)
		rc = ops->set_dirty_tracking(domain, enable);
	up_read(&iopt->iova_rwsem);
	return rc;
}

/* The argument checks of IOMMU_HWPT_GET_DIRTY_BITMAP, as upstream's. */
static int dirty_check_range(struct io_pagetable *iopt,
			     const struct iommu_hwpt_get_dirty_bitmap *cmd,
			     unsigned long *last)
{
	unsigned long align = READ_ONCE(iopt->iova_alignment);
	u64 last64;

	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last64))
		return -EOVERFLOW;
	if (!cmd->page_size)
		return -EINVAL;
	/* Each bit stands for page_size bytes: a power of two. */
	if (!is_power_of_2(cmd->page_size))
		return -EINVAL;
	if (cmd->iova % align || (cmd->length % align))
		return -EINVAL;
	if (cmd->iova % cmd->page_size || cmd->length % cmd->page_size)
		return -EINVAL;
	*last = last64;
	return 0;
}

/*
 * Read (and clear) the dirty bits of IOVA [@start, @last] into the current
 * window.  Every part of it must be mapped, which is checked first: a
 * window with a gap clears nothing.  iova_rwsem is held.
 */
static int dirty_read_window(struct io_pagetable *iopt,
			     struct iommu_domain *domain, unsigned long flags,
			     unsigned long start, unsigned long last,
			     struct iommu_dirty_bitmap *dirty)
{
	struct iopt_walk walk;
	struct iopt_area *area;
	int rc;

	area = iopt_walk_first(&walk, iopt, start, last);
	while (area)
		area = iopt_walk_next(&walk);
	if (!walk.complete)
		return -EINVAL;
	for (area = iopt_walk_first(&walk, iopt, start, last); area;
	     area = iopt_walk_next(&walk)) {
		rc = domain->dirty_ops->read_and_clear_dirty(domain, walk.cur,
							     walk.end -
							     walk.cur + 1,
							     flags, dirty);
		if (rc)
			return rc;
	}
	return 0;
}

/* OR the window's set bits into the caller's bitmap, through @pages. */
static void dirty_write_window(struct iova_bitmap *bm, struct page **pages,
			       unsigned long first_byte)
{
	unsigned long w, nwords = DIV_ROUND_UP(bm->win_nbits, BITS_PER_LONG);
	unsigned long base = (unsigned long)bm->data + first_byte;
	unsigned long page0 = base & PAGE_MASK;

	for (w = 0; w < nwords; w++) {
		const u8 *src = (const u8 *)&bm->bits[w];
		unsigned int k;

		if (!bm->bits[w])
			continue;
		for (k = 0; k < sizeof(unsigned long); k++) {
			unsigned long addr = base + w * sizeof(unsigned long) + k;
			u8 *dst;

			if (!src[k])
				continue;
			dst = kmap_local_page(pages[(addr - page0) >> PAGE_SHIFT]);
			dst[addr & ~PAGE_MASK] |= src[k];
			kunmap_local(dst);
		}
	}
}

/**
 * iopt_read_and_clear_dirty() - IOMMU_HWPT_GET_DIRTY_BITMAP on @domain
 * @iopt: the table @domain maps
 * @id: @domain's HWPT
 * @domain: a domain of @iopt
 * @cmd: the caller's request
 *
 * Sets in the caller's bitmap the bit of every page of the range that a
 * dirty IOPTE maps, clearing the IOPTEs' dirty bits (and syncing the IOTLB)
 * unless IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR.  The whole range must be
 * mapped: -EINVAL at the first window with a gap, which clears nothing
 * (the windows before it are reported).
 * -EFAULT when the bitmap cannot be written; no dirty bit of that window
 * is cleared (an IOPTE read in the window before and reaching into it was,
 * and its bits there are lost with the call).
 */
int iopt_read_and_clear_dirty(struct io_pagetable *iopt, u32 id,
			      struct iommu_domain *domain,
			      const struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	unsigned long flags = cmd->flags & IOMMU_DIRTY_NO_CLEAR;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iova_bitmap bm = {};
	struct page *pages[2];
	unsigned long nbits;
	int rc;

	rc = dirty_check_range(iopt, cmd, &bm.last);
	if (rc)
		return rc;
	if (!domain->dirty_ops)
		return -EOPNOTSUPP;
	bm.iova = cmd->iova;
	bm.pgshift = ilog2(cmd->page_size);
	bm.data = u64_to_user_ptr(cmd->data);
	nbits = ((bm.last - bm.iova) >> bm.pgshift) + 1;
	bm.bits = iommufd_should_fail() ? NULL :
		  kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!bm.bits)
		return -ENOMEM;
	iommu_iotlb_gather_init(&gather);
	iommu_dirty_bitmap_init(&dirty, &bm, flags ? NULL : &gather);

	for (bm.win_bit = 0; bm.win_bit < nbits;
	     bm.win_bit += DIRTY_WINDOW_BITS) {
		unsigned long first_byte = bm.win_bit / BITS_PER_BYTE;
		unsigned long start, end, read_start, read_last;
		bool skip;
		int npages;

		bm.win_nbits = min(nbits - bm.win_bit, DIRTY_WINDOW_BITS);
		/* Whole u64 words of the caller's bitmap. */
		start = (unsigned long)bm.data + first_byte;
		if (check_add_overflow(start, DIV_ROUND_UP(bm.win_nbits,
							   BITS_PER_LONG) *
					      sizeof(u64) - 1, &end)) {
			rc = -EFAULT;
			break;
		}
		npages = (end >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
		rc = iommufd_should_fail() ? -ENOMEM :
		     pin_user_pages_fast(start & PAGE_MASK, npages,
					 FOLL_WRITE, pages);
		if (rc != npages) {
			if (rc > 0)
				unpin_user_pages(pages, rc);
			rc = rc < 0 ? rc : -EFAULT;
			break;
		}

		read_start = bm.iova + (bm.win_bit << bm.pgshift);
		read_last = min(bm.last, read_start - 1 +
				(bm.win_nbits << bm.pgshift));
		bitmap_zero(bm.bits, DIRTY_WINDOW_BITS);
		skip = false;
		if (bm.ahead) {
			/* Read and cleared already: set, and read after it. */
			bm.ahead = false;
			if (bm.ahead_last >= read_last)
				skip = true;
			else
				read_start = bm.ahead_last + 1;
			dirty_bitmap_set(&bm, bm.ahead_start, bm.ahead_last);
		}
		rc = 0;
		if (!skip) {
			down_read(&iopt->iova_rwsem);
			rc = dirty_read_window(iopt, domain, flags, read_start,
					       read_last, &dirty);
			up_read(&iopt->iova_rwsem);
		}
		/* What was read (and cleared) is reported, even on error. */
		dirty_write_window(&bm, pages, first_byte);
		unpin_user_pages_dirty_lock(pages, npages, true);
		if (rc)
			break;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	if (gather.start <= gather.end)
		iopt_iotlb_sync(iopt, id, domain, &gather,
				(gather.end - gather.start + PAGE_SIZE) >>
				PAGE_SHIFT);
	kfree(bm.bits);
	return rc;
}
