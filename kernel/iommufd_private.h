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

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_IOAS,
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
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
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
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);

static inline void iommufd_put_object(struct iommufd_object *obj)
{
	/* The table's reference keeps this from reaching zero. */
	refcount_dec(&obj->users);
}

/*
 * Module-wide counts of live contexts and objects, for leak checks in the
 * selftests and for operators (debugfs iommufd_bpf/stats).
 */
struct iommufd_stats {
	atomic_long_t contexts;
	atomic_long_t objects[IOMMUFD_OBJ_MAX];
};

extern struct iommufd_stats iommufd_stats;

/**
 * struct iommufd_ioas - an I/O address space
 * @obj: object header
 *
 * So far an IOAS holds no mappings: it can be created, looked up and
 * destroyed, and owns nothing that its destruction would have to release.
 */
struct iommufd_ioas {
	struct iommufd_object obj;
};

static_assert(offsetof(struct iommufd_ioas, obj) == 0);

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);

#endif
