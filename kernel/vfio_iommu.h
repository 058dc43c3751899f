/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: VFIO's interface for IOMMU backends, as Linux 6.12 has it.
 *
 * VFIO's legacy container asks a list of IOMMU backends (vfio_iommu_type1,
 * and this module's) which one serves a container.  The interface is
 * declared in VFIO's private drivers/vfio/vfio.h, which Debian's headers
 * package does not ship, so it is declared here with 6.12's layout.  When
 * Debian's linux-source-6.12 is unpacked (build/linux-source), the build
 * compiles scripts/vfio-ops-check.c against both and fails on any difference
 * in a member's offset or type, an enumerator's value or a function's type.
 */
#ifndef IOMMUFD_BPF_VFIO_IOMMU_H
#define IOMMUFD_BPF_VFIO_IOMMU_H

#include <linux/types.h>

struct iommu_domain;
struct iommu_group;
struct module;
struct page;
struct vfio_device;

/*
 * What kind of group a container is given.  (The build's check declares it
 * from VFIO's own header and includes this one again.)
 */
#ifndef IOMMUFD_BPF_VFIO_GROUP_TYPE_DECLARED
enum vfio_group_type {
	VFIO_IOMMU,		/* a device behind an IOMMU */
	VFIO_EMULATED_IOMMU,	/* a mediated device: no DMA of its own */
	VFIO_NO_IOMMU,		/* no IOMMU at all (unsafe mode) */
};
#endif

struct vfio_iommu_driver_ops {
	char *name;
	struct module *owner;
	void *(*open)(unsigned long arg);
	void (*release)(void *iommu_data);
	long (*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *iommu_data, struct iommu_group *group,
			    enum vfio_group_type type);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
	int (*pin_pages)(void *iommu_data, struct iommu_group *group,
			 dma_addr_t user_iova, int npage, int prot,
			 struct page **pages);
	void (*unpin_pages)(void *iommu_data, dma_addr_t user_iova, int npage);
	void (*register_device)(void *iommu_data, struct vfio_device *vdev);
	void (*unregister_device)(void *iommu_data, struct vfio_device *vdev);
	int (*dma_rw)(void *iommu_data, dma_addr_t user_iova, void *data,
		      size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif
