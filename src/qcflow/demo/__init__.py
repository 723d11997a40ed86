"""Synthetic QCDB content for every reference configuration, and the end-to-end demo.

- :mod:`.run` -- ``qcflow demo``: fill a QCDB, generate the workflow, run it, export the plots.
- :mod:`.vertexing` -- the beam-spot objects of O2DPG's ``example.json`` (and the run schedule
  every generator shares: :func:`.vertexing.vertexing_runs`).
- :mod:`.emc` -- EMCAL cell and cluster objects for ``emc.json`` (:func:`.emc.fill_emc`), with
  :mod:`.emc_detector` (supermodules, run-to-run variation) and :mod:`.emc_clusters`.
- :mod:`.shapes` -- histograms drawn bin by bin: binnings, shapes, multinomial counts.
- :mod:`.store` -- storing them with QC's metadata, valid over the run.
"""
