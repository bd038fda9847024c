/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * opscope plugins: your own worker pool, bounded channel or plain operation function,
 * run by `opscope run` inside its built-in scenarios, so that your code is swept,
 * repeated, held to the targets and compared exactly like opscope's own, with every
 * operation's kernel breakdown. See docs/PLUGINS.md.
 *
 *	#include <opscope/plugin.h>
 *
 *	static int my_parse(opscope_state *st)      // one operation: 0, or failed
 *	{
 *		return parse(st->data, st->arg) ? 0 : -1;
 *	}
 *	OPSCOPE_BENCHMARK(my_parse);
 *
 *	static const struct opscope_pool_impl mypool = {
 *		.name = "mypool", .create = ..., .submit = ..., .destroy = ...,
 *	};
 *	OPSCOPE_REGISTER_POOL(mypool);
 *
 *	cc -O2 -shared -fPIC my.c $(pkg-config --cflags opscope) -o libmy.so
 *	opscope run --plugin ./libmy.so -w bench -p fn=my_parse -p threads=4
 *	opscope run --plugin ./libmy.so -w pool -p impl=mypool -p workers=1,2,4
 *
 * A plugin is a shared object that includes this header: it needs no library (do not
 * link libopscope into it). opscope loads it with dlopen(RTLD_NOW | RTLD_LOCAL), runs its
 * constructors (which the registration macros below use), and reads the one symbol the
 * header defines, opscope_plugin_entry(). Each registration names an implementation; the
 * names must be unique over all loaded plugins, 1 to 31 characters of letters, digits,
 * '_', '-' and '.', and not "builtin".
 *
 * Threads: opscope calls your functions from its own threads and from yours (a pool's
 * workers run opscope's task function). Everything in here must be thread-safe in the
 * ways each structure says. C and C++ (the header is extern "C"; the macros work in
 * both at file scope).
 */
#ifndef OPSCOPE_PLUGIN_H
#define OPSCOPE_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface. opscope refuses a plugin built against another one. */
#define OPSCOPE_PLUGIN_ABI 1

/* ------------------------------------------------------------------ worker pools */

/* A task: call fn(arg) once on a worker. opscope's own function times it there. */
typedef void (*opscope_task_fn)(void *arg);

/*
 * A pool of worker threads behind a bounded queue, run by the pool workload
 * (`-w pool -p impl=NAME`) in place of opscope's own: opscope's caller threads submit
 * tasks and wait for their results; the task function opscope submits records, on the
 * worker thread that runs it, what the kernel did to the task (on-CPU, blocked and in
 * which syscall, faults, ...), so a call's breakdown is your worker's and the rest of its
 * latency is time in your queue. Workload parameters other than impl mean what they mean
 * for the built-in pool (workers, queue, inflight, callers, the task body: spin, alloc,
 * sleep, io, error_rate); mode=process and wait_spin are the built-in pool's own.
 */
struct opscope_pool_impl {
	const char *name; /* impl=NAME */
	const char *help; /* one line for `opscope run --help`, or NULL */
	/*
	 * A pool of `workers` threads whose queue holds at most `queue` tasks waiting to run.
	 * Start the threads here. Returns the pool, or NULL (errno says why). Called once per
	 * repetition, on one of opscope's threads.
	 */
	void *(*create)(unsigned workers, unsigned queue);
	/*
	 * Queue fn(arg) to run once on a worker. Blocks while the queue is full. Returns 0,
	 * or a negative errno (the repetition then fails). Called concurrently by opscope's
	 * caller threads (`callers`, 2 by default).
	 */
	int (*submit)(void *pool, opscope_task_fn fn, void *arg);
	/*
	 * Optional (NULL: opscope uses submit): the same without blocking, -EAGAIN when the
	 * queue is full. With it, a caller whose queue is full takes the results it already
	 * has before it waits, as with opscope's own pool.
	 */
	int (*try_submit)(void *pool, opscope_task_fn fn, void *arg);
	/*
	 * Stop the workers and free the pool. Every task submitted has run and returned by
	 * then (opscope waits for each result first); no call into the pool follows. Must not
	 * return while a worker may still call into opscope.
	 */
	void (*destroy)(void *pool);
};

/* ------------------------------------------------------------------ bounded channels */

/* Hints for create: only one thread sends / receives at a time (you may ignore them). */
#define OPSCOPE_CHAN_SP 1u
#define OPSCOPE_CHAN_SC 2u

/*
 * A bounded channel of fixed-size elements, run by the channel workload
 * (`-w channel -p impl=NAME`) in place of opscope's own: every mode (spsc, mpsc, spmc,
 * mpmc: that many threads send and receive at once), pattern=stream or pingpong
 * (request channel of `capacity`, reply channels of capacity 1), capacity sweeps. Each
 * blocking send and receive is an operation with its kernel breakdown; the workload
 * checks that every element sent arrived once, intact and in per-sender order.
 */
struct opscope_chan_impl {
	const char *name; /* impl=NAME */
	const char *help; /* one line for `opscope run --help`, or NULL */
	/* A channel of capacity (1 to 65536) elements of elem_size (16 to 4096) bytes;
	 * flags: OPSCOPE_CHAN_SP | OPSCOPE_CHAN_SC. Returns it, or NULL (errno). */
	void *(*create)(uint32_t capacity, uint32_t elem_size, unsigned flags);
	/* Copy elem in. Blocks while the channel is full. 0, or nonzero once it is closed. */
	int (*send)(void *ch, const void *elem);
	/* Copy the oldest element out. Blocks while the channel is empty. 0, or nonzero once
	 * it is closed and empty (a closed channel still hands out what it holds). */
	int (*recv)(void *ch, void *elem);
	/* Refuse further sends and wake every blocked sender and receiver. opscope calls it
	 * once, after its senders have stopped. */
	void (*close)(void *ch);
	/* Free it (nothing blocks in it any more). */
	void (*destroy)(void *ch);
	/* Optional: elements held now (for the occupancy figure), or NULL. */
	uint32_t (*len)(void *ch);
};

/* ------------------------------------------------------------------ benchmark functions */

/*
 * What a benchmark function gets on each call. Each thread has its own state, which opscope
 * does not touch between calls except iteration.
 */
typedef struct opscope_state {
	void *data;         /* what setup left here (NULL without setup); shared by threads */
	void *local;        /* the thread's own: thread_setup may set it, and the function */
	uint64_t arg;       /* -p arg=N: a size, a count, whatever the function makes of it */
	uint64_t iteration; /* this thread's calls so far (0 at the first) */
	unsigned thread;    /* this thread, 0 .. threads-1 */
	unsigned threads;   /* -p threads=N */
	uint64_t reserved_[4];
} opscope_state;

/*
 * A plain operation, run by the bench workload (`-w bench -p fn=NAME -p threads=N
 * -p arg=A`): N threads call fn in a closed loop (each call as soon as the last
 * returned), and each call is one operation of kind "bench.NAME" with its latency and
 * kernel breakdown. fn returns 0, or nonzero when that operation failed (counted as an
 * error, not timed). The hooks are optional (NULL), never timed, and run once per
 * repetition: setup before the threads start (st->thread 0, set st->data), thread_setup
 * in each thread before its first call, thread_teardown after its last, teardown after
 * they all ended. A hook returning nonzero fails the repetition.
 */
struct opscope_bench {
	const char *name; /* fn=NAME */
	const char *help; /* one line for `opscope run --help`, or NULL */
	int (*fn)(opscope_state *st);
	int (*setup)(opscope_state *st);
	void (*teardown)(opscope_state *st);
	int (*thread_setup)(opscope_state *st);
	void (*thread_teardown)(opscope_state *st);
};

/* ------------------------------------------------------------------ registration */

/*
 * At file scope, once per implementation (any file of the shared object):
 *	OPSCOPE_BENCHMARK(fn)            int fn(opscope_state *), named "fn", no hooks
 *	OPSCOPE_REGISTER_BENCH(var)      a struct opscope_bench with hooks or another name
 *	OPSCOPE_REGISTER_POOL(var)       a struct opscope_pool_impl
 *	OPSCOPE_REGISTER_CHANNEL(var)    a struct opscope_chan_impl
 * The variables must live as long as the shared object (static or global).
 */
#define OPSCOPE_BENCHMARK(fn)                                                              \
	static const struct opscope_bench opscope_bench__##fn = { #fn, 0, fn, 0, 0, 0, 0 }; \
	OPSCOPE_REGISTER_BENCH(opscope_bench__##fn)
#define OPSCOPE_REGISTER_BENCH(var) OPSCOPE_REG__(OPSCOPE_REG_BENCH, var)
#define OPSCOPE_REGISTER_POOL(var) OPSCOPE_REG__(OPSCOPE_REG_POOL, var)
#define OPSCOPE_REGISTER_CHANNEL(var) OPSCOPE_REG__(OPSCOPE_REG_CHANNEL, var)

/* What the macros build: a list per shared object, and the one symbol opscope reads. */
enum opscope_reg_type { OPSCOPE_REG_POOL = 1, OPSCOPE_REG_CHANNEL = 2, OPSCOPE_REG_BENCH = 3 };

struct opscope_reg {
	uint32_t type;   /* enum opscope_reg_type */
	const void *impl; /* the struct of that type */
	struct opscope_reg *next;
};

/* abi and size come first in every version, so that any opscope can read them. */
struct opscope_plugin {
	uint32_t abi;  /* OPSCOPE_PLUGIN_ABI of the header the plugin was built with */
	uint32_t size; /* sizeof(struct opscope_plugin) */
	struct opscope_reg *head, *tail;
};

/* The entry opscope looks up with dlsym. */
const struct opscope_plugin *opscope_plugin_entry(void);

#ifndef OPSCOPE_PLUGIN_HOST /* opscope itself includes the types only */
/* One per shared object: weak definitions in every file that includes this header, which
 * the linker merges; hidden, so that each plugin keeps its own. */
__attribute__((weak, visibility("hidden"))) struct opscope_plugin opscope_plugin__self = {
	OPSCOPE_PLUGIN_ABI, sizeof(struct opscope_plugin), 0, 0
};

__attribute__((weak, visibility("default"))) const struct opscope_plugin *
opscope_plugin_entry(void)
{
	return &opscope_plugin__self;
}

static inline void opscope_plugin__add(struct opscope_reg *r)
{
	if (opscope_plugin__self.tail)
		opscope_plugin__self.tail->next = r;
	else
		opscope_plugin__self.head = r;
	opscope_plugin__self.tail = r;
}

#define OPSCOPE_REG__(type, var)                                                           \
	static struct opscope_reg opscope_reg__##var = { type, &var, 0 };                  \
	__attribute__((constructor)) static void opscope_reg_ctor__##var(void)            \
	{                                                                                  \
		opscope_plugin__add(&opscope_reg__##var);                                  \
	}                                                                                  \
	typedef int opscope_reg_semicolon__##var
#endif /* OPSCOPE_PLUGIN_HOST */

#ifdef __cplusplus
}
#endif

#endif /* OPSCOPE_PLUGIN_H */
