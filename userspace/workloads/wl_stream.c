// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Stream workload: S logical streams multiplexed over K real connections (AF_UNIX
 * socket pairs, or TCP over 127.0.0.1), like HTTP/2 or gRPC streams over a few
 * connections. One server thread runs an epoll loop over the server ends; client
 * threads each own some connections and every stream on them, and keep one request
 * in flight per stream. Frames carry a header (stream id, payload length, sequence)
 * and the payload. The op "stream.rt" is one request/response round trip on one
 * stream, timed on the client thread that drives it (its breakdown is that thread's,
 * over the op's lifetime, which overlaps the other streams' ops on the same thread).
 * A stream is served when every request it sent got its answer, in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "stats/opagg.h"
#include "kernel/oprec.h"
#include "workloads/workload.h"

enum { P_STREAMS, P_CONNS, P_CLIENTS, P_TRANSPORT, P_REQ_SIZE, P_RESP_SIZE, P_SERVER_SPIN };
enum { T_UNIX, T_TCP };

static const char *const transport_vals[] = { "unix", "tcp", NULL };

static const struct wl_param_def stream_params[] = {
	[P_STREAMS] = { "streams", WL_P_INT, 10, 1000, 0, 0, "100",
			"concurrent streams, one request in flight each", NULL },
	[P_CONNS] = { "conns", WL_P_INT, 1, 64, 0, 0, "4",
		      "connections the streams are multiplexed over", NULL },
	[P_CLIENTS] = { "clients", WL_P_INT, 1, 64, 0, 0, "2",
			"client threads (at most conns); each drives the streams of its "
			"connections", NULL },
	[P_TRANSPORT] = { "transport", WL_P_ENUM, 0, 1, 0, 0, "unix",
			  "unix (socketpair) or tcp (127.0.0.1)", transport_vals },
	[P_REQ_SIZE] = { "req_size", WL_P_SIZE, 0, 1 << 20, 0, 0, "128",
			 "request payload bytes", NULL },
	[P_RESP_SIZE] = { "resp_size", WL_P_SIZE, 0, 1 << 20, 0, 0, "1k",
			  "response payload bytes", NULL },
	[P_SERVER_SPIN] = { "server_spin", WL_P_DURATION, 0, 100000000, 0, 0, "0",
			    "CPU the server spends per request", NULL },
	{ 0 },
};

struct frame_hdr {
	uint32_t stream;
	uint32_t len;
	uint64_t seq;
};

struct buf {
	unsigned char *p;
	size_t off, len, cap; /* data is p[off, len) */
};

struct sconn { /* server end */
	int fd;
	bool out_armed;
	struct buf in, out;
};

struct cconn { /* client end */
	int fd;
	bool out_armed;
	struct buf in, out;
};

struct strm {
	uint32_t conn;
	bool busy, rec, bad;
	uint64_t sent, answers;
	uint64_t t_sent;
	struct ops_snap a;
};

struct swl;

struct client {
	struct swl *w;
	struct wl_thr t;
	pthread_t th;
	unsigned idx;
	bool started;
	int efd;
	uint64_t outstanding;
};

struct swl {
	struct wl_run run;
	unsigned nstreams, nconns, nclients;
	size_t req_size, resp_size;
	uint64_t server_spin;
	struct strm *streams;
	struct sconn *sc;
	struct cconn *cc;
	struct client *clients;
	unsigned char *req_payload, *resp_payload;
	int server_efd, stop_fd;
	pthread_t server_th;
	struct wl_thr server_t;
	atomic_int abort; /* forced shutdown: everyone returns now */
	uint64_t server_requests;
	struct wl_gauge inflight; /* requests sent and not yet answered */
};

static int buf_reserve(struct buf *b, size_t need)
{
	size_t cap;
	unsigned char *p;

	if (b->cap - b->len >= need)
		return 0;
	if (b->off) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= need)
			return 0;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < need)
		cap *= 2;
	p = wl_malloc(cap);
	if (!p)
		return -ENOMEM;
	if (b->len)
		memcpy(p, b->p, b->len);
	wl_free(b->p, b->cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_append(struct buf *b, const void *d, size_t n)
{
	if (buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

static void buf_release(struct buf *b)
{
	wl_free(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}

/* Read what the socket has (up to a bound, to stay fair). 0, 1 at EOF, or -errno. */
static int fill_in(int fd, struct buf *b)
{
	size_t total = 0;
	ssize_t n;

	while (total < (1u << 20)) {
		if (buf_reserve(b, 65536))
			return -ENOMEM;
		n = read(fd, b->p + b->len, b->cap - b->len);
		if (n > 0) {
			b->len += (size_t)n;
			total += (size_t)n;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -errno;
	}
	return 0;
}

/* Write what fits. 0 when all was written, 1 when some is left, or -errno. */
static int flush_out(int fd, struct buf *b)
{
	ssize_t n;

	while (b->off < b->len) {
		n = write(fd, b->p + b->off, b->len - b->off);
		if (n > 0) {
			b->off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		return n < 0 ? -errno : -EIO;
	}
	b->off = b->len = 0;
	return 0;
}

static int arm_out(int efd, int fd, void *ptr, bool *armed, bool want)
{
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = ptr };

	if (*armed == want)
		return 0;
	*armed = want;
	return epoll_ctl(efd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

/* ---- server ---- */

static int serve_conn(struct swl *w, struct sconn *c, uint32_t events)
{
	struct frame_hdr h;
	int err, eof = 0;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		eof = fill_in(c->fd, &c->in);
		if (eof < 0)
			return eof;
		while (c->in.len - c->in.off >= sizeof(h)) {
			if (atomic_load_explicit(&w->abort, memory_order_relaxed))
				return 0; /* forced shutdown: stop serving mid-batch */
			memcpy(&h, c->in.p + c->in.off, sizeof(h));
			if (c->in.len - c->in.off < sizeof(h) + h.len)
				break;
			c->in.off += sizeof(h) + h.len;
			w->server_requests++;
			if (w->server_spin)
				wl_spin_ns(w->server_spin);
			h.len = (uint32_t)w->resp_size;
			if (buf_append(&c->out, &h, sizeof(h)) ||
			    buf_append(&c->out, w->resp_payload, w->resp_size))
				return -ENOMEM;
		}
		if (c->in.off == c->in.len)
			c->in.off = c->in.len = 0;
	}
	err = flush_out(c->fd, &c->out);
	if (err < 0)
		return err;
	err = arm_out(w->server_efd, c->fd, c, &c->out_armed, err == 1);
	if (err)
		return err;
	if (eof == 1)
		epoll_ctl(w->server_efd, EPOLL_CTL_DEL, c->fd, NULL);
	return 0;
}

static void *server_main(void *arg)
{
	struct swl *w = arg;
	struct epoll_event evs[64];
	int n, err;

	if (wl_thr_begin(&w->server_t, &w->run))
		goto out;
	for (;;) {
		n = epoll_wait(w->server_efd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			wl_fail(&w->run, -errno, "stream server: epoll_wait failed: %s",
				strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr)
				goto out; /* stop_fd */
			err = serve_conn(w, evs[i].data.ptr, evs[i].events);
			if (err) {
				wl_fail(&w->run, err, "stream server: connection I/O failed: %s",
					strerror(-err));
				goto out;
			}
		}
	}
out:
	wl_thr_end(&w->server_t);
	return NULL;
}

/* ---- clients ---- */

static int issue(struct client *cl, uint32_t sid)
{
	struct swl *w = cl->w;
	struct strm *s = &w->streams[sid];
	struct cconn *c = &w->cc[s->conn];
	struct frame_hdr h = { .stream = sid, .len = (uint32_t)w->req_size, .seq = s->sent };

	s->rec = wl_rec(&cl->t);
	if (buf_append(&c->out, &h, sizeof(h)) ||
	    buf_append(&c->out, w->req_payload, w->req_size))
		return -ENOMEM;
	ops_set_kind(&cl->t.ot, w->run.kind[0]);
	if (s->rec)
		ops_snap_take(&cl->t.ot, &s->a);
	else
		s->a.ts = ops_now_ns();
	s->busy = true;
	s->sent++;
	cl->outstanding++;
	wl_gauge_add(&w->inflight, 1);
	return 0;
}

static int answer(struct client *cl, unsigned conn, const struct frame_hdr *h)
{
	struct swl *w = cl->w;
	struct ops_snap b;
	struct ops_bd bd;
	struct strm *s;

	if (h->stream >= w->nstreams || w->streams[h->stream].conn != conn ||
	    !w->streams[h->stream].busy || h->seq != w->streams[h->stream].answers) {
		if (h->stream < w->nstreams)
			w->streams[h->stream].bad = true;
		wl_fail(&w->run, -EPROTO, "stream %u on connection %u got answer %llu out of "
			"turn: frames were misrouted or reordered", h->stream, conn,
			(unsigned long long)h->seq);
		return -EPROTO;
	}
	s = &w->streams[h->stream];
	s->busy = false;
	s->answers++;
	cl->outstanding--;
	wl_gauge_sub(&w->inflight, 1);
	if (!s->rec)
		wl_tick(&cl->t, ops_now_ns());
	if (s->rec) {
		ops_snap_take(&cl->t.ot, &b);
		wl_tick(&cl->t, b.ts);
		ops_snap_delta(&cl->t.ot, &s->a, &b, &bd);
		wl_record_snaps(&cl->t, 0, &bd, &s->a, &b);
	}
	if (wl_stopping(&cl->t))
		return 0;
	return issue(cl, h->stream);
}

static int client_conn(struct client *cl, unsigned k, uint32_t events)
{
	struct swl *w = cl->w;
	struct cconn *c = &w->cc[k];
	struct frame_hdr h;
	int err;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		err = fill_in(c->fd, &c->in);
		if (err)
			return err < 0 ? err : -ECONNRESET;
		while (c->in.len - c->in.off >= sizeof(h)) {
			memcpy(&h, c->in.p + c->in.off, sizeof(h));
			if (c->in.len - c->in.off < sizeof(h) + h.len)
				break;
			c->in.off += sizeof(h) + h.len;
			err = answer(cl, k, &h);
			if (err)
				return err;
		}
		if (c->in.off == c->in.len)
			c->in.off = c->in.len = 0;
	}
	err = flush_out(c->fd, &c->out);
	if (err < 0)
		return err;
	return arm_out(cl->efd, c->fd, c, &c->out_armed, err == 1);
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct swl *w = cl->w;
	struct epoll_event evs[64];
	int n, err = 0;

	if (wl_thr_begin(&cl->t, &w->run))
		goto out;
	/* one request on every stream of every connection this client owns */
	for (unsigned s = 0; s < w->nstreams && !err; s++)
		if (w->streams[s].conn % w->nclients == cl->idx && !wl_stopping(&cl->t))
			err = issue(cl, s);
	for (unsigned k = cl->idx; k < w->nconns && !err; k += w->nclients)
		err = client_conn(cl, k, 0);
	while (!err && !atomic_load(&w->abort) &&
	       (cl->outstanding || !wl_stopping(&cl->t))) {
		n = epoll_wait(cl->efd, evs, 64, 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (int i = 0; i < n && !err; i++)
			err = client_conn(cl, (unsigned)((struct cconn *)evs[i].data.ptr - w->cc),
					  evs[i].events);
	}
	if (err && err != -EPROTO)
		wl_fail(&w->run, err, "stream client: connection I/O failed: %s",
			strerror(-err));
out:
	wl_thr_end(&cl->t);
	return NULL;
}

static void stream_force(void *arg)
{
	struct swl *w = arg;
	uint64_t one = 1;

	atomic_store(&w->abort, 1);
	if (write(w->stop_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: it is readable then anyway */
	}
}

static int fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}

static int make_conn(int transport, int lfd, struct sockaddr_in *addr, int *cfd, int *sfd)
{
	int sv[2], one = 1;

	if (transport == T_UNIX) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
			return -errno;
		*cfd = sv[0];
		*sfd = sv[1];
		return 0;
	}
	*cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cfd < 0)
		return -errno;
	if (connect(*cfd, (struct sockaddr *)addr, sizeof(*addr)))
		return -errno;
	*sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (*sfd < 0)
		return -errno;
	setsockopt(*cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* the client end becomes non-blocking after the blocking connect */
	return fcntl_nonblock(*cfd);
}

static int setup_conns(struct swl *w, int transport)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct epoll_event ev;
	int lfd = -1, err = 0;

	if (transport == T_TCP) {
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
		    listen(lfd, (int)w->nconns) ||
		    getsockname(lfd, (struct sockaddr *)&addr, &alen)) {
			err = -errno;
			wl_fail(&w->run, err, "cannot listen on 127.0.0.1 for transport=tcp: %s",
				strerror(errno));
			goto out;
		}
	}
	for (unsigned k = 0; k < w->nconns; k++) {
		err = make_conn(transport, lfd, &addr, &w->cc[k].fd, &w->sc[k].fd);
		if (err) {
			wl_fail(&w->run, err, "cannot open stream connection %u of %u (%s): %s",
				k + 1, w->nconns, transport_vals[transport], strerror(-err));
			goto out;
		}
		ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &w->sc[k] };
		if (epoll_ctl(w->server_efd, EPOLL_CTL_ADD, w->sc[k].fd, &ev)) {
			err = -errno;
			wl_fail(&w->run, err, "epoll_ctl failed: %s", strerror(errno));
			goto out;
		}
		ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &w->cc[k] };
		if (epoll_ctl(w->clients[k % w->nclients].efd, EPOLL_CTL_ADD, w->cc[k].fd, &ev)) {
			err = -errno;
			wl_fail(&w->run, err, "epoll_ctl failed: %s", strerror(errno));
			goto out;
		}
	}
out:
	if (lfd >= 0)
		close(lfd);
	return err;
}

static void stream_free(struct swl *w);

static int stream_run(const struct wl_config *cfg, const struct wl_ctl *ctl,
		      struct wl_result *res)
{
	static const char *const kinds[] = { "stream.rt" };
	uint64_t sent = 0, received = 0, served = 0;
	unsigned started = 0;
	bool leak = false, fds_ok;
	struct swl *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return wl_result_fail(res, -ENOMEM, "out of memory setting up streams");
	w->nstreams = (unsigned)cfg->iv[P_STREAMS];
	w->nconns = (unsigned)cfg->iv[P_CONNS];
	w->nclients = (unsigned)cfg->iv[P_CLIENTS];
	if (w->nclients > w->nconns)
		w->nclients = w->nconns;
	w->req_size = (size_t)cfg->iv[P_REQ_SIZE];
	w->resp_size = (size_t)cfg->iv[P_RESP_SIZE];
	w->server_spin = (uint64_t)cfg->iv[P_SERVER_SPIN];
	w->server_efd = w->stop_fd = -1;

	err = wl_run_init(&w->run, ctl, kinds, 1, w->nclients + 1);
	if (err)
		goto finish;
	w->streams = calloc(w->nstreams, sizeof(*w->streams));
	w->sc = calloc(w->nconns, sizeof(*w->sc));
	w->cc = calloc(w->nconns, sizeof(*w->cc));
	w->clients = calloc(w->nclients, sizeof(*w->clients));
	w->req_payload = calloc(1, w->req_size + 1);
	w->resp_payload = calloc(1, w->resp_size + 1);
	if (!w->streams || !w->sc || !w->cc || !w->clients || !w->req_payload ||
	    !w->resp_payload) {
		wl_fail(&w->run, -ENOMEM, "out of memory setting up streams");
		goto finish;
	}
	memset(w->req_payload, 'q', w->req_size);
	memset(w->resp_payload, 'r', w->resp_size);
	for (unsigned k = 0; k < w->nconns; k++)
		w->sc[k].fd = w->cc[k].fd = -1;
	for (unsigned i = 0; i < w->nclients; i++)
		w->clients[i].efd = -1;
	for (unsigned s = 0; s < w->nstreams; s++)
		w->streams[s].conn = s % w->nconns;

	w->server_efd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (unsigned i = 0; i < w->nclients; i++)
		w->clients[i].efd = epoll_create1(EPOLL_CLOEXEC);
	fds_ok = w->server_efd >= 0 && w->stop_fd >= 0;
	for (unsigned i = 0; i < w->nclients; i++)
		fds_ok = fds_ok && w->clients[i].efd >= 0;
	if (!fds_ok) {
		wl_fail(&w->run, -EMFILE, "cannot create epoll or eventfd descriptors: %s; "
			"raise the open file limit (ulimit -n)", strerror(errno));
		goto finish;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(w->server_efd, EPOLL_CTL_ADD, w->stop_fd, &ev)) {
			wl_fail(&w->run, -errno, "epoll_ctl failed: %s", strerror(errno));
			goto finish;
		}
	}
	if (setup_conns(w, (int)cfg->iv[P_TRANSPORT]))
		goto finish;

	if (wl_thr_start(&w->run, &w->server_th, server_main, w, "stream-server", 0,
			 w->nclients + 1))
		goto finish;
	started++;
	for (unsigned i = 0; i < w->nclients; i++) {
		struct client *cl = &w->clients[i];

		cl->w = w;
		cl->idx = i;
		if (wl_thr_start(&w->run, &cl->th, client_main, cl, "stream-client", i + 1,
				 w->nclients + 1))
			break;
		cl->started = true;
		started++;
	}
	if (wl_run_control(&w->run, started, NULL, NULL))
		stream_force(w);

	/* Clients wait for their outstanding answers; then the server is told to stop. */
	for (unsigned i = 0; i < w->nclients; i++)
		if (w->clients[i].started && wl_join(&w->run, w->clients[i].th, stream_force, w))
			leak = true;
	stream_force(w);
	if (wl_join(&w->run, w->server_th, stream_force, w))
		leak = true;
	for (unsigned s = 0; s < w->nstreams; s++) {
		struct strm *st = &w->streams[s];

		sent += st->sent;
		received += st->answers;
		if (st->sent && st->answers == st->sent && !st->bad)
			served++;
	}
	if (!leak && !w->run.err && (received != sent || w->server_requests != sent))
		wl_fail(&w->run, -EPROTO, "streams sent %llu requests, the server saw %llu and "
			"%llu answers came back", (unsigned long long)sent,
			(unsigned long long)w->server_requests, (unsigned long long)received);

finish:
	err = wl_run_finish(&w->run, res);
	res->sent = sent;
	res->received = received;
	res->streams_served = served;
	/* each stream has at most one request outstanding */
	res->f.inflight = (struct wl_peak){ wl_gauge_peak(&w->inflight), w->nstreams };
	if (leak)
		return err;
	stream_free(w);
	return err;
}

static void stream_free(struct swl *w)
{
	for (unsigned k = 0; w->sc && k < w->nconns; k++) {
		if (w->sc[k].fd >= 0)
			close(w->sc[k].fd);
		if (w->cc[k].fd >= 0)
			close(w->cc[k].fd);
		buf_release(&w->sc[k].in);
		buf_release(&w->sc[k].out);
		buf_release(&w->cc[k].in);
		buf_release(&w->cc[k].out);
	}
	for (unsigned i = 0; w->clients && i < w->nclients; i++)
		if (w->clients[i].efd >= 0)
			close(w->clients[i].efd);
	if (w->server_efd >= 0)
		close(w->server_efd);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w->streams);
	free(w->sc);
	free(w->cc);
	free(w->clients);
	free(w->req_payload);
	free(w->resp_payload);
	wl_run_destroy(&w->run);
	free(w);
}

const struct workload wl_stream = {
	.name = "stream",
	.help = "many request/response streams multiplexed over a few connections served "
		"by an epoll loop; op stream.rt is one round trip",
	.params = stream_params,
	.run = stream_run,
};
