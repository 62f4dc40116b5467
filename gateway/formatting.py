"""Danish number formats for the dashboard: one helper, one rounding rule.

Managers read "8,2" and "1.234,5", not "8.22" and "1234.5". Every figure the HTML
shows goes through `da_number` (the Jinja filters `da_number`, `da_percent`,
`da_change`, registered in gateway/pages.py), so a figure is rounded the same way on
the cards, in the tables, in the charts' axes and in their <title>s.

The rounding rule: **half away from zero, on the decimal value as written** (Python's
`round` rounds half to even and works on the binary float, so 0.125 → 0.12 and
2.675 → 2.67; here they become 0,13 and 2,68). Shares are stored as 0–1 and shown
in whole per cent unless asked for decimals. The JSON API stays machine-readable
(plain floats): formatting happens only in HTML.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

NONE = "–"  # a figure without data (no contacts in the period)


def rounded(value: float | int, decimals: int = 0) -> Decimal:
    """The one rounding rule: half away from zero, on `repr(value)` (shortest exact
    decimal of the float), so what a person reads is what is rounded."""
    exp = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value) if isinstance(value, float) else value) \
        .quantize(exp, rounding=ROUND_HALF_UP)


def da_number(value: float | int | None, decimals: int = 0) -> str:
    """`value` with `decimals` decimals, "," as decimal mark and "." between
    thousands: 1234.5 → "1.234,5"; None → "–"."""
    if value is None:
        return NONE
    d = rounded(value, decimals)
    if d == 0:
        d = abs(d)  # no "-0"
    text = f"{d:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def da_percent(share: float | None, decimals: int = 0) -> str:
    """A share 0–1 as per cent: 0.6543 → "65 %" (Danish writes a space before %)."""
    return NONE if share is None else f"{da_number(share * 100, decimals)} %"


def da_change(value: float | None, previous: float | None, percent: bool = False,
              decimals: int = 0) -> dict[str, str] | None:
    """The change from the previous period, as a card shows it: the sign, an arrow
    and the difference (per-cent points for shares); None without both values. The
    difference is rounded by the same rule, so "+0" never appears with an arrow."""
    if value is None or previous is None:
        return None
    delta = (value - previous) * (100 if percent else 1)
    shown = rounded(delta, decimals)
    if shown == 0:
        return {"arrow": "→", "text": "uændret", "direction": "flat"}
    unit = " %-point" if percent else ""
    sign = "+" if shown > 0 else "−"
    return {"arrow": "▲" if shown > 0 else "▼",
            "text": f"{sign}{da_number(abs(float(shown)), decimals)}{unit}",
            "direction": "up" if shown > 0 else "down"}
