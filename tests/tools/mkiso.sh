#!/bin/sh
# mkiso.sh ELF OUT.ISO [-m PATH=NAME]... [CMDLINE...]
# A GRUB rescue ISO that boots ELF through multiboot2 with CMDLINE and the
# given files as multiboot modules named NAME (hv.cfg, guest images...).
set -eu
elf=$1 out=$2
shift 2
dir=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$dir" "$log"' EXIT
mkdir -p "$dir/boot/grub" "$dir/boot/modules"
modules=""
while [ $# -gt 0 ] && [ "$1" = "-m" ]; do
	path=${2%%=*} name=${2#*=}
	cp "$path" "$dir/boot/modules/$name"
	modules="$modules	module2 /boot/modules/$name $name\\n"
	shift 2
done
cmdline=$*
cp "$elf" "$dir/boot/hv.elf"
here=$(dirname "$0")
sed -e "s|@CMDLINE@|$cmdline|" -e "s|^@MODULES@\$|$modules|" "$here/grub.cfg.in" > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
