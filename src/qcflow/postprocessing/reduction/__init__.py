"""Reduction: QCDB objects in, a few named numbers out, many at once in worker processes.

Map::

    engine.services.reduce_many(requests)
      -> batch.Reducer: fetch with threads -> qcflow.objects.codec.decode (worker process)
           -> reductors.Reductor.reduce(obj) -> {leaf: value}   (one trend-table row per source)

- :mod:`.reductors` -- the :class:`~.reductors.Reductor` interface and QC's TH1/TH2/Quality
  reductors (ROOT's statistics).
- :mod:`.batch` -- batch fetch, decode and reduce (:class:`~.batch.Reducer`), serial for small
  batches and ``--no-IPC``.

Slice reductors (QC's ``TH1SliceReductor``/``TH2SliceReductor``) live with the slice concept in
:mod:`qcflow.postprocessing.slices`. Layering: reduction imports the config (reductor
parameters) and never the engine, the plots or the tasks.
"""
