#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# selftests/demo.sh — what `make demo` runs inside the VM (selftests/vm-run
# has already loaded the module).
set -euo pipefail

step() { printf '\n== %s\n' "$*"; }

step "kernel and platform"
uname -r
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] || continue
	echo "edu DMA device $(basename "$d"), IOMMU group $(basename "$(readlink "$d/iommu_group")")"
done
ls /sys/class/iommu

step "iommufd_bpf loaded"
grep '^iommufd_bpf ' /proc/modules
ls -l /dev/iommu
echo "module BTF: $(stat -c %s /sys/kernel/btf/iommufd_bpf) bytes in /sys/kernel/btf/iommufd_bpf"

step "an IOAS allocated and destroyed; one buffer pinned through two IOAS, charged once"
echo 1 >/sys/kernel/tracing/events/iommufd/pin/enable
echo 1 >/sys/kernel/tracing/events/iommufd/unpin/enable
echo >/sys/kernel/tracing/trace
demo_ioas
echo 0 >/sys/kernel/tracing/events/iommufd/pin/enable
echo 0 >/sys/kernel/tracing/events/iommufd/unpin/enable

step "what the pin and unpin tracepoints saw"
grep -E ' (pin|unpin): ' /sys/kernel/tracing/trace | sed 's/^ *//'
