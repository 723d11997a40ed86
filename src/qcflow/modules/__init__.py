"""Detector modules: QC's ZDC and MCH post-processing tasks and checks, in Python.

Each class is registered under its O2 class name through the ``qcflow.classes`` entry points
(pyproject.toml), so configs name them as they name QC's: the engine imports a module only when
a config uses it. What they compute and where they differ from QC: docs/modules.md.

- :mod:`.zdc` -- ``ZDCRecDataPostProcessing`` (summary histograms) and ``ZDCRecDataCheck``.
- :mod:`.mch` -- ``DigitsPostProcessing``, ``PreclustersPostProcessing``, ``DigitsCheck``,
  ``PreclustersCheck``, and qcflow's reduced electronics mapping.
- :mod:`._sources` -- ``"label:object"`` data sources, "fetch only if new", per-run reset.
- :mod:`._histograms` -- summary histograms as ROOT's ``SetBinContent`` leaves them.
- :mod:`._trends` -- small trends against time, published as ROOT graphs (no PNG companion).
"""
