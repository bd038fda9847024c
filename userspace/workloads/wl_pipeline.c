// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Pipeline workload: packets through K stages (1-8) joined by bounded channels (struct
 * chan), N worker threads per stage, like a network-flow engine: parse, filter (drops a
 * fraction), transform, aggregate. A source thread emits packets in a closed loop
 * (inflight packets circulate: a new one enters when one leaves) or at an offered rate
 * (open loop: a packet's clock starts at its scheduled time, so a source held up by
 * back-pressure does not hide the wait). The last stage retires each packet.
 *
 * Ops: "pipe.packet", the end-to-end latency of a delivered packet, and one kind per
 * stage, "pipe.sN_<task>": from the packet's entry into the stage's input channel to the
 * end of the stage's work on it. Their kernel breakdown is the stage worker's own, over
 * its work (snapshots around it, as a pool call's is its worker's), with queued_ns the
 * time in the channel; the end-to-end op sums the stages' breakdowns, so its queued_ns
 * is the packet's time in all the queues (and, open loop, behind the source).
 *
 * Conservation: emitted = delivered + dropped, and every delivered packet aggregated.
 * Metrics: drops, per stage the input channel's occupancy (sampled) and back-pressure
 * (time its workers spent blocked on a full output channel, a share of their time), the
 * peak of busy workers per stage and of packets in flight (measured), bytes per channel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernel/oprec.h"
#include "kernel/why.h"
#include "stats/exemplar.h"
#include "stats/opagg.h"
#include "workloads/chan.h"
#include "workloads/workload.h"

enum { P_STAGES, P_WORKERS, P_CAPACITY, P_PACKET, P_INFLIGHT, P_RATE, P_DROP_RATE, P_SPIN,
       P_ALLOC, P_SLEEP, P_SLOW_STAGE, P_SLOW_SPIN, P_WAIT_SPIN };
enum { R_PARSE, R_FILTER, R_TRANSFORM, R_AGGREGATE };

#define MAX_STAGES 8
#define HDR_BYTES 16 /* packet data starts with its id and flow */
#define FLOWS 256    /* per-worker aggregation table */
#define SRC_SLICE_NS 10000000ull
#define KIND_BUF 32

static const char *const role_names[] = { "parse", "filter", "transform", "aggregate" };

static const struct wl_param_def pipe_params[] = {
	[P_STAGES] = { "stages", WL_P_INT, 1, MAX_STAGES, 0, 0, "4",
		       "stages: 1 aggregate; 2 parse, aggregate; 3 parse, filter, aggregate; "
		       "4+ parse, filter, transform..., aggregate", NULL },
	[P_WORKERS] = { "workers", WL_P_INT, 1, 64, 0, 0, "1", "worker threads per stage",
			NULL },
	[P_CAPACITY] = { "capacity", WL_P_INT, 1, 65536, 0, 0, "64",
			 "packets each stage's input channel holds", NULL },
	[P_PACKET] = { "packet", WL_P_SIZE, 64, 65536, 0, 0, "512", "bytes per packet", NULL },
	[P_INFLIGHT] = { "inflight", WL_P_INT, 1, 65536, 0, 0, "64",
			 "closed loop: packets circulating (rate=0)", NULL },
	[P_RATE] = { "rate", WL_P_INT, 0, 10000000, 0, 0, "0",
		     "offered packets per second (open loop); 0: closed loop", NULL },
	[P_DROP_RATE] = { "drop_rate", WL_P_FLOAT, 0, 0, 0.0, 1.0, "0",
			  "fraction of packets the filter stage drops (stages >= 3)", NULL },
	[P_SPIN] = { "spin", WL_P_DURATION, 0, 1000000000, 0, 0, "0",
		     "CPU work per packet at every stage", NULL },
	[P_ALLOC] = { "alloc", WL_P_SIZE, 0, 64 << 20, 0, 0, "0",
		      "bytes allocated and touched per packet at every stage", NULL },
	[P_SLEEP] = { "sleep", WL_P_DURATION, 0, 1000000000, 0, 0, "0",
		      "sleep per packet at every stage", NULL },
	[P_SLOW_STAGE] = { "slow_stage", WL_P_INT, 0, MAX_STAGES, 0, 0, "0",
			   "a stage (1-based) that spins slow_spin more per packet: the "
			   "bottleneck; 0 none", NULL },
	[P_SLOW_SPIN] = { "slow_spin", WL_P_DURATION, 0, 1000000000, 0, 0, "0",
			  "extra CPU work per packet at slow_stage", NULL },
	[P_WAIT_SPIN] = { "wait_spin", WL_P_INT, 0, 1000000, 0, 0, "100",
			  "retries before a channel wait parks on its futex", NULL },
	{ 0 },
};

struct packet {
	uint64_t id;
	uint64_t t_created; /* emitted (closed loop) or scheduled (open loop) */
	uint64_t t_enq;     /* entered the current stage's input channel */
	uint64_t exec_ns;   /* the stages' work so far */
	uint64_t slow_ns;   /* the longest stage work so far ... */
	struct ex_exec slow; /* ... and where it ran, for exemplars */
	struct ops_bd bd;   /* the stages' breakdowns summed */
	uint32_t len, csum;
	bool rec;
	unsigned char data[]; /* len bytes: id, flow, then payload */
};

struct pipe;

struct pworker {
	struct pipe *pp;
	struct wl_thr t;
	pthread_t th;
	int stage; /* -1: the source */
	unsigned idx;
	bool started;
	uint64_t bp_ns;                   /* recorded phase: blocked on a full channel */
	uint64_t emitted, dropped, delivered;
	uint64_t flow_pkts[FLOWS], flow_bytes[FLOWS];
	uint64_t rng;
};

struct pstage {
	int role;
	struct pworker *w;
	struct wl_gauge busy;
	double occ_sum;
};

struct pipe {
	struct wl_run run;
	int nst;
	unsigned nw;
	size_t packet, alloc;
	uint64_t spin_ns, sleep_ns, slow_ns, rate, inflight;
	int slow_stage;
	uint64_t drop_thresh;
	struct chan *ch[MAX_STAGES];
	struct chan *credits; /* closed loop: one token per packet allowed in */
	struct pstage st[MAX_STAGES];
	struct pworker src;
	struct wl_gauge inflight_g;
	uint64_t occ_n;
};

static int role_of(int k, int n)
{
	if (k == n - 1)
		return R_AGGREGATE;
	if (k == 0)
		return R_PARSE;
	return k == 1 ? R_FILTER : R_TRANSFORM;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/* Send pkt on c; time blocked on a full channel counts as back-pressure (recorded phase). */
static int send_bp(struct pipe *pp, struct pworker *w, struct chan *c, struct packet *pkt)
{
	uint64_t t0;
	int err;

	pkt->t_enq = ops_now_ns();
	err = chan_try_send(c, &pkt);
	if (err != -EAGAIN)
		return err;
	t0 = ops_now_ns();
	err = chan_send(c, &pkt);
	if (atomic_load_explicit(&pp->run.phase, memory_order_relaxed) == WL_PH_RECORD)
		w->bp_ns += ops_now_ns() - t0;
	return err;
}

/* A packet leaves the pipeline (delivered or dropped). */
static void retire(struct pipe *pp, struct packet *pkt)
{
	unsigned char tok = 1;

	wl_gauge_sub(&pp->inflight_g, 1);
	wl_free(pkt, sizeof(*pkt) + pkt->len);
	if (pp->credits)
		chan_send(pp->credits, &tok); /* never full: it holds at most inflight tokens */
}

/* ---------------------------------------------------------------- the source */

static struct packet *new_packet(struct pipe *pp, struct pworker *w, uint64_t t_created)
{
	struct packet *pkt = wl_malloc(sizeof(*pkt) + pp->packet);
	uint32_t flow;

	if (!pkt) {
		wl_fail(&pp->run, -ENOMEM, "out of memory for a packet");
		return NULL;
	}
	memset(pkt, 0, sizeof(*pkt));
	pkt->id = w->emitted;
	pkt->len = (uint32_t)pp->packet;
	pkt->t_created = t_created;
	flow = (uint32_t)(mix64(pkt->id) % FLOWS);
	memcpy(pkt->data, &pkt->id, 8);
	memcpy(pkt->data + 8, &flow, 4);
	memset(pkt->data + 12, 0, 4);
	memset(pkt->data + HDR_BYTES, (int)(pkt->id & 0xff), pp->packet - HDR_BYTES);
	return pkt;
}

/* Open loop: wait for packet k's scheduled time; false when the run stops meanwhile. */
static bool wait_turn(struct pipe *pp, struct pworker *w, uint64_t due)
{
	for (;;) {
		uint64_t now = ops_now_ns();

		if (now >= due)
			return true;
		if (wl_stopping(&w->t))
			return false;
		sleep_ns(due - now < SRC_SLICE_NS ? due - now : SRC_SLICE_NS);
	}
}

static void *source_main(void *arg)
{
	struct pworker *w = arg;
	struct pipe *pp = w->pp;
	uint64_t t0 = 0, due = 0;
	unsigned char tok;

	if (wl_thr_begin(&w->t, &pp->run))
		goto out;
	t0 = ops_now_ns();
	while (!wl_stopping(&w->t)) {
		struct packet *pkt;
		bool rec;

		if (pp->rate) {
			due = t0 + (uint64_t)((double)w->emitted * 1e9 / (double)pp->rate);
			if (!wait_turn(pp, w, due))
				break;
		} else if (chan_recv(pp->credits, &tok) || wl_stopping(&w->t)) {
			break; /* forced shutdown, or the run ended while waiting */
		}
		rec = wl_rec(&w->t);
		pkt = new_packet(pp, w, pp->rate ? due : ops_now_ns());
		if (!pkt)
			break;
		pkt->rec = rec;
		w->emitted++;
		wl_gauge_add(&pp->inflight_g, 1);
		if (send_bp(pp, w, pp->ch[0], pkt)) {
			w->emitted--;
			wl_gauge_sub(&pp->inflight_g, 1);
			wl_free(pkt, sizeof(*pkt) + pkt->len);
			break; /* forced shutdown */
		}
	}
out:
	wl_thr_end(&w->t);
	return NULL;
}

/* ---------------------------------------------------------------- the stages */

/* The stage's task on pkt; false: the filter drops it. */
static bool stage_work(struct pipe *pp, struct pworker *w, int k, struct packet *pkt)
{
	int role = pp->st[k].role;
	uint64_t id;
	uint32_t flow, sum = 0;

	switch (role) {
	case R_PARSE:
		memcpy(&id, pkt->data, 8);
		if (id != pkt->id)
			wl_fail(&pp->run, -EPROTO, "pipeline packet %llu carries the data of "
				"packet %llu: packets were mixed up", (unsigned long long)pkt->id,
				(unsigned long long)id);
		for (uint32_t i = HDR_BYTES; i < pkt->len; i++)
			sum = sum * 31 + pkt->data[i];
		pkt->csum = sum;
		break;
	case R_FILTER:
		if (pp->drop_thresh && mix64(pkt->id ^ 0x5eedull) < pp->drop_thresh)
			return false;
		break;
	case R_TRANSFORM:
		for (uint32_t i = HDR_BYTES; i < pkt->len; i++)
			pkt->data[i] = (unsigned char)((pkt->data[i] ^ 0x5a) * 3 +
						       (unsigned char)k);
		break;
	case R_AGGREGATE:
		memcpy(&flow, pkt->data + 8, 4);
		w->flow_pkts[flow % FLOWS]++;
		w->flow_bytes[flow % FLOWS] += pkt->len;
		break;
	}
	if (pp->spin_ns)
		wl_spin_ns(pp->spin_ns);
	if (pp->slow_stage == k + 1 && pp->slow_ns)
		wl_spin_ns(pp->slow_ns);
	if (pp->alloc) {
		void *m = wl_malloc(pp->alloc);

		if (m) {
			wl_touch(m, pp->alloc);
			wl_free(m, pp->alloc);
		}
	}
	if (pp->sleep_ns)
		sleep_ns(pp->sleep_ns);
	return true;
}

/* Record stage k's op (queue + work) and add its work to the packet's sums. */
static void stage_record(struct pworker *w, int k, struct packet *pkt, const struct ops_snap *a,
			 const struct ops_snap *b)
{
	struct ex_exec x = { &w->t.ot, a->ts, b->ts };
	struct ops_wbd wb, *wp = NULL;
	struct ops_bd bd;
	uint64_t exec;

	/* the packet's own op is recorded later, by the last stage: keep these intervals */
	ops_hist_sync(&w->t.ot);
	ops_snap_delta(&w->t.ot, a, b, &bd);
	if (w->t.ot.why) { /* --why: who ended the work's blocked intervals */
		ops_snap_why(&w->t.ot, a, b, &bd, &wb);
		wp = &wb;
	}
	exec = bd.lat_ns;
	ops_bd_add(&pkt->bd, &bd);
	pkt->exec_ns += exec;
	if (exec >= pkt->slow_ns) {
		pkt->slow_ns = exec;
		pkt->slow = x;
	}
	bd.lat_ns = b->ts > pkt->t_enq ? b->ts - pkt->t_enq : exec;
	bd.queued_ns = bd.lat_ns > exec ? bd.lat_ns - exec : 0;
	wl_record_ran(&w->t, 1 + k, &bd, b->ts, &x, wp);
}

/* The last stage: the packet's end-to-end op, from its creation to now. */
static void deliver(struct pworker *w, struct packet *pkt, uint64_t now)
{
	struct ops_bd bd;

	wl_tick(&w->t, now);
	w->delivered++;
	if (!pkt->rec)
		return;
	bd = pkt->bd;
	bd.n = 1;
	bd.lat_ns = now > pkt->t_created ? now - pkt->t_created : 0;
	bd.queued_ns = bd.lat_ns > pkt->exec_ns ? bd.lat_ns - pkt->exec_ns : 0;
	wl_record_ran(&w->t, 0, &bd, now, pkt->slow.ot ? &pkt->slow : NULL, NULL);
}

static void *stage_main(void *arg)
{
	struct pworker *w = arg;
	struct pipe *pp = w->pp;
	int k = w->stage;
	struct pstage *st = &pp->st[k];
	struct ops_snap a, b;
	struct packet *pkt;

	if (wl_thr_begin(&w->t, &pp->run))
		goto out;
	ops_set_kind(&w->t.ot, pp->run.kind[1 + k]);
	while (chan_recv(pp->ch[k], &pkt) == 0) {
		bool keep;

		wl_gauge_add(&st->busy, 1);
		ops_snap_take(&w->t.ot, &a);
		keep = stage_work(pp, w, k, pkt);
		ops_snap_take(&w->t.ot, &b);
		wl_gauge_sub(&st->busy, 1);
		if (pkt->rec)
			stage_record(w, k, pkt, &a, &b);
		if (!keep) {
			w->dropped++;
			retire(pp, pkt);
		} else if (k == pp->nst - 1) {
			deliver(w, pkt, b.ts);
			retire(pp, pkt);
		} else if (send_bp(pp, w, pp->ch[k + 1], pkt)) {
			retire(pp, pkt); /* forced shutdown: the run has failed already */
		}
	}
out:
	wl_thr_end(&w->t);
	return NULL;
}

/* ---------------------------------------------------------------- the repetition */

static double pipe_occupancy(void *arg)
{
	struct pipe *pp = arg;
	double all = 0;

	for (int k = 0; k < pp->nst; k++) {
		double f = (double)chan_len(pp->ch[k]) / (double)chan_capacity(pp->ch[k]);

		pp->st[k].occ_sum += f;
		all += f;
	}
	pp->occ_n++;
	return all / pp->nst;
}

static void pipe_force(void *arg)
{
	struct pipe *pp = arg;

	for (int k = 0; k < pp->nst; k++)
		chan_close(pp->ch[k]);
	if (pp->credits)
		chan_close(pp->credits);
}

static int pipe_config_check(const struct wl_config *cfg, char *err, size_t errlen)
{
	if (cfg->fv[P_DROP_RATE] > 0 && cfg->iv[P_STAGES] < 3) {
		snprintf(err, errlen, "drop_rate needs a filter stage, which a pipeline has from "
			 "stages=3; raise stages or set drop_rate=0");
		return -EINVAL;
	}
	if (cfg->iv[P_SLOW_STAGE] > cfg->iv[P_STAGES]) {
		snprintf(err, errlen, "slow_stage=%lld but the pipeline has %lld stages; use 1 to "
			 "%lld, or 0 for none", (long long)cfg->iv[P_SLOW_STAGE],
			 (long long)cfg->iv[P_STAGES], (long long)cfg->iv[P_STAGES]);
		return -EINVAL;
	}
	return 0;
}

static void pipe_config(struct pipe *pp, const struct wl_config *cfg)
{
	double dr = cfg->fv[P_DROP_RATE];

	pp->nst = (int)cfg->iv[P_STAGES];
	pp->nw = (unsigned)cfg->iv[P_WORKERS];
	pp->packet = (size_t)cfg->iv[P_PACKET];
	pp->inflight = (uint64_t)cfg->iv[P_INFLIGHT];
	pp->rate = (uint64_t)cfg->iv[P_RATE];
	pp->spin_ns = (uint64_t)cfg->iv[P_SPIN];
	pp->alloc = (size_t)cfg->iv[P_ALLOC];
	pp->sleep_ns = (uint64_t)cfg->iv[P_SLEEP];
	pp->slow_stage = (int)cfg->iv[P_SLOW_STAGE];
	pp->slow_ns = (uint64_t)cfg->iv[P_SLOW_SPIN];
	pp->drop_thresh = dr >= 1.0 ? UINT64_MAX : (uint64_t)(dr * 18446744073709551616.0);
}

/* Kinds "pipe.packet" and "pipe.sN_<task>"; channels, credits, workers. 0 or -errno. */
static int pipe_setup(struct pipe *pp, const struct wl_config *cfg, const struct wl_ctl *ctl)
{
	char names[MAX_STAGES + 1][KIND_BUF];
	const char *kinds[MAX_STAGES + 1];
	uint32_t spin = (uint32_t)cfg->iv[P_WAIT_SPIN];
	unsigned char tok = 1;
	int err;

	kinds[0] = "pipe.packet";
	for (int k = 0; k < pp->nst; k++) {
		pp->st[k].role = role_of(k, pp->nst);
		snprintf(names[k + 1], sizeof(names[k + 1]), "pipe.s%d_%s", k + 1,
			 role_names[pp->st[k].role]);
		kinds[k + 1] = names[k + 1];
	}
	err = wl_run_init(&pp->run, ctl, kinds, pp->nst + 1, 1 + pp->nst * pp->nw);
	if (err)
		return err;
	for (int k = 0; k < pp->nst; k++) {
		unsigned fl = (k == 0 || pp->nw == 1 ? CHAN_SP : 0) | (pp->nw == 1 ? CHAN_SC : 0);

		pp->ch[k] = chan_new((uint32_t)cfg->iv[P_CAPACITY], sizeof(struct packet *), fl,
				     spin);
		pp->st[k].w = calloc(pp->nw, sizeof(*pp->st[k].w));
		if (!pp->ch[k] || !pp->st[k].w)
			goto nomem;
	}
	if (!pp->rate) {
		pp->credits = chan_new((uint32_t)pp->inflight, 1, CHAN_SC, spin);
		if (!pp->credits)
			goto nomem;
		for (uint64_t i = 0; i < pp->inflight; i++)
			chan_try_send(pp->credits, &tok);
	}
	return 0;
nomem:
	wl_fail(&pp->run, -ENOMEM, "out of memory for a pipeline of %d stages", pp->nst);
	return pp->run.err;
}

static int start_threads(struct pipe *pp)
{
	unsigned n = 1 + (unsigned)pp->nst * pp->nw, started = 0;
	char name[32];

	pp->src = (struct pworker){ .pp = pp, .stage = -1 };
	if (wl_thr_start(&pp->run, &pp->src.th, source_main, &pp->src, "pipe-source", 0, n))
		return 0;
	pp->src.started = true;
	started++;
	for (int k = 0; k < pp->nst; k++) {
		snprintf(name, sizeof(name), "pipe-s%d", k + 1);
		for (unsigned i = 0; i < pp->nw; i++) {
			struct pworker *w = &pp->st[k].w[i];

			w->pp = pp;
			w->stage = k;
			w->idx = i;
			if (wl_thr_start(&pp->run, &w->th, stage_main, w, name, started, n))
				return (int)started;
			w->started = true;
			started++;
		}
	}
	return (int)started;
}

/* Source first; then each stage drains its closed input channel before the next closes. */
static bool join_all(struct pipe *pp)
{
	bool leak = false;

	if (pp->src.started && wl_join(&pp->run, pp->src.th, pipe_force, pp))
		leak = true;
	for (int k = 0; k < pp->nst; k++) {
		if (pp->ch[k])
			chan_close(pp->ch[k]);
		for (unsigned i = 0; pp->st[k].w && i < pp->nw; i++)
			if (pp->st[k].w[i].started &&
			    wl_join(&pp->run, pp->st[k].w[i].th, pipe_force, pp))
				leak = true;
	}
	return leak;
}

/* Conservation and the workload's metrics. */
static void pipe_facts(struct pipe *pp, struct wl_result *res, bool check)
{
	uint64_t dropped = 0, delivered = 0, aggregated = 0, busy = 0;
	double el = res->elapsed_s > 0 ? res->elapsed_s * 1e9 : 0;
	char name[32];

	for (int k = 0; k < pp->nst; k++) {
		uint64_t bp = 0, peak = wl_gauge_peak(&pp->st[k].busy);

		for (unsigned i = 0; pp->st[k].w && i < pp->nw; i++) {
			struct pworker *w = &pp->st[k].w[i];

			dropped += w->dropped;
			delivered += w->delivered;
			bp += w->bp_ns;
			for (int f = 0; f < FLOWS; f++)
				aggregated += w->flow_pkts[f];
		}
		busy = peak > busy ? peak : busy;
		snprintf(name, sizeof(name), "s%d_occupancy", k + 1);
		if (pp->occ_n)
			wl_xmetric(res, name, "ratio", WL_XK_INFO, 0,
				   pp->st[k].occ_sum / pp->occ_n);
		snprintf(name, sizeof(name), "s%d_backpressure", k + 1);
		if (k < pp->nst - 1 && el > 0)
			wl_xmetric(res, name, "ratio", WL_XK_INFO, 0, bp / (el * pp->nw));
		snprintf(name, sizeof(name), "s%d_busy_peak", k + 1);
		wl_xmetric(res, name, "count", WL_XK_INFO, 0, (double)peak);
	}
	if (el > 0)
		wl_xmetric(res, "source_backpressure", "ratio", WL_XK_INFO, 0, pp->src.bp_ns / el);
	wl_xmetric(res, "drops", "count", WL_XK_INFO, 0, (double)dropped);
	if (pp->src.emitted)
		wl_xmetric(res, "drop_ratio", "ratio", WL_XK_INFO, 0,
			   (double)dropped / (double)pp->src.emitted);
	if (pp->ch[0])
		wl_xmetric(res, "chan_bytes", "bytes", WL_XK_MEMORY, -1,
			   (double)chan_bytes(pp->ch[0]));
	res->sent = pp->src.emitted;
	res->received = delivered + dropped;
	res->f.inflight = (struct wl_peak){ wl_gauge_peak(&pp->inflight_g), pp->rate ? 0 :
					    pp->inflight };
	res->f.busy = (struct wl_peak){ busy, pp->nw };
	if (pp->rate && pp->ch[0]) /* open loop: what the channels and workers can hold */
		res->f.inflight.limit = (uint64_t)pp->nst * (chan_capacity(pp->ch[0]) + pp->nw) + 1;
	if (check && !res->error[0] && (res->received != res->sent || aggregated != delivered))
		snprintf(res->error, sizeof(res->error), "the pipeline lost packets: %llu emitted, "
			 "%llu delivered + %llu dropped, %llu aggregated",
			 (unsigned long long)res->sent, (unsigned long long)delivered,
			 (unsigned long long)dropped, (unsigned long long)aggregated);
}

static int pipe_run(const struct wl_config *cfg, const struct wl_ctl *ctl, struct wl_result *res)
{
	struct pipe *pp;
	bool leak = false;
	char msg[256];
	int err, started;

	err = pipe_config_check(cfg, msg, sizeof(msg));
	if (err)
		return wl_result_fail(res, err, "%s", msg);
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return wl_result_fail(res, -ENOMEM, "out of memory setting up the pipeline");
	pipe_config(pp, cfg);
	if (pipe_setup(pp, cfg, ctl) == 0) {
		started = start_threads(pp);
		if (wl_run_control(&pp->run, (unsigned)started, pipe_occupancy, pp))
			pipe_force(pp);
		leak = join_all(pp);
	}
	err = wl_run_finish(&pp->run, res);
	pipe_facts(pp, res, !err && !leak);
	if (!err && res->error[0])
		err = -EPROTO;
	if (leak)
		return err; /* a thread may still use pp: leave it */
	for (int k = 0; k < pp->nst; k++) {
		struct packet *pkt;

		while (pp->ch[k] && chan_try_recv(pp->ch[k], &pkt) == 0)
			wl_free(pkt, sizeof(*pkt) + pkt->len);
		chan_free(pp->ch[k]);
		free(pp->st[k].w);
	}
	chan_free(pp->credits);
	wl_run_destroy(&pp->run);
	free(pp);
	return err;
}

const struct workload wl_pipeline = {
	.name = "pipeline",
	.help = "packets through stages (parse, filter, transform, aggregate) joined by bounded "
		"channels; ops pipe.packet (end to end) and pipe.sN_<task> (queue + work)",
	.params = pipe_params,
	.run = pipe_run,
	.config_check = pipe_config_check,
};
