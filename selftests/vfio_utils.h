/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO type1 map and unmap calls the tests make, on a VFIO container or
 * on /dev/iommu's compat IOAS alike; finding QEMU's edu devices and handing
 * them to vfio-pci.  Include iommufd_utils.h first (write_file()).
 */
#ifndef IOMMUFD_BPF_VFIO_UTILS_H
#define IOMMUFD_BPF_VFIO_UTILS_H

#include <dirent.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* IOMMU_VFIO_IOAS: get, set or clear /dev/iommu's compat IOAS. */
static inline int set_compat_ioas(int fd, uint32_t ioas, uint16_t op)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.op = op,
	};

	return ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
}

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

/* VFIO_IOMMU_DIRTY_PAGES with START or STOP (or any @flags). */
static inline int dirty_pages(int fd, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
	};

	return ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &cmd);
}

/* VFIO_IOMMU_DIRTY_PAGES GET_BITMAP of [iova, iova + len) into @bits. */
static inline int dirty_bitmap(int fd, uint64_t iova, uint64_t len,
			       uint64_t pgsize, uint64_t *bits,
			       uint64_t bits_size)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap hdr;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} cmd = {
		.hdr = { .argsz = sizeof(cmd),
			 .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP },
		.get = { .iova = iova, .size = len,
			 .bitmap = { .pgsize = pgsize, .size = bits_size,
				     .data = (__u64 *)bits } },
	};

	return ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &cmd);
}

/* Unmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP into @bits. */
static inline int unmap_dma_dirty(int fd, uint64_t iova, uint64_t len,
				  uint64_t pgsize, uint64_t *bits,
				  uint64_t bits_size)
{
	struct {
		struct vfio_iommu_type1_dma_unmap unmap;
		struct vfio_bitmap bitmap;
	} cmd = {
		.unmap = { .argsz = sizeof(cmd),
			   .flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			   .iova = iova, .size = len },
		.bitmap = { .pgsize = pgsize, .size = bits_size,
			    .data = (__u64 *)bits },
	};

	return ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
}

/*
 * VFIO_IOMMU_GET_INFO's "DMA mappings available" capability: the count, or
 * -1 when the call fails or the chain lacks it.
 */
static inline int64_t dma_avail(int fd)
{
	struct {
		struct vfio_iommu_type1_info info;
		char caps[256];
	} b = { .info.argsz = sizeof(b) };
	struct vfio_info_cap_header *cap;
	uint32_t off;

	if (ioctl(fd, VFIO_IOMMU_GET_INFO, &b.info) ||
	    !(b.info.flags & VFIO_IOMMU_INFO_CAPS) || b.info.argsz > sizeof(b))
		return -1;
	for (off = b.info.cap_offset; off && off + sizeof(*cap) <= sizeof(b);
	     off = cap->next) {
		cap = (void *)((char *)&b + off);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			return ((struct vfio_iommu_type1_info_dma_avail *)cap)->avail;
	}
	return -1;
}

#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"
#define SYSFS_PCI "/sys/bus/pci/devices/"

/* The edu devices, sorted by PCI address: how many (at most @max). */
static inline int find_edus(char bdfs[][16], int max)
{
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir(SYSFS_PCI);

	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		char path[300], id[16] = "";
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "%s/vendor", d->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(id, sizeof(id), f) || strncmp(id, EDU_VENDOR, 6)) {
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), SYSFS_PCI "%s/device", d->d_name);
		f = fopen(path, "r");
		if (f && fgets(id, sizeof(id), f) &&
		    !strncmp(id, EDU_DEVICE, 6) && strlen(d->d_name) < 16)
			memcpy(bdfs[n++], d->d_name, strlen(d->d_name) + 1);
		if (f)
			fclose(f);
	}
	closedir(dir);
	/* readdir order is arbitrary: sort by address. */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(bdfs[j], bdfs[i]) < 0) {
				char t[16];

				memcpy(t, bdfs[i], 16);
				memcpy(bdfs[i], bdfs[j], 16);
				memcpy(bdfs[j], t, 16);
			}
	return n;
}

/* Hand @bdf to vfio-pci; 0 or -1. */
static inline int bind_vfio_pci(const char *bdf)
{
	char path[256], link[256];
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		if (strstr(link, "/vfio-pci"))
			return 0;
		snprintf(path, sizeof(path), SYSFS_PCI "%s/driver/unbind", bdf);
		if (write_file(path, bdf))
			return -1;
	}
	snprintf(path, sizeof(path), SYSFS_PCI "%s/driver_override", bdf);
	if (write_file(path, "vfio-pci"))
		return -1;
	return write_file("/sys/bus/pci/drivers_probe", bdf);
}

/* @bdf's IOMMU group number, or -1. */
static inline int group_number(const char *bdf)
{
	char path[256], link[256];
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -1;
	link[len] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/*
 * A VFIO container with @bdf's group in it and the type1v2 IOMMU set
 * (by whichever backend VFIO picks): the container's fd, or -1 with errno
 * set.  The group's fd stays open with it.
 */
static inline int vfio_container_for(const char *bdf)
{
	int container, group;
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_number(bdf));
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		return -1;
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		int err = errno;

		if (group >= 0)
			close(group);
		close(container);
		errno = err;
		return -1;
	}
	return container;
}

/*
 * The last edu device, given to vfio-pci, in a container of its own
 * (vfio_container_for()); -1 with errno set and *what saying which step
 * failed.
 */
static inline int last_edu_container(const char **what)
{
	char bdfs[4][16];
	int n = find_edus(bdfs, 4), container;

	*what = "no edu device";
	if (!n) {
		errno = ENODEV;
		return -1;
	}
	*what = "bind to vfio-pci";
	if (bind_vfio_pci(bdfs[n - 1]))
		return -1;
	*what = "VFIO container with the edu device's group";
	container = vfio_container_for(bdfs[n - 1]);
	return container;
}

/*
 * The last edu device, given to vfio-pci, with its group in the iommufd
 * @iommufd as its container (VFIO's compatibility with iommufd) and
 * VFIO_TYPE1v2_IOMMU set there, and the device opened, which attaches it:
 * the device's fd, or -1 with errno set and *what saying which step
 * failed.  The group's fd stays open with the device's (closed on failure).
 */
static inline int last_edu_iommufd_container(int iommufd, const char **what)
{
	char bdfs[4][16], path[64];
	int n = find_edus(bdfs, 4), group, device;

	*what = "no edu device";
	if (!n) {
		errno = ENODEV;
		return -1;
	}
	*what = "bind to vfio-pci";
	if (bind_vfio_pci(bdfs[n - 1]))
		return -1;
	*what = "the edu device's group into the iommufd";
	snprintf(path, sizeof(path), "/dev/vfio/%d", group_number(bdfs[n - 1]));
	group = open(path, O_RDWR);
	if (group < 0)
		return -1;
	device = -1;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &iommufd))
		goto out;
	*what = "VFIO_SET_IOMMU on the iommufd";
	if (ioctl(iommufd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto out;
	*what = "open the edu device";
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdfs[n - 1]);
	if (device >= 0)
		return device;
out:
	{
		int err = errno;

		close(group);
		errno = err;
	}
	return -1;
}

#endif
