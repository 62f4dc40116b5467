import shutil
from pathlib import Path

import pytest

from knowledge.registry import BUNDLED_DIR, load_registry
from knowledge.yaml_data import RegistryError

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_registry_has_the_domain_data(registry):
    assert len(registry.municipalities) == 98
    assert registry.municipality("0751").name == "Aarhus"
    assert len(registry.members) == 23
    assert registry.members["0615"].own_hours.start.hour == 9
    assert registry.members["0615"].own_hours.end.hour == 15
    assert set(registry.partners) == {"renodjurs", "renosyd", "redux"}
    assert registry.topics["skat"].route == "redirect"
    assert registry.topics["skat"].authority == "skattestyrelsen"
    assert registry.topics["min-dialog"].municipalities == ("0751",)
    hours = registry.ddh_hours[registry.default_ddh_hours]
    assert hours.days["fri"].end.hour == 16 and "sat" not in hours.days
    assert registry.ddh_hours["current_2025"].days["sun"].start.hour == 16


def test_every_municipality_has_its_seat(registry):
    assert all(m.seat for m in registry.municipalities.values())
    assert registry.municipality("0846").seat == "Hobro"
    assert registry.municipality("0169").seat == "Taastrup"


def test_missing_seats_file_is_named(tmp_path):
    d = _copy(tmp_path)
    (d / "municipal_seats.csv").unlink()
    with pytest.raises(RegistryError, match=r"municipal_seats\.csv"):
        load_registry(d)


def test_postal_codes_keep_ambiguity(registry):
    assert len(registry.postal_codes) > 1000
    assert registry.postal_codes["8000"].municipalities == ("0751",)
    assert registry.postal_codes["2000"].ambiguous
    # Christiansø (0411) is not a municipality and is dropped from Gudhjem's list.
    assert registry.postal_codes["3760"].municipalities == ("0400",)


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "reg"
    shutil.copytree(BUNDLED_DIR, d)
    return d


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("ddh.yaml", '{code: "0751", name: "Aarhus"', '{code: "0751", name: "Århus"',
         "does not match"),
        ("ddh.yaml", 'own_hours: ["09:00", "15:00"]}', 'own_hours: ["15:00", "09:00"]}',
         "not before closing"),
        ("ddh.yaml", 'mon: ["08:00", "18:00"]', 'mon: ["8 am", "18:00"]', "not a HH:MM"),
        ("topics.yaml", "route: redirect, authority: skattestyrelsen",
         "route: redirect, authority: skat-dk", "known authority"),
        ("topics.yaml", "owner: kommune, route: bot,", "owner: kommune, route: robot,",
         "route must be one of"),
        ("municipalities.csv", "0751,Aarhus", "751,Aarhus", "4-digit"),
        ("postal_codes.csv", "8000,Aarhus C,0751", "8000,Aarhus C,0999", "unknown kommunekode"),
        ("municipal_seats.csv", "0846,Hobro", "0999,Hobro", "unknown kommunekode"),
        ("municipal_seats.csv", "0846,Hobro", "0820,Hobro", "duplicate code 0820"),
        ("municipal_seats.csv", "0846,Hobro\n", "", "no seat for 0846"),
        ("municipal_seats.csv", "0846,Hobro", "0846,", "empty seat"),
        ("municipal_seats.csv", "code,seat", "code,town", "missing columns"),
    ],
)
def test_invalid_files_fail_with_file_and_reason(tmp_path, file, old, new, message):
    d = _copy(tmp_path)
    p = d / file
    text = p.read_text(encoding="utf-8")
    assert old in text, f"fixture assumption: {old!r} in {file}"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(d)
    assert file in str(err.value)
    assert message in str(err.value)


def test_missing_file_is_named(tmp_path):
    d = _copy(tmp_path)
    (d / "topics.yaml").unlink()
    with pytest.raises(RegistryError, match=r"topics\.yaml"):
        load_registry(d)


def test_code_does_not_read_shared_at_run_time():
    offenders = [
        str(p) for pkg in ("ddh", "gateway", "bot", "knowledge", "handoff", "evals")
        for p in (ROOT / pkg).rglob("*.py") if "shared/" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
