"""The database schema (SQLAlchemy Core): centers, jobs, attempts, log chunks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

__all__ = [
    "accounts",
    "attempts",
    "centers",
    "datasets",
    "jobs",
    "logs",
    "metadata",
    "pool_samples",
    "tokens",
    "users",
]

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # consumer | provider | operator
    Column("currency", String(8), nullable=False, default="CNY"),
    Column("credit_limit", Float, nullable=False, default=0.0),
    Column("created_at", Float, nullable=False),
    # the scheduler's view of the tenant: fair-share weight, quota (None: no limit), home hub
    Column("weight", Float, nullable=False, default=1.0, server_default="1.0"),
    Column("max_cpus", Float),
    Column("max_memory_gb", Float),
    Column("max_accelerators", Integer),
    Column("home", String(128), nullable=False, default="", server_default=""),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(64), nullable=False, default=""),
    Column("digest", String(64), nullable=False, unique=True),  # sha256 of the secret
    Column("prefix", String(16), nullable=False),  # shown in listings, never the secret
    Column("center", String(128)),  # agent tokens act for this center only
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("revoked_at", Float),
)

centers = Table(
    "centers",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("seq", Integer, nullable=False),  # registration order: the network order
    Column("hub", String(128), nullable=False),
    Column("region", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("backend", String(32), nullable=False),
    Column("emulated", Boolean, nullable=False, default=False),
    Column("pools", JSON, nullable=False),
    Column("prices", JSON, nullable=False),
    Column("registered_at", Float, nullable=False),
    Column("last_heartbeat", Float, nullable=False),
    Column("agent", JSON, nullable=False, default=dict),  # agent version, host, backend info
    Column("owner_account_id", Integer, ForeignKey("accounts.id")),  # the provider
    Column("reported_free", JSON),  # per node, as the center's own scheduler sees it
    Column("backend_error", Text, nullable=False, default=""),  # the cluster is unreachable
    Column("elastic", Boolean, nullable=False, default=False, server_default=false()),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("reason", Text, nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=list),  # exclusions behind the reason
    Column("center", String(128)),
    Column("submitted_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("exit_code", Integer),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("max_retries", Integer, nullable=False, default=3),
    Column("log_size", Integer, nullable=False, default=0),
    Column("idempotency_key", String(128)),
    Column("account_id", Integer, ForeignKey("accounts.id"), index=True),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("reason_code", String(32)),  # a pending job's main reason (plan.ReasonCode)
    Column("estimated_start", Float),  # a pending job's estimated start (None: unknown)
    UniqueConstraint("account_id", "idempotency_key", name="uq_jobs_account_idempotency"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("center", String(128), nullable=False, index=True),
    Column("node", Integer, nullable=False),
    Column("nodes", JSON),  # every node of a gang (num_nodes > 1); NULL means [node]
    Column("resources", JSON, nullable=False),
    Column("price_per_hour", Float, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("assigned_at", Float, nullable=False),
    Column("lease_expires_at", Float, nullable=False),
    Column("started_at", Float),
    Column("ended_at", Float),
    Column("wall_seconds", Float),
    Column("exit_code", Integer),
    Column("reason", Text, nullable=False, default=""),
    Column("backend_id", String(256), nullable=False, default=""),
    Column("log_size", Integer, nullable=False, default=0),
    # set when the scheduler preempts this (spot) attempt: the agent stops it (SIGTERM, grace)
    Column("preempted_reason", Text),
)

logs = Table(
    "logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False),
    Column("attempt_id", Integer, ForeignKey("attempts.id"), nullable=False),
    Column("offset", Integer, nullable=False),  # position of the chunk in the job's whole log
    Column("data", Text, nullable=False),
)
Index("ix_logs_job_offset", logs.c.job_id, logs.c.offset)

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(128), primary_key=True),  # network-wide, like a bucket name
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("center", String(128), nullable=False),  # where it is stored
    Column("size_gb", Float, nullable=False),
    Column("created_at", Float, nullable=False),
)

pool_samples = Table(  # utilization history, one row per center per sample
    "pool_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("center", String(128), nullable=False),
    Column("cpus", Float, nullable=False),
    Column("cpus_used", Float, nullable=False),
    Column("accelerators", Integer, nullable=False),
    Column("accelerators_used", Integer, nullable=False),
    Column("healthy", Boolean, nullable=False),
    Column("memory_gb", Float),  # NULL in samples taken before memory was sampled
    Column("memory_gb_used", Float),
)

# ---------------------------------------------------------------- the market (money) tables
# Amounts are whole millionths of a yuan (micro-yuan) in BigInteger columns: exact, and summed
# exactly by the database. Ledger rows are only ever inserted.

__all__ += [
    "account_money",
    "attempt_terms",
    "center_tariffs",
    "job_terms",
    "ledger_entries",
    "ledger_txns",
    "market_events",
    "market_settings",
    "quotes",
]

ledger_txns = Table(
    "ledger_txns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # topup refund payout usage settle reversal
    Column("account_id", Integer, ForeignKey("accounts.id"), index=True),  # whom it concerns
    Column("job_id", Integer, ForeignKey("jobs.id"), index=True),
    Column("attempt_id", Integer, ForeignKey("attempts.id"), index=True),
    Column("reverses", Integer, ForeignKey("ledger_txns.id"), unique=True),
    Column("reference", String(128), unique=True),  # a payment's id: booked once
    Column("memo", Text, nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=dict),  # usage lines behind a settlement
    Column("user_id", Integer, ForeignKey("users.id")),  # who made it (None: the gateway)
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("txn_id", Integer, ForeignKey("ledger_txns.id"), nullable=False, index=True),
    Column("book", String(16), nullable=False),  # wallet revenue fees loss cash
    Column("account_id", Integer, ForeignKey("accounts.id")),
    Column("center", String(128)),
    Column("resource", String(64)),
    Column("amount_micro", BigInteger, nullable=False),
)
Index("ix_ledger_entries_book_account", ledger_entries.c.book, ledger_entries.c.account_id)

attempt_terms = Table(
    "attempt_terms",
    metadata,
    Column("attempt_id", Integer, ForeignKey("attempts.id"), primary_key=True),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("accounts.id")),  # the consumer who pays
    Column("provider_id", Integer, ForeignKey("accounts.id")),  # the center's owner
    Column("center", String(128), nullable=False),
    Column("base_hourly", String(40), nullable=False),  # Decimal, before time-of-use
    Column("tariff", JSON, nullable=False),
    Column("fee_rate", String(40), nullable=False),
    Column("shares", JSON, nullable=False),
    Column("spot", Boolean, nullable=False, default=False),
    Column("quote_id", String(40)),
)

job_terms = Table(
    "job_terms",
    metadata,
    Column("job_id", Integer, ForeignKey("jobs.id"), primary_key=True),
    Column("budget_micro", BigInteger),
    Column("quote_id", String(40)),
    Column("stopped_reason", Text),  # set when the market stopped the job (budget, funds)
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("spec", JSON, nullable=False),
    Column("offers", JSON, nullable=False),  # per center: base_hourly, tariff, prices now
)

center_tariffs = Table(
    "center_tariffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("center", String(128), nullable=False, index=True),
    Column("at", Float, nullable=False),  # applies to placements from then on
    Column("tariff", JSON, nullable=False),
)

market_settings = Table(
    "market_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("fee_rate", String(40), nullable=False),
    Column("alert_micro", BigInteger, nullable=False),  # default low-balance alert threshold
    Column("grace_seconds", Float, nullable=False),
    Column("brakes", Boolean, nullable=False, default=False),  # prepaid: hold and stop
)

account_money = Table(
    "account_money",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("alert_micro", BigInteger),  # the account's own alert threshold (None: default)
    Column("alerted", Boolean, nullable=False, default=False),  # below it, event sent
    Column("short_since", Float),  # funds cannot cover the next minute since then
)

market_events = Table(
    "market_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), index=True),
    Column("job_id", Integer, ForeignKey("jobs.id")),
    Column("kind", String(32), nullable=False),  # low_balance held stopped budget topup ...
    Column("message", Text, nullable=False),
)
