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
 */
#ifndef IOMMUFD_BPF_PRIVATE_H
#define IOMMUFD_BPF_PRIVATE_H

#include <linux/atomic.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "../include/uapi/linux/iommufd.h"
#include "io_pagetable.h"

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_SELFTEST,
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
 */
struct iommufd_object {
	refcount_t users;
	enum iommufd_object_type type;
	u32 id;
};

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
 * @devices_lock: protects @devices, and serialises binds so a device is
 *                bound at most once per context
 * @devices: struct iommufd_device bound to this context
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	enum iopt_account_mode account_mode;
	struct mutex devices_lock; /* see above */
	struct list_head devices;
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

/*
 * Objects embed struct iommufd_object as their first member, so the ERR_PTR
 * returned here converts with container_of() unchanged.
 */
struct iommufd_object *iommufd_object_alloc(struct iommufd_ctx *ictx,
					    size_t size,
					    enum iommufd_object_type type);
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);
void iommufd_object_destroy_user(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj);

static inline void iommufd_put_object(struct iommufd_object *obj)
{
	/* The table's reference keeps this from reaching zero. */
	refcount_dec(&obj->users);
}

/*
 * Module-wide counts, for leak checks in the selftests and for operators
 * (debugfs iommufd_bpf/stats): live contexts and objects, pages pinned (once
 * per pages object holding them) and pages charged to RLIMIT_MEMLOCK (once
 * per physical page and process, see account.c).
 */
struct iommufd_stats {
	atomic_long_t contexts;
	atomic_long_t objects[IOMMUFD_OBJ_MAX];
	atomic_long_t pinned_pages;
	atomic_long_t charged_pages;
};

extern struct iommufd_stats iommufd_stats;

/**
 * struct iommufd_ioas - an I/O address space
 * @obj: object header
 * @iopt: its IOVA -> user memory table, with its own locking
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
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

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
void iommufd_ioas_destroy(struct iommufd_object *obj);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_option(struct iommufd_ucmd *ucmd);

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
 *             protects @ioas and @iopt_access_list_id
 * @ioas: the attached IOAS (holding a reference on it), or NULL
 * @iopt_access_list_id: index in ioas->iopt.access_list
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data;
	unsigned long iova_alignment;
	struct mutex ioas_lock; /* see above */
	struct iommufd_ioas *ioas;
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

/**
 * struct iommufd_device - a device bound to a context
 * @obj: object header; the binding driver holds a reference until unbind
 * @ictx: the context, which owns the device's group for DMA
 * @group: the device's IOMMU group (a reference)
 * @dev: the device (a reference)
 * @node: in ictx->devices, under ictx->devices_lock
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct device *dev;
	struct list_head node;
};

static_assert(offsetof(struct iommufd_device, obj) == 0);

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);
void iommufd_device_destroy(struct iommufd_object *obj);
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);

/* selftest.c: IOMMU_TEST_CMD, available with the selftest=1 parameter */
extern bool iommufd_selftest_enabled;
int iommufd_test_cmd(struct iommufd_ucmd *ucmd);
void iommufd_selftest_destroy(struct iommufd_object *obj);

/* mock.c: the mock IOMMU driver (selftest=1) */
struct platform_device;
struct iommu_test_bpf_mock_device;
int iommufd_mock_iommu_register(void);
void iommufd_mock_iommu_unregister(void);
struct platform_device *
iommufd_mock_device_create(const struct iommu_test_bpf_mock_device *spec);
void iommufd_mock_device_destroy(struct platform_device *pdev);
u32 iommufd_mock_device_index(struct platform_device *pdev);
int iommufd_mock_device_unsafe_msi(struct device *dev);

#endif
