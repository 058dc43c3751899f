// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_ioas — what `make demo` shows of the core so far:
 *
 *  1. /dev/iommu objects: create I/O address spaces, destroy them;
 *  2. pinning and accounting: an unprivileged process maps one buffer into
 *     two IOAS and pins it through both (with the test accesses of
 *     selftest=1); RLIMIT_MEMLOCK is charged once, and the second pin costs
 *     nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iommufd_utils.h"

#define PAGE 4096UL
#define NPAGES 64UL

static void show_stats(const char *when)
{
	printf("  %-34s contexts %ld, ioas %ld, pinned %ld pages, charged %ld pages\n",
	       when, iommufd_stat("contexts"), iommufd_stat("ioas"),
	       iommufd_stat("pinned_pages"), iommufd_stat("charged_pages"));
}

static int fail(const char *what)
{
	fprintf(stderr, "demo_ioas: %s: %s\n", what, strerror(errno));
	return 1;
}

static int objects(void)
{
	uint32_t ids[3];
	unsigned int i;
	int fd;

	fd = iommufd_open();
	if (fd < 0)
		return fail("open /dev/iommu (is iommufd_bpf loaded?)");
	printf("opened %s\n", iommufd_path());
	show_stats("after open:");
	for (i = 0; i < 3; i++) {
		if (ioas_alloc(fd, &ids[i]))
			return fail("IOMMU_IOAS_ALLOC");
		printf("IOMMU_IOAS_ALLOC -> ioas id %u\n", ids[i]);
	}
	show_stats("after 3 x IOMMU_IOAS_ALLOC:");
	for (i = 0; i < 3; i++) {
		if (iommufd_destroy(fd, ids[i]))
			return fail("IOMMU_DESTROY");
		printf("IOMMU_DESTROY %u -> ok\n", ids[i]);
	}
	if (!iommufd_destroy(fd, ids[0]) || errno != ENOENT)
		return fail("a second IOMMU_DESTROY did not fail with ENOENT");
	printf("IOMMU_DESTROY %u again -> %s, as it should\n", ids[0],
	       strerror(errno));
	close(fd);
	show_stats("after close:");
	return 0;
}

/* As nobody with RLIMIT_MEMLOCK of NPAGES: one buffer, two IOAS, two pins. */
static int charged_once(void)
{
	struct rlimit rl = { NPAGES * PAGE, NPAGES * PAGE };
	uint64_t iova1, iova2;
	uint32_t ioas1, ioas2;
	int fd, a1, a2;
	char *buf;

	fd = iommufd_open();
	buf = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || buf == MAP_FAILED)
		return fail("setup");
	memset(buf, 1, NPAGES * PAGE);
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		return fail("dropping to nobody");
	printf("as nobody, RLIMIT_MEMLOCK %lu pages; one %lu-page buffer\n",
	       NPAGES, NPAGES);
	if (ioas_alloc(fd, &ioas1) || ioas_alloc(fd, &ioas2) ||
	    ioas_map(fd, ioas1, buf, NPAGES * PAGE, &iova1) ||
	    ioas_map(fd, ioas2, buf, NPAGES * PAGE, &iova2))
		return fail("mapping");
	printf("mapped into ioas %u and ioas %u\n", ioas1, ioas2);
	show_stats("after two maps (nothing pinned):");
	if (test_create_access(fd, ioas1,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &a1) ||
	    test_create_access(fd, ioas2,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &a2))
		return fail("creating accesses (is the module loaded with selftest=1?)");
	if (test_access_pages(fd, a1, iova1, NPAGES * PAGE, buf, 0, NULL))
		return fail("pinning through ioas 1");
	show_stats("pinned through ioas 1:");
	if (test_access_pages(fd, a2, iova2, NPAGES * PAGE, buf, 0, NULL))
		return fail("pinning through ioas 2");
	show_stats("pinned through ioas 2 as well:");
	printf("charged once: %lu pages pinned through two IOAS hold two pins each (\"pinned\" counts pins per mapping) and one %lu-page charge\n",
	       NPAGES, NPAGES);
	close(a1);
	show_stats("ioas 1 let go (charge passed on):");
	close(a2);
	close(fd);
	show_stats("all let go:");
	return 0;
}

int main(void)
{
	int status;
	pid_t pid;

	/* Line by line, so the child's output is not lost when it exits. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (objects())
		return 1;
	printf("\n");
	/* Open the stats as root before the child drops privileges. */
	iommufd_stat("contexts");
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (!pid)
		exit(charged_once());
	if (waitpid(pid, &status, 0) != pid || status)
		return 1;
	return 0;
}
