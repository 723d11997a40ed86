"""A self-pipe: how an executor's ``wait``, asleep in ``select``, is woken from elsewhere.

Both executors sleep in ``select`` on the read end of a :class:`WakePipe` (with their own
pidfds or nothing else), and anything that must end that sleep writes a byte to it: ``wake()``
from the engine's signal handlers or another thread, a Dask callback with a result, the
local executor's ``SIGCHLD`` handler. The byte stays until :meth:`WakePipe.drain`, so a wake
that comes before the sleep still ends it. After :meth:`WakePipe.close`, a late writer (a Dask
thread, a signal) writes nothing: never to a closed descriptor number the process has reused
for another file.

The kernel gives a process's signal to any thread that does not block it, and a task's end
sends the runner a ``SIGCHLD``: a helper thread (the resource monitor's, the live display's)
that received it was woken for nothing (tens of microseconds of its CPU per task, measured),
and the handler, which Python runs in the main thread only, waited until that thread woke
anyway. Threads the runner starts are started inside :func:`sigchld_blocked`, so they inherit a
signal mask that blocks ``SIGCHLD`` and the main thread gets every one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["WakePipe", "sigchld_blocked"]


@contextlib.contextmanager
def sigchld_blocked() -> Iterator[None]:
    """Block ``SIGCHLD`` in this thread meanwhile: threads started inside inherit the block (a
    ``SIGCHLD`` arriving meanwhile waits, pending, and is delivered after)."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: no SIGCHLD either
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class WakePipe:
    """A non-blocking pipe to wake a ``select``; see the module docstring."""

    def __init__(self) -> None:
        self.fd, self._write = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._write, False)
        # Re-entrant: wake() also runs in signal handlers, maybe while this thread holds it.
        self._lock = threading.RLock()
        self._closed = False

    def wake(self) -> None:
        """Make :attr:`fd` readable; safe from any thread and from a signal handler."""
        with self._lock:
            if not self._closed:
                with contextlib.suppress(BlockingIOError, OSError):  # full: readable anyway
                    os.write(self._write, b"!")

    def drain(self) -> None:
        """Read everything written so far."""
        with contextlib.suppress(BlockingIOError):
            # A short read took all there was: no second read just to hear "empty".
            while len(os.read(self.fd, 4096)) == 4096:
                pass

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self.fd)
                os.close(self._write)
