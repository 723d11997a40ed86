"""MCH (muon chambers): rates and pseudo-efficiency per detection element, and their checks.

- :mod:`.mapping` -- detection elements, QC's DE index, the reduced electronics mapping
  (``data/mch-mapping.json``).
- :mod:`.elecmap` -- per-DE means of an electronics map (QC's ``TH2ElecMapReductor``).
- :mod:`.plots` -- per-DE histograms, reference ratios, last-cycle differences.
- :mod:`.config` -- ``dataSources``/``customization`` and parameters.
- :mod:`.task` -- the base both post-processing tasks share (options, reads, start, publishing).
- :mod:`.digits` -- ``…::muonchambers::DigitsPostProcessing``.
- :mod:`.preclusters` -- ``…::muonchambers::PreclustersPostProcessing``.
- :mod:`.checks` -- ``…::muonchambers::DigitsCheck`` and ``PreclustersCheck`` (QC's
  ``QualityChecker`` verdict).
"""
