// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: IOMMU_TEST_CMD, upstream's test interface (iommufd_test.h).
 *
 * Only with selftest=1: these operations let any opener of /dev/iommu
 * reserve IOVA, change the module-wide pin batch size and look at page pin
 * counts, which has no place on a production machine.
 *
 * The test access is an access (access.c) held by a file: CREATE_ACCESS
 * returns its descriptor, ACCESS_PAGES pins through it and remembers each
 * pin as an item, and the access's unmap callback drops the items an unmap
 * covers, as a real driver must.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../include/uapi/linux/iommufd_test.h"
#include "iommufd_private.h"

bool iommufd_selftest_enabled;
module_param_named(selftest, iommufd_selftest_enabled, bool, 0444);
MODULE_PARM_DESC(selftest, "answer IOMMU_TEST_CMD (for tests only)");

static_assert((unsigned int)MOCK_ACCESS_RW_WRITE == IOMMUFD_ACCESS_RW_WRITE);
static_assert((unsigned int)MOCK_ACCESS_RW_SLOW_PATH ==
	      IOMMUFD_ACCESS_RW_SLOW_PATH);
static_assert((unsigned int)MOCK_FLAGS_ACCESS_WRITE == IOMMUFD_ACCESS_RW_WRITE);

/**
 * struct selftest_device - IOMMUFD_OBJ_SELFTEST: a mock device of a context
 * @obj: object header
 * @pdev: the mock device, removed when the object is destroyed
 * @idev: its binding to the context (IOMMU_TEST_OP_BPF_BIND), owned here as
 *        a driver owns its device's binding; NULL while unbound.  Set once,
 *        by the only bind that can succeed (binding a bound device fails).
 */
struct selftest_device {
	struct iommufd_object obj;
	struct platform_device *pdev;
	struct iommufd_device *idev;
};

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_device *sdev =
		container_of(obj, struct selftest_device, obj);

	if (sdev->idev)
		iommufd_device_unbind(sdev->idev);
	iommufd_mock_device_destroy(sdev->pdev);
}

static int iommufd_test_bpf_bind(struct iommufd_ucmd *ucmd, u32 stdev_id)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_device *sdev;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	u32 dev_id;
	int rc = 0;

	obj = iommufd_get_object(ucmd->ictx, stdev_id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	sdev = container_of(obj, struct selftest_device, obj);
	idev = iommufd_device_bind(ucmd->ictx, &sdev->pdev->dev, &dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_put;
	}
	/* A second bind of the same device failed above with -EBUSY. */
	sdev->idev = idev;
	cmd->bpf_bind.out_dev_id = dev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_object(obj);
	return rc;
}

/* The test-device object @stdev_id, with a reference; put it after. */
static struct selftest_device *selftest_device_get(struct iommufd_ucmd *ucmd,
						   u32 stdev_id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, stdev_id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct selftest_device, obj);
}

/*
 * IOMMU_TEST_OP_BPF_ATTACH, IOMMU_TEST_OP_BPF_DETACH and
 * IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: the bound device of a test-device
 * object joins, leaves or changes its IOAS or HWPT.  -EINVAL when it is not
 * bound.
 */
static int iommufd_test_device_op(struct iommufd_ucmd *ucmd, u32 stdev_id)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_device *sdev;
	u32 pt_id;
	int rc;

	sdev = selftest_device_get(ucmd, stdev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	if (!sdev->idev) {
		rc = -EINVAL;
		goto out_put;
	}
	switch (cmd->op) {
	case IOMMU_TEST_OP_BPF_ATTACH:
		pt_id = cmd->bpf_attach.pt_id;
		rc = iommufd_device_attach(sdev->idev, &pt_id);
		if (rc)
			break;
		cmd->bpf_attach.out_hwpt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		break;
	case IOMMU_TEST_OP_BPF_DETACH:
		rc = iommufd_device_detach(sdev->idev);
		break;
	default:
		pt_id = cmd->mock_domain_replace.pt_id;
		rc = iommufd_device_replace(sdev->idev, &pt_id);
		if (rc)
			break;
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		break;
	}
out_put:
	iommufd_put_object(&sdev->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS): a new mock device, bound and attached
 * to IOAS or HWPT @pt_id, in one go.  The test-device object holds both;
 * destroying it detaches, unbinds and removes the device.
 */
static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd, u32 pt_id,
				    u32 dev_flags)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_device *sdev;
	struct iommufd_device *idev;
	u32 dev_id;
	int rc;

	if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY |
			  MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID))
		return -EINVAL;
	if (dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY)
		spec.flags |= MOCK_BPF_DEV_NO_DIRTY;
	if (dev_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		spec.flags |= MOCK_BPF_DEV_HUGE_IOVA;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID)
		spec.flags |= MOCK_BPF_DEV_PASID;

	sdev = iommufd_object_alloc(ucmd->ictx, sdev, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	sdev->pdev = iommufd_mock_device_create(&spec, true);
	if (IS_ERR(sdev->pdev)) {
		rc = PTR_ERR(sdev->pdev);
		iommufd_object_abort(ucmd->ictx, &sdev->obj);
		return rc;
	}
	idev = iommufd_device_bind(ucmd->ictx, &sdev->pdev->dev, &dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_destroy;
	}
	sdev->idev = idev;
	rc = iommufd_device_attach(idev, &pt_id);
	if (rc)
		goto err_destroy;
	cmd->mock_domain.out_stdev_id = sdev->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = dev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_destroy;
	iommufd_object_finalize(ucmd->ictx, &sdev->obj);
	return 0;

err_destroy:
	/* Detaches, unbinds and removes whatever was done. */
	iommufd_object_abort_and_destroy(ucmd->ictx, &sdev->obj);
	return rc;
}

static int iommufd_test_md_check_map(struct iommufd_ucmd *ucmd, u32 hwpt_id,
				     u64 iova, u64 length, u64 uptr)
{
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	if (iova > ULONG_MAX || length > ULONG_MAX || uptr > ULONG_MAX)
		return -EOVERFLOW;
	hwpt = iommufd_get_hwpt_paging(ucmd->ictx, hwpt_id);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = iommufd_mock_domain_check_map(hwpt->domain, iova, length, uptr);
	iommufd_put_object(&hwpt->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_MD_CHECK_IOTLB: on a nested HWPT (upstream's use), its mock
 * IOTLB entry @index holds @iotlb; on a paging HWPT (this project's), with
 * @index 0, its mock domain has had exactly @iotlb IOTLB syncs.
 */
static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd, u32 hwpt_id,
				       u32 index, u32 iotlb)
{
	struct iommufd_object *obj;
	struct iommu_domain *domain;
	long val;

	obj = iommufd_get_object(ucmd->ictx, hwpt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	if (obj->type != IOMMUFD_OBJ_HWPT_PAGING &&
	    obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
		iommufd_put_object(obj);
		return -ENOENT;
	}
	domain = container_of(obj, struct iommufd_hw_pagetable, obj)->domain;
	if (obj->type == IOMMUFD_OBJ_HWPT_NESTED)
		val = iommufd_mock_nested_iotlb(domain, index);
	else
		/* A paging domain has one counter. */
		val = index ? -EINVAL : iommufd_mock_domain_iotlb_syncs(domain);
	iommufd_put_object(obj);
	if (val < 0)
		return val;
	return val == iotlb ? 0 : -EINVAL;
}

/*
 * IOMMU_TEST_OP_DIRTY: DMA writes through the mock domain of paging HWPT
 * @hwpt_id at the pages whose bits are set in the user bitmap @uptr
 * (iommufd_mock_domain_set_dirty()).
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd, u32 hwpt_id)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	unsigned long count;
	int rc;

	if (cmd->dirty.iova > ULONG_MAX || cmd->dirty.length > ULONG_MAX ||
	    cmd->dirty.page_size > ULONG_MAX || cmd->dirty.uptr > ULONG_MAX)
		return -EOVERFLOW;
	hwpt = iommufd_get_hwpt_paging(ucmd->ictx, hwpt_id);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = iommufd_mock_domain_set_dirty(hwpt->domain, cmd->dirty.iova,
					   cmd->dirty.length,
					   cmd->dirty.page_size,
					   u64_to_user_ptr(cmd->dirty.uptr),
					   &count);
	iommufd_put_object(&hwpt->obj);
	if (rc)
		return rc;
	cmd->dirty.out_nr_dirty = count;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * IOMMU_TEST_OP_TRIGGER_IOPF: the mock device of device object @dev_id
 * raises a page request (the last of its group) for @addr, as hardware
 * would, into the IOMMU core's fault path.  It is raised under the group's
 * igroup->lock, so it never races a change of the group's domain (and the
 * attach handle that change drops).  EINVAL for a device that is not a mock
 * device, or whose group is on a fault-capable domain it is not attached
 * to (its IOPF is off); a device on a domain without a fault queue gets its
 * request refused by the core.
 */
static int iommufd_test_trigger_iopf(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iopf_fault event = {};
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	int rc = 0;

	obj = iommufd_get_object(ucmd->ictx, cmd->trigger_iopf.dev_id,
				 IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);
	if (!iommufd_mock_dev(idev->dev)) {
		rc = -EINVAL;
		goto out_put;
	}
	event.fault.type = IOMMU_FAULT_PAGE_REQ;
	event.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	if (cmd->trigger_iopf.pasid != IOMMU_NO_PASID)
		event.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
	event.fault.prm.addr = cmd->trigger_iopf.addr;
	event.fault.prm.pasid = cmd->trigger_iopf.pasid;
	event.fault.prm.grpid = cmd->trigger_iopf.grpid;
	event.fault.prm.perm = cmd->trigger_iopf.perm;

	mutex_lock(&idev->igroup->lock);
	if (idev->igroup->handle && !idev->iopf)
		rc = -EINVAL;
	else
		iommu_report_device_fault(idev->dev, &event);
	mutex_unlock(&idev->igroup->lock);
out_put:
	iommufd_put_object(obj);
	return rc;
}

/*
 * What a map and an unmap must do at the least: pin every page of the
 * range as the core does (long-term, writable, many pages a call), hold
 * them all, then unpin them.  The benchmarks divide the core's time by
 * this.
 */
static int iommufd_test_pin_floor(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	unsigned long uptr = cmd->bpf_pin_floor.uptr;
	unsigned long npages, done = 0;
	struct page **pages;
	int rc = 0;

	if (!cmd->bpf_pin_floor.length || !PAGE_ALIGNED(uptr) ||
	    !PAGE_ALIGNED(cmd->bpf_pin_floor.length) ||
	    cmd->bpf_pin_floor.length > SZ_4G)
		return -EINVAL;
	npages = cmd->bpf_pin_floor.length >> PAGE_SHIFT;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	while (done < npages) {
		int batch = min_t(unsigned long, npages - done,
				  PAGE_SIZE / sizeof(*pages));
		int got;

		got = pin_user_pages_fast(uptr + done * PAGE_SIZE, batch,
					  FOLL_WRITE | FOLL_LONGTERM,
					  pages + done);
		if (got <= 0) {
			rc = got ? got : -EFAULT;
			break;
		}
		done += got;
	}
	unpin_user_pages(pages, done);
	kvfree(pages);
	if (rc)
		return rc;
	cmd->bpf_pin_floor.out_pages = npages;
	return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
}

static int iommufd_test_bpf_mock_device(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_device *sdev;
	struct platform_device *pdev;
	int rc;

	sdev = iommufd_object_alloc(ucmd->ictx, sdev, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	pdev = iommufd_mock_device_create(&cmd->bpf_mock_device, false);
	if (IS_ERR(pdev)) {
		/* Nothing to release yet: undo the ID alone. */
		iommufd_object_abort(ucmd->ictx, &sdev->obj);
		return PTR_ERR(pdev);
	}
	sdev->pdev = pdev;
	cmd->bpf_mock_device.out_stdev_id = sdev->obj.id;
	cmd->bpf_mock_device.out_index = iommufd_mock_device_index(pdev);
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &sdev->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &sdev->obj);
	return 0;
}

/* Largest buffer one ACCESS_PAGES or ACCESS_RW works on. */
#define SELFTEST_ACCESS_MAX (16UL << 20)

/**
 * struct selftest_access - an access held by a file
 * @access: the access; NULL until creation completes
 * @file: the file holding it
 * @lock: protects @items and @next_id, and serialises pinning with the
 *        unmap callback so an unmap never misses a pin in progress
 * @items: struct selftest_access_item, one per ACCESS_PAGES
 * @next_id: ID of the next item
 */
struct selftest_access {
	struct iommufd_access *access;
	struct file *file;
	struct mutex lock; /* see above */
	struct list_head items;
	unsigned int next_id;
};

struct selftest_access_item {
	struct list_head node;
	unsigned long iova;
	unsigned long length;
	unsigned int id;
};

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd, u32 ioas_id,
				     u64 start, u64 length)
{
	struct iommufd_ioas *ioas;
	unsigned long last;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow((unsigned long)start, (unsigned long)length - 1,
			       &last) || start > ULONG_MAX || length > ULONG_MAX)
		return -EOVERFLOW;
	ioas = iommufd_get_ioas(ucmd->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve_iova(&ioas->iopt, start, last, NULL);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/*
 * Every small page of the buffer is pinned exactly @refs times (large
 * folios are skipped: their pin count is not per page).  An empty buffer
 * passes, as upstream's does.
 */
static int iommufd_test_check_refs(u64 uptr, u64 length, u32 refs)
{
	struct page *page;
	unsigned long end;
	long got;

	if (length % PAGE_SIZE || uptr % PAGE_SIZE ||
	    check_add_overflow((unsigned long)uptr, (unsigned long)length, &end))
		return -EINVAL;
	for (; uptr < end; uptr += PAGE_SIZE) {
		got = get_user_pages_fast(uptr, 1, 0, &page);
		if (got != 1)
			return got < 0 ? got : -EFAULT;
		if (!PageCompound(page) &&
		    page_ref_count(page) / GUP_PIN_COUNTING_BIAS != refs) {
			put_page(page);
			return -EIO;
		}
		put_page(page);
	}
	return 0;
}

static void selftest_access_unmap(void *data, unsigned long iova,
				  unsigned long length)
{
	struct selftest_access *staccess = data;
	struct selftest_access_item *item, *tmp;
	unsigned long last = iova + length - 1;

	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(item, tmp, &staccess->items, node) {
		if (iova > item->iova + item->length - 1 || last < item->iova)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
	}
	mutex_unlock(&staccess->lock);
}

static const struct iommufd_access_ops selftest_access_ops_pin = {
	.needs_pin_pages = 1,
	.unmap = selftest_access_unmap,
};

static const struct iommufd_access_ops selftest_access_ops = {
	.unmap = selftest_access_unmap,
};

static int selftest_access_release(struct inode *inode, struct file *file)
{
	struct selftest_access *staccess = file->private_data;

	if (staccess->access) {
		selftest_access_unmap(staccess, 0, ULONG_MAX);
		iommufd_access_destroy(staccess->access);
	}
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return 0;
}

static const struct file_operations selftest_access_fops = {
	.owner = THIS_MODULE,
	.release = selftest_access_release,
};

/* The test access behind descriptor @fd, holding the file; fput() after. */
static struct selftest_access *selftest_access_get(u32 fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &selftest_access_fops) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	return file->private_data;
}

static int iommufd_test_create_access(struct iommufd_ucmd *ucmd, u32 ioas_id,
				      u32 flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access *staccess;
	struct iommufd_access *access;
	struct file *file;
	int fd, rc;
	u32 id;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	staccess = iommufd_should_fail() ? NULL :
		   kzalloc(sizeof(*staccess), GFP_KERNEL_ACCOUNT);
	if (!staccess)
		return -ENOMEM;
	mutex_init(&staccess->lock);
	INIT_LIST_HEAD(&staccess->items);
	file = anon_inode_getfile("[iommufd_test_access]",
				  &selftest_access_fops, staccess, O_RDWR);
	if (IS_ERR(file)) {
		mutex_destroy(&staccess->lock);
		kfree(staccess);
		return PTR_ERR(file);
	}
	staccess->file = file;
	/* From here the file's release frees staccess. */

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_fput;
	}
	access = iommufd_access_create(ucmd->ictx,
				       flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES ?
				       &selftest_access_ops_pin :
				       &selftest_access_ops,
				       staccess, &id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto out_put_fd;
	}
	rc = iommufd_access_attach(access, ioas_id);
	if (rc)
		goto out_destroy;
	cmd->create_access.out_access_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;
	staccess->access = access;
	fd_install(fd, file);
	return 0;

out_destroy:
	iommufd_access_destroy(access);
out_put_fd:
	put_unused_fd(fd);
out_fput:
	fput(file);
	return rc;
}

static int iommufd_test_access_replace_ioas(u32 access_fd, u32 ioas_id)
{
	struct selftest_access *staccess = selftest_access_get(access_fd);
	int rc;

	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = iommufd_access_replace(staccess->access, ioas_id);
	fput(staccess->file);
	return rc;
}

/* The pinned pages are the pages behind the user buffer, page by page. */
static int selftest_check_pages(unsigned long uptr, struct page **pages,
				unsigned long npages)
{
	struct page *page;
	long got;

	for (; npages; npages--, pages++, uptr += PAGE_SIZE) {
		got = get_user_pages_fast(uptr, 1, 0, &page);
		if (got != 1)
			return got < 0 ? got : -EFAULT;
		put_page(page);
		if (page != *pages)
			return -EBADE;
	}
	return 0;
}

/* The argument checks ACCESS_PAGES and ACCESS_RW share. */
static int selftest_access_check(u64 iova, u64 length, u32 flags,
				 u32 valid_flags)
{
	if (length > SELFTEST_ACCESS_MAX)
		return -ENOMEM;
	if (flags & ~valid_flags)
		return -EOPNOTSUPP;
	if (iova >= ULONG_MAX - SELFTEST_ACCESS_MAX)
		return -EOVERFLOW;
	return 0;
}

static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd, u32 access_fd,
				     u64 iova, u64 length, u64 uptr, u32 flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_access_item *item;
	struct selftest_access *staccess;
	unsigned long npages;
	struct page **pages;
	int rc;

	rc = selftest_access_check(iova, length, flags, MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		return rc;
	if (!length)
		return -EINVAL;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	if (staccess->access->ops != &selftest_access_ops_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

	npages = (ALIGN(iova + length, PAGE_SIZE) - ALIGN_DOWN(iova, PAGE_SIZE)) /
		 PAGE_SIZE;
	pages = iommufd_should_fail() ? NULL :
		kvcalloc(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}
	item = iommufd_should_fail() ? NULL : kzalloc(sizeof(*item), GFP_KERNEL_ACCOUNT);
	if (!item) {
		rc = -ENOMEM;
		goto out_free_pages;
	}

	/* Held across pin and record, so an unmap sees either both or none. */
	mutex_lock(&staccess->lock);
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      flags & MOCK_FLAGS_ACCESS_WRITE);
	if (rc)
		goto out_unlock;
	/* A zero uptr skips the comparison (as upstream's fuzzing uses). */
	if (uptr) {
		rc = selftest_check_pages(uptr - (iova - ALIGN_DOWN(iova, PAGE_SIZE)),
					  pages, npages);
		if (rc)
			goto out_unpin;
	}
	item->iova = iova;
	item->length = length;
	item->id = staccess->next_id++;
	cmd->access_pages.out_access_pages_id = item->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_unpin;
	list_add_tail(&item->node, &staccess->items);
	item = NULL;
	goto out_unlock;

out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_unlock:
	mutex_unlock(&staccess->lock);
	kfree(item);
out_free_pages:
	kvfree(pages);
out_put:
	fput(staccess->file);
	return rc;
}

static int iommufd_test_destroy_access_pages(u32 access_fd, u32 item_id)
{
	struct selftest_access *staccess = selftest_access_get(access_fd);
	struct selftest_access_item *item;
	int rc = -ENOENT;

	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	mutex_lock(&staccess->lock);
	list_for_each_entry(item, &staccess->items, node) {
		if (item->id != item_id)
			continue;
		list_del(&item->node);
		iommufd_access_unpin_pages(staccess->access, item->iova,
					   item->length);
		kfree(item);
		rc = 0;
		break;
	}
	mutex_unlock(&staccess->lock);
	fput(staccess->file);
	return rc;
}

static int iommufd_test_access_rw(u32 access_fd, u64 iova, u64 length,
				  u64 uptr, u32 flags)
{
	void __user *ubuf = u64_to_user_ptr(uptr);
	struct selftest_access *staccess;
	void *tmp;
	int rc;

	rc = selftest_access_check(iova, length, flags,
				   MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
	if (rc)
		return rc;

	staccess = selftest_access_get(access_fd);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	tmp = iommufd_should_fail() ? NULL : kvzalloc(length, GFP_KERNEL_ACCOUNT);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if ((flags & MOCK_ACCESS_RW_WRITE) && copy_from_user(tmp, ubuf, length)) {
		rc = -EFAULT;
		goto out_free;
	}
	rc = iommufd_access_rw(staccess->access, iova, tmp, length, flags);
	if (!rc && !(flags & MOCK_ACCESS_RW_WRITE) &&
	    copy_to_user(ubuf, tmp, length))
		rc = -EFAULT;
out_free:
	kvfree(tmp);
out_put:
	fput(staccess->file);
	return rc;
}

int iommufd_test_cmd(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	int rc;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd->id,
						 cmd->add_reserved.start,
						 cmd->add_reserved.length);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_check_refs(cmd->check_refs.uptr,
					       cmd->check_refs.length,
					       cmd->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd->id,
						  cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(cmd->id,
							cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd->id,
						 cmd->access_pages.iova,
						 cmd->access_pages.length,
						 cmd->access_pages.uptr,
						 cmd->access_pages.flags);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_destroy_access_pages(cmd->id,
							 cmd->destroy_access_pages.access_pages_id);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(cmd->id, cmd->access_rw.iova,
					      cmd->access_rw.length,
					      cmd->access_rw.uptr,
					      cmd->access_rw.flags);
	case IOMMU_TEST_OP_BPF_MOCK_DEVICE:
		return iommufd_test_bpf_mock_device(ucmd);
	case IOMMU_TEST_OP_BPF_BIND:
		return iommufd_test_bpf_bind(ucmd, cmd->id);
	case IOMMU_TEST_OP_BPF_ATTACH:
	case IOMMU_TEST_OP_BPF_DETACH:
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_device_op(ucmd, cmd->id);
	case IOMMU_TEST_OP_BPF_PIN_FLOOR:
		return iommufd_test_pin_floor(ucmd);
	case IOMMU_TEST_OP_BPF_INJECT:
		if (cmd->bpf_inject.__reserved)
			return -EINVAL;
		iommufd_mock_inject(cmd->bpf_inject.map_fail_nth,
				    cmd->bpf_inject.attach_fail_nth,
				    cmd->bpf_inject.chunk_fail_nth);
		return 0;
	case IOMMU_TEST_OP_BPF_FAIL_NTH:
		rc = iommufd_fail_nth_arm(cmd->bpf_fail_nth.nth,
					  &cmd->bpf_fail_nth.out_remaining);
		return rc ?: iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_TEST_OP_MOCK_DOMAIN:
		return iommufd_test_mock_domain(ucmd, cmd->id, 0);
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd->id,
						cmd->mock_domain_flags.dev_flags);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_map(ucmd, cmd->id,
						 cmd->check_map.iova,
						 cmd->check_map.length,
						 cmd->check_map.uptr);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return iommufd_test_trigger_iopf(ucmd);
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd->id);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd, cmd->id,
						   cmd->check_iotlb.id,
						   cmd->check_iotlb.iotlb);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* Upstream's floor: room for one PFN and its count. */
		if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(u32))
			return -EINVAL;
		WRITE_ONCE(iommufd_pin_batch_bytes, cmd->memory_limit.limit);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
