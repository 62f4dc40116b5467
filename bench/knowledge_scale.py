"""Knowledge at national scale: every municipality's local guides in one index.

    .venv/bin/python bench/knowledge_scale.py [--scales 1,10,40] [--work DIR] [--seed 7]

For each scale (local guides per municipality, for all 98 municipalities, generated
from the real corpus by bench/scale_corpus.py into a JSON export under a fresh
DDH_DATA_DIR), measures:
- ingest from empty (`ddh knowledge ingest`, a subprocess: total and per chunk);
- serve start → ready (`ddh serve` on a free port until /readyz answers 200) and its
  resident memory (VmRSS) at that moment (three starts: the fastest, the largest RSS;
  the machine is shared and every start is printed);
- re-ingest of one changed guide (`ddh knowledge ingest` again, one guide edited);
- one changed guide live (`Knowledge.apply`, as a municipal editor's publication:
  from the call until a search finds the new text);
- search p95 (warm, in this process; best of three passes) and hit@3 on
  evals/retrieval/dev.yaml with a municipality in scope for every question (its own,
  else one assigned in turn), so that local guides compete with the national ones.
Targets at 40× (issue 19): resident ≤ 600 MB, start → ready ≤ 5 s, one changed guide
live ≤ 2 s, search p95 ≤ 10 ms, hit@3 within 0.5 points of the 1× figure. A scale not
measured has its ingest extrapolated from the largest one measured, labelled so.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.scale_corpus import local_guides, write_export  # noqa: E402
from ddh.settings import Settings  # noqa: E402
from evals.retrieval import DEV_SET, LabelledQuery, evaluate, load_queries  # noqa: E402
from knowledge.corpus import load_corpus  # noqa: E402
from knowledge.guide import guide_from_mapping  # noqa: E402
from knowledge.importers.load import load_path  # noqa: E402
from knowledge.registry import load_registry  # noqa: E402
from knowledge.service import Knowledge  # noqa: E402

DDH = str(Path(sys.executable).with_name("ddh"))
MODELS = ROOT / "var" / "models"
TARGETS = {"rss_mb": 600.0, "ready_s": 5.0, "live_s": 2.0, "p95_ms": 10.0}


@dataclass
class Row:
    scale: int
    guides: int = 0
    chunks: int = 0
    ingest_s: float = 0.0
    reingest_s: float = 0.0
    ready_s: float = 0.0
    rss_mb: float = 0.0
    live_s: float = 0.0
    p95_ms: float = 0.0
    hit3: float = 0.0
    notes: list[str] = field(default_factory=list)


def _env(data: Path, export: Path | None) -> dict[str, str]:
    env = {**os.environ, "DDH_DATA_DIR": str(data), "DDH_LOG_LEVEL": "WARNING",
           "DDH_MODELS_DIR": os.environ.get("DDH_MODELS_DIR", str(MODELS)),
           "DDH_DRAIN_TIMEOUT_S": "0", "OPENBLAS_NUM_THREADS": "1"}
    env["DDH_EXTRA_GUIDE_SOURCES"] = json.dumps([str(export)] if export else [])
    return env


def _ingest(env: dict[str, str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = subprocess.run([DDH, "knowledge", "ingest", "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=7200)
    took = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"ingest failed: {out.stderr[-2000:]}")
    return took, json.loads(out.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _serve(env: dict[str, str], log: Path) -> tuple[float, float]:
    """Seconds from starting `ddh serve` to /readyz 200, and its RSS (MB) then."""
    port = _free_port()
    t0 = time.perf_counter()
    with log.open("w") as f:
        proc = subprocess.Popen([DDH, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=f, stderr=subprocess.STDOUT)
    try:
        while time.perf_counter() - t0 < 300:
            if proc.poll() is not None:
                raise RuntimeError(f"ddh serve exited: see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0, _rss_mb(proc.pid)
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("ddh serve not ready within 300 s")
    finally:
        proc.kill()
        proc.wait()


def _edited(record: dict, n: int) -> dict:
    return {**record, "summary": record["summary"] + f" Opdateret udgave {n}: ny åbningstid."}


def _queries(codes: list[str]) -> list[LabelledQuery]:
    """Every dev question with a municipality in scope (its own, else one in turn)."""
    return [LabelledQuery(q.q, q.topic, q.municipality or codes[i % len(codes)], q.style)
            for i, q in enumerate(load_queries(DEV_SET))]


def run_scale(scale: int, work: Path, seed: int, registry, national, starts_n: int) -> Row:
    row = Row(scale)
    data = work / f"x{scale}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    records = local_guides(national, registry, scale, seed) if scale else []
    export = write_export(records, data / "local") if records else None
    env = _env(data, export)
    row.ingest_s, report = _ingest(env)
    row.guides, row.chunks = report["guides"], report["chunks_embedded"]
    print(f"  {scale}x: ingest {row.ingest_s:.1f} s, {row.guides} guides, "
          f"{row.chunks} chunks", flush=True)
    starts = [_serve(env, data / f"serve-{i}.log") for i in range(starts_n)]
    row.ready_s, row.rss_mb = min(t for t, _ in starts), max(m for _, m in starts)
    row.notes.append("serve starts: " + ", ".join(f"{t:.2f} s / {m:.0f} MB" for t, m in starts))
    print(f"  {scale}x: ready {row.ready_s:.2f} s, RSS {row.rss_mb:.0f} MB", flush=True)
    if export is not None:  # one guide changed, ingested again from the command line
        export.write_text(json.dumps({"guides": [_edited(records[0], 1), *records[1:]]},
                                     ensure_ascii=False), encoding="utf-8")
        row.reingest_s, again = _ingest(env)
        embedded = again["chunks_embedded"] - again.get("vectors_reused", 0)
        row.notes.append(f"re-ingest: {again['updated']} updated, {embedded} chunks embedded")
    settings = Settings(data_dir=data, models_dir=Path(env["DDH_MODELS_DIR"]),
                        extra_guide_sources=[export] if export else [])
    k = Knowledge.open(settings, registry)
    retriever = k.retriever
    queries = _queries(sorted(registry.municipalities))
    if export is not None:  # a municipal editor's publication, live in this process
        source = load_path(export, registry)
        guides = list(source.guides)
        target = next(i for i, g in enumerate(guides) if g.id == records[1]["id"])
        raw = _edited(records[1], 2)
        raw["summary"] += " Kodeord: blåbærgrød."
        guides[target] = guide_from_mapping(raw, source=guides[target].source)
        t0 = time.perf_counter()
        k.apply(guides, export.name)
        hits = k.retriever.search("blåbærgrød", raw["municipality"], 3)
        row.live_s = time.perf_counter() - t0
        if raw["id"] not in [h.guide.id for h in hits]:
            row.notes.append("changed guide NOT found after apply")
        retriever = k.retriever

    def search(lq: LabelledQuery) -> list[str]:
        return [h.guide.topic for h in retriever.search(lq.q, lq.municipality, 5)]

    evaluate("warm-up", search, queries[:40])
    # three passes, the best p95 counts: the machine is shared, and a neighbour's
    # burst is not the retriever's latency (every pass is printed)
    scores = [evaluate("hybrid", search, queries) for _ in range(3)]
    row.p95_ms, row.hit3 = min(s.latency(95) for s in scores), scores[0].hit_at(3)
    row.notes.append("search p95 per pass: " + ", ".join(f"{s.latency(95):.1f}"
                                                         for s in scores) + " ms")
    print(f"  {scale}x: live {row.live_s:.2f} s, p95 {row.p95_ms:.1f} ms, "
          f"hit@3 {row.hit3:.3f}", flush=True)
    return row


def _chunks_at(scale: int, registry, national, seed: int) -> int:
    """Chunks the corpus would have at `scale` (for an extrapolated ingest)."""
    records = local_guides(national, registry, scale, seed)
    return sum(len(guide_from_mapping(r, source="x").passages()) for r in records) + \
        sum(len(g.passages()) for g in national)


def print_table(rows: list[Row], extrapolated: dict[int, tuple[int, float]]) -> None:
    scales = sorted({r.scale for r in rows} | set(extrapolated))
    by = {r.scale: r for r in rows}
    base = by.get(1)
    top = max(by) if by else max(scales)  # targets: the largest scale measured

    def cell(scale: int, fn, fmt: str) -> str:
        r = by.get(scale)
        return fmt.format(fn(r)) if r else "—"

    lines = [("guides", lambda r: r.guides, "{:,}"), ("chunks", lambda r: r.chunks, "{:,}"),
             ("ingest from empty (s)", lambda r: r.ingest_s, "{:.1f}"),
             ("ingest per chunk (ms)", lambda r: 1000 * r.ingest_s / max(r.chunks, 1), "{:.1f}"),
             ("re-ingest one changed guide, CLI (s)", lambda r: r.reingest_s, "{:.2f}"),
             ("one changed guide live, apply (s)", lambda r: r.live_s, "{:.2f}"),
             ("serve start → ready, best start (s)", lambda r: r.ready_s, "{:.2f}"),
             ("resident memory at ready, largest (MB)", lambda r: r.rss_mb, "{:.0f}"),
             ("search p95, best of 3 passes (ms)", lambda r: r.p95_ms, "{:.1f}"),
             ("hit@3, municipality in scope", lambda r: r.hit3, "{:.3f}")]
    target = {"one changed guide live, apply (s)": ("live_s", "≤ 2"),
              "serve start → ready, best start (s)": ("ready_s", "≤ 5"),
              "resident memory at ready, largest (MB)": ("rss_mb", "≤ 600"),
              "search p95, best of 3 passes (ms)": ("p95_ms", "≤ 10")}
    head = ["figure", *[f"{s}×" for s in scales], f"target at {top}×", "ratio"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for name, fn, fmt in lines:
        cells = [cell(s, fn, fmt) for s in scales]
        for i, s in enumerate(scales):
            if s in extrapolated and name.startswith(("chunks", "ingest from")):
                n, secs = extrapolated[s]
                cells[i] = f"{n:,} (est.)" if name == "chunks" else f"{secs:.0f} (extrapolated)"
        goal, ratio = "", ""
        if name in target and top in by:
            attr, goal = target[name]
            ratio = f"{getattr(by[top], attr) / TARGETS[attr]:.2f}"
        if name.startswith("hit@3") and base and top in by:
            goal = f"≥ {base.hit3 - 0.005:.3f}"
            ratio = f"{by[top].hit3 - base.hit3:+.3f}"
        print("| " + " | ".join([name, *cells, goal, ratio]) + " |")
    for r in rows:
        for note in r.notes:
            print(f"- {r.scale}×: {note}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,40",
                    help="local guides per municipality, comma-separated (0: corpus only)")
    ap.add_argument("--extrapolate", default="",
                    help="scales whose ingest is only extrapolated (e.g. 40)")
    ap.add_argument("--work", type=Path, default=None, help="where the data dirs go")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the data dirs")
    ap.add_argument("--starts", type=int, default=3,
                    help="serve starts per scale: the fastest counts, the largest RSS")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ddh-scale-"))
    registry = load_registry()
    national = load_corpus(Settings(data_dir=work / "corpus"), registry).guides
    print(f"{time.strftime('%Y-%m-%d %H:%M')} — work dir {work}, {os.cpu_count()} cores")
    rows = [run_scale(int(s), work, args.seed, registry, national, args.starts)
            for s in args.scales.split(",") if s.strip()]
    extrapolated: dict[int, tuple[int, float]] = {}
    if args.extrapolate and rows:
        ref = max(rows, key=lambda r: r.chunks)
        per = ref.ingest_s / max(ref.chunks, 1)
        for s in (int(x) for x in args.extrapolate.split(",") if x.strip()):
            n = _chunks_at(s, registry, national, args.seed)
            extrapolated[s] = (n, n * per)
    print_table(rows, extrapolated)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
