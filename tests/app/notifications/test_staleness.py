"""Issue 16 (6): a queued message that no longer applies when its time comes is not sent.

Guarantor requests made in quiet hours wait for the morning; a guarantor who answered in the
meantime (or a loan decided meanwhile) used to get the request anyway. Reminders for an instalment
paid before their time are stale too, and so are contribution reminders for a period paid in full
meanwhile. One rule (app/notifications/staleness.py), asked at dispatch.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.notifications.models import Notification
from tests.app.loans.loan_helpers import deposit, loan_services, new_member, product
from tests.money_helpers import kes

NIGHT = datetime(2026, 1, 31, 19, 30, tzinfo=UTC)  # 22:30 in Nairobi: quiet hours
NEXT_MORNING = datetime(2026, 2, 1, 4, 30, tzinfo=UTC)  # 07:30 in Nairobi


@pytest.fixture
def services(app):
    return loan_services(app, at=NIGHT)


@pytest.fixture
def night_application(services):
    borrower = new_member(services, name="Baraka Otieno")
    deposit(services, borrower, 100000)
    first, second = new_member(services, name="Chausiku Wairimu"), new_member(services, name="Daudi Kiptoo")
    deposit(services, first, 1000000)
    deposit(services, second, 1000000)
    loan = services.loans.apply_for(borrower, product(services, approval="officer"), kes(5000), 3,
                                    idempotency_key="night", destination="savings", guarantors=[first, second],
                                    channel="ussd")
    return first, second, loan


def requests_to(services, member):
    return services.session.scalars(select(Notification).where(
        Notification.kind == "guarantor_request", Notification.member_id == member.id)).all()


def test_an_answered_guarantor_request_is_not_sent_in_the_morning(services, night_application):
    first, second, _loan = night_application
    [to_first], [to_second] = requests_to(services, first), requests_to(services, second)
    assert to_first.status == to_second.status == "queued"  # quiet hours: they wait for the morning
    request = services.loans.guarantees.open_requests(first)[0]
    services.loans.guarantees.pledge(request.id, first, kes(1500), key="p1", channel="ussd")
    services.clock.at = NEXT_MORNING
    assert services.notifications.dispatch([to_first.id, to_second.id]) == 1
    assert to_first.status == "stale" and to_first.message_id is None
    assert to_second.status == "dispatched"


def test_a_request_for_a_loan_decided_overnight_is_not_sent(services, night_application):
    first, second, loan = night_application
    services.loans.decline(loan.id, actor="operator:ann", channel="cli", reason="Too risky")
    services.clock.at = NEXT_MORNING
    queued = [n.id for member in (first, second) for n in requests_to(services, member)]
    assert services.notifications.dispatch(queued) == 0
    assert {n.status for member in (first, second) for n in requests_to(services, member)} == {"stale"}


def test_a_contribution_reminder_is_not_sent_to_a_member_who_paid_the_period_meanwhile(app):
    """A reminder written ahead of its morning waits; a member who pays the whole period before it goes
    out is not reminded of it (one who paid part of it still is)."""
    services = loan_services(app, at=NIGHT)  # Saturday 31 Jan 2026, 22:30 in Nairobi
    amina, baraka, chebet = (new_member(services, name=name) for name in
                             ("Amina Wanjiru", "Baraka Otieno", "Chausiku Wairimu"))
    memberships = services.group_memberships
    group = memberships.create_group(amina, name="Umoja Women", contribution=kes(500), frequency="weekly",
                                     meeting_day=2)  # Tuesdays: 3 Feb 2026 is the next meeting
    for person in (baraka, chebet):
        memberships.join_by_code(person, group.code)
        memberships.approve(group, amina, person.id)
        deposit(services, person, 100000)
    result = services.reminders.run(date(2026, 2, 2), not_before=NEXT_MORNING)  # the day before the meeting
    queued = services.session.scalars(select(Notification).where(Notification.kind == "contribution_due")).all()
    assert result.dispatched == 0 and {n.member_id for n in queued} == {amina.id, baraka.id, chebet.id}
    services.group_contributions.contribute_from_savings(baraka, group, kes(500), "paid-in-full")
    services.group_contributions.contribute_from_savings(chebet, group, kes(200), "paid-part")
    services.clock.at = NEXT_MORNING
    assert services.notifications.dispatch([n.id for n in queued]) == 2
    status = {n.member_id: n.status for n in queued}
    assert status == {amina.id: "dispatched", baraka.id: "stale", chebet.id: "dispatched"}
