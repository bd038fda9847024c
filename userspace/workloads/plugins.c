// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loading users' plugins (see plugins.h and docs/PLUGINS.md). A plugin is checked whole
 * before anything of it is taken: the file, dlopen, the entry symbol, the ABI, then
 * every registration (type, name, required functions, a name no other plugin took).
 * Any failure is one sentence and the plugin is unloaded, so the runner can exit 2
 * before anything runs. The file's build id and a hash of its bytes identify the build
 * in report.json, so that compare can tell another build or another implementation.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "workloads/plugins.h"

const char *plugins_pool_names[PLUGINS_MAX_IMPLS + 2] = { "builtin" };
const char *plugins_chan_names[PLUGINS_MAX_IMPLS + 2] = { "builtin" };
const char *plugins_bench_names[PLUGINS_MAX_IMPLS + 1];
const char plugins_enum_hint_text[] = "name the plugin that registers it with --plugin FILE (in a "
				 "suite, a 'plugin FILE' line above this one)";

const char *plugins_enum_hint(const char *const *vals)
{
	return vals == plugins_pool_names || vals == plugins_chan_names ||
	       vals == plugins_bench_names ? plugins_enum_hint_text : NULL;
}

static const char *const type_word[PLUGINS_NTYPES] = { "pool", "channel", "benchmark function" };

struct impl {
	const void *ops;       /* struct opscope_pool_impl / chan_impl / bench */
	const char *help;
	int file;              /* index into files[] */
};

static struct plugins_file files[PLUGINS_MAX_FILES];
static dev_t file_dev[PLUGINS_MAX_FILES];
static ino_t file_ino[PLUGINS_MAX_FILES];
static int nfiles;
/* per type, in the order of the name arrays (pool and channel: [0] is builtin) */
static struct impl impls[PLUGINS_NTYPES][PLUGINS_MAX_IMPLS + 1];
static int nimpls[PLUGINS_NTYPES];

static const char **names_of(enum plugins_type t)
{
	return t == PLUGINS_POOL ? plugins_pool_names :
	       t == PLUGINS_CHANNEL ? plugins_chan_names : plugins_bench_names;
}

/* Index of the first plugin entry in the name array of t. */
static int first_of(enum plugins_type t)
{
	return t == PLUGINS_BENCH ? 0 : 1;
}

static const void *impl_at(enum plugins_type t, int64_t idx)
{
	if (idx < first_of(t) || idx >= first_of(t) + nimpls[t])
		return NULL;
	return impls[t][idx].ops;
}

const struct opscope_pool_impl *plugins_pool(int64_t idx)
{
	return impl_at(PLUGINS_POOL, idx);
}

const struct opscope_chan_impl *plugins_chan(int64_t idx)
{
	return impl_at(PLUGINS_CHANNEL, idx);
}

const struct opscope_bench *plugins_bench(int64_t idx)
{
	return impl_at(PLUGINS_BENCH, idx);
}

const char *plugins_help(const char *const *vals, int64_t idx)
{
	for (int t = 0; t < PLUGINS_NTYPES; t++)
		if (vals == names_of(t))
			return impl_at(t, idx) ? impls[t][idx].help : NULL;
	return NULL;
}

bool plugins_scenario_impl(const struct wl_config *cfg, const char **name,
			   const struct plugins_file **file)
{
	const struct wl_param_def *p = cfg->wl ? cfg->wl->params : NULL;

	for (int i = 0; p && p[i].name; i++) {
		for (int t = 0; t < PLUGINS_NTYPES; t++) {
			int64_t v = cfg->iv[i];

			if (p[i].type != WL_P_ENUM || p[i].enum_vals != names_of(t))
				continue;
			*name = v >= 0 && v < first_of(t) + nimpls[t] ? names_of(t)[v] : "?";
			*file = impl_at(t, v) ? &files[impls[t][v].file] : NULL;
			return true;
		}
	}
	return false;
}

int plugins_describe(int i, char *buf, size_t len)
{
	static const char *const plural[PLUGINS_NTYPES] = { "pools", "channels", "functions" };
	const char *sep = " ";
	size_t off;

	if (i < 0 || i >= nfiles)
		return -ENOENT;
	off = (size_t)snprintf(buf, len, "plugin %s (%s%s):", files[i].path,
			       files[i].build_id[0] ? "build id " : "",
			       files[i].build_id[0] ? files[i].build_id : files[i].hash);
	for (int t = 0; t < PLUGINS_NTYPES; t++) {
		const char *word = plural[t];

		for (int j = first_of(t); j < first_of(t) + nimpls[t] && off < len; j++) {
			if (impls[t][j].file != i)
				continue;
			off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s", word ? sep : ", ",
						word ? word : "", word ? " " : "", names_of(t)[j]);
			word = NULL;
			sep = "; ";
		}
	}
	return 0;
}

/* FNV-1a, 64 bits, of the file's bytes: identifies a build that carries no build id. A
 * streaming read (nothing buffered) of a regular file dlopen just loaded. */
static int file_hash(const char *path, char *out, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	close(fd);
	if (n < 0)
		return -EIO;
	snprintf(out, len, "fnv1a64:%016llx", (unsigned long long)h);
	return 0;
}

struct bid_ctx {
	ElfW(Addr) base;
	char *hex;
	size_t len;
};

/* The GNU build id note among the loaded object's program headers. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct bid_ctx *c = arg;

	if (info->dlpi_addr != c->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end;

		if (ph->p_type != PT_NOTE)
			continue;
		for (end = p + ph->p_memsz; p + sizeof(ElfW(Nhdr)) <= end;) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *nm = p + sizeof(*nh);
			const unsigned char *d;

			d = (const unsigned char *)nm + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(nm, "GNU", 4)) {
				size_t w = 0;

				for (uint32_t j = 0; j < nh->n_descsz && w + 3 <= c->len; j++)
					w += (size_t)snprintf(c->hex + w, c->len - w, "%02x", d[j]);
				return 1;
			}
			p = (const char *)d + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

static void build_id_of(void *h, char *hex, size_t len)
{
	struct link_map *lm = NULL;
	struct bid_ctx c = { 0, hex, len };

	hex[0] = '\0';
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) || !lm)
		return;
	c.base = lm->l_addr;
	dl_iterate_phdr(find_build_id, &c);
}

static bool valid_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (!len || len >= PLUGINS_NAME_MAX)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_' && *n != '-' && *n != '.')
			return false;
	return true;
}

/* Who registered name as a t already: a file name, or NULL. */
static const char *taken_by(enum plugins_type t, const char *name)
{
	for (int i = 0; i < nimpls[t]; i++)
		if (!strcmp(names_of(t)[first_of(t) + i], name))
			return files[impls[t][first_of(t) + i].file].path;
	return NULL;
}

/* One registration: its type, name and required functions. */
static int check_reg(const char *path, const struct opscope_reg *r, enum plugins_type *t,
		     const char **name, const char **help, char *err, size_t errlen)
{
	const char *missing = NULL;

	if (r->type < OPSCOPE_REG_POOL || r->type > OPSCOPE_REG_BENCH || !r->impl) {
		snprintf(err, errlen, "plugin %s registers an implementation of unknown type %u; "
			 "rebuild it against this opscope's <opscope/plugin.h>", path, r->type);
		return -EINVAL;
	}
	if (r->type == OPSCOPE_REG_POOL) {
		const struct opscope_pool_impl *p = r->impl;

		*t = PLUGINS_POOL;
		*name = p->name;
		*help = p->help;
		missing = !p->create ? "create" : !p->submit ? "submit" :
			  !p->destroy ? "destroy" : NULL;
	} else if (r->type == OPSCOPE_REG_CHANNEL) {
		const struct opscope_chan_impl *c = r->impl;

		*t = PLUGINS_CHANNEL;
		*name = c->name;
		*help = c->help;
		missing = !c->create ? "create" : !c->send ? "send" : !c->recv ? "recv" :
			  !c->close ? "close" : !c->destroy ? "destroy" : NULL;
	} else {
		const struct opscope_bench *b = r->impl;

		*t = PLUGINS_BENCH;
		*name = b->name;
		*help = b->help;
		missing = !b->fn ? "fn" : NULL;
	}
	if (!valid_name(*name) || !strcmp(*name, "builtin")) {
		snprintf(err, errlen, "plugin %s registers a %s named '%s'; name it with 1 to %d "
			 "letters, digits, '_', '-' or '.', and not 'builtin'", path,
			 type_word[*t], *name ? *name : "(null)", PLUGINS_NAME_MAX - 1);
		return -EINVAL;
	}
	if (missing) {
		snprintf(err, errlen, "plugin %s: %s %s has no %s function; set it "
			 "(docs/PLUGINS.md says which are required)", path, type_word[*t], *name,
			 missing);
		return -EINVAL;
	}
	return 0;
}

/* Every registration checked, then taken; nothing is taken when one is bad. */
static int take_regs(const char *path, const struct opscope_plugin *pl, char *err,
		     size_t errlen)
{
	int add[PLUGINS_NTYPES] = { 0 }, n = 0, rc;
	const struct opscope_reg *r;

	for (r = pl->head; r; r = r->next, n++) {
		const char *name, *help, *other;
		enum plugins_type t;

		if (n > PLUGINS_NTYPES * PLUGINS_MAX_IMPLS) {
			snprintf(err, errlen, "plugin %s registers too many implementations (or "
				 "its list loops); at most %d of each type", path,
				 PLUGINS_MAX_IMPLS);
			return -E2BIG;
		}
		rc = check_reg(path, r, &t, &name, &help, err, errlen);
		if (rc)
			return rc;
		other = taken_by(t, name);
		for (const struct opscope_reg *q = pl->head; !other && q != r; q = q->next) {
			const char *qn, *qh;
			enum plugins_type qt;

			if (!check_reg(path, q, &qt, &qn, &qh, err, errlen) && qt == t &&
			    !strcmp(qn, name))
				other = path;
		}
		if (other) {
			snprintf(err, errlen, "plugin %s registers a %s named '%s', which %s "
				 "already registers; give it another name", path, type_word[t],
				 name, strcmp(other, path) ? other : "it");
			return -EEXIST;
		}
		if (nimpls[t] + ++add[t] > PLUGINS_MAX_IMPLS) {
			snprintf(err, errlen, "plugin %s: more than %d %ss are loaded; load fewer "
				 "plugins", path, PLUGINS_MAX_IMPLS, type_word[t]);
			return -E2BIG;
		}
	}
	if (!n) {
		snprintf(err, errlen, "plugin %s registers nothing; register a pool, a channel or "
			 "a function with the OPSCOPE_REGISTER_* or OPSCOPE_BENCHMARK macros of "
			 "<opscope/plugin.h>", path);
		return -ENOENT;
	}
	for (r = pl->head; r; r = r->next) {
		const char *name, *help;
		enum plugins_type t;
		int i;

		check_reg(path, r, &t, &name, &help, err, errlen);
		i = first_of(t) + nimpls[t]++;
		impls[t][i] = (struct impl){ r->impl, help, nfiles };
		names_of(t)[i] = name;
	}
	return 0;
}

/* The file: exists, is a regular file; its real path (for dlopen: never a search). */
static int check_file(const char *path, char *real, struct stat *st, char *err, size_t errlen)
{
	if (stat(path, st)) {
		int e = errno;

		snprintf(err, errlen, "plugin %s: %s; check the path (a suite's plugin lines are "
			 "relative to the suite file)", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "plugin %s is not a file; name the shared object (.so)",
			 path);
		return -EINVAL;
	}
	if (!realpath(path, real)) {
		int e = errno;

		snprintf(err, errlen, "plugin %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int plugins_load(const char *path, char *err, size_t errlen)
{
	const struct opscope_plugin *(*entry)(void);
	const struct opscope_plugin *pl;
	char real[PATH_MAX];
	struct plugins_file *f;
	struct stat st;
	void *h;
	int rc;

	rc = check_file(path, real, &st, err, errlen);
	if (rc)
		return rc;
	for (int i = 0; i < nfiles; i++)
		if (file_dev[i] == st.st_dev && file_ino[i] == st.st_ino)
			return 0; /* the same file again (command line and suite) */
	if (nfiles == PLUGINS_MAX_FILES) {
		snprintf(err, errlen, "plugin %s: at most %d plugins can be loaded; merge some",
			 path, PLUGINS_MAX_FILES);
		return -E2BIG;
	}
	h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		snprintf(err, errlen, "cannot load plugin %s: %s; build it with cc -shared -fPIC "
			 "(docs/PLUGINS.md)", path, why ? why : "unknown error");
		return -ENOEXEC;
	}
	*(void **)&entry = dlsym(h, "opscope_plugin_entry");
	pl = entry ? entry() : NULL;
	if (!entry) {
		snprintf(err, errlen, "%s is not an opscope plugin (no opscope_plugin_entry); "
			 "include <opscope/plugin.h> and register what it implements "
			 "(docs/PLUGINS.md)", path);
		rc = -ENOEXEC;
	} else if (!pl || pl->abi != OPSCOPE_PLUGIN_ABI || pl->size != sizeof(*pl)) {
		snprintf(err, errlen, "plugin %s was built against plugin ABI %u, and this "
			 "opscope speaks ABI %d; rebuild it against this opscope's "
			 "<opscope/plugin.h>", path, pl ? pl->abi : 0, OPSCOPE_PLUGIN_ABI);
		rc = -EPROTO;
	} else {
		f = &files[nfiles];
		memset(f, 0, sizeof(*f));
		snprintf(f->path, sizeof(f->path), "%s", real);
		rc = file_hash(real, f->hash, sizeof(f->hash));
		if (rc)
			snprintf(err, errlen, "plugin %s cannot be read: %s", path, strerror(-rc));
		else
			rc = take_regs(path, pl, err, errlen);
	}
	if (rc) {
		dlclose(h);
		return rc;
	}
	build_id_of(h, f->build_id, sizeof(f->build_id));
	file_dev[nfiles] = st.st_dev;
	file_ino[nfiles] = st.st_ino;
	nfiles++;
	return 0;
}
