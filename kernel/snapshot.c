// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: a read-only snapshot of what the module holds, for iommutop
 * and operators: debugfs iommufd_bpf/processes (each charged party),
 * contexts (each open context), ioas (each IOAS of each context) and
 * devices (each bound device); and activity, each context's counts of
 * maps, unmaps, pins and IOTLB syncs, kept per CPU where they happen.
 *
 * Absolute numbers, read when the file is read: a process that mapped
 * before iommutop started shows its real totals, and iommutop adds the
 * tracepoints' deltas on top.  Each file is tab-separated with a header
 * line; docs/iommutop.md describes the columns.
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>
#include <linux/string_helpers.h>

#include "iommufd_private.h"
#include "io_pagetable.h"

/*
 * A command name as a snapshot field: tabs, newlines and backslashes
 * escaped (\t, \n, \\), as /proc/PID/status escapes its Name, so that
 * every line has its fields and no more.
 */
void iommufd_seq_comm(struct seq_file *m, const char *comm)
{
	seq_escape_str(m, comm, ESCAPE_SPACE | ESCAPE_SPECIAL, "\t\n\\");
}

/* Pages of @area pinned now (by domains or accesses). */
static unsigned long area_pinned(struct iopt_area *area)
{
	return iopt_pages_count_pinned(area->pages, area->pages_node.start,
				       area->pages_node.last);
}

static void ioas_show_ctx(struct seq_file *m, struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	unsigned long index = 0;

	while ((obj = iommufd_observe_next_object(ictx, &index,
						  IOMMUFD_OBJ_IOAS))) {
		struct iommufd_ioas *ioas =
			container_of(obj, struct iommufd_ioas, obj);
		struct io_pagetable *iopt = &ioas->iopt;
		unsigned long areas = 0, bytes = 0, pinned = 0;
		unsigned long domains = 0, accesses = 0, i;
		struct iopt_area *area;
		void *entry;

		down_read(&iopt->domains_rwsem);
		down_read(&iopt->iova_rwsem);
		for (area = iopt_area_iter_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
			areas++;
			bytes += iopt_area_length(area);
			pinned += area_pinned(area);
		}
		xa_for_each(&iopt->domains, i, entry)
			domains++;
		xa_for_each(&iopt->access_list, i, entry)
			accesses++;
		up_read(&iopt->iova_rwsem);
		up_read(&iopt->domains_rwsem);
		seq_printf(m, "%d\t", ictx->owner);
		iommufd_seq_comm(m, ictx->owner_comm);
		seq_printf(m, "\t%llu\t%u\t%lu\t%lu\t%lu\t%lu\t%lu\n",
			   ictx->id, obj->id, areas,
			   bytes, pinned, domains, accesses);
		iommufd_object_unobserve(obj);
	}
}

static int ioas_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "pid\tcomm\tctx\tioas\tareas\tmapped_bytes\tpinned_pages\tdomains\taccesses\n");
	return iommufd_walk_contexts(m, ioas_show_ctx);
}
DEFINE_SHOW_ATTRIBUTE(ioas);

/* "direct", "direct-relaxable" or "-": what the device's firmware asks. */
static const char *device_direct(struct device *dev)
{
	struct iommu_resv_region *region;
	const char *what = "-";
	LIST_HEAD(regions);

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT)
			what = "direct";
		else if (region->type == IOMMU_RESV_DIRECT_RELAXABLE &&
			 *what == '-')
			what = "direct-relaxable";
	}
	iommu_put_resv_regions(dev, &regions);
	return what;
}

/* The device's current domain as the IOMMU core has it, by kind. */
static const char *device_domain(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (!domain)
		return "-";
	switch (domain->type) {
	case IOMMU_DOMAIN_BLOCKED:
		return "blocked";
	case IOMMU_DOMAIN_IDENTITY:
		return "identity";
	case IOMMU_DOMAIN_UNMANAGED:
		return "paging";
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		return "dma";
	case IOMMU_DOMAIN_NESTED:
		return "nested";
	default:
		return "other";
	}
}

/*
 * The bound devices, from the context's list: holding devices_lock keeps
 * each there (unbinding takes it to leave), without a reference that
 * would hold up its driver's unbind.
 */
static void devices_show_ctx(struct seq_file *m, struct iommufd_ctx *ictx)
{
	struct iommufd_device *idev;

	mutex_lock(&ictx->devices_lock);
	list_for_each_entry(idev, &ictx->devices, node) {
		u32 hwpt_id = 0, ioas_id = 0;
		const char *domain;

		/* Attach, replace and detach change both under the lock. */
		mutex_lock(&idev->igroup->lock);
		if (idev->hwpt) {
			hwpt_id = idev->hwpt->obj.id;
			ioas_id = idev->hwpt->paging->ioas->obj.id;
		}
		domain = device_domain(idev->dev);
		mutex_unlock(&idev->igroup->lock);
		seq_printf(m, "%s\t%d\t%d\t", dev_name(idev->dev),
			   iommu_group_id(idev->group), ictx->owner);
		iommufd_seq_comm(m, ictx->owner_comm);
		seq_printf(m, "\t%llu\t%u\t%u\t%u\t%s\t%s\n", ictx->id,
			   idev->obj.id, hwpt_id, ioas_id, domain,
			   device_direct(idev->dev));
	}
	mutex_unlock(&ictx->devices_lock);
}

static int devices_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "device\tgroup\tpid\tcomm\tctx\tdev_id\thwpt\tioas\tdomain\tdirect\n");
	return iommufd_walk_contexts(m, devices_show_ctx);
}
DEFINE_SHOW_ATTRIBUTE(devices);

static void contexts_show_ctx(struct seq_file *m, struct iommufd_ctx *ictx)
{
	unsigned long ioas = 0, devices = 0, index;
	struct iommufd_object *obj;
	struct list_head *pos;

	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj)
		if (obj->type == IOMMUFD_OBJ_IOAS)
			ioas++;
	xa_unlock(&ictx->objects);
	mutex_lock(&ictx->devices_lock);
	list_for_each(pos, &ictx->devices)
		devices++;
	mutex_unlock(&ictx->devices_lock);
	seq_printf(m, "%llu\t%d\t", ictx->id, ictx->owner);
	iommufd_seq_comm(m, ictx->owner_comm);
	seq_printf(m, "\t%s\t%lu\t%lu\n", ictx->vfio ? "vfio" : "iommufd",
		   ioas, devices);
}

static int contexts_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "ctx\tpid\tcomm\tkind\tioas\tdevices\n");
	return iommufd_walk_contexts(m, contexts_show_ctx);
}
DEFINE_SHOW_ATTRIBUTE(contexts);

static int processes_show(struct seq_file *m, void *unused)
{
	iommufd_ledgers_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(processes);

/*
 * Activity.  The counters are per CPU and per context: a map adds to its
 * own CPU's copy, nothing shared is written, no lock is taken.  The times
 * (and the latency histogram) cost two clock reads per call, taken only
 * while the activity file is open (iommutop keeps it open and rereads it)
 * or the call's event is on.
 */
DEFINE_STATIC_KEY_FALSE(iommufd_activity_timed);

static u64 activity_since(u64 t0)
{
	return t0 ? ktime_get_ns() - t0 : 0;
}

/*
 * Count a map of @bytes through @iopt that started at @t0 (from
 * iommufd_activity_start()); returns its time, 0 when untimed.
 */
u64 iommufd_activity_map(struct io_pagetable *iopt, unsigned long bytes,
			 u64 t0)
{
	struct iommufd_activity __percpu *a = iopt->activity;
	u64 ns = activity_since(t0);

	this_cpu_inc(a->maps);
	this_cpu_add(a->map_bytes, bytes);
	if (t0) {
		this_cpu_add(a->map_ns, ns);
		this_cpu_inc(a->map_lat[min_t(unsigned int, ns ? ilog2(ns) : 0,
					      IOMMUFD_ACTIVITY_BUCKETS - 1)]);
	}
	return ns;
}

/* Count an unmap of @bytes (at least one byte); returns its time. */
u64 iommufd_activity_unmap(struct io_pagetable *iopt, unsigned long bytes,
			   u64 t0)
{
	this_cpu_inc(iopt->activity->unmaps);
	this_cpu_add(iopt->activity->unmap_bytes, bytes);
	return activity_since(t0);
}

/* Count an IOTLB sync of @npages of IOVA; returns its time. */
u64 iommufd_activity_sync(struct io_pagetable *iopt, unsigned long npages,
			  u64 t0)
{
	u64 ns = activity_since(t0);

	this_cpu_inc(iopt->activity->iotlb_syncs);
	this_cpu_add(iopt->activity->iotlb_pages, npages);
	this_cpu_add(iopt->activity->iotlb_ns, ns);
	return ns;
}

/* The sum over CPUs, as u64 arrays: struct iommufd_activity is all u64. */
static_assert(sizeof(struct iommufd_activity) % sizeof(u64) == 0);

static void activity_sum(struct iommufd_activity __percpu *a,
			 struct iommufd_activity *sum)
{
	u64 *out = (u64 *)sum;
	size_t i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const u64 *in = (const u64 *)per_cpu_ptr(a, cpu);

		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			out[i] += in[i];
	}
}

/* One line of the activity file. */
static void activity_line(struct seq_file *m, u64 ctx, pid_t pid,
			  const char *comm, const char *state,
			  const struct iommufd_activity *sum)
{
	int i;

	seq_printf(m, "%llu\t%d\t", ctx, pid);
	iommufd_seq_comm(m, comm);
	seq_printf(m, "\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t",
		   state, sum->maps, sum->unmaps, sum->map_bytes,
		   sum->unmap_bytes, sum->map_ns, sum->pinned, sum->unpinned,
		   sum->iotlb_syncs, sum->iotlb_pages, sum->iotlb_ns);
	for (i = 0; i < IOMMUFD_ACTIVITY_BUCKETS; i++)
		seq_printf(m, "%s%llu", i ? "," : "", sum->map_lat[i]);
	seq_putc(m, '\n');
}

static void activity_show_ctx(struct seq_file *m, struct iommufd_ctx *ictx)
{
	struct iommufd_activity sum;

	activity_sum(ictx->activity, &sum);
	activity_line(m, ictx->id, ictx->owner, ictx->owner_comm, "open", &sum);
}

/*
 * The last ACTIVITY_CLOSED contexts closed, with their final counts, so
 * that a reader that samples now and then still sees a context that came
 * and went between two of its reads (a short-lived process's).  Under
 * activity_closed_lock; the oldest is overwritten.
 */
#define ACTIVITY_CLOSED 64

struct closed_activity {
	u64 ctx;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct iommufd_activity sum;
};

static struct closed_activity activity_closed[ACTIVITY_CLOSED];
static unsigned int activity_closed_next, activity_closed_count;
static DEFINE_SPINLOCK(activity_closed_lock);

/* @ictx is being freed: keep what it did among the last closed. */
void iommufd_activity_closed(struct iommufd_ctx *ictx)
{
	struct closed_activity *c;

	spin_lock(&activity_closed_lock);
	c = &activity_closed[activity_closed_next];
	activity_closed_next = (activity_closed_next + 1) % ACTIVITY_CLOSED;
	activity_closed_count = min(activity_closed_count + 1, ACTIVITY_CLOSED);
	c->ctx = ictx->id;
	c->pid = ictx->owner;
	strscpy(c->comm, ictx->owner_comm, sizeof(c->comm));
	activity_sum(ictx->activity, &c->sum);
	spin_unlock(&activity_closed_lock);
}

static int activity_show(struct seq_file *m, void *unused)
{
	unsigned int i, first;
	int rc;

	seq_puts(m, "ctx\tpid\tcomm\tstate\tmaps\tunmaps\tmap_bytes\tunmap_bytes\tmap_ns\tpinned\tunpinned\tiotlb_syncs\tiotlb_pages\tiotlb_ns\tmap_lat\n");
	rc = iommufd_walk_contexts(m, activity_show_ctx);
	if (rc)
		return rc;
	/* seq_printf() does not sleep: the closed ones under their lock. */
	spin_lock(&activity_closed_lock);
	first = (activity_closed_next + ACTIVITY_CLOSED - activity_closed_count) %
		ACTIVITY_CLOSED;
	for (i = 0; i < activity_closed_count; i++) {
		struct closed_activity *c =
			&activity_closed[(first + i) % ACTIVITY_CLOSED];

		activity_line(m, c->ctx, c->pid, c->comm, "closed", &c->sum);
	}
	spin_unlock(&activity_closed_lock);
	return 0;
}

/* While the file is open, maps and syncs are timed. */
static int activity_open(struct inode *inode, struct file *file)
{
	int rc = single_open(file, activity_show, inode->i_private);

	if (!rc)
		static_branch_inc(&iommufd_activity_timed);
	return rc;
}

static int activity_release(struct inode *inode, struct file *file)
{
	static_branch_dec(&iommufd_activity_timed);
	return single_release(inode, file);
}

static const struct file_operations activity_fops = {
	.owner = THIS_MODULE,
	.open = activity_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = activity_release,
};

void iommufd_snapshot_debugfs(struct dentry *dir)
{
	debugfs_create_file("processes", 0400, dir, NULL, &processes_fops);
	debugfs_create_file("contexts", 0400, dir, NULL, &contexts_fops);
	debugfs_create_file("ioas", 0400, dir, NULL, &ioas_fops);
	debugfs_create_file("devices", 0400, dir, NULL, &devices_fops);
	debugfs_create_file("activity", 0400, dir, NULL, &activity_fops);
}
