# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# smmutrace build, in the libbpf-bootstrap / libbpf-tools style:
#   make                 build .output/smmutrace (host arch)
#   make test            every test suite (what CI runs)
#   make bench           benchmarks (not part of the tests)
#   make demo            the main job (see README)
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-   static arm64 binary
#   V=1                  show the commands; OUTPUT=DIR builds elsewhere
#   SANITIZE=1           build with ASan/UBSan (tests do this by themselves)

OUTPUT ?= .output
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
# An architecture is supported when bpf/<ARCH>/vmlinux.h exists (the BPF side
# is built against it, -D__TARGET_ARCH_<ARCH> picks its pt_regs layout).
SUPPORTED_ARCHS := $(patsubst bpf/%/vmlinux.h,%,$(wildcard bpf/*/vmlinux.h))
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHS)),)
$(error ARCH=$(ARCH) is not supported: use one of $(SUPPORTED_ARCHS) (kernel names, \
	as in ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-); each needs a bpf/<ARCH>/vmlinux.h)
endif
endif
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
AR := $(CROSS_COMPILE)ar
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s%s\n' "$(1)" "$(patsubst $(abspath $(OUTPUT))/%,%,$(2))" "$(if $(3), $(3))";
	MAKEFLAGS += --no-print-directory
endif

# Debian's static libelf needs zstd; json-c for JSONL, zlib for recordings
# (written and read with libdeflate's whole-block (de)compressor; zlib for
# their CRC-32, libelf needs it too).
LIBS := -lbpf -lelf -ldeflate -lz -lzstd -ljson-c -lm -lpthread
CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	  -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE \
	  -DSMMUTRACE_VERSION='"$(VERSION)"' -DSMMUTRACE_GIT='"$(GIT_REV)"' \
	  -Iinclude -Isrc -I$(OUTPUT)
LDFLAGS ?=
# Each object records the headers it includes (OUTPUT/**/*.d, included below),
# so a change rebuilds only the objects that include what changed; -MP keeps a
# deleted header from stopping the build.
DEPFLAGS = -MMD -MP -MF $(basename $@).d -MT $@

ifeq ($(SANITIZE),1)
	CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
	LDFLAGS += -fsanitize=address,undefined
endif

ifneq ($(CROSS_COMPILE),)
	# The board binary is static: no libraries to install on the target.
	LDFLAGS += -static
	LIBS := -l:libbpf.a -l:libelf.a -l:libdeflate.a -l:libz.a -l:libzstd.a -l:libjson-c.a -lm -lpthread
endif

# ---- BPF -------------------------------------------------------------------
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
VMLINUX_H := bpf/$(ARCH)/vmlinux.h
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Iinclude -Ibpf -Ibpf/$(ARCH) $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
	      sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

# ---- userspace -------------------------------------------------------------
SRCS := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libsmmutrace.a
BIN := $(OUTPUT)/smmutrace

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/obj/%.o,$(UNIT_SRCS))

.PHONY: all clean test test-unit test-cli test-bpf test-fuzz test-vm bench demo fuzz unit-bins install

all: $(BIN)

$(OUTPUT) $(OUTPUT)/obj $(OUTPUT)/tests $(OUTPUT)/tests/obj:
	$(Q)mkdir -p $@

# The compiler and flags OUTPUT was built with, C and BPF apart. Each object
# depends on its file, rewritten only when they change, so building into the
# same OUTPUT with another SANITIZE, ARCH or CFLAGS rebuilds instead of mixing
# objects (and a tree built before the .d files existed is rebuilt once). The
# git revision is left out: it would rebuild everything at each commit.
CC_FLAGS := $(OUTPUT)/cc-flags
BPF_FLAGS := $(OUTPUT)/bpf-flags
# write_if_changed FILE,TEXT: a recipe line keeping FILE's mtime when TEXT is the same
write_if_changed = $(file >$1.new,$2)if cmp -s $1.new $1; then rm -f $1.new; else mv -f $1.new $1; fi

$(CC_FLAGS): FORCE | $(OUTPUT)
	$(Q)$(call write_if_changed,$@,$(CC) $(filter-out -DSMMUTRACE_GIT=%,$(CFLAGS)) $(LDFLAGS) $(LIBS))

$(BPF_FLAGS): FORCE | $(OUTPUT)
	$(Q)$(call write_if_changed,$@,$(CLANG) $(BPF_CFLAGS))

.PHONY: FORCE
FORCE:

# The headers come from the .d file; vmlinux.h is named as well because it is
# chosen by ARCH, not by the source.
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) $(BPF_FLAGS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@.tmp && llvm-strip -g $@.tmp -o $@ && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Every skeleton exists before the first compile (order-only, so regenerating
# one does not rebuild everything); the objects that include one depend on it
# through their .d file, like any other header.
$(OUTPUT)/obj/%.o: src/%.c $(CC_FLAGS) | $(OUTPUT)/obj $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(OUTPUT)/obj/main.o $(LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LIBS) -o $@

# Compiled apart from the link: a change in src/ relinks the tests against the
# new library but recompiles only those that include a changed header.
$(OUTPUT)/tests/obj/%.o: tests/unit/%.c $(CC_FLAGS) | $(OUTPUT)/tests/obj $(BPF_SKELS)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/tests/obj/%.o $(LIB) | $(OUTPUT)/tests
	$(call msg,TEST-LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LIBS) -lcmocka -o $@

unit-bins: $(UNIT_BINS) $(BIN)

# A .d file is written by the compiler, never made: the empty rule keeps make
# from searching the pattern rules for one.
$(OUTPUT)/%.d: ;
-include $(patsubst %.o,%.d,$(BPF_OBJS) $(LIB_OBJS) $(OUTPUT)/obj/main.o $(UNIT_OBJS))

# ---- benchmarks (area: recording; see scripts/bench.sh) ---------------------
# tests/bench/*.c -> $(OUTPUT)/bench/*, each linked like a unit test against
# $(LIB). Not part of `make test`; `make bench` runs scripts/bench.sh.
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(BENCH_SRCS))

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/%: tests/bench/%.c $(LIB) | $(OUTPUT)/bench
	$(call msg,BENCH-CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDFLAGS) $(LIBS) -o $@

.PHONY: bench-bins
bench-bins: $(BENCH_BINS)
# ---- end of benchmarks ------------------------------------------------------

# ---- tests -----------------------------------------------------------------
# `make test` is what CI runs: every suite, then one closing line
# "tests: N passed, N failed, N skipped" over all of them (scripts/run-tests.sh).
test:
	$(Q)scripts/run-tests.sh

# One suite at a time (used by run-tests.sh; handy by hand).
test-unit: unit-bins
	$(Q)scripts/run-unit.sh $(OUTPUT)

test-cli: $(BIN)
	$(Q)tests/cli/run.sh $(BIN)

FUZZ_SECONDS ?= 20
test-fuzz:
	$(Q)scripts/run-fuzz.sh $(FUZZ_SECONDS)

# ---- emulated target board (area: emulated-board; scripts/vmtest) ---------
# An arm64 QEMU `virt` board with a real SMMUv3, booting Debian's stock arm64
# kernels: bullseye 5.10, bookworm 6.1 and 6.12, sid's newest (downloaded with
# apt, bullseye/sid through a private apt state; cached in ~/.cache/smmutrace-vm).
#   make test-vm   every board scenario on every kernel, KTAP per kernel
#   make demo      boot the board, show smmutrace catching TBU-gated unmaps
#                  live, then replay the guest's recording here
# Both build the static arm64 smmutrace themselves (ARCH=arm64 CROSS_COMPILE=
# aarch64-linux-gnu- into .output-vm/arm64) and need the packages of
# `scripts/setup-deps.sh --board`, which demo installs when run as root.
test-vm:
	$(Q)scripts/vmtest test

demo:
	$(Q)if [ "$$(id -u)" = 0 ]; then scripts/setup-deps.sh --board >/dev/null; fi
	$(Q)scripts/vmtest demo

bench:
	$(Q)scripts/bench.sh
	$(Q)$(MAKE) --no-print-directory bench-board

# capture cost on the emulated board (tests/vm/bench-board.sh): one boot per
# kernel (default 6.12 and sid; BENCH_KERNELS="-k 6.1 ..."), medians of rounds
.PHONY: bench-board
bench-board:
	$(Q)scripts/vmtest bench $(BENCH_KERNELS)

PREFIX ?= /usr/local
install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/smmutrace
	$(Q)install -D -m 0644 src/smmutrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/smmutrace.8

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) .output-*

.DELETE_ON_ERROR:
.SECONDARY:

# ---- capture: BPF tests on the running kernel (tests/bpf/) -----------------
# tests/bpf/*.bpf.c are test-only BPF objects (fabricated kernel memory);
# tests/bpf/test_*.c are cmocka binaries driving the raw_tp twins with
# BPF_PROG_TEST_RUN. They need root and skip (exit 0, "skipped: ...") without.
BPF_TEST_SKELS := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/tests/bpf/%.skel.h,$(wildcard tests/bpf/*.bpf.c))
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))

$(OUTPUT)/tests/bpf:
	$(Q)mkdir -p $@

$(OUTPUT)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(VMLINUX_H) $(BPF_FLAGS) | $(OUTPUT)/tests/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/tests/bpf/%.skel.h: $(OUTPUT)/tests/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUTPUT)/tests/bpf/test_%: tests/bpf/test_%.c $(LIB) $(CC_FLAGS) | $(OUTPUT)/tests/bpf $(BPF_SKELS) $(BPF_TEST_SKELS)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -I$(OUTPUT)/tests/bpf $< $(LIB) $(LDFLAGS) $(LIBS) -lcmocka -o $@

bpf-test-bins: $(BPF_TEST_BINS) $(BIN)

-include $(patsubst %.skel.h,%.bpf.d,$(BPF_TEST_SKELS)) $(addsuffix .d,$(BPF_TEST_BINS))

# every tests/bpf/test_* binary and tests/bpf/*.sh script, as root
test-bpf: bpf-test-bins
	$(Q)tests/bpf/run.sh $(OUTPUT)

# ---- report (smmutrace report) ---------------------------------------------
# The HTML report in real headless Chromium (Debian `chromium`), the KCIDB v5.3
# check and the Perfetto structure check, on the GPU-TBU example and on a
# generated capture of REPORT_EVENTS events (default 1000000).
.PHONY: test-report
test-report: $(BIN)
	$(Q)tests/report/run.sh $(BIN)

# ---- monitor (smmutrace monitor; tests/monitor/) ----------------------------
# Outputs on a stream with known findings, follow mode and signals, a real
# Prometheus server scraping the endpoint (Debian `prometheus`, which also
# gives promtool), and a soak at a fixed event rate with rotation on.
#   make test-monitor          soak of SOAK_SECONDS (default 60)
#   make soak                  the same suite with a 600 s soak (SOAK_SECONDS=N)
SOAK_SECONDS ?= 60
.PHONY: test-monitor soak
test-monitor: $(BIN)
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) tests/monitor/run.sh $(BIN)

soak: $(BIN)
	$(Q)SOAK_SECONDS=$(if $(filter command line environment,$(origin SOAK_SECONDS)),$(SOAK_SECONDS),600) \
		tests/monitor/run.sh $(BIN)
# ---- end of monitor -----------------------------------------------------------
