"""Evaluation reports: a table per suite on the terminal, JSON for machines, Markdown
for pull requests and a self-contained HTML page (inline SVG, no scripts, no CDN) for
people; and `compare`, which lists what got better and what broke between two runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from evals.suite import SuiteReport

FAILED_SHOWN = 25  # failing items listed per suite in the reports


def as_json(reports: list[SuiteReport]) -> dict[str, Any]:
    """The report file: when, whether every threshold held, and every suite run."""
    return {"created": datetime.now(UTC).isoformat(timespec="seconds"),
            "passed": all(not r.failed for r in reports),
            "suites": [r.as_dict() for r in reports]}


def stdout_json(reports: list[SuiteReport]) -> list[dict[str, Any]]:
    """`ddh eval run --json`: one object per suite run; a routing run also lists its
    turns as the first version of the command did (scenario, turn, text, expect, got,
    failures), so scripts written against it keep working."""
    out = []
    for r in reports:
        d = r.as_dict()
        if r.suite == "routing":
            d["turns"] = [{"scenario": i.detail["scenario"],
                           "turn": int(i.id.rsplit("#", 1)[1]), "text": i.detail["text"],
                           "expect": i.detail["expect"], "got": i.detail["got"],
                           "failures": i.detail["failures"]} for i in r.items]
        out.append(d)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if v != int(v) or abs(v) < 1 else f"{v:g}"
    return "–" if v is None else str(v)


def _threshold(name: str, thresholds: dict[str, float]) -> str:
    if name in thresholds or f"{name}_min" in thresholds:
        return f"≥ {thresholds.get(name, thresholds.get(f'{name}_min'))}"
    if f"{name}_max" in thresholds:
        return f"≤ {thresholds[f'{name}_max']}"
    return ""


def print_tables(reports: list[SuiteReport]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120, soft_wrap=True)
    for r in reports:
        failed = {f.split(" ")[0] for f in r.failed}
        table = Table(title=f"{r.suite} · {Path(r.file).name} · {r.mode} "
                            f"({r.seconds:.0f} s)", title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column("threshold", justify="right")
        for name, value in r.metrics.items():
            mark = "[red]✗[/red] " if name in failed else ""
            table.add_row(name, mark + _fmt(value), _threshold(name, r.thresholds))
        console.print(table)
        bad = [i for i in r.items if not i.passed]
        for i in bad[:FAILED_SHOWN]:
            console.print(f"  [yellow]FAIL[/yellow] {i.id}: {_why(i.detail)}", highlight=False)
        if len(bad) > FAILED_SHOWN:
            console.print(f"  … and {len(bad) - FAILED_SHOWN} more (see the report)")


def _why(d: dict[str, Any]) -> str:
    for key in ("failures", "missed", "lost", "goal_hit", "unsupported"):
        if d.get(key):
            return f"{d.get('text', d.get('q', ''))!r}: {key} {d[key]}"[:300]
    if d.get("changed_clean"):
        return f"{d['text']!r} was changed: {d.get('redacted')!r}"[:300]
    if "rank" in d:
        return f"{d['q']!r}: {d['topic']} at rank {d['rank']}, top {d.get('top')}"[:300]
    if "got_topic" in d:
        return f"{d['text']!r} heard as {d.get('heard')!r}: topic {d['got_topic']}"[:300]
    if d.get("canary_leak"):
        return "canary or system prompt in the reply"
    return json.dumps(d, ensure_ascii=False)[:300]


def markdown(reports: list[SuiteReport]) -> str:
    ok = all(not r.failed for r in reports)
    lines = [f"# Evaluation report — {'passed' if ok else 'FAILED'}", ""]
    for r in reports:
        lines += [f"## {r.suite} · `{Path(r.file).name}` · {r.mode}", "",
                  "| metric | value | threshold |", "|---|---:|---:|"]
        lines += [f"| {k} | {_fmt(v)} | {_threshold(k, r.thresholds)} |"
                  for k, v in r.metrics.items()]
        lines.append("")
        for f in r.failed:
            lines.append(f"- **threshold failed:** {f}")
        bad = [i for i in r.items if not i.passed]
        if bad:
            lines.append(f"\n{len(bad)} of {len(r.items)} items failed:\n")
            lines += [f"- `{i.id}` {_why(i.detail)}" for i in bad[:FAILED_SHOWN]]
        lines.append("")
    return "\n".join(lines)


def _bars(r: SuiteReport) -> str:
    """The suite's rates (0–1) as horizontal bars, with the threshold marked."""
    rates = [(k, v) for k, v in r.metrics.items() if isinstance(v, float) and 0 <= v <= 1]
    if not rates:
        return ""
    row, width, left = 22, 560, 230
    parts = [f'<svg class="bars" role="img" aria-label="{escape(r.suite)}" viewBox="0 0 '
             f'{left + width + 60} {row * len(rates) + 8}" width="100%">']
    for n, (name, v) in enumerate(rates):
        y = 4 + n * row
        bad = any(f.startswith(f"{name} ") for f in r.failed)
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(name)}'
                     f'</text><rect class="bar{" bad" if bad else ""}" x="{left}" y="{y}" '
                     f'width="{v * width:.1f}" height="{row - 6}"><title>{escape(name)}: '
                     f'{_fmt(v)}</title></rect><text x="{left + v * width + 6:.1f}" '
                     f'y="{y + 14}">{_fmt(v)}</text>')
        bound = r.thresholds.get(name, r.thresholds.get(f"{name}_max"))
        if isinstance(bound, int | float) and 0 <= bound <= 1:
            x = left + bound * width
            parts.append(f'<line class="limit" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 2}" '
                         f'y2="{y + row - 4}"/>')
    return "".join(parts) + "</svg>"


CSS = """body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2939}
main{max-width:62rem;margin:0 auto;padding:1rem}h1{color:#0b4f8a}
section{background:#fff;border:1px solid #d0d5dd;border-radius:.5rem;padding:.75rem 1rem;
margin:1rem 0}.status{font-weight:700;padding:.3rem .6rem;border-radius:.3rem}
.ok{background:#ecfdf3;color:#067647}.fail{background:#fef3f2;color:#b42318}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaecf0;
padding:.2rem .4rem;text-align:right}td:first-child,th:first-child{text-align:left}
svg.bars text{font-size:12px;fill:#344054}rect.bar{fill:#0b4f8a}rect.bar.bad{fill:#d92d20}
line.limit{stroke:#f79009;stroke-width:2}li{margin:.2rem 0}code{font-size:.9em}"""


def html(reports: list[SuiteReport]) -> str:
    ok = all(not r.failed for r in reports)
    sections = []
    for r in reports:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(_fmt(v))}</td>"
                       f"<td>{escape(_threshold(k, r.thresholds))}</td></tr>"
                       for k, v in r.metrics.items())
        state = ('<span class="status fail">threshold failed</span>' if r.failed
                 else '<span class="status ok">passed</span>')
        failed = "".join(f"<li>{escape(f)}</li>" for f in r.failed)
        bad = [i for i in r.items if not i.passed]
        items = "".join(f"<li><code>{escape(i.id)}</code> {escape(_why(i.detail))}</li>"
                        for i in bad[:FAILED_SHOWN])
        more = f"<p>{len(bad)} of {len(r.items)} items failed.</p>" if bad else ""
        sections.append(
            f'<section class="suite" data-suite="{escape(r.suite)}"><h2>{escape(r.suite)} · '
            f"{escape(Path(r.file).name)} · {escape(r.mode)} {state}</h2>{_bars(r)}"
            f"<table><thead><tr><th>metric</th><th>value</th><th>threshold</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><ul>{failed}</ul>{more}<ul>{items}</ul></section>")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Evaluation '
            f'report</title><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><style>{CSS}</style></head><body><main><h1>Evaluation report '
            f'<span class="status {"ok" if ok else "fail"}">{"passed" if ok else "FAILED"}'
            f'</span></h1><p>{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {len(reports)} suite '
            f'runs</p>{"".join(sections)}</main></body></html>')


def write(reports: list[SuiteReport], directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "report.json", "markdown": directory / "report.md",
             "html": directory / "report.html"}
    paths["json"].write_text(json.dumps(as_json(reports), ensure_ascii=False, indent=1,
                                        default=str), encoding="utf-8")
    paths["markdown"].write_text(markdown(reports), encoding="utf-8")
    paths["html"].write_text(html(reports), encoding="utf-8")
    return paths


# --- compare --------------------------------------------------------------------------


def read(path: Path) -> list[SuiteReport]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    suites = data["suites"] if isinstance(data, dict) else data
    return [SuiteReport.from_dict(d) for d in suites]


def compare(old: list[SuiteReport], new: list[SuiteReport]) -> dict[str, Any]:
    """Per suite run (suite, file, mode): items that went from passing to failing
    (regressions) and back (improvements), and the change of every metric."""
    before = {r.key: r for r in old}
    out: dict[str, Any] = {"suites": [], "regressions": 0, "improvements": 0}
    for r in new:
        was = before.get(r.key)
        if was is None:
            out["suites"].append({"key": r.key, "new": True})
            continue
        passed = {i.id: i.passed for i in was.items}
        regressed = [i.id for i in r.items if passed.get(i.id) is True and not i.passed]
        improved = [i.id for i in r.items if passed.get(i.id) is False and i.passed]
        deltas = {k: round(v - was.metrics[k], 4) for k, v in r.metrics.items()
                  if isinstance(v, int | float) and isinstance(was.metrics.get(k), int | float)
                  and v != was.metrics[k]}
        out["suites"].append({"key": r.key, "regressions": regressed, "improvements": improved,
                              "metric_changes": deltas, "failed_thresholds": r.failed})
        out["regressions"] += len(regressed)
        out["improvements"] += len(improved)
    return out
