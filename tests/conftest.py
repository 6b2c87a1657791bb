"""Shared fixtures. Fixtures that start real engines live in tests/fixtures/ as plugins."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.gateway",
    "tests.fixtures.slurm",
    "tests.fixtures.ray",
    "tests.fixtures.postgres",
    "tests.fixtures.browser",
]
