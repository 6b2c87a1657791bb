"""`c2net demo` as `make demo` runs it: a whole national network, a workload, the bill."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_exits_zero_and_reports() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "c2net", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert "no center offers H100" in text  # the impossible job and its reason
    assert "naive first-fit federation" in text
    assert "Total" in text  # the bill
    assert "network stopped" in text
