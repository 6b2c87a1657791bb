"""The database schema (SQLAlchemy Core): centers, jobs, attempts, log chunks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
)

__all__ = ["accounts", "attempts", "centers", "jobs", "logs", "metadata", "tokens", "users"]

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
