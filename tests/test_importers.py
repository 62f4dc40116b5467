"""Importers: each export format maps onto our schema; bad files are reported, not fatal."""

from pathlib import Path

from knowledge.importers.load import load_path

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def _problems(report) -> dict[str, str]:
    return {Path(p.file.split(" ")[0]).name: p.message for p in report.problems}


def test_markdown_folder(registry):
    report = load_path(EXPORTS / "markdown", registry)
    by_id = {g.id: g for g in report.guides}
    assert set(by_id) == {"test-fixture-storskrald", "plain-export"}
    ours = by_id["test-fixture-storskrald"]
    assert ours.municipalities == ("0615",)
    assert ours.steps[0].startswith("Gå ind")
    assert ours.extra == {"owner_team": "Affald og Genbrug"}  # unknown fields kept
    assert ours.source == "markdown"
    plain = by_id["plain-export"]  # the file name is the stable id
    assert plain.topic == "navn"  # resolved from the category breadcrumb
    assert plain.summary.startswith("Du kan skifte efternavn")
    assert len(plain.steps) == 3
    assert plain.url == "https://www.borger.dk/familie-og-boern/navn"
    assert plain.keywords == ("navn", "efternavn")
    problems = _problems(report)
    assert set(problems) == {"broken-yaml.md", "missing-url.md", "unquoted-code.md"}
    assert "front matter" in problems["broken-yaml.md"]
    assert "url" in problems["missing-url.md"]
    assert "quote" in problems["unquoted-code.md"]
    assert report.files == 5  # README.md is not a guide


def test_json_export(registry):
    report = load_path(EXPORTS / "json", registry)
    by_id = {g.id: g for g in report.guides}
    assert set(by_id) == {"9f1c2a", "42"}
    g = by_id["9f1c2a"]
    assert g.title == "Fornyelse af kørekort"
    assert g.topic == "koerekort"
    assert g.municipalities == ("0791",)  # "Viborg Kommune" mapped to its code
    assert g.steps == ("Book en tid", "Medbring foto", "Betal gebyret")
    assert "fornyes" in g.body and "track()" not in g.body
    assert g.updated.isoformat() == "2026-09-30"
    assert g.extra["platform_views"] == 1234
    assert by_id["42"].municipalities == ("0751",)  # numeric code 751 → "0751"
    problems = [str(p) for p in report.problems]
    assert any("ukendt-emne" in p and "cannot map topic" in p for p in problems)
    assert any("#3" in p and "not an object" in p for p in problems)
    assert any("uden-resume" in p and "summary" in p for p in problems)
    assert any("truncated.json" in p and "not valid JSON" in p for p in problems)
    assert len(problems) == 4


def test_html_pages(registry):
    report = load_path(EXPORTS / "html", registry)
    by_id = {g.id: g for g in report.guides}
    assert set(by_id) == {"borger-like", "platform-nemkonto"}
    page = by_id["borger-like"]
    assert page.title == "Pas til dit barn"
    assert page.topic == "pas"  # from the breadcrumb
    assert page.url == "https://www.borger.dk/familie-og-boern/pas-boern"
    assert page.summary.startswith("Børn under 18")
    assert page.steps == ("Book tid i Borgerservice.", "Tag barnet med.", "Medbring samtykke.")
    assert "passport for my child" in page.keywords
    assert page.updated.isoformat() == "2026-08-15"
    assert "Kontakt os" not in page.body and "console.log" not in page.body
    platform = by_id["platform-nemkonto"]
    assert platform.topic == "nemkonto" and platform.url == "https://www.nemkonto.dk"
    assert _problems(report) == {"not-a-guide.html": "no <h1> or <title>: not a guide page"}


def test_duplicate_ids_are_reported(tmp_path, registry):
    src = (EXPORTS / "markdown" / "ours.md").read_text(encoding="utf-8")
    (tmp_path / "a.md").write_text(src, encoding="utf-8")
    (tmp_path / "b.md").write_text(src, encoding="utf-8")
    report = load_path(tmp_path, registry)
    assert len(report.guides) == 1
    assert "duplicate id" in report.problems[0].message


def test_unknown_topic_and_code_are_rejected(tmp_path, registry):
    (tmp_path / "x.json").write_text(
        '[{"id": "a", "title": "A", "topic": "pas", "url": "https://a.dk", "summary": "S.",'
        ' "municipality": "0999"}]', encoding="utf-8")
    report = load_path(tmp_path, registry)
    assert report.guides == []
    assert "unknown kommunekode 0999" in report.problems[0].message


def test_missing_path_is_a_problem_not_a_crash(tmp_path, registry):
    report = load_path(tmp_path / "nope", registry)
    assert report.guides == [] and "no such file" in report.problems[0].message
