// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommutop's collector, for what the module does not count itself: policy
 * denials and I/O page faults, from the module's tracepoints (tp_btf),
 * aggregated per process in a hash map, so user space reads summaries,
 * never events.  Maps, unmaps, pins and IOTLB syncs are not here: the
 * module counts them per context and CPU anyway (debugfs
 * iommufd_bpf/activity), so the hot path runs no program.  A denial is
 * the caller's; a page fault, which a device raises in whatever context,
 * goes to the process owning the fault queue (the event names it).
 */
#include "iommufd_bpf_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "iommutop.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOMMUTOP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct iommutop_proc);
} procs SEC(".maps");

/* Only this process's events, when set (tests). */
const volatile __u32 only_tgid;

/* Process @tgid's entry, made with @comm (or the current one's) if new. */
static struct iommutop_proc *proc_of(__u32 tgid, const char *comm)
{
	struct iommutop_proc *p, zero = {};

	if (only_tgid && tgid != only_tgid)
		return NULL;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p)
		return p;
	/* The name once, when the process is first seen: events stay cheap. */
	if (comm)
		bpf_probe_read_kernel_str(zero.comm, sizeof(zero.comm), comm);
	else
		bpf_get_current_comm(zero.comm, sizeof(zero.comm));
	bpf_map_update_elem(&procs, &tgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&procs, &tgid);
}

static struct iommutop_proc *proc(void)
{
	return proc_of(bpf_get_current_pid_tgid() >> 32, NULL);
}

SEC("tp_btf/policy_decision")
int BPF_PROG(on_decision, const char *hook, const char *policy,
	     const char *verdict, int err)
{
	struct iommutop_proc *p;

	if (!err)
		return 0;
	p = proc();
	if (p)
		__sync_fetch_and_add(&p->denials, 1);
	return 0;
}

SEC("tp_btf/fault")
int BPF_PROG(on_fault, u32 fault_id, u32 hwpt_id, u32 dev_id, u32 pasid,
	     u32 grpid, u32 perm, u64 addr, size_t count, pid_t owner_pid,
	     const char *owner_comm)
{
	struct iommutop_proc *p = proc_of(owner_pid, owner_comm);

	if (p)
		__sync_fetch_and_add(&p->faults, 1);
	return 0;
}

SEC("tp_btf/fault_response")
int BPF_PROG(on_fault_response, u32 fault_id, u32 cookie, u32 dev_id,
	     u32 code, pid_t owner_pid, const char *owner_comm)
{
	struct iommutop_proc *p = proc_of(owner_pid, owner_comm);

	if (p)
		__sync_fetch_and_add(&p->fault_responses, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
