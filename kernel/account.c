// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bpf: RLIMIT_MEMLOCK accounting, charged once per physical page.
 *
 * Upstream iommufd and VFIO type1 charge every pinned page to the limit of
 * each IOAS (or container) that pins it, so a VM whose N devices each map
 * guest RAM needs RLIMIT_MEMLOCK of N times its RAM.  Here a page that one
 * process pins through several IOAS, several /dev/iommu files or several
 * VFIO containers is charged once while any of those pins remains.
 *
 * A ledger exists per charged party and address space: (mm, account mode,
 * user).  Every pages object of that party joins it with the user-address
 * range it covers.  For each page a member has pinned, its PFN entry says
 * whether this member carries the charge.  The invariant, kept under
 * ledger->mutex: for every (user address, PFN) pinned by at least one member,
 * exactly one member carries the charge.  So:
 *
 *  - pinning a page: if another member already pins the same PFN at the same
 *    user address, the charge exists and the new pin takes none; otherwise
 *    the new pin carries one page of charge;
 *  - unpinning a charged page: if another member still pins it, the charge
 *    passes to that member; otherwise it is released.
 *
 * Members are found through an interval tree of their user-address ranges,
 * so a process with one pages object over a given range pays one tree lookup
 * per batch of pins and nothing per page.  Per-page work happens only where
 * ranges of the same process overlap — the case being deduplicated.
 *
 * The key is the user address *and* the PFN: a range that was unmapped and
 * mapped again in between pins other pages and is charged again; memory
 * shared at two different addresses is charged twice (never too little).
 * Memory cost: nothing per page beyond the PFN entry every pinned page has
 * anyway (one bit of it); one ledger (about 100 bytes) per charged party.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "iommufd_private.h"
#include "io_pagetable.h"
#include "policy.h"

/**
 * struct iommufd_ledger - charges shared by one party's pages objects
 * @hnode: in iommufd_ledgers; added and removed under iommufd_ledgers_lock,
 *         looked up under it or RCU (iommufd_ledger_charged_current())
 * @mm: key: the members' address space (each member holds an mmgrab)
 * @user: key in IOPT_PAGES_ACCOUNT_USER mode (each member holds a reference)
 * @mode: key: how the charge is taken
 * @members: pages objects joined; iommufd_ledgers_lock
 * @mutex: protects @members_itree, @charged, and the presence and charged
 *         bit of every PFN entry of every member (see struct iopt_pages)
 * @members_itree: iopt_pages::ledger_node by user address
 * @charged: pages this ledger has charged and not yet released; written
 *           under @mutex, read locklessly for tracepoints
 * @task: the process of the first member (a reference), whose pid, name
 *        and RLIMIT_MEMLOCK the debugfs snapshot shows
 * @rcu: the ledger is freed after a grace period, for lookups under RCU
 */
struct iommufd_ledger {
	struct hlist_node hnode;
	struct mm_struct *mm;
	struct user_struct *user;
	enum iopt_account_mode mode;
	unsigned int members;
	struct mutex mutex; /* see above */
	struct rb_root_cached members_itree;
	unsigned long charged;
	struct task_struct *task;
	struct rcu_head rcu;
};

#define IOMMUFD_LEDGER_HASH_BITS 6
static DEFINE_HASHTABLE(iommufd_ledgers, IOMMUFD_LEDGER_HASH_BITS);
static DEFINE_MUTEX(iommufd_ledgers_lock);

/*
 * The ledger of the party (@mm, @mode, @user), or NULL.  @user is NULL
 * outside IOPT_PAGES_ACCOUNT_USER.  Under iommufd_ledgers_lock, or RCU for
 * a look that needs the ledger no longer than that.
 */
static struct iommufd_ledger *ledger_find(struct mm_struct *mm,
					  enum iopt_account_mode mode,
					  struct user_struct *user)
{
	struct iommufd_ledger *ledger;

	hash_for_each_possible_rcu(iommufd_ledgers, ledger, hnode,
				   (unsigned long)mm ^ mode,
				   lockdep_is_held(&iommufd_ledgers_lock))
		if (ledger->mm == mm && ledger->mode == mode &&
		    ledger->user == user)
			return ledger;
	return NULL;
}

/**
 * iommufd_ledger_hold() - the ledger of a party, as one more member
 * @mm: the party's address space
 * @mode: how it is charged (not IOPT_PAGES_ACCOUNT_NONE)
 * @user: the user charged in IOPT_PAGES_ACCOUNT_USER mode
 * @task: its process, for a ledger made here
 *
 * Finds the ledger or makes it; the caller's membership keeps it until
 * iommufd_ledger_put().  Returns ERR_PTR(-ENOMEM) when it cannot be made.
 */
struct iommufd_ledger *iommufd_ledger_hold(struct mm_struct *mm,
					   enum iopt_account_mode mode,
					   struct user_struct *user,
					   struct task_struct *task)
{
	struct iommufd_ledger *ledger;

	if (mode != IOPT_PAGES_ACCOUNT_USER)
		user = NULL;
	mutex_lock(&iommufd_ledgers_lock);
	ledger = ledger_find(mm, mode, user);
	if (ledger)
		goto found;
	ledger = iommufd_should_fail() ? NULL :
		 kzalloc(sizeof(*ledger), GFP_KERNEL_ACCOUNT);
	if (!ledger) {
		mutex_unlock(&iommufd_ledgers_lock);
		return ERR_PTR(-ENOMEM);
	}
	ledger->mm = mm;
	ledger->user = user;
	ledger->mode = mode;
	ledger->members_itree = RB_ROOT_CACHED;
	/* Its process, for the snapshot: the thread group leader. */
	ledger->task = task;
	get_task_struct(ledger->task);
	mutex_init(&ledger->mutex);
	hash_add_rcu(iommufd_ledgers, &ledger->hnode,
		     (unsigned long)ledger->mm ^ ledger->mode);
found:
	ledger->members++;
	mutex_unlock(&iommufd_ledgers_lock);
	return ledger;
}

/* Give up a membership; the last one frees the ledger, charged nothing. */
void iommufd_ledger_put(struct iommufd_ledger *ledger)
{
	mutex_lock(&iommufd_ledgers_lock);
	if (!--ledger->members) {
		WARN_ON(ledger->charged);
		hash_del_rcu(&ledger->hnode);
		put_task_struct(ledger->task);
		mutex_destroy(&ledger->mutex);
		kfree_rcu(ledger, rcu);
	}
	mutex_unlock(&iommufd_ledgers_lock);
}

static void ledger_insert(struct iopt_pages *pages)
{
	pages->ledger_node.start = pages->uptr;
	pages->ledger_node.last = pages->uptr + pages->npages * PAGE_SIZE - 1;
	interval_tree_insert(&pages->ledger_node,
			     &pages->ledger->members_itree);
}

/* Join the ledger of @pages's party, creating it if needed. */
int iommufd_ledger_join(struct iopt_pages *pages)
{
	struct iommufd_ledger *ledger;

	ledger = iommufd_ledger_hold(pages->source_mm, pages->account_mode,
				     pages->source_user, pages->source_task);
	if (IS_ERR(ledger))
		return PTR_ERR(ledger);
	pages->ledger = ledger;
	mutex_lock(&ledger->mutex);
	ledger_insert(pages);
	mutex_unlock(&ledger->mutex);
	return 0;
}

/* Leave the ledger; @pages has nothing pinned any more. */
void iommufd_ledger_leave(struct iopt_pages *pages)
{
	struct iommufd_ledger *ledger = pages->ledger;

	mutex_lock(&ledger->mutex);
	interval_tree_remove(&pages->ledger_node, &ledger->members_itree);
	mutex_unlock(&ledger->mutex);
	iommufd_ledger_put(ledger);
	pages->ledger = NULL;
}

/*
 * The slot of the first present PFN entry of @pages at or after *@index,
 * which becomes its index; NULL if there is none.  Under pages->mutex.
 */
static unsigned long *pfn_entry_next(struct iopt_pages *pages,
				     unsigned long *index)
{
	unsigned long ci = *index / IOPT_PFN_CHUNK;
	struct iopt_pfn_chunk *chunk;

	while ((chunk = xa_find(&pages->pfn_chunks, &ci, ULONG_MAX,
				XA_PRESENT))) {
		unsigned long end = min_t(unsigned long,
					  (ci + 1) * IOPT_PFN_CHUNK,
					  pages->npages);
		unsigned long i = max(*index, ci * IOPT_PFN_CHUNK);

		for (; i < end; i++) {
			if (chunk->entries[i % IOPT_PFN_CHUNK]) {
				*index = i;
				return &chunk->entries[i % IOPT_PFN_CHUNK];
			}
		}
		ci++;
	}
	return NULL;
}

static void ledger_charge_anyway(struct iommufd_ledger *ledger,
				 unsigned long npages);

/**
 * iommufd_ledger_move_out() - take @pages and its charges out of its ledger
 * @pages: a member, whose pages->mutex the caller holds
 *
 * Each page it carries the charge of passes to another member pinning it
 * too, or is released; nothing of @pages is charged after.  The membership
 * stays, and pages->ledger with it, for iommufd_ledger_move_in() to this
 * ledger again or for the caller to put.
 */
void iommufd_ledger_move_out(struct iopt_pages *pages)
{
	struct iommufd_ledger *ledger = pages->ledger;
	unsigned long index, release = 0, *slot;
	bool shared;

	lockdep_assert_held(&pages->mutex);
	mutex_lock(&ledger->mutex);
	shared = iommufd_ledger_shared(pages, 0, pages->npages - 1);
	for (index = 0; (slot = pfn_entry_next(pages, &index)); index++) {
		unsigned long pfn = iopt_pfn_entry_pfn(*slot);

		if (!iopt_pfn_entry_charged(*slot))
			continue;
		WRITE_ONCE(*slot, iopt_pfn_entry(pfn, false));
		if (!shared || !iommufd_ledger_pass_on(pages, index, pfn))
			release++;
	}
	interval_tree_remove(&pages->ledger_node, &ledger->members_itree);
	iommufd_ledger_uncharge(pages, release);
	mutex_unlock(&ledger->mutex);
}

/**
 * iommufd_ledger_move_in() - put @pages, and its charges, into a ledger
 * @pages: out of any ledger (iommufd_ledger_move_out()); pages->mutex held
 * @ledger: held for it (iommufd_ledger_hold()); becomes pages->ledger
 * @ioas_id: an IOAS the pages are mapped in, for the log and the policies
 * @force: charge whatever limit or policy says (to restore a charge that
 *         was there before)
 *
 * Each pinned page no other member carries the charge of is charged to
 * the ledger's party.  Without @force that can fail as a pin can
 * (-ENOMEM past RLIMIT_MEMLOCK, or a charge policy's errno), and then
 * @pages is left out of the ledger, charged nothing.
 */
int iommufd_ledger_move_in(struct iopt_pages *pages,
			   struct iommufd_ledger *ledger, u32 ioas_id,
			   bool force)
{
	unsigned long index, charge = 0, *slot;
	bool shared;
	int rc = 0;

	lockdep_assert_held(&pages->mutex);
	pages->ledger = ledger;
	mutex_lock(&ledger->mutex);
	ledger_insert(pages);
	shared = iommufd_ledger_shared(pages, 0, pages->npages - 1);
	for (index = 0; (slot = pfn_entry_next(pages, &index)); index++) {
		unsigned long pfn = iopt_pfn_entry_pfn(*slot);
		bool charged = !shared ||
			       !iommufd_ledger_carried(pages, index, pfn);

		WRITE_ONCE(*slot, iopt_pfn_entry(pfn, charged));
		charge += charged;
	}
	if (force)
		ledger_charge_anyway(ledger, charge);
	else
		rc = iommufd_ledger_charge(pages, ioas_id, pages->uptr, charge);
	if (rc) {
		for (index = 0; (slot = pfn_entry_next(pages, &index)); index++)
			WRITE_ONCE(*slot,
				   iopt_pfn_entry(iopt_pfn_entry_pfn(*slot),
						  false));
		interval_tree_remove(&pages->ledger_node,
				     &ledger->members_itree);
	}
	mutex_unlock(&ledger->mutex);
	return rc;
}

/* Pages charged by @pages's party; under the ledger's mutex. */
unsigned long iommufd_ledger_charged(struct iopt_pages *pages)
{
	lockdep_assert_held(&pages->ledger->mutex);
	return pages->ledger->charged;
}

/*
 * Pages charged by the calling process's party in @mode (what its next
 * mapping would join), for tracepoints and policies.  0 with CAP_IPC_LOCK.
 * Called for every traced map: a lookup under RCU, and the capability
 * only asked of a process that has a ledger.
 */
unsigned long iommufd_ledger_charged_current(enum iopt_account_mode mode)
{
	struct user_struct *user = mode == IOPT_PAGES_ACCOUNT_USER ?
				   current_user() : NULL;
	struct iommufd_ledger *ledger;
	unsigned long charged = 0;

	rcu_read_lock();
	ledger = ledger_find(current->mm, mode, user);
	if (ledger)
		charged = READ_ONCE(ledger->charged);
	rcu_read_unlock();
	if (charged && capable(CAP_IPC_LOCK))
		return 0;
	return charged;
}

void iommufd_ledger_lock(struct iopt_pages *pages)
{
	mutex_lock(&pages->ledger->mutex);
}

void iommufd_ledger_unlock(struct iopt_pages *pages)
{
	mutex_unlock(&pages->ledger->mutex);
}

/*
 * Does another member cover any of the user addresses of @pages's page
 * indexes [start, last]?  If not, no page there can be shared.
 */
bool iommufd_ledger_shared(struct iopt_pages *pages, unsigned long start,
			   unsigned long last)
{
	unsigned long ustart = pages->uptr + (start << PAGE_SHIFT);
	unsigned long ulast = pages->uptr + (last << PAGE_SHIFT) + PAGE_SIZE - 1;
	struct interval_tree_node *node;

	lockdep_assert_held(&pages->ledger->mutex);
	for (node = interval_tree_iter_first(&pages->ledger->members_itree,
					     ustart, ulast);
	     node; node = interval_tree_iter_next(node, ustart, ulast))
		if (node != &pages->ledger_node)
			return true;
	return false;
}

/*
 * Another member that pins @pfn at the user address of @pages's @index, with
 * the index it has there, or NULL.
 */
static struct iopt_pages *ledger_other_holder(struct iopt_pages *pages,
					      unsigned long index,
					      unsigned long pfn,
					      unsigned long *other_index)
{
	unsigned long uaddr = pages->uptr + (index << PAGE_SHIFT);
	struct interval_tree_node *node;
	struct iopt_pages *other;
	unsigned long *slot;

	for (node = interval_tree_iter_first(&pages->ledger->members_itree,
					     uaddr, uaddr);
	     node; node = interval_tree_iter_next(node, uaddr, uaddr)) {
		if (node == &pages->ledger_node)
			continue;
		other = container_of(node, struct iopt_pages, ledger_node);
		*other_index = (uaddr - other->uptr) >> PAGE_SHIFT;
		slot = iopt_pfn_slot(other, *other_index);
		if (slot && *slot && iopt_pfn_entry_pfn(*slot) == pfn)
			return other;
	}
	return NULL;
}

/* Is the charge for @pfn at @index's address carried by another member? */
bool iommufd_ledger_carried(struct iopt_pages *pages, unsigned long index,
			    unsigned long pfn)
{
	unsigned long other_index;

	lockdep_assert_held(&pages->ledger->mutex);
	return ledger_other_holder(pages, index, pfn, &other_index);
}

/*
 * @pages lets go of the charged @pfn at @index: hand the charge to another
 * member that pins it too.  False if there is none and the charge must be
 * released.  Never allocates: re-marking a present entry needs no memory.
 */
bool iommufd_ledger_pass_on(struct iopt_pages *pages, unsigned long index,
			    unsigned long pfn)
{
	unsigned long other_index;
	struct iopt_pages *other;

	lockdep_assert_held(&pages->ledger->mutex);
	other = ledger_other_holder(pages, index, pfn, &other_index);
	if (!other)
		return false;
	WRITE_ONCE(*iopt_pfn_slot(other, other_index),
		   iopt_pfn_entry(pfn, true));
	return true;
}

/*
 * RLIMIT_MEMLOCK refuses a charge: say so once in a while, naming the
 * process, the limit and the request (as vfio_iommu_type1 does; no user
 * address), since a VMM that fails to start reports little more than
 * ENOMEM.
 */
static int ledger_over_limit(struct iopt_pages *pages, u32 ioas_id,
			     unsigned long npages, u64 cur, unsigned long limit)
{
	pr_warn_ratelimited("%s[%d]: RLIMIT_MEMLOCK of %lu pages reached (%llu locked by its %s): %lu more pages for IOAS %u refused\n",
			    pages->source_task->comm,
			    task_tgid_nr(pages->source_task), limit, cur,
			    pages->ledger->mode == IOPT_PAGES_ACCOUNT_USER ?
			    "user" : "process", npages, ioas_id);
	return -ENOMEM;
}

/* Charge @npages past any limit: a charge restored as it was. */
static void ledger_charge_anyway(struct iommufd_ledger *ledger,
				 unsigned long npages)
{
	lockdep_assert_held(&ledger->mutex);
	if (ledger->mode == IOPT_PAGES_ACCOUNT_USER)
		atomic_long_add(npages, &ledger->user->locked_vm);
	else
		atomic64_add(npages, &ledger->mm->pinned_vm);
	WRITE_ONCE(ledger->charged, ledger->charged + npages);
	atomic_long_add(npages, &iommufd_stats.charged_pages);
}

/*
 * Charge @npages, pinned from @uptr for IOAS @ioas_id, to the party's
 * limit: -ENOMEM past RLIMIT_MEMLOCK, or a charge policy's errno.  The
 * policies are asked about the very total the charge is then added to (a
 * concurrent charge of the same user in between makes them asked again).
 */
int iommufd_ledger_charge(struct iopt_pages *pages, u32 ioas_id,
			  unsigned long uptr, unsigned long npages)
{
	struct iommufd_ledger *ledger = pages->ledger;
	unsigned long limit, cur;
	s64 cur64;
	int rc;

	lockdep_assert_held(&ledger->mutex);
	if (!npages)
		return 0;
	limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	switch (ledger->mode) {
	case IOPT_PAGES_ACCOUNT_USER:
		cur = atomic_long_read(&ledger->user->locked_vm);
		do {
			if (cur + npages < cur || cur + npages > limit)
				return ledger_over_limit(pages, ioas_id, npages,
							 cur, limit);
			rc = iommufd_policy_charge(pages, ioas_id, uptr, npages,
						   cur, limit);
			if (rc)
				return rc;
		} while (!atomic_long_try_cmpxchg(&ledger->user->locked_vm,
						  &cur, cur + npages));
		break;
	case IOPT_PAGES_ACCOUNT_MM:
		cur64 = atomic64_read(&ledger->mm->pinned_vm);
		do {
			if ((u64)cur64 + npages > limit)
				return ledger_over_limit(pages, ioas_id, npages,
							 cur64, limit);
			rc = iommufd_policy_charge(pages, ioas_id, uptr, npages,
						   cur64, limit);
			if (rc)
				return rc;
		} while (!atomic64_try_cmpxchg(&ledger->mm->pinned_vm, &cur64,
					       cur64 + npages));
		break;
	case IOPT_PAGES_ACCOUNT_NONE:
		WARN_ON(1);
		return -EINVAL;
	}
	WRITE_ONCE(ledger->charged, ledger->charged + npages);
	atomic_long_add(npages, &iommufd_stats.charged_pages);
	return 0;
}

void iommufd_ledger_uncharge(struct iopt_pages *pages, unsigned long npages)
{
	struct iommufd_ledger *ledger = pages->ledger;

	lockdep_assert_held(&ledger->mutex);
	if (!npages || WARN_ON(ledger->charged < npages))
		return;
	if (ledger->mode == IOPT_PAGES_ACCOUNT_USER)
		atomic_long_sub(npages, &ledger->user->locked_vm);
	else
		atomic64_sub(npages, &ledger->mm->pinned_vm);
	WRITE_ONCE(ledger->charged, ledger->charged - npages);
	atomic_long_sub(npages, &iommufd_stats.charged_pages);
}

/*
 * debugfs processes: each charged party, with its process and limit.  The
 * ledger holds its process's task, so its rlimit stays readable.
 */
void iommufd_ledgers_show(struct seq_file *m)
{
	static const char *const modes[] = { "none", "user", "mm" };
	struct iommufd_ledger *ledger;
	unsigned int bkt;

	seq_puts(m, "pid\tcomm\tmode\tcharged_pages\tlimit_pages\n");
	mutex_lock(&iommufd_ledgers_lock);
	hash_for_each(iommufd_ledgers, bkt, ledger, hnode) {
		unsigned long limit = task_rlimit(ledger->task, RLIMIT_MEMLOCK);
		char comm[TASK_COMM_LEN];

		get_task_comm(comm, ledger->task);
		seq_printf(m, "%d\t", task_tgid_nr(ledger->task));
		iommufd_seq_comm(m, comm);
		seq_printf(m, "\t%s\t%lu\t%lu\n", modes[ledger->mode],
			   READ_ONCE(ledger->charged),
			   limit == RLIM_INFINITY ? ULONG_MAX : limit >> PAGE_SHIFT);
	}
	mutex_unlock(&iommufd_ledgers_lock);
}
