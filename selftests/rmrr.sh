#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run under `selftests/vm-run --rmrr`: the ACPI DMAR override gave exactly one
# edu device an RMRR over the BIOS area, intel-iommu reports it as an
# IOMMU_RESV_DIRECT region, and the firmware sanity check found nothing wrong.
. "$(dirname "$0")/lib.sh"

RMRR_LINE="0x00000000000f0000 0x00000000000fffff direct"

table_upgrade_applied() {
	dmesg | grep -q 'ACPI: Table Upgrade: override \[DMAR-'
}

intel_iommu_parsed_rmrr() {
	dmesg | grep -q 'DMAR: RMRR base: 0x000000000f0000 end: 0x000000000fffff'
}

one_edu_device_has_direct_region() {
	local d n=0
	for d in $(pci_devices_by_id "$EDU_ID"); do
		grep -qx "$RMRR_LINE" "$d/iommu_group/reserved_regions" && n=$((n + 1))
	done
	[ "$n" -eq 1 ] || { echo "$n edu devices have the direct region"; return 1; }
}

no_firmware_bug_warning() {
	! dmesg | grep -i 'firmware bug'
}

tap_plan 4
tap_check rmrr.table_upgrade_applied table_upgrade_applied
tap_check rmrr.intel_iommu_parsed_rmrr intel_iommu_parsed_rmrr
tap_check rmrr.one_edu_device_has_direct_region one_edu_device_has_direct_region
tap_check rmrr.no_firmware_bug_warning no_firmware_bug_warning
tap_done
