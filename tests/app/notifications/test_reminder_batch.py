"""The set-based reminder run (reminder_batch.py): once, in the member's language, never to who opted out."""

from datetime import UTC, date, datetime

from app.loans.models import LoanInstalment
from app.notifications.messages import OutboundMessage
from app.notifications.models import Notification
from tests.app.loans.loan_helpers import new_member, product, regular_saver
from tests.messaging_helpers import run_jobs, sent_sms
from tests.money_helpers import kes

DUE_DAY = date(2026, 2, 28)
"""The first instalment of a loan taken on 31 Jan 2026 (see test_reminders.py)."""
DUE_MORNING = datetime(2026, 2, 28, 4, 0, tzinfo=UTC)
"""07:00 in Nairobi that day."""


def borrowers(services, session, app, providers, *settings, biz=None):
    """One member with one loan per entry of `settings` ({field: value} set on the member), jobs run."""
    services.clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    biz = biz or product(services)
    made = []
    for n, fields in enumerate(settings):
        member = new_member(services)
        regular_saver(services, member, 1000000)
        for field, value in fields.items():
            setattr(member, field, value)
        made.append((member, services.loans.apply_for(member, biz, kes(10000), 6, idempotency_key=f"batch{n}",
                                                      destination="savings", channel="ussd")))
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    services.clock.at = DUE_MORNING
    return made


def reminders_of(session, member):
    return session.query(Notification).filter_by(member_id=member.id, kind="repayment_due_today").all()


def test_a_second_run_the_same_day_adds_nothing(app, timed, session, providers):
    (member, _loan), = borrowers(timed, session, app, providers, {})
    first = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    second = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert (first.computed, first.made, first.dispatched) == (1, 1, 1)
    assert (second.computed, second.made, second.dispatched) == (1, 0, 0)
    assert len(reminders_of(session, member)) == 1
    assert session.query(OutboundMessage).filter_by(member_id=member.id, kind="repayment_due_today").count() == 1
    run_jobs(app)
    assert len(sent_sms(providers)) == 1


def test_the_keys_are_the_row_by_row_paths_keys(app, timed, session, providers):
    (member, _loan), = borrowers(timed, session, app, providers, {})
    timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert [row.dedupe_key for row in reminders_of(session, member)] == [
        reminder.key for reminder in timed.reminders.compute(DUE_DAY)]


def test_a_member_who_opted_out_is_recorded_suppressed_and_not_sent(app, timed, session, providers):
    (stays, _), (left, _) = borrowers(timed, session, app, providers, {}, {"sms_opted_out": True})
    result = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert (result.made, result.dispatched) == (2, 2)
    suppressed = session.query(OutboundMessage).filter_by(member_id=left.id, kind="repayment_due_today").one()
    assert (suppressed.status, suppressed.status_reason) == ("suppressed", "opted_out")
    assert suppressed.status_history[0]["status"] == "suppressed"
    assert reminders_of(session, left)[0].message_id == suppressed.id
    run_jobs(app)
    assert [to for to, _ in sent_sms(providers)] == [stays.phone]


def test_each_member_reads_it_in_their_language(app, timed, session, providers):
    (english, loan), (swahili, _) = borrowers(timed, session, app, providers, {}, {"locale": "sw"})
    timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    owed = session.query(LoanInstalment).filter_by(loan_id=loan.id, number=1).one().remaining
    for member, locale in ((english, "en"), (swahili, "sw")):
        row, = reminders_of(session, member)
        assert row.locale == locale
        assert row.text == timed.notifications.render("repayment_due_today", locale, amount=owed)[0]
    assert "linadaiwa leo" in reminders_of(session, swahili)[0].text
    assert "is due today" in reminders_of(session, english)[0].text
    run_jobs(app)
    assert sorted(text for _, text in sent_sms(providers)) == sorted(
        reminders_of(session, member)[0].text for member in (english, swahili))


def test_two_loans_of_one_member_are_two_messages_in_two_requests(app, timed, session, providers):
    timed.clock.at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    member = new_member(timed)
    regular_saver(timed, member, 1000000)
    biz, loans = product(timed), []
    for n in range(2):  # one open loan at a time is the rule; the run must not rely on it
        loans.append(timed.loans.apply_for(member, biz, kes(10000), 6, idempotency_key=f"two{n}",
                                           destination="savings", channel="ussd"))
        loans[-1].state = "closed"
        session.flush()
    for loan in loans:
        loan.state = "disbursed"
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    timed.clock.at = DUE_MORNING
    assert timed.reminders.run(DUE_DAY, checkpoint=session.commit).made == 2
    run_jobs(app)
    assert [to for to, _ in sent_sms(providers)] == [member.phone, member.phone]  # a bulk request never repeats a phone


def test_a_member_who_prefers_whatsapp_goes_through_dispatch(app, timed, session, providers):
    (member, _), = borrowers(timed, session, app, providers, {"preferred_channel": "whatsapp"})
    result = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert (result.made, result.dispatched) == (1, 1)
    row, = reminders_of(session, member)
    assert row.status == "dispatched"  # outside the WhatsApp window and with no template: by SMS
    run_jobs(app)
    assert [to for to, _ in sent_sms(providers)] == [member.phone]


def test_in_quiet_hours_they_wait_for_the_morning(app, timed, session, providers):
    (member, _), = borrowers(timed, session, app, providers, {})
    timed.clock.at = datetime(2026, 2, 28, 1, 0, tzinfo=UTC)  # 04:00 in Nairobi
    result = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert (result.made, result.dispatched) == (1, 0)
    row, = reminders_of(session, member)
    assert row.status == "queued" and row.message_id is None
    assert session.query(OutboundMessage).filter_by(member_id=member.id, kind="repayment_due_today").count() == 0


def test_loans_are_made_in_slices_each_committed(app, timed, session, providers, monkeypatch):
    from app.notifications import reminder_batch

    (first, _), (second, _) = borrowers(timed, session, app, providers, {}, {})
    monkeypatch.setattr(reminder_batch, "LOANS_PER_STATEMENT", 1)
    commits = []
    result = timed.reminders.run(DUE_DAY, checkpoint=lambda: (commits.append(1), session.commit()))
    assert (result.computed, result.made, result.dispatched) == (2, 2, 2)
    assert len(commits) >= 2
    run_jobs(app)
    assert sorted(to for to, _ in sent_sms(providers)) == sorted([first.phone, second.phone])


def test_slices_in_one_transaction_each_get_their_own_temporary_table(app, timed, session, providers, monkeypatch):
    from app.notifications import reminder_batch

    borrowers(timed, session, app, providers, {}, {}, {})
    monkeypatch.setattr(reminder_batch, "LOANS_PER_STATEMENT", 1)
    result = timed.reminders.run(DUE_DAY)  # no checkpoint: every slice in the same transaction
    assert (result.computed, result.made) == (3, 3)
    session.commit()
    again = timed.reminders.run(DUE_DAY, checkpoint=session.commit)
    assert (again.computed, again.made, again.dispatched) == (3, 0, 0)
