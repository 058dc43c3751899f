// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_ioas — what `make demo` shows of the core so far: open /dev/iommu,
 * create I/O address spaces, show the module's object counts, destroy them.
 */
#include <errno.h>
#include <unistd.h>

#include "iommufd_utils.h"

static void show_stats(const char *when)
{
	printf("  %-28s contexts %ld, ioas %ld\n", when,
	       iommufd_stat("contexts"), iommufd_stat("ioas"));
}

int main(void)
{
	uint32_t ids[3];
	unsigned int i;
	int fd;

	fd = iommufd_open();
	if (fd < 0) {
		fprintf(stderr, "demo_ioas: open %s: %s (is iommufd_bpf loaded?)\n",
			iommufd_path(), strerror(errno));
		return 1;
	}
	printf("opened %s\n", iommufd_path());
	show_stats("after open:");
	for (i = 0; i < 3; i++) {
		if (ioas_alloc(fd, &ids[i])) {
			fprintf(stderr, "demo_ioas: IOMMU_IOAS_ALLOC: %s\n",
				strerror(errno));
			return 1;
		}
		printf("IOMMU_IOAS_ALLOC -> ioas id %u\n", ids[i]);
	}
	show_stats("after 3 x IOMMU_IOAS_ALLOC:");
	for (i = 0; i < 3; i++) {
		if (iommufd_destroy(fd, ids[i])) {
			fprintf(stderr, "demo_ioas: IOMMU_DESTROY %u: %s\n",
				ids[i], strerror(errno));
			return 1;
		}
		printf("IOMMU_DESTROY %u -> ok\n", ids[i]);
	}
	show_stats("after 3 x IOMMU_DESTROY:");
	if (!iommufd_destroy(fd, ids[0]) || errno != ENOENT) {
		fprintf(stderr, "demo_ioas: destroying %u twice did not fail with ENOENT\n",
			ids[0]);
		return 1;
	}
	printf("IOMMU_DESTROY %u again -> %s, as it should\n", ids[0],
	       strerror(errno));
	close(fd);
	show_stats("after close:");
	return 0;
}
