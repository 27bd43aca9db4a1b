"""The stock Debian kernel with a busybox initramfs (guest/linux) under the
hypervisor in Bochs: 2 vCPUs on 2 CPUs, a shell driven through the serial
line, and ACPI S5 power-off. `make linux-guest` builds build/linux/ first."""
import os
import re

import pytest

from emu import BUILD, have, run_bochs_interactive

LINUX = os.path.join(BUILD, "linux")
LINE = r"^\[[^]]*\] \[linux\]"  # "[  seconds cpuN] [linux]": a line from the guest's COM1
bochs = pytest.mark.skipif(not have("bochs"), reason="bochs not installed")


def linux_file(name):
    path = os.path.join(LINUX, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make linux-guest` first")
    return path


def linux_config(cpus="0, 1", memory="128M"):
    with open(linux_file("cmdline")) as f:
        cmdline = f.read().strip()
    return ('[hypervisor]\non_all_stopped = "poweroff"\n'
            f'[vm linux]\ncpus = [{cpus}]\nmemory = "{memory}"\nimage = "vmlinuz"\nentry = "linux"\n'
            f'initrd = "initramfs.cpio.gz"\ncmdline = "{cmdline}"\n')


def interrupt_counts(output, name):
    """Per-CPU counts of the /proc/interrupts line ending in `name`."""
    m = re.search(rf"{LINE}\s*\S+:\s+(\d+)\s+(\d+)\s.*{name}\s*$", output, re.M)
    assert m, f"no '{name}' line in /proc/interrupts:\n{output}"
    return int(m.group(1)), int(m.group(2))


@bochs
def test_stock_linux_boots_on_two_vcpus_runs_a_shell_and_powers_off():
    # Typed once Linux has moved its clocksource to the TSC (and its timers
    # to high-resolution TSC-deadline mode), about 1.15 s of guest time in:
    # the shell then has to keep working on the guest's final timer set-up.
    script = [
        (r"\[linux\] hvdemo# ", "echo typed-at-the-prompt\r"),
        (r"clocksource: Switched to clocksource tsc$", "cat /proc/interrupts; cat /proc/cpuinfo; poweroff -f\r"),
    ]
    run = run_bochs_interactive(script, config=linux_config(), megs=512, timeout=1200,
                                modules=[(linux_file("vmlinuz"), "vmlinuz"),
                                         (linux_file("initramfs.cpio.gz"), "initramfs.cpio.gz")])
    out = run.output
    assert not run.timed_out, out[-5000:]
    run.require(r"vm linux: started on cpu0,1$")
    run.require(r"\[linux\] .*Linux version \d")
    run.require(r"\[linux\] .*smp: Brought up 1 node, 2 CPUs")
    run.require(r"\[linux\] hvdemo: init ready")
    run.require(LINE + r" typed-at-the-prompt$")
    # the local timer ticks on both CPUs; the UART's interrupt (IRQ 4) was taken
    loc = re.search(LINE + r"\s*LOC:\s+(\d+)\s+(\d+)", out, re.M)
    assert loc and int(loc.group(1)) > 0 and int(loc.group(2)) > 0, out
    serial = interrupt_counts(out, "ttyS0")
    assert sum(serial) > 0, serial
    # two processors, each flagged as running under a hypervisor
    assert len(re.findall(LINE + r" processor\s+: [01]$", out, re.M)) == 2, out
    # the flags line is long enough to be split on the console: count the
    # flag in the /proc/cpuinfo part of the output
    cpuinfo = out[re.search(LINE + r" processor\s+: 0$", out, re.M).start():]
    assert len(re.findall(LINE + r" flags\s+:", cpuinfo, re.M)) == 2, cpuinfo
    assert len(re.findall(r" hypervisor ", cpuinfo)) == 2, cpuinfo
    run.require(r"vm linux: powered off by the guest \(ACPI S5\)")
    run.require(r"hv: powering off")
