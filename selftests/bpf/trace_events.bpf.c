// SPDX-License-Identifier: GPL-2.0-only
/*
 * Records the iommufd events of one process, as BPF sees them (tp_btf, the
 * arguments of TP_PROTO), for selftests/trace_events.
 */
#include "iommufd_bpf_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_events.h"

int target_tgid;

__u32 nmaps;
__u32 map_ioas[MAX_EVENTS];
__u64 map_length[MAX_EVENTS];
__u64 map_charged[MAX_EVENTS];
__u32 nunmaps;
__u64 unmap_unmapped[MAX_EVENTS];
__u32 npins;
struct pin_event pins[MAX_EVENTS];
__u32 nunpins;
struct pin_event unpins[MAX_EVENTS];

static bool ours(void)
{
	return bpf_get_current_pid_tgid() >> 32 == target_tgid;
}

SEC("tp_btf/ioas_map")
int BPF_PROG(on_map, u32 ioas_id, unsigned long iova, unsigned long length,
	     unsigned long uptr, int prot, unsigned long charged)
{
	__u32 n = nmaps;

	if (!ours() || n >= MAX_EVENTS)
		return 0;
	map_ioas[n] = ioas_id;
	map_length[n] = length;
	map_charged[n] = charged;
	nmaps = n + 1;
	return 0;
}

SEC("tp_btf/ioas_unmap")
int BPF_PROG(on_unmap, u32 ioas_id, unsigned long iova, unsigned long length,
	     unsigned long unmapped, unsigned long charged)
{
	__u32 n = nunmaps;

	if (!ours() || n >= MAX_EVENTS)
		return 0;
	unmap_unmapped[n] = unmapped;
	nunmaps = n + 1;
	return 0;
}

static void record(struct pin_event *ev, u32 ioas_id, unsigned long uaddr,
		   unsigned long npages, unsigned long ncharged,
		   unsigned long charged)
{
	ev->ioas_id = ioas_id;
	ev->uaddr = uaddr;
	ev->npages = npages;
	ev->ncharged = ncharged;
	ev->charged = charged;
}

SEC("tp_btf/pin")
int BPF_PROG(on_pin, u32 ioas_id, unsigned long uaddr, unsigned long npages,
	     unsigned long ncharged, unsigned long charged)
{
	__u32 n = npins;

	if (!ours() || n >= MAX_EVENTS)
		return 0;
	record(&pins[n], ioas_id, uaddr, npages, ncharged, charged);
	npins = n + 1;
	return 0;
}

SEC("tp_btf/unpin")
int BPF_PROG(on_unpin, u32 ioas_id, unsigned long uaddr, unsigned long npages,
	     unsigned long ncharged, unsigned long charged)
{
	__u32 n = nunpins;

	if (!ours() || n >= MAX_EVENTS)
		return 0;
	record(&unpins[n], ioas_id, uaddr, npages, ncharged, charged);
	nunpins = n + 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
