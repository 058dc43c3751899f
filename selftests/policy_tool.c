// SPDX-License-Identifier: GPL-2.0-only
/*
 * tools/iommupolicy and the shipped policies, with mock devices: load,
 * list, log, unload; deny_resv_direct (strict, with include_relaxable, in
 * audit mode), pci_allowlist (also for a device's group), pin_quota
 * (wherever pages get pinned, once per page, per user); and the one-line
 * errors.
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

/* Run the shell command @cmd; its output in out, its exit status. */
static int tool_sh(const char *cmd)
{
	size_t len = 0;
	FILE *p;
	int status;

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

/* Run iommupolicy with @args (a shell word list); its output in out. */
static int tool(const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "iommupolicy %s 2>&1", args);
	return tool_sh(cmd);
}

FIXTURE(tool) {
	int fd;
};

FIXTURE_SETUP(tool)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	/* Nothing left from an earlier test. */
	unload_all_policies();
}

FIXTURE_TEARDOWN(tool)
{
	unload_all_policies();
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

/* A listed device cannot bring an unlisted member of its group along. */
TEST_F(tool, pci_allowlist_judges_the_whole_group)
{
	struct iommu_test_bpf_mock_device spec = {
		.pci_id = 0x80860bad,
		.group_tag = 7,
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	uint32_t stdev, n, dev_id;

	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &n));
	ASSERT_EQ(0, tool("load pci_allowlist --set allow=8086:1234"));
	spec.pci_id = 0x80861234;
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &n));
	ASSERT_ERRNO(EPERM, test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_EQ(0, tool("log"));
	ASSERT_NE(NULL, strstr(out, "iommufd_bpf_mock."));
	ASSERT_NE(NULL, strstr(out, "deny"));
}

/* In a child: become nobody with 64 pages of RLIMIT_MEMLOCK (so charged). */
#define BECOME_NOBODY(n)                                                       \
	do {                                                                   \
		struct rlimit __rl = { 64 * PAGE, 64 * PAGE };                 \
		CHILD_CHECK(n, !setrlimit(RLIMIT_MEMLOCK, &__rl) &&            \
			       !setgid(65534) && !setuid(65534));              \
	} while (0)

/* Fresh memory of @pages pages, populated. */
static char *fresh(unsigned long pages)
{
	return mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
}

/* An IOAS with a mock domain: maps into it pin at once. */
static int ioas_with_domain(int fd, uint32_t *ioas)
{
	return ioas_alloc(fd, ioas) ?:
	       test_mock_domain(fd, *ioas, 0, NULL, NULL, NULL);
}

TEST_F(tool, pin_quota)
{
	int fd = self->fd;
	uint32_t ioas;
	char *buf = fresh(16);
	uint64_t iova;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_OK(ioas_with_domain(fd, &ioas));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=32768 --set uid=65534"));
	ASSERT_EQ(0, tool("list"));
	ASSERT_NE(NULL, strstr(out, " charge "));
	/* Root (not charged) is not capped. */
	ASSERT_OK(ioas_map(fd, ioas, buf, 16 * PAGE, &iova));
	RUN_AS_CHILD({
		char *mine = fresh(16);
		uint64_t v;

		CHILD_CHECK(1, mine != MAP_FAILED);
		BECOME_NOBODY(2);
		/* 8 pages fit the 32 KiB cap; 9 do not. */
		CHILD_CHECK(3, ioas_map(fd, ioas, mine, 9 * PAGE, &v) &&
			       errno == EDQUOT);
		CHILD_CHECK(4, !ioas_map(fd, ioas, mine, 8 * PAGE, &v));
	});
	ASSERT_EQ(0, tool("log"));
	ASSERT_NE(NULL, strstr(out, "+9 pages, 0 charged"));
	munmap(buf, 16 * PAGE);
}

/*
 * pin_quota wherever pages get pinned, as nobody (root is not charged):
 * 16 pages of memory to map, and whatever earlier tests left unloaded.
 */
FIXTURE(quota) {
	int fd;
	char *buf;
};

FIXTURE_SETUP(quota)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	unload_all_policies();
	self->buf = fresh(16);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(quota)
{
	unload_all_policies();
	munmap(self->buf, 16 * PAGE);
	close(self->fd);
}

/*
 * Maps into an IOAS without a domain pin nothing; the domain that comes
 * later pins (and charges) them all: that is where the quota holds.
 */
TEST_F(quota, holds_against_lazy_pinning)
{
	int fd = self->fd;
	char *buf = self->buf;
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=32768"));
	RUN_AS_CHILD({
		BECOME_NOBODY(1);
		/* Where the mock domain's aperture will take them. */
		for (int i = 0; i < 4; i++)
			CHILD_CHECK(2, !ioas_map_fixed(fd, ioas,
						       buf + i * 4 * PAGE,
						       4 * PAGE,
						       MOCK_APERTURE_START +
						       i * 4 * PAGE));
		CHILD_CHECK(3, test_mock_domain(fd, ioas, 0, NULL, NULL,
						NULL) && errno == EDQUOT);
		CHILD_CHECK(4, !ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
		CHILD_CHECK(5, !ioas_map_fixed(fd, ioas, buf, 8 * PAGE,
					       MOCK_APERTURE_START));
		CHILD_CHECK(6, !test_mock_domain(fd, ioas, 0, NULL, NULL,
						 NULL));
	});
	/* Nothing of the refused 16 pages stayed charged. */
	ASSERT_EQ(8, iommufd_stat("charged_pages"));
}

/* A copy into an IOAS with a domain pins what the source did not. */
TEST_F(quota, holds_against_copies)
{
	int fd = self->fd;
	char *buf = self->buf;
	uint32_t src, dst;

	ASSERT_OK(ioas_alloc(fd, &src));
	ASSERT_OK(ioas_with_domain(fd, &dst));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=32768"));
	RUN_AS_CHILD({
		uint32_t rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		uint64_t iova, to = 0;

		BECOME_NOBODY(1);
		CHILD_CHECK(2, !ioas_map(fd, src, buf, 16 * PAGE, &iova));
		CHILD_CHECK(3, ioas_copy(fd, dst, src, iova, 16 * PAGE, &to,
					 rw) && errno == EDQUOT);
		CHILD_CHECK(4, !ioas_copy(fd, dst, src, iova, 8 * PAGE, &to,
					  rw));
	});
	ASSERT_EQ(8, iommufd_stat("charged_pages"));
}

/* An access (an emulated device) pinning pages is charged and capped. */
TEST_F(quota, holds_against_access_pins)
{
	int fd = self->fd;
	char *buf = self->buf;
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=32768"));
	RUN_AS_CHILD({
		uint64_t iova;
		int access;

		BECOME_NOBODY(1);
		CHILD_CHECK(2, !ioas_map(fd, ioas, buf, 16 * PAGE, &iova));
		CHILD_CHECK(3, !test_create_access(fd, ioas,
						   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						   &access));
		CHILD_CHECK(4, test_access_pages(fd, access, iova, 16 * PAGE,
						 NULL, 0, NULL) &&
			       errno == EDQUOT);
		CHILD_CHECK(5, !test_access_pages(fd, access, iova, 8 * PAGE,
						  NULL, 0, NULL));
		close(access);
	});
}

/* One buffer in two IOAS is charged, and counted, once. */
TEST_F(quota, counts_memory_once)
{
	int fd = self->fd;
	char *buf = self->buf;
	uint32_t a, b;

	ASSERT_OK(ioas_with_domain(fd, &a));
	ASSERT_OK(ioas_with_domain(fd, &b));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=65536"));
	RUN_AS_CHILD({
		uint64_t iova;

		BECOME_NOBODY(1);
		CHILD_CHECK(2, !ioas_map(fd, a, buf, 16 * PAGE, &iova));
		CHILD_CHECK(3, !ioas_map(fd, b, buf, 16 * PAGE, &iova));
		/* And the quota is full. */
		CHILD_CHECK(4, ioas_map(fd, a, fresh(1), PAGE, &iova) &&
			       errno == EDQUOT);
	});
	ASSERT_EQ(16, iommufd_stat("charged_pages"));
}

/*
 * The quota is the user's, not each process's: a forked process of the
 * same user finds the first one's pages counted.
 */
TEST_F(quota, holds_across_processes_of_a_user)
{
	int fd = self->fd;
	uint32_t ioas;

	ASSERT_OK(ioas_with_domain(fd, &ioas));
	ASSERT_EQ(0, tool("load pin_quota --set quota_bytes=65536"));
	RUN_AS_CHILD({
		char *mine = fresh(10);
		uint64_t iova;
		int status;
		pid_t pid;

		BECOME_NOBODY(1);
		CHILD_CHECK(2, !ioas_map(fd, ioas, mine, 10 * PAGE, &iova));
		pid = fork();
		if (!pid) {
			char *theirs = fresh(10);

			CHILD_CHECK(3, ioas_map(fd, ioas, theirs, 10 * PAGE,
						&iova) && errno == EDQUOT);
			CHILD_CHECK(4, !ioas_map(fd, ioas, theirs, 6 * PAGE,
						 &iova));
			_exit(0);
		}
		CHILD_CHECK(5, pid > 0 && waitpid(pid, &status, 0) == pid);
		CHILD_CHECK(WEXITSTATUS(status) ?: 6, status == 0);
	});
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
	ASSERT_OK(ioas_with_domain(self->fd, &ioas));
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
	snprintf(cmd, sizeof(cmd), "load %s/build/selftests/policy_bad.bpf.o",
		 getenv("PWD") ? getenv("PWD") : ".");
	ASSERT_EQ(1, tool(cmd));
	ASSERT_NE(NULL, strstr(out, "program sleeps is sleepable, and policies may not sleep: use SEC(\"struct_ops/...\")"));
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

/* Write @text to @path. */
static int put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

#define SITE "/tmp/policies.conf"

/*
 * apply: a site's file loads its policies with their names, modes and
 * knobs; applied again it changes nothing; a changed line reloads that
 * policy alone; a line gone unloads what apply loaded, and nothing loaded
 * by hand.
 */
TEST_F(tool, apply_makes_the_loaded_policies_the_files)
{
	system("rm -rf /run/iommupolicy");
	ASSERT_EQ(0, put_file(SITE,
			      "# the site's policies\n"
			      "\n"
			      "strict   deny_resv_direct\n"
			      "quota    pin_quota audit quota_bytes=4096 uid=65534\n"));
	ASSERT_EQ(0, tool("load pci_allowlist --name by_hand --set allow=8086:1234"));
	ASSERT_EQ(0, tool("apply " SITE));
	ASSERT_NE(NULL, strstr(out, "applied " SITE ": 2 loaded, 0 unchanged, 0 unloaded"));
	ASSERT_EQ(0, tool("list"));
	ASSERT_NE(NULL, strstr(out, "strict           bind               enforce "));
	ASSERT_NE(NULL, strstr(out, "quota            charge             audit "));
	/* Enforced: the policy's errno, before the module's own EINVAL. */
	ASSERT_EQ(EPERM, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT, NULL));

	ASSERT_EQ(0, tool("apply " SITE));
	ASSERT_NE(NULL, strstr(out, "applied " SITE ": 0 loaded, 2 unchanged, 0 unloaded"));

	/* strict goes to audit mode: reloaded; quota stays. */
	ASSERT_EQ(0, put_file(SITE,
			      "strict   deny_resv_direct audit\n"
			      "quota    pin_quota audit quota_bytes=4096 uid=65534\n"));
	ASSERT_EQ(0, tool("apply " SITE));
	ASSERT_NE(NULL, strstr(out, "unchanged quota"));
	ASSERT_NE(NULL, strstr(out, "replaced strict (audit mode) from "));
	ASSERT_NE(NULL, strstr(out, "applied " SITE ": 1 loaded, 1 unchanged, 0 unloaded"));
	ASSERT_EQ(EINVAL, bind_mock(self->fd, 0x80861234, 0, RESV_DIRECT, NULL));
	/* In its place: still asked before quota. */
	ASSERT_EQ(0, tool("list"));
	ASSERT_LT(strstr(out, "strict "), strstr(out, "quota "));

	/* quota leaves the file: unloaded; by_hand was never apply's. */
	ASSERT_EQ(0, put_file(SITE, "strict   deny_resv_direct audit\n"));
	ASSERT_EQ(0, tool("apply " SITE));
	ASSERT_NE(NULL, strstr(out, "applied " SITE ": 0 loaded, 1 unchanged, 1 unloaded"));
	ASSERT_EQ(0, tool("list"));
	ASSERT_EQ(NULL, strstr(out, "quota "));
	ASSERT_NE(NULL, strstr(out, "by_hand "));
	ASSERT_NE(NULL, strstr(out, "strict "));
	system("rm -rf /run/iommupolicy");
}

/* A bad file is refused in one line naming the line, and changes nothing. */
TEST_F(tool, apply_refuses_a_bad_file_whole)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "a deny_resv_direct\nb pin_quota nope\n",
		  SITE ":2: 'nope' is neither audit, enforce nor KEY=VALUE" },
		{ "a deny_resv_direct\n\nb pin_quota nope=1\n",
		  SITE ":3: policy b has no knob nope (its knobs: " },
		{ "a deny_resv_direct\na pin_quota\n",
		  SITE ":2: a is named twice (first on line 1)" },
		{ "a no_such_policy\n", SITE ":1: no policy called no_such_policy" },
		{ "bad/name deny_resv_direct\n", SITE ":1: bad name 'bad/name'" },
		{ "lonely\n", SITE ":1: lonely names no policy" },
	};

	system("rm -rf /run/iommupolicy");
	ASSERT_EQ(0, put_file(SITE, "keep deny_resv_direct\n"));
	ASSERT_EQ(0, tool("apply " SITE));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, put_file(SITE, bad[i].text));
		ASSERT_EQ(1, tool("apply " SITE));
		if (!strstr(out, bad[i].says))
			TH_LOG("%zu: %s", i, out);
		ASSERT_NE(NULL, strstr(out, bad[i].says));
		ASSERT_EQ(0, tool("list"));
		ASSERT_NE(NULL, strstr(out, "keep "));
	}
	ASSERT_EQ(1, tool("apply /nonexistent.conf"));
	ASSERT_NE(NULL, strstr(out, "cannot read /nonexistent.conf"));
	system("rm -rf /run/iommupolicy");
}

/*
 * Policies at boot: the shipped udev rule has systemd start the shipped
 * unit when the module loads, and the unit is valid and runs the tool.
 */
TEST(policies_at_boot)
{
	char cmd[512], *top = getenv("IOMMUFD_BPF_TOP");

	if (!top)
		SKIP(return, "IOMMUFD_BPF_TOP is not set (the test VM sets it)");
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p /run/udev/rules.d && cp %s/dist/90-iommufd-bpf.rules /run/udev/rules.d/ &&"
		 " udevadm test --action=add /sys/module/iommufd_bpf 2>&1", top);
	ASSERT_EQ(0, tool_sh(cmd));
	ASSERT_NE(NULL, strstr(out, "SYSTEMD_WANTS=iommupolicy-apply.service"));
	ASSERT_NE(NULL, strstr(out, "TAGS=:systemd:"));
	/*
	 * The unit runs /usr/sbin/iommupolicy: this guest's /usr is scratch.
	 * Its Documentation= names the manual pages, which make builds.
	 */
	snprintf(cmd, sizeof(cmd),
		 "ln -sf %s/build/bin/iommupolicy /usr/sbin/iommupolicy &&"
		 " MANPATH=%s/build/man: systemd-analyze verify %s/dist/iommupolicy-apply.service 2>&1",
		 top, top, top);
	ASSERT_EQ(0, tool_sh(cmd));
	ASSERT_EQ(NULL, strstr(out, "iommupolicy-apply.service:"));
	snprintf(cmd, sizeof(cmd),
		 "sed -n 's/^ExecStart=//p' %s/dist/iommupolicy-apply.service", top);
	ASSERT_EQ(0, tool_sh(cmd));
	ASSERT_EQ(0, strcmp(out, "/usr/sbin/iommupolicy apply /etc/iommufd-bpf/policies.conf\n"));
	/* The example file the packaging installs applies as it is. */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf /run/iommupolicy; iommupolicy apply %s/dist/policies.conf 2>&1;"
		 " rc=$?; rm -f /sys/fs/bpf/iommupolicy/* /sys/fs/bpf/iommufd_vfio_gate/*;"
		 " rm -rf /run/iommupolicy;"
		 " exit $rc", top);
	ASSERT_EQ(0, tool_sh(cmd));
	ASSERT_NE(NULL, strstr(out, ": 2 loaded, 0 unchanged, 0 unloaded"));
}

/* Without the module: one line saying how to load it. */
TEST(module_not_loaded)
{
	char cmd[512];
	const char *ko = getenv("IOMMUFD_BPF_KO");

	if (!ko)
		SKIP(return, "IOMMUFD_BPF_KO is not set (the test VM sets it)");
	/*
	 * BPF frees unpinned programs and struct_ops maps from a work item
	 * after a grace period, and only then drops their module references:
	 * wait (10 s at most) for the count to reach zero before unloading.
	 */
	ASSERT_EQ(0, system("rm -f /sys/fs/bpf/iommupolicy/* /sys/fs/bpf/iommufd_vfio_gate/*;"
			    " for i in $(seq 100); do"
			    " [ \"$(cat /sys/module/iommufd_bpf/refcnt)\" = 0 ] && break; sleep 0.1;"
			    " done; rmmod iommufd_bpf"));
	ASSERT_EQ(1, tool("list"));
	ASSERT_NE(NULL, strstr(out, "the iommufd_bpf module is not loaded: modprobe iommufd_bpf"));
	snprintf(cmd, sizeof(cmd), "insmod %s %s", ko,
		 getenv("IOMMUFD_BPF_PARAMS") ? getenv("IOMMUFD_BPF_PARAMS") : "");
	ASSERT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
