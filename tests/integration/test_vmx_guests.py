"""Guests under the hypervisor in Bochs (VMX with EPT and unrestricted
guest), two VMs at a time, one per CPU; and the no-VMX path in QEMU."""
import pytest

from emu import EXIT_OK, guest, have, qemu_status, run_bochs, run_bochs_interactive, run_qemu

bochs = pytest.mark.skipif(not have("bochs"), reason="bochs not installed")


def two_vms(a, b, extra_a="", extra_b="", raw_b=None):
    cfg = '[hypervisor]\non_all_stopped = "poweroff"\n'
    cfg += f'[vm {a[0]}]\ncpus = [0]\nmemory = "16M"\nimage = "{a[1]}"\n{extra_a}\n'
    cfg += f'[vm {b[0]}]\ncpus = [1]\nmemory = "16M"\nimage = "{b[1]}"\n{extra_b}\n'
    return cfg


def boot(cfg, images):
    run = run_bochs("", cpus=2, config=cfg, modules=[guest(i) for i in images], timeout=240)
    assert not run.timed_out, run.output
    run.require(r"vmx: cpu0 on")
    run.require(r"vmx: cpu1 on")
    return run


def assert_all_passed(run, vm, code=0):
    assert f"[{vm}] {vm}: FAIL" not in run.output, run.output
    run.require(rf"\[{vm}\] {vm}: done \d+ passed 0 failed")
    run.require(rf"vm {vm}: exited code={code}$")


@bochs
def test_hello_and_cpuid_run_side_by_side_and_power_off():
    run = boot(two_vms(("hello", "hello.elf"), ("cpuid", "cpuid.elf"), extra_a='cmdline = "exit=42"'),
               ["hello.elf", "cpuid.elf"])
    run.require(r"\[hello\] hello from a guest")
    run.require(r'\[hello\] hello: cmdline "hello.elf exit=42"')
    run.require(r"vm hello: exited code=42")
    assert_all_passed(run, "cpuid")
    # per-VM statistics at stop: exits by reason, injections (the #GPs it provoked)
    run.require(r"vm cpuid: stats exits=\d+ .*injections=[1-9]\d* .*CPUID=\d+ .*RDMSR=\d+")
    run.require(r"vmm: all VMs stopped")
    run.require(r"hv: powering off")


@bochs
def test_memtest_read_only_slot_and_unmapped_access_stop_only_that_vm():
    cfg = two_vms(("memtest", "memtest.elf"), ("hypercall", "hypercall.elf"),
                  extra_a='readonly = "0x10000000,64K"\ncmdline = "ro=0x10000000 unmapped=0x20000000"')
    run = boot(cfg, ["memtest.elf", "hypercall.elf"])
    run.require(r"\[memtest\] memtest: PASS ro_write_ignored")
    run.require(r"\[memtest\] memtest: touching unmapped 0x20000000")
    run.require(r"vm memtest: stopped: unmapped access at 0x20000000 \(read\)")
    assert "FAIL unmapped_stops_vm" not in run.output
    # the other VM finishes normally: its hypercalls and exit code 7
    assert_all_passed(run, "hypercall", code=7)


@bochs
def test_triple_fault_stops_that_vm_while_long_mode_guest_finishes():
    run = boot(two_vms(("tf", "triplefault.elf"), ("longmode", "longmode.elf")),
               ["triplefault.elf", "longmode.elf"])
    run.require(r"vm tf: vcpu0: triple fault")
    run.require(r"vm tf: stopped: triple fault")
    run.require(r"\[longmode\] longmode: .*64-bit")
    assert_all_passed(run, "longmode")


@bochs
def test_real_mode_guest_and_string_io_and_mmio_forms():
    cfg = '[hypervisor]\non_all_stopped = "poweroff"\n'
    cfg += ('[vm realmode]\ncpus = [1]\nmemory = "1M"\nimage = "realmode.bin"\n'
            'entry = "real"\nload_addr = 0x8000\nentry_addr = 0x8000\n')
    cfg += '[vm iotest]\ncpus = [0]\nmemory = "16M"\nimage = "iotest.elf"\n'
    run = boot(cfg, ["realmode.bin", "iotest.elf"])
    run.require(r"\[realmode\] realmode: hello from real mode")
    run.require(r"vm realmode: exited code=0$")
    # REP OUTSB went out to the VMM layer's COM1 as one line
    run.require(r"\[iotest\] iotest: rep outsb reached the console")
    for check in ("ins_values", "mmio_loads", "mmio_cmp_flags", "mmio_or_flags",
                  "mmio_rep_stos", "mmio_rep_movs_values", "mmio_rep_movs_from_ram"):
        run.require(rf"\[iotest\] iotest: PASS {check}")
    assert_all_passed(run, "iotest")


@bochs
def test_invalid_configuration_is_refused_with_its_line():
    cfg = '[vm a]\ncpus = [1]\nmemory = "16Q"\nimage = "hello.elf"\n'
    run = run_bochs("done=exit", cpus=2, config=cfg, modules=[guest("hello.elf")])
    run.require(r"vmm: invalid configuration: hv.cfg:3: vm a: memory: bad size '16Q'")
    run.require(r"vmm: no VM started")


def test_no_vmx_in_qemu_means_no_vm_and_a_clean_stop():
    cfg = '[vm hello]\ncpus = [0]\nmemory = "16M"\nimage = "hello.elf"\n'
    run = run_qemu("done=exit", smp=2, config=cfg, modules=[guest("hello.elf")])
    run.require(r"vmx: unavailable: CPU has no VMX")
    run.require(r"vmm: no VM started: no hardware virtualization")
    assert "panic" not in run.output
    assert run.returncode == qemu_status(EXIT_OK)


@bochs
def test_interrupts_wake_halted_vcpus_through_every_controller():
    # LAPIC timer (one-shot, periodic), PIT IRQ0 through the 8259 and
    # through IOAPIC pin 2, RTC periodic through IOAPIC pin 8; each wakes
    # "sti; hlt" by injection, while hello runs on the other CPU
    run = boot(two_vms(("irqtest", "irqtest.elf"), ("hello", "hello.elf")), ["irqtest.elf", "hello.elf"])
    for check in ("rtc_reads_a_sane_date", "lapic_oneshot_wakes_hlt", "lapic_periodic_keeps_firing",
                  "lapic_tsc_deadline_wakes_hlt", "pit_irq0_through_8259", "pit_irq0_through_ioapic_pin2",
                  "rtc_periodic_through_ioapic_pin8", "ioapic_level_line_with_eoi",
                  "ioapic_remote_irr_cleared_by_eoi"):
        run.require(rf"\[irqtest\] irqtest: PASS {check}")
    assert_all_passed(run, "irqtest")
    m = run.require(r"vm irqtest: stats .*halts=(\d+) injections=(\d+)")
    assert int(m.group(1)) > 0 and int(m.group(2)) >= int(m.group(1))
    run.require(r"vm hello: exited code=0")


@bochs
def test_typed_input_reaches_the_first_vm_and_is_echoed_by_interrupts():
    # host serial line -> the console VM's 16550 -> IRQ4 -> guest echoes
    cfg = '[hypervisor]\non_all_stopped = "poweroff"\n'
    cfg += '[vm echo]\ncpus = [1]\nmemory = "16M"\nimage = "echo.elf"\n'
    run = run_bochs_interactive([(r"\[echo\] echo: ready", "typed on the console\r"),
                                 (r"\[echo\] echo: typed on the console", "exit\r")],
                                config=cfg, modules=[guest("echo.elf")])
    assert not run.timed_out, run.output
    run.require(r"\[echo\] echo: typed on the console")
    run.require(r"\[echo\] echo: PASS rda_interrupts_woke_hlt")
    run.require(r"vm echo: exited code=0")


@bochs
def test_guest_reset_restarts_the_vm_with_memory_kept():
    cfg = '[hypervisor]\non_all_stopped = "poweroff"\n'
    cfg += '[vm r92]\ncpus = [0]\nmemory = "16M"\nimage = "reset.elf"\ncmdline = "via=92 boots=3"\n'
    cfg += '[vm rcf9]\ncpus = [1]\nmemory = "16M"\nimage = "reset.elf"\ncmdline = "via=cf9 boots=2"\n'
    run = boot(cfg, ["reset.elf"])
    assert len(run.search_all(r"vm r92: reset by the guest \(port 0x92")) == 2
    run.require(r"vm rcf9: reset by the guest \(")
    run.require(r"\[r92\] reset: PASS memory_kept_across_resets")
    run.require(r"vm r92: exited code=3$")
    run.require(r"vm rcf9: exited code=2$")


@bochs
def test_two_vcpu_vm_starts_its_ap_by_sipi_and_exchanges_ipis_across_cpus():
    # vCPU 0 on CPU 0, vCPU 1 on CPU 1: the AP waits for INIT + one SIPI
    # (vector 0), then IPIs go both ways, each kicking the other CPU out of
    # the guest or out of its halt; a reset (0xCF9) puts the AP back into
    # wait-for-SIPI and the second boot starts it again
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n'
           '[vm smp]\ncpus = [0, 1]\nmemory = "16M"\nimage = "smp.elf"\ncmdline = "boots=2"\n')
    run = boot(cfg, ["smp.elf"])
    run.require(r"vm smp: started on cpu0,1$")
    for check in ("ap_starts_with_init_and_one_sipi", "ap_has_apic_id_1", "ipi_round_trips_between_cpus",
                  "ipi_all_excluding_self_reaches_the_ap", "ipi_logical_flat_reaches_the_ap"):
        assert len(run.search_all(rf"\[smp\] smp: PASS {check}")) == 2, run.output
    run.require(r"vm smp: reset by the guest")
    run.require(r"\[smp\] smp: boot 2 of 2")
    assert_all_passed(run, "smp")


@bochs
def test_test_devices_answer_like_qemus_only_where_configured():
    # fw_cfg, pc-testdev scratch/IRQ lines/MMIO RAM: the verdicts QEMU gives
    # (test_guests_qemu.py); a VM without test_devices has none of them
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n'
           '[vm testdev]\ncpus = [1]\nmemory = "64M"\nimage = "testdev.elf"\ntest_devices = true\n'
           '[vm plain]\ncpus = [0]\nmemory = "64M"\nimage = "testdev.elf"\n')
    run = boot(cfg, ["testdev.elf"])
    for check in ("fw_cfg_signature_is_qemu", "fw_cfg_id_has_the_traditional_interface", "fw_cfg_counts_one_cpu",
                  "fw_cfg_ram_size_matches_the_memory_map", "fw_cfg_unknown_key_reads_zero",
                  "testdev_scratch_at_every_width", "testdev_byte_ports_view_the_scratch",
                  "testdev_irq_line_reaches_the_ioapic", "testdev_iomem_reads_back_what_was_written"):
        run.require(rf"\[testdev\] testdev: PASS {check}")
    assert_all_passed(run, "testdev")
    run.require(r"\[plain\] testdev: FAIL fw_cfg_signature_is_qemu")
    # its first touch of the absent MMIO region stops only that VM
    run.require(r"vm plain: stopped: unmapped access at 0xff000000")


@bochs
def test_multiboot_modules_reach_the_guest_as_under_qemu(tmp_path):
    # the same image, command line and modules under `qemu -kernel -initrd`
    # and under the hypervisor (modules = ...): the guest reports identical
    # module strings, sizes and checksums, each on a page boundary
    import random
    import re
    import subprocess
    rnd = random.Random(5)
    (tmp_path / "one.bin").write_bytes(bytes(rnd.getrandbits(8) for _ in range(5000)))
    (tmp_path / "two.txt").write_bytes(b"second module")
    hello = guest("hello.elf")[0]
    q = subprocess.run(["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "16M", "-display", "none",
                        "-serial", "stdio", "-monitor", "none", "-no-reboot",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", hello,
                        "-append", "x=1", "-initrd", "one.bin alpha beta,two.txt"],
                       cwd=tmp_path, capture_output=True, timeout=60)
    qemu_lines = re.findall(r"^hello: module .*$", q.stdout.decode().replace("\r\n", "\n"), re.M)
    assert len(qemu_lines) == 2, q.stdout
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n'
           '[vm hello]\ncpus = [1]\nmemory = "16M"\nimage = "hello.elf"\ncmdline = "x=1"\n'
           'modules = "one.bin alpha beta, two.txt"\n')
    run = run_bochs("", cpus=2, config=cfg, timeout=240,
                    modules=[guest("hello.elf"), (str(tmp_path / "one.bin"), "one.bin"),
                             (str(tmp_path / "two.txt"), "two.txt")])
    assert not run.timed_out, run.output
    hv_lines = re.findall(r"^\[[^]]*\] \[hello\] (hello: module .*)$", run.output, re.M)
    assert hv_lines == qemu_lines, (hv_lines, qemu_lines)
    assert all("unaligned" not in line for line in hv_lines)
    run.require(r"vm hello: exited code=0$")
