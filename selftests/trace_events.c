// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommufd trace events: present in tracefs with the documented fields,
 * recorded as text, and seen by BPF with the right arguments, including the
 * charged totals of RLIMIT_MEMLOCK accounting.
 */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <sys/resource.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "bpf/trace_events.h"
#include "trace_events.skel.h"

#define TRACEFS "/sys/kernel/tracing"
#define PAGE 4096UL

/* The whole of a (small) tracefs file, NUL-terminated, or NULL. */
/* The fields of every event, as docs/tracepoints.md names them. */
static const struct {
	const char *event;
	const char *fields[10];
} events[] = {
	{ "ioas_map", { "ioas_id", "iova", "length", "uaddr", "prot",
			"charged", "ns" } },
	{ "ioas_unmap", { "ioas_id", "iova", "length", "unmapped", "charged",
			  "ns" } },
	{ "pin", { "ioas_id", "uaddr", "npages", "ncharged", "charged" } },
	{ "unpin", { "ioas_id", "uaddr", "npages", "ncharged", "charged" } },
	{ "bind", { "dev", "group", "dev_id" } },
	{ "unbind", { "dev", "group", "dev_id" } },
	{ "attach", { "dev", "group", "dev_id", "hwpt_id", "ioas_id" } },
	{ "detach", { "dev", "group", "dev_id", "hwpt_id", "ioas_id" } },
	{ "replace", { "dev", "group", "dev_id", "old_hwpt_id", "hwpt_id",
		       "ioas_id" } },
	{ "iotlb_sync", { "ioas_id", "hwpt_id", "start", "last", "npages",
			  "ns" } },
	{ "policy_decision", { "hook", "policy", "verdict", "err",
			       "object" } },
	{ "fault", { "fault_id", "hwpt_id", "dev_id", "pasid", "grpid", "perm",
		     "addr", "count", "owner_pid", "owner_comm" } },
	{ "fault_response", { "fault_id", "cookie", "dev_id", "code",
			      "owner_pid", "owner_comm" } },
};

#define NR_EVENTS (sizeof(events) / sizeof(events[0]))

/* The event's own fields in its tracefs format, in order, space-separated. */
static int event_fields(const char *event, char *out, size_t size)
{
	char path[256], *format, *line, *name, *end;
	size_t len = 0;

	snprintf(path, sizeof(path), TRACEFS "/events/iommufd/%s/format", event);
	format = read_text(path);
	if (!format)
		return -1;
	out[0] = '\0';
	/* "\tfield:unsigned long iova;\toffset:16;..."; common_* are ftrace's. */
	for (line = strtok(format, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strstr(line, "field:") || strstr(line, "common_"))
			continue;
		end = strchr(line, ';');
		if (!end)
			continue;
		*end = '\0';
		name = strrchr(line, ' ');
		if (!name)
			continue;
		name++;
		/* "__data_loc char[] dev" or "char owner_comm[16]" */
		name[strcspn(name, "[")] = '\0';
		len += snprintf(out + len, size - len, "%s%s", len ? " " : "", name);
		if (len >= size)
			break;
	}

	return 0;
}

/*
 * Every event has exactly the documented fields, no task fields of its own
 * (ftrace records the task), and each field one name across events.
 */
TEST(events_have_documented_fields)
{
	char have[256], want[256];
	unsigned int e, f;
	size_t len;

	for (e = 0; e < NR_EVENTS; e++) {
		ASSERT_OK(event_fields(events[e].event, have, sizeof(have)));
		len = 0;
		for (f = 0; f < 10 && events[e].fields[f]; f++)
			len += snprintf(want + len, sizeof(want) - len, "%s%s",
					len ? " " : "", events[e].fields[f]);
		if (strcmp(want, have))
			TH_LOG("%s: fields \"%s\", documented \"%s\"",
			       events[e].event, have, want);
		EXPECT_EQ(0, strcmp(want, have));
	}
}

/* The module has no event this test does not know. */
TEST(every_event_is_checked)
{
	struct dirent *d;
	unsigned int e, n = 0;
	DIR *dir = opendir(TRACEFS "/events/iommufd");

	ASSERT_NE(NULL, dir);
	while ((d = readdir(dir))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		for (e = 0; e < NR_EVENTS; e++)
			if (!strcmp(d->d_name, events[e].event))
				break;
		if (e == NR_EVENTS)
			TH_LOG("event %s is not in this test's table", d->d_name);
		EXPECT_NE(NR_EVENTS, e);
		n++;
	}
	closedir(dir);
	ASSERT_EQ(NR_EVENTS, n);
}

/*
 * The text of a map and an unmap: each field by its name, prot as flags
 * (READ|WRITE, then CACHE where the IOAS maps cache-coherently), and the
 * task that made the call in ftrace's own column ("comm-PID").
 */
TEST(tracefs_records_map_and_unmap)
{
	int fd = iommufd_open();
	char *buf = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char expect[160], task[32], *trace, *line;
	uint32_t ioas;

	ASSERT_GE(fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_OK(ioas_alloc(fd, &ioas));
	ASSERT_OK(write_file(TRACEFS "/trace", ""));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/enable", "1"));
	ASSERT_OK(ioas_map_fixed(fd, ioas, buf, 4 * PAGE, 1UL << 24));
	ASSERT_OK(ioas_unmap(fd, ioas, 1UL << 24, 4 * PAGE, NULL));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/enable", "0"));
	trace = read_text(TRACEFS "/trace");
	ASSERT_NE(NULL, trace);
	snprintf(expect, sizeof(expect),
		 "ioas_map: ioas_id=%u iova=0x1000000 length=0x4000 uaddr=%p prot=READ|WRITE",
		 ioas, buf);
	line = strstr(trace, expect);
	if (!line)
		TH_LOG("no \"%s\" in:\n%s", expect, trace);
	ASSERT_NE(NULL, line);
	/* The start of the line: "<comm>-<pid> [cpu] ...", ftrace's record. */
	while (line > trace && line[-1] != '\n')
		line--;
	snprintf(task, sizeof(task), "-%d ", getpid());
	if (!strstr(line, task) || strstr(line, task) > strstr(line, "ioas_map:"))
		TH_LOG("no \"%s\" before the event in: %.*s", task,
		       (int)strcspn(line, "\n"), line);
	ASSERT_NE(NULL, strstr(line, task));
	ASSERT_GT(strstr(line, "ioas_map:"), strstr(line, task));
	snprintf(expect, sizeof(expect),
		 "ioas_unmap: ioas_id=%u iova=0x1000000 length=0x4000 unmapped=0x4000 charged=",
		 ioas);
	if (!strstr(trace, expect))
		TH_LOG("no \"%s\" in:\n%s", expect, trace);
	ASSERT_NE(NULL, strstr(trace, expect));

	close(fd);
}

/*
 * In the forked child: a filled buffer of @npages, then, once the parent
 * has pointed its program at this pid (a byte on @go), an 8-page
 * RLIMIT_MEMLOCK and nobody's identity, so that pins are charged.  Exits
 * the child on failure.
 */
static char *child_as_nobody(int go[2], size_t npages)
{
	struct rlimit rl = { 8 * PAGE, 8 * PAGE };
	char *buf, c;

	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	close(go[1]);
	if (buf == MAP_FAILED || read(go[0], &c, 1) != 1)
		_exit(1);
	memset(buf, 1, npages * PAGE);
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) || setuid(65534))
		_exit(2);
	return buf;
}

/*
 * A process without CAP_IPC_LOCK maps one buffer into two IOAS and pins it
 * through both: two map events, then a pin that charges 8 pages and one
 * that charges none (shared), both reporting 8 charged in all; a third map
 * reports the 8 its process has charged by then; on exit the unpins
 * release the 8.
 */
TEST(bpf_sees_events_and_charges)
{
	struct trace_events_bpf *skel;
	int go[2], status;
	uint32_t i, total_released = 0;
	pid_t pid;

	if (test_set_batch_limit(iommufd_open(), 65536))
		SKIP(return, "IOMMU_TEST_CMD unavailable: load the module with selftest=1");
	skel = trace_events_bpf__open_and_load();
	ASSERT_NE(NULL, skel);
	ASSERT_OK(trace_events_bpf__attach(skel));
	ASSERT_OK(pipe(go));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = iommufd_open(), a1, a2;
		uint32_t ioas1, ioas2;
		uint64_t iova1, iova2, iova3;
		char *buf = child_as_nobody(go, 8);

		if (fd < 0 || ioas_alloc(fd, &ioas1) || ioas_alloc(fd, &ioas2) ||
		    test_create_access(fd, ioas1,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &a1) ||
		    test_create_access(fd, ioas2,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &a2) ||
		    ioas_map(fd, ioas1, buf, 8 * PAGE, &iova1) ||
		    ioas_map(fd, ioas2, buf, 8 * PAGE, &iova2) ||
		    test_access_pages(fd, a1, iova1, 8 * PAGE, buf, 0, NULL) ||
		    test_access_pages(fd, a2, iova2, 8 * PAGE, buf, 0, NULL) ||
		    ioas_map(fd, ioas1, buf, 8 * PAGE, &iova3))
			_exit(3);
		_exit(0);
	}
	skel->bss->target_tgid = pid;
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);

	ASSERT_EQ(3, skel->bss->nmaps);
	ASSERT_EQ(8 * PAGE, skel->bss->map_length[0]);
	ASSERT_NE(skel->bss->map_ioas[0], skel->bss->map_ioas[1]);
	ASSERT_EQ(0, skel->bss->map_charged[0]);
	ASSERT_EQ(0, skel->bss->map_charged[1]);
	ASSERT_EQ(8, skel->bss->map_charged[2]);
	ASSERT_EQ(2, skel->bss->npins);
	ASSERT_EQ(8, skel->bss->pins[0].npages);
	ASSERT_EQ(8, skel->bss->pins[0].ncharged);
	ASSERT_EQ(8, skel->bss->pins[0].charged);
	ASSERT_EQ(skel->bss->map_ioas[0], skel->bss->pins[0].ioas_id);
	ASSERT_EQ(8, skel->bss->pins[1].npages);
	ASSERT_EQ(0, skel->bss->pins[1].ncharged);
	ASSERT_EQ(8, skel->bss->pins[1].charged);
	ASSERT_EQ(skel->bss->map_ioas[1], skel->bss->pins[1].ioas_id);
	ASSERT_EQ(skel->bss->pins[0].uaddr, skel->bss->pins[1].uaddr);
	/* Exit unpinned everything: 8 charges released in all, 0 left. */
	ASSERT_EQ(2, skel->bss->nunpins);
	for (i = 0; i < skel->bss->nunpins; i++)
		total_released += skel->bss->unpins[i].ncharged;
	ASSERT_EQ(8, total_released);
	ASSERT_EQ(0, skel->bss->unpins[1].charged);
	trace_events_bpf__destroy(skel);
}

/*
 * A pin that RLIMIT_MEMLOCK stops half-way: the pages pinned before the
 * limit are reported pinned and then unpinned, one event each, so the
 * counts balance (the unwind used to report an unpin with no pin); and
 * the kernel log says which process hit which limit.  The pin batch is
 * 4 pages, the limit 8, the request 16: two batches get through.
 */
TEST(pins_balance_when_the_limit_stops_a_pin_half_way)
{
	struct trace_events_bpf *skel;
	uint64_t pinned = 0, unpinned = 0;
	int go[2], status, fd, kmsg;
	char expect[128];
	uint32_t i;
	pid_t pid;

	kmsg = kmsg_mark();
	ASSERT_GE(kmsg, 0);
	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	if (test_set_batch_limit(fd, 4 * sizeof(void *)))
		SKIP(return, "IOMMU_TEST_CMD unavailable: load the module with selftest=1");
	skel = trace_events_bpf__open_and_load();
	ASSERT_NE(NULL, skel);
	ASSERT_OK(trace_events_bpf__attach(skel));
	ASSERT_OK(pipe(go));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int cfd = iommufd_open(), access;
		uint32_t ioas;
		uint64_t iova;
		char *buf = child_as_nobody(go, 16);

		if (cfd < 0 || ioas_alloc(cfd, &ioas) ||
		    test_create_access(cfd, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &access) ||
		    ioas_map(cfd, ioas, buf, 16 * PAGE, &iova))
			_exit(3);
		if (!test_access_pages(cfd, access, iova, 16 * PAGE, NULL, 0,
				       NULL) || errno != ENOMEM)
			_exit(4);
		_exit(0);
	}
	skel->bss->target_tgid = pid;
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, test_set_batch_limit(fd, 65536));
	close(fd);
	ASSERT_EQ(0, status);

	for (i = 0; i < skel->bss->npins; i++)
		pinned += skel->bss->pins[i].npages;
	for (i = 0; i < skel->bss->nunpins; i++)
		unpinned += skel->bss->unpins[i].npages;
	ASSERT_EQ(8, pinned);
	ASSERT_EQ(8, unpinned);
	ASSERT_EQ(8, skel->bss->pins[0].ncharged);
	trace_events_bpf__destroy(skel);

	snprintf(expect, sizeof(expect),
		 "iommufd_bpf: trace_events[%d]: RLIMIT_MEMLOCK of 8 pages reached",
		 pid);
	ASSERT_EQ(1, kmsg_count(kmsg, expect));
	close(kmsg);
}

TEST_HARNESS_MAIN
