/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: objects shared by every file of the module.
 *
 * The model: each open of /dev/iommu is a context (struct iommufd_ctx).  A
 * context owns a table of objects (IOAS, and later HW pagetables, devices and
 * accesses) addressed by a u32 ID that user space passes back in ioctls.
 * Objects are refcounted; user space destroys one with IOMMU_DESTROY, and
 * closing the fd destroys all that remain.  Destruction never fails: nothing
 * on a destroy path allocates memory.
 *
 * Lock order.  This is the one statement of it; each lock's own comment
 * says what it protects, and lockdep (make check-debug) checks the order.
 * A lock is taken only after those it is listed under, outermost first:
 *
 *   VFIO's container lock (held around every backend call)
 *     backend->lock                                  vfio_backend.c
 *       the core's locks below
 *   staccess->lock (the test driver's)               selftest.c
 *     access->ioas_lock
 *       iopt->iova_rwsem ...
 *   ictx->ioas_creation_rwsem
 *     iopt->iova_rwsem of every IOAS, by ID (IOMMU_IOAS_CHANGE_PROCESS)
 *       pages->mutex ...
 *   ictx->devices_lock
 *     igroup->lock ...  (the debugfs devices file)
 *     the IOMMU core's group mutex (claiming DMA ownership)
 *   ioas->mutex
 *     igroup->lock
 *       hwpt->msi_lock
 *       the IOMMU core's group mutex (attach, replace, detach)
 *         mock->lock, mock_groups_lock               mock.c
 *       the IOMMU core's IOPF queue and fault locks (a device's IOPF on
 *       and off; the mock's page requests, raised under igroup->lock)
 *       fault->mutex                                 fault.c
 *         the IOMMU core's fault lock (answering a fault)
 *         the caller's mmap lock (reading and writing the fault file)
 *       iopt->iova_rwsem (reserved regions of a device)
 *     iopt->domains_rwsem
 *       iopt->iova_rwsem
 *         mock->lock (reading dirty bits, dirty.c)
 *         pages->mutex
 *           ledger->mutex
 *           the owner's mmap lock (pinning user memory)
 *         the owner's mmap lock (mapping MMIO into a domain, mmio.c)
 *           mmio->lock (also taken by its notifier under the mmap lock)
 *
 * Taken with none of the above held, and nothing taken inside: ctx_list_lock
 * (main.c), policy_mutex (policy.c).  iommufd_ledgers_lock (account.c)
 * takes nothing inside; IOMMU_IOAS_CHANGE_PROCESS takes it under the
 * iova_rwsems it holds, to hold and put ledger memberships.
 * The VFIO gate (vfio_gate.c) runs in an ioctl before VFIO takes any lock,
 * holding none of ours; asking a container which backend serves it takes
 * VFIO's container lock, then (for this backend) none of ours.  Policy
 * programs run under rcu_read_lock() inside whatever their hook holds (the
 * charge hook: ledger->mutex) and take nothing.  Innermost spinlocks:
 * a fault queue's fault->lock (also taken by the IOMMU core's fault path),
 * xa_lock of a context's objects and of the VFIO backend's served and
 * refused groups, the decision log's log_lock.  Where a path needs a lock
 * that is above one it holds, it drops and starts over: unmap releases both
 * rwsems before asking accesses to unpin (their callbacks take the driver's
 * lock, then ioas_lock), and while pins remain it sleeps on
 * iopt->access_wait holding no lock at all; moving an access drops
 * ioas_lock around the driver's unmap callback; an automatic HWPT is
 * destroyed (taking its IOAS's mutex) only after igroup->lock is released.
 * A free waits for snapshot observers (iommufd_object_free()), which take
 * only the locks of what they observe, never this path's.
 */
#ifndef IOMMUFD_BPF_PRIVATE_H
#define IOMMUFD_BPF_PRIVATE_H

#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "../include/uapi/linux/iommufd.h"
#include "io_pagetable.h"

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_FAULT,
#ifdef IOMMUFD_BPF_TEST
	IOMMUFD_OBJ_SELFTEST,
#endif
	IOMMUFD_OBJ_MAX,
};

/**
 * struct iommufd_object - header of every object in a context's table
 * @users: one reference held by the context's table while the object is
 *         published, plus one per holder: an ioctl working on the object
 *         (taken by iommufd_get_object()) or another object depending on it.
 *         IOMMU_DESTROY succeeds only when the table's is the last one, and
 *         takes it under the table's xa_lock, the same lock under which
 *         iommufd_get_object() takes new ones; so once removed from the table
 *         nobody can reach the object and it can be freed at once.
 * @type: what the object is; fixed at allocation
 * @id: the object's index in the context's table; never reused while the
 *      object (or its reservation, during construction) is in the table
 * @dying: its kernel owner is destroying it (iommufd_object_destroy_user()):
 *         iommufd_get_object() no longer finds it.  Set under the table's
 *         xa_lock.
 * @observers: debugfs snapshot readers looking at the object
 *             (iommufd_observe_next_object()); taken under the table's
 *             xa_lock while the object is published.  They keep it from
 *             being freed (iommufd_object_free() waits for them), never from
 *             being destroyed: IOMMU_DESTROY does not see them.
 */
struct iommufd_object {
	refcount_t users;
	enum iommufd_object_type type;
	u32 id;
	bool dying;
	atomic_t observers;
};

/* iommufd_object_destroy_user() waits here for short-term holders. */
extern struct wait_queue_head iommufd_destroy_wait;

/**
 * struct iommufd_ctx - one open /dev/iommu file
 * @file: the file this context lives in; the context is freed by its release
 * @objects: ID -> struct iommufd_object.  IDs are allocated from 1.  An
 *           object under construction holds its ID as a reserved (zero) entry,
 *           which lookups do not see, and is published by
 *           iommufd_object_finalize() once nothing can fail any more.  The
 *           xarray's own spinlock (xa_lock) serialises lookups that take a
 *           reference against removal.
 * @account_mode: how pages mapped through this context are charged
 *                (IOMMU_OPTION_RLIMIT_MODE); changed under xa_lock of
 *                @objects, and only while there are no objects
 * @devices_lock: protects @devices and @groups, and serialises binds so a
 *                device is bound at most once per context
 * @devices: struct iommufd_device bound to this context
 * @groups: IOMMU group ID -> struct iommufd_group, for each group with a
 *          device bound here
 * @vfio_ioas: the IOAS the VFIO type1 ioctls on this file act on
 *             (IOMMU_VFIO_IOAS), or NULL; no reference of its own: under
 *             xa_lock of @objects, and cleared there when the IOAS is
 *             removed
 * @node: in the module's list of contexts (for the debugfs snapshot), under
 *        ctx_list_lock
 * @observers: snapshot readers looking at the context
 *             (iommufd_walk_contexts()), taken under ctx_list_lock while the
 *             context is listed; its release waits for them after unlisting
 * @id: a number no other context of this module load has, for the snapshot
 * @vfio: a VFIO container's context (iommufd_file_create()), not /dev/iommu's
 * @owner: the process that opened it (or, for a VFIO container, set the
 *         container's IOMMU), by thread group ID, and its command name
 * @owner_comm: that command name
 * @activity: what was done through it (struct iommufd_activity), per CPU;
 *            freed with the context
 * @ioas_creation_rwsem: held for reading while an IOAS is made and
 *                       published; IOMMU_IOAS_CHANGE_PROCESS holds it for
 *                       writing, so that every IOAS it locks is every IOAS
 *                       there is, and takes their iova_rwsems nested in it
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	struct rw_semaphore ioas_creation_rwsem;
	enum iopt_account_mode account_mode;
	struct mutex devices_lock; /* see above */
	struct list_head devices;
	struct xarray groups;
	struct iommufd_ioas *vfio_ioas;
	struct list_head node;
	atomic_t observers;
	u64 id;
	bool vfio;
	pid_t owner;
	char owner_comm[16];
	struct iommufd_activity __percpu *activity;
};

/**
 * struct iommufd_ucmd - one ioctl call as the handlers see it
 * @ictx: the context the ioctl was issued on
 * @ubuffer: the caller's structure
 * @user_size: the size the caller declared in the structure's first u32
 * @cmd: kernel copy of the structure, zero-extended to the kernel's size
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);

struct iommufd_object *__iommufd_object_alloc(struct iommufd_ctx *ictx,
					      size_t size,
					      enum iommufd_object_type type);

/*
 * iommufd_object_alloc() - allocate an object of the type @ptr points to,
 * as object @type, with its ID reserved: returns it as @ptr's type, or an
 * ERR_PTR.  Its embedded struct iommufd_object (@member: "obj" unless
 * said) must come first, which the build checks, so the object and its
 * header are one pointer and an ERR_PTR passes through the cast unchanged.
 */
#define iommufd_object_alloc_member(ictx, ptr, type, member)		\
	({								\
		typeof(ptr) __new_obj;					\
									\
		BUILD_BUG_ON(offsetof(typeof(*__new_obj), member));	\
		__new_obj = (typeof(__new_obj))				\
			__iommufd_object_alloc(ictx, sizeof(*__new_obj), type); \
		__new_obj;						\
	})
#define iommufd_object_alloc(ictx, ptr, type)				\
	iommufd_object_alloc_member(ictx, ptr, type, obj)
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);
void iommufd_object_destroy_user(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj);
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj);
struct iommufd_object *
iommufd_observe_next_object(struct iommufd_ctx *ictx, unsigned long *index,
			    enum iommufd_object_type type);
void iommufd_object_unobserve(struct iommufd_object *obj);
struct seq_file;
typedef void (*iommufd_ctx_fn)(struct seq_file *m, struct iommufd_ctx *ictx);
int iommufd_walk_contexts(struct seq_file *m, iommufd_ctx_fn fn);
void iommufd_ledgers_show(struct seq_file *m);
void iommufd_snapshot_debugfs(struct dentry *dir);
void iommufd_seq_comm(struct seq_file *m, const char *comm);
void iommufd_activity_closed(struct iommufd_ctx *ictx);

static inline void iommufd_put_object(struct iommufd_object *obj)
{
	/* The table's reference keeps this from reaching zero. */
	refcount_dec(&obj->users);
	/*
	 * An owner destroying the object may be waiting for this.  Only the
	 * global queue is touched after the decrement: the object may be
	 * gone by then.  wq_has_sleeper()'s barrier pairs with the waiter's
	 * between queueing itself and reading the count.
	 */
	if (wq_has_sleeper(&iommufd_destroy_wait))
		wake_up_all(&iommufd_destroy_wait);
}

struct dentry;

#ifdef IOMMUFD_BPF_TEST
/**
 * struct iommufd_fail_point - one place where the module can fail for want
 * of a resource (fail.c); one static instance per use of
 * iommufd_should_fail()
 * @file: its source file
 * @line: its line
 * @reached: times reached while a countdown was armed
 * @node: in fail.c's list of reached points, from the first time
 */
struct iommufd_fail_point {
	const char *file;
	unsigned int line;
	atomic_long_t reached;
	struct list_head node;
};

DECLARE_STATIC_KEY_FALSE(iommufd_fail_nth_armed);
bool __iommufd_fail_nth(struct iommufd_fail_point *point);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
bool iommufd_fail_attr(void);
#else
static inline bool iommufd_fail_attr(void)
{
	return false;
}
#endif

/*
 * Should this point fail as if the resource were missing (-ENOMEM)?  Asked
 * before every allocation, insertion, pin, map, domain allocation and
 * attach; each use is a point of its own (fail.c).
 */
#define iommufd_should_fail()						\
	({								\
		static struct iommufd_fail_point __fail_point = {	\
			.file = __FILE__,				\
			.line = __LINE__,				\
		};							\
		(static_branch_unlikely(&iommufd_fail_nth_armed) &&	\
		 __iommufd_fail_nth(&__fail_point)) ||			\
		iommufd_fail_attr();					\
	})

int iommufd_fail_nth_arm(u32 nth, u32 *remaining);
void iommufd_fail_init(struct dentry *dir);
void iommufd_fail_exit(void);
#else
/* Without the test build, no point ever fails. */
static inline bool iommufd_should_fail(void)
{
	return false;
}

static inline void iommufd_fail_init(struct dentry *dir)
{
}

static inline void iommufd_fail_exit(void)
{
}
#endif

/*
 * Module-wide counts, for leak checks in the selftests and for operators
 * (debugfs iommufd_bpf/stats): live contexts and objects, pages pinned (once
 * per pages object holding them), pages charged to RLIMIT_MEMLOCK (once
 * per physical page and process, see account.c) and IOTLB syncs this module
 * asked for.
 */
struct iommufd_stats {
	atomic_long_t contexts;
	atomic_long_t objects[IOMMUFD_OBJ_MAX];
	atomic_long_t pinned_pages;
	atomic_long_t pfn_chunks;
	atomic_long_t charged_pages;
	atomic_long_t iotlb_syncs;
};

extern struct iommufd_stats iommufd_stats;

/**
 * struct iommufd_ioas - an I/O address space
 * @obj: object header
 * @iopt: its IOVA -> user memory table, with its own locking
 * @mutex: protects @hwpt_list, and serialises choosing or making an
 *         automatic domain for a device attached to this IOAS
 * @hwpt_list: struct iommufd_hwpt_paging mapping this IOAS
 * @vfio_dirty: VFIO_IOMMU_DIRTY_PAGES tracking is on (vfio_compat.c);
 *              a flag read and written once, without a lock
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	struct mutex mutex; /* see above */
	struct list_head hwpt_list;
	bool vfio_dirty;
};

static_assert(offsetof(struct iommufd_ioas, obj) == 0);

static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx,
						    u32 id)
{
	struct iommufd_object *obj = iommufd_get_object(ictx, id,
							 IOMMUFD_OBJ_IOAS);

	return IS_ERR(obj) ? ERR_CAST(obj) :
			     container_of(obj, struct iommufd_ioas, obj);
}

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
void iommufd_ioas_destroy(struct iommufd_object *obj);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd);
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);

/* vfio_compat.c: the VFIO type1 interface on an IOAS */
unsigned long iommufd_type1_pgsizes(struct iommufd_ioas *ioas);
long iommufd_type1_check_extension(struct iommufd_ioas *ioas,
				   unsigned long type);
int iommufd_type1_get_info(struct iommufd_ioas *ioas, void __user *arg);
int iommufd_type1_dirty_pages(struct iommufd_ioas *ioas, void __user *arg,
			      bool v2);
int iommufd_type1_map(struct iommufd_ioas *ioas, void __user *arg,
		      enum iopt_account_mode mode, bool exact);
int iommufd_type1_unmap(struct iommufd_ioas *ioas, void __user *arg,
			enum iopt_account_mode mode, bool exact, bool v2);
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg);

/* Flags of iommufd_access_rw() and iommufd_access_pin_pages() */
enum {
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	IOMMUFD_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/**
 * struct iommufd_access_ops - what a driver using an access provides
 * @needs_pin_pages: the driver pins pages, so IOVA must be page aligned
 * @unmap: IOVA the driver may have pinned is being unmapped; unpin it
 *         before returning.  Called with no iommufd lock held.
 */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

/**
 * struct iommufd_access - a driver's window onto an IOAS
 * @obj: object header; the driver holds a reference until destroy
 * @ictx: the context, held open by the access
 * @ops: the driver's callbacks
 * @data: passed to @ops
 * @iova_alignment: PAGE_SIZE for drivers that pin pages, else 1
 * @ioas_lock: serialises attach/detach/replace with pins and copies;
 *             protects @ioas, @ioas_unpin and @iopt_access_list_id
 * @ioas: the attached IOAS, where pins and copies go; NULL when detached
 *        and while the access moves to another IOAS (access_change_ioas())
 * @ioas_unpin: the IOAS the access's pins were made through, holding the
 *              attachment's reference on it; equal to @ioas except while
 *              the access moves, when it is the old one
 * @iopt_access_list_id: index in ioas_unpin->iopt.access_list
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data;
	unsigned long iova_alignment;
	struct mutex ioas_lock; /* see above */
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	u32 iopt_access_list_id;
};

static_assert(offsetof(struct iommufd_access, obj) == 0);

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data, u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
void iommufd_access_destroy_object(struct iommufd_object *obj);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
int iommufd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, struct page **out_pages,
			     unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length);
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t length, unsigned int flags);
void iommufd_access_notify_unmap(struct io_pagetable *iopt, unsigned long iova,
				 unsigned long length);

struct iommufd_hwpt_paging;
struct iommufd_fault;

/**
 * struct iommufd_hw_pagetable - what a device attaches to: the part a
 * paging and a nested HWPT share, first in both
 * @obj: object header (IOMMUFD_OBJ_HWPT_PAGING or IOMMUFD_OBJ_HWPT_NESTED)
 * @domain: the IOMMU domain; freed with the object
 * @paging: the paging HWPT whose IOAS the domain's DMA reaches, which
 *          holds the attached devices' reserved regions and the MSI
 *          cookie: the HWPT itself, or a nested HWPT's parent
 * @fault: the fault queue the domain's page requests go to (holding a
 *         reference on it), or NULL; only nested HWPTs have one
 *
 * Fixed once the object is published.
 */
struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_hwpt_paging *paging;
	struct iommufd_fault *fault;
};

/**
 * struct iommufd_hwpt_paging - an IOMMU paging domain mapping an IOAS
 * @common: what attach sees; its members are also this HWPT's own:
 * @obj: object header
 * @domain: the domain, which maps every area of @ioas; freed with the object
 * @paging: this HWPT
 * @fault: NULL: a paging HWPT has no fault queue
 * @ictx: the context
 * @ioas: the IOAS (holding a reference on it)
 * @hwpt_item: in ioas->hwpt_list, under ioas->mutex; empty when not linked
 * @auto_domain: made for a device attached to the IOAS, and destroyed when
 *               the last group leaves it; user-allocated ones live until
 *               IOMMU_DESTROY
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT; fixed
 * @enforce_cache_coherency: the domain makes every DMA snoop the CPU caches
 *                           (VFIO_DMA_CC_IOMMU); fixed at allocation
 * @msi_lock: protects @msi_cookie and @sw_msi_start
 * @msi_cookie: the domain has an MSI cookie at @sw_msi_start, for devices
 *              whose MSI doorbell the IOMMU translates (IOMMU_RESV_SW_MSI)
 * @sw_msi_start: its IOVA
 *
 * Each IOMMU group attached to the HWPT holds one reference on the object.
 */
struct iommufd_hwpt_paging {
	union {
		struct iommufd_hw_pagetable common;
		/* common's members by their own names (checked below) */
		struct {
			struct iommufd_object obj;
			struct iommu_domain *domain;
			struct iommufd_hwpt_paging *paging;
			struct iommufd_fault *fault;
		};
	};
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;
	struct list_head hwpt_item;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	struct mutex msi_lock; /* see above */
	bool msi_cookie;
	phys_addr_t sw_msi_start;
};

static_assert(offsetof(struct iommufd_hwpt_paging, obj) == 0);
static_assert(offsetof(struct iommufd_hwpt_paging, domain) ==
	      offsetof(struct iommufd_hwpt_paging, common.domain));
static_assert(offsetof(struct iommufd_hwpt_paging, paging) ==
	      offsetof(struct iommufd_hwpt_paging, common.paging));
static_assert(offsetof(struct iommufd_hwpt_paging, fault) ==
	      offsetof(struct iommufd_hwpt_paging, common.fault));

/**
 * struct iommufd_hwpt_nested - a domain whose first-stage translation user
 * space owns (IOMMU_HWPT_ALLOC on a nesting parent), nested on a paging HWPT
 * @common: what attach sees; common.paging is the parent, on which the
 *          nested HWPT holds a reference, so the parent outlives it
 *
 * Each IOMMU group attached to it holds one reference on the object.
 * User space invalidates its caches with IOMMU_HWPT_INVALIDATE.
 */
struct iommufd_hwpt_nested {
	struct iommufd_hw_pagetable common;
};

static_assert(offsetof(struct iommufd_hwpt_nested, common.obj) == 0);

struct iommufd_device;
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags,
			  bool auto_domain);
void iommufd_hwpt_paging_link(struct iommufd_hwpt_paging *hwpt);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
void iommufd_hwpt_paging_put(struct iommufd_hwpt_paging *hwpt);
void iommufd_hwpt_nested_destroy(struct iommufd_object *obj);
void iommufd_hwpt_put(struct iommufd_hw_pagetable *hwpt);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ctx *ictx, u32 id);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);

/* dirty.c: dirty tracking */
struct device;
struct iommu_dirty_bitmap;
struct iommu_hwpt_get_dirty_bitmap;
bool iommufd_dirty_capable(struct device *dev);
void iommufd_dirty_record(struct iommu_dirty_bitmap *dirty,
			  unsigned long iova, unsigned long length);
int iopt_set_dirty_tracking(struct io_pagetable *iopt, u32 id,
			    struct iommu_domain *domain, bool enable);
int iopt_read_and_clear_dirty(struct io_pagetable *iopt, u32 id,
			      struct iommu_domain *domain,
			      const struct iommu_hwpt_get_dirty_bitmap *cmd);

/**
 * struct iommufd_fault - IOMMUFD_OBJ_FAULT: a queue of I/O page faults
 * @obj: object header; its file holds one reference until closed, each
 *       HWPT delivering to it another
 * @ictx: the context, whose file the queue's file holds open
 * @lock: protects @deliver; taken by the IOMMU core's fault path, and
 *        inside @mutex
 * @deliver: struct iopf_group not yet read, oldest first
 * @mutex: serialises reads, writes and flushes; protects @response
 * @response: cookie -> struct iopf_group read and not yet answered
 * @wait_queue: pollers wait here for @deliver to fill
 * @delivered: fault groups queued so far (atomic)
 * @responses: fault groups answered so far, by user space or on its
 *             behalf (atomic)
 */
struct iommufd_fault {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	spinlock_t lock; /* see above */
	struct list_head deliver;
	struct mutex mutex; /* see above */
	struct xarray response;
	struct wait_queue_head wait_queue;
	atomic_long_t delivered;
	atomic_long_t responses;
};

static_assert(offsetof(struct iommufd_fault, obj) == 0);

/**
 * struct iommufd_attach_handle - how the IOMMU core finds a fault-capable
 * domain of a group, and the device faults are reported for
 * @handle: the core's part
 * @dev_id: the device object whose attach made the handle, or, once it
 *          left, another device of the group still attached; written
 *          under igroup->lock, read anywhere (READ_ONCE)
 */
struct iommufd_attach_handle {
	struct iommu_attach_handle handle;
	u32 dev_id;
};

int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
void iommufd_fault_destroy(struct iommufd_object *obj);
struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx, u32 id);
void iommufd_fault_set(struct iommufd_hw_pagetable *hwpt,
		       struct iommufd_fault *fault);
void iommufd_fault_flush(struct iommufd_fault *fault,
			 struct iommufd_attach_handle *handle);
void iommufd_fault_flush_dev(struct iommufd_fault *fault, struct device *dev);

/**
 * struct iommufd_group - a context's view of one IOMMU group
 * @users: one per device of the group bound to the context
 * @lock: serialises attach, detach and replace of the group's devices;
 *        protects @hwpt and @devices
 * @group: the IOMMU group (a reference)
 * @hwpt: the HWPT (paging or nested) the group is attached to (holding one
 *        reference on it), or NULL while the group's DMA is blocked
 * @devices: struct iommufd_device of the group attached to @hwpt
 * @handle: the attach handle @hwpt was attached with, when it has a fault
 *          queue; NULL otherwise
 */
struct iommufd_group {
	unsigned int users;
	struct mutex lock; /* see above */
	struct iommu_group *group;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_attach_handle *handle;
	struct list_head devices;
};

/**
 * struct iommufd_device - a device bound to a context
 * @obj: object header; the binding driver holds a reference until unbind
 * @ictx: the context, which owns the device's group for DMA.  No reference:
 *        the binder keeps the context alive until it unbinds (the VFIO
 *        backend holds the container's file from SET_IOMMU to after its
 *        last unbind; the test command's device object lives in the
 *        context, and the context's release unbinds it)
 * @group: the device's IOMMU group (a reference)
 * @igroup: the context's state of that group
 * @dev: the device (a reference)
 * @node: in ictx->devices, under ictx->devices_lock
 * @hwpt: the HWPT the device is attached to, or NULL; under igroup->lock
 * @attach_item: in igroup->devices while attached
 * @group_owned: the binder owns the group's DMA (IOMMUFD_BIND_GROUP_OWNED)
 * @iopf: its IOPF is on (IOMMU_DEV_FEAT_IOPF), while attached to a HWPT
 *        with a fault queue; under igroup->lock
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct iommufd_group *igroup;
	struct device *dev;
	struct list_head node;
	struct iommufd_hw_pagetable *hwpt;
	struct list_head attach_item;
	bool group_owned;
	bool iopf;
};

static_assert(offsetof(struct iommufd_device, obj) == 0);

/*
 * Exported in namespace IOMMUFD_INTERNAL but declared in the IOMMU core's
 * private header, which the headers package does not ship: as 6.12 has it.
 */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);
int iommu_attach_group_handle(struct iommu_domain *domain,
			      struct iommu_group *group,
			      struct iommu_attach_handle *handle);
void iommu_detach_group_handle(struct iommu_domain *domain,
			       struct iommu_group *group);
int iommu_replace_group_handle(struct iommu_group *group,
			       struct iommu_domain *new_domain,
			       struct iommu_attach_handle *handle);

/*
 * Flags of iommufd_device_bind_flags(): the caller (VFIO's group) owns the
 * group's DMA already, so the bind claims nothing and the unbind gives
 * nothing back.
 */
enum { IOMMUFD_BIND_GROUP_OWNED = 1 << 0 };

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
struct iommufd_device *iommufd_device_bind_flags(struct iommufd_ctx *ictx,
						 struct device *dev, u32 *id,
						 unsigned int flags);
void iommufd_device_unbind(struct iommufd_device *idev);
void iommufd_device_destroy(struct iommufd_object *obj);
int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id);
int iommufd_device_detach(struct iommufd_device *idev);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);
bool iommufd_device_msi_isolated(struct device *dev, struct iommu_group *group);
struct device **iommufd_group_devices(struct iommu_group *group,
				      unsigned int *n);
void iommufd_group_devices_put(struct device **devs, unsigned int n);

/* main.c: a context in a file of its own, for the VFIO backend */
struct file *iommufd_file_create(enum iopt_account_mode mode);

/* vfio_backend.c: the VFIO IOMMU backend */
int iommufd_vfio_backend_register(void);
void iommufd_vfio_backend_unregister(void);
bool iommufd_vfio_backend_decided(struct iommu_group *group);
int iommufd_vfio_backend_refused(struct iommu_group *group);
void iommufd_vfio_backend_forget(struct iommu_group *group);
struct iommu_group *iommufd_vfio_file_group(struct file *file);
bool iommufd_vfio_file_is_group(struct file *file);
/*
 * VFIO_CHECK_EXTENSION's answer on a VFIO container is 1 for this value
 * when this module's backend serves the container (docs/vfio.md).
 */
#define IOMMUFD_BPF_VFIO_SERVED 0x69666462	/* "ifdb" */

/* vfio_gate.c: the kfuncs behind bpf/vfio_gate.bpf.c (docs/policy.md) */
int iommufd_vfio_gate_register(void);

#ifdef IOMMUFD_BPF_TEST
/*
 * selftest.c: IOMMU_TEST_CMD, available with the selftest=1 parameter of
 * the test build
 */
extern bool iommufd_selftest_enabled;
int iommufd_test_cmd(struct iommufd_ucmd *ucmd);
void iommufd_selftest_destroy(struct iommufd_object *obj);

/* mock.c: the mock IOMMU driver (registered with selftest=1) */
struct platform_device;
struct iommu_test_bpf_mock_device;
int iommufd_mock_iommu_register(void);
void iommufd_mock_iommu_unregister(void);
struct platform_device *
iommufd_mock_device_create(const struct iommu_test_bpf_mock_device *spec,
			   bool upstream);
void iommufd_mock_device_destroy(struct platform_device *pdev);
u32 iommufd_mock_device_index(struct platform_device *pdev);
bool iommufd_mock_dev(struct device *dev);
int iommufd_mock_domain_set_dirty(struct iommu_domain *domain,
				  unsigned long iova, unsigned long length,
				  unsigned long page_size, void __user *uptr,
				  unsigned long *count);
int iommufd_mock_device_unsafe_msi(struct device *dev);
int iommufd_mock_device_identity(struct device *dev, u32 *id, u32 *class,
				 u32 *bdf);
void iommufd_mock_inject(u32 map_fail_nth, u32 attach_fail_nth,
			 u32 chunk_fail_nth);
bool iommufd_inject_chunk_fail(void);
int iommufd_mock_domain_check_map(struct iommu_domain *domain,
				  unsigned long iova, unsigned long length,
				  unsigned long uptr);
long iommufd_mock_domain_iotlb_syncs(struct iommu_domain *domain);
long iommufd_mock_nested_iotlb(struct iommu_domain *domain, u32 index);
#else
/* Without the test build there is no mock IOMMU and no mock device. */
static inline int iommufd_mock_iommu_register(void)
{
	return 0;
}

static inline void iommufd_mock_iommu_unregister(void)
{
}

static inline bool iommufd_mock_dev(struct device *dev)
{
	return false;
}

static inline int iommufd_mock_device_unsafe_msi(struct device *dev)
{
	return -ENODEV;
}

static inline int iommufd_mock_device_identity(struct device *dev, u32 *id,
					       u32 *class, u32 *bdf)
{
	return -ENODEV;
}

static inline bool iommufd_inject_chunk_fail(void)
{
	return false;
}
#endif /* IOMMUFD_BPF_TEST */

#endif
