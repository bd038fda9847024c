// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Copied user stacks walked with libdwfl: the process's modules come from
 * /proc/<pid>/maps (dwfl_linux_proc_report), and a custom set of thread callbacks gives
 * the unwinder the copied registers and reads memory from the copied stack only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>
#include "opscope.h"
#include "stacks/unwind.h"

struct unwinder {
	int pid;
	Dwfl *dwfl;
	bool attached;
	/* the architecture the process state is attached with: an ELF header of our own,
	 * not a module's, which a later report may free (the program's after an exec) */
	Elf64_Ehdr arch_hdr;
	Elf *arch_elf;
	/* the walk in progress */
	const struct ops_urec_stack *rec;
	const unsigned char *bytes;
	uint64_t *ips;
	int n, max;
	double refreshed_ms; /* last report, for the refresh on an unknown address */
	struct unwind_stats st;
};

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* No thread list: dwfl_getthread_frames asks for the one thread by get_thread. */
static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)arg;
	(void)thread_argp;
	return 0;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* Memory is the copy: [sp, sp + len). Anything else ends the walk. */
static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *u = arg;
	uint64_t sp = u->rec->regs[7];

	(void)dwfl;
	if (addr < sp || addr - sp > u->rec->len || u->rec->len - (addr - sp) < sizeof(*result))
		return false;
	memcpy(result, u->bytes + (addr - sp), sizeof(*result));
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Word regs[OPS_UREGS];

	for (int i = 0; i < OPS_UREGS; i++)
		regs[i] = u->rec->regs[i];
	if (!dwfl_thread_state_registers(thread, 0, OPS_UREGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, u->rec->regs[16]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The vDSO is read from the process's memory: read it now, while the process lives. */
static int load_vdso(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start,
		     void *arg)
{
	Dwarf_Addr bias;

	(void)userdata;
	(void)start;
	(void)arg;
	if (!strncmp(name, "[vdso", 5))
		dwfl_module_getelf(m, &bias);
	return DWARF_CB_OK;
}

static int report(struct unwinder *u)
{
	char path[64];

	u->refreshed_ms = mono_ms();
	snprintf(path, sizeof(path), "/proc/%d/maps", u->pid);
	if (access(path, R_OK))
		return -errno; /* gone: keep the modules reported while it lived */
	dwfl_report_begin(u->dwfl);
	if (dwfl_linux_proc_report(u->dwfl, u->pid)) {
		dwfl_report_end(u->dwfl, NULL, NULL);
		return -ENOENT;
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL))
		return -EINVAL;
	dwfl_getmodules(u->dwfl, load_vdso, NULL, 0);
	if (!u->attached && u->arch_elf &&
	    dwfl_attach_state(u->dwfl, u->arch_elf, u->pid, &thread_callbacks, u))
		u->attached = true;
	return 0;
}

/*
 * An ELF header alone, for the machine the copies' registers are from. Attached without
 * one, libdwfl borrows the first module's backend, which the first report after an exec
 * frees with the module (record -- CMD profiles the child before it execs).
 */
static Elf *arch_elf(Elf64_Ehdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
#if defined(__x86_64__)
	h->e_machine = EM_X86_64;
#elif defined(__aarch64__)
	h->e_machine = EM_AARCH64;
#endif
	h->e_version = EV_CURRENT;
	h->e_ehsize = sizeof(*h);
	elf_version(EV_CURRENT);
	return elf_memory((char *)h, sizeof(*h));
}

struct unwinder *unwinder_new(int pid)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->pid = pid;
	u->dwfl = dwfl_begin(&proc_callbacks);
	u->arch_elf = arch_elf(&u->arch_hdr);
	if (!u->dwfl || !u->arch_elf) {
		if (u->dwfl)
			dwfl_end(u->dwfl);
		free(u);
		errno = ENOMEM;
		return NULL;
	}
	report(u);
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	dwfl_end(u->dwfl); /* the process state's backend first, then its ELF */
	elf_end(u->arch_elf);
	free(u);
}

void unwinder_refresh(struct unwinder *u)
{
	if (u)
		report(u);
}

/*
 * Whether pc lies at the start of its binary's entry point (the dynamic loader's _start
 * has no unwind table that ends the stack, as the program's own does): the first
 * instruction, or the return address of _start's first call a few bytes on.
 */
static bool at_entry(struct unwinder *u, uint64_t pc)
{
	Dwfl_Module *m = dwfl_addrmodule(u->dwfl, pc);
	GElf_Ehdr eh;
	Dwarf_Addr bias;
	Elf *elf;

	if (!m || !(elf = dwfl_module_getelf(m, &bias)) || !gelf_getehdr(elf, &eh) ||
	    !eh.e_entry)
		return false;
	return pc >= eh.e_entry + bias && pc - (eh.e_entry + bias) <= 16;
}

static int cb_frame(Dwfl_Frame *state, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	if (u->n >= u->max)
		return DWARF_CB_ABORT;
	u->ips[u->n++] = pc;
	return DWARF_CB_OK;
}

int unwinder_walk(struct unwinder *u, const struct ops_urec_stack *rec, uint64_t *ips,
		  int max, bool *root)
{
	double t0 = mono_ms();
	int rc;

	*root = false;
	if (!u || !u->attached || max <= 0)
		return 0;
	/* a library loaded since the last report: read the mappings again (at most every
	 * 100 ms, and only while the process lives) */
	if (!dwfl_addrmodule(u->dwfl, rec->regs[16]) && t0 - u->refreshed_ms > 100)
		report(u);
	u->rec = rec;
	u->bytes = (const unsigned char *)(rec + 1);
	u->ips = ips;
	u->n = 0;
	u->max = max;
	/* 0: every frame given and the last one's caller is undefined, the stack's end */
	rc = dwfl_getthread_frames(u->dwfl, (pid_t)rec->tid, cb_frame, u);
	*root = u->n > 0 && (rc == 0 || at_entry(u, ips[u->n - 1]));
	u->st.walks++;
	u->st.frames += (uint64_t)u->n;
	u->st.rooted += *root;
	u->st.bytes += rec->len;
	u->st.ms += mono_ms() - t0;
	return u->n;
}

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *st)
{
	if (u)
		*st = u->st;
	else
		memset(st, 0, sizeof(*st));
}
