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
    assert set(services) == {"gateway", "chroma", "postgres", "redis"}
    env = services["gateway"]["environment"]
    assert env["DDH_CHROMA_URL"] == "http://chroma:8000"
    for dep in ("postgres", "redis", "chroma"):
        assert dep in services["gateway"]["depends_on"]
    assert (ROOT / services["gateway"]["build"] / "Dockerfile").is_file()
