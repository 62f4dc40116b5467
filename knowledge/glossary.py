"""English questions in the guides' Danish terms.

The guides are Danish and the small multilingual embedding model matches English
questions to them only weakly, while BM25 finds no shared terms at all. For an English
question, the Danish terms of the public-service words it uses ("housing benefit" →
boligstøtte, "bin" → skraldespand) are added to its search text. The glossary is data
(`knowledge/data/glossary_en_da.yaml`), so it grows with the services without code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from knowledge.yaml_data import read_yaml

GLOSSARY = Path(__file__).resolve().parent / "data" / "glossary_en_da.yaml"


@lru_cache(maxsize=4)
def _glossary(path: Path = GLOSSARY) -> tuple[re.Pattern[str], dict[str, str]]:
    data = read_yaml(path)
    terms = {str(k).lower(): str(v) for k, v in (data.get("terms") or {}).items()}
    alts = sorted(terms, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(a) for a in alts) + r")(?![\w])",
                         re.IGNORECASE)
    return pattern, terms


def danish_terms(text: str, path: Path = GLOSSARY) -> str:
    """The Danish terms for the English service words in `text` ("" when none)."""
    pattern, terms = _glossary(path)
    seen: list[str] = []
    for m in pattern.finditer(text):
        danish = terms[m.group(1).lower()]
        if danish not in seen:
            seen.append(danish)
    return " ".join(seen)
