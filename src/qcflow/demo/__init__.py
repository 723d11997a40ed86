"""Synthetic QCDB content for every reference configuration, and the end-to-end demo.

- :mod:`.run` -- ``qcflow demo``: fill a QCDB, generate the four workflows, run them, report.
- :mod:`.datasets` -- the data set of each workflow, filled in parallel; the deliberately bad
  runs (:func:`.datasets.issues`).
- :mod:`.vertexing` -- the beam-spot objects of O2DPG's ``example.json`` (and the run schedule
  every generator shares: :func:`.vertexing.vertexing_runs`).
- :mod:`.emc` -- EMCAL cell and cluster objects for ``emc.json`` (:func:`.emc.fill_emc`), with
  :mod:`.emc_detector` (supermodules, run-to-run variation) and :mod:`.emc_clusters`.
- :mod:`.zdc` -- ZDC reconstructed-data histograms for ``zdc.json`` (:func:`.zdc.fill_zdc`).
- :mod:`.mch` -- MCH digits and pre-clusters maps for ``mch.json`` (:func:`.mch.fill_mch`).
- :mod:`.shapes` -- histograms drawn bin by bin: binnings, shapes, multinomial counts; or
  filled with values (:func:`.shapes.th1_from_values`).
- :mod:`.store` -- storing them with QC's metadata, valid over the run.
"""
