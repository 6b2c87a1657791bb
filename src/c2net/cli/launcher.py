"""Start and stop a whole network on this machine: one gateway and one agent per center, each
a separate process on loopback, logs and state under one directory."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from c2net.client import C2netError, Client
from c2net.network import load_catalogs, load_network

__all__ = ["Network", "free_port", "start_network", "stop_network"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Network:
    gateway: str
    directory: str
    pids: dict[str, int]  # process name -> pid (each leads its own process group)
    tokens: dict[str, str] = field(default_factory=dict)  # "admin" and "user" secrets

    def save(self, path: Path) -> None:
        """Write the record, readable by its owner only (it holds tokens)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> Network:
        return cls(**json.loads(path.read_text()))


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "c2net", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    return proc.pid


DEMO_USER = "demo"
DEMO_CREDIT = Decimal("100.00")  # CNY, topped up for the demo user so bills show money moving


def bootstrap(url: str, admin_token: str, centers: list[str]) -> tuple[str, dict[str, str]]:
    """Create the demo consumer (account and user `demo`, topped up with 100 CNY) and, per
    center, a provider account and user `prov-<center>` with an agent token. Returns the demo
    user's token and the agent tokens."""
    from c2net.cli.money import MoneyClient  # the CLI's money commands import this module

    with MoneyClient(url, admin_token) as admin:
        admin.create_account(DEMO_USER, "consumer")
        user_token = str(admin.create_user(DEMO_USER, DEMO_USER)["token"])
        admin.move_money("topups", DEMO_USER, DEMO_CREDIT, memo="welcome credit")
        agent_tokens = {}
        for name in centers:
            provider = f"prov-{name}"
            admin.create_account(provider, "provider")
            admin.create_user(provider, provider)
            agent_tokens[name] = str(admin.create_agent_token(name, provider)["token"])
    return user_token, agent_tokens


def start_network(
    directory: str | Path,
    network_file: str | None = None,
    *,
    port: int = 0,
    heartbeat_timeout: float = 10.0,
    timeout: float = 60.0,
    extra_server_args: tuple[str, ...] = (),
) -> Network:
    """Start a gateway and its agents; return once every center is healthy."""
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    centers = load_network(network_file)
    catalogs, usd_rate = load_catalogs(network_file)
    clouds = [arg for name in catalogs for arg in ("--catalog", name)]
    if usd_rate is not None:
        clouds += ["--usd-rate", str(usd_rate)]
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    admin_token = "c2n_" + secrets.token_urlsafe(32)
    server = [
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        f"sqlite:///{root / 'c2net.db'}",
        "--heartbeat-timeout",
        str(heartbeat_timeout),
        *clouds,
        *extra_server_args,
    ]
    pids = {
        "gateway": _spawn(server, root / "logs" / "gateway.log", {"C2NET_ADMIN_TOKEN": admin_token})
    }
    net = Network(url, str(root), pids, {"admin": admin_token})
    try:
        _wait(lambda: Client(url, timeout=2).health(), timeout, "the gateway to answer")
        net.tokens["user"], agent_tokens = bootstrap(url, admin_token, [c["name"] for c in centers])
        for data in centers:
            name = data["name"]
            center_file = root / "centers" / f"{name}.yaml"
            center_file.parent.mkdir(parents=True, exist_ok=True)
            center_file.write_text(yaml.safe_dump(data, sort_keys=False))
            agent = [
                "agent",
                "--gateway",
                url,
                "--center",
                str(center_file),
                "--workdir",
                str(root / "work" / name),
            ]
            pids[f"agent:{name}"] = _spawn(
                agent, root / "logs" / f"agent-{name}.log", {"C2NET_TOKEN": agent_tokens[name]}
            )
        names = {c["name"] for c in centers}
        _wait(
            lambda: _healthy(url, admin_token, names),
            timeout,
            f"{len(names)} centers to be healthy",
        )
    except BaseException:
        stop_network(net)
        raise
    return net


def _healthy(url: str, token: str, names: set[str]) -> bool:
    with Client(url, token, timeout=2) as c:
        up = {x["name"] for x in c.centers() if x["health"] == "HEALTHY"}
    return names <= up


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(C2netError):
            if check():
                return
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} {last}".strip())


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill_group(pid: int, grace: float = 5.0) -> None:
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        if not _alive(pid):
            break
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_network(net: Network) -> None:
    """Stop agents, then the gateway, then any job process an agent left behind."""
    for _name, pid in sorted(net.pids.items(), key=lambda kv: kv[0] == "gateway"):
        _kill_group(pid)
    for pid_file in Path(net.directory).glob("work/*/attempt-*/pid"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text())
            if _alive(pid):
                _kill_group(pid, grace=1.0)
