"""Command line: `python3 -m lem_harness run <batch-spec.json> | health | version`.

Exit codes of `run`: 0 the batch ran (failed experiments are reported by events), 2 the spec is invalid or
unreadable (the message on stderr names the field), 130 / 143 interrupted by SIGINT / SIGTERM, 1 a harness
bug outside any experiment (traceback on stderr).
"""

from __future__ import annotations

import json
import os
import sys

from lem_harness import __version__

USAGE = """usage: python3 -m lem_harness run <batch-spec.json>   run a batch; JSON-line events on stdout
       python3 -m lem_harness health                    one JSON line: engines and NVML available
       python3 -m lem_harness version                   the harness version
       python3 -m lem_harness serve-synthetic --port P --ttft-ms X --itl-ms Y
                                                        a simulated OpenAI-compatible server (test double)"""


def health() -> dict:
    from lem_harness import engines
    from lem_harness.nvml.probe import nvml_usable

    return {"ok": True, "harness_version": __version__, "engines": engines.available(), "nvml": nvml_usable()}


def run(spec_path: str) -> int:
    from lem_harness import interrupt
    from lem_harness.spec import load_spec
    from lem_harness.validate import SpecError

    interrupt.install()
    try:
        spec = load_spec(spec_path)
    except SpecError as e:
        print(f"lem_harness: invalid batch spec: {e}", file=sys.stderr)
        return 2
    except interrupt.Interrupted as intr:
        return intr.exit_code

    from lem_harness.batch import run_batch
    from lem_harness.events import protect_stdout

    events = protect_stdout()
    code = run_batch(spec, events)
    if code != 0:
        # Interrupted: leave now. Engine threads or worker processes must not hold the exit up.
        sys.stderr.flush()
        os._exit(code)
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    command, args = argv[0], argv[1:]
    if command == "version" and not args:
        print(__version__)
        return 0
    if command == "health" and not args:
        print(json.dumps(health(), separators=(",", ":")), flush=True)
        return 0
    if command == "serve-synthetic":
        from lem_harness.serving.synthetic_server import main as serve_main

        return serve_main(args)
    if command == "run" and len(args) == 1:
        return run(args[0])
    print(f"lem_harness: unknown command {' '.join(argv)!r}\n{USAGE}", file=sys.stderr)
    return 2
