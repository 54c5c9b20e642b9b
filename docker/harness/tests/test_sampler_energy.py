import time
from itertools import pairwise

import pytest

from lem_harness.measure.baseline import adjusted_j, measure_idle
from lem_harness.measure.energy import counter_delta_j, disagreement_pct, trapezoid_j, window_energy
from lem_harness.measure.sampler import Sampler
from lem_harness.measure.sweep import FAST_CALLS_PER_GPU, FULL_CALLS_PER_GPU, Sweep, take_sweep
from lem_harness.measure.throttle import active_reasons, throttle_fractions
from lem_harness.measure.window import Window
from lem_harness.nvml import Nvml, Reading
from lem_harness.report import Measured, gpu_usage_section

from nvml_double import FakeGpu, RecordingNvmlDouble


def test_counter_delta_and_reset_detection():
    assert counter_delta_j(1_000, 3_500) == (2.5, None)
    joules, problem = counter_delta_j(9_000, 100)
    assert joules is None and "reset" in problem and "invalid" in problem
    assert counter_delta_j(None, 5)[0] is None


def test_trapezoid_is_exact_for_linear_power_and_skips_missing_points():
    points = [(0.0, 100.0), (1.0, 200.0), (3.0, 400.0)]
    assert trapezoid_j(points) == pytest.approx(150.0 + 600.0)
    assert trapezoid_j([(0.0, 100.0), (0.5, None), (1.0, 100.0)]) == pytest.approx(100.0)
    assert trapezoid_j([(0.0, 100.0)]) is None


def test_disagreement_is_relative_to_the_counter():
    assert disagreement_pct(100.0, 103.0) == pytest.approx(3.0)
    assert disagreement_pct(None, 1.0) is None and disagreement_pct(0.0, 1.0) is None


def test_sampler_sweeps_on_a_fixed_grid_between_synchronous_opening_and_closing_sweeps():
    gpus = Nvml.open(RecordingNvmlDouble([FakeGpu(0), FakeGpu(1)])).devices
    sampler = Sampler(gpus, interval_s=0.02)
    sampler.start()
    time.sleep(0.25)
    sweeps = sampler.stop()
    assert 8 <= len(sweeps) <= 16
    assert all(len(s.readings) == 2 for s in sweeps)
    gaps = [b.t - a.t for a, b in pairwise(sweeps[1:-1])]
    assert max(gaps) < 0.1 and sum(gaps) / len(gaps) == pytest.approx(0.02, rel=0.5)


class CountingNvml:
    """Wraps an NVML module and counts every per-device call, to check what a sweep costs in NVML calls."""

    def __init__(self, lib):
        self._lib = lib
        self.device_calls = 0

    def __getattr__(self, name):
        value = getattr(self._lib, name)
        if (
            callable(value)
            and name.startswith("nvmlDevice")
            and name not in ("nvmlDeviceGetCount", "nvmlDeviceGetHandleByIndex")
        ):

            def counted(*args, **kwargs):
                self.device_calls += 1
                return value(*args, **kwargs)

            return counted
        return value


def test_fast_and_full_sweeps_make_the_stated_number_of_nvml_calls():
    lib = CountingNvml(RecordingNvmlDouble([FakeGpu(0), FakeGpu(1)]))
    gpus = Nvml.open(lib).devices
    for g in gpus:
        g.power_source()  # probed once per GPU, outside any sweep
    for full, per_gpu in ((False, FAST_CALLS_PER_GPU), (True, FULL_CALLS_PER_GPU)):
        lib.device_calls = 0
        s = take_sweep(gpus, full=full)
        assert lib.device_calls == 2 * per_gpu == s.calls()
        assert s.cost_s >= 0
    assert (FAST_CALLS_PER_GPU, FULL_CALLS_PER_GPU) == (2, 9)


def test_every_sweep_reads_energy_and_power_and_every_kth_the_slow_fields():
    lib = RecordingNvmlDouble([FakeGpu(0)])
    s = Sampler(Nvml.open(lib).devices, interval_s=0.01, slow_every=4)
    s.start()
    time.sleep(0.2)
    sweeps = s.stop()
    assert all(sw.readings[0].energy_mj is not None and sw.readings[0].power_w is not None for sw in sweeps)
    full = [i for i, sw in enumerate(sweeps) if sw.full]
    assert full[0] == 0 and full[-1] == len(sweeps) - 1  # the window's edges are always full
    assert all(sweeps[i].readings[0].temperature_c is not None for i in full)
    fast = [sw for sw in sweeps if not sw.full]
    assert fast and all(sw.readings[0].temperature_c is None and sw.readings[0].pstate is None for sw in fast)
    # On the grid, slot k is full when k % 4 == 0: about a quarter of the inner sweeps.
    inner_full = len(full) - 2
    assert 0 < inner_full <= (len(sweeps) - 2) // 4 + 1


def test_a_sampler_thread_failure_surfaces_at_stop():
    gpus = Nvml.open(RecordingNvmlDouble([FakeGpu(0)])).devices
    sampler = Sampler(gpus, interval_s=0.005)
    sampler.start()
    gpus[0].power_w = None  # the next sweep calls None(): a bug, not an NVML error
    time.sleep(0.05)
    with pytest.raises(RuntimeError, match="sampler thread failed"):
        sampler.stop()


def ramp(elapsed):
    return 150.0 + 300.0 * ((elapsed * 4) % 1.0)  # a 250 ms saw-tooth between 150 and 450 W


def test_counter_and_integral_agree_on_a_varying_load_and_sum_over_gpus():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=ramp), FakeGpu(1, watts=100.0)])
    window = Window(Nvml.open(lib).devices, sampling=True, interval_s=0.01)
    window.open()
    time.sleep(0.6)
    e = window_energy(window.close(), integrate=True)
    assert e.problems == []
    assert e.counter_j == pytest.approx(sum(g.counter_j for g in e.per_gpu))
    assert e.per_gpu[1].counter_j == pytest.approx(100.0 * e.duration_s, rel=0.02)
    assert abs(disagreement_pct(e.counter_j, e.integrated_j)) < 5.0


def test_a_counter_reset_inside_the_window_invalidates_the_counter_energy_only():
    gpu = FakeGpu(0, watts=200.0)
    gpu.reset_at = 0.05
    window = Window(Nvml.open(RecordingNvmlDouble([gpu])).devices, sampling=True, interval_s=0.01)
    window.open()
    time.sleep(0.12)
    e = window_energy(window.close(), integrate=True)
    assert e.counter_j is None and "reset" in e.problems[0]
    assert e.integrated_j == pytest.approx(200.0 * e.duration_s, rel=0.1)


def test_without_sampling_the_counter_still_measures_the_window():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=300.0)])
    window = Window(Nvml.open(lib).devices, sampling=False, interval_s=0.1)
    window.open()
    time.sleep(0.1)
    sweeps = window.close()
    e = window_energy(sweeps, integrate=False)
    assert len(sweeps) == 2 and e.integrated_j is None
    assert e.counter_j == pytest.approx(300.0 * e.duration_s, rel=0.02)


def test_idle_baseline_power_comes_from_the_counter_and_adjusts_energy():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=70.0), FakeGpu(1, watts=60.0)])
    window = Window(Nvml.open(lib).devices, sampling=True, interval_s=0.01)
    b = measure_idle(window, 0.1)
    assert b.power_w == pytest.approx(130.0, rel=0.02)
    assert b.per_gpu_w == [pytest.approx(70.0, rel=0.02), pytest.approx(60.0, rel=0.02)]
    assert len(b.sweeps) >= 5
    assert adjusted_j(1000.0, 130.0, 5.0) == (650.0, 350.0)
    assert adjusted_j(None, 130.0, 5.0) == (None, None)


def test_throttle_fractions_count_only_slowdown_reasons():
    masks = [0x0, 0x1, 0x4, 0x4 | 0x20, None, 0x80 | 0x10]
    f = throttle_fractions(masks)
    assert f == {
        "sw_power_cap": 0.4,
        "hw_slowdown": 0.0,
        "sw_thermal_slowdown": 0.2,
        "hw_thermal_slowdown": 0.0,
        "hw_power_brake_slowdown": 0.2,
    }
    assert active_reasons(f) == ["sw_power_cap", "sw_thermal_slowdown", "hw_power_brake_slowdown"]
    assert throttle_fractions([None, None]) is None
    assert active_reasons(throttle_fractions([0x1, 0x2, 0x10, 0x100])) == []  # idle, app clocks, sync boost


def _reading(gpu, mem, ug, um):
    return Reading(
        gpu=gpu,
        power_w=100.0,
        energy_mj=None,
        temperature_c=40.0,
        sm_clock_mhz=None,
        mem_clock_mhz=None,
        mem_used_mib=mem,
        util_gpu_pct=ug,
        util_mem_pct=um,
        pstate=0,
        clocks_event_reasons=0,
    )


def _measured(sweeps, sampling=True):
    return Measured(
        duration_s=0.3,
        sweeps=sweeps,
        energy=None,
        sampling=sampling,
        interval_s=0.1,
        power_sources=[],
        baselines={},
        subtract="loaded_idle",
        output_tokens=10,
        unavailable_reason=None,
    )


def test_gpu_usage_sums_memory_over_gpus_and_averages_utilisation_over_gpus_then_samples():
    sweeps = [
        Sweep(t=0.0, ts=0.0, readings=[_reading(0, 1000.0, 90, 40), _reading(1, 3000.0, 50, 20)]),
        Sweep(t=0.1, ts=0.1, readings=[_reading(0, 2000.0, 100, 60), _reading(1, 3000.0, 70, 30)]),
        # GPU 1 lost its memory and utilisation readings: this sweep counts for neither (no extrapolation).
        Sweep(t=0.2, ts=0.2, readings=[_reading(0, 9000.0, 0, 0), _reading(1, None, None, None)]),
        Sweep(t=0.3, ts=0.3, readings=[_reading(0, 1500.0, 80, 50), _reading(1, 2500.0, 60, 10)]),
    ]
    u = gpu_usage_section(_measured(sweeps))
    # Per-sweep memory sums: 4000, 5000, -, 4000; utilisation per sweep: 70, 85, -, 70 and 30, 45, -, 30.
    assert u == {
        "memory_used_max_mib": 5000.0,
        "memory_used_mean_mib": pytest.approx(13000.0 / 3),
        "utilization_gpu_mean_pct": pytest.approx(75.0),
        "utilization_memory_mean_pct": pytest.approx(35.0),
        "samples": 4,
    }


def test_gpu_usage_is_null_when_not_sampled_or_not_reported():
    nulls = {
        "memory_used_max_mib": None,
        "memory_used_mean_mib": None,
        "utilization_gpu_mean_pct": None,
        "utilization_memory_mean_pct": None,
    }
    edges = [
        Sweep(t=0.0, ts=0.0, readings=[_reading(0, 1000.0, 90, 40)]),
        Sweep(t=0.3, ts=0.3, readings=[_reading(0, 1000.0, 90, 40)]),
    ]
    assert gpu_usage_section(_measured(edges, sampling=False)) == {**nulls, "samples": 0}  # only the edge sweeps
    assert gpu_usage_section(_measured(None)) == {**nulls, "samples": 0}  # no GPU measured (no NVML, MIG, simulated)
    unsupported = [Sweep(t=0.0, ts=0.0, readings=[_reading(0, None, None, None)])]
    assert gpu_usage_section(_measured(unsupported)) == {**nulls, "samples": 1}
