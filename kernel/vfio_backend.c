// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: a VFIO IOMMU backend, so that unmodified VFIO users (QEMU,
 * DPDK, user-space drivers) run on this core.
 *
 * VFIO's legacy container (/dev/vfio/vfio) asks its IOMMU backends, newest
 * first, which serves VFIO_SET_IOMMU's type; this one answers
 * VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU, ahead of vfio_iommu_type1 when
 * it registered later (the usual order: it loads VFIO itself, which loads
 * type1 first).  The "vfio" module parameter (writable) withdraws it for new
 * containers, leaving them to vfio_iommu_type1.
 *
 * Each container is a context of this core in an anonymous file of its own,
 * with one IOAS, charged per process (RLIMIT_MEMLOCK against the process's
 * pinned memory, as type1 charges the process).  Adding a group binds each
 * of its devices (VFIO's group owns the group's DMA already) and attaches
 * them to the IOAS, which picks or makes a domain, filled from the existing
 * mappings; removing the group detaches and unbinds them.  The type1 ioctls
 * are served with vfio_iommu_type1's own rules (vfio_compat.c).  Mediated
 * devices (VFIO_EMULATED_IOMMU groups) pin and copy through an access on
 * the IOAS, and are told to unpin through their dma_unmap callback when an
 * unmap reaches what they pinned.
 *
 * Locking: backend->lock protects the group and device lists (its place in
 * the lock order: the top of iommufd_private.h); the core calls back
 * (access unmap) with none of its own locks held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "iommufd_private.h"
#include "policy.h"
#include "vfio_iommu.h"

/*
 * The groups containers of this backend hold, by IOMMU group ID, with the
 * policy generation they were bound under (xa_mk_value()): the VFIO gate
 * leaves their devices to the decisions this backend asked for when it
 * bound them, unless the policies changed since.  A group is in one
 * container at most.
 */
static DEFINE_XARRAY(served_groups);

/*
 * The groups this backend last refused, by IOMMU group ID, with the errno
 * (xa_mk_value()): VFIO then tries vfio_iommu_type1, and the VFIO gate
 * hands out no device of theirs.  A group is forgotten when this backend
 * takes it or the gate lets it join a container again.
 */
static DEFINE_XARRAY(refused_groups);

static bool vfio_enabled = true;
module_param_named(vfio, vfio_enabled, bool, 0644);
MODULE_PARM_DESC(vfio,
		 "serve new VFIO containers' TYPE1/TYPE1v2 (0: leave them to vfio_iommu_type1)");

/*
 * Mappings per container, as vfio_iommu_type1's parameter of the same name:
 * each costs kernel memory that RLIMIT_MEMLOCK does not bound (one page
 * can be mapped at many IOVAs and is charged once).
 */
static unsigned int dma_entry_limit = U16_MAX;
module_param(dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "most DMA mappings a new VFIO container may hold (0: no limit; default 65535, as vfio_iommu_type1)");

/**
 * struct vfio_backend - one container
 * @file: the container's context's file; releasing it tears everything down
 * @ictx: that context
 * @ioas: the container's IOAS (holding a reference)
 * @access: pins and copies for mediated devices, attached to @ioas
 * @v2: VFIO_TYPE1v2_IOMMU (else VFIO_TYPE1_IOMMU) unmap rules
 * @lock: protects @groups and @vdevs
 * @groups: struct vfio_backend_group, the container's groups
 * @vdevs: struct vfio_backend_vdev, devices to tell about unmaps
 */
struct vfio_backend {
	struct file *file;
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;
	struct iommufd_access *access;
	bool v2;
	struct mutex lock; /* see above */
	struct list_head groups;
	struct list_head vdevs;
};

/**
 * struct vfio_backend_group - a group of a container
 * @node: in backend->groups
 * @group: the group; VFIO holds it while it is in the container
 * @type: VFIO_IOMMU or VFIO_EMULATED_IOMMU
 * @ndevs: devices bound for it (none for an emulated group)
 * @idevs: their device objects
 */
struct vfio_backend_group {
	struct list_head node;
	struct iommu_group *group;
	enum vfio_group_type type;
	unsigned int ndevs;
	struct iommufd_device **idevs;
};

struct vfio_backend_vdev {
	struct list_head node;
	struct vfio_device *vdev;
};

/* The access's unmap: every registered device unpins what it holds there. */
static void backend_access_unmap(void *data, unsigned long iova,
				 unsigned long length)
{
	struct vfio_backend *backend = data;
	struct vfio_backend_vdev *v;

	mutex_lock(&backend->lock);
	list_for_each_entry(v, &backend->vdevs, node)
		v->vdev->ops->dma_unmap(v->vdev, iova, length);
	mutex_unlock(&backend->lock);
}

static const struct iommufd_access_ops backend_access_ops = {
	.needs_pin_pages = 1,
	.unmap = backend_access_unmap,
};

static void *backend_open(unsigned long type)
{
	struct vfio_backend *backend;
	struct iommufd_ioas *ioas;
	u32 access_id;
	int rc;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return ERR_PTR(-EINVAL);
	backend = iommufd_should_fail() ? NULL :
		  kzalloc(sizeof(*backend), GFP_KERNEL_ACCOUNT);
	if (!backend)
		return ERR_PTR(-ENOMEM);
	backend->v2 = type == VFIO_TYPE1v2_IOMMU;
	mutex_init(&backend->lock);
	INIT_LIST_HEAD(&backend->groups);
	INIT_LIST_HEAD(&backend->vdevs);

	backend->file = iommufd_file_create(IOPT_PAGES_ACCOUNT_MM);
	if (IS_ERR(backend->file)) {
		rc = PTR_ERR(backend->file);
		goto err_free;
	}
	backend->ictx = backend->file->private_data;
	ioas = iommufd_ioas_alloc(backend->ictx);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto err_fput;
	}
	ioas->iopt.max_areas = READ_ONCE(dma_entry_limit);
	/* The container's reference, until release. */
	refcount_inc(&ioas->obj.users);
	iommufd_object_finalize(backend->ictx, &ioas->obj);
	backend->ioas = ioas;

	backend->access = iommufd_access_create(backend->ictx,
						&backend_access_ops, backend,
						&access_id);
	if (IS_ERR(backend->access)) {
		rc = PTR_ERR(backend->access);
		goto err_put_ioas;
	}
	rc = iommufd_access_attach(backend->access, ioas->obj.id);
	if (rc)
		goto err_destroy_access;
	return backend;

err_destroy_access:
	iommufd_access_destroy(backend->access);
err_put_ioas:
	iommufd_put_object(&ioas->obj);
err_fput:
	/* The file's release destroys what the context holds. */
	fput(backend->file);
err_free:
	mutex_destroy(&backend->lock);
	kfree(backend);
	return ERR_PTR(rc);
}

/* VFIO removed every group first. */
static void backend_release(void *data)
{
	struct vfio_backend *backend = data;

	WARN_ON(!list_empty(&backend->groups));
	iommufd_access_destroy(backend->access);
	iommufd_put_object(&backend->ioas->obj);
	fput(backend->file);
	mutex_destroy(&backend->lock);
	kfree(backend);
}

/*
 * Has the container an emulated (mediated) device's group?  Its driver
 * pins through the backend's access, from user addresses: as
 * vfio_iommu_type1, no VFIO_UPDATE_VADDR then.
 */
static bool backend_has_emulated(struct vfio_backend *backend)
{
	struct vfio_backend_group *bg;
	bool emulated = false;

	mutex_lock(&backend->lock);
	list_for_each_entry(bg, &backend->groups, node)
		emulated |= bg->type == VFIO_EMULATED_IOMMU;
	mutex_unlock(&backend->lock);
	return emulated;
}

static long backend_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct vfio_backend *backend = data;
	void __user *uarg = (void __user *)arg;
	u32 flags;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		/* The VFIO gate asks which containers are this backend's. */
		if (arg == IOMMUFD_BPF_VFIO_SERVED)
			return !!backend;
		/* Asked with no container too, when VFIO picks a backend. */
		if (!backend && !READ_ONCE(vfio_enabled))
			return 0;
		if (arg == VFIO_UPDATE_VADDR)
			return backend && !backend_has_emulated(backend);
		return iommufd_type1_check_extension(backend ? backend->ioas :
							       NULL, arg);
	case VFIO_IOMMU_GET_INFO:
		return iommufd_type1_get_info(backend->ioas, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return iommufd_type1_map(backend->ioas, uarg,
					 IOPT_PAGES_ACCOUNT_MM, true);
	case VFIO_IOMMU_UNMAP_DMA:
		if (get_user(flags, &((struct vfio_iommu_type1_dma_unmap __user *)
				      uarg)->flags))
			return -EFAULT;
		if ((flags & VFIO_DMA_UNMAP_FLAG_VADDR) &&
		    backend_has_emulated(backend))
			return -EBUSY;
		return iommufd_type1_unmap(backend->ioas, uarg,
					   IOPT_PAGES_ACCOUNT_MM, true,
					   backend->v2);
	case VFIO_IOMMU_DIRTY_PAGES:
		return iommufd_type1_dirty_pages(backend->ioas, uarg,
						 backend->v2);
	default:
		return -ENOTTY;
	}
}

/* Detach and unbind the first @n devices of @bg. */
static void backend_group_release(struct vfio_backend_group *bg,
				  unsigned int n, unsigned int attached)
{
	unsigned int i;

	for (i = 0; i < attached; i++)
		iommufd_device_detach(bg->idevs[i]);
	for (i = 0; i < n; i++)
		iommufd_device_unbind(bg->idevs[i]);
}

/*
 * Bind and attach every device of @bg's group.  The devices are collected
 * first: attaching takes the group's mutex, which walking the group holds.
 */
static int backend_group_attach(struct vfio_backend *backend,
				struct vfio_backend_group *bg)
{
	unsigned int i, n, bound = 0, attached = 0;
	struct device **devs;
	int rc = 0;

	devs = iommufd_group_devices(bg->group, &n);
	if (IS_ERR(devs))
		return PTR_ERR(devs);
	bg->idevs = iommufd_should_fail() ? NULL :
		    kcalloc(n, sizeof(*bg->idevs), GFP_KERNEL);
	if (!bg->idevs) {
		rc = -ENOMEM;
		goto out_free;
	}

	for (i = 0; i < n; i++) {
		u32 id;

		bg->idevs[i] = iommufd_device_bind_flags(backend->ictx,
							 devs[i], &id,
							 IOMMUFD_BIND_GROUP_OWNED);
		if (IS_ERR(bg->idevs[i])) {
			rc = PTR_ERR(bg->idevs[i]);
			goto err_release;
		}
		bound++;
	}
	for (i = 0; i < bound; i++) {
		u32 pt_id = backend->ioas->obj.id;

		rc = iommufd_device_attach(bg->idevs[i], &pt_id);
		if (rc)
			goto err_release;
		attached++;
	}
	bg->ndevs = bound;
	goto out_free;

err_release:
	backend_group_release(bg, bound, attached);
out_free:
	iommufd_group_devices_put(devs, n);
	if (rc) {
		kfree(bg->idevs);
		bg->idevs = NULL;
	}
	return rc;
}

/*
 * Remember a refusal (not a want of memory) for the VFIO gate, or forget
 * one.  Best effort: without memory to remember it, the gate asks the bind
 * policies as for any other group.
 */
static void backend_note_refusal(struct iommu_group *group, int rc)
{
	if (!rc)
		xa_erase(&refused_groups, iommu_group_id(group));
	else if (rc != -ENOMEM)
		xa_store(&refused_groups, iommu_group_id(group),
			 xa_mk_value(-rc), GFP_KERNEL);
}

static int backend_attach_group(void *data, struct iommu_group *group,
				enum vfio_group_type type)
{
	struct vfio_backend *backend = data;
	struct vfio_backend_group *bg;
	int rc = 0;

	/* Without an IOMMU there is nothing to serve. */
	if (type != VFIO_IOMMU && type != VFIO_EMULATED_IOMMU)
		return -EINVAL;
	/*
	 * As vfio_iommu_type1: no group joins while a mapping has no user
	 * address (VFIO_DMA_UNMAP_FLAG_VADDR): it might need to pin.  A new
	 * domain is refused there anyway (iopt_table_add_domain()).
	 */
	if (READ_ONCE(backend->ioas->iopt.vaddr_invalid))
		return -EBUSY;
	bg = iommufd_should_fail() ? NULL : kzalloc(sizeof(*bg), GFP_KERNEL_ACCOUNT);
	if (!bg)
		return -ENOMEM;
	bg->group = group;
	bg->type = type;

	/* Read before the policies are asked: a newer one has not been. */
	rc = iommufd_should_fail() ? -ENOMEM :
	     xa_insert(&served_groups, iommu_group_id(group),
		       xa_mk_value(iommufd_policy_generation() & LONG_MAX),
		       GFP_KERNEL);
	if (rc) {
		kfree(bg);
		return rc;
	}
	mutex_lock(&backend->lock);
	if (type == VFIO_IOMMU)
		rc = backend_group_attach(backend, bg);
	if (rc) {
		xa_erase(&served_groups, iommu_group_id(group));
		kfree(bg);
	} else {
		list_add_tail(&bg->node, &backend->groups);
	}
	mutex_unlock(&backend->lock);
	backend_note_refusal(group, rc);
	return rc;
}

static void backend_detach_group(void *data, struct iommu_group *group)
{
	struct vfio_backend *backend = data;
	struct vfio_backend_group *bg;

	mutex_lock(&backend->lock);
	list_for_each_entry(bg, &backend->groups, node) {
		if (bg->group != group)
			continue;
		list_del(&bg->node);
		xa_erase(&served_groups, iommu_group_id(group));
		backend_group_release(bg, bg->ndevs, bg->ndevs);
		kfree(bg->idevs);
		kfree(bg);
		break;
	}
	mutex_unlock(&backend->lock);
}

/* vfio_pin_pages() of a mediated device: @npage pages from @user_iova. */
static int backend_pin_pages(void *data, struct iommu_group *group,
			     dma_addr_t user_iova, int npage, int prot,
			     struct page **pages)
{
	struct vfio_backend *backend = data;
	int rc;

	if (npage <= 0 || (user_iova & ~PAGE_MASK))
		return -EINVAL;
	rc = iommufd_access_pin_pages(backend->access, user_iova,
				      (unsigned long)npage << PAGE_SHIFT, pages,
				      prot & IOMMU_WRITE ?
				      IOMMUFD_ACCESS_RW_WRITE : 0);
	return rc ? rc : npage;
}

static void backend_unpin_pages(void *data, dma_addr_t user_iova, int npage)
{
	struct vfio_backend *backend = data;

	iommufd_access_unpin_pages(backend->access, user_iova,
				   (unsigned long)npage << PAGE_SHIFT);
}

static int backend_dma_rw(void *data, dma_addr_t user_iova, void *buf,
			  size_t count, bool write)
{
	struct vfio_backend *backend = data;

	return iommufd_access_rw(backend->access, user_iova, buf, count,
				 write ? IOMMUFD_ACCESS_RW_WRITE : 0);
}

/* Devices that pin pages are told when an unmap reaches them. */
static void backend_register_device(void *data, struct vfio_device *vdev)
{
	struct vfio_backend *backend = data;
	struct vfio_backend_vdev *v;

	if (!vdev->ops->dma_unmap)
		return;
	/*
	 * VFIO cannot take a failure here, and a device pinning pages that is
	 * never told of unmaps would keep DMA to memory given back: a small
	 * allocation that waits rather than fails.
	 */
	v = kzalloc(sizeof(*v), GFP_KERNEL | __GFP_NOFAIL);
	v->vdev = vdev;
	mutex_lock(&backend->lock);
	list_add_tail(&v->node, &backend->vdevs);
	mutex_unlock(&backend->lock);
}

static void backend_unregister_device(void *data, struct vfio_device *vdev)
{
	struct vfio_backend *backend = data;
	struct vfio_backend_vdev *v;

	mutex_lock(&backend->lock);
	list_for_each_entry(v, &backend->vdevs, node) {
		if (v->vdev != vdev)
			continue;
		list_del(&v->node);
		kfree(v);
		break;
	}
	mutex_unlock(&backend->lock);
}

/* The domain a group of the container is attached to. */
static struct iommu_domain *backend_group_domain(void *data,
						 struct iommu_group *group)
{
	struct vfio_backend *backend = data;
	struct iommu_domain *domain = ERR_PTR(-ENODEV);
	struct vfio_backend_group *bg;

	mutex_lock(&backend->lock);
	list_for_each_entry(bg, &backend->groups, node) {
		if (bg->group != group || !bg->ndevs)
			continue;
		mutex_lock(&bg->idevs[0]->igroup->lock);
		if (bg->idevs[0]->igroup->hwpt)
			domain = bg->idevs[0]->igroup->hwpt->domain;
		mutex_unlock(&bg->idevs[0]->igroup->lock);
		break;
	}
	mutex_unlock(&backend->lock);
	return domain;
}

static const struct vfio_iommu_driver_ops backend_ops = {
	.name = "iommufd-bpf",
	.owner = THIS_MODULE,
	.open = backend_open,
	.release = backend_release,
	.ioctl = backend_ioctl,
	.attach_group = backend_attach_group,
	.detach_group = backend_detach_group,
	.pin_pages = backend_pin_pages,
	.unpin_pages = backend_unpin_pages,
	.register_device = backend_register_device,
	.unregister_device = backend_unregister_device,
	.dma_rw = backend_dma_rw,
	.group_iommu_domain = backend_group_domain,
};

/* Looked up at run time, so the module does not need VFIO to load. */
static int (*vfio_register)(const struct vfio_iommu_driver_ops *ops);
static void (*vfio_unregister)(const struct vfio_iommu_driver_ops *ops);
static bool (*vfio_file_is_group_fn)(struct file *file);

/*
 * Whether @group is in a container of this backend, bound under the
 * policies loaded now.
 */
bool iommufd_vfio_backend_decided(struct iommu_group *group)
{
	void *entry = xa_load(&served_groups, iommu_group_id(group));

	return entry && xa_to_value(entry) ==
			(iommufd_policy_generation() & LONG_MAX);
}

/* The errno this backend last refused @group with, or 0. */
int iommufd_vfio_backend_refused(struct iommu_group *group)
{
	void *entry = xa_load(&refused_groups, iommu_group_id(group));

	return entry ? -(int)xa_to_value(entry) : 0;
}

/* The VFIO gate let @group join a container: a fresh start. */
void iommufd_vfio_backend_forget(struct iommu_group *group)
{
	xa_erase(&refused_groups, iommu_group_id(group));
}

struct group_by_id {
	int id;
	struct iommu_group *group;
};

static int match_group_id(struct device *dev, void *data)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct group_by_id *want = data;

	if (!group)
		return 0;
	if (iommu_group_id(group) == want->id) {
		want->group = group;
		return 1;
	}
	iommu_group_put(group);
	return 0;
}

/*
 * The IOMMU group behind a VFIO group file (a reference, for
 * iommu_group_put()), or NULL for any other file, a group without an IOMMU
 * or without VFIO.  VFIO exports no lookup for it (vfio_file_iommu_group()
 * answers only on SPAPR), but a group file's private_data is VFIO's group,
 * which begins with its class device (scripts/vfio-ops-check.c checks that
 * at build), named after the IOMMU group's number; the group is found
 * through a PCI device of that number (vfio-pci's devices are PCI).
 */
struct iommu_group *iommufd_vfio_file_group(struct file *file)
{
	struct group_by_id want = {};
	struct device *gdev;

	if (!iommufd_vfio_file_is_group(file))
		return NULL;
	gdev = file->private_data;
	if (kstrtoint(dev_name(gdev), 10, &want.id))
		return NULL;	/* "noiommu-N": no IOMMU, no DMA isolation */
	bus_for_each_dev(&pci_bus_type, NULL, &want, match_group_id);
	return want.group;
}

/* Whether @file is a VFIO group file; does not sleep. */
bool iommufd_vfio_file_is_group(struct file *file)
{
	return vfio_file_is_group_fn && vfio_file_is_group_fn(file);
}

/*
 * Register with VFIO, loading it if needed.  Without VFIO (not built, or
 * not loadable) the module works without the backend and says so once.
 */
int iommufd_vfio_backend_register(void)
{
	int rc;

	vfio_register = symbol_request(vfio_register_iommu_driver);
	if (!vfio_register) {
		pr_info("VFIO is not available: no VFIO backend\n");
		return 0;
	}
	vfio_unregister = symbol_get(vfio_unregister_iommu_driver);
	if (!vfio_unregister) {
		rc = -ENOENT;
		goto err_put;
	}
	vfio_file_is_group_fn = symbol_get(vfio_file_is_group);
	if (!vfio_file_is_group_fn) {
		rc = -ENOENT;
		goto err_put_file;
	}
	rc = vfio_register(&backend_ops);
	if (rc)
		goto err_put_file;
	return 0;

err_put_file:
	if (vfio_file_is_group_fn)
		symbol_put(vfio_file_is_group);
	vfio_file_is_group_fn = NULL;
	symbol_put(vfio_unregister_iommu_driver);
	vfio_unregister = NULL;
err_put:
	symbol_put(vfio_register_iommu_driver);
	vfio_register = NULL;
	return rc;
}

void iommufd_vfio_backend_unregister(void)
{
	if (!vfio_register)
		return;
	vfio_unregister(&backend_ops);
	xa_destroy(&refused_groups);
	WARN_ON(!xa_empty(&served_groups));
	symbol_put(vfio_file_is_group);
	vfio_file_is_group_fn = NULL;
	symbol_put(vfio_unregister_iommu_driver);
	symbol_put(vfio_register_iommu_driver);
	vfio_register = NULL;
	vfio_unregister = NULL;
}
