"""A draft guide from a knowledge-gap cluster: the skeleton an editor starts from.

Why: a manager who sees "rotter, 140 gange" should not start from an empty form. The
draft is exactly the JSON `POST /api/admin/guides` takes (CONTRACT.md §6: municipality,
topic, title, summary, steps, keywords, url, review_by), so the dashboard can post it
there as it is; what only a person can know (the answer, the link) is left for the
editor, marked "UDKAST". Keywords are the citizens' own phrasings from the cluster:
they are what retrieval later matches word for word (`knowledge/retrieval.py`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from handoff.gaps import GapCluster, short_label

REVIEW_AFTER = timedelta(days=182)  # a new guide is checked again within half a year
STEPS = (
    "UDKAST: Hvad borgeren skal gøre først (fx anmelde det på kommunens hjemmeside).",
    "UDKAST: Hvad kommunen gør, og hvornår borgeren kan forvente svar.",
    "UDKAST: Hvem borgeren kontakter, hvis det haster.",
)
MAX_KEYWORDS = 8


def _title(label: str) -> str:
    title = label.rstrip(" ?.!…")
    return title[:1].upper() + title[1:]


def draft_guide(cluster: GapCluster, municipality: str | None, today: date) -> dict[str, Any]:
    """The §6 guide payload for `cluster`; `municipality` is whose guide it would be
    (the manager's own; for an administrator the municipality asking most)."""
    if municipality is None:
        asking = [m for m in cluster.municipalities if m != "ukendt"]
        municipality = asking[0] if asking else None
    phrases = list(dict.fromkeys(short_label(e, 60).rstrip(" ?.!…").lower()
                                 for e in cluster.examples))
    keywords = list(dict.fromkeys([*phrases, *cluster.keywords]))[:MAX_KEYWORDS]
    asked = "; ".join(f"»{e}«" for e in cluster.examples[:3])
    return {
        "municipality": municipality,
        "topic": cluster.topic,
        "title": _title(cluster.label),
        "summary": (f"UDKAST: Skriv et kort svar, der kan læses højt. Borgerne har spurgt "
                    f"{cluster.count} gange, fx {asked}."),
        "steps": list(STEPS),
        "keywords": keywords,
        "url": "",
        "review_by": (today + REVIEW_AFTER).isoformat(),
    }
