# SPDX-License-Identifier: GPL-2.0
#
# vmig: kernel support for live migration of virtual machines.
#
#   make                 modules, migctl and the selftests
#   make check           lint, builds, KUnit and kselftests in the test VM
#   make check-full      make check, then the two-VM topology (two VMs as
#                        two hosts: a migration, and each side killed)
#   make demo            boot the test VM, load vmig and show it working
#   make bench           benchmarks on the non-debug kernel, ratios and JSON
#                        (VMIG_BENCH="track mig dm" picks among them)
#   make headers-check   build the modules against Debian's 6.12 headers
#   make fuzz            the fuzzers of the parsers of untrusted input, 10
#                        minutes each (make check runs them briefly);
#                        FUZZ_SECONDS=n for another budget
#   make KDIR=/lib/modules/$(uname -r)/build modules
#                        build against another kernel
#   make VMIG_DEBUG=y modules
#                        with the test hooks (CONFIG_VMIG_DEBUG); make check
#                        builds so
#
# Without KDIR the modules build against the project's own debug test kernel,
# which tools/testing/vm/kernel.sh builds once and caches in ~/.cache/vmig.
VM := $(CURDIR)/tools/testing/vm
BUILD := $(CURDIR)/build

ifeq ($(KDIR),)
kdir = $(shell $(VM)/deps.sh >&2 && $(VM)/kernel.sh build debug)
else
kdir = $(KDIR)
endif

all: modules tools selftests

deps:
	$(VM)/deps.sh

kernel: deps
	$(VM)/kernel.sh build debug

# The folders of the modules; each holds its Kbuild.
MODULE_DIRS := drivers/vmig drivers/md/dm-vmig

modules:
	$(MAKE) -C $(kdir) M=$(CURDIR) VMIG_WERROR=$(VMIG_WERROR) \
		CONFIG_VMIG_DEBUG=$(VMIG_DEBUG) modules
	mkdir -p $(BUILD)/modules
	cp $(addsuffix /*.ko,$(MODULE_DIRS)) $(BUILD)/modules/

modules_install:
	$(MAKE) -C $(kdir) M=$(CURDIR) modules_install

clean-modules:
	$(MAKE) -C $(kdir) M=$(CURDIR) clean

# libvmig.a, the userspace library every tool, test and benchmark links.
lib:
	$(MAKE) -C tools/lib/vmig O=$(BUILD)/lib

tools: lib
	mkdir -p $(BUILD)/bin
	$(MAKE) -C tools/migctl O=$(BUILD)/bin LIBVMIG_O=$(BUILD)/lib
	$(MAKE) -C tools/vmig-guest O=$(BUILD)/bin LIBVMIG_O=$(BUILD)/lib

selftests: lib
	mkdir -p $(BUILD)/tests
	$(MAKE) -C selftests/vmig KBUILD=$(kdir) OUTPUT=$(BUILD)/tests \
		LIBVMIG_O=$(BUILD)/lib
	cp selftests/vmig/*.sh $(BUILD)/tests/
	selftests/vmig/mkcerts.sh $(BUILD)/tests

check:
	tools/testing/check.sh

check-full:
	tools/testing/check.sh --full

check-twovm:
	tools/testing/check.sh --twovm

demo:
	tools/testing/demo.sh $(ARGS)

bench:
	tools/testing/bench.sh $(ARGS)

headers-check:
	tools/testing/headers-check.sh

fuzz: deps
	$(MAKE) -C tools/testing/fuzz O=$(BUILD)/fuzz long

clean:
	rm -rf $(BUILD)
	$(MAKE) -C tools/lib/vmig clean
	find drivers \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \) -delete
	rm -f Module.symvers modules.order $(addsuffix /modules.order,$(MODULE_DIRS))

.PHONY: all deps kernel modules modules_install clean-modules lib tools \
	selftests check check-full check-twovm demo bench headers-check fuzz clean
