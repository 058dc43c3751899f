// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debugfs snapshot iommutop starts from: processes (each charged
 * party, with its limit), contexts (owner, kind, IOAS and devices), ioas
 * (areas, bytes, pinned pages, domains, accesses) and devices (group,
 * owner, HWPT, IOAS, domain, direct regions), with absolute numbers for a
 * known state; and activity (each context's maps, unmaps, pins and IOTLB
 * syncs, counted per CPU), for a known workload.
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "uffd_utils.h"

#define PAGE 4096UL
#define IOVA (MOCK_APERTURE_START + (1UL << 20))
#define DIR "/sys/kernel/debug/iommufd_bpf/"
/* A file's text begins with a header line (a string literal). */
#define STARTS_WITH(text, lit) ((text) && !strncmp(text, lit, sizeof(lit) - 1))

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE };

FIXTURE(snapshot) {
	int fd;
	unsigned long long ctx;
	char *buf;
};

/*
 * The ID of this process's only context, from the contexts file; 0 when
 * it has none or several.
 */
static unsigned long long own_ctx(void)
{
	char *text = read_text(DIR "contexts"), *line, pat[48];
	unsigned long long ctx = 0;
	int n = 0;

	if (!text)
		return 0;
	snprintf(pat, sizeof(pat), "\t%d\tsnapshot\t", getpid());
	for (line = strchr(text, '\n'); line; line = strchr(line + 1, '\n')) {
		char *end = strchr(line + 1, '\n');

		if (end)
			*end = 0;
		if (strstr(line + 1, pat)) {
			ctx = strtoull(line + 1, NULL, 10);
			n++;
		}
		if (end)
			*end = '\n';
	}
	return n == 1 ? ctx : 0;
}

FIXTURE_SETUP(snapshot)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
	self->ctx = own_ctx();
	ASSERT_NE(0, self->ctx);
	self->buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(snapshot)
{
	close(self->fd);
}

TEST_F(snapshot, ioas_numbers)
{
	uint32_t ioas, empty;
	char line[160], *text;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(ioas_alloc(self->fd, &empty));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf, 4 * PAGE, IOVA));
	ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf + 8 * PAGE,
				 4 * PAGE, IOVA + 16 * PAGE));
	text = read_text(DIR "ioas");
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(STARTS_WITH(text,
				"pid\tcomm\tctx\tioas\tareas\tmapped_bytes\tpinned_pages\tdomains\taccesses\n"));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t%llu\t%u\t2\t32768\t8\t1\t0\n",
		 getpid(), self->ctx, ioas);
	ASSERT_NE(NULL, strstr(text, line));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t%llu\t%u\t0\t0\t0\t0\t0\n",
		 getpid(), self->ctx, empty);
	ASSERT_NE(NULL, strstr(text, line));
	/* Gone with the file. */
	close(self->fd);
	self->fd = -1;
	snprintf(line, sizeof(line), "\n%d\tsnapshot\t", getpid());
	ASSERT_EQ(NULL, strstr(read_text(DIR "ioas"), line));
}

TEST_F(snapshot, devices)
{
	struct iommu_test_bpf_mock_device spec = {
		.resv_type = RESV_DIRECT_RELAXABLE,
		.resv_start = 0x100000,
		.resv_length = 0x4000,
	};
	uint32_t ioas, stdev, index, dev_id, hwpt, dev2, hwpt2;
	char line[200], *text;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &index));
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt2, &dev2));
	text = read_text(DIR "devices");
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(STARTS_WITH(text,
				"device\tgroup\tpid\tcomm\tctx\tdev_id\thwpt\tioas\tdomain\tdirect\n"));
	snprintf(line, sizeof(line), "iommufd_bpf_mock.%u\t", index);
	ASSERT_NE(NULL, strstr(text, line));
	/* Bound, not attached: the group is blocked. */
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%llu\t%u\t0\t0\tblocked\tdirect-relaxable\n",
		 getpid(), self->ctx, dev_id);
	ASSERT_NE(NULL, strstr(text, line));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%llu\t%u\t%u\t%u\tpaging\t-\n",
		 getpid(), self->ctx, dev2, hwpt2, ioas);
	ASSERT_NE(NULL, strstr(text, line));
	ASSERT_OK(test_bpf_attach(self->fd, stdev, ioas, &hwpt));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%llu\t%u\t%u\t%u\tpaging\tdirect-relaxable\n",
		 getpid(), self->ctx, dev_id, hwpt, ioas);
	ASSERT_NE(NULL, strstr(read_text(DIR "devices"), line));
	ASSERT_OK(test_bpf_detach(self->fd, stdev));
	snprintf(line, sizeof(line), "\t%d\tsnapshot\t%llu\t%u\t0\t0\tblocked\tdirect-relaxable\n",
		 getpid(), self->ctx, dev_id);
	ASSERT_NE(NULL, strstr(read_text(DIR "devices"), line));
}

TEST_F(snapshot, contexts)
{
	uint32_t ioas, other;
	char line[160];
	int fd2;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(ioas_alloc(self->fd, &other));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_TRUE(STARTS_WITH(read_text(DIR "contexts"),
				"ctx\tpid\tcomm\tkind\tioas\tdevices\n"));
	snprintf(line, sizeof(line), "\n%llu\t%d\tsnapshot\tiommufd\t2\t1\n",
		 self->ctx, getpid());
	ASSERT_NE(NULL, strstr(read_text(DIR "contexts"), line));
	/* A second context has another ID; none is listed twice. */
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, own_ctx());
	close(fd2);
	ASSERT_EQ(self->ctx, own_ctx());
	ASSERT_OK(iommufd_destroy(self->fd, other));
	snprintf(line, sizeof(line), "\n%llu\t%d\tsnapshot\tiommufd\t1\t1\n",
		 self->ctx, getpid());
	ASSERT_NE(NULL, strstr(read_text(DIR "contexts"), line));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, own_ctx());
}

/**
 * struct charged_child - a process charged for 4 pages, held until released
 * @pid: the process
 * @done: write a byte here to let it exit
 */
struct charged_child {
	pid_t pid;
	int done;
};

/*
 * Fork a process that (named @name, with a /dev/iommu file of its own,
 * when @name is set) maps 4 pages of @buf into @ioas of @fd as nobody with
 * a 64-page limit, and holds them until released.  0 once it has mapped.
 */
static int charged_child(int fd, uint32_t ioas, void *buf, const char *name,
			 struct charged_child *cc)
{
	int go[2], done[2];
	char c;

	if (pipe(go) || pipe(done))
		return -1;
	cc->pid = fork();
	if (cc->pid < 0)
		return -1;
	if (!cc->pid) {
		struct rlimit rl = { 64 * PAGE, 64 * PAGE };
		uint32_t own;
		int fd2;

		/* Only the parent's ends: its exit must end the wait below. */
		close(go[0]);
		close(done[1]);
		if (name) {
			/* Named first: a context takes its owner's name. */
			if (prctl(PR_SET_NAME, name))
				_exit(1);
			fd2 = open("/dev/iommu", O_RDWR);
			if (fd2 < 0 || ioas_alloc(fd2, &own))
				_exit(1);
		}
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) ||
		    setuid(65534) ||
		    ioas_map_fixed(fd, ioas, buf, 4 * PAGE, IOVA) ||
		    write(go[1], "x", 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(go[1]);
	close(done[0]);
	cc->done = done[1];
	return read(go[0], &c, 1) == 1 ? 0 : -1;
}

/* Let it exit: its exit status. */
static int release_child(struct charged_child *cc)
{
	int status = -1;

	if (write(cc->done, "x", 1) != 1 ||
	    waitpid(cc->pid, &status, 0) != cc->pid)
		return -1;
	close(cc->done);
	return status;
}

/* A charged process, its charge and its limit, while it holds them. */
TEST_F(snapshot, processes)
{
	struct charged_child cc;
	char line[160];
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(charged_child(self->fd, ioas, self->buf, NULL, &cc));
	snprintf(line, sizeof(line), "\n%d\tsnapshot\tuser\t4\t64\n", cc.pid);
	ASSERT_NE(NULL, strstr(read_text(DIR "processes"), line));
	ASSERT_EQ(0, release_child(&cc));
	/* The mapping (and its charge) stays with the IOAS until unmapped. */
	ASSERT_OK(ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));
	snprintf(line, sizeof(line), "\n%d\t", cc.pid);
	ASSERT_EQ(NULL, strstr(read_text(DIR "processes"), line));
}

/*
 * A command name with a tab, a newline and a backslash is escaped as
 * /proc/PID/status escapes it: each line keeps its fields, and no line is
 * cut in two.
 */
TEST_F(snapshot, command_names_are_escaped)
{
	struct charged_child cc;
	char line[160];
	uint32_t ioas;

	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(charged_child(self->fd, ioas, self->buf, "a\tb\nc\\d", &cc));
	snprintf(line, sizeof(line), "\t%d\ta\\tb\\nc\\\\d\tiommufd\t1\t0\n",
		 cc.pid);
	ASSERT_NE(NULL, strstr(read_text(DIR "contexts"), line));
	snprintf(line, sizeof(line), "\n%d\ta\\tb\\nc\\\\d\tuser\t4\t64\n",
		 cc.pid);
	ASSERT_NE(NULL, strstr(read_text(DIR "processes"), line));
	ASSERT_EQ(NULL, strstr(read_text(DIR "contexts"), "\nc\\d"));
	ASSERT_EQ(0, release_child(&cc));
	ASSERT_OK(ioas_unmap(self->fd, ioas, 0, UINT64_MAX, NULL));
}

/* A thread doing one thing, and what came of it. */
struct snap_call {
	pthread_t thread;
	int fd, rc, err;
	pid_t tid;
	uint32_t ioas;
	void *buf;
	volatile bool stop;
	long reads;
};

static void *map_thread(void *arg)
{
	struct snap_call *c = arg;

	c->rc = ioas_map_fixed(c->fd, c->ioas, c->buf, PAGE, IOVA);
	c->err = errno;
	return NULL;
}

/* read_text() for threads: into @buf; the bytes read, or -1. */
static ssize_t read_into(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len, total = 0;

	if (fd < 0)
		return -1;
	while ((len = read(fd, buf + total, size - 1 - total)) > 0)
		total += len;
	close(fd);
	buf[total] = 0;
	return len < 0 ? -1 : total;
}

static void *read_ioas_thread(void *arg)
{
	struct snap_call *c = arg;
	char buf[4096];

	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	do {
		if (read_into(DIR "ioas", buf, sizeof(buf)) >= 0)
			c->reads++;
	} while (!c->stop);
	return NULL;
}

static void *open_thread(void *arg)
{
	struct snap_call *c = arg;

	c->fd = iommufd_open();
	c->err = errno;
	return NULL;
}

/* The state letter of thread @tid of this process ('D', 'S', ...). */
static char task_state(pid_t tid)
{
	char path[64], text[512], *paren;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (read_into(path, text, sizeof(text)) < 0)
		return '?';
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

/*
 * A map stuck in pinning (its memory a userfaultfd page) holds its IOAS's
 * table; a snapshot reader waits for it.  Opening /dev/iommu, anywhere,
 * must not wait too: the reader once waited holding the module-wide list
 * of contexts, which every open and close takes.
 */
TEST_F(snapshot, open_is_not_held_up_by_a_reader_behind_a_stuck_map)
{
	struct snap_call map = { .fd = self->fd }, reader = { .stop = true };
	struct snap_call opener = { .fd = -1 };
	struct timespec deadline;
	struct uffd_hold hold;
	int i, joined;

	ASSERT_OK(ioas_alloc(self->fd, &map.ioas));
	ASSERT_OK(test_mock_domain(self->fd, map.ioas, 0, NULL, NULL, NULL));
	ASSERT_OK(uffd_hold_init(&hold));
	map.buf = hold.page;
	ASSERT_OK(pthread_create(&map.thread, NULL, map_thread, &map));
	ASSERT_OK(uffd_hold_wait(&hold, 10000));
	/* One read, which waits for the map's IOAS. */
	ASSERT_OK(pthread_create(&reader.thread, NULL, read_ioas_thread,
				 &reader));
	for (i = 0; i < 1000; i++) {
		pid_t tid = __atomic_load_n(&reader.tid, __ATOMIC_ACQUIRE);

		if (tid && task_state(tid) == 'D')
			break;
		usleep(10000);
	}
	EXPECT_NE(1000, i);
	ASSERT_OK(pthread_create(&opener.thread, NULL, open_thread, &opener));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	joined = pthread_timedjoin_np(opener.thread, NULL, &deadline);
	EXPECT_EQ(0, joined);
	ASSERT_OK(uffd_hold_release(&hold));
	if (joined)
		pthread_join(opener.thread, NULL);
	pthread_join(reader.thread, NULL);
	pthread_join(map.thread, NULL);
	uffd_hold_destroy(&hold);
	ASSERT_LE(0, opener.fd);
	close(opener.fd);
	ASSERT_EQ(0, map.rc);
}

/*
 * Snapshot readers never change what a caller gets: IOAS destroyed while a
 * reader walks them are destroyed (a reader's reference once made
 * IOMMU_DESTROY answer EBUSY).
 */
TEST_F(snapshot, readers_never_make_destroy_busy)
{
	struct snap_call reader = { 0 };
	int i, busy = 0;
	uint32_t ioas;
	uint64_t iova;

	ASSERT_OK(pthread_create(&reader.thread, NULL, read_ioas_thread,
				 &reader));
	for (i = 0; i < 2000; i++) {
		ASSERT_OK(ioas_alloc(self->fd, &ioas));
		ASSERT_OK(ioas_map(self->fd, ioas, self->buf, 4 * PAGE, &iova));
		if (iommufd_destroy(self->fd, ioas)) {
			ASSERT_EQ(EBUSY, errno);
			busy++;
			while (iommufd_destroy(self->fd, ioas))
				;
		}
	}
	reader.stop = true;
	pthread_join(reader.thread, NULL);
	ASSERT_EQ(0, busy);
	ASSERT_LT(10, reader.reads);
}

/**
 * struct activity - one context's line of the activity file
 * @open: its state is "open" (else "closed")
 * @v: maps unmaps map_bytes unmap_bytes map_ns pinned unpinned iotlb_syncs
 *     iotlb_pages iotlb_ns, in the file's order
 * @lat: the map latency histogram
 */
struct activity {
	bool open;
	unsigned long long v[10];
	unsigned long long lat[32];
};

#define ACTIVITY_HEADER "ctx\tpid\tcomm\tstate\tmaps\tunmaps\tmap_bytes\tunmap_bytes\tmap_ns\tpinned\tunpinned\tiotlb_syncs\tiotlb_pages\tiotlb_ns\tmap_lat\n"

enum { A_MAPS, A_UNMAPS, A_MAP_BYTES, A_UNMAP_BYTES, A_MAP_NS, A_PINNED,
       A_UNPINNED, A_SYNCS, A_SYNC_PAGES, A_SYNC_NS };

/*
 * Context @ctx's line of the activity file read through @afd (kept open,
 * read again from the start); 0, or -1 when the context has none.
 */
static int activity_of(int afd, unsigned long long ctx, struct activity *a)
{
	static char text[1 << 16];
	char pat[32], *line, *p;
	ssize_t n;

	if (lseek(afd, 0, SEEK_SET))
		return -1;
	n = read(afd, text, sizeof(text) - 1);
	if (n <= 0)
		return -1;
	text[n] = 0;
	snprintf(pat, sizeof(pat), "\n%llu\t", ctx);
	line = strstr(text, pat);
	if (!line)
		return -1;
	p = strchr(line + 1, '\t');		/* after ctx */
	p = p ? strchr(p + 1, '\t') : NULL;	/* after pid */
	p = p ? strchr(p + 1, '\t') : NULL;	/* after comm */
	if (!p)
		return -1;
	a->open = !strncmp(p + 1, "open\t", 5);
	if (!a->open && strncmp(p + 1, "closed\t", 7))
		return -1;
	p = strchr(p + 1, '\t');		/* after state */
	for (int i = 0; i < 10; i++)
		a->v[i] = strtoull(p + 1, &p, 10);
	for (int i = 0; i < 32; i++)
		a->lat[i] = strtoull(p + 1, &p, 10);
	return *p == '\n' ? 0 : -1;
}

/* The numbers of a known workload, exact; the times consistent. */
TEST_F(snapshot, activity_counts_a_known_workload)
{
	unsigned long long lat = 0, min_ns = 0;
	uint32_t ioas, hwpt;
	struct activity a;
	char head[200];
	int afd;

	afd = open(DIR "activity", O_RDONLY);
	ASSERT_GE(afd, 0);
	ASSERT_GE(read(afd, head, sizeof(head)), (ssize_t)strlen(ACTIVITY_HEADER));
	ASSERT_EQ(0, strncmp(head, ACTIVITY_HEADER, strlen(ACTIVITY_HEADER)));
	ASSERT_OK(activity_of(afd, self->ctx, &a));
	ASSERT_TRUE(a.open);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(0, a.v[i]);
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(test_mock_domain(self->fd, ioas, 0, NULL, &hwpt, NULL));
	for (int i = 0; i < 3; i++)
		ASSERT_OK(ioas_map_fixed(self->fd, ioas, self->buf + i * 4 * PAGE,
					 4 * PAGE, IOVA + i * 8 * PAGE));
	for (int i = 0; i < 3; i++)
		ASSERT_OK(ioas_unmap(self->fd, ioas, IOVA + i * 8 * PAGE,
				     4 * PAGE, NULL));
	/* Neither a failed map nor an unmap of nothing counts. */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, ioas, self->buf, PAGE, 1));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, ioas, IOVA, PAGE, NULL));

	ASSERT_OK(activity_of(afd, self->ctx, &a));
	ASSERT_EQ(3, a.v[A_MAPS]);
	ASSERT_EQ(3 * 4 * PAGE, a.v[A_MAP_BYTES]);
	ASSERT_EQ(3, a.v[A_UNMAPS]);
	ASSERT_EQ(3 * 4 * PAGE, a.v[A_UNMAP_BYTES]);
	ASSERT_EQ(12, a.v[A_PINNED]);
	ASSERT_EQ(12, a.v[A_UNPINNED]);
	/* One domain: one sync per unmap call. */
	ASSERT_EQ(3, a.v[A_SYNCS]);
	ASSERT_EQ(12, a.v[A_SYNC_PAGES]);
	ASSERT_GT(a.v[A_SYNC_NS], 0);
	/* The file is open: each map timed, in its bucket. */
	for (int i = 0; i < 32; i++) {
		lat += a.lat[i];
		min_ns += a.lat[i] << i;
	}
	ASSERT_EQ(3, lat);
	ASSERT_GE(a.v[A_MAP_NS], min_ns);
	ASSERT_LT(a.v[A_MAP_NS], 2 * min_ns);
	close(afd);
}

/*
 * Activity belongs to the context: a forked child mapping through the
 * parent's file counts there, a file of the child's own has its own line,
 * and once that file is closed the line stays, closed, with its final
 * counts (a reader that samples now and then sees a context that came and
 * went between two reads).
 */
TEST_F(snapshot, activity_is_the_contexts)
{
	unsigned long long before, child_ctx = 0;
	struct activity a, b;
	int afd, ready[2], go[2], status;
	uint32_t ioas;
	pid_t pid;

	afd = open(DIR "activity", O_RDONLY);
	ASSERT_GE(afd, 0);
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_OK(activity_of(afd, self->ctx, &a));
	before = a.v[A_MAPS];
	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		uint32_t own;
		uint64_t iova;
		char c = 0;
		int fd2 = iommufd_open();

		close(ready[0]);
		close(go[1]);
		if (fd2 < 0 || ioas_map(self->fd, ioas, self->buf, PAGE, &iova) ||
		    ioas_alloc(fd2, &own) ||
		    ioas_map(fd2, own, self->buf, PAGE, &iova) ||
		    ioas_map(fd2, own, self->buf, PAGE, &iova))
			_exit(1);
		/* Hold the file while the parent looks. */
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	/* The child holds the other ends: a failed child reads as EOF. */
	close(ready[1]);
	close(go[0]);
	{
		char c;
		ssize_t n = read(ready[0], &c, 1);

		/* The child failed before it mapped: reap it, then fail. */
		if (n != 1) {
			close(go[1]);
			waitpid(pid, &status, 0);
		}
		ASSERT_EQ(1, n);
	}
	ASSERT_OK(activity_of(afd, self->ctx, &a));
	ASSERT_EQ(before + 1, a.v[A_MAPS]);
	/* The child's own context: the one other line naming its pid. */
	{
		char text[1 << 14], pat[32], *line;
		ssize_t n;

		ASSERT_EQ(0, lseek(afd, 0, SEEK_SET));
		n = read(afd, text, sizeof(text) - 1);
		ASSERT_GT(n, 0);
		text[n] = 0;
		snprintf(pat, sizeof(pat), "\t%d\t", pid);
		for (line = strchr(text, '\n'); line; line = strchr(line + 1, '\n'))
			if (!strncmp(strchr(line + 1, '\t') ?: "", pat, strlen(pat)))
				child_ctx = strtoull(line + 1, NULL, 10);
	}
	ASSERT_NE(0, child_ctx);
	ASSERT_OK(activity_of(afd, child_ctx, &b));
	ASSERT_TRUE(b.open);
	ASSERT_EQ(2, b.v[A_MAPS]);
	ASSERT_EQ(2 * PAGE, b.v[A_MAP_BYTES]);
	/* No domain, no access: nothing pinned. */
	ASSERT_EQ(0, b.v[A_PINNED]);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	/* Its file closed with it: the line stays, closed, counts final. */
	ASSERT_OK(activity_of(afd, child_ctx, &b));
	ASSERT_FALSE(b.open);
	ASSERT_EQ(2, b.v[A_MAPS]);
	ASSERT_EQ(2 * PAGE, b.v[A_MAP_BYTES]);
	close(ready[0]);
	close(go[1]);
	close(afd);
}

TEST_HARNESS_MAIN
