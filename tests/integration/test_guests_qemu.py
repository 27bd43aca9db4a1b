"""Runs the guest programs (guest/, docs/guest-abi.md) under plain QEMU TCG to
check the guests themselves, apart from the hypervisor: ELF guests through
`-kernel` (multiboot v1), the real-mode guest through its boot image.

Builds nothing: `make all` (or `make guests`) builds build/guest/ first.
QEMU's isa-debug-exit makes the exit status (code << 1) | 1; a triple fault
with -no-reboot ends QEMU with status 0.
"""
import os
import re
import select
import struct
import subprocess
import time

import pytest

from emu import BUILD, Run, qemu_status

GUEST_DIR = os.path.join(BUILD, "guest")
ELF_GUESTS = ["hello", "cpuid", "memtest", "hypercall", "triplefault", "longmode", "bench", "iotest",
              "irqtest", "echo", "reset", "smp", "testdev", "memcheck", "hostile"]
TIMEOUT = 30
SHUTDOWN = 0  # QEMU's status after a triple fault with -no-reboot

MB1_MAGIC = 0x1BADB002
MB1_FLAGS = 0x3  # page-align + memory info; no a.out kludge (bit 16)
MB1_SEARCH = 8192  # the header must sit in the file's first 8 KiB


def guest_file(name):
    path = os.path.join(GUEST_DIR, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make guests` first")
    return path


def run_qemu_guest(boot_args, mem="64M", cpu=None, smp=1, extra=()):
    args = ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", mem, "-smp", str(smp), *extra,
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", *boot_args]
    if cpu:
        args += ["-cpu", cpu]
    start = time.monotonic()
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        out, status, timed_out = p.stdout, p.returncode, False
    except subprocess.TimeoutExpired as e:
        out, status, timed_out = e.output or b"", None, True
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    run = Run(text, status, timed_out, time.monotonic() - start)
    assert not timed_out, f"timed out after {TIMEOUT} s:\n{text}"
    return run


def run_guest(name, cmdline="", **kw):
    return run_qemu_guest(["-kernel", guest_file(f"{name}.elf"), "-append", cmdline], **kw)


def results(run, name):
    """{check: PASS|FAIL|SKIP}; also checks the done line agrees with them."""
    found = {m.group(2): m.group(1)
             for m in re.finditer(rf"^{name}: (PASS|FAIL|SKIP) (\S+)", run.output, re.M)}
    m = run.require(rf"^{name}: done (\d+) passed (\d+) failed$")
    counts = [list(found.values()).count(s) for s in ("PASS", "FAIL")]
    assert [int(m.group(1)), int(m.group(2))] == counts, run.output
    return found


# --- the images ----------------------------------------------------------

@pytest.mark.parametrize("name", ELF_GUESTS)
def test_guest_is_a_multiboot1_elf32_at_1mib(name):
    data = open(guest_file(f"{name}.elf"), "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 1, "not ELF32"
    e_machine, = struct.unpack_from("<H", data, 18)
    assert e_machine == 3, "not i386"
    entry, phoff = struct.unpack_from("<II", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    loads = []
    for i in range(phnum):
        p_type, _, _, p_paddr, _, p_memsz, p_flags, _ = \
            struct.unpack_from("<8I", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_paddr, p_memsz, p_flags))
    assert loads and min(p for p, _, _ in loads) >= 0x100000
    assert any(p <= entry < p + sz and fl & 1 for p, sz, fl in loads), "entry not in code"
    headers = [o for o in range(0, min(len(data), MB1_SEARCH) - 12, 4)
               if struct.unpack_from("<I", data, o)[0] == MB1_MAGIC]
    assert headers, "no multiboot v1 header in the first 8 KiB"
    magic, flags, checksum = struct.unpack_from("<III", data, headers[0])
    assert flags == MB1_FLAGS
    assert (magic + flags + checksum) & 0xFFFFFFFF == 0


def test_realmode_boot_image_carries_the_raw_guest_unchanged():
    raw = open(guest_file("realmode.bin"), "rb").read()
    img = open(guest_file("realmode-boot.img"), "rb").read()
    assert len(img) % 512 == 0
    assert img[510:512] == b"\x55\xaa"
    assert img[512:512 + len(raw)] == raw


# --- hello ---------------------------------------------------------------

def test_hello_prints_greeting_command_line_and_memory():
    run = run_guest("hello", "foo=bar", mem="64M")
    run.require(r"^hello from a guest$")
    run.require(r'^hello: cmdline ".*hello\.elf foo=bar"$')
    kib = int(run.require(r"^hello: mem_upper (\d+) KiB$").group(1))
    # 64 MiB minus the first MiB, less what the firmware keeps at the top
    assert 63 * 1024 - 512 <= kib <= 63 * 1024, kib
    assert run.returncode == qemu_status(0)


@pytest.mark.parametrize("arg,code", [("exit=5", 5), ("exit=0x42", 0x42)])
def test_hello_exit_code_comes_from_command_line(arg, code):
    run = run_guest("hello", arg)
    run.require(rf"^hello: exiting with code {code}$")
    assert run.returncode == qemu_status(code)


# --- cpuid ---------------------------------------------------------------

CPUID_CHECKS = {"hypervisor_bit", "hypervisor_signature", "hypervisor_max_leaf", "vmx_hidden",
                "feature_control", "apic_base", "gp_is_caught", "rdmsr_unknown",
                "wrmsr_unknown", "rdtsc_increases"}


def test_cpuid_passes_against_qemu_expectations():
    run = run_guest("cpuid", "expect=qemu")
    assert results(run, "cpuid") == {c: "PASS" for c in CPUID_CHECKS}, run.output
    assert run.returncode == qemu_status(0)


def test_cpuid_flags_where_qemu_differs_from_the_hypervisor_abi():
    # TCG has its own signature, an unlocked IA32_FEATURE_CONTROL and no
    # #GP for unknown MSRs: exactly these checks fail without expect=qemu.
    run = run_guest("cpuid")
    got = results(run, "cpuid")
    failed = {c for c, r in got.items() if r == "FAIL"}
    assert failed == {"hypervisor_signature", "feature_control", "rdmsr_unknown",
                      "wrmsr_unknown"}, run.output
    run.require(r'^cpuid: FAIL hypervisor_signature \("TCGTCGTCGTCG", want "hvhvhvhvhvhv"\)$')
    assert run.returncode == qemu_status(1)


# --- memtest -------------------------------------------------------------

def test_memtest_passes_on_all_ram():
    run = run_guest("memtest", mem="32M")
    got = results(run, "memtest")
    assert got == {"memory_info": "PASS", "low_ram": "PASS", "low_ram_above_info": "PASS",
                   "high_ram": "PASS"}, run.output
    start, end = (int(x, 16) for x in
                  run.require(r"^memtest: high_ram 0x([0-9a-f]+)-0x([0-9a-f]+)").groups())
    assert 0x100000 < start < 0x200000 and 31 * 2**20 <= end <= 32 * 2**20, run.output
    assert run.returncode == qemu_status(0)


def test_memtest_write_to_rom_is_ignored():
    # the BIOS ROM just below 4 GiB stands in for a read-only slot
    run = run_guest("memtest", "ro=fffffff0", mem="32M")
    assert results(run, "memtest")["ro_write_ignored"] == "PASS", run.output
    assert run.returncode == qemu_status(0)


def test_memtest_write_to_ram_given_as_read_only_fails():
    run = run_guest("memtest", "ro=0x200000", mem="32M")
    assert results(run, "memtest")["ro_write_ignored"] == "FAIL", run.output
    assert run.returncode == qemu_status(1)


def test_memtest_unmapped_read_that_returns_is_a_failure():
    # QEMU returns something for unassigned memory; the hypervisor must stop
    # the VM right after the "touching" line instead.
    run = run_guest("memtest", "unmapped=e0000000", mem="32M")
    touch = run.require(r"^memtest: touching unmapped 0xe0000000$")
    fail = run.require(r"^memtest: FAIL unmapped_stops_vm \(the read returned 0x[0-9a-f]{8}\)$")
    assert touch.start() < fail.start()
    assert results(run, "memtest")["high_ram"] == "PASS"
    assert run.returncode == qemu_status(1)


# --- hypercall -----------------------------------------------------------

def test_hypercall_nohc_skips_every_hypercall():
    run = run_guest("hypercall", "nohc")
    assert results(run, "hypercall") == {
        c: "SKIP" for c in ("hc_nop", "hc_print", "hc_print_bad_address",
                            "unknown_returns_enosys", "hc_exit")}, run.output
    assert run.returncode == qemu_status(0)


def test_hypercall_without_vmx_reports_the_ud():
    run = run_guest("hypercall")
    run.require(r"^hypercall: FAIL unexpected_exception \(#UD at eip=0x[0-9a-f]{8} error=0x0\)$")
    assert results(run, "hypercall") == {"unexpected_exception": "FAIL"}
    assert run.returncode == qemu_status(1)


# --- triplefault ---------------------------------------------------------

def test_triplefault_shuts_the_machine_down():
    run = run_guest("triplefault")
    lines = [line for line in run.lines() if line.startswith("triplefault:")]
    assert lines == ["triplefault: loading an empty IDT and faulting"], run.output
    assert run.returncode == SHUTDOWN


# --- longmode ------------------------------------------------------------

def test_longmode_runs_64bit_code_and_comes_back():
    run = run_guest("longmode")
    hello = run.require(r"^longmode: hello from 64-bit mode, value 0xfedcba9876543210$")
    assert run.output.index("PASS long_mode_supported") < hello.start()
    assert results(run, "longmode") == {
        c: "PASS" for c in ("long_mode_supported", "efer_lma_in_64bit_mode", "64bit_registers",
                            "compatibility_mode")}, run.output
    assert run.returncode == qemu_status(0)


def test_longmode_on_a_32bit_cpu_fails_cleanly():
    run = run_guest("longmode", cpu="qemu32")
    assert results(run, "longmode") == {"long_mode_supported": "FAIL"}, run.output
    assert "64-bit mode" not in run.output
    assert run.returncode == qemu_status(1)


# --- realmode ------------------------------------------------------------

def test_realmode_guest_from_its_boot_image():
    img = guest_file("realmode-boot.img")
    run = run_qemu_guest(["-drive", f"file={img},format=raw,snapshot=on"])
    run.require(r"^realmode: hello from real mode$")
    assert results(run, "realmode") == {
        c: "PASS" for c in ("cr0_pe_clear", "segment_alias", "far_call",
                            "32bit_registers")}, run.output
    assert run.returncode == qemu_status(0)


# --- bench ---------------------------------------------------------------

BENCH_OPS = ["cpuid", "rdmsr_apic_base", "pio_out_vmm", "mmio_read_vmm"]


def test_bench_prints_one_line_per_operation():
    run = run_guest("bench", "nohc iters=1000")
    run.require(r"^bench: 1000 iterations per operation$")
    run.require(r"^bench empty_loop \d+$")
    for op in BENCH_OPS:
        run.require(rf"^bench {op} -?\d+$")
    run.require(r"^bench vmcall skipped \(nohc\)$")
    run.require(r"^bench: done$")
    assert run.returncode == qemu_status(0)


def test_bench_default_iterations():
    run = run_guest("bench", "nohc")
    run.require(r"^bench: 10000 iterations per operation$")
    assert run.returncode == qemu_status(0)


def test_iotest_string_io_and_mmio_forms_keep_registers_right():
    # plain QEMU answers port 0xE9 and the test page differently: only the
    # register effects are checked there (values: under the hypervisor)
    run = run_guest("iotest", "expect=qemu")
    assert "iotest: rep outsb reached the console" in run.output
    assert "FAIL" not in run.output, run.output
    assert run.returncode == qemu_status(0)


def test_irqtest_passes_on_a_real_pc_model():
    # QEMU's PIC, IOAPIC, LAPIC, PIT and RTC validate the guest's expectations
    run = run_guest("irqtest", "")
    assert "FAIL" not in run.output, run.output
    assert "irqtest: done 9 passed 0 failed" in run.output
    assert run.returncode == qemu_status(0)


def test_smp_starts_the_second_cpu_with_one_sipi_and_exchanges_ipis():
    # QEMU's LAPICs and its INIT/SIPI handling validate the guest
    run = run_guest("smp", "", smp=2)
    assert results(run, "smp") == {c: "PASS" for c in SMP_CHECKS}, run.output
    assert run.returncode == qemu_status(0)


SMP_CHECKS = ("ap_starts_with_init_and_one_sipi", "ap_has_apic_id_1", "ipi_round_trips_between_cpus",
              "ipi_all_excluding_self_reaches_the_ap", "ipi_logical_flat_reaches_the_ap")


TESTDEV_CHECKS = ("fw_cfg_signature_is_qemu", "fw_cfg_id_has_the_traditional_interface", "fw_cfg_counts_one_cpu",
                  "fw_cfg_ram_size_matches_the_memory_map", "fw_cfg_unknown_key_reads_zero",
                  "testdev_scratch_at_every_width", "testdev_byte_ports_view_the_scratch",
                  "testdev_irq_line_reaches_the_ioapic", "testdev_iomem_reads_back_what_was_written")


def test_testdev_passes_against_qemus_fw_cfg_and_pc_testdev():
    run = run_guest("testdev", "", extra=("-device", "pc-testdev"))
    assert results(run, "testdev") == {c: "PASS" for c in TESTDEV_CHECKS}, run.output
    assert run.returncode == qemu_status(0)


# --- memcheck ------------------------------------------------------------

def memcheck_sum(run):
    m = run.require(r"^memcheck: region 0x400000\+0x100000 sum (0x[0-9a-f]{8})$")
    return m.group(1)


def test_memcheck_rounds_keep_the_region_sum_and_pass():
    run = run_guest("memcheck", "rounds=3", mem="32M")
    run.require(r"^memcheck: seed 0x6d656d63, a round every 500 ms, 3 rounds$")
    total = memcheck_sum(run)
    rounds = run.search_all(r"^memcheck: round (\d+) sum (0x[0-9a-f]{8}) ok$")
    assert rounds == [("1", total), ("2", total), ("3", total)], run.output
    assert run.lines()[-1] == "memcheck: PASS", run.output
    assert run.seconds >= 1.4, f"3 rounds of 500 ms took {run.seconds:.2f} s"
    assert run.returncode == qemu_status(0)


def test_memcheck_sum_follows_the_seed_and_period():
    run = run_guest("memcheck", "rounds=2 period=20 seed=0x1234", mem="32M")
    run.require(r"^memcheck: seed 0x00001234, a round every 20 ms, 2 rounds$")
    other = run_guest("memcheck", "rounds=1 period=20", mem="32M")
    assert memcheck_sum(run) != memcheck_sum(other)
    assert run.returncode == qemu_status(0)


def test_memcheck_reports_a_changed_word_and_fails():
    run = run_guest("memcheck", "rounds=3 period=20 corrupt=2", mem="32M")
    total = memcheck_sum(run)
    run.require(rf"^memcheck: round 1 sum {total} ok$")
    run.require(r"^memcheck: corrupting 0x480000 \(corrupt=2\)$")
    run.require(rf"^memcheck: round 2 sum 0x[0-9a-f]{{8}} CHANGED \(expected {total}\)$")
    run.require(r"^memcheck: 1 changed words, first at 0x480000: ")
    assert run.lines()[-1] == "memcheck: FAIL", run.output
    assert "round 3" not in run.output
    assert run.returncode == qemu_status(1)


def test_memcheck_refuses_a_region_outside_its_ram():
    run = run_guest("memcheck", "region=0x200000,0x4000000 rounds=1", mem="32M")
    run.require(r"^memcheck: region 0x200000\+0x4000000 is not free RAM ")
    assert run.lines()[-1] == "memcheck: FAIL", run.output
    assert run.returncode == qemu_status(1)


def test_memcheck_answers_each_typed_line():
    # COM1's receive interrupt while the guest sleeps between rounds;
    # typed only once the UART is set up (round 1), as a person would
    args = ["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "32M", "-display", "none",
            "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-kernel", guest_file("memcheck.elf"), "-append", "rounds=4 period=100"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, typed, deadline = b"", False, time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if select.select([p.stdout], [], [], 0.2)[0]:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
            if not typed and b"memcheck: round 1 " in out:
                p.stdin.write(b"hello there\rtypo\x7fs fixed\r\n")
                p.stdin.flush()
                typed = True
    finally:
        if p.poll() is None:
            p.kill()
        status = p.wait()
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    lines = [line for line in text.splitlines() if line.startswith("memcheck: got")]
    assert lines == ["memcheck: got 'hello there'", "memcheck: got 'typs fixed'"], text
    assert text.splitlines()[-1] == "memcheck: PASS", text
    assert status == qemu_status(0)


# --- hostile -------------------------------------------------------------

def test_hostile_selftest_checks_its_own_memory_and_passes():
    run = run_guest("hostile", "mode=selftest", mem="32M")
    run.require(r"^hostile: RAM ends at 0x[0-9a-f]+ \(mem_upper \d+ KiB\)$")
    run.require(r"^hostile: own memory ok$")
    assert run.lines()[-1] == "hostile: PASS selftest", run.output
    assert "probing" not in run.output
    assert run.returncode == qemu_status(0)


def test_hostile_without_a_hypervisor_survives_every_probe_and_says_so():
    # plain QEMU lets every write through (to RAM or to nowhere); under the
    # hypervisor the first probe stops the VM instead
    run = run_guest("hostile", "", mem="32M")
    ram_end = run.require(r"^hostile: RAM ends at (0x[0-9a-f]+) ").group(1)
    probed = run.search_all(r"^hostile: probing (0x[0-9a-f]+)$")
    assert probed == [ram_end, "0x4000000", "0x10000000", "0x40000000", "0xfeb00000",
                      "0x100000000"], run.output
    run.require(r"^hostile: skipping 0x1000000 \(inside its RAM\)$")
    assert len(run.search_all(r"^hostile: wrote 0x[0-9a-f]{8} to 0x[0-9a-f]+ and went on")) == 6
    assert run.lines()[-1] == "hostile: FAIL isolation broken (wrote 6 addresses outside RAM)", run.output
    assert run.returncode == qemu_status(1)


def test_hostile_target_picks_the_first_probe():
    run = run_guest("hostile", "target=0x20000000", mem="32M")
    probed = run.search_all(r"^hostile: probing (0x[0-9a-f]+)$")
    assert probed[:2] == ["0x20000000", "0x4000000"], run.output
    assert run.returncode == qemu_status(1)
