// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO type1 ioctls on /dev/iommu, as upstream iommufd offers them:
 * IOMMU_VFIO_IOAS chooses the IOAS they act on; TYPE1 (v1) can unmap part
 * of a mapping, TYPE1v2 cannot (ENOENT); the info capability chain.  With a
 * mock domain (selftest=1), so mappings are checked IOPTE by IOPTE.  Also
 * IOMMU_HWPT_INVALIDATE, which has nothing to invalidate yet.
 */
#include <linux/vfio.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "vfio_utils.h"

#define PAGE 4096UL
#define BUF_PAGES 16
#define BUF_SIZE (BUF_PAGES * PAGE)
#define IOVA (MOCK_APERTURE_START + (1UL << 20))

FIXTURE(compat) {
	int fd;
	uint32_t ioas, hwpt;
	char *buf;
};

FIXTURE_SETUP(compat)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &self->hwpt,
				   NULL));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(compat)
{
	close(self->fd);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, BUF_SIZE);
}

TEST_F(compat, needs_a_compat_ioas)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct iommu_vfio_ioas get = { .size = sizeof(get),
				       .op = IOMMU_VFIO_IOAS_GET };
	uint32_t id;

	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_SET_IOMMU,
				   VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(ENODEV, map_dma(self->fd, self->buf, PAGE, IOVA));
	/* Bad arguments come first. */
	info.argsz = 4;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->fd, IOVA, PAGE, 1U << 31, NULL));

	ASSERT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &get));
	ASSERT_ERRNO(ENOENT, set_compat_ioas(self->fd, self->hwpt,
					     IOMMU_VFIO_IOAS_SET));
	ASSERT_ERRNO(EOPNOTSUPP, set_compat_ioas(self->fd, self->ioas, 9));
	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &get));
	ASSERT_EQ(self->ioas, get.ioas_id);
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_SET_IOMMU, 42));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(map_dma(self->fd, self->buf, PAGE, IOVA));
	ASSERT_OK(test_check_map(self->fd, self->hwpt, IOVA, self->buf, PAGE));
	/* No VFIO_UPDATE_VADDR here (upstream has none on /dev/iommu). */
	ASSERT_ERRNO(EINVAL, unmap_dma(self->fd, IOVA, PAGE,
				       VFIO_DMA_UNMAP_FLAG_VADDR, NULL));

	/* Destroying the compat IOAS clears it. */
	ASSERT_OK(ioas_alloc(self->fd, &id));
	ASSERT_OK(set_compat_ioas(self->fd, id, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(iommufd_destroy(self->fd, id));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &get));
	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(set_compat_ioas(self->fd, 0, IOMMU_VFIO_IOAS_CLEAR));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, IOMMU_VFIO_IOAS, &get));
}

TEST_F(compat, info_capabilities)
{
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[256];
	} b;
	struct vfio_info_cap_header *cap;
	bool iova = false, avail = false, migration = false;
	uint32_t need;

	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	memset(&b, 0, sizeof(b));
	b.info.argsz = sizeof(b.info);
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, &b.info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, b.info.flags);
	ASSERT_EQ(PAGE, b.info.iova_pgsizes & -b.info.iova_pgsizes);
	/* Too small for the chain: its size, and no offset. */
	ASSERT_EQ(0, b.info.cap_offset);
	need = b.info.argsz;
	ASSERT_GT(need, sizeof(b.info));
	ASSERT_GE(sizeof(b), need);
	b.info.argsz = sizeof(b);
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, &b.info));
	ASSERT_EQ(need, b.info.argsz);
	ASSERT_EQ(sizeof(b.info), b.info.cap_offset);
	for (cap = (void *)&b + b.info.cap_offset;;
	     cap = (void *)&b + cap->next) {
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r =
				(void *)cap;

			ASSERT_EQ(1, r->nr_iovas);
			ASSERT_EQ(MOCK_APERTURE_START, r->iova_ranges[0].start);
			ASSERT_EQ(MOCK_APERTURE_LAST, r->iova_ranges[0].end);
			iova = true;
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
			struct vfio_iommu_type1_info_cap_migration *m =
				(void *)cap;

			ASSERT_EQ(0, m->flags);
			ASSERT_EQ(PAGE, m->pgsize_bitmap);
			ASSERT_EQ(256UL << 20, m->max_dirty_bitmap_size);
			migration = true;
		} else {
			ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, cap->id);
			avail = true;
		}
		if (!cap->next)
			break;
	}
	ASSERT_TRUE(iova && avail && migration);
}

/*
 * Dirty tracking as vfio_iommu_type1 keeps it for devices that cannot
 * report writes: every mapped page is dirty at every query while it is on.
 */
/* VFIO_IOMMU_GET_INFO's page sizes for the compat IOAS. */
static uint64_t compat_pgsizes(int fd)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	if (ioctl(fd, VFIO_IOMMU_GET_INFO, &info))
		return 0;
	return info.iova_pgsizes;
}

/*
 * The page sizes follow the IOAS's domain as it comes and goes: every size
 * from a CPU page up with none, then the domain's.
 */
TEST_F(compat, info_pgsizes_follow_the_domains)
{
	const uint64_t none = -(uint64_t)PAGE;
	const uint64_t huge = PAGE | 512 * MOCK_BPF_IO_PAGE_SIZE;
	uint32_t id, dev;

	ASSERT_OK(ioas_alloc(self->fd, &id));
	ASSERT_OK(set_compat_ioas(self->fd, id, IOMMU_VFIO_IOAS_SET));
	ASSERT_EQ(none, compat_pgsizes(self->fd));
	ASSERT_OK(test_mock_domain(self->fd, id, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				   &dev, NULL, NULL));
	ASSERT_EQ(huge, compat_pgsizes(self->fd));
	ASSERT_OK(iommufd_destroy(self->fd, dev));
	ASSERT_EQ(none, compat_pgsizes(self->fd));
	ASSERT_OK(test_mock_domain(self->fd, id, 0, &dev, NULL, NULL));
	ASSERT_EQ(PAGE, compat_pgsizes(self->fd));
	ASSERT_OK(iommufd_destroy(self->fd, dev));
	ASSERT_EQ(none, compat_pgsizes(self->fd));
}

TEST_F(compat, dirty_pages_of_whole_mappings)
{
	uint64_t bits[4];

	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(map_dma(self->fd, self->buf, 4 * PAGE, IOVA));
	ASSERT_OK(map_dma(self->fd, self->buf + 4 * PAGE, 2 * PAGE,
			  IOVA + 8 * PAGE));
	/* Off: no bitmap. */
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 16 * PAGE, PAGE,
					  bits, sizeof(bits)));
	ASSERT_OK(dirty_pages(self->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_OK(dirty_pages(self->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	memset(bits, 0, sizeof(bits));
	ASSERT_OK(dirty_bitmap(self->fd, IOVA, 16 * PAGE, PAGE, bits,
			       sizeof(bits)));
	ASSERT_EQ(0x30fULL, bits[0]);
	/* Again: still dirty (a device may write at any time). */
	memset(bits, 0, sizeof(bits));
	ASSERT_OK(dirty_bitmap(self->fd, IOVA + 8 * PAGE, 2 * PAGE, PAGE, bits,
			       sizeof(bits)));
	ASSERT_EQ(0x3ULL, bits[0]);
	/* What the caller set stays set. */
	bits[0] = 1ULL << 40;
	ASSERT_OK(dirty_bitmap(self->fd, IOVA, 4 * PAGE, PAGE, bits, 8));
	ASSERT_EQ((1ULL << 40) | 0xf, bits[0]);
	/* Bad queries. */
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA + PAGE, 2 * PAGE, PAGE,
					  bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 2 * PAGE, PAGE, bits,
					  sizeof(bits)));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 4 * PAGE, 2 * PAGE,
					  bits, sizeof(bits)));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 4 * PAGE, PAGE, bits,
					  0));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 256 * PAGE, PAGE,
					  bits, 8));
	ASSERT_ERRNO(EINVAL, dirty_pages(self->fd,
					 VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
					 VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_ERRNO(EINVAL, dirty_pages(self->fd, 1U << 3));
	ASSERT_ERRNO(EFAULT, dirty_bitmap(self->fd, IOVA, 4 * PAGE, PAGE,
					  (void *)8, 8));
	/* Unmapping says what was dirty first. */
	memset(bits, 0, sizeof(bits));
	ASSERT_OK(unmap_dma_dirty(self->fd, IOVA + 8 * PAGE, 2 * PAGE, PAGE,
				  bits, 8));
	ASSERT_EQ(0x3ULL, bits[0]);
	ASSERT_ERRNO(EINVAL, unmap_dma_dirty(self->fd, IOVA, 4 * PAGE, 2 * PAGE,
					     bits, 8));
	ASSERT_OK(dirty_pages(self->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_ERRNO(EINVAL, unmap_dma_dirty(self->fd, IOVA, 4 * PAGE, PAGE,
					     bits, 8));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->fd, IOVA, 4 * PAGE, PAGE, bits,
					  8));
}

/* Without a domain, the pages an access (an emulated device) pinned. */
TEST_F(compat, dirty_pages_of_emulated_devices)
{
	uint32_t ioas;
	uint64_t bits = 0;
	int access;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(set_compat_ioas(self->fd, ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(test_create_access(self->fd, ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &access));
	ASSERT_OK(map_dma(self->fd, self->buf, 8 * PAGE, IOVA));
	ASSERT_OK(dirty_pages(self->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_OK(dirty_bitmap(self->fd, IOVA, 8 * PAGE, PAGE, &bits, 8));
	ASSERT_EQ(0, bits);
	ASSERT_OK(test_access_pages(self->fd, access, IOVA + 2 * PAGE, 3 * PAGE,
				    self->buf + 2 * PAGE, 0, NULL));
	ASSERT_OK(dirty_bitmap(self->fd, IOVA, 8 * PAGE, PAGE, &bits, 8));
	ASSERT_EQ(0x1cULL, bits);
	close(access);
}

/* TYPE1v2: whole mappings only; a bisected one is ENOENT. */
TEST_F(compat, type1v2_unmaps_whole_mappings)
{
	uint64_t done;

	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(map_dma(self->fd, self->buf, BUF_SIZE, IOVA));
	ASSERT_ERRNO(EEXIST, map_dma(self->fd, self->buf, PAGE, IOVA + PAGE));
	ASSERT_ERRNO(ENOENT, unmap_dma(self->fd, IOVA + PAGE, PAGE, 0, &done));
	ASSERT_OK(test_check_map(self->fd, self->hwpt, IOVA, self->buf,
				 BUF_SIZE));
	ASSERT_OK(unmap_dma(self->fd, IOVA, BUF_SIZE, 0, &done));
	ASSERT_EQ(BUF_SIZE, done);
	/* Nothing there: success, nothing unmapped. */
	ASSERT_OK(unmap_dma(self->fd, IOVA, BUF_SIZE, 0, &done));
	ASSERT_EQ(0, done);
	ASSERT_OK(map_dma(self->fd, self->buf, PAGE, IOVA));
	ASSERT_OK(map_dma(self->fd, self->buf, PAGE, IOVA + 8 * PAGE));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->fd, IOVA, PAGE,
				       VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_OK(unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	ASSERT_EQ(2 * PAGE, done);
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
}

/* TYPE1: large pages off, and any page of a mapping can be unmapped. */
TEST_F(compat, type1_cuts_mappings)
{
	uint64_t done, val = 9;

	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(0, val);
	ASSERT_OK(map_dma(self->fd, self->buf, BUF_SIZE, IOVA));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	/* Every other page, out of order. */
	for (int i = BUF_PAGES - 2; i >= 0; i -= 2) {
		ASSERT_OK(unmap_dma(self->fd, IOVA + i * PAGE, PAGE, 0, &done));
		ASSERT_EQ(PAGE, done);
	}
	for (int i = 0; i < BUF_PAGES; i++) {
		if (i % 2) {
			ASSERT_OK(test_check_map(self->fd, self->hwpt,
						 IOVA + i * PAGE,
						 self->buf + i * PAGE, PAGE));
			ASSERT_OK(test_check_refs(self->fd,
						  self->buf + i * PAGE, PAGE,
						  1));
		} else {
			ASSERT_ERRNO(EINVAL,
				     test_check_map(self->fd, self->hwpt,
						    IOVA + i * PAGE,
						    self->buf + i * PAGE,
						    PAGE));
			ASSERT_OK(test_check_refs(self->fd,
						  self->buf + i * PAGE, PAGE,
						  0));
		}
	}
	ASSERT_OK(unmap_dma(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	ASSERT_EQ(BUF_SIZE / 2, done);
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	/* Large pages cannot go off under mapped domains. */
	ASSERT_OK(map_dma(self->fd, self->buf, PAGE, IOVA));
	val = 1;
	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_SET, self->ioas, &val));
	val = 0;
	ASSERT_ERRNO(EINVAL, iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					    IOMMU_OPTION_OP_SET, self->ioas,
					    &val));
}

/*
 * A PCI BAR (MMIO) is mapped and revoked a whole mapping at a time: a
 * TYPE1 unmap that would cut it is EINVAL, and leaves it mapped; the whole
 * of it unmaps.
 */
TEST_F(compat, type1_does_not_cut_mmio)
{
	char *bar = map_pci_bar(4 * PAGE, PROT_READ | PROT_WRITE);
	uint64_t done;

	ASSERT_NE(NULL, bar);
	ASSERT_OK(set_compat_ioas(self->fd, self->ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_OK(map_dma(self->fd, bar, 4 * PAGE, IOVA));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->fd, IOVA + PAGE, PAGE, 0, &done));
	ASSERT_OK(test_check_map(self->fd, self->hwpt, IOVA, bar, 4 * PAGE));
	ASSERT_OK(unmap_dma(self->fd, IOVA, 4 * PAGE, 0, &done));
	ASSERT_EQ(4 * PAGE, done);
	munmap(bar, 4 * PAGE);
}

TEST_F(compat, hwpt_invalidate_has_nothing_to_do)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->hwpt,
		.entry_num = 3,
	};

	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd.entry_num = 0;
	/* A paging HWPT's IOTLB is the kernel's to invalidate. */
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
}

TEST_HARNESS_MAIN
