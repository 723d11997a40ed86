"""Reading an ``o2-qc`` config: from a ``json://`` URI to a typed :class:`~.schema.QcConfig`.

Map (a config flows top to bottom)::

    loader (json:// URI, ${VAR}, comment keys, line:column errors) -> JSON tree
      -> overrides (--override-values "k=v;...") -> JSON tree
      -> schema.parse_config -> QcConfig, TaskConfig      (every problem in one Diagnostics)
           uses values (Node, O2's string conversions), parameters (taskParameters),
           check_config (checks, aggregators), classes (className -> Python class)

- :mod:`.loader` -- ``json://`` URIs and paths, ``${VAR}``, comment keys, line:column errors.
- :mod:`.overrides` -- ``--override-values`` exactly as o2-qc parses and applies it.
- :mod:`.values` -- O2's string conversions; :class:`~.values.Node` reads JSON and remembers
  which keys were read; :class:`~.values.Diagnostics` collects every error and warning with its
  JSON path.
- :mod:`.schema` -- the typed config; each task class reads its own keys (``parse_options``)
  into its options (``TaskConfig[X].options``); a task class is known here as the
  :class:`~.schema.TaskClass` protocol, never as the engine's ``Task``.
- :mod:`.check_config` -- the common keys of checks and aggregators.
- :mod:`.parameters` -- ``taskParameters``/``extended…Parameters`` with run/beam type fallbacks.
- :mod:`.reference` -- the reference run (``referenceRun``…) QC's reference comparator task and
  check share.
- :mod:`.classes` -- the class registry: O2 class names -> Python classes, entry points (group
  ``qcflow.classes``), ``python:pkg.mod:Class``; built-in classes are named by string and
  imported only when a config names them.

Layering: the config reads trigger strings (:mod:`qcflow.postprocessing.triggers`) and nothing
else of the post-processing; reduction, the engine and the tasks build on it. Cross-references
between tasks, checks and aggregators are checked by the engine (:mod:`..engine.crossref`).
"""
