// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The kernel collector: open the skeleton, set the target before load, load, attach,
 * map the slot array, and recycle the slots of exited threads in the background.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel/clock.h"
#include "kernel/collector.h"
#include "kernel/kcompat.h"
#include "opscope.skel.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal, seen from BPF program loads */
#endif

struct collector {
	struct opscope_bpf *skel;
	volatile struct ops_slot *slots;
	size_t slots_len;
	int tid_fd, dead_fd, free_fd;
	pthread_t reaper;
	bool reaper_started;
	volatile int stopping;
	void (*on_exit)(const struct ops_slot *s, void *arg);
	void *on_exit_arg;
	double load_ms;
	/* names of exited threads, for stacks symbolized after they are gone */
	pthread_mutex_t names_lock;
	struct { uint32_t tid, tgid; char comm[16]; } names[4096];
	int stats_fd;
	/* copied user stacks: the drain thread moves them from the ring to the queue */
	struct ring_buffer *urb;
	pthread_t drainer;
	bool drainer_started;
	pthread_mutex_t uq_lock;
	struct urec_chunk *uq_head, *uq_tail;
	size_t uq_bytes;
	uint64_t ustack_copies, urec_dropped;
	struct bpf_link **sample_links;
	int *sample_fds;
	int nsample;
	bool why;
	struct clock_sync clock;   /* the clock model's samples and fit (kernel/clock.h) */
	bool follow;
};

/*
 * The queue of copied user stacks: chunks of [u64 size, record, pad to 8], so that each
 * record starts 8-byte aligned, as its u64 fields need (UBSan: a u32 size put them at 4)
 */
#define UQ_HDR sizeof(uint64_t)
struct urec_chunk {
	struct urec_chunk *next;
	size_t len, cap;
	unsigned char data[];
};
#define UQ_CHUNK (1u << 20)
#define UQ_MAX_BYTES (64ul << 20) /* beyond this, records are dropped and counted */

static struct collector *current;

/* libbpf's messages: printed when verbose, else the tail is kept to explain failures. */
static bool verbose;
static char log_tail[16384];
static size_t log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *line = NULL;
	va_list aq;
	int n;

	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	/* a verifier log comes as one long message: keep its end, which says why */
	va_copy(aq, ap);
	n = vasprintf(&line, fmt, aq);
	va_end(aq);
	if (n <= 0) {
		free(line);
		return 0;
	}
	if ((size_t)n >= sizeof(log_tail)) {
		memmove(line, line + n - (sizeof(log_tail) - 1), sizeof(log_tail) - 1);
		n = sizeof(log_tail) - 1;
	}
	if (log_len + n >= sizeof(log_tail)) {
		size_t keep = sizeof(log_tail) - 1 - n;

		if (keep > log_len)
			keep = log_len;
		memmove(log_tail, log_tail + log_len - keep, keep);
		log_len = keep;
	}
	memcpy(log_tail + log_len, line, n);
	log_len += n;
	log_tail[log_len] = '\0';
	free(line);
	return 0;
}

/*
 * From libbpf's captured output: the name of the program that failed to load and the
 * last lines of its verifier log (the ones that say why), joined by " | ".
 */
static const char *verifier_tail(char *buf, size_t len, char *prog, size_t proglen)
{
	const char *end = strstr(log_tail, "-- END PROG LOAD LOG --");
	const char *p, *q, *start;
	int lines = 0;
	size_t o = 0;

	prog[0] = '\0';
	p = strstr(log_tail, "prog '");
	if (p) {
		p += 6;
		q = strchr(p, '\'');
		if (q && (size_t)(q - p) < proglen) {
			memcpy(prog, p, q - p);
			prog[q - p] = '\0';
		}
	}
	if (!end)
		return NULL;
	/* back up over the log's last two lines, skipping the "processed N insns" one */
	start = end;
	while (start > log_tail && lines < 3) {
		start--;
		if (*start == '\n' && start + 1 < end)
			lines++;
	}
	if (*start == '\n')
		start++;
	for (p = start; p < end && o + 4 < len; p = q + 1) {
		size_t n;

		q = memchr(p, '\n', end - p);
		if (!q)
			q = end;
		n = q - p;
		if (!n || !strncmp(p, "processed ", 10) || !strncmp(p, "libbpf:", 7))
			continue;
		if (n > 160)
			n = 160;
		o += snprintf(buf + o, len - o, "%s%.*s", o ? " | " : "", (int)n, p);
	}
	return o ? buf : NULL;
}

static void caps(bool *cap_bpf, bool *cap_perfmon, bool *cap_sys_admin)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	*cap_bpf = *cap_perfmon = *cap_sys_admin = false;
	if (syscall(SYS_capget, &hdr, data))
		return;
#define HAS(c) (!!(data[(c) / 32].effective & (1u << ((c) % 32))))
	*cap_sys_admin = HAS(CAP_SYS_ADMIN);
	*cap_bpf = HAS(CAP_BPF) || *cap_sys_admin;
	*cap_perfmon = HAS(CAP_PERFMON) || *cap_sys_admin;
#undef HAS
}

void collector_explain(const struct load_env *e, char *buf, size_t len)
{
	const char *what = e->prog ? e->prog : "the BPF programs";

	/* Each caller adds its own way out (run: --no-kernel), so none is named here. */
	if (!e->is_root && !(e->has_cap_bpf && e->has_cap_perfmon)) {
		snprintf(buf, len,
			 "loading BPF programs needs root or CAP_BPF and CAP_PERFMON: run opscope "
			 "as root (sudo)");
	} else if (!e->has_btf) {
		snprintf(buf, len,
			 "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): opscope "
			 "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	} else if (e->verifier_tail) {
		/* the kernel said why: quote it, and name the usual cause of a helper or
		 * instruction it does not know: a kernel older than the programs need */
		bool too_old = strstr(e->verifier_tail, "unknown func") ||
			       strstr(e->verifier_tail, "invalid func") ||
			       strstr(e->verifier_tail, "unknown opcode");

		snprintf(buf, len, "the kernel verifier rejected %s at %s: %s%s", what, e->stage,
			 e->verifier_tail,
			 too_old ? " (opscope needs Linux " KCOMPAT_MIN_KERNEL "+)" : "");
	} else if (e->err == -EPERM || e->err == -EACCES) {
		snprintf(buf, len,
			 "permission denied while trying to %s %s: check that the BPF syscall is "
			 "allowed here (kernel.unprivileged_bpf_disabled, seccomp, lockdown)",
			 e->stage, what);
	} else if (e->err == -ENOTSUPP || e->err == -EOPNOTSUPP || e->err == -ENOENT ||
		   e->err == -ESRCH) {
		snprintf(buf, len,
			 "this kernel cannot %s %s (%s): opscope needs Linux "
			 KCOMPAT_MIN_KERNEL "+ with BTF, for tp_btf programs on sched_switch, "
			 "sys_enter and page_fault_user",
			 e->stage, what, strerror(-e->err));
	} else if (e->err == -ENOMEM || e->err == -E2BIG) {
		snprintf(buf, len,
			 "not enough memory to %s %s (%s): the BPF maps are charged to this "
			 "memory cgroup; raise its limit",
			 e->stage, what, strerror(-e->err));
	} else {
		snprintf(buf, len, "could not %s %s: %s", e->stage, what, strerror(-e->err));
	}
}

static void explain(const char *stage, int err, char *buf, size_t len)
{
	char tail[600], prog[64];
	struct load_env e = {
		.is_root = geteuid() == 0,
		.has_btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0,
		.err = err,
		.stage = stage,
	};

	caps(&e.has_cap_bpf, &e.has_cap_perfmon, &e.has_cap_sys_admin);
	e.verifier_tail = verifier_tail(tail, sizeof(tail), prog, sizeof(prog));
	e.prog = prog[0] ? prog : NULL;
	collector_explain(&e, buf, len);
}

/*
 * What bpf/compat.bpf.h cannot decide by CO-RE, from the kernel's BTF before load: sets
 * its .rodata knobs, or returns -ENOTSUP with the sentence in err when the kernel lacks
 * what the counters need.
 */
static int kernel_fit(struct opscope_bpf *skel, const struct btf *vmlinux, char *err,
		      size_t errlen)
{
	struct kcompat kc;
	int e = kcompat_check(vmlinux, &kc, err, errlen);

	if (e)
		return e;
	skel->rodata->switch_has_prev_state = kc.switch_has_prev_state;
#ifdef __x86_64__
	skel->rodata->ustack_tw = kc.task_work; /* configure() clears it without stacks */
#endif
	return 0;
}

/* The tid index's size: every tid is below pid_max (4194304 at most). */
static __u32 pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	unsigned long v = 0;

	if (!f || fscanf(f, "%lu", &v) != 1 || v < 301 || v > 4194304)
		v = 4194304;
	if (f)
		fclose(f);
	return (__u32)v;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read exited threads' slots once more, then give them back for new threads. The
 * reaper thread and collector_reap() may both call it: the queue pop is atomic. */
static void reap(struct collector *c)
{
	__u32 idx;

	while (!bpf_map_lookup_and_delete_elem(c->dead_fd, NULL, &idx)) {
		volatile struct ops_slot *s;

		if (idx >= OPS_MAX_SLOTS)
			continue;
		s = &c->slots[idx];
		if (c->on_exit)
			c->on_exit((const struct ops_slot *)s, c->on_exit_arg);
		pthread_mutex_lock(&c->names_lock);
		c->names[s->tid % 4096].tid = s->tid;
		c->names[s->tid % 4096].tgid = s->tgid;
		memcpy(c->names[s->tid % 4096].comm, (const void *)s->comm, 16);
		c->names[s->tid % 4096].comm[15] = '\0';
		pthread_mutex_unlock(&c->names_lock);
		s->tid = 0; /* read: a scan of the array skips it until it is reused */
		bpf_map_update_elem(c->free_fd, NULL, &idx, 0);
	}
}

static int attach_sampling(struct collector *c, int hz)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	c->sample_links = calloc(ncpu, sizeof(*c->sample_links));
	c->sample_fds = calloc(ncpu, sizeof(*c->sample_fds));
	if (!c->sample_links || !c->sample_fds)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(attr),
			.freq = 1,
			.sample_freq = hz,
		};
		int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* CPU offline */
			return -errno;
		}
		c->sample_fds[c->nsample] = fd;
		c->sample_links[c->nsample] =
			bpf_program__attach_perf_event(c->skel->progs.handle_sample, fd);
		if (!c->sample_links[c->nsample]) {
			int e = -errno;

			close(fd);
			return e;
		}
		c->nsample++;
	}
	return 0;
}

/* ring_buffer callback, under uq_lock: append one record to the queue */
static int urec_queue(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	struct urec_chunk *k = c->uq_tail;
	size_t need = (UQ_HDR + size + 7) & ~7ul;

	if (c->uq_bytes + need > UQ_MAX_BYTES) {
		c->urec_dropped++;
		return 0;
	}
	if (!k || k->len + need > k->cap) {
		size_t cap = need > UQ_CHUNK ? need : UQ_CHUNK;

		k = malloc(sizeof(*k) + cap);
		if (!k) {
			c->urec_dropped++;
			return 0;
		}
		k->next = NULL;
		k->len = 0;
		k->cap = cap;
		if (c->uq_tail)
			c->uq_tail->next = k;
		else
			c->uq_head = k;
		c->uq_tail = k;
	}
	*(uint64_t *)(k->data + k->len) = size;
	memcpy(k->data + k->len + UQ_HDR, data, size);
	k->len += need;
	c->uq_bytes += need;
	if (size >= sizeof(uint32_t) && *(uint32_t *)data == OPS_UREC_STACK)
		c->ustack_copies++;
	return 0;
}

static void urecs_drain(struct collector *c)
{
	pthread_mutex_lock(&c->uq_lock);
	ring_buffer__consume(c->urb);
	pthread_mutex_unlock(&c->uq_lock);
}

/* The kernel writes without waking anyone (cheaper per copy): drain every 10 ms. */
static void *drainer_main(void *arg)
{
	struct collector *c = arg;

	while (!c->stopping) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		urecs_drain(c);
	}
	return NULL;
}

int collector_urecs_take(struct collector *c, collector_urec_fn fn, void *arg)
{
	struct urec_chunk *k, *next;
	int err = 0;

	if (!c->urb)
		return 0;
	pthread_mutex_lock(&c->uq_lock);
	ring_buffer__consume(c->urb);
	k = c->uq_head;
	c->uq_head = c->uq_tail = NULL;
	c->uq_bytes = 0;
	pthread_mutex_unlock(&c->uq_lock);
	for (int pass = 0; pass < 2; pass++) {
		for (struct urec_chunk *q = k; q && !err; q = q->next) {
			for (size_t o = 0; o < q->len && !err;) {
				size_t size = (size_t)*(uint64_t *)(q->data + o);

				err = fn(q->data + o + UQ_HDR, size, pass, arg);
				o += (UQ_HDR + size + 7) & ~7ul;
			}
		}
	}
	for (; k; k = next) {
		next = k->next;
		free(k);
	}
	return err;
}

/* The threads the target has now get their slots (the iter/task program). A kernel before
 * 6.1 cannot filter the scan by process: then it walks every task. */
static int seed_threads(struct collector *c, int tgid, bool whole_life)
{
	union bpf_iter_link_info li = { .task.pid = (__u32)tgid };
	LIBBPF_OPTS(bpf_iter_attach_opts, o, .link_info = &li, .link_info_len = sizeof(li));
	struct bpf_link *l;
	char buf[64];
	int fd, e = 0;

	c->skel->bss->seed_life = whole_life;
	l = bpf_program__attach_iter(c->skel->progs.seed_threads, &o);
	if (!l && errno == EINVAL)
		l = bpf_program__attach_iter(c->skel->progs.seed_threads, NULL);
	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		e = -errno;
	} else {
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			e = -errno;
		close(fd);
	}
	bpf_link__destroy(l);
	return e;
}

static void *reaper_main(void *arg)
{
	struct collector *c = arg;

	while (!c->stopping) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		reap(c);
		clock_sync_update(&c->clock);
	}
	return NULL;
}

/* The slot array, mapped: every thread's counters, read without a syscall. */
static int map_slots(struct collector *c)
{
	c->slots_len = (size_t)OPS_MAX_SLOTS * ((sizeof(struct ops_slot) + 7) & ~7ul);
	c->slots_len = (c->slots_len + 4095) & ~4095ul;
	c->slots = mmap(NULL, c->slots_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(c->skel->maps.slots), 0);
	if (c->slots == MAP_FAILED) {
		c->slots = NULL;
		return -errno;
	}
	c->tid_fd = bpf_map__fd(c->skel->maps.tid_idx);
	c->dead_fd = bpf_map__fd(c->skel->maps.dead_slots);
	c->free_fd = bpf_map__fd(c->skel->maps.free_slots);
	return 0;
}

/* Before load: the knobs, which programs load and attach, the tables' sizes. */
static int configure(struct collector *c, const struct collector_opts *opts)
{
	int e;

	c->skel->rodata->targ_tgid = opts->tgid ? (__u32)opts->tgid : (__u32)getpid();
	c->skel->rodata->sys_mode = (__u32)opts->sys_mode;
	c->skel->rodata->hooks_only = opts->hooks_only;
	c->skel->rodata->stacks_on = opts->stacks;
	/* OPSCOPE_NO_TASK_WORK=1: the older kernels' way, for tests and benchmarks */
	c->skel->rodata->ustack_tw = opts->stacks && !opts->hooks_only &&
				     !getenv("OPSCOPE_NO_TASK_WORK") && c->skel->rodata->ustack_tw;
	if (!c->skel->rodata->ustack_tw)
		bpf_map__set_max_entries(c->skel->maps.ustack_tw_map, 1);
	c->skel->rodata->fault_stacks = opts->stacks && opts->fault_stacks;
	c->skel->rodata->waker_stacks = opts->stacks && opts->waker_stacks;
	c->skel->rodata->min_block_ns = opts->min_block_ns;
	c->skel->rodata->why_on = opts->why;
	c->why = opts->why && !opts->hooks_only;
	c->skel->rodata->follow = opts->follow;
	c->follow = opts->follow && !opts->hooks_only;
	if (!opts->follow) {
		bpf_map__set_max_entries(c->skel->maps.followed, 1);
		bpf_program__set_autoload(c->skel->progs.handle_fork, false);
	}
	c->skel->rodata->ustack_rate = OPS_USTACK_RATE;
	c->skel->rodata->tw_rate = OPS_TW_RATE;
	if (!opts->stacks || opts->sample_hz <= 0)
		bpf_program__set_autoload(c->skel->progs.handle_sample, false);
	/* the counters need no program at each wakeup; waker stacks do */
	if (!opts->stacks || !opts->waker_stacks)
		bpf_program__set_autoload(c->skel->progs.handle_wakeup, false);
	/* who woke whom: six programs that run machine-wide, loaded only for --why */
	if (!opts->why) {
		struct bpf_program *why_progs[] = {
			c->skel->progs.handle_waking, c->skel->progs.handle_irq_entry,
			c->skel->progs.handle_irq_exit, c->skel->progs.handle_softirq_entry,
			c->skel->progs.handle_softirq_exit, c->skel->progs.handle_timer_entry,
			c->skel->progs.handle_timer_exit,
		};

		for (size_t i = 0; i < sizeof(why_progs) / sizeof(why_progs[0]); i++)
			bpf_program__set_autoload(why_progs[i], false);
		bpf_map__set_max_entries(c->skel->maps.waitfor, 1);
	}
	/* read once, after attach: opscope_bpf__attach() must not attach it */
	bpf_program__set_autoattach(c->skel->progs.seed_threads, false);
	/* counting syscalls needs only their entry; the off-CPU stacks need their exit,
	 * unless task work takes their user stacks */
	if (opts->sys_mode == OPS_SYS_OFF)
		bpf_program__set_autoload(c->skel->progs.handle_sys_enter, false);
	if (opts->sys_mode != OPS_SYS_TIME && (!opts->stacks || c->skel->rodata->ustack_tw))
		bpf_program__set_autoload(c->skel->progs.handle_sys_exit, false);
	e = bpf_map__set_max_entries(c->skel->maps.tid_idx, pid_max());
	if (e)
		return e;
	if (!opts->stacks) {
		/* keep the unused tables from costing kernel memory */
		bpf_map__set_max_entries(c->skel->maps.stack_tab, 1);
		bpf_map__set_max_entries(c->skel->maps.stack_counts, 1);
		bpf_map__set_max_entries(c->skel->maps.ustack_ring, 4096);
	} else {
		int ncpu = libbpf_num_possible_cpus();

		/* two buffers per CPU: stacks.bpf.h, ustack_copy */
		bpf_map__set_max_entries(c->skel->maps.ustack_scratch, ncpu > 0 ? 2 * ncpu : 2);
	}
	return 0;
}

struct collector *collector_start(const struct collector_opts *opts, char *err, size_t errlen)
{
	struct collector *c;
	struct btf *vmlinux;
	const char *stage = "open";
	int e = 0;
	double t0 = now_ms();

	verbose = opts->verbose;
	log_len = 0;
	log_tail[0] = '\0';
	libbpf_set_print(libbpf_print);

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&c->names_lock, NULL);
	pthread_mutex_init(&c->uq_lock, NULL);
	c->stats_fd = -1;
	c->on_exit = opts->on_exit;
	c->on_exit_arg = opts->on_exit_arg;
	c->skel = opscope_bpf__open();
	if (!c->skel) {
		e = -errno;
		goto fail;
	}
	stage = "read the kernel's BTF for";
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		e = -errno;
		goto fail;
	}
	e = kernel_fit(c->skel, vmlinux, err, errlen);
	btf__free(vmlinux);
	if (e)
		goto refused; /* err says why */
	e = configure(c, opts);
	if (e)
		goto fail;

	stage = "load";
	e = opscope_bpf__load(c->skel);
	if (e)
		goto fail;

	stage = "attach";
	e = opscope_bpf__attach(c->skel);
	if (e)
		goto fail;

	if (opts->stacks && opts->sample_hz > 0) {
		stage = "attach on-CPU sampling to";
		e = attach_sampling(c, opts->sample_hz);
		if (e)
			goto fail;
	}

	if (opts->bpf_stats) {
		stage = "enable run-time statistics for";
		c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (c->stats_fd < 0) {
			e = c->stats_fd;
			goto fail;
		}
	}

	stage = "map";
	e = map_slots(c);
	if (e)
		goto fail;
	if (opts->stacks) {
		stage = "open the user stack ring of";
		c->urb = ring_buffer__new(bpf_map__fd(c->skel->maps.ustack_ring), urec_queue, c,
					  NULL);
		if (!c->urb) {
			e = -errno;
			goto fail;
		}
		if (pthread_create(&c->drainer, NULL, drainer_main, c) == 0)
			c->drainer_started = true;
	}

	if (!opts->hooks_only) {
		stage = "calibrate the clock of";
		c->clock = (struct clock_sync){
			.cal_fd = bpf_map__fd(c->skel->maps.clk_cal),
			.model = c->skel->bss->clk_model, .idx = &c->skel->bss->clk_idx,
			.ready = &c->skel->bss->clk_ready, .fast = &c->skel->bss->clk_fast,
			.want = &c->skel->bss->clk_want,
		};
		e = clock_sync_start(&c->clock);
		if (e)
			goto fail;
		stage = "find the target's threads with";
		e = seed_threads(c, (int)c->skel->rodata->targ_tgid, opts->whole_life);
		if (e)
			goto fail;
	}
	c->load_ms = now_ms() - t0;
	if (pthread_create(&c->reaper, NULL, reaper_main, c) == 0)
		c->reaper_started = true;
	/* with hooks only no slot is ever filled: threads must not register */
	if (!opts->hooks_only)
		current = c;
	return c;

fail:
	explain(stage, e, err, errlen);
refused:
	collector_stop(c);
	errno = -e;
	return NULL;
}

void collector_stop(struct collector *c)
{
	if (!c)
		return;
	if (current == c)
		current = NULL;
	c->stopping = 1;
	if (c->reaper_started)
		pthread_join(c->reaper, NULL);
	if (c->drainer_started)
		pthread_join(c->drainer, NULL);
	ring_buffer__free(c->urb);
	while (c->uq_head) {
		struct urec_chunk *k = c->uq_head;

		c->uq_head = k->next;
		free(k);
	}
	if (c->slots)
		reap(c); /* threads that exited since the reaper's last pass */
	if (c->slots)
		munmap((void *)c->slots, c->slots_len);
	for (int i = 0; i < c->nsample; i++) {
		bpf_link__destroy(c->sample_links[i]);
		close(c->sample_fds[i]);
	}
	free(c->sample_links);
	free(c->sample_fds);
	clock_sync_free(&c->clock);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	opscope_bpf__destroy(c->skel);
	free(c);
}

void collector_reap(struct collector *c)
{
	reap(c);
}

bool collector_follows(struct collector *c)
{
	return c && c->follow;
}

bool collector_why(struct collector *c)
{
	return c->why;
}

struct collector *collector_current(void)
{
	return current;
}

volatile struct ops_slot *collector_slots(struct collector *c)
{
	return c->slots;
}

volatile struct ops_slot *collector_slot_of(struct collector *c, uint32_t tid)
{
	__u32 idx;

	if (bpf_map_lookup_elem(c->tid_fd, &tid, &idx) || !idx || idx > OPS_MAX_SLOTS)
		return NULL;
	return &c->slots[idx - 1];
}

int collector_slots_fd(struct collector *c)
{
	return bpf_map__fd(c->skel->maps.slots);
}

size_t collector_slots_len(struct collector *c)
{
	return c->slots_len;
}

uint32_t collector_slots_used(struct collector *c)
{
	uint32_t n = c->skel->bss->next_slot;

	return n > OPS_MAX_SLOTS ? OPS_MAX_SLOTS : n;
}

void collector_get_stats(struct collector *c, struct collector_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(st, 0, sizeof(*st));
	st->load_ms = c->load_ms;
	st->clock_updates = c->clock.updates;
	st->clock_steps = c->clock.steps;
	st->clock_off_ns = clock_sync_offset(&c->clock);
	st->clock_err_ns = c->clock.err;
	st->slots_used = c->skel->bss->next_slot;
	if (st->slots_used > OPS_MAX_SLOTS)
		st->slots_used = OPS_MAX_SLOTS;
	{
		struct prog_stat ps[16];
		int np = collector_prog_stats(c, ps, 16);

		for (int i = 0; i < np; i++)
			st->prog_misses += ps[i].recursion_misses;
	}
	pthread_mutex_lock(&c->uq_lock);
	st->ustack_copies = c->ustack_copies;
	st->urec_dropped = c->urec_dropped;
	pthread_mutex_unlock(&c->uq_lock);
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (__u32 k = 0; k < OPS_STAT_NR; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stats), &k, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
		if (k == OPS_STAT_SLOTS_FULL)
			st->slots_full = sum;
		else if (k == OPS_STAT_TID_MAP_FULL)
			st->tid_map_full = sum;
		else if (k == OPS_STAT_LATE_THREAD)
			st->late_threads = sum;
		else if (k == OPS_STAT_STACK_FAIL)
			st->stack_fail = sum;
		else if (k == OPS_STAT_STACKS_FULL)
			st->stacks_full = sum;
		else if (k == OPS_STAT_KEYS_FULL)
			st->keys_full = sum;
		else if (k == OPS_STAT_SAMPLES)
			st->samples = sum;
		else if (k == OPS_STAT_MISSED_OUT || k == OPS_STAT_MISSED_IN)
			st->missed_switches += sum;
		else if (k == OPS_STAT_WAITFOR_FULL)
			st->waitfor_full = sum;
		else if (k == OPS_STAT_USTACK_LOST)
			st->ustack_lost = sum;
		else if (k == OPS_STAT_UCOUNT_LOST)
			st->ucount_lost = sum;
		else if (k == OPS_STAT_USTACK_BYTES)
			st->ustack_bytes = sum;
		else if (k == OPS_STAT_USTACK_THROTTLED)
			st->ustack_throttled = sum;
		else if (k == OPS_STAT_SEEDED)
			st->seeded = sum;
		else if (k == OPS_STAT_WAIT_CUT)
			st->wait_cut = sum;
		else if (k == OPS_STAT_WAIT_CUT_NS)
			st->wait_cut_ns = sum;
		else if (k == OPS_STAT_FOLLOW_FULL)
			st->follow_full = sum;
		else if (k == OPS_STAT_TW_THROTTLED)
			st->tw_throttled = sum;
	}
	free(vals);
}

int collector_stacks_take(struct collector *c, struct stack_entry **out, size_t *n)
{
	int fd = bpf_map__fd(c->skel->maps.stack_counts);
	struct ops_stack_key key, next;
	struct stack_entry *v = NULL;
	size_t len = 0, cap = 0;
	void *prev = NULL;

	*out = NULL;
	*n = 0;
	/* Collect the keys first, then take each with lookup-and-delete so that no
	 * increment racing with the drain is lost. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct stack_entry *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[len++].key = next;
		key = next;
		prev = &key;
	}
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		if (bpf_map_lookup_and_delete_elem(fd, &v[i].key, &v[i].val))
			continue;
		v[j++] = v[i];
	}
	*out = v;
	*n = j;
	return 0;
}

int collector_waitfor_take(struct collector *c, struct waitfor_entry **out, size_t *n)
{
	int fd = bpf_map__fd(c->skel->maps.waitfor);
	struct ops_waitfor_key key, next;
	struct waitfor_entry *v = NULL;
	size_t len = 0, cap = 0, j = 0;
	void *prev = NULL;

	*out = NULL;
	*n = 0;
	/* keys first, then lookup-and-delete each: an add racing with the drain is kept */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct waitfor_entry *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[len++].key = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < len; i++)
		if (!bpf_map_lookup_and_delete_elem(fd, &v[i].key, &v[i].val))
			v[j++] = v[i];
	*out = v;
	*n = j;
	return 0;
}

int collector_stack_frames(struct collector *c, uint64_t id, uint64_t *ips, int max)
{
	struct ops_stack st;
	int n;

	if (!id)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stack_tab), &id, &st))
		return -ENOENT;
	n = st.nr < OPS_MAX_FRAMES ? (int)st.nr : OPS_MAX_FRAMES;
	if (n > max)
		n = max;
	memcpy(ips, st.ips, n * sizeof(*ips));
	return n;
}

int collector_thread_name(struct collector *c, uint32_t tid, char *buf, size_t len)
{
	volatile struct ops_slot *s;
	int r = -ENOENT;

	pthread_mutex_lock(&c->names_lock);
	if (c->names[tid % 4096].tid == tid && c->names[tid % 4096].comm[0]) {
		snprintf(buf, len, "%s", c->names[tid % 4096].comm);
		r = 0;
	}
	pthread_mutex_unlock(&c->names_lock);
	if (r == 0)
		return 0;
	/* exiting, its slot not closed yet: the name the kernel side kept at its exit */
	s = collector_slot_of(c, tid);
	if (s && s->comm[0]) {
		snprintf(buf, len, "%.15s", (const char *)s->comm);
		return 0;
	}
	return -ENOENT;
}

uint32_t collector_thread_tgid(struct collector *c, uint32_t tid)
{
	volatile struct ops_slot *s;
	uint32_t tgid = 0;

	pthread_mutex_lock(&c->names_lock);
	if (c->names[tid % 4096].tid == tid)
		tgid = c->names[tid % 4096].tgid;
	pthread_mutex_unlock(&c->names_lock);
	if (tgid)
		return tgid;
	s = collector_slot_of(c, tid);
	return s ? s->tgid : 0;
}

int collector_prog_stats(struct collector *c, struct prog_stat *out, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (n >= max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		out[n].recursion_misses = info.recursion_misses;
		n++;
	}
	return n;
}


