// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel symbols from /proc/kallsyms, each bounded (the next symbol, the end of the core
 * kernel's text regions, a cap after a module's or the BPF programs' last symbol), BPF
 * programs named after the program. See symbols.h for the contract.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/strpool.h"
#include "stacks/symbols.h"

/* How far the last symbol of a module, or of the BPF programs, reaches at most. */
#define KSYM_TAIL_CAP (64 * 1024)

enum ksym_kind { KSYM_CORE, KSYM_MODULE, KSYM_BPF };

struct ksym {
	uint64_t addr, end; /* [addr, end): end set once the table is sorted */
	size_t name;        /* offset into strs */
	uint8_t kind;       /* enum ksym_kind */
};

struct ksyms {
	struct ksym *syms;
	size_t nr, cap;
	struct strpool strs;
};

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs.buf);
	free(ks);
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* keep file order among aliases: the first listed wins */
	return x->name < y->name ? -1 : x->name > y->name;
}

/* "bpf_prog_<16 hex>_<name>" (a BPF program's kallsyms entry) as "bpf:<name>". */
static void ksym_display_name(const char *name, const char *module, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s", name);
	if (strcmp(module, "bpf") || strncmp(name, "bpf_prog_", 9))
		return;
	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)name[9 + i]))
			return;
	if (name[25] == '_' && name[26])
		snprintf(out, len, "bpf:%s", name + 26);
}

static int ksyms_add(struct ksyms *ks, uint64_t addr, const char *name, const char *module)
{
	char disp[600];
	long off;

	if (ks->nr == ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 65536;
		struct ksym *n = realloc(ks->syms, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ks->syms = n;
		ks->cap = ncap;
	}
	ksym_display_name(name, module, disp, sizeof(disp));
	off = strpool_add(&ks->strs, disp);
	if (off < 0)
		return (int)off;
	ks->syms[ks->nr].addr = addr;
	ks->syms[ks->nr].end = addr;
	ks->syms[ks->nr].name = (size_t)off;
	ks->syms[ks->nr].kind = !module[0] ? KSYM_CORE :
				!strcmp(module, "bpf") ? KSYM_BPF : KSYM_MODULE;
	ks->nr++;
	return 0;
}

/* Address of a core symbol by name, 0 when absent. */
static uint64_t ksyms_marker(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->nr; i++)
		if (ks->syms[i].kind == KSYM_CORE && !strcmp(ks->strs.buf + ks->syms[i].name, name))
			return ks->syms[i].addr;
	return 0;
}

/*
 * Give every symbol its end: the next symbol's address, cut at the end of the core
 * kernel's text regions, and at most KSYM_TAIL_CAP after the last symbol of a module or
 * of the BPF area. A core symbol outside both text regions (the markers themselves, and
 * what follows _einittext up to the modules) covers nothing: above _einittext lie the
 * freed init pages, data and the module area, and naming such an address after the last
 * init function (_einittext) would be a lie. Without the markers (a partial file), the
 * next symbol is the only bound.
 */
static void ksyms_bound(struct ksyms *ks)
{
	uint64_t stext = ksyms_marker(ks, "_stext"), etext = ksyms_marker(ks, "_etext");
	uint64_t sinit = ksyms_marker(ks, "_sinittext"), einit = ksyms_marker(ks, "_einittext");
	bool regions = stext && etext > stext;
	size_t i, j;

	for (i = 0; i < ks->nr; i = j) {
		struct ksym *s = &ks->syms[i];
		uint64_t end;

		for (j = i + 1; j < ks->nr && ks->syms[j].addr == s->addr; j++)
			;
		end = j < ks->nr ? ks->syms[j].addr : UINT64_MAX;
		if (s->kind != KSYM_CORE || !regions) {
			if (s->kind != KSYM_CORE && (j == ks->nr || ks->syms[j].kind != s->kind ||
						     end - s->addr > KSYM_TAIL_CAP))
				end = s->addr + KSYM_TAIL_CAP < end ? s->addr + KSYM_TAIL_CAP : end;
			if (s->kind == KSYM_CORE && j == ks->nr)
				end = s->addr + KSYM_TAIL_CAP;
		} else if (s->addr >= stext && s->addr < etext) {
			end = end < etext ? end : etext;
		} else if (sinit && einit > sinit && s->addr >= sinit && s->addr < einit) {
			end = end < einit ? end : einit;
		} else {
			end = s->addr;
		}
		for (size_t k = i; k < j; k++)
			ks->syms[k].end = end;
	}
}

struct ksyms *ksyms_load_file(const char *path)
{
	struct ksyms *ks;
	char *line = NULL;
	size_t cap = 0;
	bool any_nonzero = false;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	while (!err && getline(&line, &cap, f) > 0) {
		char type, name[512], module[128] = "";
		unsigned long long addr;

		if (sscanf(line, "%llx %c %511s [%127[^]]]", &addr, &type, name, module) < 3)
			continue;
		if (addr)
			any_nonzero = true;
		/* text symbols only: stacks hold code addresses */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		err = ksyms_add(ks, addr, name, module);
	}
	free(line);
	fclose(f);
	if (!err && ks->nr && !any_nonzero)
		err = -EPERM;
	if (err) {
		ksyms_free(ks);
		errno = -err;
		return NULL;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), ksym_cmp);
	ksyms_bound(ks);
	return ks;
}

struct ksyms *ksyms_load(void)
{
	return ksyms_load_file("/proc/kallsyms");
}

size_t ksyms_count(const struct ksyms *ks)
{
	return ks ? ks->nr : 0;
}

const char *ksyms_find(const struct ksyms *ks, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi;
	const struct ksym *s;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	/* last symbol with s->addr <= addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	s = &ks->syms[lo];
	/* among aliases at one address, the first one sorted */
	while (s > ks->syms && s[-1].addr == s->addr)
		s--;
	if (addr >= s->end)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return ks->strs.buf + s->name;
}

int ksyms_resolve(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const char *name = ksyms_find(ks, addr, NULL);

	if (name) {
		snprintf(buf, len, "%s", name);
		return 1;
	}
	snprintf(buf, len, "[kernel]+0x%" PRIx64, addr);
	return 0;
}

