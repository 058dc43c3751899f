#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# selftests/demo.sh — what `make demo` runs inside the VM (selftests/vm-run
# has already loaded the module; `make demo` boots it with --rmrr, so the
# first edu device has an RMRR).
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

step "policy: deny_resv_direct (BPF, struct_ops) refuses devices with a firmware-mandated direct mapping"
# Whatever happens, leave no policy loaded (vm-run unloads the module).
trap 'rm -f /sys/fs/bpf/iommupolicy/* /sys/fs/bpf/iommufd_vfio_gate/* 2>/dev/null' EXIT
iommupolicy load deny_resv_direct
iommupolicy list
echo "mock devices bound to /dev/iommu:"
demo_devices
iommupolicy list
iommupolicy unload deny_resv_direct

step "the real edu devices through VFIO: 00:10.0 has an RMRR (ACPI-injected), 00:11.0 none"
# vfio_edu_rmrr loads deny_resv_direct itself.  The RMRR device is refused
# by the IOMMU core as VFIO takes its group (before any backend or policy
# is asked); the other one is allowed by the policy and does DMA.
vfio_edu_rmrr | grep -E '^(ok|not ok)'
dmesg | grep -o 'pci 0000:00:10.0: Firmware has requested.*' | head -n 1

step "what the policy decided (iommupolicy log)"
iommupolicy log

step "iommutop: a process holding one buffer in two IOAS and a VFIO container, mapping and unmapping"
# iommutop_workload: 64 pages in two IOAS of /dev/iommu (charged once to
# its user) and in a VFIO container with the edu device 00:11.0 (charged to
# its mm); then rounds of 25 map/unmap pairs on each, while iommutop runs
# in a 120x14 tmux pane.
coproc W { iommutop_workload 64; }
read -r _ wpid <&"${W[0]}"
export TMUX_TMPDIR
TMUX_TMPDIR=$(mktemp -d)
TERM=xterm tmux new-session -d -s demo -x 120 -y 14 "iommutop -i 1"
for _ in $(seq 100); do
	tmux capture-pane -p -t demo | grep -q " $wpid iommutop_worklo" && break
	sleep 0.2
done
# Until a sample with the pairs in it is on the screen (MAP/s, the 9th
# column, above zero).
for _ in $(seq 60); do
	echo "pairs 25 4" >&"${W[1]}"
	read -r _ <&"${W[0]}"
	tmux capture-pane -p -t demo | awk -v pid="$wpid" \
		'$1 == pid && $9 + 0 > 0 { found = 1 } END { exit !found }' && break
done
tmux capture-pane -p -t demo
echo "-- [d]evices:"
tmux send-keys -t demo d
sleep 0.5
tmux capture-pane -p -t demo | sed -n '4,8p'
tmux kill-server
rm -rf "$TMUX_TMPDIR"
exec {W[1]}>&-
wait "$W_PID"
