import pytest

from bot.municipality import MunicipalityDetector


@pytest.fixture(scope="module")
def detector(registry):
    return MunicipalityDetector(registry)


@pytest.mark.parametrize(("text", "code"), [
    ("jeg bor i Viborg", "0791"),
    ("8000 Aarhus C", "0751"),
    ("jeg er fra Århus", "0751"),
    ("jeg bor i vejen kommune", "0575"),
    ("8000", "0751"),
    ("otte tusind", "0751"),
    ("mit postnummer er 6000", "0621"),
    ("Hej fra Odense", "0461"),
])
def test_detects(detector, text, code):
    assert detector.from_text(text).code == code


@pytest.mark.parametrize("text", [
    "vejen er spærret", "jeg har en p-skive", "jeg betalte 8000 kr", "i 2025 fik jeg brev",
    "jeg har mistet mit pas", "min søn er 12 år",
])
def test_ignores_words_and_numbers_that_are_not_places(detector, text):
    found = detector.from_text(text)
    assert found.code is None and not found.candidates


def test_ambiguous_postal_code_gives_candidates(detector):
    found = detector.from_text("min adresse er 2000")
    assert found.code is None and set(found.candidates) == {"0101", "0147"}
    assert found.ambiguous
    # a town that is no candidate's name or seat does not settle it (Malling: Aarhus, Odder)
    found = detector.from_text("min adresse er 8340 Malling")
    assert found.ambiguous and set(found.candidates) == {"0727", "0751"}


def test_the_town_after_an_ambiguous_postal_code_settles_it(detector):
    """2000 spans Frederiksberg and København, but the citizen wrote Frederiksberg."""
    found = detector.from_text("min adresse er 2000 Frederiksberg")
    assert (found.code, found.source) == ("0147", "postal_code")
    assert not found.ambiguous


def test_channel_sources(detector):
    assert detector.from_channel("0615", None).source == "widget"
    found = detector.from_channel(None, "+45 89 40 20 00")
    assert (found.code, found.source) == ("0751", "called_number")
    assert detector.from_channel(None, "+45 11 11 11 11").code is None


def _swap(name: str) -> str:
    """The two-letter spelling of a name with Danish letters (Grenå → Grenaa), or back."""
    if any(c in name.lower() for c in "æøå"):
        return name.replace("å", "aa").replace("Å", "Aa").replace("æ", "ae").replace(
            "Æ", "Ae").replace("ø", "oe").replace("Ø", "Oe")
    return name.replace("aa", "å").replace("Aa", "Å")


def test_every_municipality_is_found_in_either_spelling(detector, registry):
    """Å/aa, æ/ae, ø/oe: citizens write both (Åbenrå, Aabenraa; Grenå, Grenaa)."""
    checked = 0
    for m in registry.municipalities.values():
        other = _swap(m.name)
        if other == m.name:
            continue
        found = detector.from_text(f"jeg bor i {other}")
        assert found.code == m.code, (other, found)
        checked += 1
    assert checked >= 20  # the registry has many such names



def test_a_postal_towns_region_letter_written_short_or_out_settles_it(detector, registry):
    """Every postal town with a region letter ("Nykøbing M", "Viby J") is found with the
    letter written out too ("Nykøbing Mors"), and the bare name stays ambiguous when
    several municipalities have such a town."""
    from bot.municipality import _REGION, _REGIONS
    checked = 0
    for pc in registry.postal_codes.values():
        m = _REGION.match(pc.name)
        if m is None or len(pc.municipalities) != 1:
            continue
        for text in (f"jeg bor i {pc.name}", f"jeg bor i {m.group(1)} {_REGIONS[m.group(2)]}"):
            assert detector.from_text(text).code == pc.municipalities[0], text
        checked += 1
    assert checked >= 10
    assert set(detector.from_text("Nykøbing").candidates) == {"0306", "0376", "0773"}


def test_a_postal_town_written_before_its_code_settles_it(detector, registry):
    """"Skørping, 9520" and "Odense 5000" as the answer to "which municipality?": the
    town before the code counts as much as after it, for every unambiguous code."""
    checked = 0
    for code, pc in registry.postal_codes.items():
        if len(pc.municipalities) != 1:
            continue
        town = pc.name.split()[0]
        for text in (f"{town}, {code}", f"{town} {code}"):
            assert detector.from_text(text).code == pc.municipalities[0], text
        checked += 1
    assert checked >= 500
