"""Center backends behind one protocol: local processes, Slurm, Ray.

`make_backend` picks the implementation named by the center file's `backend:` key and hands it
the file's `backend_options:` mapping. Backends with heavy client libraries import lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from c2net.agent.backends.base import Backend, BackendError, Capabilities, Task, TaskStatus
from c2net.agent.backends.local import LocalBackend
from c2net.model import Center

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "Capabilities",
    "LocalBackend",
    "Task",
    "TaskStatus",
    "make_backend",
]

# name -> "module:Class"; each class has from_center(center, options, workdir) -> Backend
BACKENDS: dict[str, str] = {
    "local": "c2net.agent.backends.local:LocalBackend",
    "slurm": "c2net.agent.backends.slurm:SlurmBackend",
    "ray": "c2net.agent.backends.ray:RayBackend",
}


def make_backend(center: Center, options: Mapping[str, Any], workdir: str | Path) -> Backend:
    target = BACKENDS.get(center.backend)
    if target is None:
        known = ", ".join(sorted(BACKENDS))
        raise BackendError(f"center {center.name}: unknown backend {center.backend!r} ({known})")
    module, cls = target.split(":")
    try:
        factory = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as exc:
        raise BackendError(f"backend {center.backend!r} is not available: {exc}") from exc
    backend: Backend = factory.from_center(center, options, Path(workdir))
    return backend
