"""Pure parsers for the text Slurm's commands print: no subprocess, no clock, no files.

`scontrol show -o` and the jobcomp file print `Key=Value` records, one per line; `squeue -o` and
`sacct -P` print fields separated by `|`. Values may hold spaces (`OS=Linux 6.1 #1 SMP`) and `=`
(`AllocTRES=cpu=2,mem=100M`), so a key starts only after whitespace and is followed by `=`.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = [
    "SACCT_FIELDS",
    "SQUEUE_FIELDS",
    "SQUEUE_FORMAT",
    "parse_exit_code",
    "parse_gres",
    "parse_memory_mb",
    "parse_records",
    "parse_table",
    "parse_time",
    "seconds_between",
]

# squeue -h -o SQUEUE_FORMAT: job id, state, reason, start time, end time, node list.
SQUEUE_FIELDS = ("JobID", "State", "Reason", "Start", "End", "NodeList")
SQUEUE_FORMAT = "%i|%T|%r|%S|%e|%N"
# sacct -P -o ...: what the jobcomp file (sacct -c) and slurmdbd both know.
SACCT_FIELDS = ("JobID", "State", "ExitCode", "Start", "End", "NodeList")

_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_/:.]*)=")
_GRES_ITEM = re.compile(r"^([^:()]+)(?::([^:()]+))?(?::(\d+))?")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([KMGTP]?)$")
_MEMORY_UNIT_MB = {"K": 1 / 1024, "": 1.0, "M": 1.0, "G": 1024.0, "T": 1024.0**2, "P": 1024.0**3}
_UNSET = {"", "unknown", "none", "n/a", "(null)"}


def parse_records(text: str) -> list[dict[str, str]]:
    """`Key=Value ...` lines (scontrol show -o, the jobcomp file) -> one dict per line."""
    records = []
    for line in text.splitlines():
        matches = list(_KEY.finditer(line))
        if not matches:
            continue
        record = {}
        for match, following in zip(matches, [*matches[1:], None], strict=True):
            end = following.start() if following is not None else len(line)
            record[match.group(1)] = line[match.end() : end].strip()
        records.append(record)
    return records


def parse_table(text: str, fields: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """`|`-separated rows -> dicts; the first line is the header unless `fields` is given."""
    lines = [line for line in text.splitlines() if line.strip()]
    if fields is None:
        if not lines:
            return []
        fields = tuple(lines[0].split("|"))
        lines = lines[1:]
    rows = []
    for line in lines:
        values = line.split("|")
        # a free-text last field (a reason) may itself contain `|`: keep it whole
        head, tail = values[: len(fields) - 1], values[len(fields) - 1 :]
        rows.append(dict(zip(fields, [*head, "|".join(tail)], strict=False)))
    return rows


def parse_gres(text: str) -> dict[str, int]:
    """`gpu:a100:2(S:0-1),gpu:t4:1` or `gpu:1(IDX:0)` -> {type: count} for GPUs only.

    A GPU without a type is counted under `gpu`; other GRES (licenses, mps, shards) are ignored.
    """
    out: dict[str, int] = {}
    if text.strip().lower() in _UNSET:
        return out
    for item in _split_gres(text):
        match = _GRES_ITEM.match(item.strip())
        if not match or match.group(1) != "gpu":
            continue
        second, count = match.group(2), match.group(3)
        if count is None and second is not None and second.isdigit():
            gres_type, number = "gpu", int(second)  # gpu:2
        else:
            gres_type, number = second or "gpu", int(count) if count is not None else 1
        out[gres_type] = out.get(gres_type, 0) + number
    return out


def _split_gres(text: str) -> list[str]:
    """Split on commas outside parentheses (`gpu:a100:2(S:0,1)` keeps its socket list)."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


def parse_memory_mb(text: str) -> float:
    """Slurm memory (`3072`, `100M`, `3G`, `512K`) in MB (Slurm's M is 1024 KB)."""
    match = _MEMORY.match(text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is not a Slurm memory size")
    return float(match.group(1)) * _MEMORY_UNIT_MB[match.group(2)]


def parse_exit_code(text: str) -> tuple[int, int]:
    """`ExitCode=7:0` -> (7, 0): the exit code and the signal that ended the job (0 if none)."""
    code, _, sig = text.strip().partition(":")
    return int(code or 0), int(sig or 0)


def parse_time(text: str) -> datetime | None:
    """Slurm's `2026-11-29T04:17:44` (cluster local time); None for Unknown/None/N/A."""
    if text.strip().lower() in _UNSET:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def seconds_between(start: str, end: str) -> float | None:
    """Seconds from a start to an end time as Slurm prints them; None when either is unset."""
    t0, t1 = parse_time(start), parse_time(end)
    if t0 is None or t1 is None:
        return None
    return max((t1 - t0).total_seconds(), 0.0)
