"""Slices: QC's ``SliceTrendingTask`` and everything about histogram slices, in one place.

Map (a slice-trending update, top to bottom)::

    config (sources, ``axisDivision``) + plot_config (``plots``, legends) -> SliceTrendingConfig
    task.SliceTrendingTask.update
      -> slicing (QC's SliceInfo: cut a TH1/TH2 into slices, their statistics)
           used by reductors.TH1SliceReductor / TH2SliceReductor -> one row per slice
      -> trending.table.TrendTable (shared with TrendingTask)
      -> plots (the six plot modes) with _legend (legend names and sizes) -> PlotImage

- :mod:`.slicing` -- histogram slices (QC's ``SliceInfo``), the slice statistics.
- :mod:`.reductors` -- the TH1/TH2 slice reductors.
- :mod:`.task` -- ``SliceTrendingTask``.
- :mod:`.config` -- its sources and ``axisDivision``.
- :mod:`.plot_config` -- its ``plots`` entries.
- :mod:`.plots` -- drawing them (the six modes).
- :mod:`._legend` -- legend names and text sizes.

Layering: slices build on trending (the trend table, resuming a stored trend), the engine,
reduction and plotting; nothing below imports them.
"""
