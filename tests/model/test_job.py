from __future__ import annotations

import pytest

from c2net.model import TERMINAL, IllegalTransition, JobState, check_transition

S = JobState
LEGAL = [
    (S.PENDING, S.ASSIGNED),
    (S.PENDING, S.CANCELLED),
    (S.ASSIGNED, S.RUNNING),
    (S.ASSIGNED, S.LOST),
    (S.ASSIGNED, S.SUCCEEDED),  # a job can finish between two polls
    (S.ASSIGNED, S.FAILED),  # the backend refused it
    (S.ASSIGNED, S.CANCELLED),
    (S.RUNNING, S.SUCCEEDED),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
    (S.RUNNING, S.LOST),
    (S.LOST, S.PENDING),  # requeued
]


@pytest.mark.parametrize(("a", "b"), LEGAL)
def test_legal(a: JobState, b: JobState) -> None:
    assert check_transition(a, b) is b


@pytest.mark.parametrize(
    ("a", "b"),
    [(a, b) for a in S for b in S if (a, b) not in LEGAL],
)
def test_illegal(a: JobState, b: JobState) -> None:
    with pytest.raises(IllegalTransition, match=f"{a} -> {b}"):
        check_transition(a, b)


def test_terminal_states_end_everything_but_lost() -> None:
    for state in TERMINAL - {S.LOST}:
        for other in S:
            with pytest.raises(IllegalTransition):
                check_transition(state, other)
