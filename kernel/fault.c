// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: I/O page fault queues (IOMMU_FAULT_QUEUE_ALLOC).
 *
 * A fault queue is an object and a file.  A nested HWPT allocated with
 * IOMMU_HWPT_FAULT_ID_VALID sends the page requests its devices raise to
 * the queue: the IOMMU core hands each group of faults (struct iopf_group)
 * to iommufd_fault_iopf_handler(), which queues it for delivery.  User space
 * reads the faults from the file (struct iommu_hwpt_pgfault, each carrying
 * its group's cookie) and answers each group by writing a struct
 * iommu_hwpt_page_response with that cookie; the answer goes back to the
 * device through the IOMMU driver.  A group nobody answers is answered
 * IOMMU_PAGE_RESP_INVALID when its device leaves the HWPT (detach, unbind,
 * the group's replace) and when the queue is destroyed, so a device never
 * waits on a fault no one will answer, and no group outlives its device.
 *
 * A fault's dev_id is that of the device whose attach made the group's
 * attach handle (as upstream's): the faulting device itself for a group of
 * one device, which is what the IOMMU core can tell this module.
 *
 * Attaching to such a HWPT turns the device's IOPF on
 * (IOMMU_DEV_FEAT_IOPF) and goes through an attach handle, which is how
 * the core finds the domain's handler: device.c calls the helpers at the
 * end of this file under the group's igroup->lock.
 *
 * Locking: fault->mutex (under igroup->lock when a detach flushes)
 * serialises reads, writes and flushes and protects fault->response;
 * fault->lock, a spinlock taken inside it and by the core's fault path,
 * protects fault->deliver.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"
#include "trace.h"

static_assert((int)IOMMUFD_PAGE_RESP_SUCCESS == (int)IOMMU_PAGE_RESP_SUCCESS);
static_assert((int)IOMMUFD_PAGE_RESP_INVALID == (int)IOMMU_PAGE_RESP_INVALID);
static_assert((u32)IOMMU_PGFAULT_FLAGS_PASID_VALID ==
	      IOMMU_FAULT_PAGE_REQUEST_PASID_VALID);
static_assert((u32)IOMMU_PGFAULT_FLAGS_LAST_PAGE ==
	      IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE);
static_assert((u32)IOMMU_PGFAULT_PERM_READ == IOMMU_FAULT_PERM_READ);
static_assert((u32)IOMMU_PGFAULT_PERM_WRITE == IOMMU_FAULT_PERM_WRITE);
static_assert((u32)IOMMU_PGFAULT_PERM_EXEC == IOMMU_FAULT_PERM_EXEC);
static_assert((u32)IOMMU_PGFAULT_PERM_PRIV == IOMMU_FAULT_PERM_PRIV);

static struct iommufd_attach_handle *
to_iommufd_handle(struct iommu_attach_handle *handle)
{
	return container_of(handle, struct iommufd_attach_handle, handle);
}

/* Answer @group and let it go. */
static void fault_respond(struct iommufd_fault *fault, struct iopf_group *group,
			  enum iommu_page_response_code code)
{
	trace_fault_response(fault->obj.id, group->cookie,
			     READ_ONCE(to_iommufd_handle(group->attach_handle)
				       ->dev_id),
			     code, fault->ictx->owner,
			     fault->ictx->owner_comm);
	atomic_long_inc(&fault->responses);
	iopf_group_response(group, code);
	iopf_free_group(group);
}

/*
 * The IOMMU core's handler of a nested domain with a fault queue: queue
 * @group for user space.  Runs in the core's fault path (for the mock
 * IOMMU, IOMMU_TEST_OP_TRIGGER_IOPF) and takes only fault->lock.
 */
static int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hw_pagetable *hwpt = group->attach_handle->domain->fault_data;
	struct iommufd_fault *fault = hwpt->fault;
	struct iopf_fault *iopf = &group->last_fault;

	/* From here the group is this queue's to answer. */
	iopf_group_dequeue(group);
	trace_fault(fault->obj.id, hwpt->obj.id,
		    READ_ONCE(to_iommufd_handle(group->attach_handle)->dev_id),
		    iopf->fault.prm.pasid, iopf->fault.prm.grpid,
		    iopf->fault.prm.perm, iopf->fault.prm.addr,
		    group->fault_count, fault->ictx->owner,
		    fault->ictx->owner_comm);
	atomic_long_inc(&fault->delivered);
	spin_lock(&fault->lock);
	list_add_tail(&group->node, &fault->deliver);
	spin_unlock(&fault->lock);
	wake_up_interruptible(&fault->wait_queue);
	return 0;
}

/* Make @hwpt's domain send its faults to @fault (a reference taken). */
void iommufd_fault_set(struct iommufd_hw_pagetable *hwpt,
		       struct iommufd_fault *fault)
{
	refcount_inc(&fault->obj.users);
	hwpt->fault = fault;
	hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
	hwpt->domain->fault_data = hwpt;
}

/* Does @group come through @handle or, without one, from @dev? */
static bool fault_group_matches(struct iopf_group *group,
				struct iommufd_attach_handle *handle,
				struct device *dev)
{
	if (handle)
		return group->attach_handle == &handle->handle;
	return group->fault_param->dev == dev;
}

/*
 * Answer IOMMU_PAGE_RESP_INVALID to every group of @fault that matches,
 * read or not.  fault->mutex keeps read() and write() out; the groups
 * still to be read leave the list under fault->lock and are answered
 * outside it.
 */
static void fault_flush(struct iommufd_fault *fault,
			struct iommufd_attach_handle *handle,
			struct device *dev)
{
	struct iopf_group *group, *next;
	unsigned long index;
	LIST_HEAD(flushed);

	mutex_lock(&fault->mutex);
	spin_lock(&fault->lock);
	list_for_each_entry_safe(group, next, &fault->deliver, node)
		if (fault_group_matches(group, handle, dev))
			list_move_tail(&group->node, &flushed);
	spin_unlock(&fault->lock);
	list_for_each_entry_safe(group, next, &flushed, node) {
		list_del(&group->node);
		fault_respond(fault, group, IOMMU_PAGE_RESP_INVALID);
	}
	xa_for_each(&fault->response, index, group) {
		if (!fault_group_matches(group, handle, dev))
			continue;
		xa_erase(&fault->response, index);
		fault_respond(fault, group, IOMMU_PAGE_RESP_INVALID);
	}
	mutex_unlock(&fault->mutex);
}

/* The groups that came through @handle: its attachment is going. */
void iommufd_fault_flush(struct iommufd_fault *fault,
			 struct iommufd_attach_handle *handle)
{
	fault_flush(fault, handle, NULL);
}

/*
 * The groups that @dev raised: @dev leaves a group that stays on the
 * HWPT (its IOPF goes off, and it may go away, which its groups must not
 * outlive).
 */
void iommufd_fault_flush_dev(struct iommufd_fault *fault, struct device *dev)
{
	fault_flush(fault, NULL, dev);
}

/* Nothing holds the queue any more: answer what is left. */
void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);
	struct iopf_group *group, *next;
	unsigned long index;

	list_for_each_entry_safe(group, next, &fault->deliver, node) {
		list_del(&group->node);
		fault_respond(fault, group, IOMMU_PAGE_RESP_INVALID);
	}
	xa_for_each(&fault->response, index, group) {
		xa_erase(&fault->response, index);
		fault_respond(fault, group, IOMMU_PAGE_RESP_INVALID);
	}
	xa_destroy(&fault->response);
	mutex_destroy(&fault->mutex);
}

/* The oldest group not yet read, taken off the list; NULL when none. */
static struct iopf_group *fault_next(struct iommufd_fault *fault)
{
	struct iopf_group *group;

	spin_lock(&fault->lock);
	group = list_first_entry_or_null(&fault->deliver, struct iopf_group,
					 node);
	if (group)
		list_del(&group->node);
	spin_unlock(&fault->lock);
	return group;
}

/* Put @group back at the head, to be read first next time. */
static void fault_unread(struct iommufd_fault *fault, struct iopf_group *group)
{
	spin_lock(&fault->lock);
	list_add(&group->node, &fault->deliver);
	spin_unlock(&fault->lock);
}

/*
 * read(): whole groups of faults, as many as fit; 0 when there is none (it
 * does not wait: poll() for EPOLLIN).  The length must be a multiple of
 * struct iommu_hwpt_pgfault (ESPIPE otherwise, and for an offset), and
 * EINVAL when the first group does not fit.
 */
static ssize_t fault_read(struct file *filep, char __user *buf, size_t count,
			  loff_t *ppos)
{
	const size_t size = sizeof(struct iommu_hwpt_pgfault);
	struct iommufd_fault *fault = filep->private_data;
	struct iopf_group *group;
	struct iopf_fault *iopf;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % size)
		return -ESPIPE;

	mutex_lock(&fault->mutex);
	while ((group = fault_next(fault))) {
		size_t group_done = done;
		u32 dev_id =
			READ_ONCE(to_iommufd_handle(group->attach_handle)->dev_id);

		if (group->fault_count * size > count - done) {
			fault_unread(fault, group);
			if (!done)
				rc = -EINVAL;
			break;
		}
		rc = iommufd_should_fail() ? -ENOMEM :
		     xa_alloc(&fault->response, &group->cookie, group,
			      xa_limit_32b, GFP_KERNEL_ACCOUNT);
		if (rc) {
			fault_unread(fault, group);
			break;
		}
		list_for_each_entry(iopf, &group->faults, list) {
			struct iommu_hwpt_pgfault msg = {
				.flags = iopf->fault.prm.flags,
				.dev_id = dev_id,
				.pasid = iopf->fault.prm.pasid,
				.grpid = iopf->fault.prm.grpid,
				.perm = iopf->fault.prm.perm,
				.addr = iopf->fault.prm.addr,
				.cookie = group->cookie,
			};

			if (copy_to_user(buf + group_done, &msg, size)) {
				rc = -EFAULT;
				break;
			}
			group_done += size;
		}
		if (rc) {
			xa_erase(&fault->response, group->cookie);
			fault_unread(fault, group);
			break;
		}
		done = group_done;
	}
	mutex_unlock(&fault->mutex);
	return done ? done : rc;
}

/*
 * write(): responses, each answering the group of its cookie once.  The
 * length must be a multiple of struct iommu_hwpt_page_response (ESPIPE);
 * an unknown cookie or code is EINVAL, unless earlier responses of the
 * same write were taken, whose bytes are then returned.
 */
static ssize_t fault_write(struct file *filep, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	const size_t size = sizeof(struct iommu_hwpt_page_response);
	struct iommufd_fault *fault = filep->private_data;
	struct iommu_hwpt_page_response response;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % size)
		return -ESPIPE;

	mutex_lock(&fault->mutex);
	for (; done < count; done += size) {
		if (copy_from_user(&response, buf + done, size)) {
			rc = -EFAULT;
			break;
		}
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		group = xa_erase(&fault->response, response.cookie);
		if (!group) {
			rc = -EINVAL;
			break;
		}
		fault_respond(fault, group, response.code);
	}
	mutex_unlock(&fault->mutex);
	return done ? done : rc;
}

static __poll_t fault_poll(struct file *filep, struct poll_table_struct *wait)
{
	struct iommufd_fault *fault = filep->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(filep, &fault->wait_queue, wait);
	spin_lock(&fault->lock);
	if (!list_empty(&fault->deliver))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fault->lock);
	return mask;
}

/* The file held the object and the context's file; let both go. */
static int fault_release(struct inode *inode, struct file *filep)
{
	struct iommufd_fault *fault = filep->private_data;
	struct file *ctx_file = fault->ictx->file;

	iommufd_put_object(&fault->obj);
	fput(ctx_file);
	return 0;
}

static const struct file_operations fault_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.read = fault_read,
	.write = fault_write,
	.poll = fault_poll,
	.release = fault_release,
};

/*
 * IOMMU_FAULT_QUEUE_ALLOC: a fault queue and its file, which holds the
 * object (IOMMU_DESTROY is EBUSY until it is closed) and this context.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_fault *fault;
	struct file *filep;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = iommufd_object_alloc(ucmd->ictx, fault, IOMMUFD_OBJ_FAULT);
	if (IS_ERR(fault))
		return PTR_ERR(fault);
	fault->ictx = ucmd->ictx;
	INIT_LIST_HEAD(&fault->deliver);
	xa_init_flags(&fault->response, XA_FLAGS_ALLOC1);
	mutex_init(&fault->mutex);
	spin_lock_init(&fault->lock);
	init_waitqueue_head(&fault->wait_queue);

	fd = iommufd_should_fail() ? -ENOMEM : get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_abort;
	}
	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_fd;
	/* Last, as once the file exists only its release can undo it. */
	filep = iommufd_should_fail() ? ERR_PTR(-ENOMEM) :
		anon_inode_getfile("[iommufd-pgfault]", &fault_fops, fault,
				   O_RDWR);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto err_fd;
	}
	/* The file's references; its release drops them. */
	refcount_inc(&fault->obj.users);
	get_file(ucmd->ictx->file);
	iommufd_object_finalize(ucmd->ictx, &fault->obj);
	fd_install(fd, filep);
	return 0;

err_fd:
	put_unused_fd(fd);
err_abort:
	iommufd_object_abort_and_destroy(ucmd->ictx, &fault->obj);
	return rc;
}

/* The fault queue @id, with a reference; put it after. */
struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_FAULT);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_fault, obj);
}
