import sys
import time

import pytest

from lem_harness.nvml import POWER_SOURCE_AVERAGE, POWER_SOURCE_INSTANT, Nvml, NvmlCallFailed, NvmlUnavailable

from nvml_double import (
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_NO_PERMISSION,
    NVML_ERROR_NOT_SUPPORTED,
    NVML_ERROR_UNKNOWN,
    FakeGpu,
    NVMLError,
    RecordingNvmlDouble,
)


def test_instant_power_field_186_is_preferred_over_the_1s_average():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=321.0)])
    gpu = Nvml.open(lib).devices[0]
    assert gpu.power_source() == POWER_SOURCE_INSTANT
    assert gpu.power_w() == pytest.approx(321.0)
    assert ("nvmlDeviceGetFieldValues", (0, (186,))) in lib.calls
    assert not any(name == "nvmlDeviceGetPowerUsage" for name, _ in lib.calls)


def test_falls_back_to_power_usage_and_says_so_where_the_field_is_unsupported():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=250.0, instant_supported=False)])
    gpu = Nvml.open(lib).devices[0]
    assert gpu.power_source() == POWER_SOURCE_AVERAGE
    assert gpu.power_w() == pytest.approx(250.0)
    assert any(name == "nvmlDeviceGetPowerUsage" for name, _ in lib.calls)


def test_a_reading_holds_every_sampled_quantity():
    lib = RecordingNvmlDouble([FakeGpu(0, watts=100.0, reasons=0x4)])
    r = Nvml.open(lib).devices[0].read()
    assert r.power_w == pytest.approx(100.0)
    assert r.energy_mj is not None and r.temperature_c == 45
    assert (r.sm_clock_mhz, r.mem_clock_mhz, r.util_gpu_pct, r.util_mem_pct, r.pstate) == (1980, 2619, 97, 40, 0)
    assert r.mem_used_mib == pytest.approx(10 * 1024)
    assert r.clocks_event_reasons == 0x4


def test_deprecated_throttle_reasons_name_is_used_on_old_bindings():
    lib = RecordingNvmlDouble([FakeGpu(0, reasons=0x20)], has_event_reasons=False)
    assert Nvml.open(lib).devices[0].clocks_event_reasons() == 0x20


def test_unsupported_queries_read_as_none_not_as_an_error():
    gpu = Nvml.open(RecordingNvmlDouble([FakeGpu(0, mig=None)])).devices[0]
    assert gpu.mig_mode() is None
    assert Nvml.open(RecordingNvmlDouble([FakeGpu(0, mig=True)])).devices[0].mig_mode() is True


def test_environment_facts():
    nvml = Nvml.open(RecordingNvmlDouble([FakeGpu(0)], cuda=12040))
    g = nvml.devices[0]
    assert (g.name(), g.power_limit_w(), g.compute_capability(), g.persistence_mode()) == (
        "Recording GPU Double",
        700.0,
        "9.0",
        True,
    )
    assert nvml.cuda_driver_version() == "12.4"
    assert nvml.driver_version() == "580.00-double"


@pytest.mark.parametrize(
    "visible, expected",
    [(None, [0, 1, 2]), ("2,0", [2, 0]), ("1,banana,2", [1]), ("GPU-00000002", [2]), ("", [0, 1, 2])],
)
def test_cuda_visible_devices_selects_the_gpus_in_use(monkeypatch, visible, expected):
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    nvml = Nvml.open(RecordingNvmlDouble([FakeGpu(0), FakeGpu(1), FakeGpu(2)]))
    assert [g.index for g in nvml.devices] == expected


def test_unavailable_nvml_says_why(monkeypatch):
    with pytest.raises(NvmlUnavailable, match="nvmlInit failed: Driver Not Loaded"):
        Nvml.open(RecordingNvmlDouble(init_error="Driver Not Loaded"))
    with pytest.raises(NvmlUnavailable, match="no GPU"):
        Nvml.open(RecordingNvmlDouble(gpus=[]))
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` fail
    with pytest.raises(NvmlUnavailable, match="pynvml"):
        Nvml.open()


class NvmlLibraryDouble:
    """Stands in for libnvidia-ml loaded through ctypes (functions return NVML status codes)."""

    def __init__(self, init_rc=0, count=1):
        self.init_rc, self.count, self.shutdown_calls = init_rc, count, 0

    def nvmlInit_v2(self):
        return self.init_rc

    def nvmlDeviceGetCount_v2(self, ref):
        ref._obj.value = self.count
        return 0

    def nvmlShutdown(self):
        self.shutdown_calls += 1
        return 0


@pytest.mark.parametrize(
    "lib, expected",
    [(NvmlLibraryDouble(), True), (NvmlLibraryDouble(init_rc=9), False), (NvmlLibraryDouble(count=0), False)],
)
def test_the_health_probe_initialises_nvml_through_ctypes(monkeypatch, lib, expected):
    from lem_harness.nvml import probe

    monkeypatch.setattr(probe.ctypes, "CDLL", lambda name: lib)
    monkeypatch.setattr(probe.importlib.util, "find_spec", lambda name: object() if name == "pynvml" else None)
    assert probe.nvml_usable() is expected
    assert lib.shutdown_calls == (1 if lib.init_rc == 0 else 0)


def test_the_health_probe_says_no_without_pynvml_or_without_the_library(monkeypatch):
    from lem_harness.nvml import probe

    monkeypatch.setattr(probe.importlib.util, "find_spec", lambda name: None)
    assert probe.nvml_usable() is False
    monkeypatch.setattr(probe.importlib.util, "find_spec", lambda name: object())
    assert probe.nvml_usable("libnvidia-ml-absent.so.0") is False


# -- errors: only "not supported" means absent ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call, read",
    [
        ("nvmlDeviceGetTotalEnergyConsumption", lambda g: g.energy_mj()),
        ("nvmlDeviceGetTemperature", lambda g: g.temperature_c()),
        ("nvmlDeviceGetMigMode", lambda g: g.mig_mode()),
        ("nvmlDeviceGetPowerManagementLimit", lambda g: g.power_limit_w()),
        ("nvmlDeviceGetClockInfo", lambda g: g.read().sm_clock_mhz),
    ],
)
@pytest.mark.parametrize("code", [NVML_ERROR_GPU_IS_LOST, NVML_ERROR_NO_PERMISSION, NVML_ERROR_UNKNOWN])
def test_an_nvml_error_other_than_not_supported_fails_naming_the_gpu_and_the_call(call, read, code):
    gpu = FakeGpu(1, errors={call: code})
    device = Nvml.open(RecordingNvmlDouble([FakeGpu(0), gpu])).devices[1]
    with pytest.raises(NvmlCallFailed) as err:
        read(device)
    message = str(err.value)
    assert call in message and "GPU 1" in message and gpu.uuid in message


@pytest.mark.parametrize(
    "call, read",
    [
        ("nvmlDeviceGetTotalEnergyConsumption", lambda g: g.energy_mj()),
        ("nvmlDeviceGetTemperature", lambda g: g.temperature_c()),
        ("nvmlDeviceGetEccMode", lambda g: g.ecc_enabled()),
        ("nvmlDeviceGetPerformanceState", lambda g: g.read().pstate),
    ],
)
def test_not_supported_reads_as_none(call, read):
    device = Nvml.open(RecordingNvmlDouble([FakeGpu(0, errors={call: NVML_ERROR_NOT_SUPPORTED})])).devices[0]
    assert read(device) is None


def test_a_lost_gpu_names_what_failed_even_when_its_uuid_cannot_be_read():
    gpu = FakeGpu(
        0,
        errors={"nvmlDeviceGetPowerUsage": NVML_ERROR_GPU_IS_LOST, "nvmlDeviceGetUUID": NVML_ERROR_GPU_IS_LOST},
        instant_supported=False,
    )
    device = Nvml.open(RecordingNvmlDouble([gpu])).devices[0]
    expected = r"nvmlDeviceGetPowerUsage failed on GPU 0 \(uuid unreadable\): GPU is lost"
    with pytest.raises(NvmlCallFailed, match=expected):
        device.power_w()


def test_the_power_field_maps_its_own_return_code():
    gpu = FakeGpu(0)
    device = Nvml.open(RecordingNvmlDouble([gpu])).devices[0]
    assert device.power_source() == POWER_SOURCE_INSTANT
    gpu.field_return = NVML_ERROR_GPU_IS_LOST
    with pytest.raises(NvmlCallFailed, match=r"NVML_FI_DEV_POWER_INSTANT.*return code 15"):
        device.power_w()


def test_a_failing_sampler_fails_the_window_with_the_nvml_error():
    from lem_harness.measure.window import Window

    gpu = FakeGpu(0)
    window = Window(Nvml.open(RecordingNvmlDouble([gpu])).devices, sampling=True, interval_s=0.01)
    window.open()
    gpu.errors["nvmlDeviceGetTemperature"] = NVML_ERROR_GPU_IS_LOST
    time.sleep(0.1)
    with pytest.raises(RuntimeError, match="nvmlDeviceGetTemperature failed on GPU 0"):
        window.close()


def test_system_queries_map_errors_the_same_way():
    lib = RecordingNvmlDouble([FakeGpu(0)])
    nvml = Nvml.open(lib)
    lib.nvmlSystemGetDriverVersion = lambda: (_ for _ in ()).throw(NVMLError(NVML_ERROR_NOT_SUPPORTED))
    assert nvml.driver_version() is None
    lib.nvmlSystemGetCudaDriverVersion = lambda: (_ for _ in ()).throw(NVMLError(NVML_ERROR_NO_PERMISSION))
    with pytest.raises(NvmlCallFailed, match="Insufficient Permissions"):
        nvml.cuda_driver_version()


def test_constants_come_from_the_bindings_by_name():
    lib = RecordingNvmlDouble([FakeGpu(0)])
    lib.NVML_FI_DEV_POWER_INSTANT = 4242  # whatever the bindings say is used, not a number of our own
    Nvml.open(lib).devices[0].power_w()
    assert ("nvmlDeviceGetFieldValues", (0, (4242,))) in lib.calls
    del RecordingNvmlDouble.NVML_FI_DEV_POWER_INSTANT  # bindings older than the name: nvml.h's value
    try:
        lib = RecordingNvmlDouble([FakeGpu(0)])
        Nvml.open(lib).devices[0].power_w()
        assert ("nvmlDeviceGetFieldValues", (0, (186,))) in lib.calls
    finally:
        RecordingNvmlDouble.NVML_FI_DEV_POWER_INSTANT = 186


def test_close_shuts_nvml_down_once():
    lib = RecordingNvmlDouble([FakeGpu(0)])
    nvml = Nvml.open(lib)
    nvml.close()
    nvml.close()
    assert [name for name, _ in lib.calls].count("nvmlShutdown") == 1
