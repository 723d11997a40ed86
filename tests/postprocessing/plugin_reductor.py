from typing import ClassVar

import numpy as np

from qcflow.postprocessing import Reductor, register


@register("reductor", "mylab::PeakReductor")
class PeakReductor(Reductor):
    """Height and position of the highest bin of a 1-D histogram."""

    fields: ClassVar = {"height": "f8", "position": "f8"}

    def reduce(self, histogram):
        values = histogram.inner()
        if values.ndim != 1 or values.size == 0:
            return None  # not a 1-D histogram: recorded as missing
        peak = int(np.argmax(values))
        return {"height": values[peak], "position": histogram.axes[0].centers[peak]}
