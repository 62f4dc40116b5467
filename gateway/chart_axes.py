"""Scales, axes and legends for the dashboard's SVG charts (gateway/charts.py).

Why a module of its own: every chart needs the same "nice" scale (ticks at 1, 2 or 5
times a power of ten, from zero, so a manager can read a value off the axis) and the
same kinds of marks for axes and legends; charts.py keeps only what differs.
Tick labels are written with gateway/formatting.py's `da_number` (one rounding rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gateway.formatting import da_number

AXIS = "#475467"
GRID = "#e4e7ec"


@dataclass(frozen=True)
class Rule:
    """A straight line: an axis (`axis`), a tick or a grid line (`grid`)."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: str = "axis"


@dataclass(frozen=True)
class Key:
    """One legend entry: a swatch of `colour` (a line when `dash` is set or `line`)."""

    x: float
    y: float
    text: str
    colour: str
    line: bool = False
    dash: str = ""
    opacity: float = 1.0


def nice_ticks(peak: float, count: int = 4) -> list[float]:
    """Ticks from 0 to at least `peak`, `count` or so steps of 1, 2 or 5 × 10^n
    (whole numbers for counts of at least `count`)."""
    if peak <= 0:
        return [0.0, 1.0]
    raw = peak / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    top = math.ceil(round(peak / step, 9)) * step
    n = round(top / step)
    return [round(i * step, 10) for i in range(n + 1)]


def tick_label(value: float) -> str:
    """A tick as a Dane writes it: decimals only where the step needs them."""
    return da_number(value, 0 if float(value).is_integer() else 1)
