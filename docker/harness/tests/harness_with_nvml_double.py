"""`python3 harness_with_nvml_double.py <batch-spec.json>`: the harness's `run` command as a real process, with
NVML replaced by nvml_double_module (in this process and in a process sampler) and a non-simulated synthetic
engine double, so lifecycle tests can signal a real harness that has a real sampler process."""

import sys

import nvml_double_module

from lem_harness import interrupt
from lem_harness.batch import run_batch
from lem_harness.engines.synthetic import SyntheticEngine
from lem_harness.events import protect_stdout
from lem_harness.spec import load_spec


class MeasuredSyntheticEngineDouble(SyntheticEngine):
    name = "measured-synthetic-double"
    simulated = False


if __name__ == "__main__":
    interrupt.install()
    spec = load_spec(sys.argv[1])
    code = run_batch(
        spec,
        protect_stdout(),
        nvml_lib=nvml_double_module,
        nvml_module="nvml_double_module",
        engine_factory=lambda backend: MeasuredSyntheticEngineDouble(),
    )
    sys.stderr.flush()
    import os

    os._exit(code)
