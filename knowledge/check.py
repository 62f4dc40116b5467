"""`python -m knowledge.check`: validate the registry and the guide corpus, print a summary.

Exits 1 when a guide is malformed or a topic has no guide, so CI catches a broken
edit before the index is built from it.
"""

from __future__ import annotations

import sys
from collections import Counter

from ddh.settings import get_settings
from knowledge.corpus import coverage_problems, load_corpus
from knowledge.registry import load_registry
from knowledge.yaml_data import RegistryError


def run() -> int:
    settings = get_settings()
    try:
        registry = load_registry(settings.registry_dir)
    except RegistryError as exc:
        print(f"registry: {exc}", file=sys.stderr)
        return 1
    report = load_corpus(settings, registry)
    problems = [str(p) for p in report.problems] + coverage_problems(report, registry)
    by_scope = Counter("national" if g.national else "local" for g in report.guides)
    local = Counter(c for g in report.guides for c in g.municipalities)
    print(f"{len(report.guides)} guides from {report.files} files "
          f"({by_scope['national']} national, {by_scope['local']} local)")
    print("local guides by municipality: " + ", ".join(
        f"{registry.municipalities[c].name} {n}" for c, n in sorted(local.items())))
    print(f"topics covered: {len({g.topic for g in report.guides})}/{len(registry.topics)}")
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(run())
