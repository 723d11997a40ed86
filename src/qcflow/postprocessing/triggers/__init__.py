"""Triggers: when a task runs, and the validity of what it publishes.

Map (a trigger string flows left to right)::

    trigger (parse_trigger: "once", "10 min", "foreachlatest:qcdb:...") -> TriggerSpec
        -> sources (create_trigger: a pollable TriggerSource) -> Trigger (fired, timestamp,
           activity, validity)
    clock  -- the present, for periodic and "always" triggers (a ManualClock in tests)
    validity -- the [start, end] a firing trigger widens and a publication stamps

- :mod:`.trigger` -- trigger strings as ``o2-qc`` reads them; :class:`~.trigger.Trigger`, what a
  firing trigger hands to a task.
- :mod:`.sources` -- what each trigger does when the engine polls it (QC's ``Triggers.cxx``).
- :mod:`.clock` -- time for the engine, so that tests and replays control it.
- :mod:`.validity` -- :class:`~.validity.Validity`, QC's ``ValidityInterval``.

This is the lowest layer of the post-processing: it imports nothing else from it, the config
(``schema`` parses trigger strings) and the engine build on it.
"""
