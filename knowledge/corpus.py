"""The guide corpus that ships with the project, and the configured extra sources."""

from __future__ import annotations

from pathlib import Path

from ddh.settings import Settings
from knowledge.importers.common import ImportReport
from knowledge.importers.load import load_path
from knowledge.registry import Registry

BUNDLED_GUIDES = Path(__file__).resolve().parent / "guides"


def corpus_sources(settings: Settings) -> list[Path]:
    """The bundled corpus (or `DDH_GUIDES_DIR`) followed by `DDH_EXTRA_GUIDE_SOURCES`."""
    return [settings.guides_dir or BUNDLED_GUIDES, *settings.extra_guide_sources]


def load_corpus(settings: Settings, registry: Registry) -> ImportReport:
    report = ImportReport()
    for i, path in enumerate(corpus_sources(settings)):
        report.extend(load_path(path, registry, source="corpus" if i == 0 else None))
    return report


def coverage_problems(report: ImportReport, registry: Registry) -> list[str]:
    """Topics without a guide a citizen of any municipality can be given.

    Topics that exist only in some municipalities (Min Dialog in Aarhus) are covered by
    a local guide there instead of a national one.
    """
    national = {g.topic for g in report.guides if g.national}
    local = {(g.topic, c) for g in report.guides for c in g.municipalities}
    problems = []
    for t in registry.topics.values():
        if t.municipalities:
            missing = [c for c in t.municipalities if (t.slug, c) not in local]
            if missing:
                problems.append(f"topic {t.slug}: no guide for {', '.join(missing)}")
        elif t.slug not in national:
            problems.append(f"topic {t.slug}: no national guide")
    return problems
