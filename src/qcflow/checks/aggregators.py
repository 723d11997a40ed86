"""Aggregators: combine quality objects into qualities, with their flags.

Each aggregator returns ``{name: Quality}``; the engine turns every entry into a quality object
``<aggregator>/<name>``. Flags of every input are kept, in input order (sorted by QO name, as
QC's map iterates), whatever policy decides the level.

- :class:`WorstOfAll` (QC's ``o2::quality_control_modules::common::WorstOfAllAggregator``): start
  Good, take the worst level (Null is the worst); empty input -> Null with flag ``UnknownQuality``
  ``"QO map given to the aggregator '<name>' is empty."``.
- :class:`BestOfAll` (qcflow): the best level among the inputs; empty input as above.
- :class:`Majority` (qcflow): the most frequent level; a tie goes to the worse level; empty input
  as above.

QC's Common module has only WorstOfAll; the other two are qcflow's, under qcflow class names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import ClassVar

from qcflow.objects.quality import Quality, QualityObject
from qcflow.postprocessing import AggregatorConfig

__all__ = ["Aggregator", "BestOfAll", "Majority", "WorstOfAll"]


class Aggregator:
    """Base of aggregators. ``configure`` gives the name; ``aggregate`` returns the qualities.

    The level policies below only override :meth:`choose`; an aggregator with other outputs
    overrides :meth:`aggregate`.
    """

    kind: ClassVar[str] = "aggregator"

    def __init__(self, name: str = "") -> None:
        self.name = name

    def configure(self, config: AggregatorConfig) -> None:
        self.config = config
        self.name = config.name

    def aggregate(self, inputs: Mapping[str, QualityObject]) -> dict[str, Quality]:
        qualities = [inputs[key].quality for key in sorted(inputs)]
        flags = [flag for q in qualities for flag in q.flags]
        if not qualities:
            comment = f"QO map given to the aggregator '{self.name}' is empty."
            return {self.name: Quality.NULL.with_flag("UnknownQuality", comment)}
        return {self.name: self.choose(qualities).with_flags(flags)}

    def choose(self, qualities: list[Quality]) -> Quality:
        """The level of the result, as a plain quality (no flags)."""
        raise NotImplementedError


class WorstOfAll(Aggregator):
    def choose(self, qualities: list[Quality]) -> Quality:
        worst = Quality.GOOD
        for quality in qualities:
            if quality.is_worse_than(worst):
                worst = quality
        return Quality.from_level(worst.level)


class BestOfAll(Aggregator):
    def choose(self, qualities: list[Quality]) -> Quality:
        return Quality.from_level(min(q.level for q in qualities))


class Majority(Aggregator):
    def choose(self, qualities: list[Quality]) -> Quality:
        counts = Counter(q.level for q in qualities)
        level = max(counts, key=lambda lvl: (counts[lvl], lvl))
        return Quality.from_level(level)
