// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every failure point swept.  The module asks iommufd_should_fail() before
 * each allocation, insertion, pin, map, domain allocation and attach; with
 * IOMMU_TEST_OP_BPF_FAIL_NTH the Nth point the calling thread reaches fails
 * with ENOMEM.  Each scenario below runs its operation with N = 1, 2, ...
 * until the operation gets through without the countdown firing, and after
 * every injected failure checks that the operation answered ENOMEM and
 * that, once its file is closed, nothing is left: the module's counts of
 * contexts, objects, pinned and charged pages and PFN chunks are as before,
 * and no page of the buffer is still pinned.
 *
 * At the end, the points the sweeps reached (debugfs fail_points, since
 * the module was loaded) are compared with the points in the source (run
 * from the project's top): every one must have been reached, and any that
 * was not is named.
 */
#include <bpf/libbpf.h>
#include <linux/vfio.h>
#include <pthread.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "vfio_utils.h"
#include <linux/iommufd_policy.h>
#include "policy_test.skel.h"

#define PAGE 4096UL
#define NPAGES 16
#define BUF_SIZE (NPAGES * PAGE)
/* Inside the mock aperture. */
#define IOVA (MOCK_APERTURE_START + (1UL << 20))
#define MAX_NTH 2000
#define FAIL_POINTS "/sys/kernel/debug/iommufd_bpf/fail_points"

static char *buf;
/* A memfd of BUF_SIZE and its view; a 2 MiB hugetlbfs memfd, or -1. */
static int memfd, huge_memfd = -1;
static char *fview;

/* What an operation works on; filled by its scenario's setup. */
struct env {
	int fd, fd2, group;
	uint32_t ioas, ioas2, stdev, dev_id, hwpt, hwpt2;
	int access;
	uint64_t iova;
	struct policy_test_bpf *skel;
	struct bpf_link *link;
};

/*
 * @absorbed_by_type1: VFIO tries its next backend (vfio_iommu_type1) when
 * this module's refuses a container, so an injected failure there may end
 * in a container served by type1 rather than in ENOMEM.
 */
struct scenario {
	int (*setup)(struct env *e);
	int (*op)(struct env *e);
	bool absorbed_by_type1;
};

static int fail_nth(int fd, uint32_t nth, uint32_t *remaining)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_FAIL_NTH,
		.bpf_fail_nth = { .nth = nth },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc && remaining)
		*remaining = cmd.bpf_fail_nth.out_remaining;
	return rc;
}

static void env_close(struct env *e)
{
	if (e->link)
		bpf_link__destroy(e->link);
	if (e->skel)
		policy_test_bpf__destroy(e->skel);
	if (e->access > 0)
		close(e->access);
	if (e->fd2 > 0)
		close(e->fd2);
	if (e->group > 0)
		close(e->group);
	if (e->fd >= 0)
		close(e->fd);
}

/*
 * Sweep @sc: returns the number of failure points the operation passes on
 * its way through.
 */
static unsigned int sweep(struct __test_metadata *_metadata,
			  const struct scenario *sc)
{
	char before[1024], after[1024];
	uint32_t nth, remaining = 0;
	int rc, err, check;

	iommufd_counts(before, sizeof(before));
	for (nth = 1; nth < MAX_NTH; nth++) {
		struct env e = { .fd = iommufd_open(), .access = -1,
				 .fd2 = -1, .group = -1 };

		ASSERT_LE(0, e.fd);
		if (sc->setup)
			ASSERT_OK(sc->setup(&e));
		ASSERT_OK(fail_nth(e.fd, nth, NULL));
		rc = sc->op(&e);
		err = errno;
		ASSERT_OK(fail_nth(e.fd, 0, &remaining));
		if (!remaining && rc != -1)
			TH_LOG("nth %u: the failure was absorbed (returned %d)",
			       nth, rc);
		env_close(&e);
		if (remaining) {
			/* Fewer than nth points: the operation got through. */
			ASSERT_EQ(0, rc);
			break;
		}
		if (!(sc->absorbed_by_type1 && !rc)) {
			EXPECT_EQ(-1, rc);
			EXPECT_EQ(ENOMEM, err);
		}
		iommufd_counts(after, sizeof(after));
		EXPECT_EQ(0, strcmp(before, after));
		if (strcmp(before, after))
			TH_LOG("nth %u left:\n%s\nwas:\n%s", nth, after, before);
		check = iommufd_open();
		EXPECT_EQ(0, test_check_refs(check, buf, BUF_SIZE, 0));
		EXPECT_EQ(0, test_check_refs(check, fview, BUF_SIZE, 0));
		close(check);
		if (_metadata->exit_code == KSFT_FAIL)
			break;
	}
	ASSERT_GT(MAX_NTH, nth);
	iommufd_counts(after, sizeof(after));
	ASSERT_EQ(0, strcmp(before, after));
	return nth - 1;
}

static bool have_mock_iommu(void)
{
	int fd = iommufd_open();
	bool have = fd >= 0 && mock_iommu_available(fd);

	close(fd);
	return have;
}

#define SWEEP(name, setup_fn, op_fn, ...)                                     \
	TEST(fail_nth_##name)                                                  \
	{                                                                      \
		const struct scenario sc = { .setup = setup_fn, .op = op_fn,   \
					     __VA_ARGS__ };                    \
		unsigned int points;                                           \
									       \
		if (!have_mock_iommu())                                        \
			SKIP(return, "no mock IOMMU: load the module with selftest=1"); \
		points = sweep(_metadata, &sc);                                \
		TH_LOG(#name ": %u failure points on the way", points);        \
		ASSERT_LT(0, points);                                          \
	}

/* --- the operations ------------------------------------------------------- */

static int op_ioas_alloc(struct env *e)
{
	return ioas_alloc(e->fd, &e->ioas);
}

static int setup_ioas(struct env *e)
{
	return ioas_alloc(e->fd, &e->ioas);
}

static int op_map(struct env *e)
{
	return ioas_map_fixed(e->fd, e->ioas, buf, BUF_SIZE, IOVA);
}

static int op_map_file(struct env *e)
{
	uint64_t iova = IOVA;

	return ioas_map_file(e->fd, e->ioas, memfd, 0, BUF_SIZE,
			     IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			     IOMMU_IOAS_MAP_FIXED_IOVA, &iova);
}

/* 16 pages from inside a 2 MiB folio: one pin each, taken one by one. */
static int op_map_huge_file(struct env *e)
{
	uint64_t iova = IOVA;

	return ioas_map_file(e->fd, e->ioas, huge_memfd, 8 * PAGE, 16 * PAGE,
			     IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			     IOMMU_IOAS_MAP_FIXED_IOVA, &iova);
}

static int setup_file_mapped(struct env *e)
{
	return setup_ioas(e) ?: op_map_file(e);
}

static int op_change_process(struct env *e)
{
	return change_process(e->fd, 0);
}

static int setup_one_domain(struct env *e)
{
	return setup_ioas(e) ?:
	       test_mock_domain(e->fd, e->ioas, 0, &e->stdev, &e->hwpt,
				&e->dev_id);
}

/* Two domains: a huge-IOVA device cannot share the other's. */
static int setup_two_domains(struct env *e)
{
	return setup_one_domain(e) ?:
	       test_mock_domain(e->fd, e->ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA,
				NULL, &e->hwpt2, NULL);
}

static int setup_two_domains_mapped(struct env *e)
{
	return setup_two_domains(e) ?: op_map(e);
}

static int op_unmap(struct env *e)
{
	return ioas_unmap(e->fd, e->ioas, IOVA, BUF_SIZE, NULL);
}

/* 16 pages of a PCI BAR (MMIO, resolved rather than pinned). */
static char *bar;

static int setup_bar_one_domain(struct env *e)
{
	if (!bar)
		bar = map_pci_bar(16 * PAGE, PROT_READ | PROT_WRITE);
	return bar ? setup_one_domain(e) : -1;
}

static int op_map_bar(struct env *e)
{
	return ioas_map_fixed(e->fd, e->ioas, bar, 16 * PAGE, IOVA);
}

static int setup_copy(struct env *e)
{
	return setup_ioas(e) ?: op_map(e) ?:
	       ioas_alloc(e->fd, &e->ioas2) ?:
	       test_mock_domain(e->fd, e->ioas2, 0, NULL, NULL, NULL);
}

static int op_copy(struct env *e)
{
	uint64_t dst = IOVA + (64UL << 20);

	return ioas_copy(e->fd, e->ioas2, e->ioas, IOVA, BUF_SIZE, &dst,
			 IOMMU_IOAS_MAP_FIXED_IOVA | MAP_RW);
}

static int setup_mock_device(struct env *e)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	uint32_t index;

	return setup_ioas(e) ?: op_map(e) ?:
	       test_bpf_mock_device(e->fd, &spec, &e->stdev, &index);
}

static int op_bind(struct env *e)
{
	return test_bpf_bind(e->fd, e->stdev, &e->dev_id);
}

static int setup_bound(struct env *e)
{
	return setup_mock_device(e) ?: op_bind(e);
}

static int op_attach(struct env *e)
{
	return test_bpf_attach(e->fd, e->stdev, e->ioas, &e->hwpt);
}

static int op_hwpt_alloc(struct env *e)
{
	return hwpt_alloc(e->fd, e->dev_id, e->ioas, 0, &e->hwpt2);
}

static int setup_replace_ioas(struct env *e)
{
	return setup_bound(e) ?: op_attach(e) ?:
	       ioas_alloc(e->fd, &e->ioas2) ?:
	       ioas_map_fixed(e->fd, e->ioas2, buf, BUF_SIZE, IOVA);
}

static int op_replace_ioas(struct env *e)
{
	return test_replace(e->fd, e->stdev, e->ioas2, NULL);
}

static int setup_replace_hwpt(struct env *e)
{
	return setup_replace_ioas(e) ?:
	       hwpt_alloc(e->fd, e->dev_id, e->ioas2, 0, &e->hwpt2);
}

static int op_replace_hwpt(struct env *e)
{
	return test_replace(e->fd, e->stdev, e->hwpt2, NULL);
}

static int op_create_access(struct env *e)
{
	return test_create_access(e->fd, e->ioas,
				  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				  &e->access);
}

static int setup_access(struct env *e)
{
	return setup_ioas(e) ?: op_map(e) ?: op_create_access(e);
}

static int op_access_pin(struct env *e)
{
	return test_access_pages(e->fd, e->access, IOVA, BUF_SIZE, buf, 0,
				 NULL);
}

static int op_access_rw(struct env *e)
{
	char data[3 * PAGE];

	return test_access_rw(e->fd, e->access, IOVA + 100, data,
			      sizeof(data), 0);
}

/* The VFIO type1 interface (@type) on /dev/iommu, over a mock domain. */
static int setup_vfio_compat_type(struct env *e, unsigned long type)
{
	struct iommu_vfio_ioas set = {
		.size = sizeof(set),
		.op = IOMMU_VFIO_IOAS_SET,
	};

	if (setup_one_domain(e))
		return -1;
	set.ioas_id = e->ioas;
	if (ioctl(e->fd, IOMMU_VFIO_IOAS, &set) ||
	    ioctl(e->fd, VFIO_SET_IOMMU, type) < 0)
		return -1;
	return 0;
}

static int setup_vfio_compat(struct env *e)
{
	return setup_vfio_compat_type(e, VFIO_TYPE1v2_IOMMU);
}

static int op_vfio_map(struct env *e)
{
	return map_dma(e->fd, buf, BUF_SIZE, IOVA);
}

static int setup_vfio_dirty(struct env *e)
{
	return setup_vfio_compat(e) ?: op_vfio_map(e) ?:
	       dirty_pages(e->fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static int op_vfio_dirty_bitmap(struct env *e)
{
	uint64_t bits = 0;

	return dirty_bitmap(e->fd, IOVA, BUF_SIZE, PAGE, &bits, sizeof(bits));
}

static int setup_policy(struct env *e)
{
	e->skel = policy_test_bpf__open_and_load();
	return e->skel ? 0 : -1;
}

static int op_policy_load(struct env *e)
{
	e->link = bpf_map__attach_struct_ops(e->skel->maps.first);
	return e->link ? 0 : -1;
}

static int op_allow_iovas(struct env *e)
{
	struct iommu_iova_range ranges[] = {
		{ .start = IOVA, .last = IOVA + BUF_SIZE - 1 },
		{ .start = IOVA + 2 * BUF_SIZE, .last = IOVA + 3 * BUF_SIZE - 1 },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = e->ioas,
		.num_iovas = 2,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(e->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static int op_open(struct env *e)
{
	e->fd2 = iommufd_open();
	return e->fd2 < 0 ? -1 : 0;
}

/* A snapshot read, and the decision log's (debugfs). */
static int read_debugfs(const char *path)
{
	char text[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text));
	err = errno;
	close(fd);
	errno = err;
	return len < 0 ? -1 : 0;
}

static int op_read_contexts(struct env *e __attribute__((unused)))
{
	return read_debugfs("/sys/kernel/debug/iommufd_bpf/contexts");
}

static int op_read_decisions(struct env *e __attribute__((unused)))
{
	return read_debugfs("/sys/kernel/debug/iommufd_bpf/decisions");
}

/* With large pages off, each page is mapped by a call of its own. */
static int setup_one_domain_small_pages(struct env *e)
{
	uint64_t off = 0;

	return setup_one_domain(e) ?:
	       iommufd_option(e->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, e->ioas, &off);
}

/* A device whose MSI doorbell the IOMMU translates needs a cookie. */
static int setup_sw_msi_device(struct env *e)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = 4,	/* IOMMU_RESV_SW_MSI */
		.resv_start = 0x8000000,
		.resv_length = 0x100000,
	};
	uint32_t index;

	return setup_ioas(e) ?: op_map(e) ?:
	       test_bpf_mock_device(e->fd, &spec, &e->stdev, &index) ?:
	       op_bind(e);
}

/* Type1 (v1) unmaps part of a mapping: the area is cut in two. */
static int setup_vfio_v1_mapped(struct env *e)
{
	return setup_vfio_compat_type(e, VFIO_TYPE1_IOMMU) ?:
	       map_dma(e->fd, buf, BUF_SIZE, IOVA);
}

static int op_vfio_unmap_part(struct env *e)
{
	return unmap_dma(e->fd, IOVA + PAGE, PAGE, 0, NULL);
}

/* Mapping as an unprivileged user: charged to a ledger of its own. */
static int op_map_as_nobody(struct env *e)
{
	int rc, err;

	if (seteuid(65534))
		return -1;
	rc = op_map(e);
	err = errno;
	if (seteuid(0))
		abort();
	errno = err;
	return rc;
}

/* A loaded policy (allowing everything) is asked at bind and attach. */
static int setup_policy_and_device(struct env *e)
{
	return setup_policy(e) ?: op_policy_load(e) ?: setup_mock_device(e);
}

static int setup_policy_and_bound(struct env *e)
{
	return setup_policy_and_device(e) ?: op_bind(e);
}

/* The edu device's group, bound to vfio-pci, in a fresh container. */
static int setup_vfio_container(struct env *e)
{
	char bdfs[4][16], path[64];
	int n = find_edus(bdfs, 4);

	if (!n || system("modprobe vfio-pci") || bind_vfio_pci(bdfs[n - 1]))
		return -1;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_number(bdfs[n - 1]));
	e->fd2 = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	e->group = open(path, O_RDWR | O_CLOEXEC);
	if (e->fd2 < 0 || e->group < 0)
		return -1;
	return ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->fd2);
}

static int op_vfio_set_iommu(struct env *e)
{
	return ioctl(e->fd2, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
}

static int setup_vfio_container_set(struct env *e)
{
	return setup_vfio_container(e) ?: op_vfio_set_iommu(e);
}

static int op_vfio_container_map(struct env *e)
{
	return map_dma(e->fd2, buf, BUF_SIZE, 1UL << 20);
}

/* A HWPT that tracks dirty pages, of the mapped buffer (hwpt.c). */
static int op_hwpt_alloc_dirty(struct env *e)
{
	return hwpt_alloc(e->fd, e->dev_id, e->ioas,
			  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &e->hwpt2);
}

static int setup_dirty_tracking(struct env *e)
{
	return setup_one_domain(e) ?: op_map(e) ?: op_hwpt_alloc_dirty(e) ?:
	       hwpt_set_dirty(e->fd, e->hwpt2, true);
}

static int op_get_dirty_bitmap(struct env *e)
{
	uint64_t bits[NPAGES / 64 + 1] = {};

	return hwpt_get_dirty(e->fd, e->hwpt2, IOVA, BUF_SIZE, PAGE, bits, 0);
}

/* A nested HWPT on a nesting parent (hwpt.c). */
static int setup_nest_parent(struct env *e)
{
	return setup_one_domain(e) ?: op_map(e) ?:
	       hwpt_alloc(e->fd, e->dev_id, e->ioas,
			  IOMMU_HWPT_ALLOC_NEST_PARENT, &e->hwpt2);
}

static int op_hwpt_alloc_nested(struct env *e)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	uint32_t nested;

	return hwpt_alloc_nested(e->fd, e->dev_id, e->hwpt2, 0,
				 IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				 0, &nested);
}

/* A fault queue; its file is kept in e->access for env_close(). */
static int op_fault_queue_alloc(struct env *e)
{
	uint32_t id;

	return fault_queue_alloc(e->fd, 0, &id, &e->access);
}

/* A nested HWPT delivering to a fault queue, the device not on it yet. */
static int setup_fault_hwpt(struct env *e)
{
	struct iommu_hwpt_selftest data = { .iotlb = 1 };
	uint32_t fault;

	return setup_nest_parent(e) ?:
	       fault_queue_alloc(e->fd, 0, &fault, &e->access) ?:
	       hwpt_alloc_nested(e->fd, e->dev_id, e->hwpt2,
				 IOMMU_HWPT_FAULT_ID_VALID,
				 IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				 fault, &e->hwpt);
}

static int op_replace_to_fault_hwpt(struct env *e)
{
	return test_replace(e->fd, e->stdev, e->hwpt, NULL);
}

/* A fault raised and waiting to be read. */
static int setup_fault_raised(struct env *e)
{
	return setup_fault_hwpt(e) ?: op_replace_to_fault_hwpt(e) ?:
	       test_trigger_iopf(e->fd, e->dev_id, 0, 1, 1, 0x1000);
}

static int op_read_fault(struct env *e)
{
	struct iommu_hwpt_pgfault msg;
	ssize_t n = read(e->access, &msg, sizeof(msg));

	return n == sizeof(msg) ? 0 : -1;
}

SWEEP(ioas_alloc, NULL, op_ioas_alloc)
SWEEP(map_without_domain, setup_ioas, op_map)
SWEEP(map_one_domain, setup_one_domain, op_map)
SWEEP(map_two_domains, setup_two_domains, op_map)
SWEEP(map_file_one_domain, setup_one_domain, op_map_file)
SWEEP(change_process, setup_file_mapped, op_change_process)
SWEEP(map_bar_one_domain, setup_bar_one_domain, op_map_bar)

TEST(fail_nth_map_huge_file_one_domain)
{
	const struct scenario sc = { .setup = setup_one_domain,
				     .op = op_map_huge_file };

	if (!have_mock_iommu())
		SKIP(return, "no mock IOMMU: load the module with selftest=1");
	if (huge_memfd < 0)
		SKIP(return, "no 2 MiB huge page for a hugetlbfs memfd");
	TH_LOG("map_huge_file: %u failure points on the way",
	       sweep(_metadata, &sc));
}
SWEEP(copy_into_a_domain, setup_copy, op_copy)
SWEEP(bind, setup_mock_device, op_bind)
SWEEP(attach_with_replay, setup_bound, op_attach)
SWEEP(hwpt_alloc_with_replay, setup_bound, op_hwpt_alloc)
SWEEP(hwpt_alloc_dirty, setup_one_domain, op_hwpt_alloc_dirty)
SWEEP(get_dirty_bitmap, setup_dirty_tracking, op_get_dirty_bitmap)
SWEEP(hwpt_alloc_nested, setup_nest_parent, op_hwpt_alloc_nested)
SWEEP(fault_queue_alloc, setup_ioas, op_fault_queue_alloc)
SWEEP(replace_to_fault_hwpt, setup_fault_hwpt, op_replace_to_fault_hwpt)
SWEEP(read_fault, setup_fault_raised, op_read_fault)
SWEEP(replace_to_new_ioas, setup_replace_ioas, op_replace_ioas)
SWEEP(replace_to_hwpt, setup_replace_hwpt, op_replace_hwpt)
SWEEP(access_create, setup_ioas, op_create_access)
SWEEP(access_pin, setup_access, op_access_pin)
SWEEP(access_rw, setup_access, op_access_rw)
SWEEP(vfio_compat_map, setup_vfio_compat, op_vfio_map)
SWEEP(vfio_dirty_bitmap, setup_vfio_dirty, op_vfio_dirty_bitmap)
SWEEP(policy_load, setup_policy, op_policy_load)
SWEEP(allow_iovas, setup_ioas, op_allow_iovas)
SWEEP(open, NULL, op_open)
SWEEP(snapshot_read, NULL, op_read_contexts)
SWEEP(decision_log_read, NULL, op_read_decisions)
SWEEP(map_small_pages, setup_one_domain_small_pages, op_map)
SWEEP(attach_sw_msi, setup_sw_msi_device, op_attach)
SWEEP(vfio_v1_unmap_part, setup_vfio_v1_mapped, op_vfio_unmap_part)
SWEEP(map_charged_as_nobody, setup_one_domain, op_map_as_nobody)
SWEEP(bind_with_policy, setup_policy_and_device, op_bind)
SWEEP(attach_with_policy, setup_policy_and_bound, op_attach)
SWEEP(vfio_set_iommu, setup_vfio_container, op_vfio_set_iommu,
      .absorbed_by_type1 = true)
SWEEP(vfio_container_map, setup_vfio_container_set, op_vfio_container_map)

/* Unmapping allocates nothing: destroy never fails for want of memory. */
TEST(fail_nth_unmap_passes_no_failure_point)
{
	const struct scenario sc = { .setup = setup_two_domains_mapped,
				     .op = op_unmap };

	if (!have_mock_iommu())
		SKIP(return, "no mock IOMMU: load the module with selftest=1");
	ASSERT_EQ(0, sweep(_metadata, &sc));
}

/*
 * The countdown is the calling thread's: another thread's failure points
 * do not count, and an armed countdown no operation reaches stays armed.
 */
static void *ioas_alloc_thread(void *arg)
{
	struct env *e = arg;

	return (void *)(long)op_ioas_alloc(e);
}

TEST(fail_nth_is_per_thread)
{
	struct env e = { .fd = iommufd_open() };
	uint32_t ioas, remaining = 0;
	pthread_t thread;
	void *rc;
	int fd = e.fd;

	if (!have_mock_iommu())
		SKIP(return, "no mock IOMMU: load the module with selftest=1");
	ASSERT_OK(fail_nth(fd, 1, NULL));
	ASSERT_OK(pthread_create(&thread, NULL, ioas_alloc_thread, &e));
	ASSERT_OK(pthread_join(thread, &rc));
	ASSERT_EQ(NULL, rc);
	ASSERT_OK(fail_nth(fd, 0, &remaining));
	ASSERT_EQ(1, remaining);
	ASSERT_OK(fail_nth(fd, 1, NULL));
	ASSERT_ERRNO(ENOMEM, ioas_alloc(fd, &ioas));
	ASSERT_OK(fail_nth(fd, 0, &remaining));
	ASSERT_EQ(0, remaining);
	ASSERT_OK(ioas_alloc(fd, &ioas));
	close(fd);
}

/*
 * The points in the module's source (every use of iommufd_should_fail()),
 * against those the sweeps above reached: each one not reached is named.
 */
TEST(fail_nth_points_reached)
{
	char *text, line[256], cmd[] =
		"grep -n 'iommufd_should_fail()' kernel/*.c | grep -v '^kernel/fail.c' |"
		" sed 's|^kernel/||; s|^\\([^:]*:[0-9]*\\):.*|\\1|'";
	unsigned int points = 0, reached = 0;
	FILE *src;

	if (!have_mock_iommu())
		SKIP(return, "no mock IOMMU: load the module with selftest=1");
	text = read_text(FAIL_POINTS);
	ASSERT_NE(NULL, text);
	src = popen(cmd, "r");
	ASSERT_NE(NULL, src);
	while (fgets(line, sizeof(line), src)) {
		char pat[260];

		line[strcspn(line, "\n")] = 0;
		points++;
		snprintf(pat, sizeof(pat), "\n%s\t", line);
		if (strstr(text, pat))
			reached++;
		else
			TH_LOG("not reached: %s", line);
	}
	pclose(src);
	TH_LOG("%u of %u failure points reached", reached, points);
	ASSERT_LT(0, points);
	ASSERT_EQ(points, reached);
}

int main(int argc, char **argv)
{
	char *nr_huge;
	int rc;

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 0x5a, BUF_SIZE);
	memfd = memfd_create("fail-nth", 0);
	if (memfd < 0 || ftruncate(memfd, BUF_SIZE))
		return 1;
	fview = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		     0);
	if (fview == MAP_FAILED)
		return 1;
	/* A huge page in the pool for the hugetlbfs sweep, if one can be had. */
	nr_huge = read_text("/proc/sys/vm/nr_hugepages");
	nr_huge = nr_huge ? strdup(nr_huge) : NULL;
	if (nr_huge && write_file("/proc/sys/vm/nr_hugepages", "1") == 0) {
		huge_memfd = memfd_create("fail-nth-huge", MFD_HUGETLB);
		if (huge_memfd >= 0 && ftruncate(huge_memfd, 2UL << 20)) {
			close(huge_memfd);
			huge_memfd = -1;
		}
	}
	rc = harness_main(argc, argv);
	if (huge_memfd >= 0)
		close(huge_memfd);
	if (nr_huge)
		write_file("/proc/sys/vm/nr_hugepages", nr_huge);
	free(nr_huge);
	return rc;
}
