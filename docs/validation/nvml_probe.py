"""Probes NVML on this machine through the harness's own device layer: how long one sampler sweep takes
(the sampler thread's cost per sample), how long each query takes, and how often the energy counter and the
instantaneous power field change value (their real update period). Prints one JSON object.

usage: python3 nvml_probe.py
"""

import json
import statistics
import time

from lem_harness.measure.sweep import take_sweep
from lem_harness.nvml import Nvml


def per_call_us(fn, n=300):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e6)
    return {"median_us": statistics.median(samples), "p99_us": sorted(samples)[int(0.99 * len(samples)) - 1]}


def update_period_ms(read, seconds=3.0):
    changes, last, t_end = [], read(), time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        value = read()
        if value != last:
            changes.append(time.perf_counter())
            last = value
        time.sleep(0.0005)
    gaps = [(b - a) * 1000 for a, b in zip(changes, changes[1:])]
    return {"changes": len(changes), "median_gap_ms": statistics.median(gaps) if gaps else None}


def main():
    nvml = Nvml.open()
    g = nvml.devices[0]
    lib = nvml.lib
    print(json.dumps({
        "gpu": g.name(),
        "power_source": g.power_source(),
        "sweep_full": per_call_us(lambda: take_sweep(nvml.devices, full=True)),
        "sweep_fast_energy_and_power": per_call_us(lambda: take_sweep(nvml.devices, full=False)),
        "energy_counter": per_call_us(g.energy_mj),
        "power_instant_field": per_call_us(g.power_w),
        "power_usage_1s_average": per_call_us(lambda: lib.nvmlDeviceGetPowerUsage(g.handle)),
        "clocks_event_reasons": per_call_us(g.clocks_event_reasons),
        "energy_counter_update": update_period_ms(g.energy_mj),
        "power_instant_update": update_period_ms(g.power_w),
    }, indent=1))


if __name__ == "__main__":
    main()
