"""lem_harness: the in-container measurement harness of lem.

Started by the orchestrator as `python3 -m lem_harness run <batch-spec.json>` inside a backend container.
Standard library only at import time; engines, torch and pynvml are imported lazily, where used, so that
`health` and a zero-work `run` start fast.
"""

__version__ = "0.1.0"
