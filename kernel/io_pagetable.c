// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the IOVA layout of an IOAS — areas, allowed and reserved
 * ranges, IOVA allocation, map, copy and unmap.
 *
 * Locking: iopt->domains_rwsem, iopt->iova_rwsem, then pages->mutex (see
 * io_pagetable.h).  Unmap drops the rwsems to let accesses unpin, then
 * starts over.
 */
#include <linux/align.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "io_pagetable.h"
#include "policy.h"
#include "trace.h"

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

	if (!area || iopt_area_iova(area) > walk->cur) {
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

void iopt_init_table(struct io_pagetable *iopt, u32 id)
{
	init_rwsem(&iopt->domains_rwsem);
	xa_init_flags(&iopt->domains, XA_FLAGS_ACCOUNT);
	iopt->id = id;
	init_rwsem(&iopt->iova_rwsem);
	iopt->area_itree = RB_ROOT_CACHED;
	iopt->allowed_itree = RB_ROOT_CACHED;
	iopt->reserved_itree = RB_ROOT_CACHED;
	iopt->iova_alignment = 1;
	iopt->domains_pgsizes = ULONG_MAX;
	xa_init_flags(&iopt->access_list, XA_FLAGS_ALLOC);
	atomic_set(&iopt->access_unpins, 0);
	init_waitqueue_head(&iopt->access_wait);
}

static void iopt_free_itree(struct rb_root_cached *root, size_t offset)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(root, 0, ULONG_MAX))) {
		interval_tree_remove(node, root);
		kfree((void *)node - offset);
	}
}

/*
 * The table must be empty of areas, accesses and domains (each holds a
 * reference on the IOAS, so none can be left when it is destroyed).
 */
void iopt_destroy_table(struct io_pagetable *iopt)
{
	WARN_ON(!xa_empty(&iopt->domains));
	xa_destroy(&iopt->domains);
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

/*
 * Sync @domain's IOTLB for what @gather collected, once, timed for the trace
 * event when someone listens.  @id is the domain's HWPT.
 */
void iopt_iotlb_sync(struct io_pagetable *iopt, u32 id,
		     struct iommu_domain *domain,
		     struct iommu_iotlb_gather *gather, unsigned long npages)
{
	unsigned long start = gather->start, last = gather->end;
	u64 t0 = iommufd_activity_start(trace_iotlb_sync_enabled());
	u64 ns;

	iommu_iotlb_sync(domain, gather);
	atomic_long_inc(&iommufd_stats.iotlb_syncs);
	ns = iommufd_activity_sync(iopt, npages, t0);
	if (trace_iotlb_sync_enabled())
		trace_iotlb_sync(iopt->id, id, start, last, npages, ns);
}

/* Unmap @area from every domain, syncing each IOTLB; then unpin. */
static void iopt_area_unfill_domains(struct iopt_area *area,
				     unsigned long until)
{
	struct io_pagetable *iopt = area->iopt;
	struct iommu_iotlb_gather gather;
	struct iommu_domain *domain;
	unsigned long index;

	xa_for_each_range(&iopt->domains, index, domain, 0, until) {
		iommu_iotlb_gather_init(&gather);
		iopt_area_unmap_domain(area, domain, &gather);
		iopt_iotlb_sync(iopt, index, domain, &gather,
				DIV_ROUND_UP(iopt_area_length(area), PAGE_SIZE));
	}
	iopt_area_unpin(area);
}

/*
 * Pin a new area and map it into every domain of its table (nothing to do
 * without domains).  On failure the area is mapped nowhere and pins nothing.
 */
static int iopt_area_fill_domains(struct iopt_area *area)
{
	struct io_pagetable *iopt = area->iopt;
	struct iommu_domain *domain;
	unsigned long index;
	int rc;

	lockdep_assert_held(&iopt->domains_rwsem);
	if (xa_empty(&iopt->domains))
		return 0;
	rc = iopt_area_pin(area);
	if (rc)
		return rc;
	xa_for_each(&iopt->domains, index, domain) {
		rc = iopt_area_map_domain(area, domain);
		if (rc)
			goto err_unfill;
	}
	return 0;

err_unfill:
	/* The domains before the one that failed map the area. */
	if (index)
		iopt_area_unfill_domains(area, index - 1);
	else
		iopt_area_unpin(area);
	return rc;
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
 * IOPT_ALLOC_IOVA), mapped into every domain before any becomes visible.
 * On success the areas own the slices' page references.
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
		slices[i].area = iommufd_should_fail() ? NULL :
				 kzalloc(sizeof(*slices[i].area),
					 GFP_KERNEL_ACCOUNT);
		if (!slices[i].area) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	down_read(&iopt->domains_rwsem);
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
	/* vfio_iommu_type1's dma_entry_limit, on the VFIO backend. */
	if (iopt->max_areas && iopt->nareas + nslices > iopt->max_areas) {
		rc = -ENOSPC;
		goto out_unlock;
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
		rc = iopt_area_fill_domains(area);
		if (rc)
			goto err_unfill;
		cur += slices[i].length;
	}
	for (i = 0; i < nslices; i++) {
		interval_tree_insert(&slices[i].area->node, &iopt->area_itree);
		slices[i].pages = NULL;
		slices[i].area = NULL;
	}
	iopt->nareas += nslices;
	goto out_unlock;

err_unfill:
	/* The slices keep their page references; the areas are freed. */
	if (!xa_empty(&iopt->domains))
		while (i--)
			iopt_area_unfill_domains(slices[i].area, ULONG_MAX);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
out_free:
	for (i = 0; i < nslices; i++)
		kfree(slices[i].area);
	return rc;
}

/*
 * Map new @pages (or its allocation's error) from @start (a user address,
 * or an offset in its file) at @iova; the reference passes to the area.
 */
static int iopt_map_new_pages(struct io_pagetable *iopt, unsigned long *iova,
			      struct iopt_pages *pages, unsigned long start,
			      unsigned long length, int iommu_prot,
			      unsigned int flags)
{
	struct iopt_slice slice = {
		.pages = pages,
		.length = length,
	};
	int rc;

	if (IS_ERR(pages))
		return PTR_ERR(pages);
	slice.start_byte = start - pages->uptr;
	rc = iopt_map_slices(iopt, &slice, 1, length, iova, iommu_prot, flags);
	if (slice.pages)
		iopt_put_pages(slice.pages);
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
 * @mode: how the memory is charged, from iopt_account_mode_current()
 *
 * Pins nothing: pages are pinned when an access (or a domain) needs them.
 */
int iopt_map_user_pages(struct io_pagetable *iopt, unsigned long *iova,
			unsigned long uptr, unsigned long length,
			int iommu_prot, unsigned int flags,
			enum iopt_account_mode mode)
{
	return iopt_map_new_pages(iopt, iova,
				  iopt_alloc_pages(uptr, length,
						   iommu_prot & IOMMU_WRITE,
						   mode),
				  uptr, length, iommu_prot, flags);
}

/**
 * iopt_map_file_pages() - map part of a memfd at an IOVA
 * @iopt: the table
 * @iova: the IOVA; chosen and returned here with IOPT_ALLOC_IOVA
 * @file: the memfd, checked by the caller
 * @start: byte offset in @file
 * @length: bytes
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE
 * @flags: IOPT_ALLOC_IOVA or 0
 * @mode: how the memory is charged, from iopt_account_mode_current()
 *
 * As iopt_map_user_pages(): pins nothing yet.
 */
int iopt_map_file_pages(struct io_pagetable *iopt, unsigned long *iova,
			struct file *file, unsigned long start,
			unsigned long length, int iommu_prot,
			unsigned int flags, enum iopt_account_mode mode)
{
	return iopt_map_new_pages(iopt, iova,
				  iopt_alloc_file_pages(file, start, length,
							iommu_prot & IOMMU_WRITE,
							mode),
				  start, length, iommu_prot, flags);
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
	slices = iommufd_should_fail() ? NULL :
		 kcalloc(n, sizeof(*slices), GFP_KERNEL_ACCOUNT);
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

/*
 * Ask the map policies about each slice a copy makes reachable through
 * @dst: its own user memory and owner, the IOVA it is copied from and to.
 */
static int iopt_copy_policy(struct io_pagetable *dst, struct io_pagetable *src,
			    const struct iopt_slice *slices,
			    unsigned int nslices, unsigned long src_iova,
			    unsigned long dst_iova, int iommu_prot,
			    enum iopt_account_mode mode)
{
	u32 dst_id = container_of(dst, struct iommufd_ioas, iopt)->obj.id;
	u32 src_id = container_of(src, struct iommufd_ioas, iopt)->obj.id;
	unsigned long off = 0;
	unsigned int i;
	int rc;

	if (!iommufd_policy_enabled())
		return 0;
	for (i = 0; i < nslices; i++) {
		struct iopt_pages *pages = slices[i].pages;
		struct task_struct *owner = iopt_pages_get_owner_task(pages);

		rc = __iommufd_policy_map(&(struct iommufd_policy_map_req){
			.op = IOMMUFD_POLICY_MAP_COPY,
			.ioas_id = dst_id,
			.iova = dst_iova ? dst_iova + off : 0,
			.length = slices[i].length,
			.uptr = pages->uptr + slices[i].start_byte,
			.prot = iommu_prot,
			.account_mode = mode,
			.src_ioas_id = src_id,
			.src_iova = src_iova + off,
			.owner = owner,
		});
		put_task_struct(owner);
		if (rc)
			return rc;
		off += slices[i].length;
	}
	return 0;
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
 * @mode: how the caller's pins are charged, for the policies
 *
 * The map policies are asked about each source area's memory first.  The
 * new areas share the pages objects of the source: a page pinned already is
 * not pinned or charged a second time.
 */
int iopt_copy_pages(struct io_pagetable *dst, struct io_pagetable *src,
		    unsigned long src_iova, unsigned long length,
		    unsigned long *dst_iova, int iommu_prot,
		    unsigned int flags, enum iopt_account_mode mode)
{
	struct iopt_slice *slices;
	unsigned int nslices, i;
	int rc;

	rc = iopt_get_slices(src, src_iova, length, &slices, &nslices);
	if (rc)
		return rc;
	rc = iopt_copy_policy(dst, src, slices, nslices, src_iova,
			      flags & IOPT_ALLOC_IOVA ? 0 : *dst_iova,
			      iommu_prot, mode);
	if (!rc)
		rc = iopt_map_slices(dst, slices, nslices, length, dst_iova,
				     iommu_prot, flags);
	for (i = 0; i < nslices; i++)
		if (slices[i].pages)
			iopt_put_pages(slices[i].pages);
	kfree(slices);
	return rc;
}

/*
 * Take down the areas on @batch, already out of the area tree: unmap them
 * from every domain with one IOTLB sync per domain, then unpin and free
 * them.  The memory is unpinned only once no IOTLB can still reach it.
 */
static void iopt_unmap_batch(struct io_pagetable *iopt,
			     struct list_head *batch)
{
	struct iommu_iotlb_gather gather;
	struct iopt_area *area, *next;
	struct iommu_domain *domain;
	unsigned long index, npages = 0;

	lockdep_assert_held(&iopt->domains_rwsem);
	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (list_empty(batch))
		return;
	list_for_each_entry(area, batch, unmap_node)
		npages += DIV_ROUND_UP(iopt_area_length(area), PAGE_SIZE);
	/*
	 * An unmap of all may take down 100,000 areas: other tasks get the
	 * CPU between them (the gather is ours alone, the locks may sleep).
	 */
	xa_for_each(&iopt->domains, index, domain) {
		iommu_iotlb_gather_init(&gather);
		list_for_each_entry(area, batch, unmap_node) {
			iopt_area_unmap_domain(area, domain, &gather);
			cond_resched();
		}
		iopt_iotlb_sync(iopt, index, domain, &gather, npages);
	}
	list_for_each_entry_safe(area, next, batch, unmap_node) {
		list_del(&area->unmap_node);
		if (!xa_empty(&iopt->domains))
			iopt_area_unpin(area);
		iopt_put_pages(area->pages);
		kfree(area);
		cond_resched();
	}
}

/* How long an unmap waits for an access to unpin anything before giving up. */
#define IOPT_ACCESS_UNPIN_TIMEOUT (10 * HZ)

/* Wait for an access unpin in @iopt after the @seen-th; false on timeout. */
static bool iopt_wait_access_unpin(struct io_pagetable *iopt, int seen)
{
	return wait_event_timeout(iopt->access_wait,
				  atomic_read(&iopt->access_unpins) != seen,
				  IOPT_ACCESS_UNPIN_TIMEOUT);
}

static int iopt_unmap_range(struct io_pagetable *iopt, unsigned long start,
			    unsigned long last, unsigned long *unmapped)
{
	unsigned long unmapped_bytes = 0;
	struct iopt_area *area;
	LIST_HEAD(batch);
	int rc = 0;

again:
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	while ((area = iopt_area_iter_first(iopt, start, last))) {
		unsigned long area_first = iopt_area_iova(area);
		unsigned long area_last = iopt_area_last_iova(area);

		/* Unmap takes whole areas only. */
		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (atomic_read(&area->num_accesses)) {
			int unpins = atomic_read(&iopt->access_unpins);

			area->prevent_access = true;
			/* What is collected goes now: this waits for others. */
			iopt_unmap_batch(iopt, &batch);
			up_write(&iopt->iova_rwsem);
			up_read(&iopt->domains_rwsem);
			/*
			 * Ask the accesses to let go, then look again once one
			 * did.  Most unpin from the callback; one being
			 * destroyed (which the notice skips) unpins from its
			 * destroy, soon: wait for that rather than spin.  An
			 * access that lets nothing go for long is a driver bug.
			 */
			iommufd_access_notify_unmap(iopt, area_first,
						    area_last - area_first + 1);
			if (WARN_ON(!iopt_wait_access_unpin(iopt, unpins))) {
				rc = -EDEADLOCK;
				goto out;
			}
			goto again;
		}
		interval_tree_remove(&area->node, &iopt->area_itree);
		iopt->nareas--;
		iopt->vaddr_invalid -= area->vaddr_invalid;
		list_add_tail(&area->unmap_node, &batch);
		unmapped_bytes += area_last - area_first + 1;
		if (area_last == last)
			break;
		start = area_last + 1;
	}
	iopt_unmap_batch(iopt, &batch);
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
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
 * The area maps all of its pages object (as every mapping of the VFIO
 * backend does: nothing there splits or copies one).
 */
static bool iopt_area_whole_pages(struct iopt_area *area)
{
	return !area->pages_node.start &&
	       area->pages_node.last == area->pages->npages - 1;
}

/**
 * iopt_invalidate_vaddr() - VFIO_DMA_UNMAP_FLAG_VADDR
 * @iopt: the table
 * @start: first IOVA of the range
 * @last: its last IOVA
 * @done: receives the bytes of the areas invalidated
 *
 * The user addresses of every area inside [@start, @last] go away: the
 * areas stay mapped, their pages pinned, until iopt_update_vaddr() names
 * new ones.  All or nothing: -EINVAL when the range cuts an area or holds
 * one invalidated already, or MMIO (whose mapping lives as long as the
 * owner's mmap of it, see mmio.c).  Accesses cannot pin from those areas meanwhile
 * (-EBUSY).
 */
int iopt_invalidate_vaddr(struct io_pagetable *iopt, unsigned long start,
			  unsigned long last, unsigned long *done)
{
	struct iopt_area *area;
	int rc = 0;

	*done = 0;
	down_write(&iopt->iova_rwsem);
	for (area = iopt_area_iter_first(iopt, start, last); area;
	     area = iopt_area_iter_next(area, start, last)) {
		if (iopt_area_iova(area) < start ||
		    iopt_area_last_iova(area) > last || area->vaddr_invalid ||
		    !iopt_area_whole_pages(area) || area->pages->mmio) {
			rc = -EINVAL;
			goto out_unlock;
		}
	}
	for (area = iopt_area_iter_first(iopt, start, last); area;
	     area = iopt_area_iter_next(area, start, last)) {
		area->vaddr_invalid = true;
		iopt->vaddr_invalid++;
		*done += iopt_area_length(area);
	}
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
}

/**
 * iopt_update_vaddr() - VFIO_DMA_MAP_FLAG_VADDR
 * @iopt: the table
 * @iova: the area's IOVA
 * @length: its length
 * @vaddr: its new user address, in the calling process (page aligned)
 *
 * The area invalidated at exactly [@iova, @iova + @length) takes @vaddr,
 * and the calling process becomes its owner: what is pinned is charged to
 * it from now on (vfio_iommu_type1 moves the charge the same way), and
 * later pins come from there.  -ENOENT with no area there, -EINVAL when it
 * is not exactly one invalidated area, -ENOMEM when the caller's
 * RLIMIT_MEMLOCK refuses the charge (nothing changed).
 */
int iopt_update_vaddr(struct io_pagetable *iopt, unsigned long iova,
		      unsigned long length, unsigned long vaddr)
{
	struct iopt_owner to;
	struct iopt_area *area;
	struct iopt_pages *pages;
	int rc;

	down_write(&iopt->iova_rwsem);
	area = iopt_area_iter_first(iopt, iova, iova + length - 1);
	if (!area) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (!area->vaddr_invalid || iopt_area_iova(area) != iova ||
	    iopt_area_length(area) != length ||
	    offset_in_page(vaddr) != area->page_offset) {
		rc = -EINVAL;
		goto out_unlock;
	}
	pages = area->pages;
	iopt_owner_get_current(&to);
	if (pages->ledger) {
		to.ledger = iommufd_ledger_hold(to.mm, pages->account_mode,
						to.user, to.task);
		if (IS_ERR(to.ledger)) {
			rc = PTR_ERR(to.ledger);
			to.ledger = NULL;
			goto out_put;
		}
	}
	rc = iopt_pages_change_owner(pages, &to, vaddr - area->page_offset,
				     iopt->id, false);
	if (!rc) {
		area->vaddr_invalid = false;
		iopt->vaddr_invalid--;
	}
out_put:
	iopt_owner_put(&to);
out_unlock:
	up_write(&iopt->iova_rwsem);
	return rc;
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

static int __iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
			       unsigned long last, void *owner)
{
	struct iopt_reserved *reserved;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	if (iopt_area_iter_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	reserved = iommufd_should_fail() ? NULL :
		   kzalloc(sizeof(*reserved), GFP_KERNEL_ACCOUNT);
	if (!reserved)
		return -ENOMEM;
	reserved->node.start = start;
	reserved->node.last = last;
	reserved->owner = owner;
	interval_tree_insert(&reserved->node, &iopt->reserved_itree);
	return 0;
}

/*
 * Reserve [start, last] for @owner: nothing may be mapped or allowed there.
 * -EADDRINUSE when something is.
 */
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, void *owner)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	rc = __iopt_reserve_iova(iopt, start, last, owner);
	up_write(&iopt->iova_rwsem);
	return rc;
}

static void __iopt_remove_reserved_iova(struct io_pagetable *iopt,
					void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	for (node = interval_tree_iter_first(&iopt->reserved_itree, 0,
					     ULONG_MAX);
	     node; node = next) {
		struct iopt_reserved *reserved =
			container_of(node, struct iopt_reserved, node);

		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (reserved->owner != owner)
			continue;
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(reserved);
	}
}

/* Drop every reservation @owner made. */
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	down_write(&iopt->iova_rwsem);
	__iopt_remove_reserved_iova(iopt, owner);
	up_write(&iopt->iova_rwsem);
}

/*
 * The alignment every area must have: a page when large pages are off or an
 * attached access pins pages, at least each domain's smallest IOPTE, else
 * any.  Fails with -EADDRINUSE when an existing area does not meet a
 * stricter one.
 */
static int iopt_update_iova_alignment(struct io_pagetable *iopt)
{
	unsigned long align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	unsigned long pgsizes = ULONG_MAX;
	unsigned long mask, index;
	struct iommufd_access *access;
	struct iommu_domain *domain;
	struct iopt_area *area;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	xa_for_each(&iopt->access_list, index, access)
		align = max(align, access->iova_alignment);
	xa_for_each(&iopt->domains, index, domain) {
		align = max(align, 1UL << __ffs(domain->pgsize_bitmap));
		pgsizes &= domain->pgsize_bitmap;
	}

	if (align > iopt->iova_alignment) {
		mask = align - 1;
		for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_iter_next(area, 0, ULONG_MAX))
			if ((iopt_area_iova(area) & mask) ||
			    (iopt_area_length(area) & mask) ||
			    (area->page_offset & mask))
				return -EADDRINUSE;
	}
	WRITE_ONCE(iopt->iova_alignment, align);
	WRITE_ONCE(iopt->domains_pgsizes, pgsizes);
	return 0;
}

/*
 * With large pages off, domains map page by page, so any page-aligned piece
 * of an area can be cut off and unmapped (VFIO_TYPE1_IOMMU's unmap).  Areas
 * already in a domain may sit in large IOPTEs: -EINVAL while there are any.
 */
int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (iopt->disable_large_pages)
		goto out_unlock;
	if (!xa_empty(&iopt->domains) &&
	    !RB_EMPTY_ROOT(&iopt->area_itree.rb_root)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	iopt->disable_large_pages = true;
	rc = iopt_update_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	iopt->disable_large_pages = false;
	/* Relaxing the alignment cannot fail. */
	WARN_ON(iopt_update_iova_alignment(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/*
 * Attach @access: its alignment joins the table's; -EADDRINUSE if unmet,
 * -EBUSY while a user address is invalidated (VFIO_DMA_UNMAP_FLAG_VADDR).
 */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access,
		    u32 *list_id)
{
	int rc;

	down_write(&iopt->iova_rwsem);
	if (iopt->vaddr_invalid) {
		rc = -EBUSY;
		goto out_unlock;
	}
	rc = iommufd_should_fail() ? -ENOMEM :
	     xa_alloc(&iopt->access_list, list_id, access, xa_limit_16b,
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

/* Reserve what lies outside @domain's aperture, on the domain's behalf. */
static int iopt_reserve_aperture(struct io_pagetable *iopt,
				 struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	int rc;

	if (!geo->force_aperture)
		return 0;
	if (geo->aperture_start) {
		rc = __iopt_reserve_iova(iopt, 0, geo->aperture_start - 1,
					 domain);
		if (rc)
			return rc;
	}
	if (geo->aperture_end < ULONG_MAX) {
		rc = __iopt_reserve_iova(iopt, geo->aperture_end + 1,
					 ULONG_MAX, domain);
		if (rc) {
			__iopt_remove_reserved_iova(iopt, domain);
			return rc;
		}
	}
	return 0;
}

/**
 * iopt_table_add_domain() - make a domain map everything the table maps
 * @iopt: the table
 * @domain: an empty paging domain
 * @id: the HWPT object it belongs to, its index in iopt->domains
 *
 * The domain's aperture is reserved and its smallest IOPTE joins the
 * table's alignment (-EADDRINUSE when existing areas do not fit either);
 * then every area is mapped into it, pinning the memory first when it is
 * the table's first domain.  On failure the domain maps nothing and the
 * table is as before.
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain, u32 id)
{
	struct iommu_iotlb_gather gather;
	struct iopt_area *area, *failed;
	unsigned long npages = 0;
	bool first;
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	first = xa_empty(&iopt->domains);
	/* A first domain would pin from user addresses that are gone. */
	if (iopt->vaddr_invalid) {
		rc = -EBUSY;
		goto out_unlock;
	}
	rc = iommufd_should_fail() ? -ENOMEM :
	     xa_reserve(&iopt->domains, id, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_unlock;
	rc = iopt_reserve_aperture(iopt, domain);
	if (rc)
		goto err_release;
	/* Taking the reserved slot allocates nothing. */
	xa_store(&iopt->domains, id, domain, GFP_KERNEL);
	rc = iopt_update_iova_alignment(iopt);
	if (rc)
		goto err_erase;

	for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
		if (first) {
			rc = iopt_area_pin(area);
			if (rc)
				goto err_unfill;
		}
		rc = iopt_area_map_domain(area, domain);
		if (rc) {
			if (first)
				iopt_area_unpin(area);
			goto err_unfill;
		}
	}
	goto out_unlock;

err_unfill:
	failed = area;
	iommu_iotlb_gather_init(&gather);
	for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area != failed;
	     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
		iopt_area_unmap_domain(area, domain, &gather);
		npages += DIV_ROUND_UP(iopt_area_length(area), PAGE_SIZE);
	}
	if (npages)
		iopt_iotlb_sync(iopt, id, domain, &gather, npages);
	for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX);
	     first && area != failed;
	     area = iopt_area_iter_next(area, 0, ULONG_MAX))
		iopt_area_unpin(area);
err_erase:
	xa_erase(&iopt->domains, id);
	WARN_ON(iopt_update_iova_alignment(iopt));
	__iopt_remove_reserved_iova(iopt, domain);
	goto out_unlock;
err_release:
	xa_release(&iopt->domains, id);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

/**
 * iopt_table_remove_domain() - stop a domain mapping the table
 * @iopt: the table
 * @id: the domain's index, as given to iopt_table_add_domain()
 *
 * Unmaps every area from the domain with one IOTLB sync; when it was the
 * last domain, the memory pinned for domains is unpinned after that.
 */
void iopt_table_remove_domain(struct io_pagetable *iopt, u32 id)
{
	struct iommu_iotlb_gather gather;
	struct iommu_domain *domain;
	struct iopt_area *area;
	unsigned long npages = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	domain = xa_erase(&iopt->domains, id);
	if (WARN_ON(!domain))
		goto out_unlock;

	iommu_iotlb_gather_init(&gather);
	for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
		iopt_area_unmap_domain(area, domain, &gather);
		npages += DIV_ROUND_UP(iopt_area_length(area), PAGE_SIZE);
	}
	if (npages)
		iopt_iotlb_sync(iopt, id, domain, &gather, npages);
	if (xa_empty(&iopt->domains))
		for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_iter_next(area, 0, ULONG_MAX))
			iopt_area_unpin(area);
	__iopt_remove_reserved_iova(iopt, domain);
	/* Relaxing the alignment cannot fail. */
	WARN_ON(iopt_update_iova_alignment(iopt));
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/**
 * iopt_table_enforce_dev_resv_regions() - keep IOVA the device cannot use
 * @iopt: the table the device is being attached to
 * @dev: the device, owner of the reservations
 *
 * Every reserved region but IOMMU_RESV_DIRECT_RELAXABLE (which the device
 * may lose once it is given to user space) is reserved in the table:
 * nothing may be mapped there while the device is attached.  -EADDRINUSE
 * when something is mapped or allowed there already; then nothing is
 * reserved.  iopt_remove_reserved_iova(iopt, dev) undoes it.
 */
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct device *dev)
{
	struct iommu_resv_region *resv;
	LIST_HEAD(regions);
	int rc = 0;

	iommu_get_resv_regions(dev, &regions);
	down_write(&iopt->iova_rwsem);
	list_for_each_entry(resv, &regions, list) {
		if (resv->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		rc = __iopt_reserve_iova(iopt, resv->start,
					 resv->start + resv->length - 1, dev);
		if (rc) {
			__iopt_remove_reserved_iova(iopt, dev);
			break;
		}
	}
	up_write(&iopt->iova_rwsem);
	iommu_put_resv_regions(dev, &regions);
	return rc;
}

/*
 * Make @iova the last IOVA of an area, splitting the area that contains it
 * and iova + 1.  The halves share the pages object; in domains nothing
 * changes (with large pages off they map page by page, see
 * iopt_disable_large_pages()).  -EINVAL when the cut is not aligned or the
 * area is MMIO, -EBUSY
 * while an access pins inside the area, -ENOMEM.
 */
static int iopt_split_area(struct io_pagetable *iopt, unsigned long iova)
{
	struct iopt_area *area, *tail;
	struct iopt_pages *pages;
	unsigned long byte;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	area = iopt_area_iter_first(iopt, iova, iova);
	if (!area || iopt_area_last_iova(area) == iova)
		return 0;
	if ((iova + 1) % iopt->iova_alignment)
		return -EINVAL;
	if (atomic_read(&area->num_accesses))
		return -EBUSY;
	/* MMIO is mapped and revoked a whole area at a time. */
	if (area->pages->mmio)
		return -EINVAL;
	tail = iommufd_should_fail() ? NULL : kzalloc(sizeof(*tail), GFP_KERNEL_ACCOUNT);
	if (!tail)
		return -ENOMEM;

	pages = area->pages;
	byte = iopt_area_start_byte(area, iova + 1);
	tail->iopt = iopt;
	tail->iommu_prot = area->iommu_prot;
	tail->page_offset = byte % PAGE_SIZE;
	tail->node.start = iova + 1;
	tail->node.last = iopt_area_last_iova(area);
	tail->pages_node.start = byte / PAGE_SIZE;
	tail->pages_node.last = area->pages_node.last;
	tail->pages = pages;
	kref_get(&pages->kref);

	/* The pinned set stays the same: the two ranges cover the old one. */
	mutex_lock(&pages->mutex);
	if (!xa_empty(&iopt->domains))
		interval_tree_remove(&area->pages_node, &pages->domains_itree);
	area->pages_node.last = iopt_area_start_byte(area, iova) / PAGE_SIZE;
	if (!xa_empty(&iopt->domains)) {
		interval_tree_insert(&area->pages_node, &pages->domains_itree);
		interval_tree_insert(&tail->pages_node, &pages->domains_itree);
	}
	mutex_unlock(&pages->mutex);

	interval_tree_remove(&area->node, &iopt->area_itree);
	area->node.last = iova;
	interval_tree_insert(&area->node, &iopt->area_itree);
	interval_tree_insert(&tail->node, &iopt->area_itree);
	iopt->nareas++;
	return 0;
}

/**
 * iopt_cut_iova() - split areas so that each of @iovas ends one
 * @iopt: the table
 * @iovas: IOVAs that must be the last of an area (or outside every area)
 * @n: how many
 *
 * Lets an unmap take part of a mapping (VFIO_TYPE1_IOMMU); only with large
 * pages off.
 */
int iopt_cut_iova(struct io_pagetable *iopt, unsigned long *iovas, size_t n)
{
	size_t i;
	int rc = 0;

	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (!iopt->disable_large_pages) {
		rc = -EINVAL;
		goto out_unlock;
	}
	for (i = 0; i < n && !rc; i++)
		rc = iopt_split_area(iopt, iovas[i]);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	return rc;
}
