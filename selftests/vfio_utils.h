/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO type1 map and unmap calls the tests make, on a VFIO container or
 * on /dev/iommu's compat IOAS alike.
 */
#ifndef IOMMUFD_BPF_VFIO_UTILS_H
#define IOMMUFD_BPF_VFIO_UTILS_H

#include <linux/vfio.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* Map @len bytes at @buf readable and writable at @iova. */
static inline int map_dma(int fd, void *buf, uint64_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = len,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

/* Unmap; the bytes unmapped in *done. */
static inline int unmap_dma(int fd, uint64_t iova, uint64_t len,
			    uint32_t flags, uint64_t *done)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.iova = iova,
		.size = len,
	};
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);

	if (done)
		*done = cmd.size;
	return rc;
}

#endif
