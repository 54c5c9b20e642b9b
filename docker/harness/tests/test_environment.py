"""in_container from the namespaces the process runs in, never from /.dockerenv alone."""

import pytest

from lem_harness.environment import in_container

HOST_MOUNTS = "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
DOCKER_MOUNTS = (
    "1203 1131 0:312 / / rw,relatime master:590 - overlay overlay rw,lowerdir=/var/lib/docker/l/A\n"
    "1204 1203 0:314 / /proc rw,nosuid - proc proc rw\n"
)
HOST = {
    "/proc/1/cgroup": "0::/init.scope\n",
    "/proc/self/mountinfo": HOST_MOUNTS,
    "/proc/1/sched": "systemd (1, #threads: 1)\n-------\nse.exec_start : 1.0\n",
    "/.dockerenv": "",
}


def reader(files):
    return lambda path: files.get(path)


def test_a_host_with_a_stray_dockerenv_is_not_a_container():
    assert in_container(reader(HOST), {}) is False


@pytest.mark.parametrize(
    "change",
    [
        {"/proc/1/cgroup": "12:pids:/docker/4f2a9c\n0::/docker/4f2a9c\n"},  # cgroup v1 (or v2 without a namespace)
        {"/proc/1/cgroup": "0::/kubepods/besteffort/pod1/abc\n"},
        {"/proc/self/mountinfo": DOCKER_MOUNTS, "/proc/1/cgroup": "0::/\n"},  # cgroup v2 with its own namespace
        {"/proc/1/sched": "sleep (48213, #threads: 1)\n"},  # PID 1 here, another PID on the host
    ],
)
def test_container_signs_are_read_from_cgroups_mounts_and_pid_namespace(change):
    assert in_container(reader({**HOST, **change}), {}) is True


def test_the_container_variable_podman_and_nspawn_set():
    assert in_container(reader(HOST), {"container": "podman"}) is True


def test_unreadable_proc_files_mean_no_evidence():
    assert in_container(reader({}), {}) is False
