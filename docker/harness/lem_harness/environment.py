"""Environment metadata: what the numbers were measured on. Read from NVML, /proc and /sys;
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


_CGROUP_MARKERS = ("docker", "kubepods", "containerd", "libpod", "lxc", "crio", "garden")
_OVERLAY_ROOTS = ("overlay", "fuse-overlayfs", "aufs")


def _root_fstype(mountinfo: str) -> str | None:
    """The filesystem type mounted at / (mountinfo: `id parent dev root mountpoint opts... - fstype src opts`)."""
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/" and " - " in line:
            return line.split(" - ", 1)[1].split()[0]
    return None


def _sched_pid(sched: str) -> int | None:
    """The PID in /proc/1/sched's first line, `comm (PID, #threads: N)`: on kernels that print the host's PID,
    a process that is PID 1 in its own namespace but not on the host is in a container."""
    first = sched.split("\n", 1)[0]
    start = first.rfind("(")
    try:
        return int(first[start + 1 :].split(",", 1)[0]) if start >= 0 else None
    except ValueError:
        return None


def in_container(read=_read, environ=os.environ) -> bool:
    """Whether this process runs in a container, judged from its namespaces rather than marker files: a host
    may have /.dockerenv lying around (a leftover, an image turned into a VM), so that file alone decides
    nothing. Signs, any of which is enough: a container engine's name in PID 1's cgroup path (cgroup v1, or
    v2 without a private cgroup namespace), an overlay filesystem as the root mount (every Docker and Podman
    image), PID 1 being another PID on the host (/proc/1/sched), or the `container` variable that Podman,
    systemd-nspawn and LXC set for PID 1."""
    cgroup = read("/proc/1/cgroup") or ""
    if any(marker in cgroup for marker in _CGROUP_MARKERS):
        return True
    if _root_fstype(read("/proc/self/mountinfo") or "") in _OVERLAY_ROOTS:
        return True
    pid = _sched_pid(read("/proc/1/sched") or "")
    if pid is not None and pid != 1:
        return True
    return bool(environ.get("container"))


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
