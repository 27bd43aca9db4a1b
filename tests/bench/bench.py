#!/usr/bin/env python3
"""Benchmarks (`make bench`): deterministic costs, never wall-clock time.

Bochs runs with `clock: sync=none`, where the TSC counts executed
instructions, so "TSC ticks" below are instruction counts and repeat from
run to run. Prints one line per metric and writes build/bench.json.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import emu  # noqa: E402


def image_sizes():
    out = subprocess.run(["size", emu.HV_ELF], capture_output=True, text=True, check=True).stdout
    text, data, bss = map(int, out.splitlines()[1].split()[:3])
    return {"hv.elf text bytes": text, "hv.elf data bytes": data, "hv.elf bss bytes": bss}


def bochs_boot(cpus):
    run = emu.run_bochs("done=exit", cpus=cpus)
    run.require(rf"smp: {cpus} of {cpus} CPUs online")
    m = run.require(r"hv: start-up took (\d+) TSC ticks since entry")
    return {
        f"bochs {cpus} cpus: ticks from reset to exit after 'hv: ready'": run.ticks,
        f"bochs {cpus} cpus: TSC ticks from hv entry to ready": int(m.group(1)),
    }


def exit_costs():
    """The bench guest's round trips, in instructions (Bochs sync=none)."""
    cfg = ('[hypervisor]\non_all_stopped = "poweroff"\n'
           '[vm bench]\ncpus = [1]\nmemory = "16M"\nimage = "bench.elf"\n')
    run = emu.run_bochs("", cpus=2, config=cfg, modules=[emu.guest("bench.elf")], timeout=600)
    run.require(r"vm bench: exited code=0")
    out = {}
    for m in re.finditer(r"\[bench\] bench (\w+) (-?\d+)$", run.output, re.M):  # skipped lines drop out
        out[m.group(1)] = int(m.group(2))
    return out


def main():
    results = {}
    results.update(image_sizes())
    for cpus in (1, 2, 4):
        results.update(bochs_boot(cpus))
    costs = exit_costs()
    for name, ticks in costs.items():
        print(f"bench {name} {ticks}")
    results.update({f"exit round trip: {k}": v for k, v in costs.items()})
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v}")
    with open(os.path.join(emu.BUILD, "bench.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
