from __future__ import annotations

from decimal import Decimal

import pytest

from c2net.market.egress import EgressLine, egress_entries, egress_lines, egress_price
from c2net.market.ledger import Book, balances, is_balanced
from c2net.market.tariff import Tariff, parse_tariff
from c2net.scheduler import Dataset

DATA = {"big": Dataset("a", 12.5), "small": Dataset("b", 0.333), "here": Dataset("c", 50.0)}
PRICES = {"a": Decimal("0.5"), "b": Decimal("0.8")}


@pytest.mark.parametrize(
    ("tariff", "expected"),
    [
        (None, Decimal("0.5")),  # no tariff: the network's price
        (Tariff(), Decimal("0.5")),  # a tariff without an egress price: the network's
        (parse_tariff({"egress_gb": 0.2}), Decimal("0.2")),
        (parse_tariff({"egress_gb": 0}), Decimal("0")),  # a center may send for free
    ],
)
def test_price_is_the_senders_tariff_else_the_networks(
    tariff: Tariff | None, expected: Decimal
) -> None:
    assert egress_price(tariff, 0.5) == expected


def test_lines_for_inputs_held_elsewhere_only() -> None:
    lines = egress_lines(["big", "small", "here", "unknown", "big"], DATA, "c", PRICES.__getitem__)
    assert lines == [
        # 12.5 x 0.5 = 6.25
        EgressLine("big", "a", Decimal("12.5"), Decimal("0.5"), Decimal("6.25")),
        # 0.333 x 0.8 = 0.2664 -> 0.27 (to the fen)
        EgressLine("small", "b", Decimal("0.333"), Decimal("0.8"), Decimal("0.27")),
    ]
    assert egress_lines(["big"], DATA, "a", PRICES.__getitem__) == []


def test_entries_pay_the_sending_provider_and_the_platform_fee() -> None:
    lines = egress_lines(["big", "small"], DATA, "c", PRICES.__getitem__)
    entries = egress_entries(
        consumer=1,
        lines=lines,
        providers={"a": 10, "b": 20},
        charged=Decimal("6.52"),
        fee_rate=Decimal("0.1"),
    )
    assert is_balanced(entries)
    got = balances(entries)
    # 6.25 + 0.27 = 6.52 charged; fees 0.625 -> 0.62 (half even) and 0.027 -> 0.03
    assert got[(Book.WALLET, 1)] == Decimal("-6.52")
    assert got[(Book.FEES, None)] == Decimal("0.65")
    assert (got[(Book.REVENUE, 10)], got[(Book.REVENUE, 20)]) == (Decimal("5.63"), Decimal("0.24"))
    assert {e.resource for e in entries if e.book is Book.REVENUE} == {"egress"}
    assert {e.center for e in entries if e.book is Book.REVENUE} == {"a", "b"}


def test_what_cannot_be_charged_is_the_platforms_loss() -> None:
    lines = egress_lines(["big", "small"], DATA, "c", PRICES.__getitem__)
    entries = egress_entries(
        consumer=1, lines=lines, providers={}, charged=Decimal("6.00"), fee_rate=Decimal(0)
    )
    assert is_balanced(entries)
    got = balances(entries)
    # the consumer can pay 6.00 of 6.52: the first line takes 6.00 (0.25 waived), the second
    # none (0.27 waived); the providers are paid in full
    assert got[(Book.WALLET, 1)] == Decimal("-6.00")
    assert got[(Book.LOSS, None)] == Decimal("-0.52")
    assert got[(Book.REVENUE, None)] == Decimal("6.52")
