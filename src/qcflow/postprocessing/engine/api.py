"""The engine's front door: load a config the way ``o2-qc`` does, check it, run it.

::

    config = load("json://example.json", "qc.config.database.host=qcdb;")
    summary = run(config, EngineOptions(parallel=False))

:func:`load` = read the file (:mod:`..config.loader`), apply ``--override-values``
(:mod:`..config.overrides`), read the schema (:mod:`..config.schema`) and check
cross-references (:mod:`.crossref`); errors raise :class:`~..config.values.ConfigInvalid`
listing every one, warnings stay in ``config.diagnostics``.
"""

from __future__ import annotations

from collections.abc import Mapping

from qcflow.postprocessing.config.classes import REGISTRY, ClassRegistry
from qcflow.postprocessing.config.loader import load_config
from qcflow.postprocessing.config.overrides import apply_overrides, parse_overrides
from qcflow.postprocessing.config.schema import QcConfig, parse_config
from qcflow.postprocessing.config.values import Diagnostics
from qcflow.postprocessing.engine.crossref import cross_check
from qcflow.postprocessing.engine.engine import Engine, EngineOptions, RunSummary

__all__ = ["load", "run"]


def load(
    uri: str,
    overrides: str = "",
    *,
    env: Mapping[str, str] | None = None,
    registry: ClassRegistry = REGISTRY,
) -> QcConfig:
    """The checked config a ``--config`` and ``--override-values`` pair names."""
    loaded = load_config(uri, env)
    diagnostics = Diagnostics(list(loaded.warnings))
    diagnostics.overridden |= apply_overrides(loaded.tree, parse_overrides(overrides))
    config = parse_config(loaded.tree, loaded.source, registry=registry, diagnostics=diagnostics)
    cross_check(config)
    diagnostics.raise_if_errors(loaded.source)
    return config


def run(config: QcConfig, options: EngineOptions | None = None) -> RunSummary:
    """Run the config's active tasks to completion."""
    return Engine(config, options).run()
