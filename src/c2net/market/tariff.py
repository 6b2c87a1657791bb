"""Price plans per center, like an electricity tariff: time-of-use bands (peak, flat, valley) in
the center's time zone, a spot discount and an optional utilization surcharge, on top of the
center's unit prices (per cpu-hour, GB-hour and accelerator-hour by type), plus egress per GB.

A center file may carry a `tariff:` section::

    tariff:
      timezone: Asia/Shanghai          # the center's time zone (the default)
      time_of_use:                     # hours not listed are "flat"
        - {period: peak, hours: "08:00-11:00", multiplier: 1.5}
        - {period: valley, hours: "23:00-07:00", multiplier: 0.5}
      flat_multiplier: 1.0
      spot_discount: 0.3               # spot jobs pay 70% of the on-demand price
      utilization_surcharge: {above: 0.7, max: 0.3}   # +0..30% from 70% busy to 100%
      egress_gb: 0.5                   # per GB leaving the center (absent: the network's)

Pure: no I/O, no clock; times are seconds since the epoch passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TIMEZONE",
    "Band",
    "Surcharge",
    "Tariff",
    "TariffSegment",
    "parse_tariff",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_KEYS = {
    "timezone",
    "time_of_use",
    "flat_multiplier",
    "spot_discount",
    "utilization_surcharge",
    "egress_gb",
}
_DAY = 24 * 60
_LOW, _HIGH = Decimal("0.01"), Decimal(100)  # bounds of a multiplier


@dataclass(frozen=True)
class Band:
    """A time-of-use band: minutes of the local day [start, end), wrapping past midnight when
    end <= start."""

    period: str
    start: int
    end: int
    multiplier: Decimal

    def covers(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def hours(self) -> str:
        return (
            f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"
        )


@dataclass(frozen=True)
class Surcharge:
    """The busier, the dearer: 0 below `above` utilization, rising linearly to `max` at 100%."""

    above: Decimal
    max: Decimal

    def factor(self, utilization: float) -> Decimal:
        u = Decimal(str(min(max(utilization, 0.0), 1.0)))
        if u <= self.above or self.above >= 1:
            return Decimal(1)
        return 1 + self.max * (u - self.above) / (1 - self.above)


@dataclass(frozen=True)
class TariffSegment:
    """A stretch of time under one time-of-use period."""

    start: float
    end: float
    period: str
    multiplier: Decimal


@dataclass(frozen=True)
class Tariff:
    timezone: str = DEFAULT_TIMEZONE
    bands: tuple[Band, ...] = ()
    flat_multiplier: Decimal = Decimal(1)
    spot_discount: Decimal = Decimal(0)
    surcharge: Surcharge | None = None
    egress_gb: Decimal | None = None  # per GB sent out of the center; None: the network's price

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def period_at(self, ts: float) -> tuple[str, Decimal]:
        """The time-of-use period in force at `ts` and its multiplier."""
        local = datetime.fromtimestamp(ts, self.zone)
        minute = local.hour * 60 + local.minute
        for band in self.bands:
            if band.covers(minute):
                return band.period, band.multiplier
        return "flat", self.flat_multiplier

    def multiplier_at(self, ts: float) -> Decimal:
        return self.period_at(ts)[1]

    def spot_factor(self) -> Decimal:
        return 1 - self.spot_discount

    def surcharge_factor(self, utilization: float) -> Decimal:
        return Decimal(1) if self.surcharge is None else self.surcharge.factor(utilization)

    def segments(self, start: float, end: float) -> list[TariffSegment]:
        """[start, end) cut where the time-of-use period changes (merged when two adjacent
        bands share period and multiplier). For spans of a few days; `seconds_by_period`
        handles any length."""
        out: list[TariffSegment] = []
        t = start
        while t < end:
            period, mult = self.period_at(t)
            stop = min(self._next_boundary(t), end)
            if out and out[-1].period == period and out[-1].multiplier == mult:
                out[-1] = TariffSegment(out[-1].start, stop, period, mult)
            else:
                out.append(TariffSegment(t, stop, period, mult))
            t = stop
        return out

    def seconds_by_period(self, start: float, end: float) -> dict[tuple[str, Decimal], float]:
        """Seconds of [start, end) under each (period, multiplier), in order of first use.
        Whole local days in the middle are counted once and multiplied (a day has 24 hours:
        time-of-use tariffs here are in zones without daylight saving, such as China's)."""
        out: dict[tuple[str, Decimal], float] = {}

        def add(a: float, b: float, times: int = 1) -> None:
            for seg in self.segments(a, b):
                key = (seg.period, seg.multiplier)
                out[key] = out.get(key, 0.0) + (seg.end - seg.start) * times

        if not self.bands or end - start <= 2 * 86400:
            if end > start:
                add(start, end)
            return out
        local = datetime.fromtimestamp(start, self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        first = midnight.timestamp()
        days = int((end - first) // 86400)
        add(start, first)
        add(first, first + 86400, days)
        add(first + days * 86400, end)
        return out

    def _next_boundary(self, ts: float) -> float:
        """The first band edge (or local midnight) strictly after ts."""
        local = datetime.fromtimestamp(ts, self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        edges = sorted({b.start for b in self.bands} | {b.end for b in self.bands} | {_DAY})
        for day in (0, 1):
            for edge in edges:
                at = (midnight + timedelta(days=day, minutes=edge)).timestamp()
                if at > ts:
                    return at
        return ts + 86400.0  # unreachable: midnight of the next day is always an edge

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "timezone": self.timezone,
            "time_of_use": [
                {"period": b.period, "hours": b.hours(), "multiplier": str(b.multiplier)}
                for b in self.bands
            ],
            "flat_multiplier": str(self.flat_multiplier),
            "spot_discount": str(self.spot_discount),
        }
        if self.egress_gb is not None:
            out["egress_gb"] = str(self.egress_gb)
        if self.surcharge is not None:
            out["utilization_surcharge"] = {
                "above": str(self.surcharge.above),
                "max": str(self.surcharge.max),
            }
        return out


def _decimal(value: object, where: str, *, low: Decimal, high: Decimal | None = None) -> Decimal:
    try:
        if isinstance(value, bool):
            raise TypeError
        out = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"tariff.{where}: expected a number, got {value!r}") from None
    if not out.is_finite() or out < low or (high is not None and out > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"tariff.{where}: must be {bound}, got {value!r}")
    return out


def _band(item: object, i: int) -> Band:
    where = f"time_of_use[{i}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"tariff.{where}: expected {{period, hours: HH:MM-HH:MM, multiplier}}")
    unknown = set(item) - {"period", "hours", "multiplier"}
    if unknown:
        raise ValueError(f"tariff.{where}: unknown keys {sorted(unknown)}")
    period = str(item.get("period", "")).strip()
    if not period:
        raise ValueError(f"tariff.{where}.period: required (peak, flat, valley, ...)")
    m = _HOURS.match(str(item.get("hours", "")))
    if not m:
        raise ValueError(f"tariff.{where}.hours: expected HH:MM-HH:MM, got {item.get('hours')!r}")
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"tariff.{where}.hours: not a time of day: {item.get('hours')!r}")
    start, end = (h1 * 60 + m1) % _DAY, (h2 * 60 + m2) % _DAY
    if start == end:
        raise ValueError(f"tariff.{where}.hours: empty band {item.get('hours')!r}")
    mult = _decimal(item.get("multiplier"), f"{where}.multiplier", low=_LOW, high=_HIGH)
    return Band(period, start, end, mult)


def _overlaps(a: Band, b: Band) -> bool:
    return any(b.covers(minute) for minute in range(_DAY) if a.covers(minute))


def parse_tariff(data: Mapping[str, Any] | None) -> Tariff:
    """A Tariff from a center file's `tariff:` section (None or {} = flat, no extras)."""
    if not data:
        return Tariff()
    if not isinstance(data, Mapping):
        raise ValueError("tariff: expected a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"tariff: unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    zone = str(data.get("timezone", DEFAULT_TIMEZONE))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise ValueError(f"tariff.timezone: unknown time zone {zone!r}") from None
    raw = data.get("time_of_use") or []
    if not isinstance(raw, list):
        raise ValueError("tariff.time_of_use: expected a list of bands")
    bands = tuple(_band(item, i) for i, item in enumerate(raw))
    for i, a in enumerate(bands):
        for b in bands[i + 1 :]:
            if _overlaps(a, b):
                raise ValueError(f"tariff.time_of_use: bands {a.hours()} and {b.hours()} overlap")
    surcharge = None
    if data.get("utilization_surcharge"):
        s = data["utilization_surcharge"]
        if not isinstance(s, Mapping) or set(s) - {"above", "max"}:
            raise ValueError("tariff.utilization_surcharge: expected {above: 0..1, max: >= 0}")
        surcharge = Surcharge(
            _decimal(
                s.get("above", 0.7), "utilization_surcharge.above", low=Decimal(0), high=Decimal(1)
            ),
            _decimal(
                s.get("max", 0), "utilization_surcharge.max", low=Decimal(0), high=Decimal(10)
            ),
        )
    return Tariff(
        timezone=zone,
        bands=bands,
        flat_multiplier=_decimal(
            data.get("flat_multiplier", 1), "flat_multiplier", low=_LOW, high=_HIGH
        ),
        spot_discount=_decimal(
            data.get("spot_discount", 0), "spot_discount", low=Decimal(0), high=Decimal("0.99")
        ),
        surcharge=surcharge,
        egress_gb=None
        if data.get("egress_gb") is None
        else _decimal(data["egress_gb"], "egress_gb", low=Decimal(0), high=Decimal(1_000_000)),
    )
