"""A problem found in a workflow: where it is, how bad it is, and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Problem", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of reading or validating a workflow.

    ``where`` locates it in the file (``stages[3]``, ``stages[3].resources.mem``); ``task`` is the
    task's name when it has one.
    """

    severity: Severity
    message: str
    task: str | None = None
    where: str | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.detail}"

    @property
    def detail(self) -> str:
        """Where and what, without the severity (for a caller that shows it its own way)."""
        place = []
        if self.task is not None:
            place.append(f"task {self.task!r}")
        if self.where is not None:
            place.append(f"({self.where})" if place else self.where)
        prefix = " ".join(place)
        return f"{prefix}: {self.message}" if prefix else self.message

    @property
    def is_error(self) -> bool:
        return self.severity == "error"
