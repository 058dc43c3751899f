/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: the I/O page table of an IOAS, and the user memory behind it.
 *
 * An io_pagetable maps IOVA ranges (areas) to slices of user memory (pages
 * objects).  A pages object describes one range of user virtual address space
 * as it was handed to IOMMU_IOAS_MAP; IOMMU_IOAS_COPY makes new areas that
 * share an existing pages object, so memory mapped into several IOAS is
 * pinned once.
 *
 * Pinning is lazy: with no IOMMU domain attached, IOMMU_IOAS_MAP pins
 * nothing.  A page is pinned while something needs its PFN — an access that
 * pinned it, or the IOAS's domains, which map every area — and exactly once
 * however many users it has.  Every user registers the page-index range it
 * needs in one of the pages object's interval trees; the pinned set is the
 * union of those ranges, and the PFNs are kept in the pages object's own
 * store.  See pages.c.
 *
 * Domains: every IOMMU domain attached to the IOAS (through its HW page
 * tables) maps every area, from the same pinned pages.  A domain added later
 * is filled from the existing areas; a new area is mapped into every domain
 * before it becomes visible; a failure part-way through either is unwound
 * completely.  Unmap removes the areas from every domain first, gathering
 * the IOTLB invalidation, syncs each domain's IOTLB once, and only then
 * unpins the memory.
 *
 * Lock order: see the top of iommufd_private.h.
 *
 * Conventions: "last" is always an inclusive end; IOVA, user address and page
 * index ranges never wrap.
 */
#ifndef IOMMUFD_BPF_IO_PAGETABLE_H
#define IOMMUFD_BPF_IO_PAGETABLE_H

#include <linux/capability.h>
#include <linux/interval_tree.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>

struct iommufd_access;
struct iommufd_ledger;

/* Map latencies are counted in buckets of [2^i, 2^(i+1)) nanoseconds. */
#define IOMMUFD_ACTIVITY_BUCKETS 32

/**
 * struct iommufd_activity - what one context did, counted per CPU
 * @maps: IOAS maps (IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE, VFIO_IOMMU_MAP_DMA)
 * @unmaps: unmaps that unmapped something
 * @map_bytes: bytes mapped
 * @unmap_bytes: bytes unmapped
 * @map_ns: nanoseconds spent in timed maps
 * @pinned: pages pinned through its IOAS (for domains and accesses)
 * @unpinned: pages unpinned through them
 * @iotlb_syncs: IOTLB syncs of its domains (one per domain per unmap)
 * @iotlb_pages: pages of IOVA those syncs invalidated
 * @iotlb_ns: nanoseconds spent in timed syncs
 * @map_lat: timed maps by latency: bucket i counts [2^i, 2^(i+1)) ns
 *
 * Counted always, a few per-CPU adds per call; timed only while someone
 * reads the times (iommufd_activity_timed) or the matching event is on.
 * Summed over CPUs when debugfs iommufd_bpf/activity is read.
 */
struct iommufd_activity {
	u64 maps;
	u64 unmaps;
	u64 map_bytes;
	u64 unmap_bytes;
	u64 map_ns;
	u64 pinned;
	u64 unpinned;
	u64 iotlb_syncs;
	u64 iotlb_pages;
	u64 iotlb_ns;
	u64 map_lat[IOMMUFD_ACTIVITY_BUCKETS];
};

DECLARE_STATIC_KEY_FALSE(iommufd_activity_timed);
struct io_pagetable;

/*
 * When a map, unmap or IOTLB sync starts, if its time is wanted (@traced:
 * its event is on); 0 when not.
 */
static inline u64 iommufd_activity_start(bool traced)
{
	if (static_branch_unlikely(&iommufd_activity_timed) || traced)
		return ktime_get_ns();
	return 0;
}

u64 iommufd_activity_map(struct io_pagetable *iopt, unsigned long bytes,
			 u64 t0);
u64 iommufd_activity_unmap(struct io_pagetable *iopt, unsigned long bytes,
			   u64 t0);
u64 iommufd_activity_sync(struct io_pagetable *iopt, unsigned long npages,
			  u64 t0);

/**
 * struct io_pagetable - the IOVA space of one IOAS
 * @domains_rwsem: protects @domains; map and unmap hold it for reading, so
 *                 the set of domains is stable while they fill and empty
 *                 them; adding or removing a domain holds it for writing
 * @domains: HWPT object ID -> struct iommu_domain mapping every area.  While
 *           it is not empty, each area's pages are pinned on its behalf
 *           (the area's pages_node is in pages->domains_itree).
 * @id: the IOAS's object ID, for trace events
 * @iova_rwsem: protects @area_itree, @allowed_itree, @reserved_itree,
 *              @iova_alignment, @disable_large_pages and every area's
 *              @pages pointer.  Writers change the IOVA layout (map, unmap,
 *              copy, allow, reserve); readers look IOVAs up (accesses, range
 *              queries).
 * @area_itree: struct iopt_area by IOVA; areas never overlap
 * @allowed_itree: struct iopt_allowed set by IOMMU_IOAS_ALLOW_IOVAS; when not
 *                 empty, automatic IOVA allocation stays inside it and
 *                 nothing may reserve IOVA inside it
 * @reserved_itree: struct iopt_reserved; no area may overlap a reserved range
 * @iova_alignment: every area's IOVA, length and page offset is a multiple of
 *                  this; 1 until an access that pins pages or a domain's
 *                  smallest IOPTE needs more
 * @domains_pgsizes: the page sizes every domain in @domains has (ULONG_MAX
 *                   with none); written with @iova_alignment (both
 *                   rwsems held for writing), read without a lock
 *                   (READ_ONCE) by the VFIO backend on every map and unmap
 * @disable_large_pages: IOMMU_OPTION_HUGE_PAGES set to 0
 * @access_list: struct iommufd_access attached to this IOAS, by an index the
 *               access keeps; its own xa_lock protects it, and changes also
 *               hold @iova_rwsem for writing so that @iova_alignment follows
 * @access_unpins: access unpins made in this table so far (atomic, no lock);
 *                 an unmap waiting for accesses to let go of an area sleeps
 *                 on @access_wait until it moves
 * @access_wait: woken by every access unpin in this table
 * @nareas: areas in @area_itree; @iova_rwsem
 * @max_areas: most areas a map may leave (0: no limit); set once, before
 *             any map, by the VFIO backend from its dma_entry_limit
 * @vaddr_invalid: areas with vaddr_invalid set; while there are any, no
 *                 access may attach and no domain be added (either could
 *                 need to pin from a user address that is gone), as
 *                 vfio_iommu_type1 does; @iova_rwsem
 * @activity: its context's activity counters (struct iommufd_activity),
 *            which outlive the table; set once when the IOAS is made
 */
struct io_pagetable {
	struct rw_semaphore domains_rwsem;
	struct xarray domains;
	u32 id;
	struct rw_semaphore iova_rwsem;
	struct rb_root_cached area_itree;
	struct rb_root_cached allowed_itree;
	struct rb_root_cached reserved_itree;
	unsigned long iova_alignment;
	unsigned long domains_pgsizes;
	bool disable_large_pages;
	struct xarray access_list;
	atomic_t access_unpins;
	wait_queue_head_t access_wait;
	unsigned int nareas;
	unsigned int max_areas;
	unsigned int vaddr_invalid;
	struct iommufd_activity __percpu *activity;
};

/**
 * struct iopt_area - an IOVA range mapped to a slice of a pages object
 * @node: the IOVA range, in iopt->area_itree
 * @pages_node: the page-index range of @pages this area covers; in
 *              pages->domains_itree while the table has domains
 * @unmap_node: in the list of areas one unmap is taking down
 * @iopt: the table the area is in
 * @pages: the memory, holding one reference, for as long as the area is in
 *         iopt->area_itree (areas are filled before they are inserted and
 *         taken out before they are emptied)
 * @page_offset: byte offset of the area's first IOVA within its first page
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE
 * @num_accesses: access pins inside this area.  Changed (atomically) only
 *                with iopt->iova_rwsem held for reading, so holding it for
 *                writing is enough to read a stable value.
 * @prevent_access: an unmap is waiting for the accesses to let go; no new
 *                  access pin or rw may start.  Written with iova_rwsem held
 *                  for writing, read with it held for reading.
 * @vaddr_invalid: VFIO_DMA_UNMAP_FLAG_VADDR took its user address away
 *                 until VFIO_DMA_MAP_FLAG_VADDR gives it a new one; its
 *                 pinned pages stay mapped.  Under iova_rwsem, for writing.
 */
struct iopt_area {
	struct interval_tree_node node;
	struct interval_tree_node pages_node;
	struct list_head unmap_node;
	struct io_pagetable *iopt;
	struct iopt_pages *pages;
	unsigned int page_offset;
	int iommu_prot;
	atomic_t num_accesses;
	bool prevent_access;
	bool vaddr_invalid;
};

/**
 * struct iopt_allowed - a range of IOMMU_IOAS_ALLOW_IOVAS
 * @node: the range, in iopt->allowed_itree
 */
struct iopt_allowed {
	struct interval_tree_node node;
};

/**
 * struct iopt_reserved - IOVA no area may use
 * @node: the range, in iopt->reserved_itree
 * @owner: who reserved it: a device (its reserved regions), a domain (IOVA
 *         outside its aperture), or NULL for a test reservation
 */
struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

enum iopt_account_mode {
	IOPT_PAGES_ACCOUNT_NONE,	/* CAP_IPC_LOCK: nothing is charged */
	IOPT_PAGES_ACCOUNT_USER,	/* user->locked_vm */
	IOPT_PAGES_ACCOUNT_MM,		/* mm->pinned_vm (VmPin) */
};

/*
 * How a mapping the calling process makes now is charged: not at all with
 * CAP_IPC_LOCK, else as its context says.  Asked once per map request, by
 * the ioctl, for both the policy hook and the pages object.
 */
static inline enum iopt_account_mode
iopt_account_mode_current(enum iopt_account_mode ctx_mode)
{
	if (ctx_mode == IOPT_PAGES_ACCOUNT_NONE || capable(CAP_IPC_LOCK))
		return IOPT_PAGES_ACCOUNT_NONE;
	return ctx_mode;
}

/**
 * struct iopt_mmio - what an MMIO pages object needs (mmio.c)
 * @notifier: watches the object's range in the owner's address space
 * @lock: protects @maps and @revoked; see mmio.c for its place
 * @maps: struct iopt_mmio_map, where the object is mapped now
 * @revoked: the range left the owner's address space; nothing of the
 *           object is mapped any more, nor will be
 */
struct iopt_mmio {
	struct mmu_interval_notifier notifier;
	struct mutex lock; /* see above */
	struct list_head maps;
	bool revoked;
};

/**
 * struct iopt_pages - a range of user memory, pinned on demand
 * @kref: one reference per area using it, plus transient ones
 * @mutex: serialises pinning and unpinning: protects @access_itree,
 *         @domains_itree and which entries of @pfn_chunks are present
 * @uptr: first user address, page aligned; with @file, the byte offset
 *        in it (page aligned), which stands in for the user address
 *        everywhere (the ledger's key, trace events, policies)
 * @file: the memfd the memory comes from (a reference), for
 *        IOMMU_IOAS_MAP_FILE; NULL for user memory
 * @mmio: for MMIO (a VM_PFNMAP or VM_IO range, a device BAR): mapped
 *        into domains from the owner's page tables, never pinned nor
 *        charged (mmio.c); NULL for memory
 * @npages: length in pages
 * @writable: the mapping allows DMA writes, so pins are FOLL_WRITE
 * @account_mode: how pinned pages are charged; fixed at creation
 * @source_mm: the address space @uptr belongs to (mmgrab'd); pins are taken
 *             from it even when another process asks
 * @source_task: the thread group leader that mapped, for RLIMIT_MEMLOCK
 * @source_user: the user charged in IOPT_PAGES_ACCOUNT_USER mode
 *
 * The owner (@source_mm, @source_task, @source_user, @ledger) changes,
 * for memory of a @file with IOMMU_IOAS_CHANGE_PROCESS, and with @uptr
 * for a VFIO backend mapping with VFIO_DMA_MAP_FLAG_VADDR
 * (iopt_update_vaddr()).  Both hold @mutex and, for writing, the
 * iova_rwsem of every IOAS the pages can be mapped in: read the owner and
 * @uptr under one of those, or take a reference under @mutex
 * (iopt_pages_get_owner_task()).
 * @ledger: where this range's charges are kept and shared with other pages
 *          objects of the same process (NULL in IOPT_PAGES_ACCOUNT_NONE);
 *          see account.c
 * @ledger_node: @uptr's range in the ledger's tree; ledger->mutex
 * @pfn_chunks: the PFN store: chunk number (page index / IOPT_PFN_CHUNK)
 *              -> struct iopt_pfn_chunk.  An index's entry is present
 *              exactly while some user range covers it; a chunk exists
 *              exactly while one of its entries is present.  Entries are
 *              written, and chunks added and freed, under @mutex and, with
 *              a ledger, ledger->mutex too, so a ledger walk may read any
 *              member's entries and re-mark their charged bit.  Without
 *              either lock an area may read the entries of its own range
 *              while it is pinned (its chunks cannot go away meanwhile).
 * @npinned: entries present in @pfn_chunks, under @mutex
 * @access_itree: struct iopt_pages_access, the ranges accesses pinned
 * @domains_itree: pages_node of each area using these pages whose table has
 *                 domains: the ranges pinned for domains
 */
struct iopt_pages {
	struct kref kref;
	struct mutex mutex; /* see above */
	unsigned long uptr;
	struct file *file;
	struct iopt_mmio *mmio;
	unsigned long npages;
	bool writable;
	enum iopt_account_mode account_mode;
	struct mm_struct *source_mm;
	struct task_struct *source_task;
	struct user_struct *source_user;
	struct iommufd_ledger *ledger;
	struct interval_tree_node ledger_node;
	struct xarray pfn_chunks;
	unsigned long npinned;
	struct rb_root_cached access_itree;
	struct rb_root_cached domains_itree;
};

/**
 * struct iopt_pages_access - a page-index range pinned for accesses
 * @node: the range, in pages->access_itree
 * @users: access pins of exactly this range; under pages->mutex
 */
struct iopt_pages_access {
	struct interval_tree_node node;
	unsigned int users;
};

/*
 * The PFN store keeps one entry per page index, IOPT_PFN_CHUNK entries to a
 * chunk: one 4 KiB allocation per 511 pages, found through an xarray once
 * per chunk rather than once per page.  A pages object's last chunk holds
 * only the indexes it has (16 bytes for a one-page mapping).
 */
#define IOPT_PFN_CHUNK 511

/**
 * struct iopt_pfn_chunk - PFN store entries of IOPT_PFN_CHUNK page indexes
 * @npresent: entries present; the chunk is freed when none is left
 * @entries: iopt_pfn_entry() of each pinned index, 0 where none; up to
 *           IOPT_PFN_CHUNK of them
 *
 * Locking: see iopt_pages::pfn_chunks.
 */
struct iopt_pfn_chunk {
	unsigned long npresent;
	unsigned long entries[];
};

#define IOPT_PFN_PRESENT 2UL
#define IOPT_PFN_CHARGED 1UL

/* A PFN store entry: the PFN, and whether this pages object is charged. */
static inline unsigned long iopt_pfn_entry(unsigned long pfn, bool charged)
{
	return pfn << 2 | IOPT_PFN_PRESENT | (charged ? IOPT_PFN_CHARGED : 0);
}

static inline unsigned long iopt_pfn_entry_pfn(unsigned long entry)
{
	return entry >> 2;
}

static inline bool iopt_pfn_entry_charged(unsigned long entry)
{
	return entry & IOPT_PFN_CHARGED;
}

/*
 * Where the entry of @index is kept, or NULL when no entry of its chunk is
 * present.  The caller holds a lock of iopt_pages::pfn_chunks or pins the
 * index itself.
 */
static inline unsigned long *iopt_pfn_slot(struct iopt_pages *pages,
					   unsigned long index)
{
	struct iopt_pfn_chunk *chunk;

	chunk = xa_load(&pages->pfn_chunks, index / IOPT_PFN_CHUNK);
	return chunk ? &chunk->entries[index % IOPT_PFN_CHUNK] : NULL;
}

static inline unsigned long iopt_area_iova(struct iopt_area *area)
{
	return area->node.start;
}

static inline unsigned long iopt_area_last_iova(struct iopt_area *area)
{
	return area->node.last;
}

static inline unsigned long iopt_area_length(struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Byte offset into area->pages of @iova, which the area must contain. */
static inline unsigned long iopt_area_start_byte(struct iopt_area *area,
						 unsigned long iova)
{
	return (area->pages_node.start << PAGE_SHIFT) + area->page_offset +
	       (iova - iopt_area_iova(area));
}

static inline unsigned long iopt_area_iova_to_index(struct iopt_area *area,
						    unsigned long iova)
{
	return iopt_area_start_byte(area, iova) >> PAGE_SHIFT;
}

/* account.c */
struct iommufd_ledger *iommufd_ledger_hold(struct mm_struct *mm,
					   enum iopt_account_mode mode,
					   struct user_struct *user,
					   struct task_struct *task);
void iommufd_ledger_put(struct iommufd_ledger *ledger);
void iommufd_ledger_move_out(struct iopt_pages *pages);
int iommufd_ledger_move_in(struct iopt_pages *pages,
			   struct iommufd_ledger *ledger, u32 ioas_id,
			   bool force);
int iommufd_ledger_join(struct iopt_pages *pages);
void iommufd_ledger_leave(struct iopt_pages *pages);
void iommufd_ledger_lock(struct iopt_pages *pages);
void iommufd_ledger_unlock(struct iopt_pages *pages);
bool iommufd_ledger_shared(struct iopt_pages *pages, unsigned long start,
			   unsigned long last);
bool iommufd_ledger_carried(struct iopt_pages *pages, unsigned long index,
			    unsigned long pfn);
bool iommufd_ledger_pass_on(struct iopt_pages *pages, unsigned long index,
			    unsigned long pfn);
int iommufd_ledger_charge(struct iopt_pages *pages, u32 ioas_id,
			  unsigned long uptr, unsigned long npages);
unsigned long iommufd_ledger_charged(struct iopt_pages *pages);
unsigned long iommufd_ledger_charged_current(enum iopt_account_mode mode);
void iommufd_ledger_uncharge(struct iopt_pages *pages, unsigned long npages);

/* mmio.c */
struct iommu_domain;
struct iommu_iotlb_gather;
int iopt_mmio_probe(unsigned long uptr);
int iopt_mmio_watch(struct iopt_pages *pages);
void iopt_mmio_release(struct iopt_pages *pages);
int iopt_mmio_map_domain(struct iopt_area *area, struct iommu_domain *domain);
void iopt_mmio_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather);
bool iopt_mmio_revoked(struct iopt_pages *pages);

/* pages.c */
extern size_t iommufd_pin_batch_bytes;

struct iopt_pages *iopt_alloc_pages(unsigned long uptr, unsigned long length,
				    bool writable, enum iopt_account_mode mode);
struct iopt_pages *iopt_alloc_file_pages(struct file *file, unsigned long start,
					 unsigned long length, bool writable,
					 enum iopt_account_mode mode);
void iopt_release_pages(struct kref *kref);
static inline void iopt_put_pages(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_release_pages);
}

/**
 * struct iopt_owner - references on whose memory a pages object is
 * @mm: its address space (mmgrab)
 * @task: its thread group leader
 * @user: its user
 * @ledger: a membership of its ledger, or NULL
 */
struct iopt_owner {
	struct mm_struct *mm;
	struct task_struct *task;
	struct user_struct *user;
	struct iommufd_ledger *ledger;
};

void iopt_owner_get_current(struct iopt_owner *owner);
void iopt_owner_put(struct iopt_owner *owner);
int iopt_pages_change_owner(struct iopt_pages *pages, struct iopt_owner *to,
			    unsigned long uptr, u32 ioas_id, bool force);
struct task_struct *iopt_pages_get_owner_task(struct iopt_pages *pages);

int iopt_pages_add_access(struct iopt_pages *pages, unsigned long start_index,
			  unsigned long last_index, struct page **out_pages,
			  unsigned int flags, struct io_pagetable *iopt);
void iopt_pages_remove_access(struct iopt_pages *pages,
			      unsigned long start_index,
			      unsigned long last_index,
			      struct io_pagetable *iopt);
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, unsigned int flags);
unsigned long iopt_pages_count_pinned(struct iopt_pages *pages,
				      unsigned long start, unsigned long last);

int iopt_area_pin(struct iopt_area *area);
void iopt_area_unpin(struct iopt_area *area);
int iopt_area_map_domain(struct iopt_area *area, struct iommu_domain *domain);
void iopt_area_unmap_domain(struct iopt_area *area,
			    struct iommu_domain *domain,
			    struct iommu_iotlb_gather *gather);

/* io_pagetable.c */
void iopt_init_table(struct io_pagetable *iopt, u32 id);
void iopt_destroy_table(struct io_pagetable *iopt);

/* Flags for iopt_map_user_pages() and iopt_map_pages() */
enum { IOPT_ALLOC_IOVA = 1 << 0 };

int iopt_map_user_pages(struct io_pagetable *iopt, unsigned long *iova,
			unsigned long uptr, unsigned long length,
			int iommu_prot, unsigned int flags,
			enum iopt_account_mode mode);
int iopt_map_file_pages(struct io_pagetable *iopt, unsigned long *iova,
			struct file *file, unsigned long start,
			unsigned long length, int iommu_prot,
			unsigned int flags, enum iopt_account_mode mode);
int iopt_copy_pages(struct io_pagetable *dst, struct io_pagetable *src,
		    unsigned long src_iova, unsigned long length,
		    unsigned long *dst_iova, int iommu_prot,
		    unsigned int flags, enum iopt_account_mode mode);
int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, unsigned long *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped);
int iopt_invalidate_vaddr(struct io_pagetable *iopt, unsigned long start,
			  unsigned long last, unsigned long *done);
int iopt_update_vaddr(struct io_pagetable *iopt, unsigned long iova,
		      unsigned long length, unsigned long vaddr);
int iopt_set_allow_iova(struct io_pagetable *iopt,
			struct rb_root_cached *allowed);
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);
void iopt_iotlb_sync(struct io_pagetable *iopt, u32 id,
		     struct iommu_domain *domain,
		     struct iommu_iotlb_gather *gather, unsigned long npages);
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain, u32 id);
void iopt_table_remove_domain(struct io_pagetable *iopt, u32 id);
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct device *dev);
int iopt_disable_large_pages(struct io_pagetable *iopt);
int iopt_cut_iova(struct io_pagetable *iopt, unsigned long *iovas, size_t n);
void iopt_enable_large_pages(struct io_pagetable *iopt);
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access,
		    u32 *list_id);
void iopt_remove_access(struct io_pagetable *iopt, u32 list_id);

/**
 * struct iopt_walk - a walk over the areas behind an IOVA range
 * @cur: first IOVA of the current piece
 * @end: last IOVA of the current piece
 * @last: last IOVA of the whole range
 * @area: the current area
 * @complete: the walk reached @last without a gap
 *
 * Each step yields an area and the piece [@cur, @end] of
 * the range inside it.  The walk stops early, leaving @complete false, at a
 * gap.  iova_rwsem is held.
 */
struct iopt_walk {
	unsigned long cur;
	unsigned long end;
	unsigned long last;
	struct iopt_area *area;
	bool complete;
};

struct iopt_area *iopt_walk_first(struct iopt_walk *walk,
				  struct io_pagetable *iopt,
				  unsigned long start, unsigned long last);
struct iopt_area *iopt_walk_next(struct iopt_walk *walk);

struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
				       unsigned long start, unsigned long last);
struct iopt_area *iopt_area_iter_next(struct iopt_area *area,
				      unsigned long start, unsigned long last);

bool iopt_itree_find_hole(struct rb_root_cached *root, unsigned long *start,
			  unsigned long last, unsigned long *hole_last);
bool iopt_itree2_find_hole(struct rb_root_cached *a, struct rb_root_cached *b,
			   unsigned long *start, unsigned long last,
			   unsigned long *hole_last);

#endif
