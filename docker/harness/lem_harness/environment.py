"""Environment metadata (MEAS-01): what the numbers were measured on. Read from NVML, /proc and /sys;
anything that cannot be read is null, never guessed."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path

from lem_harness import __version__
from lem_harness.nvml import Nvml


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # absent on this kernel or masked in this container: reported as null


def cpu_model() -> str | None:
    text = _read("/proc/cpuinfo") or ""
    for line in text.splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or None


def cpu_governor() -> str | None:
    text = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    return text.strip() if text else None


def in_container() -> bool:
    if os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv"):
        return True
    cgroup = _read("/proc/1/cgroup") or ""
    return any(word in cgroup for word in ("docker", "kubepods", "containerd", "libpod"))


def gpu_info(nvml: Nvml) -> list[dict]:
    return [
        {
            "index": g.index,
            "name": g.name(),
            "uuid": g.uuid(),
            "memory_total_mib": g.memory_total_mib(),
            "power_limit_w": g.power_limit_w(),
            "power_default_limit_w": g.power_default_limit_w(),
            "persistence_mode": g.persistence_mode(),
            "mig_mode": g.mig_mode(),
            "ecc_enabled": g.ecc_enabled(),
            "temperature_c_start": g.temperature_c(),
            "compute_capability": g.compute_capability(),
        }
        for g in nvml.devices
    ]


def collect(nvml: Nvml | None, nvml_error: str | None, engine_name: str, engine_version: str | None) -> dict:
    return {
        "nvml_available": nvml is not None,
        "nvml_error": nvml_error,
        "gpus": gpu_info(nvml) if nvml is not None else [],
        "driver_version": nvml.driver_version() if nvml is not None else None,
        # The CUDA version the driver supports (NVML); the engine's own CUDA runtime is in engine.version.
        "cuda_version": nvml.cuda_driver_version() if nvml is not None else None,
        "cpu": {"model": cpu_model(), "governor": cpu_governor(), "cores": os.cpu_count()},
        "container": {
            "in_container": in_container(),
            # The orchestrator knows the image; it passes it as LEM_CONTAINER_IMAGE (compose environment).
            "image": os.environ.get("LEM_CONTAINER_IMAGE") or None,
            "hostname": socket.gethostname(),
        },
        "python_version": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "engine": {"name": engine_name, "version": engine_version},
        "harness_version": __version__,
    }


