// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommutop: a sample as tables (the views, sorted), plain text, JSON
 * (one object per sample) and Prometheus metrics (the node_exporter
 * textfile format).  iommutop(8) describes every column and metric.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

#define PAGE_SIZE 4096.0
#define MIB (1024.0 * 1024.0)

const char *const view_names[NR_VIEWS] = { "processes", "devices", "ioas" };

enum {
	P_PID, P_COMM, P_CTX, P_IOAS, P_DEV, P_PINNED, P_CHARGED, P_LIMIT,
	P_MAPS, P_UNMAPS, P_P50, P_P99, P_SYNCS, P_INVAL, P_DENY, P_FAULT, P_NR
};

static const struct colspec proc_cols[P_NR] = {
	[P_PID] = { "PID", "pid", 7 },
	[P_COMM] = { "COMM", "comm", 15, .left = true },
	[P_CTX] = { "CTX", "contexts", 3, .desc = true },
	[P_IOAS] = { "IOAS", "ioas", 4, .desc = true },
	[P_DEV] = { "DEV", "devices", 3, .desc = true },
	[P_PINNED] = { "PIN_MiB", "pinned", 8, .desc = true },
	[P_CHARGED] = { "CHG_MiB", "charged", 8, .desc = true },
	[P_LIMIT] = { "LIM_MiB", "limit", 8, .desc = true },
	[P_MAPS] = { "MAP/s", "maps", 7, .desc = true },
	[P_UNMAPS] = { "UNMAP/s", "unmaps", 7, .desc = true },
	[P_P50] = { "MAP_P50", "p50", 7, .desc = true },
	[P_P99] = { "MAP_P99", "p99", 7, .desc = true },
	[P_SYNCS] = { "SYNC/s", "syncs", 7, .desc = true },
	[P_INVAL] = { "INVPG/s", "inval", 8, .desc = true },
	[P_DENY] = { "DENY", "denials", 5, .desc = true },
	[P_FAULT] = { "FAULT", "faults", 5, .desc = true },
};

enum {
	D_DEVICE, D_GROUP, D_RESV, D_PID, D_COMM, D_CTX, D_DEVID, D_HWPT,
	D_IOAS, D_DOMAIN, D_NR
};

static const struct colspec dev_cols[D_NR] = {
	[D_DEVICE] = { "DEVICE", "device", 19, .left = true },
	[D_GROUP] = { "GROUP", "group", 5 },
	[D_RESV] = { "RESV", "resv", 9, .left = true },
	[D_PID] = { "PID", "pid", 7 },
	[D_COMM] = { "COMM", "comm", 15, .left = true },
	[D_CTX] = { "CTX", "ctx", 5 },
	[D_DEVID] = { "DEV_ID", "dev_id", 6 },
	[D_HWPT] = { "HWPT", "hwpt", 5 },
	[D_IOAS] = { "IOAS", "ioas", 5 },
	[D_DOMAIN] = { "DOMAIN", "domain", 8, .left = true },
};

enum {
	A_PID, A_COMM, A_CTX, A_IOAS, A_AREAS, A_MAPPED, A_PINNED, A_DOMAINS,
	A_ACCESSES, A_NR
};

static const struct colspec ioas_cols[A_NR] = {
	[A_PID] = { "PID", "pid", 7 },
	[A_COMM] = { "COMM", "comm", 15, .left = true },
	[A_CTX] = { "CTX", "ctx", 5 },
	[A_IOAS] = { "IOAS", "ioas", 5 },
	[A_AREAS] = { "AREAS", "areas", 6, .desc = true },
	[A_MAPPED] = { "MAP_MiB", "mapped", 9, .desc = true },
	[A_PINNED] = { "PIN_MiB", "pinned", 9, .desc = true },
	[A_DOMAINS] = { "DOMAINS", "domains", 7, .desc = true },
	[A_ACCESSES] = { "ACCESSES", "accesses", 8, .desc = true },
};

/* Each view's default sort column. */
static const int default_sort[NR_VIEWS] = { P_PINNED, D_DEVICE, A_PINNED };

int table_default_sort(enum view v)
{
	return default_sort[v];
}

const struct colspec *view_columns(enum view v, int *ncols)
{
	switch (v) {
	case VIEW_PROCS:
		*ncols = P_NR;
		return proc_cols;
	case VIEW_DEVS:
		*ncols = D_NR;
		return dev_cols;
	default:
		*ncols = A_NR;
		return ioas_cols;
	}
}

int column_by_key(enum view v, const char *key)
{
	const struct colspec *cols;
	int n;

	cols = view_columns(v, &n);
	for (int i = 0; i < n; i++)
		if (!strcmp(cols[i].key, key))
			return i;
	return -1;
}

/* Cell setters: a number, a number shown another way, text, or "-". */
static void num(struct cell *c, uint64_t v)
{
	snprintf(c->text, sizeof(c->text), "%llu", (unsigned long long)v);
	c->key = v;
}

static void mib(struct cell *c, double bytes)
{
	snprintf(c->text, sizeof(c->text), "%.1f", bytes / MIB);
	c->key = bytes;
}

static void text(struct cell *c, const char *s)
{
	snprintf(c->text, sizeof(c->text), "%s", s);
	c->key = 0;
}

static void none(struct cell *c)
{
	text(c, "-");
	c->key = -1;
}

static void rate(struct cell *c, bool have, double v)
{
	if (!have)
		return none(c);
	snprintf(c->text, sizeof(c->text), v < 1000 ? "%.1f" : "%.0f", v);
	c->key = v;
}

static void latency(struct cell *c, uint64_t ns)
{
	if (ns == NO_VALUE)
		return none(c);
	if (ns < 1000)
		snprintf(c->text, sizeof(c->text), "%lluns",
			 (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(c->text, sizeof(c->text), "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(c->text, sizeof(c->text), "%.1fms", ns / 1e6);
	else
		snprintf(c->text, sizeof(c->text), "%.1fs", ns / 1e9);
	c->key = ns;
}

static void proc_cells(struct trow *r, const struct proc_row *p)
{
	struct cell *c = r->c;

	num(&c[P_PID], p->pid);
	text(&c[P_COMM], p->comm);
	num(&c[P_CTX], p->contexts);
	num(&c[P_IOAS], p->ioas);
	num(&c[P_DEV], p->devices);
	mib(&c[P_PINNED], p->pinned_pages * PAGE_SIZE);
	if (p->charged_pages == NO_VALUE)
		none(&c[P_CHARGED]);
	else
		mib(&c[P_CHARGED], p->charged_pages * PAGE_SIZE);
	if (p->unlimited) {
		text(&c[P_LIMIT], "unlim");
		c[P_LIMIT].key = 1e30;
	} else if (p->limit_pages == NO_VALUE) {
		none(&c[P_LIMIT]);
	} else {
		mib(&c[P_LIMIT], p->limit_pages * PAGE_SIZE);
	}
	rate(&c[P_MAPS], p->have_rates, p->maps_s);
	rate(&c[P_UNMAPS], p->have_rates, p->unmaps_s);
	latency(&c[P_P50], p->p50_ns);
	latency(&c[P_P99], p->p99_ns);
	rate(&c[P_SYNCS], p->have_rates, p->syncs_s);
	rate(&c[P_INVAL], p->have_rates, p->inval_s);
	num(&c[P_DENY], p->live.denials);
	num(&c[P_FAULT], p->live.faults);
}

static void dev_cells(struct trow *r, const struct dev_row *d)
{
	struct cell *c = r->c;

	text(&c[D_DEVICE], d->device);
	num(&c[D_GROUP], d->group);
	if (!strcmp(d->direct, "direct")) {
		text(&c[D_RESV], "DIRECT");
		c[D_RESV].key = 2;
		r->alert = true;
	} else if (!strcmp(d->direct, "direct-relaxable")) {
		text(&c[D_RESV], "relaxable");
		c[D_RESV].key = 1;
	} else {
		none(&c[D_RESV]);
	}
	num(&c[D_PID], d->pid);
	text(&c[D_COMM], d->comm);
	num(&c[D_CTX], d->ctx);
	num(&c[D_DEVID], d->dev_id);
	if (d->hwpt) {
		num(&c[D_HWPT], d->hwpt);
		num(&c[D_IOAS], d->ioas);
	} else {
		none(&c[D_HWPT]);
		none(&c[D_IOAS]);
	}
	text(&c[D_DOMAIN], d->domain);
}

static void ioas_cells(struct trow *r, const struct ioas_row *a)
{
	struct cell *c = r->c;

	num(&c[A_PID], a->pid);
	text(&c[A_COMM], a->comm);
	num(&c[A_CTX], a->ctx);
	num(&c[A_IOAS], a->ioas);
	num(&c[A_AREAS], a->areas);
	mib(&c[A_MAPPED], a->mapped_bytes);
	mib(&c[A_PINNED], a->pinned_pages * PAGE_SIZE);
	num(&c[A_DOMAINS], a->domains);
	num(&c[A_ACCESSES], a->accesses);
}

/* qsort has no context argument: the table being sorted. */
static const struct table *sorting;
static int sort_col;
static bool sort_desc;

static int row_cmp(const void *a, const void *b)
{
	const struct cell *x = ((const struct trow *)a)->c;
	const struct cell *y = ((const struct trow *)b)->c;
	int r;

	if (sorting->cols[sort_col].left)
		r = strcmp(x[sort_col].text, y[sort_col].text);
	else
		r = (x[sort_col].key > y[sort_col].key) -
		    (x[sort_col].key < y[sort_col].key);
	if (sort_desc)
		r = -r;
	if (!r)	/* ties in a stable order: by the first column */
		r = sorting->cols[0].left ?
		    strcmp(x[0].text, y[0].text) :
		    (x[0].key > y[0].key) - (x[0].key < y[0].key);
	return r;
}

/*
 * The rows of view @v, sorted by column @col (-1: the view's default) in
 * its natural order, or the other way with @reverse.
 */
int table_build(struct table *t, enum view v, const struct sample *smp,
		int col, bool reverse)
{
	size_t n = v == VIEW_PROCS ? smp->nprocs :
		   v == VIEW_DEVS ? smp->ndevs : smp->nioas;

	memset(t, 0, sizeof(*t));
	t->view = v;
	t->cols = view_columns(v, &t->ncols);
	t->rows = calloc(n ? n : 1, sizeof(*t->rows));
	if (!t->rows)
		return -1;
	t->nrows = n;
	for (size_t i = 0; i < n; i++) {
		if (v == VIEW_PROCS)
			proc_cells(&t->rows[i], &smp->procs[i]);
		else if (v == VIEW_DEVS)
			dev_cells(&t->rows[i], &smp->devs[i]);
		else
			ioas_cells(&t->rows[i], &smp->ioas[i]);
	}
	if (col < 0 || col >= t->ncols)
		col = default_sort[v];
	sorting = t;
	sort_col = col;
	sort_desc = t->cols[col].desc != reverse;
	qsort(t->rows, n, sizeof(*t->rows), row_cmp);
	return 0;
}

void table_free(struct table *t)
{
	free(t->rows);
	t->rows = NULL;
}

void summary_line(const struct sample *smp, char *buf, size_t len)
{
	double pinned = 0, charged = 0, maps = 0, syncs = 0;
	unsigned long contexts = 0;
	uint64_t denials = 0;
	bool have = false;

	for (size_t i = 0; i < smp->nprocs; i++) {
		const struct proc_row *p = &smp->procs[i];

		contexts += p->contexts;
		pinned += p->pinned_pages * PAGE_SIZE;
		if (p->charged_pages != NO_VALUE)
			charged += p->charged_pages * PAGE_SIZE;
		have |= p->have_rates;
		maps += p->maps_s;
		syncs += p->syncs_s;
		denials += p->live.denials;
	}
	if (have)
		snprintf(buf, len,
			 "%zu process%s, %lu contexts, %zu devices, pinned %.1f MiB, charged %.1f MiB, maps/s %.1f, syncs/s %.1f, denials %llu",
			 smp->nprocs, smp->nprocs == 1 ? "" : "es", contexts,
			 smp->ndevs, pinned / MIB,
			 charged / MIB, maps, syncs,
			 (unsigned long long)denials);
	else
		snprintf(buf, len,
			 "%zu process%s, %lu contexts, %zu devices, pinned %.1f MiB, charged %.1f MiB, denials %llu",
			 smp->nprocs, smp->nprocs == 1 ? "" : "es", contexts,
			 smp->ndevs, pinned / MIB,
			 charged / MIB, (unsigned long long)denials);
}

/* The header (@r NULL) or a row, padded to the widths @w. */
static void print_line(FILE *f, const struct table *t, const int *w,
		       const struct trow *r)
{
	for (int j = 0; j < t->ncols; j++) {
		const char *s = r ? r->c[j].text : t->cols[j].name;

		/* Blanks only pad: none at the end of the line. */
		if (j == t->ncols - 1 && t->cols[j].left)
			fprintf(f, " %s", s);
		else
			fprintf(f, "%s%*s", j ? " " : "",
				t->cols[j].left ? -w[j] : w[j], s);
	}
	fputc('\n', f);
}

static void print_table(FILE *f, const struct table *t, long max_rows)
{
	int w[MAX_COLS];
	size_t rows = t->nrows;

	if (max_rows >= 0 && (size_t)max_rows < rows)
		rows = max_rows;
	/* Plain text keeps every column: widen one to fit its cells. */
	for (int j = 0; j < t->ncols; j++) {
		w[j] = t->cols[j].width;
		if ((int)strlen(t->cols[j].name) > w[j])
			w[j] = strlen(t->cols[j].name);
		for (size_t i = 0; i < rows; i++)
			if ((int)strlen(t->rows[i].c[j].text) > w[j])
				w[j] = strlen(t->rows[i].c[j].text);
	}
	print_line(f, t, w, NULL);
	for (size_t i = 0; i < rows; i++)
		print_line(f, t, w, &t->rows[i]);
}

void print_text(FILE *f, const struct sample *smp, int views,
		const char *sort_key, bool reverse, long max_rows)
{
	char stamp[32], summary[256];
	time_t t = smp->time;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	summary_line(smp, summary, sizeof(summary));
	if (smp->elapsed > 0)
		fprintf(f, "iommutop %s (interval %.2fs)\n%s\n", stamp,
			smp->elapsed, summary);
	else
		fprintf(f, "iommutop %s (first sample: no rates yet)\n%s\n",
			stamp, summary);
	for (int v = 0; v < NR_VIEWS; v++) {
		struct table tbl;

		if (!(views & (1 << v)))
			continue;
		if (table_build(&tbl, v, smp,
				sort_key ? column_by_key(v, sort_key) : -1,
				reverse)) {
			fprintf(f, "(out of memory)\n");
			continue;
		}
		fprintf(f, "\n%s\n", v == VIEW_PROCS ? "PROCESSES" :
			v == VIEW_DEVS ? "DEVICES" : "IOAS");
		print_table(f, &tbl, max_rows);
		table_free(&tbl);
	}
	fputc('\n', f);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_u64(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, ",\"%s\":", name);
	if (v == NO_VALUE)
		fputs("null", f);
	else
		fprintf(f, "%llu", (unsigned long long)v);
}

static void json_rate(FILE *f, const char *name, bool have, double v)
{
	fprintf(f, ",\"%s\":", name);
	if (have)
		fprintf(f, "%.3f", v);
	else
		fputs("null", f);
}

static void json_proc(FILE *f, const struct proc_row *p)
{
	const struct iommutop_proc *l = &p->live;

	fprintf(f, "{\"pid\":%d,\"comm\":", p->pid);
	json_str(f, p->comm);
	json_u64(f, "contexts", p->contexts);
	json_u64(f, "ioas", p->ioas);
	json_u64(f, "devices", p->devices);
	json_u64(f, "pinned_pages", p->pinned_pages);
	json_u64(f, "charged_pages", p->charged_pages);
	json_u64(f, "charged_user_pages", p->charged_user);
	json_u64(f, "charged_mm_pages", p->charged_mm);
	json_u64(f, "memlock_limit_pages", p->unlimited ? NO_VALUE :
		 p->limit_pages);
	fprintf(f, ",\"memlock_unlimited\":%s", p->unlimited ? "true" : "false");
	json_u64(f, "maps", l->maps);
	json_u64(f, "unmaps", l->unmaps);
	json_u64(f, "map_bytes", l->map_bytes);
	json_u64(f, "unmap_bytes", l->unmap_bytes);
	json_u64(f, "pages_pinned", l->pinned);
	json_u64(f, "pages_unpinned", l->unpinned);
	json_u64(f, "iotlb_syncs", l->iotlb_syncs);
	json_u64(f, "iotlb_pages", l->iotlb_pages);
	json_u64(f, "iotlb_ns", l->iotlb_ns);
	json_u64(f, "denials", l->denials);
	json_u64(f, "faults", l->faults);
	json_u64(f, "fault_responses", l->fault_responses);
	json_rate(f, "maps_per_s", p->have_rates, p->maps_s);
	json_rate(f, "unmaps_per_s", p->have_rates, p->unmaps_s);
	json_rate(f, "iotlb_syncs_per_s", p->have_rates, p->syncs_s);
	json_rate(f, "iotlb_pages_per_s", p->have_rates, p->inval_s);
	json_u64(f, "map_p50_ns", p->p50_ns);
	json_u64(f, "map_p99_ns", p->p99_ns);
	fputc('}', f);
}

static void json_dev(FILE *f, const struct dev_row *d)
{
	fputs("{\"device\":", f);
	json_str(f, d->device);
	fprintf(f, ",\"group\":%d,\"pid\":%d,\"comm\":", d->group, d->pid);
	json_str(f, d->comm);
	json_u64(f, "ctx", d->ctx);
	json_u64(f, "dev_id", d->dev_id);
	json_u64(f, "hwpt", d->hwpt ? d->hwpt : NO_VALUE);
	json_u64(f, "ioas", d->hwpt ? d->ioas : NO_VALUE);
	fputs(",\"domain\":", f);
	json_str(f, d->domain);
	fputs(",\"direct\":", f);
	json_str(f, d->direct);
	fputc('}', f);
}

static void json_ioas(FILE *f, const struct ioas_row *a)
{
	fprintf(f, "{\"pid\":%d,\"comm\":", a->pid);
	json_str(f, a->comm);
	json_u64(f, "ctx", a->ctx);
	json_u64(f, "ioas", a->ioas);
	json_u64(f, "areas", a->areas);
	json_u64(f, "mapped_bytes", a->mapped_bytes);
	json_u64(f, "pinned_pages", a->pinned_pages);
	json_u64(f, "domains", a->domains);
	json_u64(f, "accesses", a->accesses);
	fputc('}', f);
}

/* One line, one object: the sample's three views, unsorted. */
void print_json(FILE *f, const struct sample *smp)
{
	fprintf(f, "{\"time\":%.3f,\"interval\":", smp->time);
	if (smp->elapsed > 0)
		fprintf(f, "%.3f", smp->elapsed);
	else
		fputs("null", f);
	fputs(",\"processes\":[", f);
	for (size_t i = 0; i < smp->nprocs; i++) {
		if (i)
			fputc(',', f);
		json_proc(f, &smp->procs[i]);
	}
	fputs("],\"devices\":[", f);
	for (size_t i = 0; i < smp->ndevs; i++) {
		if (i)
			fputc(',', f);
		json_dev(f, &smp->devs[i]);
	}
	fputs("],\"ioas\":[", f);
	for (size_t i = 0; i < smp->nioas; i++) {
		if (i)
			fputc(',', f);
		json_ioas(f, &smp->ioas[i]);
	}
	fputs("]}\n", f);
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *type,
		      const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void proc_labels(FILE *f, const struct proc_row *p)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", p->pid);
	prom_label(f, "pid", pid, true);
	prom_label(f, "comm", p->comm, false);
}

static void ioas_labels(FILE *f, const struct ioas_row *a)
{
	char n[24];

	snprintf(n, sizeof(n), "%d", a->pid);
	prom_label(f, "pid", n, true);
	prom_label(f, "comm", a->comm, false);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)a->ctx);
	prom_label(f, "ctx", n, false);
	snprintf(n, sizeof(n), "%u", a->ioas);
	prom_label(f, "ioas", n, false);
}

/* Per-process metrics: which number, in which unit. */
enum proc_metric {
	PM_PINNED, PM_CHARGED, PM_LIMIT, PM_CONTEXTS, PM_MAPS, PM_UNMAPS,
	PM_MAP_BYTES, PM_UNMAP_BYTES, PM_SYNCS, PM_SYNC_PAGES, PM_SYNC_SECS,
	PM_DENIALS, PM_FAULTS, PM_FAULT_RESPONSES, PM_NR
};

#define LIVE(member) .live = offsetof(struct iommutop_proc, member)

static const struct {
	const char *name, *type, *help;
	size_t live;	/* a counter's offset in struct iommutop_proc */
} proc_metrics[PM_NR] = {
	[PM_PINNED] = { "iommufd_process_pinned_bytes", "gauge",
		"Memory pinned for the IOAS of the process's iommufd contexts (a page in two IOAS counts twice)." },
	[PM_CHARGED] = { "iommufd_process_charged_bytes", "gauge",
		"Pinned memory charged against RLIMIT_MEMLOCK for the process, each physical page once per ledger: its user's locked_vm (/dev/iommu) or its own pinned_vm (VFIO containers)." },
	[PM_LIMIT] = { "iommufd_process_memlock_limit_bytes", "gauge",
		"The process's RLIMIT_MEMLOCK (soft limit); +Inf when unlimited." },
	[PM_CONTEXTS] = { "iommufd_process_contexts", "gauge",
		"iommufd contexts (/dev/iommu opens and VFIO containers) the process owns." },
	[PM_MAPS] = { "iommufd_process_maps_total", "counter",
		"IOAS maps by the process since iommutop started.",
		LIVE(maps) },
	[PM_UNMAPS] = { "iommufd_process_unmaps_total", "counter",
		"IOAS unmaps by the process since iommutop started.",
		LIVE(unmaps) },
	[PM_MAP_BYTES] = { "iommufd_process_mapped_bytes_total", "counter",
		"Bytes mapped by the process since iommutop started.",
		LIVE(map_bytes) },
	[PM_UNMAP_BYTES] = { "iommufd_process_unmapped_bytes_total", "counter",
		"Bytes unmapped by the process since iommutop started.",
		LIVE(unmap_bytes) },
	[PM_SYNCS] = { "iommufd_process_iotlb_syncs_total", "counter",
		"IOTLB syncs caused by the process's unmaps since iommutop started.",
		LIVE(iotlb_syncs) },
	[PM_SYNC_PAGES] = { "iommufd_process_iotlb_invalidated_pages_total", "counter",
		"IOVA pages those IOTLB syncs invalidated.",
		LIVE(iotlb_pages) },
	[PM_SYNC_SECS] = { "iommufd_process_iotlb_sync_seconds_total", "counter",
		"Time spent in those IOTLB syncs." },
	[PM_DENIALS] = { "iommufd_process_policy_denials_total", "counter",
		"Policy denials of the process's calls (audit mode included) since iommutop started.",
		LIVE(denials) },
	[PM_FAULTS] = { "iommufd_process_faults_total", "counter",
		"I/O page fault groups queued on the process's fault queues since iommutop started.",
		LIVE(faults) },
	[PM_FAULT_RESPONSES] = { "iommufd_process_fault_responses_total", "counter",
		"Of those, the groups answered (by the process, or for it when the device left first).",
		LIVE(fault_responses) },
};

static void proc_value(FILE *f, const struct proc_row *p, enum proc_metric m)
{
	switch (m) {
	case PM_PINNED:
		fprintf(f, "%.0f", p->pinned_pages * PAGE_SIZE);
		break;
	case PM_LIMIT:
		if (p->unlimited)
			fputs("+Inf", f);
		else
			fprintf(f, "%.0f", p->limit_pages * PAGE_SIZE);
		break;
	case PM_CONTEXTS:
		fprintf(f, "%u", p->contexts);
		break;
	case PM_SYNC_SECS:
		fprintf(f, "%.9f", p->live.iotlb_ns / 1e9);
		break;
	default:	/* a counter of the collector's, as it is */
		fprintf(f, "%llu", (unsigned long long)
			*(const __u64 *)((const char *)&p->live +
					 proc_metrics[m].live));
		break;
	}
}

/* The charge, by ledger: the user's locked_vm, the process's pinned_vm. */
static void prom_charged(FILE *f, const struct proc_row *p)
{
	const char *name = proc_metrics[PM_CHARGED].name;

	fprintf(f, "%s{", name);
	proc_labels(f, p);
	fprintf(f, ",ledger=\"user\"} %.0f\n%s{", p->charged_user * PAGE_SIZE,
		name);
	proc_labels(f, p);
	fprintf(f, ",ledger=\"mm\"} %.0f\n", p->charged_mm * PAGE_SIZE);
}

static bool proc_has(const struct proc_row *p, enum proc_metric m)
{
	if (m == PM_CHARGED)
		return p->charged_pages != NO_VALUE;
	if (m == PM_LIMIT)
		return p->unlimited || p->limit_pages != NO_VALUE;
	return true;
}

static void prom_histogram(FILE *f, const struct sample *smp)
{
	const char *name = "iommufd_process_map_duration_seconds";

	prom_head(f, name, "histogram",
		  "Time IOAS maps of the process took since iommutop started (log2 buckets).");
	for (size_t i = 0; i < smp->nprocs; i++) {
		const struct proc_row *p = &smp->procs[i];
		uint64_t cum = 0;

		for (int b = 0; b < IOMMUTOP_LAT_BUCKETS; b++) {
			cum += p->live.map_lat[b];
			fprintf(f, "%s_bucket{", name);
			proc_labels(f, p);
			fprintf(f, ",le=\"%.9g\"} %llu\n", (2ULL << b) / 1e9,
				(unsigned long long)cum);
		}
		fprintf(f, "%s_bucket{", name);
		proc_labels(f, p);
		fprintf(f, ",le=\"+Inf\"} %llu\n%s_sum{", (unsigned long long)cum,
			name);
		proc_labels(f, p);
		fprintf(f, "} %.9f\n%s_count{", p->live.map_ns / 1e9, name);
		proc_labels(f, p);
		/*
		 * The maps timed: a map that ran while iommutop started is
		 * counted in maps but may not have been timed.
		 */
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}
}

static void prom_devices(FILE *f, const struct sample *smp)
{
	prom_head(f, "iommufd_device_info", "gauge",
		  "A device bound to an iommufd context: 1, with who holds it and its domain kind.");
	for (size_t i = 0; i < smp->ndevs; i++) {
		const struct dev_row *d = &smp->devs[i];
		char n[24];

		fputs("iommufd_device_info{", f);
		prom_label(f, "device", d->device, true);
		snprintf(n, sizeof(n), "%d", d->group);
		prom_label(f, "group", n, false);
		snprintf(n, sizeof(n), "%d", d->pid);
		prom_label(f, "pid", n, false);
		prom_label(f, "comm", d->comm, false);
		snprintf(n, sizeof(n), "%llu", (unsigned long long)d->ctx);
		prom_label(f, "ctx", n, false);
		prom_label(f, "domain", d->domain, false);
		fputs("} 1\n", f);
	}
	prom_head(f, "iommufd_device_attached", "gauge",
		  "1 when the bound device is attached to an IOAS, else 0.");
	for (size_t i = 0; i < smp->ndevs; i++) {
		fputs("iommufd_device_attached{", f);
		prom_label(f, "device", smp->devs[i].device, true);
		fprintf(f, "} %d\n", smp->devs[i].hwpt ? 1 : 0);
	}
	prom_head(f, "iommufd_device_direct_mapping", "gauge",
		  "1 when firmware demands a direct (identity) mapping for the device (RMRR, IOMMU_RESV_DIRECT), by kind.");
	for (size_t i = 0; i < smp->ndevs; i++) {
		const struct dev_row *d = &smp->devs[i];

		fputs("iommufd_device_direct_mapping{", f);
		prom_label(f, "device", d->device, true);
		prom_label(f, "kind", "direct", false);
		fprintf(f, "} %d\n", !strcmp(d->direct, "direct"));
		fputs("iommufd_device_direct_mapping{", f);
		prom_label(f, "device", d->device, true);
		prom_label(f, "kind", "relaxable", false);
		fprintf(f, "} %d\n", !strcmp(d->direct, "direct-relaxable"));
	}
}

static void prom_ioas(FILE *f, const struct sample *smp)
{
	static const struct {
		const char *name, *help;
	} m[] = {
		{ "iommufd_ioas_mapped_bytes", "Bytes the IOAS maps." },
		{ "iommufd_ioas_pinned_bytes", "Memory of the IOAS's mappings pinned now." },
		{ "iommufd_ioas_areas", "Mappings (areas) in the IOAS." },
		{ "iommufd_ioas_domains", "IOMMU domains mapping the IOAS." },
		{ "iommufd_ioas_accesses", "Accesses (emulated devices, VFIO) attached to the IOAS." },
	};

	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		prom_head(f, m[k].name, "gauge", m[k].help);
		for (size_t i = 0; i < smp->nioas; i++) {
			const struct ioas_row *a = &smp->ioas[i];
			double v[] = { a->mapped_bytes,
				       a->pinned_pages * PAGE_SIZE, a->areas,
				       a->domains, a->accesses };

			fprintf(f, "%s{", m[k].name);
			ioas_labels(f, a);
			fprintf(f, "} %.0f\n", v[k]);
		}
	}
}

void print_prometheus(FILE *f, const struct sample *smp)
{
	for (int m = 0; m < PM_NR; m++) {
		prom_head(f, proc_metrics[m].name, proc_metrics[m].type,
			  proc_metrics[m].help);
		for (size_t i = 0; i < smp->nprocs; i++) {
			const struct proc_row *p = &smp->procs[i];

			if (!proc_has(p, m))
				continue;
			if (m == PM_CHARGED) {
				prom_charged(f, p);
				continue;
			}
			fprintf(f, "%s{", proc_metrics[m].name);
			proc_labels(f, p);
			fputs("} ", f);
			proc_value(f, p, m);
			fputc('\n', f);
		}
	}
	prom_histogram(f, smp);
	prom_devices(f, smp);
	prom_ioas(f, smp);
}
