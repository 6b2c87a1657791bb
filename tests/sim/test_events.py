from c2net.sim.events import EventKind, EventQueue


def test_events_pop_by_time_then_push_order() -> None:
    q = EventQueue()
    q.push(5.0, EventKind.END, 1)
    q.push(1.0, EventKind.CYCLE, 2)
    q.push(5.0, EventKind.PREEMPT, 3)  # same time as the first: pushed later, pops later
    q.push(0.0, EventKind.FAIL, 4)
    popped = [q.pop().payload for _ in range(len(q))]
    # times 0, 1, 5, 5; the two at 5 in push order (sequence 0 before 2), kind does not matter
    assert popped == [4, 2, 1, 3]


def test_next_time_is_the_earliest_event_or_infinity() -> None:
    q = EventQueue()
    assert q.next_time() == float("inf")
    q.push(5.0, EventKind.END, 1)
    q.push(2.0, EventKind.CYCLE)
    assert q.next_time() == 2.0
    q.pop()
    assert q.next_time() == 5.0
