from qcflow.checks import Check
from qcflow.objects.quality import Quality
from qcflow.postprocessing import HLine, register


@register("check", "mylab::PeakBelow")
class PeakBelow(Check):
    """Good when no bin of the histograms exceeds ``maxContent``, else Bad with a flag."""

    def check(self, objects, activity):
        limit = self.parameters.get_float("maxContent", 100.0, activity)
        high = [name for name, h in objects.items() if h.inner().max() > limit]
        if not high:
            return Quality.GOOD
        return Quality.BAD.with_flag("Unknown", f"above {limit:g}: {', '.join(high)}")

    def beautify(self, name, obj, quality):
        limit = self.parameters.get_float("maxContent", 100.0)
        return [HLine(limit, 632 if quality == Quality.BAD else 418)]
