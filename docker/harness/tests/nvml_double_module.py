"""RecordingNvmlDouble as an importable module, for code that imports its NVML binding by name in another process
(the process sampler: `--nvml-module nvml_double_module`). Module attributes are the double's (PEP 562): a fresh
process gets its own double with LEM_NVML_DOUBLE_GPUS GPUs (default 1) drawing LEM_NVML_DOUBLE_WATTS (default 250)."""

import os

from nvml_double import FakeGpu, RecordingNvmlDouble

_LIB = RecordingNvmlDouble(
    [
        FakeGpu(i, watts=float(os.environ.get("LEM_NVML_DOUBLE_WATTS", "250")))
        for i in range(int(os.environ.get("LEM_NVML_DOUBLE_GPUS", "1")))
    ]
)


def __getattr__(name):
    return getattr(_LIB, name)
