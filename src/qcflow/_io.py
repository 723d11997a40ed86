"""Small file-system helpers with one job each: atomic writes, mainly.

A user's file is never left half-written: content goes to a temporary file in the same
directory, is flushed to disk, then renamed over the destination (atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from qcflow.errors import InvalidInput

__all__ = ["atomic_write_bytes", "atomic_write_text", "writable_dir"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; raise :class:`InvalidInput` if it can't be written."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        msg = f"cannot write {target}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        # mkstemp creates 0600 files; give the result the usual permissions of a new file.
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        if isinstance(err, OSError):
            msg = f"cannot write {target}: {err.strerror or err}"
            raise InvalidInput(msg) from err
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, fsync: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def writable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as a directory one can write in (created with its parents if missing), or
    :class:`InvalidInput` naming ``what`` it is for and why not."""
    folder = Path(path)
    if "\0" in str(folder):
        msg = f"cannot use {path!r} as {what}: a path has no NUL character"
        raise InvalidInput(msg)
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "exists and is not a directory")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"cannot use {path} as {what}: {err.strerror or err}"
        raise InvalidInput(msg) from None
    try:
        with tempfile.TemporaryFile(dir=folder):  # the real test: permissions lie to root
            pass
    except OSError as err:  # say so: /proc exists, yet creating a file there is ENOENT
        msg = f"cannot use {path} as {what}: cannot create a file in it ({err.strerror or err})"
        raise InvalidInput(msg) from None
    return folder
