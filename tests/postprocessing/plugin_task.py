import hist

from qcflow.postprocessing import Task, register


@register("task", "mylab::EntriesPerRun")
class EntriesPerRun(Task):
    """Publishes one histogram: the entries of an object in each run it was triggered for."""

    def initialize(self, trigger, services):
        self.path = self.config.parameters.get("path", default="GLO/MO/Vertexing")
        self.name = self.config.parameters.get("name", default="vertex_Z")
        self.entries = {}

    def update(self, trigger, services):
        found = services.retrieve_mo(self.path, self.name, trigger.timestamp, trigger.activity)
        if found is not None:
            self.entries[trigger.activity.number] = found.obj.entries

    def finalize(self, trigger, services):
        runs = sorted(self.entries)
        h = hist.Hist.new.Reg(len(runs), 0, len(runs), name="run").Double()
        h[...] = [self.entries[run] for run in runs]
        self.objects.start_publishing(h, "entriesPerRun")
