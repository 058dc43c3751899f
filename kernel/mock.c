// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: the mock IOMMU driver, for tests (selftest=1 only).
 *
 * A real IOMMU driver as far as the kernel's IOMMU core is concerned: it
 * registers an iommu_device, and its devices get real iommu_groups, real
 * reserved-region handling and real DMA-ownership claims, with the core's
 * own rules (a device with an IOMMU_RESV_DIRECT region cannot be given a
 * blocking domain, so its DMA ownership cannot be claimed).
 *
 * The reference kernel does not export iommu_device_register_bus(), which
 * upstream's selftest uses to put its mock devices on a private bus.  Here
 * the mock devices are platform devices, a bus the IOMMU core watches, and
 * the mock IOMMU has a firmware node of its own (a software node): each mock
 * device's fwspec names that node before the device is added, so the core
 * hands it to this driver, while every device without a fwspec keeps going
 * to the platform's IOMMU driver (the core picks that one for a NULL node).
 *
 * Mock devices have no DMA.  Their default domain is identity; paging
 * domains arrive with the mock-domain test operations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "../include/uapi/linux/iommufd_test.h"
#include "iommufd_private.h"

#define MOCK_DEVICE_NAME "iommufd_bpf_mock"
#define MOCK_IO_PAGE_SIZE MOCK_BPF_IO_PAGE_SIZE
static_assert(PAGE_SIZE / 2 == MOCK_IO_PAGE_SIZE);

/**
 * struct mock_dev - what a mock device is, as its platform data
 * @index: its platform device id (the N of iommufd_bpf_mock.N)
 * @flags: MOCK_BPF_DEV_* of the test operation
 * @group_tag: devices with the same non-zero tag share an IOMMU group
 * @pci_id: PCI-like identity: vendor << 16 | device
 * @pci_class: class code
 * @pci_bdf: segment << 16 | bus << 8 | devfn
 * @resv_type: IOMMU_RESV_* of the device's extra reserved region, or
 *             MOCK_BPF_RESV_NONE
 * @resv_start: first address of that region
 * @resv_length: its length
 *
 * Owned by the platform device: the platform core frees it with the device.
 */
struct mock_dev {
	u32 index;
	u32 flags;
	u32 group_tag;
	u32 pci_id;
	u32 pci_class;
	u32 pci_bdf;
	u32 resv_type;
	u64 resv_start;
	u64 resv_length;
};

static const struct software_node mock_iommu_node = {
	.name = "iommufd-bpf-mock-iommu",
};

static struct platform_device *mock_iommu_pdev;
static struct iommu_device mock_iommu;
static DEFINE_IDA(mock_dev_ida);

/*
 * Shared groups by tag: tag -> struct mock_group.  mock_groups_lock
 * serialises lookups with the last member leaving.
 */
struct mock_group {
	struct iommu_group *group;	/* no reference of ours */
	unsigned int members;
};

static DEFINE_XARRAY(mock_groups);
static DEFINE_MUTEX(mock_groups_lock);

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return dev->platform_data;
}

static int mock_attach_nop(struct iommu_domain *domain, struct device *dev)
{
	return 0;
}

static const struct iommu_domain_ops mock_static_domain_ops = {
	.attach_dev = mock_attach_nop,
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &mock_static_domain_ops,
};

static struct iommu_domain mock_blocking_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_static_domain_ops,
};

static struct iommu_device *mock_probe_device(struct device *dev)
{
	if (dev->bus != &platform_bus_type || !to_mock_dev(dev))
		return ERR_PTR(-ENODEV);
	return &mock_iommu;
}

static void mock_release_device(struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct mock_group *mgroup;

	if (!mdev->group_tag)
		return;
	mutex_lock(&mock_groups_lock);
	mgroup = xa_load(&mock_groups, mdev->group_tag);
	if (!WARN_ON(!mgroup) && !--mgroup->members) {
		xa_erase(&mock_groups, mdev->group_tag);
		kfree(mgroup);
	}
	mutex_unlock(&mock_groups_lock);
}

/* One group per device, or one per tag for tagged devices. */
static struct iommu_group *mock_device_group(struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct mock_group *mgroup;
	struct iommu_group *group;
	int rc;

	if (!mdev->group_tag)
		return generic_device_group(dev);

	mutex_lock(&mock_groups_lock);
	mgroup = xa_load(&mock_groups, mdev->group_tag);
	if (mgroup) {
		mgroup->members++;
		group = iommu_group_ref_get(mgroup->group);
		goto out_unlock;
	}
	mgroup = kzalloc(sizeof(*mgroup), GFP_KERNEL);
	if (!mgroup) {
		group = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	group = iommu_group_alloc();
	if (IS_ERR(group)) {
		kfree(mgroup);
		goto out_unlock;
	}
	mgroup->group = group;
	mgroup->members = 1;
	rc = xa_err(xa_store(&mock_groups, mdev->group_tag, mgroup,
			     GFP_KERNEL));
	if (rc) {
		iommu_group_put(group);
		kfree(mgroup);
		group = ERR_PTR(rc);
	}
out_unlock:
	mutex_unlock(&mock_groups_lock);
	return group;
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct mock_dev *mdev = to_mock_dev(dev);
	struct iommu_resv_region *region;
	int prot;

	if (mdev->resv_type == MOCK_BPF_RESV_NONE)
		return;
	switch (mdev->resv_type) {
	case IOMMU_RESV_DIRECT:
	case IOMMU_RESV_DIRECT_RELAXABLE:
		prot = IOMMU_READ | IOMMU_WRITE;
		break;
	case IOMMU_RESV_MSI:
	case IOMMU_RESV_SW_MSI:
		prot = IOMMU_WRITE | IOMMU_MMIO;
		break;
	default:
		prot = 0;
		break;
	}
	region = iommu_alloc_resv_region(mdev->resv_start, mdev->resv_length,
					 prot, mdev->resv_type, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static void *mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct iommu_test_hw_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static int mock_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.identity_domain = &mock_identity_domain,
	.blocked_domain = &mock_blocking_domain,
	.pgsize_bitmap = MOCK_IO_PAGE_SIZE,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
	.get_resv_regions = mock_get_resv_regions,
	.capable = mock_capable,
	.hw_info = mock_hw_info,
	.def_domain_type = mock_def_domain_type,
};

/* Is @type a reserved-region type a mock device may have? */
static bool mock_resv_type_valid(u32 type)
{
	switch (type) {
	case IOMMU_RESV_DIRECT:
	case IOMMU_RESV_DIRECT_RELAXABLE:
	case IOMMU_RESV_RESERVED:
	case IOMMU_RESV_MSI:
	case IOMMU_RESV_SW_MSI:
	case MOCK_BPF_RESV_NONE:
		return true;
	}
	return false;
}

/**
 * iommufd_mock_device_create() - add a mock device behind the mock IOMMU
 * @spec: what the device is (struct iommu_test_cmd's bpf_mock_device)
 *
 * Returns the platform device, in its IOMMU group, or an ERR_PTR:
 * -EOPNOTSUPP for unknown flags, -EINVAL for a bad reserved region, -ENODEV
 * when the mock IOMMU is not registered or did not take the device.
 */
struct platform_device *
iommufd_mock_device_create(const struct iommu_test_bpf_mock_device *spec)
{
	struct platform_device *pdev;
	struct mock_dev *mdev;
	u64 last;
	int index, rc;

	if (!mock_iommu_pdev)
		return ERR_PTR(-ENODEV);
	if (spec->flags & ~MOCK_BPF_DEV_UNSAFE_MSI)
		return ERR_PTR(-EOPNOTSUPP);
	if (!mock_resv_type_valid(spec->resv_type))
		return ERR_PTR(-EINVAL);
	if (spec->resv_type != MOCK_BPF_RESV_NONE &&
	    (!spec->resv_length || spec->resv_start % PAGE_SIZE ||
	     spec->resv_length % PAGE_SIZE ||
	     check_add_overflow(spec->resv_start, spec->resv_length - 1,
				&last)))
		return ERR_PTR(-EINVAL);

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	index = ida_alloc(&mock_dev_ida, GFP_KERNEL);
	if (index < 0) {
		kfree(mdev);
		return ERR_PTR(index);
	}
	mdev->index = index;
	mdev->flags = spec->flags;
	mdev->group_tag = spec->group_tag;
	mdev->pci_id = spec->pci_id;
	mdev->pci_class = spec->pci_class;
	mdev->pci_bdf = spec->pci_bdf;
	mdev->resv_type = spec->resv_type;
	mdev->resv_start = spec->resv_start;
	mdev->resv_length = spec->resv_length;

	pdev = platform_device_alloc(MOCK_DEVICE_NAME, index);
	if (!pdev) {
		ida_free(&mock_dev_ida, index);
		kfree(mdev);
		return ERR_PTR(-ENOMEM);
	}
	/* From here the platform device owns (and frees) mdev. */
	pdev->dev.platform_data = mdev;
	rc = iommu_fwspec_init(&pdev->dev, dev_fwnode(&mock_iommu_pdev->dev));
	if (rc)
		goto err_put;
	rc = platform_device_add(pdev);
	if (rc)
		goto err_put;
	if (!pdev->dev.iommu_group) {
		/* The IOMMU core did not give it to the mock IOMMU. */
		iommufd_mock_device_destroy(pdev);
		return ERR_PTR(-ENODEV);
	}
	return pdev;

err_put:
	platform_device_put(pdev);
	ida_free(&mock_dev_ida, index);
	return ERR_PTR(rc);
}

void iommufd_mock_device_destroy(struct platform_device *pdev)
{
	u32 index = pdev->id;

	platform_device_unregister(pdev);
	ida_free(&mock_dev_ida, index);
}

/*
 * For a mock device, whether it raises MSI its group cannot isolate (mock
 * devices have no MSI domain, so the IOMMU core cannot tell); -1 for any
 * other device.
 */
int iommufd_mock_device_unsafe_msi(struct device *dev)
{
	if (!dev->iommu || dev->iommu->iommu_dev != &mock_iommu)
		return -1;
	return !!(to_mock_dev(dev)->flags & MOCK_BPF_DEV_UNSAFE_MSI);
}

/* The mock device's number (its N in iommufd_bpf_mock.N). */
u32 iommufd_mock_device_index(struct platform_device *pdev)
{
	return pdev->id;
}

int iommufd_mock_iommu_register(void)
{
	struct platform_device_info info = {
		.name = "iommufd_bpf_mock_iommu",
		.id = PLATFORM_DEVID_NONE,
	};
	struct platform_device *pdev;
	int rc;

	rc = software_node_register(&mock_iommu_node);
	if (rc)
		return rc;
	info.fwnode = software_node_fwnode(&mock_iommu_node);
	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev)) {
		rc = PTR_ERR(pdev);
		goto err_node;
	}
	/* The core links each device to the IOMMU's sysfs device. */
	rc = iommu_device_sysfs_add(&mock_iommu, &pdev->dev, NULL,
				    "iommufd-bpf-mock");
	if (rc)
		goto err_pdev;
	rc = iommu_device_register(&mock_iommu, &mock_ops, &pdev->dev);
	if (rc)
		goto err_sysfs;
	mock_iommu_pdev = pdev;
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_pdev:
	platform_device_unregister(pdev);
err_node:
	software_node_unregister(&mock_iommu_node);
	return rc;
}

void iommufd_mock_iommu_unregister(void)
{
	if (!mock_iommu_pdev)
		return;
	iommu_device_unregister(&mock_iommu);
	iommu_device_sysfs_remove(&mock_iommu);
	platform_device_unregister(mock_iommu_pdev);
	software_node_unregister(&mock_iommu_node);
	mock_iommu_pdev = NULL;
	WARN_ON(!xa_empty(&mock_groups));
}
