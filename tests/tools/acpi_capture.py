#!/usr/bin/env python3
"""Turn the `acpidump` console lines of a boot into table files.

    acpi_capture.py CONSOLE_LOG OUT_DIR

writes OUT_DIR/<SIG>.bin for every table (RSDP.bin holds the RSDP bytes);
a second table with the same signature gets a numeric suffix (SSDT-1.bin).
Used to capture real tables from QEMU, Bochs or a real machine for the ACPI
parser's unit tests (tests/data/acpi/<platform>/).
"""
import os
import re
import sys

HDR = re.compile(r"acpidump: table (\S{4}) at 0x([0-9a-f]+) length (\d+)")
ROW = re.compile(r"acpidump: (\S{4}) ([0-9a-f]{4}): ([0-9a-f]+)")


def parse(text):
    tables, cur = [], None
    for line in text.splitlines():
        m = HDR.search(line)
        if m:
            cur = [m.group(1), int(m.group(3)), bytearray()]
            tables.append(cur)
            continue
        m = ROW.search(line)
        if m and cur and m.group(1) == cur[0]:
            if int(m.group(2), 16) != len(cur[2]):
                raise SystemExit(f"acpi_capture: {cur[0]}: missing bytes before offset {m.group(2)}")
            cur[2] += bytes.fromhex(m.group(3))
    for sig, length, data in tables:
        if len(data) != length:
            raise SystemExit(f"acpi_capture: {sig}: {len(data)} bytes captured, header says {length}")
    return tables


def main():
    text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seen = {}
    for sig, _, data in parse(text):
        n = seen.get(sig, 0)
        seen[sig] = n + 1
        name = sig if n == 0 else f"{sig}-{n}"
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
        print(f"{name}.bin {len(data)} bytes")


if __name__ == "__main__":
    main()
