"""The dashboard's charts as data: where each mark of an inline SVG goes.

The geometry is worked out here, from the figures `store/kpi.py` computes; the markup
is drawn by the macros in `templates/charts.html`, which autoescape every label, so a
topic or municipality name can never become markup. No JavaScript, no CDN,
print-friendly. Each chart has axes with ticks on a zero-based scale, axis titles, a
legend, a <title> per mark (screen readers and hover), an aria-label, and the same
numbers as a table (`rows`) for those who cannot see the chart. Numbers are written
by gateway/formatting.py (Danish format, one rounding rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.chart_axes import Key, Rule, nice_ticks, tick_label
from gateway.formatting import da_number

BRAND = "#0b4f8a"
RESOLVED = "#2e7d32"  # the bot-resolved line of the trend
DAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int = 11
    anchor: str = "start"  # text-anchor: start, middle, end
    kind: str = "label"  # label (tick), title (axis title)


@dataclass(frozen=True)
class Mark:
    """A bar or heat-map cell (x, y, w, h), or a point (centre x, y); `title` is what
    a screen reader says and a pointer shows."""

    x: float
    y: float
    title: str
    w: float = 0.0
    h: float = 0.0
    opacity: float = 1.0


@dataclass(frozen=True)
class Line:
    points: str  # "x,y x,y ..."
    colour: str = BRAND
    dash: str = ""  # stroke-dasharray; empty: solid


@dataclass(frozen=True)
class Chart:
    """One chart; `kind` (heat, trend, bars) is its CSS class and picks the macro.
    Without marks, the template says there is no data. `columns`/`rows`: the table
    fallback."""

    kind: str
    label: str
    width: float = 0.0
    height: float = 0.0
    texts: list[Text] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    colour: str = BRAND  # of the marks
    rules: list[Rule] = field(default_factory=list)
    legend: list[Key] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = field(default_factory=list)


def _y_axis(ticks: list[float], left: float, right: float, y: Callable[[float], float],
            title: str, top: float) -> tuple[list[Rule], list[Text]]:
    """A vertical value axis at `left` with grid lines to `right` (y maps a value)."""
    rules, texts = [], [Text(left, top - 8, title, 10, "start", "title")]
    for t in ticks:
        ty = y(t)
        rules.append(Rule(left, ty, right, ty, "grid"))
        texts.append(Text(left - 4, round(ty + 3.5, 1), tick_label(t), 10, "end"))
    bottom = y(ticks[0])
    rules += [Rule(left, y(ticks[-1]), left, bottom),
              Rule(left, bottom, right, bottom)]
    return rules, texts


def heat_map(cells: dict[tuple[int, int], int], label: str) -> Chart:
    """Contacts by weekday (rows) and local hour (columns); the legend is the scale
    from none to the busiest hour."""
    peak = max(cells.values(), default=0) or 1
    w, h, left, top = 24, 22, 34, 30
    texts = [Text(left, 10, "Time på dagen (lokal tid)", 10, "start", "title")]
    texts += [Text(left + hour * w + 2, top - 4, f"{hour:02d}", 10)
              for hour in range(0, 24, 3)]
    marks, rows = [], []
    for day in range(7):
        texts.append(Text(0, top + day * h + 15, DAYS[day]))
        for hour in range(24):
            n = cells.get((day, hour), 0)
            marks.append(Mark(left + hour * w, top + day * h,
                              f"{DAYS[day]} {hour:02d}–{hour + 1:02d}: {da_number(n)}",
                              w - 2, h - 2,
                              round(0.06 + 0.94 * n / peak if n else 0.03, 2)))
        rows.append((DAYS[day], *(da_number(cells.get((day, hr), 0)) for hr in range(24))))
    base = top + 7 * h + 14
    legend = [Key(left, base, "0", BRAND, opacity=0.03)]
    steps = sorted({v for v in nice_ticks(peak, 3)[1:] if v < peak} | {peak})
    legend += [Key(left + 70 * (i + 1), base, tick_label(v), BRAND,
                   opacity=round(0.06 + 0.94 * v / peak, 2)) for i, v in enumerate(steps)]
    texts.append(Text(left + 70 * (len(legend)) + 10, base + 10, "henvendelser pr. time", 10))
    return Chart("heat", label, left + 24 * w, base + 20, texts, marks, legend=legend,
                 columns=("Ugedag", *(f"{hr:02d}" for hr in range(24))), rows=rows)


SERIES = (("contacts", "Henvendelser"), ("resolved_bot", "Løst af botten"))


def trend(days: list[dict], label: str,
          series: tuple[tuple[str, str], ...] = SERIES, kind: str = "trend") -> Chart:
    """Per day: the first series as a line with points (contacts), a second as a
    dashed line (the bot-resolved part), on a value axis from zero, dates along the
    bottom. `series`: (key in each day, legend name); `kind`: the CSS class (the
    staffing history is a "history", so the quality trend stays the one `trend`)."""
    if not days:
        return Chart(kind, label)
    width, height, left, right, top, bottom = 640, 220, 48, 16, 34, 40
    first = series[0][0]
    ticks = nice_ticks(max(max(d[k] for k, _ in series) for d in days))
    span = height - top - bottom
    step = (width - left - right) / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return round(height - bottom - value / ticks[-1] * span, 1)

    def points(key: str) -> str:
        return " ".join(f"{left + i * step:.1f},{y(d[key]):.1f}" for i, d in enumerate(days))

    rules, texts = _y_axis(ticks, left, width - right, y, series[0][1], top)
    every = max(1, round(len(days) / 7))  # at most about 8 dates along the axis
    for i, d in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            x = round(left + i * step, 1)
            rules.append(Rule(x, height - bottom, x, height - bottom + 4))
            texts.append(Text(x, height - bottom + 15, _short_day(d["day"]), 10, "middle"))
    texts.append(Text(left + (width - left - right) / 2, height - 6, "Dag", 10, "middle",
                      "title"))
    marks = [Mark(round(left + i * step, 1), y(d[first]), f'{d["day"]}: ' + ", ".join(
        f"{da_number(d[k])} {name.lower()}" for k, name in series)) for i, d in enumerate(days)]
    styles = ((BRAND, ""), (RESOLVED, "4 3"))
    lines = [Line(points(k), colour, dash)
             for (k, _), (colour, dash) in zip(series, styles, strict=False)]
    legend = [Key(width - 300 + 140 * i, 12, name, colour, line=True, dash=dash)
              for i, ((_, name), (colour, dash)) in enumerate(zip(series, styles,
                                                                   strict=False))]
    return Chart(kind, label, width, height, texts, marks, lines, rules=rules,
                 legend=legend, columns=("Dag", *(name for _, name in series)),
                 rows=[(d["day"], *(da_number(d[k]) for k, _ in series)) for d in days])


def _short_day(iso: str) -> str:
    """"2026-12-04" → "4.12" (Danish day.month)."""
    _, month, day = str(iso).split("-")
    return f"{int(day)}.{int(month)}"


def bars(items: list[tuple[str, int]], label: str, horizontal: bool = True,
         axis: str = "Henvendelser", names: str = "") -> Chart:
    """Counts by name: horizontal bars with the names on the left (long names cut)
    and the count axis underneath, or columns with the names underneath and the count
    axis on the left. `axis` titles the count axis, `names` the other one."""
    if not items or not any(n for _, n in items):
        return Chart("bars", label)
    ticks = nice_ticks(max(n for _, n in items))
    texts, marks, rules = [], [], []
    table = [(name, da_number(n)) for name, n in items]
    if horizontal:
        row, width, left, top = 22, 560, 170, 18
        span = width - left - 30
        legend = [Key(left, 2, axis, BRAND)]
        for i, (name, n) in enumerate(items):
            w = round(span * n / ticks[-1], 1)
            short = name if len(name) <= 24 else name[:23] + "…"
            texts += [Text(0, top + i * row + 15, short, 12),
                      Text(round(left + w + 4, 1), top + i * row + 15, da_number(n))]
            marks.append(Mark(left, top + i * row + 3, f"{name}: {da_number(n)}", w, row - 6))
        base = top + row * len(items)
        rules.append(Rule(left, top, left, base))
        rules.append(Rule(left, base, left + span, base))
        for t in ticks:
            x = round(left + span * t / ticks[-1], 1)
            rules += [Rule(x, top, x, base, "grid"), Rule(x, base, x, base + 4)]
            texts.append(Text(x, base + 15, tick_label(t), 10, "middle"))
        texts.append(Text(left + span / 2, base + 30, axis, 10, "middle", "title"))
        return Chart("bars", label, width, base + 36, texts, marks, rules=rules,
                     legend=legend, columns=(names or "Navn", axis), rows=table)
    col, height, left, top = 40, 160, 40, 30
    span = height - top
    right = left + col * len(items)
    legend = [Key(right - 80, 2, axis, BRAND)]

    def y(value: float) -> float:
        return round(height - value / ticks[-1] * span, 1)

    rules, ticks_texts = _y_axis(ticks, left, right, y, axis, top)
    texts += ticks_texts
    for i, (name, n) in enumerate(items):
        h = round(span * n / ticks[-1], 1)
        marks.append(Mark(left + i * col + 6, round(height - h, 1), f"{name}: {da_number(n)}",
                          col - 12, h))
        texts.append(Text(left + i * col + col / 2, height + 14, name, 11, "middle"))
    if names:
        texts.append(Text(left + (right - left) / 2, height + 30, names, 10, "middle", "title"))
    return Chart("bars", label, right + 10, height + 36, texts, marks, rules=rules,
                 legend=legend, columns=(names or "Navn", axis), rows=table)
