"""`python -m knowledge.check`: validate the registry and the guide corpus, print a summary.

Exits 1 when a guide is malformed, a topic has no guide or a national guide of our
own corpus has no (or an incomplete) English text, so CI catches a broken edit before
the index is built from it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable

from ddh.settings import get_settings
from knowledge.corpus import coverage_problems, load_corpus
from knowledge.guide import Guide
from knowledge.registry import load_registry
from knowledge.yaml_data import RegistryError


def translation_problems(guides: Iterable[Guide]) -> list[str]:
    """English text that is missing or does not match the Danish guide.

    Every national guide we write (source "corpus") has an `en:` block; imported
    exports are not ours to translate. Any guide that has one must give as many steps
    as the Danish text, so the English reply never drops or invents a step.
    """
    problems = []
    for g in guides:
        if g.en is None:
            if g.national and g.source == "corpus":
                problems.append(f"guide {g.id}: national guide has no English text (en:)")
            continue
        if len(g.en.steps) != len(g.steps):
            problems.append(f"guide {g.id}: {len(g.en.steps)} English step(s) for "
                            f"{len(g.steps)} Danish step(s)")
    return problems


def run() -> int:
    settings = get_settings()
    try:
        registry = load_registry(settings.registry_dir)
    except RegistryError as exc:
        print(f"registry: {exc}", file=sys.stderr)
        return 1
    report = load_corpus(settings, registry)
    problems = [str(p) for p in report.problems] + coverage_problems(report, registry)
    problems += translation_problems(report.guides)
    by_scope = Counter("national" if g.national else "local" for g in report.guides)
    local = Counter(c for g in report.guides for c in g.municipalities)
    print(f"{len(report.guides)} guides from {report.files} files "
          f"({by_scope['national']} national, {by_scope['local']} local)")
    print("local guides by municipality: " + ", ".join(
        f"{registry.municipalities[c].name} {n}" for c, n in sorted(local.items())))
    print(f"topics covered: {len({g.topic for g in report.guides})}/{len(registry.topics)}")
    print(f"in English: {sum(g.en is not None for g in report.guides)} guides "
          f"({sum(g.en is not None for g in report.guides if g.national)}"
          f"/{by_scope['national']} national)")
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(run())
