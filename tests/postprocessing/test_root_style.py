"""ROOT colours, markers and TLatex for matplotlib."""

from __future__ import annotations

import pytest

from qcflow.postprocessing.plotting import root_style
from qcflow.postprocessing.plotting.draw import new_figure, png


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mean vertex X per run", "Mean vertex X per run"),
        ("#sigma_{x} [cm]", r"$\sigma _{x}$ [cm]"),
        ("E^{2}", "E$^{2}$"),
        ("#it{p}_{T} (GeV/#it{c})", r"$\mathit{p}_{T}$ (GeV/$\mathit{c}$)"),
        ("#frac{a}{b}", r"$\frac{a}{b}$"),
        ("cost $5 #unknown", r"cost \$5 #unknown"),
        ("x_{#alpha}", r"x$_{\alpha }$"),
    ],
)
def test_tlatex_to_mathtext(text: str, expected: str) -> None:
    converted = root_style.mathtext(text)
    assert converted == expected
    figure = new_figure()
    figure.add_subplot().set_title(converted)
    assert png(figure).startswith(b"\x89PNG")  # matplotlib can render it


def test_colours() -> None:
    assert root_style.color(1) == (0.0, 0.0, 0.0)
    assert root_style.color(632) == (1.0, 0.0, 0.0)  # kRed
    darker = root_style.color(634)  # kRed+2
    lighter = root_style.color(629)  # kRed-3
    assert darker[0] < 1.0 and darker[1:] == (0.0, 0.0)
    assert min(lighter) > 0.0 and lighter[0] == pytest.approx(1.0)
    assert root_style.color(123456) == (0.0, 0.0, 0.0)


def test_markers_lines_palettes() -> None:
    assert root_style.marker(20) == ("o", False)
    assert root_style.marker(24) == ("o", True)
    assert root_style.marker(29) == ("*", False)
    assert root_style.line_style(2) == "--"
    assert root_style.palette(55) == "rainbow"
    assert root_style.palette(0) == "viridis"
