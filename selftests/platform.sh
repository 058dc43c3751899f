#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM is what selftests/vm-run promises: the IOMMU it was asked for (Intel
# VT-d or virtio-iommu), two edu DMA devices in groups of their own, no
# direct-mapped region unless asked for, the module loaded with its BTF, and
# the file systems tests use.
. "$(dirname "$0")/lib.sh"

iommu_active() {
	local unit
	case ${IOMMUFD_BPF_IOMMU:-intel} in
	intel) [ -e /sys/class/iommu/dmar0 ] || { echo "no dmar0 in /sys/class/iommu"; return 1; } ;;
	virtio)
		for unit in /sys/class/iommu/*; do
			[ "$(basename "$(readlink -f "$unit/device/driver")")" = virtio_iommu ] && return 0
		done
		echo "no virtio_iommu unit in /sys/class/iommu"
		return 1
		;;
	esac
}

# Bound to vfio-pci, each edu device sits in an IOMMU group of its own.
two_edu_devices_in_own_groups() {
	local devs d groups
	devs=$(pci_devices_by_id "$EDU_ID")
	[ "$(wc -l <<<"$devs")" -eq 2 ] || { echo "edu devices: ${devs:-none}"; return 1; }
	for d in $devs; do
		bind_vfio_pci "$d" || { echo "cannot bind $d to vfio-pci"; return 1; }
	done
	groups=$(for d in $devs; do readlink -f "$d/iommu_group"; done | sort -u | wc -l)
	[ "$groups" -eq 2 ] || { echo "edu devices are not in two groups"; return 1; }
}

no_direct_region() {
	! grep -H direct $(for d in $(pci_devices_by_id "$EDU_ID"); do echo "$d/iommu_group/reserved_regions"; done)
}

test_filesystems_mounted() {
	local fs
	for fs in /sys/kernel/tracing /sys/kernel/debug /sys/fs/bpf; do
		mountpoint -q "$fs" || { echo "$fs is not mounted"; return 1; }
	done
}

module_loaded_with_btf() {
	[ -c /dev/iommu ] && [ -r /sys/kernel/btf/iommufd_bpf ] &&
		grep -q '^iommufd_bpf ' /proc/modules
}

tap_plan 5
tap_check platform.iommu_active iommu_active
tap_check platform.two_edu_devices_in_own_groups two_edu_devices_in_own_groups
tap_check platform.no_direct_region_without_rmrr no_direct_region
tap_check platform.test_filesystems_mounted test_filesystems_mounted
tap_check platform.module_loaded_with_btf module_loaded_with_btf
tap_done
