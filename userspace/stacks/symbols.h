/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Symbols for stack addresses, resolved after collection. Free of libbpf so that unit
 * tests run anywhere.
 *
 * Kernel: struct ksyms, a sorted copy of /proc/kallsyms searched by binary search.
 * User: struct dso_set holds every binary read so far (each opened once, keyed by
 * path + device + inode, shared by all processes); struct syms_cache is one process's
 * address space, a snapshot of /proc/<pid>/maps taken at creation because the target
 * may exit before its stacks are symbolized.
 *
 * Binaries are opened by path; for a cache made from a live pid, a binary deleted or
 * replaced since it was mapped, or one in another mount namespace, is read through
 * /proc/<pid>/map_files or /proc/<pid>/root while the process lives.
 *
 * A frame that cannot be named is written as module+0xoffset, never dropped. The offset
 * is the ELF virtual address when the file could be read (so `addr2line -e module
 * 0xoffset` works), otherwise the file offset. C++ and Rust names are demangled when a
 * binary is read (libiberty's cplus_demangle).
 *
 * What is not code is another matter: a user frame outside every executable mapping is
 * not a return address but whatever a broken frame-pointer walk read off the stack
 * (syms_cache_code_depth), and callers cut such stacks there and count the loss.
 */
#ifndef OPSCOPE_SYMBOLS_H
#define OPSCOPE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- kernel ---- */

struct ksyms;

/* Load /proc/kallsyms. NULL plus errno on failure; EPERM when every address reads as
 * zero (kptr_restrict: run as root). BPF programs are listed there only while they are
 * loaded: load this while the programs whose addresses are wanted still are.
 *
 * Every symbol is bounded: by the next symbol, by the end of its text region (_etext,
 * _einittext) for the core kernel, and by 64 KiB after the last symbol of a module or
 * of the BPF programs. An address past every bound has no symbol. BPF programs
 * ("bpf_prog_<tag>_<name> [bpf]") are named "bpf:<name>". */
struct ksyms *ksyms_load(void);
/* Same from any file in kallsyms format ("ffffffff81000000 T name [module]"). */
struct ksyms *ksyms_load_file(const char *path);
void ksyms_free(struct ksyms *ks);
size_t ksyms_count(const struct ksyms *ks);
/* The symbol containing addr (the last one at or below it, within its bound), or NULL;
 * *off gets addr - symbol start when off is not NULL. */
const char *ksyms_find(const struct ksyms *ks, uint64_t addr, uint64_t *off);
/* Write the frame name for addr into buf: the symbol name, or "[kernel]+0xADDR".
 * Returns 1 when named, 0 when written as an address. */
int ksyms_resolve(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);

/* ---- user ---- */

struct dso_set;

struct dso_set_opts {
	/* Root of separate debug files; NULL means /usr/lib/debug. Files are looked up by
	 * build id (ROOT/.build-id/xx/yyyy.debug) and by .gnu_debuglink (ROOT/DIR/NAME,
	 * DIR/NAME, DIR/.debug/NAME, DIR being the binary's directory). */
	const char *debug_root;
};

struct dso_set *dso_set_new(const struct dso_set_opts *opts);
void dso_set_free(struct dso_set *ds);
/* Binaries opened so far (each at most once), and the symbols read from them. */
size_t dso_set_opened(const struct dso_set *ds);

struct syms_cache;

/* Snapshot /proc/<pid>/maps. dsos may be shared by many caches; NULL gives this cache a
 * private set. NULL plus errno on failure. */
struct syms_cache *syms_cache_new(struct dso_set *dsos, int pid);
/* Same from a maps file in /proc/<pid>/maps format (tests, recorded runs). */
struct syms_cache *syms_cache_from_maps(struct dso_set *dsos, const char *maps_path);
void syms_cache_free(struct syms_cache *sc);

enum sym_result {
	SYM_NAMED = 1,       /* "function" */
	SYM_MODULE_OFF = 0,  /* "module+0xoffset": mapped, but no symbol covers it */
	SYM_UNMAPPED = -1,   /* "[unknown]+0xADDR": outside every mapping */
};

/* Write the frame name for a user address into buf (always NUL-terminated, never
 * empty). Returns an enum sym_result. For a cache made from a pid, an address outside
 * the snapshot re-reads the maps of the process if it still lives (at most every
 * 100 ms): libraries loaded later with dlopen are found too. */
int syms_cache_resolve(struct syms_cache *sc, uint64_t addr, char *buf, size_t len);
/* How many times the maps were re-read that way. */
uint64_t syms_cache_refreshes(const struct syms_cache *sc);

/*
 * How many of a user stack's frames (innermost first) are plausible code: the frames
 * before the first one that lies outside every executable mapping of the process (the
 * snapshot, re-read like syms_cache_resolve does). Zero entries count as frames.
 */
int syms_cache_code_depth(struct syms_cache *sc, const uint64_t *ips, int depth);

/* The mapping that holds a user address, for outputs that carry mappings (pprof). */
struct sym_map {
	uint64_t start, end, pgoff;
	const char *path;     /* as in the maps file: "/usr/lib/..", "[vdso]", "" anonymous */
	const char *build_id; /* lowercase hex, "" when unknown or not an ELF file */
	bool exec;
	bool has_lines;       /* the file has DWARF line tables (built with -g, not stripped) */
};
/* 0, or -ENOENT when no mapping holds addr. The strings live as long as sc. */
int syms_cache_map_of(struct syms_cache *sc, uint64_t addr, struct sym_map *out);
/* The main program's executable mapping (its /proc/<pid>/exe, else the first file
 * mapped). 0, or -ENOENT. */
int syms_cache_exe_map(struct syms_cache *sc, struct sym_map *out);

/*
 * The frame-pointer hint. A user stack of depth <= 2 whose outermost frame (the last
 * entry, stacks being innermost first as bpf_get_stack returns them) lies in a shared
 * library usually means that library was built without frame pointers and the walk
 * stopped inside it. Returns true for such a stack and counts it.
 */
bool syms_cache_note_stack(struct syms_cache *sc, const uint64_t *ips, int depth);
/* Stacks looked at by syms_cache_note_stack, and how many of them looked cut short. */
uint64_t syms_cache_stacks_seen(const struct syms_cache *sc);
uint64_t syms_cache_short_stacks(const struct syms_cache *sc);
/* One sentence for the user when short stacks were seen, or 0 when there is nothing to
 * say; writes at most len bytes. Returns the length written. */
int syms_short_stack_warning(uint64_t shorts, uint64_t seen, char *buf, size_t len);

#endif /* OPSCOPE_SYMBOLS_H */
