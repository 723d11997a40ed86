"""The exceptions qcflow raises, and the exit code each maps to on the command line.

Hierarchy::

    QcflowError                  anything qcflow reports as a one-line message (exit 1)
    +-- InvalidInput             the user's input is wrong: file, flag, config, URL (exit 2)
    |   +-- WorkflowInvalid      a workflow failed validation; carries every problem found
    |   +-- BadValue             a value passed to the Python API that cannot be used (also a
    |                            ValueError, what Python callers catch)
    +-- NotFound                 a requested object or task does not exist (exit 1)

Messages name what is wrong and where (file, key, task name) and include the offending value;
the command line prints them as ``qcflow: error: <message>`` without a traceback.
:func:`first_line` keeps the first line of a library's message for them (and for HTTP replies).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BadValue", "InvalidInput", "NotFound", "QcflowError", "WorkflowInvalid", "first_line"]


class QcflowError(Exception):
    """Base class: an error qcflow reports to the user as one line."""

    exit_code = 1


class InvalidInput(QcflowError):
    """Bad user input: a malformed file, flag, config value or URL."""

    exit_code = 2


class BadValue(InvalidInput, ValueError):
    """A value given to the library that it cannot use (a header text with a control character,
    a metadata key that cannot be a header name): exit 2 on the command line, and a ValueError
    for Python callers."""


class WorkflowInvalid(InvalidInput):
    """A workflow failed validation; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} found"
        super().__init__("\n  ".join([head, *self.problems]))


class NotFound(QcflowError, LookupError):
    """Something the user asked for does not exist."""


def first_line(err: BaseException) -> str:
    """The first line of an error's message (uproot's span several), or its class name."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
