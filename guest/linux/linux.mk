# The demo Linux guest (guest/linux/README.md), included by the top-level
# Makefile. Debian's stock kernel and a busybox initramfs, fetched and built
# into build/linux/ and kept there (a second `make linux-guest` does nothing):
#   make linux-guest   vmlinuz, initramfs.cpio.gz
#   make linux-iso     linux.iso: GRUB boots vmlinuz directly (no hypervisor)
#   make linux-run     boot vmlinuz + initramfs in QEMU (TCG), console here
#   make linux-bochs   boot linux.iso in Bochs, report time and instructions
# The kernel package is what linux-image-amd64 depends on in the archive
# (apt-cache); `make linux-guest LINUX_IMAGE_PKG=linux-image-6.1.0-XX-amd64`
# pins one. Nothing is compiled: the kernel is the .deb's bzImage.

LINUX_B := $(B)/linux
LINUX_DEBS := $(LINUX_B)/debs
LINUX_IMAGE_PKG ?=
# Console on COM1 at 115200 baud: at the 9600 default every character of the
# boot log costs about 1 ms of emulated time. The default log level keeps the
# lines tests read ("Linux version", "smp: Brought up"); `quiet` would hide
# them. No mitigations: nothing in a test guest to protect, less patching.
# Linux picks its own clocksource: the TSC after its refined calibration
# (about 1.15 s of guest time), with high-resolution timers on the
# TSC-deadline LAPIC timer from then on.
LINUX_CMDLINE ?= console=ttyS0,115200 mitigations=off panic=-1

.PHONY: linux-guest linux-iso linux-run linux-bochs linux-package-check linux-cmdline-check
linux-guest: $(LINUX_B)/vmlinuz $(LINUX_B)/initramfs.cpio.gz $(LINUX_B)/cmdline
linux-iso: $(LINUX_B)/linux.iso

# apt-get download, and once more after `apt-get update` (as root) when the
# package lists are missing or stale. As root apt would otherwise warn that
# its _apt user cannot write to build/.
linux_fetch = mkdir -p $(LINUX_DEBS); \
	fetch() { (cd $(LINUX_DEBS) && apt-get download -q -o APT::Sandbox::User=$$(id -un) "$$1"); }; \
	fetch "$$pkg" || { \
		echo "linux: apt-get download $$pkg failed; running apt-get update"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && fetch "$$pkg"; \
	}

# The kernel package's name, rewritten only when it changes, so the kernel is
# fetched again only when the archive moves to a new kernel ABI. Offline, the
# one already fetched stays.
$(LINUX_B)/kernel-package: linux-package-check
	@:
linux-package-check:
	@mkdir -p $(LINUX_B); \
	pkg='$(LINUX_IMAGE_PKG)'; \
	[ -n "$$pkg" ] || pkg=$$(apt-cache depends linux-image-amd64 2>/dev/null | \
		awk '$$1 == "Depends:" && $$2 ~ /^linux-image-/ { print $$2; exit }'); \
	if [ -z "$$pkg" ]; then \
		if [ -s $(LINUX_B)/kernel-package ]; then exit 0; fi; \
		echo "linux: apt-cache cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 1; \
	fi; \
	[ "$$(cat $(LINUX_B)/kernel-package 2>/dev/null)" = "$$pkg" ] || echo "$$pkg" > $(LINUX_B)/kernel-package

# vmlinuz.version records which build of the kernel this is, for reports.
$(LINUX_B)/vmlinuz: $(LINUX_B)/kernel-package
	@pkg=$$(cat $<); rm -f $(LINUX_DEBS)/linux-image-*.deb; \
	echo "linux: fetching $$pkg"; \
	$(linux_fetch) || exit 1; \
	deb=$$(ls $(LINUX_DEBS)/$${pkg}_*.deb) && \
	dpkg-deb --fsys-tarfile "$$deb" | tar -xO ./boot/vmlinuz-$${pkg#linux-image-} > $@.tmp && \
	test -s $@.tmp && mv $@.tmp $@ && \
	echo "$$pkg $$(dpkg-deb -f "$$deb" Version)" > $@.version && \
	echo "linux: $@ is $$(cat $@.version)"

$(LINUX_B)/busybox:
	@pkg=busybox-static; rm -f $(LINUX_DEBS)/$${pkg}_*.deb; \
	$(linux_fetch) || exit 1; \
	dpkg-deb --fsys-tarfile $(LINUX_DEBS)/$${pkg}_*.deb | tar -xO ./bin/busybox > $@.tmp && \
	test -s $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

$(LINUX_B)/initramfs.cpio.gz: guest/linux/init guest/linux/mkinitramfs.py $(LINUX_B)/busybox
	$(PYTHON) guest/linux/mkinitramfs.py $(LINUX_B)/busybox guest/linux/init $@

# The ISO is rebuilt when LINUX_CMDLINE changes (same pattern as guest flags).
$(LINUX_B)/cmdline: linux-cmdline-check
	@:
linux-cmdline-check:
	@mkdir -p $(LINUX_B)
	@echo '$(LINUX_CMDLINE)' > $(LINUX_B)/cmdline.tmp
	@cmp -s $(LINUX_B)/cmdline.tmp $(LINUX_B)/cmdline || mv $(LINUX_B)/cmdline.tmp $(LINUX_B)/cmdline
	@rm -f $(LINUX_B)/cmdline.tmp

$(LINUX_B)/linux.iso: $(LINUX_B)/vmlinuz $(LINUX_B)/initramfs.cpio.gz $(LINUX_B)/cmdline tests/tools/mklinuxiso.sh
	tests/tools/mklinuxiso.sh $(LINUX_B)/vmlinuz $(LINUX_B)/initramfs.cpio.gz $@ $(LINUX_CMDLINE)

# Ctrl-A X quits; `poweroff -f` in the guest's shell ends QEMU too.
linux-run: linux-guest | deps
	qemu-system-x86_64 -m 256M -smp 2 -kernel $(LINUX_B)/vmlinuz \
		-initrd $(LINUX_B)/initramfs.cpio.gz -append '$(LINUX_CMDLINE)' \
		-nographic -no-reboot

linux-bochs: linux-guest | deps
	$(PYTHON) tests/tools/bochs_linux.py --cmdline '$(LINUX_CMDLINE)'
