"""Center backends behind one protocol: local processes (and, later, Slurm, Ray...)."""

from c2net.agent.backends.base import Backend, BackendError, Capabilities, Task, TaskStatus
from c2net.agent.backends.local import LocalBackend

__all__ = ["Backend", "BackendError", "Capabilities", "LocalBackend", "Task", "TaskStatus"]
