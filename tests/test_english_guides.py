"""English answers: every national guide has an English text (ours), and a citizen who
writes English gets it (summary, steps and the official link) in English framing,
while a Danish citizen still gets the Danish guide."""

from __future__ import annotations

import re
import shutil
import uuid
from datetime import datetime

import pytest

from bot import replies
from bot.frontdesk import TurnInput
from ddh.settings import get_settings
from ddh.vocabulary import Channel
from knowledge import check
from knowledge.corpus import BUNDLED_GUIDES
from knowledge.guide import Guide, GuideError, guide_from_mapping
from knowledge.importers.load import load_path

NATIONAL = BUNDLED_GUIDES / "national"
TUE_DAY = datetime.fromisoformat("2026-11-24T10:15:00+01:00")
# Words that are only ever Danish: an English text holding one was left untranslated.
DANISH_WORDS = re.compile(r"\b(du|dit|din|ikke|skal|eller|kan|hvis|og så|når)\b", re.I)
# Danish words that are names or search terms inside the English text.
QUOTED = re.compile(r'"[^"]*"')


@pytest.fixture(scope="module")
def national(registry) -> dict[str, Guide]:
    report = load_path(NATIONAL, registry, source="corpus")
    assert not report.problems, report.problems
    return {g.id: g for g in report.guides}


def turn(desk, text, channel=Channel.CHAT, municipality=None):
    return desk.handle(TurnInput(uuid.uuid4().hex, text, channel, municipality, None, TUE_DAY))


def _mapping(**kw) -> dict:
    data = {"id": "test-guide", "title": "Bestil noget", "topic": "pas",
            "url": "https://www.borger.dk/x", "summary": "Du bestiller det på borger.dk.",
            "steps": ["Gå ind på borger.dk.", "Log på med MitID."]}
    return {**data, **kw}


EN = {"title": "Order something", "summary": "You order it on borger.dk.",
      "steps": ["Go to borger.dk.", "Log in with MitID."]}


# --- the corpus ------------------------------------------------------------------------


def test_every_national_guide_loads_with_english(national):
    files = sorted(NATIONAL.rglob("*.md"))
    assert len(national) == len(files) >= 88
    for g in national.values():
        assert g.en is not None, f"{g.id} has no English text"
        assert g.en.title and g.en.summary, g.id
        assert len(g.en.steps) == len(g.steps), g.id
        assert g.en.summary != g.summary and g.en.title != g.title, g.id
        for text in (g.en.title, g.en.summary, *g.en.steps):
            found = DANISH_WORDS.search(QUOTED.sub("", text))
            assert not found, f"{g.id}: Danish word {found.group()!r} in {text!r}"
    assert check.translation_problems(national.values()) == []


def test_english_is_parsed_validated_and_hashed_but_not_indexed():
    da = guide_from_mapping(_mapping())
    en = guide_from_mapping(_mapping(en={**EN, "summary": "You order  it\n on borger.dk."}))
    assert en.en is not None and da.en is None
    assert en.en.summary == "You order it on borger.dk."  # folded like the Danish summary
    assert en.en.steps == ("Go to borger.dk.", "Log in with MitID.")
    assert "en" not in en.extra
    assert en.passages() == da.passages()  # the index stays Danish
    assert en.content_hash() != da.content_hash()  # a new translation re-indexes
    changed = guide_from_mapping(_mapping(en={**EN, "title": "Order it"}))
    assert changed.content_hash() != en.content_hash()
    assert Guide.model_validate_json(en.model_dump_json()) == en  # survives the index
    with pytest.raises(GuideError, match="en: missing required field summary"):
        guide_from_mapping(_mapping(en={"title": "Order something"}))
    with pytest.raises(GuideError, match="unknown field"):
        guide_from_mapping(_mapping(en={**EN, "summery": "typo"}))
    with pytest.raises(GuideError, match="en: expected a mapping"):
        guide_from_mapping(_mapping(en="You order it on borger.dk."))


def test_markdown_importer_passes_english_through(tmp_path, registry):
    national = next(NATIONAL.glob("pas/pas-bestil-nyt.md"))
    shutil.copy(national, tmp_path / national.name)
    (g,) = load_path(tmp_path, registry, source="corpus").guides
    assert g.en is not None and g.en.title.startswith("Order a new passport")


# --- the check -------------------------------------------------------------------------


def test_check_reports_missing_or_incomplete_english():
    no_en = guide_from_mapping(_mapping(id="no-en"))
    short = guide_from_mapping(_mapping(id="short", en={**EN, "steps": ["Go to borger.dk."]}))
    local = guide_from_mapping(_mapping(id="local", municipality="0751"))
    imported = guide_from_mapping(_mapping(id="imported"), source="export")
    ok = guide_from_mapping(_mapping(id="ok", en=EN))
    assert check.translation_problems([no_en, short, local, imported, ok]) == [
        "guide no-en: national guide has no English text (en:)",
        "guide short: 1 English step(s) for 2 Danish step(s)",
    ]


def test_knowledge_check_fails_on_a_guide_without_english(tmp_path, monkeypatch, capsys):
    guides = tmp_path / "guides"
    shutil.copytree(BUNDLED_GUIDES, guides)
    target = guides / "national" / "pas" / "pas-pris.md"
    text = target.read_text(encoding="utf-8")
    stripped = re.sub(r"\nen:\n(?:  .*\n)+", "\n", text, count=1)
    assert stripped != text and "\nen:" not in stripped
    target.write_text(stripped, encoding="utf-8")
    monkeypatch.setenv("DDH_GUIDES_DIR", str(guides))
    get_settings.cache_clear()
    try:
        assert check.run() == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "guide pas-pris: national guide has no English text (en:)" in err
    assert err.count("English") == 1  # only the guide we broke


# --- replies ---------------------------------------------------------------------------


def test_english_turn_gets_the_english_guide_and_the_official_link(desk, national):
    r = turn(desk, "How do I renew my passport?")
    assert (r.action, r.topic, r.language) == ("answer", "pas", "en")
    g = national["pas-bestil-nyt"]
    assert g.en is not None
    assert g.en.summary in r.reply and g.url in r.reply
    assert "How to do it:" in r.reply and f"1. {g.en.steps[0]}" in r.reply
    assert "Did that help?" in r.reply
    assert g.summary not in r.reply and g.steps[0] not in r.reply
    assert "Sådan gør du" not in r.reply and "Hjalp det?" not in r.reply


def test_english_voice_turn_speaks_the_english_brief(desk, national):
    r = turn(desk, "How do I renew my passport?", channel=Channel.VOICE, municipality="0751")
    assert (r.action, r.topic, r.language) == ("answer", "pas", "en")
    g = national["pas-bestil-nyt"]
    assert g.en is not None
    assert replies.brief(g.en.summary) in r.reply and "text you the link" in r.reply
    assert replies.brief(g.summary) not in r.reply and "http" not in r.reply


def test_danish_turn_still_gets_the_danish_guide(desk, national):
    r = turn(desk, "hvordan fornyer jeg mit pas")
    assert (r.action, r.topic, r.language) == ("answer", "pas", "da")
    g = national["pas-bestil-nyt"]
    assert g.en is not None
    assert g.summary in r.reply and "Sådan gør du:" in r.reply and g.url in r.reply
    assert g.en.summary not in r.reply and g.en.steps[0] not in r.reply


def test_redirect_in_english_uses_the_english_summary_and_contact(registry, national):
    g = national["skat-aarsopgoerelse-forskudsopgoerelse"]
    assert g.en is not None
    en = replies.redirect(registry, "skat", g, "chat", "en")
    assert en.startswith("This is handled by") and g.en.summary in en and g.url in en
    assert "phone 72 22 18 18" in en and g.summary not in en and "telefon" not in en
    voice = replies.redirect(registry, "skat", g, "voice", "en")
    assert replies.brief(g.en.summary) in voice and "http" not in voice
    da = replies.redirect(registry, "skat", g, "chat", "da")
    assert g.summary in da and g.en.summary not in da and "telefon 72 22 18 18" in da


def test_guide_without_english_keeps_danish_text_under_english_framing():
    local = guide_from_mapping(_mapping(id="aarhus-noget", municipality="0751"))
    text = replies.answer(local, "chat", "en")
    assert local.summary in text and "1. Gå ind på borger.dk." in text
    assert "How to do it:" in text and "Did that help?" in text and local.url in text
