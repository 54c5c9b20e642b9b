"""NVML access, kept apart from measurement (as Zeus does): sampler, baseline and environment probe read GPUs
through this one surface, and tests hand in a recorder double in place of the pynvml module."""

from lem_harness.nvml.device import (  # noqa: F401
    FI_DEV_POWER_AVERAGE,
    FI_DEV_POWER_INSTANT,
    POWER_SOURCE_AVERAGE,
    POWER_SOURCE_INSTANT,
    GpuDevice,
    Nvml,
    NvmlCallFailed,
    NvmlUnavailable,
    Reading,
)
