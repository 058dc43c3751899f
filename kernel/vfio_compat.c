// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the VFIO type1 interface on an IOAS.
 *
 * VFIO's container speaks the type1 ioctls (VFIO_CHECK_EXTENSION,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA), which name
 * no IOAS.  They are served here for two callers:
 *
 * - /dev/iommu itself, as upstream iommufd offers them: the file's "compat"
 *   IOAS (chosen with IOMMU_VFIO_IOAS) is what they act on, with iommufd's
 *   rules: VFIO_TYPE1_IOMMU turns large pages off so that an unmap may cut
 *   a mapping anywhere, and TYPE1v2's unmap of part of a mapping is ENOENT;
 *
 * - the VFIO backend (vfio_backend.c), where every container is an IOAS and
 *   unmodified VFIO users must see vfio_iommu_type1's own rules ("exact"):
 *   alignment to the smallest IOMMU page and a non-empty protection on map,
 *   TYPE1v2's unmap refusing to bisect a mapping with EINVAL, and TYPE1's
 *   unmap taking whole mappings that start inside the range and nothing when
 *   the range starts inside one.
 *
 * Pages are pinned, accounted and traced as for IOMMU_IOAS_MAP.
 */
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "iommufd_private.h"
#include "policy.h"
#include "trace.h"

/*
 * The page sizes a mapping may be made of: the domains' common ones, kept
 * by the table as domains come and go (read without its locks: a map or
 * unmap racing an attach checks against the sizes of just before or just
 * after, as it would have with them).
 */
unsigned long iommufd_type1_pgsizes(struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	unsigned long pgsizes = READ_ONCE(iopt->domains_pgsizes);

	/* Nothing smaller than a CPU page, as vfio_iommu_type1 reports. */
	if (pgsizes & ~PAGE_MASK) {
		pgsizes &= PAGE_MASK;
		pgsizes |= PAGE_SIZE;
	}
	return max(pgsizes, READ_ONCE(iopt->iova_alignment));
}

/* VFIO_DMA_CC_IOMMU: every domain of the IOAS enforces cache coherency. */
static int iommufd_type1_cc(struct iommufd_ioas *ioas)
{
	struct iommufd_hwpt_paging *hwpt;
	int rc = 1;

	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->enforce_cache_coherency) {
			rc = 0;
			break;
		}
	}
	mutex_unlock(&ioas->mutex);
	return rc;
}

/*
 * VFIO_CHECK_EXTENSION: 1 for what is supported.  @ioas is NULL before a
 * container has an IOMMU.
 */
long iommufd_type1_check_extension(struct iommufd_ioas *ioas,
				   unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return ioas ? iommufd_type1_cc(ioas) : 0;
	default:
		/*
		 * No nesting, no dirty tracking; VFIO_UPDATE_VADDR only on the
		 * VFIO backend (/dev/iommu has IOMMU_IOAS_MAP_FILE and
		 * IOMMU_IOAS_CHANGE_PROCESS instead, as upstream).
		 */
		return 0;
	}
}

/*
 * The capabilities' fill functions run with the IOAS's iova_rwsem held for
 * reading; @info has the page sizes.  Each returns its size, or -EFAULT.
 */

/* A fixed-size capability, copied out when it fits. */
static int put_cap(struct vfio_info_cap_header __user *cur, size_t avail,
		   const void *cap, size_t size)
{
	if (avail >= size && copy_to_user(cur, cap, size))
		return -EFAULT;
	return size;
}

static int fill_cap_dma_avail(struct iommufd_ioas *ioas,
			      const struct vfio_iommu_type1_info *info,
			      struct vfio_info_cap_header __user *cur,
			      size_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			.version = 1,
		},
		/* A VFIO backend container's dma_entry_limit, else none. */
		.avail = U32_MAX,
	};
	unsigned int max = ioas->iopt.max_areas;

	lockdep_assert_held(&ioas->iopt.iova_rwsem);
	if (max)
		cap.avail = max - min(ioas->iopt.nareas, max);

	return put_cap(cur, avail, &cap, sizeof(cap));
}

/* Most pages one dirty bitmap may describe, as vfio_iommu_type1. */
#define TYPE1_DIRTY_PAGES_MAX ((u64)INT_MAX)

/* Dirty tracking: bitmaps in the smallest page size, up to the maximum. */
static int fill_cap_migration(struct iommufd_ioas *ioas,
			      const struct vfio_iommu_type1_info *info,
			      struct vfio_info_cap_header __user *cur,
			      size_t avail)
{
	struct vfio_iommu_type1_info_cap_migration cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
			.version = 1,
		},
		.pgsize_bitmap = 1ULL << __ffs64(info->iova_pgsizes),
		.max_dirty_bitmap_size = BITS_TO_LONGS(TYPE1_DIRTY_PAGES_MAX) *
					 sizeof(long),
	};

	return put_cap(cur, avail, &cap, sizeof(cap));
}

/* The usable IOVA: the holes between the IOAS's reserved ranges. */
static int fill_cap_iova(struct iommufd_ioas *ioas,
			 const struct vfio_iommu_type1_info *info,
			 struct vfio_info_cap_header __user *cur, size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range __user *ucap =
		container_of(cur, struct vfio_iommu_type1_info_cap_iova_range,
			     header);
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			.version = 1,
		},
	};
	unsigned long start = 0, last;

	lockdep_assert_held(&ioas->iopt.iova_rwsem);
	while (iopt_itree_find_hole(&ioas->iopt.reserved_itree, &start,
				    ULONG_MAX, &last)) {
		struct vfio_iova_range range = { .start = start, .end = last };

		if (avail >= struct_size(&cap, iova_ranges, cap.nr_iovas + 1) &&
		    copy_to_user(&ucap->iova_ranges[cap.nr_iovas], &range,
				 sizeof(range)))
			return -EFAULT;
		cap.nr_iovas++;
		if (last == ULONG_MAX)
			break;
		start = last + 1;
	}
	if (avail >= struct_size(&cap, iova_ranges, cap.nr_iovas) &&
	    copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return struct_size(&cap, iova_ranges, cap.nr_iovas);
}

/*
 * The three calls below take an IOAS or the ERR_PTR to return once the
 * arguments are checked.
 *
 * VFIO_IOMMU_GET_INFO: the page sizes and a capability chain (DMA mappings
 * available, usable IOVA ranges, dirty tracking).  A caller whose argsz is too small for the
 * chain gets the size it needs in argsz and no cap_offset.
 */
int iommufd_type1_get_info(struct iommufd_ioas *ioas, void __user *arg)
{
	typedef int (*fill_fn)(struct iommufd_ioas *ioas,
			       const struct vfio_iommu_type1_info *info,
			       struct vfio_info_cap_header __user *cur,
			       size_t avail);
	static const fill_fn fills[] = { fill_cap_dma_avail, fill_cap_iova,
					 fill_cap_migration };
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_info_cap_header __user *last_cap = NULL;
	struct vfio_iommu_type1_info info = {};
	size_t total, copy;
	unsigned int i;
	int rc = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	copy = min_t(size_t, info.argsz, sizeof(info));

	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = iommufd_type1_pgsizes(ioas);
	info.cap_offset = 0;

	down_read(&ioas->iopt.iova_rwsem);
	total = sizeof(info);
	for (i = 0; i < ARRAY_SIZE(fills); i++) {
		int size;

		if (info.argsz > total)
			size = fills[i](ioas, &info, arg + total,
					info.argsz - total);
		else
			size = fills[i](ioas, &info, NULL, 0);
		if (size < 0) {
			rc = size;
			goto out_unlock;
		}
		size = ALIGN(size, sizeof(u64));
		if (last_cap && info.argsz >= total &&
		    put_user(total, &last_cap->next)) {
			rc = -EFAULT;
			goto out_unlock;
		}
		last_cap = arg + total;
		total += size;
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = total;
	if (copy_to_user(arg, &info, copy))
		rc = -EFAULT;
out_unlock:
	up_read(&ioas->iopt.iova_rwsem);
	return rc;
}

/* ---- dirty page tracking ------------------------------------------------ */

/*
 * VFIO_IOMMU_DIRTY_PAGES and VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, with
 * vfio_iommu_type1's semantics for devices that cannot say what they wrote
 * (no IOMMU here records it): while tracking is on, every page mapped for
 * a device is dirty at every query, since a device may write it at any
 * time; in an IOAS without a domain (emulated devices only), the pages an
 * access has pinned at the time of the query.  Queries cover whole
 * mappings, in the smallest IOMMU page size.
 */

/* Bits of a bitmap built per lock hold: 1 GiB of 4 KiB pages, 32 KiB. */
#define DIRTY_CHUNK_BITS BIT(18)

/*
 * Mark in @map (bit 0 = @base) the dirty pages of [@start, @last] (inside
 * one chunk) of the areas that lie wholly inside [@lo, @hi].
 */
static void dirty_chunk(struct iommufd_ioas *ioas, unsigned long *map,
			unsigned long base, unsigned long start,
			unsigned long last, unsigned long lo, unsigned long hi,
			unsigned int shift)
{
	struct io_pagetable *iopt = &ioas->iopt;
	bool domains = !xa_empty(&iopt->domains);
	struct iopt_area *area;

	lockdep_assert_held(&iopt->iova_rwsem);
	for (area = iopt_area_iter_first(iopt, start, last); area;
	     area = iopt_area_iter_next(area, start, last)) {
		unsigned long a = max(iopt_area_iova(area), start);
		unsigned long b = min(iopt_area_last_iova(area), last);
		unsigned long iova;

		if (iopt_area_iova(area) < lo || iopt_area_last_iova(area) > hi)
			continue;
		if (domains) {
			bitmap_set(map, (a - base) >> shift,
				   ((b - a) >> shift) + 1);
			continue;
		}
		/* Emulated devices only: what their pins hold. */
		mutex_lock(&area->pages->mutex);
		for (iova = a; iova <= b && iova >= a; iova += 1UL << shift) {
			unsigned long *slot =
				iopt_pfn_slot(area->pages,
					      iopt_area_iova_to_index(area, iova));

			if (slot && *slot)
				bitmap_set(map, (iova - base) >> shift, 1);
		}
		mutex_unlock(&area->pages->mutex);
	}
}

/*
 * OR into the user's @ubitmap (bit 0 = @iova) the dirty pages of the
 * mappings inside [@iova, @last], a chunk at a time: built under the
 * table's locks, written to user memory with none held.
 */
static int type1_dirty_bitmap(struct iommufd_ioas *ioas, u64 __user *ubitmap,
			      unsigned long iova, unsigned long last,
			      unsigned int shift)
{
	struct io_pagetable *iopt = &ioas->iopt;
	unsigned long npages = ((last - iova) >> shift) + 1;
	unsigned long done, *map;
	int rc = 0;

	map = iommufd_should_fail() ? NULL :
	      kvmalloc(BITS_TO_LONGS(min(npages, DIRTY_CHUNK_BITS)) *
		       sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	for (done = 0; done < npages && !rc; done += DIRTY_CHUNK_BITS) {
		unsigned long n = min(npages - done, DIRTY_CHUNK_BITS);
		unsigned long start = iova + (done << shift);
		unsigned long i;

		bitmap_zero(map, n);
		down_read(&iopt->domains_rwsem);
		down_read(&iopt->iova_rwsem);
		dirty_chunk(ioas, map, start, start,
			    start + ((n - 1) << shift) + ((1UL << shift) - 1),
			    iova, last, shift);
		up_read(&iopt->iova_rwsem);
		up_read(&iopt->domains_rwsem);
		/* A chunk starts on a u64 of the user's bitmap. */
		for (i = 0; i < BITS_TO_U64(n) && !rc; i++) {
			u64 word = bitmap_read(map, i * 64, min(64UL, n - i * 64));
			u64 __user *uword = ubitmap + (done / 64) + i;
			u64 old;

			if (!word)
				continue;
			if (get_user(old, uword) || put_user(old | word, uword))
				rc = -EFAULT;
		}
	}
	kvfree(map);
	return rc;
}

/*
 * A query's range must not cut a mapping (EINVAL), as in
 * vfio_iommu_type1.
 */
static int type1_dirty_range_whole(struct iommufd_ioas *ioas,
				   unsigned long iova, unsigned long last)
{
	struct iopt_area *area;
	int rc = 0;

	down_read(&ioas->iopt.iova_rwsem);
	area = iopt_area_iter_first(&ioas->iopt, iova, iova);
	if (area && iopt_area_iova(area) != iova)
		rc = -EINVAL;
	area = iopt_area_iter_first(&ioas->iopt, last, last);
	if (area && iopt_area_last_iova(area) != last)
		rc = -EINVAL;
	up_read(&ioas->iopt.iova_rwsem);
	return rc;
}

/*
 * The checks of a bitmap for [@iova, @iova + @size): tracking on, the
 * smallest IOMMU page size, aligned, not wrapping, big enough for the
 * range and no bigger than type1 allows (all EINVAL).  Returns the page
 * shift.
 */
static int type1_dirty_check(struct iommufd_ioas *ioas, u64 iova, u64 size,
			     const struct vfio_bitmap *bitmap)
{
	unsigned long pgsize = 1UL << __ffs(iommufd_type1_pgsizes(ioas));
	unsigned int shift = __ffs(pgsize);

	if (!READ_ONCE(ioas->vfio_dirty) || bitmap->pgsize != pgsize ||
	    !size || ((iova | size) & (pgsize - 1)) ||
	    iova > ULONG_MAX || size > ULONG_MAX || iova + size - 1 < iova)
		return -EINVAL;
	if (!bitmap->size || (size >> shift) > TYPE1_DIRTY_PAGES_MAX ||
	    bitmap->size < BITS_TO_U64(size >> shift) * sizeof(u64) ||
	    bitmap->size > BITS_TO_U64(TYPE1_DIRTY_PAGES_MAX) * sizeof(u64) ||
	    !access_ok((void __user *)bitmap->data, bitmap->size))
		return -EINVAL;
	return shift;
}

/**
 * iommufd_type1_dirty_pages() - VFIO_IOMMU_DIRTY_PAGES
 * @ioas: the IOAS, or the ERR_PTR to return once the arguments are checked
 * @arg: struct vfio_iommu_type1_dirty_bitmap
 * @v2: the container is TYPE1v2 (type1 refuses TYPE1 with EACCES)
 *
 * START and STOP switch tracking on and off (again is no error);
 * GET_BITMAP fills the caller's zeroed bitmap for whole mappings.
 */
int iommufd_type1_dirty_pages(struct iommufd_ioas *ioas, void __user *arg,
			      bool v2)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	u32 valid = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap_get range;
	struct vfio_iommu_type1_dirty_bitmap dirty;
	int shift, rc;

	if (!v2)
		return -EACCES;
	if (copy_from_user(&dirty, arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || (dirty.flags & ~valid) ||
	    hweight32(dirty.flags) != 1)
		return -EINVAL;
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		WRITE_ONCE(ioas->vfio_dirty, true);
		return 0;
	}
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		WRITE_ONCE(ioas->vfio_dirty, false);
		return 0;
	}
	if (dirty.argsz < minsz + sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, arg + minsz, sizeof(range)))
		return -EFAULT;
	shift = type1_dirty_check(ioas, range.iova, range.size, &range.bitmap);
	if (shift < 0)
		return shift;
	rc = type1_dirty_range_whole(ioas, range.iova,
				     range.iova + range.size - 1);
	if (rc)
		return rc;
	return type1_dirty_bitmap(ioas, (u64 __user *)range.bitmap.data,
				  range.iova, range.iova + range.size - 1,
				  shift);
}

/*
 * VFIO_IOMMU_MAP_DMA at a fixed IOVA.  @exact: vfio_iommu_type1's argument
 * rules (a protection, alignment to the smallest IOMMU page, no wrap-around,
 * all EINVAL).  An overlap is EEXIST, IOVA the IOAS cannot use EINVAL.
 */
int iommufd_type1_map(struct iommufd_ioas *ioas, void __user *arg,
		      enum iopt_account_mode mode, bool exact)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	u32 valid = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
		    (exact ? VFIO_DMA_MAP_FLAG_VADDR : 0);
	struct vfio_iommu_type1_dma_map map;
	enum iopt_account_mode pin_mode;
	unsigned long iova, mask;
	int prot = 0;
	u64 t0;
	int rc;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~valid))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (exact) {
		/* A new user address takes no protection; a map needs one. */
		if (!prot == !(map.flags & VFIO_DMA_MAP_FLAG_VADDR))
			return -EINVAL;
		mask = (1UL << __ffs(iommufd_type1_pgsizes(ioas))) - 1;
		if (!map.size || ((map.size | map.iova | map.vaddr) & mask) ||
		    map.iova + map.size - 1 < map.iova ||
		    map.vaddr + map.size - 1 < map.vaddr)
			return -EINVAL;
		if (map.flags & VFIO_DMA_MAP_FLAG_VADDR)
			return iopt_update_vaddr(&ioas->iopt, map.iova,
						 map.size, map.vaddr);
	}
	if (map.iova > ULONG_MAX || map.size > ULONG_MAX ||
	    map.vaddr > ULONG_MAX)
		return exact ? -EINVAL : -EOVERFLOW;

	iova = map.iova;
	pin_mode = iopt_account_mode_current(mode);
	rc = iommufd_policy_map(&(struct iommufd_policy_map_req){
		.op = IOMMUFD_POLICY_MAP_USER,
		.ioas_id = ioas->obj.id,
		.iova = iova,
		.length = map.size,
		.uptr = map.vaddr,
		.prot = prot,
		.account_mode = pin_mode,
	});
	if (rc)
		return rc;
	t0 = iommufd_activity_start(trace_ioas_map_enabled());
	rc = iopt_map_user_pages(&ioas->iopt, &iova, map.vaddr, map.size, prot,
				 0, pin_mode);
	if (rc == -EOVERFLOW && exact)
		rc = -EINVAL;
	if (!rc) {
		u64 ns = iommufd_activity_map(&ioas->iopt, map.size, t0);

		if (trace_ioas_map_enabled())
			trace_ioas_map(ioas->obj.id, iova, map.size, map.vaddr,
				       prot,
				       iommufd_ledger_charged_current(mode),
				       ns);
	}
	return rc;
}

/*
 * The area intersecting [start, last] with the lowest IOVA: its bounds, or
 * false when there is none.
 */
static bool type1_first_area(struct iommufd_ioas *ioas, unsigned long start,
			     unsigned long last, unsigned long *area_start,
			     unsigned long *area_last)
{
	struct iopt_area *area;

	down_read(&ioas->iopt.iova_rwsem);
	area = iopt_area_iter_first(&ioas->iopt, start, last);
	if (area) {
		*area_start = iopt_area_iova(area);
		*area_last = iopt_area_last_iova(area);
	}
	up_read(&ioas->iopt.iova_rwsem);
	return area;
}

/*
 * vfio_iommu_type1's unmap rules; see the file's comment.  With
 * VFIO_DMA_UNMAP_FLAG_VADDR the mappings stay and lose their user
 * address (whole mappings only, in TYPE1 containers too).
 */
static int type1_exact_unmap(struct iommufd_ioas *ioas,
			     struct vfio_iommu_type1_dma_unmap *unmap,
			     bool v2, unsigned long *unmapped)
{
	unsigned long pgsize = 1UL << __ffs(iommufd_type1_pgsizes(ioas));
	bool vaddr = unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR;
	unsigned long last, a_start, a_last;

	if (unmap->iova & (pgsize - 1))
		return -EINVAL;
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap->iova || unmap->size)
			return -EINVAL;
		if (vaddr)
			return iopt_invalidate_vaddr(&ioas->iopt, 0, ULONG_MAX,
						     unmapped);
		return iopt_unmap_all(&ioas->iopt, unmapped);
	}
	if (!unmap->size || (unmap->size & (pgsize - 1)) ||
	    unmap->iova > ULONG_MAX || unmap->size > ULONG_MAX ||
	    check_add_overflow((unsigned long)unmap->iova,
			       (unsigned long)unmap->size - 1, &last))
		return -EINVAL;
	if (vaddr)
		return iopt_invalidate_vaddr(&ioas->iopt, unmap->iova, last,
					     unmapped);

	if (v2) {
		/* Whole mappings only: bisecting one is an error. */
		if (type1_first_area(ioas, unmap->iova, unmap->iova, &a_start,
				     &a_last) && a_start != unmap->iova)
			return -EINVAL;
		if (type1_first_area(ioas, last, last, &a_start, &a_last) &&
		    a_last != last)
			return -EINVAL;
	} else {
		/*
		 * A range starting inside a mapping unmaps nothing; mappings
		 * starting inside the range go whole.
		 */
		if (!type1_first_area(ioas, unmap->iova, last, &a_start,
				      &a_last))
			return 0;
		if (a_start < unmap->iova)
			return 0;
		if (type1_first_area(ioas, last, last, &a_start, &a_last))
			last = max(last, a_last);
	}
	return iopt_unmap_iova(&ioas->iopt, unmap->iova,
			       last - unmap->iova + 1, unmapped);
}

/*
 * VFIO_IOMMU_UNMAP_DMA: size receives the bytes unmapped.  Without @exact,
 * upstream iommufd's rules: with large pages off (TYPE1) the range is cut
 * out of the mappings first; otherwise mappings are taken whole and one
 * the range bisects is ENOENT.
 */
int iommufd_type1_unmap(struct iommufd_ioas *ioas, void __user *arg,
			enum iopt_account_mode mode, bool exact, bool v2)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	u32 valid = VFIO_DMA_UNMAP_FLAG_ALL |
		    VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		    (exact ? VFIO_DMA_UNMAP_FLAG_VADDR : 0);
	unsigned long unmapped = 0;
	struct vfio_bitmap bitmap;
	u64 t0;
	int rc;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || (unmap.flags & ~valid))
		return -EINVAL;
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    ((unmap.flags & ~VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) ||
	     unmap.argsz < minsz + sizeof(bitmap)))
		return -EINVAL;
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* What is about to be unmapped was dirty: said first. */
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (copy_from_user(&bitmap, arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		rc = type1_dirty_check(ioas, unmap.iova, unmap.size, &bitmap);
		if (rc < 0)
			return rc;
		rc = type1_dirty_bitmap(ioas, (u64 __user *)bitmap.data,
					unmap.iova, unmap.iova + unmap.size - 1,
					rc);
		if (rc)
			return rc;
	}

	t0 = iommufd_activity_start(trace_ioas_unmap_enabled());
	if (exact) {
		rc = type1_exact_unmap(ioas, &unmap, v2, &unmapped);
	} else if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = (unmap.iova || unmap.size) ? -EINVAL :
		     iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (!unmap.size || unmap.iova > ULONG_MAX ||
		   unmap.size > ULONG_MAX) {
		rc = -EINVAL;
	} else {
		rc = 0;
		if (READ_ONCE(ioas->iopt.disable_large_pages)) {
			unsigned long cuts[] = { unmap.iova + unmap.size - 1,
						 unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, cuts,
					   unmap.iova ? 2 : 1);
		}
		if (!rc)
			rc = iopt_unmap_iova(&ioas->iopt, unmap.iova,
					     unmap.size, &unmapped);
	}
	if (unmapped && !(unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR)) {
		u64 ns = iommufd_activity_unmap(&ioas->iopt, unmapped, t0);

		if (trace_ioas_unmap_enabled())
			trace_ioas_unmap(ioas->obj.id, unmap.iova, unmap.size,
					 unmapped,
					 iommufd_ledger_charged_current(mode),
					 ns);
	}
	unmap.size = unmapped;
	if (copy_to_user(arg, &unmap, minsz))
		return -EFAULT;
	return rc;
}

/* ---- the type1 ioctls on /dev/iommu -------------------------------------- */

/*
 * The file's compat IOAS, with a reference; ENODEV without one.  The
 * pointer is cleared under xa_lock when that IOAS is destroyed.
 */
static struct iommufd_ioas *compat_ioas_get(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = ERR_PTR(-ENODEV);

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas &&
	    refcount_inc_not_zero(&ictx->vfio_ioas->obj.users))
		ioas = ictx->vfio_ioas;
	xa_unlock(&ictx->objects);
	return ioas;
}

/* IOMMU_VFIO_IOAS: get, set or clear the IOAS the type1 ioctls act on. */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = compat_ioas_get(ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		iommufd_put_object(&ioas->obj);
		return rc;
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = ioas;
		xa_unlock(&ictx->objects);
		iommufd_put_object(&ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = NULL;
		xa_unlock(&ictx->objects);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * VFIO_SET_IOMMU on /dev/iommu: TYPE1 or TYPE1v2 on the compat IOAS (ENODEV
 * without one, as VFIO refuses a container without groups).  TYPE1 turns
 * large pages off so unmaps can cut mappings.
 */
static int compat_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/*
 * The VFIO container ioctls (numbers below IOMMUFD_CMD_BASE in the same
 * ioctl type) on /dev/iommu.  -ENOIOCTLCMD for anything else.
 */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct iommufd_ioas *ioas;
	long rc;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		ioas = compat_ioas_get(ictx);
		rc = iommufd_type1_check_extension(IS_ERR(ioas) ? NULL : ioas,
						   arg);
		if (!IS_ERR(ioas))
			iommufd_put_object(&ioas->obj);
		return rc;
	case VFIO_SET_IOMMU:
		return compat_set_iommu(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
	case VFIO_IOMMU_MAP_DMA:
	case VFIO_IOMMU_UNMAP_DMA:
	case VFIO_IOMMU_DIRTY_PAGES:
		break;
	default:
		return -ENOIOCTLCMD;
	}

	/* Bad arguments are EINVAL even without a compat IOAS (ENODEV). */
	ioas = compat_ioas_get(ictx);
	if (cmd == VFIO_IOMMU_GET_INFO)
		rc = iommufd_type1_get_info(ioas, uarg);
	else if (cmd == VFIO_IOMMU_MAP_DMA)
		rc = iommufd_type1_map(ioas, uarg, ictx->account_mode, false);
	else if (cmd == VFIO_IOMMU_DIRTY_PAGES)
		rc = iommufd_type1_dirty_pages(ioas, uarg, true);
	else
		rc = iommufd_type1_unmap(ioas, uarg, ictx->account_mode, false,
					 false);
	if (!IS_ERR(ioas))
		iommufd_put_object(&ioas->obj);
	return rc;
}
