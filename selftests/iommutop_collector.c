// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf/iommutop.bpf.c, iommutop's collector, against a workload with known
 * numbers: the per-process counts it aggregates from the module's
 * tracepoints must be exact.
 */
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "iommutop.h"
#include "iommutop.skel.h"

#define PAGE 4096UL
#define IOVA (MOCK_APERTURE_START + (1UL << 20))

FIXTURE(collector) {
	int fd;
	struct iommutop_bpf *skel;
	char *buf;
};

FIXTURE_SETUP(collector)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->skel = iommutop_bpf__open();
	ASSERT_NE(NULL, self->skel);
	self->skel->rodata->only_tgid = getpid();
	ASSERT_OK(iommutop_bpf__load(self->skel));
	ASSERT_OK(iommutop_bpf__attach(self->skel));
	self->buf = mmap(NULL, 32 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(collector)
{
	iommutop_bpf__destroy(self->skel);
	close(self->fd);
}

static int lookup(struct iommutop_bpf *skel, struct iommutop_proc *p)
{
	__u32 tgid = getpid();

	return bpf_map__lookup_elem(skel->maps.procs, &tgid, sizeof(tgid), p,
				    sizeof(*p), 0);
}

TEST_F(collector, counts_a_known_workload)
{
	struct iommutop_proc p;
	uint32_t ioas, hwpt;
	uint64_t lat = 0, min_ns = 0;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt, NULL));
	for (int i = 0; i < 5; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf + i * 4 * PAGE,
					 4 * PAGE, IOVA + i * 8 * PAGE));
	for (int i = 0; i < 5; i++)
		ASSERT_OK(ioas_unmap(self->fd, ioas, IOVA + i * 8 * PAGE,
				     4 * PAGE, NULL));
	/* A failed map is not a map. */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, ioas, self->buf, PAGE,
					    1));

	ASSERT_OK(lookup(self->skel, &p));
	ASSERT_EQ(0, strncmp("iommutop_collec", p.comm, 15));
	ASSERT_EQ(5, p.maps);
	ASSERT_EQ(5 * 4 * PAGE, p.map_bytes);
	ASSERT_EQ(5, p.unmaps);
	ASSERT_EQ(5 * 4 * PAGE, p.unmap_bytes);
	ASSERT_EQ(20, p.pinned);
	ASSERT_EQ(20, p.unpinned);
	/* One domain: one sync per unmap call. */
	ASSERT_EQ(5, p.iotlb_syncs);
	ASSERT_EQ(20, p.iotlb_pages);
	ASSERT_EQ(0, p.denials);
	/* Root is not charged. */
	ASSERT_EQ(0, p.charged);
	/* Each map in its bucket: the time is at least each bucket's start. */
	for (int i = 0; i < IOMMUTOP_LAT_BUCKETS; i++) {
		lat += p.map_lat[i];
		min_ns += p.map_lat[i] << i;
	}
	ASSERT_EQ(5, lat);
	ASSERT_GE(p.map_ns, min_ns);
	ASSERT_LT(p.map_ns, 2 * min_ns);
}

TEST_F(collector, other_processes_are_not_counted)
{
	struct iommutop_proc p;
	uint32_t ioas;
	pid_t pid;
	int status;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		uint64_t iova;

		_exit(ioas_map(self->fd, ioas, self->buf, PAGE, &iova) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* Only this process was asked for; it did nothing yet. */
	ASSERT_NE(0, lookup(self->skel, &p));
}

TEST_HARNESS_MAIN
