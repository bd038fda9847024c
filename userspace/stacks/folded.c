// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Folded stacks: a hash table of stack text -> value, written sorted; a parser for
 * folded files. See folded.h.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/sbuf.h"
#include "stacks/folded.h"
#include "stacks/symbols.h"

struct fentry {
	char *stack; /* NULL: empty slot */
	uint64_t hash;
	uint64_t value;
};

struct folded {
	struct fentry *tab;
	size_t cap, nr;
	uint64_t total;
	struct fentry **sorted; /* valid when is_sorted */
	bool is_sorted;
};

struct folded *folded_new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cap = 256;
	f->tab = calloc(f->cap, sizeof(*f->tab));
	if (!f->tab) {
		free(f);
		return NULL;
	}
	return f;
}

void folded_free(struct folded *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->cap; i++)
		free(f->tab[i].stack);
	free(f->tab);
	free(f->sorted);
	free(f);
}

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct fentry *folded_slot(struct fentry *tab, size_t cap, const char *s, size_t n,
				  uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		struct fentry *e = &tab[i];

		if (!e->stack)
			return e;
		if (e->hash == h && !strncmp(e->stack, s, n) && e->stack[n] == '\0')
			return e;
	}
}

static int folded_grow(struct folded *f)
{
	size_t ncap = f->cap * 2, i;
	struct fentry *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < f->cap; i++) {
		struct fentry *e = &f->tab[i];

		if (e->stack)
			*folded_slot(nt, ncap, e->stack, strlen(e->stack), e->hash) = *e;
	}
	free(f->tab);
	f->tab = nt;
	f->cap = ncap;
	return 0;
}

/* Add the n bytes at s (no NUL needed) as one stack. */
static int folded_put(struct folded *f, const char *s, size_t n, uint64_t value)
{
	uint64_t h = hash_str(s, n);
	struct fentry *e;
	int err;

	if ((f->nr + 1) * 4 > f->cap * 3) {
		err = folded_grow(f);
		if (err)
			return err;
	}
	e = folded_slot(f->tab, f->cap, s, n, h);
	if (e->stack) {
		if (e->value + value < e->value)
			return -EOVERFLOW;
		e->value += value;
	} else {
		e->stack = strndup(s, n);
		if (!e->stack)
			return -ENOMEM;
		e->hash = h;
		e->value = value;
		f->nr++;
		f->is_sorted = false;
	}
	f->total = f->total + value < f->total ? UINT64_MAX : f->total + value;
	return 0;
}

void folded_escape_frame(const char *in, char *out, size_t len)
{
	size_t i, w = 0;

	if (!len)
		return;
	if (!in || !*in)
		in = "[unknown]";
	for (i = 0; in[i] && w + 1 < len; i++) {
		char c = in[i];

		if (c == ';')
			c = ':';
		else if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		out[w++] = c;
	}
	out[w] = '\0';
}

/* Append one escaped frame, with a ';' before it unless it is the first. */
static int sbuf_frame(struct sbuf *b, const char *name, const char *suffix)
{
	size_t n = strlen(name ? name : "") + (suffix ? strlen(suffix) : 0) + 16;
	int err = sbuf_reserve(b, n + 1);

	if (err)
		return err;
	if (b->len)
		b->s[b->len++] = ';';
	folded_escape_frame(name, b->s + b->len, n);
	b->len += strlen(b->s + b->len);
	if (suffix) {
		memcpy(b->s + b->len, suffix, strlen(suffix) + 1);
		b->len += strlen(suffix);
	}
	return 0;
}

int folded_add(struct folded *f, const char *const *frames, size_t n, uint64_t value)
{
	struct sbuf b = { 0 };
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		err = sbuf_frame(&b, frames[i], NULL);
	if (!err && !b.len)
		err = sbuf_frame(&b, NULL, NULL);
	if (!err)
		err = folded_put(f, b.s, b.len, value);
	free(b.s);
	return err;
}

int folded_add_stack(struct folded *f, const char *stack, uint64_t value)
{
	char *s = strdup(stack && *stack ? stack : "[unknown]"), *p;
	int err;

	if (!s)
		return -ENOMEM;
	for (p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	err = folded_put(f, s, strlen(s), value);
	free(s);
	return err;
}

static int sf_add(struct stack_frames *sf, uint64_t addr, bool kernel, bool named,
		  const char *name)
{
	size_t n = strlen(name) + 1;

	if (sf->n == sf->cap) {
		size_t cap = sf->cap ? sf->cap * 2 : 128;
		struct stack_frame *nf = realloc(sf->f, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		sf->f = nf;
		sf->cap = cap;
	}
	if (sf->plen + n > sf->pcap) {
		size_t cap = sf->pcap ? sf->pcap : 4096;
		char *np;

		while (cap < sf->plen + n)
			cap *= 2;
		np = realloc(sf->pool, cap);
		if (!np)
			return -ENOMEM;
		sf->pool = np;
		sf->pcap = cap;
	}
	memcpy(sf->pool + sf->plen, name, n);
	sf->f[sf->n++] = (struct stack_frame){ addr, kernel, named, sf->plen };
	sf->plen += n;
	return 0;
}

bool stack_root_name(const char *name)
{
	static const char *const roots[] = {
		"_start", "main", "__libc_start_main", "__libc_start_call_main", "start_thread",
		"clone3", "__clone3", "clone", "__clone", "thread_start",
	};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(name, roots[i]))
			return true;
	return false;
}

int stack_frames_resolve(struct stack_frames *out, const struct stack_sample *s,
			 const struct ksyms *ks, struct syms_cache *sc)
{
	char name[1024];
	int i, keep = s->udepth, err = 0;

	out->n = 0;
	out->plen = 0;
	out->root = false;
	/* a frame-pointer walk that left the code reads data as return addresses: what is
	 * past the first frame outside executable memory is not a caller */
	if (sc && s->udepth > 0)
		keep = syms_cache_code_depth(sc, s->uips, s->udepth);
	out->cut = 0;
	for (i = keep; i < s->udepth; i++)
		out->cut += s->uips[i] != 0;
	for (i = keep - 1; i >= 0 && !err; i--) {
		int rc;

		if (!s->uips[i])
			continue;
		rc = syms_cache_resolve(sc, s->uips[i], name, sizeof(name));
		if (!out->n)
			out->root = (s->uroot && !out->cut) ||
				    (rc == SYM_NAMED && stack_root_name(name));
		err = sf_add(out, s->uips[i], false, rc == SYM_NAMED, name);
	}
	for (i = s->kdepth - 1; i >= 0 && !err; i--) {
		int rc;

		if (!s->kips[i])
			continue;
		rc = ksyms_resolve(ks, s->kips[i], name, sizeof(name));
		err = sf_add(out, s->kips[i], true, rc == 1, name);
	}
	return err;
}

void stack_frames_free(struct stack_frames *sf)
{
	free(sf->f);
	free(sf->pool);
	memset(sf, 0, sizeof(*sf));
}

int folded_add_sample_cut(struct folded *f, const struct stack_sample *s,
			  const struct ksyms *ks, struct syms_cache *sc, int *cut, bool *root)
{
	struct stack_frames sf = { 0 };
	struct sbuf b = { 0 };
	size_t k;
	int i, err;

	err = stack_frames_resolve(&sf, s, ks, sc);
	for (i = 0; i < s->ntags && !err; i++)
		err = sbuf_frame(&b, s->tags[i], NULL);
	for (k = 0; k < sf.n && !err; k++)
		err = sbuf_frame(&b, stack_frames_name(&sf, k),
				 sf.f[k].kernel ? FOLDED_KERNEL_SUFFIX : NULL);
	if (!err && !b.len)
		err = sbuf_frame(&b, NULL, NULL);
	if (!err)
		err = folded_put(f, b.s, b.len, s->value);
	if (cut)
		*cut = sf.cut;
	if (root)
		*root = sf.root;
	stack_frames_free(&sf);
	free(b.s);
	return err;
}

int folded_add_sample(struct folded *f, const struct stack_sample *s, const struct ksyms *ks,
		      struct syms_cache *sc)
{
	return folded_add_sample_cut(f, s, ks, sc, NULL, NULL);
}

size_t folded_count(const struct folded *f)
{
	return f->nr;
}

uint64_t folded_total(const struct folded *f)
{
	return f->total;
}

static int fentry_cmp(const void *a, const void *b)
{
	const struct fentry *x = *(struct fentry *const *)a, *y = *(struct fentry *const *)b;

	return strcmp(x->stack, y->stack);
}

static int folded_sort(struct folded *f)
{
	struct fentry **v;
	size_t i, w = 0;

	if (f->is_sorted)
		return 0;
	v = realloc(f->sorted, (f->nr ? f->nr : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->sorted = v;
	for (i = 0; i < f->cap; i++)
		if (f->tab[i].stack)
			v[w++] = &f->tab[i];
	qsort(v, w, sizeof(*v), fentry_cmp);
	f->is_sorted = true;
	return 0;
}

void folded_get(struct folded *f, size_t i, const char **stack, uint64_t *value)
{
	if (folded_sort(f) || i >= f->nr) {
		*stack = NULL;
		*value = 0;
		return;
	}
	*stack = f->sorted[i]->stack;
	*value = f->sorted[i]->value;
}

uint64_t folded_lookup(const struct folded *f, const char *stack)
{
	size_t n = strlen(stack);
	struct fentry *e = folded_slot(f->tab, f->cap, stack, n, hash_str(stack, n));

	return e->stack ? e->value : 0;
}

int folded_write(struct folded *f, FILE *out)
{
	size_t i;
	int err = folded_sort(f);

	if (err)
		return err;
	for (i = 0; i < f->nr; i++)
		if (fprintf(out, "%s %" PRIu64 "\n", f->sorted[i]->stack, f->sorted[i]->value) < 0)
			return -EIO;
	return 0;
}

int folded_write_file(struct folded *f, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *out = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);

	if (!out)
		return -errno;
	return atomic_file_commit(out, tmp, path, folded_write(f, out), err, errlen);
}

enum frame_kind folded_frame_kind(const char *frame, size_t len)
{
	size_t i, sl = strlen(FOLDED_KERNEL_SUFFIX);

	if (len >= sl && !memcmp(frame + len - sl, FOLDED_KERNEL_SUFFIX, sl))
		return FRAME_KERNEL;
	for (i = 0; i < len; i++) {
		char c = frame[i];

		if (c == '=' && i > 0 && i + 1 < len)
			return FRAME_TAG;
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_')
			break;
	}
	for (i = 0; i + 3 < len; i++)
		if (frame[i] == '+' && frame[i + 1] == '0' && frame[i + 2] == 'x')
			return FRAME_UNNAMED;
	if (len == 9 && !memcmp(frame, "[unknown]", 9))
		return FRAME_UNNAMED;
	/* "[blocked]", "[on-cpu]": a word in brackets is a marker opscope adds */
	if (len > 2 && frame[0] == '[' && frame[len - 1] == ']') {
		for (i = 1; i + 1 < len; i++)
			if (!(frame[i] >= 'a' && frame[i] <= 'z') && frame[i] != '-' &&
			    frame[i] != '_')
				return FRAME_USER;
		return FRAME_TAG;
	}
	return FRAME_USER;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int folded_read(struct folded *f, FILE *in, const char *name, char *err, size_t errlen)
{
	unsigned long long total = 0;
	char *line = NULL, cs[32];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = files_getline(&line, &cap, in, FILES_MAX_LINE)) >= 0) {
		char *sp, *end, *prev;
		unsigned long long v;
		size_t slen;

		lineno++;
		total += (unsigned long long)n;
		if (total > FILES_MAX_FOLDED) {
			files_fmt_size(cs, sizeof(cs), FILES_MAX_FOLDED);
			snprintf(err, errlen, "%s is larger than %s, the most opscope reads of a "
				 "folded file; check that it is the right file", name, cs);
			rc = -EFBIG;
			break;
		}
		if (strlen(line) != (size_t)n) {
			snprintf(err, errlen, "%s:%zu: a NUL byte: this is not a folded text file",
				 name, lineno);
			rc = -EINVAL;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
				 line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		sp = strrchr(line, ' ');
		if (!sp) {
			snprintf(err, errlen, "%s:%zu: no count at the end of the line; a folded "
				 "line is 'frame;frame;... COUNT'", name, lineno);
			rc = -EINVAL;
			break;
		}
		if (!all_digits(sp + 1, strlen(sp + 1))) {
			snprintf(err, errlen, "%s:%zu: the count '%.40s' is not a whole number; a "
				 "folded line ends in a space and a count of samples, ns or faults",
				 name, lineno, sp + 1);
			rc = -EINVAL;
			break;
		}
		errno = 0;
		v = strtoull(sp + 1, &end, 10);
		if (errno == ERANGE || *end) {
			snprintf(err, errlen, "%s:%zu: the count '%.40s' does not fit in 64 bits",
				 name, lineno, sp + 1);
			rc = -EINVAL;
			break;
		}
		slen = (size_t)(sp - line);
		while (slen && (line[slen - 1] == ' ' || line[slen - 1] == '\t'))
			slen--;
		if (!slen) {
			snprintf(err, errlen, "%s:%zu: empty stack before the count; a folded line is "
				 "'frame;frame;... COUNT'", name, lineno);
			rc = -EINVAL;
			break;
		}
		line[slen] = '\0';
		prev = strrchr(line, ' ');
		if (prev && all_digits(prev + 1, strlen(prev + 1)) && !strchr(prev + 1, ';')) {
			snprintf(err, errlen, "%s:%zu: two counts on one line: this looks like the "
				 "output of a difffolded script; give the two folded files to "
				 "'opscope flamegraph --diff A.folded B.folded' instead", name,
				 lineno);
			rc = -EINVAL;
			break;
		}
		rc = folded_put(f, line, slen, v);
		if (rc == -EOVERFLOW) {
			snprintf(err, errlen, "%s:%zu: this stack's counts add up past 2^64", name,
				 lineno);
			rc = -EINVAL;
		} else if (rc) {
			snprintf(err, errlen, "%s:%zu: cannot store this stack: %s", name, lineno,
				 strerror(-rc));
		}
	}
	if (!rc && n == -EFBIG) {
		files_fmt_size(cs, sizeof(cs), FILES_MAX_LINE);
		snprintf(err, errlen, "%s:%zu: a line longer than %s: this is not a folded "
			 "file", name, lineno + 1, cs);
		rc = -EFBIG;
	} else if (!rc && n == -ENOMEM) {
		snprintf(err, errlen, "%s:%zu: out of memory", name, lineno + 1);
		rc = -ENOMEM;
	} else if (!rc && (n == -EIO || ferror(in))) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error after line %zu; check the device or file "
			 "system it is on", name, lineno);
	}
	free(line);
	return rc;
}

int folded_read_file(struct folded *f, const char *path, char *err, size_t errlen)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	int rc;

	if (!in) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s; check the path and its permissions",
			 path, strerror(-rc));
		return rc;
	}
	rc = folded_read(f, in, path, err, errlen);
	if (in != stdin)
		fclose(in);
	return rc;
}
