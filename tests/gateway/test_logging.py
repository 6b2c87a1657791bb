"""Structured logs: one JSON object per line, extras kept, exceptions included."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from c2net.gateway.logging import JsonFormatter, configure_json_logging


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)


def test_a_record_becomes_one_json_line_with_its_extras() -> None:
    record = logging.LogRecord(
        "c2net.gateway.loop", logging.INFO, "f.py", 1, "placed %d", (3,), None
    )
    record.center = "guian"
    record.jobs = (1, 2)
    line = JsonFormatter().format(record)
    out = json.loads(line)
    assert "\n" not in line
    assert out["level"] == "INFO" and out["logger"] == "c2net.gateway.loop"
    assert out["message"] == "placed 3"
    assert out["center"] == "guian" and out["jobs"] == [1, 2]
    assert out["ts"].endswith("Z")


def test_configure_sends_every_logger_as_json(restore_root: None) -> None:
    stream = io.StringIO()
    configure_json_logging(logging.INFO, stream)
    logging.getLogger("c2net.test").info("hello", extra={"job_id": 7})
    logging.getLogger("uvicorn.error").warning("from uvicorn")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("c2net.test").exception("cycle failed")
    logging.getLogger("c2net.test").debug("below the level")
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [x["message"] for x in lines] == ["hello", "from uvicorn", "cycle failed"]
    assert lines[0]["job_id"] == 7
    assert "ValueError: boom" in lines[2]["exc"]
