import statistics

import pytest

from lem_harness.latency import DEFINITIONS, RequestTiming, summarise
from lem_harness.stats import coefficient_of_variation, distribution, percentile


def test_percentiles_interpolate_linearly_between_ranks():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile(values, 99) == pytest.approx(9.91)
    assert percentile([4.0], 95) == 4.0


def test_distribution_of_nothing_is_none_and_of_values_is_complete():
    assert distribution([]) is None
    d = distribution([3.0, 1.0, 2.0])
    assert d == {
        "n": 3,
        "mean": 2.0,
        "p50": 2.0,
        "p90": pytest.approx(2.8),
        "p95": pytest.approx(2.9),
        "p99": pytest.approx(2.98),
        "min": 1.0,
        "max": 3.0,
    }


def test_cv_is_sample_stdev_over_mean():
    assert coefficient_of_variation([1.0]) is None
    assert coefficient_of_variation([0.0, 0.0]) is None
    values = [1.0, 1.1, 0.9]
    assert coefficient_of_variation(values) == pytest.approx(statistics.stdev(values) / 1.0)


def test_latency_metrics_follow_the_vllm_definitions():
    # Request A: sent at 0, chunks at 0.100, 0.120, 0.150, 0.160 s (4 tokens).
    a = RequestTiming(
        submitted=0.0, finished=0.160, input_tokens=10, output_tokens=4, chunks=[0.100, 0.120, 0.150, 0.160]
    )
    # Request B: one token only: it has a TTFT but no TPOT and no gaps.
    b = RequestTiming(submitted=0.0, finished=0.050, input_tokens=5, output_tokens=1, chunks=[0.050])
    out = summarise([a, b])
    assert out["ttft_ms"]["n"] == 2
    assert sorted([out["ttft_ms"]["min"], out["ttft_ms"]["max"]]) == pytest.approx([50.0, 100.0])
    # TPOT excludes the first token: (160 - 100) / (4 - 1) = 20 ms; B has none.
    assert out["tpot_ms"]["n"] == 1 and out["tpot_ms"]["mean"] == pytest.approx(20.0)
    # ITL pools every gap of every request: 20, 30, 10 ms.
    assert out["itl_ms"]["n"] == 3 and out["itl_ms"]["mean"] == pytest.approx(20.0)
    assert out["itl_ms"]["max"] == pytest.approx(30.0)
    assert out["e2e_ms"]["max"] == pytest.approx(160.0)
    assert set(DEFINITIONS) <= set(out["definitions"])
    assert "excludes the first token" in out["definitions"]["tpot_ms"]


def test_engines_without_streaming_report_e2e_and_the_ttft_they_know():
    r = RequestTiming(submitted=1.0, finished=2.0, input_tokens=3, output_tokens=11, first_token=1.1)
    out = summarise([r])
    assert out["ttft_ms"]["mean"] == pytest.approx(100.0)
    assert out["tpot_ms"]["mean"] == pytest.approx(90.0)
    assert out["itl_ms"] is None
    silent = summarise([RequestTiming(submitted=0.0, finished=1.0, input_tokens=1, output_tokens=5)])
    assert silent["ttft_ms"] is None and silent["tpot_ms"] is None and silent["e2e_ms"]["n"] == 1
