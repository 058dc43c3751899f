// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommupolicy — load, list, audit and unload iommufd-bpf policies, and
 * read their decisions.
 *
 *   iommupolicy load NAME|FILE [--name N] [--audit] [--set KEY=VALUE ...]
 *   iommupolicy list [--json]
 *   iommupolicy unload N
 *   iommupolicy log [-f] [--json]
 *   iommupolicy apply FILE
 *
 * A policy is a BPF object with one struct_ops map of type
 * iommufd_policy_ops (docs/policy.md).  "load" opens it (a shipped policy
 * by NAME, or any FILE), sets its knobs (global variables) and its name and
 * mode, loads and attaches it, and pins the link under
 * /sys/fs/bpf/iommupolicy/N so the policy outlives this process; "unload"
 * removes the pin, which detaches it.  "list" and "log" read the module's
 * debugfs files.
 *
 * With the first policy, "load" also loads the VFIO gate
 * (bpf/vfio_gate.bpf.c: BPF LSM programs that let the policies decide
 * VFIO's ioctls before VFIO acts, on any IOMMU backend), pinned under
 * /sys/fs/bpf/iommufd_vfio_gate; "unload" of the last policy unloads it.
 * Where BPF LSM is not active, "load" says so and loads the policy alone.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd_policy.h>

#include "tool_die.h"
#include "../../bpf/pci_allowlist.h"

#define BPFFS "/sys/fs/bpf"
#define PIN_DIR BPFFS "/iommupolicy"
#define GATE_DIR BPFFS "/iommufd_vfio_gate"
#define LSM_LIST "/sys/kernel/security/lsm"
#define DEBUGFS "/sys/kernel/debug/iommufd_bpf"
#define OPS_TYPE "iommufd_policy_ops"
#define NAME_LEN IOMMUFD_POLICY_NAME_LEN
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static const char *prog = "iommupolicy";

/* The usage: on standard output for -h (exit 0), else on standard error. */
static void usage_exit(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s load NAME|FILE [--name N] [--audit] [--set KEY=VALUE ...]\n"
		"       %s list [--json]\n"
		"       %s unload N\n"
		"       %s log [-f] [--json]\n"
		"       %s apply FILE\n"
		"see iommupolicy(8)\n", prog, prog, prog, prog, prog);
	exit(status);
}

static void usage(void)
{
	usage_exit(2);
}

/* What every command needs: root, the module, and (for pins) bpffs. */
static void check_env(bool bpffs)
{
	struct statfs fs;

	if (geteuid())
		die("must run as root (policies are loaded into the kernel)");
	if (access("/sys/module/iommufd_bpf", F_OK))
		die("the iommufd_bpf module is not loaded: modprobe iommufd_bpf");
	if (access(DEBUGFS "/policies", R_OK))
		die("cannot read %s/policies: mount debugfs (mount -t debugfs none /sys/kernel/debug)",
		    DEBUGFS);
	if (bpffs && (statfs(BPFFS, &fs) || fs.f_type != BPF_FS_MAGIC))
		die("bpffs is not mounted at " BPFFS ": mount -t bpf bpf " BPFFS);
}

static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= NAME_LEN)
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && !strchr("_.-", *name))
			return false;
	return true;
}

/*
 * A shipped BPF object @name: installed next to this program
 * (.../bin/iommupolicy and .../lib/iommufd-bpf/NAME.bpf.o) or in the build
 * tree (build/bin/iommupolicy and build/bpf/@subdir/NAME.bpf.o); NULL when
 * neither has it.
 */
static char *find_object(const char *name, const char *subdir)
{
	static char found[PATH_MAX];
	char exe[PATH_MAX], path[PATH_MAX + 64], *dir;
	ssize_t len;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	dir = strrchr(exe, '/');
	*dir = '\0';
	/* Named without the "..": /usr/lib/iommufd-bpf/NAME.bpf.o. */
	snprintf(path, sizeof(path), "%s/../lib/iommufd-bpf/%s.bpf.o", exe, name);
	if (!access(path, R_OK) && realpath(path, found))
		return found;
	snprintf(path, sizeof(path), "%s/../bpf/%s%s.bpf.o", exe, subdir, name);
	if (!access(path, R_OK) && realpath(path, found))
		return found;
	return NULL;
}

/* A shipped policy's object, or the FILE given. */
static char *find_policy(const char *arg)
{
	char *path;

	if (strchr(arg, '/') || strstr(arg, ".o"))
		return (char *)arg;
	path = valid_name(arg) ? find_object(arg, "policies/") : NULL;
	if (!path)
		die("no policy called %s (shipped: deny_resv_direct, pci_allowlist, pin_quota; or give a FILE)",
		    arg);
	return path;
}

/* ---- the VFIO gate ---------------------------------------------------- */

static const char *const gate_progs[] = { "vfio_gate", "vfio_gate_compat" };

/* Whether the running kernel has BPF LSM active; *why says why not. */
static bool bpf_lsm_active(const char **why)
{
	char list[512];
	size_t n;
	FILE *f = fopen(LSM_LIST, "r");

	if (!f) {
		*why = "cannot read " LSM_LIST " (mount -t securityfs securityfs /sys/kernel/security)";
		return false;
	}
	n = fread(list, 1, sizeof(list) - 1, f);
	fclose(f);
	list[n] = '\0';
	list[strcspn(list, "\n")] = '\0';
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
		if (!strcmp(tok, "bpf"))
			return true;
	*why = "bpf is not among the active LSMs (" LSM_LIST "; boot with lsm=...,bpf)";
	return false;
}

static bool gate_loaded(void)
{
	char pin[PATH_MAX];

	snprintf(pin, sizeof(pin), GATE_DIR "/%s", gate_progs[0]);
	return !access(pin, F_OK);
}

/*
 * Load the VFIO gate unless it is there; a gate that cannot be loaded is
 * reported in one line, and the policy stays loaded without it.
 */
static void gate_load(void)
{
	struct bpf_link *links[2] = {};
	struct bpf_object *obj;
	char pin[PATH_MAX];
	const char *why;
	char *file;
	int rc = 0;
	size_t i;

	if (gate_loaded())
		return;
	if (!bpf_lsm_active(&why)) {
		fprintf(stderr, "%s: no VFIO gate: %s; VFIO groups are decided only on containers this module serves\n",
			prog, why);
		return;
	}
	file = find_object("vfio_gate", "");
	if (!file) {
		fprintf(stderr, "%s: no VFIO gate: vfio_gate.bpf.o is not installed next to %s\n",
			prog, prog);
		return;
	}
	obj = bpf_object__open_file(file, NULL);
	rc = obj ? bpf_object__load(obj) : -errno;
	if (rc) {
		fprintf(stderr, "%s: no VFIO gate: the kernel refused %s: %s\n",
			prog, file, strerror(-rc));
		bpf_object__close(obj);
		return;
	}
	if (mkdir(GATE_DIR, 0700) && errno != EEXIST) {
		rc = -errno;
		goto err;
	}
	for (i = 0; i < 2 && !rc; i++) {
		struct bpf_program *p =
			bpf_object__find_program_by_name(obj, gate_progs[i]);

		links[i] = p ? bpf_program__attach_lsm(p) : NULL;
		if (!links[i]) {
			rc = p && errno ? -errno : -ENOENT;
			break;
		}
		snprintf(pin, sizeof(pin), GATE_DIR "/%s", gate_progs[i]);
		rc = bpf_link__pin(links[i], pin);
	}
err:
	if (rc) {
		fprintf(stderr, "%s: no VFIO gate: cannot attach or pin it: %s\n",
			prog, strerror(-rc));
		for (i = 0; i < 2; i++) {
			snprintf(pin, sizeof(pin), GATE_DIR "/%s", gate_progs[i]);
			unlink(pin);
		}
	}
	for (i = 0; i < 2; i++) {
		if (links[i] && !rc)
			bpf_link__disconnect(links[i]);
		bpf_link__destroy(links[i]);
	}
	bpf_object__close(obj);
}

/* Unload the VFIO gate once no policy of iommupolicy's is left. */
static void gate_unload_if_unused(void)
{
	char pin[PATH_MAX];
	struct dirent *d;
	bool used = false;
	DIR *dir = opendir(PIN_DIR);

	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			used = true;
	if (dir)
		closedir(dir);
	if (used)
		return;
	for (size_t i = 0; i < 2; i++) {
		snprintf(pin, sizeof(pin), GATE_DIR "/%s", gate_progs[i]);
		unlink(pin);
	}
	rmdir(GATE_DIR);
}

/* The one struct_ops map of type iommufd_policy_ops in @obj, or NULL. */
static struct bpf_map *policy_map(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map, *found = NULL;

	bpf_object__for_each_map(map, obj) {
		const struct btf_type *t;

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		t = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
		if (!t || strcmp(btf__name_by_offset(btf, t->name_off), OPS_TYPE))
			continue;
		if (found)
			return NULL;
		found = map;
	}
	return found;
}

/* Offset of @member in the struct_ops value, from the object's BTF. */
static long ops_member(struct bpf_object *obj, struct bpf_map *map,
		       const char *member)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *t;
	const struct btf_member *m;

	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return m->offset / 8;
	return -1;
}

/* Parse a knob value: a number, or VVVV:DDDD[:CCCCCC] for PCI IDs. */
static int parse_item(const char *s, uint64_t *out)
{
	unsigned long vendor, device, class;
	char *end;
	int n;

	if (strchr(s, ':')) {
		n = sscanf(s, "%lx:%lx:%lx", &vendor, &device, &class);
		if (n < 2 || vendor > 0xffff || device > 0xffff ||
		    (n == 3 && class > 0xffffff))
			return -1;
		*out = PCI_ALLOW_ENTRY(vendor, device);
		if (n == 3)
			*out |= PCI_ALLOW_HAS_CLASS | class;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

/* Store @v in @size bytes at @p. */
static void put(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = v; break;
	case 2: *(uint16_t *)p = v; break;
	case 4: *(uint32_t *)p = v; break;
	default: *(uint64_t *)p = v; break;
	}
}

/*
 * Set the global @key of @obj's data sections to @value: an integer, or a
 * comma-separated list for an array of integers.  Lists the knobs there
 * are when @key is not one of them.
 */
static void set_knob(struct bpf_object *obj, const char *policy,
		     const char *key, const char *value)
{
	struct btf *btf = bpf_object__btf(obj);
	char knobs[512] = "";
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const struct btf_type *sec;
		const struct btf_var_secinfo *vs;
		size_t size;
		char *data;

		if (bpf_map__type(map) != BPF_MAP_TYPE_ARRAY ||
		    !bpf_map__btf_value_type_id(map))
			continue;
		sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
		if (!btf_is_datasec(sec))
			continue;
		data = bpf_map__initial_value(map, &size);
		vs = btf_var_secinfos(sec);
		for (int i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			const char *name = btf__name_by_offset(btf, var->name_off);
			const struct btf_type *t;
			size_t elem, n = 1;
			uint64_t v;
			char *copy, *item, *save;

			if (strcmp(name, key)) {
				if (strlen(knobs) + strlen(name) + 3 < sizeof(knobs))
					snprintf(knobs + strlen(knobs),
						 sizeof(knobs) - strlen(knobs),
						 "%s%s", *knobs ? ", " : "", name);
				continue;
			}
			t = btf__type_by_id(btf, btf__resolve_type(btf, var->type));
			elem = btf__resolve_size(btf, var->type);
			if (btf_is_array(t)) {
				n = btf_array(t)->nelems;
				elem = btf__resolve_size(btf, btf_array(t)->type);
			}
			if (!data || vs->offset + elem * n > size || elem > 8)
				die("%s: knob %s cannot be set", policy, key);
			copy = strdup(value);
			size_t i2 = 0;

			for (item = strtok_r(copy, ",", &save); item;
			     item = strtok_r(NULL, ",", &save), i2++) {
				if (i2 == n)
					die("%s: %s takes at most %zu values", policy, key, n);
				if (parse_item(item, &v))
					die("%s: bad value '%s' for %s (a number, or VVVV:DDDD[:CCCCCC])",
					    policy, item, key);
				put(data + vs->offset + i2 * elem, elem, v);
			}
			free(copy);
			return;
		}
	}
	die("policy %s has no knob %s (its knobs: %s)", policy, key,
	    *knobs ? knobs : "none");
}

/*
 * Policies run under RCU and may not sleep; the module refuses a sleepable
 * program, but the verifier's words for that ("attach to unsupported
 * member") do not say why.
 */
static void refuse_sleepable(struct bpf_object *obj, const char *file)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (!strncmp(bpf_program__section_name(p), "struct_ops.s/", 13))
			die("%s: program %s is sleepable, and policies may not sleep: use SEC(\"struct_ops/...\")",
			    file, bpf_program__name(p));
}

#define MAX_KNOBS 32

/* What to load: a policy (shipped NAME or FILE), its name, mode, knobs. */
struct load_spec {
	const char *policy;
	const char *name;		/* NULL: the policy's own */
	bool audit;
	int nknobs;
	const char *knobs[MAX_KNOBS];	/* KEY=VALUE */
};

/*
 * Open @spec's object and set it up (name, mode, knobs) without loading
 * it: every mistake of @spec is found here.  Its map in *mapp, its name in
 * @policy_name.
 */
static struct bpf_object *open_policy(const struct load_spec *spec,
				      struct bpf_map **mapp,
				      char policy_name[NAME_LEN])
{
	const char *name = spec->name, *file;
	struct bpf_object *obj;
	struct bpf_map *map;
	long name_off, flags_off;
	char *value;
	size_t size;
	int i;

	file = find_policy(spec->policy);
	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		die("cannot open %s: %s", file, strerror(errno));
	refuse_sleepable(obj, file);
	map = policy_map(obj);
	if (!map)
		die("%s is not an iommufd policy (it needs exactly one struct_ops map of type %s)",
		    file, OPS_TYPE);
	value = bpf_map__initial_value(map, &size);
	name_off = ops_member(obj, map, "name");
	flags_off = ops_member(obj, map, "flags");
	if (!value || name_off < 0 || flags_off < 0)
		die("%s is not an iommufd policy (its %s has no name or flags)",
		    file, OPS_TYPE);
	if (name) {
		if (!valid_name(name))
			die("bad name '%s': 1 to 31 of A-Z a-z 0-9 _ . -", name);
		memset(value + name_off, 0, NAME_LEN);
		memcpy(value + name_off, name, strlen(name));
	}
	memcpy(policy_name, value + name_off, NAME_LEN);
	policy_name[NAME_LEN - 1] = '\0';
	if (!valid_name(policy_name))
		die("%s names its policy '%s', which is not a valid name: use --name",
		    file, policy_name);
	if (spec->audit)
		*(uint32_t *)(value + flags_off) |= IOMMUFD_POLICY_F_AUDIT;

	for (i = 0; i < spec->nknobs; i++) {
		char key[128];
		const char *eq = strchr(spec->knobs[i], '=');

		if (!eq || eq == spec->knobs[i] ||
		    eq - spec->knobs[i] >= (long)sizeof(key))
			die("--set needs KEY=VALUE, not '%s'", spec->knobs[i]);
		memcpy(key, spec->knobs[i], eq - spec->knobs[i]);
		key[eq - spec->knobs[i]] = '\0';
		set_knob(obj, policy_name, key, eq + 1);
	}
	*mapp = map;
	return obj;
}

/* Load and attach @spec, pin it; the name it got in @out. */
static void load_policy(const struct load_spec *spec, char out[NAME_LEN])
{
	char pin[PATH_MAX], policy_name[NAME_LEN];
	const char *file = find_policy(spec->policy);
	struct bpf_link *link;
	struct bpf_object *obj;
	struct bpf_map *map;
	int rc;

	obj = open_policy(spec, &map, policy_name);
	snprintf(pin, sizeof(pin), PIN_DIR "/%s", policy_name);
	if (!access(pin, F_OK))
		die("a policy called %s is loaded already (%s): unload it or use --name",
		    policy_name, pin);
	/* Only the policy's own programs: other maps' programs may not load. */
	rc = bpf_object__load(obj);
	if (rc)
		die("the kernel refused %s: %s (the verifier's log is above)",
		    file, strerror(-rc));
	link = bpf_map__attach_struct_ops(map);
	if (!link) {
		if (errno == EEXIST)
			die("a policy called %s is loaded already: use --name", policy_name);
		die("cannot attach %s: %s", policy_name, strerror(errno));
	}
	if (mkdir(PIN_DIR, 0700) && errno != EEXIST)
		die("cannot create %s: %s", PIN_DIR, strerror(errno));
	rc = bpf_link__pin(link, pin);
	if (rc)
		die("cannot pin the policy at %s: %s (it is unloaded again)",
		    pin, strerror(-rc));
	printf("loaded %s%s from %s, pinned at %s\n", policy_name,
	       spec->audit ? " (audit mode)" : "", file, pin);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	memcpy(out, policy_name, NAME_LEN);
	gate_load();
}

/*
 * Put @spec in the place of the policy pinned under its name, in one step
 * (the link moves to the new map: no moment without either).  False when
 * nothing is pinned there.
 */
static bool replace_policy(const struct load_spec *spec)
{
	char pin[PATH_MAX], policy_name[NAME_LEN];
	const char *file = find_policy(spec->policy);
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;
	int rc;

	snprintf(pin, sizeof(pin), PIN_DIR "/%s", spec->name);
	if (access(pin, F_OK))
		return false;
	obj = open_policy(spec, &map, policy_name);
	rc = bpf_object__load(obj);
	if (rc)
		die("the kernel refused %s: %s (the verifier's log is above; %s stays as it was)",
		    file, strerror(-rc), policy_name);
	link = bpf_link__open(pin);
	if (!link)
		die("cannot open %s: %s", pin, strerror(errno));
	rc = bpf_link__update_map(link, map);
	if (rc)
		die("cannot replace %s: %s (it stays as it was)", policy_name,
		    strerror(-rc));
	printf("replaced %s%s from %s\n", policy_name,
	       spec->audit ? " (audit mode)" : "", file);
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return true;
}

static int cmd_load(int argc, char **argv)
{
	struct load_spec spec = {};
	char name[NAME_LEN];
	int i;

	if (argc < 1)
		usage();
	spec.policy = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			spec.name = argv[++i];
		else if (!strcmp(argv[i], "--audit"))
			spec.audit = true;
		else if (!strcmp(argv[i], "--set") && i + 1 < argc &&
			 spec.nknobs < MAX_KNOBS)
			spec.knobs[spec.nknobs++] = argv[++i];
		else
			usage();
	}
	check_env(true);
	load_policy(&spec, name);
	return 0;
}

/* Split one tab-separated line into at most @max fields. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	for (char *p = strtok(line, "\t"); p && n < max; p = strtok(NULL, "\t"))
		f[n++] = p;
	return n;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static int cmd_list(int argc, char **argv)
{
	bool json = argc == 1 && !strcmp(argv[0], "--json");
	char line[512], since[32], *f[6];
	bool first = true;
	FILE *in;

	if (argc && !json)
		usage();
	check_env(false);
	in = fopen(DEBUGFS "/policies", "r");
	if (!in)
		die("cannot read %s/policies: %s", DEBUGFS, strerror(errno));
	if (!fgets(line, sizeof(line), in))
		die("%s/policies is empty: is the module current?", DEBUGFS);
	if (json)
		printf("[");
	else
		printf("%-16s %-18s %-8s %-20s %10s %10s\n", "NAME", "HOOKS",
		       "MODE", "SINCE", "ALLOWED", "DENIED");
	while (fgets(line, sizeof(line), in)) {
		if (fields(line, f, 6) != 6)
			continue;
		f[1][strlen(f[1]) - (f[1][strlen(f[1]) - 1] == ',')] = '\0';
		iso_time(strtoll(f[3], NULL, 10), since, sizeof(since));
		if (json) {
			printf("%s{\"name\":", first ? "" : ",");
			json_str(f[0]);
			printf(",\"hooks\":");
			json_str(f[1]);
			printf(",\"mode\":");
			json_str(f[2]);
			printf(",\"since\":");
			json_str(since);
			printf(",\"allowed\":%s,\"denied\":%s}", f[4], f[5]);
		} else {
			printf("%-16s %-18s %-8s %-20s %10s %10s\n", f[0], f[1],
			       f[2], since, f[4], f[5]);
		}
		first = false;
	}
	if (json)
		printf("]\n");
	else if (!first)
		printf("VFIO gate: %s\n", gate_loaded() ? "loaded" :
		       "not loaded (VFIO groups are decided only on containers this module serves)");
	fclose(in);
	return 0;
}

/* Unload the policy pinned as @name; false when there is no such pin. */
static bool unload_policy(const char *name)
{
	char pin[PATH_MAX], line[512], *f[6];
	bool gone = false;

	snprintf(pin, sizeof(pin), PIN_DIR "/%s", name);
	if (unlink(pin))
		return false;
	/* The link goes when its last reference does, a moment later. */
	for (int i = 0; i < 100 && !gone; i++) {
		FILE *in = fopen(DEBUGFS "/policies", "r");

		gone = true;
		while (in && fgets(line, sizeof(line), in))
			if (fields(line, f, 6) == 6 && !strcmp(f[0], name))
				gone = false;
		if (in)
			fclose(in);
		if (!gone)
			usleep(20000);
	}
	if (!gone)
		die("%s is still attached: something else holds its link", name);
	printf("unloaded %s\n", name);
	gate_unload_if_unused();
	return true;
}

static int cmd_unload(int argc, char **argv)
{
	if (argc != 1)
		usage();
	check_env(true);
	if (!valid_name(argv[0]))
		die("bad name '%s'", argv[0]);
	if (!unload_policy(argv[0]))
		die("no policy %s loaded by iommupolicy (%s/%s: %s); see iommupolicy list",
		    argv[0], PIN_DIR, argv[0], strerror(errno));
	return 0;
}

/*
 * Print the decisions after @after (as JSON, one object per line); returns
 * the last seq seen.
 */
static long long print_log(long long after, bool json)
{
	char line[512], when[40], *f[10];
	long long last = after;
	FILE *in = fopen(DEBUGFS "/decisions", "r");

	if (!in)
		die("cannot read %s/decisions: %s", DEBUGFS, strerror(errno));
	if (!fgets(line, sizeof(line), in))
		die("%s/decisions is empty: is the module current?", DEBUGFS);
	while (fgets(line, sizeof(line), in)) {
		long long seq, ns;
		time_t t;
		struct tm tm;

		if (fields(line, f, 10) != 10)
			continue;
		seq = strtoll(f[0], NULL, 10);
		if (seq <= after)
			continue;
		last = seq;
		ns = strtoll(f[1], NULL, 10);
		t = ns / 1000000000;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
		snprintf(when + strlen(when), sizeof(when) - strlen(when),
			 ".%03lldZ", ns / 1000000 % 1000);
		if (json) {
			printf("{\"time\":");
			json_str(when);
			printf(",\"hook\":");
			json_str(f[2]);
			printf(",\"object\":");
			json_str(f[3]);
			printf(",\"pid\":%s,\"comm\":", f[4]);
			json_str(f[5]);
			printf(",\"verdict\":");
			json_str(f[6]);
			printf(",\"policy\":");
			json_str(f[7]);
			printf(",\"errno\":%d,\"detail\":", -atoi(f[8]));
			json_str(strcmp(f[9], "-") ? f[9] : "");
			printf("}\n");
		} else {
			printf("%-24s %-6s %-22s %7s/%-15s %-10s %-16s %-24s %s\n",
			       when, f[2], f[3], f[4], f[5], f[6], f[7],
			       atoi(f[8]) ? strerror(-atoi(f[8])) : "-", f[9]);
		}
	}
	fclose(in);
	fflush(stdout);
	return last;
}

static int cmd_log(int argc, char **argv)
{
	bool follow = false, json = false;
	long long last;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f"))
			follow = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			usage();
	}
	check_env(false);
	if (!json)
		printf("%-24s %-6s %-22s %7s/%-15s %-10s %-16s %-24s %s\n",
		       "TIME", "HOOK", "DEVICE/IOAS", "PID", "COMM", "VERDICT",
		       "POLICY", "ERRNO", "DETAIL");
	last = print_log(-1, json);
	while (follow) {
		usleep(200000);
		last = print_log(last, json);
	}
	return 0;
}

/* ---- apply: a site's policies from a file ------------------------------ */

#define STATE_DIR "/run/iommupolicy"
#define MAX_ENTRIES 64

struct apply_entry {
	struct load_spec spec;
	char canon[1024];	/* what the state file records */
	int line;
};

static const char *apply_file;
static int apply_line;
static char apply_where[PATH_MAX + 16];

/* Errors from here on name the file and line. */
static void apply_at(int line)
{
	apply_line = line;
	snprintf(apply_where, sizeof(apply_where), "%s:%d", apply_file, line);
	die_where = apply_where;
}

/*
 * One line: NAME POLICY [audit|enforce] [KEY=VALUE ...], words separated
 * by blanks; '#' starts a comment.  The words stay in @buf.
 */
static bool parse_line(char *buf, struct apply_entry *e)
{
	char *word, *save;
	size_t len;
	int n = 0;

	buf[strcspn(buf, "#\n")] = '\0';
	for (word = strtok_r(buf, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save), n++) {
		if (n == 0) {
			if (!valid_name(word))
				die("bad name '%s': 1 to 31 of A-Z a-z 0-9 _ . -",
				    word);
			e->spec.name = word;
		} else if (n == 1) {
			e->spec.policy = word;
		} else if (!strcmp(word, "audit")) {
			e->spec.audit = true;
		} else if (!strcmp(word, "enforce")) {
			e->spec.audit = false;
		} else if (strchr(word, '=') && strchr(word, '=') != word) {
			if (e->spec.nknobs == MAX_KNOBS)
				die("more than %d knobs", MAX_KNOBS);
			e->spec.knobs[e->spec.nknobs++] = word;
		} else {
			die("'%s' is neither audit, enforce nor KEY=VALUE",
			    word);
		}
	}
	if (n == 1)
		die("%s names no policy: NAME POLICY [audit] [KEY=VALUE ...]",
		    e->spec.name);
	if (!n)
		return false;
	len = snprintf(e->canon, sizeof(e->canon), "%s %s", e->spec.policy,
		       e->spec.audit ? "audit" : "enforce");
	for (int i = 0; i < e->spec.nknobs && len < sizeof(e->canon); i++)
		len += snprintf(e->canon + len, sizeof(e->canon) - len, " %s",
				e->spec.knobs[i]);
	if (len + 2 > sizeof(e->canon))
		die("the line is longer than %zu bytes", sizeof(e->canon) - 2);
	strcat(e->canon, "\n");
	return true;
}

/* What apply recorded for @name, in @buf; false if nothing. */
static bool read_state(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

static void write_state(const char *name, const char *canon)
{
	char path[PATH_MAX];
	FILE *f;

	if (mkdir(STATE_DIR, 0700) && errno != EEXIST)
		die("cannot create %s: %s", STATE_DIR, strerror(errno));
	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	f = fopen(path, "w");
	if (!f || fputs(canon, f) < 0 || fclose(f))
		die("cannot write %s: %s", path, strerror(errno));
}

/*
 * Make the loaded policies what @file says: load what is missing, reload
 * what changed, keep what is the same, unload what apply loaded before and
 * the file no longer names.  Policies loaded by hand under other names are
 * left alone.
 */
static int cmd_apply(int argc, char **argv)
{
	static struct apply_entry entries[MAX_ENTRIES];
	static char text[MAX_ENTRIES * 1024];
	char state[1024], pin[PATH_MAX], name[NAME_LEN], *line, *save;
	int n = 0, i, j, loaded = 0, kept = 0, unloaded = 0;
	static struct apply_entry e;
	struct bpf_map *map;
	struct dirent *d;
	size_t len;
	FILE *f;
	DIR *dir;

	if (argc != 1)
		usage();
	apply_file = argv[0];
	f = fopen(apply_file, "r");
	if (!f)
		die("cannot read %s: %s", apply_file, strerror(errno));
	len = fread(text, 1, sizeof(text) - 1, f);
	if (len == sizeof(text) - 1 && fgetc(f) != EOF)
		die("%s: larger than %zu bytes", apply_file, sizeof(text) - 1);
	fclose(f);
	text[len] = '\0';
	check_env(true);

	/* All of it is checked before anything is loaded. */
	/* Line by line, blank ones counted. */
	for (line = text; line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		apply_at(apply_line + 1);
		memset(&e, 0, sizeof(e));
		e.line = apply_line;
		if (!parse_line(line, &e))
			continue;
		if (n == MAX_ENTRIES)
			die("more than %d policies", MAX_ENTRIES);
		entries[n] = e;
		for (j = 0; j < n; j++)
			if (!strcmp(entries[j].spec.name, entries[n].spec.name))
				die("%s is named twice (first on line %d)",
				    entries[n].spec.name, entries[j].line);
		/* The object, its knobs: opened and set up, not loaded. */
		bpf_object__close(open_policy(&entries[n].spec, &map, name));
		n++;
	}

	for (i = 0; i < n; i++) {
		struct apply_entry *e = &entries[i];

		apply_at(e->line);
		snprintf(pin, sizeof(pin), PIN_DIR "/%s", e->spec.name);
		if (!access(pin, F_OK) &&
		    read_state(e->spec.name, state, sizeof(state)) &&
		    !strcmp(state, e->canon)) {
			printf("unchanged %s\n", e->spec.name);
			kept++;
			continue;
		}
		/* Changed, or loaded by hand under this name: replaced. */
		if (!replace_policy(&e->spec))
			load_policy(&e->spec, name);
		write_state(e->spec.name, e->canon);
		loaded++;
	}

	/* What an earlier apply loaded and the file no longer names. */
	die_where = NULL;
	dir = opendir(STATE_DIR);
	while (dir && (d = readdir(dir))) {
		bool named = false;

		if (d->d_name[0] == '.')
			continue;
		for (i = 0; i < n && !named; i++)
			named = !strcmp(entries[i].spec.name, d->d_name);
		if (named)
			continue;
		unloaded += unload_policy(d->d_name);
		snprintf(pin, sizeof(pin), STATE_DIR "/%s", d->d_name);
		unlink(pin);
	}
	if (dir)
		closedir(dir);
	printf("applied %s: %d loaded, %d unchanged, %d unloaded\n",
	       apply_file, loaded, kept, unloaded);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "load"))
		return cmd_load(argc - 2, argv + 2);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unload"))
		return cmd_unload(argc - 2, argv + 2);
	if (!strcmp(argv[1], "log"))
		return cmd_log(argc - 2, argv + 2);
	if (!strcmp(argv[1], "apply"))
		return cmd_apply(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage_exit(0);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage();
}
