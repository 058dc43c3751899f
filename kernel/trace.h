/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd-bpf: tracepoints, trace system "iommufd".
 *
 * Every event is visible in tracefs (events/iommufd/) and to BPF as a raw
 * tracepoint (tp_btf/<event>, arguments as in TP_PROTO).  docs/tracepoints.md
 * describes every field.  "charged" is always the total the charged party
 * (the process, or its user) has charged to RLIMIT_MEMLOCK through this
 * module after the event, in pages; 0 for a party with CAP_IPC_LOCK, which is
 * never charged.  The task an event happened in is ftrace's own record
 * (common_pid, and the comm it saves); the events carry only what it does
 * not know, and each field has one name in every event, the text included.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommufd

#if !defined(IOMMUFD_BPF_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define IOMMUFD_BPF_TRACE_H

#include <linux/iommu.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

#ifndef IOMMUFD_BPF_TRACE_FLAGS
#define IOMMUFD_BPF_TRACE_FLAGS
/* IOMMU_* protection flags of a mapping, as text. */
#define show_iommu_prot(prot)						\
	__print_flags(prot, "|",					\
		      { IOMMU_READ, "READ" },				\
		      { IOMMU_WRITE, "WRITE" },				\
		      { IOMMU_CACHE, "CACHE" },				\
		      { IOMMU_NOEXEC, "NOEXEC" },			\
		      { IOMMU_MMIO, "MMIO" },				\
		      { IOMMU_PRIV, "PRIV" })

/* IOMMU_FAULT_PERM_* of a page request, as text. */
#define show_fault_perm(perm)						\
	__print_flags(perm, "|",					\
		      { IOMMU_FAULT_PERM_READ, "READ" },		\
		      { IOMMU_FAULT_PERM_WRITE, "WRITE" },		\
		      { IOMMU_FAULT_PERM_EXEC, "EXEC" },		\
		      { IOMMU_FAULT_PERM_PRIV, "PRIV" })

/* enum iommu_page_response_code, as text. */
#define show_page_response(code)					\
	__print_symbolic(code,						\
			 { IOMMU_PAGE_RESP_SUCCESS, "SUCCESS" },	\
			 { IOMMU_PAGE_RESP_INVALID, "INVALID" },	\
			 { IOMMU_PAGE_RESP_FAILURE, "FAILURE" })
#endif

TRACE_EVENT(ioas_map,
	    TP_PROTO(u32 ioas_id, unsigned long iova, unsigned long length,
		     unsigned long uaddr, int prot, unsigned long charged,
		     u64 ns),
	    TP_ARGS(ioas_id, iova, length, uaddr, prot, charged, ns),
	    TP_STRUCT__entry(__field(u32, ioas_id)
			     __field(unsigned long, iova)
			     __field(unsigned long, length)
			     __field(unsigned long, uaddr)
			     __field(int, prot)
			     __field(unsigned long, charged)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->ioas_id = ioas_id;
			   __entry->iova = iova;
			   __entry->length = length;
			   __entry->uaddr = uaddr;
			   __entry->prot = prot;
			   __entry->charged = charged;
			   __entry->ns = ns;),
	    TP_printk("ioas_id=%u iova=0x%lx length=0x%lx uaddr=0x%lx prot=%s charged=%lu ns=%llu",
		      __entry->ioas_id, __entry->iova, __entry->length,
		      __entry->uaddr, show_iommu_prot(__entry->prot),
		      __entry->charged, __entry->ns)
);

TRACE_EVENT(ioas_unmap,
	    TP_PROTO(u32 ioas_id, unsigned long iova, unsigned long length,
		     unsigned long unmapped, unsigned long charged, u64 ns),
	    TP_ARGS(ioas_id, iova, length, unmapped, charged, ns),
	    TP_STRUCT__entry(__field(u32, ioas_id)
			     __field(unsigned long, iova)
			     __field(unsigned long, length)
			     __field(unsigned long, unmapped)
			     __field(unsigned long, charged)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->ioas_id = ioas_id;
			   __entry->iova = iova;
			   __entry->length = length;
			   __entry->unmapped = unmapped;
			   __entry->charged = charged;
			   __entry->ns = ns;),
	    TP_printk("ioas_id=%u iova=0x%lx length=0x%lx unmapped=0x%lx charged=%lu ns=%llu",
		      __entry->ioas_id, __entry->iova, __entry->length,
		      __entry->unmapped, __entry->charged, __entry->ns)
);

DECLARE_EVENT_CLASS(iommufd_pin_class,
		    TP_PROTO(u32 ioas_id, unsigned long uaddr,
			     unsigned long npages, unsigned long ncharged,
			     unsigned long charged),
		    TP_ARGS(ioas_id, uaddr, npages, ncharged, charged),
		    TP_STRUCT__entry(__field(u32, ioas_id)
				     __field(unsigned long, uaddr)
				     __field(unsigned long, npages)
				     __field(unsigned long, ncharged)
				     __field(unsigned long, charged)),
		    TP_fast_assign(__entry->ioas_id = ioas_id;
				   __entry->uaddr = uaddr;
				   __entry->npages = npages;
				   __entry->ncharged = ncharged;
				   __entry->charged = charged;),
		    TP_printk("ioas_id=%u uaddr=0x%lx npages=%lu ncharged=%lu charged=%lu",
			      __entry->ioas_id, __entry->uaddr,
			      __entry->npages, __entry->ncharged,
			      __entry->charged)
);

/* Pages became pinned; ncharged of them newly charged (the rest shared). */
DEFINE_EVENT(iommufd_pin_class, pin,
	     TP_PROTO(u32 ioas_id, unsigned long uaddr, unsigned long npages,
		      unsigned long ncharged, unsigned long charged),
	     TP_ARGS(ioas_id, uaddr, npages, ncharged, charged));

/* Pages were unpinned; ncharged charges released (the rest passed on). */
DEFINE_EVENT(iommufd_pin_class, unpin,
	     TP_PROTO(u32 ioas_id, unsigned long uaddr, unsigned long npages,
		      unsigned long ncharged, unsigned long charged),
	     TP_ARGS(ioas_id, uaddr, npages, ncharged, charged));

DECLARE_EVENT_CLASS(iommufd_device_class,
		    TP_PROTO(const char *dev, int group, u32 dev_id),
		    TP_ARGS(dev, group, dev_id),
		    TP_STRUCT__entry(__string(dev, dev)
				     __field(int, group)
				     __field(u32, dev_id)),
		    TP_fast_assign(__assign_str(dev);
				   __entry->group = group;
				   __entry->dev_id = dev_id;),
		    TP_printk("dev=%s group=%d dev_id=%u",
			      __get_str(dev), __entry->group, __entry->dev_id)
);

/* A device was bound to a context (its group's DMA now owned by it). */
DEFINE_EVENT(iommufd_device_class, bind,
	     TP_PROTO(const char *dev, int group, u32 dev_id),
	     TP_ARGS(dev, group, dev_id));

/* A device was unbound (its group given back). */
DEFINE_EVENT(iommufd_device_class, unbind,
	     TP_PROTO(const char *dev, int group, u32 dev_id),
	     TP_ARGS(dev, group, dev_id));

DECLARE_EVENT_CLASS(iommufd_attach_class,
		    TP_PROTO(const char *dev, int group, u32 dev_id,
			     u32 hwpt_id, u32 ioas_id),
		    TP_ARGS(dev, group, dev_id, hwpt_id, ioas_id),
		    TP_STRUCT__entry(__string(dev, dev)
				     __field(int, group)
				     __field(u32, dev_id)
				     __field(u32, hwpt_id)
				     __field(u32, ioas_id)),
		    TP_fast_assign(__assign_str(dev);
				   __entry->group = group;
				   __entry->dev_id = dev_id;
				   __entry->hwpt_id = hwpt_id;
				   __entry->ioas_id = ioas_id;),
		    TP_printk("dev=%s group=%d dev_id=%u hwpt_id=%u ioas_id=%u",
			      __get_str(dev), __entry->group, __entry->dev_id,
			      __entry->hwpt_id, __entry->ioas_id)
);

/* A device was attached to a HWPT (its group's DMA goes through it). */
DEFINE_EVENT(iommufd_attach_class, attach,
	     TP_PROTO(const char *dev, int group, u32 dev_id, u32 hwpt_id,
		      u32 ioas_id),
	     TP_ARGS(dev, group, dev_id, hwpt_id, ioas_id));

/* A device was detached from a HWPT. */
DEFINE_EVENT(iommufd_attach_class, detach,
	     TP_PROTO(const char *dev, int group, u32 dev_id, u32 hwpt_id,
		      u32 ioas_id),
	     TP_ARGS(dev, group, dev_id, hwpt_id, ioas_id));

/* A device's group moved from HWPT old_hwpt_id to hwpt_id directly. */
TRACE_EVENT(replace,
	    TP_PROTO(const char *dev, int group, u32 dev_id, u32 old_hwpt_id,
		     u32 hwpt_id, u32 ioas_id),
	    TP_ARGS(dev, group, dev_id, old_hwpt_id, hwpt_id, ioas_id),
	    TP_STRUCT__entry(__string(dev, dev)
			     __field(int, group)
			     __field(u32, dev_id)
			     __field(u32, old_hwpt_id)
			     __field(u32, hwpt_id)
			     __field(u32, ioas_id)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->group = group;
			   __entry->dev_id = dev_id;
			   __entry->old_hwpt_id = old_hwpt_id;
			   __entry->hwpt_id = hwpt_id;
			   __entry->ioas_id = ioas_id;),
	    TP_printk("dev=%s group=%d dev_id=%u old_hwpt_id=%u hwpt_id=%u ioas_id=%u",
		      __get_str(dev), __entry->group, __entry->dev_id,
		      __entry->old_hwpt_id, __entry->hwpt_id,
		      __entry->ioas_id)
);

/*
 * The IOTLB of HWPT hwpt_id's domain was synced once for an unmap of
 * [start, last] (the gathered span) covering npages CPU pages; ns is the
 * time the sync took.
 */
TRACE_EVENT(iotlb_sync,
	    TP_PROTO(u32 ioas_id, u32 hwpt_id, unsigned long start,
		     unsigned long last, unsigned long npages, u64 ns),
	    TP_ARGS(ioas_id, hwpt_id, start, last, npages, ns),
	    TP_STRUCT__entry(__field(u32, ioas_id)
			     __field(u32, hwpt_id)
			     __field(unsigned long, start)
			     __field(unsigned long, last)
			     __field(unsigned long, npages)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->ioas_id = ioas_id;
			   __entry->hwpt_id = hwpt_id;
			   __entry->start = start;
			   __entry->last = last;
			   __entry->npages = npages;
			   __entry->ns = ns;),
	    TP_printk("ioas_id=%u hwpt_id=%u start=0x%lx last=0x%lx npages=%lu ns=%llu",
		      __entry->ioas_id, __entry->hwpt_id, __entry->start,
		      __entry->last, __entry->npages, __entry->ns)
);

/*
 * A policy decided on a hook: verdict "allow", "deny" or "audit-deny" (an
 * audit-mode policy would have denied); err is its -errno (0 to allow);
 * object the device, or "ioas N" for a map.
 */
TRACE_EVENT(policy_decision,
	    TP_PROTO(const char *hook, const char *policy, const char *verdict,
		     int err, const char *object),
	    TP_ARGS(hook, policy, verdict, err, object),
	    TP_STRUCT__entry(__string(hook, hook)
			     __string(policy, policy)
			     __string(verdict, verdict)
			     __field(int, err)
			     __string(object, object)),
	    TP_fast_assign(__assign_str(hook);
			   __assign_str(policy);
			   __assign_str(verdict);
			   __entry->err = err;
			   __assign_str(object);),
	    TP_printk("hook=%s policy=%s verdict=%s err=%d object=%s",
		      __get_str(hook), __get_str(policy), __get_str(verdict),
		      __entry->err, __get_str(object))
);

/*
 * A group of count page faults (the last at addr, for pasid and grpid,
 * wanting perm) from device dev_id was queued on fault queue fault_id,
 * through nested HWPT hwpt_id.  owner_pid and owner_comm are the queue's
 * owner (the process that opened its /dev/iommu), who must answer it: the
 * fault itself comes from the device, in whatever context reports it, so
 * the task ftrace records is not the owner.
 */
TRACE_EVENT(fault,
	    TP_PROTO(u32 fault_id, u32 hwpt_id, u32 dev_id, u32 pasid,
		     u32 grpid, u32 perm, u64 addr, size_t count,
		     pid_t owner_pid, const char *owner_comm),
	    TP_ARGS(fault_id, hwpt_id, dev_id, pasid, grpid, perm, addr, count,
		    owner_pid, owner_comm),
	    TP_STRUCT__entry(__field(u32, fault_id)
			     __field(u32, hwpt_id)
			     __field(u32, dev_id)
			     __field(u32, pasid)
			     __field(u32, grpid)
			     __field(u32, perm)
			     __field(u64, addr)
			     __field(size_t, count)
			     __field(pid_t, owner_pid)
			     __array(char, owner_comm, TASK_COMM_LEN)),
	    TP_fast_assign(__entry->fault_id = fault_id;
			   __entry->hwpt_id = hwpt_id;
			   __entry->dev_id = dev_id;
			   __entry->pasid = pasid;
			   __entry->grpid = grpid;
			   __entry->perm = perm;
			   __entry->addr = addr;
			   __entry->count = count;
			   __entry->owner_pid = owner_pid;
			   strscpy(__entry->owner_comm, owner_comm,
				   TASK_COMM_LEN);),
	    TP_printk("fault_id=%u hwpt_id=%u dev_id=%u pasid=%u grpid=%u perm=%s addr=0x%llx count=%zu owner_pid=%d owner_comm=%s",
		      __entry->fault_id, __entry->hwpt_id, __entry->dev_id,
		      __entry->pasid, __entry->grpid,
		      show_fault_perm(__entry->perm), __entry->addr,
		      __entry->count, __entry->owner_pid, __entry->owner_comm)
);

/*
 * The fault group of cookie on fault queue fault_id, from device dev_id,
 * was answered with code (SUCCESS or INVALID): by its owner writing the
 * response, or by the module (INVALID) when the device's attachment or the
 * queue went first.  owner_pid and owner_comm are the queue's owner.
 */
TRACE_EVENT(fault_response,
	    TP_PROTO(u32 fault_id, u32 cookie, u32 dev_id, u32 code,
		     pid_t owner_pid, const char *owner_comm),
	    TP_ARGS(fault_id, cookie, dev_id, code, owner_pid, owner_comm),
	    TP_STRUCT__entry(__field(u32, fault_id)
			     __field(u32, cookie)
			     __field(u32, dev_id)
			     __field(u32, code)
			     __field(pid_t, owner_pid)
			     __array(char, owner_comm, TASK_COMM_LEN)),
	    TP_fast_assign(__entry->fault_id = fault_id;
			   __entry->cookie = cookie;
			   __entry->dev_id = dev_id;
			   __entry->code = code;
			   __entry->owner_pid = owner_pid;
			   strscpy(__entry->owner_comm, owner_comm,
				   TASK_COMM_LEN);),
	    TP_printk("fault_id=%u cookie=%u dev_id=%u code=%s owner_pid=%d owner_comm=%s",
		      __entry->fault_id, __entry->cookie, __entry->dev_id,
		      show_page_response(__entry->code), __entry->owner_pid,
		      __entry->owner_comm)
);

#endif

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
