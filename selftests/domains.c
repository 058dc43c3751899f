// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices meet IOAS: IOMMU domains of the mock IOMMU (selftest=1).  Attach
 * and its automatic domains, HWPT_ALLOC, replay of existing mappings into
 * a second and third domain, map and unmap reaching every domain, complete
 * unwinding of injected failures, reserved regions, one IOTLB sync per
 * unmap, replace, and every destroy order.  What a domain maps is checked
 * through the mock domain itself (IOMMU_TEST_OP_MD_CHECK_MAP), pins through
 * the page pin counts (MD_CHECK_REFS).
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"
#include "iommufd_utils.h"

#define TRACEFS "/sys/kernel/tracing"
#define PAGE 4096UL
#define BUF_PAGES 64
#define BUF_SIZE (BUF_PAGES * PAGE)
/* Inside the mock aperture, on a 2 MiB boundary. */
#define IOVA (MOCK_APERTURE_START + (2UL << 20))

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE, RESV_RESERVED, RESV_MSI,
       RESV_SW_MSI };

FIXTURE(domains) {
	int fd;
	uint32_t ioas;
	void *buf;
	long pinned, charged, hwpts, devices;
};

FIXTURE_SETUP(domains)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, BUF_SIZE);
	self->pinned = iommufd_stat("pinned_pages");
	self->charged = iommufd_stat("charged_pages");
	self->hwpts = iommufd_stat("hwpt_paging");
	self->devices = iommufd_stat("device");
}

/* Closing the file with everything live leaves nothing behind. */
FIXTURE_TEARDOWN(domains)
{
	int fd;

	if (self->fd >= 0)
		close(self->fd);
	if (!self->buf || self->buf == MAP_FAILED)
		return;
	fd = iommufd_open();
	test_inject(fd, 0, 0);
	EXPECT_EQ(self->pinned, iommufd_stat("pinned_pages"));
	EXPECT_EQ(self->charged, iommufd_stat("charged_pages"));
	EXPECT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));
	EXPECT_EQ(self->devices, iommufd_stat("device"));
	EXPECT_EQ(0, test_check_refs(fd, self->buf, BUF_SIZE, 0));
	close(fd);
	munmap(self->buf, BUF_SIZE);
}

/* A mock device of the project's kind in @fd, bound: its test-device ID. */
static uint32_t bpf_device(int fd, uint32_t flags, uint32_t tag,
			   uint32_t resv_type, uint64_t resv_start)
{
	struct iommu_test_bpf_mock_device spec = {
		.flags = flags,
		.group_tag = tag,
		.resv_type = resv_type,
		.resv_start = resv_start,
		.resv_length = 0x10000,
	};
	uint32_t stdev, index, dev_id;

	if (test_bpf_mock_device(fd, &spec, &stdev, &index) ||
	    test_bpf_bind(fd, stdev, &dev_id))
		return 0;
	return stdev;
}

static uint64_t mapped_bytes(int fd, uint32_t ioas)
{
	uint64_t unmapped = 0;

	if (ioas_unmap(fd, ioas, 0, UINT64_MAX, &unmapped))
		return UINT64_MAX;
	return unmapped;
}

TEST_F(domains, map_reaches_the_domain)
{
	uint32_t stdev, hwpt, dev_id;
	uint64_t iova = IOVA;

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   &dev_id));
	ASSERT_NE(0, hwpt);
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
	/* With a domain, mapping pins at once, and once. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 iova));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->pinned + BUF_PAGES, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, self->buf, BUF_SIZE));
	/* The check can fail: off by one mock page it does. */
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt, iova + 2048,
					    self->buf, BUF_SIZE - 2048));
	/* Outside the aperture nothing can be mapped. */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, MOCK_APERTURE_START - PAGE));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, MOCK_APERTURE_LAST + 1UL));
	/* Automatic IOVA lands inside it. */
	iova = 0;
	ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, PAGE, &iova));
	ASSERT_GE(iova, MOCK_APERTURE_START);
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, self->buf, PAGE));
	/* Two maps of the same memory: two pins (charged once, see ioas). */
	ASSERT_OK(test_check_refs(self->fd, self->buf, PAGE, 2));

	ASSERT_EQ(BUF_SIZE + PAGE, mapped_bytes(self->fd, self->ioas));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt, IOVA, self->buf,
					    PAGE));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->pinned, iommufd_stat("pinned_pages"));
}

/* A page offset and a length in half pages (the mock IOPTE) are mapped. */
TEST_F(domains, sub_page_mappings)
{
	uint32_t hwpt;
	uint64_t iova = 0;
	char *p = self->buf;

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt,
				   NULL));
	ASSERT_OK(ioas_map(self->fd, self->ioas, p + 2048, 3 * 2048, &iova));
	ASSERT_EQ(2048, iova % PAGE);
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, p + 2048, 3 * 2048));
	ASSERT_OK(test_check_refs(self->fd, p, 2 * PAGE, 1));
	/* Not a multiple of the mock IOPTE: refused. */
	ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas, p, 1024, &iova));
}

/*
 * Domains attached later are filled from the existing areas: a second
 * (user-allocated) and a third (a device that cannot share) domain map
 * exactly what the first does, from the same pins; later maps and unmaps
 * reach all three.
 */
TEST_F(domains, replay_into_second_and_third_domain)
{
	uint32_t stdev1, hwpt1, dev1, hwpt2, stdev2, out, hwpt3;
	char *p = self->buf;
	uint64_t iova2 = IOVA + BUF_SIZE;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p, BUF_SIZE / 2, IOVA));
	ASSERT_OK(ioas_copy(self->fd, self->ioas, self->ioas, IOVA,
			    BUF_SIZE / 2, &iova2, MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	/* No domain yet: nothing pinned. */
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE, 0));

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev1, &hwpt1,
				   &dev1));
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE / 2, 1));
	ASSERT_OK(hwpt_alloc(self->fd, dev1, self->ioas, 0, &hwpt2));
	ASSERT_NE(hwpt1, hwpt2);
	ASSERT_OK(test_mock_domain(self->fd, hwpt2, 0, &stdev2, &out, NULL));
	ASSERT_EQ(hwpt2, out);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas,
				   MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, &hwpt3,
				   NULL));
	ASSERT_NE(hwpt1, hwpt3);
	ASSERT_NE(hwpt2, hwpt3);
	ASSERT_EQ(self->hwpts + 3, iommufd_stat("hwpt_paging"));

	/* Three domains, one pin. */
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE / 2, 1));
	ASSERT_EQ(self->pinned + BUF_PAGES / 2, iommufd_stat("pinned_pages"));
	for (int i = 0; i < 3; i++) {
		uint32_t h = i == 0 ? hwpt1 : i == 1 ? hwpt2 : hwpt3;

		ASSERT_OK(test_check_map(self->fd, h, IOVA, p, BUF_SIZE / 2));
		ASSERT_OK(test_check_map(self->fd, h, iova2, p,
					 BUF_SIZE / 2));
	}

	/* A new map reaches all three; its unmap leaves all three. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p + BUF_SIZE / 2,
				 BUF_SIZE / 2, IOVA + 4 * BUF_SIZE));
	ASSERT_OK(test_check_map(self->fd, hwpt1, IOVA + 4 * BUF_SIZE,
				 p + BUF_SIZE / 2, BUF_SIZE / 2));
	ASSERT_OK(test_check_map(self->fd, hwpt2, IOVA + 4 * BUF_SIZE,
				 p + BUF_SIZE / 2, BUF_SIZE / 2));
	ASSERT_OK(test_check_map(self->fd, hwpt3, IOVA + 4 * BUF_SIZE,
				 p + BUF_SIZE / 2, BUF_SIZE / 2));
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE, 1));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA + 4 * BUF_SIZE,
			     BUF_SIZE / 2, NULL));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt1,
					    IOVA + 4 * BUF_SIZE,
					    p + BUF_SIZE / 2, PAGE));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt3,
					    IOVA + 4 * BUF_SIZE,
					    p + BUF_SIZE / 2, PAGE));
	ASSERT_OK(test_check_refs(self->fd, p + BUF_SIZE / 2, BUF_SIZE / 2, 0));

	/* Domains leave one by one; the pins stay until the last goes. */
	ASSERT_OK(iommufd_destroy(self->fd, stdev2));
	/* A user HWPT maps its IOAS with or without devices. */
	ASSERT_OK(test_check_map(self->fd, hwpt2, IOVA, p, PAGE));
	ASSERT_OK(iommufd_destroy(self->fd, hwpt2));
	ASSERT_ERRNO(ENOENT, test_check_map(self->fd, hwpt2, IOVA, p, PAGE));
	ASSERT_OK(iommufd_destroy(self->fd, stdev1));
	/* The automatic HWPT went with its device. */
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, hwpt1));
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE / 2, 1));
	ASSERT_OK(test_check_map(self->fd, hwpt3, iova2, p, BUF_SIZE / 2));
}

/* Compatible devices share an automatic domain; others get their own. */
TEST_F(domains, automatic_domain_reuse)
{
	uint32_t a, b, c, d, e, f, s1, s2, h1, h2;

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &a, NULL));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &b, NULL));
	ASSERT_EQ(a, b);
	/* Devices that need 1 MiB IOPTEs, and whose domains take no other. */
	h1 = bpf_device(self->fd, MOCK_BPF_DEV_HUGE_IOVA, 0, MOCK_BPF_RESV_NONE,
			0);
	h2 = bpf_device(self->fd, MOCK_BPF_DEV_HUGE_IOVA, 0, MOCK_BPF_RESV_NONE,
			0);
	ASSERT_TRUE(h1 && h2);
	ASSERT_OK(test_bpf_attach(self->fd, h1, self->ioas, &c));
	ASSERT_NE(a, c);
	ASSERT_OK(test_bpf_attach(self->fd, h2, self->ioas, &d));
	ASSERT_EQ(c, d);
	/* MSI doorbells at two addresses cannot share one domain's cookie. */
	s1 = bpf_device(self->fd, 0, 0, RESV_SW_MSI, 0x8000000);
	s2 = bpf_device(self->fd, 0, 0, RESV_SW_MSI, 0x9000000);
	ASSERT_TRUE(s1 && s2);
	ASSERT_OK(test_bpf_attach(self->fd, s1, self->ioas, &e));
	ASSERT_EQ(a, e);
	ASSERT_OK(test_bpf_attach(self->fd, s2, self->ioas, &f));
	ASSERT_NE(a, f);
	ASSERT_NE(c, f);
	ASSERT_EQ(self->hwpts + 3, iommufd_stat("hwpt_paging"));
	/* Attached already. */
	ASSERT_ERRNO(EBUSY, test_bpf_attach(self->fd, s1, self->ioas, NULL));
}

/*
 * Reserved regions, both ways: attach is refused where something is
 * mapped, and nothing can be mapped there while the device is attached.
 */
TEST_F(domains, reserved_region_collisions)
{
	static const uint32_t types[] = { RESV_RESERVED, RESV_MSI,
					  RESV_SW_MSI };
	uint64_t resv = IOVA + 16 * BUF_SIZE;

	for (unsigned int i = 0; i < 3; i++) {
		uint32_t stdev = bpf_device(self->fd, 0, 0, types[i], resv);
		uint64_t iova = 0;

		ASSERT_NE(0, stdev);
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
					 resv + 0x8000));
		ASSERT_ERRNO(EADDRINUSE,
			     test_bpf_attach(self->fd, stdev, self->ioas,
					     NULL));
		/* The refusal left nothing behind. */
		ASSERT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));
		ASSERT_EQ(PAGE, mapped_bytes(self->fd, self->ioas));

		ASSERT_OK(test_bpf_attach(self->fd, stdev, self->ioas, NULL));
		ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas,
						    self->buf, PAGE, resv));
		ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas,
						    self->buf, PAGE,
						    resv + 0xf000));
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
					 resv + 0x10000));
		/* Automatic IOVA avoids it. */
		for (int j = 0; j < 64; j++) {
			ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf,
					   PAGE, &iova));
			ASSERT_TRUE(iova + PAGE <= resv ||
				    iova >= resv + 0x10000);
		}
		ASSERT_OK(test_bpf_detach(self->fd, stdev));
		ASSERT_ERRNO(EINVAL, test_bpf_detach(self->fd, stdev));
		/* Detached: the region is free again. */
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
					 resv));
		ASSERT_EQ(66 * PAGE, mapped_bytes(self->fd, self->ioas));
		ASSERT_OK(iommufd_destroy(self->fd, stdev));
	}
}

/*
 * A relaxable direct mapping (e.g. a USB controller's RMRR) does not stop
 * a device from being given to user space, and does not reserve IOVA.
 */
TEST_F(domains, direct_relaxable_device)
{
	uint64_t resv = IOVA + 16 * BUF_SIZE;
	uint32_t stdev, hwpt;

	stdev = bpf_device(self->fd, 0, 0, RESV_DIRECT_RELAXABLE, resv);
	ASSERT_NE(0, stdev);
	ASSERT_OK(test_bpf_attach(self->fd, stdev, self->ioas, &hwpt));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE, resv));
	ASSERT_OK(test_check_map(self->fd, hwpt, resv, self->buf, PAGE));
	/* A strict one never gets this far: binding it is refused. */
	ASSERT_EQ(0, bpf_device(self->fd, 0, 0, RESV_DIRECT, resv));
	ASSERT_EQ(EINVAL, errno);
}

/* Devices of one group share one HWPT; the group leaves with its last. */
TEST_F(domains, group_shares_one_hwpt)
{
	uint32_t a1, a2, ioas2, hwpt, hwpt2;

	a1 = bpf_device(self->fd, 0, 7, MOCK_BPF_RESV_NONE, 0);
	a2 = bpf_device(self->fd, 0, 7, MOCK_BPF_RESV_NONE, 0);
	ASSERT_TRUE(a1 && a2);
	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(test_bpf_attach(self->fd, a1, self->ioas, &hwpt));
	ASSERT_ERRNO(EBUSY, test_bpf_attach(self->fd, a1, self->ioas, NULL));
	ASSERT_ERRNO(EINVAL, test_bpf_attach(self->fd, a2, ioas2, NULL));
	ASSERT_OK(test_bpf_attach(self->fd, a2, hwpt, &hwpt2));
	ASSERT_EQ(hwpt, hwpt2);
	ASSERT_OK(test_bpf_detach(self->fd, a1));
	/* a2 keeps the group, and the automatic HWPT, attached. */
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE, IOVA));
	ASSERT_OK(test_check_map(self->fd, hwpt, IOVA, self->buf, PAGE));
	ASSERT_OK(test_bpf_detach(self->fd, a2));
	ASSERT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));
	ASSERT_OK(test_check_refs(self->fd, self->buf, PAGE, 0));
}

TEST_F(domains, hwpt_alloc_errors)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	uint32_t stdev, hwpt, dev_id, user;

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   &dev_id));
	/* Only a nested HWPT can deliver faults. */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(self->fd, dev_id, self->ioas,
					    IOMMU_HWPT_FAULT_ID_VALID, NULL));
	/* Nesting takes the driver's data, and a nesting parent (hwpt.c). */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(self->fd, dev_id, hwpt, 0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc(self->fd, dev_id, stdev, 0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc(self->fd, dev_id, 9999, 0, NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc(self->fd, self->ioas, self->ioas, 0,
					NULL));
	cmd.dev_id = dev_id;
	cmd.pt_id = self->ioas;
	cmd.data_len = 8;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_len = 0;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));

	/* A user HWPT lives until destroyed, and not while in use. */
	ASSERT_OK(hwpt_alloc(self->fd, dev_id, self->ioas, 0, &user));
	ASSERT_OK(test_replace(self->fd, stdev, user, NULL));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, user));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, self->ioas));
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, self->ioas));
	ASSERT_OK(iommufd_destroy(self->fd, user));
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
}

/* Exactly one IOTLB sync per unmap call and domain, however many areas. */
TEST_F(domains, one_iotlb_sync_per_unmap)
{
	uint32_t hwpt1, hwpt2;
	long before;
	char *p = self->buf;

	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt1,
				   NULL));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas,
				   MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL, &hwpt2,
				   NULL));
	for (int i = 0; i < 16; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p + i * 4 * PAGE,
					 4 * PAGE, IOVA + i * 8 * PAGE));
	ASSERT_OK(test_check_iotlb(self->fd, hwpt1, 0));
	before = iommufd_stat("iotlb_syncs");
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA, 8 * PAGE, NULL));
	ASSERT_OK(test_check_iotlb(self->fd, hwpt1, 1));
	ASSERT_OK(test_check_iotlb(self->fd, hwpt2, 1));
	/* 15 areas, 60 pages, one call: one more each. */
	ASSERT_EQ(15 * 4 * PAGE, mapped_bytes(self->fd, self->ioas));
	ASSERT_OK(test_check_iotlb(self->fd, hwpt1, 2));
	ASSERT_ERRNO(EINVAL, test_check_iotlb(self->fd, hwpt1, 3));
	ASSERT_OK(test_check_iotlb(self->fd, hwpt2, 2));
	ASSERT_EQ(before + 4, iommufd_stat("iotlb_syncs"));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt1, IOVA + 8 * PAGE,
					    p + 4 * PAGE, PAGE));
	/* Not a HWPT: ENOENT. */
	ASSERT_ERRNO(ENOENT, test_check_iotlb(self->fd, self->ioas, 0));
	ASSERT_ERRNO(ENOENT, test_check_iotlb(self->fd, 9999, 0));
}

/*
 * A failure while mapping into the domains leaves no mapping, pin or charge
 * behind.  Run as nobody with RLIMIT_MEMLOCK of one buffer: after five
 * failures the whole buffer still fits the limit.
 */
TEST_F(domains, map_failure_unwinds)
{
	int fd = self->fd;
	uint32_t ioas = self->ioas;
	long charged = self->charged;

	RUN_AS_CHILD({
		struct rlimit rl = { BUF_SIZE, BUF_SIZE };
		uint32_t hwpt1, hwpt2, nth;
		char *p;

		p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		CHILD_CHECK(1, p != MAP_FAILED);
		CHILD_CHECK(2, !test_mock_domain(fd, ioas, 0, NULL, &hwpt1,
						 NULL));
		CHILD_CHECK(3, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(4, !ioas_map_fixed(fd, ioas, p, PAGE, IOVA));
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 1);
		/* The first domain's map fails. */
		CHILD_CHECK(6, !test_inject(fd, 1, 0));
		CHILD_CHECK(7, ioas_map_fixed(fd, ioas, p + PAGE,
					      BUF_SIZE - PAGE, IOVA + PAGE) &&
			       errno == ENOMEM);
		CHILD_CHECK(8, !test_check_refs(fd, p + PAGE, BUF_SIZE - PAGE,
						0));
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged + 1);
		CHILD_CHECK(10, test_check_map(fd, hwpt1, IOVA + PAGE,
					       p + PAGE, PAGE) &&
				errno == EINVAL);
		/* With two domains, the second's failure unmaps the first. */
		CHILD_CHECK(11, !test_mock_domain(fd, ioas,
						  MOCK_FLAGS_DEVICE_HUGE_IOVA,
						  NULL, &hwpt2, NULL));
		/*
		 * Fail each map call in turn, in either domain (how many
		 * calls a map takes depends on how contiguous the memory
		 * is), until the map needs fewer calls than that.
		 */
		for (nth = 2;; nth++) {
			CHILD_CHECK(12, !test_inject(fd, nth, 0) && nth < 4096);
			if (!ioas_map_fixed(fd, ioas, p + PAGE, BUF_SIZE - PAGE,
					    IOVA + PAGE))
				break;
			CHILD_CHECK(13, errno == ENOMEM);
			CHILD_CHECK(14, !test_check_refs(fd, p + PAGE,
							 BUF_SIZE - PAGE, 0));
			CHILD_CHECK(15, test_check_map(fd, hwpt1, IOVA + PAGE,
						       p + PAGE, PAGE) &&
					errno == EINVAL);
			CHILD_CHECK(16, test_check_map(fd, hwpt2, IOVA + PAGE,
						       p + PAGE, PAGE) &&
					errno == EINVAL);
			CHILD_CHECK(17, iommufd_stat("charged_pages") ==
					charged + 1);
		}
		/* One call per domain at least: the second domain failed. */
		CHILD_CHECK(18, nth > 2 && !test_inject(fd, 0, 0));
		CHILD_CHECK(19, mapped_bytes(fd, ioas) == BUF_SIZE);
		/* Nothing leaked: the whole buffer fits the limit. */
		CHILD_CHECK(20, !ioas_map_fixed(fd, ioas, p, BUF_SIZE, IOVA));
		CHILD_CHECK(21, iommufd_stat("charged_pages") ==
				charged + BUF_PAGES);
		CHILD_CHECK(22, !test_check_map(fd, hwpt1, IOVA, p, BUF_SIZE));
		CHILD_CHECK(23, !test_check_map(fd, hwpt2, IOVA, p, BUF_SIZE));
	});
}

/*
 * A mapping of 1,536 pages spans four PFN store chunks; for a charged
 * process (the ledger's locking), a chunk allocation failing part-way
 * leaves no chunk, pin, charge or domain mapping behind.
 */
TEST_F(domains, pfn_store_chunk_failure)
{
	int fd = self->fd;
	uint32_t ioas = self->ioas;
	long charged = self->charged;
	long chunks = iommufd_stat("pfn_chunks");

	RUN_AS_CHILD({
		const size_t len = 1536 * PAGE;
		struct rlimit rl = { len, len };
		uint32_t hwpt;
		char *p;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHILD_CHECK(1, p != MAP_FAILED &&
			       !madvise(p, len, MADV_NOHUGEPAGE));
		memset(p, 0x3c, len);
		CHILD_CHECK(2, !test_mock_domain(fd, ioas, 0, NULL, &hwpt,
						 NULL));
		CHILD_CHECK(3, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(4, !ioas_map_fixed(fd, ioas, p, len, IOVA));
		CHILD_CHECK(5, iommufd_stat("pfn_chunks") == chunks + 4);
		CHILD_CHECK(6, !test_check_map(fd, hwpt, IOVA, p, len));
		CHILD_CHECK(7, !test_check_refs(fd, p, len, 1));
		CHILD_CHECK(8, iommufd_stat("charged_pages") == charged + 1536);
		CHILD_CHECK(9, !ioas_unmap(fd, ioas, IOVA, len, NULL));
		CHILD_CHECK(10, iommufd_stat("pfn_chunks") == chunks);
		/* The third chunk's allocation fails. */
		CHILD_CHECK(11, !test_inject_chunk(fd, 3));
		CHILD_CHECK(12, ioas_map_fixed(fd, ioas, p, len, IOVA) &&
				errno == ENOMEM);
		CHILD_CHECK(13, iommufd_stat("pfn_chunks") == chunks);
		CHILD_CHECK(14, iommufd_stat("charged_pages") == charged);
		CHILD_CHECK(15, !test_check_refs(fd, p, len, 0));
		CHILD_CHECK(16, test_check_map(fd, hwpt, IOVA, p, PAGE) &&
				errno == EINVAL);
		CHILD_CHECK(17, mapped_bytes(fd, ioas) == 0);
		/* Disarmed, the same map works. */
		CHILD_CHECK(18, !test_inject_chunk(fd, 0) &&
				!ioas_map_fixed(fd, ioas, p, len, IOVA));
		CHILD_CHECK(19, !test_check_map(fd, hwpt, IOVA, p, len));
		CHILD_CHECK(20, !ioas_unmap(fd, ioas, IOVA, len, NULL) &&
				iommufd_stat("pfn_chunks") == chunks);
	});
}

/* A failure while filling a new domain, or attaching it, undoes it all. */
TEST_F(domains, attach_failure_unwinds)
{
	uint32_t hwpt1;
	char *p = self->buf;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p, BUF_SIZE / 2, IOVA));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p + BUF_SIZE / 2,
				 BUF_SIZE / 2, IOVA + BUF_SIZE));
	for (unsigned int nth = 1; nth < 4; nth++) {
		ASSERT_OK(test_inject(self->fd, nth, 0));
		ASSERT_ERRNO(ENOMEM, test_mock_domain(self->fd, self->ioas, 0,
						      NULL, NULL, NULL));
		ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE, 0));
		ASSERT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));
		ASSERT_EQ(self->devices, iommufd_stat("device"));
		ASSERT_EQ(self->charged, iommufd_stat("charged_pages"));
	}
	ASSERT_OK(test_inject(self->fd, 0, 1));
	ASSERT_ERRNO(EIO, test_mock_domain(self->fd, self->ioas, 0, NULL,
					   NULL, NULL));
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE, 0));
	ASSERT_EQ(self->hwpts, iommufd_stat("hwpt_paging"));

	/* A second domain's failure leaves the first as it was. */
	ASSERT_OK(test_inject(self->fd, 0, 0));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt1,
				   NULL));
	ASSERT_OK(test_inject(self->fd, 2, 0));
	ASSERT_ERRNO(ENOMEM, test_mock_domain(self->fd, self->ioas,
					      MOCK_FLAGS_DEVICE_HUGE_IOVA,
					      NULL, NULL, NULL));
	ASSERT_OK(test_check_refs(self->fd, p, BUF_SIZE, 1));
	ASSERT_OK(test_check_map(self->fd, hwpt1, IOVA, p, BUF_SIZE / 2));
	ASSERT_OK(test_check_map(self->fd, hwpt1, IOVA + BUF_SIZE,
				 p + BUF_SIZE / 2, BUF_SIZE / 2));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
}

/* Replace moves a device between IOAS and HWPTs; the old one goes after. */
TEST_F(domains, replace)
{
	uint32_t stdev, hwpt, dev_id, ioas2, hwpt2, user, out;
	char *p = self->buf;

	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, p, PAGE, IOVA));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas2, p + PAGE, PAGE, IOVA));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   &dev_id));
	ASSERT_OK(test_replace(self->fd, stdev, ioas2, &hwpt2));
	ASSERT_NE(hwpt, hwpt2);
	ASSERT_OK(test_check_map(self->fd, hwpt2, IOVA, p + PAGE, PAGE));
	/* The old automatic HWPT went. */
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
	ASSERT_OK(test_check_refs(self->fd, p, PAGE, 0));
	/* Same target: nothing changes. */
	ASSERT_OK(test_replace(self->fd, stdev, hwpt2, &out));
	ASSERT_EQ(hwpt2, out);
	ASSERT_OK(hwpt_alloc(self->fd, dev_id, self->ioas, 0, &user));
	ASSERT_OK(test_replace(self->fd, stdev, user, &out));
	ASSERT_EQ(user, out);
	ASSERT_OK(test_check_map(self->fd, user, IOVA, p, PAGE));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
	ASSERT_ERRNO(ENOENT, test_replace(self->fd, stdev, 9999, NULL));
	ASSERT_ERRNO(EINVAL, test_replace(self->fd, stdev, stdev, NULL));
	/* A failing switch leaves the device where it was. */
	ASSERT_OK(test_inject(self->fd, 0, 1));
	ASSERT_ERRNO(EIO, test_replace(self->fd, stdev, ioas2, NULL));
	ASSERT_OK(test_check_map(self->fd, user, IOVA, p, PAGE));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, user));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
}

/*
 * The IOMMU core undoes a failed change of domain by attaching the group's
 * devices again to the domain they are on, and requires that to succeed:
 * an armed attach failure must not fire there, only on a real change.
 */
TEST_F(domains, injected_attach_failure_spares_the_cores_undo)
{
	uint32_t stdev, hwpt, huge_hwpt, ioas2;
	int kmsg = kmsg_mark();

	ASSERT_GE(kmsg, 0);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt,
				   NULL));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas,
				   MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev,
				   &huge_hwpt, NULL));
	ASSERT_NE(hwpt, huge_hwpt);
	ASSERT_OK(test_inject(self->fd, 0, 1));
	/* A huge-IOVA device does not suit the other domain: the core undoes. */
	ASSERT_ERRNO(EINVAL, test_replace(self->fd, stdev, hwpt, NULL));
	ASSERT_EQ(0, kmsg_count(kmsg, "WARNING"));
	close(kmsg);
	/* Still armed: the next real change is the one that fails. */
	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_ERRNO(EIO, test_replace(self->fd, stdev, ioas2, NULL));
	ASSERT_OK(test_inject(self->fd, 0, 0));
	ASSERT_OK(test_replace(self->fd, stdev, ioas2, NULL));
}

struct churn {
	int fd;
	uint32_t ioas;
	char *buf;
	volatile bool stop;
	int errors;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	/* Inside the aperture: a domain cannot join with areas outside it. */
	while (!c->stop) {
		if (ioas_map_fixed(c->fd, c->ioas, c->buf, 4 * PAGE, IOVA) ||
		    ioas_unmap(c->fd, c->ioas, IOVA, 4 * PAGE, NULL))
			c->errors++;
	}
	return NULL;
}

/* Replace back and forth while other threads map and unmap both IOAS. */
TEST_F(domains, replace_under_concurrent_map_unmap)
{
	struct churn c[2] = {};
	pthread_t t[2];
	int failed = 0;
	uint32_t stdev, ioas2, hwpt;

	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   NULL));
	for (int i = 0; i < 2; i++) {
		c[i].fd = self->fd;
		c[i].ioas = i ? ioas2 : self->ioas;
		c[i].buf = (char *)self->buf + i * 8 * PAGE;
		ASSERT_OK(pthread_create(&t[i], NULL, churn_thread, &c[i]));
	}
	/* Stop the threads before failing, so the teardown sees the end. */
	for (int i = 0; i < 200 && !failed; i++)
		failed = test_replace(self->fd, stdev,
				      i % 2 ? self->ioas : ioas2, NULL) ?
				 errno : 0;
	for (int i = 0; i < 2; i++) {
		c[i].stop = true;
		pthread_join(t[i], NULL);
	}
	ASSERT_EQ(0, failed);
	ASSERT_EQ(0, c[0].errors);
	ASSERT_EQ(0, c[1].errors);
	ASSERT_EQ(0, mapped_bytes(self->fd, self->ioas));
	ASSERT_EQ(0, mapped_bytes(self->fd, ioas2));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->hwpts + 1, iommufd_stat("hwpt_paging"));
}

/* Every destroy order: device first, IOAS first (refused), user HWPT. */
TEST_F(domains, destroy_orders)
{
	uint32_t stdev, hwpt;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   NULL));
	/* IOAS before device: the device's HWPT holds it. */
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, self->ioas));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, hwpt));
	/* Device, then IOAS. */
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_EQ(self->devices, iommufd_stat("device"));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
	/* Close with everything live: the teardown checks what remains. */
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 1));
}

static int trace_events(const char *on)
{
	static const char *const events[] = { "attach", "detach", "replace",
					      "iotlb_sync" };
	char path[128];

	for (unsigned int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/iommufd/%s/enable",
			 events[i]);
		if (write_file(path, on))
			return -1;
	}
	return 0;
}

TEST_F(domains, attach_detach_replace_and_iotlb_sync_are_traced)
{
	uint32_t stdev, hwpt, dev_id, ioas2, hwpt2;
	char expect[160], *text;

	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(write_file(TRACEFS "/trace", ""));
	ASSERT_OK(trace_events("1"));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, &stdev, &hwpt,
				   &dev_id));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 4 * PAGE,
				 IOVA));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA, 4 * PAGE, NULL));
	ASSERT_OK(test_replace(self->fd, stdev, ioas2, &hwpt2));
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_OK(trace_events("0"));
	text = read_text(TRACEFS "/trace");
	ASSERT_NE(NULL, text);

	snprintf(expect, sizeof(expect),
		 " attach: dev=iommufd_bpf_mock.");
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), "dev_id=%u hwpt_id=%u ioas_id=%u",
		 dev_id, hwpt, self->ioas);
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect),
		 "iotlb_sync: ioas_id=%u hwpt_id=%u start=0x%lx last=0x%lx npages=4 ns=",
		 self->ioas, hwpt, IOVA, IOVA + 4 * PAGE - 1);
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect),
		 "dev_id=%u old_hwpt_id=%u hwpt_id=%u ioas_id=%u", dev_id,
		 hwpt, hwpt2, ioas2);
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect),
		 " detach: dev=iommufd_bpf_mock.");
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), "dev_id=%u hwpt_id=%u ioas_id=%u",
		 dev_id, hwpt2, ioas2);
	ASSERT_NE(NULL, strstr(strstr(text, " detach: "), expect));
}

/*
 * The same map, copy and unmap over an IOAS with 0, 1 and 2 mock domains
 * (fixture domain_count, one variant per count): every domain maps what the
 * IOAS maps, pages are pinned once however many domains map them (and not
 * at all with none), and unmapping leaves no pin, charge or IOPTE behind.
 */
FIXTURE(domain_count) {
	int fd;
	uint32_t ioas;
	uint32_t hwpt[3];	/* one more than the most variants have */
	void *buf;
	long pinned, charged;
};

FIXTURE_VARIANT(domain_count) {
	unsigned int mock_domains;
};

FIXTURE_VARIANT_ADD(domain_count, no_domain) { .mock_domains = 0 };
FIXTURE_VARIANT_ADD(domain_count, one_domain) { .mock_domains = 1 };
FIXTURE_VARIANT_ADD(domain_count, two_domains) { .mock_domains = 2 };

FIXTURE_SETUP(domain_count)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->pinned = iommufd_stat("pinned_pages");
	self->charged = iommufd_stat("charged_pages");
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x3c, BUF_SIZE);
	for (unsigned int i = 0; i < variant->mock_domains; i++)
		ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL,
					   &self->hwpt[i], NULL));
}

FIXTURE_TEARDOWN(domain_count)
{
	close(self->fd);
	EXPECT_EQ(self->pinned, iommufd_stat("pinned_pages"));
	EXPECT_EQ(self->charged, iommufd_stat("charged_pages"));
	munmap(self->buf, BUF_SIZE);
}

/* Every domain maps [iova, iova + len) onto @buf. */
static int domains_map(struct __test_metadata *_metadata,
		       FIXTURE_DATA(domain_count) *self,
		       unsigned int n, uint64_t iova, void *buf, uint64_t len)
{
	for (unsigned int i = 0; i < n; i++)
		if (test_check_map(self->fd, self->hwpt[i], iova, buf, len)) {
			TH_LOG("domain %u (HWPT %u) does not map 0x%llx",
			       i, self->hwpt[i], (unsigned long long)iova);
			return -1;
		}
	return 0;
}

TEST_F(domain_count, map_pins_once_and_unmap_leaves_nothing)
{
	unsigned int n = variant->mock_domains;
	uint64_t unmapped;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	ASSERT_OK(domains_map(_metadata, self, n, IOVA, self->buf, BUF_SIZE));
	/* Pinned once with any domain, not at all without one. */
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, n ? 1 : 0));
	ASSERT_EQ(self->pinned + (n ? BUF_PAGES : 0),
		  iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA, BUF_SIZE, &unmapped));
	ASSERT_EQ(BUF_SIZE, unmapped);
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->pinned, iommufd_stat("pinned_pages"));
	for (unsigned int i = 0; i < n; i++)
		ASSERT_ERRNO(EINVAL, test_check_map(self->fd, self->hwpt[i],
						    IOVA, self->buf, PAGE));
}

TEST_F(domain_count, copy_shares_the_pins)
{
	unsigned int n = variant->mock_domains;
	uint64_t dst = IOVA + BUF_SIZE;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	ASSERT_OK(ioas_copy(self->fd, self->ioas, self->ioas, IOVA, BUF_SIZE,
			    &dst, IOMMU_IOAS_MAP_FIXED_IOVA |
			    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_OK(domains_map(_metadata, self, n, dst, self->buf, BUF_SIZE));
	/* The copy shares the source's pages: still pinned once. */
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, n ? 1 : 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, IOVA, BUF_SIZE, NULL));
	ASSERT_OK(domains_map(_metadata, self, n, dst, self->buf, BUF_SIZE));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, n ? 1 : 0));
	ASSERT_EQ(BUF_SIZE, mapped_bytes(self->fd, self->ioas));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_F(domain_count, a_domain_added_later_gets_every_mapping)
{
	unsigned int n = variant->mock_domains;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, BUF_SIZE,
				 IOVA));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL,
				   &self->hwpt[n], NULL));
	ASSERT_OK(domains_map(_metadata, self, n + 1, IOVA, self->buf,
			      BUF_SIZE));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(BUF_SIZE, mapped_bytes(self->fd, self->ioas));
	ASSERT_OK(test_check_refs(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_HARNESS_MAIN
