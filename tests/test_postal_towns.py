"""A town named with an ambiguous postal code, or alone, settles the municipality when
exactly one candidate has it as its name, its seat or a part of its name ("9500 Hobro"
is Mariagerfjord, "2630 Taastrup" is Høje-Taastrup); otherwise the bot still asks.

The cases are generated from the data files (postal_codes.csv, municipalities.csv,
municipal_seats.csv), not listed by hand.
"""

from __future__ import annotations

import csv

import pytest

from bot.municipality import MunicipalityDetector, spellings
from knowledge.registry import BUNDLED_DIR, Registry

# Seats that are not themselves postal-town names, and the postal town that serves them:
# the town is named differently from its postal district (Lillerød lies in 3450
# Allerød), or the post office abbreviates it (4800 Nykøbing F), or an island's
# postal district is named after the island (8305 Samsø, 9940 Læsø, 6720 Fanø).
SEAT_POSTAL_NAMES = {
    "Lillerød": "Allerød",
    "Nykøbing Falster": "Nykøbing F",
    "Nykøbing Mors": "Nykøbing M",
    "Nordby": "Fanø",
    "Tranebjerg": "Samsø",
    "Byrum": "Læsø",
}


@pytest.fixture(scope="module")
def detector(registry):
    return MunicipalityDetector(registry)


def _keys(registry: Registry, code: str) -> set[str]:
    """Lower-case names that mean municipality `code`: name, seat, hyphenated parts."""
    m = registry.municipalities[code]
    keys = {m.name.lower(), m.seat.lower(), *m.name.lower().split("-")}
    return keys | {v for k in keys for v in spellings(k)}


def _settling(registry: Registry) -> list[tuple[str, str, str]]:
    """(postal code, town, municipality) for every ambiguous postal code whose town, or
    its town without a district suffix ("Brøndby Strand", "Odense N"), is the name, the
    seat or a name part of exactly one candidate."""
    out = []
    for pc in registry.postal_codes.values():
        if not pc.ambiguous:
            continue
        town = pc.name.lower()
        forms = {town, town.rsplit(" ", 1)[0]}
        hits = [c for c in pc.municipalities if forms & _keys(registry, c)]
        if len(hits) == 1:
            out.append((pc.code, pc.name, hits[0]))
    return out


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


def test_the_generated_cases_cover_the_known_towns(registry):
    cases = {(code, town): muni for code, town, muni in _settling(registry)}
    assert len(cases) >= 50
    assert cases[("9900", "Frederikshavn")] == "0813"
    assert cases[("9500", "Hobro")] == "0846"
    assert cases[("9600", "Aars")] == "0820"
    assert cases[("2630", "Taastrup")] == "0169"
    assert cases[("2000", "Frederiksberg")] == "0147"
    # no ambiguous code's town points at two of its candidates
    for pc in registry.postal_codes.values():
        town = pc.name.lower()
        hits = [c for c in pc.municipalities
                if {town, town.rsplit(" ", 1)[0]} & _keys(registry, c)]
        assert len(hits) <= 1, (pc, hits)


def test_postal_code_with_its_town_settles_the_municipality(detector, registry):
    checked = 0
    for code, town, muni in _settling(registry):
        for written in {town, *(_cap(v) for v in spellings(town.lower()))}:
            found = detector.from_text(f"{code} {written}")
            assert (found.code, found.source) == (muni, "postal_code"), (code, written, found)
            found = detector.from_text(f"jeg bor i {code} {written} og vil tale med en")
            assert found.code == muni, (code, written, found)
            checked += 1
    assert checked > 60  # towns with å/æ/ø or aa are checked in both spellings


def test_postal_code_with_a_town_that_does_not_settle_stays_ambiguous(detector, registry):
    settled = {code for code, _, _ in _settling(registry)}
    checked = 0
    for pc in registry.postal_codes.values():
        if not pc.ambiguous or pc.code in settled:
            continue
        found = detector.from_text(f"min adresse er {pc.code} {pc.name}")
        assert found.code is None and set(found.candidates) == set(pc.municipalities), (
            pc, found)
        checked += 1
    assert checked > 150


def test_a_postal_code_alone_stays_ambiguous(detector, registry):
    found = detector.from_text("8700")
    assert found.code is None and set(found.candidates) == {"0615", "0766"}
    for pc in registry.postal_codes.values():
        if pc.ambiguous:
            found = detector.from_text(pc.code)
            assert found.code is None and found.candidates == pc.municipalities, pc


@pytest.mark.parametrize(("text", "code"), [
    ("2000 Frederiksberg", "0147"),
    ("min adresse er 2000 Frederiksberg", "0147"),
    ("9900 Frederikshavn", "0813"),
    ("9500 Hobro", "0846"),
    ("9600 Aars", "0820"),
    ("9600 Års", "0820"),
    ("2630 Taastrup", "0169"),
    ("2630 Tåstrup", "0169"),
    ("2800 Kongens Lyngby", "0173"),  # the seat of Lyngby-Taarbæk
    ("7330 Brande", "0756"),  # a part of Ikast-Brande
    ("jeg bor i Hobro", "0846"),
    ("jeg bor i Aars", "0820"),
    ("jeg bor i Taastrup", "0169"),
])
def test_examples(detector, text, code):
    assert detector.from_text(text).code == code


@pytest.mark.parametrize(("text", "candidates"), [
    ("8700", {"0615", "0766"}),
    ("8340 Malling", {"0727", "0751"}),
    ("jeg bor i Malling", {"0727", "0751"}),
])
def test_towns_that_do_not_settle(detector, text, candidates):
    found = detector.from_text(text)
    assert found.code is None and set(found.candidates) == candidates


def test_a_seat_named_alone_settles_like_with_its_code(detector, registry):
    """'jeg bor i Hobro': a seat that is a town in several municipalities' postal codes."""
    checked = 0
    for m in registry.municipalities.values():
        codes = detector.names.get(m.seat.lower(), ())
        if len(codes) > 1:
            found = detector.from_text(f"jeg bor i {m.seat}")
            assert (found.code, found.source) == (m.code, "name"), (m, found)
            checked += 1
    assert checked >= 15  # seats named unlike their municipality: Hobro, Aars, Holte...


def test_every_municipality_has_one_seat(registry):
    with (BUNDLED_DIR / "municipal_seats.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 98 == len({r["code"] for r in rows})
    assert {r["code"] for r in rows} == set(registry.municipalities)
    assert all(m.seat for m in registry.municipalities.values())
    seats = {c: m.seat for c, m in registry.municipalities.items()}
    assert (seats["0846"], seats["0820"], seats["0169"]) == ("Hobro", "Aars", "Taastrup")
    assert (seats["0101"], seats["0147"], seats["0751"]) == (
        "København", "Frederiksberg", "Aarhus")


def test_every_seat_is_a_postal_town_of_its_municipality(registry):
    """Each seat names a postal town (without a district suffix: "København K",
    "Odense C") that reaches into its own municipality, or is a listed exception."""
    towns: dict[str, set[str]] = {}
    for pc in registry.postal_codes.values():
        for name in {pc.name, pc.name.rsplit(" ", 1)[0]}:
            towns.setdefault(name, set()).update(pc.municipalities)
    not_postal = {}
    for m in registry.municipalities.values():
        postal = SEAT_POSTAL_NAMES.get(m.seat) or m.seat
        assert m.code in towns.get(postal, set()), (m, postal)
        if postal != m.seat:
            not_postal[m.seat] = postal
    assert not_postal == SEAT_POSTAL_NAMES
