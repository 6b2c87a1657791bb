"""Where the CLI finds the gateway and its token.

Gateway: --gateway, then C2NET_GATEWAY, then what `c2net up` recorded, then the default.
Token: C2NET_TOKEN, then what `c2net login` saved for that gateway, then the demo user's token
that `c2net up` created.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from c2net.cli.launcher import Network

__all__ = [
    "DEFAULT_GATEWAY",
    "credentials_file",
    "home",
    "resolve_gateway",
    "resolve_token",
    "save_credentials",
    "up_file",
]

DEFAULT_GATEWAY = "http://127.0.0.1:8470"


def home() -> Path:
    return Path(os.environ.get("C2NET_HOME", Path.home() / ".c2net"))


def up_file() -> Path:
    return home() / "up.json"


def credentials_file() -> Path:
    return home() / "credentials.json"


def resolve_gateway(flag: str | None) -> str:
    if flag:
        return flag
    env = os.environ.get("C2NET_GATEWAY")
    if env:
        return env
    if up_file().exists():
        return Network.load(up_file()).gateway
    return DEFAULT_GATEWAY


def _saved() -> dict[str, str]:
    path = credentials_file()
    return dict(json.loads(path.read_text())) if path.exists() else {}


def resolve_token(gateway: str) -> str | None:
    env = os.environ.get("C2NET_TOKEN")
    if env:
        return env
    saved = _saved().get(gateway.rstrip("/"))
    if saved:
        return saved
    if up_file().exists():
        net = Network.load(up_file())
        if net.gateway.rstrip("/") == gateway.rstrip("/"):
            return net.tokens.get("user")
    return None


def save_credentials(gateway: str, token: str) -> Path:
    """Remember a token for a gateway (file readable by its owner only)."""
    data = _saved() | {gateway.rstrip("/"): token}
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path
