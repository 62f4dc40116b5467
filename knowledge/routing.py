"""Routing data per municipality: own phone hours, transfer number, DDH membership
and topics, closing days, and the called-number table.

Every input the routing policy reads per municipality lives in data files
(`ddh.yaml` for members and their weekday hours, `routing.yaml` for the rest), so
a municipality's manager changes routing without a code change.

The registry loads this file last and hands in what it checks against (the known
municipalities, topics and hours models), so this module does not know the registry.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.hours import Interval, parse_week
from knowledge.yaml_data import RegistryError, read_yaml

_E164 = re.compile(r"^\+\d{8,15}$")


@dataclass(frozen=True, slots=True)
class MunicipalityRouting:
    code: str
    name: str
    member: bool
    own_hours: dict[str, Interval]
    phone: str | None = None
    phone_verified: bool = False
    ddh_topics_exclude: frozenset[str] = frozenset()
    ticket_email: str | None = None
    ticket_webhook: str | None = None


@dataclass(frozen=True)
class RoutingConfig:
    ddh_hours_model: str
    default_own_hours: dict[str, Interval]
    closed_optional_days: tuple[str, ...]
    ddh_closed_dates: frozenset[date]
    ticket_response_hours: int
    municipalities: dict[str, dict[str, Any]]
    called_numbers: dict[str, str]


def normalise_number(number: str | None) -> str | None:
    """'+45 89 40 20 00', '0045 89402000', '89402000' → '+4589402000'."""
    if not number:
        return None
    digits = re.sub(r"[^\d+]", "", number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"\d{8}", digits):
        digits = "+45" + digits
    return digits if _E164.match(digits) else None


def load_routing(
    path: Path, *, municipalities: Collection[str], topics: Collection[str],
    hours_models: Collection[str], default_hours_model: str,
) -> RoutingConfig:
    """Read and validate `routing.yaml` against the registry's kommunekoder, topic slugs
    and DDH hours models; `RegistryError` on the first problem."""
    data = read_yaml(path)
    d = data.get("defaults") or {}
    model = d.get("ddh_hours_model", default_hours_model)
    if model not in hours_models:
        raise RegistryError(f"{path.name}: defaults.ddh_hours_model {model!r} is not defined")
    dates = set()
    for v in d.get("ddh_closed_dates") or []:
        try:
            dates.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
        except ValueError as exc:
            raise RegistryError(f"{path.name}: ddh_closed_dates: {v!r} is not a date") from exc
    munis: dict[str, dict[str, Any]] = {}
    for code, entry in (data.get("municipalities") or {}).items():
        code = str(code)
        if code not in municipalities:
            raise RegistryError(f"{path.name}: municipalities: unknown kommunekode {code!r} "
                                "(quote codes: \"0751\")")
        entry = dict(entry or {})
        if "phone" in entry and normalise_number(str(entry["phone"])) is None:
            raise RegistryError(f"{path.name}: {code}: phone {entry['phone']!r} is not a number")
        for slug in entry.get("ddh_topics_exclude") or []:
            if slug not in topics:
                raise RegistryError(f"{path.name}: {code}: unknown topic {slug!r}")
        if "own_hours" in entry:
            entry["own_hours"] = parse_week(path, f"{code}.own_hours", entry["own_hours"])
        munis[code] = entry
    called: dict[str, str] = {}
    for code, entry in munis.items():
        if (num := normalise_number(entry.get("phone"))):
            called[num] = code
    for number, code in (data.get("called_numbers") or {}).items():
        num = normalise_number(str(number))
        if num is None or str(code) not in municipalities:
            raise RegistryError(f"{path.name}: called_numbers: {number!r} → {code!r} is invalid")
        called[num] = str(code)
    return RoutingConfig(
        ddh_hours_model=model,
        default_own_hours=parse_week(path, "defaults.own_hours", d.get("own_hours") or {}),
        closed_optional_days=tuple(d.get("closed_optional_days") or ()),
        ddh_closed_dates=frozenset(dates),
        ticket_response_hours=int(d.get("ticket_response_hours", 24)),
        municipalities=munis,
        called_numbers=called,
    )


def municipality_routing(config: RoutingConfig, code: str, *, name: str,
                         member_hours: Interval | None) -> MunicipalityRouting:
    """Everything routing needs about one municipality, defaults filled in.

    `member_hours` is a DDH member's own weekday hours (from `ddh.yaml`), None for a
    municipality outside DDH.
    """
    entry = config.municipalities.get(code, {})
    if "own_hours" in entry:
        hours = entry["own_hours"]
    elif member_hours is not None:
        hours = {d: member_hours for d in ("mon", "tue", "wed", "thu", "fri")}
    else:
        hours = config.default_own_hours
    return MunicipalityRouting(
        code=code,
        name=name,
        member=member_hours is not None,
        own_hours=hours,
        phone=normalise_number(entry.get("phone")),
        phone_verified=bool(entry.get("verified", False)),
        ddh_topics_exclude=frozenset(entry.get("ddh_topics_exclude") or ()),
        ticket_email=entry.get("ticket_email"),
        ticket_webhook=entry.get("ticket_webhook"),
    )
