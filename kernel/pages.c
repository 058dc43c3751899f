// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: pages objects — user memory pinned on demand, exactly once.
 *
 * A pages object covers one range of user memory.  Its users say which page
 * indexes they need: each access pin is a node in access_itree (identical
 * ranges share a node with a count), and each area whose table has IOMMU
 * domains puts its range in domains_itree.  The pinned set is exactly the
 * union of the two trees' ranges.  Adding a user pins the holes of that union inside its range;
 * removing one unpins what no remaining user covers.  So a page is pinned
 * once however many users need it, and the PFN store (pages->pfn_chunks)
 * holds each pinned page's PFN for all of them.
 *
 * Pinning goes in batches: one pin_user_pages call and one array for up to
 * iommufd_pin_batch_bytes worth of page pointers, never one per page.  The
 * PFN store has one entry per page, in arrays of 511 (one 4 KiB chunk),
 * so recording, reading and dropping a page is an array access and its
 * xarray is consulted once per chunk; unpinning any sub-range allocates
 * nothing (destroy never fails); physically contiguous runs are found again
 * by walking it, whoever needs them.
 *
 * Locking: what pages->mutex and the ledger's mutex protect is said at
 * struct iopt_pages and in account.c; their order, at the top of
 * iommufd_private.h.
 */
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"
#include "io_pagetable.h"
#include "trace.h"

/*
 * Bytes of page pointers one pin batch may use; IOMMU_TEST_CMD's
 * SET_TEMP_MEMORY_LIMIT lowers it to exercise batch boundaries.
 */
size_t iommufd_pin_batch_bytes = 65536;

/* References on the calling process as an owner, without a ledger. */
void iopt_owner_get_current(struct iopt_owner *owner)
{
	owner->mm = current->mm;
	mmgrab(owner->mm);
	owner->task = current->group_leader;
	get_task_struct(owner->task);
	owner->user = get_uid(current_user());
	owner->ledger = NULL;
}

void iopt_owner_put(struct iopt_owner *owner)
{
	if (owner->ledger)
		iommufd_ledger_put(owner->ledger);
	mmdrop(owner->mm);
	put_task_struct(owner->task);
	free_uid(owner->user);
}

static void pages_swap_owner(struct iopt_pages *pages,
			     struct iopt_owner *owner)
{
	swap(pages->source_mm, owner->mm);
	swap(pages->source_task, owner->task);
	swap(pages->source_user, owner->user);
}

static struct iopt_pages *pages_alloc(unsigned long uptr, unsigned long length,
				      bool writable, enum iopt_account_mode mode,
				      struct file *file)
{
	struct iopt_owner owner;
	struct iopt_pages *pages;
	unsigned long end;
	int rc;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(uptr, length, &end))
		return ERR_PTR(-EOVERFLOW);

	pages = iommufd_should_fail() ? NULL : kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	xa_init_flags(&pages->pfn_chunks, XA_FLAGS_ACCOUNT);
	pages->access_itree = RB_ROOT_CACHED;
	pages->domains_itree = RB_ROOT_CACHED;
	pages->uptr = ALIGN_DOWN(uptr, PAGE_SIZE);
	pages->npages = DIV_ROUND_UP(end - pages->uptr, PAGE_SIZE);
	pages->writable = writable;
	if (file)
		pages->file = get_file(file);
	iopt_owner_get_current(&owner);
	pages_swap_owner(pages, &owner);
	pages->account_mode = mode;

	if (pages->account_mode != IOPT_PAGES_ACCOUNT_NONE) {
		rc = iommufd_ledger_join(pages);
		if (rc) {
			iopt_put_pages(pages);
			return ERR_PTR(rc);
		}
	}
	return pages;
}

/**
 * iopt_alloc_pages() - user memory at @uptr, for IOMMU_IOAS_MAP and the
 *			VFIO map
 * @uptr: user address
 * @length: bytes
 * @writable: DMA may write
 * @mode: how pins are charged
 *
 * When @uptr is in a VM_PFNMAP or VM_IO vma (a device BAR), the object is
 * MMIO (mmio.c): pinned never, charged never.
 */
struct iopt_pages *iopt_alloc_pages(unsigned long uptr, unsigned long length,
				    bool writable, enum iopt_account_mode mode)
{
	struct iopt_pages *pages;
	int rc;

	rc = iopt_mmio_probe(uptr);
	if (rc <= 0)
		return rc ? ERR_PTR(rc) :
			    pages_alloc(uptr, length, writable, mode, NULL);
	pages = pages_alloc(uptr, length, writable, IOPT_PAGES_ACCOUNT_NONE,
			    NULL);
	if (IS_ERR(pages))
		return pages;
	rc = iopt_mmio_watch(pages);
	if (rc) {
		iopt_put_pages(pages);
		return ERR_PTR(rc);
	}
	return pages;
}

/**
 * iopt_alloc_file_pages() - memory of a memfd, for IOMMU_IOAS_MAP_FILE
 * @file: the memfd, checked by the caller (shmem or hugetlbfs)
 * @start: byte offset in @file
 * @length: bytes
 * @writable: DMA may write
 * @mode: how pins are charged
 *
 * The page-aligned offset takes the place of the user address: it keys
 * the ledger (a page is still charged once per party however it is
 * mapped, since the ledger matches on the PFN too) and names the memory in
 * trace events.
 */
struct iopt_pages *iopt_alloc_file_pages(struct file *file, unsigned long start,
					 unsigned long length, bool writable,
					 enum iopt_account_mode mode)
{
	return pages_alloc(start, length, writable, mode, file);
}

void iopt_release_pages(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);

	WARN_ON(!RB_EMPTY_ROOT(&pages->access_itree.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&pages->domains_itree.rb_root));
	WARN_ON(pages->npinned);
	WARN_ON(!xa_empty(&pages->pfn_chunks));
	if (pages->ledger)
		iommufd_ledger_leave(pages);
	if (pages->mmio)
		iopt_mmio_release(pages);
	xa_destroy(&pages->pfn_chunks);
	if (pages->file)
		fput(pages->file);
	mmdrop(pages->source_mm);
	put_task_struct(pages->source_task);
	free_uid(pages->source_user);
	mutex_destroy(&pages->mutex);
	kfree(pages);
}

/**
 * iopt_pages_change_owner() - give memory of a file to another owner
 * @pages: the memory (with a file)
 * @to: the new owner's references, and for charged memory a membership of
 *      the ledger it is charged to (iommufd_ledger_hold()); on success it
 *      holds the previous owner's, for iopt_owner_put() (or to change back)
 * @uptr: where the memory is in the new owner (page aligned): the user
 *        address, or for a file the same offset
 * @ioas_id: an IOAS the memory is mapped in, for the log and the policies
 * @force: charge whatever the limit or the policies say: to change back
 *
 * What is pinned stays pinned, charged to the new owner (each page once
 * per party, as ever) and released from the previous one; what is pinned
 * later comes from @uptr in the new owner.  Fails as a pin would when the
 * new owner's limit or a charge policy refuses, and then nothing has
 * changed.
 */
int iopt_pages_change_owner(struct iopt_pages *pages, struct iopt_owner *to,
			    unsigned long uptr, u32 ioas_id, bool force)
{
	struct iommufd_ledger *from = pages->ledger;
	unsigned long old_uptr = pages->uptr;
	int rc = 0;

	mutex_lock(&pages->mutex);
	if (from)
		iommufd_ledger_move_out(pages);
	pages_swap_owner(pages, to);
	pages->uptr = uptr;
	if (from) {
		rc = iommufd_ledger_move_in(pages, to->ledger, ioas_id, force);
		if (rc) {
			pages_swap_owner(pages, to);
			pages->uptr = old_uptr;
			/* Charged as it was a moment ago: cannot fail. */
			WARN_ON(iommufd_ledger_move_in(pages, from, ioas_id,
						       true));
		} else {
			to->ledger = from;
		}
	}
	mutex_unlock(&pages->mutex);
	return rc;
}

/* The owner's thread group leader, with a reference. */
struct task_struct *iopt_pages_get_owner_task(struct iopt_pages *pages)
{
	struct task_struct *task;

	mutex_lock(&pages->mutex);
	task = get_task_struct(pages->source_task);
	mutex_unlock(&pages->mutex);
	return task;
}

/*
 * Free chunk @ci, whose entries are all gone.  With a ledger its mutex is
 * held: other members' walks read this object's chunks.
 */
static void pfn_chunk_free(struct iopt_pages *pages, unsigned long ci,
			   struct iopt_pfn_chunk *chunk)
{
	xa_erase(&pages->pfn_chunks, ci);
	kfree(chunk);
	atomic_long_dec(&iommufd_stats.pfn_chunks);
}

/* Free the chunks numbered [first, last] that no entry uses any more. */
static void pfn_chunks_trim(struct iopt_pages *pages, unsigned long first,
			    unsigned long last)
{
	struct iopt_pfn_chunk *chunk;
	unsigned long ci = first;

	xa_for_each_range(&pages->pfn_chunks, ci, chunk, first, last)
		if (!chunk->npresent)
			pfn_chunk_free(pages, ci, chunk);
}

/*
 * Give every index of [start, last] a chunk; pages->mutex is held.  On
 * failure the chunks added here are freed again.
 */
static int pfn_chunks_prepare(struct iopt_pages *pages, unsigned long start,
			      unsigned long last)
{
	unsigned long first = start / IOPT_PFN_CHUNK;
	unsigned long ci, end = last / IOPT_PFN_CHUNK;
	struct iopt_pfn_chunk *chunk;
	int rc = 0;

	BUILD_BUG_ON(struct_size(chunk, entries, IOPT_PFN_CHUNK) != 4096);
	for (ci = first; ci <= end; ci++) {
		unsigned long cap = min(IOPT_PFN_CHUNK,
					pages->npages - ci * IOPT_PFN_CHUNK);

		if (xa_load(&pages->pfn_chunks, ci))
			continue;
		chunk = iommufd_inject_chunk_fail() || iommufd_should_fail() ? NULL :
			kzalloc(struct_size(chunk, entries, cap),
				GFP_KERNEL_ACCOUNT);
		if (!chunk) {
			rc = -ENOMEM;
			break;
		}
		rc = iommufd_should_fail() ? -ENOMEM :
		     xa_insert(&pages->pfn_chunks, ci, chunk,
			       GFP_KERNEL_ACCOUNT);
		if (rc) {
			kfree(chunk);
			break;
		}
		atomic_long_inc(&iommufd_stats.pfn_chunks);
	}
	if (rc && ci > first) {
		if (pages->ledger)
			iommufd_ledger_lock(pages);
		pfn_chunks_trim(pages, first, ci - 1);
		if (pages->ledger)
			iommufd_ledger_unlock(pages);
	}
	return rc;
}

/*
 * Record @n freshly pinned pages from @index on: store their PFNs and charge
 * those whose charge no other member of the ledger carries (*ncharged more;
 * *charged becomes the party's total).  On failure nothing is recorded and
 * the caller unpins them.
 */
static int pages_store(struct iopt_pages *pages, unsigned long index,
		       struct page **upages, unsigned long n, u32 ioas_id,
		       unsigned long *ncharged, unsigned long *charged)
{
	unsigned long last = index + n - 1, i = 0, charge = 0;
	struct iopt_pfn_chunk *chunk;
	bool shared = false;
	int rc;

	rc = pfn_chunks_prepare(pages, index, last);
	if (rc)
		return rc;
	if (pages->ledger) {
		iommufd_ledger_lock(pages);
		shared = iommufd_ledger_shared(pages, index, last);
	}
	while (i < n) {
		unsigned long slot = (index + i) % IOPT_PFN_CHUNK;
		unsigned long stop = min(n, i + IOPT_PFN_CHUNK - slot);

		chunk = xa_load(&pages->pfn_chunks,
				(index + i) / IOPT_PFN_CHUNK);
		chunk->npresent += stop - i;
		for (; i < stop; i++, slot++) {
			unsigned long pfn = page_to_pfn(upages[i]);
			bool charged = false;

			if (pages->ledger)
				charged = !shared ||
					  !iommufd_ledger_carried(pages,
								  index + i,
								  pfn);
			WRITE_ONCE(chunk->entries[slot],
				   iopt_pfn_entry(pfn, charged));
			charge += charged;
		}
	}
	if (pages->ledger)
		rc = iommufd_ledger_charge(pages, ioas_id,
					   pages->uptr + (index << PAGE_SHIFT),
					   charge);
	if (rc) {
		for (i = 0; i < n; i++) {
			chunk = xa_load(&pages->pfn_chunks,
					(index + i) / IOPT_PFN_CHUNK);
			WRITE_ONCE(chunk->entries[(index + i) % IOPT_PFN_CHUNK],
				   0);
			chunk->npresent--;
		}
		pfn_chunks_trim(pages, index / IOPT_PFN_CHUNK,
				last / IOPT_PFN_CHUNK);
	} else {
		pages->npinned += n;
		atomic_long_add(n, &iommufd_stats.pinned_pages);
		*ncharged += charge;
	}
	if (pages->ledger) {
		*charged = iommufd_ledger_charged(pages);
		iommufd_ledger_unlock(pages);
	}
	return rc;
}

/* Byte offset in the memfd of page index @index. */
static loff_t pages_file_pos(struct iopt_pages *pages, unsigned long index)
{
	return pages->uptr + ((loff_t)index << PAGE_SHIFT);
}

/*
 * Pin the folios of @n pages of the memfd from page index @index, at most
 * @max of them; *@offset is the byte offset of the first page in the first
 * folio.  Returns how many folios, or an errno.
 */
static long pages_file_pin(struct iopt_pages *pages, unsigned long index,
			   unsigned long n, struct folio **folios,
			   unsigned int max, pgoff_t *offset)
{
	loff_t pos = pages_file_pos(pages, index);

	if (iommufd_should_fail())
		return -ENOMEM;
	return memfd_pin_folios(pages->file, pos,
				pos + ((loff_t)n << PAGE_SHIFT) - 1, folios,
				max, offset);
}

/*
 * Undo a pages_pin_file() batch from page @from on, where only each
 * folio's first page in the batch holds a pin yet.
 */
static void pages_file_unpin_rest(struct page **upages, unsigned long from,
				  unsigned long total)
{
	unsigned long i;

	for (i = from; i < total; i++)
		if (!i || page_folio(upages[i]) != page_folio(upages[i - 1]))
			unpin_folio(page_folio(upages[i]));
}

/*
 * Pin @n pages of the memfd from page index @index into @upages; returns
 * how many.  memfd_pin_folios() pins each folio once however many of its
 * pages the range covers (it fills @upages with folios first, at most one
 * per page, which are spread into pages in place from the end).  The store
 * unpins page by page, so each further page of a large folio (hugetlbfs,
 * shmem THP) gets a pin of its own, taken the same way.  Pins all @n pages
 * or none.
 */
static long pages_pin_file(struct iopt_pages *pages, unsigned long index,
			   unsigned long n, struct page **upages)
{
	struct folio **folios = (struct folio **)upages;
	unsigned long first, total = 0, last_k = 0, at, i;
	pgoff_t offset;
	long nfolios;

	BUILD_BUG_ON(sizeof(*folios) != sizeof(*upages));
	nfolios = pages_file_pin(pages, index, n, folios, n, &offset);
	if (nfolios <= 0)
		return nfolios ? nfolios : -EFAULT;

	first = offset >> PAGE_SHIFT;
	for (i = 0; i < nfolios; i++) {
		last_k = min(folio_nr_pages(folios[i]) - (i ? 0 : first),
			     n - total);
		total += last_k;
	}
	/* Spread from the end: folio i lands at or after index i. */
	at = total;
	for (i = nfolios; i-- > 0;) {
		struct folio *folio = folios[i];
		unsigned long skip = i ? 0 : first;
		unsigned long k = i == nfolios - 1 ? last_k :
				  folio_nr_pages(folio) - skip;

		at -= k;
		while (k--)
			upages[at + k] = folio_page(folio, skip + k);
	}

	for (i = 1; i < total; i++) {
		struct folio *again;
		long got;

		if (page_folio(upages[i]) != page_folio(upages[i - 1]))
			continue;
		got = pages_file_pin(pages, index + i, 1, &again, 1, &offset);
		if (got != 1) {
			/* All or nothing: a retry would only fail again. */
			unpin_user_pages(upages, i);
			pages_file_unpin_rest(upages, i, total);
			return got < 0 ? got : -EFAULT;
		}
		/* The file's page now, even if it changed meanwhile. */
		upages[i] = folio_page(again, offset >> PAGE_SHIFT);
	}
	return total;
}

/*
 * Pin @n pages from page index @index into @upages; returns how many.
 */
static long pages_pin(struct iopt_pages *pages, unsigned long index,
		      unsigned long n, struct page **upages)
{
	unsigned int gup_flags = FOLL_LONGTERM | (pages->writable ? FOLL_WRITE : 0);
	unsigned long uaddr = pages->uptr + (index << PAGE_SHIFT);
	int locked = 1;
	long rc;

	if (pages->file)
		return pages_pin_file(pages, index, n, upages);
	if (iommufd_should_fail())
		return -ENOMEM;
	if (current->mm == pages->source_mm)
		return pin_user_pages_fast(uaddr, n, gup_flags, upages);

	/* Asked from another process: the owner must still be alive. */
	if (!mmget_not_zero(pages->source_mm))
		return -EFAULT;
	mmap_read_lock(pages->source_mm);
	rc = pin_user_pages_remote(pages->source_mm, uaddr, n, gup_flags,
				   upages, &locked);
	if (locked)
		mmap_read_unlock(pages->source_mm);
	mmput(pages->source_mm);
	return rc;
}

static unsigned long pages_batch_max(void)
{
	return max_t(size_t, 1, READ_ONCE(iommufd_pin_batch_bytes) /
				sizeof(struct page *));
}

static void pages_unpin_range(struct iopt_pages *pages, unsigned long start,
			      unsigned long last, struct io_pagetable *iopt);

/*
 * Pin the page indexes [start, last], none of which is pinned yet, through
 * the IOAS @iopt (counted in its context's activity, named in the event).
 */
static int pages_pin_range(struct iopt_pages *pages, unsigned long start,
			   unsigned long last, struct io_pagetable *iopt)
{
	unsigned long batch = min(last - start + 1, pages_batch_max());
	unsigned long ncharged = 0, charged = 0;
	unsigned long index = start;
	struct page **upages;
	long got;
	int rc = 0;

	upages = iommufd_should_fail() ? NULL :
		 kvmalloc_array(batch, sizeof(*upages), GFP_KERNEL_ACCOUNT);
	if (!upages)
		return -ENOMEM;
	while (index <= last) {
		unsigned long want = min(last - index + 1, batch);

		got = pages_pin(pages, index, want, upages);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			break;
		}
		rc = pages_store(pages, index, upages, got, iopt->id, &ncharged,
				 &charged);
		if (rc) {
			unpin_user_pages(upages, got);
			break;
		}
		index += got;
	}
	kvfree(upages);
	/*
	 * What got pinned is reported, failure or not: the unwind's unpin
	 * event then has its pin, and every pin event one unpin over the
	 * life of the pages.
	 */
	if (index > start) {
		this_cpu_add(iopt->activity->pinned, index - start);
		trace_pin(iopt->id, pages->uptr + (start << PAGE_SHIFT),
			  index - start, ncharged, charged);
	}
	if (rc && index > start)
		pages_unpin_range(pages, start, index - 1, iopt);
	return rc;
}

/*
 * Unpin the page indexes [start, last], all pinned.  Charges pass to other
 * members that pin the same pages, or are released.  Allocates nothing.
 */
static void pages_unpin_range(struct iopt_pages *pages, unsigned long start,
			      unsigned long last, struct io_pagetable *iopt)
{
	unsigned long uncharge = 0, charged = 0, found = 0, index = start;
	struct page *batch[64];
	unsigned int n = 0;
	bool shared = false;

	if (pages->ledger) {
		iommufd_ledger_lock(pages);
		shared = iommufd_ledger_shared(pages, start, last);
	}
	while (index <= last) {
		unsigned long ci = index / IOPT_PFN_CHUNK;
		unsigned long slot = index % IOPT_PFN_CHUNK;
		unsigned long stop = min(last, index + IOPT_PFN_CHUNK - slot - 1);
		struct iopt_pfn_chunk *chunk;

		chunk = xa_load(&pages->pfn_chunks, ci);
		if (WARN_ON(!chunk)) {
			index = stop + 1;
			continue;
		}
		for (; index <= stop; index++, slot++) {
			unsigned long entry = chunk->entries[slot];
			unsigned long pfn = iopt_pfn_entry_pfn(entry);
			bool release = iopt_pfn_entry_charged(entry);

			if (WARN_ON(!entry))
				continue;
			WRITE_ONCE(chunk->entries[slot], 0);
			chunk->npresent--;
			found++;
			if (release && shared)
				release = !iommufd_ledger_pass_on(pages, index,
								  pfn);
			uncharge += release;
			batch[n++] = pfn_to_page(pfn);
			if (n == ARRAY_SIZE(batch)) {
				unpin_user_pages_dirty_lock(batch, n,
							    pages->writable);
				n = 0;
			}
		}
		if (!chunk->npresent)
			pfn_chunk_free(pages, ci, chunk);
	}
	if (n)
		unpin_user_pages_dirty_lock(batch, n, pages->writable);
	WARN_ON(found != last - start + 1);
	pages->npinned -= found;
	atomic_long_sub(found, &iommufd_stats.pinned_pages);
	if (pages->ledger) {
		iommufd_ledger_uncharge(pages, uncharge);
		charged = iommufd_ledger_charged(pages);
		iommufd_ledger_unlock(pages);
	}
	this_cpu_add(iopt->activity->unpinned, last - start + 1);
	trace_unpin(iopt->id, pages->uptr + (start << PAGE_SHIFT),
		    last - start + 1, uncharge, charged);
}

/* Pin whatever of [start, last] no user covers yet. */
static int pages_fill(struct iopt_pages *pages, unsigned long start,
		      unsigned long last, struct io_pagetable *iopt)
{
	unsigned long hole = start, hole_last, undo = start, undo_last;
	int rc;

	lockdep_assert_held(&pages->mutex);
	while (hole <= last &&
	       iopt_itree2_find_hole(&pages->access_itree,
				     &pages->domains_itree, &hole, last,
				     &hole_last)) {
		rc = pages_pin_range(pages, hole, hole_last, iopt);
		if (rc)
			goto err_undo;
		if (hole_last == last)
			break;
		hole = hole_last + 1;
	}
	return 0;

err_undo:
	/* Unpin the holes pinned before the one that failed. */
	while (undo < hole &&
	       iopt_itree2_find_hole(&pages->access_itree,
				     &pages->domains_itree, &undo, hole - 1,
				     &undo_last)) {
		pages_unpin_range(pages, undo, undo_last, iopt);
		if (undo_last == hole - 1)
			break;
		undo = undo_last + 1;
	}
	return rc;
}

/* Unpin whatever of [start, last] no remaining user covers. */
static void pages_unfill(struct iopt_pages *pages, unsigned long start,
			 unsigned long last, struct io_pagetable *iopt)
{
	unsigned long hole = start, hole_last;

	lockdep_assert_held(&pages->mutex);
	while (hole <= last &&
	       iopt_itree2_find_hole(&pages->access_itree,
				     &pages->domains_itree, &hole, last,
				     &hole_last)) {
		pages_unpin_range(pages, hole, hole_last, iopt);
		if (hole_last == last)
			break;
		hole = hole_last + 1;
	}
}

static struct iopt_pages_access *pages_find_access(struct iopt_pages *pages,
						   unsigned long start,
						   unsigned long last)
{
	struct interval_tree_node *node;

	for (node = interval_tree_iter_first(&pages->access_itree, start, last);
	     node; node = interval_tree_iter_next(node, start, last))
		if (node->start == start && node->last == last)
			return container_of(node, struct iopt_pages_access,
					    node);
	return NULL;
}

/**
 * iopt_pages_add_access() - pin page indexes for an access
 * @pages: the memory
 * @start_index: first page index
 * @last_index: last page index
 * @out_pages: receives the struct page of each index, or NULL
 * @flags: IOMMUFD_ACCESS_RW_WRITE when the access will write
 * @iopt: the IOAS the access pins through, for its counts and trace event
 */
int iopt_pages_add_access(struct iopt_pages *pages, unsigned long start_index,
			  unsigned long last_index, struct page **out_pages,
			  unsigned int flags, struct io_pagetable *iopt)
{
	struct iopt_pages_access *access;
	unsigned long index;
	int rc;

	if ((flags & IOMMUFD_ACCESS_RW_WRITE) && !pages->writable)
		return -EPERM;
	/* No struct page to hand out (vfio_iommu_type1 says the same). */
	if (pages->mmio)
		return -EINVAL;

	mutex_lock(&pages->mutex);
	access = pages_find_access(pages, start_index, last_index);
	if (access) {
		access->users++;
		goto out_pages;
	}
	access = iommufd_should_fail() ? NULL :
		 kzalloc(sizeof(*access), GFP_KERNEL_ACCOUNT);
	if (!access) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	rc = pages_fill(pages, start_index, last_index, iopt);
	if (rc) {
		kfree(access);
		goto err_unlock;
	}
	access->node.start = start_index;
	access->node.last = last_index;
	access->users = 1;
	interval_tree_insert(&access->node, &pages->access_itree);
out_pages:
	for (index = start_index; out_pages && index <= last_index; index++)
		*out_pages++ = pfn_to_page(iopt_pfn_entry_pfn(*iopt_pfn_slot(pages,
									    index)));
	mutex_unlock(&pages->mutex);
	return 0;

err_unlock:
	mutex_unlock(&pages->mutex);
	return rc;
}

/* Undo one iopt_pages_add_access() of exactly [start_index, last_index]. */
void iopt_pages_remove_access(struct iopt_pages *pages,
			      unsigned long start_index,
			      unsigned long last_index, struct io_pagetable *iopt)
{
	struct iopt_pages_access *access;

	mutex_lock(&pages->mutex);
	access = pages_find_access(pages, start_index, last_index);
	if (WARN_ON(!access))
		goto out_unlock;
	if (--access->users)
		goto out_unlock;
	interval_tree_remove(&access->node, &pages->access_itree);
	kfree(access);
	pages_unfill(pages, start_index, last_index, iopt);
out_unlock:
	mutex_unlock(&pages->mutex);
}

/* Copy between @data and one page, pinned already or borrowed for this. */
static int pages_rw_page(struct iopt_pages *pages, unsigned long index,
			 unsigned int offset, void *data, unsigned int len,
			 bool write)
{
	struct folio *borrowed = NULL;
	struct page *page = NULL;
	unsigned long *slot;
	int locked = 1;
	long rc;
	void *va;

	mutex_lock(&pages->mutex);
	slot = iopt_pfn_slot(pages, index);
	if (slot && *slot) {
		page = pfn_to_page(iopt_pfn_entry_pfn(*slot));
		get_page(page);
	}
	mutex_unlock(&pages->mutex);

	if (!page && pages->file) {
		pgoff_t in_folio;

		rc = pages_file_pin(pages, index, 1, &borrowed, 1, &in_folio);
		if (rc != 1)
			return rc < 0 ? rc : -EFAULT;
		page = folio_page(borrowed, in_folio >> PAGE_SHIFT);
	} else if (!page) {
		if (!mmget_not_zero(pages->source_mm))
			return -EFAULT;
		mmap_read_lock(pages->source_mm);
		rc = get_user_pages_remote(pages->source_mm,
					   pages->uptr + (index << PAGE_SHIFT),
					   1, write ? FOLL_WRITE : 0, &page,
					   &locked);
		if (locked)
			mmap_read_unlock(pages->source_mm);
		mmput(pages->source_mm);
		if (rc != 1)
			return rc < 0 ? rc : -EFAULT;
	}

	va = kmap_local_page(page);
	if (write)
		memcpy(va + offset, data, len);
	else
		memcpy(data, va + offset, len);
	kunmap_local(va);
	if (write)
		set_page_dirty_lock(page);
	if (borrowed)
		unpin_folio(borrowed);
	else
		put_page(page);
	return 0;
}

/**
 * iopt_pages_rw() - copy between a kernel buffer and the memory
 * @pages: the memory
 * @start_byte: offset into the pages object
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_WRITE to write to the memory;
 *         IOMMUFD_ACCESS_RW_SLOW_PATH to go page by page even when the
 *         caller is the owning process (tests use it)
 *
 * The owning process copies through its own address space; anyone else,
 * and anyone for memory of a memfd, goes page by page, through the pinned
 * page where there is one.
 */
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, unsigned int flags)
{
	bool write = flags & IOMMUFD_ACCESS_RW_WRITE;
	unsigned long uaddr = pages->uptr + start_byte;
	int rc;

	if (write && !pages->writable)
		return -EPERM;
	if (pages->mmio)
		return -EINVAL;

	if (!(flags & IOMMUFD_ACCESS_RW_SLOW_PATH) && !pages->file &&
	    current->mm == pages->source_mm) {
		if (write)
			rc = copy_to_user((void __user *)uaddr, data, length);
		else
			rc = copy_from_user(data, (void __user *)uaddr, length);
		return rc ? -EFAULT : 0;
	}

	while (length) {
		unsigned int offset = start_byte % PAGE_SIZE;
		unsigned int len = min_t(unsigned long, length,
					 PAGE_SIZE - offset);

		rc = pages_rw_page(pages, start_byte >> PAGE_SHIFT, offset,
				   data, len, write);
		if (rc)
			return rc;
		data += len;
		start_byte += len;
		length -= len;
	}
	return 0;
}

/* Pinned pages among the indexes [start, last], by anyone. */
unsigned long iopt_pages_count_pinned(struct iopt_pages *pages,
				      unsigned long start, unsigned long last)
{
	unsigned long ci = start / IOPT_PFN_CHUNK, n = 0;
	struct iopt_pfn_chunk *chunk;

	mutex_lock(&pages->mutex);
	xa_for_each_range(&pages->pfn_chunks, ci, chunk, ci,
			  last / IOPT_PFN_CHUNK) {
		unsigned long first = ci * IOPT_PFN_CHUNK;
		unsigned long slot = max(start, first) - first;
		unsigned long end = min(last, first + IOPT_PFN_CHUNK - 1) - first;

		if (slot == 0 && end == IOPT_PFN_CHUNK - 1) {
			n += chunk->npresent;
			continue;
		}
		for (; slot <= end; slot++)
			n += !!chunk->entries[slot];
	}
	mutex_unlock(&pages->mutex);
	return n;
}

/**
 * iopt_area_pin() - pin an area's memory for its table's domains
 * @area: an area with pages, whose table has (or is getting) domains
 *
 * Pins what no other user has pinned already and records the area's range in
 * pages->domains_itree, so it stays pinned until iopt_area_unpin().  MMIO
 * is never pinned.
 */
int iopt_area_pin(struct iopt_area *area)
{
	struct iopt_pages *pages = area->pages;
	int rc;

	if (pages->mmio)
		return 0;
	mutex_lock(&pages->mutex);
	rc = pages_fill(pages, area->pages_node.start, area->pages_node.last,
			area->iopt);
	if (!rc)
		interval_tree_insert(&area->pages_node, &pages->domains_itree);
	mutex_unlock(&pages->mutex);
	return rc;
}

/* Undo iopt_area_pin(); the domains must no longer map the area. */
void iopt_area_unpin(struct iopt_area *area)
{
	struct iopt_pages *pages = area->pages;

	if (pages->mmio)
		return;
	mutex_lock(&pages->mutex);
	interval_tree_remove(&area->pages_node, &pages->domains_itree);
	pages_unfill(pages, area->pages_node.start, area->pages_node.last,
		     area->iopt);
	mutex_unlock(&pages->mutex);
}

/* Pages mapped between two chances for the scheduler to run another task. */
#define MAP_RESCHED_PAGES 4096

/**
 * map_run() - map one physically contiguous run into @domain
 * @domain: a paging domain
 * @iova: where the run goes
 * @paddr: its physical address
 * @len: its length (the first run may start at the area's page offset,
 *       the last may end short of a page)
 * @prot: IOMMU_READ and friends
 * @mapped: out, what is mapped of the run, also on failure
 *
 * Straight to the driver's map_pages() with the largest page size of the
 * domain that the alignment of @iova and @paddr and the length allow, as
 * many at a time as fit before a larger size becomes possible; the IOTLB is
 * not synced (the caller syncs the whole area once).  This is what
 * iommu_map() does for one run, without its per-call checks, trace event
 * and IOTLB sync, and without a scatterlist to build and walk.
 */
static int map_run(struct iommu_domain *domain, unsigned long iova,
		   phys_addr_t paddr, size_t len, int prot, size_t *mapped)
{
	const struct iommu_domain_ops *ops = domain->ops;
	unsigned long bitmap = domain->pgsize_bitmap;

	*mapped = 0;
	while (len) {
		unsigned long align = iova | paddr;
		unsigned long sizes = bitmap & GENMASK(__fls(len), 0);
		unsigned long bigger;
		size_t pgsize, count, done = 0;
		unsigned int shift;
		int rc;

		if (align)
			sizes &= GENMASK(__ffs(align), 0);
		if (WARN_ON_ONCE(!sizes))
			return -EINVAL;
		shift = __fls(sizes);
		pgsize = 1UL << shift;
		count = len >> shift;
		/*
		 * Stop where a larger page size would start to fit: at the
		 * next boundary of one, if @iova and @paddr reach it together.
		 */
		bigger = bitmap & ~GENMASK(shift, 0);
		if (bigger) {
			unsigned long next = 1UL << __ffs(bigger);

			if (!((iova ^ paddr) & (next - 1)))
				count = min_t(size_t, count,
					      (ALIGN(iova + 1, next) - iova) >>
						      shift);
		}
		rc = iommufd_should_fail() ? -ENOMEM :
		     ops->map_pages(domain, iova, paddr, pgsize, count, prot,
				    GFP_KERNEL_ACCOUNT, &done);
		*mapped += done;
		if (rc)
			return rc;
		/*
		 * A driver may map less than asked (io-pgtable stops at the
		 * end of a table): go on from there, as the core does.
		 */
		if (WARN_ON_ONCE(!done))
			return -EIO;
		iova += done;
		paddr += done;
		len -= done;
	}
	return 0;
}

/**
 * iopt_area_map_domain() - map a pinned area into a domain
 * @area: the area, pinned by iopt_area_pin()
 * @domain: the domain; the area's IOVA range is unmapped in it
 *
 * Each physically contiguous run of the area's pages goes to the driver in
 * one map_run(), and the IOTLB is synced once for the whole area (a
 * caching-mode IOMMU, as VMs have, flushes on every sync).  With large
 * pages off, each page is a run of its own, so that the area can later be
 * cut at any page.  The PFNs are read without pages->mutex: the area's own
 * node in domains_itree keeps every index it covers in the store, and
 * re-marking an entry's charge keeps its PFN.  On failure nothing of the
 * area is left mapped in @domain.
 */
int iopt_area_map_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	int prot = area->iommu_prot | IOMMU_CACHE;
	bool runs = !READ_ONCE(area->iopt->disable_large_pages);
	unsigned long area_iova = iopt_area_iova(area);
	unsigned long left = iopt_area_length(area);
	unsigned long index = area->pages_node.start;
	unsigned long offset = area->page_offset;
	struct iopt_pfn_chunk *pfns = NULL;
	size_t total = 0, mapped;
	unsigned long batch = 0;
	int rc;

	if (area->pages->mmio)
		return iopt_mmio_map_domain(area, domain);
	while (left) {
		phys_addr_t paddr = 0;
		size_t len = 0;

		/* One run: pages whose PFNs follow each other. */
		do {
			unsigned long slot = index % IOPT_PFN_CHUNK;
			size_t plen = min_t(size_t, left, PAGE_SIZE - offset);
			unsigned long entry;
			phys_addr_t pa;

			if (!pfns || !slot)
				pfns = xa_load(&area->pages->pfn_chunks,
					       index / IOPT_PFN_CHUNK);
			entry = pfns ? READ_ONCE(pfns->entries[slot]) : 0;
			if (WARN_ON(!entry)) {
				rc = -EFAULT;
				goto err_unmap;
			}
			pa = PFN_PHYS(iopt_pfn_entry_pfn(entry)) + offset;
			if (len && pa != paddr + len)
				break;
			if (!len)
				paddr = pa;
			len += plen;
			left -= plen;
			offset = 0;
			index++;
			batch++;
		} while (left && runs);
		rc = map_run(domain, area_iova + total, paddr, len, prot,
			     &mapped);
		total += mapped;
		if (rc)
			goto err_unmap;
		if (batch >= MAP_RESCHED_PAGES) {
			batch = 0;
			cond_resched();
		}
	}
	if (domain->ops->iotlb_sync_map) {
		rc = domain->ops->iotlb_sync_map(domain, area_iova, total);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	/* Exactly what map_run() reported mapped, nothing else. */
	if (total)
		iommu_unmap(domain, area_iova, total);
	return rc;
}

/*
 * Unmap the whole area from @domain, adding the range to @gather; the caller
 * syncs the IOTLB before the memory is unpinned.
 */
void iopt_area_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather)
{
	size_t unmapped;

	if (area->pages->mmio) {
		iopt_mmio_unmap_domain(area, domain, gather);
		return;
	}
	unmapped = iommu_unmap_fast(domain, iopt_area_iova(area),
				    iopt_area_length(area), gather);
	WARN_ON(unmapped != iopt_area_length(area));
}
