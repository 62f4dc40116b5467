import pytest

from bot.language import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("jeg har mistet mit pas", "da"),
    ("øh hvordan bestiller man storskrald", "da"),
    ("hej", "da"),
    ("tak", "da"),
    ("I lost my passport, what do I do?", "en"),
    ("How can I get MitID without a Danish passport?", "en"),
    ("Ich habe meinen Reisepass verloren und brauche einen neuen", "de"),
    ("mam problem z paszportem i potrzebuje pomocy", "pl"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang
