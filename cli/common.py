"""What every `ddh` command shares: the one-line error, quiet logging, and opening the
knowledge base and the frontdesk on the configured settings.

Command modules import only this module (never `cli.main`), so the CLI's import graph
stays a tree: main -> command modules -> common -> the lower layers.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ddh.logging import configure_logging
from ddh.settings import get_settings

if TYPE_CHECKING:
    from bot.frontdesk import Frontdesk
    from knowledge.service import Knowledge


class CLIError(Exception):
    """An expected failure: `cli.main.main` prints it as one line and exits 1."""


def setup() -> None:
    """Quiet logging for one-shot commands unless DDH_LOG_LEVEL asks for more, so that
    stdout stays machine-readable and stderr holds only what the user must see."""
    s = get_settings()
    configure_logging(s.log_level if "DDH_LOG_LEVEL" in os.environ else "WARNING",
                      s.log_format)


def open_knowledge() -> Knowledge:
    """The guide corpus, index and retriever; imported lazily to keep `ddh --help` fast."""
    from knowledge.service import Knowledge

    return Knowledge.open(get_settings())


def open_frontdesk() -> Frontdesk:
    """The same frontdesk the gateway runs, so commands answer exactly as it would."""
    from bot.service import open_frontdesk as _open

    return _open(get_settings())
