"""Trending: QC's ``TrendingTask`` -- reduce objects to numbers per trigger, keep them in a trend
table (a TTree), draw plots from it.

Map (one update, left to right)::

    config.parse_trending (dataSources, plots, producePlotsOnUpdate...) -> TrendingConfig
    task.TrendingTask.update(trigger, services)
      -> engine.prefetch / services.reduce_many -> reduction.reductors -> one row per source
      -> table.TrendTable.append -> encode() (a TTree, qcflow.objects.tree)
      -> plotting.draw.plot_image(plots[]) -> PlotImage -> published with the table

- :mod:`.task` -- ``TrendingTask``; :func:`~.task.stored_trend` resumes the trend a previous
  run stored.
- :mod:`.config` -- its config keys (data sources, reductors, plots, ``resumeTrend``).
- :mod:`.table` -- the trend table (columns of numbers per row) and its TTree form.

The same per slice of each histogram is :mod:`qcflow.postprocessing.slices`; QC's other task
classes are in :mod:`qcflow.postprocessing.tasks`.
"""
