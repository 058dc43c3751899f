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
 * device's fwspec names that node before the device is added (set by hand,
 * see mock_dev_set_fwspec() for why that is race-free), so the core
 * hands it to this driver, while every device without a fwspec keeps going
 * to the platform's IOMMU driver (the core picks that one for a NULL node).
 *
 * Mock devices have no DMA.  Their default domain is identity.  Paging
 * domains record each mapping, one mock IOPTE per half a CPU page
 * (upstream's mock page size), so the tests can check what the core
 * mapped, and count IOTLB syncs.  The IOPTEs are kept in tables of 512
 * (4 KiB, 1 MiB of IOVA), found through an xarray and, as some real IOMMU
 * page tables do, kept until the domain is freed once allocated, so that
 * the mock's page table costs about what a real one does and the
 * benchmarks on it measure the core.  The domain's aperture and page sizes
 * are upstream's; a domain made for a MOCK_BPF_DEV_HUGE_IOVA device also has
 * 1 MiB IOPTEs, and such a device attaches only to such domains, which gives
 * the core a device that cannot share another device's domain.  The domains
 * of one made with IOMMU_TEST_OP_BPF_MOCK_DEVICE take only such devices;
 * those of upstream's (IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS with
 * MOCK_FLAGS_DEVICE_HUGE_IOVA) take any device, as upstream's tests need.
 * Domains allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING track dirty
 * IOPTEs, which IOMMU_TEST_OP_DIRTY makes dirty.  Failures of map and attach
 * can be injected (IOMMU_TEST_OP_BPF_INJECT).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "../include/uapi/linux/iommufd_test.h"
#include "iommufd_private.h"

#define MOCK_DEVICE_NAME "iommufd_bpf_mock"
#define MOCK_IO_PAGE_SIZE MOCK_BPF_IO_PAGE_SIZE
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_IO_PAGE_SIZE)
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
 * @huge_exclusive: a MOCK_BPF_DEV_HUGE_IOVA device whose domains take only
 *                  such devices
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
	bool huge_exclusive;
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

/* Mock IOPTEs per table: 4 KiB of them. */
#define MOCK_PTE_CHUNK (PAGE_SIZE / sizeof(unsigned long))
/*
 * An IOPTE: the physical address of its 2 KiB and these bits; 0 is none.
 * START and LAST mark the first and last IOPTE of one map_pages call:
 * the core must unmap whole maps, never part of one.
 */
#define MOCK_PTE_VALID 1UL
#define MOCK_PTE_START 2UL
#define MOCK_PTE_LAST 4UL
/*
 * HUGE: the IOPTE is part of a 1 MiB one, all of whose 512 slots hold it;
 * its dirty bit is kept in the first.  DIRTY: a DMA wrote through the
 * IOPTE since its dirty bit was last read and cleared (the mock has no DMA:
 * IOMMU_TEST_OP_DIRTY sets it, as the hardware would).
 */
#define MOCK_PTE_HUGE 8UL
#define MOCK_PTE_DIRTY 16UL
#define MOCK_PTE_ADDR(pte) ((pte) & ~(MOCK_IO_PAGE_SIZE - 1UL))

/**
 * struct mock_domain - a paging domain of the mock IOMMU
 * @domain: the core's view
 * @lock: serialises map and unmap, which the core may call concurrently
 *        for different IOVA: protects the IOPTEs and @nmapped (tables
 *        are added under the xarray's own lock, before it is taken, and
 *        nothing is allocated under it).  A mutex: mock domains are only
 *        mapped from process context (this module's own calls and the
 *        IOMMU core's direct mappings at attach).  iova_to_phys reads
 *        without it: tables are only freed with the domain.
 * @tables: IOVA / MOCK_IO_PAGE_SIZE / MOCK_PTE_CHUNK -> a table of
 *          MOCK_PTE_CHUNK IOPTEs, allocated on first use
 * @nmapped: IOPTEs set; 0 again when the domain is freed
 * @huge: made for a MOCK_BPF_DEV_HUGE_IOVA device: has 1 MiB IOPTEs
 * @huge_exclusive: made for a huge_exclusive device: only devices with
 *                  MOCK_BPF_DEV_HUGE_IOVA may attach
 * @dirty_tracking: dirty tracking is on (only for a domain allocated with
 *                  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, which has dirty_ops);
 *                  under @lock
 * @iotlb_syncs: IOTLB syncs so far (IOMMU_TEST_OP_MD_CHECK_IOTLB)
 */
struct mock_domain {
	struct iommu_domain domain;
	struct mutex lock; /* see above */
	struct xarray tables;
	unsigned long nmapped;
	bool huge;
	bool huge_exclusive;
	bool dirty_tracking;
	atomic_long_t iotlb_syncs;
};

static const struct iommu_domain_ops mock_paging_domain_ops;

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

/* Injected failures: the Nth call from arming fails; 0 is disarmed. */
static atomic_t mock_map_fail_nth = ATOMIC_INIT(0);
static atomic_t mock_attach_fail_nth = ATOMIC_INIT(0);
static atomic_t chunk_fail_nth = ATOMIC_INIT(0);

static bool mock_inject(atomic_t *nth)
{
	return atomic_dec_if_positive(nth) == 0;
}

void iommufd_mock_inject(u32 map_fail_nth, u32 attach_fail_nth,
			 u32 chunk_fail_nth_arg)
{
	atomic_set(&mock_map_fail_nth, min_t(u32, map_fail_nth, INT_MAX));
	atomic_set(&mock_attach_fail_nth, min_t(u32, attach_fail_nth, INT_MAX));
	atomic_set(&chunk_fail_nth, min_t(u32, chunk_fail_nth_arg, INT_MAX));
}

/*
 * Should this allocation of a PFN store chunk (pages.c) fail?  Armed only
 * through IOMMU_TEST_CMD, so with selftest=1; one atomic read otherwise.
 */
bool iommufd_inject_chunk_fail(void)
{
	return atomic_read(&chunk_fail_nth) && mock_inject(&chunk_fail_nth);
}

static int mock_domain_attach(struct iommu_domain *domain, struct device *dev)
{
	struct mock_domain *mock = to_mock_domain(domain);
	struct mock_dev *mdev = to_mock_dev(dev);

	/* -EINVAL: this domain does not suit the device; another may. */
	if ((mdev->flags & MOCK_BPF_DEV_HUGE_IOVA) ? !mock->huge :
						     mock->huge_exclusive)
		return -EINVAL;
	/* A device that cannot track dirty pages would hide its writes. */
	if (domain->dirty_ops && (mdev->flags & MOCK_BPF_DEV_NO_DIRTY))
		return -EINVAL;
	/*
	 * Only a change of domain is made to fail.  Attaching the domain the
	 * group is on is the IOMMU core undoing a failed change for the
	 * group's other devices, which it requires to succeed.
	 */
	if (domain != iommu_get_domain_for_dev(dev) &&
	    mock_inject(&mock_attach_fail_nth))
		return -EIO;
	return 0;
}

/* The IOPTE of mock page @index, or NULL when its table does not exist. */
static unsigned long *mock_pte(struct mock_domain *mock, unsigned long index)
{
	unsigned long *table = xa_load(&mock->tables, index / MOCK_PTE_CHUNK);

	return table ? &table[index % MOCK_PTE_CHUNK] : NULL;
}

static int mock_domain_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long n = pgsize * pgcount / MOCK_IO_PAGE_SIZE;
	unsigned long last = first + n - 1, ti, i;
	unsigned long *table;
	int rc = 0;

	if (WARN_ON(iova % MOCK_IO_PAGE_SIZE || paddr % MOCK_IO_PAGE_SIZE))
		return -EINVAL;
	if (mock_inject(&mock_map_fail_nth))
		return -ENOMEM;
	/*
	 * Tables are allocated before the lock is taken: unmap runs under
	 * it from an MMU notifier (mmio.c), which reclaim may wait for.  A
	 * table another map inserted meanwhile wins; tables live as long as
	 * the domain.
	 */
	for (ti = first / MOCK_PTE_CHUNK; ti <= last / MOCK_PTE_CHUNK; ti++) {
		if (xa_load(&mock->tables, ti))
			continue;
		table = kzalloc(PAGE_SIZE, gfp);
		if (!table)
			return -ENOMEM;
		rc = xa_insert(&mock->tables, ti, table, gfp);
		if (rc)
			kfree(table);
		if (rc && rc != -EBUSY)
			return rc;
	}
	rc = 0;
	mutex_lock(&mock->lock);
	table = NULL;
	for (i = 0; i < n; i++) {
		unsigned long *pte;

		if (!table || !((first + i) % MOCK_PTE_CHUNK))
			table = xa_load(&mock->tables,
					(first + i) / MOCK_PTE_CHUNK);
		pte = &table[(first + i) % MOCK_PTE_CHUNK];
		/* Mapping over a mapping is a bug of the caller's. */
		if (WARN_ON(*pte)) {
			rc = -EBUSY;
			goto err_undo;
		}
		WRITE_ONCE(*pte, (paddr + i * MOCK_IO_PAGE_SIZE) |
				 MOCK_PTE_VALID |
				 (pgsize == MOCK_HUGE_PAGE_SIZE ?
				  MOCK_PTE_HUGE : 0) |
				 (i == 0 ? MOCK_PTE_START : 0) |
				 (i == n - 1 ? MOCK_PTE_LAST : 0));
	}
	mock->nmapped += n;
	*mapped = pgsize * pgcount;
	goto out_unlock;

err_undo:
	while (i--)
		WRITE_ONCE(*mock_pte(mock, first + i), 0);
out_unlock:
	mutex_unlock(&mock->lock);
	return rc;
}

static size_t mock_domain_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long n = pgsize * pgcount / MOCK_IO_PAGE_SIZE;
	unsigned long *table = NULL;
	unsigned long i;

	mutex_lock(&mock->lock);
	for (i = 0; i < n; i++) {
		unsigned long *pte;

		if (!table || !((first + i) % MOCK_PTE_CHUNK))
			table = xa_load(&mock->tables,
					(first + i) / MOCK_PTE_CHUNK);
		pte = table ? &table[(first + i) % MOCK_PTE_CHUNK] : NULL;
		/* Unmapping what is not mapped is a bug of the caller's. */
		if (WARN_ON(!pte || !*pte))
			break;
		/*
		 * So is unmapping part of a map.  With 1 MiB IOPTEs the IOMMU
		 * core picks page sizes for unmap by IOVA alone, and may break
		 * an unmap where the map had no break: not checked there.
		 */
		if (!mock->huge) {
			WARN_ON(i == 0 && !(*pte & MOCK_PTE_START));
			WARN_ON(i == n - 1 && !(*pte & MOCK_PTE_LAST));
		}
		WRITE_ONCE(*pte, 0);
	}
	mock->nmapped -= i;
	mutex_unlock(&mock->lock);
	iommu_iotlb_gather_add_range(gather, iova, i * MOCK_IO_PAGE_SIZE);
	return i * MOCK_IO_PAGE_SIZE;
}

static void mock_domain_iotlb_sync(struct iommu_domain *domain,
				   struct iommu_iotlb_gather *gather)
{
	atomic_long_inc(&to_mock_domain(domain)->iotlb_syncs);
}

static phys_addr_t mock_domain_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long *pte = mock_pte(mock, iova / MOCK_IO_PAGE_SIZE);
	unsigned long val = pte ? READ_ONCE(*pte) : 0;

	if (!val)
		return 0;
	return MOCK_PTE_ADDR(val) + iova % MOCK_IO_PAGE_SIZE;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long *table, ti;

	/* The core unmapped everything before freeing. */
	WARN_ON(mock->nmapped);
	xa_for_each(&mock->tables, ti, table)
		kfree(table);
	xa_destroy(&mock->tables);
	mutex_destroy(&mock->lock);
	kfree(mock);
}

/*
 * The IOPTE of mock page @index that holds its dirty bit (the first slot of
 * a 1 MiB IOPTE), and in *@size the bytes of IOVA it maps; NULL when
 * nothing is mapped there.  Under mock->lock.
 */
static unsigned long *mock_dirty_pte(struct mock_domain *mock,
				     unsigned long index, unsigned long *size)
{
	unsigned long *pte = mock_pte(mock, index);

	if (!pte || !*pte)
		return NULL;
	if (!(*pte & MOCK_PTE_HUGE)) {
		*size = MOCK_IO_PAGE_SIZE;
		return pte;
	}
	*size = MOCK_HUGE_PAGE_SIZE;
	return mock_pte(mock, ALIGN_DOWN(index, MOCK_HUGE_PAGE_SIZE /
					 MOCK_IO_PAGE_SIZE));
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	struct mock_domain *mock = to_mock_domain(domain);

	mutex_lock(&mock->lock);
	mock->dirty_tracking = enable;
	mutex_unlock(&mock->lock);
	return 0;
}

/*
 * Report each dirty IOPTE that maps part of [iova, iova + size), whole (a
 * 1 MiB IOPTE may start before @iova or end after), and clear its dirty
 * bit unless IOMMU_DIRTY_NO_CLEAR.  Reading (rather than only clearing)
 * requires tracking to be on, as upstream's mock does.
 */
static int mock_read_and_clear_dirty(struct iommu_domain *domain,
				     unsigned long iova, size_t size,
				     unsigned long flags,
				     struct iommu_dirty_bitmap *dirty)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long cur = ALIGN_DOWN(iova, MOCK_IO_PAGE_SIZE);
	unsigned long last = iova + size - 1;
	int rc = 0;

	mutex_lock(&mock->lock);
	if (dirty->bitmap && !mock->dirty_tracking) {
		rc = -EINVAL;
		goto out_unlock;
	}
	while (cur <= last) {
		unsigned long *pte, len = MOCK_IO_PAGE_SIZE, head;

		pte = mock_dirty_pte(mock, cur / MOCK_IO_PAGE_SIZE, &len);
		head = ALIGN_DOWN(cur, len);
		if (pte && (*pte & MOCK_PTE_DIRTY)) {
			if (!(flags & IOMMU_DIRTY_NO_CLEAR))
				WRITE_ONCE(*pte, *pte & ~MOCK_PTE_DIRTY);
			iommufd_dirty_record(dirty, head, len);
		}
		/* The last IOPTE of the address space ends the walk. */
		if (check_add_overflow(head, len, &cur))
			break;
	}
out_unlock:
	mutex_unlock(&mock->lock);
	return rc;
}

static const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_and_clear_dirty = mock_read_and_clear_dirty,
};

/*
 * IOMMU_TEST_OP_DIRTY: a DMA write through each IOPTE that maps the IOVA
 * @iova + i * @page_size for every bit i set in the user bitmap @uptr (of
 * @length / @page_size bits); returns in *@count the bits that hit a
 * mapped IOPTE.  -EINVAL while tracking is off, -ENOENT when @domain is not
 * a mock domain.
 */
int iommufd_mock_domain_set_dirty(struct iommu_domain *domain,
				  unsigned long iova, unsigned long length,
				  unsigned long page_size, void __user *uptr,
				  unsigned long *count)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long nbits, i, *bits, last;
	int rc = 0;

	if (domain->ops != &mock_paging_domain_ops)
		return -ENOENT;
	if (!page_size || !length || iova % page_size ||
	    length % page_size || !uptr ||
	    check_add_overflow(iova, length - 1, &last))
		return -EINVAL;
	nbits = length / page_size;
	/* Upstream's bound: a 16 MiB bitmap. */
	if (nbits > SZ_16M * BITS_PER_BYTE)
		return -EOVERFLOW;
	bits = kvcalloc(BITS_TO_LONGS(nbits), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
	if (!bits)
		return -ENOMEM;
	if (copy_from_user(bits, uptr, DIV_ROUND_UP(nbits, BITS_PER_BYTE))) {
		rc = -EFAULT;
		goto out_free;
	}
	*count = 0;
	mutex_lock(&mock->lock);
	if (!mock->dirty_tracking) {
		rc = -EINVAL;
		goto out_unlock;
	}
	for_each_set_bit(i, bits, nbits) {
		unsigned long *pte, len;

		pte = mock_dirty_pte(mock, (iova + i * page_size) /
					   MOCK_IO_PAGE_SIZE, &len);
		if (!pte)
			continue;
		WRITE_ONCE(*pte, *pte | MOCK_PTE_DIRTY);
		(*count)++;
	}
out_unlock:
	mutex_unlock(&mock->lock);
out_free:
	kvfree(bits);
	return rc;
}

static const struct iommu_domain_ops mock_paging_domain_ops = {
	.attach_dev = mock_domain_attach,
	.map_pages = mock_domain_map_pages,
	.unmap_pages = mock_domain_unmap_pages,
	.iotlb_sync = mock_domain_iotlb_sync,
	.iova_to_phys = mock_domain_iova_to_phys,
	.free = mock_domain_free,
};

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL_ACCOUNT);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mock->lock);
	xa_init(&mock->tables);
	mock->huge = dev && (to_mock_dev(dev)->flags & MOCK_BPF_DEV_HUGE_IOVA);
	mock->huge_exclusive = dev && to_mock_dev(dev)->huge_exclusive;
	mock->domain.type = IOMMU_DOMAIN_UNMANAGED;
	mock->domain.ops = &mock_paging_domain_ops;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (mock->huge)
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	mock->domain.geometry.aperture_start = MOCK_APERTURE_START;
	mock->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.geometry.force_aperture = true;
	return &mock->domain;
}

/**
 * struct mock_nested - a nested domain of the mock IOMMU: user space's
 * first stage in front of a mock paging domain
 * @domain: the core's view (IOMMU_DOMAIN_NESTED)
 * @parent: the paging domain it nests on (the parent HWPT outlives it)
 * @iotlb: the entries of its IOTLB that user space flushes with
 *         IOMMU_HWPT_INVALIDATE (0 once flushed).  Each is read and written
 *         whole, without a lock: flushes of one entry race only with each
 *         other, and either's 0 is the outcome.
 */
struct mock_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	u32 iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

static int mock_nested_attach(struct iommu_domain *domain, struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	/* As for the parent: a huge-IOVA device needs 1 MiB IOPTEs. */
	if ((mdev->flags & MOCK_BPF_DEV_HUGE_IOVA) &&
	    !to_mock_nested(domain)->parent->huge)
		return -EINVAL;
	return 0;
}

static void mock_nested_free(struct iommu_domain *domain)
{
	kfree(to_mock_nested(domain));
}

/*
 * Flush the entries user space names, in order, stopping at the first bad
 * one (EINVAL for an unknown data type or IOTLB entry, EOPNOTSUPP for
 * unknown flags); array->entry_num comes back as those done.
 */
static int mock_cache_invalidate_user(struct iommu_domain *domain,
				      struct iommu_user_data_array *array)
{
	struct mock_nested *nested = to_mock_nested(domain);
	struct iommu_hwpt_invalidate_selftest inv;
	u32 done = 0, i, j;
	int rc = 0;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < array->entry_num; i++) {
		rc = iommu_copy_struct_from_user_array(&inv, array,
						       IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
						       i, iotlb_id);
		if (rc)
			break;
		if (inv.flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		for (j = 0; j < MOCK_NESTED_DOMAIN_IOTLB_NUM; j++)
			if ((inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) ||
			    j == inv.iotlb_id)
				WRITE_ONCE(nested->iotlb[j], 0);
		done++;
	}
out:
	array->entry_num = done;
	return rc;
}

static const struct iommu_domain_ops mock_nested_domain_ops = {
	.attach_dev = mock_nested_attach,
	.cache_invalidate_user = mock_cache_invalidate_user,
	.free = mock_nested_free,
};

/* A nested domain on @parent, from user space's struct iommu_hwpt_selftest. */
static struct iommu_domain *
mock_nested_alloc(struct iommu_domain *parent,
		  const struct iommu_user_data *user_data)
{
	struct iommu_hwpt_selftest cfg;
	struct mock_nested *nested;
	int rc, i;

	if (user_data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->ops != &mock_paging_domain_ops)
		return ERR_PTR(-EINVAL);
	rc = iommu_copy_struct_from_user(&cfg, user_data,
					 IOMMU_HWPT_DATA_SELFTEST, iotlb);
	if (rc)
		return ERR_PTR(rc);
	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->parent = to_mock_domain(parent);
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		nested->iotlb[i] = cfg.iotlb;
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_domain_ops;
	return &nested->domain;
}

/*
 * The IOTLB entry @index of nested domain @domain, or -ENOENT when it is not
 * a mock nested domain, -EINVAL for an entry it does not have.
 */
long iommufd_mock_nested_iotlb(struct iommu_domain *domain, u32 index)
{
	if (domain->ops != &mock_nested_domain_ops)
		return -ENOENT;
	if (index > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return -EINVAL;
	return READ_ONCE(to_mock_nested(domain)->iotlb[index]);
}

/*
 * IOMMU_HWPT_ALLOC's domains: a paging domain with flags (dirty tracking,
 * nesting parent), or a nested one on @parent from the driver data.  Dirty
 * tracking needs a device that has it.
 */
static struct iommu_domain *
mock_domain_alloc_user(struct device *dev, u32 flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data)
{
	struct iommu_domain *domain;

	if (parent)
		return flags || !user_data ? ERR_PTR(-EOPNOTSUPP) :
		       mock_nested_alloc(parent, user_data);
	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
		      IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (to_mock_dev(dev)->flags & MOCK_BPF_DEV_NO_DIRTY))
		return ERR_PTR(-EOPNOTSUPP);
	domain = mock_domain_alloc_paging(dev);
	if (!IS_ERR(domain) && (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		domain->dirty_ops = &mock_dirty_ops;
	return domain;
}

/*
 * The physical address behind the calling process's @uptr: of its page,
 * or for MMIO (a VM_PFNMAP or VM_IO mapping, a PCI BAR) from the page
 * tables.
 */
static int mock_user_phys(unsigned long uptr, phys_addr_t *phys)
{
	struct follow_pfnmap_args args = { .address = uptr & PAGE_MASK };
	struct mm_struct *mm = current->mm;
	struct page *page;
	int rc;

	if (get_user_pages_fast(uptr & PAGE_MASK, 1, 0, &page) == 1) {
		*phys = page_to_phys(page) + uptr % PAGE_SIZE;
		put_page(page);
		return 0;
	}
	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, uptr);
	rc = -EFAULT;
	if (args.vma && (args.vma->vm_flags & (VM_IO | VM_PFNMAP)))
		rc = follow_pfnmap_start(&args);
	if (!rc) {
		*phys = PFN_PHYS(args.pfn) + uptr % PAGE_SIZE;
		follow_pfnmap_end(&args);
	}
	mmap_read_unlock(mm);
	return rc;
}

/*
 * IOMMU_TEST_OP_MD_CHECK_MAP: every mock IOPTE of [iova, iova + length)
 * holds the physical address of the user memory (or MMIO) at @uptr, half a
 * CPU page at a time.  -EINVAL for a misaligned range or a mismatch,
 * -ENOENT when @domain is not a mock domain.
 */
int iommufd_mock_domain_check_map(struct iommu_domain *domain,
				  unsigned long iova, unsigned long length,
				  unsigned long uptr)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long end;

	if (domain->ops != &mock_paging_domain_ops)
		return -ENOENT;
	if (iova % MOCK_IO_PAGE_SIZE || length % MOCK_IO_PAGE_SIZE ||
	    uptr % MOCK_IO_PAGE_SIZE || check_add_overflow(uptr, length, &end))
		return -EINVAL;
	for (; uptr < end; uptr += MOCK_IO_PAGE_SIZE, iova += MOCK_IO_PAGE_SIZE) {
		unsigned long *pte, val = 0;
		phys_addr_t want;
		int rc;

		rc = mock_user_phys(uptr, &want);
		if (rc)
			return rc;
		mutex_lock(&mock->lock);
		pte = mock_pte(mock, iova / MOCK_IO_PAGE_SIZE);
		if (pte)
			val = *pte;
		mutex_unlock(&mock->lock);
		if (!val || MOCK_PTE_ADDR(val) != want)
			return -EINVAL;
	}
	return 0;
}

/* IOTLB syncs @domain has had, or -ENOENT when it is not a mock domain. */
long iommufd_mock_domain_iotlb_syncs(struct iommu_domain *domain)
{
	if (domain->ops != &mock_paging_domain_ops)
		return -ENOENT;
	return atomic_long_read(&to_mock_domain(domain)->iotlb_syncs);
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
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(to_mock_dev(dev)->flags & MOCK_BPF_DEV_NO_DIRTY);
	default:
		return false;
	}
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

/*
 * Page requests: the mock's devices raise them only through
 * IOMMU_TEST_OP_TRIGGER_IOPF, into the IOMMU core's fault path, which
 * needs the device on an IOPF queue while its IOPF is on.  Allocated with
 * the mock IOMMU.
 */
static struct iopf_queue *mock_iopf_queue;

static int mock_dev_enable_feat(struct device *dev,
				enum iommu_dev_features feat)
{
	if (feat != IOMMU_DEV_FEAT_IOPF || !mock_iopf_queue)
		return -ENODEV;
	return iopf_queue_add_device(mock_iopf_queue, dev);
}

static int mock_dev_disable_feat(struct device *dev,
				 enum iommu_dev_features feat)
{
	if (feat != IOMMU_DEV_FEAT_IOPF || !mock_iopf_queue)
		return -ENODEV;
	iopf_queue_remove_device(mock_iopf_queue, dev);
	return 0;
}

/* The device has no page request interface to answer: nothing to do. */
static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
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
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_user = mock_domain_alloc_user,
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.device_group = mock_device_group,
	.get_resv_regions = mock_get_resv_regions,
	.capable = mock_capable,
	.hw_info = mock_hw_info,
	.def_domain_type = mock_def_domain_type,
	.dev_enable_feat = mock_dev_enable_feat,
	.dev_disable_feat = mock_dev_disable_feat,
	.page_response = mock_page_response,
	/* A fault with a PASID goes to the nested domain of the device. */
	.user_pasid_table = true,
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

/*
 * Give a mock device, before it is added, the fwspec that names the mock
 * IOMMU, so the IOMMU core's bus notifier hands the device to this driver.
 *
 * iommu_fwspec_init() would do it, but on 6.12 it requires the core's
 * iommu_probe_device_lock (lockdep asserts it), which only the OF and ACPI
 * IORT/VIOT firmware code takes and which is not exported.  The lock keeps
 * dev->iommu stable against a concurrent probe of the same device; a device
 * that is not yet added cannot be probed, and nothing else can reach it, so
 * setting the fields here races with nothing.  What is set is what
 * iommu_fwspec_init() sets: a zeroed struct dev_iommu with its mutex, and a
 * fwspec holding a reference on the IOMMU's firmware node.  From the add on
 * the core owns both and frees them with the device (dev_iommu_free()), or
 * when its probe fails; mock_dev_free_fwspec() frees them when the add never
 * got that far.
 */
static int mock_dev_set_fwspec(struct device *dev)
{
	struct iommu_fwspec *fwspec;
	struct dev_iommu *param;

	param = kzalloc(sizeof(*param), GFP_KERNEL);
	if (!param)
		return -ENOMEM;
	fwspec = kzalloc(struct_size(fwspec, ids, 1), GFP_KERNEL);
	if (!fwspec) {
		kfree(param);
		return -ENOMEM;
	}
	mutex_init(&param->lock);
	fwspec->iommu_fwnode =
		fwnode_handle_get(dev_fwnode(&mock_iommu_pdev->dev));
	param->fwspec = fwspec;
	dev->iommu = param;
	return 0;
}

static void mock_dev_free_fwspec(struct device *dev)
{
	struct dev_iommu *param = dev->iommu;

	if (!param)
		return;
	dev->iommu = NULL;
	fwnode_handle_put(param->fwspec->iommu_fwnode);
	kfree(param->fwspec);
	mutex_destroy(&param->lock);
	kfree(param);
}

/**
 * iommufd_mock_device_create() - add a mock device behind the mock IOMMU
 * @spec: what the device is (struct iommu_test_cmd's bpf_mock_device)
 * @upstream: for upstream's IOMMU_TEST_OP_MOCK_DOMAIN: the domains of a
 *            huge device take any device (otherwise only huge ones)
 *
 * Returns the platform device, in its IOMMU group, or an ERR_PTR:
 * -EOPNOTSUPP for unknown flags, -EINVAL for a bad reserved region, -ENODEV
 * when the mock IOMMU is not registered or did not take the device.
 */
struct platform_device *
iommufd_mock_device_create(const struct iommu_test_bpf_mock_device *spec,
			   bool upstream)
{
	struct platform_device *pdev;
	struct mock_dev *mdev;
	u64 last;
	int index, rc;

	if (!mock_iommu_pdev)
		return ERR_PTR(-ENODEV);
	if (spec->flags & ~(MOCK_BPF_DEV_UNSAFE_MSI | MOCK_BPF_DEV_HUGE_IOVA |
			    MOCK_BPF_DEV_PASID | MOCK_BPF_DEV_NO_DIRTY))
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
	mdev->huge_exclusive = !upstream &&
			       (spec->flags & MOCK_BPF_DEV_HUGE_IOVA);

	pdev = platform_device_alloc(MOCK_DEVICE_NAME, index);
	if (!pdev) {
		ida_free(&mock_dev_ida, index);
		kfree(mdev);
		return ERR_PTR(-ENOMEM);
	}
	/* From here the platform device owns (and frees) mdev. */
	pdev->dev.platform_data = mdev;
	if (spec->flags & MOCK_BPF_DEV_PASID) {
		/* The IOMMU core reads a platform device's PASID width here. */
		const struct property_entry props[] = {
			PROPERTY_ENTRY_U32("pasid-num-bits", MOCK_PASID_WIDTH),
			{}
		};

		rc = device_create_managed_software_node(&pdev->dev, props,
							 NULL);
		if (rc)
			goto err_put;
	}
	rc = mock_dev_set_fwspec(&pdev->dev);
	if (rc)
		goto err_put;
	rc = platform_device_add(pdev);
	if (rc) {
		mock_dev_free_fwspec(&pdev->dev);
		goto err_put;
	}
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

/* Is @dev a mock device (behind the mock IOMMU)? */
bool iommufd_mock_dev(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev == &mock_iommu;
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

/*
 * A mock device's PCI-like identity (vendor << 16 | device, class,
 * segment << 16 | bus << 8 | devfn); -ENODEV for any other device.
 */
int iommufd_mock_device_identity(struct device *dev, u32 *id, u32 *class,
				 u32 *bdf)
{
	struct mock_dev *mdev;

	if (!dev->iommu || dev->iommu->iommu_dev != &mock_iommu)
		return -ENODEV;
	mdev = to_mock_dev(dev);
	*id = mdev->pci_id;
	*class = mdev->pci_class;
	*bdf = mdev->pci_bdf;
	return 0;
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

	if (!iommufd_selftest_enabled)
		return 0;
	mock_iopf_queue = iopf_queue_alloc("iommufd-bpf-mock");
	if (!mock_iopf_queue)
		return -ENOMEM;
	rc = software_node_register(&mock_iommu_node);
	if (rc)
		goto err_queue;
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
	mock_iommu.max_pasids = 1U << MOCK_PASID_WIDTH;
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
err_queue:
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
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
	iopf_queue_free(mock_iopf_queue);
	mock_iopf_queue = NULL;
	mock_iommu_pdev = NULL;
	WARN_ON(!xa_empty(&mock_groups));
}
