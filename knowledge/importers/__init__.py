"""Importers: guide exports (Markdown folders, JSON, HTML pages) → `Guide` objects.

Each importer reads one format and maps it onto our schema through
`knowledge.guide.guide_from_mapping`. A malformed file (or one bad entry of a JSON
export) is reported by name and skipped; the rest of the ingest goes on.

`knowledge.importers.load.load_path` reads a file or folder of any format; the report
types live in `knowledge.importers.common`. This package file imports nothing, so
importing one reader does not load them all.
"""
