"""Near-miss hints for "not found" messages: ``(did you mean 'period-specific'?)``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when nothing is close.

    A choice equal but for letter case wins; otherwise :func:`difflib.get_close_matches`.
    """
    options = list(choices)
    for option in options:
        if option.lower() == word.lower():
            return f" (did you mean {option!r}?)"
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
