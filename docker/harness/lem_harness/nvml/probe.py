"""A fast yes/no for `health` (the Docker healthcheck, which must answer in well under 200 ms): is pynvml
installed, and does the NVML library initialise and see a GPU? It talks to libnvidia-ml through ctypes,
because importing pynvml alone takes about 60 ms on an H100 machine (see docs/validation)."""

from __future__ import annotations

import ctypes
import importlib.util

LIBRARY = "libnvidia-ml.so.1"


def nvml_usable(library: str = LIBRARY) -> bool:
    if importlib.util.find_spec("pynvml") is None:
        return False  # the harness reads NVML through pynvml: without it, no energy
    try:
        lib = ctypes.CDLL(library)
    except OSError:
        return False  # no NVIDIA driver library in this container
    init = getattr(lib, "nvmlInit_v2", None) or getattr(lib, "nvmlInit", None)
    get_count = getattr(lib, "nvmlDeviceGetCount_v2", None) or getattr(lib, "nvmlDeviceGetCount", None)
    if init is None or get_count is None or init() != 0:
        return False
    try:
        count = ctypes.c_uint(0)
        return get_count(ctypes.byref(count)) == 0 and count.value > 0
    finally:
        lib.nvmlShutdown()
