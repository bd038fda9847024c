// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * opscope's side of the attach protocol (lib/ops_proto.h, kernel/attach.h): the control
 * page found through /proc, the handshake on an abstract Unix socket (only the recorded
 * process is answered: SO_PEERCRED), the rings memfd, and the drain thread that decodes
 * records into breakdowns.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "kernel/attach.h"
#include "kernel/oprec.h"
#include "kernel/sysnames.h"

#define ACQUIRE(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define RELEASE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)

#define DEFAULT_RINGS 256
#define DEFAULT_CAP 2048
/* drain period: short while some ring is filling up, else long */
#define DRAIN_BUSY_MS 1
#define DRAIN_IDLE_MS 5
/* a connected client has this long to say hello */
#define HELLO_MS 200

struct attach {
	struct attach_opts o;
	int lsock;
	char name[OPSP_SOCK_LEN];
	int rings_fd;
	char *rings;
	size_t rings_len;
	struct opsp_rings *rh;
	struct opsp_ctl *ctl;      /* the program's control page, NULL until found */
	bool ctl_ours;             /* mapped by us (unmap at free) */
	uint64_t ctl_addr;         /* its address in the program */
	uint32_t word;             /* the odd attach word we set, 0 none */
	bool attached;
	char why[256];
	pthread_t th;
	bool started;
	volatile int stopping;
	bool busy;
	pthread_mutex_t lock;      /* rings' consumer side and the figures below */
	uint64_t t_attach, t_first;
	uint64_t t_told;           /* when the program was told to attach (-p), 0 not yet */
	uint64_t t_scan;           /* last look for a control page */
	uint64_t records, bad_records, refused;
	int refused_pid;
	/* counters of rings already given back (live rings are summed when asked) */
	uint64_t acc_dropped, acc_begun, acc_ended;
	uint32_t rings_used;
	bool *ring_seen;
};

static const char *const misuse_names[OPSP_M_NR] = {
	[OPSP_M_END_NO_BEGIN] = "end_without_begin",
	[OPSP_M_BAD_KIND] = "bad_kind",
	[OPSP_M_KIND_FULL] = "kind_table_full",
	[OPSP_M_ABI] = "abi_mismatch",
	[OPSP_M_BEFORE] = "begun_before_attach",
	[OPSP_M_EXEC_OPEN] = "ended_while_running",
	[OPSP_M_EXEC_BAD] = "exec_mismatch",
};

static const char *const loss_names[OPSP_L_NR] = {
	[OPSP_L_NO_SLOT] = "threads_without_slot",
	[OPSP_L_NO_RING] = "threads_without_ring",
	[OPSP_L_UNREC] = "ops_unrecorded",
	[OPSP_L_ATTACH] = "attach_failures",
	[OPSP_L_BUSY] = "ops_during_attach",
	[OPSP_L_DETACHED] = "ops_ended_after_detach",
	[OPSP_L_LOST_END] = "ops_ended_unrecorded",
};

const char *attach_misuse_name(int m)
{
	return m >= 0 && m < OPSP_M_NR ? misuse_names[m] : "?";
}

const char *attach_loss_name(int l)
{
	return l >= 0 && l < OPSP_L_NR ? loss_names[l] : "?";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- records */

/* Blocked time by syscall: the record names the syscall of each of the slot's entries
 * (written only with OPSP_F_BLK, which every record with blocked time has). */
static void decode_blk(const struct opsp_rec *r, struct ops_bd *o)
{
	for (int i = 0; i < OPS_BLK_SYS && (r->flags & OPSP_F_BLK); i++)
		if (r->blk_ns[i])
			o->blk_ns[sysnames_blk_index(r->blk_nr[i])] += r->blk_ns[i];
	o->blk_ns[OPS_BLK_OTHER] += r->d[OPSP_D(blk_other_ns)];
	o->blk_ns[OPS_BLK_NOSYS] += r->d[OPSP_D(blk_nosys_ns)];
}

/* Whether the record's blocked time is the sum of its parts, as in every slot (the kernel
 * adds each blocked interval to blocked_ns and to exactly one part), so to any two
 * snapshots' difference: a record that says otherwise was not written by libopscope. */
static bool blk_adds_up(const struct opsp_rec *r)
{
	uint64_t sum = 0;

	if (__builtin_add_overflow(r->d[OPSP_D(blk_other_ns)], r->d[OPSP_D(blk_nosys_ns)], &sum))
		return false;
	for (int i = 0; i < OPS_BLK_SYS && (r->flags & OPSP_F_BLK); i++)
		if (__builtin_add_overflow(sum, r->blk_ns[i], &sum) ||
		    (r->blk_ns[i] && r->blk_nr[i] < 0))
			return false;
	return sum == r->d[OPSP_D(blocked_ns)];
}

int attach_decode(const struct opsp_rec *r, struct attach_op *op)
{
	const __u64 *d = r->d;
	struct ops_bd *o = &op->bd;

	if (!r->kind || r->kind >= OPSP_KINDS || r->end < r->begin ||
	    (r->flags & ~(OPSP_F_FAILED | OPSP_F_EXEC | OPSP_F_MOVED | OPSP_F_BLK |
			  OPSP_F_WHY)) ||
	    ((r->flags & OPSP_F_EXEC) && r->x_end < r->x_begin) ||
	    (!(r->flags & OPSP_F_MOVED) && !blk_adds_up(r)))
		return -EINVAL;
	memset(op, 0, sizeof(*op));
	op->kind = r->kind;
	op->tid = r->tid;
	op->x_tid = r->x_tid;
	op->flags = r->flags;
	op->begin = r->begin;
	op->end = r->end;
	op->x_begin = r->x_begin;
	op->x_end = r->x_end;
	o->n = 1;
	o->lat_ns = r->end - r->begin;
	if (r->flags & OPSP_F_MOVED) {
		o->queued_ns = o->lat_ns; /* nobody marked where it ran */
		return 0;
	}
	o->on_ns = d[OPSP_D(on_ns)];
	o->steal_ns = d[OPSP_D(steal_ns)];
	o->runq_ns = d[OPSP_D(runq_ns)];
	o->blocked_ns = d[OPSP_D(blocked_ns)];
	/* as ops_snap_delta: a negative on-CPU part from steal, then the off-CPU time */
	if ((int64_t)o->on_ns < 0)
		ops_snap_deficit(o);
	o->syscalls = d[OPSP_D(syscalls)];
	o->syscall_ns = d[OPSP_D(syscall_ns)];
	o->vcsw = d[OPSP_D(nvcsw)];
	o->ivcsw = d[OPSP_D(nivcsw)];
	o->faults = d[OPSP_D(faults)];
	o->map_calls = d[OPSP_D(map_calls)];
	o->map_bytes = d[OPSP_D(map_bytes)];
	o->unmap_bytes = d[OPSP_D(unmap_bytes)];
	o->migrations = d[OPSP_D(migrations)];
	if (o->blocked_ns)
		decode_blk(r, o);
	if (r->flags & OPSP_F_EXEC) {
		uint64_t ran = r->x_end - r->x_begin;

		o->queued_ns = o->lat_ns > ran ? o->lat_ns - ran : 0;
	}
	return 0;
}

void attach_decode_why(const struct opsp_why *w, const struct ops_bd *bd, struct ops_wbd *out)
{
	const struct ops_why_ctr *d = (const struct ops_why_ctr *)w->d;
	uint64_t sum = 0;

	_Static_assert(sizeof(w->d) == sizeof(*d), "opsp_why.d is struct ops_why_ctr");
	memset(out, 0, sizeof(*out));
	out->n = 1;
	for (int i = 0; i < OPS_W_NR; i++) {
		out->b_ns[i] = d->ns[i];
		out->b_chain_ns[i] = d->chain_ns[i];
		sum += d->ns[i];
	}
	for (int i = 0; i < OPS_WHY_KINDS; i++)
		out->b_kind_ns[i] = d->kind_ns[i];
	for (int i = 0; i < OPS_WHY_SYS; i++)
		if (d->sys_ns[i])
			out->b_sys_ns[w->sys_nr1[i] > 0 ? sysnames_blk_index(w->sys_nr1[i] - 1) :
				      OPS_BLK_OTHER] += d->sys_ns[i];
	out->b_sys_ns[OPS_BLK_OTHER] += d->sys_other_ns;
	out->wakeups = d->wakeups;
	/* blocked time whose wakeup was not seen (an interval begun before the op) */
	if (bd->blocked_ns > sum)
		out->b_ns[OPS_W_UNKNOWN] += bd->blocked_ns - sum;
}

static size_t slot_stride(void)
{
	return (sizeof(struct ops_slot) + 7) & ~(size_t)7;
}

/* x_tid's slot, if it is still x_tid's (a slot is reused once its thread is gone). */
static const volatile struct ops_slot *x_slot(const struct attach *a, const struct opsp_rec *r)
{
	const volatile struct ops_slot *s;

	if (!a->o.slots || (r->flags & OPSP_F_MOVED) || r->x_slot >= OPS_MAX_SLOTS)
		return NULL;
	s = (const volatile struct ops_slot *)((const char *)a->o.slots +
					       (size_t)r->x_slot * slot_stride());
	if (s->tid != r->x_tid || s->gen != r->x_slot_gen)
		return NULL;
	return s;
}

static void ring_give_back(struct attach *a, struct opsp_ring *r, uint32_t i)
{
	a->acc_dropped += r->dropped;
	a->acc_begun += r->begun;
	a->acc_ended += r->ended;
	r->head = r->tail = 0;
	r->dropped = r->begun = r->ended = 0;
	r->tid = 0;
	RELEASE(&a->rh->state[i], OPSP_R_FREE);
}

/* A record out of its ring: the blocked-by-syscall lines only when it wrote them (an op
 * that did not block leaves them stale, and reading them would pull lines for nothing;
 * nothing reads them without OPSP_F_BLK, so they are not cleared either). */
static void rec_copy(struct opsp_rec *dst, const struct opsp_rec *src)
{
	memcpy(dst, src, offsetof(struct opsp_rec, blk_ns));
	if (dst->flags & OPSP_F_BLK)
		memcpy(dst->blk_ns, src->blk_ns, sizeof(*dst) - offsetof(struct opsp_rec, blk_ns));
}

/* Records of ring i; true when it is more than a quarter full. */
static bool drain_ring(struct attach *a, uint32_t i)
{
	uint32_t st = ACQUIRE(&a->rh->state[i]), mask = a->rh->cap - 1;
	struct opsp_ring *r;
	uint64_t head, tail;
	bool full;

	if (st == OPSP_R_FREE)
		return false;
	r = opsp_ring_at(a->rings, i);
	tail = r->tail;
	if (!a->ring_seen[i]) {
		a->ring_seen[i] = true;
		a->rings_used++;
	}
	head = ACQUIRE(&r->head);
	if (head - tail > a->rh->cap) /* a program writing nonsense: skip to its head */
		tail = head - a->rh->cap;
	full = head - tail > a->rh->cap / 4;
	for (; tail != head; tail++) {
		struct opsp_rec rec;
		struct attach_op op;
		struct ops_wbd why;

		rec_copy(&rec, &r->rec[tail & mask]);
		if (attach_decode(&rec, &op)) {
			a->bad_records++;
			continue;
		}
		if ((rec.flags & OPSP_F_WHY) && a->rh->why && !(rec.flags & OPSP_F_MOVED)) {
			struct opsp_why w;

			memcpy(&w, &opsp_why_at(a->rings, i)[tail & mask], sizeof(w));
			attach_decode_why(&w, &op.bd, &why);
			op.why = &why;
		}
		op.x_slot = x_slot(a, &rec);
		op.since = a->t_attach;
		a->records++;
		if (!a->t_first || op.begin < a->t_first)
			a->t_first = op.begin;
		if (a->o.on_op)
			a->o.on_op(&op, a->o.arg);
	}
	RELEASE(&r->tail, tail);
	/* closed after its last record: the head read above was final */
	if (st == OPSP_R_CLOSED)
		ring_give_back(a, r, i);
	return full;
}

void attach_drain(struct attach *a)
{
	bool busy = false;

	pthread_mutex_lock(&a->lock);
	for (uint32_t i = 0; i < a->rh->nrings; i++)
		busy |= drain_ring(a, i);
	a->busy = busy;
	pthread_mutex_unlock(&a->lock);
}

/* ---------------------------------------------------------------- the control page */

static struct opsp_ctl *ctl_check(struct attach *a, struct opsp_ctl *c)
{
	if (c->magic != OPSP_CTL_MAGIC || c->bytes != OPSP_CTL_BYTES) {
		snprintf(a->why, sizeof(a->why), "its libopscope control page is damaged");
		return NULL;
	}
	if (c->proto != OPSP_PROTO) {
		snprintf(a->why, sizeof(a->why), "its libopscope speaks attach protocol %u and "
			 "this opscope %u: build it against this opscope's libopscope", c->proto,
			 OPSP_PROTO);
		return NULL;
	}
	return c;
}

/*
 * Map the control page of the process: the memfd mapping at addr, or (addr 0) the first
 * one named opscope-ctl. Through /proc/PID/map_files, which needs CAP_SYS_ADMIN.
 */
static int ctl_map(struct attach *a, uint64_t addr)
{
	char path[64], line[512];
	unsigned long lo, hi;
	FILE *f;
	int fd = -1, n, found = 0;
	void *p;

	snprintf(path, sizeof(path), "/proc/%d/maps", a->o.pid);
	f = fopen(path, "re");
	if (!f) {
		snprintf(a->why, sizeof(a->why), "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &n) != 2)
			continue;
		if (!strstr(line + n, "/memfd:" OPSP_CTL_NAME) || (addr && lo != addr))
			continue;
		found = 1;
		break;
	}
	fclose(f);
	if (!found) {
		snprintf(a->why, sizeof(a->why), "process %d has no libopscope control page: it "
			 "does not link libopscope (docs/INSTRUMENTING.md says how)", a->o.pid);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", a->o.pid, lo, hi);
	fd = open(path, O_RDWR | O_CLOEXEC);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, OPSP_CTL_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
				       fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED) {
		snprintf(a->why, sizeof(a->why), "cannot map the control page of process %d (%s): "
			 "run opscope as root", a->o.pid, strerror(errno));
		return -errno;
	}
	if (!ctl_check(a, p) || ((struct opsp_ctl *)p)->pid != (uint32_t)a->o.pid) {
		if (!a->why[0])
			snprintf(a->why, sizeof(a->why), "the control page of process %d "
				 "belongs to another process", a->o.pid);
		munmap(p, OPSP_CTL_BYTES);
		return -EPROTO;
	}
	a->ctl = p;
	a->ctl_ours = true;
	a->ctl_addr = lo;
	return 0;
}

/* The socket's name, then an odd attach word the program has not seen (an odd one left
 * by an opscope that died is skipped). */
static void ctl_attach(struct attach *a)
{
	uint32_t w = ACQUIRE(&a->ctl->attach);

	memcpy(a->ctl->sock, a->name, sizeof(a->ctl->sock));
	a->word = (w & 1) ? w + 2 : w + 1;
	RELEASE(&a->ctl->attach, a->word);
}

/* ---------------------------------------------------------------- the handshake */

static int send_welcome(struct attach *a, int s, uint32_t status)
{
	struct opsp_welcome w = {
		.magic = OPSP_MSG_MAGIC, .proto = OPSP_PROTO, .status = status, .attach = a->word,
		.layout = opsp_layout(), .slot_stride = (uint32_t)slot_stride(),
		.nslots = OPS_MAX_SLOTS, .slots_bytes = a->o.slots_len, .rings_bytes = a->rings_len,
	};
	int fds[2] = { a->o.slots_fd, a->rings_fd };
	char cbuf[CMSG_SPACE(sizeof(fds))];
	struct iovec iov = { &w, sizeof(w) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (status == OPSP_OK) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(w) ? 0 : -errno;
}

/* What to answer a hello from pid. */
static uint32_t hello_check(struct attach *a, const struct opsp_hello *h, int pid)
{
	if (pid != a->o.pid) {
		a->refused_pid = pid;
		return OPSP_REFUSED_PID;
	}
	if (h->magic != OPSP_MSG_MAGIC || h->proto != OPSP_PROTO || h->layout != opsp_layout()) {
		snprintf(a->why, sizeof(a->why), "its libopscope was built for another attach "
			 "protocol or slot layout: rebuild it against this opscope's libopscope");
		return OPSP_REFUSED_LAYOUT;
	}
	if (!a->ctl) {
		/* record -- CMD: the program came first; find its page by address */
		if (ctl_map(a, h->ctl_addr))
			return OPSP_REFUSED_CTL;
		ctl_attach(a);
	} else if (a->ctl_ours && h->ctl_addr != a->ctl_addr) {
		return OPSP_REFUSED_BUSY; /* a second copy of the library in the process */
	}
	if (ACQUIRE(&a->ctl->attach) != a->word)
		return OPSP_REFUSED_BUSY;
	return OPSP_OK;
}

static void serve(struct attach *a)
{
	struct opsp_hello h;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct pollfd p;
	uint32_t status;
	int s = accept4(a->lsock, NULL, NULL, SOCK_CLOEXEC);

	if (s < 0)
		return;
	p = (struct pollfd){ s, POLLIN, 0 };
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) || poll(&p, 1, HELLO_MS) != 1 ||
	    recv(s, &h, sizeof(h), MSG_DONTWAIT) != (ssize_t)sizeof(h)) {
		pthread_mutex_lock(&a->lock);
		a->refused++;
		pthread_mutex_unlock(&a->lock);
		close(s);
		return;
	}
	pthread_mutex_lock(&a->lock);
	status = hello_check(a, &h, cr.pid);
	if (status == OPSP_OK && send_welcome(a, s, OPSP_OK) == 0) {
		a->attached = true;
		a->t_attach = now_ns();
		a->why[0] = '\0';
	} else {
		if (status != OPSP_OK)
			send_welcome(a, s, status);
		a->refused++;
	}
	pthread_mutex_unlock(&a->lock);
	close(s);
}

/* A program not marked yet may load libopscope later (dlopen, or a library cleared its
 * environment): look for its control page again every RESCAN_NS (a read of its maps). */
#define RESCAN_NS 1000000000ull

static void rescan(struct attach *a, uint64_t now)
{
	char why[sizeof(a->why)];

	if (a->ctl || a->o.ctl_self || !a->o.pid || now - a->t_scan < RESCAN_NS)
		return;
	a->t_scan = now;
	pthread_mutex_lock(&a->lock);
	memcpy(why, a->why, sizeof(why));
	if (!a->ctl && !ctl_map(a, 0)) {
		ctl_attach(a);
		a->t_told = now_ns();
	} else {
		memcpy(a->why, why, sizeof(why)); /* the first reason is the one to tell */
	}
	pthread_mutex_unlock(&a->lock);
}

static void *drain_main(void *arg)
{
	struct attach *a = arg;

	/* a higher weight than the program's threads: on a busy machine the rings are still
	 * drained before they fill (the program never waits for this thread) */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10);
	while (!a->stopping) {
		struct pollfd p = { a->lsock, POLLIN, 0 };

		if (poll(&p, 1, a->busy ? DRAIN_BUSY_MS : DRAIN_IDLE_MS) > 0)
			serve(a);
		attach_drain(a);
		rescan(a, now_ns());
	}
	return NULL;
}

/* ---------------------------------------------------------------- life cycle */

static int listen_abstract(struct attach *a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t rnd = 0;
	size_t n;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = now_ns() ^ ((uint64_t)getpid() << 32);
	snprintf(a->name, sizeof(a->name), "opscope-%d-%016" PRIx64, (int)getpid(), rnd);
	n = strlen(a->name);
	memcpy(sa.sun_path + 1, a->name, n);
	a->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->lsock < 0)
		return -errno;
	if (bind(a->lsock, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) ||
	    listen(a->lsock, 8))
		return -errno;
	return 0;
}

static int rings_make(struct attach *a)
{
	uint32_t nrings = a->o.nrings ? a->o.nrings : DEFAULT_RINGS;
	uint32_t cap = a->o.ring_cap ? a->o.ring_cap : DEFAULT_CAP;
	uint64_t off0 = (sizeof(struct opsp_rings) + 4095) & ~4095ull, rb = opsp_ring_bytes(cap);
	uint64_t wrb = a->o.why ? opsp_why_ring_bytes(cap) : 0;
	void *p;

	if ((cap & (cap - 1)) || !nrings || nrings > OPSP_MAX_RINGS)
		return -EINVAL;
	/* the why areas after the rings: pages a thread never writes are never allocated */
	a->rings_len = off0 + (size_t)nrings * (rb + wrb);
	a->rings_fd = (int)syscall(SYS_memfd_create, "opscope-rings", 1u /* MFD_CLOEXEC */);
	if (a->rings_fd < 0)
		return -errno;
	if (ftruncate(a->rings_fd, (off_t)a->rings_len))
		return -errno;
	p = mmap(NULL, a->rings_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->rings_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	a->rings = p;
	a->rh = p;
	a->rh->proto = OPSP_PROTO;
	a->rh->nrings = nrings;
	a->rh->cap = cap;
	a->rh->rec_bytes = sizeof(struct opsp_rec);
	a->rh->ring_bytes = rb;
	a->rh->off0 = off0;
	a->rh->why = a->o.why;
	a->rh->why_off = a->o.why ? off0 + (uint64_t)nrings * rb : 0;
	a->rh->why_ring_bytes = wrb;
	RELEASE(&a->rh->magic, OPSP_RINGS_MAGIC);
	a->ring_seen = calloc(nrings, sizeof(*a->ring_seen));
	return a->ring_seen ? 0 : -ENOMEM;
}

struct attach *attach_start(const struct attach_opts *o, char *err, size_t errlen)
{
	struct attach *a = calloc(1, sizeof(*a));
	int e;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	a->o = *o;
	a->lsock = a->rings_fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	e = listen_abstract(a);
	if (e) {
		snprintf(err, errlen, "cannot listen on a Unix socket for marked programs: %s",
			 strerror(-e));
		goto fail;
	}
	e = rings_make(a);
	if (e) {
		snprintf(err, errlen, "cannot make the rings for marked programs: %s",
			 strerror(-e));
		goto fail;
	}
	if (o->ctl_self) {
		if (ctl_check(a, o->ctl_self)) {
			a->ctl = o->ctl_self;
			a->ctl_addr = (uint64_t)(uintptr_t)o->ctl_self;
		}
	} else if (o->pid) {
		ctl_map(a, 0); /* no page is no error: record says there were no marks */
	}
	if (a->ctl) {
		ctl_attach(a);
		a->t_told = now_ns();
	} else if (!a->why[0])
		snprintf(a->why, sizeof(a->why), "process %d never connected: it does not link "
			 "libopscope, or it is not the process that was started", o->pid);
	e = -pthread_create(&a->th, NULL, drain_main, a);
	if (e) {
		snprintf(err, errlen, "cannot start the thread that reads marks: %s",
			 strerror(-e));
		goto fail;
	}
	a->started = true;
	return a;
fail:
	attach_free(a);
	errno = -e;
	return NULL;
}

const char *attach_sock_name(const struct attach *a)
{
	return a->name;
}

void attach_stop(struct attach *a)
{
	struct timespec ms = { 0, 1000000 };

	if (!a || !a->started)
		return;
	/* detach first, so that no op begins after the final drain; a call that read the
	 * word just before still finishes its record within microseconds */
	if (a->ctl && a->word && ACQUIRE(&a->ctl->attach) == a->word)
		RELEASE(&a->ctl->attach, a->word + 1);
	nanosleep(&ms, NULL);
	a->stopping = 1;
	pthread_join(a->th, NULL);
	a->started = false;
	attach_drain(a);
}

void attach_free(struct attach *a)
{
	if (!a)
		return;
	attach_stop(a);
	if (a->lsock >= 0)
		close(a->lsock);
	if (a->rings)
		munmap(a->rings, a->rings_len);
	if (a->rings_fd >= 0)
		close(a->rings_fd);
	if (a->ctl && a->ctl_ours)
		munmap(a->ctl, OPSP_CTL_BYTES);
	free(a->ring_seen);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Is this /proc/PID/smaps mapping line one of opscope's (rings, control page, slots)? */
static bool smaps_ours(const struct attach *a, const char *line)
{
	unsigned long lo, hi;
	int n = 0;

	if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &n) != 2 || !n)
		return false;
	line += n;
	if (strstr(line, "/memfd:opscope-rings") || strstr(line, "/memfd:" OPSP_CTL_NAME))
		return true;
	/* the slot array: a BPF map of exactly its length */
	return strstr(line, "anon_inode:bpf-map") && hi - lo >= a->o.slots_len &&
	       hi - lo < a->o.slots_len + 4096;
}

bool attach_found(struct attach *a)
{
	bool found;

	pthread_mutex_lock(&a->lock);
	found = a->ctl != NULL;
	pthread_mutex_unlock(&a->lock);
	return found;
}

uint64_t attach_program_rss(struct attach *a)
{
	char path[64], line[512];
	uint64_t total = 0;
	bool ours = false;
	unsigned long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", a->o.pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] >= 'A' && line[0] <= 'Z') {
			if (!ours && sscanf(line, "Rss: %lu kB", &kb) == 1)
				total += (uint64_t)kb * 1024;
			continue;
		}
		ours = smaps_ours(a, line);
	}
	fclose(f);
	return total;
}

void attach_get_stats(struct attach *a, struct attach_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&a->lock);
	st->found = a->ctl != NULL;
	st->attached = a->attached;
	snprintf(st->why, sizeof(st->why), "%s", a->why);
	st->t_attach = a->t_attach;
	st->t_told = a->t_told;
	st->t_first = a->t_first;
	st->records = a->records;
	st->bad_records = a->bad_records;
	st->refused = a->refused;
	st->refused_pid = a->refused_pid;
	st->rings_used = a->rings_used;
	st->dropped = a->acc_dropped;
	st->begun = a->acc_begun;
	st->ended = a->acc_ended;
	for (uint32_t i = 0; i < a->rh->nrings; i++) {
		const struct opsp_ring *r = opsp_ring_at(a->rings, i);

		if (!a->ring_seen[i])
			continue; /* never taken: its page stays untouched */
		st->dropped += ACQUIRE(&r->dropped);
		st->begun += ACQUIRE(&r->begun);
		st->ended += ACQUIRE(&r->ended);
	}
	if (a->ctl) {
		st->abi = a->ctl->abi;
		st->abi_seen = a->ctl->abi_seen;
		st->nkinds = ACQUIRE(&a->ctl->nkinds);
		for (int i = 0; i < OPSP_M_NR; i++)
			st->misuse[i] = ACQUIRE(&a->ctl->misuse[i]);
		for (int i = 0; i < OPSP_L_NR; i++)
			st->loss[i] = ACQUIRE(&a->ctl->loss[i]);
	}
	if (st->begun > st->ended + st->loss[OPSP_L_LOST_END])
		st->open = st->begun - st->ended - st->loss[OPSP_L_LOST_END];
	pthread_mutex_unlock(&a->lock);
}

void attach_kind_name(struct attach *a, uint32_t id, char *buf, size_t len)
{
	char name[OPSP_KIND_LEN];
	size_t n = 0;

	name[0] = '\0';
	if (a->ctl && id > 0 && id < OPSP_KINDS)
		memcpy(name, (const char *)a->ctl->kind[id], sizeof(name));
	name[sizeof(name) - 1] = '\0';
	for (char *p = name; *p; p++, n++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c <= ' ' || c >= 0x7f)
			*p = '_';
	}
	if (!n)
		snprintf(buf, len, "kind%u", id);
	else
		snprintf(buf, len, "%s", name);
}
