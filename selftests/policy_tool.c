// SPDX-License-Identifier: GPL-2.0-only
/*
 * tools/iommupolicy and the shipped policies, with mock devices: load,
 * list, log, unload; deny_resv_direct (strict, with include_relaxable, in
 * audit mode), pci_allowlist, pin_quota; and the one-line errors.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "iommufd_utils.h"

#define PAGE 4096UL

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE, RESV_RESERVED, RESV_MSI,
       RESV_SW_MSI };

static char out[1 << 16];

/* Run iommupolicy with @args (a shell word list); its output in out. */
static int tool(const char *args)
{
	char cmd[1024];
	size_t len = 0;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "iommupolicy %s 2>&1", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len < sizeof(out) - 1 &&
	       fgets(out + len, sizeof(out) - len, p))
		len += strlen(out + len);
	out[len] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FIXTURE(tool) {
	int fd;
};

FIXTURE_SETUP(tool)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	/* Nothing left from an earlier test. */
	system("rm -f /sys/fs/bpf/iommupolicy/* 2>/dev/null");
}

FIXTURE_TEARDOWN(tool)
{
	system("rm -f /sys/fs/bpf/iommupolicy/* 2>/dev/null");
	close(self->fd);
}

/* Bind a new mock device; 0 or the errno. */
static int bind_mock(int fd, uint32_t pci_id, uint32_t pci_class,
		     uint32_t resv_type, uint32_t *index)
{
	struct iommu_test_bpf_mock_device spec = {
		.pci_id = pci_id,
		.pci_class = pci_class,
		.resv_type = resv_type,
		.resv_start = 0x100000,
		.resv_length = 0x4000,
	};
	uint32_t stdev, n, dev_id;

	if (test_bpf_mock_device(fd, &spec, &stdev, &n))
		return errno;
	if (index)
		*index = n;
	return test_bpf_bind(fd, stdev, &dev_id) ? errno : 0;
}

TEST_F(tool, deny_resv_direct)
{
	uint32_t index;
	char line[320];
	int kmsg;

	ASSERT_EQ(0, tool("load deny_resv_direct"));
	ASSERT_NE(NULL, strstr(out, "loaded deny_resv_direct from "));
	ASSERT_EQ(0, access("/sys/fs/bpf/iommupolicy/deny_resv_direct", F_OK));
	ASSERT_EQ(0, tool("list"));
	ASSERT_NE(NULL, strstr(out, "deny_resv_direct"));
	ASSERT_NE(NULL, strstr(out, " bind "));
	ASSERT_NE(NULL, strstr(out, " enforce "));

	/* Refused by the policy (EPERM), before the module's own check. */
	kmsg = kmsg_mark();
	ASSERT_EQ(EPERM, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT,
				   &index));
	snprintf(line, sizeof(line),
		 "policy deny_resv_direct denies bind of iommufd_bpf_mock.%u direct[0x100000-0x103fff] by policy_tool[",
		 index);
	ASSERT_EQ(1, kmsg_count(kmsg, line));
	ASSERT_EQ(0, kmsg_count(kmsg, "bind refused: firmware requires"));
	close(kmsg);
	/* Relaxable regions pass by default. */
	ASSERT_EQ(0, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT_RELAXABLE,
			       NULL));
	ASSERT_EQ(0, tool("log"));
	snprintf(line, sizeof(line), "iommufd_bpf_mock.%u", index);
	ASSERT_NE(NULL, strstr(out, line));
	ASSERT_NE(NULL, strstr(out, "deny "));
	ASSERT_NE(NULL, strstr(out, "Operation not permitted"));
	ASSERT_NE(NULL, strstr(out, " direct[0x100000-0x103fff]\n"));

	/* A stricter instance, next to it. */
	ASSERT_EQ(0, tool("load deny_resv_direct --name strict --set include_relaxable=1 --set deny_errno=13"));
	ASSERT_EQ(EACCES, bind_mock(self->fd, 0x80861234, 0,
				    RESV_DIRECT_RELAXABLE, NULL));
	ASSERT_EQ(0, tool("unload strict"));
	ASSERT_EQ(0, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT_RELAXABLE,
			       NULL));
	ASSERT_EQ(0, tool("unload deny_resv_direct"));
	ASSERT_EQ(0, tool("list"));
	ASSERT_EQ(NULL, strstr(out, "deny_resv_direct"));
	/* Back to the module's own refusal. */
	ASSERT_EQ(EINVAL, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT,
				    NULL));
}

TEST_F(tool, audit_mode)
{
	uint32_t index;
	char line[320];

	ASSERT_EQ(0, tool("load deny_resv_direct --audit --set include_relaxable=1"));
	ASSERT_NE(NULL, strstr(out, "(audit mode)"));
	ASSERT_EQ(0, tool("list --json"));
	ASSERT_NE(NULL, strstr(out, "\"name\":\"deny_resv_direct\",\"hooks\":\"bind\",\"mode\":\"audit\""));
	/* Logged, not enforced: the module's own rules still apply. */
	ASSERT_EQ(0, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT_RELAXABLE,
			       &index));
	ASSERT_EQ(EINVAL, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT,
				    NULL));
	ASSERT_EQ(0, tool("log --json"));
	snprintf(line, sizeof(line),
		 "\"hook\":\"bind\",\"object\":\"iommufd_bpf_mock.%u\",\"pid\":%d,\"comm\":\"policy_tool\",\"verdict\":\"audit-deny\",\"policy\":\"deny_resv_direct\",\"errno\":1,\"detail\":\"direct-relaxable[0x100000-0x103fff]\"}",
		 index, getpid());
	ASSERT_NE(NULL, strstr(out, line));
}

TEST_F(tool, pci_allowlist)
{
	ASSERT_EQ(0, tool("load pci_allowlist --set allow=8086:1234,1af4:1000:020000"));
	ASSERT_EQ(0, bind_mock(self->fd, 0x80861234, 0x010000,
			       MOCK_BPF_RESV_NONE, NULL));
	ASSERT_EQ(0, bind_mock(self->fd, 0x1af41000, 0x020000,
			       MOCK_BPF_RESV_NONE, NULL));
	ASSERT_EQ(EPERM, bind_mock(self->fd, 0x1af41000, 0x010000,
				   MOCK_BPF_RESV_NONE, NULL));
	ASSERT_EQ(EPERM, bind_mock(self->fd, 0x80861235, 0x010000,
				   MOCK_BPF_RESV_NONE, NULL));
	ASSERT_EQ(0, tool("list"));
	ASSERT_NE(NULL, strstr(out, "2          2"));
}

TEST_F(tool, pin_quota)
{
	int fd = self->fd;
	uint32_t ioas;
	char *buf;

	buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_OK(ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=32768 --set uid=65534"));
	/* Root (not charged) is not capped. */
	uint64_t iova;

	ASSERT_OK(ioas_map(fd, ioas, buf, 16 * PAGE, &iova));
	RUN_AS_CHILD({
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };
		char *mine = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);
		uint64_t v;

		CHILD_CHECK(1, mine != MAP_FAILED);
		CHILD_CHECK(2, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		/* 8 pages fit the 32 KiB cap; 9 do not. */
		CHILD_CHECK(3, ioas_map(fd, ioas, mine, 9 * PAGE, &v) &&
			       errno == EDQUOT);
		CHILD_CHECK(4, !ioas_map(fd, ioas, mine, 8 * PAGE, &v));
	});
	munmap(buf, 16 * PAGE);
}

/* The cgroup v2 ID of this process: its cgroup directory's inode. */
static uint64_t my_cgroup_id(void)
{
	char line[512], path[600];
	struct stat st;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "0::", 3))
		return 0;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s", line + 3);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* pin_quota's cgroup knob: only maps from that cgroup are capped. */
TEST_F(tool, pin_quota_per_cgroup)
{
	uint64_t cg = my_cgroup_id(), iova;
	char args[160];
	char *buf;
	uint32_t ioas;

	ASSERT_NE(0, cg);
	buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	/* Another cgroup's cap does not apply here... */
	snprintf(args, sizeof(args),
		 "load pin_quota --name other_cg --set quota_bytes=4096 --set cgroup_id=%llu",
		 (unsigned long long)cg + 1);
	ASSERT_EQ(0, tool(args));
	/* ...this one's does (root is not charged: run it as nobody). */
	snprintf(args, sizeof(args),
		 "load pin_quota --name this_cg --set quota_bytes=16384 --set cgroup_id=%llu",
		 (unsigned long long)cg);
	ASSERT_EQ(0, tool(args));
	int fd = self->fd;

	RUN_AS_CHILD({
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };

		CHILD_CHECK(1, !setrlimit(RLIMIT_MEMLOCK, &rl) &&
			       !setgid(65534) && !setuid(65534));
		CHILD_CHECK(2, ioas_map(fd, ioas, buf, 5 * PAGE, &iova) &&
			       errno == EDQUOT);
		CHILD_CHECK(3, !ioas_map(fd, ioas, buf, 4 * PAGE, &iova));
	});
	munmap(buf, 16 * PAGE);
}

/* Every error is one line saying what to do, and exit status 1. */
TEST_F(tool, one_line_errors)
{
	char cmd[256];

	ASSERT_EQ(1, tool("load no_such_policy"));
	ASSERT_NE(NULL, strstr(out, "no policy called no_such_policy"));
	snprintf(cmd, sizeof(cmd), "load %s/build/selftests/module_btf.bpf.o",
		 getenv("PWD") ? getenv("PWD") : ".");
	ASSERT_EQ(1, tool(cmd));
	ASSERT_NE(NULL, strstr(out, "is not an iommufd policy"));
	ASSERT_EQ(1, tool("load pin_quota --set nope=1"));
	ASSERT_NE(NULL, strstr(out, "policy pin_quota has no knob nope (its knobs: "));
	ASSERT_NE(NULL, strstr(out, "quota_bytes"));
	ASSERT_EQ(1, tool("load pin_quota --set quota_bytes=lots"));
	ASSERT_NE(NULL, strstr(out, "bad value 'lots' for quota_bytes"));
	ASSERT_EQ(1, tool("load pin_quota --name 'bad name'"));
	ASSERT_NE(NULL, strstr(out, "bad name 'bad name'"));
	ASSERT_EQ(0, tool("load pin_quota"));
	ASSERT_EQ(1, tool("load pin_quota"));
	ASSERT_NE(NULL, strstr(out, "a policy called pin_quota is loaded already"));
	ASSERT_EQ(1, tool("unload nothing_here"));
	ASSERT_NE(NULL, strstr(out, "no policy nothing_here loaded by iommupolicy"));
	ASSERT_EQ(2, tool("frobnicate"));
	ASSERT_NE(NULL, strstr(out, "unknown command 'frobnicate'"));
	ASSERT_EQ(1, tool("list 2>&1; setpriv --reuid=65534 --regid=65534 --clear-groups iommupolicy list"));
	ASSERT_NE(NULL, strstr(out, "must run as root"));
	ASSERT_EQ(1, tool("list >/dev/null; unshare -m sh -c 'umount /sys/fs/bpf && iommupolicy unload pin_quota'"));
	ASSERT_NE(NULL, strstr(out, "bpffs is not mounted at /sys/fs/bpf: mount -t bpf bpf /sys/fs/bpf"));
}

/* Without the module: one line saying how to load it. */
TEST(module_not_loaded)
{
	char cmd[512];
	const char *ko = getenv("IOMMUFD_BPF_KO");

	if (!ko)
		SKIP("IOMMUFD_BPF_KO is not set (the test VM sets it)");
	ASSERT_EQ(0, system("rm -f /sys/fs/bpf/iommupolicy/*; rmmod iommufd_bpf"));
	ASSERT_EQ(1, tool("list"));
	ASSERT_NE(NULL, strstr(out, "the iommufd_bpf module is not loaded: modprobe iommufd_bpf"));
	snprintf(cmd, sizeof(cmd), "insmod %s %s", ko,
		 getenv("IOMMUFD_BPF_PARAMS") ? getenv("IOMMUFD_BPF_PARAMS") : "");
	ASSERT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
