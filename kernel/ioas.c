// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the IOAS object and its ioctls.
 */
#include <linux/capability.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"
#include "policy.h"
#include "trace.h"

/* A new, empty IOAS, not yet published (see iommufd_object_finalize()). */
struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_object_alloc(ictx, ioas, IOMMUFD_OBJ_IOAS);
	if (IS_ERR(ioas))
		return ERR_CAST(ioas);
	iopt_init_table(&ioas->iopt, ioas->obj.id);
	ioas->iopt.activity = ictx->activity;
	mutex_init(&ioas->mutex);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	return ioas;
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	guard(rwsem_read)(&ucmd->ictx->ioas_creation_rwsem);
	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/*
	 * The ID reaches user space before the object is published: if the
	 * copy faults, nobody can have used it yet and the IOAS is undone.
	 */
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

/*
 * Destroy never fails: nothing attached can hold it (accesses and HWPTs hold
 * references).
 */
void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);

	WARN_ON(!list_empty(&ioas->hwpt_list));
	WARN_ON(iopt_unmap_all(&ioas->iopt, NULL));
	iopt_destroy_table(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommu_iova_range __user *ranges;
	unsigned long start = 0, last;
	struct iommufd_ioas *ioas;
	u32 room = cmd->num_iovas;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ranges = u64_to_user_ptr(cmd->allowed_iovas);
	cmd->num_iovas = 0;
	down_read(&ioas->iopt.iova_rwsem);
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	while (iopt_itree_find_hole(&ioas->iopt.reserved_itree, &start,
				    ULONG_MAX, &last)) {
		if (cmd->num_iovas < room) {
			struct iommu_iova_range range = {
				.start = start,
				.last = last,
			};

			if (copy_to_user(&ranges[cmd->num_iovas], &range,
					 sizeof(range))) {
				rc = -EFAULT;
				break;
			}
		}
		cmd->num_iovas++;
		if (last == ULONG_MAX)
			break;
		start = last + 1;
	}
	up_read(&ioas->iopt.iova_rwsem);
	if (!rc)
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && cmd->num_iovas > room)
		rc = -EMSGSIZE;
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Read @num ranges from user space into @itree; they must not overlap. */
static int ioas_load_iovas(struct rb_root_cached *itree,
			   struct iommu_iova_range __user *ranges, u32 num)
{
	struct iommu_iova_range range;
	struct iopt_allowed *allowed;
	u32 i;

	for (i = 0; i < num; i++) {
		if (copy_from_user(&range, ranges + i, sizeof(range)))
			return -EFAULT;
		if (range.start >= range.last)
			return -EINVAL;
		if (range.last > ULONG_MAX)
			return -EOVERFLOW;
		if (interval_tree_iter_first(itree, range.start, range.last))
			return -EINVAL;
		allowed = iommufd_should_fail() ? NULL :
			  kzalloc(sizeof(*allowed), GFP_KERNEL_ACCOUNT);
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		interval_tree_insert(&allowed->node, itree);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct interval_tree_node *node;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/*
	 * Build the new list aside and swap it in, so a failure part-way
	 * leaves the old one untouched.  What is left over here, new or old,
	 * is freed below.
	 */
	rc = ioas_load_iovas(&allowed, u64_to_user_ptr(cmd->allowed_iovas),
			     cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allow_iova(&ioas->iopt, &allowed);
	while ((node = interval_tree_iter_first(&allowed, 0, ULONG_MAX))) {
		interval_tree_remove(node, &allowed);
		kfree(container_of(node, struct iopt_allowed, node));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* Flags valid for MAP and COPY, their checks, and the IOMMU protection. */
static int ioas_map_prot(u32 flags, int *iommu_prot)
{
	if (flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
		      IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (!(flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	/*
	 * No cache maintenance is offered to user space, so mappings must be
	 * CPU coherent; devices that cannot be are refused at bind.
	 */
	*iommu_prot = IOMMU_CACHE;
	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		*iommu_prot |= IOMMU_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		*iommu_prot |= IOMMU_READ;
	return 0;
}

/* The caller's charged total, for the map and unmap events. */
static unsigned long ioas_charged(struct iommufd_ctx *ictx)
{
	return iommufd_ledger_charged_current(ictx->account_mode);
}

/*
 * IOMMU_IOAS_MAP of user memory at @start, or IOMMU_IOAS_MAP_FILE of @file
 * from offset @start: asks the map policies, maps, and reports the IOVA
 * through *@iova (in with IOMMU_IOAS_MAP_FIXED_IOVA).
 */
static int ioas_map(struct iommufd_ucmd *ucmd, u32 ioas_id, u32 flags,
		    struct file *file, u64 start, u64 length, u64 *iova)
{
	unsigned long out = *iova;
	enum iopt_account_mode mode;
	struct iommufd_ioas *ioas;
	int iommu_prot, rc;
	u64 t0;

	rc = ioas_map_prot(flags, &iommu_prot);
	if (rc)
		return rc;
	if (*iova >= ULONG_MAX || length >= ULONG_MAX || start >= ULONG_MAX)
		return -EOVERFLOW;

	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mode = iopt_account_mode_current(ucmd->ictx->account_mode);
	rc = iommufd_policy_map(&(struct iommufd_policy_map_req){
		.op = file ? IOMMUFD_POLICY_MAP_FILE : IOMMUFD_POLICY_MAP_USER,
		.ioas_id = ioas_id,
		.iova = flags & IOMMU_IOAS_MAP_FIXED_IOVA ? *iova : 0,
		.length = length,
		.uptr = start,
		.prot = iommu_prot,
		.account_mode = mode,
	});
	if (rc)
		goto out_put;
	/* Timed only when someone reads the times. */
	t0 = iommufd_activity_start(trace_ioas_map_enabled());
	if (file)
		rc = iopt_map_file_pages(&ioas->iopt, &out, file, start, length,
					 iommu_prot,
					 flags & IOMMU_IOAS_MAP_FIXED_IOVA ?
					 0 : IOPT_ALLOC_IOVA, mode);
	else
		rc = iopt_map_user_pages(&ioas->iopt, &out, start, length,
					 iommu_prot,
					 flags & IOMMU_IOAS_MAP_FIXED_IOVA ?
					 0 : IOPT_ALLOC_IOVA, mode);
	if (!rc) {
		u64 ns = iommufd_activity_map(&ioas->iopt, length, t0);

		if (trace_ioas_map_enabled())
			trace_ioas_map(ioas_id, out, length, start, iommu_prot,
				       ioas_charged(ucmd->ictx), ns);
		*iova = out;
	}
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = ioas_map(ucmd, cmd->ioas_id, cmd->flags, NULL, cmd->user_va,
		      cmd->length, &cmd->iova);
	if (rc)
		return rc;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * A file IOMMU_IOAS_MAP_FILE can pin: a memfd (shmem or hugetlbfs) opened
 * for what the mapping lets devices do, not sealed against their writes.
 */
static int ioas_check_map_file(struct file *file, bool writable)
{
	unsigned int seals;

	if (shmem_file(file))
		seals = SHMEM_I(file_inode(file))->seals;
	else if (is_file_hugepages(file))
		seals = HUGETLBFS_I(file_inode(file))->seals;
	else
		return -EINVAL;
	if (!(file->f_mode & FMODE_READ) ||
	    (writable && !(file->f_mode & FMODE_WRITE)))
		return -EACCES;
	if (writable && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	return 0;
}

int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct file *file;
	int rc;

	file = fget(cmd->fd);
	if (!file)
		return -EBADF;
	rc = ioas_check_map_file(file, cmd->flags & IOMMU_IOAS_MAP_WRITEABLE);
	if (!rc)
		rc = ioas_map(ucmd, cmd->ioas_id, cmd->flags, file, cmd->start,
			      cmd->length, &cmd->iova);
	fput(file);
	if (rc)
		return rc;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src, *dst;
	unsigned long iova = cmd->dst_iova;
	int iommu_prot, rc;

	rc = ioas_map_prot(cmd->flags, &iommu_prot);
	if (rc)
		return rc;
	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;

	src = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	dst = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		iommufd_put_object(&src->obj);
		return PTR_ERR(dst);
	}
	rc = iopt_copy_pages(&dst->iopt, &src->iopt, cmd->src_iova, cmd->length,
			     &iova, iommu_prot,
			     cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA ?
			     0 : IOPT_ALLOC_IOVA,
			     iopt_account_mode_current(ucmd->ictx->account_mode));
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&dst->obj);
	iommufd_put_object(&src->obj);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	u64 t0, ns = 0;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	t0 = iommufd_activity_start(trace_ioas_unmap_enabled());
	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	/* Areas before one the range cuts are unmapped even on -ENOENT. */
	if (unmapped)
		ns = iommufd_activity_unmap(&ioas->iopt, unmapped, t0);
	if (!rc) {
		if (trace_ioas_unmap_enabled())
			trace_ioas_unmap(cmd->ioas_id, cmd->iova, cmd->length,
					 unmapped, ioas_charged(ucmd->ictx), ns);
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int iommufd_option_rlimit_mode(struct iommu_option *cmd,
				      struct iommufd_ctx *ictx)
{
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (cmd->val64 > 1)
		return -EINVAL;

	/* Pages already mapped keep the mode they were charged under. */
	xa_lock(&ictx->objects);
	if (!xa_empty(&ictx->objects))
		rc = -EBUSY;
	else
		ictx->account_mode = cmd->val64 ? IOPT_PAGES_ACCOUNT_MM :
						  IOPT_PAGES_ACCOUNT_USER;
	xa_unlock(&ictx->objects);
	return rc;
}

static int iommufd_option_huge_pages(struct iommu_option *cmd,
				     struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	ioas = iommufd_get_ioas(ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (cmd->op == IOMMU_OPTION_OP_GET)
		cmd->val64 = !READ_ONCE(ioas->iopt.disable_large_pages);
	else if (cmd->op != IOMMU_OPTION_OP_SET)
		rc = -EOPNOTSUPP;
	else if (cmd->val64 == 0)
		rc = iopt_disable_large_pages(&ioas->iopt);
	else if (cmd->val64 == 1)
		iopt_enable_large_pages(&ioas->iopt);
	else
		rc = -EINVAL;
	iommufd_put_object(&ioas->obj);
	return rc;
}

int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_option_huge_pages(cmd, ucmd->ictx);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 is written back. */
	if (copy_to_user(&((struct iommu_option __user *)ucmd->ubuffer)->val64,
			 &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

/*
 * What IOMMU_IOAS_CHANGE_PROCESS works on: every IOAS of the context,
 * locked, and every pages object mapped in them, once, with the previous
 * owner of those it gave to the caller.
 */
struct change_process {
	struct iommufd_ioas **ioas;
	unsigned int nioas;
	struct change_pages {
		struct iopt_pages *pages;
		u32 ioas_id;
		struct iopt_owner prev;
	} *items;
	unsigned int nitems;
};

static int cmp_change_pages(const void *a, const void *b)
{
	const struct change_pages *x = a, *y = b;

	return x->pages == y->pages ? 0 : x->pages < y->pages ? -1 : 1;
}

/*
 * Lock every IOAS of @ictx for writing, in ID order, nested in
 * ioas_creation_rwsem (held for writing: no IOAS appears meanwhile), each
 * with a reference that keeps it from being destroyed.
 */
static int change_process_lock(struct iommufd_ctx *ictx,
			       struct change_process *cp)
{
	struct iommufd_object *obj;
	unsigned long index;
	unsigned int n = 0;

	down_write(&ictx->ioas_creation_rwsem);
	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj)
		n += obj->type == IOMMUFD_OBJ_IOAS;
	xa_unlock(&ictx->objects);
	cp->ioas = iommufd_should_fail() ? NULL :
		   kcalloc(n ?: 1, sizeof(*cp->ioas), GFP_KERNEL_ACCOUNT);
	if (!cp->ioas) {
		up_write(&ictx->ioas_creation_rwsem);
		return -ENOMEM;
	}
	/* Fewer now, perhaps (destroyed meanwhile), never more. */
	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj)
		if (obj->type == IOMMUFD_OBJ_IOAS && !obj->dying &&
		    cp->nioas < n && refcount_inc_not_zero(&obj->users))
			cp->ioas[cp->nioas++] =
				container_of(obj, struct iommufd_ioas, obj);
	xa_unlock(&ictx->objects);
	for (n = 0; n < cp->nioas; n++)
		down_write_nest_lock(&cp->ioas[n]->iopt.iova_rwsem,
				     &ictx->ioas_creation_rwsem);
	return 0;
}

static void change_process_unlock(struct iommufd_ctx *ictx,
				  struct change_process *cp)
{
	unsigned int i;

	for (i = 0; i < cp->nioas; i++) {
		up_write(&cp->ioas[i]->iopt.iova_rwsem);
		iommufd_put_object(&cp->ioas[i]->obj);
	}
	up_write(&ictx->ioas_creation_rwsem);
	kfree(cp->ioas);
	kvfree(cp->items);
}

/* Every pages object of the locked IOAS, once: -EINVAL if one has no file. */
static int change_process_collect(struct change_process *cp)
{
	struct iopt_area *area;
	unsigned int i, n = 0;

	for (i = 0; i < cp->nioas; i++)
		n += cp->ioas[i]->iopt.nareas;
	if (!n)
		return 0;
	cp->items = iommufd_should_fail() ? NULL :
		    kvcalloc(n, sizeof(*cp->items), GFP_KERNEL_ACCOUNT);
	if (!cp->items)
		return -ENOMEM;
	for (i = 0; i < cp->nioas; i++) {
		struct io_pagetable *iopt = &cp->ioas[i]->iopt;

		for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
			if (!area->pages->file)
				return -EINVAL;
			if (WARN_ON(cp->nitems == n))
				return -EINVAL;
			cp->items[cp->nitems].pages = area->pages;
			cp->items[cp->nitems++].ioas_id = iopt->id;
		}
	}
	sort(cp->items, cp->nitems, sizeof(*cp->items), cmp_change_pages,
	     NULL);
	for (i = 1, n = 1; i < cp->nitems; i++)
		if (cp->items[i].pages != cp->items[n - 1].pages)
			cp->items[n++] = cp->items[i];
	cp->nitems = n;
	return 0;
}

/*
 * Give the @i-th pages object to the caller; its previous owner goes to
 * the item.  Memory the caller owns already is left as it is.
 */
static int change_process_one(struct change_process *cp, unsigned int i)
{
	struct change_pages *item = &cp->items[i];
	struct iopt_pages *pages = item->pages;
	int rc;

	iopt_owner_get_current(&item->prev);
	if (pages->source_mm == item->prev.mm &&
	    pages->source_task == item->prev.task &&
	    pages->source_user == item->prev.user) {
		iopt_owner_put(&item->prev);
		item->prev.mm = NULL;
		return 0;
	}
	if (pages->ledger) {
		item->prev.ledger = iommufd_ledger_hold(item->prev.mm,
							pages->account_mode,
							item->prev.user,
							item->prev.task);
		if (IS_ERR(item->prev.ledger)) {
			rc = PTR_ERR(item->prev.ledger);
			item->prev.ledger = NULL;
			goto err_put;
		}
	}
	rc = iopt_pages_change_owner(pages, &item->prev, pages->uptr,
				     item->ioas_id, false);
	if (rc)
		goto err_put;
	return 0;

err_put:
	iopt_owner_put(&item->prev);
	item->prev.mm = NULL;
	return rc;
}

/**
 * iommufd_ioas_change_process() - IOMMU_IOAS_CHANGE_PROCESS
 * @ucmd: the call
 *
 * Every IOAS is locked for writing throughout, so no pin, unpin, map,
 * copy or access of their memory runs meanwhile, and nothing reads an
 * owner while it changes.  Owners change one pages object at a time, each
 * charged to the caller before its previous owner's charge is released; on
 * a failure those changed already are changed back, their charges restored
 * as they were.
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct change_process cp = {};
	unsigned int i;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = change_process_lock(ucmd->ictx, &cp);
	if (rc)
		return rc;
	rc = change_process_collect(&cp);
	for (i = 0; !rc && i < cp.nitems; i++)
		rc = change_process_one(&cp, i);
	if (rc) {
		/* Back to the previous owners, in reverse. */
		while (i--) {
			struct change_pages *item = &cp.items[i];

			if (!item->prev.mm)
				continue;
			WARN_ON(iopt_pages_change_owner(item->pages, &item->prev,
							item->pages->uptr,
							item->ioas_id, true));
			iopt_owner_put(&item->prev);
		}
	} else {
		for (i = 0; i < cp.nitems; i++)
			if (cp.items[i].prev.mm)
				iopt_owner_put(&cp.items[i].prev);
	}
	change_process_unlock(ucmd->ictx, &cp);
	return rc;
}
