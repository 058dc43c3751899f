// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf/iommutop.bpf.c, iommutop's collector: what it counts per process
 * (page faults and their answers) must be exact, it counts only the
 * process it was asked for, and the hot path (map, unmap, pin, unpin, IOTLB
 * sync), which the module counts itself (selftests/snapshot), runs none of
 * its programs.
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

/*
 * Maps, unmaps, pins, unpins and IOTLB syncs: with the collector attached,
 * none of them makes an entry (no program ran for them).
 */
TEST_F(collector, the_hot_path_runs_no_program)
{
	struct iommutop_proc p;
	uint32_t ioas, hwpt;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt, NULL));
	for (int i = 0; i < 5; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf + i * 4 * PAGE,
					 4 * PAGE, IOVA + i * 8 * PAGE));
	for (int i = 0; i < 5; i++)
		ASSERT_OK(ioas_unmap(self->fd, ioas, IOVA + i * 8 * PAGE,
				     4 * PAGE, NULL));
	ASSERT_NE(0, lookup(self->skel, &p));
	ASSERT_EQ(ENOENT, errno);
}

/*
 * Page faults go to the fault queue's owner, and so do their answers:
 * user space's, and the module's when the device leaves unanswered ones.
 */
/*
 * On @fd: a mock device on a nested HWPT with a fault queue, two page
 * faults raised and read, the first answered.  *@stdev and *@ioas for the
 * caller to move the device away; the queue's file in *@fault_fd.  0, or
 * the line of the first step that failed.
 */
static int two_faults_one_answer(int fd, uint32_t *stdev, uint32_t *ioas,
				 int *fault_fd)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	struct iommu_hwpt_page_response resp = {};
	struct iommu_hwpt_pgfault msg[2];
	uint32_t dev, parent, fault, nested;

	if (ioas_alloc(fd, ioas) ||
	    test_mock_domain(fd, *ioas, 0, stdev, NULL, &dev) ||
	    hwpt_alloc(fd, dev, *ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent) ||
	    fault_queue_alloc(fd, 0, &fault, fault_fd))
		return __LINE__;
	if (hwpt_alloc_nested(fd, dev, parent, IOMMU_HWPT_FAULT_ID_VALID,
			      IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			      fault, &nested) ||
	    test_replace(fd, *stdev, nested, NULL) ||
	    test_trigger_iopf(fd, dev, 0, 1, 1, 0x1000) ||
	    test_trigger_iopf(fd, dev, 0, 2, 1, 0x2000))
		return __LINE__;
	if (read(*fault_fd, msg, sizeof(msg)) != 2 * sizeof(msg[0]))
		return __LINE__;
	resp.cookie = msg[0].cookie;
	if (write(*fault_fd, &resp, sizeof(resp)) != sizeof(resp))
		return __LINE__;
	return 0;
}

/*
 * Page faults go to the fault queue's owner, and so do their answers:
 * user space's, and the module's when the device leaves unanswered ones.
 */
TEST_F(collector, counts_faults_and_their_answers)
{
	uint32_t stdev, ioas;
	struct iommutop_proc p;
	int fault_fd;

	ASSERT_EQ(0, two_faults_one_answer(self->fd, &stdev, &ioas, &fault_fd));
	ASSERT_OK(lookup(self->skel, &p));
	ASSERT_EQ(0, strncmp("iommutop_collec", p.comm, 15));
	ASSERT_EQ(2, p.faults);
	ASSERT_EQ(1, p.fault_responses);
	ASSERT_EQ(0, p.denials);
	/* The device leaves: the other group is answered for it. */
	ASSERT_OK(test_replace(self->fd, stdev, ioas, NULL));
	ASSERT_OK(lookup(self->skel, &p));
	ASSERT_EQ(2, p.faults);
	ASSERT_EQ(2, p.fault_responses);
	close(fault_fd);
}

/* A child's faults, on a file of its own: not counted, for it or us. */
TEST_F(collector, other_processes_are_not_counted)
{
	struct iommutop_proc p;
	__u32 child;
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		uint32_t stdev, ioas;
		int fd = iommufd_open(), fault_fd;

		_exit(fd < 0 ? 1 : two_faults_one_answer(fd, &stdev, &ioas,
							  &fault_fd));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* Only this process was asked for; it did nothing yet. */
	ASSERT_NE(0, lookup(self->skel, &p));
	child = pid;
	ASSERT_NE(0, bpf_map__lookup_elem(self->skel->maps.procs, &child,
					  sizeof(child), &p, sizeof(p), 0));
}

TEST_HARNESS_MAIN
