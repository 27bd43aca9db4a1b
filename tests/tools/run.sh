#!/bin/sh
# run.sh ISO: boot the hypervisor where VMX exists, serial console here.
# QEMU with KVM when this host offers VMX to its own guests (an Intel CPU
# with nested virtualization), otherwise Bochs, whose CPU model has VMX.
set -eu
iso=$1
here=$(dirname "$0")
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
	echo "run: QEMU with KVM (this CPU has VMX and /dev/kvm is usable); Ctrl-A X quits"
	exec qemu-system-x86_64 -enable-kvm -cpu host,+vmx -smp 3 -m 1G -cdrom "$iso" \
		-display none -serial mon:stdio -no-reboot
fi
why="no /dev/kvm"
[ -e /dev/kvm ] && why="this CPU offers no VMX to guests"
echo "run: Bochs ($why; Bochs emulates a VMX CPU, slowly); Ctrl-C quits"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e "s|@MEGS@|512|; s|@CPU_MODEL@|corei7_skylake_x|; s|@CPUS@|3|" \
    -e "s|@ISO@|$(realpath "$iso")|; s|@SERIAL@|/dev/stdout|; s|@LOG@|$dir/bochs.log|" \
    "$here/bochsrc.in" > "$dir/bochsrc"
# On a terminal, COM1 is the terminal itself (Bochs' "term" mode) so what
# you type reaches the hypervisor's console; otherwise output only.
if tty=$(tty 2>/dev/null); then
	sed -i "s|^com1:.*|com1: enabled=1, mode=term, dev=$tty|" "$dir/bochsrc"
fi
echo c > "$dir/cmds"
cd "$dir" && exec bochs -q -f bochsrc -rc cmds 2>/dev/null
