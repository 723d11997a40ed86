"""ROOT's drawing vocabulary translated for matplotlib: colours, markers, lines, palettes, TLatex.

- :func:`color` -- a ROOT colour index (``1`` black, ``632`` kRed, ``kRed+2`` = 634 darker…) as an
  RGB tuple; the base colours 0-9 and the named wheels (kRed, kGreen, kBlue, kYellow, kMagenta,
  kCyan, kOrange, kSpring, kTeal, kAzure, kViolet, kPink, kGray) with their ±offsets.
- :func:`marker`, :func:`line_style` -- ROOT marker (20 full circle, 21 full square, 29 star…)
  and line styles (1 solid, 2 dashed, 3 dotted, 4 dash-dot).
- :func:`palette` -- a ROOT palette number (``57`` kBird, ``112`` kViridis…) as a colormap name.
- :func:`mathtext` -- ROOT's TLatex (``#sigma_{x} [cm]``, ``E^{2}``, ``#frac{a}{b}``) as
  matplotlib mathtext (``$\\sigma_{x}$ [cm]``); ``$`` in plain text is escaped.
"""

from __future__ import annotations

import colorsys
import re

__all__ = ["color", "line_style", "marker", "mathtext", "palette"]

RGB = tuple[float, float, float]

_BASE: dict[int, RGB] = {
    0: (1.0, 1.0, 1.0),
    1: (0.0, 0.0, 0.0),
    2: (1.0, 0.0, 0.0),
    3: (0.0, 1.0, 0.0),
    4: (0.0, 0.0, 1.0),
    5: (1.0, 1.0, 0.0),
    6: (1.0, 0.0, 1.0),
    7: (0.0, 1.0, 1.0),
    8: (0.35, 0.83, 0.33),
    9: (0.35, 0.33, 0.85),
}
#: ROOT's colour wheel: base index -> its pure colour.
_WHEEL: dict[int, RGB] = {
    632: (1.0, 0.0, 0.0),  # kRed
    416: (0.0, 1.0, 0.0),  # kGreen
    600: (0.0, 0.0, 1.0),  # kBlue
    400: (1.0, 1.0, 0.0),  # kYellow
    616: (1.0, 0.0, 1.0),  # kMagenta
    432: (0.0, 1.0, 1.0),  # kCyan
    800: (1.0, 0.6, 0.0),  # kOrange
    820: (0.6, 1.0, 0.0),  # kSpring
    840: (0.0, 1.0, 0.6),  # kTeal
    860: (0.0, 0.6, 1.0),  # kAzure
    880: (0.6, 0.0, 1.0),  # kViolet
    900: (1.0, 0.0, 0.6),  # kPink
    920: (0.8, 0.8, 0.8),  # kGray
}


def color(index: int) -> RGB:
    """The RGB of a ROOT colour index (unknown indices are black)."""
    if index in _BASE:
        return _BASE[index]
    for base, rgb in _WHEEL.items():
        offset = index - base
        if -10 <= offset <= 4:
            return _shade(rgb, offset, gray=base == 920)
    return (0.0, 0.0, 0.0)


def _shade(rgb: RGB, offset: int, *, gray: bool) -> RGB:
    """ROOT darkens ``+1..+4`` and lightens ``-1..-10``; kGray goes darker with ``+``."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgb)
    if gray:
        lightness = max(0.0, lightness - 0.15 * offset) if offset > 0 else lightness
    elif offset > 0:
        lightness *= 1 - 0.15 * offset
    elif offset < 0:
        lightness += (1 - lightness) * (-offset / 11)
    return colorsys.hls_to_rgb(hue, min(lightness, 1.0), saturation)


_MARKERS = {
    1: ".",
    2: "+",
    3: "*",
    4: "o",
    5: "x",
    6: ".",
    7: "s",
    8: "o",
    20: "o",
    21: "s",
    22: "^",
    23: "v",
    24: "o",
    25: "s",
    26: "^",
    27: "D",
    28: "P",
    29: "*",
    30: "*",
    32: "v",
    33: "D",
    34: "P",
    43: "*",
    47: "X",
}
_OPEN_MARKERS = frozenset({4, 24, 25, 26, 27, 28, 30, 32})


def marker(style: int) -> tuple[str, bool]:
    """The matplotlib marker of a ROOT marker style, and whether it is drawn open."""
    return _MARKERS.get(style, "o"), style in _OPEN_MARKERS


LineStyle = str | tuple[int, tuple[int, ...]]
_LINES: dict[int, LineStyle] = {
    1: "-",
    2: "--",
    3: ":",
    4: "-.",
    5: "-.",
    6: (0, (5, 2, 1, 2, 1, 2)),
    7: "--",
}


def line_style(style: int) -> LineStyle:
    return _LINES.get(style, "-")


_PALETTES = {
    51: "Blues_r",
    52: "gray",
    53: "inferno",
    54: "cividis",
    55: "rainbow",
    56: "inferno_r",
    57: "viridis",
    87: "viridis",
    104: "coolwarm",
    109: "cool",
    112: "viridis",
    113: "cividis",
    114: "terrain",
}


def palette(number: int) -> str:
    """A matplotlib colormap for a ROOT palette number (0, ROOT's default, is kBird)."""
    return _PALETTES.get(number, "viridis")


_GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
_SYMBOLS = {
    **{name: name for name in _GREEK},
    "pm": "pm",
    "mp": "mp",
    "times": "times",
    "div": "div",
    "circ": "circ",
    "infty": "infty",
    "approx": "approx",
    "leq": "leq",
    "geq": "geq",
    "neq": "neq",
    "rightarrow": "rightarrow",
    "leftarrow": "leftarrow",
    "leftrightarrow": "leftrightarrow",
    "sim": "sim",
    "propto": "propto",
    "cdot": "cdot",
    "partial": "partial",
    "nabla": "nabla",
    "perp": "perp",
    "parallel": "parallel",
    "ell": "ell",
    "hbar": "hbar",
    "dagger": "dagger",
    "degree": "circ",
    "Box": "Box",
    "bar": "bar",
    "hat": "hat",
    "tilde": "tilde",
    "vec": "vec",
    "dot": "dot",
}
_COMMANDS = {"frac": 2, "sqrt": 1, "bf": 1, "it": 1, "bar": 1, "hat": 1, "tilde": 1, "vec": 1}
_COMMAND_TEX = {"bf": "mathbf", "it": "mathit"}
_WORD = re.compile(r"#([A-Za-z]+)")


def mathtext(text: str) -> str:
    """ROOT's TLatex (``#sigma_{x}``) as matplotlib mathtext; plain text is left readable."""
    return "".join(f"${body}$" if is_math else body for is_math, body in _segments(text))


def _segments(text: str) -> list[tuple[bool, str]]:
    """Plain and math runs of ``text``; neighbouring math runs are merged."""
    segments: list[tuple[bool, str]] = []
    position = 0
    while position < len(text):
        piece, position = _next_segment(text, position)
        if segments and segments[-1][0] == piece[0]:
            segments[-1] = (piece[0], segments[-1][1] + piece[1])
        else:
            segments.append(piece)
    return segments


def _next_segment(text: str, position: int) -> tuple[tuple[bool, str], int]:
    char = text[position]
    if char == "#":
        match = _WORD.match(text, position)
        if match and (match.group(1) in _SYMBOLS or match.group(1) in _COMMANDS):
            return _command(text, match.group(1), match.end())
        return (False, "#"), position + 1
    if char in "_^" and text.startswith("{", position + 1):
        body, end = _braced(text, position + 1)
        return (True, f"{char}{{{_inner(body)}}}"), end
    if char == "$":
        return (False, r"\$"), position + 1
    return (False, char), position + 1


def _command(text: str, word: str, position: int) -> tuple[tuple[bool, str], int]:
    arguments = []
    for _ in range(_COMMANDS.get(word, 0)):
        if not text.startswith("{", position):
            break
        body, position = _braced(text, position)
        arguments.append("{" + _inner(body) + "}")
    name = _COMMAND_TEX.get(word, _SYMBOLS.get(word, word))
    spacer = " " if not arguments else ""
    return (True, "\\" + name + "".join(arguments) + spacer), position


def _braced(text: str, start: int) -> tuple[str, int]:
    """The text inside the braces opening at ``start`` and the position after them."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    return text[start + 1 :], len(text)


def _inner(body: str) -> str:
    """TLatex inside math: commands become TeX, the rest is kept as it is."""
    return "".join(piece for _, piece in _segments(body))
