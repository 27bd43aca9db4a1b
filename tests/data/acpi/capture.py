#!/usr/bin/env python3
"""Captures the ACPI tables a virtual platform's firmware builds, into
tests/data/acpi/<platform>/ as RSDP.bin and <SIG>.bin (a second table with
the same signature becomes <SIG>2.bin, and so on).

    python3 tests/data/acpi/capture.py qemu-pc|qemu-q35|bochs [OUTDIR]

The firmware runs until it has built its tables (QEMU: a few seconds of
SeaBIOS; Bochs: until the boot sector at 0x7c00), guest RAM is dumped, and
the tables are followed from the RSDP exactly as firmware laid them out.
expect.txt is NOT written: it holds what the platform is known to have
(CPUs given on the command line, chipset PM base ...), written by hand, so
the parser is checked against facts rather than against itself.
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

MEM = 128 << 20


def dump_qemu(machine, path):
    cmd = ["qemu-system-x86_64", "-M", machine, "-m", "128M", "-smp", "2",
           "-display", "none", "-nodefaults", "-monitor", "stdio"]
    q = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, text=True)
    time.sleep(4)  # SeaBIOS builds the tables in well under a second
    q.stdin.write('pmemsave 0 %d "%s"\n' % (MEM, path))
    q.stdin.flush()
    for _ in range(100):
        if os.path.exists(path) and os.path.getsize(path) == MEM:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    q.stdin.write("quit\n")
    q.stdin.flush()
    q.wait(timeout=30)


def dump_bochs(path, tmp):
    floppy = os.path.join(tmp, "floppy.img")
    img = bytearray(1474560)
    img[0:3] = b"\xf4\xeb\xfd"  # hlt; jmp $-1
    img[510:512] = b"\x55\xaa"
    with open(floppy, "wb") as f:
        f.write(img)
    rc = os.path.join(tmp, "bochsrc")
    with open(rc, "w") as f:
        f.write(f"""megs: {MEM >> 20}
cpu: model=corei7_skylake_x, count=2
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
floppya: 1_44={floppy}, status=inserted
boot: floppy
display_library: rfb, options="timeout=0"
log: {tmp}/bochs.log
clock: sync=none
sound: driver=dummy
speaker: enabled=1, mode=dummy
""")
    # Without the dummy sound driver Bochs 2.7 aborts at start-up on a
    # machine with no sound card.
    cmds = os.path.join(tmp, "cmds")
    with open(cmds, "w") as f:
        f.write(f'lbreak 0x7c00\nc\nwritemem "{path}" 0 {MEM}\nquit\n')
    subprocess.run(["bochs", "-q", "-f", rc, "-rc", cmds], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)


def find_rsdp(mem):
    seg = struct.unpack_from("<H", mem, 0x40E)[0]
    areas = [(seg << 4, 1024)] if seg else []
    areas.append((0xE0000, 0x20000))
    for base, size in areas:
        for a in range(base, base + size, 16):
            if mem[a:a + 8] == b"RSD PTR " and sum(mem[a:a + 20]) & 0xFF == 0:
                return a
    raise SystemExit("no RSDP found")


def extract(mem, out):
    os.makedirs(out, exist_ok=True)
    seen, names = set(), {}

    def save(addr, length, sig=None):
        sig = sig or mem[addr:addr + 4].decode("ascii", "replace")
        names[sig] = names.get(sig, 0) + 1
        name = sig + ("" if names[sig] == 1 else str(names[sig])) + ".bin"
        with open(os.path.join(out, name), "wb") as f:
            f.write(mem[addr:addr + length])
        print(f"{addr:#010x} {name} {length}")

    def table(addr):
        if not addr or addr in seen or addr + 8 > len(mem):
            return None
        seen.add(addr)
        length = struct.unpack_from("<I", mem, addr + 4)[0]
        save(addr, length)
        return mem[addr:addr + length]

    rsdp = find_rsdp(mem)
    rev = mem[rsdp + 15]
    save(rsdp, struct.unpack_from("<I", mem, rsdp + 20)[0] if rev >= 2 else 20, "RSDP")
    roots = [(struct.unpack_from("<I", mem, rsdp + 16)[0], "<I", 4)]
    if rev >= 2:
        roots.append((struct.unpack_from("<Q", mem, rsdp + 24)[0], "<Q", 8))
    for addr, fmt, size in roots:
        root = table(addr)
        if root is None:
            continue
        for off in range(36, len(root) - size + 1, size):
            t = table(struct.unpack_from(fmt, root, off)[0])
            if t is not None and t[:4] == b"FACP":
                dsdt = struct.unpack_from("<I", t, 40)[0]
                if len(t) >= 148:
                    dsdt = struct.unpack_from("<Q", t, 140)[0] or dsdt
                table(dsdt)
                table(struct.unpack_from("<I", t, 36)[0])  # FACS


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("qemu-pc", "qemu-q35", "bochs"):
        raise SystemExit(__doc__)
    platform = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(here, platform)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mem.bin")
        if platform == "bochs":
            dump_bochs(path, tmp)
        else:
            dump_qemu(platform[len("qemu-"):], path)
        with open(path, "rb") as f:
            extract(f.read(), out)


if __name__ == "__main__":
    main()
