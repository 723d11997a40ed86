"""Shell text for task commands: O2DPG's taskwrapper wrapping, quoting and whitespace.

O2DPG wraps a command as ``. ${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper <name>.log '<cmd>'``
and then collapses every run of whitespace, inside quotes too. Two pitfalls are fixed here:
a ``'`` inside the command is escaped (``'\\''``) instead of ending the quoted string, and
whitespace inside the command's own quotes is kept (the command is collapsed before it is
wrapped). For commands with neither, the output is byte-for-byte O2DPG's.
"""

from __future__ import annotations

import re

__all__ = [
    "TASKWRAPPER_PREFIX",
    "collapse_whitespace",
    "is_wrapped",
    "single_quote",
    "unwrap_taskwrapper",
    "wrap_taskwrapper",
]

TASKWRAPPER_PREFIX = "${O2_ROOT}/share/scripts/jobutils2.sh; taskwrapper"

_WRAPPED = re.compile(
    r"^\.\s+\$\{O2_ROOT\}/share/scripts/jobutils2\.sh;\s+taskwrapper\s+(?P<log>\S+)\s+'(?P<cmd>.*)'\s*$",
    re.DOTALL,
)


def single_quote(text: str) -> str:
    """``text`` as one single-quoted shell word; a ``'`` inside survives."""
    return "'" + text.replace("'", "'\\''") + "'"


def is_wrapped(cmd: str) -> bool:
    return TASKWRAPPER_PREFIX in cmd


def wrap_taskwrapper(name: str, cmd: str) -> str:
    """O2DPG's taskwrapper invocation around ``cmd`` (which is not wrapped again)."""
    if not cmd or is_wrapped(cmd):
        return cmd
    return f". {TASKWRAPPER_PREFIX} {name}.log {single_quote(cmd)}"


def unwrap_taskwrapper(cmd: str) -> str | None:
    """The command inside a taskwrapper invocation, or ``None`` if ``cmd`` is not one."""
    match = _WRAPPED.match(cmd)
    if match is None:
        return None
    return match.group("cmd").replace("'\\''", "'")


def collapse_whitespace(cmd: str, *, trim: bool = True) -> str:
    """Runs of whitespace outside quotes become one space; ends are trimmed if ``trim``.

    Quotes are tracked as bash reads them: ``'…'`` literally, ``"…"`` with backslash escapes,
    and a backslash outside quotes escapes the next character. Without ``trim`` a leading or
    trailing run also becomes one space (what O2DPG's collapse does inside the taskwrapper's
    quotes).
    """
    out: list[str] = []
    quote: str | None = None
    pending_space = False
    i = 0
    while i < len(cmd):
        ch = cmd[i]
        if quote is None and ch.isspace():
            pending_space = bool(out) or not trim
            i += 1
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        if ch == "\\" and quote != "'" and i + 1 < len(cmd):
            out.append(cmd[i : i + 2])
            i += 2
            continue
        if ch in "'\"":
            if quote is None:
                quote = ch
            elif quote == ch:
                quote = None
        out.append(ch)
        i += 1
    if pending_space and not trim:
        out.append(" ")
    return "".join(out)
