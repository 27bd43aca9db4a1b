#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_acpi to tests/fuzz/corpus/acpi/.

Each seed is a fake physical memory image in fuzz_acpi.c's layout: the RSDP at
offset 0, tables after it, pointers being offsets into the image. Seeds are a
synthesized ACPI 6 system, a synthesized ACPI 1.0 system, the captured QEMU
and Bochs tables from tests/data/acpi/ relocated into an image, and bare
MADT/FADT bytes for the direct table parsers.

    python3 tests/fuzz/gen_acpi_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "acpi")
DATA = os.path.join(HERE, "..", "data", "acpi")


def checksum_fix(b, at, length=None):
    length = len(b) if length is None else length
    b[at] = 0
    b[at] = (0x100 - sum(b[:length])) & 0xFF


def table(sig, body, rev=1):
    b = bytearray(sig.encode() + struct.pack("<IBB", 36 + len(body), rev, 0)
                  + b"HVFUZZ" + b"FUZZTBL " + struct.pack("<I", 1) + b"HVFZ"
                  + struct.pack("<I", 1)) + bytearray(body)
    checksum_fix(b, 9)
    return b


def rsdp(rev, rsdt, xsdt):
    b = bytearray(b"RSD PTR " + b"\0" + b"HVFUZZ" + bytes([rev]) + struct.pack("<I", rsdt))
    checksum_fix(b, 8)
    if rev >= 2:
        b += struct.pack("<IQB3x", 36, xsdt, 0)
        checksum_fix(b, 32, 36)
    return b


def madt():
    e = struct.pack("<II", 0xFEE00000, 1)
    e += struct.pack("<BBBBI", 0, 8, 0, 0, 1)
    e += struct.pack("<BBBBI", 0, 8, 1, 1, 0)
    e += struct.pack("<BBHIII", 9, 16, 0, 0x100, 1, 0x100)
    e += struct.pack("<BBBBII", 1, 12, 2, 0, 0xFEC00000, 0)
    e += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    e += struct.pack("<BBBBIH", 2, 10, 0, 9, 9, 0xD)
    e += struct.pack("<BBBHB", 4, 6, 0xFF, 0, 1)
    e += struct.pack("<BBHII", 0xA, 12, 0, 0xFFFFFFFF, 1)
    e += struct.pack("<BBHQ", 5, 12, 0, 0xFEE00000)
    e += struct.pack("<BB2x", 0x7F, 4)  # unknown type, skipped
    return table("APIC", e, 5)


def gas(space, bits, access, addr):
    return struct.pack("<BBBBQ", space, bits, 0, access, addr)


def fadt(length):
    b = bytearray(length - 36)

    def put(off, fmt, *v):
        struct.pack_into(fmt, b, off - 36, *v)
    put(40, "<I", 0x400)                # DSDT
    put(46, "<H", 9)                    # SCI_INT
    put(48, "<IBB", 0xB2, 0xF1, 0xF0)   # SMI_CMD, ACPI_ENABLE, ACPI_DISABLE
    put(56, "<I", 0x600)                # PM1a_EVT_BLK
    put(64, "<I", 0x604)                # PM1a_CNT_BLK
    put(76, "<I", 0x608)                # PM_TMR_BLK
    put(91, "<B", 4)                    # PM_TMR_LEN
    put(112, "<I", (1 << 8) | (1 << 10))
    if length >= 129:
        b[116 - 36:128 - 36] = gas(1, 8, 1, 0xCF9)
        put(128, "<B", 6)
    if length >= 220:
        put(140, "<Q", 0x400)
        b[172 - 36:184 - 36] = gas(1, 16, 2, 0x604)
        b[208 - 36:220 - 36] = gas(1, 32, 3, 0x608)
    return table("FACP", bytes(b), 6 if length >= 276 else 1)


def image(rsdp_rev, tables):
    """RSDP at 0, XSDT at 0x40 (revision 2) and RSDT at 0x80, tables from 0x100."""
    addrs, blob, at = [], bytearray(), 0x100
    for t in tables:
        addrs.append(at + len(blob))
        blob += t + bytes(-len(t) % 16)
    xsdt = table("XSDT", b"".join(struct.pack("<Q", a) for a in addrs))
    rsdt = table("RSDT", b"".join(struct.pack("<I", a) for a in addrs))
    img = bytearray(at) + blob
    img[0:36] = rsdp(rsdp_rev, 0x80, 0x40 if rsdp_rev >= 2 else 0).ljust(36, b"\0")
    if rsdp_rev >= 2:
        assert len(xsdt) <= 0x40
        img[0x40:0x40 + len(xsdt)] = xsdt
    assert len(rsdt) <= 0x80
    img[0x80:0x80 + len(rsdt)] = rsdt
    return bytes(img)


def captured(platform):
    d = os.path.join(DATA, platform)
    tables = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".bin") and name[:4] not in ("RSDP", "RSDT", "XSDT", "DSDT", "FACS"):
            with open(os.path.join(d, name), "rb") as f:
                tables.append(f.read())
    return image(0, tables)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "acpi6-xsdt.bin": image(2, [fadt(276), madt(), table("HPET", bytes(20))]),
        "acpi1-rsdt.bin": image(0, [madt(), fadt(116)]),
        "acpi2-fadt244.bin": image(2, [fadt(244), madt()]),
        "madt.bin": bytes(madt()),
        "fadt276.bin": bytes(fadt(276)),
    }
    if os.path.isdir(DATA):
        for platform in sorted(os.listdir(DATA)):
            if os.path.isfile(os.path.join(DATA, platform, "APIC.bin")):
                seeds["captured-%s.bin" % platform] = captured(platform)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
