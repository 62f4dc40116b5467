"""Reading the registry's YAML data files, and the error every registry loader raises.

Shared by `knowledge.registry` and `knowledge.routing`, which both validate data
files: kept apart from both so that neither has to import the other for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class RegistryError(ValueError):
    """A registry data file is missing or invalid; the message names file and problem."""


def fail(path: Path, msg: str) -> RegistryError:
    """The error for a problem in `path`, named by file so an editor knows where to look."""
    return RegistryError(f"{path.name}: {msg}")


def read_yaml(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML data file; `RegistryError` when missing or malformed."""
    if not path.is_file():
        raise RegistryError(f"{path}: registry file missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise fail(path, f"not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise fail(path, "expected a mapping at the top level")
    return data
