#!/usr/bin/python3
"""mkinitramfs.py BUSYBOX INIT OUT.cpio.gz

Writes the demo Linux guest's initramfs (guest/linux/README.md): a gzip'd
"newc" cpio archive holding a static busybox, its applet links, /init and
the few device nodes the kernel needs before devtmpfs is mounted.

The archive is written here rather than by cpio(1) so that the device nodes
need no root (mknod) and no fakeroot, and so that the output is the same
bytes for the same inputs: every entry is owned by root with mtime 0, and the
gzip header carries no name and no time.
"""
import gzip
import os
import stat
import sys

# Applets linked in /bin. Debian's static busybox runs any applet from its
# shell without a link; these make the usual names work elsewhere too
# (exec, ls /bin, scripts run by other programs).
APPLETS = """
    [ [[ ash cat chmod cp cttyhack date dd df dmesg echo env false free grep
    halt head hexdump ip kill ln ls mkdir mknod more mount mv nproc poweroff
    ps pwd readlink reboot rm rmdir sed seq setsid sh sleep stty sync tail tee
    test time top touch tr true umount uname uptime vi watch wc which
""".split()

DIRS = [("bin", 0o755), ("dev", 0o755), ("proc", 0o555), ("sys", 0o555),
        ("root", 0o700), ("tmp", 0o1777), ("etc", 0o755)]

# Character devices the kernel opens before /init mounts devtmpfs on /dev:
# /dev/console becomes init's stdin/stdout/stderr (Documentation/admin-guide/
# devices.txt: console 5:1, ttyS0 4:64, null 1:3).
DEVICES = [("dev/console", 5, 1, 0o600), ("dev/ttyS0", 4, 64, 0o660),
           ("dev/null", 1, 3, 0o666)]

NEWC_MAGIC = b"070701"


class Newc:
    """A writer for the SVR4 "new ASCII" cpio format the kernel unpacks."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 0

    @staticmethod
    def _pad4(n):
        return (4 - n % 4) % 4

    def entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0,  # ino, mode, uid, gid
                  2 if stat.S_ISDIR(mode) else 1,  # nlink
                  0, len(data),  # mtime, filesize
                  0, 0, rdev[0], rdev[1],  # dev major/minor, rdev major/minor
                  len(name_b), 0]  # namesize, check
        hdr = NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)
        self.out += hdr + name_b + b"\0" * self._pad4(len(hdr) + len(name_b))
        self.out += data + b"\0" * self._pad4(len(data))

    def trailer(self):
        self.ino = -1  # the trailer's inode number is 0
        self.entry("TRAILER!!!", 0)


def build(busybox, init):
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(init, "rb") as f:
        init_data = f.read()
    if not init_data.startswith(b"#!"):
        raise SystemExit(f"mkinitramfs: {init} has no #! line; the kernel could not run it")
    c = Newc()
    for name, perm in DIRS:
        c.entry(name, stat.S_IFDIR | perm)
    for name, major, minor, perm in DEVICES:
        c.entry(name, stat.S_IFCHR | perm, rdev=(major, minor))
    c.entry("bin/busybox", stat.S_IFREG | 0o755, bb)
    for applet in sorted(set(APPLETS)):
        c.entry("bin/" + applet, stat.S_IFLNK | 0o777, b"busybox")
    c.entry("init", stat.S_IFREG | 0o755, init_data)
    c.trailer()
    return bytes(c.out)


def main(argv):
    if len(argv) != 4:
        raise SystemExit("usage: mkinitramfs.py BUSYBOX INIT OUT.cpio.gz")
    busybox, init, out = argv[1:]
    archive = build(busybox, init)
    tmp = out + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(archive)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
