"""The registry: municipalities and their seats, postal codes, topics, authorities and DDH
membership.

Loaded from data files (bundled in `knowledge/data/`, or `DDH_REGISTRY_DIR`) and
validated as a whole at start-up, so a typo in an edited file stops the process
with a message naming the file and the row instead of misrouting citizens later.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from knowledge.hours import Interval, parse_interval, parse_week
from knowledge.routing import (
    MunicipalityRouting,
    RoutingConfig,
    load_routing,
    municipality_routing,
)
from knowledge.yaml_data import RegistryError, fail, read_yaml

BUNDLED_DIR = Path(__file__).resolve().parent / "data"
ROUTES = ("bot", "ddh", "kommune", "redirect")
_CODE = re.compile(r"^\d{4}$")


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str
    region: str
    seat: str = ""  # the town of the town hall (rådhusby), from municipal_seats.csv


@dataclass(frozen=True, slots=True)
class PostalCode:
    code: str
    name: str
    municipalities: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.municipalities) > 1


@dataclass(frozen=True, slots=True)
class Authority:
    id: str
    name: str
    web: str


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    name: str
    owner: str
    route: str
    about: str
    authority: str | None = None
    municipalities: tuple[str, ...] = ()  # non-empty: the topic exists only there


@dataclass(frozen=True, slots=True)
class Member:
    code: str
    name: str
    own_hours: Interval


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    since: int
    municipalities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    days: dict[str, Interval]
    closed_on_holidays: bool = True


@dataclass(frozen=True)
class Registry:
    municipalities: dict[str, Municipality]
    postal_codes: dict[str, PostalCode]
    topics: dict[str, Topic]
    authorities: dict[str, Authority]
    members: dict[str, Member]
    partners: dict[str, Partner]
    ddh_hours: dict[str, WeeklyHours]
    routing: RoutingConfig = field(repr=False)  # routing.yaml, checked against the above
    default_ddh_hours: str = "proposed_2026"
    raw_ddh: dict[str, Any] = field(default_factory=dict, repr=False)

    def routing_for(self, code: str) -> MunicipalityRouting:
        """`MunicipalityRouting` for a kommunekode (defaults for non-members)."""
        member = self.members.get(code)
        return municipality_routing(
            self.routing, code, name=self.municipalities[code].name,
            member_hours=member.own_hours if member else None,
        )

    @property
    def ddh_week(self) -> WeeklyHours:
        return self.ddh_hours[self.routing.ddh_hours_model]

    def municipality(self, code: str) -> Municipality:
        return self.municipalities[code]

    def topic(self, slug: str) -> Topic:
        return self.topics[slug]

    def is_member(self, code: str) -> bool:
        return code in self.members

    @cached_property
    def municipality_by_name(self) -> dict[str, str]:
        """Lower-case municipality names to codes ("aarhus" → "0751")."""
        return {m.name.lower(): m.code for m in self.municipalities.values()}

    @cached_property
    def partner_by_municipality(self) -> dict[str, list[Partner]]:
        out: dict[str, list[Partner]] = {}
        for p in self.partners.values():
            for code in p.municipalities:
                out.setdefault(code, []).append(p)
        return out


def _read_csv(path: Path, columns: Iterable[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise RegistryError(f"{path}: registry file missing")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise fail(path, f"missing columns {sorted(missing)}")
        return list(reader)


def _code(path: Path, where: str, value: Any, known: dict[str, Any] | None = None) -> str:
    code = str(value)
    if not _CODE.match(code):
        raise fail(path, f"{where}: {value!r} is not a 4-digit kommunekode (quote it in YAML)")
    if known is not None and code not in known:
        raise fail(path, f"{where}: unknown kommunekode {code}")
    return code


def _load_municipalities(path: Path) -> dict[str, Municipality]:
    out: dict[str, Municipality] = {}
    for i, row in enumerate(_read_csv(path, ("code", "name", "region")), start=2):
        code = _code(path, f"line {i}", row["code"])
        if code in out:
            raise fail(path, f"line {i}: duplicate code {code}")
        if not row["name"].strip() or not row["region"].strip():
            raise fail(path, f"line {i}: empty name or region")
        out[code] = Municipality(code, row["name"].strip(), row["region"].strip())
    return out


def _load_seats(path: Path, kommuner: dict[str, Municipality]) -> dict[str, Municipality]:
    """The municipalities with their seats: one row per municipality, every one present."""
    seats: dict[str, str] = {}
    for i, row in enumerate(_read_csv(path, ("code", "seat")), start=2):
        code = _code(path, f"line {i}", (row["code"] or "").strip(), kommuner)
        if code in seats:
            raise fail(path, f"line {i}: duplicate code {code}")
        if not (row["seat"] or "").strip():
            raise fail(path, f"line {i}: empty seat")
        seats[code] = row["seat"].strip()
    missing = sorted(set(kommuner) - set(seats))
    if missing:
        raise fail(path, f"no seat for {', '.join(missing)}")
    return {code: replace(m, seat=seats[code]) for code, m in kommuner.items()}


def _load_postal_codes(path: Path, kommuner: dict[str, Municipality]) -> dict[str, PostalCode]:
    out: dict[str, PostalCode] = {}
    rows = _read_csv(path, ("postal_code", "name", "municipality_codes"))
    for i, row in enumerate(rows, start=2):
        pc = row["postal_code"].strip()
        if not _CODE.match(pc):
            raise fail(path, f"line {i}: {pc!r} is not a 4-digit postal code")
        codes = [c.strip() for c in row["municipality_codes"].split(";") if c.strip()]
        # 0411 Christiansø is listed by DAWA but is not a municipality (see PROVENANCE.md).
        codes = [c for c in codes if c != "0411"]
        for c in codes:
            _code(path, f"line {i}", c, kommuner)
        if not codes:
            raise fail(path, f"line {i}: postal code {pc} has no municipality")
        out[pc] = PostalCode(pc, row["name"].strip(), tuple(codes))
    return out


def _load_topics(path: Path, kommuner: dict[str, Municipality]):
    data = read_yaml(path)
    authorities: dict[str, Authority] = {}
    for key, a in (data.get("authorities") or {}).items():
        if not isinstance(a, dict) or "name" not in a:
            raise fail(path, f"authority {key}: needs a name")
        authorities[key] = Authority(key, a["name"], a.get("web", ""))
    topics: dict[str, Topic] = {}
    for i, t in enumerate(data.get("topics") or []):
        where = f"topic #{i + 1} ({t.get('slug', '?') if isinstance(t, dict) else t})"
        if not isinstance(t, dict):
            raise fail(path, f"{where}: expected a mapping")
        for req in ("slug", "name", "owner", "route", "about"):
            if not t.get(req):
                raise fail(path, f"{where}: missing {req}")
        if not re.match(r"^[a-z0-9-]+$", t["slug"]):
            raise fail(path, f"{where}: slug must be lowercase a-z, 0-9 and hyphens")
        if t["slug"] in topics:
            raise fail(path, f"{where}: duplicate slug")
        if t["route"] not in ROUTES:
            raise fail(path, f"{where}: route must be one of {ROUTES}")
        authority = t.get("authority")
        if t["route"] == "redirect" and authority not in authorities:
            raise fail(path, f"{where}: redirect topics need a known authority")
        if authority is not None and authority not in authorities:
            raise fail(path, f"{where}: unknown authority {authority!r}")
        codes = tuple(_code(path, where, c, kommuner) for c in t.get("municipalities") or ())
        topics[t["slug"]] = Topic(
            t["slug"], t["name"], t["owner"], t["route"], t["about"], authority, codes
        )
    if not topics:
        raise fail(path, "no topics")
    return topics, authorities


def _load_ddh(path: Path, kommuner: dict[str, Municipality]):
    data = read_yaml(path)
    hours: dict[str, WeeklyHours] = {}
    raw_hours = data.get("ddh_hours") or {}
    closed = bool(raw_hours.get("closed_on_danish_public_holidays", True))
    for model, days in raw_hours.items():
        if model == "closed_on_danish_public_holidays":
            continue
        hours[model] = WeeklyHours(parse_week(path, f"ddh_hours.{model}", days), closed)
    default = data.get("default_hours_model", "proposed_2026")
    if default not in hours:
        raise fail(path, f"ddh_hours: default model {default!r} is not defined")
    members: dict[str, Member] = {}
    for i, m in enumerate(data.get("members_2025") or []):
        where = f"members_2025 #{i + 1}"
        code = _code(path, where, m.get("code"), kommuner)
        if kommuner[code].name != m.get("name"):
            raise fail(
                path, f"{where}: name {m.get('name')!r} does not match {kommuner[code].name!r}"
            )
        members[code] = Member(code, m["name"], parse_interval(path, where, m.get("own_hours")))
    partners: dict[str, Partner] = {}
    for i, p in enumerate(data.get("partners") or []):
        where = f"partners #{i + 1}"
        if not p.get("id") or not p.get("name"):
            raise fail(path, f"{where}: needs id and name")
        codes = tuple(_code(path, where, c, kommuner) for c in p.get("municipalities") or ())
        partners[p["id"]] = Partner(p["id"], p["name"], int(p.get("since", 0)), codes)
    return hours, default, members, partners, data


def load_registry(directory: Path | None = None) -> Registry:
    """Load and validate every registry file; raise `RegistryError` on the first problem."""
    d = Path(directory) if directory else BUNDLED_DIR
    kommuner = _load_seats(d / "municipal_seats.csv",
                           _load_municipalities(d / "municipalities.csv"))
    postal = _load_postal_codes(d / "postal_codes.csv", kommuner)
    topics, authorities = _load_topics(d / "topics.yaml", kommuner)
    hours, default, members, partners, raw = _load_ddh(d / "ddh.yaml", kommuner)
    routing = load_routing(
        d / "routing.yaml", municipalities=kommuner.keys(), topics=topics.keys(),
        hours_models=hours.keys(), default_hours_model=default,
    )
    return Registry(
        municipalities=kommuner,
        postal_codes=postal,
        topics=topics,
        authorities=authorities,
        members=members,
        partners=partners,
        ddh_hours=hours,
        default_ddh_hours=default,
        routing=routing,
        raw_ddh=raw,
    )
