// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mock IOMMU driver as the kernel's IOMMU core sees it: mock devices in
 * real IOMMU groups (shared by tag), with reserved regions of every type as
 * the core reports them, removed when their object is destroyed or the file
 * closed.  Needs the module loaded with selftest=1.
 */
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "harness.h"
#include "iommufd_utils.h"

#define PLATFORM "/sys/bus/platform/devices"

FIXTURE(mock) {
	int fd;
};

FIXTURE_SETUP(mock)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
}

FIXTURE_TEARDOWN(mock)
{
	close(self->fd);
}

static uint32_t mock_new(int fd, uint32_t tag, uint32_t resv_type,
			 uint64_t start, uint64_t length, uint32_t *stdev)
{
	struct iommu_test_bpf_mock_device spec = {
		.group_tag = tag,
		.resv_type = resv_type,
		.resv_start = start,
		.resv_length = length,
	};
	uint32_t index;

	if (test_bpf_mock_device(fd, &spec, stdev, &index))
		return UINT32_MAX;
	return index;
}

/* The IOMMU group number of mock device @index, or -1. */
static int mock_group(uint32_t index)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), PLATFORM "/iommufd_bpf_mock.%u/iommu_group",
		 index);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -1;
	target[len] = '\0';
	return atoi(strrchr(target, '/') + 1);
}

static bool mock_exists(uint32_t index)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PLATFORM "/iommufd_bpf_mock.%u", index);
	return !access(path, F_OK);
}

TEST_F(mock, device_gets_a_group_of_its_own)
{
	uint32_t s1, s2, d1, d2;

	ASSERT_TRUE(access(PLATFORM "/iommufd_bpf_mock_iommu", F_OK) == 0);
	d1 = mock_new(self->fd, 0, MOCK_BPF_RESV_NONE, 0, 0, &s1);
	d2 = mock_new(self->fd, 0, MOCK_BPF_RESV_NONE, 0, 0, &s2);
	ASSERT_NE(UINT32_MAX, d1);
	ASSERT_NE(UINT32_MAX, d2);
	ASSERT_GE(mock_group(d1), 0);
	ASSERT_GE(mock_group(d2), 0);
	ASSERT_NE(mock_group(d1), mock_group(d2));
}

TEST_F(mock, same_tag_shares_a_group)
{
	uint32_t s[3], d[3];
	char path[PATH_MAX];
	int group;

	d[0] = mock_new(self->fd, 7, MOCK_BPF_RESV_NONE, 0, 0, &s[0]);
	d[1] = mock_new(self->fd, 7, MOCK_BPF_RESV_NONE, 0, 0, &s[1]);
	d[2] = mock_new(self->fd, 8, MOCK_BPF_RESV_NONE, 0, 0, &s[2]);
	group = mock_group(d[0]);
	ASSERT_GE(group, 0);
	ASSERT_EQ(group, mock_group(d[1]));
	ASSERT_NE(group, mock_group(d[2]));
	/* The group lives as long as a member does. */
	ASSERT_OK(iommufd_destroy(self->fd, s[0]));
	ASSERT_EQ(group, mock_group(d[1]));
	ASSERT_OK(iommufd_destroy(self->fd, s[1]));
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d", group);
	ASSERT_NE(0, access(path, F_OK));
}

/* Each reserved-region type, as the IOMMU core reports it for the group. */
TEST_F(mock, reserved_regions_of_every_type)
{
	static const struct {
		uint32_t type;
		const char *name;
	} types[] = {
		{ 0 /* IOMMU_RESV_DIRECT */, "direct" },
		{ 1 /* IOMMU_RESV_DIRECT_RELAXABLE */, "direct-relaxable" },
		{ 2 /* IOMMU_RESV_RESERVED */, "reserved" },
		{ 3 /* IOMMU_RESV_MSI */, "msi" },
		{ 4 /* IOMMU_RESV_SW_MSI */, "msi" },
	};
	char path[PATH_MAX], expect[128], text[1024];
	uint32_t i, stdev, index;
	uint64_t start = 0x100000;
	FILE *f;

	for (i = 0; i < 5; i++) {
		index = mock_new(self->fd, 0, types[i].type, start, 0x4000,
				 &stdev);
		ASSERT_NE(UINT32_MAX, index);
		snprintf(path, sizeof(path),
			 PLATFORM "/iommufd_bpf_mock.%u/iommu_group/reserved_regions",
			 index);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
		fclose(f);
		snprintf(expect, sizeof(expect), "0x%016lx 0x%016lx %s\n",
			 (unsigned long)start, (unsigned long)start + 0x3fff,
			 types[i].name);
		if (!strstr(text, expect))
			TH_LOG("type %u: no \"%s\" in:\n%s", types[i].type,
			       expect, text);
		ASSERT_NE(NULL, strstr(text, expect));
	}
}

TEST_F(mock, destroy_and_close_remove_the_device)
{
	long before = iommufd_stat("selftest_device");
	uint32_t s1, s2, d1, d2;
	int fd = iommufd_open();

	ASSERT_GE(fd, 0);
	d1 = mock_new(fd, 0, MOCK_BPF_RESV_NONE, 0, 0, &s1);
	d2 = mock_new(fd, 3, MOCK_BPF_RESV_NONE, 0, 0, &s2);
	ASSERT_TRUE(mock_exists(d1));
	ASSERT_EQ(before + 2, iommufd_stat("selftest_device"));
	ASSERT_OK(iommufd_destroy(fd, s1));
	ASSERT_FALSE(mock_exists(d1));
	ASSERT_TRUE(mock_exists(d2));
	close(fd);
	ASSERT_FALSE(mock_exists(d2));
	ASSERT_EQ(before, iommufd_stat("selftest_device"));
}

TEST_F(mock, bad_specs)
{
	struct iommu_test_bpf_mock_device spec = { .resv_type = MOCK_BPF_RESV_NONE };
	uint32_t stdev, index;
	long before = iommufd_stat("selftest_device");

	spec.flags = 1u << 31;
	ASSERT_ERRNO(EOPNOTSUPP, test_bpf_mock_device(self->fd, &spec, &stdev,
						      &index));
	spec.flags = 0;
	spec.resv_type = 99;
	ASSERT_ERRNO(EINVAL, test_bpf_mock_device(self->fd, &spec, &stdev,
						  &index));
	/* Reserved regions are whole, non-empty, non-wrapping pages. */
	spec.resv_type = 2;
	spec.resv_start = 0x1000;
	spec.resv_length = 0;
	ASSERT_ERRNO(EINVAL, test_bpf_mock_device(self->fd, &spec, &stdev,
						  &index));
	spec.resv_length = 0x800;
	ASSERT_ERRNO(EINVAL, test_bpf_mock_device(self->fd, &spec, &stdev,
						  &index));
	spec.resv_start = 0x1800;
	spec.resv_length = 0x1000;
	ASSERT_ERRNO(EINVAL, test_bpf_mock_device(self->fd, &spec, &stdev,
						  &index));
	spec.resv_start = UINT64_MAX - 0xfff;
	spec.resv_length = 0x2000;
	ASSERT_ERRNO(EINVAL, test_bpf_mock_device(self->fd, &spec, &stdev,
						  &index));
	ASSERT_EQ(before, iommufd_stat("selftest_device"));
}

/* BPF_INJECT's reserved word must be 0; nothing is armed when it is not. */
TEST_F(mock, inject_reserved_must_be_zero)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_INJECT,
		.bpf_inject = { .map_fail_nth = 1, .__reserved = 1 },
	};
	uint32_t ioas, hwpt;
	uint64_t iova = 0;
	char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_TEST_CMD, &cmd));
	/* The first map into a mock domain still works. */
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt, NULL));
	ASSERT_OK(ioas_map(self->fd, ioas, buf, 4096, &iova));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, buf, 4096));
	munmap(buf, 4096);
}

/*
 * The benchmarks' floor pins every page and leaves none pinned: the pin
 * count of each page (MD_CHECK_REFS) is back to 0, also when a hole makes
 * it fail part-way.  4 KiB pages, as the check cannot see into large ones.
 */
TEST_F(mock, pin_floor)
{
	size_t len = 64 * 4096;
	uint64_t pages = 0;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_OK(madvise(buf, len, MADV_NOHUGEPAGE));
	ASSERT_OK(test_pin_floor(self->fd, buf, len, &pages));
	ASSERT_EQ(64, pages);
	ASSERT_OK(test_check_refs(self->fd, buf, len, 0));
	ASSERT_ERRNO(EINVAL, test_pin_floor(self->fd, buf + 1, 4096, NULL));
	ASSERT_ERRNO(EINVAL, test_pin_floor(self->fd, buf, 0, NULL));
	ASSERT_ERRNO(EINVAL, test_pin_floor(self->fd, buf, 100, NULL));
	/* A hole: what was pinned before it is unpinned again. */
	ASSERT_OK(munmap(buf + 32 * 4096, 4096));
	ASSERT_ERRNO(EFAULT, test_pin_floor(self->fd, buf, len, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 32 * 4096, 0));
	ASSERT_OK(test_check_refs(self->fd, buf + 33 * 4096, 31 * 4096, 0));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
