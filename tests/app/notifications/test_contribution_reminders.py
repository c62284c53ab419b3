"""Group contribution reminders: the day before a meeting, to each active member who has not paid it in full."""

from datetime import UTC, date, datetime

from app.notifications.models import Notification
from tests.app.notifications.notify_helpers import member
from tests.money_helpers import fund_savings, kes

MONDAY = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
"""07:00 in Nairobi on Monday 16 Nov 2026 (ISO week 2026-W47, whose Wednesday is the 18th)."""


def a_weekly_group(timed):
    """Amina (chair) paid W47 in full, Baraka part of it, Chebet nothing; Juma's request is still pending."""
    amina, baraka, chebet, juma = (member(timed, f"+25471200000{n}", name=name) for n, name in
                                   enumerate(("Amina Wanjiru", "Baraka Otieno", "Chebet Kiprop", "Juma Hamisi"), 1))
    memberships, contributions = timed.group_memberships, timed.group_contributions
    group = memberships.create_group(amina, name="Umoja Women", contribution="500", frequency="weekly",
                                     meeting_day=3)
    for person in (baraka, chebet, juma):
        memberships.join_by_code(person, group.code)
    for person in (baraka, chebet):
        memberships.approve(group, amina, person.id)
    for person, paid in ((amina, 500), (baraka, 200)):
        fund_savings(timed, person, 1_000_00)
        contributions.contribute_from_savings(person, group, kes(paid), f"paid:{person.id}")
    return group, amina, baraka, chebet


def due(timed, day):
    return [(r.member_id, r.kind, r.key, r.params) for r in timed.reminders.compute(day)]


def test_the_day_before_the_meeting_each_member_short_of_the_period_is_reminded_of_what_is_left(
        timed, clock):
    clock.at = MONDAY
    group, _amina, baraka, chebet = a_weekly_group(timed)
    tuesday, wednesday = date(2026, 11, 17), date(2026, 11, 18)
    assert due(timed, tuesday) == [
        (baraka.id, "contribution_due", f"contribution_due:{group.id}:{baraka.id}:2026-W47:2026-11-17",
         {"group": "Umoja Women", "amount": kes(300), "due_date": wednesday}),
        (chebet.id, "contribution_due", f"contribution_due:{group.id}:{chebet.id}:2026-W47:2026-11-17",
         {"group": "Umoja Women", "amount": kes(500), "due_date": wednesday}),
    ]
    assert due(timed, date(2026, 11, 16)) == due(timed, wednesday) == []  # no meeting the next day


def test_every_active_member_owes_the_next_period_and_a_monthly_group_is_reminded_on_its_own_day(
        timed, clock):
    clock.at = MONDAY
    _group, amina, baraka, chebet = a_weekly_group(timed)
    assert [(member_id, params["amount"]) for member_id, *_, params in due(timed, date(2026, 11, 24))] == [
        (amina.id, kes(500)), (baraka.id, kes(500)), (chebet.id, kes(500))]
    monthly = timed.group_memberships.create_group(amina, name="Tumaini", contribution="1000",
                                                   frequency="monthly", meeting_day=5)
    assert [(member_id, key) for member_id, _, key, _ in due(timed, date(2026, 12, 4))] == [
        (amina.id, f"contribution_due:{monthly.id}:{amina.id}:2026-12:2026-12-04")]


def test_a_run_makes_each_reminder_once_in_the_members_words(timed, clock, session):
    clock.at = MONDAY
    _group, _amina, baraka, chebet = a_weekly_group(timed)
    first = timed.reminders.run(date(2026, 11, 17))
    again = timed.reminders.run(date(2026, 11, 17))
    assert (first.computed, first.made, again.computed, again.made) == (2, 2, 2, 0)
    texts = {row.member_id: row.text for row in session.query(Notification).filter_by(kind="contribution_due")}
    assert set(texts) == {baraka.id, chebet.id}
    assert texts[baraka.id].startswith("Pamoja reminder: your Umoja Women contribution of KES 300 is due on "
                                       "18 Nov 2026.")
    assert "KES 500" in texts[chebet.id]
