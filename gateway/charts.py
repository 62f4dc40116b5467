"""The dashboard's charts as data: where each mark of an inline SVG goes.

The geometry is worked out here, from the figures `store/kpi.py` computes; the markup
is drawn by the macros in `templates/charts.html`, which autoescape every label, so a
topic or municipality name can never become markup. No JavaScript, no CDN,
print-friendly: a <title> per mark (screen readers and hover) and a label per chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BRAND = "#0b4f8a"
RESOLVED = "#2e7d32"  # the bot-resolved line of the trend
DAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: int = 11


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
    Without marks, the template says there is no data."""

    kind: str
    label: str
    width: float = 0.0
    height: float = 0.0
    texts: list[Text] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    colour: str = BRAND  # of the marks


def heat_map(cells: dict[tuple[int, int], int], label: str) -> Chart:
    """Contacts by weekday (rows) and local hour (columns)."""
    peak = max(cells.values(), default=0) or 1
    w, h, left, top = 24, 22, 34, 18
    texts = [Text(left + hour * w + 2, 12, f"{hour:02d}", 10) for hour in range(0, 24, 3)]
    marks = []
    for day in range(7):
        texts.append(Text(0, top + day * h + 15, DAYS[day]))
        for hour in range(24):
            n = cells.get((day, hour), 0)
            marks.append(Mark(left + hour * w, top + day * h,
                              f"{DAYS[day]} {hour:02d}–{hour + 1:02d}: {n}", w - 2, h - 2,
                              round(0.06 + 0.94 * n / peak if n else 0.03, 2)))
    return Chart("heat", label, left + 24 * w, top + 7 * h, texts, marks)


def trend(days: list[dict], label: str) -> Chart:
    """Contacts per day (line with points) and the bot-resolved part (dashed line)."""
    if not days:
        return Chart("trend", label)
    width, height, pad = 640, 160, 24
    peak = max(d["contacts"] for d in days) or 1
    step = (width - 2 * pad) / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return round(height - pad - value / peak * (height - 2 * pad), 1)

    def points(key: str) -> str:
        return " ".join(f"{pad + i * step:.1f},{y(d[key]):.1f}" for i, d in enumerate(days))

    marks = [Mark(round(pad + i * step, 1), y(d["contacts"]),
                  f'{d["day"]}: {d["contacts"]} henvendelser, '
                  f'{d["resolved_bot"]} løst af botten') for i, d in enumerate(days)]
    texts = [Text(pad, height - 4, str(days[0]["day"]), 10),
             Text(width - pad - 60, height - 4, str(days[-1]["day"]), 10)]
    return Chart("trend", label, width, height, texts, marks,
                 [Line(points("contacts")), Line(points("resolved_bot"), RESOLVED, "4 3")])


def bars(items: list[tuple[str, int]], label: str, horizontal: bool = True) -> Chart:
    """Counts by name: horizontal bars with the names on the left (long names cut),
    or columns with the names underneath."""
    if not items or not any(n for _, n in items):
        return Chart("bars", label)
    peak = max(n for _, n in items) or 1
    texts, marks = [], []
    if horizontal:
        row, width, left = 22, 520, 170
        for i, (name, n) in enumerate(items):
            w = round((width - left - 40) * n / peak, 1)
            short = name if len(name) <= 24 else name[:23] + "…"
            texts += [Text(0, i * row + 15, short, 12),
                      Text(round(left + w + 4, 1), i * row + 15, str(n))]
            marks.append(Mark(left, i * row + 3, f"{name}: {n}", w, row - 6))
        return Chart("bars", label, width, row * len(items), texts, marks)
    col, height = 40, 140
    for i, (name, n) in enumerate(items):
        h = round((height - 14) * n / peak, 1)
        marks.append(Mark(i * col + 6, round(height - h, 1), f"{name}: {n}", col - 12, h))
        texts.append(Text(i * col + 14, height + 14, name))
    return Chart("bars", label, col * len(items), height + 20, texts, marks)
