"""RecordingNvmlDouble: stands in for the pynvml module where there is no GPU. It records every call, serves
a configurable power trace, and keeps an energy counter consistent with that trace (integrated exactly at
each read), so energy tests compare two independently computed numbers that must agree. A FakeGpu's `errors`
makes the double raise a given NVML error code from a given call, as pynvml does (NVMLError with `.value`),
so the harness's error mapping is tested against the codes a real driver returns."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

# nvml.h's return codes, under pynvml's names.
NVML_SUCCESS = 0
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_UNKNOWN = 999
_ERROR_TEXT = {
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    NVML_ERROR_UNKNOWN: "Unknown Error",
}


class NVMLError(Exception):
    """pynvml's exception: the return code in `.value`, nvmlErrorString's text as the message."""

    def __init__(self, value, text=None):
        self.value = value
        super().__init__(text or _ERROR_TEXT.get(value, f"NVML error {value}"))


def NVMLError_NotSupported(_text=None):  # pynvml's class name
    return NVMLError(NVML_ERROR_NOT_SUPPORTED)


class _FieldValue:
    def __init__(self, ret, value_type, mw):
        self.nvmlReturn = ret
        self.valueType = value_type
        self.value = SimpleNamespace(uiVal=int(mw), dVal=float(mw), ulVal=int(mw), ullVal=int(mw))


class FakeGpu:
    def __init__(
        self,
        index,
        watts=200.0,
        name="Recording GPU Double",
        reasons=0x0,
        mig=None,
        instant_supported=True,
        temperature=45,
        mem_used_mib=10 * 1024,
        util_gpu=97,
        util_mem=40,
        errors=None,
    ):
        self.index = index
        self.watts = watts  # constant, or a callable of elapsed seconds
        self.name = name
        self.uuid = f"GPU-0000000{index}-double"
        self.reasons = reasons  # constant, or a callable of elapsed seconds
        self.mig = mig
        self.instant_supported = instant_supported
        self.temperature = temperature
        self.mem_used_mib = mem_used_mib  # MiB in use; None: the GPU does not report memory
        self.util = (util_gpu, util_mem)  # percent; None: the GPU does not report utilisation
        self.t0 = time.perf_counter()
        self.energy_mj = 1_000_000.0 + index * 5_000.0
        self.last_t = self.t0
        self.lock = threading.Lock()
        self.reset_at = None  # elapsed seconds after which the counter restarts from 0 (a driver reload)
        self.errors = dict(errors or {})  # NVML call name -> the return code it fails with
        self.field_return = None  # a return code for the power field itself (the call as a whole succeeds)

    def elapsed(self):
        return time.perf_counter() - self.t0

    def power_at(self, elapsed):
        return self.watts(elapsed) if callable(self.watts) else self.watts

    def counter(self):
        # Integrate the trace since the last read with fine steps: the counter is "the truth".
        with self.lock:
            now = time.perf_counter()
            steps = max(1, int((now - self.last_t) / 0.0005))
            dt = (now - self.last_t) / steps
            for k in range(steps):
                mid = self.last_t + (k + 0.5) * dt - self.t0
                self.energy_mj += self.power_at(mid) * dt * 1000.0
            self.last_t = now
            if self.reset_at is not None and now - self.t0 >= self.reset_at:
                self.energy_mj, self.reset_at = 0.0, None
            return int(self.energy_mj)

    def reset_counter(self):
        """What a driver reload does to the cumulative counter."""
        self.counter()
        with self.lock:
            self.energy_mj = 0.0


class RecordingNvmlDouble:
    """Module-like object with the pynvml names the harness uses."""

    NVMLError = NVMLError
    NVML_SUCCESS = NVML_SUCCESS
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
    NVML_FI_DEV_POWER_AVERAGE = 185
    NVML_FI_DEV_POWER_INSTANT = 186
    NVML_TEMPERATURE_GPU = 0
    NVML_CLOCK_SM = 1
    NVML_CLOCK_MEM = 2
    NVML_VALUE_TYPE_DOUBLE = 0
    NVML_VALUE_TYPE_UNSIGNED_INT = 1
    NVML_VALUE_TYPE_UNSIGNED_LONG = 2
    NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3
    NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4

    def __init__(self, gpus=None, init_error=None, driver="580.00-double", cuda=13000, has_event_reasons=True):
        self.gpus = gpus if gpus is not None else [FakeGpu(0)]
        self.init_error = init_error
        self.driver = driver
        self.cuda = cuda
        self.calls = []
        self.initialised = False
        if not has_event_reasons:
            # Older bindings only offer the deprecated ThrottleReasons name.
            self.nvmlDeviceGetCurrentClocksThrottleReasons = self._reasons
        else:
            self.nvmlDeviceGetCurrentClocksEventReasons = self._reasons

    def __getattribute__(self, name):
        # Every nvmlDevice* call first fails with the code its GPU's `errors` names, if any.
        attr = object.__getattribute__(self, name)
        if not name.startswith("nvmlDevice") or name in ("nvmlDeviceGetCount", "nvmlDeviceGetHandleByIndex"):
            return attr

        def call(h, *args):
            code = getattr(h, "errors", {}).get(name)
            if code is not None:
                raise NVMLError(code)
            return attr(h, *args)

        call.__name__ = name
        return call

    def _rec(self, name, *args):
        self.calls.append((name, args))

    def nvmlInit(self):
        self._rec("nvmlInit")
        if self.init_error:
            raise NVMLError(NVML_ERROR_DRIVER_NOT_LOADED, self.init_error)
        self.initialised = True

    def nvmlShutdown(self):
        self._rec("nvmlShutdown")
        self.initialised = False

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, i):
        return self.gpus[i]

    def nvmlSystemGetDriverVersion(self):
        return self.driver

    def nvmlSystemGetCudaDriverVersion(self):
        return self.cuda

    def nvmlDeviceGetName(self, h):
        return h.name

    def nvmlDeviceGetUUID(self, h):
        return h.uuid

    def nvmlDeviceGetMemoryInfo(self, h):
        if h.mem_used_mib is None:
            raise NVMLError_NotSupported("Not Supported")
        used = int(h.mem_used_mib * 2**20)
        return SimpleNamespace(total=80 * 2**30, used=used, free=80 * 2**30 - used)

    def nvmlDeviceGetPowerManagementLimit(self, h):
        return 700_000

    def nvmlDeviceGetPowerManagementDefaultLimit(self, h):
        return 700_000

    def nvmlDeviceGetPersistenceMode(self, h):
        return 1

    def nvmlDeviceGetMigMode(self, h):
        if h.mig is None:
            raise NVMLError_NotSupported("Not Supported")
        return [1 if h.mig else 0, 0]

    def nvmlDeviceGetEccMode(self, h):
        return [1, 1]

    def nvmlDeviceGetTemperature(self, h, sensor):
        return h.temperature

    def nvmlDeviceGetCudaComputeCapability(self, h):
        return (9, 0)

    def nvmlDeviceGetTotalEnergyConsumption(self, h):
        self._rec("nvmlDeviceGetTotalEnergyConsumption", h.index)
        return h.counter()

    def nvmlDeviceGetFieldValues(self, h, field_ids):
        self._rec("nvmlDeviceGetFieldValues", h.index, tuple(field_ids))
        if not h.instant_supported:
            return [_FieldValue(h.field_return or NVML_ERROR_NOT_SUPPORTED, 1, 0)]  # the field's own return code
        if h.field_return:
            return [_FieldValue(h.field_return, 1, 0)]
        return [_FieldValue(0, 1, h.power_at(h.elapsed()) * 1000.0)]

    def nvmlDeviceGetPowerUsage(self, h):
        self._rec("nvmlDeviceGetPowerUsage", h.index)
        return int(h.power_at(h.elapsed()) * 1000.0)

    def nvmlDeviceGetClockInfo(self, h, clock):
        return 1980 if clock == 1 else 2619

    def nvmlDeviceGetUtilizationRates(self, h):
        if h.util[0] is None:
            raise NVMLError_NotSupported("Not Supported")
        return SimpleNamespace(gpu=h.util[0], memory=h.util[1])

    def nvmlDeviceGetPerformanceState(self, h):
        return 0

    def _reasons(self, h):
        return h.reasons(h.elapsed()) if callable(h.reasons) else h.reasons
