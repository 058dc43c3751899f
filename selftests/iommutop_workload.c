// SPDX-License-Identifier: GPL-2.0-only
/*
 * A workload with known numbers, for selftests/iommutop_tool and the demo.
 *
 *   iommutop_workload [NPAGES]
 *
 * As root it opens /dev/iommu with two IOAS, each with a mock domain (two
 * mock devices), and a VFIO container with the last edu device's group on
 * this module's backend; then, as nobody (uid 65534, RLIMIT_MEMLOCK 16 MiB),
 * it maps one buffer of NPAGES (default 64) pages into all three.  So it
 * has 2 contexts, 3 IOAS, 3 devices, 3 * NPAGES pages pinned, and NPAGES
 * pages charged in each of its two ledgers: /dev/iommu charges the user
 * (once for both IOAS), the VFIO container the process's mm.
 *
 * Then it prints "ready PID" and reads commands from standard input:
 *   pairs M K   M map/unmap pairs of K pages on the first IOAS, then M on
 *               the container; prints "done"
 *   (end of input) exits, which releases everything.
 * Any failure prints "error: WHAT: ERRNO" and exits 1.
 */
#include <linux/vfio.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "iommufd_utils.h"
#include "vfio_utils.h"

#define PAGE 4096UL
/* In the mock aperture, and below the edu device's 28 address bits. */
#define IOVA (MOCK_APERTURE_START + (1UL << 20))
#define PAIR_IOVA (MOCK_APERTURE_START + (64UL << 20))

static void __attribute__((noreturn)) fail(const char *what)
{
	printf("error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_container(void)
{
	const char *what;
	int container;

	if (system("modprobe vfio-pci"))
		fail("modprobe vfio-pci");
	container = last_edu_container(&what);
	if (container < 0)
		fail(what);
	return container;
}

int main(int argc, char **argv)
{
	unsigned long npages = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	struct rlimit rl = { 4096 * PAGE, 4096 * PAGE };
	uint32_t ioas[2];
	int fd, container;
	char line[128];
	char *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!npages || npages > 1024) {
		errno = EINVAL;
		fail("NPAGES must be 1 to 1024");
	}
	fd = iommufd_open();
	if (fd < 0 || !mock_iommu_available(fd))
		fail("/dev/iommu with the mock IOMMU (selftest=1)");
	for (int i = 0; i < 2; i++)
		if (ioas_alloc(fd, &ioas[i]) ||
		    test_mock_domain(fd, ioas[i], 0, NULL, NULL, NULL))
			fail("IOAS with a mock domain");
	container = open_container();
	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap");
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		fail("drop to nobody");
	for (int i = 0; i < 2; i++)
		if (ioas_map_fixed(fd, ioas[i], buf, npages * PAGE, IOVA))
			fail("IOMMU_IOAS_MAP");
	if (map_dma(container, buf, npages * PAGE, IOVA))
		fail("VFIO_IOMMU_MAP_DMA");
	printf("ready %d\n", getpid());

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long m, k;
		char *pair;

		if (sscanf(line, "pairs %lu %lu", &m, &k) != 2 || !k || k > 1024) {
			errno = EINVAL;
			fail("unknown command");
		}
		pair = mmap(NULL, k * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (pair == MAP_FAILED)
			fail("mmap");
		for (unsigned long i = 0; i < m; i++)
			if (ioas_map_fixed(fd, ioas[0], pair, k * PAGE, PAIR_IOVA) ||
			    ioas_unmap(fd, ioas[0], PAIR_IOVA, k * PAGE, NULL))
				fail("IOAS map/unmap pair");
		for (unsigned long i = 0; i < m; i++)
			if (map_dma(container, pair, k * PAGE, PAIR_IOVA) ||
			    unmap_dma(container, PAIR_IOVA, k * PAGE, 0, NULL))
				fail("VFIO map/unmap pair");
		munmap(pair, k * PAGE);
		printf("done\n");
	}
	return 0;
}
