# SPDX-License-Identifier: GPL-2.0
#
# atemsys top level.
#   make modules                 build atemsys.ko for the running kernel, copy it here
#                                (KERNELDIR ?= /lib/modules/$(uname -r)/build), then: sudo insmod atemsys.ko
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KERNELDIR=<dir> modules
#   make clean                   remove build output (builds nothing first)
#   make setup                   install everything this project needs (Debian 12, root or sudo)
#   make smoke                   set-up, then build and smoke-test every QEMU board
#   make test                    set-up, then the whole test suite (what CI runs)
#   make test-full               make test plus the lanes that do not fit CI's hour
#                                (W=1 + sparse against every board kernel, every test
#                                group on the debug kernel, make test-lava)
#   make test-lava               a local LAVA server + worker (no systemd needed, root):
#                                orchestrate lava --submit for qemu-x86_64 and qemu-arm64
#                                against the builds in out/, everything stopped after

KERNELDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C src-kernel KERNELDIR=$(KERNELDIR) modules
	cp src-kernel/atemsys.ko atemsys.ko

modules_install:
	$(MAKE) -C src-kernel KERNELDIR=$(KERNELDIR) modules_install

checkpatch:
	$(MAKE) -C src-kernel checkpatch

clean:
	$(MAKE) -C src-kernel clean
	rm -f atemsys.ko

setup:
	./scripts/setup.sh

smoke: setup
	npx orchestrate smoke --board all

test: setup
	./scripts/test.mjs

test-full: setup
	ATEMSYS_TEST_FULL=1 ./scripts/test.mjs

test-lava:
	./scripts/lava-test.sh

.PHONY: all modules modules_install checkpatch clean setup smoke test test-full test-lava
