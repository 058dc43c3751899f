// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommutop: one sample of the system.
 *
 * Absolute numbers (contexts, IOAS, devices, pinned and charged pages,
 * limits) come from the module's debugfs snapshot, read anew each sample.
 * Activity comes from two places, counted from iommutop's first sample on:
 * maps, unmaps, pins, IOTLB syncs and map latency from the module's own
 * per-context counters (debugfs activity, kept open so that the module
 * times maps and syncs meanwhile), added up per owning process; denials
 * and page faults from the BPF collector bpf/iommutop.bpf.c, per process.
 * A context that closes keeps adding its last counts to its process until
 * that process is gone and has been shown once more.  Rates are the
 * difference between two samples over the time between them.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "top.h"
#include "iommutop.skel.h"

struct prev {
	int pid;
	struct iommutop_proc p;
};

/* A context's counts when first seen, and in the last sample. */
struct ctx_seen {
	uint64_t ctx;
	int pid;
	struct iommutop_proc base, last;
	bool in_sample;		/* listed in the sample being taken */
	bool done;		/* closed, its process gone and shown: no row */
};

struct sampler {
	struct iommutop_bpf *skel;
	int map_fd;
	int activity_fd;	/* debugfs activity, held open: maps are timed */
	int pid;		/* only this process, or 0 */
	struct prev *prev;	/* each process's counts at the last sample */
	size_t nprev;
	struct ctx_seen *ctxs;	/* every context seen, while it lives */
	size_t nctxs;
	struct prev *closed;	/* closed contexts' counts, per process */
	size_t nclosed;
	bool have_prev;
	double last_mono;
};

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct sampler *sampler_open(int pid, char *err, size_t errlen)
{
	struct sampler *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->pid = pid;
	s->activity_fd = open(DEBUGFS_DIR "/activity", O_RDONLY | O_CLOEXEC);
	if (s->activity_fd < 0) {
		set_err(err, errlen,
			"cannot read %s: %s (is the module loaded and debugfs mounted?)",
			DEBUGFS_DIR "/activity", strerror(errno));
		free(s);
		return NULL;
	}
	s->skel = iommutop_bpf__open();
	if (!s->skel) {
		set_err(err, errlen, "cannot open the BPF collector: %s",
			strerror(errno));
		goto fail;
	}
	s->skel->rodata->only_tgid = pid;
	ret = iommutop_bpf__load(s->skel);
	if (ret) {
		set_err(err, errlen,
			"cannot load the BPF collector: %s (does the module's BTF match this iommutop? rebuild both)",
			strerror(-ret));
		goto fail;
	}
	ret = iommutop_bpf__attach(s->skel);
	if (ret) {
		set_err(err, errlen,
			"cannot attach the BPF collector to the module's tracepoints: %s",
			strerror(-ret));
		goto fail;
	}
	s->map_fd = bpf_map__fd(s->skel->maps.procs);
	return s;
fail:
	iommutop_bpf__destroy(s->skel);
	close(s->activity_fd);
	free(s);
	return NULL;
}

void sampler_close(struct sampler *s)
{
	if (!s)
		return;
	iommutop_bpf__destroy(s->skel);
	close(s->activity_fd);
	free(s->prev);
	free(s->ctxs);
	free(s->closed);
	free(s);
}

void sample_free(struct sample *smp)
{
	free(smp->procs);
	free(smp->devs);
	free(smp->ioas);
	memset(smp, 0, sizeof(*smp));
}

/* A whole (small, text) file, NUL-terminated; NULL with @err set. */
static char *slurp(const char *path, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "r");
	size_t n;

	if (!buf || !f) {
		set_err(err, errlen, "cannot read %s: %s", path,
			strerror(buf ? errno : ENOMEM));
		goto fail;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				set_err(err, errlen, "out of memory");
				goto fail;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		set_err(err, errlen, "cannot read %s: %s", path,
			strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}

/*
 * Split @line into exactly @n tab-separated fields; -1 when it has more or
 * fewer.  The module escapes tabs and newlines in command names (\t, \n),
 * so a well-formed line has exactly its fields.
 */
static int split(char *line, char **f, int n)
{
	int k = 0;

	f[k++] = line;
	for (char *p = line; *p; p++) {
		if (*p != '\t')
			continue;
		if (k == n)
			return -1;
		*p = '\0';
		f[k++] = p + 1;
	}
	return k == n ? 0 : -1;
}

/*
 * Read @file (under the debugfs directory), check its header and call
 * @row on each line split into @n fields.
 */
typedef int (*row_fn)(struct sample *smp, char **f, void *ctx);

static int read_table(const char *file, const char *header, int n,
		      row_fn row, struct sample *smp, void *ctx, char *err,
		      size_t errlen)
{
	char path[128], *text, *line, *next;
	size_t hlen = strlen(header);
	int ret = 0;

	snprintf(path, sizeof(path), DEBUGFS_DIR "/%s", file);
	text = slurp(path, err, errlen);
	if (!text)
		return -1;
	if (strncmp(text, header, hlen) || text[hlen] != '\n') {
		set_err(err, errlen,
			"%s has columns this iommutop does not know: the module and iommutop come from different builds",
			path);
		free(text);
		return -1;
	}
	for (line = text + hlen + 1; *line && !ret; line = next) {
		char *f[16];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (split(line, f, n))
			continue;
		ret = row(smp, f, ctx);
	}
	free(text);
	if (ret)
		set_err(err, errlen, "out of memory");
	return ret;
}

static void copy_comm(char *dst, const char *src)
{
	snprintf(dst, 16, "%s", src);
}

/* The row for @pid, added (zeroed) when new; NULL without memory. */
static struct proc_row *proc_get(struct sample *smp, int pid)
{
	struct proc_row *p;

	for (size_t i = 0; i < smp->nprocs; i++)
		if (smp->procs[i].pid == pid)
			return &smp->procs[i];
	p = realloc(smp->procs, (smp->nprocs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	smp->procs = p;
	p = &smp->procs[smp->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->charged_pages = NO_VALUE;
	p->limit_pages = NO_VALUE;
	p->p50_ns = NO_VALUE;
	p->p99_ns = NO_VALUE;
	return p;
}

static bool wanted(const struct sampler *s, int pid)
{
	return !s->pid || s->pid == pid;
}

/* contexts: ctx pid comm kind ioas devices */
static int context_row(struct sample *smp, char **f, void *ctx)
{
	struct sampler *s = ctx;
	int pid = atoi(f[1]);
	struct proc_row *p;

	if (!wanted(s, pid))
		return 0;
	p = proc_get(smp, pid);
	if (!p)
		return -1;
	if (!p->comm[0])
		copy_comm(p->comm, f[2]);
	p->contexts++;
	p->ioas += strtoul(f[4], NULL, 10);
	p->devices += strtoul(f[5], NULL, 10);
	return 0;
}

/* processes: pid comm mode charged_pages limit_pages */
static int charge_row(struct sample *smp, char **f, void *ctx)
{
	struct sampler *s = ctx;
	int pid = atoi(f[0]);
	struct proc_row *p;
	uint64_t charged;

	if (!wanted(s, pid))
		return 0;
	p = proc_get(smp, pid);
	if (!p)
		return -1;
	copy_comm(p->comm, f[1]);
	/*
	 * One line per ledger: a process charged both through /dev/iommu
	 * (its user's locked_vm) and a VFIO container (its mm's pinned_vm)
	 * has two, each against the same RLIMIT_MEMLOCK.
	 */
	charged = strtoull(f[3], NULL, 10);
	if (p->charged_pages == NO_VALUE)
		p->charged_pages = 0;
	p->charged_pages += charged;
	if (!strcmp(f[2], "mm"))
		p->charged_mm += charged;
	else
		p->charged_user += charged;
	p->limit_pages = strtoull(f[4], NULL, 10);
	/* The module prints ULONG_MAX for RLIM_INFINITY. */
	p->unlimited = p->limit_pages == UINT64_MAX;
	return 0;
}

/* ioas: pid comm ctx ioas areas mapped_bytes pinned_pages domains accesses */
static int ioas_row(struct sample *smp, char **f, void *ctx)
{
	struct sampler *s = ctx;
	struct ioas_row *r;
	int pid = atoi(f[0]);

	if (!wanted(s, pid))
		return 0;
	r = realloc(smp->ioas, (smp->nioas + 1) * sizeof(*r));
	if (!r)
		return -1;
	smp->ioas = r;
	r = &smp->ioas[smp->nioas++];
	r->pid = pid;
	copy_comm(r->comm, f[1]);
	r->ctx = strtoull(f[2], NULL, 10);
	r->ioas = strtoul(f[3], NULL, 10);
	r->areas = strtoull(f[4], NULL, 10);
	r->mapped_bytes = strtoull(f[5], NULL, 10);
	r->pinned_pages = strtoull(f[6], NULL, 10);
	r->domains = strtoul(f[7], NULL, 10);
	r->accesses = strtoul(f[8], NULL, 10);
	return 0;
}

/* devices: device group pid comm ctx dev_id hwpt ioas domain direct */
static int dev_row(struct sample *smp, char **f, void *ctx)
{
	struct sampler *s = ctx;
	int pid = atoi(f[2]);
	struct dev_row *d;

	if (!wanted(s, pid))
		return 0;
	d = realloc(smp->devs, (smp->ndevs + 1) * sizeof(*d));
	if (!d)
		return -1;
	smp->devs = d;
	d = &smp->devs[smp->ndevs++];
	snprintf(d->device, sizeof(d->device), "%s", f[0]);
	d->group = atoi(f[1]);
	d->pid = pid;
	copy_comm(d->comm, f[3]);
	d->ctx = strtoull(f[4], NULL, 10);
	d->dev_id = strtoul(f[5], NULL, 10);
	d->hwpt = strtoul(f[6], NULL, 10);
	d->ioas = strtoul(f[7], NULL, 10);
	snprintf(d->domain, sizeof(d->domain), "%s", f[8]);
	snprintf(d->direct, sizeof(d->direct), "%s", f[9]);
	return 0;
}

/* RLIMIT_MEMLOCK of a process the module does not charge, in pages. */
static void read_limit(struct proc_row *p)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", p->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, "Max locked memory", 17))
			continue;
		v = line + 17;
		v += strspn(v, " ");
		if (!strncmp(v, "unlimited", 9))
			p->unlimited = true;
		else
			p->limit_pages = strtoull(v, NULL, 10) / 4096;
		break;
	}
	fclose(f);
}


/* The smallest bucket edge below which a fraction @q of @n maps fall. */
static uint64_t percentile(const uint64_t *h, uint64_t n, double q)
{
	uint64_t want = (uint64_t)(q * n + 0.999999), seen = 0;

	if (!want)
		want = 1;
	for (int i = 0; i < IOMMUTOP_LAT_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want)
			return 2ULL << i;
	}
	return 2ULL << (IOMMUTOP_LAT_BUCKETS - 1);
}

static const struct iommutop_proc *prev_of(const struct sampler *s, int pid)
{
	for (size_t i = 0; i < s->nprev; i++)
		if (s->prev[i].pid == pid)
			return &s->prev[i].p;
	return NULL;
}

static void rates(struct proc_row *p, const struct iommutop_proc *old,
		  double dt)
{
	static const struct iommutop_proc zero;
	const struct iommutop_proc *cur = &p->live;
	uint64_t h[IOMMUTOP_LAT_BUCKETS], n = 0;

	if (!old)
		old = &zero;	/* new since the last sample */
	p->have_rates = true;
	p->maps_s = (cur->maps - old->maps) / dt;
	p->unmaps_s = (cur->unmaps - old->unmaps) / dt;
	p->syncs_s = (cur->iotlb_syncs - old->iotlb_syncs) / dt;
	p->inval_s = (cur->iotlb_pages - old->iotlb_pages) / dt;
	for (int i = 0; i < IOMMUTOP_LAT_BUCKETS; i++) {
		h[i] = cur->map_lat[i] - old->map_lat[i];
		n += h[i];
	}
	if (n) {
		p->p50_ns = percentile(h, n, 0.50);
		p->p99_ns = percentile(h, n, 0.99);
	}
}

/* The module's activity counters, in the activity file's order. */
#define ACTIVITY_COUNTERS 10

static __u64 *activity_counter(struct iommutop_proc *p, int i)
{
	__u64 *c[ACTIVITY_COUNTERS] = {
		&p->maps, &p->unmaps, &p->map_bytes, &p->unmap_bytes,
		&p->map_ns, &p->pinned, &p->unpinned, &p->iotlb_syncs,
		&p->iotlb_pages, &p->iotlb_ns,
	};

	return c[i];
}

/* @to += @a - @base (@base NULL: 0), for the module's counters. */
static void add_activity(struct iommutop_proc *to, struct iommutop_proc *a,
			 struct iommutop_proc *base)
{
	for (int i = 0; i < ACTIVITY_COUNTERS; i++)
		*activity_counter(to, i) += *activity_counter(a, i) -
					    (base ? *activity_counter(base, i) : 0);
	for (int b = 0; b < IOMMUTOP_LAT_BUCKETS; b++)
		to->map_lat[b] += a->map_lat[b] - (base ? base->map_lat[b] : 0);
}

static bool alive(int pid)
{
	return !kill(pid, 0) || errno != ESRCH;
}

/* One activity line's numbers (fields 4 on); -1 when malformed. */
static int parse_activity(char **f, struct iommutop_proc *a)
{
	char *p = f[14], *end;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < ACTIVITY_COUNTERS; i++)
		*activity_counter(a, i) = strtoull(f[4 + i], NULL, 10);
	for (int b = 0; b < IOMMUTOP_LAT_BUCKETS; b++) {
		a->map_lat[b] = strtoull(p, &end, 10);
		if (end == p || *end != (b == IOMMUTOP_LAT_BUCKETS - 1 ? 0 : ','))
			return -1;
		p = end + 1;
	}
	return 0;
}

/* The counts closed contexts of @pid left, made when new; NULL: no memory. */
static struct prev *closed_of(struct sampler *s, int pid)
{
	struct prev *c;

	for (size_t i = 0; i < s->nclosed; i++)
		if (s->closed[i].pid == pid)
			return &s->closed[i];
	c = realloc(s->closed, (s->nclosed + 1) * sizeof(*c));
	if (!c)
		return NULL;
	s->closed = c;
	c = &s->closed[s->nclosed++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	return c;
}

/*
 * One line of the activity file: ctx pid comm state <counters> map_lat.  A
 * closed context stays listed (state closed) with its final counts among
 * the module's last closed ones: one that came and went between two
 * samples is counted too.
 */
static int activity_row(struct sample *smp, char **f, void *ctx)
{
	struct sampler *s = ctx;
	uint64_t id = strtoull(f[0], NULL, 10);
	int pid = atoi(f[1]);
	bool closed = !strcmp(f[3], "closed");
	struct iommutop_proc a;
	struct ctx_seen *c = NULL;
	struct proc_row *p;

	if (!wanted(s, pid) || parse_activity(f, &a))
		return 0;
	for (size_t i = 0; i < s->nctxs && !c; i++)
		if (s->ctxs[i].ctx == id)
			c = &s->ctxs[i];
	if (!c) {
		c = realloc(s->ctxs, (s->nctxs + 1) * sizeof(*c));
		if (!c)
			return -1;
		s->ctxs = c;
		c = &s->ctxs[s->nctxs++];
		memset(c, 0, sizeof(*c));
		c->ctx = id;
		c->pid = pid;
		/*
		 * What it did before iommutop's first sample is not shown;
		 * one closed by then is history, not a row.
		 */
		if (!s->have_prev) {
			c->base = a;
			c->done = closed;
		}
	}
	c->last = a;
	c->in_sample = true;
	if (c->done)
		return 0;
	/*
	 * A closed context's counts are final: they stay in its process's
	 * row while the process lives, and are shown once more after.
	 */
	if (closed && !alive(pid))
		c->done = true;
	p = proc_get(smp, pid);
	if (!p)
		return -1;
	if (!p->comm[0])
		copy_comm(p->comm, f[2]);
	add_activity(&p->live, &a, &c->base);
	return 0;
}

/*
 * The module's counters into the rows: each live context's since it was
 * first seen, and what the closed ones of each process had.
 */
static int read_activity(struct sampler *s, struct sample *smp, char *err,
			 size_t errlen)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nctxs; i++)
		s->ctxs[i].in_sample = false;
	if (read_table("activity", "ctx\tpid\tcomm\tstate\tmaps\tunmaps\tmap_bytes\tunmap_bytes\tmap_ns\tpinned\tunpinned\tiotlb_syncs\tiotlb_pages\tiotlb_ns\tmap_lat",
		       15, activity_row, smp, s, err, errlen))
		return -1;
	/*
	 * Contexts gone from the file since the last sample (closed, and
	 * pushed out of the module's last closed ones): their counts stay
	 * with the process.
	 */
	for (size_t i = 0; i < s->nctxs; i++) {
		struct ctx_seen *c = &s->ctxs[i];
		struct prev *closed;

		if (c->in_sample) {
			s->ctxs[kept++] = *c;
			continue;
		}
		if (c->done)
			continue;
		closed = closed_of(s, c->pid);
		if (!closed) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		add_activity(&closed->p, &c->last, &c->base);
	}
	s->nctxs = kept;
	for (size_t i = 0; i < s->nclosed; i++) {
		struct proc_row *p = proc_get(smp, s->closed[i].pid);

		if (!p) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		add_activity(&p->live, &s->closed[i].p, NULL);
	}
	return 0;
}

/*
 * The collector's counts into the rows: every process it saw, live or
 * exited since the last sample (shown once more with its last counts, then
 * dropped from the map).
 */
static int read_collector(struct sampler *s, struct sample *smp,
			  struct prev **cur, size_t *ncur)
{
	__u32 key, next, *prevkey = NULL;
	struct iommutop_proc v;

	while (!bpf_map_get_next_key(s->map_fd, prevkey, &next)) {
		struct proc_row *p;
		struct prev *c;

		key = next;
		prevkey = &key;
		if (bpf_map_lookup_elem(s->map_fd, &key, &v))
			continue;	/* deleted meanwhile */
		if (!wanted(s, key))
			continue;
		c = realloc(*cur, (*ncur + 1) * sizeof(**cur));
		if (!c)
			return -1;
		*cur = c;
		p = proc_get(smp, key);
		if (!p)
			return -1;
		c[*ncur].pid = key;
		c[*ncur].p = v;
		(*ncur)++;
		p->live.denials = v.denials;
		p->live.faults = v.faults;
		p->live.fault_responses = v.fault_responses;
		if (!p->comm[0])
			copy_comm(p->comm, v.comm);
	}
	return 0;
}

int sampler_take(struct sampler *s, struct sample *smp, char *err,
		 size_t errlen)
{
	struct prev *seen = NULL, *cur = NULL;
	size_t nseen = 0, kept = 0;
	double mono;

	memset(smp, 0, sizeof(*smp));
	smp->time = now(CLOCK_REALTIME);
	mono = now(CLOCK_MONOTONIC);
	if (read_table("contexts", "ctx\tpid\tcomm\tkind\tioas\tdevices", 6,
		       context_row, smp, s, err, errlen) ||
	    read_table("processes", "pid\tcomm\tmode\tcharged_pages\tlimit_pages",
		       5, charge_row, smp, s, err, errlen) ||
	    read_table("ioas",
		       "pid\tcomm\tctx\tioas\tareas\tmapped_bytes\tpinned_pages\tdomains\taccesses",
		       9, ioas_row, smp, s, err, errlen) ||
	    read_table("devices",
		       "device\tgroup\tpid\tcomm\tctx\tdev_id\thwpt\tioas\tdomain\tdirect",
		       10, dev_row, smp, s, err, errlen) ||
	    read_activity(s, smp, err, errlen))
		goto fail;
	if (read_collector(s, smp, &seen, &nseen)) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < smp->nioas; i++) {
		struct proc_row *p = proc_get(smp, smp->ioas[i].pid);

		if (!p) {
			set_err(err, errlen, "out of memory");
			goto fail;
		}
		p->pinned_pages += smp->ioas[i].pinned_pages;
	}
	cur = calloc(smp->nprocs ?: 1, sizeof(*cur));
	if (!cur) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (s->have_prev)
		smp->elapsed = mono - s->last_mono;
	for (size_t i = 0; i < smp->nprocs; i++) {
		struct proc_row *p = &smp->procs[i];

		if (p->limit_pages == NO_VALUE && !p->unlimited)
			read_limit(p);
		if (s->have_prev && smp->elapsed > 0)
			rates(p, prev_of(s, p->pid), smp->elapsed);
		cur[i].pid = p->pid;
		cur[i].p = p->live;
	}
	/* Exited processes were shown once with their last counts: drop. */
	for (size_t i = 0; i < nseen; i++) {
		__u32 key = seen[i].pid;

		if (!alive(seen[i].pid))
			bpf_map_delete_elem(s->map_fd, &key);
	}
	for (size_t i = 0; i < s->nclosed; i++)
		if (alive(s->closed[i].pid))
			s->closed[kept++] = s->closed[i];
	s->nclosed = kept;
	free(seen);
	free(s->prev);
	s->prev = cur;
	s->nprev = smp->nprocs;
	s->have_prev = true;
	s->last_mono = mono;
	return 0;
fail:
	free(seen);
	sample_free(smp);
	return -1;
}
