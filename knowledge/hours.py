"""Opening hours as the data files write them: weekdays and `["HH:MM", "HH:MM"]` intervals.

Both DDH's hours (`ddh.yaml`) and the municipalities' own hours (`routing.yaml`) are
read with these, so a typo in either file is reported the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from knowledge.yaml_data import fail

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Interval:
    """Opening interval on one day, [start, end)."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        return self.start <= t < self.end


def parse_interval(path: Path, where: str, value: Any) -> Interval:
    """`["08:00", "15:00"]` → `Interval`; `RegistryError` naming file and place otherwise."""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        raise fail(path, f"{where}: expected [\"HH:MM\", \"HH:MM\"], got {value!r}")
    parsed = []
    for v in value:
        m = HHMM.match(str(v))
        if not m:
            raise fail(path, f"{where}: {v!r} is not a HH:MM time")
        parsed.append(time(int(m.group(1)), int(m.group(2))))
    if parsed[0] >= parsed[1]:
        raise fail(path, f"{where}: opening {value[0]} is not before closing {value[1]}")
    return Interval(parsed[0], parsed[1])


def parse_week(path: Path, where: str, raw: Any) -> dict[str, Interval]:
    """A mapping weekday → `[open, close]` → weekday → `Interval` (missing days: closed)."""
    if not isinstance(raw, dict):
        raise fail(path, f"{where}: expected weekday → [open, close]")
    out: dict[str, Interval] = {}
    for day, iv in raw.items():
        if day not in WEEKDAYS:
            raise fail(path, f"{where}: unknown weekday {day!r}")
        out[day] = parse_interval(path, f"{where}.{day}", iv)
    return out
