"""What every importer shares: the report, topic resolution and mapping onto our schema.

Dispatch by file type lives in `knowledge.importers.load`, which knows every reader;
the readers import only this module, so none of them depends on another's dispatcher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from knowledge.guide import Guide, GuideError, guide_from_mapping, registry_problems, slugify
from knowledge.registry import Registry
from knowledge.text import fold as fold_letters

# Field names used by guide platforms and CMS exports, mapped onto ours.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "slug", "guid", "uid", "guide_id", "key"),
    "title": ("title", "name", "heading", "headline", "titel", "overskrift"),
    "topic": ("topic", "category", "categories", "emne", "section", "breadcrumb"),
    "municipality": ("municipality", "kommunekode", "municipality_code", "kommune"),
    "url": ("url", "link", "href", "source_url", "canonical", "official_url"),
    "updated": ("updated", "modified", "last_modified", "updated_at", "opdateret", "date"),
    "summary": ("summary", "description", "teaser", "lead", "resume", "manchet", "intro"),
    "steps": ("steps", "instructions", "trin", "howto", "fremgangsmaade"),
    "keywords": ("keywords", "synonyms", "search_terms", "soegeord", "aliases", "tags"),
    "body": ("body", "content", "text", "html", "indhold", "brødtekst"),
}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A file (or an entry in it) that was skipped, and why."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class ImportReport:
    guides: list[Guide] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    files: int = 0

    def extend(self, other: ImportReport) -> None:
        self.guides.extend(other.guides)
        self.problems.extend(other.problems)
        self.files += other.files


def fold(text: str) -> str:
    """Lower-case, fold æ/ø/å and keep words only: 'Kørekort!' and 'koerekort' match."""
    return re.sub(r"[^a-z0-9]+", " ", fold_letters(text.lower())).strip()


class TopicResolver:
    """Maps an export's category labels ('Sundhed > Sundhedskort') onto our topic slugs."""

    def __init__(self, registry: Registry, extra: dict[str, str] | None = None) -> None:
        self.registry = registry
        phrases: dict[str, str] = {}
        for t in registry.topics.values():
            names = {t.slug, t.slug.replace("-", " "), t.name, re.sub(r"\(.*?\)", "", t.name)}
            names |= {p for p in re.split(r" og |/|,|\(|\)", t.name) if len(p.strip()) > 3}
            for n in names:
                if fold(n):
                    phrases.setdefault(fold(n), t.slug)
        for label, slug in (extra or {}).items():
            if slug not in registry.topics:
                raise ValueError(f"topic map: {label!r} → unknown topic {slug!r}")
            phrases[fold(label)] = slug
        # Longest phrase first: 'digital post' must win over 'post'.
        self._phrases = sorted(phrases.items(), key=lambda kv: -len(kv[0]))
        self._exact = dict(phrases)

    def resolve(self, labels: Any) -> str | None:
        if labels is None:
            return None
        items = labels if isinstance(labels, list | tuple) else re.split(r">|»|/|\|", str(labels))
        folded = [fold(str(i)) for i in items if str(i).strip()]
        for f in reversed(folded):  # the most specific breadcrumb comes last
            if f in self._exact:
                return self._exact[f]
        for f in reversed(folded):
            padded = f" {f} "
            for phrase, slug in self._phrases:
                if len(phrase) >= 4 and f" {phrase} " in padded:
                    return slug
        return None


def pick(data: dict[str, Any], name: str) -> Any:
    for alias in ALIASES[name]:
        if alias in data and data[alias] not in (None, "", []):
            return data[alias]
    return None


def _municipality_codes(value: Any, registry: Registry) -> Any:
    """Exports give codes as numbers (751) or names ('Aarhus Kommune'): map them to codes."""
    if value is None:
        return None
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(f"{v:04d}")
            continue
        text = str(v).strip()
        name = re.sub(r"\s+kommune$", "", text, flags=re.I).lower()
        out.append(registry.municipality_by_name.get(name, text))
    return out if isinstance(value, list | tuple) else out[0]


def normalise(
    raw: dict[str, Any], *, fallback_id: str, resolver: TopicResolver, source: str
) -> Guide:
    """Map an export record onto our schema (aliases, topic labels, missing ids)."""
    mapped: dict[str, Any] = {}
    used: set[str] = set()
    for name in ALIASES:
        value = pick(raw, name)
        if value is not None:
            mapped[name] = value
            used |= {a for a in ALIASES[name] if a in raw}
    topic = mapped.get("topic")
    if topic is not None and not (isinstance(topic, str) and topic in resolver.registry.topics):
        resolved = resolver.resolve(topic)
        if resolved is None:
            raise GuideError(f"cannot map topic {topic!r} onto the taxonomy")
        mapped["topic"] = resolved
    mapped["municipality"] = _municipality_codes(mapped.get("municipality"), resolver.registry)
    if "title" in mapped and "id" not in mapped:
        mapped["id"] = slugify(fallback_id or str(mapped["title"]))
    elif "id" in mapped:
        mapped["id"] = slugify(str(mapped["id"]))
    for key, value in raw.items():
        if key not in used:
            mapped.setdefault(key, value)
    return guide_from_mapping(mapped, source=source)


def checked(guide: Guide, registry: Registry) -> Guide:
    problems = registry_problems(guide, registry)
    if problems:
        raise GuideError("; ".join(problems))
    return guide
