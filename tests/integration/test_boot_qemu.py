"""Boot the ISO in QEMU (TCG) and check the stable console markers."""
import re

import pytest

import os

from emu import EXIT_FAILED, EXIT_OK, EXIT_PANIC, OVMF_CODE, qemu_status, run_qemu

MARKERS = [
    r"hv: \S+ booted via multiboot2",
    r"mem: \d+ MiB usable in \d+ ranges",
    r"smp: \d+ of \d+ CPUs online",
    r"hv: ready",
]


def assert_markers_in_order(run):
    pos = 0
    for pattern in MARKERS:
        m = re.compile(pattern, re.M).search(run.output, pos)
        assert m, f"marker {pattern!r} missing or out of order:\n{run.output}"
        pos = m.end()


@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_every_cpu_comes_online(cpus):
    run = run_qemu(smp=cpus)
    assert_markers_in_order(run)
    run.require(rf"smp: {cpus} of {cpus} CPUs online")
    assert run.returncode == qemu_status(EXIT_OK)


@pytest.mark.parametrize("mem,mib", [("128M", 128), ("1G", 1024), ("6G", 6144)])
def test_usable_memory_matches_what_qemu_gives(mem, mib):
    # the self-test probes every usable range: RAM above 4 GiB must be mapped
    run = run_qemu("done=exit selftest", mem=mem, smp=2)
    run.require(r"selftest: all RAM mapped: ok")
    got = int(run.require(r"mem: (\d+) MiB usable in \d+ ranges").group(1))
    assert abs(got - mib) <= mib * 0.02, f"{got} MiB usable with -m {mem}"
    run.require(r"hv: ready")


def test_qemu_kernel_boots_through_multiboot1():
    run = run_qemu(kernel=True, smp=2)
    run.require(r"hv: \S+ booted via multiboot1")
    run.require(r"smp: 2 of 2 CPUs online")
    run.require(r"hv: ready")


def test_cpu_without_long_mode_gets_fatal_line():
    run = run_qemu(kernel=True, cpu="qemu32", timeout=15)
    run.require(r"^hv: fatal: CPU lacks long mode")
    assert "hv: ready" not in run.output


def test_smp_option_limits_cpus():
    run = run_qemu("done=exit smp=2", smp=4)
    run.require(r"smp: 2 of 4 CPUs online \(limited by smp=\)")
    run.require(r"hv: ready")


def test_unknown_option_is_reported_and_boot_continues():
    run = run_qemu("done=exit bogus=1 smp=zero", smp=2)
    run.require(r"cmdline: unknown option 'bogus")
    run.require(r"cmdline: bad value for smp")
    run.require(r"smp: 2 of 2 CPUs online")
    run.require(r"hv: ready")


def test_loglevel_hides_info_but_never_markers():
    run = run_qemu("done=exit loglevel=0", smp=2)
    assert "tsc:" not in run.output
    assert_markers_in_order(run)


def test_console_lines_carry_timestamp_and_cpu():
    run = run_qemu(smp=2)
    for line in run.lines():
        if "hv: ready" in line:
            assert re.match(r"^\[\s*\d+\.\d{6} cpu0\] hv: ready$", line), line
            break
    else:
        pytest.fail(run.output)


def test_selftest_passes_on_four_cpus():
    run = run_qemu("done=exit selftest", smp=4, mem="512M")
    run.require(r"selftest: page fault at 0x0 caught")
    run.require(r"selftest: 3 of 3 other cpus answered IPIs")
    m = run.require(r"selftest: (\d+) passed, (\d+) failed")
    assert int(m.group(1)) > 0 and int(m.group(2)) == 0, run.output
    assert run.returncode == qemu_status(EXIT_OK)


def test_xapic_mode_boots_all_cpus():
    run = run_qemu("done=exit x2apic=off selftest", smp=2)
    run.require(r"lapic: xAPIC mode")
    run.require(r"selftest: \d+ passed, 0 failed")
    assert run.returncode != qemu_status(EXIT_FAILED)


def test_acpidump_prints_tables():
    run = run_qemu("done=exit acpidump", smp=2)
    for sig in ("RSDP", "APIC", "FACP"):
        run.require(rf"acpidump: table {sig} at 0x[0-9a-f]+ length \d+")
    run.require(r"acpidump: end")


@pytest.mark.skipif(not os.path.exists(OVMF_CODE), reason="ovmf not installed")
def test_uefi_boot_through_grub_efi():
    run = run_qemu("done=exit selftest", smp=2, mem="512M", machine="q35", uefi=True,
                   timeout=120)
    run.require(r"hv: \S+ booted via multiboot2")
    run.require(r"smp: 2 of 2 CPUs online")
    run.require(r"selftest: \d+ passed, 0 failed")
    run.require(r"hv: ready")


def test_disabled_madt_cpus_are_not_started():
    # -smp 2,maxcpus=4: the MADT lists 4 CPUs, 2 of them not enabled
    run = run_qemu(smp="2,maxcpus=4")
    run.require(r"smp: 2 of 2 CPUs online")


def assert_panic_report(run, faulting_cpu, cpus):
    run.require(rf"hv: panic: .* on cpu{faulting_cpu} at rip [0-9a-f]{{16}}")
    for reg in ("rax", "rsi", "r8 ", "r12", "rip", "cr0"):
        run.require(rf"hv: panic:  {reg}=[0-9a-f]+")
    run.require(r"hv: panic:   #1 [0-9a-f]{16}")  # at least one caller in the backtrace
    for cpu in range(cpus):
        if cpu != faulting_cpu:
            run.require(rf"hv: panic: cpu{cpu} stopped at rip")
    run.require(rf"hv: panic: cpu{faulting_cpu} stopped the machine \({cpus - 1} other cpus stopped\)")
    assert run.returncode == qemu_status(EXIT_PANIC)


def test_page_fault_dumps_registers_and_stops_every_cpu():
    run = run_qemu("done=exit crashtest=pagefault", smp=4)
    run.require(r"hv: panic: #PF page fault")
    run.require(r"hv: panic:  page fault address 0000000000000010 \(not-present write\)")
    assert_panic_report(run, 0, 4)


def test_fault_on_another_cpu_stops_the_boot_cpu_too():
    run = run_qemu("done=exit crashtest=ap", smp=2)
    assert_panic_report(run, 1, 2)


def test_software_panic_names_its_reason():
    run = run_qemu("done=exit crashtest=panic", smp=2)
    run.require(r"hv: panic: crashtest: deliberate panic \(cpu0\)")
    run.require(r"hv: panic: cpu1 stopped at rip")
    assert run.returncode == qemu_status(EXIT_PANIC)


def test_console_option_moves_output_to_com2():
    # COM1 goes nowhere, COM2 is stdio: the console must follow console=com2
    run = run_qemu("done=exit console=com2,57600", smp=2, com2=True)
    run.require(r"hv: \S+ booted via multiboot2")
    run.require(r"hv: ready")
    assert run.returncode == qemu_status(EXIT_OK)


def test_cpu_without_vmx_says_so_and_stops_cleanly():
    run = run_qemu(smp=2)
    run.require(r"vmx: unavailable: CPU has no VMX \(CPUID.1:ECX\[5\]=0\)")
    assert "panic" not in run.output
    run.require(r"hv: ready")
    assert run.returncode == qemu_status(EXIT_OK)
