// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real DMA through VFIO: a user-space driver for QEMU's `edu` device, run
 * through a VFIO container on emulated VT-d, once with this module as the
 * container's IOMMU backend and once with vfio_iommu_type1 (the reference),
 * with the same program and the same expectations.
 *
 * The edu device (QEMU docs/specs/edu.rst): BAR0 register 0x00 reads
 * 0x010000ed; its DMA engine copies between a 4 KiB buffer inside the device
 * (device address 0x40000) and a bus address: 0x80 source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, cleared when done;
 * bit 1 set for device to RAM).  Its bus addresses are IOVA here, translated
 * by VT-d through the container's mappings.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "vfio_utils.h"

#define PAGE 4096UL
#define EDU_ID 0x010000edU
#define EDU_BUF 0x40000UL
/*
 * The engine's buffer is 4 KiB, but QEMU 7.2's range check refuses a
 * transfer that reaches its last byte (and stops the VM): use half.
 */
#define XFER 2048UL
#define REG_ID 0x00
#define REG_DMA_SRC 0x80
#define REG_DMA_DST 0x88
#define REG_DMA_CNT 0x90
#define REG_DMA_CMD 0x98
#define DMA_START 1
#define DMA_TO_RAM 2
/* The edu device drops address bits above 28: keep IOVA below 256 MiB. */
#define IOVA 0x100000UL
#define BACKEND_PARAM "/sys/module/iommufd_bpf/parameters/vfio"

struct edu {
	char bdf[16];
	int group;		/* VFIO group fd */
	int device;		/* VFIO device fd */
	volatile uint8_t *bar;
	size_t bar_size;
};

/* Open @bdf's VFIO group and add it to @container; 0 or -errno. */
static int edu_open_group(struct edu *e, const char *bdf, int container)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	memcpy(e->bdf, bdf, sizeof(e->bdf));
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_number(bdf));
	e->group = open(path, O_RDWR);
	if (e->group < 0)
		return -errno;
	if (ioctl(e->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &container))
		return -errno;
	return 0;
}

/* With the container's IOMMU set: the device, its BAR0, bus mastering. */
static int edu_open_device(struct edu *e)
{
	struct vfio_region_info bar = { .argsz = sizeof(bar),
					.index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;

	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, e->bdf);
	if (e->device < 0)
		return -errno;
	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &bar) ||
	    ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return -errno;
	e->bar_size = bar.size;
	e->bar = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      e->device, bar.offset);
	if (e->bar == MAP_FAILED)
		return -errno;
	if (pread(e->device, &cmd, 2, cfg.offset + 4) != 2)
		return -EIO;
	cmd |= 0x4;	/* bus master */
	if (pwrite(e->device, &cmd, 2, cfg.offset + 4) != 2)
		return -EIO;
	return 0;
}

static void edu_close(struct edu *e)
{
	if (e->bar && e->bar != MAP_FAILED)
		munmap((void *)e->bar, e->bar_size);
	if (e->device > 0)
		close(e->device);
	if (e->group > 0)
		close(e->group);
	memset(e, 0, sizeof(*e));
}

static uint32_t edu_id(struct edu *e)
{
	return *(volatile uint32_t *)(e->bar + REG_ID);
}

/* One DMA; 0 when the engine finished within 5 s. */
static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t len,
		   bool to_ram)
{
	volatile uint64_t *cmd = (volatile uint64_t *)(e->bar + REG_DMA_CMD);

	*(volatile uint64_t *)(e->bar + REG_DMA_SRC) = src;
	*(volatile uint64_t *)(e->bar + REG_DMA_DST) = dst;
	*(volatile uint64_t *)(e->bar + REG_DMA_CNT) = len;
	*cmd = DMA_START | (to_ram ? DMA_TO_RAM : 0);
	for (int i = 0; i < 500; i++) {
		if (!(*cmd & DMA_START))
			return 0;
		usleep(10000);
	}
	return -1;
}

/* RAM (at IOVA @iova) to the device's buffer, and back to @back_iova. */
static int edu_roundtrip(struct edu *e, uint64_t iova, uint64_t back_iova,
			 uint64_t len)
{
	if (edu_dma(e, iova, EDU_BUF, len, false))
		return -1;
	return edu_dma(e, EDU_BUF, back_iova, len, true);
}

/* What each test works with; the same for both backends. */
struct env {
	const char *backend;	/* "1": this module; "0": vfio_iommu_type1 */
	int iommufd;		/* for MD_CHECK_REFS and the stats */
	int container;
	char bdfs[4][16];
	int nedu;
	struct edu e[2];
	char *buf;
	long contexts;
};

static void env_setup(struct __test_metadata *_metadata, struct env *self,
		      const char *backend)
{
	self->backend = backend;
	self->container = -1;
	OPEN_WITH_MOCK_IOMMU(self->iommufd);
	if (system("modprobe vfio-pci && modprobe vfio_iommu_type1"))
		SKIP(return, "vfio-pci or vfio_iommu_type1 cannot be loaded");
	self->nedu = find_edus(self->bdfs, 4);
	if (self->nedu < 2)
		SKIP(return, "needs two edu devices (the test VM has them)");
	for (int i = 0; i < self->nedu; i++)
		ASSERT_OK(bind_vfio_pci(self->bdfs[i]));
	self->buf = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 4 * PAGE);
	/*
	 * The module-wide backend choice last: the harness runs no teardown
	 * after a failed setup, and nothing after this can fail.
	 */
	self->contexts = iommufd_stat("contexts");
	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_GE(self->container, 0);
	ASSERT_OK(write_file(BACKEND_PARAM, backend));
}

static void env_teardown(struct env *self)
{
	/* A test that failed half way leaves no policy (nor gate) behind. */
	unload_all_policies();
	edu_close(&self->e[0]);
	edu_close(&self->e[1]);
	if (self->container >= 0)
		close(self->container);
	write_file(BACKEND_PARAM, "1");
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, 4 * PAGE);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

/*
 * The same tests with each backend serving the container: fixture edu, one
 * variant per backend (edu.iommufd_bpf.NAME, edu.type1.NAME).  EDU_TEST's
 * body sees the environment as self.
 */
FIXTURE(edu) { struct env env; };
FIXTURE_VARIANT(edu) { const char *backend; };
FIXTURE_VARIANT_ADD(edu, iommufd_bpf) { .backend = "1" };
FIXTURE_VARIANT_ADD(edu, type1) { .backend = "0" };
FIXTURE_SETUP(edu) { env_setup(_metadata, &self->env, variant->backend); }
FIXTURE_TEARDOWN(edu) { env_teardown(&self->env); }

#define EDU_TEST(name)                                                         \
	static void body_##name(struct __test_metadata *_metadata,             \
				struct env *self);                             \
	TEST_F(edu, name) { body_##name(_metadata, &self->env); }              \
	static void body_##name(struct __test_metadata *_metadata,             \
				struct env *self)

/* Tests of one backend alone. */
FIXTURE(iommufd_bpf) { struct env env; };
FIXTURE(type1) { struct env env; };
FIXTURE_SETUP(iommufd_bpf) { env_setup(_metadata, &self->env, "1"); }
FIXTURE_SETUP(type1) { env_setup(_metadata, &self->env, "0"); }
FIXTURE_TEARDOWN(iommufd_bpf) { env_teardown(&self->env); }
FIXTURE_TEARDOWN(type1) { env_teardown(&self->env); }

/* Group 0 in the container, @type set, device open: which backend? */
static int setup_type(struct env *self, unsigned long type)
{
	int rc = edu_open_group(&self->e[0], self->bdfs[0], self->container);

	if (rc)
		return rc;
	if (ioctl(self->container, VFIO_SET_IOMMU, type))
		return -errno;
	/* This module's backend makes a context per container. */
	if (iommufd_stat("contexts") !=
	    self->contexts + (*self->backend == '1'))
		return -ESRCH;
	return edu_open_device(&self->e[0]);
}

static int setup_one(struct env *self)
{
	return setup_type(self, VFIO_TYPE1v2_IOMMU);
}

#define SETUP_ONE() ASSERT_EQ(0, setup_one(self))

EDU_TEST(dma_both_ways)
{
	char *in = self->buf, *out = self->buf + PAGE;

	SETUP_ONE();
	ASSERT_EQ(EDU_ID, edu_id(&self->e[0]));
	ASSERT_OK(map_dma(self->container, self->buf, 2 * PAGE, IOVA));
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 2 * PAGE, 1));
	for (unsigned int i = 0; i < PAGE; i++)
		in[i] = (char)(i * 7 + 3);
	ASSERT_OK(edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE, XFER));
	ASSERT_EQ(0, memcmp(in, out, XFER));
	/* Unmapping returns the pins. */
	uint64_t done;

	ASSERT_OK(unmap_dma(self->container, IOVA, 2 * PAGE, 0, &done));
	ASSERT_EQ(2 * PAGE, done);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 2 * PAGE, 0));
}

/*
 * vfio_iommu_type1's dma_entry_limit, the same on both backends: with a
 * limit of 3, three mappings fit and a fourth is ENOSPC, the "DMA mappings
 * available" capability counts down to 0, and an unmap gives one back.
 * The limit is read when a container is set up, as type1 does.
 */
EDU_TEST(dma_entry_limit)
{
	const char *param = *self->backend == '1' ?
		"/sys/module/iommufd_bpf/parameters/dma_entry_limit" :
		"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit";
	int i, rc;

	ASSERT_OK(write_file(param, "3"));
	rc = setup_one(self);
	ASSERT_OK(write_file(param, "65535"));
	ASSERT_EQ(0, rc);
	ASSERT_EQ(3, dma_avail(self->container));
	for (i = 0; i < 3; i++)
		ASSERT_OK(map_dma(self->container, self->buf + i * PAGE, PAGE,
				  IOVA + i * PAGE));
	ASSERT_EQ(0, dma_avail(self->container));
	ASSERT_ERRNO(ENOSPC, map_dma(self->container, self->buf + 3 * PAGE,
				     PAGE, IOVA + 3 * PAGE));
	ASSERT_OK(unmap_dma(self->container, IOVA + PAGE, PAGE, 0, NULL));
	ASSERT_EQ(1, dma_avail(self->container));
	ASSERT_OK(map_dma(self->container, self->buf + 3 * PAGE, PAGE,
			  IOVA + 3 * PAGE));
	ASSERT_OK(unmap_dma(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
			    NULL));
	ASSERT_EQ(3, dma_avail(self->container));
}

/*
 * DMA to an IOVA that is not mapped, or no longer, faults in VT-d: the
 * memory that was there stays untouched, the device reads nothing of it,
 * and the guest logs a DMAR fault (expected here).
 */
EDU_TEST(unmapped_iova_faults)
{
	char *secret = self->buf, *victim = self->buf + PAGE;
	char *check = self->buf + 2 * PAGE;
	int kmsg = kmsg_mark();
	char pattern[64];

	SETUP_ONE();
	memset(secret, 0x5a, PAGE);
	memset(victim, 0x11, PAGE);
	ASSERT_OK(map_dma(self->container, self->buf, 3 * PAGE, IOVA));
	/* The device buffer holds a known pattern... */
	ASSERT_OK(edu_dma(&self->e[0], IOVA, EDU_BUF, XFER, false));
	/* ...victim's page goes away... */
	ASSERT_OK(unmap_dma(self->container, IOVA, 3 * PAGE, 0, NULL));
	ASSERT_OK(map_dma(self->container, check, PAGE, IOVA + 2 * PAGE));
	/* ...and a write there must not land. */
	TH_LOG("expected: a DMAR write fault for %s (unmapped IOVA %#lx)",
	       self->e[0].bdf, IOVA + PAGE);
	ASSERT_OK(edu_dma(&self->e[0], EDU_BUF, IOVA + PAGE, XFER, true));
	for (unsigned int i = 0; i < PAGE; i++)
		ASSERT_EQ(0x11, victim[i]);
	/* Nor can the device read what is not mapped. */
	TH_LOG("expected: a DMAR read fault for %s (IOVA %#lx never mapped)",
	       self->e[0].bdf, 0x8000000UL);
	ASSERT_OK(edu_dma(&self->e[0], 0x8000000UL, EDU_BUF, XFER, false));
	memset(check, 0, PAGE);
	ASSERT_OK(edu_dma(&self->e[0], EDU_BUF, IOVA + 2 * PAGE, XFER, true));
	ASSERT_NE(0x5a, check[0]);
	snprintf(pattern, sizeof(pattern), "Request device [%s]",
		 self->e[0].bdf + 5);
	ASSERT_GE(kmsg_count(kmsg, pattern), 1);
	close(kmsg);
}

/* Run iommupolicy with @args, its output discarded; its exit status. */
static int policy_cmd(const char *fmt, ...)
{
	char args[512], cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "iommupolicy %s >/dev/null", args);
	return system(cmd);
}

/* The decision log has a line with all of @a, @b and @c. */
static bool decided(const char *a, const char *b, const char *c)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/sys/kernel/debug/iommufd_bpf/decisions", "r");

	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, a) && strstr(line, b) && strstr(line, c);
	if (f)
		fclose(f);
	return found;
}

/*
 * A bind denial holds on every backend: with the policy loaded first, the
 * group never joins a container (the VFIO gate asks before VFIO claims
 * it); loaded while the group waits in a container, the group gets no
 * device, whichever backend VFIO falls back to.
 */
EDU_TEST(bind_denial_holds_on_every_backend)
{
	ASSERT_EQ(0, policy_cmd("load pci_allowlist --set allow=ffff:ffff"));
	ASSERT_EQ(-EPERM, edu_open_group(&self->e[0], self->bdfs[0],
					 self->container));
	ASSERT_TRUE(decided("\tbind\t", self->bdfs[0],
			    "\tdeny\tpci_allowlist\t-1\t"));
	ASSERT_ERRNO(EINVAL, ioctl(self->container, VFIO_SET_IOMMU,
				   VFIO_TYPE1v2_IOMMU));
	edu_close(&self->e[0]);
	ASSERT_EQ(0, policy_cmd("unload pci_allowlist"));

	/* In the container before the policy came. */
	ASSERT_OK(edu_open_group(&self->e[0], self->bdfs[0], self->container));
	ASSERT_EQ(0, policy_cmd("load pci_allowlist --set allow=ffff:ffff"));
	/* This backend refuses it; VFIO then tries vfio_iommu_type1... */
	ASSERT_OK(ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* ...which gets the group but hands out no device. */
	ASSERT_ERRNO(EPERM, ioctl(self->e[0].group, VFIO_GROUP_GET_DEVICE_FD,
				  self->bdfs[0]));
	ASSERT_EQ(0, policy_cmd("unload pci_allowlist"));
}

/* selftests/bpf/test_deny.bpf.c's object, next to this program. */
static const char *test_deny_object(void)
{
	static char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 32);

	if (len <= 0)
		return "test_deny.bpf.o";
	path[len] = '\0';
	strcpy(strrchr(path, '/') + 1, "test_deny.bpf.o");
	return path;
}

/* The map policies decide VFIO_IOMMU_MAP_DMA on every backend. */
EDU_TEST(map_denial_holds_on_every_backend)
{
	SETUP_ONE();
	ASSERT_EQ(0, policy_cmd("load %s --set max_bytes=%lu",
				test_deny_object(), PAGE));
	ASSERT_ERRNO(EXDEV, map_dma(self->container, self->buf, 2 * PAGE,
				    IOVA));
	ASSERT_TRUE(decided("\tmap\t", "\tdeny\ttest_deny\t", "-18"));
	ASSERT_OK(map_dma(self->container, self->buf, PAGE, IOVA));
	ASSERT_OK(map_dma(self->container, self->buf + PAGE, PAGE,
			  IOVA + PAGE));
	memset(self->buf, 0x24, XFER);
	ASSERT_OK(edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE, XFER));
	ASSERT_EQ(0, memcmp(self->buf, self->buf + PAGE, XFER));
	ASSERT_EQ(0, policy_cmd("unload test_deny"));
}

/*
 * An attach policy's denial at VFIO_SET_IOMMU makes VFIO try
 * vfio_iommu_type1, which takes the group: the gate hands out no device of
 * a group this backend refused.
 */
TEST_F(iommufd_bpf, attach_denial_holds_when_vfio_falls_back)
{
	struct env *env = &self->env;

	ASSERT_OK(edu_open_group(&env->e[0], env->bdfs[0], env->container));
	ASSERT_EQ(0, policy_cmd("load %s --set deny_attach=1",
				test_deny_object()));
	ASSERT_OK(ioctl(env->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* Not this module's: no context was made for the container. */
	ASSERT_EQ(env->contexts, iommufd_stat("contexts"));
	ASSERT_TRUE(decided("\tattach\t", env->bdfs[0],
			    "\tdeny\ttest_deny\t-13\t"));
	ASSERT_ERRNO(EACCES, ioctl(env->e[0].group, VFIO_GROUP_GET_DEVICE_FD,
				   env->bdfs[0]));
	ASSERT_EQ(0, policy_cmd("unload test_deny"));
}

/*
 * A group this backend bound before a policy came is decided again before
 * it hands out a device; one bound under the policies loaded now is not.
 */
TEST_F(iommufd_bpf, device_of_a_group_bound_before_the_policy_is_decided)
{
	struct env *env = &self->env;

	ASSERT_OK(edu_open_group(&env->e[0], env->bdfs[0], env->container));
	ASSERT_OK(ioctl(env->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(env->contexts + 1, iommufd_stat("contexts"));
	ASSERT_EQ(0, policy_cmd("load pci_allowlist --set allow=ffff:ffff"));
	ASSERT_ERRNO(EPERM, ioctl(env->e[0].group, VFIO_GROUP_GET_DEVICE_FD,
				  env->bdfs[0]));
	ASSERT_EQ(0, policy_cmd("unload pci_allowlist"));

	/* Bound under the policies loaded now: its device is handed out. */
	ASSERT_EQ(0, policy_cmd("load pci_allowlist --set allow=1234:11e8"));
	ASSERT_OK(edu_open_group(&env->e[1], env->bdfs[1], env->container));
	ASSERT_OK(edu_open_device(&env->e[1]));
	ASSERT_EQ(0, policy_cmd("unload pci_allowlist"));
}

/*
 * pin_quota holds for an unprivileged VFIO user on every backend: against
 * this module's charge, and against what vfio_iommu_type1 would charge.
 */
EDU_TEST(pin_quota_holds_on_every_backend)
{
	int container = self->container;
	struct edu *e = &self->e[0];

	SETUP_ONE();
	ASSERT_EQ(0, policy_cmd("load pin_quota --set quota_bytes=%lu",
				8 * PAGE));
	RUN_AS_CHILD({
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };
		char *mine = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		CHILD_CHECK(1, mine != MAP_FAILED);
		CHILD_CHECK(2, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(3, map_dma(container, mine, 16 * PAGE, IOVA) &&
			       errno == EDQUOT);
		CHILD_CHECK(4, !map_dma(container, mine, 8 * PAGE, IOVA));
		memset(mine, 0x5c, XFER);
		CHILD_CHECK(5, !edu_roundtrip(e, IOVA, IOVA + PAGE, XFER));
		CHILD_CHECK(6, !memcmp(mine, mine + PAGE, XFER));
		CHILD_CHECK(7, !unmap_dma(container, IOVA, 8 * PAGE, 0, NULL));
	});
	ASSERT_TRUE(decided("\tcharge\t", "\tdeny\tpin_quota\t", "+16 pages"));
	ASSERT_EQ(0, policy_cmd("unload pin_quota"));
}

/* VFIO_IOMMU_GET_INFO: 4 KiB pages, the MSI window left out of the IOVA. */
EDU_TEST(info_iova_ranges)
{
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[512];
	} b = { .info.argsz = sizeof(b) };
	struct vfio_iommu_type1_info_cap_iova_range *r = NULL;
	struct vfio_info_cap_header *cap;
	bool iova_in = false, msi_in = false;

	SETUP_ONE();
	ASSERT_OK(ioctl(self->container, VFIO_IOMMU_GET_INFO, &b.info));
	ASSERT_TRUE(b.info.flags & VFIO_IOMMU_INFO_PGSIZES);
	ASSERT_EQ(PAGE, b.info.iova_pgsizes & -b.info.iova_pgsizes);
	ASSERT_NE(0, b.info.cap_offset);
	for (cap = (void *)&b + b.info.cap_offset;;
	     cap = (void *)&b + cap->next) {
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			r = (void *)cap;
		if (!cap->next)
			break;
	}
	ASSERT_NE(NULL, r);
	for (unsigned int i = 0; i < r->nr_iovas; i++) {
		iova_in |= r->iova_ranges[i].start <= IOVA &&
			   IOVA <= r->iova_ranges[i].end;
		msi_in |= r->iova_ranges[i].start <= 0xfee00000UL &&
			  0xfee00000UL <= r->iova_ranges[i].end;
	}
	ASSERT_TRUE(iova_in);
	ASSERT_FALSE(msi_in);
	/* Mapping there is refused. */
	ASSERT_ERRNO(EINVAL, map_dma(self->container, self->buf, PAGE,
				     0xfee00000UL));
}

/* Unmap granularity, as vfio_iommu_type1 defines it, for both versions. */
EDU_TEST(unmap_rules)
{
	uint64_t done;

	/* TYPE1v2: whole mappings, never bisected. */
	SETUP_ONE();
	ASSERT_OK(map_dma(self->container, self->buf, 2 * PAGE, IOVA));
	ASSERT_OK(map_dma(self->container, self->buf + 2 * PAGE, 2 * PAGE,
			  IOVA + 2 * PAGE));
	ASSERT_ERRNO(EEXIST, map_dma(self->container, self->buf, PAGE,
				     IOVA + PAGE));
	ASSERT_ERRNO(EINVAL, map_dma(self->container, self->buf + 1, PAGE,
				     IOVA + 8 * PAGE));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->container, IOVA + PAGE, PAGE, 0,
				       NULL));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->container, IOVA, 3 * PAGE, 0,
				       NULL));
	ASSERT_ERRNO(EINVAL, unmap_dma(self->container, IOVA, PAGE + 1, 0,
				       NULL));
	ASSERT_OK(unmap_dma(self->container, IOVA, 4 * PAGE, 0, &done));
	ASSERT_EQ(4 * PAGE, done);
	ASSERT_OK(unmap_dma(self->container, IOVA, 4 * PAGE, 0, &done));
	ASSERT_EQ(0, done);
	edu_close(&self->e[0]);
	close(self->container);

	/* TYPE1: a range starting inside a mapping unmaps nothing... */
	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_GE(self->container, 0);
	ASSERT_EQ(0, setup_type(self, VFIO_TYPE1_IOMMU));
	ASSERT_OK(map_dma(self->container, self->buf, 2 * PAGE, IOVA));
	ASSERT_OK(map_dma(self->container, self->buf + 2 * PAGE, 2 * PAGE,
			  IOVA + 2 * PAGE));
	ASSERT_OK(unmap_dma(self->container, IOVA + PAGE, PAGE, 0, &done));
	ASSERT_EQ(0, done);
	/* ...and one covering a mapping's start takes all of it. */
	ASSERT_OK(unmap_dma(self->container, IOVA + 2 * PAGE, PAGE, 0, &done));
	ASSERT_EQ(2 * PAGE, done);
	ASSERT_OK(unmap_dma(self->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
			    &done));
	ASSERT_EQ(2 * PAGE, done);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 0));
}

/*
 * Two devices in one container share its mappings; a device whose group
 * joins later finds the existing mappings there (replay).
 */
EDU_TEST(two_devices_share_mappings)
{
	char *in = self->buf, *out1 = self->buf + PAGE, *out2 = self->buf + 2 * PAGE;

	SETUP_ONE();
	for (unsigned int i = 0; i < PAGE; i++)
		in[i] = (char)(i ^ 0x3c);
	ASSERT_OK(map_dma(self->container, self->buf, 3 * PAGE, IOVA));
	ASSERT_OK(edu_open_group(&self->e[1], self->bdfs[1], self->container));
	ASSERT_OK(edu_open_device(&self->e[1]));
	ASSERT_OK(edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE, XFER));
	ASSERT_OK(edu_roundtrip(&self->e[1], IOVA, IOVA + 2 * PAGE, XFER));
	ASSERT_EQ(0, memcmp(in, out1, XFER));
	ASSERT_EQ(0, memcmp(in, out2, XFER));
	/* Pinned once for both. */
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 3 * PAGE, 1));
	/* The first group leaves; the second keeps working. */
	edu_close(&self->e[0]);
	memset(out2, 0, PAGE);
	ASSERT_OK(edu_roundtrip(&self->e[1], IOVA, IOVA + 2 * PAGE, XFER));
	ASSERT_EQ(0, memcmp(in, out2, XFER));
}

/* Closing the container returns every pin (and charge). */
EDU_TEST(close_returns_pins)
{
	SETUP_ONE();
	ASSERT_OK(map_dma(self->container, self->buf, 4 * PAGE, IOVA));
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 1));
	edu_close(&self->e[0]);
	close(self->container);
	self->container = -1;
	/* The last references go when the closing task returns. */
	usleep(100000);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 0));
	ASSERT_EQ(self->contexts, iommufd_stat("contexts"));
}

/* A process killed while its device DMAs leaves nothing pinned. */
EDU_TEST(killed_mid_dma)
{
	int ready[2], status;
	char c;
	pid_t pid;

	ASSERT_OK(pipe(ready));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setup_one(self) ||
		    map_dma(self->container, self->buf, 4 * PAGE, IOVA))
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE, XFER);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(150000);
	ASSERT_OK(kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	usleep(100000);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 0));
	ASSERT_EQ(self->contexts, iommufd_stat("contexts"));
}

/*
 * One buffer mapped into two containers (a guest's RAM behind two vIOMMU
 * domains), by an unprivileged process whose RLIMIT_MEMLOCK holds one
 * copy: this core charges the process once and both maps succeed;
 * vfio_iommu_type1 charges each container and refuses the second (the
 * reference behaviour this project improves on).
 */
EDU_TEST(one_buffer_two_containers_charged_once)
{
	bool ours = *self->backend == '1';
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct rlimit rl = { 4 * PAGE, 4 * PAGE };
		int second = open("/dev/vfio/vfio", O_RDWR);

		CHILD_CHECK(1, second >= 0 && !setup_one(self));
		CHILD_CHECK(2, !edu_open_group(&self->e[1], self->bdfs[1],
					       second));
		CHILD_CHECK(3, !ioctl(second, VFIO_SET_IOMMU,
				      VFIO_TYPE1v2_IOMMU));
		CHILD_CHECK(4, !edu_open_device(&self->e[1]));
		CHILD_CHECK(5, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(6, !map_dma(self->container, self->buf, 4 * PAGE,
					IOVA));
		if (!ours) {
			CHILD_CHECK(7, map_dma(second, self->buf, 4 * PAGE,
					       IOVA) && errno == ENOMEM);
			_exit(0);
		}
		CHILD_CHECK(8, !map_dma(second, self->buf, 4 * PAGE, IOVA));
		/* Both devices really reach the buffer. */
		memset(self->buf, 0x77, XFER);
		CHILD_CHECK(9, !edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE,
					      XFER));
		CHILD_CHECK(10, !edu_roundtrip(&self->e[1], IOVA,
					       IOVA + 2 * PAGE, XFER));
		CHILD_CHECK(11, self->buf[PAGE] == 0x77 &&
				self->buf[2 * PAGE + XFER - 1] == 0x77);
		/* Another page is over the limit. */
		char *more = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);

		CHILD_CHECK(12, more != MAP_FAILED);
		CHILD_CHECK(13, map_dma(second, more, PAGE, 0x800000) &&
				errno == ENOMEM);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (status)
		TH_LOG("child failed at check %d", WEXITSTATUS(status));
	ASSERT_EQ(0, status);
	usleep(100000);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 0));
}

/*
 * Dirty page tracking for migration: a device without dirty logging may
 * have written any page mapped for it, so both backends report every
 * mapped page of the queried mappings, at every query, and on unmap.
 */
EDU_TEST(dirty_pages_while_a_device_writes)
{
	uint64_t bits[2] = { 0, 0 };

	SETUP_ONE();
	ASSERT_OK(map_dma(self->container, self->buf, 2 * PAGE, IOVA));
	ASSERT_OK(map_dma(self->container, self->buf + 2 * PAGE, 2 * PAGE,
			  IOVA + 4 * PAGE));
	ASSERT_OK(dirty_pages(self->container,
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* The device writes one page; all four are reported. */
	ASSERT_OK(edu_roundtrip(&self->e[0], IOVA, IOVA + PAGE, XFER));
	ASSERT_OK(dirty_bitmap(self->container, IOVA, 8 * PAGE, PAGE, bits,
			       sizeof(bits)));
	ASSERT_EQ(0x33ULL, bits[0]);
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->container, IOVA, PAGE, PAGE,
					  bits, sizeof(bits)));
	bits[0] = 0;
	ASSERT_OK(unmap_dma_dirty(self->container, IOVA + 4 * PAGE, 2 * PAGE,
				  PAGE, bits, 8));
	/*
	 * type1 shifts a mapping's own bitmap in place to its offset in the
	 * caller's and clears only its first bits after: what the query
	 * above set at bits 4 and 5 comes back here too (0x33).
	 */
	if (*self->backend == '1') {
		ASSERT_EQ(0x3ULL, bits[0]);
	} else {
		ASSERT_EQ(0x3ULL, bits[0] & 0xf);
	}
	ASSERT_OK(dirty_pages(self->container,
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	ASSERT_ERRNO(EINVAL, dirty_bitmap(self->container, IOVA, 2 * PAGE, PAGE,
					  bits, 8));
}

/* A TYPE1 (v1) container has no dirty tracking: EACCES. */
EDU_TEST(dirty_pages_need_type1v2)
{
	ASSERT_EQ(0, setup_type(self, VFIO_TYPE1_IOMMU));
	ASSERT_ERRNO(EACCES, dirty_pages(self->container,
					 VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
}

/* The kB after "@field:" in this process's /proc/self/status, or -1. */
static long status_kb(const char *field)
{
	char line[128];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* VFIO_IOMMU_MAP_DMA with @flags (VFIO_DMA_MAP_FLAG_VADDR, say). */
static int map_dma_flags(int fd, void *buf, uint64_t len, uint64_t iova,
			 uint32_t flags)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = len,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

/*
 * Live update, vfio_iommu_type1's way: a mapping gives up its user address
 * (VFIO_DMA_UNMAP_FLAG_VADDR) and stays mapped and pinned, the device still
 * reaching it; a new process names the address it has the memory at
 * (VFIO_DMA_MAP_FLAG_VADDR) and takes over its charge (VmPin here, VmLck
 * for type1, both per process).  As an unprivileged user, so that both
 * backends charge.
 */
EDU_TEST(update_vaddr_moves_a_mapping_to_a_new_process)
{
	const char *field = *self->backend == '1' ? "VmPin" : "VmLck";

	RUN_AS_CHILD({
		struct rlimit rl = { 8 * PAGE, 8 * PAGE };
		int container = self->container, other, child, status;
		uint32_t vaddr = VFIO_DMA_MAP_FLAG_VADDR;
		char path[64];
		uint64_t done;

		CHILD_CHECK(1, !setup_one(self));
		CHILD_CHECK(2, ioctl(container, VFIO_CHECK_EXTENSION,
				     VFIO_UPDATE_VADDR) == 1);
		snprintf(path, sizeof(path), "/dev/vfio/%d",
			 group_number(self->bdfs[1]));
		other = open(path, O_RDWR);
		CHILD_CHECK(3, other >= 0);
		CHILD_CHECK(4, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(5, !map_dma(container, self->buf, 4 * PAGE, IOVA));
		CHILD_CHECK(6, status_kb(field) == 4 * PAGE / 1024);
		CHILD_CHECK(7, !unmap_dma(container, IOVA, 4 * PAGE,
					  VFIO_DMA_UNMAP_FLAG_VADDR, &done) &&
			       done == 4 * PAGE);
		CHILD_CHECK(8, unmap_dma(container, IOVA, 4 * PAGE,
					 VFIO_DMA_UNMAP_FLAG_VADDR, NULL) &&
			       errno == EINVAL);
		/* Still mapped: the device reaches the pinned pages. */
		memset(self->buf, 0x3c, XFER);
		CHILD_CHECK(9, !edu_roundtrip(&self->e[0], IOVA,
					      IOVA + 2 * PAGE, XFER) &&
			       self->buf[2 * PAGE + XFER - 1] == 0x3c);
		/* Only that exact mapping takes an address, with no prot. */
		CHILD_CHECK(10, map_dma_flags(container, self->buf, 2 * PAGE,
					      IOVA, vaddr) && errno == EINVAL);
		CHILD_CHECK(11, map_dma_flags(container, self->buf, 4 * PAGE,
					      IOVA + 64 * PAGE, vaddr) &&
				errno == ENOENT);
		CHILD_CHECK(12, map_dma_flags(container, self->buf, 4 * PAGE,
					      IOVA, vaddr |
					      VFIO_DMA_MAP_FLAG_READ) &&
				errno == EINVAL);
		/* No group joins meanwhile: it might need to pin. */
		CHILD_CHECK(13, ioctl(other, VFIO_GROUP_SET_CONTAINER,
				      &container) && errno == EBUSY);
		/* A new process takes it over, at the same address. */
		child = fork();
		CHILD_CHECK(14, child >= 0);
		if (!child)
			_exit(map_dma_flags(container, self->buf, 4 * PAGE,
					    IOVA, vaddr) ? 1 :
			      status_kb(field) != 4 * PAGE / 1024 ? 2 : 0);
		CHILD_CHECK(15, waitpid(child, &status, 0) == child &&
				WIFEXITED(status) && !WEXITSTATUS(status));
		CHILD_CHECK(16, status_kb(field) == 0);
		CHILD_CHECK(17, map_dma_flags(container, self->buf, 4 * PAGE,
					      IOVA, vaddr) && errno == EINVAL);
		/* A mapping like any other again. */
		memset(self->buf, 0x5e, XFER);
		CHILD_CHECK(18, !edu_roundtrip(&self->e[0], IOVA,
					       IOVA + 2 * PAGE, XFER) &&
				self->buf[2 * PAGE] == 0x5e);
		CHILD_CHECK(19, !unmap_dma(container, IOVA, 4 * PAGE, 0,
					   &done) && done == 4 * PAGE);
		close(other);
	});
	usleep(100000);
	ASSERT_OK(test_check_refs(self->iommufd, self->buf, 4 * PAGE, 0));
}

/* Tracepoints fire for VFIO users as for /dev/iommu's, with the PCI device. */
TEST_F(iommufd_bpf, events_name_the_pci_device)
{
	struct env *env = &self->env;
	char expect[128], text[1 << 15];
	ssize_t len;
	int fd;

	ASSERT_OK(write_file("/sys/kernel/tracing/trace", ""));
	ASSERT_OK(write_file("/sys/kernel/tracing/events/iommufd/enable", "1"));
	ASSERT_EQ(0, setup_one(env));
	ASSERT_OK(map_dma(env->container, env->buf, PAGE, IOVA));
	ASSERT_OK(unmap_dma(env->container, IOVA, PAGE, 0, NULL));
	ASSERT_OK(write_file("/sys/kernel/tracing/events/iommufd/enable", "0"));
	fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	ASSERT_GE(fd, 0);
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	ASSERT_GT(len, 0);
	text[len] = '\0';
	snprintf(expect, sizeof(expect), " bind: dev=%s group=%d",
		 env->bdfs[0], group_number(env->bdfs[0]));
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), " attach: dev=%s group=%d",
		 env->bdfs[0], group_number(env->bdfs[0]));
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), " ioas_map: ioas_id=%s", "");
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), "iova=%#lx length=0x1000 uaddr=%p",
		 IOVA, (void *)env->buf);
	ASSERT_NE(NULL, strstr(text, expect));
	ASSERT_NE(NULL, strstr(text, " pin: "));
	ASSERT_NE(NULL, strstr(text, " iotlb_sync: "));
	ASSERT_NE(NULL, strstr(text, " unpin: "));
}

/*
 * Run as vfio_edu_rmrr, in the --rmrr VM: the device with the RMRR is
 * refused when its group joins a container, whichever backend would serve
 * it, by the IOMMU core (it cannot be given the blocking domain), with its
 * log line; the other edu device still works.
 */
/* ---- peer-to-peer: one edu's DMA into the other's BAR ------------------ */

#define BAR_IOVA 0x4000000UL	/* inside edu's 28-bit DMA mask */
#define REG_LIVENESS 0x04	/* reads back the inverse of what was written */

/* The second edu in the container too, its BAR mmapped: the peer. */
static int open_peer(struct env *self)
{
	int rc = edu_open_group(&self->e[1], self->bdfs[1], self->container);

	return rc ? rc : edu_open_device(&self->e[1]);
}

/*
 * edu 0 DMAs @val, from the RAM page at IOVA, to @iova (the peer's
 * liveness register through its BAR mapping); what the register reads
 * then, through the peer's device file (its mmap may be gone).
 */
static uint32_t p2p_write(struct env *self, uint32_t val, uint64_t iova)
{
	uint32_t reg = 0;

	memcpy(self->buf, &val, sizeof(val));
	if (edu_dma(&self->e[0], IOVA, EDU_BUF, sizeof(val), false) ||
	    edu_dma(&self->e[0], EDU_BUF, iova, sizeof(val), true))
		return 0;
	/* BAR0 is region 0 of the device file, at offset 0. */
	if (pread(self->e[1].device, &reg, sizeof(reg), REG_LIVENESS) !=
	    sizeof(reg))
		return 0;
	return reg;
}

/*
 * Edu 0 in the container with a page of RAM at IOVA, and the peer's BAR
 * mapped at BAR_IOVA; 0 or -errno.
 */
static int map_peer_bar(struct env *self)
{
	int rc = setup_one(self);

	if (!rc)
		rc = open_peer(self);
	if (!rc && (map_dma(self->container, self->buf, PAGE, IOVA) ||
		    map_dma(self->container, (void *)self->e[1].bar,
			    self->e[1].bar_size, BAR_IOVA)))
		rc = -errno;
	return rc;
}

/* Memory space decoding of @e off and on again: vfio-pci zaps its mmaps. */
static int toggle_memory(struct edu *e)
{
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd, off;

	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		return -errno;
	if (pread(e->device, &cmd, 2, cfg.offset + 4) != 2)
		return -EIO;
	off = cmd & ~0x2;
	if (pwrite(e->device, &off, 2, cfg.offset + 4) != 2 ||
	    pwrite(e->device, &cmd, 2, cfg.offset + 4) != 2)
		return -EIO;
	return 0;
}

/*
 * QEMU maps every enabled BAR of a passed-through device into the
 * container, so that devices reach each other: the BAR's mmap (VM_PFNMAP)
 * maps, nothing of it is pinned or charged, and edu 0's DMA through it
 * lands in edu 1's register.  A zap of the mmap that keeps it (memory
 * decoding off and on, as around a reset) leaves the mapping working; an
 * unmap takes it away (a DMAR fault, expected).
 */
EDU_TEST(bar_maps_for_peer_to_peer)
{
	long lck, pin, pinned;
	uint64_t done;

	SETUP_ONE();
	ASSERT_EQ(0, open_peer(self));
	ASSERT_OK(map_dma(self->container, self->buf, PAGE, IOVA));
	lck = status_kb("VmLck");
	pin = status_kb("VmPin");
	pinned = iommufd_stat("pinned_pages");
	ASSERT_OK(map_dma(self->container, (void *)self->e[1].bar,
			  self->e[1].bar_size, BAR_IOVA));
	ASSERT_EQ(lck, status_kb("VmLck"));
	ASSERT_EQ(pin, status_kb("VmPin"));
	ASSERT_EQ(pinned, iommufd_stat("pinned_pages"));
	ASSERT_EQ(~0x12345678u, p2p_write(self, 0x12345678, BAR_IOVA + REG_LIVENESS));
	ASSERT_EQ(~0x12345678u,
		  *(volatile uint32_t *)(self->e[1].bar + REG_LIVENESS));
	ASSERT_OK(toggle_memory(&self->e[1]));
	ASSERT_EQ(~0x600dd00du, p2p_write(self, 0x600dd00d, BAR_IOVA + REG_LIVENESS));
	ASSERT_OK(unmap_dma(self->container, BAR_IOVA, self->e[1].bar_size, 0,
			    &done));
	ASSERT_EQ(self->e[1].bar_size, done);
	TH_LOG("expected: a DMAR write fault for %s (IOVA %#lx, unmapped)",
	       self->e[0].bdf, BAR_IOVA + REG_LIVENESS);
	ASSERT_EQ(~0x600dd00du, p2p_write(self, 0x5eed, BAR_IOVA + REG_LIVENESS));
	ASSERT_EQ(lck, status_kb("VmLck"));
	ASSERT_EQ(pin, status_kb("VmPin"));
}

/*
 * Where the backends differ: the BAR's mmap going away (munmap here; exit
 * or exec alike) revokes this backend's mapping of it, before the mmap's
 * hold on the device file can go; the IOVA stays mapped until unmapped.
 */
TEST_F(iommufd_bpf, bar_mapping_revoked_with_its_mmap)
{
	struct env *env = &self->env;
	uint64_t done;

	ASSERT_EQ(0, map_peer_bar(env));
	ASSERT_EQ(~0x12345678u, p2p_write(env, 0x12345678, BAR_IOVA + REG_LIVENESS));
	ASSERT_OK(munmap((void *)env->e[1].bar, env->e[1].bar_size));
	env->e[1].bar = NULL;
	TH_LOG("expected: a DMAR write fault for %s (IOVA %#lx, revoked)",
	       env->e[0].bdf, BAR_IOVA + REG_LIVENESS);
	ASSERT_EQ(~0x12345678u, p2p_write(env, 0x0badcafe, BAR_IOVA + REG_LIVENESS));
	ASSERT_OK(unmap_dma(env->container, BAR_IOVA, env->e[1].bar_size, 0,
			    &done));
	ASSERT_EQ(env->e[1].bar_size, done);
}

/*
 * A BAR mapping lives as long as its mmap in the process that mapped it,
 * so it cannot be handed to another process: VFIO_DMA_UNMAP_FLAG_VADDR
 * over it is EINVAL (type1 takes it), and it stays mapped and reachable.
 */
TEST_F(iommufd_bpf, bar_mapping_keeps_its_user_address)
{
	struct env *env = &self->env;
	uint64_t done;

	ASSERT_EQ(0, map_peer_bar(env));
	ASSERT_ERRNO(EINVAL, unmap_dma(env->container, BAR_IOVA,
				       env->e[1].bar_size,
				       VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	ASSERT_EQ(~0x0badcafeu, p2p_write(env, 0x0badcafe, BAR_IOVA + REG_LIVENESS));
	ASSERT_OK(unmap_dma(env->container, BAR_IOVA, env->e[1].bar_size, 0,
			    &done));
	ASSERT_EQ(env->e[1].bar_size, done);
}

/*
 * vfio_iommu_type1 keeps mapping a BAR whose mmap is gone (it holds
 * nothing of the device): the DMA still lands.  docs/vfio.md says why this
 * backend does not.
 */
TEST_F(type1, bar_mapping_outlives_its_mmap)
{
	struct env *env = &self->env;

	ASSERT_EQ(0, map_peer_bar(env));
	ASSERT_OK(munmap((void *)env->e[1].bar, env->e[1].bar_size));
	env->e[1].bar = NULL;
	ASSERT_EQ(~0x0badcafeu, p2p_write(env, 0x0badcafe, BAR_IOVA + REG_LIVENESS));
	ASSERT_OK(unmap_dma(env->container, BAR_IOVA, env->e[1].bar_size, 0,
			    NULL));
}

FIXTURE(rmrr) { struct env env; };
FIXTURE_SETUP(rmrr) { env_setup(_metadata, &self->env, "1"); }
FIXTURE_TEARDOWN(rmrr) { env_teardown(&self->env); }

/* 00:10.0 has its RMRR: a direct region in its group's reserved regions. */
static bool has_direct_region(const char *bdf)
{
	char path[256], line[128];
	bool direct = false;
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_PCI "%s/iommu_group/reserved_regions",
		 bdf);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		direct |= !!strstr(line, " direct\n");
	if (f)
		fclose(f);
	return direct;
}

/* The device without the RMRR does DMA on the current backend. */
static int other_device_works(struct env *env)
{
	int rc = edu_open_group(&env->e[1], env->bdfs[1], env->container);

	if (!rc && ioctl(env->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		rc = -errno;
	if (!rc)
		rc = edu_open_device(&env->e[1]);
	if (!rc)
		rc = map_dma(env->container, env->buf, 2 * PAGE, IOVA) ? -errno : 0;
	memset(env->buf, 0x42, XFER);
	memset(env->buf + PAGE, 0, XFER);
	if (!rc && (edu_roundtrip(&env->e[1], IOVA, IOVA + PAGE, XFER) ||
		    memcmp(env->buf, env->buf + PAGE, XFER)))
		rc = -EIO;
	edu_close(&env->e[1]);
	/* A fresh container for what comes next. */
	close(env->container);
	env->container = open("/dev/vfio/vfio", O_RDWR);
	return rc;
}

TEST_F(rmrr, direct_mapped_device_refused)
{
	struct env *env = &self->env;
	int kmsg = kmsg_mark();
	char line[128];

	ASSERT_TRUE(has_direct_region(env->bdfs[0]));
	for (int backend = 1; backend >= 0; backend--) {
		ASSERT_OK(write_file(BACKEND_PARAM, backend ? "1" : "0"));
		ASSERT_EQ(-EINVAL, edu_open_group(&env->e[0], env->bdfs[0],
						  env->container));
		edu_close(&env->e[0]);
		ASSERT_OK(other_device_works(env));
	}
	snprintf(line, sizeof(line),
		 "%s: Firmware has requested this device have a 1:1 IOMMU mapping",
		 env->bdfs[0]);
	ASSERT_EQ(2, kmsg_count(kmsg, line));
	close(kmsg);
}

/*
 * With deny_resv_direct loaded, the policy decides first, on either
 * backend: the policy's errno, its log line and decision naming the device,
 * the policy and the region, and the IOMMU core never gets to refuse; the
 * other device is allowed and does DMA.
 */
TEST_F(rmrr, policy_decides_before_the_core)
{
	struct env *env = &self->env;
	char line[160];

	ASSERT_EQ(0, policy_cmd("load deny_resv_direct"));
	for (int backend = 1; backend >= 0; backend--) {
		/* kmsg_count() reads on from its mark: one mark per count. */
		int core = kmsg_mark(), policy = kmsg_mark();

		ASSERT_OK(write_file(BACKEND_PARAM, backend ? "1" : "0"));
		ASSERT_EQ(-EPERM, edu_open_group(&env->e[0], env->bdfs[0],
						 env->container));
		edu_close(&env->e[0]);
		ASSERT_EQ(0, kmsg_count(core, "Firmware has requested"));
		snprintf(line, sizeof(line),
			 "policy deny_resv_direct denies bind of %s direct[",
			 env->bdfs[0]);
		ASSERT_EQ(1, kmsg_count(policy, line));
		close(core);
		close(policy);
		ASSERT_OK(other_device_works(env));
	}
	ASSERT_TRUE(decided(env->bdfs[0], "\tdeny\tdeny_resv_direct\t-1\t",
			    "direct["));
	ASSERT_TRUE(decided(env->bdfs[1], "\tallow\tdeny_resv_direct\t",
			    "\t"));
	ASSERT_EQ(0, policy_cmd("unload deny_resv_direct"));
}

/*
 * vfio_edu runs the backend tests; vfio_edu_rmrr (a link) the RMRR ones.
 * Options (-h) pick tests instead.
 */
int main(int argc, char **argv)
{
	char *backends[] = { argv[0], "-F", "rmrr", NULL };
	char *rmrr[] = { argv[0], "-f", "rmrr", NULL };

	if (argc > 1)
		return harness_main(argc, argv);
	if (strstr(argv[0], "vfio_edu_rmrr"))
		return harness_main(3, rmrr);
	return harness_main(3, backends);
}
