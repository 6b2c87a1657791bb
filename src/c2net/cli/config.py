"""Where the CLI finds the gateway: --gateway, then C2NET_GATEWAY, then what `c2net up` recorded."""

from __future__ import annotations

import os
from pathlib import Path

from c2net.cli.launcher import Network

__all__ = ["DEFAULT_GATEWAY", "home", "resolve_gateway", "up_file"]

DEFAULT_GATEWAY = "http://127.0.0.1:8470"


def home() -> Path:
    return Path(os.environ.get("C2NET_HOME", Path.home() / ".c2net"))


def up_file() -> Path:
    return home() / "up.json"


def resolve_gateway(flag: str | None) -> str:
    if flag:
        return flag
    env = os.environ.get("C2NET_GATEWAY")
    if env:
        return env
    if up_file().exists():
        return Network.load(up_file()).gateway
    return DEFAULT_GATEWAY
