"""Post-processing task classes of QC's framework, registered under their O2 class names.

- :mod:`~.trending` -- ``o2::quality_control::postprocessing::TrendingTask``: reduce objects to
  numbers per trigger, keep them in a trend table (a TTree), draw plots from it.
- :mod:`~.trending_config` -- its config keys (``dataSources``, ``plots``, ``trendingTimestamp``…).
"""
