#!/usr/bin/python3
"""Boot the demo Linux guest natively in Bochs (no hypervisor) and time it.

    bochs_linux.py [--iso ISO | --kernel K --initrd I --cmdline C] [--cpus 2] [--megs 256]

The baseline for "Linux natively vs. under the hypervisor": the same Bochs
configuration as the tests (tests/tools/bochsrc.in: clock sync=none, so the
tick count is the number of instructions executed), booting a GRUB ISO that
starts build/linux/vmlinuz directly (tests/tools/mklinuxiso.sh). Unless
--iso is given, the ISO is built with the command line plus
`hvdemo.poweroff`, which makes /init power off right after printing
`hvdemo: init ready`: Bochs then stops at that point and prints CPU 0's tick
count (one tick per instruction slot; halted time counts too). Reports whether the marker came, the wall time to it (and to a few
boot milestones) and the tick count.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(TOOLS, "..", ".."))
LINUX_B = os.path.join(ROOT, "build", "linux")
MARKER = "hvdemo: init ready"

# Console lines whose first appearance is timed. Nothing comes before
# "Linux version": firmware, GRUB and the bzImage's decompressor (Debian's
# kernel prints nothing there) are silent on COM1.
MILESTONES = ["Linux version", "smp: Brought up", "Run /init", MARKER]


def default_cmdline():
    """LINUX_CMDLINE from guest/linux/linux.mk, so there is one copy."""
    with open(os.path.join(ROOT, "guest", "linux", "linux.mk")) as f:
        m = re.search(r"^LINUX_CMDLINE\s*\??=\s*(.*)$", f.read(), re.M)
    return m.group(1).strip() if m else "console=ttyS0,115200"


def make_iso(kernel, initrd, cmdline, out):
    subprocess.run([os.path.join(TOOLS, "mklinuxiso.sh"), kernel, initrd, out] + cmdline.split(),
                   check=True)


def bochsrc(iso, serial, log, cpus, megs, model):
    with open(os.path.join(TOOLS, "bochsrc.in")) as f:
        rc = f.read()
    for k, v in {"@MEGS@": str(megs), "@CPU_MODEL@": model, "@CPUS@": str(cpus),
                 "@ISO@": iso, "@SERIAL@": serial, "@LOG@": log}.items():
        rc = rc.replace(k, v)
    return rc


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    except FileNotFoundError:
        return ""


def run(iso, cpus, megs, model, timeout, keep):
    d = tempfile.mkdtemp(prefix="bochs-linux-")
    serial = os.path.join(d, "serial.txt")
    with open(os.path.join(d, "bochsrc"), "w") as f:
        f.write(bochsrc(os.path.abspath(iso), serial, os.path.join(d, "bochs.log"),
                        cpus, megs, model))
    with open(os.path.join(d, "cmds"), "w") as f:
        f.write("c\n")  # the debugger stops at the first instruction
    out_path = os.path.join(d, "bochs.out")
    seen = {}
    start = time.monotonic()
    with open(out_path, "wb") as out:
        p = subprocess.Popen(["bochs", "-q", "-f", "bochsrc", "-rc", "cmds"], cwd=d,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        timed_out = False
        while p.poll() is None:
            now = time.monotonic() - start
            text = read_text(serial)
            for m in MILESTONES:
                if m not in seen and m in text:
                    seen[m] = now
                    print(f"  {now:8.1f} s  {m}", flush=True)
            if now > timeout:
                timed_out = True
                p.kill()
                p.wait()
                break
            time.sleep(0.2)
    total = time.monotonic() - start
    text = read_text(serial)
    for m in MILESTONES:  # lines that came in the last poll interval
        if m not in seen and m in text:
            seen[m] = total
    emu = read_text(out_path)
    # "(0).[269735005] [0x...]": CPU 0's tick count where Bochs stopped (as emu.py)
    m = re.search(r"^\(0\)\.\[(\d+)\]", emu, re.M)
    ticks = int(m.group(1)) if m else 0
    if not keep:
        for name in os.listdir(d):
            os.remove(os.path.join(d, name))
        os.rmdir(d)
    return text, emu, seen, total, timed_out, ticks, d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iso", help="boot this ISO as it is (no hvdemo.poweroff added)")
    ap.add_argument("--kernel", default=os.path.join(LINUX_B, "vmlinuz"))
    ap.add_argument("--initrd", default=os.path.join(LINUX_B, "initramfs.cpio.gz"))
    ap.add_argument("--cmdline", default=None, help="default: LINUX_CMDLINE of linux.mk")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--megs", type=int, default=256)
    ap.add_argument("--model", default="corei7_skylake_x")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds (wall)")
    ap.add_argument("--keep", action="store_true", help="keep the run directory (logs)")
    ap.add_argument("--console", action="store_true", help="print the whole serial console")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        iso = a.iso
        if not iso:
            cmdline = (a.cmdline if a.cmdline is not None else default_cmdline()) + " hvdemo.poweroff"
            iso = os.path.join(tmp, "linux.iso")
            make_iso(a.kernel, a.initrd, cmdline, iso)
            print(f"bochs_linux: {a.cpus} CPUs, {a.megs} MiB, {a.model}, cmdline: {cmdline}")
        text, emu, seen, total, timed_out, ticks, d = run(iso, a.cpus, a.megs, a.model,
                                                           a.timeout, a.keep)
    if a.console:
        print(text)
    ok = MARKER in seen
    print(f"bochs_linux: marker {'reached' if ok else 'NOT reached'}"
          + (f" after {seen[MARKER]:.1f} s wall" if ok else "")
          + f"; Bochs ran {total:.1f} s" + (" (timed out, killed)" if timed_out else ""))
    if ticks:
        print(f"bochs_linux: Bochs ticks at stop (CPU 0, as emu.py's Run.ticks): {ticks}")
    for pat in (r"^.*Linux version.*$", r"^.*smp: Brought up.*$"):
        m = re.search(pat, text, re.M)
        if m:
            print("  " + m.group(0).strip())
    if not ok:
        print("bochs_linux: last console lines:\n  " + "\n  ".join(text.splitlines()[-15:]))
        print("bochs_linux: last Bochs lines:\n  " + "\n  ".join(emu.splitlines()[-10:]))
    if a.keep:
        print(f"bochs_linux: logs in {d}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
