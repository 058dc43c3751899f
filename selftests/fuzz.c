// SPDX-License-Identifier: GPL-2.0-only
/*
 * selftests/fuzz [-s SEED] [-n CALLS] [-t THREADS] [-p PROCESSES] —
 * structured random ioctl sequences against /dev/iommu.
 *
 * Each worker (THREADS threads in each of PROCESSES processes) draws
 * operations from its own generator, seeded from SEED and its number, so
 * a seed replays the same sequence of calls per worker (their interleaving
 * is the scheduler's).  The operations are every /dev/iommu command, the
 * test command's mock devices, domains, accesses and failure injection,
 * and the VFIO type1 ioctls on /dev/iommu, with IDs that exist, IDs of the
 * wrong type and IDs that never existed, sizes around each structure's,
 * flags with unknown bits, IOVAs at the edges of the address space, and
 * user pointers that are bad or that are unmapped while in use; workers
 * also close and reopen their files, and processes exit with everything
 * open.  What a call returns is not checked (random calls fail for many
 * good reasons); what is checked is what must always hold:
 *
 *   - the kernel stays sane (selftests/vm-run fails the run on any WARNING,
 *     BUG, KASAN or lockdep report);
 *   - once every file is closed, nothing is left: the module's counts of
 *     contexts, objects, pinned and charged pages and PFN chunks are back
 *     where they started, and no page of the fuzzed buffers is pinned;
 *   - the module unloads afterwards (vm-guest checks).
 *
 * Prints its seed first; TAP, one result per check.
 */
#include <linux/vfio.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_utils.h"

#define PAGE 4096UL
#define BUF_PAGES 64
#define BUF_SIZE (BUF_PAGES * PAGE)
#define IDS 16
#define MOCK_IOVA MOCK_APERTURE_START

static char *bufs[3];

struct worker {
	pthread_t thread;
	uint64_t rng;
	unsigned long calls, done;
	int fd;
	int accesses[4];
	uint32_t ids[IDS];	/* IDs this worker saw returned */
	uint32_t stdevs[4];	/* test-device objects */
};

static uint64_t next(struct worker *w)
{
	/* xorshift64*: small, fast, reproducible */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static uint64_t below(struct worker *w, uint64_t n)
{
	return n ? next(w) % n : 0;
}

static void remember(struct worker *w, uint32_t id)
{
	w->ids[below(w, IDS)] = id;
}

/* An ID: mostly one this worker saw, sometimes any other. */
static uint32_t some_id(struct worker *w)
{
	switch (below(w, 8)) {
	case 0:
		return 0;
	case 1:
		return below(w, 64);
	case 2:
		return UINT32_MAX - below(w, 2);
	default:
		return w->ids[below(w, IDS)];
	}
}

/* A size field: the structure's, a little less or more, or nonsense. */
static uint32_t some_size(struct worker *w, uint32_t real)
{
	switch (below(w, 16)) {
	case 0:
		return 0;
	case 1:
		return real - 4;
	case 2:
		return real + 8;
	case 3:
		return below(w, 2 * real + 16);
	default:
		return real;
	}
}

/* A user address: inside a fuzzed buffer mostly, sometimes not. */
static uint64_t some_uptr(struct worker *w, uint64_t *len)
{
	char *buf = bufs[below(w, 3)];
	uint64_t off = below(w, BUF_PAGES) * PAGE;

	*len = (1 + below(w, BUF_PAGES - off / PAGE)) * PAGE;
	switch (below(w, 16)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		*len = below(w, 3 * PAGE);
		return (uintptr_t)buf + below(w, PAGE);
	case 3:
		return UINT64_MAX - PAGE + 1;
	default:
		return (uintptr_t)buf + off;
	}
}

static uint64_t some_iova(struct worker *w)
{
	switch (below(w, 8)) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX - below(w, 4) * PAGE + 1;
	case 2:
		return below(w, 1UL << 40) & ~(PAGE - 1);
	default:
		return MOCK_IOVA + below(w, 256) * PAGE;
	}
}

static uint32_t some_flags(struct worker *w, uint32_t valid)
{
	return below(w, 8) ? (uint32_t)below(w, valid + 1) & valid :
			     (uint32_t)next(w);
}

static void op_ioas(struct worker *w)
{
	struct iommu_ioas_alloc cmd = { .size = some_size(w, sizeof(cmd)) };

	if (!ioctl(w->fd, IOMMU_IOAS_ALLOC, &cmd))
		remember(w, cmd.out_ioas_id);
}

static void op_destroy(struct worker *w)
{
	struct iommu_destroy cmd = { .size = some_size(w, sizeof(cmd)),
				     .id = some_id(w) };

	ioctl(w->fd, IOMMU_DESTROY, &cmd);
}

static void op_map(struct worker *w)
{
	struct iommu_ioas_map cmd = {
		.size = some_size(w, sizeof(cmd)),
		.flags = some_flags(w, 7),
		.ioas_id = some_id(w),
		.iova = some_iova(w),
	};

	uint64_t len;

	cmd.user_va = some_uptr(w, &len);
	cmd.length = len;
	ioctl(w->fd, IOMMU_IOAS_MAP, &cmd);
}

static void op_unmap(struct worker *w)
{
	struct iommu_ioas_unmap cmd = {
		.size = some_size(w, sizeof(cmd)),
		.ioas_id = some_id(w),
		.iova = below(w, 4) ? some_iova(w) : 0,
		.length = below(w, 4) ? below(w, 64) * PAGE : UINT64_MAX,
	};

	ioctl(w->fd, IOMMU_IOAS_UNMAP, &cmd);
}

static void op_copy(struct worker *w)
{
	struct iommu_ioas_copy cmd = {
		.size = some_size(w, sizeof(cmd)),
		.flags = some_flags(w, 7),
		.dst_ioas_id = some_id(w),
		.src_ioas_id = some_id(w),
		.length = below(w, 32) * PAGE,
		.dst_iova = some_iova(w),
		.src_iova = some_iova(w),
	};

	ioctl(w->fd, IOMMU_IOAS_COPY, &cmd);
}

static void op_ranges(struct worker *w)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = some_size(w, sizeof(cmd)),
		.ioas_id = some_id(w),
		.num_iovas = below(w, 5),
		.allowed_iovas = below(w, 8) ? (uintptr_t)ranges : 8,
	};

	ioctl(w->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
}

static void op_allow(struct worker *w)
{
	struct iommu_iova_range ranges[2] = {
		{ .start = some_iova(w), .last = some_iova(w) },
		{ .start = some_iova(w), .last = some_iova(w) },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = some_size(w, sizeof(cmd)),
		.ioas_id = some_id(w),
		.num_iovas = below(w, 3),
		.allowed_iovas = (uintptr_t)ranges,
	};

	ioctl(w->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static void op_option(struct worker *w)
{
	struct iommu_option cmd = {
		.size = some_size(w, sizeof(cmd)),
		.option_id = below(w, 3),
		.op = below(w, 3),
		.object_id = some_id(w),
		.val64 = below(w, 3),
	};

	ioctl(w->fd, IOMMU_OPTION, &cmd);
}

static void op_hw_info(struct worker *w)
{
	uint64_t len;
	struct iommu_hw_info cmd = {
		.size = some_size(w, sizeof(cmd)),
		.flags = some_flags(w, 1),
		.dev_id = some_id(w),
	};

	cmd.data_uptr = some_uptr(w, &len);
	cmd.data_len = below(w, 64);
	ioctl(w->fd, IOMMU_GET_HW_INFO, &cmd);
}

static void op_hwpt_alloc(struct worker *w)
{
	struct iommu_hwpt_alloc cmd = {
		.size = some_size(w, sizeof(cmd)),
		.flags = some_flags(w, 7),
		.dev_id = some_id(w),
		.pt_id = some_id(w),
	};

	if (!ioctl(w->fd, IOMMU_HWPT_ALLOC, &cmd))
		remember(w, cmd.out_hwpt_id);
}

static void op_vfio_ioas(struct worker *w)
{
	struct iommu_vfio_ioas cmd = {
		.size = some_size(w, sizeof(cmd)),
		.ioas_id = some_id(w),
		.op = below(w, 4),
	};

	ioctl(w->fd, IOMMU_VFIO_IOAS, &cmd);
}

static void op_vfio(struct worker *w)
{
	uint64_t len;

	switch (below(w, 4)) {
	case 0:
		ioctl(w->fd, VFIO_SET_IOMMU,
		      below(w, 2) ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU);
		break;
	case 1: {
		struct vfio_iommu_type1_dma_map map = {
			.argsz = some_size(w, sizeof(map)),
			.flags = some_flags(w, 3),
			.iova = some_iova(w),
		};

		map.vaddr = some_uptr(w, &len);
		map.size = len;
		ioctl(w->fd, VFIO_IOMMU_MAP_DMA, &map);
		break;
	}
	case 2: {
		struct vfio_iommu_type1_dma_unmap unmap = {
			.argsz = some_size(w, sizeof(unmap)),
			.flags = some_flags(w, 3),
			.iova = some_iova(w),
			.size = below(w, 32) * PAGE,
		};

		ioctl(w->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
		break;
	}
	default: {
		char info[256];
		struct vfio_iommu_type1_info *i = (void *)info;

		i->argsz = some_size(w, sizeof(info));
		ioctl(w->fd, VFIO_IOMMU_GET_INFO, info);
	}
	}
}

static void op_test(struct worker *w)
{
	struct iommu_test_cmd cmd = {
		.size = some_size(w, sizeof(cmd)),
		.id = some_id(w),
	};
	uint64_t len;
	int slot = below(w, 4);

	switch (below(w, 12)) {
	case 0:
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		cmd.mock_domain_flags.dev_flags = some_flags(w, 3);
		if (!ioctl(w->fd, IOMMU_TEST_CMD, &cmd)) {
			w->stdevs[slot] = cmd.mock_domain_flags.out_stdev_id;
			remember(w, cmd.mock_domain_flags.out_hwpt_id);
			remember(w, cmd.mock_domain_flags.out_idev_id);
		}
		break;
	case 1:
		cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
		cmd.id = below(w, 4) ? w->stdevs[slot] : cmd.id;
		cmd.mock_domain_replace.pt_id = some_id(w);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	case 2:
		cmd.op = IOMMU_TEST_OP_BPF_MOCK_DEVICE;
		cmd.bpf_mock_device.flags = some_flags(w, 7);
		cmd.bpf_mock_device.group_tag = below(w, 3);
		cmd.bpf_mock_device.resv_type =
			below(w, 2) ? MOCK_BPF_RESV_NONE : below(w, 6);
		cmd.bpf_mock_device.resv_start = below(w, 16) << 20;
		cmd.bpf_mock_device.resv_length = below(w, 3) * PAGE;
		if (!ioctl(w->fd, IOMMU_TEST_CMD, &cmd))
			w->stdevs[slot] = cmd.bpf_mock_device.out_stdev_id;
		break;
	case 3:
		cmd.op = IOMMU_TEST_OP_BPF_BIND;
		cmd.id = below(w, 4) ? w->stdevs[slot] : cmd.id;
		if (!ioctl(w->fd, IOMMU_TEST_CMD, &cmd))
			remember(w, cmd.bpf_bind.out_dev_id);
		break;
	case 4:
		cmd.op = below(w, 3) ? IOMMU_TEST_OP_BPF_ATTACH :
				       IOMMU_TEST_OP_BPF_DETACH;
		cmd.id = below(w, 4) ? w->stdevs[slot] : cmd.id;
		cmd.bpf_attach.pt_id = some_id(w);
		if (!ioctl(w->fd, IOMMU_TEST_CMD, &cmd) &&
		    cmd.op == IOMMU_TEST_OP_BPF_ATTACH)
			remember(w, cmd.bpf_attach.out_hwpt_id);
		break;
	case 5:
		cmd.op = IOMMU_TEST_OP_CREATE_ACCESS;
		cmd.create_access.flags = some_flags(w, 1);
		if (!ioctl(w->fd, IOMMU_TEST_CMD, &cmd)) {
			if (w->accesses[slot] > 0)
				close(w->accesses[slot]);
			w->accesses[slot] = cmd.create_access.out_access_fd;
		}
		break;
	case 6:
		cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
		cmd.id = below(w, 8) ? (uint32_t)w->accesses[slot] : cmd.id;
		cmd.access_pages.iova = some_iova(w);
		cmd.access_pages.uptr = below(w, 2) ? 0 : some_uptr(w, &len);
		cmd.access_pages.length = below(w, 8) * PAGE;
		cmd.access_pages.flags = some_flags(w, 1);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	case 7:
		cmd.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
		cmd.id = w->accesses[slot];
		cmd.destroy_access_pages.access_pages_id = below(w, 16);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	case 8: {
		char data[3 * PAGE];

		cmd.op = IOMMU_TEST_OP_ACCESS_RW;
		cmd.id = w->accesses[slot];
		cmd.access_rw.iova = some_iova(w) + below(w, PAGE);
		cmd.access_rw.length = below(w, sizeof(data));
		cmd.access_rw.uptr = below(w, 8) ? (uintptr_t)data : 1;
		cmd.access_rw.flags = some_flags(w, 3);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	}
	case 9:
		cmd.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
		cmd.id = w->accesses[slot];
		cmd.access_replace_ioas.ioas_id = some_id(w);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	case 10:
		cmd.op = IOMMU_TEST_OP_MD_CHECK_MAP;
		cmd.check_map.iova = some_iova(w);
		cmd.check_map.uptr = some_uptr(w, &len);
		cmd.check_map.length = len;
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	default:
		/* This thread's own failure countdown: a few points ahead. */
		cmd.op = IOMMU_TEST_OP_BPF_FAIL_NTH;
		cmd.bpf_fail_nth.nth = below(w, 2) ? 0 : 1 + below(w, 16);
		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
		break;
	}
}

/* Close and reopen the file: everything in it goes. */
static void op_reopen(struct worker *w)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (w->accesses[i] > 0 && below(w, 2)) {
			close(w->accesses[i]);
			w->accesses[i] = 0;
		}
	}
	if (below(w, 4))
		return;
	close(w->fd);
	w->fd = iommufd_open();
}

/* Unmap and map back part of a fuzzed buffer, maybe while it is in use. */
static void op_remap(struct worker *w)
{
	char *buf = bufs[below(w, 3)];
	uint64_t off = below(w, BUF_PAGES) * PAGE;

	mmap(buf + off, PAGE, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

typedef void (*fuzz_op)(struct worker *w);
static const fuzz_op ops[] = {
	op_ioas, op_ioas, op_destroy, op_map, op_map, op_map, op_unmap,
	op_unmap, op_copy, op_ranges, op_allow, op_option, op_hw_info,
	op_hwpt_alloc, op_vfio_ioas, op_vfio, op_vfio, op_test, op_test,
	op_test, op_test, op_test, op_reopen, op_remap,
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	w->fd = iommufd_open();
	for (; w->done < w->calls; w->done++)
		ops[below(w, sizeof(ops) / sizeof(ops[0]))](w);
	/* Disarm, then leave the rest to close. */
	{
		struct iommu_test_cmd cmd = {
			.size = sizeof(cmd),
			.op = IOMMU_TEST_OP_BPF_FAIL_NTH,
		};

		ioctl(w->fd, IOMMU_TEST_CMD, &cmd);
	}
	/* Every other worker leaves its files to the process's exit. */
	if (w->rng & 1)
		return NULL;
	for (int i = 0; i < 4; i++)
		if (w->accesses[i] > 0)
			close(w->accesses[i]);
	close(w->fd);
	return NULL;
}

/* One process: @threads workers. */
static int process_run(uint64_t seed, int index, unsigned long calls,
		       int threads)
{
	struct worker *ws = calloc(threads, sizeof(*ws));
	int t;

	if (!ws)
		return 1;
	for (t = 0; t < threads; t++) {
		ws[t].rng = seed * 0x9e3779b97f4a7c15ULL + index * 131 + t + 1;
		ws[t].calls = calls;
		if (pthread_create(&ws[t].thread, NULL, worker_run, &ws[t]))
			return 1;
	}
	for (t = 0; t < threads; t++)
		pthread_join(ws[t].thread, NULL);
	free(ws);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long calls = 2000;
	int threads = 4, processes = 2, opt, p, status, failed = 0, fd;
	uint64_t seed = 0;
	char before[1024], after[1024];
	pid_t pids[64];

	while ((opt = getopt(argc, argv, "s:n:t:p:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			calls = strtoul(optarg, NULL, 0);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 'p':
			processes = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS] [-t THREADS] [-p PROCESSES]\n",
				argv[0]);
			return 2;
		}
	}
	if (threads < 1 || threads > 64 || processes < 1 || processes > 64) {
		fprintf(stderr, "fuzz: -t and -p take 1 to 64\n");
		return 2;
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ getpid();
	printf("TAP version 13\n1..2\n");
	printf("# fuzz: seed %llu, %lu calls per worker, %d threads in each of %d processes (replay: fuzz -s %llu -n %lu -t %d -p %d)\n",
	       (unsigned long long)seed, calls, threads, processes,
	       (unsigned long long)seed, calls, threads, processes);
	fflush(stdout);

	for (p = 0; p < 3; p++) {
		bufs[p] = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			       (p == 1 ? MAP_SHARED : MAP_PRIVATE) |
			       MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (bufs[p] == MAP_FAILED)
			return 1;
	}
	iommufd_counts(before, sizeof(before));
	for (p = 0; p < processes; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			return 1;
		if (!pids[p])
			_exit(process_run(seed, p, calls, threads));
	}
	for (p = 0; p < processes; p++) {
		if (waitpid(pids[p], &status, 0) != pids[p] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	printf("%sok 1 fuzz.workers_ran_every_call\n", failed ? "not " : "");
	if (failed)
		printf("# %d processes did not finish cleanly\n", failed);

	/* Files are released at the last close: let deferred ones finish. */
	for (p = 0; p < 50; p++) {
		iommufd_counts(after, sizeof(after));
		if (!strcmp(before, after))
			break;
		usleep(100000);
	}
	fd = iommufd_open();
	if (strcmp(before, after) || test_check_refs(fd, bufs[0], BUF_SIZE, 0) ||
	    test_check_refs(fd, bufs[1], BUF_SIZE, 0) ||
	    test_check_refs(fd, bufs[2], BUF_SIZE, 0)) {
		printf("# left behind:\n# %s\n# was:\n# %s\n", after, before);
		printf("not ok 2 fuzz.nothing_left_behind\n");
		failed++;
	} else {
		printf("ok 2 fuzz.nothing_left_behind\n");
	}
	close(fd);
	return failed ? 1 : 0;
}
