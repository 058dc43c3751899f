// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: /dev/iommu, the context object table and ioctl dispatch.
 *
 * The iommufd core of Linux 6.12 as an out-of-tree module.  This file holds
 * what every command shares: the misc device, one context per open file, the
 * per-context table of refcounted objects, and the dispatch table through
 * which every ioctl passes, which is where the extensible-structure rules of
 * the uAPI are applied, once for all commands.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#ifdef IOMMUFD_BPF_TEST
#include "../include/uapi/linux/iommufd_test.h"
#endif
#include "iommufd_private.h"
#include "policy.h"

static char *devname = "iommu";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname,
		 "name of the device node (default \"iommu\"); choose another when the kernel already has /dev/iommu");

struct iommufd_stats iommufd_stats;

struct iommufd_object_ops {
	/* Releases what the object holds; must not fail or allocate. */
	void (*destroy)(struct iommufd_object *obj);
	const char *name;
};

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_IOAS] = {
		.destroy = iommufd_ioas_destroy,
		.name = "ioas",
	},
	[IOMMUFD_OBJ_ACCESS] = {
		.destroy = iommufd_access_destroy_object,
		.name = "access",
	},
	[IOMMUFD_OBJ_DEVICE] = {
		.destroy = iommufd_device_destroy,
		.name = "device",
	},
	[IOMMUFD_OBJ_HWPT_PAGING] = {
		.destroy = iommufd_hwpt_paging_destroy,
		.name = "hwpt_paging",
	},
	[IOMMUFD_OBJ_HWPT_NESTED] = {
		.destroy = iommufd_hwpt_nested_destroy,
		.name = "hwpt_nested",
	},
	[IOMMUFD_OBJ_FAULT] = {
		.destroy = iommufd_fault_destroy,
		.name = "fault",
	},
#ifdef IOMMUFD_BPF_TEST
	[IOMMUFD_OBJ_SELFTEST] = {
		.destroy = iommufd_selftest_destroy,
		.name = "selftest_device",
	},
#endif
};

/*
 * Allocate an object and reserve its ID.  The ID is held by a zero entry that
 * lookups do not return, so the caller may still fail and undo with
 * iommufd_object_abort_and_destroy() until it calls iommufd_object_finalize().
 */
struct iommufd_object *__iommufd_object_alloc(struct iommufd_ctx *ictx,
					      size_t size,
					      enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_should_fail() ? NULL : kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);

	rc = iommufd_should_fail() ? -ENOMEM :
	     xa_alloc(&ictx->objects, &obj->id, XA_ZERO_ENTRY, xa_limit_31b,
		      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	atomic_long_inc(&iommufd_stats.objects[type]);
	return obj;
}

/* Make a fully built object visible to lookups; cannot fail. */
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	void *old;

	/* Replacing the reserved entry allocates nothing. */
	old = xa_store(&ictx->objects, obj->id, obj, GFP_KERNEL);
	WARN_ON(old);
}

DECLARE_WAIT_QUEUE_HEAD(iommufd_destroy_wait);

/* Free an object no longer in its table, once no snapshot reader sees it. */
static void iommufd_object_free(struct iommufd_object *obj)
{
	wait_event(iommufd_destroy_wait, !atomic_read(&obj->observers));
	iommufd_object_ops[obj->type].destroy(obj);
	atomic_long_dec(&iommufd_stats.objects[obj->type]);
	kfree(obj);
}

/* Undo an object that was never finalized and holds nothing yet. */
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *old;

	old = xa_erase(&ictx->objects, obj->id);
	WARN_ON(old);
	atomic_long_dec(&iommufd_stats.objects[obj->type]);
	kfree(obj);
}

/* Undo an object that was never finalized, releasing what it holds. */
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	iommufd_object_ops[obj->type].destroy(obj);
	iommufd_object_abort(ictx, obj);
}

/*
 * Look up a published object and take a reference on it.  Returns -ENOENT for
 * an unknown ID, an ID still under construction, or an object of another type
 * than @type (unless @type is IOMMUFD_OBJ_ANY).
 */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj || obj->dying ||
	    (type != IOMMUFD_OBJ_ANY && obj->type != type) ||
	    !refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

/*
 * Remove @id from the table if nothing but the table holds it, then destroy
 * it.  The reference check and the removal happen under xa_lock, so no
 * lookup can take a new reference in between.
 */
static int iommufd_object_remove(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj) {
		xa_unlock(&ictx->objects);
		return -ENOENT;
	}
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ictx->objects);
		return -EBUSY;
	}
	__xa_erase(&ictx->objects, id);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
	xa_unlock(&ictx->objects);

	iommufd_object_free(obj);
	return 0;
}

/*
 * Destroy an object its kernel owner (a driver) holds a reference on, which
 * it gives up here.  User space cannot destroy such an object (EBUSY while
 * the owner's reference exists), but an ioctl may be using it right now (a
 * device looked up for IOMMU_HWPT_ALLOC or IOMMU_GET_HW_INFO): hide it from
 * new lookups, wait for those to put it back, then free it.
 *
 * The wait has no time limit: the owner frees what the object refers to
 * (the device) once this returns, so giving up would free it under the
 * holder.  An ioctl that may block for long (on user memory) drops its
 * device reference first (iommufd_get_hw_info()); a reference never put back
 * shows up as a hung task.
 */
void iommufd_object_destroy_user(struct iommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	xa_lock(&ictx->objects);
	obj->dying = true;
	xa_unlock(&ictx->objects);

	/* The table's reference and the owner's are what stays. */
	wait_event(iommufd_destroy_wait, refcount_read(&obj->users) == 2);

	xa_lock(&ictx->objects);
	refcount_dec(&obj->users);
	WARN_ON(!refcount_dec_if_one(&obj->users));
	__xa_erase(&ictx->objects, obj->id);
	xa_unlock(&ictx->objects);
	iommufd_object_free(obj);
}

/*
 * Drop a reference on an object the kernel made for user space (an automatic
 * HWPT) and destroy it if only the table holds it now.  If someone else still
 * holds it, it stays; user space can destroy it later.
 */
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj)
{
	xa_lock(&ictx->objects);
	refcount_dec(&obj->users);
	if (xa_load(&ictx->objects, obj->id) != obj ||
	    !refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ictx->objects);
		return;
	}
	__xa_erase(&ictx->objects, obj->id);
	xa_unlock(&ictx->objects);
	iommufd_object_free(obj);
}

/* Copy the kernel's structure back, as far as the caller's size reaches. */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, cmd->id);
}

/* Every live context, for the debugfs snapshot; under ctx_list_lock. */
static LIST_HEAD(ctx_list);
static DEFINE_MUTEX(ctx_list_lock);

static struct iommufd_ctx *iommufd_ctx_alloc(enum iopt_account_mode mode,
					     bool vfio)
{
	static atomic64_t last_id;
	struct iommufd_ctx *ictx;

	ictx = iommufd_should_fail() ? NULL : kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return NULL;
	ictx->activity = iommufd_should_fail() ? NULL :
			 alloc_percpu_gfp(struct iommufd_activity,
					  GFP_KERNEL_ACCOUNT);
	if (!ictx->activity) {
		kfree(ictx);
		return NULL;
	}
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_rwsem(&ictx->ioas_creation_rwsem);
	ictx->account_mode = mode;
	mutex_init(&ictx->devices_lock);
	INIT_LIST_HEAD(&ictx->devices);
	xa_init(&ictx->groups);
	ictx->id = atomic64_inc_return(&last_id);
	ictx->vfio = vfio;
	ictx->owner = task_tgid_nr(current);
	get_task_comm(ictx->owner_comm, current);
	mutex_lock(&ctx_list_lock);
	list_add_tail(&ictx->node, &ctx_list);
	mutex_unlock(&ctx_list_lock);
	atomic_long_inc(&iommufd_stats.contexts);
	return ictx;
}

static void iommufd_ctx_unlist(struct iommufd_ctx *ictx)
{
	mutex_lock(&ctx_list_lock);
	list_del(&ictx->node);
	mutex_unlock(&ctx_list_lock);
}

static void iommufd_wake_destroyers(atomic_t *observers)
{
	/* The global queue only: the observed may be freed at once. */
	if (atomic_dec_and_test(observers))
		wake_up_all(&iommufd_destroy_wait);
}

/*
 * Call @fn for every live context, for the debugfs snapshot.  ctx_list_lock
 * is held only to take each context as an observer: @fn may sleep on the
 * context's locks (behind a map stuck on user memory) without holding up
 * the open or close of any other /dev/iommu file.  A context's release
 * waits for its observers once it is off the list.
 */
int iommufd_walk_contexts(struct seq_file *m, iommufd_ctx_fn fn)
{
	struct iommufd_ctx **ctxs, *ictx;
	unsigned int n = 0, i;

	mutex_lock(&ctx_list_lock);
	list_for_each_entry(ictx, &ctx_list, node)
		n++;
	ctxs = iommufd_should_fail() ? NULL :
	       kmalloc_array(n, sizeof(*ctxs), GFP_KERNEL);
	if (!ctxs) {
		mutex_unlock(&ctx_list_lock);
		return -ENOMEM;
	}
	n = 0;
	list_for_each_entry(ictx, &ctx_list, node) {
		atomic_inc(&ictx->observers);
		ctxs[n++] = ictx;
	}
	mutex_unlock(&ctx_list_lock);

	for (i = 0; i < n; i++) {
		fn(m, ctxs[i]);
		iommufd_wake_destroyers(&ctxs[i]->observers);
	}
	kfree(ctxs);
	return 0;
}

/*
 * The next published object of @type at or after *index, held as an
 * observer (iommufd_object_unobserve() after); *index is advanced past it.
 * NULL at the end.
 */
struct iommufd_object *
iommufd_observe_next_object(struct iommufd_ctx *ictx, unsigned long *index,
			    enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	xa_for_each_start(&ictx->objects, *index, obj, *index) {
		if (obj->type != type || obj->dying)
			continue;
		atomic_inc(&obj->observers);
		(*index)++;
		xa_unlock(&ictx->objects);
		return obj;
	}
	xa_unlock(&ictx->objects);
	return NULL;
}

void iommufd_object_unobserve(struct iommufd_object *obj)
{
	iommufd_wake_destroyers(&obj->observers);
}

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx = iommufd_ctx_alloc(IOPT_PAGES_ACCOUNT_USER,
						     false);

	if (!ictx)
		return -ENOMEM;
	ictx->file = filp;
	filp->private_data = ictx;
	return 0;
}

/*
 * Destroy everything the context still holds.  Objects may depend on each
 * other, so each pass destroys those nothing else holds, until the table is
 * empty.  No ioctl can run any more, so nothing takes new references.
 */
static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx = filp->private_data;
	struct iommufd_object *obj;
	unsigned long index;
	bool progress;

	/* No ioctl runs any more: nothing looks at the compat IOAS. */
	ictx->vfio_ioas = NULL;
	iommufd_ctx_unlist(ictx);
	wait_event(iommufd_destroy_wait, !atomic_read(&ictx->observers));
	do {
		progress = false;
		xa_for_each(&ictx->objects, index, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_erase(&ictx->objects, index);
			iommufd_object_free(obj);
			progress = true;
		}
	} while (progress);

	/*
	 * Anything left holds a reference nobody will drop: a bug.  Leaking
	 * it is safer than freeing memory another object still points to.
	 */
	WARN_ON(!xa_empty(&ictx->objects));
	xa_destroy(&ictx->objects);
	WARN_ON(!xa_empty(&ictx->groups));
	xa_destroy(&ictx->groups);
	mutex_destroy(&ictx->devices_lock);
	iommufd_activity_closed(ictx);
	free_percpu(ictx->activity);
	kfree(ictx);
	atomic_long_dec(&iommufd_stats.contexts);
	return 0;
}

/* Every command's structure, so the dispatcher has one buffer that fits all. */
union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_fault_alloc fault_alloc;
#ifdef IOMMUFD_BPF_TEST
	struct iommu_test_cmd test;
#endif
};

/**
 * struct iommufd_ioctl_op - how one command is received
 * @size: the kernel's size of the command's structure
 * @min_size: the size of the structure's first published version; a caller
 *            declaring less gets -EINVAL
 * @execute: the handler; NULL for a command number this module does not
 *           implement
 */
struct iommufd_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

#define IOCTL_OP(_cmd, _fn, _struct, _last)                                   \
	[IOMMUFD_CMD_##_cmd - IOMMUFD_CMD_BASE] = {                           \
		.size = sizeof(_struct) +                                     \
			BUILD_BUG_ON_ZERO(sizeof(union ucmd_buffer) <         \
					  sizeof(_struct)),                   \
		.min_size = offsetofend(_struct, _last),                      \
		.execute = _fn,                                               \
	}

#ifdef IOMMUFD_BPF_TEST
/* IOMMU_TEST_CMD's number, in the enum's terms. */
#define IOMMUFD_CMD_TEST (IOMMUFD_CMD_BASE + 32)
static_assert(_IO(IOMMUFD_TYPE, IOMMUFD_CMD_TEST) == IOMMU_TEST_CMD);

/* Only with selftest=1: without it, the number is not a command. */
static int iommufd_test_cmd_enabled(struct iommufd_ucmd *ucmd)
{
	return iommufd_selftest_enabled ? iommufd_test_cmd(ucmd) : -ENOTTY;
}
#endif

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOAS_ALLOC, iommufd_ioas_alloc_ioctl, struct iommu_ioas_alloc,
		 out_ioas_id),
	IOCTL_OP(IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		 src_iova),
	IOCTL_OP(IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOCTL_OP(IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOAS_MAP_FILE, iommufd_ioas_map_file,
		 struct iommu_ioas_map_file, iova),
	IOCTL_OP(IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		 struct iommu_ioas_change_process, __reserved),
	IOCTL_OP(IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap,
		 length),
	IOCTL_OP(OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info,
		 __reserved),
	IOCTL_OP(HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc,
		 __reserved),
	IOCTL_OP(VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		 __reserved),
	IOCTL_OP(HWPT_SET_DIRTY_TRACKING, iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(HWPT_INVALIDATE, iommufd_hwpt_invalidate,
		 struct iommu_hwpt_invalidate, __reserved),
	IOCTL_OP(FAULT_QUEUE_ALLOC, iommufd_fault_alloc,
		 struct iommu_fault_alloc, out_fault_fd),
#ifdef IOMMUFD_BPF_TEST
	[IOMMUFD_CMD_TEST - IOMMUFD_CMD_BASE] = {
		.size = sizeof(struct iommu_test_cmd),
		.min_size = offsetofend(struct iommu_test_cmd, last),
		.execute = iommufd_test_cmd_enabled,
	},
#endif
};

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = {
		.ictx = filp->private_data,
		.ubuffer = (void __user *)arg,
	};
	union ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (nr < IOMMUFD_CMD_BASE) {
		/* The VFIO container's ioctls share the type, below. */
		rc = iommufd_vfio_ioctl(ucmd.ictx, cmd, arg);
		return rc == -ENOIOCTLCMD ? -ENOTTY : rc;
	}
	if (nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(iommufd_ioctl_ops))
		return -ENOTTY;
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	/*
	 * Every command is _IO(IOMMUFD_TYPE, nr): a number with other type,
	 * size or direction bits is some other interface's ioctl.
	 */
	if (cmd != _IO(IOMMUFD_TYPE, nr) || !op->execute)
		return -ENOTTY;

	rc = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;

	/* Zero-extends a short structure; -E2BIG for a non-zero tail. */
	ucmd.cmd = &buf;
	rc = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->execute(&ucmd);
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.unlocked_ioctl = iommufd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * A context in an anonymous file of its own (it holds the module while it
 * lives), for the VFIO backend: each container is one.  Releasing the file
 * destroys what the context holds, as for /dev/iommu.
 */
struct file *iommufd_file_create(enum iopt_account_mode mode)
{
	struct iommufd_ctx *ictx = iommufd_ctx_alloc(mode, true);
	struct file *file;

	if (!ictx)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile("[iommufd]", &iommufd_fops, ictx, O_RDWR);
	if (IS_ERR(file)) {
		iommufd_ctx_unlist(ictx);
		/* A snapshot reader may be looking at it, as at release. */
		wait_event(iommufd_destroy_wait, !atomic_read(&ictx->observers));
		xa_destroy(&ictx->objects);
		mutex_destroy(&ictx->devices_lock);
		free_percpu(ictx->activity);
		kfree(ictx);
		atomic_long_dec(&iommufd_stats.contexts);
		return file;
	}
	ictx->file = file;
	return file;
}

static struct miscdevice iommufd_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.fops = &iommufd_fops,
	.mode = 0660,
};

static int iommufd_stats_show(struct seq_file *m, void *unused)
{
	int type;

	seq_printf(m, "contexts %ld\n",
		   atomic_long_read(&iommufd_stats.contexts));
	for (type = 0; type < IOMMUFD_OBJ_MAX; type++) {
		if (!iommufd_object_ops[type].name)
			continue;
		seq_printf(m, "%s %ld\n", iommufd_object_ops[type].name,
			   atomic_long_read(&iommufd_stats.objects[type]));
	}
	seq_printf(m, "pinned_pages %ld\n",
		   atomic_long_read(&iommufd_stats.pinned_pages));
	seq_printf(m, "pfn_chunks %ld\n",
		   atomic_long_read(&iommufd_stats.pfn_chunks));
	seq_printf(m, "charged_pages %ld\n",
		   atomic_long_read(&iommufd_stats.charged_pages));
	seq_printf(m, "iotlb_syncs %ld\n",
		   atomic_long_read(&iommufd_stats.iotlb_syncs));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iommufd_stats);

static struct dentry *iommufd_debugfs;

/*
 * A misc device whose name is taken cannot be registered, and trying prints a
 * stack dump from sysfs.  Look first, so the clash is explained in one line.
 */
static bool iommufd_devname_taken(const char *name)
{
	struct path path;
	char *sysfs_path;
	bool taken;

	sysfs_path = kasprintf(GFP_KERNEL, "/sys/class/misc/%s", name);
	if (!sysfs_path)
		return false;
	taken = !kern_path(sysfs_path, 0, &path);
	if (taken)
		path_put(&path);
	kfree(sysfs_path);
	return taken;
}

static int __init iommufd_init(void)
{
	int rc;

	if (!devname || !*devname || strchr(devname, '/') ||
	    strlen(devname) > NAME_MAX) {
		pr_err("devname=%s is not a valid device name\n",
		       devname ? devname : "(null)");
		return -EINVAL;
	}
	if (iommufd_devname_taken(devname)) {
		pr_err("/dev/%s already exists (an in-kernel iommufd?): load with devname=<another name>\n",
		       devname);
		return -EEXIST;
	}

	iommufd_misc_dev.name = devname;
	rc = misc_register(&iommufd_misc_dev);
	if (rc) {
		pr_err("cannot register /dev/%s: %d\n", devname, rc);
		return rc;
	}

	rc = iommufd_mock_iommu_register();
	if (rc) {
		pr_err("cannot register the mock IOMMU: %d\n", rc);
		goto err_misc;
	}

	rc = iommufd_vfio_backend_register();
	if (rc) {
		pr_err("cannot register the VFIO backend: %d\n", rc);
		goto err_mock;
	}

	/* Policies can only come once everything they hook is there. */
	rc = iommufd_policy_register();
	if (rc) {
		pr_err("cannot register the policy struct_ops type: %d\n", rc);
		goto err_vfio;
	}
	rc = iommufd_vfio_gate_register();
	if (rc) {
		pr_err("cannot register the VFIO gate's kfuncs: %d\n", rc);
		goto err_vfio;
	}

	iommufd_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0400, iommufd_debugfs, NULL,
			    &iommufd_stats_fops);
	iommufd_policy_debugfs(iommufd_debugfs);
	iommufd_snapshot_debugfs(iommufd_debugfs);
	iommufd_fail_init(iommufd_debugfs);
	return 0;

err_vfio:
	iommufd_vfio_backend_unregister();

err_mock:
	iommufd_mock_iommu_unregister();
err_misc:
	misc_deregister(&iommufd_misc_dev);
	return rc;
}

static void __exit iommufd_exit(void)
{
	debugfs_remove_recursive(iommufd_debugfs);
	iommufd_vfio_backend_unregister();
	misc_deregister(&iommufd_misc_dev);
	iommufd_mock_iommu_unregister();
	iommufd_fail_exit();
}

module_init(iommufd_init);
module_exit(iommufd_exit);

MODULE_DESCRIPTION("iommufd core (/dev/iommu) with tracepoints and BPF policy hooks");
MODULE_LICENSE("GPL");
