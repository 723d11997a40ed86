"""QC's common module (``o2::quality_control_modules::common``): checks and comparators.

Each class is registered under its O2 name through an entry point (``pyproject.toml``), so real
configs that name them run.

- :mod:`.basic` -- ``MeanIsAbove``, ``NonEmpty``, ``IncreasingEntries``, ``EverIncreasingGraph``.
- :mod:`.thresholds` -- threshold and range parameters (QC's ``CheckerThresholdsConfig``).
- :mod:`.trend_check` -- ``TrendCheck``: the last point of trends against thresholds.
- :mod:`.comparators` -- Chi2, Kolmogorov, Deviation, BinByBinDeviation object comparators.
- :mod:`.reference_check` -- ``ReferenceComparatorCheck`` on ReferenceComparatorTask's plots
  and on histograms with a reference run; ``CcdbInspectorCheck``.

The tasks of the module (QualityTask, ReferenceComparatorTask, CcdbInspectorTask, BigScreen)
live in :mod:`qcflow.postprocessing.tasks`, below the checks.
"""
