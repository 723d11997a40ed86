"""QC's other post-processing task classes, under their O2 class names (trending and slice
trending have their own folders: :mod:`qcflow.postprocessing.trending`,
:mod:`qcflow.postprocessing.slices`).

QC's common module (``o2::quality_control_modules::common::…``)

- :mod:`.quality` -- ``QualityTask``: summaries of quality objects; :mod:`._quality_config` (its
  keys), :mod:`._quality_summary` (text, JSON, images).
- :mod:`.reference_comparator` -- ``ReferenceComparatorTask`` (its plot is
  :mod:`qcflow.postprocessing.plotting.comparison`).
- :mod:`.ccdb_inspector` -- ``CcdbInspectorTask``; :mod:`.big_screen` -- ``BigScreen``.

Map: the engine finds each class by name (:mod:`..config.classes`), calls
``initialize``/``update``/``finalize`` (:mod:`..engine.task`) and publishes what it registered.
The common module's checks and comparators are in :mod:`qcflow.checks.common`.
"""
