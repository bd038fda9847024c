/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Folded stacks: one line per distinct stack, frames from the root to the leaf joined
 * by ';', a space, and a 64-bit value (samples, ns or faults):
 *
 *     scenario=pool;op=submit;main;run_task;memcpy 42
 *
 * the format FlameGraph's flamegraph.pl, inferno and speedscope read. A struct folded
 * merges identical stacks (values add up) and writes them sorted. Free of libbpf.
 *
 * Frame conventions opscope writes and its flame graphs colour by:
 *   - tag frames at the root, "key=value" with a lowercase key: scenario=, op=, thread=;
 *     and markers, a lowercase word in brackets: [blocked], [on-cpu]
 *   - kernel frames end in "_[k]" (as perf's stackcollapse writes them)
 *   - frames that could not be named are "module+0xoffset"
 */
#ifndef OPSCOPE_FOLDED_H
#define OPSCOPE_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "util/files.h" /* atomic_file_open and _commit, which its writers use */

#define FOLDED_KERNEL_SUFFIX "_[k]"

struct ksyms;
struct syms_cache;

struct folded;

struct folded *folded_new(void);
void folded_free(struct folded *f);

/*
 * Escape one frame name so that it cannot break a line: ';' becomes ':', newline, CR
 * and tab become a space, an empty name becomes "[unknown]". Always NUL-terminates.
 */
void folded_escape_frame(const char *in, char *out, size_t len);

/* Add a stack given as frame names, root first; each name is escaped. 0 or -errno
 * (-EOVERFLOW when the stack's value would pass 2^64 - 1). */
int folded_add(struct folded *f, const char *const *frames, size_t n, uint64_t value);
/* Add an already joined stack ("a;b;c"); newlines in it are replaced by spaces. */
int folded_add_stack(struct folded *f, const char *stack, uint64_t value);

/*
 * A stack as the collector takes it: plain arrays of addresses, innermost frame first
 * (as bpf_get_stack writes them), plus the tag frames that go at the root.
 */
struct stack_sample {
	const char *const *tags; /* e.g. "scenario=pool", "op=submit", "thread=worker-3" */
	int ntags;
	const uint64_t *kips;    /* kernel stack, innermost first; may be NULL */
	int kdepth;
	const uint64_t *uips;    /* user stack, innermost first; may be NULL */
	int udepth;
	bool uroot;              /* the unwinder walked the user stack to its outermost frame */
	uint64_t value;
};

/*
 * A sample's frames resolved to names, root first: user frames outermost first, then
 * kernel frames outermost first (tags are not frames). The one place where a stack
 * becomes frames, for every output (folded, SVG, pprof): user frames that are not
 * plausible code (syms_cache_code_depth: outside every executable mapping) are cut here,
 * together with every frame outside them (what a walk reads past garbage is garbage),
 * and counted in `cut`; `root` says whether the user frames kept reach the stack's start.
 * Zero addresses (unused stack slots) are skipped. Names are raw (no "_[k]", no
 * escaping). A struct stack_frames is reused across calls; free it with
 * stack_frames_free.
 */
struct stack_frame {
	uint64_t addr;
	bool kernel;
	bool named;  /* a symbol; else "module+0x..", "[kernel]+0x.." */
	size_t name; /* offset into the pool: stack_frames_name() */
};

struct stack_frames {
	struct stack_frame *f;
	size_t n, cap;
	char *pool;
	size_t plen, pcap;
	int cut; /* user frames dropped by the last resolve */
	/* the last resolve's user frames reach a root: uroot and nothing cut, or the
	 * outermost one is a known start of a program or thread (stack_root_name) */
	bool root;
};

/* _start, main, __libc_start_main, __libc_start_call_main, start_thread, clone3, clone,
 * thread_start: frames a complete user stack starts with. */
bool stack_root_name(const char *name);

int stack_frames_resolve(struct stack_frames *out, const struct stack_sample *s,
			 const struct ksyms *ks, struct syms_cache *sc);
static inline const char *stack_frames_name(const struct stack_frames *sf, size_t i)
{
	return sf->pool + sf->f[i].name;
}
void stack_frames_free(struct stack_frames *sf);

/*
 * Symbolize and add one sample: tags, then the frames of stack_frames_resolve, kernel
 * ones with the "_[k]" suffix. ks and sc may be NULL (the frames are then written as
 * addresses, and without sc no user frame is cut). When cut is not NULL it gets the
 * number of user frames cut, and root (when not NULL) whether the user stack reaches its
 * start (struct stack_frames' root).
 */
int folded_add_sample(struct folded *f, const struct stack_sample *s, const struct ksyms *ks,
		      struct syms_cache *sc);
int folded_add_sample_cut(struct folded *f, const struct stack_sample *s,
			  const struct ksyms *ks, struct syms_cache *sc, int *cut, bool *root);

size_t folded_count(const struct folded *f); /* distinct stacks */
uint64_t folded_total(const struct folded *f); /* sum of values (saturates) */
/* Stack i in sorted order (byte order of the stack text), 0 <= i < folded_count. */
void folded_get(struct folded *f, size_t i, const char **stack, uint64_t *value);
/* The value of one stack, 0 when absent. */
uint64_t folded_lookup(const struct folded *f, const char *stack);

int folded_write(struct folded *f, FILE *out);
/* Write atomically (temp file + rename). On failure err gets one sentence. */
int folded_write_file(struct folded *f, const char *path, char *err, size_t errlen);

/*
 * Parse a folded file into f (merging with what it holds). Blank lines are skipped; a
 * bad line fails the whole read with "NAME:LINE: what is wrong" in err and -EINVAL.
 */
int folded_read(struct folded *f, FILE *in, const char *name, char *err, size_t errlen);
int folded_read_file(struct folded *f, const char *path, char *err, size_t errlen);

enum frame_kind {
	FRAME_USER,
	FRAME_KERNEL,  /* ends in "_[k]" */
	FRAME_TAG,     /* "key=value" (key: a-z 0-9 _), or a marker "[a-z-_]" */
	FRAME_UNNAMED, /* "module+0xoffset", "[unknown]" */
};

enum frame_kind folded_frame_kind(const char *frame, size_t len);

#endif /* OPSCOPE_FOLDED_H */
