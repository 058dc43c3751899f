/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the selftests that talk to /dev/iommu.
 */
#ifndef IOMMUFD_BPF_UTILS_H
#define IOMMUFD_BPF_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/iommufd_test.h>

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

/* Map @len bytes at @buf; with *iova == 0 the kernel picks the IOVA. */
static inline int ioas_map_flags(int fd, uint32_t ioas, void *buf, uint64_t len,
				 uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = *iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* Read-write mapping at a kernel-chosen IOVA. */
static inline int ioas_map(int fd, uint32_t ioas, void *buf, uint64_t len,
			   uint64_t *iova)
{
	*iova = 0;
	return ioas_map_flags(fd, ioas, buf, len, iova, MAP_RW);
}

/* Read-write mapping at @iova. */
static inline int ioas_map_fixed(int fd, uint32_t ioas, void *buf,
				 uint64_t len, uint64_t iova)
{
	return ioas_map_flags(fd, ioas, buf, len, &iova,
			      MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

/* Returns 0 with the bytes unmapped in *unmapped (if not NULL; 0 on error). */
/* IOMMU_IOAS_MAP_FILE of [start, start + len) of @memfd; *iova in/out. */
static inline int ioas_map_file(int fd, uint32_t ioas, int memfd,
				uint64_t start, uint64_t len, uint32_t flags,
				uint64_t *iova)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.fd = memfd,
		.start = start,
		.length = len,
		.iova = *iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

/* IOMMU_IOAS_CHANGE_PROCESS: the caller becomes the owner of every map. */
static inline int change_process(int fd, uint32_t reserved)
{
	struct iommu_ioas_change_process cmd = {
		.size = sizeof(cmd),
		.__reserved = reserved,
	};

	return ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

static inline int ioas_unmap(int fd, uint32_t ioas, uint64_t iova,
			     uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = rc ? 0 : cmd.length;
	return rc;
}

static inline int ioas_copy(int fd, uint32_t dst, uint32_t src,
			    uint64_t src_iova, uint64_t len, uint64_t *dst_iova,
			    uint32_t flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = ioctl(fd, IOMMU_IOAS_COPY, &cmd);

	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

static inline int iommufd_option(int fd, uint32_t option, uint16_t op,
				 uint32_t object, uint64_t *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option,
		.op = op,
		.object_id = object,
		.val64 = *val,
	};
	int rc = ioctl(fd, IOMMU_OPTION, &cmd);

	if (!rc)
		*val = cmd.val64;
	return rc;
}

/* IOMMU_TEST_CMD operations (the module must be loaded with selftest=1). */
static inline int test_add_reserved(int fd, uint32_t ioas, uint64_t start,
				    uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* 0 when every page of [buf, buf + len) is pinned exactly @refs times. */
static inline int test_check_refs(int fd, void *buf, uint64_t len,
				  uint32_t refs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)buf,
				.refs = refs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static inline int test_create_access(int fd, uint32_t ioas, uint32_t flags,
				     int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = { .flags = flags },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*access_fd = rc ? -1 : (int)cmd.create_access.out_access_fd;
	return rc;
}

static inline int test_access_pages(int fd, int access_fd, uint64_t iova,
				    uint64_t len, void *check, uint32_t flags,
				    uint32_t *item)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = { .iova = iova, .length = len,
				  .uptr = (uintptr_t)check, .flags = flags },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (item)
		*item = rc ? UINT32_MAX : cmd.access_pages.out_access_pages_id;
	return rc;
}

static inline int test_destroy_access_pages(int fd, int access_fd,
					    uint32_t item)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = item },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static inline int test_access_rw(int fd, int access_fd, uint64_t iova,
				 void *buf, uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)buf, .flags = flags },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static inline int test_set_batch_limit(int fd, uint32_t bytes)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = bytes },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* Bind the mock device of test-device @stdev_id to @fd (project extension). */
static inline int test_bpf_bind(int fd, uint32_t stdev_id, uint32_t *dev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_BIND,
		.id = stdev_id,
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*dev_id = rc ? 0 : cmd.bpf_bind.out_dev_id;
	return rc;
}

/* A mock device (project extension); *index is its N in iommufd_bpf_mock.N */
static inline int test_bpf_mock_device(int fd,
				       struct iommu_test_bpf_mock_device *spec,
				       uint32_t *stdev_id, uint32_t *index)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_MOCK_DEVICE,
		.bpf_mock_device = *spec,
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	*stdev_id = rc ? 0 : cmd.bpf_mock_device.out_stdev_id;
	*index = rc ? UINT32_MAX : cmd.bpf_mock_device.out_index;
	return rc;
}

/*
 * A new mock device attached to IOAS or HWPT @pt (IOMMU_TEST_OP_MOCK_DOMAIN
 * with MOCK_FLAGS_DEVICE_* @flags): its test-device, HWPT and device IDs.
 */
static inline int test_mock_domain(int fd, uint32_t pt, uint32_t flags,
				   uint32_t *stdev, uint32_t *hwpt,
				   uint32_t *dev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt,
		.mock_domain_flags = { .dev_flags = flags },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (stdev)
		*stdev = rc ? 0 : cmd.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = rc ? 0 : cmd.mock_domain_flags.out_hwpt_id;
	if (dev_id)
		*dev_id = rc ? 0 : cmd.mock_domain_flags.out_idev_id;
	return rc;
}

/* Move the device of test-device @stdev to @pt; *out is its HWPT after. */
static inline int test_replace(int fd, uint32_t stdev, uint32_t pt,
			       uint32_t *out)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (out)
		*out = rc ? 0 : cmd.mock_domain_replace.pt_id;
	return rc;
}

/* Attach the bound device of test-device @stdev to @pt (project extension). */
static inline int test_bpf_attach(int fd, uint32_t stdev, uint32_t pt,
				  uint32_t *hwpt)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_ATTACH,
		.id = stdev,
		.bpf_attach = { .pt_id = pt },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (hwpt)
		*hwpt = rc ? 0 : cmd.bpf_attach.out_hwpt_id;
	return rc;
}

static inline int test_bpf_detach(int fd, uint32_t stdev)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_DETACH,
		.id = stdev,
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* Arm the mock IOMMU's injected failures (0 disarms; project extension). */
static inline int test_inject(int fd, uint32_t map_nth, uint32_t attach_nth)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_INJECT,
		.bpf_inject = { .map_fail_nth = map_nth,
				.attach_fail_nth = attach_nth },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* Fail the @nth PFN store chunk allocation from now on (0 disarms). */
static inline int test_inject_chunk(int fd, uint32_t nth)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_INJECT,
		.bpf_inject = { .chunk_fail_nth = nth },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* 0 when HWPT @hwpt maps [iova, iova + len) to the memory at @buf. */
static inline int test_check_map(int fd, uint32_t hwpt, uint64_t iova,
				 void *buf, uint64_t len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)buf },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* Does the one-line sysfs file @dir/@name read @want? */
static inline bool sysfs_reads(const char *dir, const char *name,
			       const char *want)
{
	char path[128], line[64];
	bool same = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		same = !strcmp(line, want);
	fclose(f);
	return same;
}

/*
 * MMIO to map: the first @len bytes of BAR0 of the first QEMU edu device
 * (the test VM has two), through its PCI resource file, which maps it
 * VM_IO | VM_PFNMAP as vfio-pci maps a BAR for a VMM; at @at when it is
 * not NULL.  NULL (errno set) without one.
 */
static inline char *map_pci_bar_at(void *at, size_t len, int prot)
{
	char dir[64], path[96];
	char *bar;
	int i, fd;

	for (i = 0; i < 32; i++) {
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/0000:00:%02x.0",
			 i);
		if (!sysfs_reads(dir, "vendor", "0x1234\n") ||
		    !sysfs_reads(dir, "device", "0x11e8\n"))
			continue;
		snprintf(path, sizeof(path), "%s/resource0", dir);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		bar = mmap(at, len, prot, MAP_SHARED | (at ? MAP_FIXED : 0),
			   fd, 0);
		close(fd);
		return bar == MAP_FAILED ? NULL : bar;
	}
	errno = ENODEV;
	return NULL;
}

static inline char *map_pci_bar(size_t len, int prot)
{
	return map_pci_bar_at(NULL, len, prot);
}

/* 0 when HWPT @hwpt's mock domain has had exactly @syncs IOTLB syncs. */
static inline int test_check_iotlb(int fd, uint32_t hwpt, uint32_t syncs)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .iotlb = syncs },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* IOMMU_HWPT_ALLOC of a paging HWPT for device @dev_id on IOAS @pt. */
static inline int hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt,
			     uint32_t flags, uint32_t *hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (hwpt)
		*hwpt = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* IOMMU_HWPT_ALLOC of a nested HWPT on @parent, from driver data. */
static inline int hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t parent,
				    uint32_t flags, uint32_t data_type,
				    void *data, uint32_t len, uint32_t fault_id,
				    uint32_t *hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = parent,
		.data_type = data_type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (hwpt)
		*hwpt = rc ? 0 : cmd.out_hwpt_id;
	return rc;
}

/* IOMMU_FAULT_QUEUE_ALLOC: the queue's object ID and file descriptor. */
static inline int fault_queue_alloc(int fd, uint32_t flags, uint32_t *id,
				    int *fault_fd)
{
	struct iommu_fault_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
	};
	int rc = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	*id = rc ? 0 : cmd.out_fault_id;
	*fault_fd = rc ? -1 : (int)cmd.out_fault_fd;
	return rc;
}

/* The mock device of device object @dev_id raises a page request. */
static inline int test_trigger_iopf(int fd, uint32_t dev_id, uint32_t pasid,
				    uint32_t grpid, uint32_t perm,
				    uint64_t addr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id, .pasid = pasid,
				  .grpid = grpid, .perm = perm,
				  .addr = addr },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* IOMMU_HWPT_INVALIDATE; *@num in: entries, out: entries done. */
static inline int hwpt_invalidate(int fd, uint32_t hwpt, uint32_t data_type,
				  void *reqs, uint32_t entry_len,
				  uint32_t *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)reqs,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*num = cmd.entry_num;
	return rc;
}

/* 0 when entry @index of nested HWPT @hwpt's mock IOTLB holds @val. */
static inline int test_check_iotlb_entry(int fd, uint32_t hwpt,
					 uint32_t index, uint32_t val)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .id = index, .iotlb = val },
	};

	return ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* IOMMU_HWPT_SET_DIRTY_TRACKING on HWPT @hwpt. */
static inline int hwpt_set_dirty(int fd, uint32_t hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

/* IOMMU_HWPT_GET_DIRTY_BITMAP of [iova, iova + len) into @bitmap. */
static inline int hwpt_get_dirty(int fd, uint32_t hwpt, uint64_t iova,
				 uint64_t len, uint64_t page_size,
				 void *bitmap, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/*
 * IOMMU_TEST_OP_DIRTY: DMA writes at every page of [iova, iova + len)
 * whose bit is set in @bitmap; *@count is those that hit an IOPTE.
 */
static inline int test_dirty(int fd, uint32_t hwpt, uint64_t iova,
			     uint64_t len, uint64_t page_size, void *bitmap,
			     uint64_t *count)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova, .length = len,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (count)
		*count = rc ? 0 : cmd.dirty.out_nr_dirty;
	return rc;
}

/* IOMMU_GET_HW_INFO's capabilities of device @dev_id. */
static inline int hw_info_caps(int fd, uint32_t dev_id, uint64_t *caps)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
	};
	int rc = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	*caps = rc ? 0 : cmd.out_capabilities;
	return rc;
}

/*
 * The text of a (small) file, in a static buffer the next call reuses; NULL
 * with errno set when it cannot be read.
 */
static inline char *read_text(const char *path)
{
	static char text[1 << 16];
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len < 0)
		return NULL;
	text[len] = '\0';
	return text;
}

/* Write @text to a sysfs or tracefs file; 0 or -1. */
static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

/*
 * Unload every policy iommupolicy pinned, and the VFIO gate it loaded with
 * them (which, like a policy, keeps the module loaded).
 */
static inline void unload_all_policies(void)
{
	if (system("rm -f /sys/fs/bpf/iommupolicy/* /sys/fs/bpf/iommufd_vfio_gate/* 2>/dev/null"))
		return;
}

/*
 * Kernel log records written after the returned fd was opened; read them
 * with kmsg_count().
 */
static inline int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* How many records since the mark contain @needle. */
static inline int kmsg_count(int fd, const char *needle)
{
	char rec[2048];
	int count = 0;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		if (strstr(rec, needle))
			count++;
	}
	return count;
}

/* The benchmarks' floor: pin and unpin @len bytes at @buf; pages in *pages. */
static inline int test_pin_floor(int fd, void *buf, uint64_t len,
				 uint64_t *pages)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_BPF_PIN_FLOOR,
		.bpf_pin_floor = { .uptr = (uintptr_t)buf, .length = len },
	};
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc && pages)
		*pages = cmd.bpf_pin_floor.out_pages;
	return rc;
}

static inline bool mock_iommu_available(int fd)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	uint32_t stdev, index;

	if (test_bpf_mock_device(fd, &spec, &stdev, &index))
		return false;
	return !iommufd_destroy(fd, stdev);
}

/*
 * In a fixture's setup: open /dev/iommu into @fd, and skip the test when
 * the mock IOMMU is not there (the module loaded without selftest=1).
 */
#define OPEN_WITH_MOCK_IOMMU(fd)                                               \
	do {                                                                   \
		(fd) = iommufd_open();                                         \
		ASSERT_GE((fd), 0);                                            \
		if (!mock_iommu_available(fd))                                 \
			SKIP(return, "no mock IOMMU (%s): load the module with selftest=1", \
			     strerror(errno));                                 \
	} while (0)

/*
 * One counter from the module's debugfs stats ("contexts", "ioas",
 * "pinned_pages", ...), or -1 when the file or the key is missing.  The file
 * stays open from the first call, so a child that dropped root keeps
 * reading it.
 */
static inline long iommufd_stat(const char *key)
{
	static int stats_fd = -1;
	char text[1024], *line;
	long value;
	ssize_t len;

	if (stats_fd < 0)
		stats_fd = open(STATS_PATH, O_RDONLY | O_CLOEXEC);
	if (stats_fd < 0)
		return -1;
	len = pread(stats_fd, text, sizeof(text) - 1, 0);
	if (len <= 0)
		return -1;
	text[len] = '\0';
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64];

		if (sscanf(line, "%63s %ld", name, &value) == 2 &&
		    !strcmp(name, key))
			return value;
	}
	return -1;
}

/*
 * Every count of the module's stats but the IOTLB syncs (which only grow),
 * as text: equal before and after means nothing was left behind.
 */
static inline void iommufd_counts(char *out, size_t size)
{
	char *text = read_text(STATS_PATH), *line;

	out[0] = 0;
	if (!text)
		return;
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "iotlb_syncs ", 12)) {
			strncat(out, line, size - strlen(out) - 2);
			strcat(out, "\n");
		}
	}
}

#endif
