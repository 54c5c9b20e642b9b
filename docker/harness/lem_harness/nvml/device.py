"""Thin wrapper over pynvml (nvidia-ml-py). The NVML facts it relies on:

- nvmlDeviceGetTotalEnergyConsumption: cumulative mJ since driver load (Volta+), updated about every 100 ms.
- nvmlDeviceGetPowerUsage is a 1 s average on Ampere (except A100) and newer, so for a time series to
  integrate we read the field value NVML_FI_DEV_POWER_INSTANT (186) and fall back to it only where the field
  is not supported, saying so in `power_source`.
- Clock event reasons: nvmlDeviceGetCurrentClocksEventReasons (ThrottleReasons is the deprecated name).

Errors are mapped as Zeus maps them: only NVML_ERROR_NOT_SUPPORTED means "this GPU does not offer the reading",
which reads as None. Any other NVML error (GPU lost, no permission, unknown...) raises NvmlCallFailed naming
the GPU and the call: a lost GPU or a permission problem must fail the experiment, not pass as a missing value.
Constants are read from the bindings by name; a fallback number is given only where older nvidia-ml-py
releases lack the name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

# nvml.h's values, for bindings older than the names (NVML_FI_DEV_POWER_INSTANT came with driver 515's NVML).
FI_DEV_POWER_AVERAGE = 185
FI_DEV_POWER_INSTANT = 186
# nvmlValueType_t name -> the member of the value union that holds it.
_VALUE_MEMBERS = {
    "NVML_VALUE_TYPE_DOUBLE": "dVal",
    "NVML_VALUE_TYPE_UNSIGNED_INT": "uiVal",
    "NVML_VALUE_TYPE_UNSIGNED_LONG": "ulVal",
    "NVML_VALUE_TYPE_UNSIGNED_LONG_LONG": "ullVal",
    "NVML_VALUE_TYPE_SIGNED_LONG_LONG": "sllVal",
    "NVML_VALUE_TYPE_SIGNED_INT": "siVal",  # newer bindings only
    "NVML_VALUE_TYPE_UNSIGNED_SHORT": "usVal",  # newer bindings only
}

POWER_SOURCE_INSTANT = "nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT=186)"
POWER_SOURCE_AVERAGE = "nvmlDeviceGetPowerUsage (1 s average on Ampere and newer)"


class NvmlUnavailable(Exception):
    """NVML cannot be used here (no pynvml, no driver, no GPU); the message is the stated reason."""


class NvmlCallFailed(RuntimeError):
    """An NVML call failed for a reason other than "not supported": the GPU is lost, access is denied, ..."""


def not_supported(lib: Any, error: BaseException) -> bool:
    return getattr(error, "value", None) == lib.NVML_ERROR_NOT_SUPPORTED


def _call_name(fn: Callable) -> str:
    return getattr(fn, "__name__", None) or repr(fn)


@dataclass(slots=True)
class Reading:
    """One GPU's instantaneous state, as the sampler records it."""

    gpu: int
    power_w: float | None
    energy_mj: int | None
    temperature_c: float | None
    sm_clock_mhz: int | None
    mem_clock_mhz: int | None
    mem_used_mib: float | None
    util_gpu_pct: int | None
    util_mem_pct: int | None
    pstate: int | None
    clocks_event_reasons: int | None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GpuDevice:
    def __init__(self, lib: Any, index: int, handle: Any):
        self.lib = lib
        self.index = index
        self.handle = handle
        self._power_source: str | None = None
        self._reasons_fn: Callable | None = getattr(lib, "nvmlDeviceGetCurrentClocksEventReasons", None) or getattr(
            lib, "nvmlDeviceGetCurrentClocksThrottleReasons", None
        )
        self._instant_field = getattr(lib, "NVML_FI_DEV_POWER_INSTANT", FI_DEV_POWER_INSTANT)
        self._value_members = {getattr(lib, n): m for n, m in _VALUE_MEMBERS.items() if hasattr(lib, n)}
        self._uuid: str | None = None

    def _failed(self, call: str, error: object) -> NvmlCallFailed:
        return NvmlCallFailed(f"NVML {call} failed on GPU {self.index} ({self._uuid_for_message()}): {error}")

    def _uuid_for_message(self) -> str:
        if self._uuid is None:
            try:
                self._uuid = _text(self.lib.nvmlDeviceGetUUID(self.handle))
            except self.lib.NVMLError:
                return "uuid unreadable"  # a lost GPU answers nothing; the failed call is what the message reports
        return self._uuid

    def _required(self, fn: Callable, *args: Any) -> Any:
        try:
            return fn(self.handle, *args)
        except self.lib.NVMLError as e:
            raise self._failed(_call_name(fn), e) from e

    # -- optional reads: not supported on this GPU -> None; any other NVML error raises ----------------
    def _optional(self, fn: Callable, *args: Any) -> Any:
        try:
            return fn(self.handle, *args)
        except self.lib.NVMLError as e:
            if not_supported(self.lib, e):
                return None
            raise self._failed(_call_name(fn), e) from e

    def name(self) -> str:
        return _text(self._required(self.lib.nvmlDeviceGetName))

    def uuid(self) -> str:
        if self._uuid is None:
            self._uuid = _text(self._required(self.lib.nvmlDeviceGetUUID))
        return self._uuid

    def memory_total_mib(self) -> float | None:
        info = self._optional(self.lib.nvmlDeviceGetMemoryInfo)
        return None if info is None else info.total / 2**20

    def power_limit_w(self) -> float | None:
        mw = self._optional(self.lib.nvmlDeviceGetPowerManagementLimit)
        return None if mw is None else mw / 1000.0

    def power_default_limit_w(self) -> float | None:
        mw = self._optional(self.lib.nvmlDeviceGetPowerManagementDefaultLimit)
        return None if mw is None else mw / 1000.0

    def persistence_mode(self) -> bool | None:
        mode = self._optional(self.lib.nvmlDeviceGetPersistenceMode)
        return None if mode is None else bool(mode)

    def mig_mode(self) -> bool | None:
        """Current MIG mode; None where the GPU has no MIG support (NVML answers NotSupported)."""
        modes = self._optional(self.lib.nvmlDeviceGetMigMode)
        return None if modes is None else bool(modes[0])

    def ecc_enabled(self) -> bool | None:
        modes = self._optional(self.lib.nvmlDeviceGetEccMode)
        return None if modes is None else bool(modes[0])

    def temperature_c(self) -> float | None:
        t = self._optional(self.lib.nvmlDeviceGetTemperature, self.lib.NVML_TEMPERATURE_GPU)
        return None if t is None else float(t)

    def compute_capability(self) -> str | None:
        cc = self._optional(self.lib.nvmlDeviceGetCudaComputeCapability)
        return None if cc is None else f"{cc[0]}.{cc[1]}"

    # -- measurement reads -------------------------------------------------------------------------------
    def energy_mj(self) -> int | None:
        return self._optional(self.lib.nvmlDeviceGetTotalEnergyConsumption)

    def _instant_power_w(self) -> float | None:
        values = self._optional(self.lib.nvmlDeviceGetFieldValues, [self._instant_field])
        if not values:
            return None
        fv = values[0]
        # The call succeeds as a whole; each field carries its own return code.
        call = "nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)"
        if fv.nvmlReturn == self.lib.NVML_ERROR_NOT_SUPPORTED:
            return None
        if fv.nvmlReturn != self.lib.NVML_SUCCESS:
            raise self._failed(call, f"return code {fv.nvmlReturn}")
        member = self._value_members.get(fv.valueType)
        if member is None:
            raise self._failed(call, f"value type {fv.valueType} is not one these bindings name")
        return float(getattr(fv.value, member)) / 1000.0  # mW

    def power_source(self) -> str:
        """Which power reading this GPU offers, probed once: the instantaneous field, else the 1 s average."""
        if self._power_source is None:
            self._power_source = POWER_SOURCE_INSTANT if self._instant_power_w() is not None else POWER_SOURCE_AVERAGE
        return self._power_source

    def power_w(self) -> float | None:
        if self.power_source() == POWER_SOURCE_INSTANT:
            return self._instant_power_w()
        mw = self._optional(self.lib.nvmlDeviceGetPowerUsage)
        return None if mw is None else mw / 1000.0

    def clocks_event_reasons(self) -> int | None:
        return None if self._reasons_fn is None else self._optional(self._reasons_fn)

    def read(self, *, energy: bool = True) -> Reading:
        """All sampled quantities; the energy counter only when asked (it is by far the slowest query)."""
        mem = self._optional(self.lib.nvmlDeviceGetMemoryInfo)
        util = self._optional(self.lib.nvmlDeviceGetUtilizationRates)
        return Reading(
            gpu=self.index,
            power_w=self.power_w(),
            energy_mj=self.energy_mj() if energy else None,
            temperature_c=self.temperature_c(),
            sm_clock_mhz=self._optional(self.lib.nvmlDeviceGetClockInfo, self.lib.NVML_CLOCK_SM),
            mem_clock_mhz=self._optional(self.lib.nvmlDeviceGetClockInfo, self.lib.NVML_CLOCK_MEM),
            mem_used_mib=None if mem is None else mem.used / 2**20,
            util_gpu_pct=None if util is None else util.gpu,
            util_mem_pct=None if util is None else util.memory,
            pstate=self._optional(self.lib.nvmlDeviceGetPerformanceState),
            clocks_event_reasons=self.clocks_event_reasons(),
        )


def _visible_filter(count: int, uuids: Callable[[int], str]) -> list[int]:
    """GPUs this process may use: CUDA_VISIBLE_DEVICES (indices or GPU-UUIDs) when set, else every GPU NVML
    sees (inside a container NVML sees only the GPUs the container was given)."""
    spec = os.environ.get("CUDA_VISIBLE_DEVICES")
    if spec is None or spec.strip() == "":
        return list(range(count))
    chosen: list[int] = []
    all_uuids: list[str] | None = None
    for token in (t.strip() for t in spec.split(",")):
        if token.isdigit():
            if int(token) < count:
                chosen.append(int(token))
            continue
        if token.startswith("GPU-"):
            all_uuids = all_uuids or [uuids(i) for i in range(count)]
            chosen.extend(i for i, u in enumerate(all_uuids) if u.startswith(token))
            continue
        # CUDA stops reading the list at the first invalid entry; so do we.
        break
    return list(dict.fromkeys(chosen))


class Nvml:
    """An initialised NVML session. `open()` raises NvmlUnavailable with the reason where it cannot."""

    def __init__(self, lib: Any):
        self.lib = lib
        try:
            lib.nvmlInit()
        except lib.NVMLError as e:
            raise NvmlUnavailable(f"nvmlInit failed: {e}") from e
        try:
            count = lib.nvmlDeviceGetCount()
            handles = [lib.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except lib.NVMLError as e:
            lib.nvmlShutdown()
            raise NvmlUnavailable(f"NVML cannot list GPUs: {e}") from e
        if count == 0:
            lib.nvmlShutdown()
            raise NvmlUnavailable("NVML sees no GPU")
        visible = _visible_filter(count, lambda i: _text(lib.nvmlDeviceGetUUID(handles[i])))
        if not visible:
            lib.nvmlShutdown()
            raise NvmlUnavailable(f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r} selects no GPU")
        self.devices = [GpuDevice(lib, i, handles[i]) for i in visible]
        self._open = True

    @classmethod
    def open(cls, lib: Any = None) -> "Nvml":
        if lib is None:
            try:
                import pynvml as lib  # nvidia-ml-py
            except ImportError as e:
                raise NvmlUnavailable("pynvml (nvidia-ml-py) is not installed in this container") from e
        return cls(lib)

    def _system(self, fn: Callable) -> Any:
        """A system-level query: None where not supported, NvmlCallFailed for any other error."""
        try:
            return fn()
        except self.lib.NVMLError as e:
            if not_supported(self.lib, e):
                return None
            raise NvmlCallFailed(f"NVML {_call_name(fn)} failed: {e}") from e

    def driver_version(self) -> str | None:
        version = self._system(self.lib.nvmlSystemGetDriverVersion)
        return None if version is None else _text(version)

    def cuda_driver_version(self) -> str | None:
        """The CUDA version the driver supports (e.g. 13000 -> "13.0")."""
        fn = getattr(self.lib, "nvmlSystemGetCudaDriverVersion_v2", None) or getattr(
            self.lib, "nvmlSystemGetCudaDriverVersion", None
        )
        v = None if fn is None else self._system(fn)
        if v is None:
            return None
        v = int(v)
        return f"{v // 1000}.{(v % 1000) // 10}"

    def close(self) -> None:
        """nvmlShutdown, once: NVML counts initialisations, and each must be matched."""
        if self._open:
            self._open = False
            self.lib.nvmlShutdown()
