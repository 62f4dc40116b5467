"""Optional LLM mode: understanding, grounded answers and handoff summaries.

The grounded path (`bot.replies`) always works; this module only improves on it when
`DDH_LLM_BASE_URL` points at an OpenAI-compatible chat-completions endpoint (OpenAI,
Azure OpenAI's v1 API, vLLM, Ollama). That is why every operation returns None on ANY
failure instead of raising or retrying: the caller's fallback is the grounded reply,
and a citizen on the phone cannot wait for a retry. Each fallback is counted in
`LLM.metrics` by reason and logged with the reason only, never the citizen's text.

We call the `openai` client directly rather than LangChain's `ChatOpenAI`: it speaks
plain chat completions to every compatible server (ChatOpenAI may switch to the
Responses API, which vLLM and Ollama lack) and its exceptions tell a timeout from an
HTTP error, which the metrics need.

Model output is never trusted: it is parsed and validated structurally (topic from
the given list, citations from the given guides, links only to cited guides, numbers
and contact details only as they appear in the guides) and discarded when it repeats
the system prompt's canary. Everything sent is passed through `ddh.redaction` again,
although the caller has already redacted it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from bot import llm_prompts as P
from bot.llm_metrics import LLMMetrics
from ddh.logging import get_logger
from ddh.redaction import LABELS, find_personal_data, redact
from ddh.settings import Settings
from knowledge.guide import Guide

log = get_logger(__name__)

Intent = Literal["question", "wants_person", "own_case", "complaint", "not_helped", "thanks",
                 "greeting", "emergency", "out_of_scope"]
MAX_MENTION = 80
MAX_CHAT_ANSWER = 1200
MAX_SUMMARY_LINES = 5
MAX_SUMMARY_CHARS = 1000
MAX_TRANSCRIPT_TURNS = 30
MAX_TURN_CHARS = 1000
_LABEL = re.compile(r"\[(?:CPR|TELEFON|EMAIL|KORT)(?:-\d+)?\]")
_FENCE = re.compile(r"^```(?:json|text)?\s*|\s*```$", re.IGNORECASE)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Understanding(BaseModel):
    """What the citizen's turn is about: a topic from the given list, an intent, and the
    municipality (or town, or postal code) they named, for the municipality detector."""

    model_config = ConfigDict(frozen=True)

    topic: str | None
    intent: Intent
    municipality_mention: str | None = None


class Answer(BaseModel):
    """A short Danish answer and the ids of the guides it is based on (never empty)."""

    model_config = ConfigDict(frozen=True)

    text: str
    citations: tuple[str, ...]


class _UnderstandOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    topic: str | None
    intent: Intent
    municipality_mention: str | None = None


class _AnswerOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answer: str
    citations: list[str]


class _Fallback(Exception):
    """Raised inside an operation to leave it with a counted reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail  # fixed wording or names only, never model or citizen text


class _Placeholders:
    """Contact details in guide text, sent as numbered placeholders and put back after.

    Guides are public, but "redact every text sent" is the rule; numbering the
    placeholders ([TELEFON-1]) lets a grounded answer still give the guide's number."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self._by_text: dict[str, str] = {}

    def scrub(self, text: str) -> str:
        out, pos = [], 0
        for f in find_personal_data(text):
            raw = text[f.start:f.end]
            token = self._by_text.get(raw)
            if token is None:
                token = f"[{LABELS[f.kind][1:-1]}-{len(self.values) + 1}]"
                self._by_text[raw], self.values[token] = token, raw
            out += [text[pos:f.start], token]
            pos = f.end
        return "".join([*out, text[pos:]])

    def restore(self, text: str) -> str:
        for token, raw in self.values.items():
            text = text.replace(token, raw)
        return text


class LLM:
    """The LLM mode. `LLM.from_settings(settings)` is None when it is switched off.

    Thread-safe: one instance serves all conversations (the OpenAI client pools
    connections; the metrics take a lock)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise ValueError("LLM mode needs DDH_LLM_BASE_URL")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        self.model = settings.llm_model
        self.timeout_s = settings.llm_timeout_s
        self.max_tokens = settings.llm_max_tokens
        self.metrics = LLMMetrics()
        # Local servers (vLLM, Ollama) need no key, but the client insists on one; an
        # explicit value also keeps OPENAI_API_KEY from the environment out of it.
        self._client = openai.OpenAI(base_url=settings.llm_base_url, api_key=key or "unused",
                                     timeout=self.timeout_s, max_retries=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLM | None:
        return cls(settings) if settings.llm_base_url else None

    def close(self) -> None:
        self._client.close()

    # --- operations --------------------------------------------------------------------

    def understand(self, text: str, topics: list[dict[str, Any]],
                   context: str | None) -> Understanding | None:
        """Topic, intent and municipality mention of one citizen turn; None on failure."""
        def run() -> Understanding:
            entries = P.topic_entries(topics)
            data = {"citizen_text": self._clean(text),
                    "context": self._clean(context) if context else None, "topics": entries}
            raw = self._chat(P.UNDERSTAND_SYSTEM, P.data_block(
                data, "Classify DATA.citizen_text. Reply with the JSON object only."), True)
            out = _parse(raw, _UnderstandOut)
            topic = (out.topic or "").strip() or None
            if topic is not None and topic not in {e["slug"] for e in entries}:
                raise _Fallback("invalid", "topic not in the given list")
            mention = (out.municipality_mention or "").strip() or None
            if mention and (len(mention) > MAX_MENTION or "\n" in mention):
                raise _Fallback("invalid", "municipality mention too long")
            return Understanding(topic=topic, intent=out.intent, municipality_mention=mention)

        return self._run("understand", run)

    def answer(self, question: str, guides: list[Guide], channel: str) -> Answer | None:
        """A short Danish answer worded only from `guides`; None on failure.

        Voice: at most 2 sentences and no links. Chat: links only to cited guides."""
        def run() -> Answer:
            if not guides or channel not in ("chat", "voice", "email"):  # email: as chat
                raise _Fallback("skipped", "no guides" if not guides else "unknown channel")
            holder = _Placeholders()
            entries = [{k: _scrub_value(v, holder) for k, v in P.guide_entry(g).items()}
                       for g in guides]
            asked = self._clean(question)
            data = {"question": asked, "channel": channel, "guides": entries}
            raw = self._chat(P.answer_system(channel), P.data_block(
                data, "Answer DATA.question from DATA.guides. Reply with the JSON object only."),
                True)
            out = _parse(raw, _AnswerOut)
            return _check_answer(out, guides, channel, holder, asked)

        return self._run("answer", run)

    def summarize(self, transcript: list[tuple[str, str]], topic: str | None,
                  municipality: str | None) -> str | None:
        """A Danish handoff note of at most 5 lines for the agent; None on failure."""
        def run() -> str:
            turns = transcript[-MAX_TRANSCRIPT_TURNS:]
            if not turns:
                raise _Fallback("skipped", "empty transcript")
            entries = [{**e, "text": self._clean(e["text"][:MAX_TURN_CHARS])}
                       for e in P.transcript_entries(turns)]
            data = {"topic": topic, "municipality": municipality, "transcript": entries}
            raw = self._chat(P.SUMMARY_SYSTEM, P.data_block(
                data, "Write the handoff note for this conversation."), False)
            text = _FENCE.sub("", raw.strip()).strip()
            lines = [line.rstrip() for line in text.splitlines() if line.strip()]
            if not lines:
                raise _Fallback("malformed", "empty summary")
            if len(lines) > MAX_SUMMARY_LINES or len(text) > MAX_SUMMARY_CHARS:
                raise _Fallback("invalid", "summary too long")
            # The transcript was redacted: personal data here is invented or leaked.
            return redact("\n".join(lines)).text

        return self._run("summarize", run)

    def judge(self, system: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """A JSON verdict on `data` (the evaluation's judge, evals/faithfulness.py);
        None on failure."""
        def run() -> dict[str, Any]:
            raw = self._chat(system, P.data_block(data, "Reply with the JSON object only."),
                             True)
            try:
                out = json.loads(_FENCE.sub("", raw.strip()))
            except ValueError as exc:
                raise _Fallback("malformed", "not JSON") from exc
            if not isinstance(out, dict):
                raise _Fallback("malformed", "not a JSON object")
            return out

        return self._run("judge", run)

    # --- plumbing ----------------------------------------------------------------------

    def _run(self, operation: str, fn: Callable[[], T]) -> T | None:
        """Run one operation; never raises. Logs the outcome without any text."""
        t0 = time.perf_counter()
        try:
            result = fn()
        except _Fallback as fb:
            reason, detail = fb.reason, fb.detail
        except Exception as exc:  # never let the LLM mode break a turn
            reason, detail = "error", f"unexpected {type(exc).__name__}"
        else:
            self.metrics.count(operation, "ok")
            log.info("llm.ok", operation=operation, model=self.model,
                     ms=round((time.perf_counter() - t0) * 1000))
            return result
        self.metrics.count(operation, reason)
        log.warning("llm.fallback", operation=operation, reason=reason, detail=detail,
                    model=self.model, ms=round((time.perf_counter() - t0) * 1000))
        return None

    def _clean(self, text: str) -> str:
        """Redact again before sending; finding anything means the caller missed it."""
        red = redact(text)
        if red.findings:
            self.metrics.add("redacted_inputs")
            log.warning("llm.unredacted_input", kinds=sorted(red.kinds))
        return red.text

    def _chat(self, system: str, user: str, json_mode: bool) -> str:
        """One chat completion; the content, or a `_Fallback` with the reason."""
        kwargs: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}
        self.metrics.add("requests")
        try:
            resp = self._client.chat.completions.create(
                model=self.model, temperature=0, max_tokens=self.max_tokens,
                timeout=self.timeout_s,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": user}], **kwargs)
        except openai.APITimeoutError as exc:
            raise _Fallback("timeout", f"after {self.timeout_s}s") from exc
        except openai.APIStatusError as exc:
            raise _Fallback("error", f"http {exc.status_code}") from exc
        except openai.APIConnectionError as exc:
            raise _Fallback("error", "connection failed") from exc
        except ValueError as exc:  # a 200 whose body is not JSON
            raise _Fallback("malformed", "response body is not JSON") from exc
        try:
            choice = resp.choices[0]
            content, refusal = choice.message.content, choice.message.refusal
            finish = choice.finish_reason
        except (AttributeError, IndexError, TypeError) as exc:
            raise _Fallback("malformed", "not a chat completion") from exc
        for said in (content, refusal):
            if isinstance(said, str) and P.leaks_prompt(said):
                raise _Fallback("leak", "output repeats the system prompt")
        if refusal or finish == "content_filter":
            raise _Fallback("refusal", f"finish_reason={finish}")
        if not isinstance(content, str) or not content.strip():
            raise _Fallback("malformed", "empty content")
        if finish == "length":
            raise _Fallback("malformed", "truncated at max_tokens")
        return content


def _parse(raw: str, model: type[M]) -> M:
    """JSON object → wire model; 'malformed' if not JSON, 'invalid' if the wrong shape."""
    try:
        data = json.loads(_FENCE.sub("", raw.strip()))
    except ValueError as exc:
        raise _Fallback("malformed", "content is not JSON") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ",".join(sorted({str(e["loc"][0]) if e["loc"] else "root"
                                  for e in exc.errors()}))
        raise _Fallback("invalid", f"schema: {fields}") from exc


def _scrub_value(value: Any, holder: _Placeholders) -> Any:
    if isinstance(value, str):
        return holder.scrub(value)
    if isinstance(value, list):
        return [_scrub_value(v, holder) for v in value]
    return value


def _guide_text(guide: Guide) -> str:
    return "\n".join([guide.title, guide.url, guide.summary, *guide.steps,
                      guide.body[:P.MAX_GUIDE_BODY]])


def _check_answer(out: _AnswerOut, guides: Sequence[Guide], channel: str,
                  holder: _Placeholders, question: str) -> Answer:
    """The structural checks that make an answer safe to say (see the module doc)."""
    text = out.answer.strip()
    citations = list(dict.fromkeys(c.strip() for c in out.citations))
    if not text and not citations:
        raise _Fallback("no_answer", "the guides do not answer it")
    by_id: Mapping[str, Guide] = {g.id: g for g in guides}
    if not text:
        raise _Fallback("invalid", "empty answer")
    if not citations or any(c not in by_id for c in citations):
        raise _Fallback("invalid", "citations not a subset of the given guides")
    text = holder.restore(text)
    if _LABEL.search(text):
        raise _Fallback("invalid", "answer contains a redaction label")
    links = P.urls(text)
    if channel == "voice":
        if links:
            raise _Fallback("invalid", "link in a voice answer")
        if P.sentence_count(text) > 2:
            raise _Fallback("invalid", "voice answer longer than 2 sentences")
    else:
        cited = {by_id[c].url.rstrip("/") for c in citations}
        if any(u.rstrip("/") not in cited for u in links):
            raise _Fallback("invalid", "link to something other than a cited guide")
        if len(text) > MAX_CHAT_ANSWER:
            raise _Fallback("invalid", "chat answer too long")
    sources = "\n".join(_guide_text(g) for g in guides)
    if not P.numbers(text) <= P.numbers(sources) | P.numbers(question):
        raise _Fallback("invalid", "a number that is not in the guides")
    allowed = {(f.kind, f.value) for f in find_personal_data(sources)}
    if any((f.kind, f.value) not in allowed for f in find_personal_data(text)):
        raise _Fallback("invalid", "contact details that are not in the guides")
    return Answer(text=text, citations=tuple(citations))
