// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Channel workload: P producers and C consumers on one bounded channel (struct chan),
 * timing each blocking send ("chan.send") and receive ("chan.recv"); or, with
 * pattern=pingpong, P pingers that send a request on a shared channel and wait for the
 * answer on their own reply channel while C pongers answer ("chan.pingpong", one round
 * trip). Every message carries its producer and a per-producer sequence number, and
 * the consumers check that nothing was lost, duplicated or reordered.
 *
 * With impl=NAME the channels are a user's, from a plugin (docs/PLUGINS.md): the same
 * threads, ops and checks, through the plugin's functions instead of chan.h's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "workloads/chan.h"
#include "workloads/plugins.h"
#include "stats/opagg.h"
#include "kernel/oprec.h"
#include "workloads/workload.h"

enum { P_MODE, P_PRODUCERS, P_CONSUMERS, P_CAPACITY, P_ELEM_SIZE, P_SPIN, P_PATTERN, P_GAP,
       P_IMPL };
enum { M_SPSC, M_MPSC, M_SPMC, M_MPMC };
enum { PAT_STREAM, PAT_PINGPONG };

#define MAX_SIDE 64

static const char *const mode_vals[] = { "spsc", "mpsc", "spmc", "mpmc", NULL };
static const char *const pattern_vals[] = { "stream", "pingpong", NULL };

static const struct wl_param_def channel_params[] = {
	[P_MODE] = { "mode", WL_P_ENUM, 0, 3, 0, 0, "spsc",
		     "spsc, mpsc, spmc or mpmc; single sides need producers or consumers = 1",
		     mode_vals },
	[P_PRODUCERS] = { "producers", WL_P_INT, 1, MAX_SIDE, 0, 0, "1",
			  "producer (pingpong: pinger) threads", NULL },
	[P_CONSUMERS] = { "consumers", WL_P_INT, 1, MAX_SIDE, 0, 0, "1",
			  "consumer (pingpong: ponger) threads", NULL },
	[P_CAPACITY] = { "capacity", WL_P_INT, 1, CHAN_MAX_CAPACITY, 0, 0, "1024",
			 "channel capacity in elements", NULL },
	[P_ELEM_SIZE] = { "elem_size", WL_P_SIZE, 16, 4096, 0, 0, "64",
			  "bytes per element, copied in and out", NULL },
	[P_SPIN] = { "spin", WL_P_INT, 0, 1000000, 0, 0, "100",
		     "retries of a full or empty channel before parking on a futex", NULL },
	[P_PATTERN] = { "pattern", WL_P_ENUM, 0, 1, 0, 0, "stream",
			"stream (ops chan.send, chan.recv) or pingpong (op chan.pingpong)",
			pattern_vals },
	[P_GAP] = { "gap", WL_P_DURATION, 0, 1000000000, 0, 0, "0",
		    "stream: each producer sleeps this long between sends (a slow source)",
		    NULL },
	[P_IMPL] = { "impl", WL_P_ENUM, 0, 0, 0, 0, "builtin",
		     "whose channel: builtin (opscope's), or one a plugin registers (--plugin "
		     "FILE; docs/PLUGINS.md)", plugins_chan_names },
	{ 0 },
};

struct msg_hdr {
	uint32_t prod;
	uint32_t magic;
	uint64_t seq;
};

#define MSG_MAGIC 0x6f707363u

struct cthread {
	struct chwl *w;
	struct wl_thr t;
	pthread_t th;
	unsigned idx;
	bool started;
	uint64_t sent, received;
	/* consumers: per producer */
	uint64_t count[MAX_SIDE], sum[MAX_SIDE], last[MAX_SIDE];
	uint64_t bad;
};

struct chwl {
	struct wl_run run;
	const struct opscope_chan_impl *impl; /* a plugin's channel, or NULL: chan.h */
	void *ch;              /* stream: the channel; pingpong: requests */
	void **reply;          /* pingpong: one per pinger */
	unsigned np, nc;
	uint32_t elem;
	int pattern;
	uint64_t gap_ns;
	uint32_t cap;
	atomic_bool closed;    /* the runner closed the channels: failures are expected */
	struct cthread *prod, *cons;
};

/* The channel operations: chan.h's, or the plugin's (a predictable branch). */
static inline int ch_send(const struct chwl *w, void *c, const void *e)
{
	return w->impl ? w->impl->send(c, e) : chan_send(c, e);
}

static inline int ch_recv(const struct chwl *w, void *c, void *e)
{
	return w->impl ? w->impl->recv(c, e) : chan_recv(c, e);
}

/* A plugin's send or receive failed: fine once the runner closed the channels, a broken
 * channel before (the built-in one fails only when closed). */
static void ch_failed(struct chwl *w, const char *what, int err)
{
	if (w->impl && !atomic_load(&w->closed))
		wl_fail(&w->run, -EPROTO, "channel %s (plugin): %s returned %d on an open channel",
			w->impl->name, what, err);
}

static void ch_close(struct chwl *w, void *c)
{
	atomic_store(&w->closed, true);
	if (w->impl)
		w->impl->close(c);
	else
		chan_close(c);
}

static void *ch_new(const struct chwl *w, uint32_t cap, unsigned flags, uint32_t spin)
{
	if (!w->impl)
		return chan_new(cap, w->elem, flags, spin);
	errno = 0;
	return w->impl->create(cap, w->elem, (flags & CHAN_SP ? OPSCOPE_CHAN_SP : 0) |
				   (flags & CHAN_SC ? OPSCOPE_CHAN_SC : 0));
}

static void ch_free(const struct chwl *w, void *c)
{
	if (!c)
		return;
	if (w->impl)
		w->impl->destroy(c);
	else
		chan_free(c);
}

static void *producer_main(void *arg)
{
	struct cthread *ct = arg;
	struct chwl *w = ct->w;
	struct ops_snap a, b;
	struct ops_bd bd;
	unsigned char *buf = calloc(1, w->elem);
	struct msg_hdr h = { .prod = ct->idx, .magic = MSG_MAGIC };

	if (wl_thr_begin(&ct->t, &w->run) || !buf) {
		if (!buf)
			wl_fail(&w->run, -ENOMEM, "out of memory for a producer's buffer");
		goto out;
	}
	memset(buf, 0x5a, w->elem);
	while (!wl_stopping(&ct->t)) {
		bool rec = wl_rec(&ct->t);
		int err;

		h.seq = ct->sent;
		memcpy(buf, &h, sizeof(h));
		if (rec) {
			ops_set_kind(&ct->t.ot, w->run.kind[0]);
			ops_snap_take(&ct->t.ot, &a);
			err = ch_send(w, w->ch, buf);
			ops_snap_take(&ct->t.ot, &b);
			if (err) {
				ch_failed(w, "send", err);
				break;
			}
			ops_snap_delta(&ct->t.ot, &a, &b, &bd);
			wl_record_snaps(&ct->t, 0, &bd, &a, &b);
			wl_tick(&ct->t, b.ts);
		} else if ((err = ch_send(w, w->ch, buf))) {
			ch_failed(w, "send", err);
			break; /* closed: forced shutdown */
		} else {
			wl_tick(&ct->t, ops_now_ns());
		}
		ct->sent++;
		if (w->gap_ns) {
			struct timespec ts = { .tv_sec = (time_t)(w->gap_ns / 1000000000ull),
					       .tv_nsec = (long)(w->gap_ns % 1000000000ull) };

			nanosleep(&ts, NULL);
		}
	}
out:
	wl_thr_end(&ct->t);
	free(buf);
	return NULL;
}

static void check_msg(struct chwl *w, struct cthread *ct, const struct msg_hdr *h)
{
	if (h->magic != MSG_MAGIC || h->prod >= w->np) {
		if (!ct->bad++)
			wl_fail(&w->run, -EPROTO, "a channel consumer received a corrupt element "
				"(producer %u, magic %#x)", h->prod, h->magic);
		return;
	}
	if (ct->count[h->prod] && h->seq <= ct->last[h->prod]) {
		if (!ct->bad++)
			wl_fail(&w->run, -EPROTO, "a consumer saw producer %u's message %llu "
				"after %llu: duplicated or reordered", h->prod,
				(unsigned long long)h->seq,
				(unsigned long long)ct->last[h->prod]);
	}
	ct->last[h->prod] = h->seq;
	ct->count[h->prod]++;
	ct->sum[h->prod] += h->seq;
}

static void *consumer_main(void *arg)
{
	struct cthread *ct = arg;
	struct chwl *w = ct->w;
	struct ops_snap a, b;
	struct ops_bd bd;
	struct msg_hdr h;
	unsigned char *buf = malloc(w->elem);

	if (wl_thr_begin(&ct->t, &w->run) || !buf) {
		if (!buf)
			wl_fail(&w->run, -ENOMEM, "out of memory for a consumer's buffer");
		goto out;
	}
	for (;;) {
		bool rec = atomic_load_explicit(&w->run.phase, memory_order_acquire) ==
			   WL_PH_RECORD;
		int err;

		if (rec) {
			ops_set_kind(&ct->t.ot, w->run.kind[1]);
			ops_snap_take(&ct->t.ot, &a);
			err = ch_recv(w, w->ch, buf);
			ops_snap_take(&ct->t.ot, &b);
			if (!err) {
				ops_snap_delta(&ct->t.ot, &a, &b, &bd);
				wl_record_snaps(&ct->t, 1, &bd, &a, &b);
			}
		} else {
			err = ch_recv(w, w->ch, buf);
		}
		if (err) {
			ch_failed(w, "recv", err);
			break; /* closed and drained */
		}
		ct->received++;
		memcpy(&h, buf, sizeof(h));
		check_msg(w, ct, &h);
	}
out:
	wl_thr_end(&ct->t);
	free(buf);
	return NULL;
}

static void *pinger_main(void *arg)
{
	struct cthread *ct = arg;
	struct chwl *w = ct->w;
	void *reply = w->reply[ct->idx];
	struct ops_snap a, b;
	struct ops_bd bd;
	unsigned char *buf = calloc(1, w->elem), *rbuf = malloc(w->elem);
	struct msg_hdr h = { .prod = ct->idx, .magic = MSG_MAGIC }, r;
	int err;

	if (wl_thr_begin(&ct->t, &w->run) || !buf || !rbuf) {
		if (!buf || !rbuf)
			wl_fail(&w->run, -ENOMEM, "out of memory for a pinger's buffers");
		goto out;
	}
	memset(buf, 0x5a, w->elem);
	while (!wl_stopping(&ct->t)) {
		bool rec = wl_rec(&ct->t);

		h.seq = ct->sent;
		memcpy(buf, &h, sizeof(h));
		ops_set_kind(&ct->t.ot, w->run.kind[0]);
		ops_snap_take(&ct->t.ot, &a);
		if ((err = ch_send(w, w->ch, buf))) {
			ch_failed(w, "send", err);
			break;
		}
		ct->sent++;
		if ((err = ch_recv(w, reply, rbuf))) {
			ch_failed(w, "recv", err);
			break;
		}
		ops_snap_take(&ct->t.ot, &b);
		wl_tick(&ct->t, b.ts);
		ct->received++;
		memcpy(&r, rbuf, sizeof(r));
		if (r.magic != MSG_MAGIC || r.prod != ct->idx || r.seq != h.seq) {
			wl_fail(&w->run, -EPROTO, "pinger %u sent request %llu and got the answer "
				"to pinger %u's request %llu", ct->idx,
				(unsigned long long)h.seq, r.prod, (unsigned long long)r.seq);
			break;
		}
		if (rec) {
			ops_snap_delta(&ct->t.ot, &a, &b, &bd);
			wl_record_snaps(&ct->t, 0, &bd, &a, &b);
		}
	}
out:
	wl_thr_end(&ct->t);
	free(buf);
	free(rbuf);
	return NULL;
}

static void *ponger_main(void *arg)
{
	struct cthread *ct = arg;
	struct chwl *w = ct->w;
	unsigned char *buf = malloc(w->elem);
	struct msg_hdr h;
	int err;

	if (wl_thr_begin(&ct->t, &w->run) || !buf) {
		if (!buf)
			wl_fail(&w->run, -ENOMEM, "out of memory for a ponger's buffer");
		goto out;
	}
	while (!(err = ch_recv(w, w->ch, buf))) {
		memcpy(&h, buf, sizeof(h));
		ct->received++;
		if (h.magic != MSG_MAGIC || h.prod >= w->np) {
			wl_fail(&w->run, -EPROTO, "a ponger received a corrupt request "
				"(pinger %u, magic %#x)", h.prod, h.magic);
			break;
		}
		if ((err = ch_send(w, w->reply[h.prod], buf))) {
			ch_failed(w, "send", err);
			break;
		}
		ct->sent++;
	}
	if (err)
		ch_failed(w, "recv", err);
out:
	wl_thr_end(&ct->t);
	free(buf);
	return NULL;
}

static double channel_occupancy(void *arg)
{
	struct chwl *w = arg;

	if (w->impl)
		return w->impl->len ? (double)w->impl->len(w->ch) / (double)w->cap : 0;
	return (double)chan_len(w->ch) / (double)chan_capacity(w->ch);
}

static void channel_force(void *arg)
{
	struct chwl *w = arg;

	ch_close(w, w->ch);
	for (unsigned i = 0; w->reply && i < w->np; i++)
		ch_close(w, w->reply[i]);
}

/* Stream pattern: every message sent arrived exactly once. */
static void check_conservation(struct chwl *w)
{
	for (unsigned p = 0; p < w->np && !w->run.err; p++) {
		uint64_t n = w->prod[p].sent, count = 0, sum = 0;

		for (unsigned c = 0; c < w->nc; c++) {
			count += w->cons[c].count[p];
			sum += w->cons[c].sum[p];
		}
		if (count != n || sum != (n ? n * (n - 1) / 2 : 0))
			wl_fail(&w->run, -EPROTO, "producer %u sent %llu messages, consumers got "
				"%llu (sequence sum %llu, expected %llu): lost or duplicated", p,
				(unsigned long long)n, (unsigned long long)count,
				(unsigned long long)sum,
				(unsigned long long)(n ? n * (n - 1) / 2 : 0));
	}
}

static int mode_check(int mode, unsigned np, unsigned nc, char *err, size_t len)
{
	bool sp = mode == M_SPSC || mode == M_SPMC, sc = mode == M_SPSC || mode == M_MPSC;

	if ((sp && np != 1) || (sc && nc != 1)) {
		snprintf(err, len, "mode=%s needs %s%s%s (got producers=%u consumers=%u); "
			 "use mode=mpmc or set the counts", mode_vals[mode],
			 sp ? "producers=1" : "", sp && sc ? " and " : "",
			 sc ? "consumers=1" : "", np, nc);
		return -EINVAL;
	}
	return 0;
}

static int channel_config_check(const struct wl_config *cfg, char *err, size_t errlen)
{
	return mode_check((int)cfg->iv[P_MODE], (unsigned)cfg->iv[P_PRODUCERS],
			  (unsigned)cfg->iv[P_CONSUMERS], err, errlen);
}

static int channel_run(const struct wl_config *cfg, const struct wl_ctl *ctl,
		       struct wl_result *res)
{
	static const char *const stream_kinds[] = { "chan.send", "chan.recv" };
	static const char *const pp_kinds[] = { "chan.pingpong" };
	int mode = (int)cfg->iv[P_MODE];
	unsigned flags, started = 0, total;
	uint64_t sent = 0, received = 0;
	bool leak = false;
	struct chwl *w;
	char msg[256];
	int err;

	err = channel_config_check(cfg, msg, sizeof(msg));
	if (err)
		return wl_result_fail(res, err, "%s", msg);
	w = calloc(1, sizeof(*w));
	if (!w)
		return wl_result_fail(res, -ENOMEM, "out of memory setting up the channel");
	w->np = (unsigned)cfg->iv[P_PRODUCERS];
	w->nc = (unsigned)cfg->iv[P_CONSUMERS];
	w->elem = (uint32_t)cfg->iv[P_ELEM_SIZE];
	w->pattern = (int)cfg->iv[P_PATTERN];
	w->gap_ns = (uint64_t)cfg->iv[P_GAP];
	w->cap = (uint32_t)cfg->iv[P_CAPACITY];
	w->impl = plugins_chan(cfg->iv[P_IMPL]);
	total = w->np + w->nc;
	flags = (w->np == 1 && mode != M_MPSC && mode != M_MPMC ? CHAN_SP : 0) |
		(w->nc == 1 && mode != M_SPMC && mode != M_MPMC ? CHAN_SC : 0);

	if (w->pattern == PAT_PINGPONG)
		err = wl_run_init(&w->run, ctl, pp_kinds, 1, total);
	else
		err = wl_run_init(&w->run, ctl, stream_kinds, 2, total);
	if (err)
		goto finish;
	w->prod = calloc(w->np, sizeof(*w->prod));
	w->cons = calloc(w->nc, sizeof(*w->cons));
	w->ch = ch_new(w, w->cap, flags, (uint32_t)cfg->iv[P_SPIN]);
	if (!w->prod || !w->cons || !w->ch) {
		wl_fail(&w->run, -ENOMEM, "%s a channel of %u elements of %u bytes%s%s",
			w->impl ? "could not create" : "out of memory for", w->cap, w->elem,
			w->impl ? " with plugin channel " : "", w->impl ? w->impl->name : "");
		goto finish;
	}
	if (w->pattern == PAT_PINGPONG) {
		w->reply = calloc(w->np, sizeof(*w->reply));
		for (unsigned i = 0; w->reply && i < w->np; i++) {
			/* one pinger reads it; any ponger may answer */
			w->reply[i] = ch_new(w, 1, CHAN_SC | (w->nc == 1 ? CHAN_SP : 0),
					     (uint32_t)cfg->iv[P_SPIN]);
			if (!w->reply[i])
				break;
		}
		if (!w->reply || !w->reply[w->np - 1]) {
			wl_fail(&w->run, -ENOMEM, "could not create the reply channels");
			goto finish;
		}
	}

	for (unsigned i = 0; i < total; i++) {
		bool is_prod = i < w->np;
		struct cthread *ct = is_prod ? &w->prod[i] : &w->cons[i - w->np];
		bool pp = w->pattern == PAT_PINGPONG;

		ct->w = w;
		ct->idx = is_prod ? i : i - w->np;
		if (wl_thr_start(&w->run, &ct->th,
				 pp ? (is_prod ? pinger_main : ponger_main) :
				      (is_prod ? producer_main : consumer_main), ct,
				 pp ? (is_prod ? "chan-pinger" : "chan-ponger") :
				      (is_prod ? "chan-producer" : "chan-consumer"), i, total))
			break;
		ct->started = true;
		started++;
	}
	/* a plugin's channel without len(): occupancy not available */
	if (wl_run_control(&w->run, started, !w->impl || w->impl->len ? channel_occupancy : NULL,
			   w))
		channel_force(w);

	/* Producers stop first; closing then lets the consumers drain and return. */
	for (unsigned i = 0; i < w->np; i++)
		if (w->prod[i].started && wl_join(&w->run, w->prod[i].th, channel_force, w))
			leak = true;
	ch_close(w, w->ch);
	for (unsigned i = 0; i < w->nc; i++)
		if (w->cons[i].started && wl_join(&w->run, w->cons[i].th, channel_force, w))
			leak = true;
	for (unsigned i = 0; i < w->np; i++) {
		sent += w->prod[i].sent;
		if (w->pattern == PAT_PINGPONG)
			received += w->prod[i].received;
	}
	if (w->pattern == PAT_STREAM) {
		for (unsigned i = 0; i < w->nc; i++)
			received += w->cons[i].received;
		if (!leak)
			check_conservation(w);
	} else if (!w->run.err && sent != received) {
		wl_fail(&w->run, -EPROTO, "pingers sent %llu requests and got %llu answers",
			(unsigned long long)sent, (unsigned long long)received);
	}

finish:
	err = wl_run_finish(&w->run, res);
	res->sent = sent;
	res->received = received;
	if (w->ch && !w->impl) /* the memory a channel of this capacity takes */
		wl_xmetric(res, "chan_bytes", "bytes", WL_XK_MEMORY, -1, (double)chan_bytes(w->ch));
	if (leak)
		return err;
	for (unsigned i = 0; w->reply && i < w->np; i++)
		ch_free(w, w->reply[i]);
	free(w->reply);
	ch_free(w, w->ch);
	free(w->prod);
	free(w->cons);
	wl_run_destroy(&w->run);
	free(w);
	return err;
}

const struct workload wl_channel = {
	.name = "channel",
	.help = "producers and consumers on a bounded channel; ops chan.send and chan.recv, "
		"or chan.pingpong (a round trip over two channels)",
	.params = channel_params,
	.run = channel_run,
	.config_check = channel_config_check,
};
