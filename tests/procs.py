"""Process helpers for tests that check what a cancel or a fence left running."""

from __future__ import annotations

from pathlib import Path


def pids_in_group(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is `pgid`."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def group_alive(pgid: int) -> bool:
    return bool(pids_in_group(pgid))
