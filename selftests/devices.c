// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding devices to a context: DMA ownership of the whole IOMMU group, the
 * group rule across contexts, unbinding on destroy and close, and the
 * refusal of devices whose firmware demands a direct mapping.  Uses mock
 * devices (selftest=1).
 */
#include <pthread.h>
#include <sched.h>

#include "harness.h"
#include "iommufd_utils.h"
#include "uffd_utils.h"

#define TRACEFS "/sys/kernel/tracing"

enum { RESV_DIRECT, RESV_DIRECT_RELAXABLE, RESV_RESERVED, RESV_MSI,
       RESV_SW_MSI };

FIXTURE(devices) {
	int fd;
};

FIXTURE_SETUP(devices)
{
	OPEN_WITH_MOCK_IOMMU(self->fd);
}

FIXTURE_TEARDOWN(devices)
{
	close(self->fd);
}

#define UNSAFE_PARAM "/sys/module/iommufd_bpf/parameters/allow_unsafe_interrupts"

/* A mock device in @fd: its test-device ID, and its number in *index. */
static uint32_t mock(int fd, uint32_t tag, uint32_t resv_type, uint32_t *index)
{
	struct iommu_test_bpf_mock_device spec = {
		.group_tag = tag,
		.resv_type = resv_type,
		.resv_start = 0x100000,
		.resv_length = 0x4000,
	};
	uint32_t stdev, n;

	if (test_bpf_mock_device(fd, &spec, &stdev, &n))
		return 0;
	if (index)
		*index = n;
	return stdev;
}

TEST_F(devices, bind_and_unbind)
{
	long before = iommufd_stat("device");
	uint32_t stdev, dev_id;

	stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_NE(0, stdev);
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_NE(0, dev_id);
	ASSERT_EQ(before + 1, iommufd_stat("device"));
	/* The binding belongs to its driver: user space cannot destroy it. */
	ASSERT_ERRNO(EBUSY, iommufd_destroy(self->fd, dev_id));
	ASSERT_ERRNO(EBUSY, test_bpf_bind(self->fd, stdev, &dev_id));
	/* Removing the device (its driver's doing) unbinds it. */
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_EQ(before, iommufd_stat("device"));
	ASSERT_ERRNO(ENOENT, iommufd_destroy(self->fd, dev_id));
	/* So does closing the file. */
	stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(before, iommufd_stat("device"));
}

TEST_F(devices, bind_unknown_or_wrong_object)
{
	uint32_t ioas, dev_id;

	ASSERT_ERRNO(ENOENT, test_bpf_bind(self->fd, 0, &dev_id));
	ASSERT_ERRNO(ENOENT, test_bpf_bind(self->fd, 999, &dev_id));
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_ERRNO(ENOENT, test_bpf_bind(self->fd, ioas, &dev_id));
}

/*
 * Once one device of a group is bound to a context, the others can only be
 * bound to the same context; the group is free again when all are unbound.
 */
TEST_F(devices, group_rule_across_files)
{
	uint32_t a1, a2, b1, c, dev_id;
	int other = iommufd_open();

	ASSERT_GE(other, 0);
	a1 = mock(self->fd, 9, MOCK_BPF_RESV_NONE, NULL);
	a2 = mock(self->fd, 9, MOCK_BPF_RESV_NONE, NULL);
	b1 = mock(other, 9, MOCK_BPF_RESV_NONE, NULL);
	c = mock(other, 10, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_TRUE(a1 && a2 && b1 && c);

	ASSERT_OK(test_bpf_bind(self->fd, a1, &dev_id));
	ASSERT_ERRNO(EPERM, test_bpf_bind(other, b1, &dev_id));
	/* Same context, same group: fine.  Another group: fine. */
	ASSERT_OK(test_bpf_bind(self->fd, a2, &dev_id));
	ASSERT_OK(test_bpf_bind(other, c, &dev_id));
	/* One of two unbound: still owned. */
	ASSERT_OK(iommufd_destroy(self->fd, a1));
	ASSERT_ERRNO(EPERM, test_bpf_bind(other, b1, &dev_id));
	ASSERT_OK(iommufd_destroy(self->fd, a2));
	ASSERT_OK(test_bpf_bind(other, b1, &dev_id));
	/* Now the other way round. */
	a1 = mock(self->fd, 9, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_ERRNO(EPERM, test_bpf_bind(self->fd, a1, &dev_id));
	close(other);
	ASSERT_OK(test_bpf_bind(self->fd, a1, &dev_id));
}

/*
 * A device whose firmware demands a 1:1 mapping is refused with EINVAL and
 * one log line naming it and the region, before the IOMMU core's own
 * refusal.
 */
TEST_F(devices, direct_mapped_device_refused)
{
	char name[64], range[96];
	uint32_t stdev, index, dev_id;
	int kmsg;

	stdev = mock(self->fd, 0, RESV_DIRECT, &index);
	ASSERT_NE(0, stdev);
	kmsg = kmsg_mark();
	ASSERT_GE(kmsg, 0);
	ASSERT_ERRNO(EINVAL, test_bpf_bind(self->fd, stdev, &dev_id));
	snprintf(name, sizeof(name), "iommufd_bpf_mock.%u: bind refused", index);
	snprintf(range, sizeof(range),
		 "[0x0000000000100000-0x0000000000103fff] (IOMMU_RESV_DIRECT");
	ASSERT_EQ(1, kmsg_count(kmsg, name));
	close(kmsg);
	kmsg = kmsg_mark();
	ASSERT_ERRNO(EINVAL, test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_EQ(1, kmsg_count(kmsg, range));
	close(kmsg);
	ASSERT_EQ(0, iommufd_stat("device") < 0);
}

/* Only DIRECT stops a bind; the other region types do not. */
TEST_F(devices, other_reserved_regions_bind)
{
	uint32_t types[] = { RESV_DIRECT_RELAXABLE, RESV_RESERVED, RESV_MSI,
			     RESV_SW_MSI };
	uint32_t i, stdev, dev_id;

	for (i = 0; i < 4; i++) {
		stdev = mock(self->fd, 0, types[i], NULL);
		ASSERT_NE(0, stdev);
		ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	}
}


/* MSI the group cannot isolate: refused unless the operator allows it. */
TEST_F(devices, unsafe_msi_refused_unless_allowed)
{
	struct iommu_test_bpf_mock_device spec = {
		.flags = MOCK_BPF_DEV_UNSAFE_MSI,
		.resv_type = MOCK_BPF_RESV_NONE,
	};
	uint32_t stdev, index, dev_id;
	char name[80];
	int kmsg;

	ASSERT_OK(test_bpf_mock_device(self->fd, &spec, &stdev, &index));
	kmsg = kmsg_mark();
	ASSERT_ERRNO(EPERM, test_bpf_bind(self->fd, stdev, &dev_id));
	snprintf(name, sizeof(name), "iommufd_bpf_mock.%u: bind refused: its IOMMU group has no isolated MSI",
		 index);
	ASSERT_EQ(1, kmsg_count(kmsg, name));
	close(kmsg);
	ASSERT_OK(write_file(UNSAFE_PARAM, "1"));
	EXPECT_EQ(0, test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_OK(write_file(UNSAFE_PARAM, "0"));
	spec.flags = 1U << 31;
	ASSERT_ERRNO(EOPNOTSUPP, test_bpf_mock_device(self->fd, &spec, &stdev,
						      &index));
}

static int hw_info(int fd, uint32_t dev_id, void *buf, uint32_t *len,
		   uint32_t flags, uint32_t *type)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.data_len = *len,
		.data_uptr = (uintptr_t)buf,
		.in_data_type = *type,
	};
	int rc = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	*len = cmd.data_len;
	*type = cmd.out_data_type;
	return rc;
}

/* A thread asking IOMMU_GET_HW_INFO of whatever device *dev_id names. */
struct hw_info_loop {
	int fd;
	uint32_t dev_id;
	bool stop;
	long found, gone, other;
};

static void *hw_info_thread(void *arg)
{
	struct hw_info_loop *l = arg;
	struct iommu_test_hw_info info;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		uint32_t len = sizeof(info), type = 0;
		uint32_t id = __atomic_load_n(&l->dev_id, __ATOMIC_ACQUIRE);

		if (!hw_info(l->fd, id, &info, &len, 0, &type))
			__atomic_add_fetch(&l->found, 1, __ATOMIC_RELEASE);
		else if (errno == ENOENT)
			__atomic_add_fetch(&l->gone, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&l->other, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Removing a device while another thread's ioctl is using it (looked up
 * for IOMMU_GET_HW_INFO): the unbind waits for that ioctl and frees the
 * device; the other thread sees the device, then ENOENT, nothing else.
 * Before, the unbind found the ioctl's reference, WARNed and leaked.
 */
TEST_F(devices, unbind_waits_for_ioctls_using_the_device)
{
	long before = iommufd_stat("device");
	struct hw_info_loop l = { .fd = self->fd };
	uint32_t stdev, dev_id;
	pthread_t thread;
	int i;

	ASSERT_OK(pthread_create(&thread, NULL, hw_info_thread, &l));
	for (i = 0; i < 100; i++) {
		long seen = __atomic_load_n(&l.found, __ATOMIC_ACQUIRE);

		stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, NULL);
		ASSERT_NE(0, stdev);
		ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
		__atomic_store_n(&l.dev_id, dev_id, __ATOMIC_RELEASE);
		/* Until the thread has used this device at least once. */
		while (__atomic_load_n(&l.found, __ATOMIC_ACQUIRE) == seen)
			sched_yield();
		ASSERT_OK(iommufd_destroy(self->fd, stdev));
	}
	__atomic_store_n(&l.stop, true, __ATOMIC_RELEASE);
	ASSERT_OK(pthread_join(thread, NULL));
	ASSERT_EQ(before, iommufd_stat("device"));
	ASSERT_LE(100, l.found);
	ASSERT_EQ(0, l.other);
}

struct hw_info_call {
	int fd;
	uint32_t dev_id;
	void *data;
	int rc, err;
};

static void *hw_info_call_thread(void *arg)
{
	struct hw_info_call *c = arg;
	uint32_t len = sizeof(struct iommu_test_hw_info), type = 0;

	c->rc = hw_info(c->fd, c->dev_id, c->data, &len, 0, &type);
	c->err = errno;
	return NULL;
}

static void *destroy_thread(void *arg)
{
	struct hw_info_call *c = arg;

	c->rc = iommufd_destroy(c->fd, c->dev_id);
	c->err = errno;
	return NULL;
}

/*
 * IOMMU_GET_HW_INFO held for as long as user space likes in its copy out
 * (the answer goes to a userfaultfd page nobody fills) does not hold up the
 * device's removal: the device is let go before user memory is touched.
 * Before, the removal waited 60 s, gave up with a WARN, freed the device
 * anyway, and the ioctl crashed the kernel when it went on.
 */
TEST_F(devices, unbind_is_not_held_up_by_hw_info_blocked_on_user_memory)
{
	long before = iommufd_stat("device");
	struct hw_info_call info = { .fd = self->fd }, destroy = { .fd = self->fd };
	struct timespec deadline;
	pthread_t info_thread, destroy_tid;
	struct uffd_hold hold;
	uint32_t stdev;
	int joined;

	stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_NE(0, stdev);
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &info.dev_id));
	ASSERT_OK(uffd_hold_init(&hold));
	info.data = hold.page;
	ASSERT_OK(pthread_create(&info_thread, NULL, hw_info_call_thread,
				 &info));
	ASSERT_OK(uffd_hold_wait(&hold, 10000));
	/* The ioctl is inside its copy out; remove the device now. */
	destroy.dev_id = stdev;
	ASSERT_OK(pthread_create(&destroy_tid, NULL, destroy_thread,
				 &destroy));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	joined = pthread_timedjoin_np(destroy_tid, NULL, &deadline);
	EXPECT_EQ(0, joined);
	ASSERT_OK(uffd_hold_release(&hold));
	if (joined)
		pthread_join(destroy_tid, NULL);
	pthread_join(info_thread, NULL);
	uffd_hold_destroy(&hold);
	ASSERT_EQ(0, destroy.rc);
	/* The ioctl finished its answer from what it gathered before. */
	ASSERT_EQ(0, info.rc);
	ASSERT_EQ(before, iommufd_stat("device"));
}

TEST_F(devices, get_hw_info)
{
	struct {
		struct iommu_test_hw_info info;
		uint32_t tail[2];
	} buf;
	uint32_t stdev, dev_id, len, type, ioas;
	struct iommu_hw_info raw = { .size = sizeof(raw) };

	stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, NULL);
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));

	/* Exact size, then larger (the tail is zeroed), then smaller. */
	memset(&buf, 0xff, sizeof(buf));
	len = sizeof(buf.info);
	type = 0;
	ASSERT_OK(hw_info(self->fd, dev_id, &buf, &len, 0, &type));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, type);
	ASSERT_EQ(sizeof(buf.info), len);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, buf.info.test_reg);
	ASSERT_EQ(0xffffffff, buf.tail[0]);
	len = sizeof(buf);
	ASSERT_OK(hw_info(self->fd, dev_id, &buf, &len, 0, &type));
	ASSERT_EQ(0, buf.tail[0]);
	ASSERT_EQ(0, buf.tail[1]);
	ASSERT_EQ(sizeof(buf.info), len);
	memset(&buf, 0xff, sizeof(buf));
	len = 4;
	ASSERT_OK(hw_info(self->fd, dev_id, &buf, &len, 0, &type));
	ASSERT_EQ(0, buf.info.flags);
	ASSERT_EQ(0xffffffff, buf.info.test_reg);
	ASSERT_EQ(sizeof(buf.info), len);
	/* No buffer at all: just the size and type. */
	len = 0;
	ASSERT_OK(hw_info(self->fd, dev_id, NULL, &len, 0, &type));
	ASSERT_EQ(sizeof(buf.info), len);

	/* Asking for a type: the default or the driver's own only. */
	type = IOMMU_HW_INFO_TYPE_DEFAULT;
	ASSERT_OK(hw_info(self->fd, dev_id, &buf, &len,
			  IOMMU_HW_INFO_FLAG_INPUT_TYPE, &type));
	type = IOMMU_HW_INFO_TYPE_SELFTEST;
	ASSERT_OK(hw_info(self->fd, dev_id, &buf, &len,
			  IOMMU_HW_INFO_FLAG_INPUT_TYPE, &type));
	type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, dev_id, &buf, &len,
					 IOMMU_HW_INFO_FLAG_INPUT_TYPE, &type));

	/* Bad arguments. */
	type = 0;
	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, dev_id, &buf, &len, 2,
					 &type));
	raw.dev_id = dev_id;
	raw.__reserved[1] = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &raw));
	len = sizeof(buf.info);
	ASSERT_ERRNO(EFAULT, hw_info(self->fd, dev_id, (void *)16, &len, 0,
				     &type));
	ASSERT_OK(ioas_alloc(self->fd, &ioas));
	ASSERT_ERRNO(ENOENT, hw_info(self->fd, ioas, &buf, &len, 0, &type));
	ASSERT_ERRNO(ENOENT, hw_info(self->fd, stdev, &buf, &len, 0, &type));
	ASSERT_ERRNO(ENOENT, hw_info(self->fd, 9999, &buf, &len, 0, &type));
}

TEST_F(devices, bind_and_unbind_are_traced)
{
	static char text[1 << 16];
	char expect[128];
	uint32_t stdev, index, dev_id;
	ssize_t len;
	int fd;

	stdev = mock(self->fd, 0, MOCK_BPF_RESV_NONE, &index);
	ASSERT_NE(0, stdev);
	ASSERT_OK(write_file(TRACEFS "/trace", ""));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/bind/enable", "1"));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/unbind/enable", "1"));
	ASSERT_OK(test_bpf_bind(self->fd, stdev, &dev_id));
	ASSERT_OK(iommufd_destroy(self->fd, stdev));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/bind/enable", "0"));
	ASSERT_OK(write_file(TRACEFS "/events/iommufd/unbind/enable", "0"));
	fd = open(TRACEFS "/trace", O_RDONLY);
	ASSERT_GE(fd, 0);
	len = read(fd, text, sizeof(text) - 1);
	ASSERT_GT(len, 0);
	text[len] = '\0';
	close(fd);
	snprintf(expect, sizeof(expect), "bind: dev=iommufd_bpf_mock.%u group=",
		 index);
	ASSERT_NE(NULL, strstr(text, expect));
	snprintf(expect, sizeof(expect), "unbind: dev=iommufd_bpf_mock.%u group=",
		 index);
	ASSERT_NE(NULL, strstr(text, expect));
}

TEST_HARNESS_MAIN
