"""Workflow generators.

- :mod:`~qcflow.generators.registry` -- the registry of QC post-processing workflows (data).
- :mod:`~qcflow.generators.qc_postproc` -- O2DPG's QC post-processing generator:
  :func:`qc_postprocessing_workflow` returns the tasks; :func:`generate` checks and writes them.
"""
