"""Boot the hypervisor in QEMU (TCG) or Bochs and capture its serial console.

Shared by the integration tests (tests/integration) and the benchmarks
(tests/bench). Every run is bounded by a timeout; the hypervisor is booted
with `done=exit` so the emulator ends as soon as `hv: ready` (or a fatal
error) is printed.
"""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
HV_ELF = os.path.join(BUILD, "hv.elf")
ISO_CACHE = os.path.join(BUILD, "test-isos")
TOOLS = os.path.dirname(os.path.abspath(__file__))

# QEMU's isa-debug-exit reports (code << 1) | 1; codes from hv/shutdown.h.
EXIT_OK, EXIT_FAILED, EXIT_FATAL, EXIT_PANIC = 0x10, 0x11, 0x12, 0x13


def qemu_status(code):
    return (code << 1) | 1


@dataclass
class Run:
    output: str
    returncode: int
    timed_out: bool
    seconds: float
    ticks: int = 0  # Bochs: instruction count at shutdown

    def lines(self):
        return self.output.splitlines()

    def search(self, pattern):
        return re.search(pattern, self.output, re.M)

    def search_all(self, pattern):
        return re.findall(pattern, self.output, re.M)

    def require(self, pattern):
        m = self.search(pattern)
        assert m, f"no line matching {pattern!r} in console output:\n{self.output}"
        return m


GUEST_DIR = os.path.join(BUILD, "guest")


def guest(name):
    """A built guest image and the module name it is given."""
    return (os.path.join(GUEST_DIR, name), name)


def iso_for(cmdline, elf=HV_ELF, modules=(), config=None):
    """A GRUB ISO booting `elf` with `cmdline`, the given (path, name)
    modules and, if `config` is given, that text as the hv.cfg module;
    cached by content."""
    os.makedirs(ISO_CACHE, exist_ok=True)
    modules = list(modules)
    if config is not None:
        cfg = os.path.join(ISO_CACHE, hashlib.sha256(config.encode()).hexdigest()[:16] + ".cfg")
        with open(cfg, "w") as f:
            f.write(config)
        modules.append((cfg, "hv.cfg"))
    h = hashlib.sha256()
    for path in [elf, os.path.join(TOOLS, "grub.cfg.in"), os.path.join(TOOLS, "mkiso.sh")] + \
            [p for p, _ in modules]:
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(repr((cmdline, [n for _, n in modules])).encode())
    iso = os.path.join(ISO_CACHE, h.hexdigest()[:16] + ".iso")
    if not os.path.exists(iso):
        tmp = iso + ".tmp"
        args = [os.path.join(TOOLS, "mkiso.sh"), elf, tmp]
        for path, name in modules:
            args += ["-m", f"{path}={name}"]
        subprocess.run(args + [cmdline], check=True)
        os.replace(tmp, iso)
    return iso


OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"


def run_qemu(cmdline="done=exit", smp=1, mem="256M", cpu=None, kernel=False,
             extra=(), timeout=60, machine="pc", uefi=False, com2=False, modules=(),
             config=None):
    """Boots in QEMU TCG from the ISO (or with -kernel for multiboot1);
    uefi=True boots the ISO's UEFI image through OVMF; com2=True captures COM2
    instead of COM1."""
    serial = ["-serial", "null", "-serial", "stdio"] if com2 else ["-serial", "stdio"]
    args = ["qemu-system-x86_64", "-machine", f"{machine},accel=tcg", "-m", mem, "-smp", str(smp),
            "-display", "none", *serial, "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if cpu:
        args += ["-cpu", cpu]
    if kernel:
        args += ["-kernel", HV_ELF, "-append", cmdline]
    else:
        args += ["-cdrom", iso_for(cmdline, modules=modules, config=config)]
    args += list(extra)
    if not uefi:
        return _run(args, timeout)
    with tempfile.TemporaryDirectory() as d:
        vars_copy = os.path.join(d, "vars.fd")  # OVMF writes its variables
        shutil.copy(OVMF_VARS, vars_copy)
        args += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,file={vars_copy}"]
        return _run(args, timeout)


def _run(args, timeout, cwd=None):
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=cwd)
    timed_out = False
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        timed_out = True
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    return Run(text, p.returncode, timed_out, time.monotonic() - start)


def run_bochs(cmdline="done=exit", cpus=2, megs=256, model="corei7_skylake_x",
              timeout=300, modules=(), config=None):
    """Boots the ISO in Bochs; returns the serial output and the tick count."""
    iso = iso_for(cmdline, modules=modules, config=config)
    with tempfile.TemporaryDirectory() as d:
        serial = os.path.join(d, "serial.txt")
        with open(os.path.join(TOOLS, "bochsrc.in")) as f:
            rc = f.read()
        for k, v in {"@MEGS@": str(megs), "@CPU_MODEL@": model, "@CPUS@": str(cpus),
                     "@ISO@": iso, "@SERIAL@": serial,
                     "@LOG@": os.path.join(d, "bochs.log")}.items():
            rc = rc.replace(k, v)
        with open(os.path.join(d, "bochsrc"), "w") as f:
            f.write(rc)
        with open(os.path.join(d, "cmds"), "w") as f:
            f.write("c\n")  # the debugger stops at the first instruction
        r = _run(["bochs", "-q", "-f", "bochsrc", "-rc", "cmds"], timeout, cwd=d)
        bochs_out = r.output
        try:
            with open(serial, "rb") as f:
                r.output = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        except FileNotFoundError:
            r.output = ""
        # "(0).[269735005] [0x...]" : CPU 0's tick count where Bochs stopped
        m = re.search(r"^\(0\)\.\[(\d+)\]", bochs_out, re.M)
        r.ticks = int(m.group(1)) if m else 0
        r.emulator_log = bochs_out
        return r


def have(tool):
    return shutil.which(tool) is not None


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BochsSerial:
    """Bochs with COM1 on a TCP socket, driven with pexpect (a context
    manager): `with BochsSerial(config=..., modules=...) as s: s.expect(...)`.
    `s` is a pexpect.fdpexpect.fdspawn on the socket; leaving the block
    stops Bochs. Output is decoded text with CR LF line ends."""

    def __init__(self, cmdline="", cpus=2, megs=256, model="corei7_skylake_x", modules=(), config=None,
                 timeout=120):
        self.iso = iso_for(cmdline, modules=modules, config=config)
        self.cpus, self.megs, self.model, self.timeout = cpus, megs, model, timeout

    def __enter__(self):
        import socket
        import pexpect.fdpexpect
        self.dir = tempfile.TemporaryDirectory()
        d, port = self.dir.name, free_port()
        with open(os.path.join(TOOLS, "bochsrc.in")) as f:
            rc = f.read()
        for k, v in {"@MEGS@": str(self.megs), "@CPU_MODEL@": self.model, "@CPUS@": str(self.cpus),
                     "@ISO@": self.iso, "@LOG@": os.path.join(d, "bochs.log")}.items():
            rc = rc.replace(k, v)
        rc = re.sub(r"^com1:.*$", f"com1: enabled=1, mode=socket-server, dev=localhost:{port}", rc, flags=re.M)
        with open(os.path.join(d, "bochsrc"), "w") as f:
            f.write(rc)
        with open(os.path.join(d, "cmds"), "w") as f:
            f.write("c\n")
        self.proc = subprocess.Popen(["bochs", "-q", "-f", "bochsrc", "-rc", "cmds"], cwd=d,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        start, self.sock = time.monotonic(), None
        while self.sock is None and time.monotonic() - start < 30:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                time.sleep(0.2)
        if self.sock is None:
            self.__exit__(None, None, None)
            raise RuntimeError("bochs serial socket never came up")
        self.session = pexpect.fdpexpect.fdspawn(self.sock.fileno(), timeout=self.timeout,
                                                 encoding="utf-8", codec_errors="replace")
        return self.session

    def __exit__(self, exc_type, *exc):
        if getattr(self, "sock", None):
            self.sock.close()
        if exc_type is not None:
            self.proc.kill()  # a failed expect: the VMs would run on
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.dir.cleanup()
        return False


def run_bochs_interactive(script, cmdline="", cpus=2, megs=256, model="corei7_skylake_x",
                          timeout=240, modules=(), config=None):
    """Boots in Bochs with COM1 on a TCP socket (Bochs serves, we connect)
    and plays `script`: a list of (regex, text) pairs; after the console
    shows regex, text is typed. Returns a Run with everything read."""
    import socket
    iso = iso_for(cmdline, modules=modules, config=config)
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(TOOLS, "bochsrc.in")) as f:
            rc = f.read()
        for k, v in {"@MEGS@": str(megs), "@CPU_MODEL@": model, "@CPUS@": str(cpus),
                     "@ISO@": iso, "@LOG@": os.path.join(d, "bochs.log")}.items():
            rc = rc.replace(k, v)
        rc = re.sub(r"^com1:.*$", f"com1: enabled=1, mode=socket-server, dev=localhost:{port}", rc,
                    flags=re.M)
        with open(os.path.join(d, "bochsrc"), "w") as f:
            f.write(rc)
        with open(os.path.join(d, "cmds"), "w") as f:
            f.write("c\n")
        start = time.monotonic()
        p = subprocess.Popen(["bochs", "-q", "-f", "bochsrc", "-rc", "cmds"], cwd=d,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        out, sock, timed_out = b"", None, False
        transcript = open(os.environ["HV_TRANSCRIPT"], "wb") if os.environ.get("HV_TRANSCRIPT") else None
        try:
            while sock is None and time.monotonic() - start < 30:
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                except OSError:
                    time.sleep(0.2)
            if sock is None:
                raise RuntimeError("bochs serial socket never came up")
            sock.settimeout(0.5)
            steps = list(script)
            while time.monotonic() - start < timeout:
                try:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    out += chunk
                    if transcript:  # HV_TRANSCRIPT=file: watch a long run as it goes
                        transcript.write(chunk)
                        transcript.flush()
                except socket.timeout:
                    pass
                text = out.decode("utf-8", "replace")
                while steps and re.search(steps[0][0], text, re.M):
                    sock.sendall(steps.pop(0)[1].encode())
            else:
                timed_out = True
        finally:
            if sock:
                sock.close()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        text = out.decode("utf-8", "replace").replace("\r\n", "\n")
        return Run(text, p.returncode, timed_out, time.monotonic() - start)
