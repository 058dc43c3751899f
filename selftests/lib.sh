# SPDX-License-Identifier: GPL-2.0-only
#
# TAP helpers for the selftests written in shell.  Source it, call
# `tap_plan N`, then `tap_check NAME CMD...` per test; `tap_done` exits 1 if
# any test failed.  A failing CMD's output is shown as "# " comments.

tap_n=0
tap_failed=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

tap_check() {
	local name=$1 out
	shift
	tap_n=$((tap_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $tap_n $name"
	else
		[ -z "$out" ] || sed 's/^/# /' <<<"$out"
		echo "not ok $tap_n $name"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_done() {
	[ "$tap_failed" -eq 0 ]
}

# The PCI devices with vendor:device $1 (e.g. 0x1234:0x11e8), one sysfs path
# a line.
pci_devices_by_id() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ] && echo "$d"
	done
	return 0
}

# Give the PCI device at sysfs path $1 to vfio-pci.  Under virtio-iommu this
# is also what puts it into an IOMMU group (the DMA configuration runs at
# driver probe).
bind_vfio_pci() {
	local dev=$1 name
	name=$(basename "$dev")
	modprobe vfio-pci || return 1
	[ "$(basename "$(readlink -f "$dev/driver" 2>/dev/null)")" = vfio-pci ] && return 0
	[ ! -e "$dev/driver" ] || echo "$name" >"$dev/driver/unbind" || return 1
	echo vfio-pci >"$dev/driver_override" || return 1
	echo "$name" >/sys/bus/pci/drivers_probe || return 1
	[ "$(basename "$(readlink -f "$dev/driver")")" = vfio-pci ]
}

EDU_ID=0x1234:0x11e8
