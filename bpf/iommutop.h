/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One process's activity as iommutop shows it, shared with user space
 * (tools/iommutop and its tests): bpf/iommutop.bpf.c fills @comm, @denials,
 * @faults and @fault_responses; tools/iommutop adds the rest up from the
 * module's per-context counts (debugfs iommufd_bpf/activity, whose
 * histogram has IOMMUTOP_LAT_BUCKETS buckets too).
 */
#ifndef IOMMUFD_BPF_IOMMUTOP_H
#define IOMMUFD_BPF_IOMMUTOP_H

#define IOMMUTOP_LAT_BUCKETS 32	/* log2 of nanoseconds */
#define IOMMUTOP_MAX_PROCS 4096

/**
 * struct iommutop_proc - one process's activity since iommutop started
 * @comm: its command name when first seen
 * @maps: IOAS maps (IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA)
 * @unmaps: unmaps that unmapped something
 * @map_bytes: bytes mapped
 * @unmap_bytes: bytes unmapped
 * @map_ns: nanoseconds spent in maps
 * @pinned: pages pinned (pin events)
 * @unpinned: pages unpinned (unpin events)
 * @iotlb_syncs: IOTLB syncs its unmaps caused
 * @iotlb_pages: pages of IOVA those syncs invalidated
 * @iotlb_ns: nanoseconds spent in them
 * @denials: policy denials (audit mode included) of its calls
 * @faults: I/O page fault groups queued on fault queues it owns
 * @fault_responses: of those, answered (by it, or for it when the device
 *                   left first)
 * @map_lat: map latency histogram: bucket i counts maps of [2^i, 2^(i+1)) ns
 */
struct iommutop_proc {
	char comm[16];
	__u64 maps;
	__u64 unmaps;
	__u64 map_bytes;
	__u64 unmap_bytes;
	__u64 map_ns;
	__u64 pinned;
	__u64 unpinned;
	__u64 iotlb_syncs;
	__u64 iotlb_pages;
	__u64 iotlb_ns;
	__u64 denials;
	__u64 faults;
	__u64 fault_responses;
	__u64 map_lat[IOMMUTOP_LAT_BUCKETS];
};

#endif
