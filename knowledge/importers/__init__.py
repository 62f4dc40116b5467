"""Importers: guide exports (Markdown folders, JSON, HTML pages) → `Guide` objects.

Each importer reads one format and maps it onto our schema through
`knowledge.guide.guide_from_mapping`. A malformed file (or one bad entry of a JSON
export) is reported by name and skipped; the rest of the ingest goes on.
"""

from knowledge.importers.common import ImportProblem, ImportReport, load_path

__all__ = ["ImportProblem", "ImportReport", "load_path"]
