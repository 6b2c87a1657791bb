"""The fault suite's rig: gateways and agents as real processes that a test kills, restarts and
cuts off; a loopback TCP proxy (a load balancer over replicas, or a cable to pull); the jobs'
shared journal and the checks every fault test ends with.

Every process is started here with its Popen handle, stopped by pid and waited for; `close()`
leaves nothing behind, job processes included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, inspect, text

from c2net.cli.launcher import bootstrap, free_port
from c2net.client import C2netError, Client

__all__ = ["Cluster", "Journal", "Proc", "Proxy", "check_ledger", "journal_run", "wait_for"]

ADMIN_TOKEN = "c2n_fault-suite-operator"


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll until `check()` is truthy (errors from an unreachable gateway count as no)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(C2netError, OSError):
            got = check()
            if got:
                return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


# ---------------------------------------------------------------------- processes


@dataclass
class Proc:
    """A c2net process (`python -m c2net ARGS`), its own process group, output to `log`."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "c2net", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **self.env},
            )
        self.starts += 1
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the process (not its jobs: they run in sessions of their own) and reap it."""
        if self.popen is not None:
            self.signal(signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGCONT)
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


# ---------------------------------------------------------------------- the proxy


class Proxy:
    """A loopback TCP proxy. With several upstreams it is a load balancer that skips the dead
    ones; `pause()` pulls the cable (open connections are cut, new ones closed at once)."""

    def __init__(self, upstreams: Iterable[int]) -> None:
        self.upstreams = list(upstreams)
        self.paused = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._next = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pause(self) -> None:
        self.paused = True
        with self._guard:
            for s in list(self._open):
                _close(s)
            self._open.clear()

    def resume(self) -> None:
        self.paused = False

    def close(self) -> None:
        self._closed = True
        self.pause()
        _close(self._listener)

    def _upstream(self) -> socket.socket | None:
        for _ in range(len(self.upstreams)):
            port = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            with contextlib.suppress(OSError):
                return socket.create_connection(("127.0.0.1", port), timeout=2)
        return None

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = None if self.paused else self._upstream()
            if upstream is None:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._guard:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self.paused:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                _close(s)
            with self._guard:
                self._open -= {src, dst}


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()


# ---------------------------------------------------------------------- the network


@dataclass
class Cluster:
    """Gateway replicas over one database and one agent per center, as processes."""

    root: Path
    db_url: str
    centers: list[dict[str, Any]]
    replicas: int = 1
    server_args: tuple[str, ...] = ()
    agent_interval: float = 0.2
    gateways: list[Proc] = field(default_factory=list)
    agents: dict[str, Proc] = field(default_factory=dict)
    proxies: dict[str, Proxy] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    user_token: str = ""

    def start(self, via_proxy: Iterable[str] = ()) -> Cluster:
        """Start the gateways (one after the other), then the agents; centers in `via_proxy`
        reach the gateway through a proxy of their own (to be cut off later)."""
        self.ports = [free_port() for _ in range(self.replicas)]
        self.gateways = [self._gateway(i) for i in range(self.replicas)]
        for i, gw in enumerate(self.gateways):
            gw.start()
            self.wait_gateway(i)
        self.proxies["lb"] = Proxy(self.ports)  # what agents and users talk to
        agent_tokens: dict[str, str]
        self.user_token, agent_tokens = bootstrap(
            self.url, ADMIN_TOKEN, [c["name"] for c in self.centers]
        )
        for data in self.centers:
            name = data["name"]
            via = self.url
            if name in set(via_proxy):
                self.proxies[name] = Proxy([self.proxies["lb"].port])
                via = self.proxies[name].url
            center_file = self.root / "centers" / f"{name}.yaml"
            center_file.parent.mkdir(parents=True, exist_ok=True)
            center_file.write_text(yaml.safe_dump(data, sort_keys=False))
            self.agents[name] = Proc(
                f"agent-{name}",
                [
                    "agent",
                    "--gateway",
                    via,
                    "--center",
                    str(center_file),
                    "--workdir",
                    str(self.workdir(name)),
                    "--interval",
                    str(self.agent_interval),
                ],
                self.root / "logs" / f"agent-{name}.log",
                {"C2NET_TOKEN": agent_tokens[name]},
            ).start()
        wait_for(lambda: self.healthy() >= {c["name"] for c in self.centers}, 60, "centers")
        return self

    @property
    def url(self) -> str:
        return self.proxies["lb"].url if "lb" in self.proxies else self.gateway_url(0)

    def gateway_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    def workdir(self, center: str) -> Path:
        return self.root / "work" / center

    def _gateway(self, i: int) -> Proc:
        args = ["server", "--host", "127.0.0.1", "--port", str(self.ports[i])]
        args += ["--db", self.db_url, *self.server_args]
        env = {"C2NET_ADMIN_TOKEN": ADMIN_TOKEN}
        return Proc(f"gateway-{i}", args, self.root / "logs" / f"gateway-{i}.log", env)

    def wait_gateway(self, i: int) -> None:
        wait_for(lambda: Client(self.gateway_url(i), timeout=2).health(), 60, f"gateway {i}")

    def restart_gateway(self, i: int) -> None:
        self.gateways[i].kill()
        self.gateways[i].start()
        self.wait_gateway(i)

    def leader(self) -> int | None:
        """The replica that leads the scheduling loop now (None while nobody does)."""
        for i, gw in enumerate(self.gateways):
            if gw.alive():
                with contextlib.suppress(C2netError):
                    if Client(self.gateway_url(i), timeout=2).health()["leader"]:
                        return i
        return None

    def healthy(self) -> set[str]:
        with Client(self.url, ADMIN_TOKEN, timeout=5) as admin:
            return {c["name"] for c in admin.centers() if c["health"] == "HEALTHY"}

    def user(self) -> Client:
        return Client(self.url, self.user_token, timeout=30)

    def close(self) -> None:
        for proc in [*self.agents.values(), *self.gateways]:
            proc.stop()
        for proxy in self.proxies.values():
            proxy.close()
        for pid_file in self.root.glob("work/*/attempt-*/pid"):  # jobs an agent left behind
            with contextlib.suppress(ValueError, OSError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def submit_all(
    client: Client,
    specs: Iterable[Mapping[str, Any]],
    keys: Iterable[str],
    ids: list[int],
    room: Callable[[], bool] = lambda: True,
) -> None:
    """Submit each spec with its idempotency key, retrying through gateway restarts until the
    gateway answers; the job ids go to `ids` (the jobs the network accepted). Before each
    submit, wait until `room()` says the queue can take more (a steady stream, not a flood)."""
    for spec, key in zip(specs, keys, strict=True):
        while not room():
            time.sleep(0.1)
        while True:
            try:
                ids.append(int(client.submit(dict(spec), idempotency_key=key)["id"]))
                break
            except C2netError as exc:
                if exc.status not in (0, 429, 500, 502, 503):
                    raise
                time.sleep(0.1)


# ---------------------------------------------------------------------- the journal


def journal_run(journal: Path, seconds: float) -> str:
    """A job's command: append `start`/`end` lines with its job, attempt and time to the
    shared journal (one short O_APPEND write each: lines never interleave)."""
    line = f'$C2NET_JOB_ID $C2NET_ATTEMPT_ID $EPOCHREALTIME" >> {journal}'
    return f'echo "start {line}; sleep {seconds}; echo "end {line}'


@dataclass
class Journal:
    """What the jobs wrote: per job, per attempt, [start, end] (end None: never ended)."""

    runs: dict[int, dict[int, list[float | None]]]

    @classmethod
    def read(cls, path: Path) -> Journal:
        runs: dict[int, dict[int, list[float | None]]] = defaultdict(dict)
        for raw in path.read_text().splitlines() if path.exists() else []:
            what, job, attempt, at = raw.split()
            span = runs[int(job)].setdefault(int(attempt), [None, None])
            span[0 if what == "start" else 1] = float(at)
        return cls(dict(runs))

    def unfinished(self) -> list[tuple[int, int]]:
        return [(j, a) for j, spans in self.runs.items() for a, s in spans.items() if None in s]

    def overlapping(self) -> list[tuple[int, int, int]]:
        """(job, attempt, attempt) whose runs overlapped in time: a job run twice at once. A run
        without an end counts as running for ever."""
        out = []
        for job, spans in self.runs.items():
            items = sorted(spans.items())
            for i, (a, (s1, e1)) in enumerate(items):
                for b, (s2, e2) in items[i + 1 :]:
                    end1 = float("inf") if e1 is None else e1
                    end2 = float("inf") if e2 is None else e2
                    if (s1 or 0.0) < end2 and (s2 or 0.0) < end1:
                        out.append((job, a, b))
        return out


def check_ledger(db_url: str) -> int:
    """Every ledger transaction balances (debits = credits); returns how many there are
    (0 when the ledger's tables are not in this database)."""
    engine = create_engine(db_url)
    try:
        if "ledger_entries" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            unbalanced = conn.execute(
                text(
                    "SELECT txn_id, sum(amount_micro) FROM ledger_entries GROUP BY txn_id"
                    " HAVING sum(amount_micro) != 0"
                )
            ).all()
            assert unbalanced == [], f"unbalanced ledger transactions: {unbalanced[:10]}"
            return int(conn.execute(text("SELECT count(*) FROM ledger_txns")).scalar_one())
    finally:
        engine.dispose()


def rows(db_url: str, query: str, **params: Any) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(query), params).mappings()]
    finally:
        engine.dispose()


@contextlib.contextmanager
def running(cluster: Cluster) -> Iterator[Cluster]:
    try:
        yield cluster
    finally:
        cluster.close()
