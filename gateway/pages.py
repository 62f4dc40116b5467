"""Server-rendered pages: one Jinja2 environment for `gateway/templates/`.

Autoescape is on for every template (not only by file name), and undefined names are
errors, so a value placed in a page is always text: a municipality name, a notice
title or a query string can never become markup, and no route has to remember to
call `escape()` itself. Markup that is built in Python (there is none today) would
have to be passed as `markupsafe.Markup` on purpose.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

from gateway.formatting import da_number, da_percent

TEMPLATES = Path(__file__).resolve().parent / "templates"

templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
    undefined=jinja2.StrictUndefined))

# Danish number formats, one rounding rule (gateway/formatting.py)
templates.env.filters["da_number"] = da_number
templates.env.filters["da_percent"] = da_percent
