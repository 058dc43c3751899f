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
	ASSERT_EQ(0, p.faults);
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

/*
 * Page faults go to the fault queue's owner, and so do their answers:
 * user space's, and the module's when the device leaves unanswered ones.
 */
TEST_F(collector, counts_faults_and_their_answers)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_hwpt_page_response resp = {};
	struct iommu_hwpt_pgfault msg[2];
	uint32_t ioas, stdev, dev, parent, fault, nested;
	struct iommutop_proc p;
	int fault_fd;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, &stdev, NULL, &dev));
	ASSERT_OK(hwpt_alloc(self->fd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
			     &parent));
	ASSERT_OK(fault_queue_alloc(self->fd, 0, &fault, &fault_fd));
	ASSERT_OK(hwpt_alloc_nested(self->fd, dev, parent,
				    IOMMU_HWPT_FAULT_ID_VALID,
				    IOMMU_HWPT_DATA_SELFTEST, &data,
				    sizeof(data), fault, &nested));
	ASSERT_OK(test_replace(self->fd, stdev, nested, NULL));
	ASSERT_OK(test_trigger_iopf(self->fd, dev, 0, 1, 1, 0x1000));
	ASSERT_OK(test_trigger_iopf(self->fd, dev, 0, 2, 1, 0x2000));
	ASSERT_EQ(2 * sizeof(msg[0]), read(fault_fd, msg, sizeof(msg)));
	resp.cookie = msg[0].cookie;
	ASSERT_EQ(sizeof(resp), write(fault_fd, &resp, sizeof(resp)));
	ASSERT_OK(lookup(self->skel, &p));
	ASSERT_EQ(2, p.faults);
	ASSERT_EQ(1, p.fault_responses);
	/* The device leaves: the other group is answered for it. */
	ASSERT_OK(test_replace(self->fd, stdev, ioas, NULL));
	ASSERT_OK(lookup(self->skel, &p));
	ASSERT_EQ(2, p.faults);
	ASSERT_EQ(2, p.fault_responses);
	close(fault_fd);
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
