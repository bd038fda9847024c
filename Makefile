# opscope: the one entry point. `make` builds build/opscope; `make run`, `make test`,
# `make bench` do what the README says. Output lives in build/; V=1 shows commands.
# SANITIZE=1: the same with ASan and UBSan, in build/san/ (`make SANITIZE=1 test`).
# `make fuzz` builds the libFuzzer harnesses of tests/fuzz/; `make test` runs them briefly.

OUT      := build
ifeq ($(SANITIZE),1)
OUT      := build/san
endif
ARCH_RAW := $(shell uname -m)
ARCH     := $(patsubst aarch64,arm64,$(ARCH_RAW))
VMLINUX  := vmlinux/$(ARCH)/vmlinux.h
ifeq ($(wildcard $(VMLINUX)),)
$(error no $(VMLINUX) for architecture $(ARCH_RAW); run scripts/gen-vmlinux.sh on such a machine)
endif
BPF_ARCH := $(patsubst x86_64,x86,$(ARCH))

CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Packages come first: a fresh Debian machine has none of them. The stamp keeps
# repeated builds from asking dpkg each time; deleting build/ re-checks.
DEPS_STAMP := $(OUT)/.deps

WARN     := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wundef \
            -Wno-unused-parameter
# WERROR=1 (CI sets it) turns every warning into an error, for C and BPF alike.
ifeq ($(WERROR),1)
WARN     += -Werror
endif
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -pthread \
            -D_GNU_SOURCE -I$(OUT) -Ibpf -Iuserspace -MMD -MP
ifeq ($(SANITIZE),1)
# every finding stops the program: a test that runs into one fails
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all
endif
LDLIBS   := -lbpf -ldw -lelf -lz -liberty -lpthread -lm

# clang's own system include dirs, so BPF programs see the same asm/types as user code.
CLANG_SYS_INCLUDES = $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(OUT) -Ibpf \
              -Ivmlinux/$(ARCH) -mcpu=v3 -Wall -Wno-unused-function -MMD -MP \
              $(if $(filter 1,$(WERROR)),-Werror)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# Every .c under userspace/, one folder per role (docs/ARCHITECTURE.md): no list to keep.
# userspace/lib/ is libopscope, linked into users' programs, not into opscope.
USER_SRCS  := $(filter-out userspace/lib/%,$(wildcard userspace/*/*.c))
USER_OBJS  := $(patsubst userspace/%.c,$(OUT)/obj/%.o,$(USER_SRCS))
LIB_OBJS   := $(filter-out $(OUT)/obj/cli/main.o,$(USER_OBJS))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
ITEST_SRCS := $(wildcard tests/integration/itest_*.c)
ITEST_BINS := $(patsubst tests/integration/%.c,$(OUT)/tests/%,$(ITEST_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

# libopscope (docs/INSTRUMENTING.md): only libc, position-independent, nothing exported
# but the public API of userspace/lib/include/opscope/ops.h; the soname follows its ABI.
LIBOPS_ABI  := $(shell sed -n 's/^\#define OPSCOPE_ABI \([0-9]*\).*/\1/p' \
		 userspace/lib/include/opscope/ops.h)
LIBOPS_SRCS := $(wildcard userspace/lib/*.c)
LIBOPS_OBJS := $(patsubst userspace/lib/%.c,$(OUT)/lib/obj/%.o,$(LIBOPS_SRCS))
LIBOPS_A    := $(OUT)/lib/libopscope.a
LIBOPS_SO   := $(OUT)/lib/libopscope.so.$(LIBOPS_ABI)
LIBOPS_CFLAGS := -O2 -g $(WARN) -fPIC -fvisibility=hidden -fno-omit-frame-pointer -pthread \
		 -D_GNU_SOURCE -Iuserspace/lib/include -Iuserspace -Ibpf -MMD -MP
PREFIX     ?= /usr/local
OPSCOPE_VERSION := $(shell sed -n 's/^\#define OPSCOPE_VERSION "\(.*\)"/\1/p' \
		    userspace/report/envinfo.h)

# Fuzzing: the library objects again, built by clang with libFuzzer's coverage and with
# ASan and UBSan, linked with one harness each. make test gives each FUZZ_RUNS inputs from
# a fixed seed (the same inputs on every run: a test that cannot flake); make fuzz-long
# explores FUZZ_SECONDS each from a random seed.
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS  := $(patsubst $(OUT)/obj/%,$(OUT)/fuzz/obj/%,$(LIB_OBJS))
# (clang, unlike gcc, warns about `{ NULL }` ending a table)
FUZZ_CFLAGS := -O1 -g $(WARN) -Wno-missing-field-initializers -fno-omit-frame-pointer \
               -pthread -D_GNU_SOURCE -I$(OUT) -Ibpf -Iuserspace -MMD -MP \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_RUNS ?= 4000
FUZZ_SECONDS ?= 600

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps lib install run test unit integration bench clean vmlinux format fuzz \
	fuzz-test fuzz-long

all: $(OUT)/opscope lib

lib: $(LIBOPS_A) $(LIBOPS_SO) $(OUT)/lib/libopscope.so

$(OUT)/lib/obj/%.o: userspace/lib/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LIBOPS_CFLAGS) -c $< -o $@

$(LIBOPS_A): $(LIBOPS_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# -z nodelete: a thread's exit calls into the library (its ring goes back to opscope),
# so it must stay loaded even if a program dlclose()s it
$(LIBOPS_SO): $(LIBOPS_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared -Wl,-soname,libopscope.so.$(LIBOPS_ABI) -Wl,-z,nodelete -Wl,--no-undefined \
		-pthread $^ -o $@

$(OUT)/lib/libopscope.so: $(LIBOPS_SO)
	$(Q)ln -sf $(notdir $<) $@

# make install PREFIX=/usr/local: the opscope binary, the headers (ops.h for programs,
# plugin.h for plugins), both libraries and the pkg-config file (so: cc prog.c
# $$(pkg-config --cflags --libs opscope); a plugin needs --cflags only)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/opscope \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(OUT)/opscope $(DESTDIR)$(PREFIX)/bin/
	install -m 644 userspace/lib/include/opscope/ops.h userspace/lib/include/opscope/plugin.h \
		$(DESTDIR)$(PREFIX)/include/opscope/
	install -m 644 $(LIBOPS_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBOPS_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(notdir $(LIBOPS_SO)) $(DESTDIR)$(PREFIX)/lib/libopscope.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(OPSCOPE_VERSION)|' scripts/opscope.pc.in \
		>$(DESTDIR)$(PREFIX)/lib/pkgconfig/opscope.pc

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	$(Q)bash scripts/install-deps.sh
	$(Q)mkdir -p $(OUT) && touch $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(CLANG_SYS_INCLUDES) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf >$@

$(OUT)/obj/%.o: userspace/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Syscall names from the kernel's own table, as the kernel headers of this build carry it
# (asm/unistd.h, generated from the kernel's syscall table): the compiler gives each
# __NR_ macro's value, so no number is written by hand.
$(OUT)/sysnames.gen.h: | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -E -dM -x c - \
		| sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\t{ __NR_\1, "\1" },/p' >$@.tmp
	$(Q)mv $@.tmp $@
$(OUT)/obj/kernel/sysnames.o: $(OUT)/sysnames.gen.h

$(OUT)/opscope: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(LIB_OBJS) -o $@ $(LDLIBS) $(shell pkg-config --libs check)

# the library's own tests link it as programs do (libopscope.a) and call its public header
$(OUT)/tests/test_libops: tests/unit/test_libops.c $(LIB_OBJS) $(LIBOPS_A)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests -Iuserspace/lib/include $< $(LIB_OBJS) $(LIBOPS_A) -o $@ \
		$(LDLIBS) $(shell pkg-config --libs check)

$(OUT)/tests/itest_%: tests/integration/itest_%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(LIB_OBJS) -o $@ $(LDLIBS)

BENCH_DEPS_STAMP := $(OUT)/.bench-deps
$(BENCH_DEPS_STAMP): scripts/install-deps.sh | $(DEPS_STAMP)
	$(Q)bash scripts/install-deps.sh --bench
	$(Q)touch $@

$(OUT)/bench/bench_libops: bench/bench_libops.c $(LIB_OBJS) $(LIBOPS_A) | $(BENCH_DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Ibench -Iuserspace/lib/include $< $(LIB_OBJS) $(LIBOPS_A) -o $@ $(LDLIBS)

$(OUT)/bench/%: bench/%.c $(LIB_OBJS) | $(BENCH_DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -Ibench $< $(LIB_OBJS) -o $@ $(LDLIBS)

$(OUT)/fuzz/obj/%.o: userspace/%.c | $(SKELS) $(DEPS_STAMP)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz $< $(FUZZ_OBJS) -o $@ $(LDLIBS)

fuzz: $(FUZZ_BINS)

# Each harness over its committed corpus, then FUZZ_RUNS (fuzz-test) or FUZZ_SECONDS
# (fuzz-long) of new inputs; skipped, with a line that says so, where clang's libFuzzer
# runtime is missing. A crash found by fuzz-long belongs in tests/fuzz/corpus/ once fixed.
fuzz-test fuzz-long:
	$(Q)if bash tests/fuzz/run.sh --probe '$(CLANG)'; then \
		$(MAKE) --no-print-directory fuzz && \
		bash tests/fuzz/run.sh $(OUT) $(if $(filter fuzz-long,$@),$(FUZZ_SECONDS)s,$(FUZZ_RUNS)) \
			$(FUZZ_BINS); \
	fi

# exit 1 from opscope run means "ran, and a target FAILed": the job itself succeeded
run: $(OUT)/opscope
	./$(OUT)/opscope run; rc=$$?; [ $$rc -le 1 ] || exit $$rc

# the sanitizers slow the tests down several times: check's per-test timeouts grow with them
unit: $(UNIT_BINS)
	$(Q)CK_TIMEOUT_MULTIPLIER=$(if $(filter 1,$(SANITIZE)),10,1) bash tests/run-unit.sh \
		$(UNIT_BINS)

integration: $(OUT)/opscope $(ITEST_BINS)
	$(Q)bash tests/run-integration.sh $(OUT) $(ITEST_BINS)

test: unit integration fuzz-test

bench: $(OUT)/opscope $(BENCH_BINS)
	$(Q)bash bench/run.sh $(OUT)

vmlinux:
	bash scripts/gen-vmlinux.sh

# Format the lines you changed since FORMAT_BASE (default HEAD: what is not committed),
# with the repo's .clang-format. Not the whole tree: some hand-wrapped lines (long format
# strings, tables) read better than clang-format would wrap them.
FORMAT_BASE ?= HEAD
format:
	git diff -U0 --no-color $(FORMAT_BASE) -- bpf userspace tests bench \
		| clang-format-diff -p1 -i -regex '.*\.(c|h)'


clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/obj/*/*.d $(OUT)/bpf/*.d $(OUT)/tests/*.d $(OUT)/bench/*.d \
		     $(OUT)/lib/obj/*.d $(OUT)/fuzz/*.d $(OUT)/fuzz/obj/*/*.d)
