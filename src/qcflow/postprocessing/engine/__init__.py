"""The engine: running a config's tasks as ``o2-qc`` does, and what a running task may use.

Map (one run, top to bottom)::

    api.load(uri, overrides) -> QcConfig      (config package, then crossref checks)
    api.run(config) -> engine.Engine.run
      -> crossref.task_order -> one _task_runner.TaskRunner per task, ticked in stages
           -> triggers (polled) -> task.Task.initialize / update / finalize
           -> services.Services (retrieve from the QCDB, reduce_many, lookahead)
           -> object_manager.ObjectManager.publish -> QCDB, publication listeners (checks)
      -> _inputs.nothing_published (why a task published nothing)

- :mod:`.api` -- :func:`~.api.load` and :func:`~.api.run`, the library entry points.
- :mod:`.engine` -- batch semantics, stages, ticks, ``--max-duration``, extensions (entry point
  group ``qcflow.engine``) and publication listeners.
- :mod:`._task_runner` -- one task's state machine (QC's PostProcessingRunner), validity.
- :mod:`.task` -- the task interface (:class:`~.task.Task`, generic over its options), what
  plugins subclass; :func:`~.task.new_task` makes the instance a config names.
- :mod:`.crossref` -- cross-references (checks -> tasks, aggregators -> checks, QO inputs) and
  the order the tasks of one config run in.
- :mod:`.object_manager` -- publishing: paths, metadata, policies, listeners (the bytes of a
  published object are :mod:`qcflow.objects.codec`'s).
- :mod:`.services` -- what a task uses to read the QCDB and reduce objects in batches.
- :mod:`.prefetch` -- the inputs of upcoming updates reduced in one batch (trending's speed).
- :mod:`._inputs` -- why a task published nothing: does the store hold any of its inputs?

Layering: the engine builds on triggers, config and reduction; it never imports the plots
(:mod:`qcflow.postprocessing.plotting`) nor the task classes (trending, slices, tasks), which it
finds by name through the class registry.
"""
