# Guest programs (docs/guest-abi.md, guest/README.md), included by the
# top-level Makefile. `make guests` builds into build/guest/:
#   <name>.elf          multiboot v1 ELF32 guests: lib/ + guest/<name>/*.{c,asm}
#   realmode.bin        raw real-mode image, loaded at 0x8000 (CS=0, IP=0x8000)
#   realmode-boot.img   realmode.bin behind a boot sector, to test it in qemu
# Nothing here depends on the hypervisor build.

GUEST_B := $(B)/guest
GUEST_ELF_NAMES := hello cpuid memtest hypercall triplefault longmode bench iotest irqtest echo reset smp testdev memcheck hostile
GUEST_ELFS := $(GUEST_ELF_NAMES:%=$(GUEST_B)/%.elf)
GUEST_RAW := $(GUEST_B)/realmode.bin $(GUEST_B)/realmode-boot.img

GUEST_CFLAGS := -std=c11 -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -O2 \
	-Wall -Wextra -Werror -mno-sse -mno-mmx -mno-80387 -fno-asynchronous-unwind-tables -Iguest/lib
ifneq ($(findstring clang,$(CC)),)
GUEST_CFLAGS += -Wno-unused-command-line-argument
endif
GUEST_LDFLAGS := -m elf_i386 -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T guest/lib/guest.ld

# guest/<dir>/<file>.{c,asm} -> build/guest/<dir>/<file>.o
guest_objs = $(patsubst guest/%,$(GUEST_B)/%.o,$(basename $(sort $(wildcard $(1)/*.c $(1)/*.asm))))
GUEST_LIB_OBJ := $(call guest_objs,guest/lib)

.PHONY: guests
guests: $(GUEST_ELFS) $(GUEST_RAW)

# Objects rebuild when the compiler or flags change (e.g. `make CC=clang
# guests` after a gcc build): the stamp is rewritten only when they differ.
$(GUEST_B)/flags: guest-flags-check
	@:
.PHONY: guest-flags-check
guest-flags-check:
	@mkdir -p $(GUEST_B)
	@echo '$(CC) $(GUEST_CFLAGS)' > $(GUEST_B)/flags.tmp
	@cmp -s $(GUEST_B)/flags.tmp $(GUEST_B)/flags || mv $(GUEST_B)/flags.tmp $(GUEST_B)/flags
	@rm -f $(GUEST_B)/flags.tmp

$(GUEST_B)/%.o: guest/%.c guest/guest.mk $(GUEST_B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

# NASM 2.16.01's -MD omits %include'd files, so name them here instead.
$(GUEST_B)/%.o: guest/%.asm guest/guest.mk $(wildcard guest/lib/*.inc)
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -Iguest/lib/ -o $@ $<

# Each guest links the shared runtime with its own directory's objects.
$(GUEST_ELFS): $(GUEST_B)/%.elf: $(GUEST_LIB_OBJ) guest/lib/guest.ld
	$(LD) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)
$(foreach g,$(GUEST_ELF_NAMES),$(eval $(GUEST_B)/$(g).elf: $(call guest_objs,guest/$(g))))

$(GUEST_B)/realmode.bin: guest/realmode/realmode.asm guest/guest.mk
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<

# boot.asm includes realmode.bin (incbin) from the include path.
$(GUEST_B)/realmode-boot.img: guest/realmode/boot.asm $(GUEST_B)/realmode.bin
	$(NASM) -f bin -I$(GUEST_B)/ -o $@ $<

-include $(wildcard $(GUEST_B)/*/*.d)
