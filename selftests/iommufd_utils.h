/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the selftests that talk to /dev/iommu.
 */
#ifndef IOMMUFD_BPF_UTILS_H
#define IOMMUFD_BPF_UTILS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/iommufd.h>

#define STATS_PATH "/sys/kernel/debug/iommufd_bpf/stats"

/* The device node under test: IOMMUFD_DEV overrides /dev/iommu. */
static inline const char *iommufd_path(void)
{
	const char *env = getenv("IOMMUFD_DEV");

	return env && *env ? env : "/dev/iommu";
}

static inline int iommufd_open(void)
{
	return open(iommufd_path(), O_RDWR | O_CLOEXEC);
}

/* Returns 0 and the new ID, or -1 with errno set and ID 0. */
static inline int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	*id = cmd.out_ioas_id;
	return rc;
}

static inline int iommufd_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

/*
 * One counter from the module's debugfs stats ("contexts", "ioas", ...), or
 * -1 when the file or the key is missing.
 */
static inline long iommufd_stat(const char *key)
{
	char name[64];
	long value, found = -1;
	FILE *f;

	f = fopen(STATS_PATH, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &value) == 2) {
		if (!strcmp(name, key)) {
			found = value;
			break;
		}
	}
	fclose(f);
	return found;
}

#endif
