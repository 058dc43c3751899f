// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF policies at bind, attach, map and charge (struct_ops
 * iommufd_policy_ops), with mock devices: deny with the policy's errno,
 * audit mode, stacking in load order (the first deny wins), the contexts'
 * facts, every way memory is exposed asked (map, copy, VFIO's map on
 * /dev/iommu, access pins), charges asked where pages are pinned, a bind
 * asked about its whole group, unloading (also while other threads map),
 * names taken, the decision log, the event and the log line, and the
 * verifier (and the module) refusing bad policies.
 */
#include <bpf/libbpf.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "vfio_utils.h"
#include <linux/iommufd_policy.h>

#include "policy_test.skel.h"

#define PAGE 4096UL
#define IOVA (MOCK_APERTURE_START + (1UL << 20))
#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define DECISIONS "/sys/kernel/debug/iommufd_bpf/decisions"
#define POLICIES "/sys/kernel/debug/iommufd_bpf/policies"

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE, RESV_RESERVED, RESV_MSI,
       RESV_SW_MSI };

FIXTURE(policy) {
	int fd;
	struct policy_test_bpf *skel;
	struct bpf_link *links[4];
	char *buf;
};

FIXTURE_SETUP(policy)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->skel = policy_test_bpf__open_and_load();
	if (!self->skel)
		TH_LOG("loading the test policies: %s", strerror(errno));
	ASSERT_NE(NULL, self->skel);
	self->buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(policy)
{
	for (int i = 0; i < 4; i++)
		bpf_link__destroy(self->links[i]);
	policy_test_bpf__destroy(self->skel);
	close(self->fd);
}

static struct bpf_link *attach(struct bpf_map *map)
{
	return bpf_map__attach_struct_ops(map);
}

/* A bound mock device: its test-device ID, or 0 with errno set. */
static uint32_t mock_device(int fd, uint32_t pci_id, uint32_t resv_type,
			    uint32_t tag, uint32_t *index)
{
	struct iommu_test_bpf_mock_device spec = {
		.pci_id = pci_id,
		.pci_class = 0x020000,
		.pci_bdf = 0x00030010,
		.group_tag = tag,
		.resv_type = resv_type,
		.resv_start = 0x200000,
		.resv_length = 0x4000,
	};
	uint32_t stdev, n, dev_id;

	if (test_bpf_mock_device(fd, &spec, &stdev, &n))
		return 0;
	if (index)
		*index = n;
	if (test_bpf_bind(fd, stdev, &dev_id)) {
		int saved = errno;

		iommufd_destroy(fd, stdev);
		errno = saved;
		return 0;
	}
	return stdev;
}

TEST_F(policy, no_policy_no_hooks)
{
	char *text = read_text(POLICIES);

	ASSERT_NE(NULL, text);
	ASSERT_EQ(NULL, strchr(strchr(text, '\n') + 1, '\n'));
	ASSERT_NE(0, mock_device(self->fd, 0xdead0001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(0, self->skel->bss->first_binds);
}

TEST_F(policy, deny_bind_with_the_policys_errno)
{
	char line[160], *text;
	uint32_t index;
	int kmsg = kmsg_mark();

	self->skel->data->first_deny_vendor = 0xdead;
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	ASSERT_EQ(0, mock_device(self->fd, 0xdead0001, MOCK_BPF_RESV_NONE, 0,
				 &index));
	ASSERT_EQ(EACCES, errno);
	ASSERT_NE(0, mock_device(self->fd, 0xbeef0001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(2, self->skel->bss->first_binds);

	snprintf(line, sizeof(line),
		 "policy first denies bind of iommufd_bpf_mock.%u by policy[",
		 index);
	ASSERT_EQ(1, kmsg_count(kmsg, line));
	close(kmsg);
	text = read_text(POLICIES);
	ASSERT_NE(NULL, strstr(text, "first\tbind,attach,map,charge,\tenforce\t"));
	ASSERT_NE(NULL, strstr(text, "\t1\t1\n"));
	text = read_text(DECISIONS);
	snprintf(line, sizeof(line), "\tbind\tiommufd_bpf_mock.%u\t%d\tpolicy\tdeny\tfirst\t-13\t-\n",
		 index, getpid());
	ASSERT_NE(NULL, strstr(text, line));
}

TEST_F(policy, audit_mode_logs_and_allows)
{
	char line[160], *text;
	uint32_t index;
	int kmsg = kmsg_mark();

	self->links[0] = attach(self->skel->maps.auditor);
	ASSERT_NE(NULL, self->links[0]);
	ASSERT_NE(0, mock_device(self->fd, 0x12340001, MOCK_BPF_RESV_NONE, 0,
				 &index));
	ASSERT_EQ(1, self->skel->bss->audit_binds);
	snprintf(line, sizeof(line),
		 "policy auditor would deny bind of iommufd_bpf_mock.%u", index);
	ASSERT_EQ(1, kmsg_count(kmsg, line));
	close(kmsg);
	text = read_text(DECISIONS);
	snprintf(line, sizeof(line), "\tiommufd_bpf_mock.%u\t%d\tpolicy\taudit-deny\tauditor\t-1\t-\n",
		 index, getpid());
	ASSERT_NE(NULL, strstr(text, line));
	ASSERT_NE(NULL, strstr(read_text(POLICIES), "auditor\tbind,\taudit\t"));
}

/* Load order: first, then second.  The first deny wins and ends the walk. */
TEST_F(policy, stacked_first_deny_wins)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;

	self->links[0] = attach(self->skel->maps.first);
	self->links[1] = attach(self->skel->maps.second);
	ASSERT_TRUE(self->links[0] && self->links[1]);
	self->skel->data->first_deny_vendor = 0xaaaa;
	self->skel->data->second_deny_device = 0x0002;
	/* Both allow: both see it. */
	ASSERT_NE(0, mock_device(self->fd, 0x11110001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(1, bss->first_binds);
	ASSERT_EQ(1, bss->second_binds);
	/* The second denies. */
	ASSERT_EQ(0, mock_device(self->fd, 0x11110002, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(2, bss->first_binds);
	ASSERT_EQ(2, bss->second_binds);
	/* Both would: the first's errno, and the second is not asked. */
	ASSERT_EQ(0, mock_device(self->fd, 0xaaaa0002, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(3, bss->first_binds);
	ASSERT_EQ(2, bss->second_binds);
	/* Unloading restores. */
	bpf_link__destroy(self->links[0]);
	bpf_link__destroy(self->links[1]);
	self->links[0] = self->links[1] = NULL;
	ASSERT_NE(0, mock_device(self->fd, 0xaaaa0002, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(3, bss->first_binds);
}

TEST_F(policy, names_are_unique)
{
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	errno = 0;
	ASSERT_EQ(NULL, attach(self->skel->maps.first_again));
	ASSERT_EQ(EEXIST, errno);
}

/* What a bind context says about a device and the task. */
TEST_F(policy, bind_context_facts)
{
	struct iommufd_policy_bind_ctx *c = &self->skel->bss->last_bind;
	char name[32];
	uint32_t index;

	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	ASSERT_NE(0, mock_device(self->fd, 0x8086abcd, RESV_DIRECT_RELAXABLE,
				 0, &index));
	snprintf(name, sizeof(name), "iommufd_bpf_mock.%u", index);
	ASSERT_EQ(0, strcmp(name, c->dev.name));
	ASSERT_EQ(2, c->dev.kind);	/* IOMMUFD_POLICY_DEV_MOCK */
	ASSERT_EQ(0x8086, c->dev.vendor);
	ASSERT_EQ(0xabcd, c->dev.device);
	ASSERT_EQ(0x020000, c->dev.class);
	ASSERT_EQ(3, c->dev.segment);
	ASSERT_EQ(0, c->dev.bus);
	ASSERT_EQ(0x10, c->dev.devfn);
	ASSERT_EQ(1, c->dev.group_devices);
	ASSERT_EQ(1, c->dev.isolated_msi);
	ASSERT_EQ(0, c->dev.resv_direct);
	ASSERT_EQ(1, c->dev.resv_direct_relaxable);
	ASSERT_EQ(1, c->dev.nr_resv);
	ASSERT_EQ(0x200000, c->dev.resv[0].start);
	ASSERT_EQ(0x203fff, c->dev.resv[0].last);
	ASSERT_EQ(RESV_DIRECT_RELAXABLE, c->dev.resv[0].type);
	ASSERT_EQ(getpid(), c->task.pid);
	ASSERT_EQ(getuid(), c->task.uid);
	ASSERT_NE(0, c->task.cgroup_id);
	ASSERT_EQ(0, strncmp("policy", c->task.comm, 6));

	/* A strict direct region is counted; two devices share a group. */
	ASSERT_EQ(0, mock_device(self->fd, 0x8086abce, RESV_DIRECT, 0, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(1, c->dev.resv_direct);
	ASSERT_NE(0, mock_device(self->fd, 1, MOCK_BPF_RESV_NONE, 5, NULL));
	ASSERT_NE(0, mock_device(self->fd, 2, MOCK_BPF_RESV_NONE, 5, NULL));
	ASSERT_EQ(2, c->dev.group_devices);
}

TEST_F(policy, attach_hook)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	uint32_t ioas1, ioas2, stdev, hwpt;

	ASSERT_OK(ioas_alloc(self->fd, &ioas1));
	ASSERT_OK(ioas_alloc(self->fd, &ioas2));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	bss->deny_ioas = ioas2;
	stdev = mock_device(self->fd, 0x00010001, MOCK_BPF_RESV_NONE, 0, NULL);
	ASSERT_NE(0, stdev);
	ASSERT_ERRNO(EXDEV, test_bpf_attach(self->fd, stdev, ioas2, NULL));
	ASSERT_EQ(ioas2, bss->last_attach.ioas_id);
	ASSERT_OK(test_bpf_attach(self->fd, stdev, ioas1, &hwpt));
	ASSERT_EQ(ioas1, bss->last_attach.pt_id);
	ASSERT_EQ(0, bss->last_attach.hwpt_id);
	ASSERT_EQ(0, bss->last_attach.replace);
	ASSERT_ERRNO(EXDEV, test_replace(self->fd, stdev, ioas2, NULL));
	ASSERT_EQ(1, bss->last_attach.replace);
	/* Replacing to the HWPT: its IOAS is what the policy sees. */
	ASSERT_OK(test_replace(self->fd, stdev, hwpt, NULL));
	ASSERT_EQ(hwpt, bss->last_attach.hwpt_id);
	ASSERT_EQ(ioas1, bss->last_attach.ioas_id);
	ASSERT_EQ(4, bss->attaches);
}

TEST_F(policy, map_hook_sees_the_charge)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	int fd = self->fd;
	char line[160];
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(fd, &ioas));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	self->skel->data->max_map_length = 4 * PAGE;
	ASSERT_ERRNO(EDQUOT, ioas_map_fixed(fd, ioas, self->buf, 8 * PAGE,
					    IOVA));
	ASSERT_OK(ioas_map_fixed(fd, ioas, self->buf, 4 * PAGE, IOVA));
	ASSERT_EQ(ioas, bss->last_map.ioas_id);
	ASSERT_EQ(IOVA, bss->last_map.iova);
	ASSERT_EQ(4 * PAGE, bss->last_map.length);
	ASSERT_EQ((uintptr_t)self->buf, bss->last_map.uptr);
	ASSERT_EQ(3, bss->last_map.prot);
	/* Root is not charged. */
	ASSERT_EQ(UINT64_MAX, bss->last_map.limit_pages);
	/* The denial is logged; the allowed map only counted. */
	snprintf(line, sizeof(line), "\tmap\tioas %u\t%d\tpolicy\tdeny\tfirst\t-122\t",
		 ioas, getpid());
	ASSERT_NE(NULL, strstr(read_text(DECISIONS), line));
	snprintf(line, sizeof(line), "\tmap\tioas %u\t%d\tpolicy\tallow\t",
		 ioas, getpid());
	ASSERT_EQ(NULL, strstr(read_text(DECISIONS), line));
	ASSERT_NE(NULL, strstr(read_text(POLICIES), "\t1\t1\n"));

	RUN_AS_CHILD({
		struct rlimit rl = { 32 * PAGE, 32 * PAGE };
		int access;
		uint64_t iova;

		CHILD_CHECK(1, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(2, !test_create_access(fd, ioas,
						   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						   &access));
		CHILD_CHECK(3, !ioas_map(fd, ioas, self->buf + 4 * PAGE,
					 2 * PAGE, &iova));
		CHILD_CHECK(4, !test_access_pages(fd, access, iova, 2 * PAGE,
						  NULL, 0, NULL));
		CHILD_CHECK(5, !ioas_map(fd, ioas, self->buf + 8 * PAGE, PAGE,
					 &iova));
		CHILD_CHECK(6, bss->last_map.charged_pages == 2);
		CHILD_CHECK(7, bss->last_map.limit_pages == 32);
		CHILD_CHECK(8, bss->last_map.task.uid == 65534);
	});
}

/* A copy exposes memory through another IOAS: the map policies decide it. */
TEST_F(policy, map_hook_decides_copies)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	uint32_t a, b, c;
	uint64_t iova = 0;

	ASSERT_OK(ioas_alloc(self->fd, &a));
	ASSERT_OK(ioas_alloc(self->fd, &b));
	ASSERT_OK(ioas_alloc(self->fd, &c));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	self->skel->bss->deny_map_ioas = b;
	ASSERT_OK(ioas_map_fixed(self->fd, a, self->buf, 8 * PAGE, IOVA));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_USER, bss->last_map.op);
	ASSERT_EQ(0, bss->last_map.src_ioas_id);
	ASSERT_EQ(getpid(), bss->last_map.owner.pid);
	ASSERT_EQ(PAGE, bss->last_map.page_size);
	/* Mapping where it is allowed, copying where it is not: refused. */
	ASSERT_ERRNO(EXDEV, ioas_copy(self->fd, b, a, IOVA + PAGE, 2 * PAGE,
				      &iova, RW));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_COPY, bss->last_map.op);
	ASSERT_EQ(b, bss->last_map.ioas_id);
	ASSERT_EQ(a, bss->last_map.src_ioas_id);
	ASSERT_EQ(IOVA + PAGE, bss->last_map.src_iova);
	ASSERT_EQ(0, bss->last_map.iova);
	ASSERT_EQ(2 * PAGE, bss->last_map.length);
	ASSERT_EQ((uintptr_t)self->buf + PAGE, bss->last_map.uptr);
	ASSERT_EQ(getpid(), bss->last_map.owner.pid);
	/* Elsewhere the copy goes through. */
	ASSERT_OK(ioas_copy(self->fd, c, a, IOVA, 8 * PAGE, &iova, RW));
	ASSERT_EQ(c, bss->last_map.ioas_id);
	ASSERT_EQ(8 * PAGE, bss->last_map.length);
}

/* A memfd mapped by file and offset is decided as a map of its own kind. */
TEST_F(policy, map_hook_decides_file_maps)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	int memfd = memfd_create("policy-map-file", 0);
	uint32_t a, b;
	uint64_t iova = IOVA;

	ASSERT_GE(memfd, 0);
	ASSERT_OK(ftruncate(memfd, 8 * PAGE));
	ASSERT_OK(ioas_alloc(self->fd, &a));
	ASSERT_OK(ioas_alloc(self->fd, &b));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	self->skel->bss->deny_map_ioas = b;
	ASSERT_ERRNO(EXDEV, ioas_map_file(self->fd, b, memfd, 2 * PAGE,
					  4 * PAGE, RW, &iova));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_FILE, bss->last_map.op);
	ASSERT_EQ(b, bss->last_map.ioas_id);
	ASSERT_EQ(2 * PAGE, bss->last_map.uptr);
	ASSERT_EQ(4 * PAGE, bss->last_map.length);
	ASSERT_EQ(0, bss->last_map.iova);
	ASSERT_EQ(getpid(), bss->last_map.owner.pid);
	ASSERT_OK(ioas_map_file(self->fd, a, memfd, 0, 8 * PAGE,
				RW | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_FILE, bss->last_map.op);
	ASSERT_EQ(IOVA, bss->last_map.iova);
	ASSERT_EQ(a, bss->last_map.ioas_id);
	close(memfd);
}

/* VFIO's type1 map on /dev/iommu is a map like any other. */
TEST_F(policy, map_hook_decides_vfio_maps_on_dev_iommu)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(set_compat_ioas(self->fd, ioas, IOMMU_VFIO_IOAS_SET));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	self->skel->data->max_map_length = PAGE;
	ASSERT_ERRNO(EDQUOT, map_dma(self->fd, self->buf, 2 * PAGE, IOVA));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_USER, bss->last_map.op);
	ASSERT_EQ(IOVA, bss->last_map.iova);
	ASSERT_OK(map_dma(self->fd, self->buf, PAGE, IOVA));
	ASSERT_EQ(ioas, bss->last_map.ioas_id);
}

/* Pages an access pins reach its (emulated) device: decided too. */
TEST_F(policy, map_hook_decides_access_pins)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	uint32_t ioas;
	int access;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf, 8 * PAGE, IOVA));
	ASSERT_OK(test_create_access(self->fd, ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &access));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	self->skel->bss->deny_access_pins = 1;
	ASSERT_ERRNO(EXDEV, test_access_pages(self->fd, access, IOVA + PAGE,
					      2 * PAGE, NULL, 0, NULL));
	ASSERT_EQ(IOMMUFD_POLICY_MAP_ACCESS, bss->last_map.op);
	ASSERT_EQ(ioas, bss->last_map.ioas_id);
	ASSERT_EQ(IOVA + PAGE, bss->last_map.iova);
	ASSERT_EQ(2 * PAGE, bss->last_map.length);
	ASSERT_EQ((uintptr_t)self->buf + PAGE, bss->last_map.uptr);
	ASSERT_EQ(1, bss->last_map.prot);	/* read only */
	ASSERT_EQ(getpid(), bss->last_map.owner.pid);
	ASSERT_EQ(0, iommufd_stat("pinned_pages"));
	self->skel->bss->deny_access_pins = 0;
	ASSERT_OK(test_access_pages(self->fd, access, IOVA + PAGE, 2 * PAGE,
				    NULL, 0, NULL));
	close(access);
}

/*
 * The charge hook: asked where pages are pinned (here when a domain comes
 * under existing maps), with only the pages newly charged, the party's
 * total before them and its limit; memory charged already is not asked
 * about again.
 */
TEST_F(policy, charge_hook_asked_where_pages_are_charged)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	int fd = self->fd;
	char *buf = self->buf;
	uint32_t a, b;

	ASSERT_OK(ioas_alloc(fd, &a));
	ASSERT_OK(ioas_alloc(fd, &b));
	ASSERT_OK(test_mock_domain(fd, b, 0, NULL, NULL, NULL));
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	RUN_AS_CHILD({
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };
		uint64_t before, iova;

		CHILD_CHECK(1, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		/* No domain: nothing pinned, nothing charged, not asked. */
		CHILD_CHECK(2, !ioas_map_fixed(fd, a, buf, 4 * PAGE, IOVA));
		CHILD_CHECK(3, bss->charges == 0);
		/* The domain pins them: asked about 4 new pages. */
		CHILD_CHECK(4, !test_mock_domain(fd, a, 0, NULL, NULL, NULL));
		CHILD_CHECK(5, bss->charges == 1);
		CHILD_CHECK(6, bss->last_charge.pages == 4);
		CHILD_CHECK(7, bss->last_charge.ioas_id == a);
		CHILD_CHECK(8, bss->last_charge.uptr == (uintptr_t)buf);
		CHILD_CHECK(9, bss->last_charge.mode ==
			       IOMMUFD_POLICY_CHARGE_USER);
		CHILD_CHECK(10, bss->last_charge.limit_pages == 64);
		CHILD_CHECK(11, bss->last_charge.page_size == PAGE);
		CHILD_CHECK(12, bss->last_charge.owner.pid == (uint32_t)getpid());
		CHILD_CHECK(13, bss->last_charge.owner.uid == 65534);
		before = bss->last_charge.charged_pages;
		/* The same memory in another IOAS: charged once, not asked. */
		CHILD_CHECK(14, !ioas_map(fd, b, buf, 4 * PAGE, &iova));
		CHILD_CHECK(15, bss->charges == 1);
		/* New memory: the total includes the first 4 pages. */
		CHILD_CHECK(16, !ioas_map(fd, b, buf + 4 * PAGE, 2 * PAGE,
					  &iova));
		CHILD_CHECK(17, bss->charges == 2);
		CHILD_CHECK(18, bss->last_charge.charged_pages == before + 4);
		CHILD_CHECK(19, bss->last_charge.ioas_id == b);
		/* A denial fails the pin, and nothing of it stays charged. */
		self->skel->data->max_charged_pages = before + 8;
		CHILD_CHECK(20, ioas_map(fd, b, buf + 6 * PAGE, 3 * PAGE,
					 &iova) && errno == EDQUOT);
		CHILD_CHECK(21, !ioas_map(fd, b, buf + 6 * PAGE, 2 * PAGE,
					  &iova));
		CHILD_CHECK(22, bss->last_charge.charged_pages == before + 6);
	});
}

/*
 * Binding one device claims its whole group: every member is asked about,
 * so an allowed device cannot bring a refused one along.
 */
TEST_F(policy, bind_asks_about_the_whole_group)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	struct iommu_test_bpf_mock_device spec = {
		.pci_id = 0xdead0002,
		.pci_class = 0x020000,
		.group_tag = 9,
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	uint32_t refused, n, dev_id;

	/* A device the policy refuses joins group 9, unbound. */
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &refused, &n));
	self->skel->data->first_deny_vendor = 0xdead;
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	/* An allowed device of the same group: refused for its neighbour. */
	ASSERT_EQ(0, mock_device(self->fd, 0xbeef0001, MOCK_BPF_RESV_NONE, 9,
				 NULL));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(2, bss->first_binds);
	ASSERT_EQ(0xdead, bss->last_bind.dev.vendor);
	/* Alone in its group, the same device binds. */
	ASSERT_NE(0, mock_device(self->fd, 0xbeef0001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_ERRNO(EACCES, test_bpf_bind(self->fd, refused, &dev_id));
}

/*
 * A policy's link moved to another map (bpf_link__update_map()): the new
 * policy takes the old one's place in the order, with its counts.
 */
TEST_F(policy, update_replaces_in_place)
{
	struct policy_test_bpf__bss *bss = self->skel->bss;
	char *text, *second, *auditor;

	self->links[0] = attach(self->skel->maps.first);
	self->links[1] = attach(self->skel->maps.auditor);
	ASSERT_NE(NULL, self->links[0]);
	ASSERT_NE(NULL, self->links[1]);
	ASSERT_NE(0, mock_device(self->fd, 0x12340001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_OK(bpf_link__update_map(self->links[0], self->skel->maps.second));
	text = read_text(POLICIES);
	ASSERT_NE(NULL, text);
	ASSERT_EQ(NULL, strstr(text, "first\t"));
	second = strstr(text, "second\tbind,\tenforce\t");
	auditor = strstr(text, "auditor\t");
	ASSERT_NE(NULL, second);
	ASSERT_NE(NULL, auditor);
	ASSERT_LT(second, auditor);
	/* first's count (one bind allowed) carried over. */
	ASSERT_NE(NULL, strstr(second, "\t1\t0\n"));
	ASSERT_NE(0, mock_device(self->fd, 0x12340002, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_EQ(1, bss->first_binds);
	ASSERT_EQ(1, bss->second_binds);
}

struct churn {
	int fd;
	uint32_t ioas;
	char *buf;
	volatile bool stop;
	int errors;
	int rounds;
};

static void *churn(void *arg)
{
	struct churn *c = arg;

	while (!c->stop) {
		uint64_t iova;

		if (ioas_map(c->fd, c->ioas, c->buf, PAGE, &iova) ||
		    ioas_unmap(c->fd, c->ioas, iova, PAGE, NULL))
			c->errors++;
		c->rounds++;
	}
	return NULL;
}

/* Attaching and detaching policies while other threads map is safe. */
TEST_F(policy, load_and_unload_during_maps)
{
	struct churn c = { .fd = self->fd, .buf = self->buf };
	pthread_t t[2];

	ASSERT_OK(ioas_alloc(self->fd, &c.ioas));
	for (int i = 0; i < 2; i++)
		ASSERT_OK(pthread_create(&t[i], NULL, churn, &c));
	for (int i = 0; i < 50; i++) {
		self->links[0] = attach(self->skel->maps.first);
		ASSERT_NE(NULL, self->links[0]);
		usleep(1000);
		bpf_link__destroy(self->links[0]);
		self->links[0] = NULL;
	}
	c.stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(0, c.errors);
	ASSERT_LT(0, c.rounds);
	ASSERT_LT(0, self->skel->bss->maps);
}

TEST_F(policy, decisions_are_traced)
{
	char *text;

	self->skel->data->first_deny_vendor = 0x7777;
	self->links[0] = attach(self->skel->maps.first);
	ASSERT_NE(NULL, self->links[0]);
	ASSERT_OK(write_file("/sys/kernel/tracing/trace", ""));
	ASSERT_OK(write_file("/sys/kernel/tracing/events/iommufd/policy_decision/enable",
			     "1"));
	ASSERT_EQ(0, mock_device(self->fd, 0x77770001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_NE(0, mock_device(self->fd, 0x77780001, MOCK_BPF_RESV_NONE, 0,
				 NULL));
	ASSERT_OK(write_file("/sys/kernel/tracing/events/iommufd/policy_decision/enable",
			     "0"));
	text = read_text("/sys/kernel/tracing/trace");
	ASSERT_NE(NULL, strstr(text, "policy_decision: hook=bind policy=first verdict=deny err=-13 object=iommufd_bpf_mock."));
	ASSERT_NE(NULL, strstr(text, "policy_decision: hook=bind policy=first verdict=allow err=0 object=iommufd_bpf_mock."));
}

static char verifier_log[1 << 16];

static int log_fn(enum libbpf_print_level level __attribute__((unused)),
		  const char *fmt, va_list ap)
{
	size_t len = strlen(verifier_log);

	if (len < sizeof(verifier_log) - 1)
		vsnprintf(verifier_log + len, sizeof(verifier_log) - len, fmt,
			  ap);
	return 0;
}

/* Load one program of policy_bad.bpf.o alone: 0 or libbpf's error. */
static int load_bad(const char *prog, const char *map)
{
	char path[PATH_MAX], *slash;
	struct bpf_program *p;
	struct bpf_object *obj;
	struct bpf_map *m;
	ssize_t len;
	int rc;

	len = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (len <= 0)
		return -ENOENT;
	path[len] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash + 1, "policy_bad.bpf.o");
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p),
						     prog));
	bpf_object__for_each_map(m, obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(m, !strcmp(bpf_map__name(m),
							   map));
	verifier_log[0] = '\0';
	libbpf_set_print(log_fn);
	rc = bpf_object__load(obj);
	libbpf_set_print(NULL);
	bpf_object__close(obj);
	return rc;
}

/*
 * The verifier refuses a policy that writes its context or loops, and the
 * module one that may sleep.
 */
TEST_F(policy, verifier_refuses_bad_policies)
{
	ASSERT_NE(0, load_bad("writes_ctx", "bad_write"));
	ASSERT_NE(NULL, strstr(verifier_log, "only read is supported"));
	ASSERT_NE(0, load_bad("loops", "bad_loop"));
	ASSERT_TRUE(strstr(verifier_log, "infinite loop detected") ||
		    strstr(verifier_log, "too complex") ||
		    strstr(verifier_log, "back-edge"));
	ASSERT_NE(0, load_bad("sleeps", "bad_sleep"));
	ASSERT_NE(NULL, strstr(verifier_log,
			       "attach to unsupported member map of struct iommufd_policy_ops"));
}

TEST_HARNESS_MAIN
