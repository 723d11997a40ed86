"""Near-miss hints for "not found" messages: ``(did you mean 'period-specific'?)``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean", "suggestion"]


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely misspells, or ``None`` when nothing is close.

    A choice equal but for letter case wins; otherwise :func:`difflib.get_close_matches`.
    """
    options = list(choices)
    for option in options:
        if option.lower() == word.lower():
            return option
    close = difflib.get_close_matches(word, options, n=1)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when nothing is close."""
    return suggestion(closest(word, choices))


def suggestion(match: str | None) -> str:
    """``" (did you mean 'x'?)"`` for a ``match`` already chosen, ``""`` for None."""
    return f" (did you mean {match!r}?)" if match is not None else ""
