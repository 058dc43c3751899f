// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: MMIO behind a user address — a device BAR mmapped from
 * vfio-pci (or a PCI resource file), mapped for peer-to-peer DMA.
 *
 * pin_user_pages() refuses VM_PFNMAP and VM_IO ranges: their PFNs have no
 * struct page to pin or charge.  A map whose first page lies in such a vma
 * makes an MMIO pages object instead: nothing is pinned or charged for it,
 * and each domain mapping resolves the PFNs from the owner's page tables
 * (follow_pfnmap_start(), faulting them in when needed) and maps them as
 * MMIO.  Only PFNs that are not ordinary memory are taken: a PFN with a
 * struct page that is not reserved could be freed under the mapping.
 *
 * What keeps such a mapping safe is the vma itself: while it exists, its
 * file (the VFIO device) stays open, so the device cannot be released,
 * unbound or given another BAR.  A pages object watches its range in the
 * owner's address space with an interval notifier, and when the range is
 * unmapped (munmap, mremap) or the address space goes away (exit, exec)
 * the object is revoked: every IOPTE of it is removed from every domain
 * before the vma (and the device's file) can go.  A revoked object maps
 * nothing from then on; its areas keep their IOVA until unmapped.  A zap
 * that leaves the vma (vfio-pci zaps BAR mappings while the device resets
 * or its memory is disabled) revokes nothing: the device stays the same.
 *
 * Where each object is mapped is kept in mmio->maps, one record per
 * (area, domain): the notifier cannot take the table's locks (it runs
 * under the mmap lock, which pinning takes inside them), so it unmaps from
 * the records alone.
 *
 * Locking: mmio->lock protects mmio->maps and mmio->revoked.  It is taken
 * inside everything else (the table's locks, pages->mutex, the owner's
 * mmap lock) and the notifier takes it under the mmap lock; under it only
 * the IOMMU driver's own locks are taken and nothing is allocated (lockdep
 * sees reclaim reach the notifier).  A domain mapping is made with the mmap
 * lock held for reading and a reference on the vma's file (the device) and
 * recorded afterwards; if the object was revoked meanwhile (the mmap lock
 * is dropped only to fault a page in), the mapping is undone at once, and
 * the file reference kept the device in place until then.
 */
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "io_pagetable.h"

/**
 * struct iopt_mmio_map - where an MMIO object is mapped
 * @node: in iopt_mmio::maps
 * @domain: the domain
 * @iova: the area's first IOVA
 * @length: the area's length
 */
struct iopt_mmio_map {
	struct list_head node;
	struct iommu_domain *domain;
	unsigned long iova;
	unsigned long length;
};

static void mmio_unmap_all(struct iopt_mmio *mmio)
{
	struct iopt_mmio_map *map, *next;

	lockdep_assert_held(&mmio->lock);
	list_for_each_entry_safe(map, next, &mmio->maps, node) {
		/* iommu_unmap() syncs the IOTLB before it returns. */
		WARN_ON(iommu_unmap(map->domain, map->iova, map->length) !=
			map->length);
		list_del(&map->node);
		kfree(map);
	}
}

/*
 * The owner's page tables over the object's range are changing.  Only
 * the vma going away (or the whole address space) revokes; a zap that
 * keeps the vma does not (the PFNs stay the device's).
 */
static bool mmio_invalidate(struct mmu_interval_notifier *sub,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	struct iopt_mmio *mmio = container_of(sub, struct iopt_mmio, notifier);

	if (range->event != MMU_NOTIFY_UNMAP &&
	    range->event != MMU_NOTIFY_RELEASE)
		return true;
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&mmio->lock);
	else if (!mutex_trylock(&mmio->lock))
		return false;
	mmu_interval_set_seq(sub, cur_seq);
	if (!mmio->revoked) {
		mmio->revoked = true;
		mmio_unmap_all(mmio);
	}
	mutex_unlock(&mmio->lock);
	return true;
}

static const struct mmu_interval_notifier_ops mmio_notifier_ops = {
	.invalidate = mmio_invalidate,
};

/*
 * Is the user memory at @uptr MMIO?  0 when it is not, 1 when it is, or an
 * errno.  Looked at once, when the map is made; what a later resolve finds
 * is checked again page by page.
 */
int iopt_mmio_probe(unsigned long uptr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int rc;

	if (!mm)
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, untagged_addr(uptr));
	rc = vma && (vma->vm_flags & (VM_IO | VM_PFNMAP));
	mmap_read_unlock(mm);
	return rc;
}

/**
 * iopt_mmio_watch() - make @pages an MMIO object, watching its range
 * @pages: a new pages object of the calling process's memory, not yet
 *         mapped anywhere
 *
 * From now on an unmap of the range, or the end of the address space,
 * revokes the object.  -ENOMEM.
 */
int iopt_mmio_watch(struct iopt_pages *pages)
{
	struct iopt_mmio *mmio;
	int rc;

	mmio = iommufd_should_fail() ? NULL :
	       kzalloc(sizeof(*mmio), GFP_KERNEL_ACCOUNT);
	if (!mmio)
		return -ENOMEM;
	mutex_init(&mmio->lock);
	INIT_LIST_HEAD(&mmio->maps);
	rc = iommufd_should_fail() ? -ENOMEM :
	     mmu_interval_notifier_insert(&mmio->notifier, pages->source_mm,
					  pages->uptr,
					  pages->npages << PAGE_SHIFT,
					  &mmio_notifier_ops);
	if (rc) {
		mutex_destroy(&mmio->lock);
		kfree(mmio);
		return rc;
	}
	pages->mmio = mmio;
	return 0;
}

/* The end of an MMIO object: mapped nowhere any more. */
void iopt_mmio_release(struct iopt_pages *pages)
{
	struct iopt_mmio *mmio = pages->mmio;

	mmu_interval_notifier_remove(&mmio->notifier);
	WARN_ON(!list_empty(&mmio->maps));
	mutex_destroy(&mmio->lock);
	kfree(mmio);
}

/* A PFN that may be mapped without a pin: not ordinary memory. */
static bool mmio_pfn_ok(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/*
 * The PFN behind @addr, faulting it in if needed; the mmap lock is held
 * for reading, and -EAGAIN says it was dropped meanwhile (look the vma up
 * again).  @file is the vma's file this mapping holds: another file there
 * now is -EFAULT.
 */
static int mmio_resolve(struct mm_struct *mm, unsigned long addr, bool write,
			struct file **file, unsigned long *pfn)
{
	struct follow_pfnmap_args args = { .address = addr };
	bool unlocked = false;
	int rc;

	args.vma = vma_lookup(mm, addr);
	if (!args.vma || !(args.vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
	    !args.vma->vm_file)
		return -EFAULT;
	if (!*file)
		*file = get_file(args.vma->vm_file);
	else if (*file != args.vma->vm_file)
		return -EFAULT;
	rc = follow_pfnmap_start(&args);
	if (rc) {
		rc = fixup_user_fault(mm, addr, FAULT_FLAG_REMOTE |
				      (write ? FAULT_FLAG_WRITE : 0),
				      &unlocked);
		if (unlocked)
			return -EAGAIN;
		if (rc)
			return rc;
		rc = follow_pfnmap_start(&args);
		if (rc)
			return rc;
	}
	if (write && !args.writable)
		rc = -EFAULT;
	else if (!mmio_pfn_ok(args.pfn))
		rc = -EFAULT;
	else
		*pfn = args.pfn;
	follow_pfnmap_end(&args);
	return rc;
}

/* One physically contiguous run of an MMIO area into @domain. */
static int mmio_map_run(struct iommu_domain *domain, unsigned long iova,
			phys_addr_t phys, size_t len, int prot)
{
	if (iommufd_should_fail())
		return -ENOMEM;
	return iommu_map(domain, iova, phys, len, prot, GFP_KERNEL_ACCOUNT);
}

/*
 * Map all of @area into @domain from the owner's page tables, a
 * physically contiguous run per iommu_map().  On failure what was mapped
 * here is unmapped again.
 */
static int mmio_map_range(struct iopt_area *area, struct iommu_domain *domain,
			  struct mm_struct *mm, struct file **file)
{
	struct iopt_pages *pages = area->pages;
	bool write = area->iommu_prot & IOMMU_WRITE;
	int prot = area->iommu_prot | IOMMU_MMIO;
	unsigned long iova = iopt_area_iova(area);
	unsigned long left = iopt_area_length(area);
	unsigned long index = area->pages_node.start;
	unsigned long offset = area->page_offset;
	unsigned long run_iova = iova, run_len = 0;
	phys_addr_t run_phys = 0;
	int rc = 0;

	while (left) {
		unsigned long len = min(left, PAGE_SIZE - offset);
		unsigned long addr = pages->uptr + (index << PAGE_SHIFT);
		unsigned long pfn;

		rc = mmio_resolve(mm, addr, write, file, &pfn);
		if (rc == -EAGAIN && fatal_signal_pending(current))
			rc = -EINTR;
		if (rc == -EAGAIN)
			continue;
		if (rc)
			break;
		if (run_len && run_phys + run_len != PFN_PHYS(pfn) + offset) {
			rc = mmio_map_run(domain, run_iova, run_phys, run_len,
					  prot);
			if (rc)
				break;
			run_iova += run_len;
			run_len = 0;
		}
		if (!run_len)
			run_phys = PFN_PHYS(pfn) + offset;
		run_len += len;
		left -= len;
		offset = 0;
		index++;
	}
	if (!rc && run_len)
		rc = mmio_map_run(domain, run_iova, run_phys, run_len, prot);
	if (rc && run_iova > iova)
		iommu_unmap(domain, iova, run_iova - iova);
	return rc;
}

/**
 * iopt_mmio_map_domain() - map an MMIO area into a domain
 * @area: the area, of an MMIO pages object
 * @domain: the domain; the area's IOVA range is unmapped in it
 *
 * A revoked object maps nothing and succeeds: its IOVA stays a hole until
 * the area is unmapped.  -EFAULT when the owner's address space is gone or
 * a page of the range is not MMIO of the same file (or, for a writable
 * mapping, not writable); -ENOMEM.
 */
int iopt_mmio_map_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	struct iopt_pages *pages = area->pages;
	struct iopt_mmio *mmio = pages->mmio;
	struct mm_struct *mm = pages->source_mm;
	struct iopt_mmio_map *map;
	struct file *file = NULL;
	int rc;

	map = iommufd_should_fail() ? NULL :
	      kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->domain = domain;
	map->iova = iopt_area_iova(area);
	map->length = iopt_area_length(area);

	if (READ_ONCE(mmio->revoked)) {
		kfree(map);
		return 0;
	}
	if (!mmget_not_zero(mm)) {
		kfree(map);
		return -EFAULT;
	}
	mmap_read_lock(mm);
	rc = mmio_map_range(area, domain, mm, &file);
	if (!rc) {
		mutex_lock(&mmio->lock);
		if (mmio->revoked) {
			/* Revoked while the mmap lock was dropped. */
			WARN_ON(iommu_unmap(domain, map->iova, map->length) !=
				map->length);
		} else {
			list_add(&map->node, &mmio->maps);
			map = NULL;
		}
		mutex_unlock(&mmio->lock);
	}
	mmap_read_unlock(mm);
	/*
	 * Should the owner have exited meanwhile, its address space is torn
	 * down (revoking this object) by a worker, not under the caller's
	 * locks.
	 */
	mmput_async(mm);
	if (file)
		fput(file);
	kfree(map);
	return rc;
}

/*
 * Undo iopt_mmio_map_domain() of @area in @domain (nothing to do if the
 * object was revoked meanwhile).
 */
void iopt_mmio_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather)
{
	struct iopt_mmio *mmio = area->pages->mmio;
	struct iopt_mmio_map *map;

	mutex_lock(&mmio->lock);
	list_for_each_entry(map, &mmio->maps, node) {
		if (map->domain != domain || map->iova != iopt_area_iova(area))
			continue;
		WARN_ON(iommu_unmap_fast(domain, map->iova, map->length,
					 gather) != map->length);
		list_del(&map->node);
		kfree(map);
		break;
	}
	mutex_unlock(&mmio->lock);
}

/* Has the object been revoked?  For the debugfs snapshot and tests. */
bool iopt_mmio_revoked(struct iopt_pages *pages)
{
	return READ_ONCE(pages->mmio->revoked);
}
