"""Local guides at national scale for bench/knowledge_scale.py: deterministic variants
of the real corpus, `per` local guides for every municipality.

Why generated: the issue's target is every municipality's local guides (thousands) in
one index, and no such corpus exists yet. Most variants are national guides localised
the way a municipality's coordinator would write them (the municipality's name in the
title and summary, its own phone number, hours and a local step, a reworded opening,
some of the keywords plus local ones); one in five is a local-only guide on a municipal
matter of a known topic. Same seed, same guides: the benchmark's figures compare.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from knowledge.guide import NO_GUIDE_TOPIC, Guide
from knowledge.registry import Registry

# Topics a municipality does not localise (no answer, out of scope, crisis notices).
SKIP_TOPICS = frozenset({NO_GUIDE_TOPIC, "uden-for-omraade", "krise", "menneske"})
TITLES = ("{title} i {name}", "{title} – {name} Kommune", "{name}: {lower}",
          "Sådan gør du i {name}: {lower}")
OPENERS = ("I {name} Kommune gælder dette:", "Bor du i {name}?", "Hos {name} Kommune:",
           "For borgere i {name}:")
HOURS = ("mandag til fredag 9–15", "mandag til torsdag 10–14 og fredag 10–12",
         "hverdage 8–16", "tirsdag og torsdag 12–17")
# Local-only guides: (title, topic, summary, keywords), each a matter one municipality
# settles its own way.
LOCAL_ONLY = (
    ("Beboerparkering i {name}", "parkering",
     "I {name} søger du om beboerlicens til din bil i kommunens selvbetjening. "
     "Licensen gælder i zonen omkring din adresse.",
     ["beboerlicens", "parkeringslicens {lower}", "p-licens bolig", "licens til bilen"]),
    ("Haveaffald og kompost i {name}", "affaldssortering",
     "{name} Kommune henter haveaffald hver fjortende dag fra april til november, "
     "når du har tilmeldt dig ordningen.",
     ["haveaffald {lower}", "grene og blade", "kompost", "haveaffaldsordning"]),
    ("Pladsanvisningen i {name}", "boernepasning",
     "Pladsanvisningen i {name} svarer på spørgsmål om vuggestue, børnehave og dagpleje "
     "i kommunen.",
     ["pladsanvisning {lower}", "venteliste børnehave", "dagpleje {lower}"]),
    ("Byggesager i {name}: vejledning før du søger", "byggeri",
     "Byggesagsafdelingen i {name} giver vejledning før du søger om byggetilladelse, "
     "på telefon og ved møde.",
     ["byggesag {lower}", "forhåndsdialog byggeri", "møde om byggeri"]),
    ("Skoleindskrivning i {name}", "skole",
     "I {name} skriver du dit barn ind i skole i kommunens pladsportal i december og "
     "januar.",
     ["skolestart {lower}", "indskrivning skole", "distriktsskole"]),
    ("Hjemmehjælp i {name}: visitationen", "hjemmehjaelp",
     "Visitationen i {name} vurderer, om du kan få hjemmehjælp, og aftaler et besøg "
     "hjemme hos dig.",
     ["visitation {lower}", "hjælp i hjemmet", "rengøring hjemmehjælp"]),
)


def _slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", " ": "-", ".": ""})
    return name.lower().translate(table)


def _phone(rng: random.Random) -> str:
    digits = f"{rng.randrange(20, 100)}{rng.randrange(0, 10**6):06d}"
    return " ".join(digits[i:i + 2] for i in range(0, 8, 2))


def _localised(base: Guide, code: str, name: str, v: int, rng: random.Random) -> dict[str, Any]:
    phone = _phone(rng)
    hours = rng.choice(HOURS)
    title = rng.choice(TITLES).format(title=base.title, lower=base.title[0].lower() +
                                      base.title[1:], name=name)
    summary = (f"{rng.choice(OPENERS).format(name=name)} {base.summary} "
               f"Ring til {name} Kommune på {phone}, {hours}.")
    steps = list(base.steps)
    steps.insert(rng.randrange(len(steps) + 1), f"Kontakt Borgerservice i {name} på {phone}.")
    keywords = [kw for kw in base.keywords if rng.random() < 0.75]
    keywords += [f"{base.topic.replace('-', ' ')} {name.lower()}", f"{name.lower()} kommune"]
    body = (f"{base.body}\n\nI {name} Kommune har Borgerservice telefontid {hours}. "
            f"Lokale regler kan afvige; spørg {name} Kommune.").strip()
    return {"id": f"k{code}-{base.id}-{v}", "title": title, "topic": base.topic,
            "municipality": code, "url": f"https://www.{_slug(name)}.dk/{base.id}",
            "summary": summary, "steps": steps, "keywords": keywords, "body": body}


def _local_only(code: str, name: str, v: int, rng: random.Random) -> dict[str, Any]:
    title, topic, summary, keywords = rng.choice(LOCAL_ONLY)
    fmt = {"name": name, "lower": name.lower()}
    phone = _phone(rng)
    return {"id": f"k{code}-lokal-{v}", "title": title.format(**fmt), "topic": topic,
            "municipality": code, "url": f"https://www.{_slug(name)}.dk/lokal-{v}",
            "summary": summary.format(**fmt) + f" Telefon {phone}.",
            "steps": [f"Ring til {name} Kommune på {phone}.",
                      "Hav dit CPR-nummer klar, når du ringer."],
            "keywords": [k.format(**fmt) for k in keywords],
            "body": f"{title.format(**fmt)}. Åbent {rng.choice(HOURS)}."}


def local_guides(national: list[Guide], registry: Registry, per: int,
                 seed: int = 7) -> list[dict[str, Any]]:
    """`per` local guides for each of the registry's municipalities, as export records."""
    bases = sorted((g for g in national if g.national and g.topic not in SKIP_TOPICS),
                   key=lambda g: g.id)
    out = []
    for code, muni in sorted(registry.municipalities.items()):
        rng = random.Random(f"{seed}-{code}")
        picks = rng.sample(bases, min(per, len(bases))) if per <= len(bases) else \
            [rng.choice(bases) for _ in range(per)]
        for v in range(per):
            if v % 5 == 4:
                out.append(_local_only(code, muni.name, v, rng))
            else:
                out.append(_localised(picks[v], code, muni.name, v, rng))
    return out


def write_export(records: list[dict[str, Any]], folder: Path) -> Path:
    """The records as one JSON export (the format `ddh knowledge ingest` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "local-guides.json"
    path.write_text(json.dumps({"guides": records}, ensure_ascii=False), encoding="utf-8")
    return path
