# postrx top-level Makefile.
#
#   make              install missing Debian packages, build everything
#   make check        run the selftests in a QEMU guest on the stock kernel
#   make check KERNEL=debug   ... on the debug kernel (KASAN, lockdep, ...)
#   make check KERNEL=all     ... both, with one summary line
#   make demo         the main job, in the default QEMU guest
#   make bench        benchmarks (see bench/)
#   make fio-engine   the fio ioengine build/fio/postrx-engine.so (see docs/bench.md)
#   make install      every part on this machine, the modules through DKMS
#                     [PREFIX=/usr/local] [DESTDIR=]; make uninstall undoes it
#   make deb          Debian packages into build/deb/, checked with lintian
#   make liburing-patched   Debian's liburing with liburing-ext built in
#                     (drop-in mode for static programs): .debs, liburing.a
#                     and .so, liburing's tests, into build/liburing-patched/
#
# KVER picks the stock kernel whose headers and image are installed (the
# newest 6.12 one by default); KDIR builds the module against any kernel
# tree instead.

SHELL		:= /bin/bash
TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build
CACHE		?= /var/cache/postrx
KERNEL		?= stock
LONG		?= 0

DEPS_STAMP	:= $(BUILD)/.deps
KVER		?= $(shell cat $(DEPS_STAMP) 2>/dev/null)

CC		?= gcc
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare -Wno-clobbered
USER_CPPFLAGS	:= -D_GNU_SOURCE -I$(TOP)/uapi -I$(BUILD)/include

.PHONY: all deps module module-debug selftests liburing-ext install check demo bench bench-kmod clean checkpatch sparse

all: module selftests

# deps.sh is idempotent and quick when everything is present; the stamp
# records the chosen kernel version for the rest of the build.
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@bash scripts/deps.sh > $@.tmp && mv $@.tmp $@

deps:
	@rm -f $(DEPS_STAMP)
	@$(MAKE) --no-print-directory $(DEPS_STAMP)

# ---- kernel module -------------------------------------------------------
# The module is built in a per-kernel tree of symlinks under build/, so the
# stock and debug builds never share objects.

define build_module # $(1) = flavour, $(2) = kernel build dir
	@mkdir -p $(BUILD)/$(1)/kernel
	@cp -rsf $(TOP)/kernel/. $(BUILD)/$(1)/kernel/
	$(MAKE) -C $(2) M=$(BUILD)/$(1)/kernel POSTRX_UAPI=$(TOP)/uapi modules
endef

KDIR ?= /lib/modules/$(KVER)/build

module: $(DEPS_STAMP)
	$(call build_module,stock,$(KDIR))

module-debug: $(DEPS_STAMP)
	@bash scripts/debug-kernel.sh > $(BUILD)/.debug-kdir
	$(call build_module,debug,$$(cat $(BUILD)/.debug-kdir))

# ---- user space ----------------------------------------------------------

HARNESS := $(BUILD)/include/kselftest_harness.h

# The kselftest harness comes from the kernel source package at build time.
$(HARNESS): $(DEPS_STAMP)
	@mkdir -p $(BUILD)/include
	tar -C $(BUILD)/include --strip-components=4 -xf \
		$$(ls /usr/src/linux-source-6.12.tar.* | head -1) \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h'
	@touch $@

SELFTESTS_C	:= $(wildcard selftests/postrx/*_test.c)
SELFTESTS	:= $(patsubst selftests/postrx/%.c,$(BUILD)/selftests/%,$(SELFTESTS_C))
TOOLS_C		:= $(wildcard selftests/postrx/tools/*.c)
TOOLS		:= $(patsubst selftests/postrx/tools/%.c,$(BUILD)/selftests/%,$(TOOLS_C))

# The selftests' helper library (selftests/postrx/lib/): compiled once into
# an archive that every test and tool links, as liburing's test/helpers.c.
# The stream pattern it checks is the tools' own (tools/common/stream.h).
SELFTEST_LIB_C	:= $(wildcard selftests/postrx/lib/*.c)
SELFTEST_LIB_O	:= $(patsubst selftests/postrx/lib/%.c,$(BUILD)/selftests-lib/%.o,$(SELFTEST_LIB_C))
SELFTEST_LIB	:= $(BUILD)/selftests-lib/libpostrx_test.a
SELFTEST_LIB_H	:= selftests/postrx/lib/postrx_test.h tools/common/stream.h \
		   tools/common/zerocopy.h uapi/linux/postrx.h
SELFTEST_HDRS	:= $(SELFTEST_LIB_H) selftests/postrx/lib/postrx_fixture.h $(HARNESS)

$(BUILD)/selftests-lib/%.o: selftests/postrx/lib/%.c $(SELFTEST_LIB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(USER_CPPFLAGS) -c -o $@ $<

$(SELFTEST_LIB): $(SELFTEST_LIB_O)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/selftests/%: selftests/postrx/%.c $(SELFTEST_HDRS) $(SELFTEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(USER_CPPFLAGS) -Iselftests/postrx/lib -o $@ $< \
		$(SELFTEST_LIB) -luring -lpthread

$(BUILD)/selftests/%: selftests/postrx/tools/%.c $(SELFTEST_LIB_H) $(SELFTEST_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(USER_CPPFLAGS) -Iselftests/postrx/lib -o $@ $< \
		$(SELFTEST_LIB) -luring

# liburing-ext is an order-only prerequisite of what links it: it is a
# phony target that always runs, and must not relink the programs (a
# guest may be running them).
LIBEXT_DEPS := $(wildcard liburing-ext/include/liburing/*.h) | liburing-ext

# The benchmarks' shared code, built once: the receive paths (paths.c)
# and the bulk sender (sender.c), in a static library that rxbench,
# rxlat and rxscale link.
BENCH_HDRS	:= bench/bench.h bench/paths.h bench/sender.h tools/common/busytime.h \
		   tools/common/zerocopy.h uapi/linux/postrx.h
BENCH_OBJS	:= $(BUILD)/bench/paths.o $(BUILD)/bench/sender.o
BENCH_LIB	:= $(BUILD)/bench/libbench.a

$(BUILD)/bench/%.o: bench/%.c $(BENCH_HDRS) $(LIBEXT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(USER_CPPFLAGS) -Iliburing-ext/include -c -o $@ $<

$(BENCH_LIB): $(BENCH_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# rxbench (a stream), rxlat (request-response latency) and rxscale (many
# sockets) link liburing-ext for the drop-in path; the rpath is relative
# so that the guest, which sees the build under /host, finds it too.
BENCH_PROGS	:= $(addprefix $(BUILD)/selftests/,rxbench rxlat rxscale)
$(BENCH_PROGS): $(BUILD)/selftests/%: bench/%.c $(BENCH_HDRS) $(BENCH_LIB) $(LIBEXT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(USER_CPPFLAGS) -Iliburing-ext/include -o $@ $< \
		$(BENCH_LIB) -L$(BUILD)/liburing-ext -Wl,-rpath,'$$ORIGIN/../liburing-ext' \
		-luring-ext -luring

selftests: $(SELFTESTS) $(TOOLS) $(BUILD)/selftests/rxbench liburing-ext
selftests: $(BUILD)/selftests/rxlat $(BUILD)/selftests/rxscale

# copycost: the copy sequences' cost on the bench clock (no libraries).
selftests: $(BUILD)/selftests/copycost
$(BUILD)/selftests/copycost: bench/copycost.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

# postrx-recv (tools/postrx-recv/: a file a concern, around recv.h) and
# postrx-send (one file), linked like rxbench; built again without the
# run-path for installation (below).  tool_objs DIR: postrx-recv's objects
# in DIR.
RECV_C		:= $(filter-out %/postrx-send.c,$(wildcard tools/postrx-recv/*.c))
TOOL_HDRS	:= tools/common/stream.h tools/common/busytime.h uapi/linux/postrx.h \
		   $(wildcard liburing-ext/include/liburing/*.h)
TOOL_CFLAGS	= $(CFLAGS) -std=gnu11 $(WARN) $(USER_CPPFLAGS) -Iliburing-ext/include
TOOL_LIBS	= -L$(BUILD)/liburing-ext -luring-ext -luring
TOOL_RPATH	:= -Wl,-rpath,'$$ORIGIN/../liburing-ext'
tool_objs	= $(patsubst tools/postrx-recv/%.c,$(1)/%.o,$(RECV_C))

selftests: $(BUILD)/tools/postrx-recv $(BUILD)/tools/postrx-send
$(BUILD)/tools/obj/%.o: tools/postrx-recv/%.c tools/postrx-recv/recv.h $(TOOL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c -o $@ $<

$(BUILD)/tools/postrx-recv: $(call tool_objs,$(BUILD)/tools/obj) | liburing-ext
	$(CC) $(CFLAGS) -o $@ $^ $(TOOL_RPATH) $(TOOL_LIBS)

$(BUILD)/tools/postrx-send: tools/postrx-recv/postrx-send.c $(TOOL_HDRS) | liburing-ext
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -o $@ $< $(TOOL_RPATH) $(TOOL_LIBS)

# The iproute2 plugin that lets `ip link add A type pxnic peer name B`
# work (ip loads it from IP_LIB_DIR).
selftests: $(BUILD)/iproute2/link_pxnic.so
$(BUILD)/iproute2/link_pxnic.so: kernel/pxnic/iproute2/link_pxnic.c
	$(MAKE) -C kernel/pxnic/iproute2 O=$(BUILD)/iproute2

# The fio ioengine (bench/fio/), always built: deps.sh installs fio (the
# stamp is a prerequisite, so fio is there by the time this runs, also on
# a fresh machine's first make), and fio_test.sh fails without the engine.
# It is compiled against the source headers of that very fio version,
# which scripts/fio-src.sh fetches through apt and configures once under
# $(CACHE)/src.  liburing-ext.a carries the prep helpers and probing
# (position independent objects), so the engine needs no run-time path.
FIO_ENGINE	:= $(BUILD)/fio/postrx-engine.so
selftests: $(FIO_ENGINE)
.PHONY: fio-engine
fio-engine: $(FIO_ENGINE)
$(FIO_ENGINE): bench/fio/postrx-engine.c scripts/fio-src.sh scripts/deb-src.sh uapi/linux/postrx.h \
		$(DEPS_STAMP) $(LIBEXT_DEPS)
	@mkdir -p $(dir $@)
	fio_src=$$(bash scripts/fio-src.sh $(CACHE)) && \
	$(CC) $(CFLAGS) $(WARN) -Wno-missing-field-initializers -fPIC -shared \
		$(USER_CPPFLAGS) -Iliburing-ext/include -isystem $$fio_src \
		-include $$fio_src/config-host.h -D_LARGEFILE_SOURCE \
		-D_FILE_OFFSET_BITS=64 -DBITS_PER_LONG=64 -o $@.tmp $< \
		$(BUILD)/liburing-ext/liburing-ext.a -luring && mv $@.tmp $@

# The library's own Makefile builds it into build/liburing-ext.
liburing-ext: $(DEPS_STAMP)
	$(MAKE) -C liburing-ext TOP=$(TOP) O=$(BUILD)/liburing-ext

# Debian's liburing source package with liburing-ext/patches/ (and
# liburing-ext's drop-in core, the same source) built in: the packages
# (version <Debian's>+postrx1), the libraries, statically linked test
# programs and liburing's own tests for the guest, into
# build/liburing-patched/ (scripts/liburing-patched.sh; it does nothing
# when its inputs are unchanged).  The source comes through apt's deb-src
# entries like fio's (scripts/deb-src.sh).
.PHONY: liburing-patched
liburing-patched: $(DEPS_STAMP)
	@bash scripts/liburing-patched.sh $(BUILD) $(CACHE)
selftests: liburing-patched

# ---- installation --------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] puts down every part
# (scripts/install.sh): the modules' source under /usr/src, registered,
# built and installed with DKMS for KVER (and the running kernel, if its
# headers are there), the uAPI header, liburing-ext, postrx-recv and
# postrx-send, pxnic's iproute2 plugin, man pages, an opt-in
# modules-load.d example, and a manifest; make uninstall takes away what
# the manifest lists.  With DESTDIR nothing runs but the copying (no
# DKMS, no ldconfig, no package installation): for staging and packages.
# The user-space parts built for installation have no run-path, and none
# of this needs the kernel packages, so that a package build can run it.

VERSION		:= $(shell cat $(TOP)/VERSION)
PREFIX		?= /usr/local
LIBDIR		?= $(PREFIX)/lib
DIST		:= $(BUILD)/dist
DIST_LIBEXT	:= $(addprefix $(BUILD)/liburing-ext/,liburing-ext.a liburing-ext.so.1 \
		   liburing-ext.so liburing-ext-preload.so)
DIST_TOOLS	:= $(DIST)/postrx-recv $(DIST)/postrx-send

.PHONY: install-build dist-libext uninstall install-check deb
install-build: dist-libext $(DIST_TOOLS) $(BUILD)/iproute2/link_pxnic.so

# The libraries alone (not liburing-ext's tests and examples).
dist-libext:
	$(MAKE) -C liburing-ext TOP=$(TOP) O=$(BUILD)/liburing-ext $(DIST_LIBEXT)

$(DIST)/obj/%.o: tools/postrx-recv/%.c tools/postrx-recv/recv.h $(TOOL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TOOL_CFLAGS) -c -o $@ $<

$(DIST)/postrx-recv: $(call tool_objs,$(DIST)/obj) | dist-libext
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TOOL_LIBS)

$(DIST)/postrx-send: tools/postrx-recv/postrx-send.c $(TOOL_HDRS) | dist-libext
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TOOL_CFLAGS) $(LDFLAGS) -o $@ $< $(TOOL_LIBS)

INSTALL_ENV = TOP=$(TOP) BUILD=$(BUILD) VERSION=$(VERSION) DESTDIR=$(DESTDIR) \
	PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) $(if $(IPLIBDIR),IPLIBDIR=$(IPLIBDIR)) \
	$(if $(MANIFEST),MANIFEST=$(MANIFEST))

# A real installation first gets what it needs (deps.sh install: dkms,
# compiler, liburing, the 6.12 headers; no kernel image, nothing for the
# test guest), and builds the modules for the 6.12 kernel deps.sh names
# and the running kernel if its headers are there (DKMS skips one that is
# not 6.12).  DESTDIR staging needs none of that.
install:
	@mkdir -p $(BUILD)
	@if [ -z "$(DESTDIR)" ]; then bash scripts/deps.sh install >$(BUILD)/.install-kver; fi
	@$(MAKE) --no-print-directory install-build
	@if [ -z "$(DESTDIR)" ]; then \
		kvers=$$(cat $(BUILD)/.install-kver) && run=$$(uname -r) && \
		if [ "$$run" != "$$kvers" ] && [ -e /lib/modules/$$run/build ]; then \
			kvers="$$kvers $$run"; fi && \
		$(INSTALL_ENV) DKMS_KVERS="$$kvers" bash scripts/install.sh install; \
	else \
		$(INSTALL_ENV) bash scripts/install.sh install; \
	fi

uninstall:
	@$(INSTALL_ENV) bash scripts/install.sh uninstall

# Debian packages (debian/): postrx-dkms, liburing-ext1, liburing-ext-dev
# and postrx-tools, built by dpkg-buildpackage from a copy of the
# checkout's files (tracked and new, not ignored: not build/) and checked
# with lintian; into build/deb/.  deps.sh deb installs debhelper, dh-dkms
# and lintian.
DEB_SRC		:= $(BUILD)/deb/postrx-$(VERSION)
deb:
	@bash scripts/deps.sh deb >/dev/null
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
		tar -C $(TOP) --null -T - -cf - | tar -C $(DEB_SRC) -xf -
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error $(BUILD)/deb/postrx_$(VERSION)_*.changes

# install into a temporary DESTDIR and out again, checking the file list
# (run by make check, on the host: quick, no root needed).
install-check: install-build
	@bash scripts/install-test.sh

# ---- running in the guest ------------------------------------------------

VM_TIMEOUT ?= 900
GUEST_TESTS := $(notdir $(SELFTESTS)) $(notdir $(wildcard selftests/postrx/*_test.sh))

check: $(if $(filter stock all,$(KERNEL)),module) \
       $(if $(filter debug all,$(KERNEL)),module-debug) selftests install-check
	@LONG=$(LONG) bash selftests/vm/check.sh $(KERNEL)

# File to network to file, postrx against plain, under -icount with two
# NVMe disks (scripts/demo.sh); the table and build/demo/demo.png.
demo: module selftests
	@bash scripts/demo.sh

# Receive paths side by side over veth, under -icount (DESIGN.md 7).
# QUICK=1: 64 MiB per run, one run each.  Results in bench/results/
# (RXBENCH_OUT=DIR: elsewhere; see docs/bench.md).
bench: module selftests bench-kmod
	@bash bench/run.sh

# The bench guest's exact idle time (bench/kmod/bench_idle.c); never
# installed.
bench-kmod: $(DEPS_STAMP)
	@mkdir -p $(BUILD)/stock/bench-kmod
	@cp -rsf $(TOP)/bench/kmod/. $(BUILD)/stock/bench-kmod/
	$(MAKE) -C $(KDIR) M=$(BUILD)/stock/bench-kmod modules

# ---- kernel style gates --------------------------------------------------

checkpatch:
	$(CACHE)/src/*/scripts/checkpatch.pl --no-tree --strict --terse \
		-f kernel/*.c kernel/*.h kernel/include/*.h kernel/pxnic/*.c \
		kernel/pxnic/*.h uapi/linux/*.h

sparse: $(DEPS_STAMP)
	@mkdir -p $(BUILD)/sparse/kernel
	@cp -rsf $(TOP)/kernel/. $(BUILD)/sparse/kernel/
	$(MAKE) -C $(KDIR) M=$(BUILD)/sparse/kernel POSTRX_UAPI=$(TOP)/uapi C=2 modules

clean:
	rm -rf $(BUILD)
