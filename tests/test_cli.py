"""The `ddh` command line as a process: the contract's commands, output and errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.servers import DDH, ROOT

EXPORTS = Path(__file__).parent / "fixtures" / "exports"


def ddh(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    return subprocess.run([DDH, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          input=stdin, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def index_env(knowledge) -> dict[str, str]:
    """The session's already-built full index."""
    return {"DDH_DATA_DIR": str(knowledge.settings.data_dir)}


def test_search_json(index_env):
    out = ddh("knowledge", "search", "--json", "-k", "3",
              "jeg har mistet mit gule sygesikringskort", env=index_env)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 3
    assert set(hits[0]) >= {"id", "title", "topic", "url", "municipality", "score"}
    assert hits[0]["topic"] == "sundhedskort" and hits[0]["municipality"] is None
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_search_municipality_prefers_local(index_env):
    out = ddh("knowledge", "search", "--json", "--municipality", "0751", "-k", "5",
              "hvordan bestiller jeg storskrald", env=index_env)
    hits = json.loads(out.stdout)
    assert hits[0]["municipality"] == "0751" and hits[0]["topic"] == "storskrald"
    assert all(h["municipality"] in (None, "0751") for h in hits)


def test_search_batch_one_line_per_query_in_order(index_env):
    queries = "mit pas er udløbet\nhvornår kommer skraldebilen ikke\n\nI lost my health card\n"
    out = ddh("knowledge", "search", "--batch", "-k", "2", env=index_env, stdin=queries)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    results = [json.loads(line) for line in lines]
    assert results[0][0]["topic"] == "pas"
    assert results[2] == []  # an empty line gives an empty list, in its place
    assert results[3][0]["topic"] == "sundhedskort"


@pytest.mark.parametrize(("args", "message"), [
    (("knowledge", "search", "--json", "--municipality", "9999", "pas"), "unknown kommunekode"),
    (("knowledge", "search", "--json"), "either a query or --batch"),
    (("knowledge", "search", "--mode", "magic", "pas"), "unknown mode"),
    (("knowledge", "ingest", "/nonexistent/export"), "no such file"),
])
def test_errors_are_one_line_on_stderr(index_env, args, message):
    out = ddh(*args, env=index_env)
    assert out.returncode != 0
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], out.stderr


def test_check_passes_on_the_bundled_corpus():
    out = ddh("knowledge", "check")
    assert out.returncode == 0, out.stderr
    assert "topics covered: " in out.stdout


def test_ask_jsonl_contract(index_env, tmp_path):
    env = {**index_env, "DDH_DATABASE_URL": f"sqlite:///{tmp_path / 'ask.sqlite3'}"}
    lines = [
        {"conversation": "c1", "channel": "chat", "municipality": "0615",
         "called_number": None, "at": "2026-11-24T10:15:00+01:00",
         "text": "jeg har mistet mit sundhedskort"},
        "this is not json",
        {"conversation": "c2", "channel": "chat"},
        {"conversation": "c1", "channel": "chat", "municipality": None,
         "at": "2026-11-24T10:16:00+01:00", "text": "det hjalp ikke"},
        {"conversation": "c3", "channel": "voice", "municipality": "0001",
         "at": "2026-11-24T10:16:00+01:00", "text": "hej"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    out = ddh("ask", "--jsonl", env=env, stdin=stdin)
    assert out.returncode == 0, out.stderr
    got = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(got) == 5
    first = got[0]
    assert set(first) == {"conversation", "action", "topic", "municipality", "reply", "guides",
                          "handoff"}
    assert (first["action"], first["topic"], first["municipality"]) == (
        "answer", "sundhedskort", "0615")
    assert {"id", "title", "topic", "url", "score"} <= set(first["guides"][0])
    assert "error" in got[1] and "JSON" in got[1]["error"]
    assert got[2] == {"error": "missing 'text'"}
    handoff = got[3]["handoff"]
    assert got[3]["action"] == "handoff" and handoff["target"] == "ddh"
    assert handoff["summary"] and handoff["reason"]
    assert "kommunekode" in got[4]["error"]


def test_eval_run_fails_when_a_threshold_is_not_met(index_env, tmp_path):
    suite = tmp_path / "broken.yaml"
    suite.write_text(
        "thresholds: {action_accuracy: 1.0}\n"
        "scenarios:\n"
        "  - id: wrong-expectation\n"
        "    channel: chat\n"
        "    municipality: \"0615\"\n"
        "    at: \"2026-11-24T10:15:00+01:00\"\n"
        "    turns:\n"
        "      - text: \"jeg har mistet mit sundhedskort\"\n"
        "        expect: {action: ticket}\n", encoding="utf-8")
    out = ddh("eval", "run", str(suite), env=index_env)
    assert out.returncode == 1
    assert "FAIL wrong-expectation #1" in out.stdout
    assert "threshold not met" in out.stderr and "action_accuracy" in out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios: 3\n", encoding="utf-8")
    out = ddh("eval", "run", str(bad), env=index_env)
    assert out.returncode == 1 and out.stderr.startswith("ddh: error:")


def test_chat_command_talks_in_the_terminal(index_env, tmp_path):
    env = {**index_env, "DDH_DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}"}
    out = ddh("chat", "--municipality", "0615", "--at", "2026-11-24T20:00:00+01:00", env=env,
              stdin="jeg har mistet mit pas\njeg vil tale med en medarbejder\n")
    assert out.returncode == 0, out.stderr
    assert "[answer · pas · 0615]" in out.stdout
    assert "[ticket · pas · 0615]" in out.stdout  # Horsens is closed at 20:00


def test_tickets_from_ask_are_sent_by_the_outbox(index_env, tmp_path):
    env = {**index_env, "DDH_DATABASE_URL": f"sqlite:///{tmp_path / 't.sqlite3'}",
           "DDH_TICKET_GRACE_S": "0"}
    line = {"conversation": "t1", "channel": "chat", "municipality": "0615",
            "at": "2026-11-28T10:00:00+01:00",
            "text": "ring til mig på 28 12 34 56, jeg vil tale med en om mit kørekort"}
    out = ddh("ask", "--jsonl", env=env, stdin=json.dumps(line) + "\n")
    assert json.loads(out.stdout)["action"] == "ticket", out.stdout
    sent = ddh("tickets", "send", env=env)
    assert sent.returncode == 0 and sent.stdout.startswith("1 sent"), sent.stdout + sent.stderr
    listed = json.loads(ddh("tickets", "list", "--json", env=env).stdout)
    assert [(r["status"], r["channel"]) for r in listed] == [("sent", "file")]
