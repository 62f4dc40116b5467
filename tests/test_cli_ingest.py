"""`ddh knowledge ingest` as a process: incremental by content hash, problems reported
(a file of its own: it embeds guides, the heaviest CLI test, and the test workers run
files side by side)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.test_cli import EXPORTS, ddh


def test_ingest_is_incremental_and_reports_skipped_files(tmp_path):
    corpus = tmp_path / "guides"
    shutil.copytree(EXPORTS / "markdown", corpus)
    env = {"DDH_DATA_DIR": str(tmp_path / "var"), "DDH_GUIDES_DIR": str(corpus)}
    first = ddh("knowledge", "ingest", "--json", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["added"] == 2 and report["chunks_embedded"] > 0
    assert {Path(p["file"]).name for p in report["problems"]} == {
        "broken-yaml.md", "missing-url.md", "unquoted-code.md"}

    again = json.loads(ddh("knowledge", "ingest", "--json", env=env).stdout)
    assert again["unchanged"] == 2 and again["chunks_embedded"] == 0

    export = json.loads(ddh("knowledge", "ingest", "--json", str(EXPORTS / "json"),
                            env=env).stdout)
    assert export["added"] == 2 and export["removed"] == 0
    hits = json.loads(ddh("knowledge", "search", "--json", "--municipality", "0791",
                          "forny kørekort", env=env).stdout)
    assert hits[0]["id"] == "9f1c2a"

    (corpus / "plain-export.md").unlink()
    after = json.loads(ddh("knowledge", "ingest", "--json", env=env).stdout)
    assert after["removed"] == 1 and after["unchanged"] == 1  # the JSON export stays
