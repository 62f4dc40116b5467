"""The quality dashboard (`GET /admin`), its JSON figures and the CSV exports.

Signed in through the console (same session). Administrators see every municipality
and may filter by one; a municipality's manager sees only their own, whatever the
query asks for; agents are refused. Exports carry no personal data: no text, no
phone numbers, no agent names — conversations as ids, times, channel, municipality,
topic, outcome, turns, wait and score.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ddh.vocabulary import UNKNOWN_REASON_DA, HandoffReason
from gateway import charts, dashboard_views, quality_views, shift_views
from gateway.api.deps import (
    AccountsDep,
    ClockDep,
    FrontdeskDep,
    GuideDeskDep,
    NoticesDep,
    RegistryDep,
    SettingsDep,
    StoreDep,
    ViewerDep,
    page_viewer,
)
from gateway.api.routes import gaps, notices, shifts, staffing
from gateway.pages import templates
from handoff.accounts import Account
from store import kpi
from store.models import Conversation

router = APIRouter(tags=["admin"])
router.include_router(gaps.router)  # the knowledge-gap report (/admin/gaps, /api/admin/gaps)
router.include_router(shifts.router)  # the shift plan and marketplace (/admin/shifts)
TZ = ZoneInfo("Europe/Copenhagen")


def filters(viewer: Account, start: date | None, end: date | None, channel: str | None,
            municipality: str | None, today: date | None = None) -> kpi.Filters:
    """Period in local days (end inclusive); a manager is held to their municipality.
    Without an end: up to `today` (the gateway's clock, else the wall clock's day)."""
    end = end or today or datetime.now(TZ).date()
    start = start or end - timedelta(days=27)
    if viewer.role == "manager":
        municipality = viewer.municipality
    return kpi.Filters(datetime(start.year, start.month, start.day, tzinfo=TZ),
                       datetime(end.year, end.month, end.day, tzinfo=TZ) + timedelta(days=1),
                       municipality or None, channel or None)


FilterArgs = dict[str, Any]


def _args(start: date | None = Query(None), end: date | None = Query(None),
          channel: str | None = Query(None, pattern="^(chat|voice|email)$"),
          municipality: str | None = Query(None, pattern=r"^\d{4}$")) -> FilterArgs:
    return {"start": start, "end": end, "channel": channel, "municipality": municipality}


Args = Annotated[FilterArgs, Depends(_args)]


def figures(store: Any, f: kpi.Filters, sl_target_s: float = 60.0) -> dict[str, Any]:
    return kpi.dashboard(store, f, sl_target_s)


@router.get("/api/admin/figures")
async def admin_figures(viewer: ViewerDep, args: Args, store: StoreDep,
                        settings: SettingsDep, clock: ClockDep) -> dict[str, Any]:
    f = filters(viewer, **args, today=dashboard_views.now_of(clock).date())
    return await run_in_threadpool(figures, store, f, settings.service_level_target_s)


@router.get("/api/admin/breakdown")
async def admin_breakdown(viewer: ViewerDep, args: Args, store: StoreDep,
                          settings: SettingsDep,
                          by: str = Query("day", pattern="^(day|week|month|hour|weekday|"
                                          "municipality|channel|topic)$")) -> list[dict]:
    """Every headline figure per day, week, month, hour, weekday, municipality, channel
    or topic (local time)."""
    f = filters(viewer, **args)
    return await run_in_threadpool(kpi.breakdown, store, f, by,
                                   settings.service_level_target_s)


@router.get("/api/admin/staffing")
async def admin_staffing(viewer: ViewerDep, settings: SettingsDep,
                         frontdesk: FrontdeskDep, clock: ClockDep) -> dict[str, Any]:
    """Today's forecast, the agents it needs and the live jumpseat signal (wallboards);
    "today" is the gateway's clock (`ddh serve --at`)."""
    return await run_in_threadpool(staffing.view, settings, frontdesk, viewer,
                                   dashboard_views.now_of(clock))


EXPORT_COLUMNS = ("id", "channel", "municipality", "topic", "started_at", "ended_at",
                  "outcome", "turns", "queue_wait_s", "satisfaction")


def export_rows(store: Any, f: kpi.Filters, name: str) -> tuple[tuple[str, ...], list[tuple]]:
    """The rows of an export (no personal data: see the module docstring)."""
    if name == "daily":
        return ("day", "contacts", "resolved_bot"), [
            (d["day"], d["contacts"], d["resolved_bot"]) for d in kpi.daily(store, f)]
    if name == "conversations":
        with store.sessions() as s:
            rows = s.execute(f.apply(select(*(getattr(Conversation, c)
                                              for c in EXPORT_COLUMNS)))
                             .order_by(Conversation.started_at))
            return EXPORT_COLUMNS, [tuple(r) for r in rows]
    raise HTTPException(status_code=404, detail="exports: daily, conversations")


@router.get("/api/admin/export/{name}.{fmt}")
async def export(name: str, fmt: str, viewer: ViewerDep, args: Args,
                 store: StoreDep) -> Response:
    """CSV for spreadsheets, Parquet for Power BI and data pipelines."""
    if fmt not in ("csv", "parquet"):
        raise HTTPException(status_code=404, detail="formats: csv, parquet")
    f = filters(viewer, **args)
    cols, rows = await run_in_threadpool(export_rows, store, f, name)
    filename = f'attachment; filename="ddh-{name}.{fmt}"'
    if fmt == "parquet":
        try:  # the optional `parquet` extra
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise HTTPException(
                status_code=501,
                detail="Parquet export needs pyarrow: install the `parquet` extra "
                "(pip install 'ddh-frontdesk[parquet]'); CSV export works without it",
            ) from None

        table = pa.Table.from_pylist([dict(zip(cols, r, strict=True)) for r in rows]) \
            if rows else pa.table({c: pa.array([], pa.string()) for c in cols})
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return Response(sink.getvalue(), media_type="application/vnd.apache.parquet",
                        headers={"Content-Disposition": filename})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime)
                         else v for v in row])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": filename})


def reason_rows(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The escalations per reason (kpi.escalation_reasons) with their Danish names."""
    rows = []
    for r in reasons:
        reason = HandoffReason.parse(r["reason"])
        rows.append({**r, "name": reason.label_da if reason else UNKNOWN_REASON_DA})
    return rows


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(request: Request, args: Args, accounts: AccountsDep, store: StoreDep,
                    registry: RegistryDep, board: NoticesDep, settings: SettingsDep,
                    frontdesk: FrontdeskDep, guide_desk: GuideDeskDep,
                    clock: ClockDep) -> Response:
    """The dashboard page (templates/admin.html); not signed in: to the console's
    sign-in. "Today" is the gateway's clock (tests, `ddh serve --at`)."""
    viewer = await page_viewer(request, accounts)
    if isinstance(viewer, RedirectResponse):
        return viewer
    now = dashboard_views.now_of(clock)
    f = filters(viewer, **args, today=now.date())
    assert f.start is not None and f.end is not None  # filters() always sets the period
    data = await run_in_threadpool(figures, store, f, settings.service_level_target_s)
    before = await run_in_threadpool(kpi.headline, store, dashboard_views.previous(f),
                                     settings.service_level_target_s, False)
    staff = await run_in_threadpool(staffing.view, settings, frontdesk, viewer, now)
    volumes = await run_in_threadpool(board.volumes, viewer.municipality if
                                      viewer.role == "manager" else None)

    def name(code: str | None) -> str:
        return registry.municipalities[code].name if code in registry.municipalities \
            else "ukendt"

    topics = [(registry.topics[t["topic"]].name if t["topic"] in registry.topics
               else t["topic"], t["contacts"]) for t in data["topics"]]
    heat = {(c["weekday"], c["hour"]): c["contacts"] for c in data["heat_map"]}
    scope = name(f.municipality) if f.municipality else "alle kommuner"
    names = {c: m.name for c, m in registry.municipalities.items()  # a manager: their own
             if viewer.role == "admin" or c == viewer.municipality}
    headline = data["headline"]
    context = {
        "viewer": viewer, "scope": scope, "query": str(request.url.query),
        "start": f.start.date(), "last": (f.end - timedelta(days=1)).date(),
        "channel": f.channel, "municipality": f.municipality or "",
        # value, previous period, change, explanation, drill-down (gateway/dashboard_views.py)
        "cards": dashboard_views.cards(headline, before, f),
        "previous_range": dashboard_views.period_days(dashboard_views.previous(f)),
        "ranges": dashboard_views.quick_ranges(
            now.date(), f.start.date(), (f.end - timedelta(days=1)).date(),
            {"channel": f.channel or "", "municipality": args["municipality"] or ""}),
        "municipalities": [{**r, "name": name(r["municipality"])}
                           for r in data["municipalities"]],
        "reasons": reason_rows(data["reasons"]),
        "live": [v for v in volumes if v["live"]],
        "charts": {
            "trend": charts.trend(data["daily"], "Henvendelser pr. dag"),
            "heat": charts.heat_map(heat, "Henvendelser pr. ugedag og time"),
            "topics": charts.bars(topics, "De hyppigste emner", names="Emne"),
            "scores": charts.bars([(str(k), v) for k, v in data["satisfaction"].items()],
                                  "Tilfredshed", horizontal=False, axis="Svar",
                                  names="Score (1–10)"),
            "staff_history": charts.trend(staff["history"],
                                          "Overdragelser til en medarbejder pr. dag",
                                          (("handoffs", "Overdragelser"),), "history")},
        "staff_day": f"i dag ({now.day}.{now.month}.{now.year})",
        "staff": staff, "staff_rows": staffing.rows(staff), "signals": staffing.SIGNALS,
        "notice_rows": notices.rows(volumes, names), "names_json": json.dumps(names),
        # agent quality, cost per contact, wrong calls (templates/_quality.html)
        "quality": await run_in_threadpool(quality_views.panels, store, settings, registry,
                                           viewer, f),
        # municipal guides past or near their review-by date (templates/_guide_alerts.html)
        "alerts": await run_in_threadpool(
            guide_desk.due_for_review, now.date(), settings.guides_review_days,
            viewer.municipality if viewer.role == "manager" else None),
        "review_days": settings.guides_review_days,
        # hours jumpseat agents saved, the last six weeks (templates/_staffing.html)
        "jumpseat_saved": await run_in_threadpool(
            shift_views.saved, settings, store, now, 6,
            viewer.municipality if viewer.role == "manager" else None),
    }
    await run_in_threadpool(accounts.audit, viewer, "view_dashboard", scope)
    return templates.TemplateResponse(request, "admin.html", context)
