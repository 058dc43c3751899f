// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS: IOMMU_IOAS_MAP / UNMAP / COPY / IOVA_RANGES / ALLOW_IOVAS,
 * IOMMU_OPTION, and the test accesses that pin and copy through IOVA
 * (IOMMU_TEST_CMD, so the module runs with selftest=1).
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "uffd_utils.h"

#define PAGE 4096UL
#define NPAGES 64

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);
	return p;
}

FIXTURE(ioas) {
	int fd;
	uint32_t ioas;
	char *buf;
	bool ready;
};

FIXTURE_SETUP(ioas)
{
	ASSERT_EQ(PAGE, (unsigned long)sysconf(_SC_PAGESIZE));
	self->fd = iommufd_open();
	ASSERT_GE(self->fd, 0);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	self->buf = map_anon(NPAGES * PAGE);
	ASSERT_NE(NULL, self->buf);
	if (test_set_batch_limit(self->fd, 65536))
		SKIP(return, "IOMMU_TEST_CMD unavailable: load the module with selftest=1");
	self->ready = true;
}

FIXTURE_TEARDOWN(ioas)
{
	int fd;

	close(self->fd);
	if (!self->ready)
		return;
	/* Closing released every pin this test made. */
	fd = iommufd_open();
	EXPECT_EQ(0, test_check_refs(fd, self->buf, NPAGES * PAGE, 0));
	close(fd);
}

/* ---- map and unmap ---------------------------------------------------- */

TEST_F(ioas, map_fixed_then_unmap_returns_length)
{
	uint64_t unmapped = 0;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 4 * PAGE,
				 1UL << 20));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 1UL << 20, 4 * PAGE,
			     &unmapped));
	ASSERT_EQ(4 * PAGE, unmapped);
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, 1UL << 20,
					4 * PAGE, NULL));
}

/*
 * A chosen IOVA is never 0 and is aligned as well as both the length and the
 * user address allow, so large pages can line up.  Mapping pins nothing, so
 * any user address will do.
 */
TEST_F(ioas, auto_iova_is_nonzero_and_aligned)
{
	void *addrs[] = { (void *)(1UL << 31), self->buf };
	uint64_t iova[10];
	unsigned int a, i;

	for (a = 0; a < 2; a++) {
		uintptr_t uptr = (uintptr_t)addrs[a];

		for (i = 0; i < 10; i++) {
			uint64_t len = (i + 1) * PAGE;
			uint64_t align = 1UL << __builtin_ctzl(len | uptr);

			ASSERT_OK(ioas_map(self->fd, self->ioas, addrs[a], len,
					   &iova[i]));
			ASSERT_NE(0, iova[i]);
			ASSERT_EQ(0, iova[i] % align);
		}
		ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX,
				     NULL));
	}
	/* An address inside a page keeps its offset in the IOVA. */
	ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf + 100, 10,
			   &iova[0]));
	ASSERT_EQ(100, iova[0] % PAGE);
}

TEST_F(ioas, map_over_existing_is_eexist)
{
	uint64_t base = 16 * PAGE;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 2 * PAGE,
				 base));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    2 * PAGE, base));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, base + PAGE));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    2 * PAGE, base - PAGE));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    4 * PAGE, base - PAGE));
	/* Right next to it is free. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
				 base + 2 * PAGE));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
				 base - PAGE));
}

TEST_F(ioas, map_bad_length_or_address)
{
	uint64_t iova = PAGE;

	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    0, PAGE));
	/* IOVA + length wraps, or does not fit the kernel's long. */
	ASSERT_ERRNO(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas, self->buf,
					       2 * PAGE, UINT64_MAX - PAGE + 1));
	ASSERT_ERRNO(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas, self->buf,
					       PAGE, UINT64_MAX));
	ASSERT_ERRNO(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas, self->buf,
					       UINT64_MAX, PAGE));
	/* The user range itself wraps. */
	ASSERT_ERRNO(EOVERFLOW,
		     ioas_map_flags(self->fd, self->ioas,
				    (void *)(UINTPTR_MAX - PAGE + 1), 2 * PAGE,
				    &iova, MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
}

TEST_F(ioas, map_flags_checked)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.user_va = (uintptr_t)self->buf,
		.length = PAGE,
	};

	/* Neither readable nor writable. */
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = MAP_RW | (1u << 3);
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = MAP_RW;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	/* Read-only and write-only mappings are both fine. */
	cmd.flags = IOMMU_IOAS_MAP_READABLE;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = IOMMU_IOAS_MAP_WRITEABLE;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
}

TEST_F(ioas, map_into_reserved_is_einval)
{
	uint64_t iova;
	int i;

	ASSERT_OK(test_add_reserved(self->fd, self->ioas, 4 * PAGE, 100 * PAGE));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, 50 * PAGE));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    2 * PAGE, 3 * PAGE));
	/* Automatic IOVAs go around it. */
	for (i = 1; i <= 10; i++) {
		ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, i * PAGE,
				   &iova));
		ASSERT_TRUE(iova + i * PAGE <= 4 * PAGE || iova >= 104 * PAGE);
	}
	/* Reserving over a mapping is refused. */
	ASSERT_ERRNO(EADDRINUSE, test_add_reserved(self->fd, self->ioas, iova,
						   PAGE));
}

TEST_F(ioas, unknown_or_wrong_ioas_is_enoent)
{
	uint64_t iova;
	int other = iommufd_open();

	ASSERT_ERRNO(ENOENT, ioas_map(self->fd, self->ioas + 1, self->buf,
				      PAGE, &iova));
	ASSERT_ERRNO(ENOENT, ioas_map(self->fd, 0, self->buf, PAGE, &iova));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas + 1, 0,
					UINT64_MAX, NULL));
	/* Another file's IOAS is not ours. */
	ASSERT_GE(other, 0);
	ASSERT_ERRNO(ENOENT, ioas_map(other, self->ioas, self->buf, PAGE,
				      &iova));
	close(other);
}

TEST_F(ioas, unmap_never_splits)
{
	uint64_t base = 16 * PAGE, unmapped;

	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 2 * PAGE,
				 base));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, base, PAGE,
					NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, base + PAGE,
					PAGE, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, base - PAGE,
					2 * PAGE, NULL));
	/* Still whole. */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, base, 2 * PAGE, &unmapped));
	ASSERT_EQ(2 * PAGE, unmapped);
}

TEST_F(ioas, unmap_takes_every_area_inside)
{
	uint64_t unmapped;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf,
					 8 * PAGE, (1 + i * 16) * PAGE * 16));
	/* A range that cuts the last area fails ... */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, 0,
					(3 * 16 + 1) * PAGE * 16 + PAGE, NULL));
	/* ... after taking the whole ones before it; the rest goes whole. */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX - 1,
			     &unmapped));
	ASSERT_EQ(8 * PAGE, unmapped);
}

TEST_F(ioas, unmap_bad_ranges)
{
	uint64_t unmapped = 1;

	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, PAGE, PAGE,
					NULL));
	ASSERT_ERRNO(EINVAL, ioas_unmap(self->fd, self->ioas, PAGE, 0, NULL));
	ASSERT_ERRNO(EOVERFLOW, ioas_unmap(self->fd, self->ioas,
					   UINT64_MAX - PAGE + 1, 2 * PAGE,
					   NULL));
	/* Unmap-all of an empty IOAS succeeds, with nothing unmapped. */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(0, unmapped);
}

TEST_F(ioas, unmap_all_returns_total)
{
	uint64_t iova, unmapped;
	int i;

	for (i = 1; i <= 5; i++)
		ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, i * PAGE,
				   &iova));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(15 * PAGE, unmapped);
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas, iova, 5 * PAGE,
					NULL));
}

/* ---- IOVA ranges and allowed IOVAs ------------------------------------- */

static int iova_ranges(int fd, uint32_t ioas, struct iommu_iova_range *r,
		       uint32_t *num, uint64_t *align)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};
	int rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	*num = cmd.num_iovas;
	if (align)
		*align = cmd.out_iova_alignment;
	return rc;
}

TEST_F(ioas, iova_ranges_of_a_new_ioas)
{
	struct iommu_iova_range r[4] = {};
	uint32_t num = 4;
	uint64_t align;

	ASSERT_OK(iova_ranges(self->fd, self->ioas, r, &num, &align));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(UINT64_MAX, r[0].last);
	ASSERT_EQ(1, align);
}

TEST_F(ioas, iova_ranges_too_small_is_emsgsize)
{
	struct iommu_iova_range r[4] = {};
	uint32_t num = 0;

	ASSERT_ERRNO(EMSGSIZE, iova_ranges(self->fd, self->ioas, r, &num,
					   NULL));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].last);
	/* Two ranges, room for one: the first is filled. */
	ASSERT_OK(test_add_reserved(self->fd, self->ioas, PAGE, PAGE));
	num = 1;
	ASSERT_ERRNO(EMSGSIZE, iova_ranges(self->fd, self->ioas, r, &num,
					   NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(PAGE - 1, r[0].last);
	ASSERT_EQ(0, r[1].last);
}

TEST_F(ioas, iova_ranges_exclude_reserved)
{
	struct iommu_iova_range r[4] = {};
	uint32_t num = 4;

	ASSERT_OK(test_add_reserved(self->fd, self->ioas, PAGE, PAGE));
	ASSERT_OK(iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(PAGE - 1, r[0].last);
	ASSERT_EQ(2 * PAGE, r[1].start);
	ASSERT_EQ(UINT64_MAX, r[1].last);
}

TEST_F(ioas, iova_ranges_bad_arguments)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 1,
		.__reserved = 1,
	};

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.__reserved = 0;
	cmd.allowed_iovas = 16;
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.ioas_id = 0;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
}

static int allow_iovas(int fd, uint32_t ioas, struct iommu_iova_range *r,
		       uint32_t num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

TEST_F(ioas, allowed_iovas_confine_automatic_iova)
{
	struct iommu_iova_range r = { 200 * PAGE, 600 * PAGE - 1 };
	uint64_t iova;
	int i;

	ASSERT_OK(allow_iovas(self->fd, self->ioas, &r, 1));
	for (i = 1; i <= 10; i++) {
		ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, i * PAGE,
				   &iova));
		ASSERT_GE(iova, r.start);
		ASSERT_LE(iova + i * PAGE - 1, r.last);
	}
	/* Full: nothing left inside. */
	ASSERT_ERRNO(ENOSPC, ioas_map(self->fd, self->ioas, self->buf,
				      NPAGES * PAGE * 8, &iova));
	/* A fixed IOVA outside is still allowed. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
				 1000 * PAGE));
	/* An empty list lifts the confinement. */
	ASSERT_OK(allow_iovas(self->fd, self->ioas, NULL, 0));
	ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf,
			   NPAGES * PAGE * 8, &iova));
}

TEST_F(ioas, allowed_iovas_bad_lists)
{
	struct iommu_iova_range r[2] = { { 10 * PAGE, 20 * PAGE },
					 { 15 * PAGE, 30 * PAGE } };
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 1,
		.__reserved = 1,
		.allowed_iovas = (uintptr_t)r,
	};

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	/* Overlapping ranges, an empty range, unreadable memory. */
	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas, r, 2));
	r[1].start = r[1].last;
	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas, &r[1], 1));
	ASSERT_ERRNO(EFAULT, allow_iovas(self->fd, self->ioas,
					 (void *)16, 1));
	ASSERT_ERRNO(ENOENT, allow_iovas(self->fd, 0, r, 1));
}

TEST_F(ioas, allowed_and_reserved_exclude_each_other)
{
	struct iommu_iova_range r = { 16 * PAGE, 600 * PAGE };

	ASSERT_OK(allow_iovas(self->fd, self->ioas, &r, 1));
	ASSERT_ERRNO(EADDRINUSE, test_add_reserved(self->fd, self->ioas,
						   17 * PAGE, PAGE));
	ASSERT_OK(allow_iovas(self->fd, self->ioas, NULL, 0));
	ASSERT_OK(test_add_reserved(self->fd, self->ioas, 17 * PAGE, PAGE));
	ASSERT_ERRNO(EADDRINUSE, allow_iovas(self->fd, self->ioas, &r, 1));
}

/* ---- options ------------------------------------------------------------ */

TEST(option_rlimit_mode)
{
	uint64_t val = 5;
	uint32_t id;
	int fd = iommufd_open();

	ASSERT_GE(fd, 0);
	ASSERT_OK(iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				 IOMMU_OPTION_OP_GET, 0, &val));
	ASSERT_EQ(0, val);
	val = 1;
	ASSERT_OK(iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				 IOMMU_OPTION_OP_SET, 0, &val));
	val = 0;
	ASSERT_OK(iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				 IOMMU_OPTION_OP_GET, 0, &val));
	ASSERT_EQ(1, val);
	val = 2;
	ASSERT_ERRNO(EINVAL, iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
					    IOMMU_OPTION_OP_SET, 0, &val));
	ASSERT_ERRNO(EOPNOTSUPP, iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
						IOMMU_OPTION_OP_GET, 1, &val));
	ASSERT_ERRNO(EOPNOTSUPP, iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
						7, 0, &val));
	/* Fixed once the context has objects. */
	ASSERT_OK(ioas_alloc(fd, &id));
	val = 0;
	ASSERT_ERRNO(EBUSY, iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
					   IOMMU_OPTION_OP_SET, 0, &val));
	close(fd);
}

TEST(option_rlimit_mode_needs_cap_sys_resource)
{
	int fd = iommufd_open(), status;
	pid_t pid;

	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		uint64_t val = 1;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(iommufd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				     IOMMU_OPTION_OP_SET, 0, &val) == -1 &&
		      errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	close(fd);
}

TEST_F(ioas, option_huge_pages_per_ioas)
{
	struct iommu_iova_range r;
	uint32_t num = 1;
	uint64_t val = 3, align;

	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(1, val);
	val = 0;
	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(0, val);
	/* Small pages only: everything must be page aligned. */
	ASSERT_OK(iova_ranges(self->fd, self->ioas, &r, &num, &align));
	ASSERT_EQ(PAGE, align);
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas, self->buf,
					    PAGE, PAGE + 512));
	val = 1;
	ASSERT_OK(iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_OK(iova_ranges(self->fd, self->ioas, &r, &num, &align));
	ASSERT_EQ(1, align);
	/* With an unaligned mapping present, turning them off is refused. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf + 512, PAGE,
				 PAGE + 512));
	val = 0;
	ASSERT_ERRNO(EADDRINUSE, iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
						IOMMU_OPTION_OP_SET, self->ioas,
						&val));
	val = 2;
	ASSERT_ERRNO(EINVAL, iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					    IOMMU_OPTION_OP_SET, self->ioas,
					    &val));
	ASSERT_ERRNO(ENOENT, iommufd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					    IOMMU_OPTION_OP_GET, 0, &val));
	ASSERT_ERRNO(EOPNOTSUPP, iommufd_option(self->fd, 99,
						IOMMU_OPTION_OP_GET, 0, &val));
}

/* ---- copy --------------------------------------------------------------- */

TEST_F(ioas, copy_maps_the_same_memory)
{
	uint64_t src = 16 * PAGE, dst = 0;
	uint32_t other;
	int access;
	char tmp[64];

	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 4 * PAGE,
				 src));
	ASSERT_OK(ioas_copy(self->fd, other, self->ioas, src, 4 * PAGE, &dst,
			    MAP_RW));
	ASSERT_NE(0, dst);
	strcpy(self->buf + 2 * PAGE + 10, "seen through the copy");
	ASSERT_OK(test_create_access(self->fd, other, 0, &access));
	ASSERT_OK(test_access_rw(self->fd, access, dst + 2 * PAGE + 10, tmp,
				 22, 0));
	ASSERT_EQ(0, strcmp(tmp, "seen through the copy"));
	/* Copy within one IOAS, and from a piece of the copy. */
	dst = src + 8 * PAGE;
	ASSERT_OK(ioas_copy(self->fd, self->ioas, self->ioas, src + PAGE,
			    2 * PAGE, &dst, MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	close(access);
}

TEST_F(ioas, copy_spans_adjacent_areas)
{
	uint64_t base = 16 * PAGE, dst = 0, unmapped;
	uint32_t other;

	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 2 * PAGE,
				 base));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf + 8 * PAGE,
				 2 * PAGE, base + 2 * PAGE));
	ASSERT_OK(ioas_copy(self->fd, other, self->ioas, base + PAGE, 2 * PAGE,
			    &dst, MAP_RW));
	/* Two source areas became two destination areas, back to back. */
	ASSERT_OK(ioas_unmap(self->fd, other, dst, PAGE, &unmapped));
	ASSERT_EQ(PAGE, unmapped);
	ASSERT_OK(ioas_unmap(self->fd, other, dst + PAGE, PAGE, &unmapped));
	ASSERT_EQ(PAGE, unmapped);
}

TEST_F(ioas, copy_failures)
{
	uint64_t base = 16 * PAGE, dst = 64 * PAGE;
	uint32_t other;

	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE, base));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, PAGE,
				 base + 2 * PAGE));
	/* Nothing there, a gap, an unknown IOAS. */
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, other, self->ioas, 0, PAGE,
				       &dst, MAP_RW));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, other, self->ioas, base,
				       3 * PAGE, &dst, MAP_RW));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, other + 1, self->ioas, base,
				       PAGE, &dst, MAP_RW));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, other, other + 1, base, PAGE,
				       &dst, MAP_RW));
	/* Flags as for map. */
	ASSERT_ERRNO(EINVAL, ioas_copy(self->fd, other, self->ioas, base, PAGE,
				       &dst, 0));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_copy(self->fd, other, self->ioas, base,
					   PAGE, &dst, MAP_RW | (1u << 4)));
	/* Onto an existing mapping. */
	dst = base;
	ASSERT_ERRNO(EEXIST, ioas_copy(self->fd, self->ioas, self->ioas,
				       base + 2 * PAGE, PAGE, &dst,
				       MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	/* Writable from memory mapped read-only. */
	dst = 0;
	base = 0;
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas, self->buf, PAGE, &base,
				 IOMMU_IOAS_MAP_READABLE));
	ASSERT_ERRNO(EPERM, ioas_copy(self->fd, other, self->ioas, base, PAGE,
				      &dst, MAP_RW));
	ASSERT_OK(ioas_copy(self->fd, other, self->ioas, base, PAGE, &dst,
			    IOMMU_IOAS_MAP_READABLE));
}

/* Pages copied into another IOAS are pinned once, whoever pins them. */
TEST_F(ioas, copy_shares_pins)
{
	uint64_t src = 0, dst = 0;
	long pinned = iommufd_stat("pinned_pages");
	int a1, a2;
	uint32_t other;

	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, 8 * PAGE, &src));
	ASSERT_OK(ioas_copy(self->fd, other, self->ioas, src, 8 * PAGE, &dst,
			    MAP_RW));
	ASSERT_OK(test_create_access(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &a1));
	ASSERT_OK(test_create_access(self->fd, other,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &a2));
	ASSERT_OK(test_access_pages(self->fd, a1, src, 8 * PAGE, self->buf, 0,
				    NULL));
	ASSERT_OK(test_access_pages(self->fd, a2, dst, 8 * PAGE, self->buf, 0,
				    NULL));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 8 * PAGE, 1));
	ASSERT_EQ(pinned + 8, iommufd_stat("pinned_pages"));
	close(a1);
	ASSERT_OK(test_check_refs(self->fd, self->buf, 8 * PAGE, 1));
	close(a2);
	ASSERT_OK(test_check_refs(self->fd, self->buf, 8 * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
}

/* ---- accesses ----------------------------------------------------------- */

FIXTURE(access) {
	int fd;
	uint32_t ioas;
	char *buf;
	int access;
	uint64_t iova;
	bool ready;
};

FIXTURE_SETUP(access)
{
	self->fd = iommufd_open();
	ASSERT_GE(self->fd, 0);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas));
	self->buf = map_anon(NPAGES * PAGE);
	ASSERT_NE(NULL, self->buf);
	if (test_set_batch_limit(self->fd, 65536))
		SKIP(return, "IOMMU_TEST_CMD unavailable: load the module with selftest=1");
	ASSERT_OK(test_create_access(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &self->access));
	ASSERT_OK(ioas_map(self->fd, self->ioas, self->buf, NPAGES * PAGE,
			   &self->iova));
	self->ready = true;
}

FIXTURE_TEARDOWN(access)
{
	int fd;

	close(self->access);
	close(self->fd);
	if (!self->ready)
		return;
	fd = iommufd_open();
	EXPECT_EQ(0, test_check_refs(fd, self->buf, NPAGES * PAGE, 0));
	EXPECT_EQ(0, test_set_batch_limit(fd, 65536));
	close(fd);
}

TEST_F(access, pin_pins_each_page_once)
{
	long pinned = iommufd_stat("pinned_pages");
	uint32_t a, b, c;

	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova,
				    4 * PAGE, self->buf, 0, &a));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 4 * PAGE, 1));
	/* The same range again, and an overlapping one. */
	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova,
				    4 * PAGE, self->buf, 0, &b));
	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova + PAGE,
				    6 * PAGE, self->buf + PAGE, 0, &c));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 7 * PAGE, 1));
	ASSERT_EQ(pinned + 7, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, a));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 7 * PAGE, 1));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, b));
	/* Only c's pages remain. */
	ASSERT_OK(test_check_refs(self->fd, self->buf, PAGE, 0));
	ASSERT_OK(test_check_refs(self->fd, self->buf + PAGE, 6 * PAGE, 1));
	ASSERT_EQ(pinned + 6, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, c));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 7 * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_ERRNO(ENOENT, test_destroy_access_pages(self->fd, self->access,
						       c));
}

TEST_F(access, pin_every_length_and_offset)
{
	unsigned int len, off;
	uint32_t item;

	for (off = 0; off < 4; off++) {
		for (len = 1; len <= 12; len++) {
			ASSERT_OK(test_access_pages(self->fd, self->access,
						    self->iova + off * PAGE,
						    len * PAGE,
						    self->buf + off * PAGE, 0,
						    &item));
			ASSERT_OK(test_destroy_access_pages(self->fd,
							    self->access, item));
		}
	}
	ASSERT_OK(test_check_refs(self->fd, self->buf, NPAGES * PAGE, 0));
}

/* Pinning goes in batches; their boundaries leave nothing out. */
TEST_F(access, pin_across_batch_boundaries)
{
	uint32_t item;
	uint32_t limits[] = { 16, 24, 64, 4096 };
	unsigned int i;

	ASSERT_ERRNO(EINVAL, test_set_batch_limit(self->fd, 4));
	for (i = 0; i < 4; i++) {
		ASSERT_OK(test_set_batch_limit(self->fd, limits[i]));
		ASSERT_OK(test_access_pages(self->fd, self->access, self->iova,
					    33 * PAGE, self->buf, 0, &item));
		ASSERT_OK(test_check_refs(self->fd, self->buf, 33 * PAGE, 1));
		ASSERT_OK(test_destroy_access_pages(self->fd, self->access,
						    item));
		ASSERT_OK(test_check_refs(self->fd, self->buf, 33 * PAGE, 0));
	}
}

/* Memory that cannot be pinned fails cleanly and leaves nothing pinned. */
TEST_F(access, pin_failure_unwinds)
{
	long pinned = iommufd_stat("pinned_pages");
	uint64_t iova;
	char *buf = map_anon(8 * PAGE);

	ASSERT_NE(NULL, buf);
	ASSERT_OK(ioas_map(self->fd, self->ioas, buf, 8 * PAGE, &iova));
	/* The last page becomes inaccessible after the map. */
	ASSERT_OK(mprotect(buf + 7 * PAGE, PAGE, PROT_NONE));
	ASSERT_OK(test_set_batch_limit(self->fd, 16));
	ASSERT_ERRNO(EFAULT, test_access_pages(self->fd, self->access, iova,
					       8 * PAGE, NULL, 0, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 7 * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	/* The part that is there pins fine. */
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, 7 * PAGE,
				    buf, 0, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 7 * PAGE, 1));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 8 * PAGE, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 7 * PAGE, 0));
}

/*
 * The PFN store keeps 511 pages to a chunk.  Pins across chunk boundaries
 * find the right pages (ACCESS_PAGES compares them with the buffer's, the
 * slow rw path reads through the store); a chunk exists exactly while one
 * of its pages is pinned; a failed chunk allocation leaves nothing behind.
 */
TEST_F(access, pfn_store_chunks)
{
	const unsigned long chunk = 511, n = 3 * chunk + 3;
	long chunks = iommufd_stat("pfn_chunks");
	long pinned = iommufd_stat("pinned_pages");
	char *buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), out[2 * PAGE];
	uint32_t edge, one, all;
	uint64_t iova;
	unsigned long i;

	ASSERT_NE(MAP_FAILED, buf);
	/* Small pages: MD_CHECK_REFS cannot see into large ones. */
	ASSERT_OK(madvise(buf, n * PAGE, MADV_NOHUGEPAGE));
	for (i = 0; i < n * PAGE; i += 64)
		buf[i] = (char)(i / 64 * 13 + 1);
	ASSERT_OK(ioas_map(self->fd, self->ioas, buf, n * PAGE, &iova));
	ASSERT_EQ(chunks, iommufd_stat("pfn_chunks"));
	/* Pages 509-513: the first two chunks. */
	ASSERT_OK(test_access_pages(self->fd, self->access,
				    iova + (chunk - 2) * PAGE, 5 * PAGE,
				    buf + (chunk - 2) * PAGE, 0, &edge));
	ASSERT_EQ(chunks + 2, iommufd_stat("pfn_chunks"));
	ASSERT_OK(test_access_rw(self->fd, self->access,
				 iova + (chunk - 1) * PAGE, out, 2 * PAGE,
				 MOCK_ACCESS_RW_SLOW_PATH));
	ASSERT_EQ(0, memcmp(out, buf + (chunk - 1) * PAGE, 2 * PAGE));
	/* The first page of the third chunk alone. */
	ASSERT_OK(test_access_pages(self->fd, self->access,
				    iova + 2 * chunk * PAGE, PAGE,
				    buf + 2 * chunk * PAGE, 0, &one));
	ASSERT_EQ(chunks + 3, iommufd_stat("pfn_chunks"));
	ASSERT_EQ(pinned + 6, iommufd_stat("pinned_pages"));
	/* All of it, with the fourth chunk's allocation failing. */
	ASSERT_OK(test_inject_chunk(self->fd, 1));
	ASSERT_ERRNO(ENOMEM, test_access_pages(self->fd, self->access, iova,
					       n * PAGE, buf, 0, NULL));
	ASSERT_EQ(chunks + 3, iommufd_stat("pfn_chunks"));
	ASSERT_EQ(pinned + 6, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_refs(self->fd, buf, (chunk - 2) * PAGE, 0));
	ASSERT_OK(test_check_refs(self->fd, buf + (chunk - 2) * PAGE,
				  5 * PAGE, 1));
	ASSERT_OK(test_check_refs(self->fd, buf + (chunk + 3) * PAGE,
				  (chunk - 3) * PAGE, 0));
	ASSERT_OK(test_check_refs(self->fd, buf + 2 * chunk * PAGE, PAGE, 1));
	ASSERT_OK(test_check_refs(self->fd, buf + (2 * chunk + 1) * PAGE,
				  (chunk + 2) * PAGE, 0));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, n * PAGE,
				    buf, 0, &all));
	ASSERT_EQ(chunks + 4, iommufd_stat("pfn_chunks"));
	ASSERT_EQ(pinned + n, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, all));
	ASSERT_EQ(chunks + 3, iommufd_stat("pfn_chunks"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, edge));
	ASSERT_EQ(chunks + 1, iommufd_stat("pfn_chunks"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, one));
	ASSERT_EQ(chunks, iommufd_stat("pfn_chunks"));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_refs(self->fd, buf, n * PAGE, 0));
	/* A chunk allocation failing after others succeeded frees them. */
	ASSERT_OK(test_inject_chunk(self->fd, 3));
	ASSERT_ERRNO(ENOMEM, test_access_pages(self->fd, self->access, iova,
					       n * PAGE, buf, 0, NULL));
	ASSERT_EQ(chunks, iommufd_stat("pfn_chunks"));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_refs(self->fd, buf, n * PAGE, 0));
	ASSERT_OK(test_inject_chunk(self->fd, 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, n * PAGE, NULL));
	munmap(buf, n * PAGE);
}

TEST_F(access, pin_shared_file_memory)
{
	int memfd = memfd_create("iommufd-test", 0);
	uint64_t iova;
	char *buf;

	ASSERT_GE(memfd, 0);
	ASSERT_OK(ftruncate(memfd, 8 * PAGE));
	buf = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		   0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 1, 8 * PAGE);
	ASSERT_OK(ioas_map(self->fd, self->ioas, buf, 8 * PAGE, &iova));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, 8 * PAGE,
				    buf, MOCK_FLAGS_ACCESS_WRITE, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 8 * PAGE, 1));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 8 * PAGE, NULL));
	ASSERT_OK(test_check_refs(self->fd, buf, 8 * PAGE, 0));
	close(memfd);
}

/* ---- IOMMU_IOAS_MAP_FILE ------------------------------------------------ */

/* The number after @key in /proc/meminfo, or -1. */
static long meminfo(const char *key)
{
	char *text = read_text("/proc/meminfo");
	long n;

	text = text ? strstr(text, key) : NULL;
	if (!text || sscanf(text + strlen(key), "%ld", &n) != 1)
		return -1;
	return n;
}

/* A memfd of @len bytes filled with @byte, and a shared view in *view. */
static int memfd_of(unsigned int flags, size_t len, int byte, char **view)
{
	int memfd = memfd_create("iommufd-map-file", flags);

	if (memfd < 0)
		return -1;
	if (ftruncate(memfd, len))
		goto err;
	*view = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (*view == MAP_FAILED)
		goto err;
	memset(*view, byte, len);
	return memfd;
err:
	close(memfd);
	return -1;
}

TEST_F(access, map_file_pins_the_files_pages)
{
	long pinned = iommufd_stat("pinned_pages");
	char data[100], *view;
	uint64_t iova = 0;
	uint32_t item;
	int memfd;

	memfd = memfd_of(0, 8 * PAGE, 0x3c, &view);
	ASSERT_GE(memfd, 0);
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, memfd, 2 * PAGE,
				4 * PAGE, MAP_RW, &iova));
	/* Nothing is pinned before something needs it. */
	ASSERT_OK(test_check_refs(self->fd, view, 8 * PAGE, 0));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, 4 * PAGE,
				    view + 2 * PAGE, MOCK_FLAGS_ACCESS_WRITE,
				    &item));
	ASSERT_OK(test_check_refs(self->fd, view, 2 * PAGE, 0));
	ASSERT_OK(test_check_refs(self->fd, view + 2 * PAGE, 4 * PAGE, 1));
	ASSERT_OK(test_check_refs(self->fd, view + 6 * PAGE, 2 * PAGE, 0));
	ASSERT_EQ(pinned + 4, iommufd_stat("pinned_pages"));
	/* Writes through the IOVA reach the file, and reads come from it. */
	memset(data, 0xa5, sizeof(data));
	ASSERT_OK(test_access_rw(self->fd, self->access, iova + PAGE + 10,
				 data, sizeof(data), MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0x3c, view[3 * PAGE + 9]);
	ASSERT_EQ((char)0xa5, view[3 * PAGE + 10]);
	ASSERT_EQ((char)0xa5, view[3 * PAGE + 109]);
	ASSERT_EQ(0x3c, view[3 * PAGE + 110]);
	view[4 * PAGE] = 0x11;
	ASSERT_OK(test_access_rw(self->fd, self->access, iova + 2 * PAGE,
				 data, 1, 0));
	ASSERT_EQ(0x11, data[0]);
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, item));
	ASSERT_OK(test_check_refs(self->fd, view, 8 * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 4 * PAGE, NULL));
	munmap(view, 8 * PAGE);
	close(memfd);
}

/* The file is the memory: no user mapping of it is needed at any time. */
TEST_F(access, map_file_needs_no_user_mapping)
{
	long pinned = iommufd_stat("pinned_pages");
	char data[64], *view;
	uint64_t iova = 0;
	int memfd;

	memfd = memfd_of(0, 4 * PAGE, 0x77, &view);
	ASSERT_GE(memfd, 0);
	ASSERT_OK(munmap(view, 4 * PAGE));
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, memfd, 0, 4 * PAGE,
				MAP_RW, &iova));
	/* Read and written while nothing is pinned: page by page. */
	memset(data, 0x12, sizeof(data));
	ASSERT_OK(test_access_rw(self->fd, self->access, iova + PAGE - 32,
				 data, sizeof(data), MOCK_ACCESS_RW_WRITE));
	ASSERT_OK(test_access_rw(self->fd, self->access, iova + PAGE - 40,
				 data, 16, 0));
	ASSERT_EQ(0x77, data[7]);
	ASSERT_EQ(0x12, data[8]);
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, 4 * PAGE,
				    NULL, 0, NULL));
	view = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	ASSERT_OK(test_check_refs(self->fd, view, 4 * PAGE, 1));
	ASSERT_EQ(0x12, view[PAGE + 31]);
	ASSERT_EQ(0x77, view[PAGE + 32]);
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 4 * PAGE, NULL));
	ASSERT_OK(test_check_refs(self->fd, view, 4 * PAGE, 0));
	munmap(view, 4 * PAGE);
	close(memfd);
}

TEST_F(access, map_file_errors)
{
	long pinned = iommufd_stat("pinned_pages");
	int memfd, ro, sealed, devnull;
	char path[64], *view;
	uint64_t iova = 0;

	memfd = memfd_of(0, 4 * PAGE, 0, &view);
	ASSERT_GE(memfd, 0);
	ASSERT_ERRNO(EBADF, ioas_map_file(self->fd, self->ioas, -1, 0, PAGE,
					  MAP_RW, &iova));
	devnull = open("/dev/null", O_RDWR);
	ASSERT_GE(devnull, 0);
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas, devnull, 0,
					   PAGE, MAP_RW, &iova));
	close(devnull);
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas, memfd, 0,
					   PAGE, 0, &iova));
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas, memfd, 0, 0,
					   MAP_RW, &iova));
	ASSERT_ERRNO(EOVERFLOW, ioas_map_file(self->fd, self->ioas, memfd,
					      UINT64_MAX - PAGE, 2 * PAGE,
					      MAP_RW, &iova));
	ASSERT_ERRNO(ENOENT, ioas_map_file(self->fd, 999999, memfd, 0, PAGE,
					   MAP_RW, &iova));
	/* Opened for reading only: devices may read it, not write it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	ro = open(path, O_RDONLY);
	ASSERT_GE(ro, 0);
	ASSERT_ERRNO(EACCES, ioas_map_file(self->fd, self->ioas, ro, 0, PAGE,
					   MAP_RW, &iova));
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, ro, 0, PAGE,
				IOMMU_IOAS_MAP_READABLE, &iova));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, PAGE, NULL));
	close(ro);
	/* Sealed against writes: the same. */
	sealed = memfd_create("iommufd-sealed", MFD_ALLOW_SEALING);
	ASSERT_GE(sealed, 0);
	ASSERT_OK(ftruncate(sealed, PAGE));
	ASSERT_OK(fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_ERRNO(EPERM, ioas_map_file(self->fd, self->ioas, sealed, 0,
					  PAGE, MAP_RW, &iova));
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, sealed, 0, PAGE,
				IOMMU_IOAS_MAP_READABLE, &iova));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, PAGE, NULL,
				    0, NULL));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, PAGE, NULL));
	close(sealed);
	/* Past the file's end: mapped, but nothing can be pinned there. */
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, memfd, 2 * PAGE,
				4 * PAGE, MAP_RW, &iova));
	ASSERT_ERRNO(EINVAL, test_access_pages(self->fd, self->access, iova,
					       4 * PAGE, NULL, 0, NULL));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, 2 * PAGE,
				    NULL, 0, NULL));
	ASSERT_EQ(pinned + 2, iommufd_stat("pinned_pages"));
	/* Shrunk under a mapping: the pinned pages stay pinned. */
	ASSERT_OK(ftruncate(memfd, 0));
	ASSERT_ERRNO(EINVAL, test_access_pages(self->fd, self->access,
					       iova + PAGE, 2 * PAGE, NULL, 0,
					       NULL));
	ASSERT_EQ(pinned + 2, iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 4 * PAGE, NULL));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	munmap(view, 4 * PAGE);
	close(memfd);
}

TEST_F(ioas, map_file_into_a_domain)
{
	uint64_t iova = 0, iova2 = 0;
	uint32_t hwpt;
	long pinned;
	char *view;
	int memfd;

	memfd = memfd_of(0, 16 * PAGE, 0x21, &view);
	ASSERT_GE(memfd, 0);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt, NULL));
	pinned = iommufd_stat("pinned_pages");
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, memfd, 4 * PAGE,
				8 * PAGE, MAP_RW, &iova));
	ASSERT_EQ(pinned + 8, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, view + 4 * PAGE,
				 8 * PAGE));
	ASSERT_OK(test_check_refs(self->fd, view + 4 * PAGE, 8 * PAGE, 1));
	/* Past the file's end: refused, and nothing of it is left pinned. */
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas, memfd,
					   12 * PAGE, 8 * PAGE, MAP_RW,
					   &iova2));
	ASSERT_EQ(pinned + 8, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_refs(self->fd, view + 12 * PAGE, 4 * PAGE, 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, 8 * PAGE, NULL));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_refs(self->fd, view, 16 * PAGE, 0));
	munmap(view, 16 * PAGE);
	close(memfd);
}

/* hugetlbfs: each page of a 2 MiB folio is pinned, and unpinned, alone. */
TEST_F(access, map_file_hugetlb_pins_page_by_page)
{
	const size_t huge = 2UL << 20;
	long pinned = iommufd_stat("pinned_pages"), free_before;
	char *view, *nr = read_text("/proc/sys/vm/nr_hugepages");
	uint32_t a, b;
	uint64_t iova = 0;
	int memfd;

	ASSERT_NE(NULL, nr);
	nr = strdup(nr);
	if (write_file("/proc/sys/vm/nr_hugepages", "2") ||
	    (free_before = meminfo("HugePages_Free:")) < 1 ||
	    (memfd = memfd_of(MFD_HUGETLB, huge, 0x42, &view)) < 0) {
		write_file("/proc/sys/vm/nr_hugepages", nr);
		SKIP(return, "no 2 MiB huge page to be had (%s)", strerror(errno));
	}
	ASSERT_EQ(free_before - 1, meminfo("HugePages_Free:"));
	ASSERT_OK(ioas_map_file(self->fd, self->ioas, memfd, 0, huge, MAP_RW,
				&iova));
	/* Small batches: a folio spans several, and a pin starts inside it. */
	ASSERT_OK(test_set_batch_limit(self->fd, 7 * sizeof(void *)));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova + 5 * PAGE,
				    100 * PAGE, view + 5 * PAGE, 0, &a));
	ASSERT_OK(test_set_batch_limit(self->fd, 65536));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, huge, view,
				    0, &b));
	ASSERT_EQ(pinned + 512, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, a));
	ASSERT_EQ(pinned + 512, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_destroy_access_pages(self->fd, self->access, b));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, huge, NULL));
	/* Every pin was dropped: the huge page goes back to the pool. */
	munmap(view, huge);
	close(memfd);
	EXPECT_EQ(free_before, meminfo("HugePages_Free:"));
	write_file("/proc/sys/vm/nr_hugepages", nr);
	free(nr);
}

TEST_F(access, pin_failures)
{
	uint64_t ro = 0;
	int plain;

	/* Outside any mapping, or straddling its end. */
	ASSERT_ERRNO(ENOENT, test_access_pages(self->fd, self->access,
					       self->iova + NPAGES * PAGE,
					       PAGE, NULL, 0, NULL));
	ASSERT_ERRNO(ENOENT, test_access_pages(self->fd, self->access,
					       self->iova + (NPAGES - 1) * PAGE,
					       2 * PAGE, NULL, 0, NULL));
	/* Writing to a read-only mapping. */
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas, self->buf, PAGE, &ro,
				 IOMMU_IOAS_MAP_READABLE));
	ASSERT_ERRNO(EPERM, test_access_pages(self->fd, self->access, ro, PAGE,
					      NULL, MOCK_FLAGS_ACCESS_WRITE,
					      NULL));
	/* Pages that are not the user's buffer are reported (and undone). */
	ASSERT_ERRNO(EBADE, test_access_pages(self->fd, self->access,
					      self->iova, PAGE,
					      self->buf + PAGE, 0, NULL));
	ASSERT_ERRNO(EOPNOTSUPP, test_access_pages(self->fd, self->access,
						   self->iova, PAGE, NULL,
						   1u << 5, NULL));
	ASSERT_ERRNO(EBADF, test_access_pages(self->fd, self->fd, self->iova,
					      PAGE, NULL, 0, NULL));
	/* An access created without pin support cannot pin. */
	ASSERT_OK(test_create_access(self->fd, self->ioas, 0, &plain));
	ASSERT_ERRNO(EOPNOTSUPP, test_access_pages(self->fd, plain, self->iova,
						   PAGE, NULL, 0, NULL));
	close(plain);
	ASSERT_OK(test_check_refs(self->fd, self->buf, NPAGES * PAGE, 0));
}

/* Unmapping pinned IOVA asks the access to unpin, then succeeds. */
TEST_F(access, unmap_of_pinned_iova_unpins)
{
	long pinned = iommufd_stat("pinned_pages");
	uint64_t unmapped;

	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova,
				    NPAGES * PAGE, self->buf, 0, NULL));
	ASSERT_OK(test_check_refs(self->fd, self->buf, NPAGES * PAGE, 1));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(NPAGES * PAGE, unmapped);
	ASSERT_OK(test_check_refs(self->fd, self->buf, NPAGES * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
}

TEST_F(access, ioas_busy_while_an_access_is_attached)
{
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, self->ioas));
	close(self->access);
	self->access = -1;
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
}

/*
 * An ID of another type is no IOAS: the access object created on a fresh file
 * takes the ID after the IOAS's.  User space cannot destroy it either (its
 * driver holds it).
 */
TEST(wrong_type_id)
{
	uint64_t iova = 0, val = 0;
	uint32_t ioas, access_id;
	int fd = iommufd_open(), access;
	char *buf = map_anon(PAGE);

	ASSERT_GE(fd, 0);
	ASSERT_OK(ioas_alloc(fd, &ioas));
	if (test_create_access(fd, ioas, 0, &access))
		SKIP(return, "IOMMU_TEST_CMD unavailable: load the module with selftest=1");
	access_id = ioas + 1;
	ASSERT_ERRNO(ENOENT, ioas_map(fd, access_id, buf, PAGE, &iova));
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, access_id, 0, UINT64_MAX, NULL));
	ASSERT_ERRNO(ENOENT, ioas_copy(fd, ioas, access_id, 0, PAGE, &iova,
				       MAP_RW));
	ASSERT_ERRNO(ENOENT, iommufd_option(fd, IOMMU_OPTION_HUGE_PAGES,
					    IOMMU_OPTION_OP_GET, access_id,
					    &val));
	ASSERT_ERRNO(ENOENT, test_add_reserved(fd, access_id, PAGE, PAGE));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(fd, access_id));
	/* Once its driver lets go, the ID is gone. */
	close(access);
	ASSERT_ERRNO(ENOENT, iommufd_destroy(fd, access_id));
	close(fd);
}

TEST_F(access, access_needs_page_alignment)
{
	uint32_t odd;
	int a;

	/* A page-pinning access refuses an IOAS with a sub-page mapping ... */
	ASSERT_OK(ioas_alloc(self->fd, &odd));
	ASSERT_OK(ioas_map_fixed(self->fd, odd, self->buf + 100, 100,
				 PAGE + 100));
	ASSERT_ERRNO(EADDRINUSE,
		     test_create_access(self->fd, odd,
					MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					&a));
	/* ... and while attached, sub-page mappings are refused. */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas,
					    self->buf + 100, 100,
					    NPAGES * PAGE * 4 + 100));
}

TEST_F(access, rw_across_pages_and_areas)
{
	char *second = map_anon(4 * PAGE), out[3 * PAGE], in[3 * PAGE];
	uint64_t base = 1UL << 30;
	unsigned int i, flags[] = { 0, MOCK_ACCESS_RW_SLOW_PATH };
	int plain;

	ASSERT_NE(NULL, second);
	ASSERT_OK(test_create_access(self->fd, self->ioas, 0, &plain));
	/* Two areas back to back, from unrelated buffers. */
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf, 2 * PAGE,
				 base));
	ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, second, 2 * PAGE,
				 base + 2 * PAGE));
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	for (i = 0; i < 2; i++) {
		memset(self->buf, 0, 2 * PAGE);
		memset(second, 0, 2 * PAGE);
		ASSERT_OK(test_access_rw(self->fd, plain, base + PAGE - 50, in,
					 2 * PAGE + 100,
					 flags[i] | MOCK_ACCESS_RW_WRITE));
		ASSERT_EQ(0, memcmp(self->buf + PAGE - 50, in, PAGE + 50));
		ASSERT_EQ(0, memcmp(second, in + PAGE + 50, PAGE + 50));
		memset(out, 0, sizeof(out));
		ASSERT_OK(test_access_rw(self->fd, plain, base + PAGE - 50, out,
					 2 * PAGE + 100, flags[i]));
		ASSERT_EQ(0, memcmp(out, in, 2 * PAGE + 100));
	}
	/* Past the end of the second area, and writes to read-only memory. */
	ASSERT_ERRNO(ENOENT, test_access_rw(self->fd, plain, base + 3 * PAGE,
					    out, PAGE + 1, 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, base + 2 * PAGE, 2 * PAGE,
			     NULL));
	base += 2 * PAGE;
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas, second, PAGE, &base,
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_ERRNO(EPERM, test_access_rw(self->fd, plain, base, in, 10,
					   MOCK_ACCESS_RW_WRITE));
	ASSERT_OK(test_access_rw(self->fd, plain, base, out, 10, 0));
	ASSERT_ERRNO(EINVAL, test_access_rw(self->fd, plain, base, out, 0, 0));
	close(plain);
}

TEST_F(access, replace_ioas)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = self->access,
	};
	uint64_t iova = 0;
	uint32_t other;

	ASSERT_OK(ioas_alloc(self->fd, &other));
	cmd.access_replace_ioas.ioas_id = other;
	ASSERT_OK(ioctl(self->fd, IOMMU_TEST_CMD, &cmd));
	/* The old IOAS is free, the new one held. */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, other));
	ASSERT_OK(ioas_map(self->fd, other, self->buf, PAGE, &iova));
	ASSERT_OK(test_access_pages(self->fd, self->access, iova, PAGE,
				    self->buf, 0, NULL));
	cmd.access_replace_ioas.ioas_id = self->ioas;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_TEST_CMD, &cmd));
}

/*
 * Replacing the IOAS of an access that still has pages pinned through the
 * old one drops those pins first (the driver is told to unmap everything),
 * so the old IOAS can be emptied and destroyed.
 */
TEST_F(access, replace_ioas_while_pinned)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = self->access,
	};
	long pinned = iommufd_stat("pinned_pages");
	uint32_t other;

	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova,
				    4 * PAGE, self->buf, 0, NULL));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 4 * PAGE, 1));
	ASSERT_EQ(pinned + 4, iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_alloc(self->fd, &other));
	cmd.access_replace_ioas.ioas_id = other;
	ASSERT_OK(ioctl(self->fd, IOMMU_TEST_CMD, &cmd));
	ASSERT_OK(test_check_refs(self->fd, self->buf, 4 * PAGE, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
}

static int test_access_replace_ioas(int fd, int access_fd, uint32_t ioas)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* As upstream: an IOAS ID of 0 names no IOAS, it does not detach. */
TEST_F(access, replace_ioas_with_id_0_is_enoent)
{
	uint64_t val;

	ASSERT_ERRNO(ENOENT, test_access_replace_ioas(self->fd, self->access,
						      0));
	/* Still attached: the access pins and copies through the IOAS. */
	ASSERT_OK(test_access_pages(self->fd, self->access, self->iova, PAGE,
				    self->buf, 0, NULL));
	ASSERT_OK(test_access_rw(self->fd, self->access, self->iova, &val,
				 sizeof(val), 0));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, self->ioas));
}

/* One ioctl of a test thread, and what it returned. */
struct access_call {
	pthread_t thread;
	int fd, access;
	uint64_t iova;
	void *uptr;
	uint32_t ioas;
	int rc, err;
};

static void *access_pages_thread(void *arg)
{
	struct access_call *c = arg;

	c->rc = test_access_pages(c->fd, c->access, c->iova, PAGE, c->uptr, 0,
				  NULL);
	c->err = errno;
	return NULL;
}

static void *access_replace_thread(void *arg)
{
	struct access_call *c = arg;

	c->rc = test_access_replace_ioas(c->fd, c->access, c->ioas);
	c->err = errno;
	return NULL;
}

/*
 * While an access moves to another IOAS (the driver unpinning what it holds
 * through the old one), a second move gets EBUSY and copies find no IOAS;
 * once the move is done, the old IOAS is free and the new one held once.
 * The move is held in that window deterministically: a pin whose page check
 * waits on a userfaultfd page holds the test driver's lock, which the
 * driver's unmap callback (called by the move) waits for.
 */
TEST_F(access, replace_ioas_while_another_replace_runs)
{
	struct access_call pin = { .fd = self->fd, .access = self->access,
				   .iova = self->iova };
	struct access_call move = { .fd = self->fd, .access = self->access };
	struct uffd_hold hold;
	uint32_t other, third;
	bool in_window = false;
	uint64_t val;
	int i;

	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(ioas_alloc(self->fd, &third));
	ASSERT_OK(uffd_hold_init(&hold));
	pin.uptr = hold.page;
	ASSERT_OK(pthread_create(&pin.thread, NULL, access_pages_thread, &pin));
	ASSERT_OK(uffd_hold_wait(&hold, 10000));
	move.ioas = other;
	ASSERT_OK(pthread_create(&move.thread, NULL, access_replace_thread,
				 &move));
	/* The move has begun once copies find no IOAS. */
	for (i = 0; i < 1000 && !in_window; i++) {
		in_window = test_access_rw(self->fd, self->access, self->iova,
					   &val, sizeof(val), 0) &&
			    errno == ENOENT;
		if (!in_window)
			usleep(10000);
	}
	EXPECT_TRUE(in_window);
	/* (A pin would wait for the test driver's lock, held by @pin.) */
	if (in_window)
		EXPECT_ERRNO(EBUSY, test_access_replace_ioas(self->fd,
							     self->access,
							     third));
	ASSERT_OK(uffd_hold_release(&hold));
	pthread_join(pin.thread, NULL);
	pthread_join(move.thread, NULL);
	uffd_hold_destroy(&hold);
	/* The held pin's page check failed (the zero page is another page). */
	ASSERT_EQ(-1, pin.rc);
	ASSERT_EQ(EBADE, pin.err);
	ASSERT_EQ(0, move.rc);
	/* Where the access is now: on @other, and @third was never joined. */
	ASSERT_OK(test_check_refs(self->fd, self->buf, NPAGES * PAGE, 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, self->ioas));
	ASSERT_OK(iommufd_destroy(self->fd, third));
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, other));
	ASSERT_OK(ioas_map(self->fd, other, self->buf, PAGE, &val));
	ASSERT_OK(test_access_rw(self->fd, self->access, val, &val,
				 sizeof(val), 0));
	close(self->access);
	self->access = -1;
	ASSERT_OK(ioas_unmap(self->fd, other, 0, UINT64_MAX, NULL));
	ASSERT_OK(iommufd_destroy(self->fd, other));
}

/* A process killed with pages pinned leaves nothing pinned or charged. */
TEST(killed_process_releases_pins)
{
	long pinned = iommufd_stat("pinned_pages");
	int ready[2], status;
	pid_t pid;

	ASSERT_OK(pipe(ready));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = iommufd_open(), access;
		char *buf = map_anon(256 * PAGE);
		uint32_t ioas;
		uint64_t iova;

		if (fd < 0 || !buf || ioas_alloc(fd, &ioas) ||
		    ioas_map(fd, ioas, buf, 256 * PAGE, &iova) ||
		    test_create_access(fd, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &access) ||
		    test_access_pages(fd, access, iova, 256 * PAGE, buf, 0,
				      NULL))
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &status, 1));
	ASSERT_EQ(pinned + 256, iommufd_stat("pinned_pages"));
	ASSERT_OK(kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
}

/* ---- accounting ---------------------------------------------------------- */

/*
 * The accounting tests run as nobody with RLIMIT_MEMLOCK set to a number of
 * pages (root has CAP_IPC_LOCK and is never charged).  The child opens
 * /dev/iommu as root first, then drops privileges.
 */
struct charge_env {
	int fd;
	int fd2;
	uint32_t ioas;
	uint32_t ioas2;
	int access;
	int access2;
};

static int charge_env_setup(struct charge_env *e, unsigned long limit_pages,
			    bool mm_mode)
{
	struct rlimit rl = { limit_pages * PAGE, limit_pages * PAGE };
	uint64_t one = 1;

	e->fd = iommufd_open();
	e->fd2 = iommufd_open();
	if (e->fd < 0 || e->fd2 < 0)
		return -1;
	if (mm_mode &&
	    (iommufd_option(e->fd, IOMMU_OPTION_RLIMIT_MODE,
			    IOMMU_OPTION_OP_SET, 0, &one) ||
	     iommufd_option(e->fd2, IOMMU_OPTION_RLIMIT_MODE,
			    IOMMU_OPTION_OP_SET, 0, &one)))
		return -2;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		return -3;
	if (ioas_alloc(e->fd, &e->ioas) || ioas_alloc(e->fd, &e->ioas2))
		return -4;
	if (test_create_access(e->fd, e->ioas,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			       &e->access) ||
	    test_create_access(e->fd, e->ioas2,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			       &e->access2))
		return -5;
	return 0;
}

/* Map @buf in @ioas and pin it through @access; the access's errno. */
static int map_and_pin(int fd, uint32_t ioas, int access, void *buf,
		       unsigned long npages, uint32_t *item)
{
	uint64_t iova;

	if (ioas_map(fd, ioas, buf, npages * PAGE, &iova))
		return -100 - errno;
	if (test_access_pages(fd, access, iova, npages * PAGE, buf, 0, item))
		return errno;
	return 0;
}

TEST(rlimit_is_enforced_for_unprivileged_users)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE), *b = map_anon(PAGE);

		CHILD_CHECK(1, a && b && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !map_and_pin(e.fd, e.ioas, e.access, a, 8, NULL));
		CHILD_CHECK(3, iommufd_stat("charged_pages") == charged + 8);
		/* The ninth page is over the limit, and nothing sticks. */
		CHILD_CHECK(4, map_and_pin(e.fd, e.ioas, e.access, b, 1, NULL) ==
			       ENOMEM);
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 8);
		CHILD_CHECK(6, !test_check_refs(e.fd, b, PAGE, 0));
		close(e.access);
		CHILD_CHECK(7, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

TEST(same_buffer_two_ioas_charged_once)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE), *b = map_anon(PAGE);

		CHILD_CHECK(1, a && b && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !map_and_pin(e.fd, e.ioas, e.access, a, 8, NULL));
		CHILD_CHECK(3, !map_and_pin(e.fd, e.ioas2, e.access2, a, 8,
					    NULL));
		CHILD_CHECK(4, !test_check_refs(e.fd, a, 8 * PAGE, 2));
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 8);
		/* A distinct buffer still hits the limit. */
		CHILD_CHECK(6, map_and_pin(e.fd, e.ioas, e.access, b, 1, NULL) ==
			       ENOMEM);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/* A memfd mapped by file is charged like memory mapped by address: once. */
TEST(file_maps_charged_once_and_limited)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		uint64_t iova = 0, iova2 = 0;
		char *view;
		int memfd = memfd_of(0, 9 * PAGE, 0, &view);

		CHILD_CHECK(1, memfd >= 0 && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !ioas_map_file(e.fd, e.ioas, memfd, 0, 8 * PAGE,
					      MAP_RW, &iova) &&
			       !ioas_map_file(e.fd, e.ioas2, memfd, 0, 9 * PAGE,
					      MAP_RW, &iova2));
		CHILD_CHECK(3, !test_access_pages(e.fd, e.access, iova,
						  8 * PAGE, NULL, 0, NULL));
		CHILD_CHECK(4, iommufd_stat("charged_pages") == charged + 8);
		/* The same pages through the other IOAS: no more charge. */
		CHILD_CHECK(5, !test_access_pages(e.fd, e.access2, iova2,
						  8 * PAGE, NULL, 0, NULL));
		CHILD_CHECK(6, iommufd_stat("charged_pages") == charged + 8);
		/* A ninth page is over the limit. */
		CHILD_CHECK(7, test_access_pages(e.fd, e.access2,
						 iova2 + 8 * PAGE, PAGE, NULL,
						 0, NULL) && errno == ENOMEM);
		close(e.access);
		CHILD_CHECK(8, iommufd_stat("charged_pages") == charged + 8);
		close(e.access2);
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

TEST(same_buffer_two_files_charged_once)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE);
		uint32_t ioas;
		int access;

		CHILD_CHECK(1, a && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !ioas_alloc(e.fd2, &ioas));
		CHILD_CHECK(3, !test_create_access(e.fd2, ioas,
						   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						   &access));
		CHILD_CHECK(4, !map_and_pin(e.fd, e.ioas, e.access, a, 8, NULL));
		CHILD_CHECK(5, !map_and_pin(e.fd2, ioas, access, a, 8, NULL));
		CHILD_CHECK(6, iommufd_stat("charged_pages") == charged + 8);
		/* Closing the first file moves the charge, not drops it. */
		close(e.access);
		close(e.fd);
		CHILD_CHECK(7, iommufd_stat("charged_pages") == charged + 8);
		close(access);
		CHILD_CHECK(8, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/* When the holder of the charge unpins, another holder takes it over. */
TEST(charge_passes_to_the_remaining_holder)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE), *b = map_anon(PAGE);
		uint32_t first, second;

		CHILD_CHECK(1, a && b && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !map_and_pin(e.fd, e.ioas, e.access, a, 8,
					    &first));
		/* Half of it again, through the other IOAS. */
		CHILD_CHECK(3, !map_and_pin(e.fd, e.ioas2, e.access2, a, 4,
					    &second));
		CHILD_CHECK(4, !test_destroy_access_pages(e.fd, e.access,
							  first));
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 4);
		/* Four pages of room again, and no more. */
		CHILD_CHECK(6, !map_and_pin(e.fd, e.ioas, e.access, b, 1, NULL));
		CHILD_CHECK(7, iommufd_stat("charged_pages") == charged + 5);
		CHILD_CHECK(8, !test_destroy_access_pages(e.fd, e.access2,
							  second));
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged + 1);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/*
 * The same address with other memory behind it is other memory: unmapping
 * and mapping again between two pins cannot be used to pin twice the limit.
 */
TEST(remapped_memory_is_charged_again)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE);

		CHILD_CHECK(1, a && !charge_env_setup(&e, 12, false));
		CHILD_CHECK(2, !map_and_pin(e.fd, e.ioas, e.access, a, 8, NULL));
		/* New memory at the same address. */
		CHILD_CHECK(3, mmap(a, 8 * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				    -1, 0) == a);
		memset(a, 1, 8 * PAGE);
		CHILD_CHECK(4, map_and_pin(e.fd, e.ioas2, e.access2, a, 8,
					   NULL) == ENOMEM);
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 8);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

static long vm_pin_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

TEST(mm_mode_charges_vmpin_once)
{
	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(8 * PAGE), *b = map_anon(PAGE);

		CHILD_CHECK(1, a && b && !charge_env_setup(&e, 8, true));
		CHILD_CHECK(2, vm_pin_kb() == 0);
		CHILD_CHECK(3, !map_and_pin(e.fd, e.ioas, e.access, a, 8, NULL));
		CHILD_CHECK(4, !map_and_pin(e.fd, e.ioas2, e.access2, a, 8,
					    NULL));
		CHILD_CHECK(5, vm_pin_kb() == 8 * PAGE / 1024);
		CHILD_CHECK(6, map_and_pin(e.fd, e.ioas, e.access, b, 1, NULL) ==
			       ENOMEM);
		close(e.access);
		close(e.access2);
		CHILD_CHECK(7, vm_pin_kb() == 0);
	});
}

/* ---- concurrency ---------------------------------------------------------- */

struct churn {
	int fd;
	uint32_t ioas;
	int access;
	char *buf;
	uint64_t iova;
	unsigned int loops;
	int unexpected;		/* first errno outside what the race allows */
};

static void *churn_map_unmap(void *arg)
{
	struct churn *c = arg;
	unsigned int i;

	for (i = 0; i < c->loops && !c->unexpected; i++) {
		if (ioas_map_fixed(c->fd, c->ioas, c->buf, 8 * PAGE, c->iova))
			c->unexpected = errno;
		else if (ioas_unmap(c->fd, c->ioas, c->iova, 8 * PAGE, NULL))
			c->unexpected = errno;
	}
	return NULL;
}

static void *churn_pin(void *arg)
{
	struct churn *c = arg;
	unsigned int i;
	uint32_t item;

	for (i = 0; i < c->loops * 4 && !c->unexpected; i++) {
		if (test_access_pages(c->fd, c->access, c->iova, 8 * PAGE, NULL,
				      0, &item)) {
			/* Not mapped at the moment, or being unmapped. */
			if (errno != ENOENT && errno != EINVAL)
				c->unexpected = errno;
			continue;
		}
		/* The unmap callback may have dropped it already. */
		if (test_destroy_access_pages(c->fd, c->access, item) &&
		    errno != ENOENT)
			c->unexpected = errno;
	}
	return NULL;
}

static void *churn_copy(void *arg)
{
	struct churn *c = arg;
	uint64_t dst;
	unsigned int i;
	uint32_t other;

	if (ioas_alloc(c->fd, &other))
		c->unexpected = errno;
	for (i = 0; i < c->loops && !c->unexpected; i++) {
		dst = 0;
		if (ioas_copy(c->fd, other, c->ioas, c->iova, 8 * PAGE, &dst,
			      MAP_RW)) {
			if (errno != ENOENT)
				c->unexpected = errno;
			continue;
		}
		if (ioas_unmap(c->fd, other, dst, 8 * PAGE, NULL))
			c->unexpected = errno;
	}
	return NULL;
}

/*
 * Map, unmap, copy and access pins race on one IOAS: four map/unmap
 * threads on their own IOVA, a pinner and a copier on one of them.  Every
 * call either works or fails the way the race allows, and nothing stays
 * pinned.
 */
TEST_F(access, concurrent_map_unmap_copy_and_pins)
{
	long pinned = iommufd_stat("pinned_pages");
	struct churn c[6];
	pthread_t t[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		c[i] = (struct churn){
			.fd = self->fd, .ioas = self->ioas,
			.access = self->access, .buf = self->buf + (i % 4) * 8 * PAGE,
			.iova = (1UL << 32) + (i % 4) * (1UL << 24),
			.loops = 300,
		};
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_map_unmap, &c[i]));
	ASSERT_EQ(0, pthread_create(&t[4], NULL, churn_pin, &c[4]));
	ASSERT_EQ(0, pthread_create(&t[5], NULL, churn_copy, &c[5]));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	for (i = 0; i < 6; i++) {
		if (c[i].unexpected)
			TH_LOG("thread %u: %s", i, strerror(c[i].unexpected));
		ASSERT_EQ(0, c[i].unexpected);
	}
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
}

struct closer {
	int access;
	volatile int *go;
};

static void *close_access(void *arg)
{
	struct closer *c = arg;

	while (!*c->go)
		;
	close(c->access);
	return NULL;
}

/*
 * An unmap of memory an access holds, while that access's file is being
 * closed: the notice skips the dying access, whose destroy unpins a moment
 * later.  The unmap waits for that and takes the whole range; it once
 * gave up after a hundred quick retries (EDEADLOCK and a WARNING) when
 * the destroy had not got there yet.
 */
TEST_F(access, unmap_waits_for_an_access_being_destroyed)
{
	long pinned = iommufd_stat("pinned_pages");
	volatile int go;
	struct closer c;
	uint64_t unmapped;
	pthread_t t;
	unsigned int round, i;

	for (round = 0; round < 200; round++) {
		ASSERT_OK(test_create_access(self->fd, self->ioas,
					     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					     &c.access));
		/* Many small pins: the destroy unpins them one by one. */
		for (i = 0; i < NPAGES; i++)
			ASSERT_OK(test_access_pages(self->fd, c.access,
						    self->iova + i * PAGE, PAGE,
						    NULL, 0, NULL));
		go = 0;
		c.go = &go;
		ASSERT_EQ(0, pthread_create(&t, NULL, close_access, &c));
		go = 1;
		ASSERT_OK(ioas_unmap(self->fd, self->ioas, self->iova,
				     NPAGES * PAGE, &unmapped));
		ASSERT_EQ(NPAGES * PAGE, unmapped);
		ASSERT_EQ(0, pthread_join(t, NULL));
		ASSERT_OK(ioas_map_fixed(self->fd, self->ioas, self->buf,
					 NPAGES * PAGE, self->iova));
	}
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
}

/* ---- IOMMU_IOAS_CHANGE_PROCESS -------------------------------------------- */

/* Map @npages of a new memfd and pin them through @access; 0 or errno. */
static int map_file_and_pin(int fd, uint32_t ioas, int access,
			    unsigned long npages)
{
	uint64_t iova = 0;
	char *view;
	int memfd = memfd_of(0, npages * PAGE, 0, &view);

	if (memfd < 0)
		return -1;
	munmap(view, npages * PAGE);
	if (ioas_map_file(fd, ioas, memfd, 0, npages * PAGE, MAP_RW, &iova) ||
	    test_access_pages(fd, access, iova, npages * PAGE, NULL, 0, NULL))
		return errno;
	close(memfd);
	return 0;
}

/*
 * Fork a process of the same user that calls IOMMU_IOAS_CHANGE_PROCESS on
 * @fd with RLIMIT_MEMLOCK @limit pages; it exits with 0 when the call
 * returns @want (0 or an errno) and its own VmPin is then @vmpin pages.
 */
static int change_process_child(int fd, int want, unsigned long limit,
				unsigned long vmpin)
{
	struct rlimit rl = { limit * PAGE, limit * PAGE };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int rc;

		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		rc = change_process(fd, 0) ? errno : 0;
		if (rc != want)
			_exit(11);
		_exit(vm_pin_kb() == (long)(vmpin * PAGE / 1024) ? 0 : 12);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The charge of what is pinned moves to the caller's process, once. */
TEST(change_process_moves_the_charge)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;

		CHILD_CHECK(1, !charge_env_setup(&e, 16, true));
		CHILD_CHECK(2, !map_file_and_pin(e.fd, e.ioas, e.access, 8));
		/* Another memfd through the second IOAS. */
		CHILD_CHECK(3, !map_file_and_pin(e.fd, e.ioas2, e.access2, 2));
		CHILD_CHECK(4, vm_pin_kb() == 10 * PAGE / 1024);
		CHILD_CHECK(5, !change_process_child(e.fd, 0, 16, 10));
		CHILD_CHECK(6, vm_pin_kb() == 0);
		CHILD_CHECK(7, iommufd_stat("charged_pages") == charged + 10);
		/* Called by the owner: nothing to move. */
		CHILD_CHECK(8, !change_process(e.fd, 0));
		close(e.access);
		close(e.access2);
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/*
 * Only this file's maps move: the same pages pinned through another file of
 * the old process stay charged to it (the charge passes to that file's
 * pins), and the new process is charged for its own.
 */
TEST(change_process_leaves_other_files_charged)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		uint64_t iova = 0, iova2 = 0;
		uint32_t ioas3;
		char *view;
		int memfd = memfd_of(0, 8 * PAGE, 0, &view), access3;

		CHILD_CHECK(1, memfd >= 0 && !charge_env_setup(&e, 16, true));
		CHILD_CHECK(2, !ioas_alloc(e.fd2, &ioas3) &&
			       !test_create_access(e.fd2, ioas3,
						   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						   &access3));
		CHILD_CHECK(3, !ioas_map_file(e.fd, e.ioas, memfd, 0, 8 * PAGE,
					      MAP_RW, &iova) &&
			       !ioas_map_file(e.fd2, ioas3, memfd, 0, 8 * PAGE,
					      MAP_RW, &iova2));
		CHILD_CHECK(4, !test_access_pages(e.fd, e.access, iova,
						  8 * PAGE, view, 0, NULL) &&
			       !test_access_pages(e.fd2, access3, iova2,
						  8 * PAGE, view, 0, NULL));
		CHILD_CHECK(5, vm_pin_kb() == 8 * PAGE / 1024);
		CHILD_CHECK(6, iommufd_stat("charged_pages") == charged + 8);
		CHILD_CHECK(7, !change_process_child(e.fd, 0, 16, 8));
		CHILD_CHECK(8, vm_pin_kb() == 8 * PAGE / 1024);
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged + 16);
		close(access3);
		CHILD_CHECK(10, vm_pin_kb() == 0);
		CHILD_CHECK(11, iommufd_stat("charged_pages") == charged + 8);
		close(e.access);
		CHILD_CHECK(12, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/* The new process's limit refuses: every map stays with the old one. */
TEST(change_process_is_all_or_nothing)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;
		int i;

		CHILD_CHECK(1, !charge_env_setup(&e, 16, true));
		/* Three maps of 2 pages under a limit of 4: the last fails. */
		for (i = 0; i < 3; i++)
			CHILD_CHECK(2, !map_file_and_pin(e.fd, e.ioas, e.access,
							 2));
		CHILD_CHECK(3, vm_pin_kb() == 6 * PAGE / 1024);
		CHILD_CHECK(4, !change_process_child(e.fd, ENOMEM, 4, 0));
		CHILD_CHECK(5, vm_pin_kb() == 6 * PAGE / 1024);
		CHILD_CHECK(6, iommufd_stat("charged_pages") == charged + 6);
		/* With room for all of it, it moves. */
		CHILD_CHECK(7, !change_process_child(e.fd, 0, 6, 6));
		CHILD_CHECK(8, vm_pin_kb() == 0);
		close(e.access);
		CHILD_CHECK(9, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

/*
 * Charged to the user: a user at its limit can still hand its maps to
 * another of its processes (the charge is released before it is taken).
 */
TEST(change_process_within_a_user_at_its_limit)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		struct charge_env e;

		CHILD_CHECK(1, !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !map_file_and_pin(e.fd, e.ioas, e.access, 8));
		CHILD_CHECK(3, iommufd_stat("charged_pages") == charged + 8);
		CHILD_CHECK(4, !change_process_child(e.fd, 0, 8, 0));
		CHILD_CHECK(5, iommufd_stat("charged_pages") == charged + 8);
		close(e.access);
		CHILD_CHECK(6, iommufd_stat("charged_pages") == charged);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

TEST(change_process_errors)
{
	RUN_AS_CHILD({
		struct charge_env e;
		char *a = map_anon(PAGE);
		uint64_t iova;

		CHILD_CHECK(1, a && !charge_env_setup(&e, 16, true));
		CHILD_CHECK(2, !map_file_and_pin(e.fd, e.ioas, e.access, 2));
		CHILD_CHECK(3, change_process(e.fd, 1) && errno == EOPNOTSUPP);
		/* Memory mapped by address cannot change process. */
		CHILD_CHECK(4, !ioas_map(e.fd, e.ioas2, a, PAGE, &iova));
		CHILD_CHECK(5, !test_access_pages(e.fd, e.access2, iova, PAGE,
						  a, 0, NULL));
		CHILD_CHECK(6, change_process_child(e.fd, EINVAL, 16, 0) == 0);
		CHILD_CHECK(7, vm_pin_kb() == 3 * PAGE / 1024);
		CHILD_CHECK(8, !ioas_unmap(e.fd, e.ioas2, iova, PAGE, NULL));
		CHILD_CHECK(9, !change_process_child(e.fd, 0, 16, 2));
		CHILD_CHECK(10, vm_pin_kb() == 0);
	});
}

/* ---- MMIO: a PCI BAR, mapped for peer-to-peer DMA ---------------------- */

#define BAR_LEN (16 * PAGE)

/*
 * The BAR (an edu device's, through its PCI resource file: VM_IO |
 * VM_PFNMAP, as vfio-pci maps one for a VMM) is mapped into a domain from
 * its physical address, never pinned; a copy maps it too; an unmap takes
 * it out of the domain.  A second mmap of the same BAR (@view) is what the
 * IOPTEs are checked against.
 */
TEST_F(ioas, mmio_bar_is_mapped_not_pinned)
{
	char *bar = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	char *view = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	uint64_t iova, iova2 = 0, unmapped;
	uint32_t hwpt, hwpt2, ioas2;
	long pinned;

	ASSERT_NE(NULL, bar);
	ASSERT_NE(NULL, view);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt, NULL));
	pinned = iommufd_stat("pinned_pages");
	ASSERT_OK(ioas_map(self->fd, self->ioas, bar, BAR_LEN, &iova));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, view, BAR_LEN));
	/* A copy into another IOAS maps the same MMIO there. */
	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(test_mock_domain(self->fd, ioas2, 0, NULL, &hwpt2, NULL));
	ASSERT_OK(ioas_copy(self->fd, ioas2, self->ioas, iova, BAR_LEN, &iova2,
			    MAP_RW));
	ASSERT_OK(test_check_map(self->fd, hwpt2, iova2, view, BAR_LEN));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	/* Unmapped: gone from its domain, still in the copy's. */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, BAR_LEN, &unmapped));
	ASSERT_EQ(BAR_LEN, unmapped);
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt, iova, view, BAR_LEN));
	ASSERT_OK(test_check_map(self->fd, hwpt2, iova2, view, BAR_LEN));
	/* A domain attached later gets it too. */
	ASSERT_OK(test_mock_domain(self->fd, ioas2, 0, NULL, &hwpt, NULL));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova2, view, BAR_LEN));
	munmap(bar, BAR_LEN);
	munmap(view, BAR_LEN);
}

/* No struct page to hand an emulated device: EINVAL, as type1 answers. */
TEST_F(access, mmio_refuses_access_pins_and_rw)
{
	char *bar = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	char data[16];
	uint64_t iova;

	ASSERT_NE(NULL, bar);
	ASSERT_OK(ioas_map(self->fd, self->ioas, bar, BAR_LEN, &iova));
	ASSERT_ERRNO(EINVAL, test_access_pages(self->fd, self->access, iova,
					       PAGE, NULL, 0, NULL));
	ASSERT_ERRNO(EINVAL, test_access_rw(self->fd, self->access, iova, data,
					    sizeof(data), 0));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, BAR_LEN, NULL));
	munmap(bar, BAR_LEN);
}

/*
 * The BAR's mmap going away revokes the mapping: its IOPTEs leave every
 * domain at once (the device file the mmap held may then close), a domain
 * attached later maps nothing of it, and the IOVA stays taken until the
 * unmap, which returns the whole length.
 */
TEST_F(ioas, mmio_munmap_revokes)
{
	char *bar = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	char *view = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	uint64_t iova, other, unmapped;
	uint32_t hwpt, hwpt2;

	ASSERT_NE(NULL, bar);
	ASSERT_NE(NULL, view);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt, NULL));
	ASSERT_OK(ioas_map(self->fd, self->ioas, bar, BAR_LEN, &iova));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, view, BAR_LEN));
	ASSERT_OK(munmap(bar, BAR_LEN));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt, iova, view, PAGE));
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt2, NULL));
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt2, iova, view, PAGE));
	other = iova;
	ASSERT_ERRNO(EEXIST, ioas_map_flags(self->fd, self->ioas, self->buf, PAGE,
					    &other,
					    MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, BAR_LEN, &unmapped));
	ASSERT_EQ(BAR_LEN, unmapped);
	munmap(view, BAR_LEN);
}

/* The process that mapped the BAR exiting revokes it as well. */
TEST_F(ioas, mmio_owner_exit_revokes)
{
	char *view = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	uint64_t iova = MOCK_APERTURE_START + (4UL << 20), unmapped;
	int status, mapped[2], go[2];
	uint32_t hwpt;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, view);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt, NULL));
	ASSERT_OK(pipe(mapped));
	ASSERT_OK(pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *bar = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);

		close(mapped[0]);
		close(go[1]);
		if (!bar || ioas_map_fixed(self->fd, self->ioas, bar, BAR_LEN,
					   iova))
			_exit(1);
		if (write(mapped[1], "m", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(mapped[1]);
	close(go[0]);
	ASSERT_EQ(1, read(mapped[0], &c, 1));
	ASSERT_OK(test_check_map(self->fd, hwpt, iova, view, BAR_LEN));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_ERRNO(EINVAL, test_check_map(self->fd, hwpt, iova, view, PAGE));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, BAR_LEN, &unmapped));
	ASSERT_EQ(BAR_LEN, unmapped);
	close(mapped[0]);
	munmap(view, BAR_LEN);
}

/*
 * Mapped only from MMIO of one mmap: a range running past the BAR's vma,
 * or a writable map of a read-only mmap, is EFAULT when it is mapped into
 * a domain (without one, when a domain is attached).
 */
TEST_F(ioas, mmio_errors)
{
	char *ro = map_pci_bar(BAR_LEN, PROT_READ);
	char *rw = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
	char *hole = mmap(NULL, BAR_LEN + PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t hwpt, ioas2, stdev;
	uint64_t iova = 0;
	long pinned = iommufd_stat("pinned_pages");

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, rw);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_OK(test_mock_domain(self->fd, self->ioas, 0, NULL, &hwpt, NULL));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas, ro, BAR_LEN, &iova));
	iova = 0;
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas, ro, BAR_LEN, &iova,
				 IOMMU_IOAS_MAP_READABLE));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas, iova, BAR_LEN, NULL));
	/* The BAR, then a page that is not MMIO. */
	ASSERT_EQ(hole, map_pci_bar_at(hole, BAR_LEN, PROT_READ | PROT_WRITE));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas, hole, BAR_LEN + PAGE,
				      &iova));
	/* Without a domain the map is taken, and the attach fails instead. */
	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	iova = MOCK_APERTURE_START + (1UL << 20);
	ASSERT_OK(ioas_map_flags(self->fd, ioas2, hole, BAR_LEN + PAGE, &iova,
				 MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_ERRNO(EFAULT, test_mock_domain(self->fd, ioas2, 0, &stdev, &hwpt,
					      NULL));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	munmap(ro, BAR_LEN);
	munmap(rw, BAR_LEN);
	munmap(hole, BAR_LEN + PAGE);
}

/*
 * Nothing of MMIO is charged: an unprivileged process whose
 * RLIMIT_MEMLOCK allows 8 pages maps 16 of BAR into a domain, and its 9th
 * page of memory is still refused.
 */
TEST(mmio_is_never_charged)
{
	long charged = iommufd_stat("charged_pages");

	RUN_AS_CHILD({
		char *bar = map_pci_bar(BAR_LEN, PROT_READ | PROT_WRITE);
		char *a = map_anon(9 * PAGE);
		struct charge_env e;
		uint64_t iova;

		CHILD_CHECK(1, bar && a && !charge_env_setup(&e, 8, false));
		CHILD_CHECK(2, !test_mock_domain(e.fd, e.ioas, 0, NULL, NULL,
						 NULL));
		CHILD_CHECK(3, !ioas_map(e.fd, e.ioas, bar, BAR_LEN, &iova));
		CHILD_CHECK(4, iommufd_stat("charged_pages") == charged);
		CHILD_CHECK(5, !map_and_pin(e.fd, e.ioas2, e.access2, a, 8,
					    NULL));
		CHILD_CHECK(6, map_and_pin(e.fd, e.ioas2, e.access2, a + 8 * PAGE,
					   1, NULL) == ENOMEM);
	});
	ASSERT_EQ(charged, iommufd_stat("charged_pages"));
}

TEST_HARNESS_MAIN
