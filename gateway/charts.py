"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, print-friendly.

Each chart is a plain inline <svg> with a <title> per mark (screen readers and hover)
and a caption, built from the figures `store/kpi.py` computes.
"""

from __future__ import annotations

from html import escape

BRAND = "#0b4f8a"
DAYS = ("man", "tir", "ons", "tor", "fre", "lør", "søn")


def heat_map(cells: dict[tuple[int, int], int], label: str) -> str:
    """Contacts by weekday (rows) and local hour (columns)."""
    peak = max(cells.values(), default=0) or 1
    w, h, left, top = 24, 22, 34, 18
    parts = [f'<svg role="img" aria-label="{escape(label)}" class="chart heat" '
             f'viewBox="0 0 {left + 24 * w} {top + 7 * h}" width="100%">']
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{left + hour * w + 2}" y="12" font-size="10">{hour:02d}</text>')
    for day in range(7):
        parts.append(f'<text x="0" y="{top + day * h + 15}" font-size="11">{DAYS[day]}</text>')
        for hour in range(24):
            n = cells.get((day, hour), 0)
            opacity = 0.06 + 0.94 * n / peak if n else 0.03
            parts.append(
                f'<rect class="cell" x="{left + hour * w}" y="{top + day * h}" width="{w - 2}" '
                f'height="{h - 2}" fill="{BRAND}" fill-opacity="{opacity:.2f}">'
                f'<title>{DAYS[day]} {hour:02d}–{hour + 1:02d}: {n}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def trend(days: list[dict], label: str) -> str:
    """Contacts per day (line) and the bot-resolved part (area)."""
    if not days:
        return f'<p class="empty">{escape(label)}: ingen data</p>'
    width, height, pad = 640, 160, 24
    peak = max(d["contacts"] for d in days) or 1
    step = (width - 2 * pad) / max(len(days) - 1, 1)

    def y(value: float) -> float:
        return height - pad - value / peak * (height - 2 * pad)

    def points(key: str) -> str:
        return " ".join(f"{pad + i * step:.1f},{y(d[key]):.1f}" for i, d in enumerate(days))

    marks = "".join(f'<circle class="point" cx="{pad + i * step:.1f}" '
                    f'cy="{y(d["contacts"]):.1f}" r="3" '
                    f'fill="{BRAND}"><title>{d["day"]}: {d["contacts"]} henvendelser, '
                    f'{d["resolved_bot"]} løst af botten</title></circle>'
                    for i, d in enumerate(days))
    return (f'<svg role="img" aria-label="{escape(label)}" class="chart trend" '
            f'viewBox="0 0 {width} {height}" width="100%">'
            f'<polyline fill="none" stroke="{BRAND}" stroke-width="2" '
            f'points="{points("contacts")}"/>'
            f'<polyline fill="none" stroke="#2e7d32" stroke-width="2" stroke-dasharray="4 3" '
            f'points="{points("resolved_bot")}"/>{marks}'
            f'<text x="{pad}" y="{height - 4}" font-size="10">{days[0]["day"]}</text>'
            f'<text x="{width - pad - 60}" y="{height - 4}" font-size="10">'
            f'{days[-1]["day"]}</text>'
            "</svg>")


def bars(items: list[tuple[str, int]], label: str, horizontal: bool = True) -> str:
    if not items or not any(n for _, n in items):
        return f'<p class="empty">{escape(label)}: ingen data</p>'
    peak = max(n for _, n in items) or 1
    if horizontal:
        row, width, left = 22, 520, 170
        parts = [f'<svg role="img" aria-label="{escape(label)}" class="chart bars" '
                 f'viewBox="0 0 {width} {row * len(items)}" width="100%">']
        for i, (name, n) in enumerate(items):
            w = (width - left - 40) * n / peak
            short = name if len(name) <= 24 else name[:23] + "…"
            parts.append(f'<text x="0" y="{i * row + 15}" font-size="12">{escape(short)}</text>'
                         f'<rect class="bar" x="{left}" y="{i * row + 3}" width="{w:.1f}" '
                         f'height="{row - 6}" fill="{BRAND}"><title>{escape(name)}: {n}</title>'
                         f'</rect><text x="{left + w + 4:.1f}" y="{i * row + 15}" '
                         f'font-size="11">{n}</text>')
    else:
        col, height = 40, 140
        parts = [f'<svg role="img" aria-label="{escape(label)}" class="chart bars" '
                 f'viewBox="0 0 {col * len(items)} {height + 20}" width="100%">']
        for i, (name, n) in enumerate(items):
            h = (height - 14) * n / peak
            parts.append(f'<rect class="bar" x="{i * col + 6}" y="{height - h:.1f}" '
                         f'width="{col - 12}" height="{h:.1f}" fill="{BRAND}">'
                         f'<title>{escape(name)}: {n}</title></rect>'
                         f'<text x="{i * col + 14}" y="{height + 14}" font-size="11">'
                         f'{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
