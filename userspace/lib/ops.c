// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libopscope: operation marks for any program (include/opscope/ops.h), speaking the
 * attach protocol of ops_proto.h. Only libc; nothing is exported but the public API.
 *
 * Every call starts by comparing the attach word of the control page with the one the
 * calling thread is set up for: equal, and the thread is either detached (return) or has
 * its slot and ring (record). Anything else is the slow path, taken once per thread per
 * attach or detach: the process-wide handshake (one thread, the others carry on
 * unrecorded meanwhile), then the thread's own slot and ring. The hot paths do no
 * syscall, take no lock and write nothing shared but the thread's own ring and slot.
 */
#include <errno.h>
#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "opscope/ops.h"
#include "lib/ops_proto.h"

#define API __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define TLS __thread __attribute__((tls_model("initial-exec")))

#define LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)
#define ACQUIRE(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define RELEASE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
/* single-writer counters in shared memory: no locked instruction needed */
#define BUMP(p) STORE(p, LOAD(p) + 1)

/* The handshake waits at most this long for opscope (connect, send, answer). */
#define HANDSHAKE_TIMEOUT_MS 1000
/* A thread that found no slot or ring tries again after this many of its calls. */
#define RETRY_CALLS 4096
/* Records ahead of the one being written whose lines are asked for in advance. */
#define PF_AHEAD 4

/* An operation in the caller's opscope_op. */
struct lop {
	__u32 state;       /* LOP_* */
	__u16 kind;
	__u16 prev_kind;   /* the begin thread's op_kind before it */
	__u32 gen;         /* attach word at begin */
	__u32 tid;         /* the thread that began it */
	volatile struct ops_slot *slot; /* its slot */
	__u64 begin;
	__u64 x_begin, x_end;
	__u32 x_tid, x_slot, x_slot_gen;
	__u16 x_prev_kind;
	__u16 pad_;
	__u64 c[OPSP_NCTR]; /* the counters at begin (or exec_begin); after exec_end the
			     * running thread's differences */
	__s32 blk_nr[OPS_BLK_SYS]; /* after exec_end: the running thread's syscall numbers */
	__u64 wseq;        /* record --why: its begin snapshot (T.wbeg), 0 none */
};
_Static_assert(sizeof(struct lop) <= sizeof(opscope_op), "opscope_op is too small");

#define LOP_MAGIC 0x6f707300u
enum {
	LOP_DETACHED = LOP_MAGIC | 1, /* begun with opscope away: not recorded */
	LOP_UNREC = LOP_MAGIC | 2,    /* begun attached, but its thread could not record */
	LOP_BEGUN = LOP_MAGIC | 3,
	LOP_EXEC = LOP_MAGIC | 4,     /* running on another thread */
	LOP_EXECD = LOP_MAGIC | 5,    /* ran there; c[] holds that thread's differences */
	LOP_LOST = LOP_MAGIC | 6,     /* begun (counted), but will not be recorded */
	LOP_ENDED = LOP_MAGIC | 7,
};

/* What one attach handed over: immutable once published, never freed (a thread may
 * still read an old one), its memory replaced by empty pages at detach. */
struct lgen {
	__u32 attach;
	char *slots;
	size_t slots_len;
	__u32 stride, nslots;
	char *rings;
	size_t rings_len;
	__u32 nrings, cap;
	bool why;        /* the rings have why areas (record --why) */
};

/* The calling thread. */
struct lthr {
	__u32 seen;      /* the attach word this thread is set up for */
	__u32 ok;        /* 1: slot and ring valid for seen (odd) */
	volatile struct ops_slot *slot;
	struct opsp_ring *ring;
	__u64 head, tail;
	__u32 mask;      /* ring capacity - 1 */
	__u32 tid, slot_idx, slot_gen;
	__u32 ring_idx;
	__u32 failed;    /* registration failed in seen: retry after RETRY_CALLS calls */
	__u32 retry;
	__u32 gone;      /* its destructor ran: nothing more is recorded */
	/* record --why: its ring's why area (NULL without), and its begins counted */
	struct opsp_why_beg *wbeg;
	struct opsp_why *wrec;
	__u64 wseq;
};

static TLS struct lthr T;

static struct opsp_ctl ctl_dummy; /* until (or unless) the control page exists */
static struct opsp_ctl *ctl = &ctl_dummy;
static const struct lgen *cur_gen;  /* the process's current attach, NULL when none */
static __u32 proc_seen;             /* the attach word cur_gen belongs to */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t kind_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t thr_key;
static bool have_key;
static bool have_prefetchw; /* the CPU has PREFETCHW (x86: CPUID 0x80000001 ECX.8) */

static void count_misuse(int m)
{
	__atomic_fetch_add(&ctl->misuse[m], 1, __ATOMIC_RELAXED);
}

static void count_loss(int l)
{
	__atomic_fetch_add(&ctl->loss[l], 1, __ATOMIC_RELAXED);
}

/*
 * Ask for a line of the ring with the intent to write it. The lines a record goes to
 * were last read by opscope's drain, a ring's length ago and on another CPU as a rule,
 * so a store to them waits until that CPU gives the line up; asked for a few records
 * early, the wait overlaps the program's own work (make bench: libopscope beyond the
 * clock reads went from 34 to 15 ns per op, as with both threads on one CPU).
 */
static inline void prefetch_w(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	if (likely(have_prefetchw))
		__asm__ __volatile__("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

static inline __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* The thread's counters now (its slot is stable while it runs in userspace), and the
 * time; the running interval is timed by the wall, as kernel/oprec.h does. */
static inline __u64 snap(__u64 *c, volatile struct ops_slot *s)
{
	__u64 ts, in;

	/* the thread can be preempted between the clock read and the copy: the switch-in
	 * then moves in_ts, and the snapshot is taken again; a slot that says its thread is
	 * off-CPU missed a switch-in, and a syscall lets the kernel side close that interval
	 * (docs/ARCHITECTURE.md, "Counters"), twice at most */
	for (int i = 0;; i++) {
		if (__builtin_expect(s->state != OPS_T_RUNNING, 0) && i < 2)
			syscall(SYS_getppid);
		in = s->in_ts;
		__asm__ __volatile__("" ::: "memory");
		ts = now_ns();
		memcpy(c, (const char *)s + OPSP_CTR_OFF, OPSP_CTR_BYTES);
		__asm__ __volatile__("" ::: "memory");
		if (s->in_ts == in && (s->state == OPS_T_RUNNING || i >= 2))
			break;
	}
	if (s->state == OPS_T_RUNNING)
		c[0] += ts - in;
	return ts;
}

/* ---------------------------------------------------------------- control page */

static void ctl_init(struct opsp_ctl *c)
{
	c->magic = OPSP_CTL_MAGIC;
	c->proto = OPSP_PROTO;
	c->abi = OPSCOPE_ABI;
	c->pid = (__u32)getpid();
	c->bytes = OPSP_CTL_BYTES;
	memcpy(c->kind[OPSP_KIND_OTHER], "other", 6);
}

/* One page nobody else can name but through /proc, and no fd left open. On failure the
 * process keeps the static page: marks work, opscope cannot find them. */
static struct opsp_ctl *ctl_create(const struct opsp_ctl *from)
{
	int fd = (int)syscall(SYS_memfd_create, OPSP_CTL_NAME, 1u /* MFD_CLOEXEC */);
	struct opsp_ctl *c;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, OPSP_CTL_BYTES)) {
		close(fd);
		return NULL;
	}
	c = mmap(NULL, OPSP_CTL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (c == MAP_FAILED)
		return NULL;
	if (from) {
		/* the names keep their ids: the program holds them */
		memcpy(c->kind, from->kind, sizeof(c->kind));
		c->nkinds = from->nkinds;
	}
	ctl_init(c);
	return c;
}

/* Give up a mapping without ever faulting a thread still using it: empty private pages
 * take its place (reads see zeros, writes go nowhere), and its address is never reused. */
static void retire(void *p, size_t len)
{
	if (p && len)
		mmap(p, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

/* ---------------------------------------------------------------- handshake */

static int recv_welcome(int s, struct opsp_welcome *w, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { w, sizeof(*w) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);

	if (n != (ssize_t)sizeof(*w) || w->magic != OPSP_MSG_MAGIC)
		return -EPROTO;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(cm), 2 * sizeof(int));
	}
	if (w->status != OPSP_OK || fds[0] < 0 || fds[1] < 0)
		return -EPERM;
	return 0;
}

/* Connect to opscope's socket, say hello, take the two fds. */
static int handshake(struct opsp_welcome *w, int fds[2])
{
	struct timeval tv = { HANDSHAKE_TIMEOUT_MS / 1000, (HANDSHAKE_TIMEOUT_MS % 1000) * 1000 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct opsp_hello h = {
		.magic = OPSP_MSG_MAGIC, .proto = OPSP_PROTO, .abi = OPSCOPE_ABI,
		.pid = (__u32)getpid(), .layout = opsp_layout(), .ctl_addr = (__u64)(uintptr_t)ctl,
	};
	size_t n = strnlen(ctl->sock, OPSP_SOCK_LEN);
	int s, err;

	fds[0] = fds[1] = -1;
	if (!n || n >= sizeof(a.sun_path) - 1)
		return -EINVAL;
	memcpy(a.sun_path + 1, ctl->sock, n); /* abstract: sun_path[0] stays 0 */
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	err = connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
							  1 + n));
	if (!err && send(s, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		err = -1;
	err = err ? -errno : recv_welcome(s, w, fds);
	close(s);
	if (err) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	}
	return err;
}


/* Map what the welcome handed over; NULL (fds closed either way) when it does not fit. */
static struct lgen *gen_map(const struct opsp_welcome *w, const int fds[2])
{
	struct lgen *g = calloc(1, sizeof(*g));
	const struct opsp_rings *rh;
	void *p;

	if (!g || w->layout != opsp_layout() || w->slot_stride < sizeof(struct ops_slot) ||
	    !w->nslots || w->slots_bytes < (__u64)w->slot_stride * w->nslots ||
	    w->rings_bytes < sizeof(struct opsp_rings))
		goto fail;
	p = mmap(NULL, w->slots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (p == MAP_FAILED)
		goto fail;
	g->slots = p;
	g->slots_len = w->slots_bytes;
	p = mmap(NULL, w->rings_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[1], 0);
	if (p == MAP_FAILED)
		goto fail;
	g->rings = p;
	g->rings_len = w->rings_bytes;
	rh = p;
	if (rh->magic != OPSP_RINGS_MAGIC || rh->proto != OPSP_PROTO ||
	    rh->rec_bytes != sizeof(struct opsp_rec) || !rh->cap || (rh->cap & (rh->cap - 1)) ||
	    !rh->nrings || rh->nrings > OPSP_MAX_RINGS ||
	    rh->ring_bytes < opsp_ring_bytes(rh->cap) || rh->off0 < sizeof(*rh) ||
	    rh->off0 + (__u64)rh->nrings * rh->ring_bytes > w->rings_bytes)
		goto fail;
	if (rh->why && (rh->why_ring_bytes < opsp_why_ring_bytes(rh->cap) ||
			rh->why_off < rh->off0 + (__u64)rh->nrings * rh->ring_bytes ||
			rh->why_off + (__u64)rh->nrings * rh->why_ring_bytes > w->rings_bytes))
		goto fail;
	g->why = rh->why != 0;
	g->stride = w->slot_stride;
	g->nslots = w->nslots;
	g->nrings = rh->nrings;
	g->cap = rh->cap;
	close(fds[0]);
	close(fds[1]);
	return g;
fail:
	/* nothing uses these yet: a plain unmap is safe */
	if (g && g->slots)
		munmap(g->slots, g->slots_len);
	if (g && g->rings)
		munmap(g->rings, g->rings_len);
	free(g);
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

/* The handshake for attach word want (0: whatever opscope says, for OPSCOPE_ATTACH).
 * Called with attach_lock held. On failure the process stays unrecorded for this word. */
static void attach_now(__u32 want)
{
	struct opsp_welcome w;
	struct lgen *g;
	int fds[2];

	if (ctl == &ctl_dummy || handshake(&w, fds)) {
		count_loss(OPSP_L_ATTACH);
		return;
	}
	if (!(w.attach & 1) || (want && w.attach != want)) {
		close(fds[0]);
		close(fds[1]);
		count_loss(OPSP_L_ATTACH);
		return;
	}
	g = gen_map(&w, fds);
	if (!g) {
		count_loss(OPSP_L_ATTACH);
		return;
	}
	g->attach = w.attach;
	RELEASE(&cur_gen, g);
	RELEASE(&proc_seen, w.attach);
}

/* Bring the process to attach word g: retire the last attach's memory, and handshake if g
 * is an attach. false: another thread is at it (the caller's op goes unrecorded). */
static bool process_sync(__u32 g)
{
	const struct lgen *old;

	if (pthread_mutex_trylock(&attach_lock))
		return false;
	if (ACQUIRE(&proc_seen) != g) {
		old = cur_gen;
		RELEASE(&cur_gen, NULL);
		if (old) {
			retire(old->slots, old->slots_len);
			retire(old->rings, old->rings_len);
		}
		if (g & 1)
			attach_now(g);
		RELEASE(&proc_seen, g);
	}
	pthread_mutex_unlock(&attach_lock);
	return true;
}

/* ---------------------------------------------------------------- threads */

/*
 * The slot the kernel side gave this thread. Slots are handed out from index 0 up, so
 * a run of never-used ones (gen 0) ends the search; a run, not one, because a slot being
 * handed out to another thread at this moment may still read as never used.
 */
#define SLOT_GAP 128

static int find_slot(const struct lgen *g, __u32 tid)
{
	__u32 unused = 0;

	for (__u32 i = 0; i < g->nslots && unused < SLOT_GAP; i++) {
		const volatile struct ops_slot *s =
			(const volatile struct ops_slot *)(g->slots + (size_t)i * g->stride);

		if (!LOAD(&s->gen)) {
			unused++;
			continue;
		}
		unused = 0;
		if (LOAD(&s->tid) == tid && LOAD(&s->state) != OPS_T_EXITED)
			return (int)i;
	}
	return -1;
}

static struct opsp_ring *ring_take(const struct lgen *g)
{
	struct opsp_rings *h = (struct opsp_rings *)g->rings;
	__u32 start = __atomic_fetch_add(&h->hint, 1, __ATOMIC_RELAXED);

	for (__u32 i = 0; i < g->nrings; i++) {
		__u32 j = (start + i) % g->nrings, exp = OPSP_R_FREE;

		if (__atomic_compare_exchange_n(&h->state[j], &exp, OPSP_R_OWNED, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			T.ring_idx = j;
			return opsp_ring_at(g->rings, j);
		}
	}
	return NULL;
}

static void thread_failed(int loss)
{
	if (!T.failed)
		count_loss(loss);
	T.failed = 1;
	T.retry = RETRY_CALLS;
}

/* Find the thread's slot and take a ring, once per attach: the only syscalls it makes
 * are for a thread the kernel side has not seen since the attach (one syscall creates
 * its slot; with syscall accounting off, a 1 us sleep does). */
static bool thread_register(const struct lgen *g)
{
	struct timespec us = { 0, 1000 };
	struct opsp_ring *r;
	int idx;

	if (!T.tid)
		T.tid = (__u32)syscall(SYS_gettid);
	idx = find_slot(g, T.tid);
	if (idx < 0) {
		syscall(SYS_gettid);
		idx = find_slot(g, T.tid);
	}
	if (idx < 0) {
		nanosleep(&us, NULL);
		idx = find_slot(g, T.tid);
	}
	if (idx < 0) {
		thread_failed(OPSP_L_NO_SLOT);
		return false;
	}
	r = ring_take(g);
	if (!r) {
		thread_failed(OPSP_L_NO_RING);
		return false;
	}
	T.slot = (volatile struct ops_slot *)(g->slots + (size_t)idx * g->stride);
	T.slot_idx = (__u32)idx;
	T.slot_gen = LOAD(&T.slot->gen);
	T.ring = r;
	T.head = LOAD(&r->head);
	T.tail = ACQUIRE(&r->tail);
	T.mask = g->cap - 1;
	T.wbeg = g->why ? opsp_why_beg_at(g->rings, T.ring_idx) : NULL;
	T.wrec = g->why ? opsp_why_at(g->rings, T.ring_idx) : NULL;
	STORE(&r->tid, T.tid);
	if (have_key)
		pthread_setspecific(thr_key, &T); /* for thread_gone at its exit */
	T.failed = 0;
	T.ok = 1;
	return true;
}

/* SYNC_BUSY: another thread is attaching the process; this call is not recorded (counted
 * as OPSP_L_BUSY: ops before the attach was complete, not a loss). */
enum { SYNC_DETACHED, SYNC_RECORD, SYNC_UNREC, SYNC_BUSY };

/* The slow path of every call: the thread is not set up for attach word g. */
static __attribute__((noinline)) int thread_sync(__u32 g)
{
	const struct lgen *gen;

	if (T.gone)
		return (g & 1) ? SYNC_UNREC : SYNC_DETACHED;
	if (T.seen == g) {
		if (T.ok)
			return SYNC_RECORD;
		if (!(g & 1))
			return SYNC_DETACHED;
		if (!T.failed || --T.retry)
			return SYNC_UNREC;
	} else {
		if (ACQUIRE(&proc_seen) != g && !process_sync(g)) {
			count_loss(OPSP_L_BUSY);
			return SYNC_BUSY; /* T.seen unchanged: the next call tries again */
		}
		T.seen = g;
		T.ok = 0;
		T.failed = 0;
		if (!(g & 1))
			return SYNC_DETACHED;
	}
	gen = ACQUIRE(&cur_gen);
	if (!gen || gen->attach != g || ACQUIRE(&proc_seen) != g)
		return SYNC_UNREC; /* the attach failed (counted once) */
	return thread_register(gen) ? SYNC_RECORD : SYNC_UNREC;
}

static inline int thread_state(__u32 g)
{
	if (likely(T.seen == g && T.ok))
		return SYNC_RECORD;
	return thread_sync(g);
}

/* pthread key destructor: the thread ends, its ring goes back to opscope. */
static void thread_gone(void *arg)
{
	(void)arg;
	const struct lgen *g = ACQUIRE(&cur_gen);

	if (T.ok && T.seen == LOAD(&ctl->attach) && g && g->attach == T.seen)
		RELEASE(&((struct opsp_rings *)g->rings)->state[T.ring_idx], OPSP_R_CLOSED);
	T.ok = 0;
	T.gone = 1;
}

/* ---------------------------------------------------------------- set-up */

static void after_fork_child(void)
{
	const struct lgen *g = cur_gen;
	struct opsp_ctl *old = ctl, *c;

	/* the only thread now; the locks may have been held by threads that are gone */
	pthread_mutex_init(&attach_lock, NULL);
	pthread_mutex_init(&kind_lock, NULL);
	cur_gen = NULL;
	proc_seen = 0;
	if (g) {
		retire(g->slots, g->slots_len);
		retire(g->rings, g->rings_len);
	}
	memset(&T, 0, sizeof(T));
	/* the parent's control page is the parent's: a page of our own, same kind ids */
	c = ctl_create(old);
	if (!c) {
		memcpy(ctl_dummy.kind, old->kind, sizeof(ctl_dummy.kind));
		ctl_dummy.nkinds = old->nkinds;
		memset(ctl_dummy.misuse, 0, sizeof(ctl_dummy.misuse));
		memset(ctl_dummy.loss, 0, sizeof(ctl_dummy.loss));
		ctl_dummy.attach = 0;
		c = &ctl_dummy;
	}
	ctl = c;
	if (old != &ctl_dummy)
		retire(old, OPSP_CTL_BYTES);
}

static void init(void)
{
	const char *env = getenv(OPSP_ENV);
	struct opsp_ctl *c;

#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, cx, d;

	have_prefetchw = __get_cpuid(0x80000001, &a, &b, &cx, &d) && (cx & bit_PRFCHW);
#endif
	have_key = pthread_key_create(&thr_key, thread_gone) == 0;
	pthread_atfork(NULL, NULL, after_fork_child);
	ctl_init(&ctl_dummy);
	c = ctl_create(NULL);
	if (c)
		RELEASE(&ctl, c);
	/* record -- CMD: attach now, so that the first operation is recorded */
	if (env && *env) {
		size_t n = strnlen(env, OPSP_SOCK_LEN);

		if (c && n < OPSP_SOCK_LEN)
			memcpy(c->sock, env, n + 1);
		unsetenv(OPSP_ENV); /* the program's children are not the recorded process */
		pthread_mutex_lock(&attach_lock);
		attach_now(0);
		pthread_mutex_unlock(&attach_lock);
	}
}

__attribute__((constructor)) static void lib_init(void)
{
	pthread_once(&once, init);
}

/* ---------------------------------------------------------------- the API */

static __attribute__((noinline)) void bad_abi(int abi)
{
	STORE(&ctl->abi_seen, (__u32)abi);
	count_misuse(OPSP_M_ABI);
}

API int opscope_kind_v(const char *name, int abi)
{
	struct opsp_ctl *c;
	__u32 id = OPSP_KIND_OTHER, n;

	if (abi != OPSCOPE_ABI) {
		bad_abi(abi);
		return OPSP_KIND_OTHER;
	}
	pthread_once(&once, init);
	if (!name || !*name) {
		count_misuse(OPSP_M_BAD_KIND);
		return OPSP_KIND_OTHER;
	}
	pthread_mutex_lock(&kind_lock);
	c = ctl;
	n = c->nkinds;
	for (__u32 i = 1; i <= n; i++) {
		if (!strncmp(c->kind[i], name, OPSP_KIND_LEN - 1)) {
			id = i;
			goto out;
		}
	}
	if (n + 1 < OPSP_KIND_OTHER) {
		id = n + 1;
		strncpy(c->kind[id], name, OPSP_KIND_LEN - 1);
		c->kind[id][OPSP_KIND_LEN - 1] = '\0';
		RELEASE(&c->nkinds, id);
	} else {
		count_misuse(OPSP_M_KIND_FULL);
	}
out:
	pthread_mutex_unlock(&kind_lock);
	return (int)id;
}

/* record --why: the thread's why counters into its next begin snapshot. */
static __attribute__((noinline)) void why_begin(struct lop *op, volatile struct ops_slot *s)
{
	struct opsp_why_beg *b = &T.wbeg[++T.wseq % OPSP_WHY_DEPTH];

	STORE(&b->seq, T.wseq);
	memcpy(b->c, (const char *)&s->why.c, sizeof(b->c));
	op->wseq = T.wseq;
}

/* ... and at the end, their difference beside the op's record (index idx) when the
 * snapshot is still the op's; now: the counters read at the end's snapshot. */
static __attribute__((noinline)) __u16 why_end(const struct lop *op, const __u64 *now,
					       __u64 idx)
{
	const struct opsp_why_beg *b = &T.wbeg[op->wseq % OPSP_WHY_DEPTH];
	struct opsp_why *w = &T.wrec[idx];
	const char *next;

	if (LOAD(&b->seq) != op->wseq)
		return 0; /* nested deeper than OPSP_WHY_DEPTH: no why */
	for (unsigned i = 0; i < OPSP_WHY_NCTR; i++)
		w->d[i] = now[i] - b->c[i];
	for (int i = 0; i < OPS_WHY_SYS; i++)
		w->sys_nr1[i] = T.slot->why.sys_nr1[i];
	next = (const char *)&T.wrec[(idx + PF_AHEAD) & T.mask]; /* as ring_push() */
	for (size_t off = 0; off < sizeof(*w); off += 64)
		prefetch_w(next + off);
	prefetch_w(next + sizeof(*w) - 1);
	return OPSP_F_WHY;
}

API void opscope_begin_v(opscope_op *o, int kind, int abi)
{
	struct lop *op = (struct lop *)o;
	volatile struct ops_slot *slot;
	__u32 g;
	int st;

	if (unlikely(abi != OPSCOPE_ABI)) {
		bad_abi(abi);
		return;
	}
	g = LOAD(&ctl->attach);
	if (likely(T.seen == g)) {
		if (likely(!(g & 1))) {
			op->state = LOP_DETACHED; /* no opscope: one word read, one written */
			return;
		}
	}
	st = thread_state(g);
	if (unlikely(st != SYNC_RECORD)) {
		op->state = st == SYNC_DETACHED ? LOP_DETACHED : LOP_UNREC;
		if (st == SYNC_UNREC)
			count_loss(OPSP_L_UNREC);
		return;
	}
	if (unlikely((unsigned)kind - 1 >= LOAD(&ctl->nkinds) && kind != OPSP_KIND_OTHER)) {
		count_misuse(OPSP_M_BAD_KIND);
		kind = OPSP_KIND_OTHER;
	}
	slot = T.slot;
	op->state = LOP_BEGUN;
	op->kind = (__u16)kind;
	op->gen = g;
	op->tid = T.tid;
	op->slot = slot;
	op->prev_kind = (__u16)slot->op_kind;
	slot->op_kind = (__u32)kind;
	BUMP(&T.ring->begun);
	op->wseq = 0;
	if (unlikely(T.wbeg))
		why_begin(op, slot); /* first: its page's first fault is not the op's */
	op->begin = snap(op->c, slot);
}

/* The next free record of the thread's ring (counting the end), or NULL: full, dropped. */
static inline struct opsp_rec *ring_next(void)
{
	struct opsp_ring *r = T.ring;

	BUMP(&r->ended);
	if (unlikely(T.head - T.tail > T.mask)) {
		T.tail = ACQUIRE(&r->tail);
		if (T.head - T.tail > T.mask) {
			BUMP(&r->dropped);
			return NULL;
		}
	}
	return &r->rec[T.head & T.mask];
}

/* Publish the record, and ask for the lines of the one PF_AHEAD ends from now (those
 * every record writes: its header and counters). */
static inline void ring_push(void)
{
	const char *next;

	T.head++;
	RELEASE(&T.ring->head, T.head);
	next = (const char *)&T.ring->rec[(T.head + PF_AHEAD - 1) & T.mask];
	for (size_t off = 0; off < offsetof(struct opsp_rec, blk_ns); off += 64)
		prefetch_w(next + off);
}

static void copy_blk(__s32 *dst, const volatile struct ops_slot *s)
{
	for (int i = 0; i < OPS_BLK_SYS; i++)
		dst[i] = s->blk_nr[i];
}

/* The begin thread's op kind goes back to what it was; from another thread only if no
 * later begin there changed it (stack tags only: a race costs a tag, not a count). */
static void restore_kind(const struct lop *op)
{
	if (op->slot == T.slot)
		T.slot->op_kind = op->prev_kind;
	else if (LOAD(&op->slot->op_kind) == op->kind)
		STORE(&op->slot->op_kind, op->prev_kind);
}

/* Every end that is not a same-thread end of a recorded op. */
static __attribute__((noinline)) void end_slow(struct lop *op, __u16 flags, __u32 g)
{
	__u32 st = op->state;
	struct opsp_rec *r;
	__u64 ts;

	switch (st) {
	case LOP_DETACHED:
		if (g & 1)
			count_misuse(OPSP_M_BEFORE);
		op->state = LOP_ENDED;
		return;
	case LOP_UNREC:
		op->state = LOP_ENDED;
		return;
	case LOP_BEGUN:
	case LOP_EXEC:
	case LOP_EXECD:
	case LOP_LOST:
		break;
	default:
		count_misuse(OPSP_M_END_NO_BEGIN);
		return;
	}
	op->state = LOP_ENDED;
	if (op->gen != g) {
		count_loss(OPSP_L_DETACHED); /* still open when opscope stopped */
		return;
	}
	if (thread_state(g) != SYNC_RECORD) {
		count_loss(OPSP_L_LOST_END);
		return;
	}
	restore_kind(op);
	if (st == LOP_EXEC || st == LOP_LOST) {
		if (st == LOP_EXEC)
			count_misuse(OPSP_M_EXEC_OPEN);
		BUMP(&T.ring->ended);
		return;
	}
	ts = now_ns();
	r = ring_next();
	if (!r)
		return;
	if (st == LOP_EXECD) {
		memcpy(r->d, op->c, sizeof(r->d));
		flags |= OPSP_F_EXEC;
		if (op->c[OPSP_D(blocked_ns)]) {
			memcpy(r->blk_ns, &op->c[OPSP_D_BLK], sizeof(r->blk_ns));
			memcpy(r->blk_nr, op->blk_nr, sizeof(r->blk_nr));
			flags |= OPSP_F_BLK;
		}
		r->x_tid = op->x_tid;
		r->x_slot = op->x_slot;
		r->x_slot_gen = op->x_slot_gen;
		r->x_begin = op->x_begin;
		r->x_end = op->x_end;
	} else {
		/* same op, other thread, nothing marked where it ran: latency only */
		memset(r->d, 0, sizeof(r->d));
		flags |= OPSP_F_MOVED;
		r->x_tid = 0;
		r->x_slot = ~0u;
		r->x_slot_gen = 0;
		r->x_begin = r->x_end = 0;
	}
	r->kind = op->kind;
	r->flags = flags;
	r->tid = op->tid;
	r->begin = op->begin;
	r->end = ts;
	ring_push();
}

static inline void end_op(opscope_op *o, __u16 flags)
{
	struct lop *op = (struct lop *)o;
	__u32 g = LOAD(&ctl->attach);
	__u64 c[OPSP_NCTR], wnow[OPSP_WHY_NCTR], ts;
	struct opsp_rec *r;

	if (unlikely(op->state != LOP_BEGUN || op->gen != g || T.seen != g || !T.ok ||
		     op->slot != T.slot)) {
		end_slow(op, flags, g);
		return;
	}
	ts = snap(c, T.slot); /* before touching the ring: its page faults are not the op's */
	if (unlikely(op->wseq))
		memcpy(wnow, (const char *)&T.slot->why.c, sizeof(wnow));
	op->state = LOP_ENDED;
	T.slot->op_kind = op->prev_kind;
	r = ring_next();
	if (unlikely(!r))
		return;
	for (unsigned i = 0; i < OPSP_NMAIN; i++)
		r->d[i] = c[i] - op->c[i];
	if (r->d[OPSP_D(blocked_ns)]) {
		for (unsigned i = 0; i < OPS_BLK_SYS; i++)
			r->blk_ns[i] = c[OPSP_D_BLK + i] - op->c[OPSP_D_BLK + i];
		copy_blk(r->blk_nr, T.slot);
		flags |= OPSP_F_BLK;
	}
	r->kind = op->kind;
	r->flags = flags;
	r->tid = T.tid;
	r->x_tid = T.tid;
	r->x_slot = T.slot_idx;
	r->x_slot_gen = T.slot_gen;
	r->begin = op->begin;
	r->end = ts;
	r->x_begin = op->begin;
	r->x_end = ts;
	if (unlikely(op->wseq))
		r->flags |= why_end(op, wnow, T.head & T.mask);
	ring_push();
}

API void opscope_end_v(opscope_op *o, int abi)
{
	if (unlikely(abi != OPSCOPE_ABI)) {
		bad_abi(abi);
		return;
	}
	end_op(o, 0);
}

API void opscope_end_failed_v(opscope_op *o, int abi)
{
	if (unlikely(abi != OPSCOPE_ABI)) {
		bad_abi(abi);
		return;
	}
	end_op(o, OPSP_F_FAILED);
}

/* An exec call on an op that is not in the state it needs: say why, or nothing for an op
 * that was never going to be recorded. */
static void exec_wrong_state(__u32 st)
{
	if (st == LOP_DETACHED || st == LOP_UNREC || st == LOP_LOST)
		return;
	if (st == LOP_BEGUN || st == LOP_EXEC || st == LOP_EXECD)
		count_misuse(OPSP_M_EXEC_BAD);
	else
		count_misuse(OPSP_M_END_NO_BEGIN);
}

API void opscope_exec_begin_v(opscope_op *o, int abi)
{
	struct lop *op = (struct lop *)o;
	volatile struct ops_slot *slot;
	__u32 g;

	if (unlikely(abi != OPSCOPE_ABI)) {
		bad_abi(abi);
		return;
	}
	if (unlikely(op->state != LOP_BEGUN)) {
		exec_wrong_state(op->state);
		return;
	}
	g = LOAD(&ctl->attach);
	if (op->gen != g)
		return; /* opscope left: the end counts it */
	if (thread_state(g) != SYNC_RECORD) {
		op->state = LOP_LOST;
		count_loss(OPSP_L_UNREC);
		return;
	}
	slot = T.slot;
	op->state = LOP_EXEC;
	op->x_tid = T.tid;
	op->x_slot = T.slot_idx;
	op->x_slot_gen = T.slot_gen;
	op->x_prev_kind = (__u16)slot->op_kind;
	slot->op_kind = op->kind;
	op->x_begin = snap(op->c, slot);
}

API void opscope_exec_end_v(opscope_op *o, int abi)
{
	struct lop *op = (struct lop *)o;
	__u64 c[OPSP_NCTR], ts;
	__u32 g;

	if (unlikely(abi != OPSCOPE_ABI)) {
		bad_abi(abi);
		return;
	}
	if (unlikely(op->state != LOP_EXEC)) {
		exec_wrong_state(op->state);
		return;
	}
	g = LOAD(&ctl->attach);
	if (op->gen != g || T.seen != g || !T.ok || op->x_slot != T.slot_idx) {
		if (op->gen == g && T.seen == g && T.ok)
			count_misuse(OPSP_M_EXEC_BAD); /* ended on another thread than it ran */
		op->state = LOP_LOST;
		return;
	}
	ts = snap(c, T.slot);
	for (unsigned i = 0; i < OPSP_NCTR; i++)
		op->c[i] = c[i] - op->c[i];
	if (op->c[OPSP_D(blocked_ns)])
		copy_blk(op->blk_nr, T.slot);
	op->x_end = ts;
	T.slot->op_kind = op->x_prev_kind;
	op->state = LOP_EXECD;
}
