import os

import pytest

from lem_harness import atomic
from lem_harness.settings import Warmup
from lem_harness.warmup import run_warmup


def warm(latencies, cfg, shapes=(0,)):
    it = iter(latencies)
    seen = []
    ran = []

    def run_batch(i):
        ran.append(i)
        return next(it)

    summary = run_warmup(run_batch, list(shapes), cfg, lambda run, cv: seen.append((run, cv)), clock=lambda: 0.0)
    return summary, seen, ran


def cfg_of(**kw):
    return Warmup(pad_to_fixed_shape=False, **kw)


def test_warmup_stops_once_the_last_window_is_steady_and_the_cold_run_is_not_in_the_cv():
    cfg = cfg_of(max_runs=10, cv_threshold=0.05, window=3, min_runs=3)
    # The cold run (9 s) would keep the CV above 0.05 until it left the window; it never enters it.
    summary, seen, _ = warm([9.0, 1.0, 1.0, 1.01, 0.99, 9.0], cfg)
    assert summary.converged and summary.runs == 4 and summary.cold_run_s == 9.0
    assert [cv is None for _, cv in seen] == [True, True, True, False]
    assert summary.final_cv < 0.05


def test_every_distinct_shape_runs_once_before_the_first_batch_repeats():
    cfg = cfg_of(max_runs=10, cv_threshold=0.05, window=2, min_runs=2)
    summary, seen, ran = warm([7.0, 6.0, 5.0, 1.0, 1.0], cfg, shapes=(0, 2, 5))
    assert ran == [0, 2, 5, 0, 0] and summary.shapes == 3 and summary.converged and summary.runs == 5
    assert [run for run, _ in seen] == [1, 2, 3, 4, 5]


def test_warmup_respects_min_runs_even_when_steady_early():
    cfg = cfg_of(max_runs=10, cv_threshold=0.05, window=2, min_runs=4)
    summary, _, _ = warm([1.0] * 11, cfg)
    assert summary.converged and summary.runs == 5  # the cold run + 4 repeats


def test_warmup_gives_up_at_max_runs_and_says_it_did_not_converge():
    cfg = cfg_of(max_runs=4, cv_threshold=0.01, window=2, min_runs=0)
    summary, seen, _ = warm([5.0, 1.0, 2.0, 1.0, 2.0], cfg)
    assert not summary.converged and summary.runs == 5 and len(seen) == 5
    assert summary.final_cv == pytest.approx(0.4714, rel=1e-3)


def test_folder_write_creates_and_replaces_whole_folders(tmp_path):
    final = tmp_path / "camp" / "exp"
    atomic.write_folder(final, {"result.json": b"first", "samples.csv": b"a"})
    atomic.write_folder(final, {"result.json": b"second"})
    assert sorted(p.name for p in final.iterdir()) == ["result.json"]  # the old attempt's files are gone
    assert (final / "result.json").read_bytes() == b"second"
    assert [p.name for p in final.parent.iterdir()] == ["exp"]  # no temporary folder left beside it
    assert oct((final / "result.json").stat().st_mode & 0o777) == oct(atomic.FILE_MODE)


def test_a_failed_write_leaves_neither_a_partial_folder_nor_a_temporary(tmp_path, monkeypatch):
    final = tmp_path / "camp" / "exp"
    calls = []

    def failing_write(path, data):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    real_write = atomic.write_file
    monkeypatch.setattr(atomic, "write_file", failing_write)
    with pytest.raises(OSError):
        atomic.write_folder(final, {"result.json": b"x", "samples.csv": b"y"})
    assert list(final.parent.iterdir()) == []


def test_a_failed_replacement_keeps_the_previous_attempt_whole(tmp_path, monkeypatch):
    final = tmp_path / "camp" / "exp"
    atomic.write_folder(final, {"result.json": b"attempt 1"})
    monkeypatch.setattr(atomic, "write_file", lambda p, d: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        atomic.write_folder(final, {"result.json": b"attempt 2"})
    assert (final / "result.json").read_bytes() == b"attempt 1"
    assert [p.name for p in final.parent.iterdir()] == ["exp"]


def test_stale_temporaries_of_a_killed_harness_are_removed(tmp_path):
    final = tmp_path / "camp" / "exp"
    stale = final.parent / (atomic.temp_prefix(final) + "abc")
    stale.mkdir(parents=True)
    (stale / "result.json").write_text("partial")
    other = final.parent / ".other.tmp-1"
    other.mkdir()
    atomic.write_folder(final, {"result.json": b"ok"})
    assert not stale.exists() and other.exists()


def test_file_write_replaces_atomically(tmp_path):
    target = tmp_path / "f.json"
    target.write_text("old")
    atomic.write_file(target, b"new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["f.json"]
