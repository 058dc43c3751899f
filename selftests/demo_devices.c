// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo_devices — for `make demo`: bind three mock devices (selftest=1) to
 * /dev/iommu, one with a firmware-mandated direct mapping (like an RMRR),
 * one with a relaxable one, one plain, and say what happened to each.
 */
#include <errno.h>

#include "iommufd_utils.h"

static void try(int fd, const char *what, uint32_t resv_type)
{
	struct iommu_test_bpf_mock_device spec = {
		.pci_id = 0x80861234,
		.pci_class = 0x020000,
		.resv_type = resv_type,
		.resv_start = 0x100000,
		.resv_length = 0x4000,
	};
	uint32_t stdev, index, dev_id;

	if (test_bpf_mock_device(fd, &spec, &stdev, &index)) {
		printf("  %-34s cannot be created: %s\n", what, strerror(errno));
		return;
	}
	if (test_bpf_bind(fd, stdev, &dev_id))
		printf("  %-34s iommufd_bpf_mock.%u: bind refused: %s\n", what,
		       index, strerror(errno));
	else
		printf("  %-34s iommufd_bpf_mock.%u: bound, device object %u\n",
		       what, index, dev_id);
}

int main(void)
{
	int fd = iommufd_open();

	if (fd < 0 || !mock_iommu_available(fd)) {
		fprintf(stderr, "demo_devices: no mock IOMMU: load the module with selftest=1\n");
		return 1;
	}
	try(fd, "with an IOMMU_RESV_DIRECT region", 0);
	try(fd, "with a DIRECT_RELAXABLE region", 1);
	try(fd, "without reserved regions", MOCK_BPF_RESV_NONE);
	close(fd);
	return 0;
}
