#!/usr/bin/env python3
"""Checks the layout hv.elf must have to boot through every loader:
- the multiboot1 header within the first 8 KiB (4-byte aligned) and the
  multiboot2 header within the first 32 KiB (8-byte aligned) of the file;
- loadable segments laid out linearly (file offset - address constant),
  because QEMU's multiboot1 loader copies the file as one flat image;
- no segment both writable and executable (W^X).
"""
import struct
import sys

MB1 = 0x1BADB002
MB2 = 0xE85250D6


def fail(msg):
    print(f"check_elf: {sys.argv[1]}: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    data = open(sys.argv[1], "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        fail("not an ELF64 file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    deltas = set()
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _ = \
            struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type != 1:
            continue
        if p_flags & 2 and p_flags & 1:
            fail(f"segment {i} at {p_vaddr:#x} is writable and executable")
        if p_vaddr != p_paddr:
            fail(f"segment {i}: vaddr {p_vaddr:#x} != paddr {p_paddr:#x}")
        if p_filesz:
            deltas.add(p_offset - p_vaddr)
    if len(deltas) != 1:
        fail(f"loadable segments are not laid out linearly: {sorted(deltas)}")
    mb1 = [o for o in range(0, min(len(data), 8192), 4)
           if struct.unpack_from("<I", data, o)[0] == MB1]
    if not mb1:
        fail("no multiboot1 header in the first 8 KiB")
    m, f, c = struct.unpack_from("<III", data, mb1[0])
    if (m + f + c) & 0xFFFFFFFF:
        fail("multiboot1 header checksum is wrong")
    mb2 = [o for o in range(0, min(len(data), 32768), 8)
           if struct.unpack_from("<I", data, o)[0] == MB2]
    if not mb2:
        fail("no multiboot2 header in the first 32 KiB")


main()
