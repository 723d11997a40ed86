"""qcflow: ALICE-style asynchronous QC post-processing, end to end, without O2 or ROOT.

Map of the package (layers point one way, left to right)::

    workflow  <-  generators
        ^
        +------  runner            (runs any O2DPG workflow; knows nothing of QC)
    qcdb  <-  objects  <-  postprocessing  <-  checks  <-  modules, report, demo

- :mod:`qcflow.workflow` -- the O2DPG workflow model: tasks, JSON read/write, validation,
  graph queries, and :mod:`qcflow.workflow.o2dpg`, a drop-in for O2DPG's ``o2dpg_workflow_utils``.
- :mod:`qcflow.generators` -- workflow generators; ``qc_postproc`` is O2DPG's QC post-processing
  generator driven by a data registry.
- :mod:`qcflow.runner` -- resource-aware, resumable, event-driven DAG execution.
- :mod:`qcflow.qcdb` -- a versioned object store with CCDB semantics: embedded, server and client.
- :mod:`qcflow.objects` -- payload codecs: ROOT histograms and trees, quality objects, plots.
- :mod:`qcflow.postprocessing` -- the ``o2-qc`` compatible post-processing engine.
- :mod:`qcflow.checks` -- qualities, checks, policies and aggregators.
- :mod:`qcflow.modules` -- detector modules registered under their O2 class names.
- :mod:`qcflow.report` -- the HTML report over a QCDB; :mod:`qcflow.demo` -- synthetic data sets.
- :mod:`qcflow.cli` -- the ``qcflow`` command, a thin face over all of the above.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
