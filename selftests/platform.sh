#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM is what selftests/vm-run promises: an IOMMU, two edu DMA devices in
# groups of their own, no direct-mapped region unless asked for, the module
# loaded with its BTF, and the file systems tests use.
. "$(dirname "$0")/lib.sh"

iommu_active() {
	ls /sys/class/iommu/ | grep -q . || { echo "no IOMMU in /sys/class/iommu"; return 1; }
}

two_edu_devices_in_own_groups() {
	local devs groups
	devs=$(pci_devices_by_id "$EDU_ID")
	[ "$(wc -l <<<"$devs")" -eq 2 ] || { echo "edu devices: ${devs:-none}"; return 1; }
	groups=$(for d in $devs; do readlink -f "$d/iommu_group"; done | sort -u | wc -l)
	[ "$groups" -eq 2 ] || { echo "edu devices share an IOMMU group"; return 1; }
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
