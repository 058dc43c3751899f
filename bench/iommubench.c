// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommubench — map/unmap/pin benchmarks of one backend, one JSON record per
 * workload on standard output (bench/run runs it, bench/report reads it).
 *
 *   iommubench BACKEND CONFIG [WORKLOAD...]
 *
 * BACKEND: mock (this core through /dev/iommu, or $IOMMUFD_DEV, with a mock
 * domain), vfio (this core as the VFIO container backend, the last edu
 * device), type1 (vfio_iommu_type1, the same program and device), floor
 * (pin and unpin the same buffer with nothing else:
 * IOMMU_TEST_OP_BPF_PIN_FLOOR); upstream (upstream's iommufd.ko, on a
 * kernel built with it, through its node $IOMMUBENCH_UPSTREAM_DEV, default
 * /dev/iommu, with its own mock domain: IOMMU_TEST_OP_MOCK_DOMAIN) and
 * upstream_vfio (the same node as the edu device's VFIO container, with
 * VFIO's type1 ioctls on it: upstream's VFIO compatibility).
 * CONFIG is a label copied into each record (what bench/run set up).
 * WORKLOADs (default: all the backend has): map_4k map_64k map_2m map_1g,
 * each also as *_thp (THP-backed buffer); small_10k (10,000 maps of 4 KiB,
 * one unmap of all); churn4 (4 threads map/unmap 64 KiB on one IOAS);
 * copy_1g (IOMMU_IOAS_COPY of a 1 GiB area, mock only); dedup_1, dedup_2,
 * dedup_8 (one 64 MiB buffer in 1, 2, 8 IOAS, charged, mock only);
 * nodedup_1 (the same at 1 IOAS as root, not charged).  Run only when
 * named: scale (map+unmap of 4 KiB to 1 GiB, each size a record scale_SIZE,
 * for how the cost per page grows); many_1000, many_10000, many_100000 (so
 * many 4 KiB mappings in one IOAS: the mean map, a map+unmap among them,
 * and one unmap of them all).
 *
 * Times are CLOCK_MONOTONIC around the calls; buffers are populated before
 * the clock starts.
 */
#include <linux/vfio.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "iommufd_utils.h"
#include "vfio_utils.h"

#define PAGE 4096UL
#define MiB (1UL << 20)
#define GiB (1UL << 30)
#define MOCK_IOVA (MOCK_APERTURE_START)
#define VFIO_IOVA (1UL << 30)
#define MAX_SAMPLES 20000

enum backend { MOCK, VFIO, TYPE1, FLOOR, UPSTREAM, UPSTREAM_VFIO };

static enum backend backend;
static const char *backend_name, *config;
static int fd;			/* /dev/iommu or the VFIO container */
static uint32_t ioas;		/* mock: the IOAS with a mock domain */
static int repeat = 1;		/* IOMMUBENCH_REPEAT */

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "iommubench: %s %s: %s: %s\n", backend_name, config,
		what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct buf {
	char *p;		/* aligned: what is mapped */
	char *raw;		/* what mmap() returned */
	size_t rawlen;
};

/* A populated buffer of @len bytes: 4 KiB pages, or THP where it can. */
static struct buf buffer(size_t len, bool thp)
{
	size_t align = thp ? 2 * MiB : PAGE;
	struct buf b = { .rawlen = len + align };

	b.raw = mmap(NULL, b.rawlen, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b.raw == MAP_FAILED)
		fail("mmap");
	b.p = (char *)(((uintptr_t)b.raw + align - 1) & ~(align - 1));
	if (madvise(b.p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		fail("madvise");
	for (size_t off = 0; off < len; off += PAGE)
		b.p[off] = 1;
	return b;
}

static void release(struct buf *b)
{
	munmap(b->raw, b->rawlen);
	b->raw = NULL;
}

/*
 * The buffer the timed workloads of one process share.  Populating (zeroing)
 * 1 GiB takes seconds under TCG, longer than what is timed on it, so it is
 * done once per kind and size, not once per workload.  One at a time (the
 * test VM has 2 GiB): asking for the other kind, or for more, replaces it.
 * Not inherited by fork(): dedup's children populate their own.
 */
static struct buf pool;
static size_t pool_len;
static bool pool_thp;

static char *shared(size_t len, bool thp)
{
	if (pool.raw && pool_thp == thp && pool_len >= len)
		return pool.p;
	if (pool.raw)
		release(&pool);
	pool = buffer(len, thp);
	if (madvise(pool.raw, pool.rawlen, MADV_DONTFORK))
		fail("madvise(MADV_DONTFORK)");
	pool_len = len;
	pool_thp = thp;
	return pool.p;
}

/* An IOAS with a mock domain (ours or upstream's), not a VFIO container. */
static bool on_ioas(void)
{
	return backend == MOCK || backend == UPSTREAM;
}

static int map(void *buf, size_t len, uint64_t iova)
{
	if (on_ioas())
		return ioas_map_fixed(fd, ioas, buf, len, iova);
	return map_dma(fd, buf, len, iova);
}

static int unmap(uint64_t iova, size_t len)
{
	if (on_ioas())
		return ioas_unmap(fd, ioas, iova, len, NULL);
	return unmap_dma(fd, iova, len, 0, NULL);
}

static uint64_t base_iova(void)
{
	return on_ioas() ? MOCK_IOVA : VFIO_IOVA;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* One record: @n operations of @bytes each took @total ns; per-op samples. */
static void record(const char *workload, uint64_t n, uint64_t bytes,
		   uint64_t total, uint64_t *samples, size_t nsamples,
		   const char *extra)
{
	uint64_t p50 = 0, p99 = 0;

	if (nsamples) {
		qsort(samples, nsamples, sizeof(*samples), cmp_u64);
		p50 = samples[(nsamples - 1) / 2];
		p99 = samples[(nsamples * 99 + 99) / 100 - 1];
	}
	printf("{\"backend\":\"%s\",\"config\":\"%s\",\"workload\":\"%s\","
	       "\"ops\":%llu,\"bytes_per_op\":%llu,\"total_ns\":%llu,"
	       "\"ops_per_s\":%.3f,\"ns_per_op_p50\":%llu,\"ns_per_op_p99\":%llu,"
	       "\"pages_per_s\":%.1f%s}\n",
	       backend_name, config, workload, (unsigned long long)n,
	       (unsigned long long)bytes, (unsigned long long)total,
	       n * 1e9 / total, (unsigned long long)p50,
	       (unsigned long long)p99, n * (bytes / PAGE) * 1e9 / total,
	       extra ? extra : "");
	fflush(stdout);
}

/* map+unmap (or the floor's pin+unpin) of one buffer, @iters times. */
static void map_unmap(const char *name, size_t len, bool thp, int iters)
{
	static uint64_t samples[MAX_SAMPLES];
	char *p = shared(len, thp);
	uint64_t t0 = now_ns(), total;

	for (int i = 0; i < iters; i++) {
		uint64_t s = now_ns();

		if (backend == FLOOR) {
			if (test_pin_floor(fd, p, len, NULL))
				fail(name);
		} else if (map(p, len, base_iova()) ||
			   unmap(base_iova(), len)) {
			fail(name);
		}
		if (i < MAX_SAMPLES)
			samples[i] = now_ns() - s;
	}
	total = now_ns() - t0;
	record(name, iters, len, total, samples,
	       iters < MAX_SAMPLES ? iters : MAX_SAMPLES, NULL);
}

/* 10,000 maps of 4 KiB, then one unmap of everything. */
static void small_10k(void)
{
	static uint64_t samples[10000];
	const int n = 10000;
	char *p = shared(n * PAGE, false);
	uint64_t t0 = now_ns(), maps, un;
	char extra[64];

	for (int i = 0; i < n; i++) {
		uint64_t s = now_ns();

		if (map(p + i * PAGE, PAGE, base_iova() + i * PAGE))
			fail("small_10k map");
		samples[i] = now_ns() - s;
	}
	maps = now_ns() - t0;
	t0 = now_ns();
	if (unmap(base_iova(), n * PAGE))
		fail("small_10k unmap-all");
	un = now_ns() - t0;
	snprintf(extra, sizeof(extra), ",\"unmap_all_ns\":%llu",
		 (unsigned long long)un);
	record("small_10k", n, PAGE, maps, samples, n, extra);
}

struct churn {
	pthread_t thread;
	char *buf;
	uint64_t iova;
	int iters;
	int err;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->iters && !c->err; i++)
		if (map(c->buf, 64 * 1024, c->iova) || unmap(c->iova, 64 * 1024))
			c->err = errno;
	return NULL;
}

/* 4 threads, each map/unmap of 64 KiB at its own IOVA of one IOAS. */
static void churn4(int iters)
{
	struct churn c[4];
	char *p = shared(4 * 64 * 1024, false);
	uint64_t t0 = now_ns(), total;

	for (int i = 0; i < 4; i++) {
		c[i] = (struct churn){ .buf = p + i * 64 * 1024,
				       .iova = base_iova() + i * MiB,
				       .iters = iters };
		if (pthread_create(&c[i].thread, NULL, churn_thread, &c[i]))
			fail("pthread_create");
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(c[i].thread, NULL);
		if (c[i].err) {
			errno = c[i].err;
			fail("churn4");
		}
	}
	total = now_ns() - t0;
	record("churn4", 4 * iters, 64 * 1024, total, NULL, 0, NULL);
}

/*
 * map+unmap of 4 KiB, 16 KiB, ... 1 GiB: how the cost per page grows with
 * the size of one mapping.  Each size maps at least 64 MiB in all (and at
 * least 3 times), so the small sizes are not all noise.
 */
static void scale(void)
{
	static const char *const names[] = {
		"scale_4k", "scale_16k", "scale_64k", "scale_256k", "scale_1m",
		"scale_4m", "scale_16m", "scale_64m", "scale_256m", "scale_1g",
	};

	for (int i = 0; i < 10; i++) {
		size_t len = PAGE << (2 * i);
		int iters = 64 * MiB / len;

		map_unmap(names[i], len, false, (iters < 3 ? 3 : iters) * repeat);
	}
}

/*
 * @n mappings of 4 KiB in one IOAS (a 4 MiB buffer's pages in turn, at
 * consecutive IOVAs): the mean map as the table fills, then 100 map+unmap
 * pairs of one page among them (what finding a place and an area costs
 * with n there), then one unmap of all of them.
 */
static void many(const char *name, int n)
{
	static uint64_t samples[100];
	const int npages = 1024;
	char *p = shared(npages * PAGE, false);
	uint64_t t0, maps, un, hole = base_iova() + (uint64_t)(n / 2) * PAGE;
	char extra[160];

	t0 = now_ns();
	for (int i = 0; i < n; i++)
		if (map(p + (i % npages) * PAGE, PAGE,
			base_iova() + (uint64_t)i * PAGE))
			fail(name);
	maps = now_ns() - t0;
	/* A hole in the middle, mapped and unmapped again. */
	if (unmap(hole, PAGE))
		fail(name);
	for (int i = 0; i < 100; i++) {
		uint64_t s = now_ns();

		if (map(p, PAGE, hole) || unmap(hole, PAGE))
			fail(name);
		samples[i] = now_ns() - s;
	}
	if (map(p, PAGE, hole))
		fail(name);
	t0 = now_ns();
	if (unmap(base_iova(), (uint64_t)n * PAGE))
		fail(name);
	un = now_ns() - t0;
	qsort(samples, 100, sizeof(samples[0]), cmp_u64);
	snprintf(extra, sizeof(extra),
		 ",\"mappings\":%d,\"map_ns\":%llu,\"lookup_ns\":%llu,\"unmap_all_ns\":%llu",
		 n, (unsigned long long)(maps / n),
		 (unsigned long long)samples[49], (unsigned long long)un);
	record(name, n, PAGE, maps, NULL, 0, extra);
}

static uint32_t mock_ioas(void)
{
	uint32_t id;

	if (ioas_alloc(fd, &id) || test_mock_domain(fd, id, 0, NULL, NULL, NULL))
		fail("IOAS with a mock domain");
	return id;
}

/* IOMMU_IOAS_COPY of a mapped 1 GiB area into a second IOAS, and back out. */
static void copy_1g(int iters)
{
	static uint64_t samples[64];
	uint32_t dst = mock_ioas();
	char *p = shared(GiB, false);
	uint64_t t0, total;

	if (ioas_map_fixed(fd, ioas, p, GiB, MOCK_IOVA))
		fail("copy_1g map");
	t0 = now_ns();
	for (int i = 0; i < iters; i++) {
		struct iommu_ioas_copy cmd = {
			.size = sizeof(cmd),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.dst_ioas_id = dst,
			.src_ioas_id = ioas,
			.length = GiB,
			.dst_iova = MOCK_IOVA,
			.src_iova = MOCK_IOVA,
		};
		uint64_t s = now_ns();

		if (ioctl(fd, IOMMU_IOAS_COPY, &cmd) ||
		    ioas_unmap(fd, dst, MOCK_IOVA, GiB, NULL))
			fail("copy_1g");
		samples[i] = now_ns() - s;
	}
	total = now_ns() - t0;
	record("copy_1g", iters, GiB, total, samples, iters, NULL);
	/* dst stays: its mock device holds it until the file closes. */
	if (ioas_unmap(fd, ioas, MOCK_IOVA, GiB, NULL))
		fail("copy_1g cleanup");
}

/* Pages charged to process @pid now, from the module's snapshot. */
static long charged_pages(pid_t pid)
{
	char line[256], comm[64], mode[16];
	unsigned long charged, limit;
	long total = 0;
	int p;
	FILE *f = fopen("/sys/kernel/debug/iommufd_bpf/processes", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d\t%63s\t%15s\t%lu\t%lu", &p, comm, mode,
			   &charged, &limit) == 5 && p == pid)
			total += charged;
	fclose(f);
	return total;
}

/*
 * One 64 MiB buffer mapped into @n IOAS and unmapped, @iters times, by a
 * child that is charged (nobody, RLIMIT_MEMLOCK 1 GiB) or not (root,
 * @charged false).  While the first round holds all n mappings, the
 * parent records what is charged (untimed).
 */
static void dedup_child(const char *name, int n, bool charged, int iters,
			int ready, int go)
{
	static uint64_t samples[64];
	struct rlimit rl = { GiB, GiB };
	const size_t len = 64 * MiB;
	struct buf b = buffer(len, false);
	uint64_t t0, total, paused = 0;
	uint32_t ids[8];
	char c;

	for (int i = 0; i < n; i++)
		ids[i] = mock_ioas();
	if (charged && (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) ||
			setuid(65534)))
		fail("drop to nobody");
	t0 = now_ns();
	for (int it = 0; it < iters; it++) {
		uint64_t s = now_ns();

		for (int i = 0; i < n; i++)
			if (ioas_map_fixed(fd, ids[i], b.p, len, MOCK_IOVA))
				fail(name);
		samples[it] = now_ns() - s;
		if (!it) {
			uint64_t p = now_ns();

			if (write(ready, "c", 1) != 1 || read(go, &c, 1) != 1)
				fail("pipe");
			paused = now_ns() - p;
		}
		s = now_ns();
		for (int i = 0; i < n; i++)
			if (ioas_unmap(fd, ids[i], MOCK_IOVA, len, NULL))
				fail(name);
		samples[it] += now_ns() - s;
	}
	total = now_ns() - t0 - paused;
	record(name, iters, len * n, total, samples, iters, NULL);
	_exit(0);
}

static void dedup(const char *name, int n, bool charged, int iters)
{
	int ready[2], go[2], status;
	char c;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		fail("pipe");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (!pid)
		dedup_child(name, n, charged, iters, ready[1], go[0]);
	if (read(ready[0], &c, 1) != 1)
		fail(name);
	printf("{\"backend\":\"%s\",\"config\":\"%s\",\"workload\":\"%s_charge\",\"charged_pages\":%ld,\"buffer_pages\":%lu}\n",
	       backend_name, config, name, charged_pages(pid), 64 * MiB / PAGE);
	fflush(stdout);
	if (write(go[1], "g", 1) != 1 || waitpid(pid, &status, 0) != pid ||
	    status)
		fail(name);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

#define VFIO_PARAM "/sys/module/iommufd_bpf/parameters/vfio"

/* New containers go to this core again (the module's default). */
static void restore_vfio_param(void)
{
	write_file(VFIO_PARAM, "1");
}

/*
 * Upstream's iommufd, loaded beside this module (make bench's kernel): its
 * node, checked to be upstream's (this module answers its own test
 * commands, upstream does not); with a mock domain, or as the last edu
 * device's VFIO container with the device opened (so that it is attached
 * and its VT-d domain maps), type1v2 set through upstream's compatibility.
 */
static void open_upstream(void)
{
	const char *dev = getenv("IOMMUBENCH_UPSTREAM_DEV");
	const char *what;
	int device;

	if (!dev || !*dev)
		dev = "/dev/iommu";
	if (access("/sys/module/iommufd", F_OK)) {
		fprintf(stderr, "iommubench: upstream's iommufd is not loaded (make bench boots a kernel with it: scripts/kernel-tree bench)\n");
		exit(2);
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail(dev);
	if (mock_iommu_available(fd)) {
		fprintf(stderr, "iommubench: %s is this module's node, not upstream's (load this module with devname=iommu_bpf, or set IOMMUBENCH_UPSTREAM_DEV)\n",
			dev);
		exit(2);
	}
	if (backend == UPSTREAM) {
		ioas = mock_ioas();
		return;
	}
	if (system("modprobe vfio-pci"))
		fail("modprobe vfio-pci");
	device = last_edu_iommufd_container(fd, &what);
	if (device < 0)
		fail(what);
}

static void open_vfio(bool ours)
{
	const char *what;

	if (write_file(VFIO_PARAM, ours ? "1" : "0"))
		fail("set the module's vfio parameter");
	if (!ours)
		atexit(restore_vfio_param);
	if (system("modprobe vfio-pci && modprobe vfio_iommu_type1"))
		fail("modprobe vfio-pci vfio_iommu_type1");
	fd = last_edu_container(&what);
	if (fd < 0)
		fail(what);
}

/*
 * Workloads besides the map+unmap sizes, and where they are measured: on
 * every backend but the floor, on an IOAS of ours or upstream's (copy), or
 * on ours only (dedup reads this module's charges).
 */
enum scope { ALL, IOAS_ONLY, MOCK_ONLY };

static const struct {
	const char *name;
	enum scope scope;
	bool named;		/* run only when named */
} others[] = {
	{ "small_10k", ALL, false }, { "churn4", ALL, false },
	{ "copy_1g", IOAS_ONLY, false }, { "nodedup_1", MOCK_ONLY, false },
	{ "dedup_1", MOCK_ONLY, false }, { "dedup_2", MOCK_ONLY, false },
	{ "dedup_8", MOCK_ONLY, false },
	{ "scale", ALL, true }, { "many_1000", ALL, true },
	{ "many_10000", ALL, true }, { "many_100000", ALL, true },
};

/*
 * Is @w a workload of @backend?  Exits 2 with one line when it is not a
 * workload at all, or not one of this backend's.
 */
static void check_workload(const char *w, const char *const *sizes, int n)
{
	char thp[32];

	if (!strcmp(w, "default"))
		return;
	for (int i = 0; i < n; i++) {
		snprintf(thp, sizeof(thp), "%s_thp", sizes[i]);
		if (!strcmp(w, sizes[i]) || !strcmp(w, thp))
			return;
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (strcmp(w, others[i].name))
			continue;
		if (backend == FLOOR) {
			fprintf(stderr, "iommubench: %s is not measured on the floor (map_* only)\n",
				w);
			exit(2);
		}
		if (others[i].scope == MOCK_ONLY && backend != MOCK) {
			fprintf(stderr, "iommubench: %s is only measured on mock\n", w);
			exit(2);
		}
		if (others[i].scope == IOAS_ONLY && !on_ioas()) {
			fprintf(stderr, "iommubench: %s is only measured on mock and upstream\n",
				w);
			exit(2);
		}
		return;
	}
	fprintf(stderr, "iommubench: no workload '%s' (map_4k, map_64k, map_2m, map_1g and their _thp, small_10k, churn4, copy_1g, nodedup_1, dedup_1, dedup_2, dedup_8, scale, many_1000, many_10000, many_100000, or default: those that run when none is named)\n",
		w);
	exit(2);
}

/* Does @w run by default (when no workload, or "default", is named)? */
static bool by_default(const char *w)
{
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (!strcmp(w, others[i].name))
			return !others[i].named;
	return true;
}

/* Is @w to run: named, or one that runs by default and none or "default" named? */
static bool wanted(int argc, char **argv, const char *w)
{
	if (argc <= 3)
		return by_default(w);
	for (int i = 3; i < argc; i++)
		if (!strcmp(argv[i], w) ||
		    (!strcmp(argv[i], "default") && by_default(w)))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t len;
		int iters;
	} sizes[] = {
		{ "map_4k", PAGE, 4000 },
		{ "map_64k", 64 * 1024, 1000 },
		{ "map_2m", 2 * MiB, 200 },
		{ "map_1g", GiB, 3 },
	};

	const char *size_names[] = { "map_4k", "map_64k", "map_2m", "map_1g" };
	const char *env = getenv("IOMMUBENCH_REPEAT");

	if (argc < 3) {
		fprintf(stderr, "usage: iommubench mock|vfio|type1|floor|upstream|upstream_vfio CONFIG [WORKLOAD...]\n");
		return 2;
	}
	backend_name = argv[1];
	config = argv[2];
	if (!strcmp(argv[1], "mock")) {
		backend = MOCK;
	} else if (!strcmp(argv[1], "floor")) {
		backend = FLOOR;
	} else if (!strcmp(argv[1], "vfio")) {
		backend = VFIO;
	} else if (!strcmp(argv[1], "type1")) {
		backend = TYPE1;
	} else if (!strcmp(argv[1], "upstream")) {
		backend = UPSTREAM;
	} else if (!strcmp(argv[1], "upstream_vfio")) {
		backend = UPSTREAM_VFIO;
	} else {
		fprintf(stderr, "iommubench: no backend '%s' (mock, vfio, type1, floor, upstream, upstream_vfio)\n",
			argv[1]);
		return 2;
	}
	for (int i = 3; i < argc; i++)
		check_workload(argv[i], size_names, 4);
	/* bench/profile repeats the map/unmap workloads to outweigh setup. */
	if (env) {
		char *end;
		long r = strtol(env, &end, 10);

		if (!*env || *end || r < 1 || r > 100) {
			fprintf(stderr, "iommubench: IOMMUBENCH_REPEAT must be 1 to 100, not '%s'\n",
				env);
			return 2;
		}
		repeat = r;
	}
	if (backend == MOCK || backend == FLOOR) {
		fd = iommufd_open();
		if (fd < 0 || !mock_iommu_available(fd))
			fail("/dev/iommu with the mock IOMMU (selftest=1)");
		if (backend == MOCK)
			ioas = mock_ioas();
	} else if (backend == UPSTREAM || backend == UPSTREAM_VFIO) {
		open_upstream();
	} else {
		open_vfio(backend == VFIO);
	}
	/*
	 * The workloads on buffers of 4 KiB pages first, then those on THP:
	 * one shared buffer of each kind (shared()) is populated, not one per
	 * workload.
	 */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (wanted(argc, argv, sizes[i].name))
			map_unmap(sizes[i].name, sizes[i].len, false,
				  sizes[i].iters * repeat);
	if (backend != FLOOR) {
		if (wanted(argc, argv, "small_10k"))
			small_10k();
		if (wanted(argc, argv, "churn4"))
			churn4(200);
		if (wanted(argc, argv, "scale"))
			scale();
		if (wanted(argc, argv, "many_1000"))
			many("many_1000", 1000);
		if (wanted(argc, argv, "many_10000"))
			many("many_10000", 10000);
		if (wanted(argc, argv, "many_100000"))
			many("many_100000", 100000);
		if (on_ioas() && wanted(argc, argv, "copy_1g"))
			copy_1g(3);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char thp[32];

		snprintf(thp, sizeof(thp), "%s_thp", sizes[i].name);
		if (wanted(argc, argv, thp))
			map_unmap(thp, sizes[i].len, true,
				  sizes[i].iters * repeat);
	}
	if (pool.raw)
		release(&pool);
	if (backend != MOCK)
		return 0;
	/*
	 * At 1 IOAS, charged against not charged is held to 5 %, which five
	 * samples under TCG do not resolve: fifteen there.
	 */
	if (wanted(argc, argv, "nodedup_1"))
		dedup("nodedup_1", 1, false, 15);
	if (wanted(argc, argv, "dedup_1"))
		dedup("dedup_1", 1, true, 15);
	if (wanted(argc, argv, "dedup_2"))
		dedup("dedup_2", 2, true, 5);
	if (wanted(argc, argv, "dedup_8"))
		dedup("dedup_8", 8, true, 5);
	return 0;
}
