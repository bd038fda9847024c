// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * profile.proto by hand. The wire format needs only two encodings here: varints (wire
 * type 0) for integers, and length-delimited fields (wire type 2) for strings, packed
 * repeated integers and sub-messages. A sub-message is encoded into its own buffer
 * first so that its length is known. Field numbers are those of
 * github.com/google/pprof/proto/profile.proto.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "stacks/folded.h"
#include "stacks/pprof.h"

/* Profile */
#define P_SAMPLE_TYPE 1
#define P_SAMPLE 2
#define P_MAPPING 3
#define P_LOCATION 4
#define P_FUNCTION 5
#define P_STRING_TABLE 6
#define P_TIME_NANOS 9
#define P_DURATION_NANOS 10
#define P_PERIOD_TYPE 11
#define P_PERIOD 12
#define P_DEFAULT_SAMPLE_TYPE 14
/* ValueType */
#define VT_TYPE 1
#define VT_UNIT 2
/* Sample */
#define S_LOCATION_ID 1
#define S_VALUE 2
#define S_LABEL 3
/* Label */
#define L_KEY 1
#define L_STR 2
#define L_NUM 3
#define L_NUM_UNIT 4
/* Mapping */
#define M_ID 1
#define M_MEMORY_START 2
#define M_MEMORY_LIMIT 3
#define M_FILE_OFFSET 4
#define M_FILENAME 5
#define M_BUILD_ID 6
#define M_HAS_FUNCTIONS 7
/* Location */
#define LOC_ID 1
#define LOC_MAPPING_ID 2
#define LOC_ADDRESS 3
#define LOC_LINE 4
/* Line */
#define LN_FUNCTION_ID 1
/* Function */
#define F_ID 1
#define F_NAME 2
#define F_SYSTEM_NAME 3
#define F_FILENAME 4

/* ---- a byte buffer ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, d, n); /* d may be NULL when n is 0 */
	b->len += n;
}

static void put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_put(b, tmp, n);
}

static void put_tag(struct buf *b, unsigned field, unsigned wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

/* An integer field; proto3 leaves zero values out. int64 is sent as its 64-bit
 * two's complement (not zigzag), as protobuf does for int64. */
static void put_int(struct buf *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	put_tag(b, field, 0);
	put_varint(b, v);
}

static void put_bytes(struct buf *b, unsigned field, const void *d, size_t n)
{
	put_tag(b, field, 2);
	put_varint(b, n);
	buf_put(b, d, n);
}

static void put_msg(struct buf *b, unsigned field, struct buf *m)
{
	if (m->err)
		b->err = m->err;
	put_bytes(b, field, m->p, m->len);
	m->len = 0;
}

static void put_packed(struct buf *b, unsigned field, const uint64_t *v, size_t n,
		       struct buf *scratch)
{
	size_t i;

	if (!n)
		return;
	scratch->len = 0;
	for (i = 0; i < n; i++)
		put_varint(scratch, v[i]);
	put_msg(b, field, scratch);
}

/* ---- interning: bytes -> id ---- */

struct ientry {
	char *key; /* NULL empty; a copy of the key bytes plus a NUL */
	size_t klen;
	uint64_t hash, id;
};

struct intern {
	struct ientry *tab;
	size_t cap, nr;
};

static uint64_t hash_bytes(const void *d, size_t n)
{
	const uint8_t *p = d;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct ientry *intern_slot(struct ientry *tab, size_t cap, const void *k, size_t n,
				  uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	for (;; i = (i + 1) & (cap - 1))
		if (!tab[i].key ||
		    (tab[i].hash == h && tab[i].klen == n && !memcmp(tab[i].key, k, n)))
			return &tab[i];
}

/* The entry of key k; a new key gets id next_id and *added is set. NULL when out of
 * memory, and then nothing was added. */
static const struct ientry *intern_get(struct intern *in, const void *k, size_t n,
				       uint64_t next_id, int *added)
{
	uint64_t h = hash_bytes(k, n);
	struct ientry *e;

	*added = 0;
	if ((in->nr + 1) * 2 > in->cap) {
		size_t ncap = in->cap ? in->cap * 2 : 256, i;
		struct ientry *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (i = 0; i < in->cap; i++)
			if (in->tab[i].key)
				*intern_slot(nt, ncap, in->tab[i].key, in->tab[i].klen,
					     in->tab[i].hash) = in->tab[i];
		free(in->tab);
		in->tab = nt;
		in->cap = ncap;
	}
	e = intern_slot(in->tab, in->cap, k, n, h);
	if (e->key)
		return e;
	e->key = malloc(n + 1);
	if (!e->key)
		return NULL;
	memcpy(e->key, k, n);
	e->key[n] = '\0';
	e->klen = n;
	e->hash = h;
	e->id = next_id;
	in->nr++;
	*added = 1;
	return e;
}

static void intern_free(struct intern *in)
{
	size_t i;

	for (i = 0; i < in->cap; i++)
		free(in->tab[i].key);
	free(in->tab);
}

/* ---- the profile ---- */

struct pfunc {
	uint64_t name, file; /* string indexes */
};

struct pmap {
	uint64_t start, limit, offset, file, build_id; /* strings as indexes */
	uint64_t has_functions;
};

struct ploc {
	uint64_t mapping, address, function;
};

struct psample {
	uint64_t *locs;
	size_t nlocs;
	uint64_t *values;
	struct buf labels; /* encoded Label messages, each with its field tag */
};

struct pprof {
	int ntypes;
	uint64_t *type_str, *unit_str;
	uint64_t period_type, period_unit;
	int64_t period, time_nanos, duration_nanos;
	uint64_t default_type; /* string index, 0 none */

	struct intern strings, funcs, locs, maps;
	const char **strtab; /* index -> string: the key held by `strings` */
	size_t nstr;
	struct pfunc *fn;
	size_t nfn;
	struct ploc *loc;
	size_t nloc;
	struct pmap *map; /* mapping id - 1 -> the mapping */
	size_t nmap;
	struct psample *samples;
	size_t nsamples;
};

/* Make room for element n of an array that holds n now: 16 at first, then doubling
 * each time n reaches a power of two. Called before an id is interned, so that once a
 * key is in a table nothing can fail before the array has its element. */
static int grow(void **p, size_t n, size_t size)
{
	void *np;

	if (n && (n < 16 || (n & (n - 1))))
		return 0;
	np = realloc(*p, (n ? n * 2 : 16) * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

/* Index of s in the string table, added when new; (uint64_t)-1 when out of memory. */
static uint64_t str_index(struct pprof *p, const char *s)
{
	const struct ientry *e;
	int added;

	if (!s)
		s = "";
	if (grow((void **)&p->strtab, p->nstr, sizeof(*p->strtab)))
		return (uint64_t)-1;
	e = intern_get(&p->strings, s, strlen(s), p->nstr, &added);
	if (!e)
		return (uint64_t)-1;
	if (added)
		p->strtab[p->nstr++] = e->key;
	return e->id;
}

struct pprof *pprof_new(const struct pprof_value_type *types, int ntypes)
{
	struct pprof *p;
	int i;

	if (ntypes < 1) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->ntypes = ntypes;
	p->type_str = calloc((size_t)ntypes, sizeof(*p->type_str));
	p->unit_str = calloc((size_t)ntypes, sizeof(*p->unit_str));
	if (!p->type_str || !p->unit_str || str_index(p, "") != 0)
		goto fail;
	for (i = 0; i < ntypes; i++) {
		p->type_str[i] = str_index(p, types[i].type);
		p->unit_str[i] = str_index(p, types[i].unit);
		if (p->type_str[i] == (uint64_t)-1 || p->unit_str[i] == (uint64_t)-1)
			goto fail;
	}
	return p;
fail:
	pprof_free(p);
	errno = ENOMEM;
	return NULL;
}

void pprof_free(struct pprof *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsamples; i++) {
		free(p->samples[i].locs);
		free(p->samples[i].values);
		free(p->samples[i].labels.p);
	}
	free(p->samples);
	free(p->strtab);
	intern_free(&p->strings);
	intern_free(&p->funcs);
	intern_free(&p->locs);
	intern_free(&p->maps);
	free(p->fn);
	free(p->loc);
	free(p->map);
	free(p->type_str);
	free(p->unit_str);
	free(p);
}

int pprof_set_period(struct pprof *p, const char *type, const char *unit, int64_t period)
{
	p->period_type = str_index(p, type);
	p->period_unit = str_index(p, unit);
	if (p->period_type == (uint64_t)-1 || p->period_unit == (uint64_t)-1)
		return -ENOMEM;
	p->period = period;
	return 0;
}

int pprof_set_default_type(struct pprof *p, int type_index)
{
	if (type_index < 0 || type_index >= p->ntypes)
		return -EINVAL;
	p->default_type = p->type_str[type_index];
	return 0;
}

void pprof_set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

size_t pprof_sample_count(const struct pprof *p)
{
	return p->nsamples;
}

/* The ids below start at 1; 0 means out of memory (or, for a mapping, no module). */
static uint64_t mapping_id(struct pprof *p, const struct pprof_frame *fr)
{
	const struct pprof_mapping *fm = fr->map;
	struct pmap m = { 0 };
	const struct ientry *e;
	int added;

	if (!fm && (!fr->module || !*fr->module))
		return 0;
	if (fm) {
		m.start = fm->start;
		m.limit = fm->limit;
		m.offset = fm->offset;
		m.file = str_index(p, fm->file);
		m.build_id = str_index(p, fm->build_id);
		m.has_functions = fm->has_functions;
	} else {
		m.file = str_index(p, fr->module);
		m.has_functions = 1;
	}
	if (m.file == (uint64_t)-1 || m.build_id == (uint64_t)-1 ||
	    grow((void **)&p->map, p->nmap, sizeof(*p->map)))
		return 0;
	e = intern_get(&p->maps, &m, sizeof(m), p->nmap + 1, &added);
	if (!e)
		return 0;
	if (added)
		p->map[p->nmap++] = m;
	return e->id;
}

int pprof_add_mapping(struct pprof *p, const struct pprof_mapping *m)
{
	struct pprof_frame fr = { .function = "", .map = m };

	return mapping_id(p, &fr) ? 0 : -ENOMEM;
}

static uint64_t function_id(struct pprof *p, const char *name, const char *module)
{
	const struct ientry *e;
	uint64_t key[2];
	int added;

	key[0] = str_index(p, name);
	key[1] = str_index(p, module);
	if (key[0] == (uint64_t)-1 || key[1] == (uint64_t)-1 ||
	    grow((void **)&p->fn, p->nfn, sizeof(*p->fn)))
		return 0;
	e = intern_get(&p->funcs, key, sizeof(key), p->nfn + 1, &added);
	if (!e)
		return 0;
	if (added) {
		p->fn[p->nfn].name = key[0];
		p->fn[p->nfn].file = key[1];
		p->nfn++;
	}
	return e->id;
}

static uint64_t location_id(struct pprof *p, const struct pprof_frame *fr)
{
	const struct ientry *e;
	uint64_t key[3];
	int added;

	key[0] = mapping_id(p, fr);
	key[1] = fr->address;
	key[2] = function_id(p, fr->function ? fr->function : "[unknown]",
			     fr->map ? NULL : fr->module);
	if (((fr->map || (fr->module && *fr->module)) && !key[0]) || !key[2] ||
	    grow((void **)&p->loc, p->nloc, sizeof(*p->loc)))
		return 0;
	e = intern_get(&p->locs, key, sizeof(key), p->nloc + 1, &added);
	if (!e)
		return 0;
	if (added) {
		p->loc[p->nloc].mapping = key[0];
		p->loc[p->nloc].address = key[1];
		p->loc[p->nloc].function = key[2];
		p->nloc++;
	}
	return e->id;
}

int pprof_add_sample(struct pprof *p, const struct pprof_frame *frames, int nframes,
		     const int64_t *values, const struct pprof_label *labels, int nlabels)
{
	struct psample s = { 0 };
	struct buf m = { 0 };
	int i;

	if (nframes < 0 || nlabels < 0)
		return -EINVAL;
	s.locs = calloc((size_t)nframes + 1, sizeof(*s.locs));
	s.values = calloc((size_t)p->ntypes, sizeof(*s.values));
	if (!s.locs || !s.values)
		goto nomem;
	for (i = 0; i < nframes; i++) {
		s.locs[i] = location_id(p, &frames[i]);
		if (!s.locs[i])
			goto nomem;
	}
	s.nlocs = (size_t)nframes;
	for (i = 0; i < p->ntypes; i++)
		s.values[i] = (uint64_t)values[i];
	for (i = 0; i < nlabels; i++) {
		const struct pprof_label *l = &labels[i];
		uint64_t k = str_index(p, l->key), v = l->str ? str_index(p, l->str) : 0;
		uint64_t u = !l->str && l->num_unit ? str_index(p, l->num_unit) : 0;

		if (k == (uint64_t)-1 || v == (uint64_t)-1 || u == (uint64_t)-1)
			goto nomem;
		put_int(&m, L_KEY, k);
		if (l->str)
			put_int(&m, L_STR, v);
		else
			put_int(&m, L_NUM, (uint64_t)l->num);
		put_int(&m, L_NUM_UNIT, u);
		put_msg(&s.labels, S_LABEL, &m);
	}
	free(m.p);
	if (s.labels.err || grow((void **)&p->samples, p->nsamples, sizeof(*p->samples)))
		goto nomem;
	p->samples[p->nsamples++] = s;
	return 0;
nomem:
	free(m.p);
	free(s.locs);
	free(s.values);
	free(s.labels.p);
	return -ENOMEM;
}

int pprof_add_folded(struct pprof *p, struct folded *f, int type_index)
{
	size_t i, n = folded_count(f);
	int64_t *values;
	int err = 0;

	if (type_index < 0 || type_index >= p->ntypes)
		return -EINVAL;
	values = calloc((size_t)p->ntypes, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		struct pprof_frame *fr = NULL;
		struct pprof_label *lb = NULL;
		const char *stack;
		char *copy, *tok, *save = NULL;
		uint64_t v;
		int nf = 0, nl = 0, depth = 1, k;

		folded_get(f, i, &stack, &v);
		if (!stack) { /* sorting the stacks ran out of memory */
			err = -ENOMEM;
			break;
		}
		for (k = 0; stack[k]; k++)
			depth += stack[k] == ';';
		copy = strdup(stack);
		fr = calloc((size_t)depth, sizeof(*fr));
		lb = calloc((size_t)depth, sizeof(*lb));
		if (!copy || !fr || !lb) {
			err = -ENOMEM;
		} else {
			bool at_root = true;

			for (tok = strtok_r(copy, ";", &save); tok;
			     tok = strtok_r(NULL, ";", &save)) {
				char *eq = strchr(tok, '=');

				/* key=value tags lead the stack; a later "a=b" frame, or a
				 * "[marker]" without a key, is just a frame */
				if (at_root && eq &&
				    folded_frame_kind(tok, strlen(tok)) == FRAME_TAG) {
					*eq = '\0';
					lb[nl].key = tok;
					lb[nl].str = eq + 1;
					nl++;
					continue;
				}
				at_root = false;
				fr[nf++].function = tok;
			}
			/* leaf first */
			for (k = 0; k < nf / 2; k++) {
				struct pprof_frame t = fr[k];

				fr[k] = fr[nf - 1 - k];
				fr[nf - 1 - k] = t;
			}
			values[type_index] = (int64_t)v;
			err = pprof_add_sample(p, fr, nf, values, lb, nl);
		}
		free(copy);
		free(fr);
		free(lb);
	}
	free(values);
	return err;
}

static void put_value_type(struct buf *b, unsigned field, uint64_t type, uint64_t unit,
			   struct buf *m)
{
	put_int(m, VT_TYPE, type);
	put_int(m, VT_UNIT, unit);
	put_msg(b, field, m);
}

int pprof_encode(struct pprof *p, uint8_t **out, size_t *outlen)
{
	struct buf b = { 0 }, m = { 0 }, sub = { 0 }, scratch = { 0 };
	size_t i;
	int err;

	for (i = 0; i < (size_t)p->ntypes; i++)
		put_value_type(&b, P_SAMPLE_TYPE, p->type_str[i], p->unit_str[i], &m);
	for (i = 0; i < p->nsamples; i++) {
		struct psample *s = &p->samples[i];

		put_packed(&m, S_LOCATION_ID, s->locs, s->nlocs, &scratch);
		put_packed(&m, S_VALUE, s->values, (size_t)p->ntypes, &scratch);
		buf_put(&m, s->labels.p, s->labels.len);
		put_msg(&b, P_SAMPLE, &m);
	}
	for (i = 0; i < p->nmap; i++) {
		put_int(&m, M_ID, i + 1);
		put_int(&m, M_MEMORY_START, p->map[i].start);
		put_int(&m, M_MEMORY_LIMIT, p->map[i].limit);
		put_int(&m, M_FILE_OFFSET, p->map[i].offset);
		put_int(&m, M_FILENAME, p->map[i].file);
		put_int(&m, M_BUILD_ID, p->map[i].build_id);
		put_int(&m, M_HAS_FUNCTIONS, p->map[i].has_functions);
		put_msg(&b, P_MAPPING, &m);
	}
	for (i = 0; i < p->nloc; i++) {
		put_int(&m, LOC_ID, i + 1);
		put_int(&m, LOC_MAPPING_ID, p->loc[i].mapping);
		put_int(&m, LOC_ADDRESS, p->loc[i].address);
		put_int(&sub, LN_FUNCTION_ID, p->loc[i].function);
		put_msg(&m, LOC_LINE, &sub);
		put_msg(&b, P_LOCATION, &m);
	}
	for (i = 0; i < p->nfn; i++) {
		put_int(&m, F_ID, i + 1);
		put_int(&m, F_NAME, p->fn[i].name);
		put_int(&m, F_SYSTEM_NAME, p->fn[i].name);
		put_int(&m, F_FILENAME, p->fn[i].file);
		put_msg(&b, P_FUNCTION, &m);
	}
	/* every string, the first being "" */
	for (i = 0; i < p->nstr; i++)
		put_bytes(&b, P_STRING_TABLE, p->strtab[i], strlen(p->strtab[i]));
	put_int(&b, P_TIME_NANOS, (uint64_t)p->time_nanos);
	put_int(&b, P_DURATION_NANOS, (uint64_t)p->duration_nanos);
	if (p->period_type || p->period_unit)
		put_value_type(&b, P_PERIOD_TYPE, p->period_type, p->period_unit, &m);
	put_int(&b, P_PERIOD, (uint64_t)p->period);
	put_int(&b, P_DEFAULT_SAMPLE_TYPE, p->default_type);

	err = b.err ? b.err : m.err ? m.err : sub.err ? sub.err : scratch.err;
	free(m.p);
	free(sub.p);
	free(scratch.p);
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

int pprof_gzip(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	uLong bound;
	uint8_t *o;
	int rc;

	/* one deflate call takes at most a uInt of input and output */
	if (inlen > UINT_MAX / 2)
		return -EFBIG;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. Fastest level,
	 * as Go's own profile writer does: profiles repeat a lot and compress well anyway */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)inlen) + 32;
	o = malloc(bound);
	if (!o) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = o;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(o);
		return -EIO;
	}
	*out = o;
	*outlen = zs.total_out;
	return 0;
}

int pprof_write_file(struct pprof *p, const char *path, char *err, size_t errlen)
{
	uint8_t *raw = NULL, *gz = NULL;
	size_t rawlen, gzlen;
	char tmp[4096];
	FILE *out;
	int rc;

	rc = pprof_encode(p, &raw, &rawlen);
	if (!rc)
		rc = pprof_gzip(raw, rawlen, &gz, &gzlen);
	free(raw);
	if (rc) {
		snprintf(err, errlen, "cannot encode the profile for %s: %s", path, strerror(-rc));
		return rc;
	}
	out = atomic_file_open(path, tmp, sizeof(tmp), err, errlen);
	if (!out) {
		free(gz);
		return -errno;
	}
	rc = fwrite(gz, 1, gzlen, out) == gzlen ? 0 : -EIO;
	free(gz);
	return atomic_file_commit(out, tmp, path, rc, err, errlen);
}
