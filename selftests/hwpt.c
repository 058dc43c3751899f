// SPDX-License-Identifier: GPL-2.0-only
/*
 * HW pagetables beyond plain paging, on the mock IOMMU (selftest=1).
 *
 * Dirty tracking (IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
 * IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP): the mock
 * IOMMU has no DMA, so IOMMU_TEST_OP_DIRTY sets the dirty bits of IOPTEs as
 * a DMA write would, and what the bitmap reports is checked bit by bit
 * against what was set.
 *
 * Nested HWPTs (IOMMU_HWPT_ALLOC on a nesting parent with the mock's
 * IOMMU_HWPT_DATA_SELFTEST, IOMMU_HWPT_INVALIDATE): the mock nested domain
 * has a four-entry IOTLB that IOMMU_TEST_OP_MD_CHECK_IOTLB reads.
 *
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC, IOMMU_HWPT_FAULT_ID_VALID): page
 * requests raised with IOMMU_TEST_OP_TRIGGER_IOPF are read from the queue's
 * file and answered by writing to it; what nobody answers is answered when
 * the device leaves.
 */
#include <poll.h>
#include <sys/mman.h>

#include "harness.h"
#include "iommufd_utils.h"

#define PAGE 4096UL
#define MOCK_PAGE 2048UL
#define BUF_PAGES 64
#define BUF_SIZE (BUF_PAGES * PAGE)
#define BUF_BITS (BUF_SIZE / MOCK_PAGE)
/* Inside the mock aperture, on a 2 MiB boundary. */
#define IOVA (MOCK_APERTURE_START + (2UL << 20))
#define HUGE (2UL << 20)

FIXTURE(hwpt) {
	int fd;
	uint32_t ioas, stdev, hwpt, dev_id;
	void *buf;
	uint64_t *bits;
	long hwpts, pinned;
};

FIXTURE_SETUP(hwpt)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->hwpts = iommufd_stat("hwpt_paging");
	self->pinned = iommufd_stat("pinned_pages");
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	/* Three pages: room for 24576 bits at any byte offset. */
	self->bits = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->bits);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &self->stdev,
				   &self->hwpt, &self->dev_id));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
}

/* Closing the file with everything live leaves nothing behind. */
FIXTURE_TEARDOWN(hwpt)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));
	EXPECT_EQ(self->pinned, iommufd_stat("pinned_pages"));
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, BUF_SIZE);
	if (self->bits && self->bits != MAP_FAILED)
		munmap(self->bits, 3 * PAGE);
}

static bool bit(const void *bitmap, unsigned long i)
{
	return ((const uint8_t *)bitmap)[i / 8] >> (i % 8) & 1;
}

static void set_bit_at(void *bitmap, unsigned long i)
{
	((uint8_t *)bitmap)[i / 8] |= 1 << (i % 8);
}

/*
 * The first bit of @bitmap (of @nbits) that is not as @want says, or -1:
 * @want lists the set bits, ending with -1.
 */
static long bits_differ(const void *bitmap, unsigned long nbits,
			const long *want)
{
	for (unsigned long i = 0; i < nbits; i++) {
		bool set = false;

		for (const long *w = want; *w >= 0; w++)
			set |= (unsigned long)*w == i;
		if (bit(bitmap, i) != set)
			return i;
	}
	return -1;
}

/* DMA writes at the mock pages (of the buffer's IOVA) listed in @pages. */
static int write_pages(int fd, uint32_t hwpt, void *scratch,
		       const long *pages, uint64_t *count)
{
	memset(scratch, 0, BUF_BITS / 8);
	for (const long *p = pages; *p >= 0; p++)
		set_bit_at(scratch, *p);
	return test_dirty(fd, hwpt, IOVA, BUF_SIZE, MOCK_PAGE, scratch, count);
}

/* A HWPT of the fixture's IOAS that tracks dirty pages, tracking. */
static int tracking_hwpt(int fd, uint32_t dev_id, uint32_t ioas, uint32_t *h)
{
	return hwpt_alloc(fd, dev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			  h) ?: hwpt_set_dirty(fd, *h, true);
}

/* Each dirty IOPTE is reported once; NO_CLEAR reports without clearing. */
TEST_F(hwpt, dirty_pages_reported_once)
{
	static const long written[] = { 0, 5, 64, BUF_BITS - 1, -1 };
	static const long none[] = { -1 };
	uint8_t *scratch = (uint8_t *)self->bits + 2 * PAGE;
	uint64_t count;
	uint32_t h;

	ASSERT_OK(tracking_hwpt(self->fd, self->dev_id, self->ioas, &h));
	/* Nothing was dirty: turning tracking on flushed nothing. */
	ASSERT_OK(test_check_iotlb(self->fd, h, 0));
	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	ASSERT_EQ(4, count);

	memset(self->bits, 0, PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, written));
	/* The dirty bits were cleared, with one IOTLB flush. */
	ASSERT_OK(test_check_iotlb(self->fd, h, 1));
	memset(self->bits, 0, PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, none));

	/* NO_CLEAR: the same bits, as often as asked, and no flush. */
	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	for (int i = 0; i < 2; i++) {
		memset(self->bits, 0, PAGE);
		ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE,
					 MOCK_PAGE, self->bits,
					 IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
		ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, written));
	}
	ASSERT_OK(test_check_iotlb(self->fd, h, 1));

	/* Bits the caller had set stay set: several HWPTs share a bitmap. */
	memset(self->bits, 0, PAGE);
	set_bit_at(self->bits, 7);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	{
		static const long with7[] = { 0, 5, 7, 64, BUF_BITS - 1, -1 };

		ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, with7));
	}

	/* Coarser bits: a CPU page is dirty when either mock page is. */
	{
		static const long mock_pages[] = { 0, 1, 10, 127, -1 };
		static const long cpu_pages[] = { 0, 5, 63, -1 };

		ASSERT_OK(write_pages(self->fd, h, scratch, mock_pages,
				      &count));
		ASSERT_EQ(4, count);
		memset(self->bits, 0, PAGE);
		ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, PAGE,
					 self->bits, 0));
		ASSERT_EQ(-1, bits_differ(self->bits, BUF_PAGES, cpu_pages));
	}

	/* A bitmap at an odd address, and a range starting mid-buffer. */
	{
		static const long written2[] = { 33, 34, 100, -1 };
		static const long shifted[] = { 1, 2, 68, -1 };
		uint8_t *odd = (uint8_t *)self->bits + 0xff1;

		ASSERT_OK(write_pages(self->fd, h, scratch, written2, &count));
		memset(self->bits, 0, 2 * PAGE);
		ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA + 32 * MOCK_PAGE,
					 BUF_SIZE - 32 * MOCK_PAGE, MOCK_PAGE,
					 odd, 0));
		ASSERT_EQ(-1, bits_differ(odd, BUF_BITS - 32, shifted));
		ASSERT_EQ(0, ((uint8_t *)self->bits)[0xff0]);
	}
	ASSERT_OK(hwpt_set_dirty(self->fd, h, false));
	ASSERT_OK(iommufd_destroy(self->fd, h));
}

/* Every bad request fails with its own errno, and loses no dirty bit. */
TEST_F(hwpt, dirty_tracking_errors)
{
	static const long written[] = { 3, -1 };
	uint8_t *scratch = (uint8_t *)self->bits + 2 * PAGE;
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get),
		.iova = IOVA,
		.length = BUF_SIZE,
		.page_size = MOCK_PAGE,
		.data = (uintptr_t)self->bits,
	};
	struct iommu_hwpt_set_dirty_tracking set = {
		.size = sizeof(set),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	void *ro;
	uint64_t count;
	uint32_t h;

	/* A HWPT allocated without dirty tracking has none. */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_set_dirty(self->fd, self->hwpt, true));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_get_dirty(self->fd, self->hwpt, IOVA,
						BUF_SIZE, MOCK_PAGE,
						self->bits, 0));
	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
	/* Off: nothing to read, and no DMA is tracked. */
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE,
					    MOCK_PAGE, self->bits, 0));
	ASSERT_ERRNO(EINVAL, write_pages(self->fd, h, scratch, written,
					 &count));

	/* Flags and reserved fields. */
	set.hwpt_id = h;
	set.flags = 2;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd,
				       IOMMU_HWPT_SET_DIRTY_TRACKING, &set));
	/* As upstream, a 6.12 caller's __reserved is not looked at. */
	set.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	set.__reserved = 1;
	ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &set));
	get.hwpt_id = h;
	get.flags = 2;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				       &get));
	get.flags = 0;
	get.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				       &get));
	get.__reserved = 0;

	/* Not a HWPT. */
	ASSERT_ERRNO(ENOENT, hwpt_set_dirty(self->fd, self->ioas, true));
	ASSERT_ERRNO(ENOENT, hwpt_get_dirty(self->fd, 9999, IOVA, BUF_SIZE,
					    MOCK_PAGE, self->bits, 0));

	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	ASSERT_EQ(1, count);
	/* The test op's bitmap: up to 2^27 bits (16 MiB), none over. */
	{
		size_t len = 16UL << 20;
		void *big = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, big);
		ASSERT_OK(test_dirty(self->fd, h, 0, (len * 8) * MOCK_PAGE,
				     MOCK_PAGE, big, &count));
		ASSERT_EQ(0, count);
		ASSERT_ERRNO(EOVERFLOW,
			     test_dirty(self->fd, h, 0,
					(len * 8 + 1) * MOCK_PAGE, MOCK_PAGE,
					big, &count));
		munmap(big, len + PAGE);
	}
	/* The range and the page size. */
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, 0,
					    self->bits, 0));
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, 3072,
					    self->bits, 0));
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA, 0, MOCK_PAGE,
					    self->bits, 0));
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA + MOCK_PAGE,
					    BUF_SIZE - PAGE, PAGE,
					    self->bits, 0));
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE - 1,
					    MOCK_PAGE, self->bits, 0));
	ASSERT_ERRNO(EOVERFLOW, hwpt_get_dirty(self->fd, h, UINT64_MAX - PAGE + 1,
					       2 * PAGE, PAGE, self->bits, 0));
	/* Past the mapping: a gap. */
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA,
					    BUF_SIZE + PAGE, MOCK_PAGE,
					    self->bits, 0));
	ASSERT_ERRNO(EINVAL, hwpt_get_dirty(self->fd, h, IOVA - PAGE,
					    BUF_SIZE, MOCK_PAGE,
					    self->bits, 0));
	/* A bitmap that cannot be written. */
	ASSERT_ERRNO(EFAULT, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE,
					    MOCK_PAGE, NULL, 0));
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_ERRNO(EFAULT, hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE,
					    MOCK_PAGE, ro, 0));
	munmap(ro, PAGE);

	/* None of that read (or lost) the dirty bit. */
	memset(self->bits, 0, PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, written));
	/* Left on, destroyed by the file's close. */
}

/* Dirty tracking needs a device whose IOMMU has it, and keeps others off. */
TEST_F(hwpt, dirty_tracking_needs_a_capable_device)
{
	uint32_t stdev2, hwpt2, dev2, h, stdev3;
	uint64_t caps;

	ASSERT_OK(hw_info_caps(self->fd, self->dev_id, &caps));
	ASSERT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  caps & IOMMU_HW_CAP_DIRTY_TRACKING);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas,
				   MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev2, &hwpt2,
				   &dev2));
	ASSERT_OK(hw_info_caps(self->fd, dev2, &caps));
	ASSERT_EQ(0, caps & IOMMU_HW_CAP_DIRTY_TRACKING);
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(self->fd, dev2, self->ioas,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					    NULL));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));

	/* Its writes would go unseen: it cannot join a tracking domain. */
	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
	ASSERT_ERRNO(EINVAL, test_replace(self->fd, stdev2, h, NULL));
	ASSERT_ERRNO(EINVAL, test_mock_domain(self->fd, h,
					      MOCK_FLAGS_DEVICE_NO_DIRTY,
					      NULL, NULL, NULL));
	/* The failed attach left it where it was, mapping the buffer. */
	ASSERT_OK(test_check_map(self->fd, hwpt2, IOVA, self->buf, BUF_SIZE));
	ASSERT_OK(test_mock_domain(self->fd, h, 0, &stdev3, NULL, NULL));
	ASSERT_OK(test_check_map(self->fd, h, IOVA, self->buf, BUF_SIZE));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, h));
	ASSERT_OK(iommufd_destroy(self->fd, stdev3));
	ASSERT_OK(iommufd_destroy(self->fd, h));
	ASSERT_OK(iommufd_destroy(self->fd, stdev2));
}

/* Unmapping drops the dirty bits; turning tracking on starts clean. */
TEST_F(hwpt, dirty_bits_do_not_outlive_their_iopte)
{
	static const long written[] = { 2, 9, -1 };
	static const long none[] = { -1 };
	uint8_t *scratch = (uint8_t *)self->bits + 2 * PAGE;
	uint64_t count;
	uint32_t h;

	ASSERT_OK(tracking_hwpt(self->fd, self->dev_id, self->ioas, &h));
	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	ASSERT_EQ(2, count);
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA, BUF_SIZE, NULL));
	/* Nothing mapped: no IOPTE to write through. */
	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	ASSERT_EQ(0, count);
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	memset(self->bits, 0, PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, none));

	/* Bits from before tracking was last turned on are gone. */
	ASSERT_OK(write_pages(self->fd, h, scratch, written, &count));
	ASSERT_OK(hwpt_set_dirty(self->fd, h, false));
	ASSERT_OK(hwpt_set_dirty(self->fd, h, true));
	memset(self->bits, 0, PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, IOVA, BUF_SIZE, MOCK_PAGE,
				 self->bits, 0));
	ASSERT_EQ(-1, bits_differ(self->bits, BUF_BITS, none));
	/* That cleared two IOPTEs, with one flush. */
	ASSERT_OK(test_check_iotlb(self->fd, h, 2));
}

/*
 * A 1 MiB IOPTE is reported whole, even where it crosses the boundary of
 * the kernel's bitmap windows (32768 bits): mapped from a 2 MiB hugetlb
 * page at 33 IOVAs in a row, read from 512 KiB in at 2 KiB a bit.
 */
TEST_F(hwpt, dirty_huge_iopte_reported_whole_across_windows)
{
	const uint64_t base = MOCK_APERTURE_START + (64UL << 20);
	const uint64_t start = base + (512UL << 10);
	const unsigned long nbits = (33 * HUGE - (512UL << 10)) / MOCK_PAGE;
	const unsigned long first = ((64UL << 20) - (512UL << 10)) / MOCK_PAGE;
	uint32_t stdev, hwpt, dev, h, ioas;
	uint8_t *bits;
	uint64_t count;
	char *nr_huge;
	void *huge;
	int i;

	nr_huge = read_text("/proc/sys/vm/nr_hugepages");
	ASSERT_NE(NULL, nr_huge);
	nr_huge = strdup(nr_huge);
	ASSERT_OK(write_file("/proc/sys/vm/nr_hugepages", "1"));
	huge = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	if (huge == MAP_FAILED) {
		write_file("/proc/sys/vm/nr_hugepages", nr_huge);
		SKIP(return, "no 2 MiB huge page: %s", strerror(errno));
	}

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				   &stdev, &hwpt, &dev));
	ASSERT_OK(hwpt_alloc(self->fd, dev, ioas,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
	for (i = 0; i < 33; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, ioas, huge, HUGE,
					 base + i * HUGE));
	ASSERT_OK(hwpt_set_dirty(self->fd, h, true));

	/* One write, 3 mock pages into the IOPTE at base + 64 MiB. */
	/* Room for all 33 MiB's bits, at an odd address too. */
	bits = calloc(1, 33 * HUGE / MOCK_PAGE / 8 + PAGE);
	ASSERT_NE(NULL, bits);
	set_bit_at(bits, (64UL << 20) / MOCK_PAGE + 3);
	ASSERT_OK(test_dirty(self->fd, h, base, 33 * HUGE, MOCK_PAGE, bits,
			     &count));
	ASSERT_EQ(1, count);

	for (int pass = 0; pass < 2; pass++) {
		/* Second pass: at an odd address, after a NO_CLEAR read. */
		uint8_t *at = pass ? bits + 0xff1 : bits;

		memset(bits, 0, 33 * HUGE / MOCK_PAGE / 8 + PAGE);
		ASSERT_OK(hwpt_get_dirty(self->fd, h, start, nbits * MOCK_PAGE,
					 MOCK_PAGE, at,
					 pass ? 0 :
					 IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
		for (unsigned long b = 0; b < nbits; b++) {
			bool want = b >= first && b < first + 512;

			if (bit(at, b) != want)
				TH_LOG("pass %d: bit %lu is %d", pass, b,
				       !want);
			ASSERT_EQ(want, bit(at, b));
		}
	}
	/* Read once, across the windows too. */
	memset(bits, 0, 33 * HUGE / MOCK_PAGE / 8 + PAGE);
	ASSERT_OK(hwpt_get_dirty(self->fd, h, start, nbits * MOCK_PAGE,
				 MOCK_PAGE, bits, 0));
	for (unsigned long b = 0; b < nbits; b++)
		ASSERT_EQ(0, bit(bits, b));
	ASSERT_OK(iommufd_destroy(self->fd, h));
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_OK(ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));
	free(bits);
	munmap(huge, HUGE);
	write_file("/proc/sys/vm/nr_hugepages", nr_huge);
	free(nr_huge);
}

/* Every way a nested HWPT can be asked for wrongly, and the way it works. */
TEST_F(hwpt, nested_alloc)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t parent, plain, nested, nested2, stdev2;
	long nested_objs = iommufd_stat("hwpt_nested");

	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas,
			     IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas, 0, &plain));
	/* The parent maps the IOAS like any paging HWPT. */
	ASSERT_OK(test_check_map(self->fd, parent, IOVA, self->buf, BUF_SIZE));

	/* Driver data: none, of an unknown type, short, unreadable. */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(self->fd, self->dev_id, parent, 0,
					    NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id, parent,
					       0, IOMMU_HWPT_DATA_NONE, &data,
					       sizeof(data), 0, NULL));
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_nested(self->fd, self->dev_id, parent, 0,
				       IOMMU_HWPT_DATA_SELFTEST + 1, &data,
				       sizeof(data), 0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id, parent,
					       0, IOMMU_HWPT_DATA_SELFTEST,
					       &data, sizeof(data) - 1, 0,
					       NULL));
	ASSERT_ERRNO(EFAULT, hwpt_alloc_nested(self->fd, self->dev_id, parent,
					       0, IOMMU_HWPT_DATA_SELFTEST,
					       NULL, sizeof(data), 0, NULL));
	/* Flags a nested HWPT cannot have. */
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_nested(self->fd, self->dev_id, parent,
				       IOMMU_HWPT_ALLOC_NEST_PARENT,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), 0, NULL));
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_nested(self->fd, self->dev_id, parent,
				       IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				       IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), 0, NULL));
	/* Parents that are not: plain, automatic, and a nested HWPT. */
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id, plain,
					       0, IOMMU_HWPT_DATA_SELFTEST,
					       &data, sizeof(data), 0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id,
					       self->hwpt, 0,
					       IOMMU_HWPT_DATA_SELFTEST, &data,
					       sizeof(data), 0, NULL));
	ASSERT_EQ(nested_objs, iommufd_stat("hwpt_nested"));

	ASSERT_OK(hwpt_alloc_nested(self->fd, self->dev_id, parent, 0,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id, nested,
					       0, IOMMU_HWPT_DATA_SELFTEST,
					       &data, sizeof(data), 0, NULL));
	/* Longer than the driver's structure: 6.12 takes none. */
	{
		struct { struct iommu_hwpt_selftest s; uint32_t tail; } big = {
			.s = data,
		};

		ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->dev_id,
						       parent, 0,
						       IOMMU_HWPT_DATA_SELFTEST,
						       &big, sizeof(big), 0,
						       NULL));
	}
	ASSERT_OK(hwpt_alloc_nested(self->fd, self->dev_id, parent, 0,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested2));
	ASSERT_EQ(nested_objs + 2, iommufd_stat("hwpt_nested"));
	for (int i = 0; i < 4; i++)
		ASSERT_OK(test_check_iotlb_entry(self->fd, nested, i,
						 IOMMU_TEST_IOTLB_DEFAULT));
	ASSERT_ERRNO(EINVAL, test_check_iotlb_entry(self->fd, nested, 4,
						    IOMMU_TEST_IOTLB_DEFAULT));
	/* The parent lives as long as what nests on it. */
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, parent));

	/* A device on the nested HWPT: the parent's IOAS bounds its DMA. */
	ASSERT_OK(test_mock_domain(self->fd, nested, 0, &stdev2, NULL, NULL));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, nested));
	ASSERT_OK(test_replace(self->fd, stdev2, nested2, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, nested));
	ASSERT_OK(test_replace(self->fd, stdev2, parent, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, nested2));
	ASSERT_OK(test_replace(self->fd, stdev2, self->ioas, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, stdev2));
	ASSERT_EQ(nested_objs, iommufd_stat("hwpt_nested"));
	ASSERT_OK(iommufd_destroy(self->fd, parent));
	ASSERT_OK(iommufd_destroy(self->fd, plain));
}

/*
 * A nested HWPT's device reserves its regions in the parent's IOAS, as on
 * the parent itself: nothing can be mapped there while it is attached.
 */
TEST_F(hwpt, nested_device_reserves_in_the_parents_ioas)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = 2,	/* IOMMU_RESV_RESERVED */
		.resv_start = IOVA + 4 * BUF_SIZE,
		.resv_length = 0x10000,
	};
	uint32_t parent, nested, stdev, index, dev, out;

	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas,
			     IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	ASSERT_OK(hwpt_alloc_nested(self->fd, self->dev_id, parent, 0,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested));
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &index));
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev));
	ASSERT_OK(test_bpf_attach(self->fd, stdev, nested, &out));
	ASSERT_EQ(nested, out);
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, IOVA + 4 * BUF_SIZE));
	ASSERT_OK(test_bpf_detach(self->fd, stdev));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
				 IOVA + 4 * BUF_SIZE));
	/* And the other way: attach is refused where something is mapped. */
	ASSERT_ERRNO(EADDRINUSE, test_bpf_attach(self->fd, stdev, nested,
						 NULL));
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_OK(iommufd_destroy(self->fd, nested));
	ASSERT_OK(iommufd_destroy(self->fd, parent));
}

/*
 * IOMMU_HWPT_INVALIDATE: entries in order, up to the first bad one, whose
 * errno is the call's; entry_num says how many were done.
 */
TEST_F(hwpt, nested_invalidate)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest reqs[3] = {};
	const uint32_t len = sizeof(reqs[0]);
	uint32_t parent, nested, num;

	ASSERT_OK(hwpt_alloc(self->fd, self->dev_id, self->ioas,
			     IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	ASSERT_OK(hwpt_alloc_nested(self->fd, self->dev_id, parent, 0,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), 0, &nested));

	/* A paging HWPT's caches are the kernel's. */
	num = 1;
	ASSERT_ERRNO(ENOENT, hwpt_invalidate(self->fd, parent,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     reqs, len, &num));
	ASSERT_EQ(0, num);
	/* No entries: nothing to do, whatever the type. */
	num = 0;
	ASSERT_OK(hwpt_invalidate(self->fd, nested,
				  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs,
				  len, &num));
	/* Bad type, entry length, buffer. */
	num = 1;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
					     reqs, len, &num));
	ASSERT_EQ(0, num);
	num = 1;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     reqs, 1, &num));
	num = 1;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     NULL, len, &num));
	num = 1;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     reqs, 4096 + 1, &num));
	num = 1;
	ASSERT_ERRNO(EFAULT, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     (void *)8, len, &num));
	ASSERT_EQ(0, num);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(test_check_iotlb_entry(self->fd, nested, i,
						 IOMMU_TEST_IOTLB_DEFAULT));

	/* Entry 0 done, entry 1 bad (flags), entry 2 never looked at. */
	reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 0 };
	reqs[1] = (struct iommu_hwpt_invalidate_selftest){ .flags = 2,
							    .iotlb_id = 1 };
	reqs[2] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 2 };
	num = 3;
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_invalidate(self->fd, nested,
						 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
						 reqs, len, &num));
	ASSERT_EQ(1, num);
	ASSERT_OK(test_check_iotlb_entry(self->fd, nested, 0, 0));
	ASSERT_OK(test_check_iotlb_entry(self->fd, nested, 1,
					 IOMMU_TEST_IOTLB_DEFAULT));
	ASSERT_OK(test_check_iotlb_entry(self->fd, nested, 2,
					 IOMMU_TEST_IOTLB_DEFAULT));
	/* An entry past the IOTLB: EINVAL after the good ones. */
	reqs[1] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 2 };
	reqs[2] = (struct iommu_hwpt_invalidate_selftest){
		.iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 };
	num = 3;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested,
					     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
					     reqs, len, &num));
	ASSERT_EQ(2, num);
	ASSERT_OK(test_check_iotlb_entry(self->fd, nested, 2, 0));
	ASSERT_OK(test_check_iotlb_entry(self->fd, nested, 3,
					 IOMMU_TEST_IOTLB_DEFAULT));
	/* ALL ignores the entry number. */
	reqs[0] = (struct iommu_hwpt_invalidate_selftest){
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL, .iotlb_id = 0 };
	num = 1;
	ASSERT_OK(hwpt_invalidate(self->fd, nested,
				  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, reqs,
				  len, &num));
	ASSERT_EQ(1, num);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(test_check_iotlb_entry(self->fd, nested, i, 0));
	/* Left for the file's close to destroy, child before parent. */
}

/* Where no buffer is (hidden from the compiler's checks). */
static void *volatile no_buffer;

/* A queue, and a nested HWPT delivering to it, on a nesting parent. */
static void fault_setup(struct __test_metadata *_metadata, int fd, uint32_t dev,
			uint32_t ioas, uint32_t *parent, uint32_t *fault,
			int *fault_fd, uint32_t *nested)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };

	ASSERT_OK(hwpt_alloc(fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			     parent));
	ASSERT_OK(fault_queue_alloc(fd, 0, fault, fault_fd));
	ASSERT_OK(hwpt_alloc_nested(fd, dev, *parent,
				    IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), *fault, nested));
}

/* The queue object and its file: who holds whom, and the bad requests. */
TEST_F(hwpt, fault_queue_objects)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	long faults = iommufd_stat("fault");
	long nested_objs = iommufd_stat("hwpt_nested");
	uint32_t parent, fault, nested, id;
	int fault_fd, fd2;

	ASSERT_ERRNO(EOPNOTSUPP, fault_queue_alloc(self->fd, 1, &id, &fd2));
	ASSERT_EQ(faults, iommufd_stat("fault"));
	fault_setup(_metadata, self->fd, self->dev_id, self->ioas, &parent,
		    &fault, &fault_fd, &nested);
	ASSERT_EQ(faults + 1, iommufd_stat("fault"));
	ASSERT_EQ(FD_CLOEXEC, fcntl(fault_fd, F_GETFD) & FD_CLOEXEC);

	/* A fault queue for an unknown ID, or something else's. */
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->dev_id, parent,
					       IOMMU_HWPT_FAULT_ID_VALID,
					       IOMMU_HWPT_DATA_SELFTEST, &data,
					       sizeof(data), UINT32_MAX,
					       NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->dev_id, parent,
					       IOMMU_HWPT_FAULT_ID_VALID,
					       IOMMU_HWPT_DATA_SELFTEST, &data,
					       sizeof(data), self->ioas,
					       NULL));
	/* Paging HWPTs take no fault queue. */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_nested(self->fd, self->dev_id,
						   self->ioas,
						   IOMMU_HWPT_FAULT_ID_VALID,
						   IOMMU_HWPT_DATA_NONE, NULL,
						   0, fault, NULL));
	ASSERT_EQ(nested_objs + 1, iommufd_stat("hwpt_nested"));

	/* Held by its file and by the HWPT. */
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, fault));
	ASSERT_OK(iommufd_destroy(self->fd, nested));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, fault));
	/* The file holds /dev/iommu's context open too. */
	ASSERT_OK(close(self->fd));
	self->fd = -1;
	ASSERT_EQ(faults + 1, iommufd_stat("fault"));
	{
		struct iommu_hwpt_pgfault msg;

		ASSERT_EQ(0, read(fault_fd, &msg, sizeof(msg)));
	}
	ASSERT_OK(close(fault_fd));
	ASSERT_EQ(faults, iommufd_stat("fault"));
}

/* A fault read, answered; every bad read and write. */
TEST_F(hwpt, fault_delivered_and_answered)
{
	const uint32_t perm = IOMMU_PGFAULT_PERM_READ |
			      IOMMU_PGFAULT_PERM_WRITE;
	struct iommu_hwpt_page_response resp[2] = {};
	struct iommu_hwpt_pgfault msg[2] = {};
	uint32_t parent, fault, nested;
	struct pollfd pfd;
	int fault_fd;

	fault_setup(_metadata, self->fd, self->dev_id, self->ioas, &parent,
		    &fault, &fault_fd, &nested);
	/* Not on the HWPT yet: the core refuses the request itself. */
	ASSERT_OK(test_trigger_iopf(self->fd, self->dev_id, 1, 2, perm,
				    0xdead000));
	ASSERT_EQ(0, read(fault_fd, msg, sizeof(msg[0])));
	ASSERT_OK(test_replace(self->fd, self->stdev, nested, NULL));

	pfd = (struct pollfd){ .fd = fault_fd, .events = POLLIN | POLLOUT };
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLOUT, pfd.revents);
	ASSERT_OK(test_trigger_iopf(self->fd, self->dev_id, 1, 2, perm,
				    0xdead000));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN | POLLOUT, pfd.revents);

	/* Whole messages only, and the group must fit. */
	ASSERT_ERRNO(ESPIPE, read(fault_fd, msg, sizeof(msg[0]) - 1));
	ASSERT_ERRNO(ESPIPE, pread(fault_fd, msg, sizeof(msg[0]), 8));
	ASSERT_ERRNO(EFAULT, read(fault_fd, no_buffer, sizeof(msg[0])));
	ASSERT_ERRNO(EINVAL, read(fault_fd, msg, 0));
	ASSERT_EQ(sizeof(msg[0]), read(fault_fd, msg, sizeof(msg)));
	ASSERT_EQ(IOMMU_PGFAULT_FLAGS_PASID_VALID |
		  IOMMU_PGFAULT_FLAGS_LAST_PAGE, msg[0].flags);
	ASSERT_EQ(self->dev_id, msg[0].dev_id);
	ASSERT_EQ(1, msg[0].pasid);
	ASSERT_EQ(2, msg[0].grpid);
	ASSERT_EQ(perm, msg[0].perm);
	ASSERT_EQ(0xdead000, msg[0].addr);
	ASSERT_NE(0, msg[0].cookie);
	/* Read once. */
	ASSERT_EQ(0, read(fault_fd, &msg[1], sizeof(msg[1])));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLOUT, pfd.revents);

	/* Bad responses: size, offset, cookie, code, buffer. */
	resp[0].cookie = msg[0].cookie;
	ASSERT_ERRNO(ESPIPE, write(fault_fd, resp, sizeof(resp[0]) + 1));
	ASSERT_ERRNO(ESPIPE, pwrite(fault_fd, resp, sizeof(resp[0]), 8));
	resp[0].cookie = msg[0].cookie + 1;
	ASSERT_ERRNO(EINVAL, write(fault_fd, resp, sizeof(resp[0])));
	resp[0].cookie = msg[0].cookie;
	resp[0].code = 2;
	ASSERT_ERRNO(EINVAL, write(fault_fd, resp, sizeof(resp[0])));
	ASSERT_ERRNO(EFAULT, write(fault_fd, no_buffer, sizeof(resp[0])));
	/* A good one, then a bad one: the good one's bytes. */
	resp[0].code = IOMMUFD_PAGE_RESP_SUCCESS;
	resp[1].cookie = msg[0].cookie;
	ASSERT_EQ(sizeof(resp[0]), write(fault_fd, resp, sizeof(resp)));
	/* Answered once. */
	ASSERT_ERRNO(EINVAL, write(fault_fd, resp, sizeof(resp[0])));

	ASSERT_OK(test_replace(self->fd, self->stdev, self->ioas, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, nested));
	ASSERT_OK(close(fault_fd));
	ASSERT_OK(iommufd_destroy(self->fd, fault));
}

/*
 * What nobody answered is answered when the device leaves: read and
 * unread, by replace and by detach; the queue is empty after.
 */
TEST_F(hwpt, unanswered_faults_answered_when_the_device_leaves)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_hwpt_page_response resp = {};
	struct iommu_hwpt_pgfault msg;
	uint32_t parent, fault, nested, nested2, stdev2, dev2;
	int fault_fd;

	fault_setup(_metadata, self->fd, self->dev_id, self->ioas, &parent,
		    &fault, &fault_fd, &nested);
	ASSERT_OK(hwpt_alloc_nested(self->fd, self->dev_id, parent,
				    IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), fault, &nested2));
	ASSERT_OK(test_replace(self->fd, self->stdev, nested, NULL));
	ASSERT_OK(test_trigger_iopf(self->fd, self->dev_id, 0, 1, 1, 0x1000));
	ASSERT_OK(test_trigger_iopf(self->fd, self->dev_id, 0, 2, 1, 0x2000));
	ASSERT_EQ(sizeof(msg), read(fault_fd, &msg, sizeof(msg)));
	ASSERT_EQ(1, msg.grpid);
	ASSERT_EQ(0, msg.flags & IOMMU_PGFAULT_FLAGS_PASID_VALID);
	/* To another HWPT of the same queue: both answered, none left. */
	ASSERT_OK(test_replace(self->fd, self->stdev, nested2, NULL));
	ASSERT_EQ(0, read(fault_fd, &msg, sizeof(msg)));
	resp.cookie = msg.cookie;
	ASSERT_ERRNO(EINVAL, write(fault_fd, &resp, sizeof(resp)));

	/* A device bound and attached directly, then detached. */
	ASSERT_OK(test_mock_domain(self->fd, nested2, 0, &stdev2, NULL,
				   &dev2));
	ASSERT_OK(test_trigger_iopf(self->fd, dev2, 0, 3, 1, 0x3000));
	ASSERT_OK(iommufd_destroy(self->fd, stdev2));
	ASSERT_EQ(0, read(fault_fd, &msg, sizeof(msg)));
	/* Not a mock device: no such request. */
	ASSERT_ERRNO(ENOENT, test_trigger_iopf(self->fd, self->ioas, 0, 3, 1,
					       0x3000));
	/* Left attached and queued for the close to take down. */
	ASSERT_OK(test_trigger_iopf(self->fd, self->dev_id, 0, 4, 1, 0x4000));
	ASSERT_OK(close(fault_fd));
}

/*
 * Two devices of one IOMMU group on a HWPT with a fault queue: faults carry
 * the ID of the device whose attach made the group's handle, and of a
 * device still there once that one left; a device that leaves while the
 * group stays takes its unanswered faults with it, answered, so none
 * outlives it.
 */
TEST_F(hwpt, faults_of_a_device_leaving_its_group)
{
	struct iommu_test_bpf_mock_device spec = {
		.group_tag = 0x1717,
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	struct iommu_hwpt_page_response resp = {};
	uint32_t parent, fault, nested, s1, s2, d1, d2, index;
	struct iommu_hwpt_pgfault msg;
	int fault_fd;

	fault_setup(_metadata, self->fd, self->dev_id, self->ioas, &parent,
		    &fault, &fault_fd, &nested);
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &s1, &index));
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &s2, &index));
	ASSERT_OK(test_bpf_bind(self->fd, s1, &d1));
	ASSERT_OK(test_bpf_bind(self->fd, s2, &d2));
	ASSERT_OK(test_bpf_attach(self->fd, s1, nested, NULL));
	ASSERT_OK(test_bpf_attach(self->fd, s2, nested, NULL));

	/* The group's handle is the first device's. */
	ASSERT_OK(test_trigger_iopf(self->fd, d2, 0, 1, 1, 0x1000));
	ASSERT_EQ(sizeof(msg), read(fault_fd, &msg, sizeof(msg)));
	ASSERT_EQ(d1, msg.dev_id);
	/* d2 goes (unbound, removed) with that fault read, unanswered. */
	ASSERT_OK(test_trigger_iopf(self->fd, d2, 0, 2, 1, 0x2000));
	ASSERT_OK(iommufd_destroy(self->fd, s2));
	resp.cookie = msg.cookie;
	ASSERT_ERRNO(EINVAL, write(fault_fd, &resp, sizeof(resp)));
	ASSERT_EQ(0, read(fault_fd, &msg, sizeof(msg)));

	/* Once d1 left, the faults name a device still there. */
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &s2, &index));
	ASSERT_OK(test_bpf_bind(self->fd, s2, &d2));
	ASSERT_OK(test_bpf_attach(self->fd, s2, nested, NULL));
	ASSERT_OK(test_bpf_detach(self->fd, s1));
	/* A device off the HWPT its group is on raises nothing. */
	ASSERT_ERRNO(EINVAL, test_trigger_iopf(self->fd, d1, 0, 3, 1, 0));
	ASSERT_OK(test_trigger_iopf(self->fd, d2, 0, 3, 1, 0x3000));
	ASSERT_EQ(sizeof(msg), read(fault_fd, &msg, sizeof(msg)));
	ASSERT_EQ(d2, msg.dev_id);
	resp.cookie = msg.cookie;
	ASSERT_EQ(sizeof(resp), write(fault_fd, &resp, sizeof(resp)));
	ASSERT_OK(close(fault_fd));
}

TEST_HARNESS_MAIN
