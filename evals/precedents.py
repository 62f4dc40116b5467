"""The precedents file (knowledge/data/precedents.jsonl) from the labelled scenario sets.

Every turn of a routing scenario set with an expected action becomes an example of
what such a turn did: `end` when the citizen was done (a goodbye, not a bare score
after the rating question, which the rules read), else `other`. A conversation's
opening turn, and a turn whose expected topic differs from the one before (a new
subject), also carry their topic. Texts are redacted as the frontdesk redacts a turn,
so the file holds no personal data and compares like with like.

`ddh eval precedents` writes the file; `tests/test_precedents.py` fails when it is out
of step with the sets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from ddh.redaction import redact
from ddh.vocabulary import Action
from knowledge.precedents import Act

SCENARIOS = Path(__file__).parent / "scenarios"
_SCORE = re.compile(r"\W*\d{1,2}\W*")  # "8", "10!": a rating, read by the rules


def examples(files: Iterable[Path]) -> list[dict[str, str]]:
    """The examples of the scenario files, in file and turn order."""
    out: list[dict[str, str]] = []
    for path in sorted(files):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for scenario in data.get("scenarios") or []:
            topic = None
            for n, turn in enumerate(scenario.get("turns") or []):
                expect = turn.get("expect") or {}
                action = expect.get("action")
                if action is None:
                    continue
                text = redact(str(turn["text"])).text.strip()
                new_topic = expect.get("topic")
                row: dict[str, str] = {"text": text, "source": path.stem}
                if action == Action.END:
                    if _SCORE.fullmatch(text):
                        continue
                    row["act"] = Act.END.value
                else:
                    row["act"] = Act.OTHER.value
                if new_topic and (n == 0 or new_topic != topic):
                    row["topic"] = new_topic
                topic = new_topic or topic
                if text:
                    out.append(row)
    return out


def render(rows: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def scenario_files(directory: Path = SCENARIOS) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
