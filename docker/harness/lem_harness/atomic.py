"""Atomic writes: a reader never sees a partial file or a partial result folder.

Files are written to a temporary name in the same directory, fsynced, then os.replace'd. A result folder is
assembled under a hidden temporary name beside its final place and renamed into place; an existing folder
(a retried attempt) is swapped out with renameat2(RENAME_EXCHANGE) where the kernel offers it, else moved
aside first, so at no moment does a half-written folder carry the final name.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp/mkdtemp create 0600/0700 entries; results are read by the orchestrator on the host, often as
# another user, so they get the ordinary permissions the process's umask allows.
_UMASK = _umask()
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


def write_file(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the platform or filesystem cannot."""
    import ctypes  # only for retried attempts: kept off the start-up path

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False  # not offered here: the caller falls back to move-aside-then-rename
    raise OSError(err, os.strerror(err), str(a))


def temp_prefix(final_dir: Path) -> str:
    return f".{final_dir.name}.tmp-"


def remove_stale_temps(final_dir: Path) -> None:
    """Temporary folders left by a killed harness (SIGKILL gives no chance to clean up)."""
    parent = final_dir.parent
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if entry.name.startswith(temp_prefix(final_dir)) or entry.name.startswith(f".{final_dir.name}.old-"):
            shutil.rmtree(entry)


def write_folder(final_dir: Path, files: dict[str, bytes]) -> None:
    parent = final_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(final_dir)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(final_dir), dir=parent))
    try:
        os.chmod(tmp, DIR_MODE)
        for name, data in files.items():
            write_file(tmp / name, data)
        _fsync_dir(tmp)
        if final_dir.exists():
            if _exchange(tmp, final_dir):
                shutil.rmtree(tmp)  # tmp now holds the previous attempt
            else:
                old = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.old-", dir=parent))
                os.rename(final_dir, old / "prev")
                os.rename(tmp, final_dir)
                shutil.rmtree(old)
        else:
            os.rename(tmp, final_dir)
        _fsync_dir(parent)
    except BaseException:
        if tmp.exists():
            shutil.rmtree(tmp)
        raise
