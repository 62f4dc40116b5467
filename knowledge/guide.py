"""The guide: one self-service answer, the unit that flows from corpus to citizen.

Every importer produces `Guide` objects through `guide_from_mapping`, so a guide
from our Markdown corpus, a JSON export or a scraped HTML page is validated the
same way. Unknown fields are kept in `extra` (an export's own ids, categories and
dates stay available to agents), never silently dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from knowledge.registry import Registry

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CODE = re.compile(r"^\d{4}$")
# The topic of entries that describe municipal areas without a guide (roads, leisure,
# libraries …): they let search recognise such questions, and are never an answer.
NO_GUIDE_TOPIC = "andet-kommunalt"
KNOWN_FIELDS = {
    "id", "title", "topic", "municipality", "partner", "url", "updated", "summary",
    "steps", "keywords", "uncertain", "body", "source", "en",
}
TRANSLATION_FIELDS = ("title", "summary", "steps")


class GuideError(ValueError):
    """A guide that cannot be used; the message says which field and why."""


class GuideTranslation(BaseModel):
    """A guide's title, summary and steps in English, for citizens who write English.

    Shown instead of the Danish text, never indexed: retrieval stays on the Danish
    guide (whose keywords carry the English ways of asking).
    """

    model_config = {"frozen": True}

    title: str
    summary: str
    steps: tuple[str, ...] = ()


class Guide(BaseModel):
    """A validated guide. `municipalities` is empty for national guides; `en` is its
    English text (every national guide of our corpus has one: `ddh knowledge check`)."""

    model_config = {"frozen": True}

    id: str
    title: str
    topic: str
    municipalities: tuple[str, ...] = ()
    partner: str | None = None
    url: str
    updated: date | None = None
    summary: str
    steps: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    body: str = ""
    source: str = "corpus"
    en: GuideTranslation | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be lowercase a-z, 0-9 and hyphens")
        return v

    @property
    def national(self) -> bool:
        return not self.municipalities

    @property
    def scope(self) -> str:
        return "national" if self.national else "local"

    def content_hash(self) -> str:
        """Hash of everything that is indexed or shown: re-embed only when it changes."""
        payload = self.model_dump(mode="json", exclude={"source"})
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def passages(self, max_chars: int = 1200) -> list[str]:
        """Texts to embed and index: a head (what it is, how people say it) and the body.

        The head carries the colloquial keywords, which is what matches voice-style and
        misspelled questions; the body chunks carry the details an agent searches for.
        """
        head = f"{self.title}. {self.summary}"
        if self.keywords:
            head += "\n" + "; ".join(self.keywords)
        parts = [head]
        detail = "\n".join(self.steps)
        if self.body:
            detail = f"{detail}\n{self.body}" if detail else self.body
        for chunk in _split(detail, max_chars):
            parts.append(f"{self.title}. {chunk}")
        return parts


def _split(text: str, max_chars: int) -> list[str]:
    """Split on paragraph boundaries into pieces of at most ~max_chars."""
    text = text.strip()
    if not text:
        return []
    out: list[str] = []
    cur = ""
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if cur and len(cur) + len(para) + 2 > max_chars:
            out.append(cur)
            cur = para
        else:
            cur = f"{cur}\n\n{para}" if cur else para
    if cur:
        out.append(cur)
    return out


def slugify(text: str) -> str:
    """ASCII slug for ids: 'Bestil nyt sundhedskort' → 'bestil-nyt-sundhedskort'."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80] or "guide"


def _as_text_list(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [line.strip(" -*\t") for line in value.splitlines()]
        return tuple(i for i in items if i)
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            if not isinstance(item, str | int | float):
                raise GuideError(f"{name}: expected a list of texts, found {type(item).__name__}")
            if str(item).strip():
                out.append(str(item).strip())
        return tuple(out)
    raise GuideError(f"{name}: expected a text or a list of texts")


def _municipalities(value: Any) -> tuple[str, ...]:
    if value in (None, "", "national", []):
        return ()
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        if isinstance(v, int):
            raise GuideError(
                f"municipality: {v!r} is a number; quote kommunekoder (\"0751\") in YAML"
            )
        if not _CODE.match(str(v)):
            raise GuideError(f"municipality: {v!r} is not a 4-digit kommunekode")
        out.append(str(v))
    return tuple(dict.fromkeys(out))


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise GuideError(f"updated: {value!r} is not an ISO date") from exc


def _translation(value: Any) -> GuideTranslation | None:
    """The `en:` mapping (title, summary, steps), checked like the Danish fields."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise GuideError(f"en: expected a mapping with {', '.join(TRANSLATION_FIELDS)}")
    unknown = sorted(str(k) for k in value if k not in TRANSLATION_FIELDS)
    if unknown:
        raise GuideError(f"en: unknown field(s) {', '.join(unknown)}; "
                         f"expected {', '.join(TRANSLATION_FIELDS)}")
    for name in ("title", "summary"):
        if not value.get(name):
            raise GuideError(f"en: missing required field {name}")
        if not isinstance(value[name], str):
            raise GuideError(f"en.{name}: expected text, found {type(value[name]).__name__}")
    return GuideTranslation(
        title=value["title"].strip(),
        summary=" ".join(value["summary"].split()),
        steps=_as_text_list("en.steps", value.get("steps")),
    )


def guide_from_mapping(data: dict[str, Any], source: str = "corpus") -> Guide:
    """Build a guide from a mapping in our schema; unknown keys go to `extra`."""
    missing = [f for f in ("id", "title", "topic", "url", "summary") if not data.get(f)]
    if missing:
        raise GuideError(f"missing required field(s): {', '.join(missing)}")
    for name in ("id", "title", "topic", "url", "summary"):
        if not isinstance(data[name], str):
            raise GuideError(f"{name}: expected text, found {type(data[name]).__name__}")
    body = data.get("body") or ""
    if not isinstance(body, str):
        raise GuideError("body: expected text")
    extra = {k: v for k, v in data.items() if k not in KNOWN_FIELDS}
    try:
        return Guide(
            id=data["id"].strip(),
            title=data["title"].strip(),
            topic=data["topic"].strip(),
            municipalities=_municipalities(data.get("municipality")),
            partner=data.get("partner") or None,
            url=data["url"].strip(),
            updated=_date(data.get("updated")),
            summary=" ".join(data["summary"].split()),
            steps=_as_text_list("steps", data.get("steps")),
            keywords=_as_text_list("keywords", data.get("keywords")),
            uncertain=_as_text_list("uncertain", data.get("uncertain")),
            body=body.strip(),
            source=source,
            en=_translation(data.get("en")),
            extra=json.loads(json.dumps(extra, default=str)),
        )
    except ValueError as exc:
        if isinstance(exc, GuideError):
            raise
        raise GuideError(str(exc).splitlines()[-1] if str(exc) else repr(exc)) from exc


def registry_problems(guide: Guide, registry: Registry) -> list[str]:
    """What is wrong with a guide against the registry (unknown topic, kommunekode, partner)."""
    problems = []
    if guide.topic not in registry.topics:
        problems.append(f"unknown topic {guide.topic!r}")
    for code in guide.municipalities:
        if code not in registry.municipalities:
            problems.append(f"unknown kommunekode {code}")
    if guide.partner and guide.partner not in registry.partners:
        problems.append(f"unknown partner {guide.partner!r}")
    if not guide.url.startswith(("https://", "http://")):
        problems.append(f"url {guide.url!r} is not an http(s) address")
    return problems
