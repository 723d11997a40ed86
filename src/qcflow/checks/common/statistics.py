"""The two probability functions the comparators need, written with ``math`` only (no scipy).

- :func:`chi2_probability` -- the upper tail of the χ² distribution, P(X ≥ χ²) for ``ndf``
  degrees of freedom (ROOT's ``TMath::Prob``): the regularized upper incomplete gamma function
  Q(ndf/2, χ²/2), by its power series below ``a + 1`` and its continued fraction above.
- :func:`kolmogorov_probability` -- the Kolmogorov distribution's tail, P(K ≥ z) (ROOT's
  ``TMath::KolmogorovProb``): ``2 Σ (-1)^(j-1) exp(-2 j² z²)``, or for small z the equivalent
  ``1 - sqrt(2π)/z Σ exp(-(2j-1)² π² / (8 z²))`` which converges there.
"""

from __future__ import annotations

import math

__all__ = ["chi2_probability", "kolmogorov_probability"]

_EPS = 1e-15
_ITERATIONS = 500


def _lower_series(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) by its series (good for x < a + 1)."""
    term = total = 1.0 / a
    n = a
    for _ in range(_ITERATIONS):
        n += 1
        term *= x / n
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x) by its continued fraction (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, _ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < _EPS:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_probability(chi2: float, ndf: int) -> float:
    """P(χ² ≥ ``chi2``) for ``ndf`` degrees of freedom; 0 when ``ndf`` < 1, 1 when χ² <= 0."""
    if ndf < 1:
        return 0.0
    if chi2 <= 0:
        return 1.0
    a, x = ndf / 2, chi2 / 2
    if x < a + 1:
        return max(0.0, 1.0 - _lower_series(a, x))
    return min(1.0, _upper_fraction(a, x))


def kolmogorov_probability(z: float) -> float:
    """P(K ≥ z) of the Kolmogorov distribution."""
    z = abs(z)
    if z < 0.2:
        return 1.0
    if z < 0.755:
        s = sum(math.exp(-((2 * j - 1) ** 2) * math.pi**2 / (8 * z * z)) for j in range(1, 4))
        return 1.0 - math.sqrt(2 * math.pi) / z * s
    if z < 6.8116:
        terms = max(1, round(3 / z))
        signs = (1.0 if j % 2 else -1.0 for j in range(1, terms + 1))
        return 2 * sum(s * math.exp(-2 * j * j * z * z) for j, s in enumerate(signs, start=1))
    return 0.0
