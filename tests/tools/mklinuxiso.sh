#!/bin/sh
# mklinuxiso.sh KERNEL INITRD OUT.ISO [CMDLINE...]
# A GRUB rescue ISO that boots a Linux bzImage directly (GRUB's `linux` and
# `initrd` commands, no hypervisor) with CMDLINE: the native side of the
# "Linux natively vs. under the hypervisor" comparison (guest/linux/).
# CMDLINE goes into grub.cfg as it is: GRUB expands `$` and quotes there.
set -eu
if [ $# -lt 3 ]; then
	echo "usage: mklinuxiso.sh KERNEL INITRD OUT.ISO [CMDLINE...]" >&2
	exit 2
fi
kernel=$1 initrd=$2 out=$3
shift 3
dir=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$dir" "$log"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/vmlinuz"
cp "$initrd" "$dir/boot/initrd.img"
cat > "$dir/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
menuentry "linux" {
	linux /boot/vmlinuz $*
	initrd /boot/initrd.img
}
EOF
grub-mkrescue -o "$out" "$dir" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
