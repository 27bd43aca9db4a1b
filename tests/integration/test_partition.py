"""Firmware-style operation (issue 6) in Bochs with 4 CPUs: VMs partitioned
onto their own CPUs, isolation (a hostile guest is stopped, a witness's
memory checksum never changes), restart of a triple-faulting VM, the
operator shell on the serial line (Ctrl-] from a VM's input to the shell,
`console VM` back; also driven with pexpect), and a configuration refused
before anything starts."""
import os
import re

import pytest

from emu import ROOT, BochsSerial, guest, have, run_bochs_interactive

bochs = pytest.mark.skipif(not have("bochs"), reason="bochs not installed")
ESCAPE = "\x1d"  # Ctrl-]

PARTITIONED = """[hypervisor]
on_all_stopped = "shell"

[vm witness]
cpus = [1]
memory = "16M"
image = "memcheck.elf"
cmdline = "period=50"
shared = "mailbox,0x3000000,4K"

[vm evil]
cpus = [2]
memory = "16M"
image = "hostile.elf"
cmdline = "target=0x2000000"
shared = "mailbox,0x2000000,4K"     # the same host pages as witness's 0x3000000

[vm hello2]
cpus = [0]                          # CPU 0 given away: the shell then runs between its entries
memory = "16M"
image = "hello.elf"
cmdline = "serial=com2"
uart = "com2"

[vm tf]
cpus = [3]
memory = "16M"
kernel = "triplefault.elf"
on_stop = "restart"
uart = "none"
"""


def vms_row(out, name):
    m = re.search(rf"^\s*\d+\s+{name}\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.*)$", out, re.M)
    assert m, f"no `vms` row for {name}:\n{out}"
    return m.groups()


@bochs
def test_partitioned_vms_stay_isolated_restart_and_answer_the_shell():
    script = [
        (r"\[witness\] memcheck: round 2 sum", "typed into the witness\r"),
        (r"\[witness\] memcheck: got 'typed into the witness'", ESCAPE),
        (r"^hv> ", "vms\r"),
        (r"ID  NAME .*\n(.*\n){4}", "stats evil\r"),
        (r"exit\.EPT_VIOLATION\s+1", "regs witness 0\r"),
        (r"idt\.base", "mem witness 0x400000 32\r"),
        (r"^0000000000400010  ", "mem witness 0x3000000 16\r"),
        (r"^0000000003000000  ", "restart witness\r"),
        (r"VM 'witness' restarted", "stop tf\r"),
        (r"VM 'tf' stopped", "start tf\r"),
        (r"VM 'tf' started", "bogus\r"),
        (r"unknown command 'bogus'", "console witness\r"),
        (r"input goes to vm witness", "back in the witness\r"),
        (r"got 'back in the witness'", ESCAPE + "poweroff\r"),
    ]
    run = run_bochs_interactive(script, config=PARTITIONED, cpus=4, timeout=600,
                                modules=[guest("memcheck.elf"), guest("hostile.elf"),
                                         guest("triplefault.elf"), guest("hello.elf")])
    out = run.output
    assert not run.timed_out, out[-6000:]
    # COM2 is that VM's console; it ended itself while the others ran
    run.require(r"\[hello2\] hello from a guest")
    run.require(r"vm hello2: exited code=0$")
    for name, cpu in (("witness", 1), ("evil", 2), ("tf", 3), ("hello2", 0)):
        run.require(rf"vm {name}: started on cpu{cpu}$")
    # isolation: the hostile guest dies at its first write outside its RAM,
    # and the witness's checksum never changes, before or after its restart
    # the one slot they share is the only memory of the witness it reaches
    m = run.require(r"\[evil\] hostile: wrote 0x([0-9a-f]{8}) to 0x2000000 and went on \(read back 0x\1\)")
    word = int(m.group(1), 16)
    shared_bytes = " ".join(f"{(word >> (8 * i)) & 0xFF:02x}" for i in range(4))
    run.require(rf"^0000000003000000  {shared_bytes} ")
    run.require(r"\[evil\] hostile: probing 0x1000000$")
    run.require(r"vm evil: stopped: unmapped access at 0x1000000 \(write\)$")
    assert "hostile: FAIL" not in out and "CHANGED" not in out, out
    sums = set(re.findall(r"\[witness\] memcheck: round \d+ sum (0x[0-9a-f]+) ok", out))
    assert len(sums) == 1, sums
    # on_stop = "restart": the triple-faulting VM comes back, with back-off
    run.require(r"vm tf: triple fault: restarting \(on_stop = \"restart\"\)")
    run.require(r"vm tf: restarted after: triple fault$")
    assert "vm tf: stopped: triple fault" not in out
    # typed input: to the witness first, to the shell after Ctrl-]
    run.require(r"vmm: console: input goes to vm witness \(Ctrl-\] for the hypervisor shell\)")
    run.require(r"vmm: console: hypervisor shell \('help' lists the commands\)")
    state, cpus, memory, exits, restarts, reason = vms_row(out, "evil")
    assert (state, cpus, memory) == ("stopped", "2", "16M"), out
    assert reason.strip() == "stopped: unmapped access at 0x1000000 (write)", reason
    state, cpus, memory, exits, restarts, reason = vms_row(out, "tf")
    assert cpus == "3" and int(restarts) >= 1 and reason.strip() == "restarted after: triple fault", out
    state, cpus, memory, exits, restarts, reason = vms_row(out, "witness")
    assert state in ("running", "halted") and cpus == "1" and int(exits) > 0, out
    run.require(r"^rip\s+0x0000000000[0-9a-f]{6}\s+rflags")
    run.require(r"^cr0\s+0x0000000000000031")  # the guest's CR0 (PE, ET, NE), not the VMCS's real one
    # `mem` shows the witness's pattern: the first word is the seed's output
    run.require(r"^0000000000400000  [0-9a-f]{2}( [0-9a-f]{2}){7}  [0-9a-f]{2}( [0-9a-f]{2}){7}  \|")
    run.require(r"vm witness: restarted from the shell$")
    assert len(re.findall(r"\[witness\] memcheck: region 0x400000\+0x100000", out)) == 2, out
    run.require(r"vm tf: stopped from the shell$")
    run.require(r"vm tf: started from the shell$")  # reloaded (and soon failing again)
    run.require(r"error: unknown command 'bogus'")
    run.require(r"\[witness\] memcheck: got 'back in the witness'")
    run.require(r"hv: powering off")


@bochs
def test_invalid_configuration_starts_nothing_and_the_shell_says_why():
    cfg = ('[hypervisor]\non_all_stopped = "shell"\n'
           '[vm a]\ncpus = [1]\nmemory = "16M"\nimage = "hello.elf"\n'
           '[vm b]\ncpus = [5]\nmemory = "16M"\nimage = "hello.elf"\n')
    run = run_bochs_interactive([(r"^hv> ", "vms\r"), (r"ID  NAME", "poweroff\r")], config=cfg,
                                cpus=2, timeout=300, modules=[guest("hello.elf")])
    assert not run.timed_out, run.output
    run.require(r"vmm: invalid configuration: hv.cfg:8: vm b: cpus: cpu 5 does not exist \(the machine has 2 CPUs\)")
    run.require(r"vmm: no VM started")
    run.require(r"vmm: no VM runs: the configuration is invalid")
    assert "started on cpu" not in run.output and "[a]" not in run.output
    run.require(r"hv: powering off")


@bochs
def test_default_scenario_runs_two_vms_and_takes_typing_into_both_and_the_shell():
    # guest/default.cfg as `make run` boots it (3 CPUs, CPU 0 kept)
    with open(os.path.join(ROOT, "guest", "default.cfg")) as f:
        cfg = f.read()
    script = [
        (r"\[echo\] echo: ready", "hello echo\r"),
        (r"\[echo\] echo: hello echo", ESCAPE),
        (r"^hv> ", "vms\r"),
        (r"ID  NAME .*\n(.*\n){2}", "console memcheck\r"),
        (r"input goes to vm memcheck", "hello memcheck\r"),
        (r"memcheck: got 'hello memcheck'", ESCAPE + "poweroff\r"),
    ]
    run = run_bochs_interactive(script, config=cfg, cpus=3, timeout=400,
                                modules=[guest("echo.elf"), guest("memcheck.elf")])
    assert not run.timed_out, run.output[-5000:]
    run.require(r"vm echo: started on cpu1$")
    run.require(r"vm memcheck: started on cpu2$")
    assert vms_row(run.output, "echo")[1] == "1" and vms_row(run.output, "memcheck")[1] == "2"
    run.require(r"\[memcheck\] memcheck: got 'hello memcheck'")
    run.require(r"hv: powering off")


@bochs
def test_without_hv_cfg_the_built_in_scenario_runs_when_its_guests_are_there():
    script = [(r"\[memcheck\] memcheck: region", ESCAPE), (r"^hv> ", "poweroff\r")]
    run = run_bochs_interactive(script, cpus=3, timeout=300,
                                modules=[guest("echo.elf"), guest("memcheck.elf")])
    assert not run.timed_out, run.output[-5000:]
    run.require(r"vmm: no hv.cfg module: running the built-in scenario \(guest/default.cfg\)")
    run.require(r"vm echo: started on cpu1$")
    run.require(r"vm memcheck: started on cpu2$")
    run.require(r"hv: powering off")


@bochs
def test_shell_driven_with_pexpect_lists_counts_and_restarts():
    # focus = "shell": typed input starts in the shell; two VMs beside it
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\nfocus = "shell"\n'
           '[vm witness]\ncpus = [1]\nmemory = "16M"\nimage = "memcheck.elf"\ncmdline = "period=50"\n'
           '[vm hello]\ncpus = [2]\nmemory = "16M"\nimage = "hello.elf"\n')
    with BochsSerial(config=cfg, cpus=3, timeout=180,
                     modules=[guest("memcheck.elf"), guest("hello.elf")]) as s:
        s.expect(r"vmm: console: hypervisor shell \('help' lists the commands\)")
        s.expect(r"vm hello: exited code=0")
        s.expect(r"\[witness\] memcheck: round 2 sum")
        s.send("vms\r")
        s.expect(r"ID  NAME +STATE +CPUS +MEMORY +EXITS RESTARTS REASON")
        s.expect(r"\n *0  witness +(running|halted) +1 +16M +\d+ +0 +-")
        s.expect(r"\n *1  hello +stopped +2 +16M +\d+ +0 +exited code=0")
        s.send("stats witness\r")
        s.expect(r"\nexits +(\d+)")
        assert int(s.match.group(1)) > 0
        s.expect(r"\nexit\.HLT +(\d+)")  # memcheck sleeps between PIT ticks
        assert int(s.match.group(1)) > 0
        s.send("restart witness\r")
        s.expect(r"VM 'witness' restarted")
        s.expect(r"vm witness: restarted from the shell")
        s.expect(r"\[witness\] memcheck: region 0x400000\+0x100000")
        s.send("vms\r")
        s.expect(r"\n *0  witness +\S+ +1 +16M +\d+ +1 +restarted from the shell")
        s.send("poweroff\r")
        s.expect(r"hv: powering off")
