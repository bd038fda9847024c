// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The symbolizer against ELF files built here at run time from tests/fixtures: a PIE and
 * a non-PIE program linked with a shared library, a stripped copy, a stripped copy with
 * a separate debug file (by build id and by .gnu_debuglink), and the library mapped at a
 * made-up address through a synthetic maps file, and a C++ program with C++ and Rust
 * symbol names (demangling). Each program writes the run-time
 * addresses of known functions and a copy of its /proc/self/maps, then exits: the test
 * symbolizes a process that is gone, as opscope does.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stacks/folded.h"
#include "stacks/symbols.h"

static char tmp[] = "/tmp/opscope-symtest-XXXXXX";
static char fixtures[4096];
static int build_ok;

struct addrs {
	uint64_t fix_leaf, fix_static, main_fn, lib_entry, lib_hidden, fix_data, pid;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "test_symbols: command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void read_addrs(const char *name, struct addrs *a)
{
	char path[4200], key[64];
	unsigned long long v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.addrs", tmp, name);
	f = fopen(path, "r");
	ck_assert_msg(f, "no address file %s", path);
	memset(a, 0, sizeof(*a));
	while (fscanf(f, "%63s %lli", key, &v) == 2) {
		if (!strcmp(key, "fix_leaf"))
			a->fix_leaf = v;
		else if (!strcmp(key, "fix_static"))
			a->fix_static = v;
		else if (!strcmp(key, "main"))
			a->main_fn = v;
		else if (!strcmp(key, "lib_entry"))
			a->lib_entry = v;
		else if (!strcmp(key, "lib_hidden"))
			a->lib_hidden = v;
		else if (!strcmp(key, "fix_data"))
			a->fix_data = v;
		else if (!strcmp(key, "pid"))
			a->pid = v;
	}
	fclose(f);
	ck_assert(a->fix_leaf && a->fix_static && a->main_fn && a->lib_entry && a->lib_hidden &&
		  a->fix_data);
}

static struct syms_cache *cache_for(struct dso_set *ds, const char *name)
{
	char path[4200];
	struct syms_cache *sc;

	snprintf(path, sizeof(path), "%s/%s.maps", tmp, name);
	sc = syms_cache_from_maps(ds, path);
	ck_assert_msg(sc, "syms_cache_from_maps(%s): %s", path, strerror(errno));
	return sc;
}

/* ELF virtual address of a symbol, from nm on an unstripped file. */
static uint64_t nm_addr(const char *file, const char *sym)
{
	char cmd[8400], line[512], name[256], type;
	unsigned long long v;
	uint64_t r = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s/%s", tmp, file);
	p = popen(cmd, "r");
	ck_assert(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %255s", &v, &type, name) == 3 && !strcmp(name, sym))
			r = v;
	pclose(p);
	ck_assert_msg(r, "nm found no %s in %s", sym, file);
	return r;
}

static void expect(struct syms_cache *sc, uint64_t addr, const char *want, int want_rc)
{
	char buf[256];
	int rc = syms_cache_resolve(sc, addr, buf, sizeof(buf));

	ck_assert_msg(!strcmp(buf, want), "0x%" PRIx64 ": got '%s', want '%s'", addr, buf, want);
	ck_assert_int_eq(rc, want_rc);
}

static void check_program(const char *name)
{
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;

	ck_assert_msg(build_ok, "fixtures did not build; see the commands above");
	read_addrs(name, &a);
	ds = dso_set_new(NULL);
	sc = cache_for(ds, name);
	expect(sc, a.fix_leaf, "fix_leaf", SYM_NAMED);
	expect(sc, a.fix_leaf + 3, "fix_leaf", SYM_NAMED);
	expect(sc, a.fix_static + 1, "fix_static", SYM_NAMED);
	expect(sc, a.main_fn + 8, "main", SYM_NAMED);
	expect(sc, a.lib_entry + 2, "lib_entry", SYM_NAMED);
	expect(sc, a.lib_hidden, "lib_hidden", SYM_NAMED);
	syms_cache_free(sc);
	dso_set_free(ds);
}

START_TEST(test_pie)
{
	check_program("pie");
}
END_TEST

START_TEST(test_nopie)
{
	check_program("nopie");
}
END_TEST

START_TEST(test_stripped_gives_module_offset)
{
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;
	char want[128];

	ck_assert(build_ok);
	read_addrs("stripped", &a);
	ds = dso_set_new(&(struct dso_set_opts){ .debug_root = tmp });
	sc = cache_for(ds, "stripped");
	/* not in .dynsym: only the module and the ELF address are left */
	snprintf(want, sizeof(want), "stripped+0x%" PRIx64,
		 nm_addr("stripped.full", "fix_leaf"));
	expect(sc, a.fix_leaf, want, SYM_MODULE_OFF);
	snprintf(want, sizeof(want), "stripped+0x%" PRIx64,
		 nm_addr("stripped.full", "fix_static") + 5);
	expect(sc, a.fix_static + 5, want, SYM_MODULE_OFF);
	/* the stripped library keeps its exported function through .dynsym */
	expect(sc, a.lib_entry, "lib_entry", SYM_NAMED);
	snprintf(want, sizeof(want), "libsymfix_s.so+0x%" PRIx64,
		 nm_addr("libsymfix.so", "lib_hidden"));
	expect(sc, a.lib_hidden, want, SYM_MODULE_OFF);
	/* outside every mapping */
	expect(sc, 0x10, "[unknown]+0x10", SYM_UNMAPPED);
	/* a data address (where a broken frame-pointer walk can land): module and ELF
	 * address, through the read-write PT_LOAD */
	snprintf(want, sizeof(want), "stripped+0x%" PRIx64, nm_addr("stripped.full", "fix_data"));
	expect(sc, a.fix_data, want, SYM_MODULE_OFF);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

START_TEST(test_debug_file_by_build_id)
{
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;

	ck_assert(build_ok);
	read_addrs("byid", &a);
	ds = dso_set_new(&(struct dso_set_opts){ .debug_root = tmp });
	sc = cache_for(ds, "byid");
	expect(sc, a.fix_leaf + 1, "fix_leaf", SYM_NAMED);
	expect(sc, a.fix_static, "fix_static", SYM_NAMED);
	syms_cache_free(sc);
	dso_set_free(ds);

	/* without the debug root the same binary has no names */
	ds = dso_set_new(&(struct dso_set_opts){ .debug_root = "/nonexistent" });
	sc = cache_for(ds, "byid");
	ck_assert_int_eq(syms_cache_resolve(sc, a.fix_leaf, (char[64]){ 0 }, 64),
			 SYM_MODULE_OFF);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

START_TEST(test_debug_file_by_debuglink)
{
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;

	ck_assert(build_ok);
	read_addrs("linked", &a);
	ds = dso_set_new(&(struct dso_set_opts){ .debug_root = "/nonexistent" });
	sc = cache_for(ds, "linked");
	expect(sc, a.fix_leaf, "fix_leaf", SYM_NAMED);
	expect(sc, a.fix_static + 2, "fix_static", SYM_NAMED);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

/*
 * The library alone, mapped at a made-up base through a maps file written here: every
 * line of the real mapping moved by the same delta. Checks the file offset -> ELF vaddr
 * step through PT_LOAD with a base the library never had.
 */
START_TEST(test_shared_library_synthetic_maps)
{
	const uint64_t fake = 0x7f1234500000ULL;
	char path[4200], line[8192], lib[4200], mpath[4200];
	uint64_t real = 0, delta;
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;
	FILE *in, *out;
	int lines = 0;

	ck_assert(build_ok);
	read_addrs("pie", &a);
	snprintf(lib, sizeof(lib), "%s/libsymfix.so", tmp);
	snprintf(path, sizeof(path), "%s/pie.maps", tmp);
	snprintf(mpath, sizeof(mpath), "%s/synthetic.maps", tmp);
	in = fopen(path, "r");
	out = fopen(mpath, "w");
	ck_assert(in && out);
	while (fgets(line, sizeof(line), in)) {
		unsigned long long s, e, off, ino;
		char perms[8], dev[16];

		if (!strstr(line, lib))
			continue;
		ck_assert(sscanf(line, "%llx-%llx %7s %llx %15s %llu", &s, &e, perms, &off, dev,
				 &ino) == 6);
		if (!real)
			real = s;
		delta = fake - real;
		fprintf(out, "%llx-%llx %s %08llx %s %llu    %s\n", s + delta, e + delta, perms,
			off, dev, ino, lib);
		lines++;
	}
	fclose(in);
	fclose(out);
	ck_assert_int_ge(lines, 2);

	ds = dso_set_new(NULL);
	sc = syms_cache_from_maps(ds, mpath);
	ck_assert(sc);
	expect(sc, a.lib_entry - real + fake, "lib_entry", SYM_NAMED);
	expect(sc, a.lib_hidden - real + fake + 4, "lib_hidden", SYM_NAMED);
	/* the real address is not mapped in this address space */
	ck_assert_int_eq(syms_cache_resolve(sc, a.lib_entry, line, sizeof(line)), SYM_UNMAPPED);
	/* and the library is the only binary this cache ever opened */
	ck_assert_uint_eq(dso_set_opened(ds), 1);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

START_TEST(test_each_binary_opened_once)
{
	struct dso_set *ds;
	struct syms_cache *s1, *s2;
	struct addrs a;
	char buf[128];
	size_t after_first;
	int i;

	ck_assert(build_ok);
	read_addrs("pie", &a);
	ds = dso_set_new(NULL);
	s1 = cache_for(ds, "pie");
	s2 = cache_for(ds, "pie");
	for (i = 0; i < 100; i++) {
		syms_cache_resolve(s1, a.fix_leaf + (uint64_t)(i % 4), buf, sizeof(buf));
		syms_cache_resolve(s1, a.lib_entry, buf, sizeof(buf));
	}
	after_first = dso_set_opened(ds);
	ck_assert_uint_eq(after_first, 2); /* the program and the library */
	syms_cache_resolve(s2, a.fix_leaf, buf, sizeof(buf));
	syms_cache_resolve(s2, a.lib_hidden, buf, sizeof(buf));
	ck_assert_uint_eq(dso_set_opened(ds), after_first);
	syms_cache_free(s1);
	syms_cache_free(s2);
	dso_set_free(ds);
}
END_TEST

START_TEST(test_short_stack_hint)
{
	struct syms_cache *sc;
	struct addrs a;
	char msg[512];
	uint64_t in_lib[1], in_exe[2], deep[3];

	ck_assert(build_ok);
	read_addrs("pie", &a);
	sc = cache_for(NULL, "pie");
	in_lib[0] = a.lib_entry;
	in_exe[0] = a.lib_entry;
	in_exe[1] = a.main_fn;
	deep[0] = a.fix_leaf;
	deep[1] = a.fix_leaf;
	deep[2] = a.lib_entry;
	ck_assert(syms_cache_note_stack(sc, in_lib, 1));
	ck_assert(!syms_cache_note_stack(sc, in_exe, 2));
	ck_assert(!syms_cache_note_stack(sc, deep, 3));
	ck_assert(!syms_cache_note_stack(sc, in_lib, 0));
	ck_assert_uint_eq(syms_cache_stacks_seen(sc), 3);
	ck_assert_uint_eq(syms_cache_short_stacks(sc), 1);
	ck_assert_int_gt(syms_short_stack_warning(1, 3, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "1 of 3 user stacks"));
	ck_assert_ptr_nonnull(strstr(msg, "frame pointers"));
	ck_assert_int_eq(syms_short_stack_warning(0, 3, msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "");
	syms_cache_free(sc);
}
END_TEST

/*
 * A binary deleted while its process runs (a package upgrade during a nightly run):
 * the path no longer opens, /proc/<pid>/map_files still does.
 */
START_TEST(test_deleted_binary_live_process)
{
	char cmd[8400], ready[4200], want[128];
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;
	FILE *child;
	int i;

	ck_assert(build_ok);
	if (geteuid() != 0) {
		/* map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE */
		fprintf(stderr, "test_deleted_binary_live_process: skipped, needs root\n");
		return;
	}
	snprintf(ready, sizeof(ready), "%s/deleted.ready", tmp);
	snprintf(cmd, sizeof(cmd), "cd %s && cp pie deleted && cp pie deleted.full && "
		 "exec ./deleted deleted.addrs deleted.maps deleted.ready", tmp);
	child = popen(cmd, "w");
	ck_assert(child);
	for (i = 0; i < 500 && access(ready, F_OK); i++)
		usleep(10000);
	ck_assert_msg(!access(ready, F_OK), "the test program did not start");
	read_addrs("deleted", &a);
	ck_assert(a.pid > 0);
	snprintf(cmd, sizeof(cmd), "%s/deleted", tmp);
	ck_assert_int_eq(unlink(cmd), 0);

	/* from the live process: read through map_files */
	ds = dso_set_new(NULL);
	sc = syms_cache_new(ds, (int)a.pid);
	ck_assert(sc);
	expect(sc, a.fix_leaf + 1, "fix_leaf", SYM_NAMED);
	expect(sc, a.fix_static, "fix_static", SYM_NAMED);
	syms_cache_free(sc);
	dso_set_free(ds);

	/* from its maps file alone the file is gone: module and ELF address */
	sc = cache_for(NULL, "deleted");
	snprintf(want, sizeof(want), "deleted+0x%" PRIx64, nm_addr("deleted.full", "fix_leaf"));
	expect(sc, a.fix_leaf, want, SYM_MODULE_OFF);
	syms_cache_free(sc);
	pclose(child);
}
END_TEST

/* A library mapped after the snapshot (dlopen) is found by re-reading the maps. */
START_TEST(test_late_mapping_refresh)
{
	char cmd[8400], ready[4200], lib[4200], addrf[4300], key[16];
	unsigned long long late = 0;
	struct syms_cache *sc;
	struct addrs a;
	FILE *child, *f;
	int i;

	ck_assert(build_ok);
	snprintf(ready, sizeof(ready), "%s/late.ready", tmp);
	snprintf(lib, sizeof(lib), "%s/late.so", tmp);
	snprintf(addrf, sizeof(addrf), "%s.addr", lib);
	snprintf(cmd, sizeof(cmd), "cd %s && cp libsymfix.so late.so && "
		 "exec ./pie late.addrs late.maps late.ready", tmp);
	child = popen(cmd, "w");
	ck_assert(child);
	for (i = 0; i < 500 && access(ready, F_OK); i++)
		usleep(10000);
	ck_assert(!access(ready, F_OK));
	read_addrs("late", &a);
	sc = syms_cache_new(NULL, (int)a.pid);
	ck_assert(sc);
	expect(sc, a.fix_leaf, "fix_leaf", SYM_NAMED);

	fprintf(child, "map %s\n", lib);
	fflush(child);
	for (i = 0; i < 500 && access(addrf, F_OK); i++)
		usleep(10000);
	f = fopen(addrf, "r");
	ck_assert_msg(f, "the test program did not map %s", lib);
	ck_assert_int_eq(fscanf(f, "%15s %lli", key, &late), 2);
	fclose(f);
	/* the whole file is mapped at offset 0: file offset = ELF address here */
	expect(sc, late + nm_addr("libsymfix.so", "lib_entry") + 1, "lib_entry", SYM_NAMED);
	ck_assert_uint_eq(syms_cache_refreshes(sc), 1);
	/* the old mappings are still there */
	expect(sc, a.fix_static, "fix_static", SYM_NAMED);
	/* a wild address right after does not re-read the maps again */
	expect(sc, 0x10, "[unknown]+0x10", SYM_UNMAPPED);
	ck_assert_uint_eq(syms_cache_refreshes(sc), 1);
	syms_cache_free(sc);
	pclose(child);
}
END_TEST

START_TEST(test_maps_file_missing)
{
	errno = 0;
	ck_assert_ptr_null(syms_cache_from_maps(NULL, "/nonexistent/maps"));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_ksyms_file)
{
	char path[4200], buf[128];
	struct ksyms *ks;
	uint64_t off;

	snprintf(path, sizeof(path), "%s/kallsyms", tmp);
	write_file(path, "ffffffff81000000 T _stext\n"
			 "ffffffff81000100 t do_thing\n"
			 "ffffffff81000100 T do_thing_alias\n"
			 "ffffffff81000200 D some_data\n"
			 "ffffffff81000300 T schedule\n"
			 "ffffffffc0000000 t mod_fn\t[mymod]\n");
	ks = ksyms_load_file(path);
	ck_assert_ptr_nonnull(ks);
	ck_assert_uint_eq(ksyms_count(ks), 5); /* the data symbol is left out */
	ck_assert_str_eq(ksyms_find(ks, 0xffffffff81000150ULL, &off), "do_thing");
	ck_assert_uint_eq(off, 0x50);
	/* data symbols are not code: an address past them belongs to the text before */
	ck_assert_str_eq(ksyms_find(ks, 0xffffffff81000250ULL, NULL), "do_thing");
	ck_assert_str_eq(ksyms_find(ks, 0xffffffff81000300ULL, &off), "schedule");
	ck_assert_uint_eq(off, 0);
	ck_assert_str_eq(ksyms_find(ks, 0xffffffffc0000010ULL, NULL), "mod_fn");
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffff80000000ULL, NULL));
	ck_assert_int_eq(ksyms_resolve(ks, 0xffffffff81000001ULL, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "_stext");
	ck_assert_int_eq(ksyms_resolve(ks, 0x1000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "[kernel]+0x1000");
	ksyms_free(ks);

	/* kptr_restrict hides addresses: say so instead of naming everything _stext */
	write_file(path, "0000000000000000 T _stext\n0000000000000000 T schedule\n");
	errno = 0;
	ck_assert_ptr_null(ksyms_load_file(path));
	ck_assert_int_eq(errno, EPERM);
}
END_TEST

START_TEST(test_ksyms_proc)
{
	struct ksyms *ks;
	char line[512], name[256], type;
	unsigned long long addr = 0, v;
	FILE *f;

	if (geteuid() != 0) {
		fprintf(stderr, "test_ksyms_proc: skipped, needs root to read kallsyms\n");
		return;
	}
	ks = ksyms_load();
	ck_assert_msg(ks, "ksyms_load: %s", strerror(errno));
	ck_assert_uint_gt(ksyms_count(ks), 1000);
	f = fopen("/proc/kallsyms", "r");
	ck_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &v, &type, name) == 3 &&
		    !strcmp(name, "schedule") && (type == 'T' || type == 't'))
			addr = v;
	fclose(f);
	ck_assert(addr);
	{
		uint64_t off;
		const char *n = ksyms_find(ks, addr + 1, &off);

		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(off, 1);
	}
	ksyms_free(ks);
}
END_TEST

/* Build every fixture once; the tests fail with a message when this did not work. */
static void build_fixtures(void)
{
	const char *env = getenv("OPSCOPE_FIXTURES");
	char t[4200];

	if (env) {
		snprintf(fixtures, sizeof(fixtures), "%s", env);
	} else {
		/* __FILE__ is tests/unit/test_symbols.c relative to the repository root */
		snprintf(fixtures, sizeof(fixtures), "%s", __FILE__);
		*strrchr(fixtures, '/') = '\0';
		strncat(fixtures, "/../fixtures", sizeof(fixtures) - strlen(fixtures) - 1);
	}
	{
		char *abs = realpath(fixtures, NULL);

		if (abs) {
			snprintf(fixtures, sizeof(fixtures), "%s", abs);
			free(abs);
		}
	}
	if (!mkdtemp(tmp))
		return;
	snprintf(t, sizeof(t), "%s", tmp);
	if (sh("cc -O1 -g -fPIC -shared -o %s/libsymfix.so %s/symlib.c", t, fixtures) ||
	    sh("cd %s && cp libsymfix.so libsymfix_s.so && strip libsymfix_s.so", t) ||
	    sh("cc -O1 -g -fPIE -pie -o %s/pie %s/symprog.c -L%s -lsymfix -Wl,-rpath,%s", t,
	       fixtures, t, t) ||
	    sh("cc -O1 -g -fno-pie -no-pie -o %s/nopie %s/symprog.c -L%s -lsymfix "
	       "-Wl,-rpath,%s", t, fixtures, t, t) ||
	    /* the stripped program loads the stripped library */
	    sh("cd %s && cc -O1 -g -fPIE -pie -o stripped %s/symprog.c -L. -lsymfix_s "
	       "-Wl,-rpath,%s && cp stripped stripped.full && strip stripped", t, fixtures, t) ||
	    /* separate debug file found by build id under a debug root (the temp dir) */
	    sh("cd %s && cp pie byid && objcopy --only-keep-debug byid byid.debug && "
	       "strip byid && id=$(readelf -n byid | sed -n 's/.*Build ID: *//p') && "
	       "test -n \"$id\" && mkdir -p .build-id/${id%%${id#??}} && "
	       "mv byid.debug .build-id/${id%%${id#??}}/${id#??}.debug", t) ||
	    /* and by .gnu_debuglink next to the binary, with a build id that matches none */
	    sh("cd %s && cp pie linked && objcopy --only-keep-debug linked linked.dbg && "
	       "strip --remove-section=.note.gnu.build-id linked && "
	       "objcopy --add-gnu-debuglink=linked.dbg linked", t))
		return;
	if (sh("g++ -O1 -g -o %s/cxx %s/symcxx.cpp", t, fixtures) ||
	    sh("cd %s && for p in pie nopie stripped byid linked cxx; do ./$p $p.addrs $p.maps "
	       "|| exit 1; done", t))
		return;
	build_ok = 1;
}

/* "name address" lines of a fixture's address file. */
static uint64_t addr_of(const char *file, const char *key)
{
	char path[4200], k[64];
	unsigned long long v;
	uint64_t r = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, file);
	f = fopen(path, "r");
	ck_assert_msg(f, "no address file %s", path);
	while (fscanf(f, "%63s %lli", k, &v) == 2)
		if (!strcmp(k, key))
			r = v;
	fclose(f);
	ck_assert_msg(r, "no %s in %s", key, path);
	return r;
}

/* C++ and Rust names come out demangled, parameters kept (libiberty). */
START_TEST(test_demangled_cxx_and_rust)
{
	struct dso_set *ds;
	struct syms_cache *sc;

	ck_assert(build_ok);
	ds = dso_set_new(NULL);
	sc = cache_for(ds, "cxx");
	expect(sc, addr_of("cxx.addrs", "spin") + 1, "opsfix::Widget::spin(int)", SYM_NAMED);
	expect(sc, addr_of("cxx.addrs", "twice"), "long opsfix::twice<long>(long)", SYM_NAMED);
	expect(sc, addr_of("cxx.addrs", "over_i"), "opsfix::over(int)", SYM_NAMED);
	expect(sc, addr_of("cxx.addrs", "over_s"), "opsfix::over(char const*)", SYM_NAMED);
	expect(sc, addr_of("cxx.addrs", "rust_legacy"), "mycrate::main", SYM_NAMED);
	expect(sc, addr_of("cxx.addrs", "rust_v0"), "mycrate::example", SYM_NAMED);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

/* A frame outside executable memory ends what a stack walk can be trusted for. */
START_TEST(test_code_depth_and_mappings)
{
	struct dso_set *ds;
	struct syms_cache *sc;
	struct sym_map m;
	struct addrs a;

	ck_assert(build_ok);
	read_addrs("pie", &a);
	ds = dso_set_new(NULL);
	sc = cache_for(ds, "pie");
	{
		uint64_t all[] = { a.fix_leaf, a.lib_entry, a.main_fn };
		uint64_t data[] = { a.fix_leaf, a.fix_data, a.main_fn };
		uint64_t wild[] = { a.fix_leaf, 0x687361622f6e69ULL, a.main_fn };
		uint64_t none[] = { 0x10, a.fix_leaf };

		ck_assert_int_eq(syms_cache_code_depth(sc, all, 3), 3);
		/* a data address (read-write mapping) is not a return address */
		ck_assert_int_eq(syms_cache_code_depth(sc, data, 3), 1);
		/* "/bin/bash" read off the stack as an address */
		ck_assert_int_eq(syms_cache_code_depth(sc, wild, 3), 1);
		ck_assert_int_eq(syms_cache_code_depth(sc, none, 2), 0);
	}
	ck_assert_int_eq(syms_cache_map_of(sc, a.fix_leaf, &m), 0);
	ck_assert(m.exec && m.start <= a.fix_leaf && a.fix_leaf < m.end);
	ck_assert_msg(strlen(m.path) > 4 && !strcmp(m.path + strlen(m.path) - 4, "/pie"),
		      "path %s", m.path);
	ck_assert_uint_eq(strlen(m.build_id), 40); /* the toolchain's sha1 build id */
	ck_assert(m.has_lines);                    /* built with -g */
	ck_assert_int_eq(syms_cache_exe_map(sc, &m), 0);
	ck_assert(m.exec && m.start <= a.fix_leaf && a.fix_leaf < m.end);
	ck_assert_int_eq(syms_cache_map_of(sc, 0x10, &m), -ENOENT);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

/*
 * A user stack reaches a root when the unwinder says it walked to the stack's start and
 * nothing was cut, or when its outermost frame kept is a known start (main here).
 */
START_TEST(test_stack_root)
{
	struct stack_frames sf = { 0 };
	struct dso_set *ds;
	struct syms_cache *sc;
	struct addrs a;

	ck_assert(build_ok);
	read_addrs("pie", &a);
	ds = dso_set_new(NULL);
	sc = cache_for(ds, "pie");
	{
		uint64_t to_main[] = { a.fix_leaf, a.main_fn + 8 };
		uint64_t to_lib[] = { a.fix_leaf, a.lib_entry };
		uint64_t past_data[] = { a.fix_leaf, a.main_fn + 8, a.fix_data };
		struct stack_sample s = { .uips = to_main, .udepth = 2 };

		ck_assert_int_eq(stack_frames_resolve(&sf, &s, NULL, sc), 0);
		ck_assert(sf.root); /* by name: main */
		s.uips = to_lib;
		ck_assert_int_eq(stack_frames_resolve(&sf, &s, NULL, sc), 0);
		ck_assert(!sf.root);
		s.uroot = true; /* the unwinder reached the end */
		ck_assert_int_eq(stack_frames_resolve(&sf, &s, NULL, sc), 0);
		ck_assert(sf.root);
		/* a frame cut (not code) means the walk went wrong: whatever it claimed */
		s.uips = past_data;
		s.udepth = 3;
		ck_assert_int_eq(stack_frames_resolve(&sf, &s, NULL, sc), 0);
		ck_assert_int_eq(sf.cut, 1);
		ck_assert(sf.root); /* still: main is the outermost frame kept */
		past_data[1] = a.lib_entry;
		ck_assert_int_eq(stack_frames_resolve(&sf, &s, NULL, sc), 0);
		ck_assert(!sf.root);
	}
	ck_assert(stack_root_name("_start") && stack_root_name("start_thread") &&
		  stack_root_name("__clone3") && stack_root_name("__libc_start_main"));
	ck_assert(!stack_root_name("main2") && !stack_root_name("") &&
		  !stack_root_name("libc.so.6+0x29d90"));
	stack_frames_free(&sf);
	syms_cache_free(sc);
	dso_set_free(ds);
}
END_TEST

/*
 * Every kernel symbol has an end: _einittext does not swallow what lies above it, BPF
 * programs are named after the program, and what no symbol covers is [kernel]+0x...
 */
START_TEST(test_ksyms_bounds)
{
	char path[4200], buf[128];
	struct ksyms *ks;

	snprintf(path, sizeof(path), "%s/kallsyms-bounds", tmp);
	write_file(path, "ffffffff81000000 T _stext\n"
			 "ffffffff81000100 T schedule\n"
			 "ffffffff81200000 T _etext\n"
			 "ffffffff83000000 T _sinittext\n"
			 "ffffffff83000100 t init_fn\n"
			 "ffffffff83100000 T _einittext\n"
			 "ffffffffa0000000 t mod_fn\t[mymod]\n"
			 "ffffffffc0025c30 t bpf_prog_ab0340066ace5b09_handle_switch\t[bpf]\n"
			 "ffffffffc0026808 t bpf_prog_847bc0d3deee947f_slot_new\t[bpf]\n"
			 "ffffffffc0030000 t bpf_trampoline_6442\t[bpf]\n");
	ks = ksyms_load_file(path);
	ck_assert_ptr_nonnull(ks);
	ck_assert_str_eq(ksyms_find(ks, 0xffffffff81000150ULL, NULL), "schedule");
	/* the last function of the core text ends at _etext */
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffff81200010ULL, NULL));
	ck_assert_str_eq(ksyms_find(ks, 0xffffffff83000110ULL, NULL), "init_fn");
	/* above _einittext: not init code, whatever the next symbol */
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffff83100000ULL, NULL));
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffff9f000000ULL, NULL));
	ck_assert_int_eq(ksyms_resolve(ks, 0xffffffff83100040ULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "[kernel]+0xffffffff83100040");
	ck_assert_str_eq(ksyms_find(ks, 0xffffffffa0000010ULL, NULL), "mod_fn");
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffffa0100000ULL, NULL));
	ck_assert_str_eq(ksyms_find(ks, 0xffffffffc0025c40ULL, NULL), "bpf:handle_switch");
	ck_assert_str_eq(ksyms_find(ks, 0xffffffffc0026900ULL, NULL), "bpf:slot_new");
	ck_assert_str_eq(ksyms_find(ks, 0xffffffffc0030004ULL, NULL), "bpf_trampoline_6442");
	/* past the last BPF symbol by more than any program's length */
	ck_assert_ptr_null(ksyms_find(ks, 0xffffffffc0130000ULL, NULL));
	ksyms_free(ks);
}
END_TEST

static Suite *symbols_suite(void)
{
	Suite *s = suite_create("symbols");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pie);
	tcase_add_test(tc, test_nopie);
	tcase_add_test(tc, test_stripped_gives_module_offset);
	tcase_add_test(tc, test_debug_file_by_build_id);
	tcase_add_test(tc, test_debug_file_by_debuglink);
	tcase_add_test(tc, test_shared_library_synthetic_maps);
	tcase_add_test(tc, test_each_binary_opened_once);
	tcase_add_test(tc, test_short_stack_hint);
	tcase_add_test(tc, test_deleted_binary_live_process);
	tcase_add_test(tc, test_late_mapping_refresh);
	tcase_add_test(tc, test_maps_file_missing);
	tcase_add_test(tc, test_ksyms_file);
	tcase_add_test(tc, test_ksyms_proc);
	tcase_add_test(tc, test_ksyms_bounds);
	tcase_add_test(tc, test_stack_root);
	tcase_add_test(tc, test_demangled_cxx_and_rust);
	tcase_add_test(tc, test_code_depth_and_mappings);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	build_fixtures();
	sr = srunner_create(symbols_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (tmp[strlen(tmp) - 1] != 'X' && !getenv("OPSCOPE_KEEP_TMP"))
		sh("rm -rf %s", tmp);
	return failed ? 1 : 0;
}
