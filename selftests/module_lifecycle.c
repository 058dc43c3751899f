// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading and unloading iommufd_bpf.ko: unload refused while a file is open
 * and clean after close, the devname parameter, and the one-line explanation
 * when the device name is taken.  Every test leaves the module loaded with
 * its default parameters, as the VM runner loaded it.
 *
 * IOMMUFD_BPF_KO names the module file and IOMMUFD_BPF_PARAMS the
 * parameters the VM runner loaded it with, which every reload keeps.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "harness.h"
#include "iommufd_utils.h"

#define MODNAME "iommufd_bpf"

/* Load with the runner's parameters plus @extra. */
static int module_load(const char *extra)
{
	const char *ko = getenv("IOMMUFD_BPF_KO");
	const char *base = getenv("IOMMUFD_BPF_PARAMS");
	char params[256];
	int fd, rc, saved;

	snprintf(params, sizeof(params), "%s %s", base ? base : "", extra);
	if (!ko) {
		errno = ENOENT;
		return -1;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = syscall(SYS_finit_module, fd, params, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int module_unload(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK);
}

static bool module_loaded(void)
{
	return !access("/sys/module/" MODNAME "/initstate", F_OK);
}

static bool path_exists(const char *path)
{
	return !access(path, F_OK);
}

FIXTURE(module) {
	bool ready;	/* setup got as far as touching the module */
};

FIXTURE_SETUP(module)
{
	if (!getenv("IOMMUFD_BPF_KO"))
		SKIP(return, "IOMMUFD_BPF_KO is not set (run under selftests/vm-run)");
	if (geteuid())
		SKIP(return, "loading modules needs root");
	ASSERT_TRUE(module_loaded());
	self->ready = true;
}

/* Back to what the runner set up: loaded with its parameters. */
FIXTURE_TEARDOWN(module)
{
	char devname[64] = "";
	FILE *f;

	if (!self->ready)
		return;
	f = fopen("/sys/module/" MODNAME "/parameters/devname", "r");
	if (f) {
		if (!fgets(devname, sizeof(devname), f))
			devname[0] = '\0';
		fclose(f);
	}
	if (module_loaded() && strcmp(devname, "iommu\n"))
		ASSERT_OK(module_unload());
	if (!module_loaded())
		ASSERT_OK(module_load(""));
}

TEST_F(module, unload_refused_while_a_file_is_open)
{
	uint32_t id;
	int fd;

	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	ASSERT_OK(ioas_alloc(fd, &id));
	ASSERT_ERRNO(EWOULDBLOCK, module_unload());
	ASSERT_TRUE(module_loaded());
	/* The file still works. */
	ASSERT_OK(iommufd_destroy(fd, id));
	close(fd);
}

TEST_F(module, unload_clean_after_close_with_live_objects)
{
	uint32_t id;
	int fd, i;

	fd = iommufd_open();
	ASSERT_GE(fd, 0);
	for (i = 0; i < 100; i++)
		ASSERT_OK(ioas_alloc(fd, &id));
	close(fd);
	ASSERT_OK(module_unload());
	ASSERT_FALSE(module_loaded());
	ASSERT_FALSE(path_exists("/dev/iommu"));
	ASSERT_FALSE(path_exists(STATS_PATH));
	ASSERT_OK(module_load(""));
	ASSERT_TRUE(path_exists("/dev/iommu"));
	/* A fresh load starts from nothing. */
	ASSERT_EQ(0, iommufd_stat("contexts"));
	ASSERT_EQ(0, iommufd_stat("ioas"));
}

TEST_F(module, reload_cycles)
{
	uint32_t id;
	int i, fd;

	for (i = 0; i < 5; i++) {
		ASSERT_OK(module_unload());
		ASSERT_OK(module_load(""));
		fd = iommufd_open();
		ASSERT_GE(fd, 0);
		ASSERT_OK(ioas_alloc(fd, &id));
		close(fd);
	}
}

TEST_F(module, devname_names_another_node)
{
	uint32_t id;
	int fd;

	ASSERT_OK(module_unload());
	ASSERT_OK(module_load("devname=iommu-bpf"));
	ASSERT_TRUE(path_exists("/dev/iommu-bpf"));
	ASSERT_FALSE(path_exists("/dev/iommu"));
	fd = open("/dev/iommu-bpf", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_OK(ioas_alloc(fd, &id));
	close(fd);
}

/*
 * A name the kernel already uses (here the PM QoS node, always present) is
 * refused with EEXIST and one log line that says what to do, no stack dump.
 */
TEST_F(module, taken_devname_explained_in_one_line)
{
	int kmsg;

	ASSERT_TRUE(path_exists("/sys/class/misc/cpu_dma_latency"));
	ASSERT_OK(module_unload());
	kmsg = kmsg_mark();
	ASSERT_GE(kmsg, 0);
	ASSERT_ERRNO(EEXIST, module_load("devname=cpu_dma_latency"));
	ASSERT_FALSE(module_loaded());
	ASSERT_EQ(1, kmsg_count(kmsg, "load with devname="));
	close(kmsg);
	kmsg = kmsg_mark();
	ASSERT_OK(module_load(""));
	ASSERT_EQ(0, kmsg_count(kmsg, "Call Trace"));
	close(kmsg);
}

TEST_F(module, invalid_devname_is_einval)
{
	ASSERT_OK(module_unload());
	ASSERT_ERRNO(EINVAL, module_load("devname=a/b"));
	ASSERT_ERRNO(EINVAL, module_load("devname="));
	ASSERT_FALSE(module_loaded());
}

TEST_HARNESS_MAIN
