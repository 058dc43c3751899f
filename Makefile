# SPDX-License-Identifier: GPL-2.0-only
#
# iommufd-bpf — build, test and demo.  `make help` lists the targets.
#
# Everything generated goes to build/ (kbuild's objects stay beside the
# module's sources, as kbuild requires).  The reference kernel ABI comes from
# build/kver.mk, written by `make deps`; `make KVER=...` builds against
# another installed 6.12 ABI.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build

# Setup first: scripts/deps returns at once when everything is there, installs
# what is missing when run as root, and otherwise names the command to run.
ifeq ($(filter deps clean help,$(MAKECMDGOALS)),)
DEPS_ERROR := $(shell KVER="$(KVER)" $(TOP)/scripts/deps --make)
ifneq ($(DEPS_ERROR),)
$(error $(DEPS_ERROR))
endif
endif
-include $(BUILD)/kver.mk

KDIR := /lib/modules/$(KVER)/build
VMLINUX_BTF := /usr/src/linux-headers-$(KVER)/vmlinux
PREFIX := $(BUILD)/prefix
BPFTOOL := $(PREFIX)/sbin/bpftool
LIBBPF_A := $(PREFIX)/lib/libbpf.a
MODULE := $(TOP)/kernel/iommufd_bpf.ko

CC := gcc
CLANG := clang
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I$(TOP)/tools/include \
	-I$(TOP)/include/uapi -I$(PREFIX)/include
USER_LDLIBS := $(LIBBPF_A) -lelf -lz -lpthread
# The installed tools also take the packager's flags (debian/rules: Debian's
# hardening flags from dpkg-buildflags); empty otherwise.
PKG_FLAGS = $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(BUILD)/bpf -I$(PREFIX)/include

SELFTESTS := iommufd_core ioas fail_nth fuzz trace_events mock_iommu devices domains hwpt vfio_compat vfio_edu policy policy_tool iommutop_collector snapshot module_lifecycle module_btf demo_ioas demo_devices iommutop_workload
SELFTEST_BINS := $(addprefix $(BUILD)/selftests/,$(SELFTESTS))
SELFTEST_DEPS := $(TOP)/selftests/harness.h $(TOP)/selftests/iommufd_utils.h \
	$(BUILD)/linux-source/tools/testing/selftests/kselftest_harness.h \
	$(TOP)/selftests/vfio_utils.h \
	$(TOP)/include/uapi/linux/iommufd.h $(TOP)/include/uapi/linux/iommufd_test.h

.PHONY: all module vfio-ops-check userspace selftests tools man deb bench-build bench bench-kernel check check-debug debug-kernel conformance demo deps checkpatch clean help

# The module first: BPF objects are built against its BTF.  The rest runs in a
# second make, which sees the .ko's real timestamp and so rebuilds BPF objects
# only when the module changed.
all: module
	@$(MAKE) --no-print-directory userspace

userspace: selftests tools man

help:
	@echo 'make deps        install what the build needs (root; fast when done)'
	@echo 'make             build the module, BPF objects, tools, manual pages and selftests'
	@echo 'make man         only the manual pages (build/man/manN/, from docs/man/)'
	@echo 'make deb         the Debian packages iommufd-bpf-dkms and iommufd-bpf-tools (build/deb/)'
	@echo 'make check       build, then run every test (host and VM)'
	@echo "make conformance upstream's iommufd selftests against the module, in the VM"
	@echo 'make check-debug the VM suite and conformance in a lockdep/KASAN/kmemleak kernel'
	@echo '                 (built once into /var/cache/iommufd-bpf, about 30 minutes)'
	@echo 'make debug-kernel build only that kernel'
	@echo 'make demo        show the module at work in the VM'
	@echo 'make bench       benchmarks in the VM, upstream iommufd beside: table, build/bench.json,'
	@echo '                 build/bench-scale.svg (docs/perf.md); its kernel built once, about 30 minutes'
	@echo 'make bench-kernel build only that kernel'
	@echo 'make checkpatch  checkpatch.pl --strict over kernel/ and include/'
	@echo 'make clean       remove build/ and kbuild output'

deps:
	@KVER="$(KVER)" $(TOP)/scripts/deps

# kbuild tracks its own dependencies, so it is always asked.  W=1 warnings
# fail the build, and so does a module kbuild left without BTF (it skips BTF
# quietly when pahole or the headers' vmlinux is missing).  This is the test
# build (IOMMUFD_BPF_TEST=y: the mock IOMMU, IOMMU_TEST_CMD, the failure
# injection points); DKMS builds the production module, without them.
module:
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel W=1 KCFLAGS=-Werror IOMMUFD_BPF_TEST=y modules
	@readelf -S -W $(MODULE) | grep '\] \.BTF ' >/dev/null || { \
		echo "iommufd-bpf: kbuild built $(MODULE) without BTF: check that pahole (dwarves) and $(VMLINUX_BTF) exist"; \
		rm -f $(MODULE); exit 1; }
	@$(MAKE) --no-print-directory vfio-ops-check

# kernel/vfio_iommu.h declares VFIO's private backend interface; compile it
# against VFIO's own header from Debian's kernel source (unpacked by
# scripts/deps) and fail on any difference.  Skipped, saying so, without
# the source.
VFIO_SRC := $(BUILD)/linux-source/drivers/vfio
VFIO_CHECK := $(BUILD)/vfio-ops-check
vfio-ops-check:
	@if [ ! -f $(VFIO_SRC)/vfio.h ]; then \
		echo "iommufd-bpf: $(VFIO_SRC)/vfio.h missing: VFIO declarations not checked (make deps unpacks it)"; \
	elif [ ! -f $(VFIO_CHECK)/ok ] || \
	     [ $(TOP)/kernel/vfio_iommu.h -nt $(VFIO_CHECK)/ok ] || \
	     [ $(TOP)/scripts/vfio-ops-check.c -nt $(VFIO_CHECK)/ok ]; then \
		rm -rf $(VFIO_CHECK) && mkdir -p $(VFIO_CHECK) && \
		cp $(TOP)/scripts/vfio-ops-check.c $(VFIO_CHECK)/ && \
		printf 'obj-m := vfio-ops-check.o\nccflags-y := -I$(TOP)/kernel -I$(VFIO_SRC)\n' >$(VFIO_CHECK)/Kbuild && \
		$(MAKE) -s -C $(KDIR) M=$(VFIO_CHECK) W=1 KCFLAGS=-Werror modules && \
		touch $(VFIO_CHECK)/ok && \
		echo "iommufd-bpf: kernel/vfio_iommu.h matches $(VFIO_SRC)/vfio.h"; \
	fi

$(BUILD)/bpf $(BUILD)/selftests:
	mkdir -p $@

# BPF headers: the kernel's types, and the kernel's plus the module's (a
# superset, for programs that read the module's own structures).
$(BUILD)/bpf/vmlinux.h: $(VMLINUX_BTF) | $(BUILD)/bpf
	$(BPFTOOL) btf dump file $< format c >$@.tmp && mv $@.tmp $@

$(BUILD)/bpf/iommufd_bpf_btf.h: $(MODULE) | $(BUILD)/bpf
	$(BPFTOOL) btf dump file $< --base-btf $(VMLINUX_BTF) format c >$@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(BUILD)/selftests/%.bpf.o: $(TOP)/selftests/bpf/%.bpf.c \
		$(BUILD)/bpf/iommufd_bpf_btf.h $(wildcard $(TOP)/selftests/bpf/*.h) \
		| $(BUILD)/selftests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/selftests/%.skel.h: $(BUILD)/selftests/%.bpf.o
	$(BPFTOOL) gen skeleton $< >$@.tmp && mv $@.tmp $@

$(BUILD)/selftests/module_btf: $(BUILD)/selftests/module_btf.skel.h
$(BUILD)/selftests/trace_events: $(BUILD)/selftests/trace_events.skel.h
$(BUILD)/selftests/fail_nth: $(BUILD)/selftests/policy_test.skel.h
$(BUILD)/selftests/policy: $(BUILD)/selftests/policy_test.skel.h \
	$(BUILD)/selftests/policy_bad.bpf.o
$(BUILD)/selftests/vfio_edu: $(BUILD)/selftests/test_deny.bpf.o

# The selftests run on the kernel's kselftest_harness.h (selftests/harness.h),
# from the reference kernel's source; its comparisons mix signedness as
# upstream's selftests do.
KSELFTEST_DIR := $(BUILD)/linux-source/tools/testing/selftests
$(BUILD)/selftests/%: $(TOP)/selftests/%.c $(SELFTEST_DEPS) | $(BUILD)/selftests
	$(CC) $(USER_CFLAGS) -Wno-sign-compare -I$(BUILD)/selftests -isystem $(KSELFTEST_DIR) \
		-o $@ $< $(USER_LDLIBS)

# The same program, run in the --rmrr VM, picks the RMRR test by its name.
$(BUILD)/selftests/vfio_edu_rmrr: $(BUILD)/selftests/vfio_edu
	ln -sf vfio_edu $@

selftests: $(SELFTEST_BINS) $(BUILD)/selftests/vfio_edu_rmrr

# The shipped policies, and the tool that loads them.
POLICIES := deny_resv_direct pci_allowlist pin_quota
POLICY_OBJS := $(addprefix $(BUILD)/bpf/policies/,$(addsuffix .bpf.o,$(POLICIES)))

$(BUILD)/bpf/policies $(BUILD)/bin:
	mkdir -p $@

$(BUILD)/bpf/policies/%.bpf.o: $(TOP)/bpf/%.bpf.c $(TOP)/bpf/policy_common.h \
		$(TOP)/bpf/pci_allowlist.h $(BUILD)/bpf/iommufd_bpf_btf.h | $(BUILD)/bpf/policies
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The VFIO gate iommupolicy loads with the policies (kernel/vfio_gate.c).
$(BUILD)/bpf/vfio_gate.bpf.o: $(TOP)/bpf/vfio_gate.bpf.c $(TOP)/bpf/policy_common.h \
		$(BUILD)/bpf/iommufd_bpf_btf.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bin/iommupolicy: $(TOP)/tools/iommupolicy/iommupolicy.c $(TOP)/tools/include/tool_die.h \
		$(TOP)/bpf/pci_allowlist.h $(LIBBPF_A) | $(BUILD)/bin
	$(CC) $(USER_CFLAGS) $(PKG_FLAGS) -o $@ $< $(USER_LDLIBS)

tools: $(POLICY_OBJS) $(BUILD)/bpf/vfio_gate.bpf.o $(BUILD)/bin/iommupolicy $(BUILD)/bin/iommutop

# The manual pages, from their Markdown sources in docs/man/ (the same files
# the documentation links to).
# build/man/manN/NAME.N, where man finds them with MANPATH=build/man.
MAN_SRCS := $(wildcard $(TOP)/docs/man/*.md)
MAN_PAGES := $(foreach p,$(notdir $(MAN_SRCS:.md=)),$(BUILD)/man/man$(subst .,,$(suffix $(p)))/$(p))

man: $(MAN_PAGES)

$(BUILD)/man/man7/%.7: $(TOP)/docs/man/%.7.md
	@mkdir -p $(@D)
	pandoc --standalone --to man --output $@ $<

$(BUILD)/man/man8/%.8: $(TOP)/docs/man/%.8.md
	@mkdir -p $(@D)
	pandoc --standalone --to man --output $@ $<

# iommutop's collector and its skeleton.
$(BUILD)/bpf/iommutop.bpf.o: $(TOP)/bpf/iommutop.bpf.c $(TOP)/bpf/iommutop.h \
		$(BUILD)/bpf/iommufd_bpf_btf.h | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -I$(TOP)/bpf -c $< -o $@

$(BUILD)/bpf/iommutop.skel.h: $(BUILD)/bpf/iommutop.bpf.o
	$(BPFTOOL) gen skeleton $< >$@.tmp && mv $@.tmp $@

# The tool: the collector's skeleton, the snapshot reader and ncurses.
IOMMUTOP_SRCS := $(addprefix $(TOP)/tools/iommutop/,iommutop.c sample.c output.c)
$(BUILD)/bin/iommutop: $(IOMMUTOP_SRCS) $(TOP)/tools/iommutop/top.h $(TOP)/tools/include/tool_die.h \
		$(TOP)/bpf/iommutop.h $(BUILD)/bpf/iommutop.skel.h $(LIBBPF_A) | $(BUILD)/bin
	$(CC) $(USER_CFLAGS) $(PKG_FLAGS) -I$(BUILD)/bpf -I$(TOP)/bpf -o $@ $(IOMMUTOP_SRCS) \
		$(USER_LDLIBS) -lncurses

$(BUILD)/selftests/iommutop_collector: $(BUILD)/bpf/iommutop.skel.h
$(BUILD)/selftests/iommutop_collector: USER_CFLAGS += -I$(BUILD)/bpf -I$(TOP)/bpf

# Benchmarks (docs/perf.md): the program, the allow-all policy, the VM run.
$(BUILD)/bench:
	mkdir -p $@

$(BUILD)/bench/iommubench: $(TOP)/bench/iommubench.c $(SELFTEST_DEPS) | $(BUILD)/bench
	$(CC) $(USER_CFLAGS) -I$(TOP)/selftests -o $@ $< -lpthread

$(BUILD)/bench/allow_all.bpf.o: $(TOP)/bench/allow_all.bpf.c $(TOP)/bpf/policy_common.h \
		$(BUILD)/bpf/iommufd_bpf_btf.h | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -I$(TOP)/bpf -c $< -o $@

bench-build: $(BUILD)/bench/iommubench $(BUILD)/bench/allow_all.bpf.o

userspace: bench-build

# make bench boots its own kernel (scripts/kernel-tree bench: the reference
# kernel's source and configuration with upstream's iommufd as a module),
# built once into the cache, and measures this module (built against it,
# with and without the policy hooks; loaded as /dev/iommu_bpf) beside
# upstream's iommufd in two boots (bench/run): the mock part under
# virtio-iommu (the floor, both mock domains, policies, iommutop, tracing),
# the VFIO part under Intel VT-d (both VFIO backends and vfio_iommu_type1).
BENCH_RUNS ?= 5
BENCH_DIR := $(BUILD)/bench
BENCH_VM = $(TOP)/selftests/vm-run --no-debug --timeout 1800 --kernel $$tree \
	--kernel-modules $(BENCH_DIR)/modroot --module $(BENCH_DIR)/module/kernel/iommufd_bpf.ko \
	--module-params devname=iommu_bpf
bench: all
	@tree=$$($(TOP)/scripts/kernel-tree bench) && \
	$(TOP)/scripts/module-for-tree --modroot $(BENCH_DIR)/modroot $$tree $(BENCH_DIR)/module >/dev/null && \
	$(TOP)/scripts/module-for-tree $$tree $(BENCH_DIR)/nohooks IOMMUFD_BPF_NO_HOOKS=y >/dev/null && \
	$(BENCH_VM) --virtio-iommu -- $(TOP)/bench/run $(BENCH_DIR)/raw-mock.jsonl $(BENCH_RUNS) mock && \
	$(BENCH_VM) -- $(TOP)/bench/run $(BENCH_DIR)/raw-vfio.jsonl $(BENCH_RUNS) vfio
	@cat $(BENCH_DIR)/raw-mock.jsonl $(BENCH_DIR)/raw-vfio.jsonl >$(BENCH_DIR)/raw.jsonl
	@$(TOP)/bench/report $(BENCH_DIR)/raw.jsonl $(BUILD)/bench.json $(BUILD)/bench-scale.svg

# Debian packages (docs/packaging.md): iommufd-bpf-dkms and
# iommufd-bpf-tools, built by debhelper from debian/ into build/deb/.
deb:
	@dpkg-checkbuilddeps
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	@cd $(TOP) && debian/rules binary >$(BUILD)/deb/build.log 2>&1 || \
		{ tail -n 30 $(BUILD)/deb/build.log; echo "make deb: debian/rules binary failed: see build/deb/build.log"; exit 1; }
	@cd $(TOP) && debian/rules clean >>$(BUILD)/deb/build.log 2>&1
	@ls $(BUILD)/deb/*.deb

bench-kernel:
	@$(TOP)/scripts/kernel-tree bench >/dev/null

check: all
	@$(TOP)/selftests/check

conformance: all
	@$(TOP)/selftests/conformance

# The debug kernel is cached outside the work tree (scripts/kernel-tree).
debug-kernel:
	@$(TOP)/scripts/kernel-tree debug >/dev/null

check-debug: all
	@$(TOP)/selftests/check-debug

demo: all
	@$(TOP)/selftests/vm-run --rmrr -- $(TOP)/selftests/demo.sh

checkpatch:
	@$(TOP)/selftests/checkpatch

clean:
	rm -rf $(BUILD)/bpf $(BUILD)/selftests $(BUILD)/check $(BUILD)/conformance \
		$(BUILD)/vm/run.*
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(TOP)/kernel clean; fi
# Keep BPF objects and skeletons between builds.
.SECONDARY:
