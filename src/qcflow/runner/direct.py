"""Which commands run without a shell: a plain list of words is executed directly, as GNU make does.

A task's command normally runs as the ``/bin/bash -c`` text of
:func:`~qcflow.runner.executor.shell_text`. Starting bash costs each task about a millisecond of
CPU, more than the runner's own work for it, for a command bash would only look up on ``PATH``
and run. So the local executor runs such a command itself (:class:`PlainCommands` says which; GNU
make's "fast path" does the same for recipe lines without shell syntax), opening the log as the
shell would and writing the completion marker after exit code 0.

A command runs directly only when bash could do nothing but that with it:

- every word is made of ``A-Z a-z 0-9 _ @ % + = : , . / -`` (no quoting, expansion, glob,
  redirection, operator, comment or line break), words separated by spaces or tabs;
- the first word has no ``=`` (an assignment), does not start with ``%`` (a job: ``fg %1``)
  and is no bash keyword or builtin, except ``true`` and ``false`` without arguments: bash
  runs its builtins whatever ``PATH`` holds, and these two do exactly what the system's
  ``/usr/bin/true`` and ``false`` do, which then run (``echo``, ``pwd``, ``kill`` and the other
  builtins differ from their programs in details and stay with bash);
- the environment has none of what changes how bash starts or what it passes on: a bash
  function (``BASH_FUNC_*``), ``BASH_ENV`` (a file bash reads first), ``SHELLOPTS`` and
  ``BASHOPTS`` (``xtrace``, ``noclobber``, ...), ``IFS`` and ``PS4`` (bash resets them); and it has
  a ``PATH`` whose directories bash and :func:`shutil.which` read alike (none empty or starting
  with ``~``), on which the program is found;
- the task's directory is the runner's own (``posix_spawn`` cannot change directory) and it
  is the task's first attempt (a retry's log gets a header line first). In the backfill lane
  ``nice -n 19`` runs the program by its path (:func:`~qcflow.runner.process.spawn_plain`), so
  only a program the kernel runs as it is (:func:`kernel_runs`): what fails to start then
  fails in ``nice``, and ``nice`` has ``/bin/sh`` run what the kernel refuses.

Anything else, a log that is not a regular file (a FIFO, a terminal: :func:`plain_log`), and
any command the direct start fails for (its program gone meanwhile, a script without ``#!``, a
log that cannot be opened), runs through bash as before, so the result and the messages stay
bash's. A task the runner ends (a kill, a timeout, ``--enforce-memory``) has no exit code even
if its program exited 0 on SIGTERM, and gets no marker, as through bash, which dies of the
signal.

What differs from bash for a command run directly:

- a command killed by a signal it did not get from the runner is reported as ``killed by
  signal SIGSEGV`` (rc null) rather than bash's ``exit code 139``;
- the program is the leader of the task's session and process group (bash is, otherwise): a
  program that calls ``setsid()`` itself without forking first fails to (``EPERM``);
- its environment has ``PWD`` set to its directory but not the ``SHLVL``, ``OLDPWD`` and ``_``
  bash adds;
- in the backfill lane its ``argv[0]`` is its path, as ``nice`` passes it, not the word as
  written.

``--always-bash`` (:attr:`~qcflow.runner.options.RunOptions.always_bash`) runs everything
through bash.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path

__all__ = ["PlainCommands", "kernel_runs", "plain_log"]

_PLAIN = re.compile(r"[\w@%+=:,./-]+(?:[ \t]+[\w@%+=:,./-]+)*", re.ASCII)
#: ``compgen -b`` and ``compgen -k`` of bash 5.2, without ``true`` and ``false``.
_BASH_WORDS_TEXT = (
    ". : [ alias bg bind break builtin caller cd command compgen complete compopt continue "
    "declare dirs disown echo enable eval exec exit export fc fg getopts hash help history jobs "
    "kill let local logout mapfile popd printf pushd pwd read readarray readonly return set "
    "shift shopt source suspend test times trap type typeset ulimit umask unalias unset wait "
    "if then else elif fi case esac for select while until do done in function time { } ! [[ ]] "
    "coproc"
)
_BASH_WORDS = frozenset(_BASH_WORDS_TEXT.split())
#: Builtins whose programs do exactly the same when given no argument.
_BUILTIN_PROGRAMS = {
    name: found
    for name in ("true", "false")
    if (found := shutil.which(name, path="/usr/bin:/bin")) is not None
}
#: Variables that change how bash starts, or that it resets before running a command.
_BASH_READS = ("BASH_ENV", "SHELLOPTS", "BASHOPTS", "IFS", "PS4")


class PlainCommands:
    """Decides which commands run directly (see the module docstring), for one run.

    A program found on ``PATH`` is remembered for the run, as one bash session remembers the
    commands it ran (``hash``): looking it up again for every task cost more than the rest of
    this decision. A program removed meanwhile fails to start and the task runs through bash;
    one installed meanwhile in an earlier ``PATH`` directory is not seen by later tasks.
    """

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], str | None] = {}

    def argv(
        self, command: str, env: Mapping[str, str], cwd: Path, nice: int = 0
    ) -> list[str] | None:
        """``[program, *words]`` to run ``command`` directly in ``cwd``, ``None`` for bash.

        ``program`` is the path of the executable bash would run (found on ``env``'s ``PATH``
        unless the first word has a ``/``); the words are its ``argv``, ``argv[0]`` the first
        word as written. With ``nice`` (run by ``nice``), only a program the kernel runs as it
        is at this moment (:func:`kernel_runs`, checked at every start, never remembered).
        """
        found = self._argv(command, env, cwd)
        if found is None or not nice:
            return found
        return found if kernel_runs(found[0]) else None

    def _argv(self, command: str, env: Mapping[str, str], cwd: Path) -> list[str] | None:
        words = _plain_words(command, cwd)
        if words is None or _needs_bash(words, env):
            return None
        first = words[0]
        if first in _BUILTIN_PROGRAMS:
            return [_BUILTIN_PROGRAMS[first], first]
        if "/" in first:
            return [first, *words]
        path = env.get("PATH")
        if not path:
            return None
        key = (first, path)
        if key not in self._found:
            self._found[key] = _which(first, path)
        program = self._found[key]
        return None if program is None else [program, *words]


def plain_log(path: Path) -> bool:
    """Whether ``path`` is a log the new process may open itself: a regular file, or none yet.

    A FIFO or a terminal goes to bash: opening a FIFO nobody reads would block, and the runner
    waits in ``posix_spawn`` until the new program runs.
    """
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # bash says what is wrong with it


def _plain_words(command: str, cwd: Path) -> list[str] | None:
    """The words of a command without shell syntax, to run in the runner's own directory."""
    text = command.strip(" \t")
    # os.getcwd: a string to compare, not a Path made per task
    if not _PLAIN.fullmatch(text) or str(cwd) != os.getcwd():  # noqa: PTH109
        return None
    return text.split()


def _needs_bash(words: list[str], env: Mapping[str, str]) -> bool:
    """Whether bash would do more than run the first word's program (see the module docstring)."""
    if any(name in env for name in _BASH_READS):
        return True
    # One search through all the names first: this runs for every task.
    if "BASH_FUNC_" in "\0".join(env) and any(n.startswith("BASH_FUNC_") for n in env):
        return True
    first = words[0]
    if first in _BUILTIN_PROGRAMS:
        return len(words) > 1  # bash's builtin ignores arguments; the program may not
    return "=" in first or first in _BASH_WORDS or first.startswith("%")  # %1: fg %1


def kernel_runs(program: str, depth: int = 0) -> bool:
    """Whether ``execve`` runs ``program`` as it is now: an executable regular file that is an
    ELF binary for this machine, or a script whose ``#!`` line names such a binary.

    For a command started by ``nice``: once ``nice`` runs, a program that fails to start fails
    in ``nice``, in its words, and a file the kernel refuses is run by ``/bin/sh``. So anything
    else goes to bash (a script without ``#!``, a missing or CRLF-ended interpreter line,
    another machine's binary, a FIFO), which runs it or says why. Not checked: an ELF binary
    whose dynamic loader is missing (``nice`` then reports it).
    """
    head = _head(program)
    if head is None:
        return False
    if head.startswith(b"\x7fELF"):
        own = _own_elf()
        return own is not None and _elf_kind(head) == own
    if depth or not head.startswith(b"#!"):
        return False  # (the kernel runs nested scripts; bash is left those)
    line, newline, _ = head[2:].partition(b"\n")
    words = line.split()
    if not newline or b"\r" in line or not words or not words[0].startswith(b"/"):
        return False
    return kernel_runs(os.fsdecode(words[0]), depth + 1)


#: What the kernel reads of a file to decide how to run it (``BINPRM_BUF_SIZE``).
_HEAD = 256


def _head(path: str) -> bytes | None:
    """The first bytes of ``path`` if it is an executable regular file, else ``None``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the runner
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or not os.access(path, os.X_OK):
            return None
        return os.read(fd, _HEAD)
    except OSError:
        return None
    finally:
        os.close(fd)


def _elf_kind(head: bytes) -> bytes:
    """An ELF header's class, byte order and machine: what must match this machine's."""
    return head[4:6] + head[18:20] if len(head) >= 20 else b""


@cache
def _own_elf() -> bytes | None:
    """:func:`_elf_kind` of the running interpreter, ``None`` when it cannot be read."""
    for path in ("/proc/self/exe", sys.executable):
        head = _head(path)
        if head is not None and head.startswith(b"\x7fELF"):
            return _elf_kind(head)
    return None


def _which(name: str, path: str) -> str | None:
    """Where bash finds ``name`` on ``path``; ``None`` also when bash reads ``path`` otherwise."""
    if any(not entry or entry.startswith("~") for entry in path.split(os.pathsep)):
        return None  # bash: "" is ".", and "~/bin" is expanded; shutil.which does neither
    return shutil.which(name, path=path)
