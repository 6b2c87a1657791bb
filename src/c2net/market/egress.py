"""Egress: the data a job reads, moved out of the center that holds it to the center the job
runs at. Like a cloud's data transfer out, it is charged per GB at the sending center's price
(its tariff's `egress_gb`, else the network's `egress_per_gb`), once per attempt placed away
from the data, and booked like usage: the consumer's debit = the sending center's provider
credit + the platform fee. Pure: the store books the entries these functions make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from c2net.market.ledger import Entry, usage_entries
from c2net.market.tariff import Tariff
from c2net.market.usage import FEN, quantize

__all__ = [
    "EGRESS",
    "EgressLine",
    "HeldData",
    "egress_entries",
    "egress_lines",
    "egress_price",
]

EGRESS = "egress"  # the resource a sending provider's egress revenue is reported under


class HeldData(Protocol):
    """Where a dataset is stored and how big it is (scheduler.Dataset, store.DatasetRecord)."""

    @property
    def center(self) -> str: ...
    @property
    def size_gb(self) -> float: ...


@dataclass(frozen=True)
class EgressLine:
    """One dataset moved for one attempt: cost = gb x price_per_gb, to the quantum."""

    dataset: str
    source: str  # the center that holds it and sends it
    gb: Decimal
    price_per_gb: Decimal
    cost: Decimal


def egress_price(tariff: Tariff | None, default: float | Decimal) -> Decimal:
    """The price per GB sent out of a center: its tariff's, or the network's."""
    if tariff is not None and tariff.egress_gb is not None:
        return tariff.egress_gb
    return Decimal(str(default))


def egress_lines(
    inputs: Iterable[str],
    datasets: Mapping[str, HeldData],
    center: str,
    price_of: Callable[[str], Decimal],
    quantum: Decimal = FEN,
) -> list[EgressLine]:
    """The inputs a job placed at `center` must receive from elsewhere, each priced at its
    source's `price_of(source)` per GB. Inputs held at `center`, or unknown, move nothing."""
    out = []
    for name in dict.fromkeys(inputs):
        held = datasets.get(name)
        if held is None or held.center == center:
            continue
        gb = Decimal(str(held.size_gb))
        price = price_of(held.center)
        out.append(EgressLine(name, held.center, gb, price, quantize(gb * price, quantum)))
    return out


def egress_entries(
    *,
    consumer: int,
    lines: Sequence[EgressLine],
    providers: Mapping[str, int | None],
    charged: Decimal,
    fee_rate: Decimal,
    quantum: Decimal = FEN,
) -> list[Entry]:
    """The entries of one attempt's egress: per line, the consumer pays (of `charged`, the
    lines in order; the rest is the platform's loss), the platform keeps `fee_rate` x the
    line's cost and the sending center's provider (`providers[source]`) the remainder."""
    entries: list[Entry] = []
    left = charged
    for line in lines:
        paid = min(left, line.cost)
        left -= paid
        entries += usage_entries(
            consumer=consumer,
            provider=providers.get(line.source),
            center=line.source,
            gross=line.cost,
            charged=paid,
            fee_rate=fee_rate,
            shares={EGRESS: Decimal(1)},
            quantum=quantum,
        )
    return entries
