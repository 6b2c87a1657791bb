"""Structured logs: one JSON object per line, for operators' log pipelines (Loki, Elastic,
journald). Enable in `c2net server` with `configure_json_logging()` instead of
`logging.basicConfig(...)`.

Each line has `ts` (UTC, ISO 8601 with milliseconds), `level`, `logger` and `message`, then
every `extra={...}` field the caller passed, then `exc` with the traceback when there is one.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import sys
from typing import IO, Any

__all__ = ["JsonFormatter", "configure_json_logging"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


def _plain(value: Any) -> Any:
    """A value json can write; anything exotic becomes its str()."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        ts = _dt.datetime.fromtimestamp(record.created, tz=_dt.UTC)
        out: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = _plain(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def configure_json_logging(level: int | str = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send every log record (the gateway's, uvicorn's, SQLAlchemy's) to `stream` (stderr by
    default) as JSON lines, replacing the root logger's handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # propagate to the root handler instead of uvicorn's own
        logger.propagate = True
