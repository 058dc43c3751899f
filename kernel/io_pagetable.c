// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the IOVA layout of an IOAS — areas, allowed and reserved
 * ranges, IOVA allocation, map, copy and unmap.
 *
 * Locking: iopt->iova_rwsem, then pages->mutex (see io_pagetable.h).  Unmap
 * drops the rwsem to let accesses unpin, then starts over.
 */
#include <linux/align.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "io_pagetable.h"

/*
 * Find the first point at or after *start, up to @last, that no node of
 * @root covers.  On success *start is that point and *hole_last the end of
 * the uncovered stretch (at most @last).  Nodes may overlap each other.
 */
bool iopt_itree_find_hole(struct rb_root_cached *root, unsigned long *start,
			  unsigned long last, unsigned long *hole_last)
{
	struct interval_tree_node *node;
	unsigned long cur = *start;

	for (node = interval_tree_iter_first(root, cur, last); node;
	     node = interval_tree_iter_next(node, *start, last)) {
		if (node->start > cur)
			break;
		if (node->last >= last)
			return false;
		cur = max(cur, node->last + 1);
	}
	*start = cur;
	*hole_last = node ? node->start - 1 : last;
	return true;
}

/* The same, for the points neither @a nor @b covers. */
bool iopt_itree2_find_hole(struct rb_root_cached *a, struct rb_root_cached *b,
			   unsigned long *start, unsigned long last,
			   unsigned long *hole_last)
{
	unsigned long cur = *start, a_last, b_start, b_last;

	while (iopt_itree_find_hole(a, &cur, last, &a_last)) {
		b_start = cur;
		if (iopt_itree_find_hole(b, &b_start, a_last, &b_last)) {
			/* [b_start, a_last] is free in @a too. */
			*start = b_start;
			*hole_last = min(a_last, b_last);
			return true;
		}
		if (a_last == last)
			break;
		cur = a_last + 1;
	}
	return false;
}

struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
				       unsigned long start, unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->area_itree, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

struct iopt_area *iopt_area_iter_next(struct iopt_area *area,
				      unsigned long start, unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&area->node, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static struct iopt_area *iopt_walk_check(struct iopt_walk *walk)
{
	struct iopt_area *area = walk->area;

	if (!area || iopt_area_iova(area) > walk->cur || !area->pages) {
		walk->area = NULL;
		return NULL;
	}
	walk->end = min(walk->last, iopt_area_last_iova(area));
	walk->complete = walk->end == walk->last;
	return area;
}

struct iopt_area *iopt_walk_first(struct iopt_walk *walk,
				  struct io_pagetable *iopt,
				  unsigned long start, unsigned long last)
{
	lockdep_assert_held(&iopt->iova_rwsem);
	walk->cur = start;
	walk->last = last;
	walk->complete = false;
	walk->area = iopt_area_iter_first(iopt, start, start);
	return iopt_walk_check(walk);
}

struct iopt_area *iopt_walk_next(struct iopt_walk *walk)
{
	if (walk->complete)
		return NULL;
	walk->cur = walk->end + 1;
	walk->area = iopt_area_iter_next(walk->area, walk->cur, walk->last);
	return iopt_walk_check(walk);
}

void iopt_init_table(struct io_pagetable *iopt)
{
	init_rwsem(&iopt->iova_rwsem);
	iopt->area_itree = RB_ROOT_CACHED;
	iopt->allowed_itree = RB_ROOT_CACHED;
	iopt->reserved_itree = RB_ROOT_CACHED;
	iopt->iova_alignment = 1;
	xa_init_flags(&iopt->access_list, XA_FLAGS_ALLOC);
}

static void iopt_free_itree(struct rb_root_cached *root, size_t offset)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(root, 0, ULONG_MAX))) {
		interval_tree_remove(node, root);
		kfree((void *)node - offset);
	}
}

/* The table must be empty of areas and accesses (unmapped by the caller). */
void iopt_destroy_table(struct io_pagetable *iopt)
{
	iopt_free_itree(&iopt->allowed_itree,
			offsetof(struct iopt_allowed, node));
	iopt_free_itree(&iopt->reserved_itree,
			offsetof(struct iopt_reserved, node));
	WARN_ON(!RB_EMPTY_ROOT(&iopt->area_itree.rb_root));
	WARN_ON(!xa_empty(&iopt->access_list));
	xa_destroy(&iopt->access_list);
}

/*
 * Does [*start, last] hold @length bytes at an address with @page_offset as
 * its offset in the page and otherwise a multiple of @align?  If so, move
 * *start there.  A non-zero @page_offset is itself a multiple of @align.
 * *start is at least PAGE_SIZE.
 */
static bool iopt_fit(unsigned long *start, unsigned long last,
		     unsigned long length, unsigned long align,
		     unsigned long page_offset)
{
	unsigned long step = page_offset ? PAGE_SIZE : align;
	unsigned long aligned;

	if (check_add_overflow(*start - page_offset, step - 1, &aligned))
		return false;
	aligned = (aligned & ~(step - 1)) + page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

/*
 * Choose an IOVA for @length bytes of user memory at @uptr: inside the
 * allowed ranges (or anywhere but the first and last page when there are
 * none), clear of areas and reserved ranges, never 0.  The IOVA keeps the
 * user address's offset in its page and is otherwise aligned as well as the
 * length and the address allow, up to a huge page, so large IOPTEs stay
 * possible.  An offset finer than the table's alignment is -EINVAL.
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uptr, unsigned long length)
{
	unsigned long page_offset = uptr % PAGE_SIZE;
	unsigned long align, start, last, hole, hole_last;
	struct interval_tree_node *allowed;

	lockdep_assert_held(&iopt->iova_rwsem);

	/* Keeps roundup_pow_of_two() from overflowing. */
	if (!length || length >= ULONG_MAX / 2)
		return -EOVERFLOW;

	align = roundup_pow_of_two(length);
	if (uptr)
		align = min(align, 1UL << __ffs(uptr));
	align = min_t(unsigned long, align, PMD_SIZE);
	if (align < iopt->iova_alignment)
		return -EINVAL;

	allowed = interval_tree_iter_first(&iopt->allowed_itree, 0, ULONG_MAX);
	do {
		if (allowed) {
			start = max_t(unsigned long, allowed->start, PAGE_SIZE);
			last = min_t(unsigned long, allowed->last,
				     ULONG_MAX - PAGE_SIZE);
		} else {
			start = PAGE_SIZE;
			last = ULONG_MAX - PAGE_SIZE;
		}
		hole = start;
		while (hole <= last &&
		       iopt_itree2_find_hole(&iopt->area_itree,
					     &iopt->reserved_itree, &hole, last,
					     &hole_last)) {
			if (iopt_fit(&hole, hole_last, length, align,
				     page_offset)) {
				*iova = hole;
				return 0;
			}
			if (hole_last == last)
				break;
			hole = hole_last + 1;
		}
		if (allowed)
			allowed = interval_tree_iter_next(allowed, 0, ULONG_MAX);
	} while (allowed);
	return -ENOSPC;
}

/* Can an area of @length bytes go at @iova? */
static int iopt_check_iova(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length)
{
	unsigned long last;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (iopt_area_iter_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/**
 * struct iopt_slice - a piece of a pages object to map at the next IOVA
 * @pages: the memory, one reference held by the slice until an area takes it
 * @start_byte: where in @pages the piece starts
 * @length: bytes
 * @area: the area being made for it
 */
struct iopt_slice {
	struct iopt_pages *pages;
	unsigned long start_byte;
	unsigned long length;
	struct iopt_area *area;
};

/*
 * Make one area per slice, back to back from *iova (chosen here with
 * IOPT_ALLOC_IOVA).  On success the areas own the slices' page references.
 */
static int iopt_map_slices(struct io_pagetable *iopt,
			   struct iopt_slice *slices, unsigned int nslices,
			   unsigned long length, unsigned long *iova,
			   int iommu_prot, unsigned int flags)
{
	unsigned long cur;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < nslices; i++) {
		slices[i].area = kzalloc(sizeof(*slices[i].area),
					 GFP_KERNEL_ACCOUNT);
		if (!slices[i].area) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	down_write(&iopt->iova_rwsem);
	if (!length || (length & (iopt->iova_alignment - 1))) {
		rc = -EINVAL;
		goto out_unlock;
	}
	for (i = 0; i < nslices; i++) {
		if ((iommu_prot & IOMMU_WRITE) && !slices[i].pages->writable) {
			rc = -EPERM;
			goto out_unlock;
		}
		if ((slices[i].start_byte % PAGE_SIZE) &
		    (iopt->iova_alignment - 1)) {
			rc = -EINVAL;
			goto out_unlock;
		}
	}
	if (flags & IOPT_ALLOC_IOVA)
		rc = iopt_alloc_iova(iopt, iova,
				     slices[0].pages->uptr + slices[0].start_byte,
				     length);
	else
		rc = iopt_check_iova(iopt, *iova, length);
	if (rc)
		goto out_unlock;

	cur = *iova;
	for (i = 0; i < nslices; i++) {
		struct iopt_area *area = slices[i].area;
		unsigned long start_byte = slices[i].start_byte;

		area->iopt = iopt;
		area->iommu_prot = iommu_prot;
		area->page_offset = start_byte % PAGE_SIZE;
		area->node.start = cur;
		area->node.last = cur + slices[i].length - 1;
		area->pages_node.start = start_byte / PAGE_SIZE;
		area->pages_node.last =
			(start_byte + slices[i].length - 1) / PAGE_SIZE;
		area->pages = slices[i].pages;
		interval_tree_insert(&area->node, &iopt->area_itree);
		slices[i].pages = NULL;
		slices[i].area = NULL;
		cur += slices[i].length;
	}
out_unlock:
	up_write(&iopt->iova_rwsem);
out_free:
	for (i = 0; i < nslices; i++)
		kfree(slices[i].area);
	return rc;
}

/**
 * iopt_map_user_pages() - map user memory at an IOVA
 * @iopt: the table
 * @iova: the IOVA; chosen and returned here with IOPT_ALLOC_IOVA
 * @uptr: user address of the memory
 * @length: bytes
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE
 * @flags: IOPT_ALLOC_IOVA or 0
 * @ctx_mode: the accounting mode the context asks for
 *
 * Pins nothing: pages are pinned when an access (or a domain) needs them.
 */
int iopt_map_user_pages(struct io_pagetable *iopt, unsigned long *iova,
			unsigned long uptr, unsigned long length,
			int iommu_prot, unsigned int flags,
			enum iopt_account_mode ctx_mode)
{
	struct iopt_slice slice = {};
	int rc;

	slice.pages = iopt_alloc_pages(uptr, length, iommu_prot & IOMMU_WRITE,
				       ctx_mode);
	if (IS_ERR(slice.pages))
		return PTR_ERR(slice.pages);
	slice.start_byte = uptr - slice.pages->uptr;
	slice.length = length;

	rc = iopt_map_slices(iopt, &slice, 1, length, iova, iommu_prot, flags);
	if (slice.pages)
		iopt_put_pages(slice.pages);
	return rc;
}

/*
 * Collect the slices behind [iova, iova + length - 1] of @iopt, which must be
 * covered by areas without a gap, each holding a reference on its pages.
 */
static int iopt_get_slices(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length, struct iopt_slice **out,
			   unsigned int *nslices)
{
	struct iopt_slice *slices;
	struct iopt_walk walk;
	struct iopt_area *area;
	unsigned long last;
	unsigned int n = 0;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	down_read(&iopt->iova_rwsem);
	for (area = iopt_walk_first(&walk, iopt, iova, last); area;
	     area = iopt_walk_next(&walk))
		n++;
	if (!walk.complete) {
		/* A gap, or nothing mapped at all. */
		rc = -ENOENT;
		goto out_unlock;
	}
	slices = kcalloc(n, sizeof(*slices), GFP_KERNEL_ACCOUNT);
	if (!slices) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	n = 0;
	for (area = iopt_walk_first(&walk, iopt, iova, last); area;
	     area = iopt_walk_next(&walk)) {
		slices[n].pages = area->pages;
		kref_get(&area->pages->kref);
		slices[n].start_byte = iopt_area_start_byte(area, walk.cur);
		slices[n].length = walk.end - walk.cur + 1;
		n++;
	}
	*out = slices;
	*nslices = n;
out_unlock:
	up_read(&iopt->iova_rwsem);
	return rc;
}

/**
 * iopt_copy_pages() - map what one table maps into another (or the same)
 * @dst: the table to map into
 * @src: the table whose mapping is copied
 * @src_iova: start of the range in @src, covered by areas without a gap
 * @length: bytes
 * @dst_iova: the IOVA in @dst; chosen and returned with IOPT_ALLOC_IOVA
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE of the new areas
 * @flags: IOPT_ALLOC_IOVA or 0
 *
 * The new areas share the pages objects of the source, so nothing is pinned
 * or charged a second time.
 */
int iopt_copy_pages(struct io_pagetable *dst, struct io_pagetable *src,
		    unsigned long src_iova, unsigned long length,
		    unsigned long *dst_iova, int iommu_prot,
		    unsigned int flags)
{
	struct iopt_slice *slices;
	unsigned int nslices, i;
	int rc;

	rc = iopt_get_slices(src, src_iova, length, &slices, &nslices);
	if (rc)
		return rc;
	rc = iopt_map_slices(dst, slices, nslices, length, dst_iova,
			     iommu_prot, flags);
	for (i = 0; i < nslices; i++)
		if (slices[i].pages)
			iopt_put_pages(slices[i].pages);
	kfree(slices);
	return rc;
}

static int iopt_unmap_range(struct io_pagetable *iopt, unsigned long start,
			    unsigned long last, unsigned long *unmapped)
{
	unsigned long unmapped_bytes = 0;
	unsigned int tries = 0;
	struct iopt_area *area;
	int rc = 0;

again:
	down_write(&iopt->iova_rwsem);
	while ((area = iopt_area_iter_first(iopt, start, last))) {
		unsigned long area_first = iopt_area_iova(area);
		unsigned long area_last = iopt_area_last_iova(area);

		/* Unmap takes whole areas only. */
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (!area->pages) {
			/* Another thread is mapping or unmapping it. */
			rc = -EBUSY;
			break;
		}
		if (atomic_read(&area->num_accesses)) {
			area->prevent_access = true;
			up_write(&iopt->iova_rwsem);
			/* Ask the accesses to let go, then look again. */
			iommufd_access_notify_unmap(iopt, area_first,
						    area_last - area_first + 1);
			/* An access that does not let go is a driver bug. */
			if (WARN_ON(++tries > 100)) {
				rc = -EDEADLOCK;
				goto out;
			}
			goto again;
		}
		tries = 0;
		interval_tree_remove(&area->node, &iopt->area_itree);
		iopt_put_pages(area->pages);
		kfree(area);
		unmapped_bytes += area_last - area_first + 1;
		if (area_last == last)
			break;
		start = area_last + 1;
	}
	up_write(&iopt->iova_rwsem);
out:
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

/**
 * iopt_unmap_iova() - unmap the areas inside [iova, iova + length - 1]
 * @iopt: the table
 * @iova: start of the range
 * @length: bytes
 * @unmapped: receives the bytes unmapped, or NULL
 *
 * Every area the range touches must lie inside it: -ENOENT otherwise (areas
 * before the offending one are already unmapped; *unmapped says how much).
 */
int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, unsigned long *unmapped)
{
	unsigned long last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	return iopt_unmap_range(iopt, 0, ULONG_MAX, unmapped);
}

/*
 * Replace the allowed ranges with @allowed (swapped in; the caller frees what
 * comes back).  -EADDRINUSE if a reserved range falls inside one.
 */
int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct rb_root_cached *allowed)
{
	struct interval_tree_node *node;
	int rc = 0;

	down_write(&iopt->iova_rwsem);
	for (node = interval_tree_iter_first(allowed, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (interval_tree_iter_first(&iopt->reserved_itree,
					     node->start, node->last)) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
	}
	swap(*allowed, iopt->allowed_itree);
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
}

/* Reserve [start, last]: nothing may be mapped or allowed there. */
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, void *owner)
{
	struct iopt_reserved *reserved;
	int rc = 0;

	reserved = kzalloc(sizeof(*reserved), GFP_KERNEL_ACCOUNT);
	if (!reserved)
		return -ENOMEM;
	reserved->node.start = start;
	reserved->node.last = last;
	reserved->owner = owner;

	down_write(&iopt->iova_rwsem);
	if (iopt_area_iter_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last)) {
		rc = -EADDRINUSE;
		kfree(reserved);
	} else {
		interval_tree_insert(&reserved->node, &iopt->reserved_itree);
	}
	up_write(&iopt->iova_rwsem);
	return rc;
}

/*
 * The alignment every area must have: a page when large pages are off or an
 * attached access pins pages, else any.  Fails with -EADDRINUSE when an
 * existing area does not meet a stricter one.
 */
static int iopt_update_iova_alignment(struct io_pagetable *iopt)
{
	unsigned long align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	unsigned long mask, index;
	struct iommufd_access *access;
	struct iopt_area *area;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	xa_for_each(&iopt->access_list, index, access)
		align = max(align, access->iova_alignment);

	if (align > iopt->iova_alignment) {
		mask = align - 1;
		for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_iter_next(area, 0, ULONG_MAX))
			if ((iopt_area_iova(area) & mask) ||
			    (iopt_area_length(area) & mask) ||
			    (area->page_offset & mask))
				return -EADDRINUSE;
	}
	iopt->iova_alignment = align;
	return 0;
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	iopt->disable_large_pages = true;
	rc = iopt_update_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
	up_write(&iopt->iova_rwsem);
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	down_write(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	/* Relaxing the alignment cannot fail. */
	WARN_ON(iopt_update_iova_alignment(iopt));
	up_write(&iopt->iova_rwsem);
}

/* Attach @access: its alignment joins the table's; -EADDRINUSE if unmet. */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access,
		    u32 *list_id)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	rc = xa_alloc(&iopt->access_list, list_id, access, xa_limit_16b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_unlock;
	rc = iopt_update_iova_alignment(iopt);
	if (rc)
		xa_erase(&iopt->access_list, *list_id);
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt, u32 list_id)
{
	down_write(&iopt->iova_rwsem);
	WARN_ON(!xa_erase(&iopt->access_list, list_id));
	WARN_ON(iopt_update_iova_alignment(iopt));
	up_write(&iopt->iova_rwsem);
}
