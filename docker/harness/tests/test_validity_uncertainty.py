"""Validity checks, the uncertainty budget, baseline drift and batch shapes: pure functions against cases worked
out by hand."""

import math

import pytest

from lem_harness.measure.baseline import Baseline, baseline_info, drift_pct
from lem_harness.measure.sweep import Sweep
from lem_harness.measure.throttle import POWER_CAP_BIT, SLOWDOWN_BITS, share_with
from lem_harness.measure.uncertainty import budget, combine
from lem_harness.measure.validity import WindowFacts, validity
from lem_harness.nvml import Reading
from lem_harness.shapes import distinct_shapes, fixed_shape_batches


def facts(**kw):
    base = dict(
        measured=True,
        window_s=30.0,
        coverage=0.98,
        gap_pct=0.6,
        temp_min_c=35.0,
        temp_max_c=70.0,
        slowdown_share=0.0,
        power_cap_share=0.0,
        baseline_name="loaded_idle",
        baseline_drift_pct=0.4,
    )
    return WindowFacts(**{**base, **kw})


def by_name(v):
    return {c["name"]: c for c in v["checks"]}


def test_a_good_window_passes_every_check_with_its_threshold():
    v = validity(facts())
    assert v["valid"] and v["reasons"] == [] and all(c["passed"] for c in v["checks"])
    assert {n: c["threshold"] for n, c in by_name(v).items()} == {
        "window_length": ">= 10 s",
        "sample_coverage": ">= 0.75",
        "counter_vs_integral": "|gap| <= 5 %",
        "temperature_range": "20-95 °C",
        "throttle_share": "<= 5 % of samples",
        "baseline_stability": "|drift| <= 5 %",
    }


@pytest.mark.parametrize(
    "kw,failing",
    [
        ({"window_s": 9.99}, "window_length"),
        ({"coverage": 0.74}, "sample_coverage"),
        ({"gap_pct": -5.9}, "counter_vs_integral"),
        ({"temp_max_c": 96.0}, "temperature_range"),
        ({"temp_min_c": 19.0}, "temperature_range"),
        ({"slowdown_share": 0.06}, "throttle_share"),
        ({"baseline_drift_pct": 5.5}, "baseline_stability"),
    ],
)
def test_each_check_fails_on_its_own_side_of_the_threshold(kw, failing):
    v = validity(facts(**kw))
    assert not v["valid"]
    assert [n for n, c in by_name(v).items() if c["passed"] is False] == [failing]
    assert len(v["reasons"]) == 1 and v["reasons"][0].startswith(failing)


def test_boundaries_pass_and_a_power_cap_alone_does_not_fail():
    v = validity(
        facts(
            window_s=10.0,
            coverage=0.75,
            gap_pct=5.0,
            temp_min_c=20.0,
            temp_max_c=95.0,
            slowdown_share=0.05,
            power_cap_share=0.9,
            baseline_drift_pct=-5.0,
        )
    )
    assert v["valid"]
    assert "power cap active in 90.0 %" in by_name(v)["throttle_share"]["detail"]


def test_missing_inputs_are_not_applicable_never_a_silent_pass():
    v = validity(
        facts(
            coverage=None,
            gap_pct=None,
            slowdown_share=None,
            temp_min_c=None,
            temp_max_c=None,
            baseline_name=None,
            baseline_drift_pct=None,
        )
    )
    assert v["valid"]
    assert [n for n, c in by_name(v).items() if c["passed"] is None] == [
        "sample_coverage",
        "counter_vs_integral",
        "temperature_range",
        "throttle_share",
        "baseline_stability",
    ]
    unmeasured = validity(facts(measured=False, window_s=1.0))
    assert unmeasured["valid"] and all(c["passed"] is None for c in unmeasured["checks"])


def test_uncertainty_budget_against_a_hand_computed_case():
    # 0.2 J/token over a 20 s window, 4000 J on one GPU, integral 1.2 % above the counter:
    # sensor 0.05, update 0.1 / 20 = 0.005, resolution 2 x 0.001 / 4000 = 5e-7, gap 0.012;
    # combined = sqrt(0.0025 + 0.000025 + 2.5e-13 + 0.000144) = sqrt(0.00266900000025) = 0.05166236541;
    # low = 0.2 x (1 - 0.05166236541) = 0.18966752692, high = 0.21033247308.
    u = budget(0.2, 20.0, 4000.0, 1.2, 1)
    rel = {c["name"]: c["relative"] for c in u["components"]}
    assert rel == pytest.approx(
        {
            "sensor_accuracy": 0.05,
            "counter_update_period": 0.005,
            "counter_resolution": 5e-7,
            "counter_vs_integral": 0.012,
        }
    )
    assert u["combined_relative"] == pytest.approx(0.05166236541, abs=1e-10)
    assert u["low"] == pytest.approx(0.18966752692, abs=1e-10)
    assert u["high"] == pytest.approx(0.21033247308, abs=1e-10)


def test_uncertainty_without_an_integral_or_energy():
    # Sampling off: no gap component. 2 GPUs, 1000 J, 2 s: resolution 4 x 0.001 / 1000 = 4e-6, update 0.05.
    u = budget(0.5, 2.0, 1000.0, None, 2)
    assert [c["name"] for c in u["components"]] == ["sensor_accuracy", "counter_update_period", "counter_resolution"]
    assert u["combined_relative"] == pytest.approx(math.sqrt(0.05**2 + 0.05**2 + 4e-6**2))
    assert budget(None, 2.0, 1000.0, None, 1) is None and budget(0.5, 2.0, None, None, 1) is None
    assert combine([3.0, 4.0]) == 5.0


def sweep(t, power, pstate=None, sm=None):
    r = Reading(
        gpu=0,
        power_w=power,
        energy_mj=None,
        temperature_c=None,
        sm_clock_mhz=sm,
        mem_clock_mhz=None,
        mem_used_mib=None,
        util_gpu_pct=None,
        util_mem_pct=None,
        pstate=pstate,
        clocks_event_reasons=None,
    )
    return Sweep(t=t, ts=t, readings=[r], full=pstate is not None)


def test_baseline_drift_compares_the_halves_of_its_power_samples():
    assert drift_pct([sweep(i, p) for i, p in enumerate([100, 100, 110, 110])]) == pytest.approx(10.0)
    assert drift_pct([sweep(i, p) for i, p in enumerate([100, 100, 999, 90, 90])]) == pytest.approx(-10.0)
    assert drift_pct([sweep(0, 100), sweep(1, 100), sweep(2, 100)]) is None


def test_baseline_info_reports_the_most_frequent_pstate_and_median_clocks():
    sweeps = [sweep(0, 78, 8, 345), sweep(1, 78), sweep(2, 78, 8, 345), sweep(3, 79, 0, 1980)]
    b = Baseline(
        name="device_idle",
        duration_s=3.0,
        power_w=78.3,
        per_gpu_w=[78.3],
        sweeps=sweeps,
        measured_at="2026-12-01T00:00:00.000Z",
    )
    info = baseline_info(b)
    assert (info["name"], info["pstate"], info["sm_clock_mhz"], info["samples"]) == ("device_idle", 8, 345.0, 4)
    assert info["reused"] is False and baseline_info(b.as_reused())["reused"] is True
    assert baseline_info(None) is None


def test_throttle_shares():
    masks = [0x0, 0x1, 0x4, 0x4 | 0x20, None, 0x80]
    assert share_with(masks, SLOWDOWN_BITS) == pytest.approx(2 / 5)
    assert share_with(masks, POWER_CAP_BIT) == pytest.approx(2 / 5)
    assert share_with([None], SLOWDOWN_BITS) is None


def test_distinct_shapes_and_fixed_shape_batches():
    lengths = [10, 12, 10, 10, 12, 7, 3]
    batches = [[0, 1], [2, 3], [4, 1], [5, 6]]
    assert distinct_shapes(batches, lengths) == [0, 1, 3]  # (2, 12), (2, 10), (2, 7)
    assert distinct_shapes([[0, 1, 2, 3, 4, 5, 6]], lengths) == [0]
    assert fixed_shape_batches(5, 2) == [[0, 1], [2, 3], [4, 0]]
    assert fixed_shape_batches(3, 8) == [[0, 1, 2]]
    assert fixed_shape_batches(0, 2) == []
