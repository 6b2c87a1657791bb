"""Property-based: random sequences of top-ups, refunds, submissions, placements (the real
scheduler), starts, completions, failures, cancellations, preemptions, price changes,
metering passes, centers killed and gateway restarts, against a real Store (an SQLite file) on
a manual clock. After every step:

- every transaction balances, and so does the whole ledger;
- no consumer's balance is below minus its credit limit (the brakes are on);
- replaying the entries gives every balance the database sums;
- the bill lines (over the months touched) add up to the wallet's change from usage;
- nothing lost is billed;
- a job with a budget is never charged more than it;
- an attempt settled at the flat center costs its price x seconds, to the fen;
- an attempt placed away from its input data is charged its egress once: GB x price per GB.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from c2net.market.ledger import Book, TxnKind, balances, is_balanced
from c2net.market.statements import month_of
from c2net.market.tariff import parse_tariff
from c2net.model import ACTIVE, AccountKind, Job, JobState, parse_spec
from c2net.scheduler import schedule
from c2net.store import Conflict, Store
from c2net.store.ledger import Txn
from tests.builders import center, node

START = 1_700_000_000.0  # 2023-11-15 06:13:20 in Shanghai
FEN = Decimal("0.01")
CENTERS = {
    "flat": center("flat", (2, node(8, 32)), cpu=1.0, mem=0.1),
    "tou": center("tou", (2, node(8, 32)), cpu=0.8, mem=0.1),
}
TOU = {
    "time_of_use": [
        {"period": "peak", "hours": "08:00-12:00", "multiplier": 1.5},
        {"period": "valley", "hours": "23:00-07:00", "multiplier": 0.5},
    ],
    "spot_discount": 0.3,
    "utilization_surcharge": {"above": 0.5, "max": 0.2},
}
CONSUMERS = {"a": 0.0, "b": 5.0}  # name: credit limit
DATA_GB = 0.4  # dataset "d", held at the flat center; moving it costs 0.4 x 0.5 = 0.20
EGRESS = Decimal("0.20")  # at the built-in network's 0.5 per GB


class Market(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="c2net-ledger-"))
        self.url = f"sqlite:///{self.dir / 'c2net.db'}"
        self.store = Store(self.url, heartbeat_timeout=15, lease_seconds=30)
        self.now = START
        s = self.store
        self.ids = {
            name: s.create_account(name, AccountKind.CONSUMER, self.now, credit_limit=c).id
            for name, c in CONSUMERS.items()
        }
        provider = s.create_account("p", AccountKind.PROVIDER, self.now).id
        for c in CENTERS.values():
            s.register_center(c, self.now, {}, owner=provider)
        s.set_tariff("tou", parse_tariff(TOU), self.now)
        s.set_market_settings(self.now, fee_rate=Decimal("0.1"), brakes=True, grace_seconds=60)
        s.post_money(TxnKind.TOPUP, self.ids["a"], Decimal(20), self.now)
        s.post_money(TxnKind.TOPUP, self.ids["b"], Decimal(1), self.now)
        s.register_dataset("d", self.ids["a"], "flat", DATA_GB, self.now)
        self.dead: set[str] = set()
        self.months = {month_of(self.now)}
        self.started: set[int] = set()  # attempts reported RUNNING

    def teardown(self) -> None:
        self.store.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------------ helpers

    def _active(self, state: JobState | None = None) -> list[tuple[int, str, JobState]]:
        out = []
        for job in self.store.jobs():
            for a in job.attempts:
                if a.state in ACTIVE and (state is None or a.state is state):
                    out.append((a.id, a.center, a.state))
        return sorted(out)

    def _tick(self, seconds: float) -> None:
        """Agents start what they were assigned, then time passes and they send heartbeats."""
        for a, c, _ in self._active(JobState.ASSIGNED):
            if c not in self.dead:
                self.store.report(c, a, JobState.RUNNING, self.now)
                self.started.add(a)
        self.now += seconds
        self.months.add(month_of(self.now))
        for name in CENTERS:
            if name not in self.dead:
                held = [a for a, c, _ in self._active() if c == name]
                self.store.heartbeat(name, self.now, held)

    # ------------------------------------------------------------------ rules

    @rule(who=st.sampled_from(sorted(CONSUMERS)), amount=st.integers(1, 5000))
    def top_up(self, who: str, amount: int) -> None:
        self.store.post_money(TxnKind.TOPUP, self.ids[who], Decimal(amount) / 100, self.now)

    @rule(who=st.sampled_from(sorted(CONSUMERS)), amount=st.integers(1, 3000))
    def refund(self, who: str, amount: int) -> None:
        with contextlib.suppress(Conflict):  # more than the balance: refused, nothing booked
            self.store.post_money(TxnKind.REFUND, self.ids[who], Decimal(amount) / 100, self.now)

    @rule(
        who=st.sampled_from(sorted(CONSUMERS)),
        cpus=st.integers(1, 8),
        spot=st.booleans(),
        budget=st.none() | st.integers(10, 500),
        data=st.booleans(),
    )
    def submit(self, who: str, cpus: int, spot: bool, budget: int | None, data: bool) -> None:
        spec = parse_spec(
            {
                "run": "x",
                "resources": {"cpus": cpus, "memory": 2},
                "spot": spot,
                "inputs": ["d"] if data else [],
            }
        )
        self.store.submit_order(
            spec,
            self.now,
            account_id=self.ids[who],
            budget=None if budget is None else Decimal(budget) / 100,
        )
        self.scheduling_cycle()  # a submission wakes the scheduling loop

    @rule()
    def scheduling_cycle(self) -> None:
        self.store.expire_leases(self.now)
        snap, queue = self.store.snapshot(self.now)
        if queue:
            self.store.commit(schedule(snap, queue), self.now)

    @precondition(lambda self: self._active(JobState.ASSIGNED))
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        a, c, _ = data.draw(st.sampled_from(self._active(JobState.ASSIGNED)))
        if c not in self.dead:
            self.store.report(c, a, JobState.RUNNING, self.now)
            self.started.add(a)

    @precondition(lambda self: self._active())
    @rule(
        data=st.data(),
        end=st.sampled_from(["SUCCEEDED", "FAILED", "CANCELLED", "PREEMPTED"]),
        short=st.integers(0, 30),
    )
    def finish(self, data: st.DataObject, end: str, short: int) -> None:
        """An attempt ends; the agent may report a little less wall time than the gateway saw."""
        a, c, _ = data.draw(st.sampled_from(self._active()))
        if c in self.dead:
            return
        attempt = next(x for j in self.store.jobs() for x in j.attempts if x.id == a)
        elapsed = self.now - attempt.started_at if attempt.started_at is not None else 0.0
        wall = max(elapsed - short, 0.0)
        if end == "PREEMPTED":  # a spot attempt stopped for on-demand work: billed
            self.store.report(
                c, a, JobState.LOST, self.now, wall_seconds=wall, reason="preempted (spot)"
            )
        else:
            self.store.report(c, a, JobState(end), self.now, wall_seconds=wall, exit_code=0)

    @precondition(lambda self: self.store.jobs([*ACTIVE, JobState.PENDING]))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        jobs = self.store.jobs([*ACTIVE, JobState.PENDING])
        job = data.draw(st.sampled_from(sorted(jobs, key=lambda j: j.id)))
        self.store.cancel(job.id, self.now)

    @rule(seconds=st.sampled_from([1, 7, 29, 59, 61, 600, 3599, 4 * 3600]))
    def time_passes(self, seconds: int) -> None:
        self._tick(seconds)

    @rule()
    def metering_pass(self) -> None:
        self.store.meter(self.now)

    @rule(flat=st.sampled_from([0.5, 1.0, 2.0]))
    def price_change(self, flat: float) -> None:
        self.store.set_tariff("tou", parse_tariff(TOU | {"flat_multiplier": flat}), self.now)

    @rule(name=st.sampled_from(sorted(CENTERS)))
    def center_killed(self, name: str) -> None:
        """The center stops renewing its leases: its attempts are lost when they run out."""
        self.dead.add(name)
        self._tick(31)
        self.store.expire_leases(self.now)
        self.dead.discard(name)  # it comes back (re-registered) afterwards
        self.store.register_center(CENTERS[name], self.now, {})

    @rule()
    def gateway_restart(self) -> None:
        self.store.engine.dispose()
        self.store = Store(self.url, heartbeat_timeout=15, lease_seconds=30)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def books_are_consistent(self) -> None:
        txns = self.store.transactions()
        jobs = self.store.jobs()
        self._balanced(txns)
        self._replay(txns)
        self._credit()
        self._bills()
        self._lost_and_flat(txns, jobs)
        self._egress(txns, jobs)
        self._budgets(txns, jobs)

    def _balanced(self, txns: list[Txn]) -> None:
        """Every transaction balances, and so does the whole ledger."""
        assert all(is_balanced(t.entries) for t in txns)
        assert sum((e.amount for t in txns for e in t.entries), Decimal(0)) == 0

    def _replay(self, txns: list[Txn]) -> None:
        """Replaying the entries gives the balances the database sums."""
        replayed = {k: v for k, v in balances(e for t in txns for e in t.entries).items() if v}
        summed = {k: v for k, v in self.store.book_totals().items() if v}
        assert replayed == summed

    def _credit(self) -> None:
        for name, limit in CONSUMERS.items():
            assert self.store.balance(self.ids[name], self.now).balance >= -Decimal(str(limit))

    def _bills(self) -> None:
        """The bills' lines add up to the wallet's change from usage."""
        for name, account_id in self.ids.items():
            bills = [self.store.bill(account_id, m) for m in sorted(self.months)]
            usage = sum((b.total for b in bills), Decimal(0))
            moved = sum((b.payments - b.refunds for b in bills), Decimal(0))
            assert moved - usage == self.store.balance(account_id, self.now).balance, name
            for b in bills:
                assert b.closing - b.opening == b.payments - b.refunds - b.total

    def _lost_and_flat(self, txns: list[Txn], jobs: list[Job]) -> None:
        """Nothing lost is billed; at the flat center a settled attempt costs its price x its
        seconds, to the fen."""
        by_attempt: dict[int, list[Txn]] = {}
        for t in txns:
            if t.attempt_id is not None:
                by_attempt.setdefault(t.attempt_id, []).append(t)
        for job in jobs:
            for a in job.attempts:
                mine = by_attempt.get(a.id, [])
                if a.state is JobState.LOST and not a.reason.startswith("preempted"):
                    assert _charged(mine) == 0, a
                settled = [t for t in mine if t.kind is TxnKind.SETTLE]
                if settled and a.center == "flat":
                    (t,) = settled
                    gross = sum(
                        (e.amount for e in t.entries if e.book in (Book.REVENUE, Book.FEES)),
                        Decimal(0),
                    )
                    seconds = Decimal(str(a.wall_seconds)).quantize(Decimal("0.001"))
                    assert gross == (Decimal(str(a.price_per_hour)) * seconds / 3600).quantize(FEN)

    def _egress(self, txns: list[Txn], jobs: list[Job]) -> None:
        """An attempt that started away from its input is charged its egress once (0.4 GB x
        0.5 = 0.20, reversed if it was lost); one at the data, without inputs, or never
        started (the data never moved), none."""
        egress: dict[int, list[Txn]] = {}
        for t in txns:
            if t.kind is TxnKind.EGRESS and t.attempt_id is not None:
                egress.setdefault(t.attempt_id, []).append(t)
        for job in jobs:
            for a in job.attempts:
                mine = egress.get(a.id, [])
                if not job.spec.inputs or a.center == "flat" or a.id not in self.started:
                    assert mine == [], a
                    continue
                (t,) = mine
                gross = sum(
                    (e.amount for e in t.entries if e.book in (Book.REVENUE, Book.FEES)),
                    Decimal(0),
                )
                assert gross == EGRESS

    def _budgets(self, txns: list[Txn], jobs: list[Job]) -> None:
        """A job is never charged more than its budget."""
        for job in jobs:
            budget = self.store.job_budget(job.id)
            if budget is not None:
                assert _charged([t for t in txns if t.job_id == job.id]) <= budget


def _charged(txns: list[Txn]) -> Decimal:
    return -sum((e.amount for t in txns for e in t.entries if e.book is Book.WALLET), Decimal(0))


TestMarket = Market.TestCase
TestMarket.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
