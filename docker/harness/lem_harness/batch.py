"""A batch: experiments that share one loaded engine, run in the order the orchestrator planned.

A crash in one experiment is reported (`failed` event, traceback on stderr), leaves no result folder, and
the batch goes on. SIGINT/SIGTERM end the batch: the running experiment is reported `failed` with a reason
starting "interrupted", and its partial state is dropped (atomic writes clean their temporary folder).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from lem_harness import __version__, engines
from lem_harness.engine_cache import EngineCache
from lem_harness.events import EventWriter
from lem_harness.experiment import BatchContext, run_experiment
from lem_harness.interrupt import Interrupted
from lem_harness.nvml import Nvml, NvmlUnavailable
from lem_harness.spec import BatchSpec


def open_nvml(lib: Any = None) -> tuple[Nvml | None, str | None]:
    try:
        return Nvml.open(lib), None
    except NvmlUnavailable as e:
        return None, str(e)


def _traceback() -> str:
    import traceback  # only failures need it (~1 ms of imports saved on every clean exec)

    return traceback.format_exc()


def _log(message: str) -> None:
    print(f"lem_harness: {message}", file=sys.stderr, flush=True)


def _close_nvml(ctx: BatchContext) -> None:
    """nvmlShutdown once the batch is done. Not on interruption: the sampler thread may be inside an NVML call
    then, and the process is about to exit, which releases NVML anyway."""
    if ctx.nvml is not None:
        try:
            ctx.nvml.close()
        except Exception:
            _log(f"nvmlShutdown failed at the end of the batch:\n{_traceback()}")


def run_batch(
    spec: BatchSpec,
    events: EventWriter,
    *,
    nvml_lib: Any = None,
    nvml_module: str = "pynvml",
    engine_factory: Callable[[str], Any] = engines.create,
) -> int:
    """Runs the batch; returns the process exit code (0, or 130/143 when interrupted)."""
    ctx = BatchContext(
        spec=spec,
        events=events,
        engines=EngineCache(engine_factory),
        open_nvml=lambda: open_nvml(nvml_lib),
        nvml_module=nvml_module,
    )
    events.emit("batch_started", batch_id=spec.batch_id, harness_version=__version__, experiments=len(spec.experiments))
    completed = failed = 0
    current: str | None = None
    try:
        for exp in spec.experiments:
            current = exp.experiment_id
            gate = ctx.gate(exp.experiment_id)
            try:
                time.sleep(exp.pause_before_s)
                run_experiment(ctx, exp)
                completed += 1
            except Exception as e:
                if ctx.active_window is not None:
                    ctx.active_window.abandon()
                    ctx.active_window = None
                _log(f"experiment {exp.experiment_id} failed:\n{_traceback()}")
                events.emit("failed", experiment_id=exp.experiment_id, reason=f"{type(e).__name__}: {e}")
                failed += 1
            finally:
                # lem stops waiting for it, whatever became of it (an interruption included).
                if gate is not None:
                    gate.end()
            current = None
        try:
            ctx.engines.release()
        except Exception:
            # Every experiment is already reported; a failed unload only matters for this process's memory.
            _log(f"unloading the engine at the end of the batch failed:\n{_traceback()}")
        _close_nvml(ctx)
        events.emit("batch_finished", batch_id=spec.batch_id, completed=completed, failed=failed)
        return 0
    except Interrupted as intr:
        if ctx.active_window is not None:
            ctx.active_window.abandon()
        if current is not None:
            events.emit("failed", experiment_id=current, reason=f"interrupted by {intr.name}: no result written")
        _log(f"interrupted by {intr.name}; exiting")
        return intr.exit_code
