"""Image baselines: a rendered PNG compared with a committed one under ``tests/baselines/``.

The comparison is matplotlib's own (:func:`matplotlib.testing.compare.compare_images`): the RMS
of the pixel differences (0-255 scale) must stay within :data:`TOLERANCE`, so antialiasing
noise passes and a moved point, a changed colour, a missing label or a shifted axis fail
(``tests/postprocessing/test_image_baselines.py`` shows each).

Rendering is pinned (:func:`pinned_style`): matplotlib's default ``rcParams`` (whatever a
``matplotlibrc`` says), the DejaVu fonts shipped with matplotlib and its test font settings;
the plots draw on the Agg canvas at a fixed DPI themselves (``new_figure``). Glyphs come from the
FreeType matplotlib bundles, so the same matplotlib version gives the same pixels on any
machine; :data:`VERSIONS_FILE` records the versions the baselines were made with, and a failure
names them. Another FreeType (a matplotlib built against the system's) changes every glyph by an
RMS of 5 to 13, as much as a real change: the comparison is skipped then, with the reason.

Regenerate after an intended change of a plot (then look at the new PNGs before committing)::

    QCFLOW_UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/postprocessing/test_image_baselines.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import pytest
from matplotlib import ft2font
from matplotlib.testing import set_font_settings_for_testing
from matplotlib.testing.compare import compare_images

BASELINES = Path(__file__).resolve().parent / "baselines"
VERSIONS_FILE = BASELINES / "VERSIONS.json"
#: RMS of the pixel differences (0-255) a plot may differ by from its baseline.
TOLERANCE = 1.0
UPDATE_ENV = "QCFLOW_UPDATE_BASELINES"


def versions() -> dict[str, str]:
    return {
        "matplotlib": mpl.__version__,
        "freetype": ft2font.__freetype_version__,
        "freetype_build": ft2font.__freetype_build_type__,
    }


def _glyphs_differ(made_with: dict[str, str]) -> bool:
    """Whether this FreeType draws text differently from the baselines' (a matplotlib built
    against the system's FreeType, e.g. Debian's): every text would differ, not the plot."""
    now = versions()
    return any(made_with.get(k, now[k]) != now[k] for k in ("freetype", "freetype_build"))


@contextmanager
def pinned_style() -> Iterator[None]:
    """Default ``rcParams`` and matplotlib's test font settings, restored on exit."""
    with mpl.rc_context():
        mpl.rcdefaults()
        set_font_settings_for_testing()
        yield


def rms(png: bytes, name: str, directory: Path) -> float:
    """The RMS difference between ``png`` and the baseline ``name`` (0: the same pixels); the
    rendered file, and a diff image when they differ, are left in ``directory``."""
    actual = directory / f"{name}.png"
    actual.write_bytes(png)
    result = compare_images(str(BASELINES / f"{name}.png"), str(actual), 0, in_decorator=True)
    return 0.0 if result is None else float(result["rms"])


def assert_matches_baseline(png: bytes, name: str, directory: Path) -> None:
    """``png`` is within :data:`TOLERANCE` of ``tests/baselines/<name>.png``; with
    ``QCFLOW_UPDATE_BASELINES=1`` it becomes the baseline instead (and the test is skipped)."""
    baseline = BASELINES / f"{name}.png"
    if os.environ.get(UPDATE_ENV) == "1":
        BASELINES.mkdir(exist_ok=True)
        baseline.write_bytes(png)
        VERSIONS_FILE.write_text(json.dumps(versions(), indent=1, sort_keys=True) + "\n")
        pytest.skip(f"baseline {baseline.name} written ({UPDATE_ENV}=1)")
    how = (
        f"{UPDATE_ENV}=1 pytest {Path(__file__).parent.name}/postprocessing/test_image_baselines.py"
    )
    if not baseline.exists():
        pytest.fail(f"no baseline {baseline}: make it with {how}")
    made_with = json.loads(VERSIONS_FILE.read_text()) if VERSIONS_FILE.exists() else {}
    if _glyphs_differ(made_with):
        pytest.skip(f"baselines drawn with FreeType {made_with}, this is {versions()}")
    difference = rms(png, name, directory)
    if difference > TOLERANCE:
        pytest.fail(
            f"{name}: RMS {difference:.2f} > {TOLERANCE} against {baseline} (made with "
            f"{made_with}, this is {versions()}); see {directory}/{name}-failed-diff.png; "
            f"an intended change: {how}"
        )
