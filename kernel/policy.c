// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: BPF policy hooks at bind, attach, map and charge.
 *
 * Policies are BPF struct_ops maps of type struct iommufd_policy_ops (see
 * policy.h), registered with the BPF core when the module loads.  Attaching
 * one (a struct_ops link) adds it to the end of the policy list; its
 * programs are then asked, in load order, before every bind, attach, map
 * (and copy, and access pin) and charge of pinned pages.  The first
 * enforcing policy to return a negative errno denies, and the caller gets
 * that errno; policies in audit mode are asked too, and their denials are
 * logged, never enforced.  Every decision fires
 * iommufd:policy_decision, is counted per policy and kept in a short log
 * (debugfs iommufd_bpf/decisions); a denial also logs one ratelimited line
 * naming the policy.  With no policy loaded a static key skips all of it.
 *
 * Locking: policy_mutex serialises attaching and detaching; the list is
 * read under RCU (the programs are not sleepable), and a detached policy is
 * freed after a grace period, so detaching while other threads map is safe.
 * Allowed calls are counted per CPU (every map asks, on every CPU), denied
 * ones in one atomic.  The decision log has its own spinlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/btf.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "policy.h"
#include "trace.h"

DEFINE_STATIC_KEY_FALSE(iommufd_policy_active);

/**
 * struct iommufd_policy - a loaded policy
 * @node: in policy_list, in load order
 * @ops: the struct_ops map's kernel copy (its programs, name and flags)
 * @name: its name
 * @audit: IOMMUFD_POLICY_F_AUDIT
 * @since: when it was attached (seconds since the epoch)
 * @allowed: calls its programs allowed, per CPU (policy_allowed() sums)
 * @denied: calls its programs denied (in audit mode too)
 */
struct iommufd_policy {
	struct list_head node;
	const struct iommufd_policy_ops *ops;
	char name[IOMMUFD_POLICY_NAME_LEN];
	bool audit;
	time64_t since;
	u64 __percpu *allowed;
	atomic64_t denied;
};

static LIST_HEAD(policy_list);
static DEFINE_MUTEX(policy_mutex);
/* Bumped whenever a policy comes or goes: decisions older are stale. */
static atomic64_t policy_generation;

u64 iommufd_policy_generation(void)
{
	return atomic64_read(&policy_generation);
}

enum policy_hook { HOOK_BIND, HOOK_ATTACH, HOOK_MAP, HOOK_CHARGE };
static const char *const hook_names[] = { "bind", "attach", "map", "charge" };

enum policy_verdict { VERDICT_ALLOW, VERDICT_DENY, VERDICT_AUDIT };
static const char *const verdict_names[] = { "allow", "deny", "audit-deny" };

/* The last decisions, oldest overwritten; under log_lock. */
#define POLICY_LOG_SIZE 256

struct policy_log_entry {
	u64 seq;
	u64 time_ns;
	enum policy_hook hook;
	enum policy_verdict verdict;
	int err;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	char policy[IOMMUFD_POLICY_NAME_LEN];
	char object[32];
	char detail[48];
};

static struct policy_log_entry policy_log[POLICY_LOG_SIZE];
static u64 policy_log_next;
static DEFINE_SPINLOCK(log_lock);

/* What a decision is about: a device by name, or (name NULL) an IOAS. */
struct policy_object {
	const char *name;
	u32 ioas_id;
};

static void policy_record(struct iommufd_policy *p, enum policy_hook hook,
			  enum policy_verdict verdict, int err,
			  const struct policy_object *o, const char *detail)
{
	struct policy_log_entry *e;
	unsigned long flags;
	const char *object = o->name;
	char buf[32];
	bool quiet;

	if (verdict == VERDICT_ALLOW)
		this_cpu_inc(*p->allowed);
	else
		atomic64_inc(&p->denied);
	/*
	 * An allowed map or charge is counted and traced, not logged: a
	 * process mapping in a loop would otherwise push every denial out of
	 * the log.  Its name ("ioas N") is only written out when something
	 * reads it.
	 */
	quiet = (hook == HOOK_MAP || hook == HOOK_CHARGE) &&
		verdict == VERDICT_ALLOW;
	if (quiet && !trace_policy_decision_enabled())
		return;
	if (!object) {
		snprintf(buf, sizeof(buf), "ioas %u", o->ioas_id);
		object = buf;
	}
	trace_policy_decision(hook_names[hook], p->name, verdict_names[verdict],
			      err, object);
	if (quiet)
		return;
	if (verdict != VERDICT_ALLOW)
		pr_info_ratelimited("policy %s %s %s of %s%s%s by %s[%d]: errno %d\n",
				    p->name,
				    verdict == VERDICT_AUDIT ? "would deny" :
							       "denies",
				    hook_names[hook], object,
				    *detail ? " " : "", detail, current->comm,
				    task_tgid_nr(current), -err);

	spin_lock_irqsave(&log_lock, flags);
	e = &policy_log[policy_log_next % POLICY_LOG_SIZE];
	e->seq = policy_log_next++;
	e->time_ns = ktime_get_real_ns();
	e->hook = hook;
	e->verdict = verdict;
	e->err = err;
	e->pid = task_tgid_nr(current);
	memcpy(e->comm, current->comm, sizeof(e->comm));
	strscpy(e->policy, p->name, sizeof(e->policy));
	strscpy(e->object, object, sizeof(e->object));
	strscpy(e->detail, detail, sizeof(e->detail));
	spin_unlock_irqrestore(&log_lock, flags);
}

/* A program's answer: 0, or an errno; anything else denies with EPERM. */
static int policy_errno(int rc)
{
	if (rc > 0 || rc < -MAX_ERRNO)
		return -EPERM;
	return rc;
}

/*
 * The calling task's name is read without task_lock(): only a write to
 * /proc/PID/comm changes it from outside, and then the program sees the old
 * name, the new one or a mix, always NUL-terminated (as in any log line
 * that prints current->comm).
 */
static void policy_fill_task(struct iommufd_policy_task *t,
			     struct task_struct *task)
{
	t->pid = task_tgid_nr(task);
	rcu_read_lock();
	t->cgroup_id = cgroup_id(task_dfl_cgroup(task));
	rcu_read_unlock();
	if (task == current) {
		t->uid = from_kuid_munged(&init_user_ns, task_uid(current));
		strscpy_pad(t->comm, current->comm, sizeof(t->comm));
		return;
	}
	t->uid = from_kuid_munged(&init_user_ns, task_uid(task));
	__get_task_comm(t->comm, sizeof(t->comm), task);
}

static int count_device(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
}

/*
 * What a log entry says about a device besides its name: its first direct
 * (or relaxable direct) region, the fact direct-mapping policies judge.
 */
static void policy_device_detail(const struct iommufd_policy_device *d,
				 char *buf, size_t len)
{
	u32 i;

	buf[0] = '\0';
	for (i = 0; i < d->nr_resv; i++) {
		if (d->resv[i].type != IOMMU_RESV_DIRECT &&
		    d->resv[i].type != IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		snprintf(buf, len, "%s[%#llx-%#llx]",
			 d->resv[i].type == IOMMU_RESV_DIRECT ?
			 "direct" : "direct-relaxable",
			 d->resv[i].start, d->resv[i].last);
		return;
	}
}

static void policy_fill_device(struct iommufd_policy_device *d,
			       struct device *dev)
{
	struct iommu_resv_region *region;
	struct iommu_group *group;
	LIST_HEAD(regions);
	u32 id, class, bdf;

	strscpy(d->name, dev_name(dev), sizeof(d->name));
	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		d->kind = IOMMUFD_POLICY_DEV_PCI;
		d->segment = pci_domain_nr(pdev->bus);
		d->bus = pdev->bus->number;
		d->devfn = pdev->devfn;
		d->vendor = pdev->vendor;
		d->device = pdev->device;
		d->class = pdev->class;
	} else if (!iommufd_mock_device_identity(dev, &id, &class, &bdf)) {
		d->kind = IOMMUFD_POLICY_DEV_MOCK;
		d->segment = bdf >> 16;
		d->bus = (bdf >> 8) & 0xff;
		d->devfn = bdf & 0xff;
		d->vendor = id >> 16;
		d->device = id & 0xffff;
		d->class = class;
	}

	group = iommu_group_get(dev);
	if (group) {
		d->group_id = iommu_group_id(group);
		iommu_group_for_each_dev(group, &d->group_devices,
					 count_device);
		d->isolated_msi = iommufd_device_msi_isolated(dev, group);
		iommu_group_put(group);
	}

	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT)
			d->resv_direct++;
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			d->resv_direct_relaxable++;
		if (d->nr_resv == IOMMUFD_POLICY_RESV_MAX)
			continue;
		d->resv[d->nr_resv].start = region->start;
		d->resv[d->nr_resv].last = region->start + region->length - 1;
		d->resv[d->nr_resv].type = region->type;
		d->nr_resv++;
	}
	iommu_put_resv_regions(dev, &regions);
}

/*
 * Run @ops's program for @hook on @ctx, if it has one (*has): a direct call
 * of the struct_ops member, no function pointer of our own in between.
 */
static int policy_call(enum policy_hook hook,
		       const struct iommufd_policy_ops *ops, const void *ctx,
		       bool *has)
{
	switch (hook) {
	case HOOK_BIND:
		*has = ops->bind;
		return *has ? ops->bind(ctx) : 0;
	case HOOK_ATTACH:
		*has = ops->attach;
		return *has ? ops->attach(ctx) : 0;
	case HOOK_MAP:
		*has = ops->map;
		return *has ? ops->map(ctx) : 0;
	case HOOK_CHARGE:
		*has = ops->charge;
		return *has ? ops->charge(ctx) : 0;
	}
	*has = false;
	return 0;
}

/*
 * Ask every policy with a program for @hook; returns the first enforcing
 * denial.
 */
static int policy_run(enum policy_hook hook, const struct policy_object *object,
		      const char *detail, const void *ctx)
{
	struct iommufd_policy *p;
	int first = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(p, &policy_list, node) {
		bool has = false;
		int rc = policy_call(hook, p->ops, ctx, &has);

		if (!has)
			continue;
		rc = policy_errno(rc);
		if (!rc) {
			policy_record(p, hook, VERDICT_ALLOW, 0, object, detail);
			continue;
		}
		policy_record(p, hook, p->audit ? VERDICT_AUDIT : VERDICT_DENY,
			      rc, object, detail);
		if (!p->audit) {
			first = rc;
			break;
		}
	}
	rcu_read_unlock();
	return first;
}

static int policy_bind_one(struct device *dev)
{
	struct iommufd_policy_bind_ctx *ctx;
	char detail[48];
	int rc;

	ctx = iommufd_should_fail() ? NULL : kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	policy_fill_device(&ctx->dev, dev);
	policy_fill_task(&ctx->task, current);
	policy_device_detail(&ctx->dev, detail, sizeof(detail));
	rc = policy_run(HOOK_BIND,
			&(struct policy_object){ .name = dev_name(dev) }, detail,
			ctx);
	kfree(ctx);
	return rc;
}

/*
 * Ask about @dev, then about every other device of its group: binding one
 * device claims the DMA of all of them.
 */
int __iommufd_policy_bind(struct device *dev, bool whole_group)
{
	struct iommu_group *group;
	struct device **devs;
	unsigned int i, n;
	int rc;

	rc = policy_bind_one(dev);
	if (rc || !whole_group)
		return rc;
	group = iommu_group_get(dev);
	if (!group)
		return 0;
	devs = iommufd_group_devices(group, &n);
	iommu_group_put(group);
	if (IS_ERR(devs))
		return PTR_ERR(devs);
	for (i = 0; i < n && !rc; i++)
		if (devs[i] != dev)
			rc = policy_bind_one(devs[i]);
	iommufd_group_devices_put(devs, n);
	return rc;
}

int __iommufd_policy_attach(struct device *dev, u32 pt_id, u32 ioas_id,
			    u32 hwpt_id, bool replace)
{
	struct iommufd_policy_attach_ctx *ctx;
	char detail[48];
	int rc;

	ctx = iommufd_should_fail() ? NULL : kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	policy_fill_device(&ctx->dev, dev);
	policy_fill_task(&ctx->task, current);
	ctx->pt_id = pt_id;
	ctx->ioas_id = ioas_id;
	ctx->hwpt_id = hwpt_id;
	ctx->replace = replace;
	policy_device_detail(&ctx->dev, detail, sizeof(detail));
	rc = policy_run(HOOK_ATTACH,
			&(struct policy_object){ .name = dev_name(dev) }, detail,
			ctx);
	kfree(ctx);
	return rc;
}

/*
 * Pages charged now to the party @task's pins are charged to in @mode: the
 * counter RLIMIT_MEMLOCK is checked against.
 */
static unsigned long party_charged(struct task_struct *task,
				   struct user_struct *user, int mode)
{
	if (mode == IOPT_PAGES_ACCOUNT_USER)
		return atomic_long_read(&user->locked_vm);
	return task->mm ? atomic64_read(&task->mm->pinned_vm) : 0;
}

int __iommufd_policy_map(const struct iommufd_policy_map_req *req)
{
	struct iommufd_policy_map_ctx ctx = {
		.ioas_id = req->ioas_id,
		.prot = req->prot & (IOMMU_READ | IOMMU_WRITE),
		.iova = req->iova,
		.length = req->length,
		.uptr = req->uptr,
		.limit_pages = U64_MAX,
		.op = req->op,
		.src_ioas_id = req->src_ioas_id,
		.src_iova = req->src_iova,
		.page_size = PAGE_SIZE,
	};

	/* Filled once when the caller owns the pages, as it mostly does. */
	policy_fill_task(&ctx.task, current);
	if (req->owner && req->owner != current)
		policy_fill_task(&ctx.owner, req->owner);
	else
		ctx.owner = ctx.task;
	if (req->account_mode != IOPT_PAGES_ACCOUNT_NONE) {
		ctx.charged_pages = party_charged(current, current_user(),
						  req->account_mode);
		ctx.limit_pages = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	}
	return policy_run(HOOK_MAP,
			  &(struct policy_object){ .ioas_id = req->ioas_id },
			  "", &ctx);
}

/* Ask about the charge @ctx describes, paid by @owner's @user (or uid). */
static int policy_charge(struct iommufd_policy_charge_ctx *ctx,
			 struct task_struct *owner, struct user_struct *user)
{
	char detail[48];

	policy_fill_task(&ctx->owner, owner);
	/* The user charged, which the owner may have stopped being. */
	if (user)
		ctx->owner.uid = from_kuid_munged(&init_user_ns, user->uid);
	ctx->page_size = PAGE_SIZE;
	snprintf(detail, sizeof(detail), "+%llu pages, %llu charged",
		 ctx->pages, ctx->charged_pages);
	return policy_run(HOOK_CHARGE,
			  &(struct policy_object){ .ioas_id = ctx->ioas_id },
			  detail, ctx);
}

int __iommufd_policy_charge(struct iopt_pages *pages, u32 ioas_id,
			    unsigned long uptr, unsigned long npages,
			    unsigned long charged, unsigned long limit)
{
	struct iommufd_policy_charge_ctx ctx = {
		.ioas_id = ioas_id,
		.mode = pages->account_mode == IOPT_PAGES_ACCOUNT_USER ?
			IOMMUFD_POLICY_CHARGE_USER : IOMMUFD_POLICY_CHARGE_MM,
		.uptr = uptr,
		.pages = npages,
		.charged_pages = charged,
		.limit_pages = limit,
	};

	return policy_charge(&ctx, pages->source_task,
			     pages->account_mode == IOPT_PAGES_ACCOUNT_USER ?
			     pages->source_user : NULL);
}

/*
 * Before vfio_iommu_type1 maps (and charges to the calling process's
 * locked_vm) @npages pages from @uptr: the VFIO gate asks.
 */
int __iommufd_policy_charge_locked_vm(unsigned long uptr,
				      unsigned long npages)
{
	struct iommufd_policy_charge_ctx ctx = {
		.mode = IOMMUFD_POLICY_CHARGE_LOCKED_VM,
		.uptr = uptr,
		.pages = npages,
		.charged_pages = current->mm ?
				 READ_ONCE(current->mm->locked_vm) : 0,
		.limit_pages = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT,
	};

	return policy_charge(&ctx, current, NULL);
}

/* ---- the struct_ops type ------------------------------------------------ */

static int policy_init(struct btf *btf)
{
	return 0;
}

/* A policy name: 1 to 31 of [A-Za-z0-9_.-], NUL-terminated. */
static bool policy_name_valid(const char *name)
{
	size_t i;

	for (i = 0; i < IOMMUFD_POLICY_NAME_LEN; i++) {
		if (!name[i])
			return i > 0;
		if (!isalnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	}
	return false;
}

/* The name and flags are data: copied here, or the kernel wants zeroes. */
static int policy_init_member(const struct btf_type *t,
			      const struct btf_member *member, void *kdata,
			      const void *udata)
{
	const struct iommufd_policy_ops *uops = udata;
	struct iommufd_policy_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	switch (moff) {
	case offsetof(struct iommufd_policy_ops, name):
		if (!policy_name_valid(uops->name))
			return -EINVAL;
		memcpy(ops->name, uops->name, sizeof(ops->name));
		return 1;
	case offsetof(struct iommufd_policy_ops, flags):
		if (uops->flags & ~IOMMUFD_POLICY_F_AUDIT)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	}
	return 0;
}

/*
 * Programs are run under rcu_read_lock() in the policy walk, and some hooks
 * are asked under the module's mutexes and spinlocks (docs/policy.md): a
 * sleepable program ("struct_ops.s/") would be offered helpers that sleep.
 */
static int policy_check_member(const struct btf_type *t,
			       const struct btf_member *member,
			       const struct bpf_prog *prog)
{
	if (prog->sleepable) {
		pr_info_ratelimited("policy program %s refused: policies may not sleep (use SEC(\"struct_ops/...\"))\n",
				    prog->aux->name);
		return -EINVAL;
	}
	return 0;
}

static bool policy_is_valid_access(int off, int size,
				   enum bpf_access_type type,
				   const struct bpf_prog *prog,
				   struct bpf_insn_access_aux *info)
{
	return bpf_tracing_btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_func_proto *
policy_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

static const struct bpf_verifier_ops policy_verifier_ops = {
	.get_func_proto = policy_get_func_proto,
	.is_valid_access = policy_is_valid_access,
};

/* A loaded policy for the struct_ops map value @ops, or NULL. */
static struct iommufd_policy *policy_new(const struct iommufd_policy_ops *ops)
{
	struct iommufd_policy *p;

	p = iommufd_should_fail() ? NULL : kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	p->allowed = iommufd_should_fail() ? NULL : alloc_percpu(u64);
	if (!p->allowed) {
		kfree(p);
		return NULL;
	}
	p->ops = ops;
	strscpy(p->name, ops->name, sizeof(p->name));
	p->audit = ops->flags & IOMMUFD_POLICY_F_AUDIT;
	p->since = ktime_get_real_seconds();
	return p;
}

/* Once no reader can still see @p (after a grace period), or never listed. */
static void policy_free(struct iommufd_policy *p)
{
	free_percpu(p->allowed);
	kfree(p);
}

static u64 policy_allowed(struct iommufd_policy *p)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(p->allowed, cpu);
	return sum;
}

static int policy_reg(void *kdata, struct bpf_link *link)
{
	const struct iommufd_policy_ops *ops = kdata;
	struct iommufd_policy *p, *cur;
	int rc = 0;

	p = policy_new(ops);
	if (!p)
		return -ENOMEM;

	mutex_lock(&policy_mutex);
	list_for_each_entry(cur, &policy_list, node) {
		if (!strcmp(cur->name, p->name)) {
			rc = -EEXIST;
			break;
		}
	}
	if (!rc) {
		list_add_tail_rcu(&p->node, &policy_list);
		atomic64_inc(&policy_generation);
		static_branch_inc(&iommufd_policy_active);
		pr_info("policy %s attached%s\n", p->name,
			p->audit ? " (audit mode)" : "");
	}
	mutex_unlock(&policy_mutex);
	if (rc)
		policy_free(p);
	return rc;
}

static void policy_unreg(void *kdata, struct bpf_link *link)
{
	struct iommufd_policy *p, *gone = NULL;

	mutex_lock(&policy_mutex);
	list_for_each_entry(p, &policy_list, node) {
		if (p->ops != kdata)
			continue;
		list_del_rcu(&p->node);
		atomic64_inc(&policy_generation);
		static_branch_dec(&iommufd_policy_active);
		pr_info("policy %s detached\n", p->name);
		gone = p;
		break;
	}
	mutex_unlock(&policy_mutex);
	/*
	 * The programs, and @gone's counters, may still be used by readers:
	 * wait before they go.
	 */
	synchronize_rcu();
	if (gone)
		policy_free(gone);
}

/*
 * A link moved to another map of the type (bpf_link__update_map()): the
 * new programs, name and mode take the old policy's place in the order,
 * with its counts, without a moment in which neither is asked.
 */
static int policy_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	const struct iommufd_policy_ops *ops = kdata;
	struct iommufd_policy *p, *cur, *old = NULL;
	int rc = 0;

	p = policy_new(ops);
	if (!p)
		return -ENOMEM;

	mutex_lock(&policy_mutex);
	list_for_each_entry(cur, &policy_list, node) {
		if (cur->ops == old_kdata)
			old = cur;
		else if (!strcmp(cur->name, p->name))
			rc = -EEXIST;
	}
	if (!old)
		rc = -ENOENT;
	if (!rc) {
		/* What readers still count on @old after this is not carried. */
		*per_cpu_ptr(p->allowed, 0) = policy_allowed(old);
		atomic64_set(&p->denied, atomic64_read(&old->denied));
		list_replace_rcu(&old->node, &p->node);
		atomic64_inc(&policy_generation);
		pr_info("policy %s replaced%s\n", p->name,
			p->audit ? " (audit mode)" : "");
	}
	mutex_unlock(&policy_mutex);
	if (rc) {
		policy_free(p);
		return rc;
	}
	/* The old programs may still run in readers: wait before they go. */
	synchronize_rcu();
	policy_free(old);
	return 0;
}

static int stub_bind(const struct iommufd_policy_bind_ctx *ctx)
{
	return 0;
}

static int stub_attach(const struct iommufd_policy_attach_ctx *ctx)
{
	return 0;
}

static int stub_map(const struct iommufd_policy_map_ctx *ctx)
{
	return 0;
}

static int stub_charge(const struct iommufd_policy_charge_ctx *ctx)
{
	return 0;
}

static struct iommufd_policy_ops policy_stubs = {
	.bind = stub_bind,
	.attach = stub_attach,
	.map = stub_map,
	.charge = stub_charge,
};

static struct bpf_struct_ops policy_struct_ops = {
	.verifier_ops = &policy_verifier_ops,
	.init = policy_init,
	.check_member = policy_check_member,
	.init_member = policy_init_member,
	.reg = policy_reg,
	.unreg = policy_unreg,
	.update = policy_update,
	.cfi_stubs = &policy_stubs,
	.name = "iommufd_policy_ops",
	.owner = THIS_MODULE,
};

int iommufd_policy_register(void)
{
	return register_bpf_struct_ops(&policy_struct_ops, iommufd_policy_ops);
}

/* ---- debugfs: the loaded policies and the last decisions ---------------- */

static int policies_show(struct seq_file *m, void *unused)
{
	struct iommufd_policy *p;

	seq_puts(m, "name\thooks\tmode\tsince\tallowed\tdenied\n");
	mutex_lock(&policy_mutex);
	list_for_each_entry(p, &policy_list, node)
		seq_printf(m, "%s\t%s%s%s%s%s\t%s\t%lld\t%llu\t%lld\n", p->name,
			   p->ops->bind ? "bind," : "",
			   p->ops->attach ? "attach," : "",
			   p->ops->map ? "map," : "",
			   p->ops->charge ? "charge," : "",
			   p->ops->bind || p->ops->attach || p->ops->map ||
			   p->ops->charge ? "" : "-",
			   p->audit ? "audit" : "enforce", (s64)p->since,
			   policy_allowed(p), atomic64_read(&p->denied));
	mutex_unlock(&policy_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(policies);

static int decisions_show(struct seq_file *m, void *unused)
{
	struct policy_log_entry *e;
	u64 seq, first, next;

	e = iommufd_should_fail() ? NULL : kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	seq_puts(m, "seq\ttime_ns\thook\tobject\tpid\tcomm\tverdict\tpolicy\terrno\tdetail\n");
	spin_lock_irq(&log_lock);
	next = policy_log_next;
	spin_unlock_irq(&log_lock);
	first = next > POLICY_LOG_SIZE ? next - POLICY_LOG_SIZE : 0;
	for (seq = first; seq < next; seq++) {
		spin_lock_irq(&log_lock);
		*e = policy_log[seq % POLICY_LOG_SIZE];
		spin_unlock_irq(&log_lock);
		/* Overwritten meanwhile: a newer one follows later. */
		if (e->seq != seq)
			continue;
		seq_printf(m, "%llu\t%llu\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\n", e->seq,
			   e->time_ns, hook_names[e->hook],
			   e->object[0] ? e->object : "-", e->pid, e->comm,
			   verdict_names[e->verdict], e->policy, e->err,
			   e->detail[0] ? e->detail : "-");
	}
	kfree(e);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(decisions);

void iommufd_policy_debugfs(struct dentry *dir)
{
	debugfs_create_file("policies", 0400, dir, NULL, &policies_fops);
	debugfs_create_file("decisions", 0400, dir, NULL, &decisions_fops);
}
