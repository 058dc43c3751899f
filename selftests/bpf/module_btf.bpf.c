// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the module's BTF is usable end to end: an fexit program on a
 * function of iommufd_bpf.ko reads the module's own struct iommufd_object
 * through CO-RE and records the ID and type of the last object a given
 * process published.
 */
#include "iommufd_bpf_btf.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

const volatile int target_tgid;

__u32 last_id;
__u32 last_type;
__u32 ioas_type;
__u32 published;

SEC("fexit/iommufd_object_finalize")
int BPF_PROG(object_published, struct iommufd_ctx *ictx,
	     struct iommufd_object *obj)
{
	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	last_id = BPF_CORE_READ(obj, id);
	last_type = BPF_CORE_READ(obj, type);
	ioas_type = bpf_core_enum_value(enum iommufd_object_type,
					IOMMUFD_OBJ_IOAS);
	__sync_fetch_and_add(&published, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
