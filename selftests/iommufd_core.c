// SPDX-License-Identifier: GPL-2.0-only
/*
 * The /dev/iommu file, its object table and the ioctl dispatch rules:
 * IOMMU_IOAS_ALLOC and IOMMU_DESTROY, the extensible-structure size rules,
 * unknown commands, object IDs, many objects and many files.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "harness.h"
#include "iommufd_utils.h"

FIXTURE(iommufd) {
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = iommufd_open();
	if (self->fd < 0)
		TH_LOG("open %s: %s", iommufd_path(), strerror(errno));
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(iommufd)
{
	close(self->fd);
}

TEST(device_node_is_misc_char_0660)
{
	struct stat st;

	ASSERT_OK(stat(iommufd_path(), &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(10, (int)major(st.st_rdev));	/* MISC_MAJOR */
	ASSERT_EQ(0660, (int)(st.st_mode & 07777));
}

TEST(open_and_close_track_contexts)
{
	long before = iommufd_stat("contexts");
	int fd;

	ASSERT_GE(before, 0);
	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(before + 1, iommufd_stat("contexts"));
	close(fd);
	ASSERT_EQ(before, iommufd_stat("contexts"));
}

TEST_F(iommufd, ioas_alloc_and_destroy)
{
	long before = iommufd_stat("ioas");
	uint32_t id;

	ASSERT_OK(ioas_alloc(self->fd, &id));
	ASSERT_NE(0, id);
	ASSERT_EQ(before + 1, iommufd_stat("ioas"));
	ASSERT_OK(iommufd_destroy(self->fd, id));
	ASSERT_EQ(before, iommufd_stat("ioas"));
	/* Gone: a second destroy finds nothing. */
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, id));
}

TEST_F(iommufd, ioas_alloc_rejects_flags)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	long before = iommufd_stat("ioas");
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		cmd.flags = 1u << bit;
		ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	}
	ASSERT_EQ(before, iommufd_stat("ioas"));
}

TEST_F(iommufd, destroy_nonexistent_id)
{
	uint32_t id;

	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, 0));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, 1));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, 0x7fffffff));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, UINT32_MAX));
	ASSERT_OK(ioas_alloc(self->fd, &id));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, id + 1));
	ASSERT_OK(iommufd_destroy(self->fd, id));
}

TEST_F(iommufd, objects_are_private_to_their_file)
{
	uint32_t id;
	int other;

	other = iommufd_open();
	ASSERT_GE(other, 0);
	ASSERT_OK(ioas_alloc(self->fd, &id));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(other, id));
	ASSERT_OK(iommufd_destroy(self->fd, id));
	close(other);
}

/* A structure shorter than its first version is refused before anything. */
TEST_F(iommufd, size_below_first_version_is_einval)
{
	struct iommu_ioas_alloc alloc = {};
	struct iommu_destroy destroy = {};
	long before = iommufd_stat("ioas");
	uint32_t size;

	for (size = 0; size < sizeof(alloc); size++) {
		alloc.size = size;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_IOAS_ALLOC, &alloc));
	}
	for (size = 0; size < sizeof(destroy); size++) {
		destroy.size = size;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_DESTROY, &destroy));
	}
	ASSERT_EQ(before, iommufd_stat("ioas"));
}

/* A larger structure is fine while its tail is zero ... */
TEST_F(iommufd, larger_size_with_zero_tail_is_accepted)
{
	struct {
		struct iommu_ioas_alloc cmd;
		uint8_t tail[4096 - sizeof(struct iommu_ioas_alloc)];
	} big = { .cmd.size = sizeof(big) };
	unsigned int i;

	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	ASSERT_NE(0, big.cmd.out_ioas_id);
	/* Output stops at the kernel's structure. */
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
	ASSERT_OK(iommufd_destroy(self->fd, big.cmd.out_ioas_id));
}

/* ... and E2BIG, with nothing done, when any byte of the tail is not. */
TEST_F(iommufd, larger_size_with_nonzero_tail_is_e2big)
{
	struct {
		struct iommu_ioas_alloc cmd;
		uint8_t tail[64];
	} big = { .cmd.size = sizeof(big) };
	long before = iommufd_stat("ioas");
	unsigned int i;

	for (i = 0; i < sizeof(big.tail); i++) {
		memset(big.tail, 0, sizeof(big.tail));
		big.tail[i] = 0x80;
		ASSERT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	}
	ASSERT_EQ(before, iommufd_stat("ioas"));
}

/* A declared size that runs into unmapped memory faults. */
TEST_F(iommufd, size_past_mapped_memory_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iommu_ioas_alloc *cmd;
	char *map;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_OK(munmap(map + page, page));
	cmd = (void *)(map + page - sizeof(*cmd));
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = 2 * sizeof(*cmd);
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, cmd));
	munmap(map, page);
}

TEST_F(iommufd, bad_pointer_is_efault)
{
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_DESTROY, (void *)16));
}

/*
 * When the new ID cannot be written back the IOAS is undone: the caller never
 * learns an ID it would have to destroy.
 */
TEST_F(iommufd, unwritable_output_undoes_the_ioas)
{
	long page = sysconf(_SC_PAGESIZE);
	long before = iommufd_stat("ioas");
	struct iommu_ioas_alloc *cmd;

	cmd = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	cmd->size = sizeof(*cmd);
	ASSERT_OK(mprotect(cmd, page, PROT_READ));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, cmd));
	ASSERT_EQ(before, iommufd_stat("ioas"));
	munmap(cmd, page);
}

TEST_F(iommufd, unknown_ioctl_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	/* Below the command range, past it, and an unassigned number. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0x7f), &cmd));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0x9e), &cmd));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xff), &cmd));
	/* The right number with another type, size or direction. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO('x', IOMMUFD_CMD_DESTROY), &cmd));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY,
						   struct iommu_destroy), &cmd));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IOR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC,
						  struct iommu_ioas_alloc), &cmd));
	/* Generic file ioctls are not ours either. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, TCGETS, &cmd));
}

/* IDs are unique among live objects and never handed out twice at once. */
TEST_F(iommufd, ids_not_reused_while_held)
{
	enum { N = 2000 };
	static uint32_t held[N], fresh[N / 2];
	unsigned int i, j;

	for (i = 0; i < N; i++) {
		ASSERT_OK(ioas_alloc(self->fd, &held[i]));
		ASSERT_NE(0, held[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(held[j], held[i]);
	}
	/* Free every other one; new objects must avoid the others. */
	for (i = 0; i < N; i += 2)
		ASSERT_OK(iommufd_destroy(self->fd, held[i]));
	for (i = 0; i < N / 2; i++) {
		ASSERT_OK(ioas_alloc(self->fd, &fresh[i]));
		for (j = 1; j < N; j += 2)
			ASSERT_NE(held[j], fresh[i]);
		for (j = 0; j < i; j++)
			ASSERT_NE(fresh[j], fresh[i]);
	}
}

TEST_F(iommufd, many_objects_released_on_close)
{
	enum { N = 20000 };
	long before = iommufd_stat("ioas");
	uint32_t id;
	unsigned int i;
	int fd;

	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	for (i = 0; i < N; i++)
		ASSERT_OK(ioas_alloc(fd, &id));
	ASSERT_EQ(before + N, iommufd_stat("ioas"));
	close(fd);
	ASSERT_EQ(before, iommufd_stat("ioas"));
}

TEST(many_files_each_with_objects)
{
	enum { FILES = 1000, PER_FILE = 8 };
	long contexts = iommufd_stat("contexts");
	long ioas = iommufd_stat("ioas");
	struct rlimit rl = { FILES + 64, FILES + 64 };
	static int fds[FILES];
	unsigned int i, j;
	uint32_t id;

	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < FILES; i++) {
		fds[i] = iommufd_open();
		ASSERT_GE(fds[i], 0);
		for (j = 0; j < PER_FILE; j++)
			ASSERT_OK(ioas_alloc(fds[i], &id));
	}
	ASSERT_EQ(contexts + FILES, iommufd_stat("contexts"));
	ASSERT_EQ(ioas + FILES * PER_FILE, iommufd_stat("ioas"));
	for (i = 0; i < FILES; i++)
		close(fds[i]);
	ASSERT_EQ(contexts, iommufd_stat("contexts"));
	ASSERT_EQ(ioas, iommufd_stat("ioas"));
}

/* Objects of a process that dies without closing are released too. */
TEST(objects_released_when_the_process_exits)
{
	long ioas = iommufd_stat("ioas");
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		uint32_t id;
		int fd = iommufd_open(), i;

		for (i = 0; fd >= 0 && i < 100; i++)
			if (ioas_alloc(fd, &id))
				_exit(2);
		_exit(fd >= 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(ioas, iommufd_stat("ioas"));
}

struct destroy_race {
	int fd;
	const uint32_t *ids;
	unsigned int count;
	unsigned int destroyed;
	unsigned int enoent;
	unsigned int other;
};

static void *destroy_all(void *arg)
{
	struct destroy_race *r = arg;
	unsigned int i;

	for (i = 0; i < r->count; i++) {
		if (!iommufd_destroy(r->fd, r->ids[i]))
			r->destroyed++;
		else if (errno == ENOENT)
			r->enoent++;
		else
			r->other++;
	}
	return NULL;
}

/* Two threads destroying the same IDs: each object dies exactly once. */
TEST_F(iommufd, concurrent_destroy_destroys_once)
{
	enum { N = 5000 };
	static uint32_t ids[N];
	struct destroy_race r[2];
	pthread_t threads[2];
	long before = iommufd_stat("ioas");
	unsigned int i;

	for (i = 0; i < N; i++)
		ASSERT_OK(ioas_alloc(self->fd, &ids[i]));
	for (i = 0; i < 2; i++) {
		r[i] = (struct destroy_race){ .fd = self->fd, .ids = ids,
					      .count = N };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, destroy_all,
					    &r[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	ASSERT_EQ(0, r[0].other + r[1].other);
	ASSERT_EQ(N, r[0].destroyed + r[1].destroyed);
	ASSERT_EQ(N, r[0].enoent + r[1].enoent);
	ASSERT_EQ(before, iommufd_stat("ioas"));
}

/* Threads allocating at once on one file never get the same ID. */
static void *alloc_many(void *arg)
{
	uint32_t *ids = arg;
	int fd = (int)ids[0];
	unsigned int i;

	for (i = 0; i < 2000; i++)
		if (ioas_alloc(fd, &ids[i]))
			ids[i] = 0;
	return NULL;
}

TEST_F(iommufd, concurrent_alloc_gives_distinct_ids)
{
	static uint32_t ids[4][2000];
	static unsigned char seen[4 * 2000 + 64];
	pthread_t threads[4];
	unsigned int t, i;

	for (t = 0; t < 4; t++) {
		ids[t][0] = (uint32_t)self->fd;
		ASSERT_EQ(0, pthread_create(&threads[t], NULL, alloc_many,
					    ids[t]));
	}
	for (t = 0; t < 4; t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));
	for (t = 0; t < 4; t++) {
		for (i = 0; i < 2000; i++) {
			ASSERT_NE(0, ids[t][i]);
			/* IDs are dense from 1 on a fresh file. */
			ASSERT_LT(ids[t][i], sizeof(seen));
			ASSERT_EQ(0, seen[ids[t][i]]);
			seen[ids[t][i]] = 1;
		}
	}
}

TEST(unprivileged_user_cannot_open)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop to nobody");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(iommufd_open() < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

TEST_HARNESS_MAIN
