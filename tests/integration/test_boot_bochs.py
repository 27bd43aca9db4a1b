"""Boot the ISO in Bochs, whose CPU models implement VMX (the later VMX test
bed): both CPUs online, and the on-machine self-test."""
from emu import have, run_bochs

import pytest

pytestmark = pytest.mark.skipif(not have("bochs"), reason="bochs not installed")


def test_bochs_two_cpus_online_with_vmx_on_both():
    run = run_bochs(cpus=2)
    run.require(r"hv: \S+ booted via multiboot2")
    run.require(r"smp: 2 of 2 CPUs online")
    run.require(r"vmx: caps ept=1 vpid=1 ug=1 ept2m=1 ept1g=1")
    run.require(r"vmx: cpu0 on")
    run.require(r"vmx: cpu1 on")
    run.require(r"hv: ready")


def test_bochs_selftest_passes():
    run = run_bochs("done=exit selftest", cpus=2)
    run.require(r"selftest: 1 of 1 other cpus answered IPIs")
    m = run.require(r"selftest: (\d+) passed, (\d+) failed")
    assert int(m.group(2)) == 0, run.output
