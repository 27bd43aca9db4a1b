# hv: a bare-metal type-1 hypervisor for x86-64 VMX.
#   make            build/hv.elf
#   make iso        build/hv.iso (GRUB, BIOS + UEFI when grub-efi-amd64-bin is present)
#   make run        boot the ISO in QEMU, serial console on this terminal
#   make test       unit tests (ASan+UBSan), fuzz smoke runs, integration tests (QEMU, Bochs)
#   make bench      benchmarks (deterministic instruction counts in Bochs)
#   make CC=clang   the same with clang

CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
HOSTCC ?= gcc
LD := ld
NASM := nasm
# Debian's interpreter, where python3-pytest installs (not a pyenv one on PATH).
PYTHON ?= /usr/bin/python3
B := build

# Unit-test rules name their sources through a second expansion.
.SECONDEXPANSION:

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Packages a fresh Debian 12 machine needs; `deps` installs only what is missing.
DEB_PACKAGES := nasm gcc clang lld binutils make grub-pc-bin grub-common \
	grub-efi-amd64-bin xorriso mtools qemu-system-x86 bochs bochsbios \
	vgabios libcmocka-dev pkg-config python3 python3-pytest python3-pexpect \
	libclang-rt-14-dev ovmf

KERNEL_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib -fno-stack-protector \
	-fno-pic -fno-pie -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
	-mcmodel=small -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-common -O2 -g \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes \
	-Iinclude -I. -DHV_VERSION=\"$(VERSION)\"
ifeq ($(findstring clang,$(CC)),)
KERNEL_CFLAGS += -mgeneral-regs-only
else
KERNEL_CFLAGS += -mno-avx -Wno-unused-command-line-argument
endif

KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

KERNEL_C := $(sort $(wildcard hv/*.c mm/*.c drivers/*.c vmx/*.c))
KERNEL_ASM := $(sort $(wildcard boot/*.asm vmx/*.asm))
KERNEL_OBJ := $(KERNEL_C:%.c=$(B)/%.o) $(KERNEL_ASM:%.asm=$(B)/%.o)
# The built-in scenario (used when GRUB gives no hv.cfg): guest/default.cfg
# itself, linked in as bytes (_binary_guest_default_cfg_start/_end).
KERNEL_OBJ += $(B)/default_cfg.o

.PHONY: all iso run test unit fuzz integration bench clean deps format

all: $(B)/hv.elf guests

# Guest programs (guest/guest.mk defines `guests` and build/guest/<name>.elf).
include guest/guest.mk
# The demo Linux: Debian's kernel and a busybox initramfs (`make linux-guest`).
include guest/linux/linux.mk

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

$(B)/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# NASM's -MD leaves out %include'd files: name them here.
$(B)/%.o: %.asm Makefile boot/x86.inc | deps
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -Iboot/ -MD $(@:.o=.d) -o $@ $<

$(B)/default_cfg.o: guest/default.cfg
	@mkdir -p $(dir $@)
	$(LD) -r -b binary -z noexecstack -o $@ $<

$(B)/hv.elf: $(KERNEL_OBJ) linker.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJ)
	@$(PYTHON) tests/tools/check_elf.py $@

# --- ISO -------------------------------------------------------------------
# The ISO boots the default scenario: HV_CONFIG as hv.cfg plus every guest
# image as a module. `make iso HV_CMDLINE=... HV_CONFIG=...` changes both.
HV_CMDLINE ?=
HV_CONFIG ?= guest/default.cfg
GUEST_IMAGES = $(GUEST_ELFS) $(GUEST_B)/realmode.bin
ISO_MODULES = $(foreach g,$(GUEST_IMAGES),-m $(g)=$(notdir $(g))) -m $(HV_CONFIG)=hv.cfg

$(B)/hv.iso: $(B)/hv.elf guests $(HV_CONFIG) tests/tools/mkiso.sh tests/tools/grub.cfg.in FORCE
	tests/tools/mkiso.sh $(B)/hv.elf $@ $(ISO_MODULES) $(HV_CMDLINE)

iso: $(B)/hv.iso

run: $(B)/hv.iso
	@tests/tools/run.sh $(B)/hv.iso

# --- tests -----------------------------------------------------------------
HOST_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Iinclude -I. -Itests/unit -DHV_HOST_TEST -D_GNU_SOURCE
UNIT_TESTS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_TESTS := $(filter-out tests/unit/test_log.c,$(UNIT_TESTS))
UNIT_BINS := $(UNIT_TESTS:tests/unit/%.c=$(B)/unit/%)

# A test's sources under test are listed in its .srcs sidecar file.
$(B)/unit/%: tests/unit/%.c tests/unit/%.srcs tests/unit/test_log.c $$(shell cat tests/unit/%.srcs 2>/dev/null) | deps
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< tests/unit/test_log.c $(shell cat tests/unit/$*.srcs) -lcmocka

# Every header may matter to a test; test_string includes hv/string.c itself.
$(UNIT_BINS): $(wildcard include/hv/*.h hv/*.h mm/*.h drivers/*.h vmx/*.h tests/unit/*.h)
$(B)/unit/test_string: hv/string.c

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

fuzz: | deps
	@if [ -f tests/fuzz/fuzz.mk ]; then $(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-smoke; fi

integration: $(B)/hv.iso guests linux-guest | deps
	$(PYTHON) -m pytest -q tests/integration

test: | deps
	@$(MAKE) --no-print-directory clean-kernel
	@$(MAKE) --no-print-directory CC=clang all
	@$(MAKE) --no-print-directory clean-kernel
	@$(MAKE) --no-print-directory all iso
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory integration

bench: $(B)/hv.iso guests linux-guest linux-iso | deps
	$(PYTHON) tests/bench/bench.py

clean-kernel:
	rm -rf $(B)/hv $(B)/mm $(B)/drivers $(B)/vmx $(B)/boot $(B)/hv.elf

clean:
	rm -rf $(B)

format:
	clang-format -i $(KERNEL_C) $(wildcard */*.h include/hv/*.h)

FORCE:

-include $(KERNEL_OBJ:.o=.d)
