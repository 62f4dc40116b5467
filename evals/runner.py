"""`ddh eval run`: every suite file through the same frontdesk as the channels.

Each suite runs against a fresh, throwaway outcome store, in the grounded mode, in the
LLM mode, or both (`--compare-modes`); suites that do not depend on the mode
(retrieval, privacy's redaction, voice) run once. The LLM mode uses the configured
endpoint (`DDH_LLM_BASE_URL`); with it, the routing suite's answers are also judged
for faithfulness (evals/faithfulness.py). The privacy suite's end-to-end check always
runs the LLM mode against a local OpenAI-compatible endpoint that records what it is
sent (evals/fake_llm.py), so "no raw CPR in a language-model request" is checked on
every run, with or without a real model.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.frontdesk import Frontdesk, TurnInput
from bot.llm import LLM
from ddh.settings import Settings
from ddh.vocabulary import Action, Mode
from evals import (
    answerability,
    callers,
    faithfulness,
    injection,
    privacy,
    retrieval,
    routing,
    voice,
)
from evals.suite import STAFFED, SuiteError, SuiteReport, load
from knowledge.service import Knowledge
from store.models import Base
from store.outcomes import OutcomeStore, database_url

MODES = (Mode.GROUNDED.value, Mode.LLM.value)
Progress = Callable[[str, int], Callable[[int], None]]  # (label, total) → advance(n)


def _no_progress(label: str, total: int) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class EvalContext:
    settings: Settings
    knowledge: Knowledge
    tmp: Path

    def llm(self, settings: Settings | None = None) -> LLM:
        s = settings or self.settings
        if not s.llm_base_url:
            raise SuiteError("the LLM mode needs DDH_LLM_BASE_URL (an OpenAI-compatible "
                             "endpoint)")
        return LLM(s)

    def store(self) -> OutcomeStore:
        return OutcomeStore(database_url(None, self.tmp / uuid.uuid4().hex))

    def frontdesk(self, mode: str, knowledge: Knowledge | None = None,
                  llm: LLM | None = None, unseen: str | None = None) -> Frontdesk:
        """`unseen`: the labelled set being measured, whose turns the precedents
        leave out, so its figures are those of turns they have never seen."""
        if mode == "llm" and llm is None:
            llm = self.llm()
        k = knowledge or self.knowledge
        precedents = k.precedents
        if precedents is not None and unseen:
            precedents = precedents.without(unseen)
        return Frontdesk(k, self.store(), min_similarity=self.settings.answer_min_similarity,
                         min_lexical=self.settings.answer_min_lexical, llm=llm,
                         precedents=precedents)

    def with_guides(self, source: Path) -> Knowledge:
        """A throwaway copy of the index with the guides under `source` added (the
        injection suite's planted guides); the real index is never touched."""
        data_dir = self.tmp / f"index-{uuid.uuid4().hex[:8]}"
        data_dir.mkdir()
        if self.settings.chroma_url is None and self.settings.chroma_path.is_dir():
            shutil.copytree(self.settings.chroma_path, data_dir / "chroma")  # embed only new
        settings = self.settings.model_copy(update={
            "data_dir": data_dir, "chroma_url": None,
            "extra_guide_sources": [*self.settings.extra_guide_sources, source]})
        k = Knowledge.open(settings, self.knowledge.registry, self.knowledge.embedder)
        k.refresh_index()
        return k


def run_file(ctx: EvalContext, path: Path, modes: tuple[str, ...],
             progress: Progress = _no_progress) -> list[SuiteReport]:
    kind, data = load(path)
    out: list[SuiteReport] = []
    t0 = time.perf_counter()
    if kind == "routing":
        routing.validate(path, data)
        for mode in modes:
            desk = ctx.frontdesk(mode, unseen=path.stem)
            out.append(routing.run(desk, path, data, mode, progress(
                f"routing ({mode})", len(data["scenarios"]))))
            _llm_figures(desk, out[-1])
            if mode == "llm" and desk.llm is not None:
                answered = sum(i.detail["got"]["action"] == Action.ANSWER for i in out[-1].items)
                out.append(faithfulness.judge(
                    desk.llm, ctx.knowledge, out[-1], dict(data.get("judge_thresholds") or {}),
                    progress("faithfulness (judge)", answered)))
            desk.store.close()
    elif kind == "answerability":
        answerability.validate(path, data)
        for mode in modes:
            desk = ctx.frontdesk(mode)
            n = len(data["questions"])
            out.append(answerability.run(desk, path, data, mode, progress(
                f"answerability ({mode})", n)))
            desk.store.close()
    elif kind == "retrieval":
        out.append(retrieval.run(ctx.knowledge, path, data,
                                 progress("retrieval", len(data["queries"]))))
    elif kind == "privacy":
        cprs = [s for s in data["sentences"] if any(p["kind"] == "cpr" for p in
                                                    s.get("pii") or [])]
        check = progress("privacy (store, logs, LLM requests)", len(cprs))
        out.append(privacy.run(path, data, lambda s: end_to_end(ctx, s, check),
                               progress("privacy (redaction)", len(data["sentences"]))))
    elif kind == "injection":
        injection.validate(path, data)
        planted = injection.write_planted(data, ctx.tmp / f"planted-{uuid.uuid4().hex[:8]}")
        knowledge = ctx.with_guides(planted) if planted else ctx.knowledge
        for mode in modes:
            desk = ctx.frontdesk(mode, knowledge)
            out.append(injection.run(desk, path, data, mode, progress(
                f"injection ({mode})", len(data["attempts"]))))
            _llm_figures(desk, out[-1])
            desk.store.close()
    elif kind == "callers":
        from gateway.app import create_app

        callers.validate(path, data)
        desk = ctx.frontdesk(Mode.GROUNDED)
        app = create_app(ctx.settings, frontdesk=desk)
        out.append(callers.run(desk, app, path, data,
                               progress("callers", 2 * len(data["questions"])),
                               concurrent=int(data.get("concurrent") or 2)))
        desk.store.close()
    else:  # voice
        from gateway.app import create_app

        voice.validate(path, data)
        desk = ctx.frontdesk(Mode.GROUNDED)
        app = create_app(ctx.settings, frontdesk=desk)
        out.append(voice.run(desk, app, path, data,
                             progress("voice", len(data["questions"]))))
        desk.store.close()
    for r in out:
        r.seconds = time.perf_counter() - t0
    return out


def _llm_figures(desk: Frontdesk, report: SuiteReport) -> None:
    """In the LLM mode: how often the model was used, and why it was not."""
    if desk.llm is None:
        return
    m = desk.llm.metrics.snapshot()
    report.metrics |= {"llm_calls": m["calls"], "llm_ok": m["ok"]} | {
        f"llm_fallback_{k}": v for k, v in m["fallbacks"].items() if v}


# --- privacy: what reaches the store, the logs and a language model ---------------------


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, at every level, rendered as the logs would be."""
    import structlog

    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processors=[
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.JSONRenderer(ensure_ascii=False)]))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def dump(store: OutcomeStore) -> str:
    """Every row of every table of the store, as text."""
    lines = []
    with store.sessions() as s:
        for table in Base.metadata.sorted_tables:
            lines += [json.dumps([str(v) for v in row], ensure_ascii=False)
                      for row in s.execute(select(table))]
    return "\n".join(lines)


def end_to_end(ctx: EvalContext, sentences: list[dict[str, Any]],
               advance: Callable[[int], None]) -> dict[str, Any]:
    """Each sentence with a CPR number as a citizen's turn (voice when it was spoken),
    in the LLM mode against a recording endpoint; then the raw numbers are looked for
    in the store, the logs and the recorded requests."""
    from evals.fake_llm import FakeOpenAI, Reply

    cprs = [p["text"] for s in sentences for p in s.get("pii") or [] if p["kind"] == "cpr"]
    with FakeOpenAI() as fake, captured_logs() as logs:
        fake.default = Reply(status=503)  # every operation falls back: all are sent anyway
        llm = ctx.llm(ctx.settings.model_copy(update={"llm_base_url": fake.url,
                                                      "llm_timeout_s": 2.0}))
        desk = ctx.frontdesk("llm", llm=llm)
        for i, s in enumerate(sentences):
            cid = f"privacy-{i}"
            channel = "voice" if s.get("form") == "spoken" else "chat"
            desk.handle(TurnInput(cid, s["text"], channel, "0751", None, STAFFED))
            desk.handle(TurnInput(cid, "jeg vil gerne tale med en medarbejder", channel,
                                  None, None, STAFFED))  # a handoff: summary, packet
            desk.close(cid)
            advance(1)
        desk.store.flush()
        requests = "\n".join(r.body.decode("utf-8", "replace") + json.dumps(
            r.json, ensure_ascii=False) for r in fake.requests)
        stored = dump(desk.store)
        desk.store.close()
        llm.close()
    return {"cpr_checked": len(cprs), "llm_requests": len(fake.requests),
            "log_lines": logs.getvalue().count("\n"),
            "raw_cpr_in_store": privacy.leaks(cprs, stored),
            "raw_cpr_in_logs": privacy.leaks(cprs, logs.getvalue()),
            "raw_cpr_in_llm_requests": privacy.leaks(cprs, requests)}
