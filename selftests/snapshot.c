// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debugfs snapshot iommutop starts from: processes (each charged
 * party, with its limit), ioas (areas, bytes, pinned pages, domains,
 * accesses) and devices (group, owner, HWPT, IOAS, direct regions), with
 * absolute numbers for a known state.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"
#include "iommufd_utils.h"

#define PAGE 4096UL
#define IOVA (MOCK_APERTURE_START + (1UL << 20))
#define DIR "/sys/kernel/debug/iommufd_bpf/"

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE };

FIXTURE(snapshot) {
	int fd;
	char *buf;
};

FIXTURE_SETUP(snapshot)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(snapshot)
{
	close(self->fd);
}

TEST_F(snapshot, ioas_numbers)
{
	uint32_t ioas, empty;
	char line[160], *text;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(ioas_alloc(self->fd, &empty));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf, 4 * PAGE, IOVA));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf + 8 * PAGE,
				 4 * PAGE, IOVA + 16 * PAGE));
	text = read_text(DIR "ioas");
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, strncmp(text, "pid\tcomm\tioas\tareas\tmapped_bytes\tpinned_pages\tdomains\taccesses\n", 63));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t%u\t2\t32768\t8\t1\t0\n",
		 getpid(), ioas);
	ASSERT_NE(NULL, strstr(text, line));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t%u\t0\t0\t0\t0\t0\n",
		 getpid(), empty);
	ASSERT_NE(NULL, strstr(text, line));
	/* Gone with the file. */
	close(self->fd);
	self->fd = -1;
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t", getpid());
	ASSERT_EQ(NULL, strstr(read_text(DIR "ioas"), line));
}

TEST_F(snapshot, devices)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = RESV_DIRECT_RELAXABLE,
		.resv_start = 0x100000,
		.resv_length = 0x4000,
	};
	uint32_t ioas, stdev, index, dev_id, hwpt, dev2, hwpt2;
	char line[200], *text;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &index));
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt2, &dev2));
	text = read_text(DIR "devices");
	ASSERT_NE(NULL, text);
	snprintf(line, sizeof(line), "iommufd_bpf_mock.%u\t", index);
	ASSERT_NE(NULL, strstr(text, line));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%u\t0\t0\tdirect-relaxable\n",
		 getpid(), dev_id);
	ASSERT_NE(NULL, strstr(text, line));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%u\t%u\t%u\t-\n",
		 getpid(), dev2, hwpt2, ioas);
	ASSERT_NE(NULL, strstr(text, line));
	ASSERT_OK(test_bpf_attach(self->fd, stdev, ioas, &hwpt));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%u\t%u\t%u\tdirect-relaxable\n",
		 getpid(), dev_id, hwpt, ioas);
	ASSERT_NE(NULL, strstr(read_text(DIR "devices"), line));
}

/* A charged process, its charge and its limit, while it holds them. */
TEST_F(snapshot, processes)
{
	int fd = self->fd, go[2], done[2], status;
	char line[160], c;
	uint32_t ioas;
	pid_t pid;

	ASSERT_OK(ioas_alloc(fd, &ioas));
	ASSERT_OK(test_mock_domain(fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(pipe(go));
	ASSERT_OK(pipe(done));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) ||
		    setuid(65534) ||
		    ioas_map_fixed(fd, ioas, self->buf, 4 * PAGE, IOVA) ||
		    write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], &c, 1));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\tuser\t4\t64\n", pid);
	ASSERT_NE(NULL, strstr(read_text(DIR "processes"), line));
	ASSERT_EQ(1, write(done[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* The mapping (and its charge) stays with the IOAS until unmapped. */
	ASSERT_OK(ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	snprintf(line, sizeof(line), "\n%d\t", pid);
	ASSERT_EQ(NULL, strstr(read_text(DIR "processes"), line));
}

TEST_HARNESS_MAIN
