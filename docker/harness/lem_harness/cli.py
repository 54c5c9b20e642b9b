"""Command line: `python3 -m lem_harness run | check | ps | stop | warm | health | version`.

Exit codes of `run`: 0 the batch ran (failed experiments are reported by events), 2 the spec is invalid or
unreadable (the message on stderr names the field), 3 another harness is already measuring in this container
(stderr names its campaign, batch and pid; nothing is written, no event printed), 130 / 143 interrupted by
SIGINT / SIGTERM, 1 a harness bug outside any experiment (traceback on stderr).
"""

from __future__ import annotations

import json
import os
import sys

from lem_harness import __version__

USAGE = """usage: python3 -m lem_harness run <batch-spec.json>      run a batch; JSON-line events on stdout
       python3 -m lem_harness check <batch-spec.json>...  validate specs; one JSON line each: what the harness reads
       python3 -m lem_harness ps                          one JSON line per running harness
       python3 -m lem_harness stop <key> [--wait S]       SIGTERM the harness runs naming key; print how many
       python3 -m lem_harness warm                        precompile the harness (bytecode cache)
       python3 -m lem_harness health                      one JSON line: engines and NVML available
       python3 -m lem_harness gpus                        one JSON line: the GPUs this container's NVML sees
       python3 -m lem_harness version                     the harness version
       python3 -m lem_harness serve-synthetic --port P --ttft-ms X --itl-ms Y
                                                          a simulated OpenAI-compatible server (test double)
       python3 -m lem_harness serve-sample [--simulated-url U] [--interval-ms N] [--pid-file F]
                                                          energy counter and power, one JSON line per sample"""


def _line(record: object) -> None:
    print(json.dumps(record, separators=(",", ":"), allow_nan=False), flush=True)


def health() -> dict:
    from lem_harness import engines
    from lem_harness.nvml.probe import nvml_usable

    return {"ok": True, "harness_version": __version__, "engines": engines.available(), "nvml": nvml_usable()}


def gpus(lib: object = None) -> dict:
    """The GPUs NVML shows this container (index, UUID, name, memory, MIG mode): lem's inventory as the harness
    sees it, to set beside what the host's nvidia-smi lists. No NVML is an empty list with the reason."""
    from lem_harness.nvml import Nvml, NvmlCallFailed, NvmlUnavailable

    try:
        nvml = Nvml.open(lib)
    except NvmlUnavailable as e:
        return {"gpus": [], "error": str(e)}
    try:
        listed = [
            {
                "index": g.index,
                "uuid": g.uuid(),
                "name": g.name(),
                "memory_total_mib": g.memory_total_mib(),
                "mig_mode": g.mig_mode(),
            }
            for g in nvml.devices
        ]
    except NvmlCallFailed as e:
        return {"gpus": [], "error": str(e)}
    finally:
        nvml.close()
    return {"gpus": listed, "error": None}


def run(spec_path: str) -> int:
    from lem_harness import interrupt
    from lem_harness.run_lock import BUSY_EXIT, Busy, RunLock
    from lem_harness.spec import SpecError, load_spec

    interrupt.install()
    try:
        spec = load_spec(spec_path)
        lock = RunLock.acquire(spec.campaign_id, spec.batch_id)
    except SpecError as e:
        print(f"lem_harness: invalid batch spec: {e}", file=sys.stderr)
        return 2
    except Busy as busy:
        print(f"lem_harness: {busy}", file=sys.stderr)
        return BUSY_EXIT
    except interrupt.Interrupted as intr:
        return intr.exit_code

    from lem_harness.batch import run_batch
    from lem_harness.events import protect_stdout

    events = protect_stdout()
    code = run_batch(spec, events)
    if code != 0:
        # Interrupted: leave now. Engine threads or worker processes must not hold the exit up (the kernel
        # releases the lock with the process).
        sys.stderr.flush()
        os._exit(code)
    lock.release()
    return code


def check(paths: list[str]) -> int:
    """Each spec checked as `run` would, printing the settings the harness reads, keyed by config path."""
    from lem_harness.settings import config_paths
    from lem_harness.spec import SpecError, load_spec

    worst = 0
    for path in paths:
        try:
            spec = load_spec(path)
        except SpecError as e:
            _line({"spec": path, "ok": False, "error": str(e)})
            worst = 2
            continue
        experiments = [
            {"experiment_id": e.experiment_id, "settings": config_paths(e.settings)} for e in spec.experiments
        ]
        _line({"spec": path, "ok": True, "experiments": experiments})
    return worst


def stop(args: list[str]) -> int:
    from lem_harness.processes import stop as stop_runs

    wait_s = 0.0
    if len(args) == 3 and args[1] == "--wait":
        try:
            wait_s = float(args[2])
        except ValueError:
            wait_s = -1.0
        args = args[:1]
    if len(args) != 1 or not args[0] or wait_s < 0:
        print(f"lem_harness: stop needs a non-empty key and an optional --wait SECONDS\n{USAGE}", file=sys.stderr)
        return 2
    print(stop_runs(args[0], wait_s), flush=True)
    return 0


def warm() -> int:
    """Fills the bytecode cache. The harness mount is read-only, so lem sets PYTHONPYCACHEPREFIX; with a prefix
    set the standard library's own __pycache__ is not used either. Importing the run path caches it and the
    stdlib modules it needs; compile_dir compiles the rest of the package without importing it, so engine
    modules are compiled without loading vLLM or TensorRT-LLM. Without this the first `run` in a fresh
    container pays the compile inside its first experiment (measured 158 ms vs 58 ms warm)."""
    import compileall

    import lem_harness
    import lem_harness.batch
    import lem_harness.engines.base
    import lem_harness.events
    import lem_harness.interrupt
    import lem_harness.run_lock
    import lem_harness.spec

    ok = compileall.compile_dir(os.path.dirname(lem_harness.__file__), quiet=1)
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    command, args = argv[0], argv[1:]
    if command == "version" and not args:
        print(__version__)
        return 0
    if command == "gpus" and not args:
        _line(gpus())
        return 0
    if command == "health" and not args:
        _line(health())
        return 0
    if command == "serve-synthetic":
        from lem_harness.serving.synthetic_server import main as serve_main

        return serve_main(args)
    if command == "serve-sample":
        from lem_harness.serving.sampler import main as sample_main

        return sample_main(args)
    if command == "run" and len(args) == 1:
        return run(args[0])
    if command == "check" and args:
        return check(args)
    if command == "ps" and not args:
        from lem_harness.processes import running

        for record in running():
            _line(record)
        return 0
    if command == "stop" and args:
        return stop(args)
    if command == "warm" and not args:
        return warm()
    print(f"lem_harness: unknown command {' '.join(argv)!r}\n{USAGE}", file=sys.stderr)
    return 2
