// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A run's stacks: grouped per scenario, op kind and type; folded files and flame graphs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "stacks/flamegraph.h"
#include "stacks/folded.h"
#include "kernel/oprec.h"
#include "stacks/pprof.h"
#include "stacks/profile.h"
#include "stacks/symbols.h"
#include "stacks/unwind.h"
#include "util/files.h"

/* Frames kept of a user stack unwound from a copy. */
#define UNWIND_MAX_FRAMES 256

/* Frames of one stack id, copied out of the kernel's table when first seen. */
struct frames {
	uint64_t id;
	int n;
	bool root; /* a user stack the unwinder walked to its outermost frame */
	uint64_t *ips;
};

/* A copied user stack's id (OPS_USTACK_COPY | ...) and the frames' id it unwound to;
 * id COPY_WANTED while a count names it and it is still to be unwound. */
struct copy_id {
	uint64_t copy, id;
};
#define COPY_WANTED UINT64_MAX

struct entry {
	uint32_t group;
	struct ops_stack_key key;
	uint64_t value;
	char thread[16];
};

struct group {
	char *scenario;
	uint32_t kind;
	uint32_t type;
	/* CLOCK_REALTIME ns: the scenario's span, from the take before it to its own take */
	int64_t t0, t1;
};

struct profile {
	int pid, sample_hz;
	int64_t t_last; /* CLOCK_REALTIME ns of profile_new or the last take */
	struct frames *tab; /* open addressing on id */
	size_t tab_cap, tab_len;
	struct entry *ent;
	size_t nent, cap_ent;
	struct group *grp;
	size_t ngrp;
	struct profile_stats st;
	/* the target's address space, read at the first take, while it still runs; and
	 * kallsyms, read then too, while opscope's own BPF programs are listed there */
	struct dso_set *ds;
	struct syms_cache *sc;
	struct ksyms *ks;
	struct stack_frames sf; /* reused by every pprof sample */
	/* follow: the target's first mapping (a line of /proc/PID/maps), and the last
	 * followed process judged against it */
	char map0[160];
	uint32_t fc_tgid;
	bool fc_foreign;
	bool forks_share; /* the followed processes are pid's forks that never exec */
	/* copied user stacks: their unwinder, copy id -> frames id, and an index of the
	 * entries of the take in progress so that their counts add up */
	struct unwinder *uw;
	struct copy_id *cid;
	size_t cid_cap, cid_len;
	size_t *eidx;
	size_t eidx_cap, eidx_len;
};

const char *profile_type_name(uint32_t type)
{
	switch (type) {
	case OPS_ST_ONCPU: return "oncpu";
	case OPS_ST_BLOCKED: return "offcpu";
	case OPS_ST_RUNQ: return "runq";
	case OPS_ST_WAKER: return "waker";
	case OPS_ST_FAULT: return "faults";
	default: return "wall";
	}
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static const char *type_unit(uint32_t type)
{
	switch (type) {
	case OPS_ST_ONCPU: return "samples";
	case OPS_ST_FAULT: return "faults";
	default: return "ns";
	}
}

struct profile *profile_new(int pid, int sample_hz)
{
	struct profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->forks_share = pid == getpid(); /* run: opscope forks its workers, never execs */
	p->sample_hz = sample_hz;
	p->t_last = realtime_ns();
	p->tab_cap = 4096;
	p->tab = calloc(p->tab_cap, sizeof(*p->tab));
	if (!p->tab) {
		free(p);
		return NULL;
	}
	/* the mappings now, while the target surely lives; each take reads them again */
	p->uw = unwinder_new(pid);
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->tab_cap; i++)
		free(p->tab[i].ips);
	free(p->tab);
	syms_cache_free(p->sc);
	dso_set_free(p->ds);
	ksyms_free(p->ks);
	stack_frames_free(&p->sf);
	unwinder_free(p->uw);
	free(p->cid);
	free(p->eidx);
	for (size_t i = 0; i < p->ngrp; i++)
		free(p->grp[i].scenario);
	free(p->grp);
	free(p->ent);
	free(p);
}

static struct frames *frames_slot(struct frames *tab, size_t cap, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (tab[i].id && tab[i].id != id)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static const struct frames *frames_find(const struct profile *p, uint64_t id)
{
	const struct frames *f = frames_slot(p->tab, p->tab_cap, id);

	return f->id ? f : NULL;
}

/* File n frames under id (first sight wins). */
static int frames_put(struct profile *p, uint64_t id, const uint64_t *ips, int n, bool root)
{
	struct frames *f;

	if ((p->tab_len + 1) * 2 > p->tab_cap) {
		size_t cap = p->tab_cap * 2;
		struct frames *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return -ENOMEM;
		for (size_t i = 0; i < p->tab_cap; i++)
			if (p->tab[i].id)
				*frames_slot(tab, cap, p->tab[i].id) = p->tab[i];
		free(p->tab);
		p->tab = tab;
		p->tab_cap = cap;
	}
	f = frames_slot(p->tab, p->tab_cap, id);
	if (f->id)
		return 0;
	f->ips = malloc(n * sizeof(*ips) + 1);
	if (!f->ips)
		return -ENOMEM;
	memcpy(f->ips, ips, n * sizeof(*ips));
	f->n = n;
	f->root = root;
	f->id = id;
	p->tab_len++;
	return 0;
}

static int frames_copy(struct profile *p, struct collector *c, uint64_t id)
{
	uint64_t ips[OPS_MAX_FRAMES];
	int n;

	if (!id || frames_find(p, id))
		return 0;
	n = collector_stack_frames(c, id, ips, OPS_MAX_FRAMES);
	if (n < 0) {
		p->st.missing_stacks++;
		return 0;
	}
	return frames_put(p, id, ips, n, false);
}

static int group_of(struct profile *p, const char *scenario, uint32_t kind, uint32_t type)
{
	struct group *g;

	for (size_t i = 0; i < p->ngrp; i++) {
		g = &p->grp[i];
		if (g->kind == kind && g->type == type && !strcmp(g->scenario, scenario))
			return (int)i;
	}
	g = realloc(p->grp, (p->ngrp + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	p->grp = g;
	g = &p->grp[p->ngrp];
	g->scenario = strdup(scenario);
	if (!g->scenario)
		return -ENOMEM;
	g->kind = kind;
	g->type = type;
	g->t0 = p->t_last;
	g->t1 = p->t_last;
	return (int)p->ngrp++;
}

static void thread_name(struct collector *c, int pid, uint32_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	if (tid == 0xffffffff) {
		snprintf(buf, len, "[interrupt]");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, tid);
	f = fopen(path, "r");
	if (f && fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	if (collector_thread_name(c, tid, buf, len) == 0)
		return;
	snprintf(buf, len, "tid-%u", tid);
}

static uint64_t key_hash(const struct ops_stack_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* The index slot of key k among this take's entries (eidx holds entry index + 1). */
static size_t *eidx_slot(struct profile *p, const struct ops_stack_key *k)
{
	size_t i = key_hash(k) & (p->eidx_cap - 1);

	while (p->eidx[i] && memcmp(&p->ent[p->eidx[i] - 1].key, k, sizeof(*k)))
		i = (i + 1) & (p->eidx_cap - 1);
	return &p->eidx[i];
}

static int eidx_grow(struct profile *p)
{
	size_t cap = p->eidx_cap ? p->eidx_cap * 2 : 4096, *old = p->eidx, ocap = p->eidx_cap;

	p->eidx = calloc(cap, sizeof(*p->eidx));
	if (!p->eidx) {
		p->eidx = old;
		return -ENOMEM;
	}
	p->eidx_cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			*eidx_slot(p, &p->ent[old[i] - 1].key) = old[i];
	free(old);
	return 0;
}

/* Count value under key k in this take's entries of the scenario. */
static void first_map(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
}

/*
 * Is tid a thread of another program than the target's? Only a followed process can be
 * (record -f, pool mode=process). A fork that did not exec has the target's address
 * space, so its first mapping is the target's, at the same address; one that exec'd
 * (even the same file: ASLR moves it) or that is gone cannot be told apart, and its
 * user addresses would be symbolized with the wrong maps: so both count as foreign.
 */
static bool foreign_thread(struct profile *p, struct collector *c, uint32_t tid)
{
	uint32_t tgid = tid == 0xffffffff ? 0 : collector_thread_tgid(c, tid);
	char map[sizeof(p->map0)];

	if (!tgid || tgid == (uint32_t)p->pid || p->forks_share)
		return false;
	if (tgid == p->fc_tgid)
		return p->fc_foreign;
	first_map((int)tgid, map, sizeof(map));
	p->fc_tgid = tgid;
	p->fc_foreign = !map[0] || !p->map0[0] || strcmp(map, p->map0) != 0;
	return p->fc_foreign;
}

static int entry_add(struct profile *p, struct collector *c, const char *scenario,
		     const struct ops_stack_key *key, uint64_t value)
{
	struct ops_stack_key kk = *key, *k = &kk;
	bool foreign = k->ustack && collector_follows(c) && foreign_thread(p, c, k->tid);
	struct entry *e;
	size_t *slot;
	int g;

	if (foreign)
		k->ustack = 0; /* its kernel frames still count, under its thread's name */
	if ((p->eidx_len + 1) * 2 > p->eidx_cap && eidx_grow(p))
		return -ENOMEM;
	slot = eidx_slot(p, k);
	if (*slot) {
		p->ent[*slot - 1].value += value;
		return 0;
	}
	g = group_of(p, scenario, k->kind, k->type);
	if (g < 0)
		return g;
	if (p->nent == p->cap_ent) {
		size_t cap = p->cap_ent ? p->cap_ent * 2 : 1024;

		e = realloc(p->ent, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		p->ent = e;
		p->cap_ent = cap;
	}
	e = &p->ent[p->nent++];
	e->group = (uint32_t)g;
	e->key = *k;
	e->value = value;
	thread_name(c, p->pid, k->type == OPS_ST_WAKER ? k->waker : k->tid, e->thread,
		    sizeof(e->thread));
	p->st.entries++;
	p->st.foreign_user += foreign;
	*slot = p->nent;
	p->eidx_len++;
	return 0;
}

static struct copy_id *cid_slot(struct copy_id *tab, size_t cap, uint64_t copy)
{
	size_t i = (copy * 0x9e3779b97f4a7c15ull >> 7) & (cap - 1);

	while (tab[i].copy && tab[i].copy != copy)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int cid_put(struct profile *p, uint64_t copy, uint64_t id)
{
	struct copy_id *ci = p->cid_cap ? cid_slot(p->cid, p->cid_cap, copy) : NULL;

	if (ci && ci->copy) {
		ci->id = id;
		return 0;
	}
	if ((p->cid_len + 1) * 2 > p->cid_cap) {
		size_t cap = p->cid_cap ? p->cid_cap * 2 : 4096;
		struct copy_id *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return -ENOMEM;
		for (size_t i = 0; i < p->cid_cap; i++)
			if (p->cid[i].copy)
				*cid_slot(tab, cap, p->cid[i].copy) = p->cid[i];
		free(p->cid);
		p->cid = tab;
		p->cid_cap = cap;
	}
	*cid_slot(p->cid, p->cid_cap, copy) = (struct copy_id){ copy, id };
	p->cid_len++;
	return 0;
}

/* The frames' id of an unwound stack: the kernel's hash, without the copy bit. */
static uint64_t frames_hash(const uint64_t *ips, int n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < n; i++) {
		h ^= ips[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	h &= ~OPS_USTACK_COPY;
	return h ? h : 1;
}

struct urec_ctx {
	struct profile *p;
	struct collector *c;
	const char *scenario;
};

/*
 * One record of the user stack ring. Pass 0: note the copies that counts name (copies
 * taken at a preemption or a wakeup whose interval proved too short are never named).
 * Pass 1: unwind those copies, and count under each copy's frames.
 */
static int urec_take(const void *rec, size_t len, int pass, void *arg)
{
	struct urec_ctx *x = arg;
	struct profile *p = x->p;
	uint32_t type = len >= sizeof(uint32_t) ? *(const uint32_t *)rec : 0;
	const struct copy_id *ci;

	if (pass == 0) {
		const struct ops_urec_count *r = rec;

		if (type != OPS_UREC_COUNT || len < sizeof(*r))
			return 0;
		ci = p->cid_cap ? cid_slot(p->cid, p->cid_cap, r->key.ustack) : NULL;
		return ci && ci->copy ? 0 : cid_put(p, r->key.ustack, COPY_WANTED);
	}
	if (type == OPS_UREC_STACK && len >= sizeof(struct ops_urec_stack)) {
		const struct ops_urec_stack *r = rec;
		uint64_t ips[UNWIND_MAX_FRAMES], id = 0;
		bool root;
		int n, err;

		ci = p->cid_cap ? cid_slot(p->cid, p->cid_cap, r->id) : NULL;
		if (r->len > len - sizeof(*r) || !ci || ci->id != COPY_WANTED)
			return 0;
		n = unwinder_walk(p->uw, r, ips, UNWIND_MAX_FRAMES, &root);
		/* the symbolizer's copy of the mappings learns of a library loaded since it
		 * was taken now, while the process may still be there to be asked */
		if (n > 0 && p->sc)
			syms_cache_code_depth(p->sc, ips, n);
		if (n > 0) {
			id = frames_hash(ips, n);
			err = frames_put(p, id, ips, n, root);
			if (err)
				return err;
		}
		return cid_put(p, r->id, id);
	}
	if (type == OPS_UREC_COUNT && len >= sizeof(struct ops_urec_count)) {
		const struct ops_urec_count *r = rec;
		struct ops_stack_key k = r->key;
		bool found;
		int err;

		ci = p->cid_cap ? cid_slot(p->cid, p->cid_cap, k.ustack) : NULL;
		found = ci && ci->copy && ci->id != COPY_WANTED;
		k.ustack = found ? ci->id : 0;
		if (!found)
			p->st.copies_missing++; /* lost in the ring, or taken before this run */
		err = frames_copy(p, x->c, k.kstack);
		return err ? err : entry_add(p, x->c, x->scenario, &k, r->val.value);
	}
	return 0;
}

int profile_take(struct profile *p, struct collector *c, const char *scenario)
{
	struct urec_ctx x = { p, c, scenario };
	struct stack_entry *v;
	size_t n;
	int64_t now = realtime_ns();
	int err;

	/* the target's address space first, in case it is about to exit */
	unwinder_refresh(p->uw);
	if (!p->ds)
		p->ds = dso_set_new(NULL);
	if (p->ds && !p->sc)
		p->sc = syms_cache_new(p->ds, p->pid);
	if (!p->map0[0])
		first_map(p->pid, p->map0, sizeof(p->map0));
	p->fc_tgid = 0; /* a pid may be another process's by the next take */
	collector_reap(c); /* threads that just exited: keep their names */
	err = collector_stacks_take(c, &v, &n);
	if (err)
		return err;
	if (!p->ks)
		p->ks = ksyms_load();
	if (p->eidx)
		memset(p->eidx, 0, p->eidx_cap * sizeof(*p->eidx));
	p->eidx_len = 0;
	for (size_t i = 0; i < n && !err; i++) {
		const struct ops_stack_key *k = &v[i].key;

		err = frames_copy(p, c, k->kstack);
		if (!err)
			err = frames_copy(p, c, k->ustack);
		if (!err)
			err = entry_add(p, c, scenario, k, v[i].val.value);
	}
	free(v);
	if (!err)
		err = collector_urecs_take(c, urec_take, &x);
	for (size_t i = 0; i < p->ngrp; i++)
		if (!strcmp(p->grp[i].scenario, scenario))
			p->grp[i].t1 = now;
	p->t_last = now;
	return err;
}

/* Add entry e to f, with its root frames. scale multiplies the value (wall view). */
static int add_entry(struct profile *p, struct folded *f, const struct entry *e, bool wall,
		     uint64_t scale, const struct ksyms *ks, struct syms_cache *sc, bool note)
{
	const struct group *g = &p->grp[e->group];
	const struct frames *kf = frames_find(p, e->key.kstack);
	const struct frames *uf = frames_find(p, e->key.ustack);
	char t_scn[160], t_op[80], t_thr[48], t_extra[48];
	const char *tags[4] = { t_scn, t_op, t_thr, t_extra };
	struct stack_sample s = {
		.tags = tags,
		.ntags = 3,
		.kips = kf ? kf->ips : NULL,
		.kdepth = kf ? kf->n : 0,
		.uips = uf ? uf->ips : NULL,
		.udepth = uf ? uf->n : 0,
		.uroot = uf && uf->root,
		.value = e->value * scale,
	};

	snprintf(t_scn, sizeof(t_scn), "scenario=%s", g->scenario);
	snprintf(t_op, sizeof(t_op), "op=%s", ops_kind_name(g->kind));
	if (e->key.type == OPS_ST_WAKER) {
		snprintf(t_thr, sizeof(t_thr), "woken_by=%s", e->thread);
	} else {
		snprintf(t_thr, sizeof(t_thr), "thread=%s", e->thread);
		if (wall) {
			/* in the wall view, say which kind of time a stack stands for */
			snprintf(t_extra, sizeof(t_extra), "[%s]",
				 e->key.type == OPS_ST_ONCPU ? "on-cpu" :
				 e->key.type == OPS_ST_RUNQ ? "runq" : "blocked");
			s.ntags = 4;
		}
	}
	bool root = false;
	int cut = 0, err;


	if (uf && sc && note)
		syms_cache_note_stack(sc, uf->ips, uf->n);
	err = folded_add_sample_cut(f, &s, ks, sc, &cut, &root);
	if (note && uf && sc) {
		p->st.user_stacks++;
		p->st.rooted += root;
		if (cut) {
			p->st.cut_stacks++;
			p->st.cut_frames += (uint64_t)cut;
		}
	}
	return err;
}

/* DIR/stacks/<scenario>, created; scenario names like pool/workers=4 stay one folder. */
static int scenario_dir(const char *dir, const char *scenario, char *sub, size_t len,
			char *err, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	snprintf(sub, len, "%s/stacks/%s", dir, scenario);
	for (char *q = sub + strlen(dir) + 8; *q; q++)
		if (*q == '/')
			*q = '_';
	snprintf(path, sizeof(path), "%s/stacks", dir);
	/* an existing entry must be a real directory, never a link (util/files.h) */
	r = files_mkdirat(AT_FDCWD, path, 0755);
	if (r >= 0) {
		close(r);
		r = files_mkdirat(AT_FDCWD, sub, 0755);
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot create %s: %s", sub, strerror(-r));
		return r;
	}
	close(r);
	return 0;
}

static int write_group(struct profile *p, const char *dir, const char *scenario, uint32_t kind,
		       uint32_t type, struct folded *f, char *err, size_t errlen)
{
	char path[PATH_MAX], sub[PATH_MAX - 256], title[256];
	struct flamegraph_opts o = { 0 };
	struct stat sb;
	int r;

	r = scenario_dir(dir, scenario, sub, sizeof(sub), err, errlen);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/%s.%s.folded", sub, ops_kind_name(kind),
		 profile_type_name(type));
	r = folded_write_file(f, path, err, errlen);
	if (r)
		return r;
	if (!stat(path, &sb))
		p->st.bytes += sb.st_size;
	snprintf(title, sizeof(title), "%s: %s %s", scenario, ops_kind_name(kind),
		 type == OPS_ST_ONCPU ? "on-CPU" : type == OPS_ST_BLOCKED ? "off-CPU (blocked)" :
		 type == OPS_ST_RUNQ ? "run-queue wait" : type == OPS_ST_WAKER ? "wakers" :
		 type == OPS_ST_FAULT ? "page faults" : "wall clock (on-CPU + off-CPU)");
	o.title = title;
	o.unit = type_unit(type);
	snprintf(path, sizeof(path), "%s/%s.%s.svg", sub, ops_kind_name(kind),
		 profile_type_name(type));
	r = flamegraph_write_file(path, f, &o, err, errlen);
	if (r)
		return r;
	if (!stat(path, &sb))
		p->st.bytes += sb.st_size;
	p->st.files += 2;
	return 0;
}

/*
 * pprof, one file per kind of stack, so that every sample of a file has a value in each
 * of its sample types (pprof's -traces lists every sample, zero or not):
 * profile.pb.gz on-CPU (samples/count and cpu/nanoseconds, as Go's own CPU profiles),
 * offcpu.pb.gz, runq.pb.gz, waker.pb.gz (nanoseconds) and faults.pb.gz (count).
 */
struct pp_kind {
	uint32_t type;
	const char *file;
	struct pprof_value_type vt[2];
	int ntypes;
};

static const struct pp_kind pp_kinds[] = {
	{ OPS_ST_ONCPU, "profile.pb.gz", { { "samples", "count" }, { "cpu", "nanoseconds" } }, 2 },
	{ OPS_ST_BLOCKED, "offcpu.pb.gz", { { "offcpu", "nanoseconds" } }, 1 },
	{ OPS_ST_RUNQ, "runq.pb.gz", { { "runq", "nanoseconds" } }, 1 },
	{ OPS_ST_WAKER, "waker.pb.gz", { { "waker", "nanoseconds" } }, 1 },
	{ OPS_ST_FAULT, "faults.pb.gz", { { "faults", "count" } }, 1 },
};

/* The kernel as one mapping: its frames are named here, so pprof leaves them be. */
static const struct pprof_mapping pp_kernel_map = {
	.start = 0xffff800000000000ull, .limit = UINT64_MAX, .file = "[kernel.kallsyms]",
	.has_functions = true,
};

/*
 * One entry as a pprof sample: the frames of stack_frames_resolve (the same cut as the
 * folded files), leaf first, each with its mapping: user frames with the executable
 * mapping of /proc/<pid>/maps that holds them (file, range, offset, build id). pprof
 * may symbolize a binary with DWARF line tables itself (source lines for -list); other
 * frames keep opscope's names.
 */
static int pp_add_entry(struct profile *p, struct pprof *pp, const struct entry *e,
			const int64_t *values, struct syms_cache *sc)
{
	const struct group *g = &p->grp[e->group];
	const struct frames *kf = frames_find(p, e->key.kstack);
	const struct frames *uf = frames_find(p, e->key.ustack);
	struct stack_sample s = {
		.kips = kf ? kf->ips : NULL, .kdepth = kf ? kf->n : 0,
		.uips = uf ? uf->ips : NULL, .udepth = uf ? uf->n : 0, .uroot = uf && uf->root,
	};
	struct pprof_label lb[3] = {
		{ .key = "scenario", .str = g->scenario },
		{ .key = "op", .str = ops_kind_name(g->kind) },
		{ .key = e->key.type == OPS_ST_WAKER ? "woken_by" : "thread", .str = e->thread },
	};
	struct pprof_frame *fr;
	struct pprof_mapping *mp;
	char *names;
	size_t n, i;
	int err;

	err = stack_frames_resolve(&p->sf, &s, p->ks, sc);
	if (err)
		return err;
	n = p->sf.n;
	fr = calloc(n + 1, sizeof(*fr));
	mp = calloc(n + 1, sizeof(*mp));
	names = malloc(p->sf.plen + n * sizeof(FOLDED_KERNEL_SUFFIX) + 1);
	if (!fr || !mp || !names) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0, err = 0; i < n; i++) {
		const struct stack_frame *f = &p->sf.f[n - 1 - i];
		char *nm = names + f->name + (n - 1 - i) * sizeof(FOLDED_KERNEL_SUFFIX);
		struct sym_map m;

		sprintf(nm, "%s%s", stack_frames_name(&p->sf, n - 1 - i),
			f->kernel ? FOLDED_KERNEL_SUFFIX : "");
		fr[i].function = nm;
		fr[i].address = f->addr;
		fr[i].map = &pp_kernel_map;
		if (f->kernel)
			continue;
		mp[i] = (struct pprof_mapping){ .file = "[unknown]", .has_functions = true };
		if (syms_cache_map_of(sc, f->addr, &m) == 0) {
			mp[i].start = m.start;
			mp[i].limit = m.end;
			mp[i].offset = m.pgoff;
			mp[i].file = m.path[0] ? m.path : "[anon]";
			mp[i].build_id = m.build_id;
			mp[i].has_functions = !(m.path[0] == '/' && m.has_lines);
		}
		fr[i].map = &mp[i];
	}
	err = pprof_add_sample(pp, fr, (int)n, values, lb, 3);
out:
	free(fr);
	free(mp);
	free(names);
	return err;
}

/* The program's own binary first: pprof reports it as the profile's "File". */
static int pp_main_mapping(struct pprof *pp, struct syms_cache *sc)
{
	struct pprof_mapping mp = { 0 };
	struct sym_map m;

	if (syms_cache_exe_map(sc, &m))
		return 0;
	mp.start = m.start;
	mp.limit = m.end;
	mp.offset = m.pgoff;
	mp.file = m.path;
	mp.build_id = m.build_id;
	mp.has_functions = !m.has_lines;
	return pprof_add_mapping(pp, &mp);
}

/* DIR/stacks/<scenario>/<file> for one kind of stack, when the scenario has such. */
static int write_pprof_kind(struct profile *p, const char *dir, const char *scenario,
			    const struct pp_kind *k, struct syms_cache *sc, char *err,
			    size_t errlen)
{
	int64_t period = p->sample_hz > 0 ? 1000000000ll / p->sample_hz : 0;
	char path[PATH_MAX], sub[PATH_MAX - 256];
	int64_t t0 = INT64_MAX, t1 = 0, vals[2];
	struct pprof *pp;
	struct stat sb;
	int r = 0;

	if (k->type == OPS_ST_ONCPU && !period)
		return 0;
	pp = pprof_new(k->vt, k->ntypes);
	if (!pp)
		return -ENOMEM;
	r = pp_main_mapping(pp, sc);
	for (size_t gi = 0; gi < p->ngrp && !r; gi++) {
		struct group *g = &p->grp[gi];

		if (g->type != k->type || strcmp(g->scenario, scenario))
			continue;
		t0 = g->t0 < t0 ? g->t0 : t0;
		t1 = g->t1 > t1 ? g->t1 : t1;
		for (size_t i = 0; i < p->nent && !r; i++) {
			if (p->ent[i].group != gi || !p->ent[i].value)
				continue;
			vals[0] = (int64_t)p->ent[i].value;
			vals[1] = vals[0] * period;
			r = pp_add_entry(p, pp, &p->ent[i], vals, sc);
		}
	}
	if (!r && pprof_sample_count(pp)) {
		pprof_set_default_type(pp, k->ntypes - 1);
		if (k->type == OPS_ST_ONCPU)
			r = pprof_set_period(pp, "cpu", "nanoseconds", period);
		if (t1 > t0)
			pprof_set_time(pp, t0, t1 - t0);
		if (!r)
			r = scenario_dir(dir, scenario, sub, sizeof(sub), err, errlen);
		if (!r) {
			snprintf(path, sizeof(path), "%s/%s", sub, k->file);
			r = pprof_write_file(pp, path, err, errlen);
		}
		if (!r && !stat(path, &sb)) {
			p->st.bytes += sb.st_size;
			p->st.files++;
		}
	}
	pprof_free(pp);
	return r;
}

static int write_pprof(struct profile *p, const char *dir, const char *scenario,
		       struct syms_cache *sc, char *err, size_t errlen)
{
	int r = 0;

	for (size_t k = 0; k < sizeof(pp_kinds) / sizeof(pp_kinds[0]) && !r; k++)
		r = write_pprof_kind(p, dir, scenario, &pp_kinds[k], sc, err, errlen);
	return r;
}

static double ms_now(void)
{
	return ops_now_ns() / 1e6;
}

int profile_write(struct profile *p, const char *dir, char *err, size_t errlen)
{
	struct ksyms *ks;
	struct syms_cache *sc;
	double t0 = ms_now();
	int r = 0;

	if (!p->ds)
		p->ds = dso_set_new(NULL);
	if (p->ds && !p->sc)
		p->sc = syms_cache_new(p->ds, p->pid);
	sc = p->sc;
	if (!p->ks)
		p->ks = ksyms_load();
	ks = p->ks;

	/* one folded per group, plus one wall view per scenario and kind */
	for (size_t gi = 0; gi < p->ngrp && !r; gi++) {
		struct group *g = &p->grp[gi];
		struct folded *f = folded_new();

		if (!f) {
			r = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < p->nent && !r; i++)
			if (p->ent[i].group == gi)
				r = add_entry(p, f, &p->ent[i], false, 1, ks, sc, true);
		if (!r && folded_count(f))
			r = write_group(p, dir, g->scenario, g->kind, g->type, f, err, errlen);
		folded_free(f);
	}
	for (size_t gi = 0; gi < p->ngrp && !r; gi++) {
		struct group *g = &p->grp[gi];
		struct folded *f;
		bool first = true;

		/* the first group of each (scenario, kind) builds its wall view */
		for (size_t gj = 0; gj < gi; gj++)
			if (p->grp[gj].kind == g->kind && !strcmp(p->grp[gj].scenario, g->scenario))
				first = false;
		if (!first)
			continue;
		f = folded_new();
		if (!f) {
			r = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < p->nent && !r; i++) {
			const struct entry *e = &p->ent[i];
			const struct group *eg = &p->grp[e->group];
			uint64_t scale = 1;

			if (eg->kind != g->kind || strcmp(eg->scenario, g->scenario))
				continue;
			if (e->key.type == OPS_ST_ONCPU)
				scale = p->sample_hz > 0 ? 1000000000ull / p->sample_hz : 0;
			else if (e->key.type != OPS_ST_BLOCKED && e->key.type != OPS_ST_RUNQ)
				continue;
			if (scale)
				r = add_entry(p, f, e, true, scale, ks, sc, false);
		}
		if (!r && folded_count(f))
			r = write_group(p, dir, g->scenario, g->kind, 0, f, err, errlen);
		folded_free(f);
	}
	/* one pprof per scenario: the first group of each scenario writes it */
	for (size_t gi = 0; gi < p->ngrp && !r; gi++) {
		bool first = true;

		for (size_t gj = 0; gj < gi && first; gj++)
			if (!strcmp(p->grp[gj].scenario, p->grp[gi].scenario))
				first = false;
		if (first)
			r = write_pprof(p, dir, p->grp[gi].scenario, sc, err, errlen);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory while writing stacks");
	p->st.symbolize_ms += ms_now() - t0;
	if (p->uw) {
		struct unwind_stats us;

		unwinder_get_stats(p->uw, &us);
		p->st.unwinds = us.walks;
		p->st.unwind_frames = us.frames;
		p->st.unwind_bytes = us.bytes;
		p->st.unwind_ms = us.ms;
	}
	if (sc) {
		p->st.short_user = syms_cache_short_stacks(sc);
		p->st.user_seen = syms_cache_stacks_seen(sc);
	}
	return r;
}

void profile_get_stats(const struct profile *p, struct profile_stats *st)
{
	*st = p->st;
}
