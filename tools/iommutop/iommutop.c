// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommutop — who has pinned what for device DMA, charged against which
 * limit, how fast they map, what it costs the IOTLB and what policy
 * refused: live, per process, device and IOAS.
 *
 * Interactive (ncurses) on a terminal; plain text with -b (or when the
 * output is not a terminal), one JSON object per interval with --json,
 * Prometheus metrics with --prometheus.  Its manual page, iommutop(8)
 * (docs/man/iommutop.8.md), explains every column and where its number
 * comes from.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "tool_die.h"
#include "top.h"

#define MIN_COLS 40
#define MIN_LINES 8
#define TOP_LINES 5		/* summary, tabs, blank, header above rows */

static const char *prog = "iommutop";
static volatile sig_atomic_t stop;

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [-b] [-C] [-n COUNT] [-i SECONDS] [-p PID] [-r ROWS]\n"
		"                [-s COLUMN] [-R] [-v processes|devices|ioas]\n"
		"                [--json] [--prometheus FILE|-]\n"
		"  -b, --batch          plain text, one report per interval (also when\n"
		"                       the output is not a terminal)\n"
		"  -C, --no-clear       never clear the screen: plain text, each interval\n"
		"                       below the last (as -b)\n"
		"  -n, --count COUNT    stop after COUNT samples (the first is taken at once)\n"
		"  -i, --interval SECS  time between samples (default 1; at least 0.1)\n"
		"  -p, --pid PID        only this process\n"
		"  -r, --rows ROWS      at most ROWS rows per view\n"
		"  -s, --sort COLUMN    sort by COLUMN (its key: iommutop(8))\n"
		"  -R, --reverse        the other sort order\n"
		"  -v, --view VIEW      start in (or, batch, print only) this view\n"
		"      --json           one JSON object per interval on standard output\n"
		"      --prometheus F   write Prometheus metrics (node_exporter textfile\n"
		"                       format) to file F each interval, or to standard\n"
		"                       output with -\n"
		"  -h, --help           this text (iommutop(8) has the rest)\n"
		"keys: p d i (views), Tab, < > (sort column), r (reverse),\n"
		"      left/right (scroll columns), space (sample now), q (quit)\n",
		prog);
	exit(status);
}

struct opts {
	bool batch, json, reverse;
	long count;		/* 0: until stopped */
	double interval;
	int pid;
	long rows;		/* -1: as many as fit */
	const char *sort;
	int view;		/* -1: all (batch) / processes */
	const char *prom;
};

static long parse_long(const char *opt, const char *arg, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min)
		die("%s takes a whole number of at least %ld, not '%s'", opt,
		    min, arg);
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "no-clear", no_argument, NULL, 'C' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "pid", required_argument, NULL, 'p' },
		{ "rows", required_argument, NULL, 'r' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "view", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'J' },
		{ "prometheus", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *end;
	int c;

	*o = (struct opts){ .interval = 1, .rows = -1, .view = -1 };
	while ((c = getopt_long(argc, argv, "bCn:i:p:r:s:Rv:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'b':
		case 'C':
			o->batch = true;
			break;
		case 'n':
			o->count = parse_long("-n", optarg, 1);
			break;
		case 'i':
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o->interval >= 0.1 && o->interval <= 86400))
				die("-i takes seconds between 0.1 and 86400, not '%s'",
				    optarg);
			break;
		case 'p':
			o->pid = parse_long("-p", optarg, 1);
			break;
		case 'r':
			o->rows = parse_long("-r", optarg, 1);
			break;
		case 's':
			o->sort = optarg;
			break;
		case 'R':
			o->reverse = true;
			break;
		case 'v':
			for (int v = 0; v < NR_VIEWS; v++)
				if (!strcmp(optarg, view_names[v]))
					o->view = v;
			if (o->view < 0)
				die("no view called '%s': -v takes processes, devices or ioas",
				    optarg);
			break;
		case 'J':
			o->json = true;
			break;
		case 'P':
			o->prom = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see %s --help)", argv[optind],
		    prog);
	if (o->json && o->prom && !strcmp(o->prom, "-"))
		die("--json and --prometheus - both want standard output: write the metrics to a file");
	if (o->sort) {
		bool found = false;

		for (int v = 0; v < NR_VIEWS; v++)
			if ((o->view < 0 || o->view == v) &&
			    column_by_key(v, o->sort) >= 0)
				found = true;
		if (!found)
			die("no column '%s' to sort by%s%s (iommutop(8) lists them)",
			    o->sort, o->view < 0 ? "" : " in view ",
			    o->view < 0 ? "" : view_names[o->view]);
	}
}

/* Root, the module with its BTF, the kernel's BTF and debugfs. */
static void check_env(const struct opts *o)
{
	if (geteuid())
		die("must run as root (it loads a BPF collector and reads the module's debugfs files)");
	if (access("/sys/module/iommufd_bpf", F_OK))
		die("the iommufd_bpf module is not loaded: modprobe iommufd_bpf (or insmod iommufd_bpf.ko)");
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die("this kernel has no BTF (/sys/kernel/btf/vmlinux): iommutop needs a kernel built with CONFIG_DEBUG_INFO_BTF");
	if (access("/sys/kernel/btf/iommufd_bpf", R_OK))
		die("the iommufd_bpf module has no BTF (/sys/kernel/btf/iommufd_bpf): rebuild it with pahole installed");
	if (access(DEBUGFS_DIR "/contexts", R_OK))
		die("cannot read " DEBUGFS_DIR "/contexts: mount debugfs (mount -t debugfs none /sys/kernel/debug)");
	if (o->pid && kill(o->pid, 0) && errno == ESRCH)
		die("no process %d (-p takes the PID of a running process)",
		    o->pid);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN || !getenv("IOMMUTOP_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	stop = sig;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until @deadline (CLOCK_MONOTONIC seconds) or a signal. */
static void sleep_until(double deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (time_t)deadline) * 1e9),
	};

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL) == EINTR)
		;
}

/*
 * The metrics file, replaced whole (as node_exporter's textfile collector
 * wants), or standard output; 0, or -1 with @err set.
 */
static int write_prometheus(const char *path, const struct sample *smp,
			    char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f;

	if (!strcmp(path, "-")) {
		print_prometheus(stdout, smp);
		fflush(stdout);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %.400s: %s", tmp,
			 strerror(errno));
		return -1;
	}
	print_prometheus(f, smp);
	if (fclose(f)) {
		snprintf(err, errlen, "cannot write %.400s: %s", tmp,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot replace %.400s: %s", path,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* --- interactive ---------------------------------------------------------- */

struct ui {
	int view;
	int sort[NR_VIEWS];	/* column, -1: the view's default */
	bool reverse[NR_VIEWS];
	int scroll[NR_VIEWS];	/* first scrollable column shown */
	bool colors;
};

/* Columns that never scroll away: the row's identity. */
static int fixed_cols(int view)
{
	return view == VIEW_DEVS ? 1 : 2;
}

/* The columns that fit in the width, from the view's scroll position. */
static int visible_cols(const struct table *t, int scroll, int *cols)
{
	int n = 0, x = 0;

	for (int j = 0; j < t->ncols; j++) {
		if (j >= fixed_cols(t->view) && j < fixed_cols(t->view) + scroll)
			continue;
		if (x + t->cols[j].width > COLS)
			break;
		cols[n++] = j;
		x += t->cols[j].width + 1;
	}
	return n;
}

static void draw_cell(int y, int x, const struct colspec *c, const char *s)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%*.*s", c->left ? -c->width : c->width,
		 c->width, s);
	mvaddstr(y, x, buf);
}

static void draw(struct ui *ui, const struct sample *smp, const struct opts *o)
{
	char line[512], stamp[16];
	int cols[MAX_COLS], ncols, y, x, hidden, rows, n;
	time_t now = smp->time;
	struct table t;
	struct tm tm;

	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(0, 0, "terminal too small (%dx%d): needs %dx%d",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		refresh();
		return;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	summary_line(smp, line, sizeof(line));
	mvaddnstr(0, 0, "iommutop ", COLS);
	addnstr(stamp, COLS - 9);
	if (o->pid)
		printw("  pid %d", o->pid);
	mvaddnstr(1, 0, line, COLS);
	move(2, 0);
	for (int v = 0; v < NR_VIEWS; v++) {
		static const char *const tabs[] = {
			"[p]rocesses", "[d]evices", "[i]oas"
		};

		if (v == ui->view)
			attron(A_REVERSE);
		addstr(tabs[v]);
		if (v == ui->view)
			attroff(A_REVERSE);
		addstr(" ");
	}
	if (table_build(&t, ui->view, smp, ui->sort[ui->view],
			ui->reverse[ui->view])) {
		mvaddstr(4, 0, "out of memory");
		refresh();
		return;
	}
	{
		int sc = ui->sort[ui->view] < 0 ?
			 table_default_sort(ui->view) : ui->sort[ui->view];
		bool desc = t.cols[sc].desc != ui->reverse[ui->view];

		snprintf(line, sizeof(line), " sort: %s %s", t.cols[sc].name,
			 desc ? "desc" : "asc");
		addnstr(line, COLS - getcurx(stdscr));
	}
	ncols = visible_cols(&t, ui->scroll[ui->view], cols);
	hidden = t.ncols - ncols;
	attron(A_REVERSE);
	mvhline(TOP_LINES - 1, 0, ' ', COLS);
	for (int k = 0, x0 = 0; k < ncols; k++) {
		draw_cell(TOP_LINES - 1, x0, &t.cols[cols[k]],
			  t.cols[cols[k]].name);
		x0 += t.cols[cols[k]].width + 1;
	}
	attroff(A_REVERSE);
	rows = LINES - TOP_LINES - 1;
	if (o->rows > 0 && o->rows < rows)
		rows = o->rows;
	for (y = 0; y < rows && (size_t)y < t.nrows; y++) {
		const struct trow *r = &t.rows[y];

		x = 0;
		for (int k = 0; k < ncols; k++) {
			const struct colspec *c = &t.cols[cols[k]];
			bool alert = r->alert && ui->view == VIEW_DEVS &&
				     cols[k] == 2;

			if (alert)
				attron(A_BOLD | (ui->colors ? COLOR_PAIR(1) : A_REVERSE));
			draw_cell(TOP_LINES + y, x, c, r->c[cols[k]].text);
			if (alert)
				attroff(A_BOLD | (ui->colors ? COLOR_PAIR(1) : A_REVERSE));
			x += c->width + 1;
		}
	}
	if (!t.nrows)
		mvaddnstr(TOP_LINES, 0, "(none)", COLS);
	n = snprintf(line, sizeof(line), "p d i: view  < >: sort  r: reverse  q: quit");
	if (hidden || ui->scroll[ui->view])
		snprintf(line + n, sizeof(line) - n,
			 "  left/right: columns (%d hidden)",
			 hidden + ui->scroll[ui->view]);
	mvaddnstr(LINES - 1, 0, line, COLS);
	table_free(&t);
	refresh();
}

/* A key: true when the screen needs a new sample (space). */
static bool key(struct ui *ui, int ch)
{
	int ncols, *sort = &ui->sort[ui->view];

	view_columns(ui->view, &ncols);
	switch (ch) {
	case 'q':
	case 'Q':
		stop = 1;
		break;
	case 'p':
		ui->view = VIEW_PROCS;
		break;
	case 'd':
		ui->view = VIEW_DEVS;
		break;
	case 'i':
	case 'a':
		ui->view = VIEW_IOAS;
		break;
	case '\t':
		ui->view = (ui->view + 1) % NR_VIEWS;
		break;
	case '<':
	case ',':
		if (*sort < 0)
			*sort = table_default_sort(ui->view);
		if (*sort > 0)
			(*sort)--;
		break;
	case '>':
	case '.':
		if (*sort < 0)
			*sort = table_default_sort(ui->view);
		if (*sort < ncols - 1)
			(*sort)++;
		break;
	case 'r':
	case 'R':
		ui->reverse[ui->view] = !ui->reverse[ui->view];
		break;
	case KEY_LEFT:
		if (ui->scroll[ui->view] > 0)
			ui->scroll[ui->view]--;
		break;
	case KEY_RIGHT:
		if (ui->scroll[ui->view] < ncols - fixed_cols(ui->view) - 1)
			ui->scroll[ui->view]++;
		break;
	case ' ':
		return true;
	}
	return false;
}

static void interactive(struct sampler *s, const struct opts *o)
{
	struct ui ui = { .view = o->view < 0 ? VIEW_PROCS : o->view };
	struct sample smp = {};
	double next = mono_now();
	char err[512];
	long n = 0;

	for (int v = 0; v < NR_VIEWS; v++) {
		ui.sort[v] = o->sort ? column_by_key(v, o->sort) : -1;
		ui.reverse[v] = o->reverse;
	}
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		ui.colors = true;
	}
	while (!stop) {
		double wait_ms;
		int ch;

		if (mono_now() >= next) {
			sample_free(&smp);
			if (sampler_take(s, &smp, err, sizeof(err)) ||
			    (o->prom && write_prometheus(o->prom, &smp, err,
							 sizeof(err)))) {
				/* The screen back first, or the message is lost. */
				endwin();
				die("%s", err);
			}
			n++;
			next += o->interval;
			if (next < mono_now())
				next = mono_now() + o->interval;
			draw(&ui, &smp, o);
			if (o->count && n >= o->count)
				break;
		}
		wait_ms = (next - mono_now()) * 1000;
		/* A negative timeout would block until a key. */
		timeout(wait_ms > 0 ? (int)wait_ms + 1 : 0);
		ch = getch();
		if (ch == ERR)
			continue;
		if (key(&ui, ch))
			next = mono_now();
		else
			draw(&ui, &smp, o);
	}
	endwin();
	sample_free(&smp);
}

/* --- batch ------------------------------------------------------------------ */

static void batch(struct sampler *s, const struct opts *o)
{
	double start = mono_now();
	struct sample smp;
	char err[512];

	for (long n = 0; !stop && (!o->count || n < o->count); n++) {
		if (n)
			sleep_until(start + n * o->interval);
		if (stop)
			break;
		if (sampler_take(s, &smp, err, sizeof(err)) ||
		    (o->prom && write_prometheus(o->prom, &smp, err,
						 sizeof(err))))
			die("%s", err);
		if (o->json)
			print_json(stdout, &smp);
		else if (!o->prom || strcmp(o->prom, "-"))
			print_text(stdout, &smp,
				   o->view < 0 ? (1 << NR_VIEWS) - 1 : 1 << o->view,
				   o->sort, o->reverse, o->rows);
		sample_free(&smp);
		if (fflush(stdout) == EOF)
			die("cannot write the output: %s", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sampler *s;
	struct opts o;
	char err[512];
	bool tty;

	parse_args(argc, argv, &o);
	tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!o.batch && (o.json || (o.prom && !strcmp(o.prom, "-")) || !tty))
		o.batch = true;
	if (!o.batch) {
		struct winsize ws;

		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
		    (ws.ws_col < MIN_COLS || ws.ws_row < MIN_LINES))
			die("the terminal is %ux%u, too small for the views (at least %dx%d): enlarge it, or use -b for plain text",
			    ws.ws_col, ws.ws_row, MIN_COLS, MIN_LINES);
	}
	check_env(&o);
	libbpf_set_print(libbpf_quiet);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s = sampler_open(o.pid, err, sizeof(err));
	if (!s)
		die("%s", err);
	if (o.batch)
		batch(s, &o);
	else
		interactive(s, &o);
	sampler_close(s);
	return 0;
}
