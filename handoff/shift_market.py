"""The shift plan in the store, and its marketplace.

Why: the plan is shared by every member and every gateway process, and a trade must
never create or lose a shift. Each seat of each shift is one `Shift` row
(store/models.py); planning a week writes them once, and trading changes only their
owner, with a conditional UPDATE (`WHERE owner = …` / `WHERE owner IS NULL`), so two
managers picking the same open shift cannot both get it — on SQLite and PostgreSQL
alike. Every plan, give-up, pick, jumpseat mark and agent assignment is written to the
audit log in the same transaction as the change.

Who may do what: an administrator (DDH) plans weeks and acts for any member; a
municipality's manager gives up its own shifts, picks open ones for its own
municipality, marks its shifts as jumpseats and assigns its agents; agents read the
plan (and hop on and off their own jumpseat shifts); guide editors have no part in it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.accounts import Account
from handoff.shift_plan import Seat
from store.models import AuditEntry, JumpseatLeg, Shift, User
from store.outcomes import OutcomeStore

READERS = ("agent", "manager", "admin")


class ShiftError(ValueError):
    """A request the plan cannot honour (the shift is not open, the week exists...)."""


class ShiftForbidden(PermissionError):
    """The viewer's role or municipality does not allow this."""


class ShiftNotFound(LookupError):
    """No such shift."""


@dataclass(frozen=True)
class Rate:
    """The compensation paid for a shift picked on the marketplace."""

    dkk_per_hour: float

    def for_shift(self, start: datetime, end: datetime) -> float:
        return round(self.dkk_per_hour * (end - start).total_seconds() / 3600, 2)


def shift_json(row: Shift, rate: Rate) -> dict[str, Any]:
    return {"id": row.id, "week": row.week.isoformat(), "day": row.day.isoformat(),
            "start": row.starts_at.isoformat(), "end": row.ends_at.isoformat(),
            "hours": round((row.ends_at - row.starts_at).total_seconds() / 3600, 2),
            "seat": row.seat, "owner": row.owner, "base_owner": row.base_owner,
            "open": row.owner is None, "jumpseat": row.jumpseat, "agent": row.agent,
            "compensation_dkk": rate.for_shift(row.starts_at, row.ends_at)}


class ShiftBook:
    """The weeks' plans and the trades on them (see the module docstring)."""

    def __init__(self, store: OutcomeStore, members: dict[str, str], rate: Rate) -> None:
        self.store = store
        self.members = members  # code → name
        self.rate = rate

    # --- reading -----------------------------------------------------------------------

    def week(self, viewer: Account, monday: date) -> list[dict[str, Any]]:
        """Every seat of the week, in time order (everyone who may read the plan sees it
        whole: a manager needs the open shifts of the others to pick one)."""
        _may_read(viewer)
        with self.store.sessions() as s:
            rows = s.scalars(select(Shift).where(Shift.week == monday)
                             .order_by(Shift.starts_at, Shift.seat))
            return [shift_json(r, self.rate) for r in rows]

    def totals(self, monday: date) -> dict[str, Any]:
        """The week's shifts and hours per owner and on the marketplace; `total` never
        changes by trading."""
        with self.store.sessions() as s:
            rows = s.execute(select(Shift.owner, Shift.base_owner, Shift.starts_at,
                                    Shift.ends_at).where(Shift.week == monday)).all()
        owners: Counter[str] = Counter()
        base: Counter[str] = Counter()
        hours: dict[str, float] = {}
        for owner, base_owner, start, end in rows:
            owners[owner or ""] += 1
            base[base_owner or ""] += 1
            hours[owner or ""] = hours.get(owner or "", 0.0) + \
                (end - start).total_seconds() / 3600
        market = owners.pop("", 0)
        return {"week": monday.isoformat(), "total": len(rows), "open": market,
                "allocated_by_key": len(rows) - base.pop("", 0),
                "by_municipality": {c: {"shifts": n, "hours": round(hours[c], 2),
                                        "by_key": base.get(c, 0)}
                                    for c, n in sorted(owners.items())},
                "open_hours": round(hours.get("", 0.0), 2)}

    # --- planning ----------------------------------------------------------------------

    def plan(self, viewer: Account, monday: date, seats: list[Seat]) -> int:
        """Write a week's allocated seats once (administrators); a second plan of the
        same week is refused, so trades already made stand."""
        if viewer.role != "admin":
            raise ShiftForbidden("only DDH's administrators plan a week")
        now = datetime.now(UTC)
        with self.store.sessions.begin() as s:
            if s.scalar(select(func.count()).select_from(Shift)
                        .where(Shift.week == monday)):
                raise ShiftError(f"the week of {monday} is planned already")
            for seat in seats:
                s.add(Shift(week=monday, day=seat.day, starts_at=seat.start,
                            ends_at=seat.end, seat=seat.seat, owner=seat.owner,
                            base_owner=seat.owner, jumpseat=seat.jumpseat,
                            updated_at=now))
            market = sum(seat.owner is None for seat in seats)
            _audit(s, viewer, "shift_plan", f"week:{monday}",
                   f"{len(seats)} shifts, {len(seats) - market} by key, {market} open")
        return len(seats)

    # --- trading -----------------------------------------------------------------------

    def give_up(self, viewer: Account, shift_id: int) -> dict[str, Any]:
        """The owner gives the shift up: it goes to the marketplace."""
        with self.store.sessions.begin() as s:
            row = _get(s, shift_id)
            if row.owner is None:
                raise ShiftError("the shift is open on the marketplace already")
            _may_act(viewer, row.owner)
            owner = row.owner
            done = s.execute(update(Shift).where(Shift.id == shift_id, Shift.owner == owner)
                             .values(owner=None, agent=None, updated_at=datetime.now(UTC)))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ShiftError("the shift changed hands meanwhile")
            _audit(s, viewer, "shift_give_up", f"shift:{shift_id}", _describe(row, owner))
            s.flush()
            s.refresh(row)
            return shift_json(row, self.rate)

    def pick(self, viewer: Account, shift_id: int,
             municipality: str | None = None) -> dict[str, Any]:
        """An open shift becomes the municipality's (a manager's own; an administrator
        names the member)."""
        code = viewer.municipality if viewer.role == "manager" else municipality
        if viewer.role == "admin" and code not in self.members:
            raise ShiftError("name the member municipality that picks the shift")
        with self.store.sessions.begin() as s:
            row = _get(s, shift_id)
            _may_act(viewer, code)
            if row.owner is not None:
                raise ShiftError("the shift is not open on the marketplace")
            done = s.execute(update(Shift).where(Shift.id == shift_id, Shift.owner.is_(None))
                             .values(owner=code, updated_at=datetime.now(UTC)))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise ShiftError("another municipality picked the shift meanwhile")
            comp = self.rate.for_shift(row.starts_at, row.ends_at)
            _audit(s, viewer, "shift_pick", f"shift:{shift_id}",
                   f"{_describe(row, code)}, kompensation {comp:.2f} DKK")
            s.flush()
            s.refresh(row)
            return shift_json(row, self.rate)

    def mark_jumpseat(self, viewer: Account, shift_id: int, on: bool) -> dict[str, Any]:
        with self.store.sessions.begin() as s:
            row = _get(s, shift_id)
            _may_act(viewer, row.owner)
            row.jumpseat, row.updated_at = on, datetime.now(UTC)
            if not on:
                row.advice = row.advice_at = None
            _audit(s, viewer, "shift_jumpseat", f"shift:{shift_id}",
                   f"{_describe(row, row.owner)}: {'jumpseat' if on else 'fast'}")
            return shift_json(row, self.rate)

    def assign(self, viewer: Account, shift_id: int, username: str | None) -> dict[str, Any]:
        """The agent who works the shift (one of the owner's agents; None: nobody)."""
        with self.store.sessions.begin() as s:
            row = _get(s, shift_id)
            _may_act(viewer, row.owner)
            if username is not None:
                user = s.scalar(select(User).where(User.username == username))
                if user is None or user.role != "agent" or user.disabled:
                    raise ShiftError(f"{username!r} is not an active agent")
                if user.municipality != row.owner:
                    raise ShiftError("the agent works for another municipality")
            row.agent, row.updated_at = username, datetime.now(UTC)
            _audit(s, viewer, "shift_assign", f"shift:{shift_id}",
                   f"{_describe(row, row.owner)}: {username or 'ingen'}")
            return shift_json(row, self.rate)

    # --- jumpseat ----------------------------------------------------------------------

    def current_jumpseat(self, username: str, now: datetime) -> Shift | None:
        """The jumpseat shift `username` works now, if any (detached)."""
        with self.store.sessions() as s:
            row = s.scalar(select(Shift).where(Shift.agent == username, Shift.jumpseat,
                                               Shift.starts_at <= now, Shift.ends_at > now))
            if row is not None:
                s.expunge(row)
            return row

    def record_advice(self, shift_id: int, advice: str, now: datetime) -> None:
        """Remember a changed advice (the hysteresis of every process reads it)."""
        with self.store.sessions.begin() as s:
            s.execute(update(Shift).where(Shift.id == shift_id)
                      .values(advice=advice, advice_at=now))

    def hop(self, viewer: Account, shift_id: int, state: str, now: datetime) -> bool:
        """The agent hops off the line (a stretch begins) or on (it ends); False when
        nothing changed (already off, or already on)."""
        if state not in ("off", "on"):
            raise ShiftError("state is 'off' or 'on'")
        with self.store.sessions.begin() as s:
            row = _get(s, shift_id)
            if row.agent != viewer.username or not row.jumpseat:
                raise ShiftForbidden("not your jumpseat shift")
            open_leg = s.scalar(select(JumpseatLeg).where(JumpseatLeg.shift_id == shift_id,
                                                          JumpseatLeg.on_at.is_(None)))
            if state == "off" and open_leg is None:
                if not row.starts_at <= now < row.ends_at:
                    raise ShiftError("the shift is not running now")
                s.add(JumpseatLeg(shift_id=shift_id, agent=viewer.username, off_at=now))
            elif state == "on" and open_leg is not None:
                open_leg.on_at = now
            else:
                return False
            _audit(s, viewer, f"jumpseat_{state}", f"shift:{shift_id}", None)
            return True

    def is_off(self, shift_id: int) -> bool:
        with self.store.sessions() as s:
            return s.scalar(select(JumpseatLeg.id).where(
                JumpseatLeg.shift_id == shift_id, JumpseatLeg.on_at.is_(None))) is not None


def _may_read(viewer: Account) -> None:
    if viewer.role not in READERS:
        raise ShiftForbidden("the shift plan is for agents, managers and administrators")


def _may_act(viewer: Account, municipality: str | None) -> None:
    """Administrators act for every member; a manager for their own municipality."""
    if viewer.role == "admin":
        return
    if viewer.role == "manager" and municipality is not None and \
            municipality == viewer.municipality:
        return
    raise ShiftForbidden("a manager acts for their own municipality only")


def _get(s: Session, shift_id: int) -> Shift:
    row = s.get(Shift, shift_id)
    if row is None:
        raise ShiftNotFound(f"no shift {shift_id}")
    return row


def _describe(row: Shift, code: str | None) -> str:
    return f"{code or 'marketplace'} {row.starts_at.isoformat()}–{row.ends_at.isoformat()} " \
           f"plads {row.seat}"


def _audit(s: Session, viewer: Account, action: str, obj: str, detail: str | None) -> None:
    s.add(AuditEntry(at=datetime.now(UTC), username=viewer.username, action=action,
                     object=obj, detail=detail))
