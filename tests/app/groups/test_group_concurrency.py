"""Contributions and payouts from many sessions at once: no period filled twice, no payout twice.

Runs committed, on real connections from threads; phones and codes are unique per run.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.clock import FixedClock
from app.extensions import db
from app.groups import errors
from app.groups.models import Group, GroupContribution, GroupPayout
from app.ledger.services import LedgerService
from app.ledger.verify import verify_ledger
from app.members.models import Member
from app.money import Money
from tests.app.groups.group_helpers import GroupParts
from tests.concurrency_helpers import run_in_threads
from tests.member_helpers import make_member, unique_phone
from tests.money_helpers import credit_from_clearing

WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
THREADS = 8


def service(session):
    clock = FixedClock(WEDNESDAY)
    return GroupParts(session, clock=clock, ledger=LedgerService(session, clock=clock))


def setup_group(make_session, savings_minor):
    """A committed member with savings, chair of a fresh weekly group; returns (member id, group id)."""
    with make_session() as session:
        member = make_member(session, unique_phone(), "Amina Wanjiru")
        groups = service(session)
        group = groups.memberships.create_group(member, name="Umoja Women", contribution="500", frequency="weekly",
                                                meeting_day=3)
        ledger = groups.ledger
        credit_from_clearing(ledger, ledger.account("member", member.id, "member_savings", "KES"),
                             Money(savings_minor, "KES"), f"conc-group-fund:{member.id}")
        session.commit()
        return member.id, group.id


@pytest.mark.committed
def test_concurrent_contributions_fill_each_period_once_and_never_overdraw(app):
    make_session = sessionmaker(bind=db.engine)
    member_id, group_id = setup_group(make_session, 1_500_00)

    def contribute(index):
        with make_session() as session:
            groups = service(session)
            member, group = session.get(Member, member_id), session.get(Group, group_id)
            try:
                groups.contributions.contribute_from_savings(member, group, "500", f"conc-group:{member_id}:{index}")
                session.commit()
                return "ok"
            except errors.NotEnoughSavings:
                session.rollback()
                return "refused"

    results = run_in_threads(contribute, THREADS)
    assert results.count("ok") == 3 and results.count("refused") == THREADS - 3
    with make_session() as session:
        rows = session.scalars(select(GroupContribution).where(GroupContribution.group_id == group_id)
                               .order_by(GroupContribution.period)).all()
        assert [(row.period, row.amount_minor) for row in rows] == [
            ("2026-W48", 500_00), ("2026-W49", 500_00), ("2026-W50", 500_00)]
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_two_officials_paying_out_at_once_pay_once(app):
    make_session = sessionmaker(bind=db.engine)
    member_id, group_id = setup_group(make_session, 500_00)
    with make_session() as session:
        groups = service(session)
        member, group = session.get(Member, member_id), session.get(Group, group_id)
        groups.contributions.contribute_from_savings(member, group, "500", f"conc-payout:{member_id}")
        groups.payouts.set_payout_order(group, member)
        session.commit()

    def pay_out(index):
        with make_session() as session:
            groups = service(session)
            payout = groups.payouts.run_payout(session.get(Group, group_id), "2026-W48", session.get(Member, member_id))
            session.commit()
            return payout.id

    results = run_in_threads(pay_out, 4)
    assert len(set(results)) == 1
    with make_session() as session:
        assert len(session.scalars(select(GroupPayout).where(GroupPayout.group_id == group_id)).all()) == 1
        groups = service(session)
        member = session.get(Member, member_id)
        assert groups.contributions.savings_balance(member, "KES") == Money(500_00, "KES")
        assert verify_ledger(session) == []


def outcome(make_session, act):
    """Run `act(groups, session)` in its own committed session: its result, or the name of the group error."""
    with make_session() as session:
        try:
            result = act(service(session), session)
            session.commit()
            return result
        except errors.GroupError as refused:
            session.rollback()
            return type(refused).__name__


@pytest.mark.committed
def test_officials_sharing_out_at_once_from_two_phones_pay_once(app):
    """Each phone's confirmation has its own idempotency key: the group's lock, not the key, must stop the second."""
    make_session = sessionmaker(bind=db.engine)
    member_id, group_id = setup_group(make_session, 500_00)
    with make_session() as session:
        groups = service(session)
        groups.contributions.contribute_from_savings(session.get(Member, member_id), session.get(Group, group_id),
                                                     "500", f"conc-share:{member_id}")
        session.commit()

    def share_out(index):
        return outcome(make_session, lambda groups, session: groups.share_out.share_out(
            session.get(Group, group_id), session.get(Member, member_id), f"conc-share-out:{group_id}:{index}").total)

    results = run_in_threads(share_out, 4)
    assert sorted(map(str, results)) == ["KES 500"] + ["NothingToShareOut"] * 3
    with make_session() as session:
        member = session.get(Member, member_id)
        assert service(session).contributions.savings_balance(member, "KES") == Money(500_00, "KES")
        assert verify_ledger(session) == []


@pytest.mark.committed
def test_leaving_twenty_times_at_once_gives_the_share_back_once(app):
    make_session = sessionmaker(bind=db.engine)
    chair_id, group_id = setup_group(make_session, 500_00)
    with make_session() as session:
        groups = service(session)
        group = session.get(Group, group_id)
        # the chair pays the period too: these rows stay committed, and other tests' reminder runs read them
        groups.contributions.contribute_from_savings(session.get(Member, chair_id), group, "500",
                                                     f"conc-leave:{chair_id}")
        joiner = make_member(session, unique_phone(), "Baraka Otieno")
        ledger = groups.ledger
        credit_from_clearing(ledger, ledger.account("member", joiner.id, "member_savings", "KES"),
                             Money(500_00, "KES"), f"conc-leave-fund:{joiner.id}")
        groups.memberships.join_by_code(joiner, group.code)
        groups.memberships.approve(group, session.get(Member, chair_id), joiner.id)
        groups.contributions.contribute_from_savings(joiner, group, "500", f"conc-leave:{joiner.id}")
        session.commit()
        joiner_id = joiner.id

    def leave(_index):
        return outcome(make_session, lambda groups, session: str(groups.leaving.leave(
            session.get(Group, group_id), session.get(Member, joiner_id))))

    results = run_in_threads(leave, 20)
    assert sorted(results) == ["KES 500"] + ["NotAMember"] * 19
    with make_session() as session:
        joiner = session.get(Member, joiner_id)
        assert service(session).contributions.savings_balance(joiner, "KES") == Money(500_00, "KES")
        assert verify_ledger(session) == []
