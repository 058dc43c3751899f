// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: failure injection.
 *
 * Every point where the module can fail for want of a resource -- an
 * allocation, an xarray insertion, a pin, an iommu_map(), a domain
 * allocation, an attach -- asks iommufd_should_fail() first, and fails as if
 * the resource were missing (-ENOMEM) when told to.  Two things tell it:
 *
 *  - the calling task's own countdown, armed with IOMMU_TEST_OP_BPF_FAIL_NTH
 *    (selftest=1), on every kernel: the Nth point the task reaches from then
 *    on fails, once.  Tests sweep N = 1, 2, ... over one call until the call
 *    gets through (selftests/fail_nth);
 *  - upstream's fault attribute fail_iommufd in debugfs, on kernels with
 *    CONFIG_FAULT_INJECTION_DEBUG_FS, which upstream's iommufd_fail_nth
 *    drives through /proc/self/task/N/fail-nth as it is shipped.
 *
 * While some task's countdown is armed, each point reached is counted, for
 * debugfs fail_points (file, line, times reached): a sweep can tell which
 * points it exercised.  Unarmed, a point costs a static branch (and, with
 * CONFIG_FAULT_INJECTION_DEBUG_FS, a call to should_fail()).
 *
 * Locking: a task's countdown is read and changed only by that task (in its
 * own ioctls), so its entry in fail_tasks needs no lock beyond the xarray's.
 * The list of reached points is append-only, under fail_points_lock.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

DEFINE_STATIC_KEY_FALSE(iommufd_fail_nth_armed);

/**
 * struct fail_task - a task's countdown
 * @start_time: the task's start time, so a later task reusing its PID is
 *              not mistaken for it
 * @remaining: points the task may still pass; the one that brings it to 0
 *             fails
 */
struct fail_task {
	u64 start_time;
	u32 remaining;
};

/* PID -> struct fail_task, for tasks with an armed countdown. */
static DEFINE_XARRAY(fail_tasks);

static LIST_HEAD(fail_points);
static DEFINE_SPINLOCK(fail_points_lock);

static void fail_point_reached(struct iommufd_fail_point *point)
{
	if (!atomic_long_fetch_inc_relaxed(&point->reached)) {
		spin_lock(&fail_points_lock);
		list_add_tail(&point->node, &fail_points);
		spin_unlock(&fail_points_lock);
	}
}

static bool fail_nth_hit(void)
{
	struct fail_task *ft = xa_load(&fail_tasks, current->pid);

	if (!ft || ft->start_time != current->start_time || !ft->remaining)
		return false;
	return !--ft->remaining;
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(fail_iommufd);
static struct dentry *fail_iommufd_dir;

bool iommufd_fail_attr(void)
{
	return should_fail(&fail_iommufd, 1);
}
#endif

/* The slow path of iommufd_should_fail(), while a countdown is armed. */
bool __iommufd_fail_nth(struct iommufd_fail_point *point)
{
	fail_point_reached(point);
	return fail_nth_hit();
}

/**
 * iommufd_fail_nth_arm() - the calling task's countdown
 * @nth: fail the @nth point reached from now on; 0 disarms
 * @remaining: receives what the previous countdown had left (0 if it fired
 *             or there was none)
 */
int iommufd_fail_nth_arm(u32 nth, u32 *remaining)
{
	struct fail_task *ft = xa_load(&fail_tasks, current->pid);
	int rc;

	*remaining = 0;
	if (ft) {
		if (ft->start_time == current->start_time)
			*remaining = ft->remaining;
		xa_erase(&fail_tasks, current->pid);
		kfree(ft);
		static_branch_dec(&iommufd_fail_nth_armed);
	}
	if (!nth)
		return 0;
	ft = kzalloc(sizeof(*ft), GFP_KERNEL);
	if (!ft)
		return -ENOMEM;
	ft->start_time = current->start_time;
	ft->remaining = nth;
	rc = xa_insert(&fail_tasks, current->pid, ft, GFP_KERNEL);
	if (rc) {
		kfree(ft);
		return rc;
	}
	static_branch_inc(&iommufd_fail_nth_armed);
	return 0;
}

static int fail_points_show(struct seq_file *m, void *unused)
{
	struct iommufd_fail_point *point;

	seq_puts(m, "point\treached\n");
	spin_lock(&fail_points_lock);
	list_for_each_entry(point, &fail_points, node)
		seq_printf(m, "%s:%u\t%ld\n", kbasename(point->file), point->line,
			   atomic_long_read(&point->reached));
	spin_unlock(&fail_points_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fail_points);

void iommufd_fail_init(struct dentry *dir)
{
	debugfs_create_file("fail_points", 0400, dir, NULL, &fail_points_fops);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	/* Where upstream's selftest looks for it: debugfs's top. */
	fail_iommufd_dir = fault_create_debugfs_attr("fail_iommufd", NULL,
						     &fail_iommufd);
#endif
}

/* At unload: countdowns of tasks that never disarmed go with the module. */
void iommufd_fail_exit(void)
{
	struct fail_task *ft;
	unsigned long pid;

	xa_for_each(&fail_tasks, pid, ft) {
		xa_erase(&fail_tasks, pid);
		kfree(ft);
		static_branch_dec(&iommufd_fail_nth_armed);
	}
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	if (!IS_ERR(fail_iommufd_dir))
		debugfs_remove_recursive(fail_iommufd_dir);
#endif
}
