"""Leader election (c2net.gateway.leader) on its own: one holder at a time, released when the
holder goes, fenced commits from a holder that lost its session."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from c2net.gateway.leader import AdvisoryLock, FileLock, Solo, elect
from c2net.store import make_engine
from tests.faults.harness import wait_for


def test_elect_picks_the_mechanism_from_the_url(tmp_path: Path, postgres_url: str) -> None:
    memory = make_engine("sqlite://")
    assert isinstance(elect(memory), Solo)
    file_engine = make_engine(f"sqlite:///{tmp_path / 'c2net.db'}")
    chosen = elect(file_engine)
    assert isinstance(chosen, FileLock) and chosen.path == tmp_path / "c2net.db.leader"
    pg = make_engine(postgres_url)
    election = elect(pg)
    assert isinstance(election, AdvisoryLock)
    election.release()
    for e in (memory, file_engine, pg):
        e.dispose()


def test_one_file_lock_holder_at_a_time(tmp_path: Path) -> None:
    a, b = FileLock(tmp_path / "db.leader"), FileLock(tmp_path / "db.leader")
    assert a.is_leader() and a.is_leader()
    assert not b.is_leader()
    a.release()
    assert b.is_leader() and not a.is_leader()
    b.release()


def test_one_advisory_lock_holder_and_a_takeover_when_it_dies(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    a, b = AdvisoryLock(engine), AdvisoryLock(engine)
    try:
        assert a.is_leader() and not b.is_leader()
        with engine.connect() as conn:
            assert a.fence(conn) and not b.fence(conn)
            # the leader's session dies (its process killed, its host cut off)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": a._pid})
            conn.commit()
        assert not a.is_leader()  # its next ping finds out
        assert b.is_leader()
        with engine.connect() as conn:
            assert b.fence(conn) and not a.fence(conn)
        b.release()
        assert a.is_leader()  # free again: taken on the next ask
    finally:
        a.release()
        b.release()
        engine.dispose()


def test_a_hung_leader_loses_its_session_after_the_idle_timeout(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    hung = AdvisoryLock(engine, idle_timeout=1.0)
    other = AdvisoryLock(engine)
    try:
        assert hung.is_leader()
        # `hung` stops asking (so pinging); the server ends its idle session, freeing the lock
        assert wait_for(other.is_leader, 30, "the other replica to take the lead")
        assert not hung.is_leader()
    finally:
        hung.release()
        other.release()
        engine.dispose()
