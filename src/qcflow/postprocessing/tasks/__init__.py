"""Post-processing task classes of QC's framework and common module, under their O2 class names.

Trending (``o2::quality_control::postprocessing::…``)
- :mod:`~.trending` -- ``TrendingTask``: reduce objects to numbers per trigger, keep them in a
  trend table (a TTree), draw plots from it; :mod:`~.trending_config` -- its config keys.
- :mod:`~.slice_trending` -- ``SliceTrendingTask``: the same per slice of each histogram;
  :mod:`~.slice_trending_config` (sources, ``axisDivision``), :mod:`~.slice_plot_config`
  (``plots``), :mod:`~.slice_plots` (the six modes), :mod:`~.slice_legend` (legend names).

QC's common module (``o2::quality_control_modules::common::…``)
- :mod:`~.quality` -- ``QualityTask``: summaries of quality objects; :mod:`~.quality_config`,
  :mod:`~.quality_summary` (text, JSON, images).
- :mod:`~.reference_comparator` -- ``ReferenceComparatorTask``, with :mod:`~.comparison_plot`.
- :mod:`~.ccdb_inspector` -- ``CcdbInspectorTask``; :mod:`~.big_screen` -- ``BigScreen``.

The common module's checks and comparators are in :mod:`qcflow.checks.common`.
"""
