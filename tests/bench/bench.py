#!/usr/bin/env python3
"""Benchmarks (`make bench`): deterministic costs, never wall-clock time.

Bochs runs with `clock: sync=none`, where the TSC counts executed
instructions, so "TSC ticks" below are instruction counts and repeat from
run to run. Prints one line per metric and writes build/bench.json.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))  # emu, bochs_linux
import emu  # noqa: E402


def image_sizes():
    out = subprocess.run(["size", emu.HV_ELF], capture_output=True, text=True, check=True).stdout
    text, data, bss = map(int, out.splitlines()[1].split()[:3])
    return {"hv.elf text bytes": text, "hv.elf data bytes": data, "hv.elf bss bytes": bss}


def bochs_boot(cpus):
    run = emu.run_bochs("done=exit", cpus=cpus)
    run.require(rf"smp: {cpus} of {cpus} CPUs online")
    m = run.require(r"hv: start-up took (\d+) TSC ticks since entry")
    return {
        f"bochs {cpus} cpus: ticks from reset to exit after 'hv: ready'": run.ticks,
        f"bochs {cpus} cpus: TSC ticks from hv entry to ready": int(m.group(1)),
    }


def exit_costs():
    """The bench guest's round trips, in instructions (Bochs sync=none)."""
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n'
           '[vm bench]\ncpus = [1]\nmemory = "16M"\nimage = "bench.elf"\n')
    run = emu.run_bochs("", cpus=2, config=cfg, modules=[emu.guest("bench.elf")], timeout=600)
    run.require(r"vm bench: exited code=0")
    out = {}
    for m in re.finditer(r"\[bench\] bench (\w+) (-?\d+)$", run.output, re.M):  # skipped lines drop out
        out[m.group(1)] = int(m.group(2))
    return out


LINUX = os.path.join(emu.BUILD, "linux")


def linux_boot():
    """Debian's kernel + the busybox initramfs to `hvdemo: init ready`,
    (a) natively in Bochs (GRUB boots the bzImage) and (b) under the
    hypervisor in Bochs, 2 CPUs each; `hvdemo.poweroff` makes init power off
    right after the marker, so Bochs stops there. Both totals include the
    BIOS and GRUB; (b) also the hypervisor's start-up."""
    import bochs_linux
    with open(os.path.join(LINUX, "cmdline")) as f:
        cmdline = f.read().strip() + " hvdemo.poweroff"
    kernel, initrd = os.path.join(LINUX, "vmlinuz"), os.path.join(LINUX, "initramfs.cpio.gz")
    iso = os.path.join(emu.BUILD, "linux", "bench-native.iso")
    bochs_linux.make_iso(kernel, initrd, cmdline, iso)
    text, _, _, _, timed_out, native, _ = bochs_linux.run(iso, 2, 512, "corei7_skylake_x", 1800, False)
    if timed_out or bochs_linux.MARKER not in text:
        raise SystemExit("bench: native Linux boot in Bochs did not reach the marker")
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n[vm linux]\ncpus = [0, 1]\nmemory = "128M"\n'
           'image = "vmlinuz"\nentry = "linux"\ninitrd = "initramfs.cpio.gz"\n'
           f'cmdline = "{cmdline}"\n')
    run = emu.run_bochs("", cpus=2, megs=512, config=cfg, timeout=1800,
                        modules=[(kernel, "vmlinuz"), (initrd, "initramfs.cpio.gz")])
    run.require(r"\[linux\] hvdemo: init ready")
    stats = run.require(r"vm linux: stats (.*)$").group(1)
    out = {"linux boot native (Bochs ticks to the marker)": native,
           "linux boot under the hypervisor (Bochs ticks to the marker)": run.ticks,
           "linux boot ratio hypervisor/native (x1000)": run.ticks * 1000 // native}
    for k, v in re.findall(r"(\w+)=(\d+)", stats):
        out[f"linux boot exits: {k}"] = int(v)
    return out


def main():
    results = {}
    results.update(image_sizes())
    for cpus in (1, 2, 4):
        results.update(bochs_boot(cpus))
    if "--no-linux" not in sys.argv:
        results.update(linux_boot())
    costs = exit_costs()
    for name, ticks in costs.items():
        print(f"bench {name} {ticks}")
    results.update({f"exit round trip: {k}": v for k, v in costs.items()})
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v}")
    with open(os.path.join(emu.BUILD, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
