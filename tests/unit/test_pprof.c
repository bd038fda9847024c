// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * pprof round trip: a minimal protobuf reader written here (independent of the encoder)
 * decodes what pprof.c wrote, field by field, and every field is checked: sample types,
 * samples (locations, values, labels), mappings, locations, functions, the string table,
 * period, time and duration. Also the gzip layer and the atomic file.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "stacks/folded.h"
#include "stacks/pprof.h"

/* ---- a minimal protobuf reader ---- */

struct pb {
	const uint8_t *p, *end;
};

static uint64_t pb_varint(struct pb *r)
{
	uint64_t v = 0;
	int shift = 0;

	for (;;) {
		uint8_t c;

		ck_assert_msg(r->p < r->end, "varint runs past the end");
		ck_assert_msg(shift < 64, "varint longer than 10 bytes");
		c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80))
			return v;
	}
}

struct pbf {
	unsigned field, wire;
	uint64_t v;          /* wire 0 */
	struct pb sub;       /* wire 2 */
};

static int pb_next(struct pb *r, struct pbf *f)
{
	uint64_t key, n;

	if (r->p >= r->end)
		return 0;
	key = pb_varint(r);
	f->field = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	if (f->wire == 0) {
		f->v = pb_varint(r);
	} else {
		ck_assert_msg(f->wire == 2, "field %u: wire type %u not written by pprof.c",
			      f->field, f->wire);
		n = pb_varint(r);
		ck_assert_msg(n <= (uint64_t)(r->end - r->p), "field %u overruns", f->field);
		f->sub.p = r->p;
		f->sub.end = r->p + n;
		r->p += n;
	}
	return 1;
}

/* Repeated integers, packed or not. */
static void pb_ints(struct pbf *f, uint64_t *out, int *n, int max)
{
	if (f->wire == 0) {
		ck_assert(*n < max);
		out[(*n)++] = f->v;
		return;
	}
	while (f->sub.p < f->sub.end) {
		ck_assert(*n < max);
		out[(*n)++] = pb_varint(&f->sub);
	}
}

/* ---- profile.proto, decoded ---- */

#define MAXN 2048

struct dlabel {
	int64_t key, str, num, num_unit;
};

struct dsample {
	uint64_t loc[64];
	int nloc;
	uint64_t val[8];
	int nval;
	struct dlabel lab[8];
	int nlab;
};

struct dloc {
	uint64_t id, mapping_id, address, fn[4];
	int nline;
};

struct dfn {
	uint64_t id;
	int64_t name, system_name, filename;
};

struct dmap {
	uint64_t id, start, limit, offset;
	int64_t filename, build_id;
	int has_functions;
};

struct dprof {
	int64_t st_type[8], st_unit[8];
	int nst;
	struct dsample s[MAXN];
	int ns;
	struct dloc l[MAXN];
	int nl;
	struct dfn f[MAXN];
	int nf;
	struct dmap m[16];
	int nm;
	char *str[MAXN];
	int nstr;
	int64_t time, dur, period, pt_type, pt_unit, default_type;
	int has_pt;
};

static struct dprof D;

static void decode(const uint8_t *buf, size_t len, struct dprof *d)
{
	struct pb r = { buf, buf + len };
	struct pbf f, g, h;

	memset(d, 0, sizeof(*d));
	while (pb_next(&r, &f)) {
		switch (f.field) {
		case 1: /* sample_type */
		case 11: { /* period_type */
			int64_t t = 0, u = 0;

			while (pb_next(&f.sub, &g)) {
				ck_assert(g.wire == 0 && (g.field == 1 || g.field == 2));
				if (g.field == 1)
					t = (int64_t)g.v;
				else
					u = (int64_t)g.v;
			}
			if (f.field == 1) {
				ck_assert(d->nst < 8);
				d->st_type[d->nst] = t;
				d->st_unit[d->nst++] = u;
			} else {
				d->pt_type = t;
				d->pt_unit = u;
				d->has_pt = 1;
			}
			break;
		}
		case 2: { /* sample */
			struct dsample *s = &d->s[d->ns++];

			ck_assert(d->ns <= MAXN);
			while (pb_next(&f.sub, &g)) {
				if (g.field == 1) {
					pb_ints(&g, s->loc, &s->nloc, 64);
				} else if (g.field == 2) {
					pb_ints(&g, s->val, &s->nval, 8);
				} else {
					struct dlabel *l = &s->lab[s->nlab++];

					ck_assert(g.field == 3 && g.wire == 2 && s->nlab <= 8);
					while (pb_next(&g.sub, &h)) {
						ck_assert(h.wire == 0 && h.field >= 1 &&
							  h.field <= 4);
						if (h.field == 1)
							l->key = (int64_t)h.v;
						else if (h.field == 2)
							l->str = (int64_t)h.v;
						else if (h.field == 3)
							l->num = (int64_t)h.v;
						else
							l->num_unit = (int64_t)h.v;
					}
				}
			}
			break;
		}
		case 3: { /* mapping */
			struct dmap *m = &d->m[d->nm++];

			ck_assert(d->nm <= 16);
			while (pb_next(&f.sub, &g)) {
				ck_assert(g.wire == 0);
				if (g.field == 1)
					m->id = g.v;
				else if (g.field == 2)
					m->start = g.v;
				else if (g.field == 3)
					m->limit = g.v;
				else if (g.field == 4)
					m->offset = g.v;
				else if (g.field == 5)
					m->filename = (int64_t)g.v;
				else if (g.field == 6)
					m->build_id = (int64_t)g.v;
				else if (g.field == 7)
					m->has_functions = (int)g.v;
				else
					ck_abort_msg("unexpected mapping field %u", g.field);
			}
			break;
		}
		case 4: { /* location */
			struct dloc *l = &d->l[d->nl++];

			ck_assert(d->nl <= MAXN);
			while (pb_next(&f.sub, &g)) {
				if (g.field == 1) {
					l->id = g.v;
				} else if (g.field == 2) {
					l->mapping_id = g.v;
				} else if (g.field == 3) {
					l->address = g.v;
				} else {
					ck_assert(g.field == 4 && g.wire == 2 && l->nline < 4);
					while (pb_next(&g.sub, &h)) {
						ck_assert_msg(h.field == 1, "line field %u",
							      h.field);
						l->fn[l->nline] = h.v;
					}
					l->nline++;
				}
			}
			break;
		}
		case 5: { /* function */
			struct dfn *fn = &d->f[d->nf++];

			ck_assert(d->nf <= MAXN);
			while (pb_next(&f.sub, &g)) {
				ck_assert(g.wire == 0);
				if (g.field == 1)
					fn->id = g.v;
				else if (g.field == 2)
					fn->name = (int64_t)g.v;
				else if (g.field == 3)
					fn->system_name = (int64_t)g.v;
				else if (g.field == 4)
					fn->filename = (int64_t)g.v;
				else
					ck_abort_msg("unexpected function field %u", g.field);
			}
			break;
		}
		case 6: /* string_table */
			ck_assert(f.wire == 2 && d->nstr < MAXN);
			d->str[d->nstr++] = strndup((const char *)f.sub.p,
						    (size_t)(f.sub.end - f.sub.p));
			break;
		case 9:
			d->time = (int64_t)f.v;
			break;
		case 10:
			d->dur = (int64_t)f.v;
			break;
		case 12:
			d->period = (int64_t)f.v;
			break;
		case 14:
			d->default_type = (int64_t)f.v;
			break;
		default:
			ck_abort_msg("unexpected profile field %u", f.field);
		}
	}
}

static const char *S(const struct dprof *d, int64_t i)
{
	ck_assert_msg(i >= 0 && i < d->nstr, "string index %lld out of range", (long long)i);
	return d->str[i];
}

static const struct dloc *loc_by_id(const struct dprof *d, uint64_t id)
{
	int i;

	for (i = 0; i < d->nl; i++)
		if (d->l[i].id == id)
			return &d->l[i];
	ck_abort_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const struct dfn *fn_by_id(const struct dprof *d, uint64_t id)
{
	int i;

	for (i = 0; i < d->nf; i++)
		if (d->f[i].id == id)
			return &d->f[i];
	ck_abort_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

static const char *frame_name(const struct dprof *d, uint64_t loc)
{
	const struct dloc *l = loc_by_id(d, loc);

	ck_assert_int_eq(l->nline, 1);
	return S(d, fn_by_id(d, l->fn[0])->name);
}

/* Label value of key in sample s ("" when absent), or its number through *num. */
static const char *label(const struct dprof *d, const struct dsample *s, const char *key,
			 int64_t *num, const char **unit)
{
	int i;

	for (i = 0; i < s->nlab; i++)
		if (!strcmp(S(d, s->lab[i].key), key)) {
			if (num)
				*num = s->lab[i].num;
			if (unit)
				*unit = S(d, s->lab[i].num_unit);
			return S(d, s->lab[i].str);
		}
	return NULL;
}

static void free_strings(struct dprof *d)
{
	int i;

	for (i = 0; i < d->nstr; i++)
		free(d->str[i]);
}

/* Every id is 1..n in order, every reference resolves, strings are unique. */
static void check_ids(const struct dprof *d)
{
	int i, j;

	ck_assert_str_eq(S(d, 0), "");
	for (i = 0; i < d->nstr; i++)
		for (j = i + 1; j < d->nstr; j++)
			ck_assert_msg(strcmp(d->str[i], d->str[j]), "string '%s' twice", d->str[i]);
	for (i = 0; i < d->nm; i++) {
		ck_assert_uint_eq(d->m[i].id, (uint64_t)i + 1);
		ck_assert_int_eq(d->m[i].has_functions, 1);
		S(d, d->m[i].filename);
	}
	for (i = 0; i < d->nf; i++) {
		ck_assert_uint_eq(d->f[i].id, (uint64_t)i + 1);
		ck_assert_int_eq(d->f[i].name, d->f[i].system_name);
		S(d, d->f[i].name);
		S(d, d->f[i].filename);
	}
	for (i = 0; i < d->nl; i++) {
		ck_assert_uint_eq(d->l[i].id, (uint64_t)i + 1);
		ck_assert_uint_le(d->l[i].mapping_id, (uint64_t)d->nm);
		fn_by_id(d, d->l[i].fn[0]);
	}
	for (i = 0; i < d->ns; i++) {
		ck_assert_int_eq(d->s[i].nval, d->nst);
		for (j = 0; j < d->s[i].nloc; j++)
			loc_by_id(d, d->s[i].loc[j]);
	}
}

static const struct pprof_value_type types3[] = {
	{ "cpu", "samples" }, { "offcpu", "nanoseconds" }, { "faults", "count" }
};

START_TEST(test_round_trip_samples)
{
	struct pprof *p = pprof_new(types3, 3);
	struct pprof_frame s1[] = { { "leaf_fn", "/usr/bin/app", 0x1234, NULL },
				    { "mid_fn", "/usr/bin/app", 0x1100, NULL },
				    { "main", "/usr/bin/app", 0x1000, NULL } };
	struct pprof_frame s2[] = { { "memcpy", "/lib/libc.so.6", 0x9abc, NULL },
				    { "mid_fn", "/usr/bin/app", 0x1100, NULL },
				    { "main", "/usr/bin/app", 0x1000, NULL } };
	struct pprof_frame s3[] = { { "schedule_[k]", NULL, 0, NULL } };
	struct pprof_label l1[] = { { "scenario", "pool", 0, NULL }, { "op", "submit", 0, NULL },
				    { "thread", "worker-1", 0, NULL },
				    { "bytes", NULL, 4096, "bytes" } };
	struct pprof_label l3[] = { { "delta", NULL, -5, NULL } };
	int64_t v1[] = { 7, 0, 0 }, v2[] = { 0, 123456789012LL, 0 }, v3[] = { 0, 0, 3 };
	const char *unit = NULL;
	uint8_t *buf;
	size_t len;
	int64_t num = 0;
	const struct dsample *s;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pprof_set_period(p, "cpu", "nanoseconds", 10000000), 0);
	pprof_set_time(p, 1763950000123456789LL, 2500000000LL);
	ck_assert_int_eq(pprof_set_default_type(p, 3), -EINVAL);
	ck_assert_int_eq(pprof_set_default_type(p, 1), 0);
	ck_assert_int_eq(pprof_add_sample(p, s1, 3, v1, l1, 4), 0);
	ck_assert_int_eq(pprof_add_sample(p, s2, 3, v2, l1, 3), 0);
	ck_assert_int_eq(pprof_add_sample(p, s3, 1, v3, l3, 1), 0);
	ck_assert_uint_eq(pprof_sample_count(p), 3);
	ck_assert_int_eq(pprof_encode(p, &buf, &len), 0);
	decode(buf, len, &D);
	free(buf);
	check_ids(&D);

	ck_assert_int_eq(D.nst, 3);
	ck_assert_str_eq(S(&D, D.st_type[0]), "cpu");
	ck_assert_str_eq(S(&D, D.st_unit[0]), "samples");
	ck_assert_str_eq(S(&D, D.st_type[1]), "offcpu");
	ck_assert_str_eq(S(&D, D.st_unit[1]), "nanoseconds");
	ck_assert_str_eq(S(&D, D.st_type[2]), "faults");
	ck_assert_str_eq(S(&D, D.st_unit[2]), "count");
	ck_assert(D.has_pt);
	ck_assert_str_eq(S(&D, D.pt_type), "cpu");
	ck_assert_str_eq(S(&D, D.pt_unit), "nanoseconds");
	ck_assert_int_eq(D.period, 10000000);
	ck_assert_int_eq(D.time, 1763950000123456789LL);
	ck_assert_int_eq(D.dur, 2500000000LL);
	ck_assert_str_eq(S(&D, D.default_type), "offcpu");

	ck_assert_int_eq(D.ns, 3);
	/* sample 1: leaf first, values, four labels */
	s = &D.s[0];
	ck_assert_int_eq(s->nloc, 3);
	ck_assert_str_eq(frame_name(&D, s->loc[0]), "leaf_fn");
	ck_assert_str_eq(frame_name(&D, s->loc[1]), "mid_fn");
	ck_assert_str_eq(frame_name(&D, s->loc[2]), "main");
	ck_assert_uint_eq(loc_by_id(&D, s->loc[0])->address, 0x1234);
	ck_assert_str_eq(S(&D, D.m[loc_by_id(&D, s->loc[0])->mapping_id - 1].filename),
			 "/usr/bin/app");
	ck_assert_str_eq(S(&D, fn_by_id(&D, loc_by_id(&D, s->loc[0])->fn[0])->filename),
			 "/usr/bin/app");
	ck_assert_uint_eq(s->val[0], 7);
	ck_assert_uint_eq(s->val[1], 0);
	ck_assert_uint_eq(s->val[2], 0);
	ck_assert_int_eq(s->nlab, 4);
	ck_assert_str_eq(label(&D, s, "scenario", NULL, NULL), "pool");
	ck_assert_str_eq(label(&D, s, "op", NULL, NULL), "submit");
	ck_assert_str_eq(label(&D, s, "thread", NULL, NULL), "worker-1");
	ck_assert_str_eq(label(&D, s, "bytes", &num, &unit), "");
	ck_assert_int_eq(num, 4096);
	ck_assert_str_eq(unit, "bytes");
	/* sample 2 shares mid_fn and main: same location ids */
	ck_assert_uint_eq(D.s[1].loc[1], s->loc[1]);
	ck_assert_uint_eq(D.s[1].loc[2], s->loc[2]);
	ck_assert_str_eq(frame_name(&D, D.s[1].loc[0]), "memcpy");
	ck_assert_str_eq(S(&D, D.m[loc_by_id(&D, D.s[1].loc[0])->mapping_id - 1].filename),
			 "/lib/libc.so.6");
	ck_assert_uint_eq(D.s[1].val[1], 123456789012ULL);
	ck_assert_int_eq(D.s[1].nlab, 3);
	/* sample 3: no mapping, a negative numeric label (ten-byte varint) */
	ck_assert_int_eq(D.s[2].nloc, 1);
	ck_assert_str_eq(frame_name(&D, D.s[2].loc[0]), "schedule_[k]");
	ck_assert_uint_eq(loc_by_id(&D, D.s[2].loc[0])->mapping_id, 0);
	ck_assert_uint_eq(D.s[2].val[2], 3);
	label(&D, &D.s[2], "delta", &num, NULL);
	ck_assert_int_eq(num, -5);

	ck_assert_int_eq(D.nm, 2);
	ck_assert_int_eq(D.nl, 5); /* leaf_fn, mid_fn, main, memcpy, schedule */
	ck_assert_int_eq(D.nf, 5);
	free_strings(&D);
	pprof_free(p);
}
END_TEST

/*
 * Real mappings: the range, file offset, path and build id of the /proc/<pid>/maps line
 * a frame is in; the first mapping added is the first in the file (pprof's main
 * binary); frames of one mapping share it; has_functions as given.
 */
START_TEST(test_mappings)
{
	struct pprof *p = pprof_new(types3, 3);
	struct pprof_mapping exe = { 0x555500001000, 0x555500009000, 0x1000, "/usr/bin/app",
				     "0123456789abcdef0123456789abcdef01234567", false };
	struct pprof_mapping libc = { 0x7f0000028000, 0x7f000019d000, 0x28000,
				      "/lib/x86_64-linux-gnu/libc.so.6", "93ac61ec", true };
	struct pprof_mapping kern = { 0xffff800000000000ULL, UINT64_MAX, 0, "[kernel.kallsyms]",
				      NULL, true };
	struct pprof_frame fr[] = {
		{ "schedule_[k]", NULL, 0xffffffff81000150ULL, &kern },
		{ "syscall", NULL, 0x7f0000030010, &libc },
		{ "worker", NULL, 0x555500002345, &exe },
		{ "main", NULL, 0x555500001100, &exe },
	};
	int64_t v[] = { 1, 0, 0 };
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(pprof_add_mapping(p, &exe), 0);
	ck_assert_int_eq(pprof_add_sample(p, fr, 4, v, NULL, 0), 0);
	ck_assert_int_eq(pprof_encode(p, &buf, &len), 0);
	decode(buf, len, &D);
	ck_assert_int_eq(D.nm, 3);
	ck_assert_str_eq(S(&D, D.m[0].filename), "/usr/bin/app");
	ck_assert_uint_eq(D.m[0].start, 0x555500001000);
	ck_assert_uint_eq(D.m[0].limit, 0x555500009000);
	ck_assert_uint_eq(D.m[0].offset, 0x1000);
	ck_assert_str_eq(S(&D, D.m[0].build_id), "0123456789abcdef0123456789abcdef01234567");
	ck_assert_int_eq(D.m[0].has_functions, 0);
	ck_assert_uint_eq(loc_by_id(&D, D.s[0].loc[2])->mapping_id, 1);
	ck_assert_uint_eq(loc_by_id(&D, D.s[0].loc[3])->mapping_id, 1);
	ck_assert_uint_eq(loc_by_id(&D, D.s[0].loc[3])->address, 0x555500001100);
	ck_assert_str_eq(S(&D, D.m[loc_by_id(&D, D.s[0].loc[0])->mapping_id - 1].filename),
			 "[kernel.kallsyms]");
	ck_assert_int_eq(D.m[loc_by_id(&D, D.s[0].loc[1])->mapping_id - 1].has_functions, 1);
	ck_assert_str_eq(S(&D, D.m[loc_by_id(&D, D.s[0].loc[1])->mapping_id - 1].build_id),
			 "93ac61ec");
	free(buf);
	pprof_free(p);
}
END_TEST

START_TEST(test_folded_tags_become_labels)
{
	struct pprof *p = pprof_new(types3, 3);
	struct folded *f = folded_new();
	uint8_t *buf;
	size_t len;
	int i, found = 0;

	ck_assert_int_eq(folded_add_stack(f, "scenario=pool;op=submit;main;work;memcpy", 40), 0);
	ck_assert_int_eq(folded_add_stack(f, "scenario=chan;op=recv;main;read;schedule_[k]", 9),
			 0);
	ck_assert_int_eq(folded_add_stack(f, "main;a=b", 1), 0);
	ck_assert_int_eq(folded_add_stack(f, "thread=t1;[blocked];read", 2), 0);
	ck_assert_int_eq(pprof_add_folded(p, f, 1), 0);
	ck_assert_int_eq(pprof_add_folded(p, f, 3), -EINVAL);
	ck_assert_int_eq(pprof_encode(p, &buf, &len), 0);
	decode(buf, len, &D);
	free(buf);
	check_ids(&D);
	ck_assert_int_eq(D.ns, 4);
	for (i = 0; i < D.ns; i++) {
		const struct dsample *s = &D.s[i];
		const char *sc = label(&D, s, "scenario", NULL, NULL);

		ck_assert_uint_eq(s->val[0], 0);
		ck_assert_uint_eq(s->val[2], 0);
		if (sc && !strcmp(sc, "pool")) {
			ck_assert_str_eq(label(&D, s, "op", NULL, NULL), "submit");
			ck_assert_int_eq(s->nloc, 3);
			ck_assert_str_eq(frame_name(&D, s->loc[0]), "memcpy");
			ck_assert_str_eq(frame_name(&D, s->loc[2]), "main");
			ck_assert_uint_eq(s->val[1], 40);
			found |= 1;
		} else if (sc && !strcmp(sc, "chan")) {
			ck_assert_str_eq(label(&D, s, "op", NULL, NULL), "recv");
			ck_assert_str_eq(frame_name(&D, s->loc[0]), "schedule_[k]");
			ck_assert_uint_eq(s->val[1], 9);
			found |= 2;
		} else if (label(&D, s, "thread", NULL, NULL)) {
			/* a marker without a key stays a frame, at the root of the stack */
			ck_assert_str_eq(label(&D, s, "thread", NULL, NULL), "t1");
			ck_assert_int_eq(s->nlab, 1);
			ck_assert_int_eq(s->nloc, 2);
			ck_assert_str_eq(frame_name(&D, s->loc[0]), "read");
			ck_assert_str_eq(frame_name(&D, s->loc[1]), "[blocked]");
			found |= 8;
		} else {
			/* "a=b" below a real frame is a frame, not a tag */
			ck_assert_int_eq(s->nlab, 0);
			ck_assert_int_eq(s->nloc, 2);
			ck_assert_str_eq(frame_name(&D, s->loc[0]), "a=b");
			found |= 4;
		}
	}
	ck_assert_int_eq(found, 15);
	ck_assert(!D.has_pt);
	ck_assert_int_eq(D.default_type, 0);
	free_strings(&D);
	folded_free(f);
	pprof_free(p);
}
END_TEST

static void gunzip(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	size_t cap = inlen * 8 + (1 << 20);

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip only */
	*out = malloc(cap);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = *out;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	inflateEnd(&zs);
}

START_TEST(test_gzip_and_file)
{
	struct pprof *p = pprof_new(types3, 1);
	struct pprof_frame fr[] = { { "f", "m", 1, NULL } };
	int64_t v[] = { 1 };
	char dir[] = "/tmp/opscope-pprof-XXXXXX", path[128], err[256];
	uint8_t *raw, *gz, *back, *file;
	size_t rawlen, gzlen, backlen, filelen;
	struct stat st;
	FILE *f;
	int i;

	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(pprof_add_sample(p, fr, 1, v, NULL, 0), 0);
	ck_assert_int_eq(pprof_encode(p, &raw, &rawlen), 0);
	ck_assert_int_eq(pprof_gzip(raw, rawlen, &gz, &gzlen), 0);
	ck_assert_uint_eq(gz[0], 0x1f);
	ck_assert_uint_eq(gz[1], 0x8b);
	ck_assert_uint_lt(gzlen, rawlen); /* 1000 identical samples compress */
	gunzip(gz, gzlen, &back, &backlen);
	ck_assert_uint_eq(backlen, rawlen);
	ck_assert(!memcmp(back, raw, rawlen));

	ck_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cpu.pb.gz", dir);
	ck_assert_int_eq(pprof_write_file(p, path, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	filelen = (size_t)st.st_size;
	file = malloc(filelen);
	f = fopen(path, "rb");
	ck_assert_uint_eq(fread(file, 1, filelen, f), filelen);
	fclose(f);
	free(back);
	gunzip(file, filelen, &back, &backlen);
	ck_assert_uint_eq(backlen, rawlen);
	ck_assert(!memcmp(back, raw, rawlen));
	decode(back, backlen, &D);
	ck_assert_int_eq(D.ns, 1000);
	ck_assert_int_eq(D.nl, 1);
	free_strings(&D);
	unlink(path);
	rmdir(dir);
	ck_assert_int_lt(pprof_write_file(p, "/nonexistent/x.pb.gz", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.pb.gz"));
	free(raw);
	free(gz);
	free(back);
	free(file);
	pprof_free(p);
}
END_TEST

START_TEST(test_bad_arguments)
{
	errno = 0;
	ck_assert_ptr_null(pprof_new(types3, 0));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* one deflate call takes a uInt of input: a larger buffer is refused, not truncated
 * (the length is checked before the buffer is read, so a small one stands in) */
START_TEST(test_gzip_too_large)
{
	uint8_t in[1] = { 0 }, *gz = NULL;
	size_t gzlen = 0;

	ck_assert_int_eq(pprof_gzip(in, (size_t)UINT_MAX + 1, &gz, &gzlen), -EFBIG);
	ck_assert_ptr_null(gz);
	ck_assert_int_eq(pprof_gzip(in, sizeof(in), &gz, &gzlen), 0);
	ck_assert_uint_gt(gzlen, 18); /* gzip header and trailer around the data */
	free(gz);
}
END_TEST

static Suite *pprof_suite(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip_samples);
	tcase_add_test(tc, test_folded_tags_become_labels);
	tcase_add_test(tc, test_mappings);
	tcase_add_test(tc, test_gzip_and_file);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_gzip_too_large);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pprof_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
