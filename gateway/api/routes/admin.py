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
from datetime import date, datetime, timedelta
from html import escape
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gateway import charts
from gateway.api.routes import notices, staffing
from gateway.api.routes.agent import COOKIE, get_accounts
from handoff.accounts import Account
from store import kpi
from store.models import Conversation

router = APIRouter(tags=["admin"])
TZ = ZoneInfo("Europe/Copenhagen")
LABELS = {
    "contacts": "Henvendelser", "straks_sag": "StraksSag", "bot_resolution": "Løst af botten",
    "answer_rate": "Svarprocent", "transfer_rate": "Omstillet", "ticket_rate": "Sager",
    "redirect_share": "Forkert sted", "satisfaction_mean": "Tilfredshed",
    "queue_wait_median_s": "Ventetid, median (s)", "queue_wait_p90_s": "Ventetid, 90 % (s)",
    "service_level": "Serviceniveau",
}


async def manager_or_admin(request: Request) -> Account:
    who = await run_in_threadpool(get_accounts(request).session, request.cookies.get(COOKIE))
    if who is None:
        raise HTTPException(status_code=401, detail="not signed in")
    if who.account.role not in ("admin", "manager"):
        raise HTTPException(status_code=403, detail="for managers and administrators")
    return who.account


Viewer = Annotated[Account, Depends(manager_or_admin)]


def filters(viewer: Account, start: date | None, end: date | None, channel: str | None,
            municipality: str | None) -> kpi.Filters:
    """Period in local days (end inclusive); a manager is held to their municipality."""
    end = end or datetime.now(TZ).date()
    start = start or end - timedelta(days=27)
    if viewer.role == "manager":
        municipality = viewer.municipality
    return kpi.Filters(datetime(start.year, start.month, start.day, tzinfo=TZ),
                       datetime(end.year, end.month, end.day, tzinfo=TZ) + timedelta(days=1),
                       municipality or None, channel or None)


FilterArgs = dict[str, Any]


def _args(start: date | None = Query(None), end: date | None = Query(None),
          channel: str | None = Query(None, pattern="^(chat|voice)$"),
          municipality: str | None = Query(None, pattern=r"^\d{4}$")) -> FilterArgs:
    return {"start": start, "end": end, "channel": channel, "municipality": municipality}


Args = Annotated[FilterArgs, Depends(_args)]


def figures(store: Any, f: kpi.Filters, sl_target_s: float = 60.0) -> dict[str, Any]:
    return kpi.dashboard(store, f, sl_target_s)


@router.get("/api/admin/figures")
async def admin_figures(request: Request, viewer: Viewer, args: Args) -> dict[str, Any]:
    f = filters(viewer, **args)
    return await run_in_threadpool(figures, request.app.state.frontdesk.store, f,
                                   request.app.state.settings.service_level_target_s)


@router.get("/api/admin/breakdown")
async def admin_breakdown(request: Request, viewer: Viewer, args: Args,
                          by: str = Query("day", pattern="^(day|week|month|hour|weekday|"
                                          "municipality|channel|topic)$")) -> list[dict]:
    """Every headline figure per day, week, month, hour, weekday, municipality, channel
    or topic (local time)."""
    f = filters(viewer, **args)
    return await run_in_threadpool(kpi.breakdown, request.app.state.frontdesk.store, f, by,
                                   request.app.state.settings.service_level_target_s)


@router.get("/api/admin/staffing")
async def admin_staffing(request: Request, viewer: Viewer) -> dict[str, Any]:
    """Today's forecast, the agents it needs and the live jumpseat signal (wallboards)."""
    return await run_in_threadpool(staffing.view, request, viewer)


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
async def export(name: str, fmt: str, request: Request, viewer: Viewer, args: Args) -> Response:
    """CSV for spreadsheets, Parquet for Power BI and data pipelines."""
    if fmt not in ("csv", "parquet"):
        raise HTTPException(status_code=404, detail="formats: csv, parquet")
    f = filters(viewer, **args)
    cols, rows = await run_in_threadpool(export_rows, request.app.state.frontdesk.store, f,
                                         name)
    filename = f'attachment; filename="ddh-{name}.{fmt}"'
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

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


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.0f} %"


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(request: Request, args: Args) -> Response:
    try:
        viewer = await manager_or_admin(request)
    except HTTPException as exc:
        if exc.status_code == 401:
            return RedirectResponse("/agent", status_code=303)
        raise
    f = filters(viewer, **args)
    registry = request.app.state.frontdesk.registry
    data = await run_in_threadpool(figures, request.app.state.frontdesk.store, f,
                                   request.app.state.settings.service_level_target_s)
    staff = await run_in_threadpool(staffing.view, request, viewer)
    board = request.app.state.frontdesk.notices
    volumes = await run_in_threadpool(board.volumes, viewer.municipality if
                                      viewer.role == "manager" else None)
    h = data["headline"]
    def shown(k: str) -> str:
        if k.endswith(("rate", "share", "sag", "resolution", "level")):
            return _pct(h[k])
        return "–" if h[k] is None else str(h[k])

    cards = "".join(f'<div class="card"><span class="label">{LABELS[k]}</span>'
                    f'<span class="value">{shown(k)}</span></div>' for k in LABELS)

    def name(code: str | None) -> str:
        return registry.municipalities[code].name if code in registry.municipalities \
            else "ukendt"

    rows = "".join(
        f"<tr><td>{escape(name(r['municipality']))}</td><td>{r['contacts']}</td>"
        f"<td>{r['resolved_bot']}</td><td>{r['handed_off']}</td><td>{r['transferred']}</td>"
        f"<td>{r['tickets']}</td></tr>" for r in data["municipalities"])
    topics = [(registry.topics[t["topic"]].name if t["topic"] in registry.topics
               else t["topic"], t["contacts"]) for t in data["topics"]]
    heat = {(c["weekday"], c["hour"]): c["contacts"] for c in data["heat_map"]}
    scope = escape(name(f.municipality)) if f.municipality else "alle kommuner"
    query = str(request.url.query)
    last = (f.end - timedelta(days=1)).date()
    period = f"{f.start.date()} – {last}"
    picker = "" if viewer.role == "manager" else (
        '<label>Kommune (kode) <input name="municipality" size="5" '
        f'value="{escape(f.municipality or "")}"></label>')
    chosen = {c: " selected" if f.channel == c else "" for c in ("chat", "voice")}
    names = {c: m.name for c, m in registry.municipalities.items()  # a manager: their own
             if viewer.role == "admin" or c == viewer.municipality}
    live = "".join(
        f'<p class="crisis" role="alert">Beredskab: {escape(v["title"])} · '
        f'{v["contacts"]} henvendelser</p>' for v in volumes if v["live"])
    trend_svg = charts.trend(data["daily"], "Henvendelser pr. dag")
    heat_svg = charts.heat_map(heat, "Henvendelser pr. ugedag og time")
    topic_svg = charts.bars(topics, "De hyppigste emner")
    score_svg = charts.bars([(str(k), v) for k, v in data["satisfaction"].items()],
                            "Tilfredshed", horizontal=False)
    page = f"""<!doctype html><html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kvalitetsdata – {scope}</title><link rel="stylesheet" href="/static/chat.css">
<link rel="stylesheet" href="/static/admin.css"></head><body><main class="admin">
<h1>Kvalitetsdata · {scope}</h1>
<form class="filters" method="get">
<label>Fra <input type="date" name="start" value="{f.start.date()}"></label>
<label>Til <input type="date" name="end" value="{last}"></label>
<label>Kanal <select name="channel"><option value="">alle</option>
<option value="chat"{chosen["chat"]}>chat</option>
<option value="voice"{chosen["voice"]}>telefon</option></select></label>
{picker}
<button type="submit">Vis</button></form>
<p class="chat__note">{escape(viewer.name)} · {period} ·
<a href="/api/admin/export/conversations.csv?{escape(query)}">henvendelser (CSV)</a> ·
<a href="/api/admin/export/daily.csv?{escape(query)}">pr. dag (CSV)</a> ·
<a href="/api/admin/export/conversations.parquet?{escape(query)}">Parquet</a> ·
<a href="/api/admin/figures?{escape(query)}">JSON</a></p>
<section class="cards">{cards}</section>
{live}
<section><h2>Henvendelser pr. dag</h2>{trend_svg}</section>
<section><h2>Hvornår borgerne henvender sig</h2>{heat_svg}</section>
<section><h2>Pr. kommune</h2><table class="table municipalities"><thead><tr><th>Kommune</th>
<th>Sendt</th><th>Løst af botten</th><th>Til medarbejder</th><th>Omstillet</th><th>Sager</th>
</tr></thead><tbody>{rows}</tbody></table></section>
<section><h2>Emner</h2>{topic_svg}</section>
<section><h2>Tilfredshed (1–10)</h2>{score_svg}</section>
{staffing.section(staff)}
{notices.section(viewer, volumes, names)}
</main><script src="/static/admin.js" defer></script></body></html>"""
    await run_in_threadpool(get_accounts(request).audit, viewer, "view_dashboard", scope)
    return HTMLResponse(page)
