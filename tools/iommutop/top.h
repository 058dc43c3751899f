/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommutop's pieces: sample.c takes a sample (the module's debugfs
 * snapshot plus the BPF collector's counts), output.c turns one into
 * tables, plain text, JSON or Prometheus metrics, iommutop.c runs them.
 */
#ifndef IOMMUTOP_TOP_H
#define IOMMUTOP_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "iommutop.h"

#define DEBUGFS_DIR "/sys/kernel/debug/iommufd_bpf"
#define NO_VALUE UINT64_MAX	/* a number the sources do not give */

/*
 * One process: whoever owns a context, is charged for pinned pages, or
 * did something the collector saw.
 */
struct proc_row {
	int pid;
	char comm[16];
	unsigned int contexts, ioas, devices;	/* contexts it owns */
	uint64_t pinned_pages;		/* in its contexts' IOAS */
	uint64_t charged_pages;		/* NO_VALUE: not charged */
	uint64_t charged_user, charged_mm; /* by mode: its ledgers */
	uint64_t limit_pages;		/* RLIMIT_MEMLOCK; NO_VALUE: unknown */
	bool unlimited;			/* RLIMIT_MEMLOCK is infinity */
	struct iommutop_proc live;	/* collector, since iommutop started */
	bool have_rates;		/* an earlier sample to compare with */
	double maps_s, unmaps_s, syncs_s, inval_s;
	uint64_t p50_ns, p99_ns;	/* NO_VALUE: no map in the interval */
};

struct dev_row {
	char device[64];
	int group, pid;
	char comm[16];
	uint64_t ctx;
	unsigned int dev_id, hwpt, ioas;
	char domain[16];
	char direct[24];	/* "direct", "direct-relaxable" or "-" */
};

struct ioas_row {
	int pid;
	char comm[16];
	uint64_t ctx;
	unsigned int ioas, domains, accesses;
	uint64_t areas, mapped_bytes, pinned_pages;
};

struct sample {
	double time;		/* wall clock, seconds since the epoch */
	double elapsed;		/* since the previous sample; 0 for the first */
	struct proc_row *procs;
	size_t nprocs;
	struct dev_row *devs;
	size_t ndevs;
	struct ioas_row *ioas;
	size_t nioas;
};

struct sampler;

/* sample.c */
struct sampler *sampler_open(int pid, char *err, size_t errlen);
int sampler_take(struct sampler *s, struct sample *out, char *err,
		 size_t errlen);
void sampler_close(struct sampler *s);
void sample_free(struct sample *smp);

/* output.c: tables */
enum view { VIEW_PROCS, VIEW_DEVS, VIEW_IOAS, NR_VIEWS };
#define MAX_COLS 16

struct colspec {
	const char *name;	/* header */
	const char *key;	/* for -s */
	int width;
	bool left;		/* left-aligned, sorted as text */
	bool desc;		/* sorted largest first by default */
};

struct cell {
	char text[64];
	double key;		/* numeric sort key; -1 for "-" */
};

struct trow {
	struct cell c[MAX_COLS];
	bool alert;		/* show prominently (a direct mapping) */
};

struct table {
	enum view view;
	const struct colspec *cols;
	int ncols;
	struct trow *rows;
	size_t nrows;
};

extern const char *const view_names[NR_VIEWS];
const struct colspec *view_columns(enum view v, int *ncols);
int column_by_key(enum view v, const char *key);
int table_default_sort(enum view v);
int table_build(struct table *t, enum view v, const struct sample *smp,
		int sort_col, bool reverse);
void table_free(struct table *t);
void summary_line(const struct sample *smp, char *buf, size_t len);

/* output.c: machine and plain-text output */
void print_text(FILE *f, const struct sample *smp, int views,
		const char *sort_key, bool reverse, long max_rows);
void print_json(FILE *f, const struct sample *smp);
void print_prometheus(FILE *f, const struct sample *smp);

#endif
