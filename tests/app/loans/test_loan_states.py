"""The loan state machine: every move the table allows is made, every other one refused."""

from types import SimpleNamespace

import pytest

from app.loans.states import (
    AWAITING_DECISION,
    FINAL,
    GUARANTEE_STATES,
    GUARANTEE_TRANSITIONS,
    IN_PROGRESS,
    ON_BOOKS,
    STATES,
    TRANSITIONS,
    InvalidTransition,
    move,
    move_guarantee,
)


def loan_in(state):
    return SimpleNamespace(id=7, state=state)


def test_the_table_names_every_state_and_only_known_ones():
    assert set(TRANSITIONS) == set(STATES)
    assert set().union(*TRANSITIONS.values()) <= set(STATES)
    assert all(not TRANSITIONS[state] for state in FINAL)
    assert ON_BOOKS | AWAITING_DECISION | IN_PROGRESS | FINAL <= set(STATES)


@pytest.mark.parametrize(("start", "end"), [(start, end) for start in STATES for end in TRANSITIONS[start]])
def test_an_allowed_move_is_made(start, end):
    loan = loan_in(start)
    move(loan, end)
    assert loan.state == end


@pytest.mark.parametrize(("start", "end"), [(start, end) for start in STATES for end in STATES
                                            if end not in TRANSITIONS[start]])
def test_every_other_move_is_refused_and_changes_nothing(start, end):
    loan = loan_in(start)
    with pytest.raises(InvalidTransition, match=f"loan 7: {start} -> {end}"):
        move(loan, end)
    assert loan.state == start


def test_an_unknown_state_is_refused():
    with pytest.raises(InvalidTransition):
        move(loan_in("applied"), "paid")


def test_guarantee_moves_follow_their_own_table():
    assert set(GUARANTEE_TRANSITIONS) == set(GUARANTEE_STATES)
    for start in GUARANTEE_STATES:
        for end in GUARANTEE_STATES:
            guarantee = SimpleNamespace(id=3, state=start)
            if end in GUARANTEE_TRANSITIONS[start]:
                move_guarantee(guarantee, end)
                assert guarantee.state == end
            else:
                with pytest.raises(InvalidTransition, match=f"guarantee 3: {start} -> {end}"):
                    move_guarantee(guarantee, end)
                assert guarantee.state == start
