"""The ledger's rules: balanced transactions, exact splits, caps, what is billed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from c2net.market.ledger import (
    Book,
    Entry,
    TxnKind,
    balances,
    billable,
    cap_charge,
    is_balanced,
    money_entries,
    reversal,
    split,
    usage_entries,
)
from c2net.market.usage import FEN, MICRO

CENT = Decimal("0.01")


def test_usage_is_consumer_debit_equals_provider_credit_plus_fee() -> None:
    entries = usage_entries(
        consumer=1,
        provider=2,
        center="c",
        gross=Decimal("3.22"),
        charged=Decimal("3.22"),
        fee_rate=Decimal("0.1"),
        shares={"cpu": Decimal("2.4"), "memory": Decimal("0.4")},
        quantum=FEN,
    )
    by = {(e.book, e.resource): e.amount for e in entries}
    # fee 3.22 x 0.1 = 0.322 -> 0.32; the provider's 2.90 splits 2.4 : 0.4 -> 2.485714 :
    # 0.414286, rounded down to 2.48 and 0.41; the fen left goes to the larger remainder (cpu)
    assert by == {
        (Book.WALLET, None): Decimal("-3.22"),
        (Book.REVENUE, "cpu"): Decimal("2.49"),
        (Book.REVENUE, "memory"): Decimal("0.41"),
        (Book.FEES, None): Decimal("0.32"),
    }
    assert is_balanced(entries)


def test_waived_usage_goes_to_the_loss_book() -> None:
    entries = usage_entries(
        consumer=1,
        provider=2,
        center="c",
        gross=Decimal("1.03"),
        charged=Decimal("1.00"),
        fee_rate=Decimal("0.1"),
        shares={"cpu": Decimal(1)},
        quantum=FEN,
    )
    by = {e.book: e.amount for e in entries}
    # the provider is paid on 1.03 (less the 0.10 fee: 0.103 -> 0.10); the platform absorbs 0.03
    assert by == {
        Book.WALLET: Decimal("-1.00"),
        Book.LOSS: Decimal("-0.03"),
        Book.REVENUE: Decimal("0.93"),
        Book.FEES: Decimal("0.10"),
    }
    assert is_balanced(entries)


@pytest.mark.parametrize(
    ("amount", "weights", "quantum", "parts"),
    [
        # 1.00 in three equal parts: 0.33 each and the fen left to the first (by name)
        (Decimal("1.00"), {"a": 1, "b": 1, "c": 1}, CENT, {"a": "0.34", "b": "0.33", "c": "0.33"}),
        # weights 0: equal parts
        (Decimal("0.02"), {"a": 0, "b": 0}, CENT, {"a": "0.01", "b": "0.01"}),
        # negative amounts (a reversal's) split the same way
        (Decimal("-0.05"), {"a": 1, "b": 1}, CENT, {"a": "-0.03", "b": "-0.02"}),
        (Decimal("0.000007"), {"x": 2, "y": 5}, MICRO, {"x": "0.000002", "y": "0.000005"}),
    ],
)
def test_split_is_exact(
    amount: Decimal, weights: dict[str, int], quantum: Decimal, parts: dict[str, str]
) -> None:
    got = split(amount, {k: Decimal(v) for k, v in weights.items()}, quantum)
    assert got == {k: Decimal(v) for k, v in parts.items()}
    assert sum(got.values()) == amount


@pytest.mark.parametrize(
    ("gross", "limits", "charged", "waived"),
    [
        ("5.00", [], "5.00", "0"),
        ("5.00", ["10.00"], "5.00", "0"),
        ("5.00", ["3.00"], "3.00", "2.00"),  # funds left
        ("5.00", ["3.00", "1.00"], "1.00", "4.00"),  # and the budget left, whichever is less
        ("5.00", ["-2.00"], "0", "5.00"),  # already past: nothing more is charged
    ],
)
def test_cap_charge(gross: str, limits: list[str], charged: str, waived: str) -> None:
    got = cap_charge(Decimal(gross), *(Decimal(x) for x in limits))
    assert got == (Decimal(charged), Decimal(waived))


@pytest.mark.parametrize(
    ("state", "reason", "billed"),
    [
        ("SUCCEEDED", "", True),
        ("FAILED", "exit code 1", True),  # the user's program failed: the time was used
        ("CANCELLED", "cancelled by the user", True),
        ("LOST", "lost: center c stopped renewing the lease", False),  # the network's risk
        ("LOST", "preempted (spot) to make room for job 7", True),  # the spot user's risk
        ("CANCELLED", "preempted (spot) before its first checkpoint", True),
    ],
)
def test_billable(state: str, reason: str, billed: bool) -> None:
    assert billable(state, reason) is billed


def test_money_and_reversal_and_replay() -> None:
    top = money_entries(TxnKind.TOPUP, 1, Decimal(100))
    refund = money_entries(TxnKind.REFUND, 1, Decimal(30))
    back = reversal(refund)
    assert all(is_balanced(x) for x in (top, refund, back))
    # 100 in, 30 back out, the refund reversed: 100 on the wallet, -100 in cash
    assert balances(top + refund + back) == {
        (Book.WALLET, 1): Decimal(100),
        (Book.CASH, None): Decimal(-100),
    }
    with pytest.raises(ValueError):
        money_entries(TxnKind.TOPUP, 1, Decimal(0))
    with pytest.raises(ValueError):
        money_entries(TxnKind.USAGE, 1, Decimal(1))
    assert not is_balanced([Entry(Book.WALLET, Decimal(1), 1)])
