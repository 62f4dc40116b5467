"""Structured logging: key=value on a console, JSON lines in production.

stdlib logging is routed through structlog so that library logs (uvicorn, chromadb)
and ours share one format; pipecat's loguru logs are passed to stdlib logging too, at
the same level, instead of printing DEBUG lines of their own.

Log lines carry no personal data at any level. The frontdesk passes only redacted
text to the logger, and every line passes the redactor as well (a processor on ours
and on the libraries', tracebacks included), because a library may log what it was
given: the access log's paths lose their query strings (URL-encoded, where the
redactor could not see a number) and are redacted decoded; the WebSocket protocol's
frame logger and SQLAlchemy's statement logger (its parameters hold consented callback
numbers) never log below WARNING and INFO.
"""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import unquote_plus

import structlog
from structlog.typing import EventDict, WrappedLogger

from ddh.redaction import redact

# Identifiers (conversation and handoff ids: hex) are not personal data, and a run of
# their digits must not be taken for one.
_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_QUIET = {"websockets": logging.INFO,  # DEBUG: every frame, payload and all
          "uvicorn.protocols": logging.INFO, "sqlalchemy.engine": logging.WARNING,
          "chromadb.telemetry": logging.WARNING, "httpx": logging.WARNING,
          "bm25s": logging.WARNING}


# What personal data needs: a digit, an @, or two number words in a row ("nul et"), the
# second one possibly the last word of the text ("… de sidste fire er atten ti"); a text
# with none of them is let through without running the redactor.
_MAYBE = re.compile(
    r"[\d@\uff10-\uff19\uff20]|(?:(?<![\wæøå])(?:nul|e[nt]|to|tre|fire|fem|seks|syv|otte|ni|"
    r"ti|elleve|tolv|tretten|fjorten|femten|seksten|sytten|atten|nitten|tyve|tredive|fyrre|"
    r"halvtreds|tres|halvfjerds|firs|halvfems|zero|one|two|three|four|five|six|seven|"
    r"eight|nine|snabel)[\wæøå]*(?:[^\wæøå]+|$)){2}", re.IGNORECASE)
_OURS = frozenset({"timestamp", "level", "logger"})  # set by the processors above


def _clean(value: str) -> str:
    if len(value) < 6 or _ID.fullmatch(value) or not _MAYBE.search(value):
        return value
    return redact(value).text


def redact_event(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Every text in a log line through the redactor (ours and the libraries')."""
    for key, value in event.items():
        if key.startswith("_") or key in _OURS:
            continue
        if isinstance(value, str):
            event[key] = _clean(value)
        elif isinstance(value, list | tuple):
            event[key] = [_clean(v) if isinstance(v, str) else v for v in value]
    return event


class NoFrames(logging.Filter):
    """The WebSocket protocol's frame lines ("< TEXT '{…}'"), payload and all: uvicorn
    hands its own logger to the protocol, so they come as `uvicorn.error` at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in ("< %s", "> %s")


class AccessPaths(logging.Filter):
    """uvicorn's access lines: the path decoded and redacted, the query string left
    out (`?…`): a search or a callback link may carry a number in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, _, query = args[2].partition("?")
            shown = redact(unquote_plus(path)).text + ("?…" if query else "")
            record.args = (*args[:2], shown, *args[3:])
        return True


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Configure structlog and the stdlib root logger once per process."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # tracebacks as text, redacted next
        redact_event,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    for name, kind in (("uvicorn.access", AccessPaths), ("uvicorn.error", NoFrames)):
        named = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in named.filters):
            named.addFilter(kind())
    _route_loguru(level)


def _route_loguru(level: str) -> None:
    try:
        from loguru import logger
    except ImportError:  # the voice extras are not installed
        return

    def to_stdlib(message: object) -> None:
        # pipecat logs what callers said (transcripts, at DEBUG): redacted like ours.
        record = message.record  # type: ignore[attr-defined]
        logging.getLogger(record["name"] or "loguru").log(
            max(record["level"].no, logging.DEBUG), redact(record["message"]).text)

    logger.remove()
    logger.add(to_stdlib, level=level.upper(), format="{message}")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
