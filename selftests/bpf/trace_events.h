/* SPDX-License-Identifier: GPL-2.0-only */
/* What trace_events.bpf.c records and selftests/trace_events reads. */
#ifndef TRACE_EVENTS_H
#define TRACE_EVENTS_H

#define MAX_EVENTS 16

struct pin_event {
	__u32 ioas_id;
	__u64 uaddr;
	__u64 npages;
	__u64 ncharged;
	__u64 charged;
};

#endif
