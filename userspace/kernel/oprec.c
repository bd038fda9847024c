// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Operation recording: thread registration, snapshot differences, op kind names. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kernel/collector.h"
#include "kernel/oprec.h"
#include "kernel/sysnames.h"

int ops_thread_register(struct ops_thread *t)
{
	struct collector *c = collector_current();

	memset(t, 0, sizeof(*t));
	memset(t->blk_idx, 0xff, sizeof(t->blk_idx));
	memset(t->why_idx, 0xff, sizeof(t->why_idx));
	t->tid = (uint32_t)gettid();
	if (!c)
		return 0;
	t->why = collector_why(c);
	/* The lookup is a bpf() syscall: its sys_enter gives this thread a slot if the
	 * kernel side has not seen it yet, so the slot exists by the time we look. */
	t->slot = collector_slot_of(c, t->tid);
	if (!t->slot)
		return -ENOSPC;
	t->gen = t->slot->gen;
	return 0;
}

void ops_slot_catch_up(void)
{
	syscall(SYS_getppid);
}

int ops_thread_of(struct ops_thread *t, volatile struct ops_slot *slot, uint32_t tid)
{
	memset(t, 0, sizeof(*t));
	memset(t->blk_idx, 0xff, sizeof(t->blk_idx));
	memset(t->why_idx, 0xff, sizeof(t->why_idx));
	t->tid = tid;
	if (!slot || slot->tid != tid || slot->state == OPS_T_EXITED)
		return -ESRCH;
	t->slot = slot;
	t->gen = slot->gen;
	return 0;
}

void ops_snap_delta_blk(struct ops_thread *t, const struct ops_snap *a, const struct ops_snap *b,
			struct ops_bd *o)
{
	for (int i = 0; i < OPS_BLK_SYS; i++) {
		uint64_t d = b->blk_ns[i] - a->blk_ns[i];

		if (!d)
			continue;
		/* A slot's blk_nr entries are assigned once per thread, so cache them. */
		if (t->blk_idx[i] == 0xff)
			t->blk_idx[i] = (uint8_t)sysnames_blk_index(t->slot->blk_nr[i]);
		o->blk_ns[t->blk_idx[i]] += d;
	}
	o->blk_ns[OPS_BLK_OTHER] += b->blk_other_ns - a->blk_other_ns;
	o->blk_ns[OPS_BLK_NOSYS] += b->blk_nosys_ns - a->blk_nosys_ns;
}

void ops_hist_sync_slow(struct ops_thread *t, uint64_t kseq)
{
	struct ops_off_hist *h = t->hist;
	uint64_t from;

	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return;
		/* what happened before the first sync is the slot ring's to tell */
		h->kseq = kseq > OPS_OFF_RING ? kseq - OPS_OFF_RING : 0;
		t->hist = h;
	}
	from = h->kseq;
	if (kseq > OPS_OFF_RING && kseq - OPS_OFF_RING > from) {
		h->lost += kseq - OPS_OFF_RING - from;
		from = kseq - OPS_OFF_RING;
	}
	for (uint64_t i = from; i < kseq; i++) {
		memcpy(&h->off[h->seq & (OPS_HIST_RING - 1)],
		       (const void *)&t->slot->off[i & (OPS_OFF_RING - 1)], sizeof(h->off[0]));
		__atomic_store_n(&h->seq, h->seq + 1, __ATOMIC_RELEASE);
	}
	h->kseq = kseq;
}

static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;
static char kind_names[OPS_MAX_KINDS][48];
static uint32_t nkinds = 1; /* 0 means "no operation" */

uint32_t ops_kind_id(const char *name)
{
	uint32_t id = 0;

	pthread_mutex_lock(&kinds_lock);
	for (uint32_t i = 1; i < nkinds; i++) {
		if (!strcmp(kind_names[i], name)) {
			id = i;
			goto out;
		}
	}
	if (nkinds < OPS_MAX_KINDS) {
		id = nkinds++;
		snprintf(kind_names[id], sizeof(kind_names[id]), "%s", name);
	}
out:
	pthread_mutex_unlock(&kinds_lock);
	return id;
}

const char *ops_kind_name(uint32_t id)
{
	if (id == 0 || id >= OPS_MAX_KINDS || !kind_names[id][0])
		return "none";
	return kind_names[id];
}

int ops_kind_set(uint32_t id, const char *name)
{
	int err = 0;

	if (id == 0 || id >= OPS_MAX_KINDS || !name || !*name)
		return -EINVAL;
	pthread_mutex_lock(&kinds_lock);
	if (kind_names[id][0] && strcmp(kind_names[id], name))
		err = -EEXIST;
	else
		snprintf(kind_names[id], sizeof(kind_names[id]), "%s", name);
	if (!err && nkinds <= id)
		nkinds = id + 1;
	pthread_mutex_unlock(&kinds_lock);
	return err;
}
