// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Symbols for user stack addresses: libelf for the binaries mapped through
 * /proc/<pid>/maps (the kernel's are in ksyms.c). See symbols.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libiberty/demangle.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stacks/strpool.h"
#include "stacks/symbols.h"

/* ---- user: one binary ---- */

struct usym {
	uint64_t addr, size;
	size_t name;
	int rank; /* lower is preferred among aliases: global, weak, local */
};

struct seg {
	uint64_t off, vaddr, memsz;
};

struct dso {
	char *path;
	uint64_t ino;
	char build_id[41]; /* lowercase hex of the GNU build id (at most 20 bytes), or "" */
	bool has_lines;    /* the file itself carries DWARF line tables (.debug_line) */
	bool tried; /* open attempted */
	struct seg *segs; /* PT_LOAD segments; none when the ELF file could not be read */
	int nsegs;
	struct usym *syms;
	size_t nsyms;
	struct strpool strs;
	struct dso *next;
};

struct dso_set {
	char *debug_root;
	struct dso *head;
	size_t opened;
};

struct dso_set *dso_set_new(const struct dso_set_opts *opts)
{
	struct dso_set *ds = calloc(1, sizeof(*ds));

	if (!ds)
		return NULL;
	ds->debug_root = strdup(opts && opts->debug_root ? opts->debug_root : "/usr/lib/debug");
	if (!ds->debug_root) {
		free(ds);
		errno = ENOMEM;
		return NULL;
	}
	return ds;
}

void dso_set_free(struct dso_set *ds)
{
	struct dso *d, *n;

	if (!ds)
		return;
	for (d = ds->head; d; d = n) {
		n = d->next;
		free(d->path);
		free(d->segs);
		free(d->syms);
		free(d->strs.buf);
		free(d);
	}
	free(ds->debug_root);
	free(ds);
}

size_t dso_set_opened(const struct dso_set *ds)
{
	return ds ? ds->opened : 0;
}

static int usym_cmp(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	/* a sized symbol says more than a zero-sized label */
	if ((x->size == 0) != (y->size == 0))
		return x->size == 0 ? 1 : -1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/*
 * A symbol's name into d's pool, demangled when it is a C++ or Rust one: libiberty's
 * demangler (the one binutils and perf use), first with its Rust option (both Rust
 * manglings; legacy Rust names look like C++ ones with a hash), then as C++. Parameter
 * lists are kept: overloads stay apart.
 */
static long dso_add_name(struct dso *d, const char *name)
{
	char *dm = NULL;
	long off;

	if (name[0] == '_' && (name[1] == 'Z' || name[1] == 'R')) {
		dm = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
		if (!dm && name[1] == 'Z')
			dm = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_GNU_V3);
	}
	off = strpool_add(&d->strs, dm ? dm : name);
	free(dm);
	return off;
}

/* Add the FUNC symbols of every SYMTAB / DYNSYM section. Returns how many were added,
 * or -errno. */
static long dso_read_symbols(struct dso *d, Elf *elf)
{
	Elf_Scn *scn = NULL;
	long added = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		if (!sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;
			int type;
			long off;

			if (!gelf_getsym(data, (int)i, &s))
				continue;
			type = GELF_ST_TYPE(s.st_info);
			if (type != STT_FUNC && type != STT_GNU_IFUNC)
				continue;
			if (s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			if (d->nsyms % 1024 == 0) {
				struct usym *ns = realloc(d->syms, (d->nsyms + 1024) * sizeof(*ns));

				if (!ns)
					return -ENOMEM;
				d->syms = ns;
			}
			off = dso_add_name(d, name);
			if (off < 0)
				return off;
			d->syms[d->nsyms].addr = s.st_value;
			d->syms[d->nsyms].size = s.st_size;
			d->syms[d->nsyms].name = (size_t)off;
			switch (GELF_ST_BIND(s.st_info)) {
			case STB_GLOBAL:
				d->syms[d->nsyms].rank = 0;
				break;
			case STB_WEAK:
				d->syms[d->nsyms].rank = 1;
				break;
			default:
				d->syms[d->nsyms].rank = 2;
			}
			d->nsyms++;
			added++;
		}
	}
	return added;
}

static bool elf_has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

/* The GNU build id as lowercase hex, or "" when there is none. */
static void elf_build_id(Elf *elf, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	hex[0] = '\0';
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t off = 0, noff, name_off, desc_off;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((noff = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			off = noff;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4)) {
				const unsigned char *id = (unsigned char *)data->d_buf + desc_off;
				size_t i, w = 0;

				for (i = 0; i < nh.n_descsz && w + 3 <= len; i++)
					w += (size_t)snprintf(hex + w, len - w, "%02x", id[i]);
				return;
			}
		}
	}
}

static bool elf_has_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sname && !strcmp(sname, name))
			return true;
	}
	return false;
}

/* The file name in .gnu_debuglink, or "". */
static void elf_debuglink(Elf *elf, char *name, size_t len)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	name[0] = '\0';
	if (elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_size)
			return;
		snprintf(name, len, "%.*s", (int)strnlen(data->d_buf, data->d_size),
			 (const char *)data->d_buf);
		return;
	}
}

/* Read the symbols of a separate debug file; true when it had a symbol table. */
static bool dso_try_debug_file(struct dso *d, const char *path)
{
	bool ok = false;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_has_symtab(elf))
		ok = dso_read_symbols(d, elf) >= 0;
	if (elf)
		elf_end(elf);
	close(fd);
	return ok;
}

static void dso_find_debug(struct dso_set *ds, struct dso *d, Elf *elf)
{
	char id[128], link[256], path[PATH_MAX + 512], dir[PATH_MAX];
	char *slash;

	elf_build_id(elf, id, sizeof(id));
	if (strlen(id) > 2) {
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", ds->debug_root, id,
			 id + 2);
		if (dso_try_debug_file(d, path))
			return;
	}
	elf_debuglink(elf, link, sizeof(link));
	if (!link[0])
		return;
	snprintf(dir, sizeof(dir), "%s", d->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	snprintf(path, sizeof(path), "%s%s/%s", ds->debug_root, dir[0] == '/' ? dir : "", link);
	if (dso_try_debug_file(d, path))
		return;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, link);
	if (dso_try_debug_file(d, path))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, link);
	/* the link may name the binary itself; it has no .symtab, or we would not be here */
	if (strcmp(path, d->path))
		dso_try_debug_file(d, path);
}

/* Open path if it is the file that was mapped (same inode), else -1. */
static int open_same(const char *path, uint64_t ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* a file replaced since the process mapped it would give wrong names */
	if (fstat(fd, &st) || (ino && (uint64_t)st.st_ino != ino)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Open the binary behind a mapping: by its path; else, while the process lives, through
 * /proc/<pid>/map_files (a binary deleted or replaced since it was mapped, e.g. by a
 * package upgrade) or /proc/<pid>/root (a process in another mount namespace).
 */
static int dso_open(const struct dso *d, int pid, uint64_t start, uint64_t end)
{
	char alt[PATH_MAX + 64];
	int fd = open_same(d->path, d->ino);

	if (fd >= 0 || pid <= 0)
		return fd;
	snprintf(alt, sizeof(alt), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, start, end);
	fd = open_same(alt, d->ino);
	if (fd >= 0)
		return fd;
	snprintf(alt, sizeof(alt), "/proc/%d/root%s", pid, d->path);
	return open_same(alt, d->ino);
}

static void dso_load(struct dso_set *ds, struct dso *d, int pid, uint64_t start, uint64_t end)
{
	size_t i, nph, w;
	Elf *elf;
	int fd;

	d->tried = true;
	fd = dso_open(d, pid, start, end);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph))
		goto out;
	ds->opened++;
	elf_build_id(elf, d->build_id, sizeof(d->build_id));
	d->has_lines = elf_has_section(elf, ".debug_line");
	d->segs = calloc(nph ? nph : 1, sizeof(*d->segs));
	if (!d->segs)
		goto out;
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		d->segs[d->nsegs].off = ph.p_offset;
		d->segs[d->nsegs].vaddr = ph.p_vaddr;
		d->segs[d->nsegs].memsz = ph.p_memsz;
		d->nsegs++;
	}
	/* out of memory part way leaves the symbols read so far: sort those too, since
	 * dso_find_sym searches them by bisection */
	if (dso_read_symbols(d, elf) >= 0 && !elf_has_symtab(elf))
		dso_find_debug(ds, d, elf);
	if (!d->nsyms)
		goto out;
	qsort(d->syms, d->nsyms, sizeof(*d->syms), usym_cmp);
	/* one entry per address: the preferred alias sorts first */
	for (i = 1, w = 1; i < d->nsyms; i++)
		if (d->syms[i].addr != d->syms[w - 1].addr)
			d->syms[w++] = d->syms[i];
	d->nsyms = w;
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

static struct dso *dso_set_get(struct dso_set *ds, const char *path, uint64_t ino)
{
	struct dso *d;

	for (d = ds->head; d; d = d->next)
		if (d->ino == ino && !strcmp(d->path, path))
			return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->ino = ino;
	d->next = ds->head;
	ds->head = d;
	return d;
}

/* ELF virtual address of a file offset through the PT_LOAD segments. */
static bool dso_off_to_vaddr(const struct dso *d, uint64_t off, uint64_t *vaddr)
{
	int i;

	for (i = 0; i < d->nsegs; i++) {
		const struct seg *s = &d->segs[i];

		if (off >= s->off && off < s->off + s->memsz) {
			*vaddr = off - s->off + s->vaddr;
			return true;
		}
	}
	return false;
}

static const char *dso_find_sym(const struct dso *d, uint64_t vaddr)
{
	size_t lo = 0, hi = d->nsyms, k;

	if (!d->nsyms || vaddr < d->syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->syms[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	/* a nested or overlapping symbol may end first: look back a few entries */
	for (k = 0; k < 16 && k <= lo; k++) {
		const struct usym *s = &d->syms[lo - k];

		if (vaddr == s->addr || vaddr - s->addr < s->size)
			return d->strs.buf + s->name;
	}
	return NULL;
}

/* ---- user: one process ---- */

struct umap {
	uint64_t start, end, pgoff, ino;
	char *path; /* "" for anonymous memory */
	bool is_lib;
	bool exec; /* mapped executable: where code, and so return addresses, can be */
	bool is_exe; /* the main program's file */
	struct dso *dso;
};

struct syms_cache {
	struct dso_set *dsos;
	bool own_dsos;
	int pid; /* 0 when read from a maps file */
	struct umap *maps;
	size_t nmaps;
	uint64_t last_refresh, refreshes;
	uint64_t seen, shorts;
};

void syms_cache_free(struct syms_cache *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->nmaps; i++)
		free(sc->maps[i].path);
	free(sc->maps);
	if (sc->own_dsos)
		dso_set_free(sc->dsos);
	free(sc);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static struct syms_cache *syms_cache_read(struct dso_set *dsos, const char *maps_path,
					  const char *exe, int pid)
{
	struct syms_cache *sc;
	char *line = NULL, first_file[PATH_MAX] = "";
	size_t cap = 0, i;
	int err = 0;
	FILE *f;

	f = fopen(maps_path, "re");
	if (!f)
		return NULL;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	if (!dsos) {
		dsos = dso_set_new(NULL);
		if (!dsos) {
			err = -ENOMEM;
			goto out;
		}
		sc->own_dsos = true;
	}
	sc->dsos = dsos;
	sc->pid = pid;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long start, end, pgoff, ino;
		char perms[8];
		int n = 0;
		char *path, *nl;
		struct umap *m;

		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms, &pgoff,
			   &ino, &n) < 5 || !n)
			continue;
		path = line + n;
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		/* every mapping is kept, not only executable ones: a frame-pointer walk
		 * through code built without them lands in data, and "module+0x.." or
		 * "[heap]+0x.." says more about such a frame than "[unknown]" */
		if (sc->nmaps % 64 == 0) {
			m = realloc(sc->maps, (sc->nmaps + 64) * sizeof(*m));
			if (!m) {
				err = -ENOMEM;
				goto out;
			}
			sc->maps = m;
		}
		m = &sc->maps[sc->nmaps];
		memset(m, 0, sizeof(*m));
		m->start = start;
		m->end = end;
		m->pgoff = pgoff;
		m->ino = ino;
		m->exec = perms[2] == 'x';
		m->path = strdup(path);
		if (!m->path) {
			err = -ENOMEM;
			goto out;
		}
		sc->nmaps++;
		if (path[0] == '/' && !first_file[0])
			snprintf(first_file, sizeof(first_file), "%s", path);
	}
	if (!exe || !exe[0])
		exe = first_file;
	for (i = 0; i < sc->nmaps; i++) {
		struct umap *m = &sc->maps[i];

		m->is_lib = m->path[0] == '/' && strcmp(m->path, exe) &&
			    strstr(base_name(m->path), ".so");
		m->is_exe = m->path[0] == '/' && !strcmp(m->path, exe);
	}
out:
	free(line);
	fclose(f);
	if (err) {
		syms_cache_free(sc);
		errno = -err;
		return NULL;
	}
	return sc;
}

struct syms_cache *syms_cache_from_maps(struct dso_set *dsos, const char *maps_path)
{
	return syms_cache_read(dsos, maps_path, NULL, 0);
}

struct syms_cache *syms_cache_new(struct dso_set *dsos, int pid)
{
	char maps[64], link[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	return syms_cache_read(dsos, maps, exe, pid);
}

static struct umap *syms_cache_find_map(struct syms_cache *sc, uint64_t addr)
{
	size_t lo = 0, hi = sc->nmaps;

	/* /proc/<pid>/maps lists mappings in address order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct umap *m = &sc->maps[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

static int umap_cmp(const void *a, const void *b)
{
	const struct umap *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Re-read the maps of a live process, for an address that no mapping of the snapshot
 * holds (a library loaded later with dlopen, JIT code). At most every 100 ms, so a
 * stream of wild addresses does not re-read maps each time. Mappings gone since are
 * kept unless a new one overlaps them: stacks taken before they went refer to them.
 */
static bool syms_cache_refresh(struct syms_cache *sc)
{
	struct syms_cache *n;
	struct timespec ts;
	struct umap *all;
	size_t i, w;
	uint64_t now;

	if (sc->pid <= 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (sc->last_refresh && now - sc->last_refresh < 100000000ULL)
		return false;
	sc->last_refresh = now;
	n = syms_cache_new(sc->dsos, sc->pid);
	if (!n)
		return false;
	all = realloc(n->maps, (n->nmaps + sc->nmaps + 1) * sizeof(*all));
	if (!all) {
		syms_cache_free(n);
		return false;
	}
	n->maps = all;
	w = n->nmaps;
	for (i = 0; i < sc->nmaps; i++) {
		struct umap *o = &sc->maps[i];
		struct umap *hit = syms_cache_find_map(n, o->start);

		if (!hit)
			hit = syms_cache_find_map(n, o->end - 1);
		if (hit) {
			free(o->path);
			continue;
		}
		all[w++] = *o;
	}
	qsort(all, w, sizeof(*all), umap_cmp);
	free(sc->maps);
	sc->maps = all;
	sc->nmaps = w;
	n->maps = NULL;
	n->nmaps = 0;
	syms_cache_free(n);
	sc->refreshes++;
	return true;
}

uint64_t syms_cache_refreshes(const struct syms_cache *sc)
{
	return sc ? sc->refreshes : 0;
}

/* The mapping of addr, re-reading a live process's maps when the snapshot has none. */
static struct umap *syms_cache_map(struct syms_cache *sc, uint64_t addr)
{
	struct umap *m = sc ? syms_cache_find_map(sc, addr) : NULL;

	if (!m && sc && syms_cache_refresh(sc))
		m = syms_cache_find_map(sc, addr);
	return m;
}

int syms_cache_code_depth(struct syms_cache *sc, const uint64_t *ips, int depth)
{
	int i;

	for (i = 0; i < depth; i++) {
		struct umap *m;

		if (!ips[i])
			continue;
		m = syms_cache_map(sc, ips[i]);
		if (!m || !m->exec)
			break;
	}
	return i;
}

int syms_cache_exe_map(struct syms_cache *sc, struct sym_map *out)
{
	for (size_t i = 0; sc && i < sc->nmaps; i++)
		if (sc->maps[i].is_exe && sc->maps[i].exec)
			return syms_cache_map_of(sc, sc->maps[i].start, out);
	return -ENOENT;
}

int syms_cache_map_of(struct syms_cache *sc, uint64_t addr, struct sym_map *out)
{
	struct umap *m = syms_cache_map(sc, addr);

	if (!m)
		return -ENOENT;
	if (m->path[0] == '/' && !m->dso)
		m->dso = dso_set_get(sc->dsos, m->path, m->ino);
	if (m->dso && !m->dso->tried)
		dso_load(sc->dsos, m->dso, sc->pid, m->start, m->end);
	out->start = m->start;
	out->end = m->end;
	out->pgoff = m->pgoff;
	out->path = m->path;
	out->build_id = m->dso ? m->dso->build_id : "";
	out->has_lines = m->dso && m->dso->has_lines;
	out->exec = m->exec;
	return 0;
}

int syms_cache_resolve(struct syms_cache *sc, uint64_t addr, char *buf, size_t len)
{
	struct umap *m = syms_cache_map(sc, addr);
	uint64_t off, vaddr;
	const char *name;

	if (!m) {
		snprintf(buf, len, "[unknown]+0x%" PRIx64, addr);
		return SYM_UNMAPPED;
	}
	if (m->path[0] != '/') {
		if (m->path[0])
			snprintf(buf, len, "%s+0x%" PRIx64, m->path, addr - m->start);
		else
			snprintf(buf, len, "[anon]+0x%" PRIx64, addr);
		return SYM_MODULE_OFF;
	}
	off = addr - m->start + m->pgoff;
	if (!m->dso)
		m->dso = dso_set_get(sc->dsos, m->path, m->ino);
	if (m->dso && !m->dso->tried)
		dso_load(sc->dsos, m->dso, sc->pid, m->start, m->end);
	/* with the ELF file read, offsets become ELF virtual addresses */
	if (m->dso && dso_off_to_vaddr(m->dso, off, &vaddr)) {
		name = dso_find_sym(m->dso, vaddr);
		if (name) {
			snprintf(buf, len, "%s", name);
			return SYM_NAMED;
		}
		off = vaddr;
	}
	snprintf(buf, len, "%s+0x%" PRIx64, base_name(m->path), off);
	return SYM_MODULE_OFF;
}

bool syms_cache_note_stack(struct syms_cache *sc, const uint64_t *ips, int depth)
{
	struct umap *m;

	if (!sc || depth <= 0)
		return false;
	sc->seen++;
	if (depth > 2)
		return false;
	m = syms_cache_find_map(sc, ips[depth - 1]);
	if (!m || !m->is_lib)
		return false;
	sc->shorts++;
	return true;
}

uint64_t syms_cache_stacks_seen(const struct syms_cache *sc)
{
	return sc ? sc->seen : 0;
}

uint64_t syms_cache_short_stacks(const struct syms_cache *sc)
{
	return sc ? sc->shorts : 0;
}

int syms_short_stack_warning(uint64_t shorts, uint64_t seen, char *buf, size_t len)
{
	if (!shorts || !len) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return snprintf(buf, len,
			"warning: %" PRIu64 " of %" PRIu64 " user stacks stop after at most 2 "
			"frames inside a shared library, which usually means that library was "
			"built without frame pointers; callers above it are missing (see "
			"docs/FLAMEGRAPHS.md)",
			shorts, seen);
}

/* libelf needs its version set once before any elf_begin. */
__attribute__((constructor)) static void symbols_init_libelf(void)
{
	elf_version(EV_CURRENT);
}
