#!/bin/sh
# mkiso.sh ELF OUT.ISO [CMDLINE...]: a GRUB rescue ISO that boots ELF through
# multiboot2 with CMDLINE (used by tests to boot with selftest, smp=, ...).
set -eu
elf=$1 out=$2
shift 2
cmdline=$*
dir=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$dir" "$log"' EXIT
mkdir -p "$dir/boot/grub"
cp "$elf" "$dir/boot/hv.elf"
here=$(dirname "$0")
sed "s|@CMDLINE@|$cmdline|" "$here/grub.cfg.in" > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
