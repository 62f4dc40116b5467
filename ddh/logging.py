"""Structured logging: key=value on a console, JSON lines in production.

stdlib logging is routed through structlog so that library logs (uvicorn, chromadb)
and ours share one format; pipecat's loguru logs are passed to stdlib logging too, at
the same level, instead of printing DEBUG lines of their own. Log events never contain
citizen text in clear: the frontdesk passes only redacted text to the logger.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Configure structlog and the stdlib root logger once per process."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
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
    for noisy in ("chromadb.telemetry", "httpx", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _route_loguru(level)


def _route_loguru(level: str) -> None:
    try:
        from loguru import logger
    except ImportError:  # the voice extras are not installed
        return

    from ddh.redaction import redact

    def to_stdlib(message: object) -> None:
        # pipecat logs what callers said (transcripts, at DEBUG): redacted like ours.
        record = message.record  # type: ignore[attr-defined]
        logging.getLogger(record["name"] or "loguru").log(
            max(record["level"].no, logging.DEBUG), redact(record["message"]).text)

    logger.remove()
    logger.add(to_stdlib, level=level.upper(), format="{message}")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
