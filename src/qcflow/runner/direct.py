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
- the first word has no ``=`` (an assignment) and is no bash keyword or builtin other than
  ``true`` and ``false`` (their programs do what the builtins do; ``echo``, ``pwd``, ``kill``
  and the others differ in details and stay with bash);
- the environment defines no bash function (``BASH_FUNC_*``) and no ``BASH_ENV`` (a file bash
  reads first), and has a ``PATH`` on which the program is found, as bash would find it;
- the task's directory is the runner's own (``posix_spawn`` cannot change directory) and this
  is its first attempt (a retry's log gets a header line first).

Anything else, and any command the direct start fails for (its program gone meanwhile, a
script without ``#!``, a log that cannot be opened), runs through bash as before, so the
result and the messages stay bash's. What differs from bash for a command run directly: a
command killed by a signal it did not get from the runner is reported as ``killed by signal
SIGSEGV`` (rc null) rather than bash's ``exit code 139``; the command's environment has ``PWD``
set to its directory but not the ``SHLVL``, ``OLDPWD`` and ``_`` bash adds.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

__all__ = ["PlainCommands"]

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


class PlainCommands:
    """Decides which commands run directly (see the module docstring), for one run.

    A program found on ``PATH`` is remembered for the run, as one bash session remembers the
    commands it ran (``hash``): looking it up again for every task cost more than the rest of
    this decision. A program removed meanwhile fails to start and the task runs through bash;
    one installed meanwhile in an earlier ``PATH`` directory is not seen by later tasks.
    """

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], str | None] = {}

    def argv(self, command: str, env: Mapping[str, str], cwd: Path) -> list[str] | None:
        """``[program, *words]`` to run ``command`` directly in ``cwd``, ``None`` for bash.

        ``program`` is the path of the executable bash would run (found on ``env``'s ``PATH``
        unless the first word has a ``/``); the words are its ``argv``, ``argv[0]`` the first
        word as written.
        """
        text = command.strip(" \t")
        # os.getcwd: a string to compare, not a Path made per task
        if not _PLAIN.fullmatch(text) or str(cwd) != os.getcwd():  # noqa: PTH109
            return None
        words = text.split()
        first = words[0]
        if "=" in first or first in _BASH_WORDS:
            return None
        # One search through all the names first: this runs for every task.
        if "BASH_" in "\0".join(env) and (
            "BASH_ENV" in env or any(name.startswith("BASH_FUNC_") for name in env)
        ):
            return None
        if "/" in first:
            return [first, *words]
        path = env.get("PATH")
        if not path:
            return None
        key = (first, path)
        if key not in self._found:
            self._found[key] = shutil.which(first, path=path)
        program = self._found[key]
        return None if program is None else [program, *words]
