"""notify: rendered in the member's language, recorded once per key, sent through the outbox by RQ jobs."""

from datetime import UTC, datetime

from rq.registry import ScheduledJobRegistry

from app.money import Money
from app.notifications.models import DISPATCHED, QUEUED, Notification
from tests.app.notifications.notify_helpers import member
from tests.messaging_helpers import messages_to, run_jobs, sent_sms

PHONE = "+254711000001"


def test_notify_renders_in_the_members_language_and_sends_once(app, timed, session, providers):
    amina = member(timed, PHONE, locale="sw")
    session.commit()
    run_jobs(app)  # the welcome SMS
    providers.calls.reset()
    first = timed.notify(amina, "deposit_received", "deposit:1", amount=Money(150000, "KES"),
                         balance=Money(250000, "KES"), ref="PJ1")
    again = timed.notify(amina, "deposit_received", "deposit:1", amount=Money(150000, "KES"),
                         balance=Money(250000, "KES"), ref="PJ1")
    session.commit()
    assert again is None
    assert first.status == DISPATCHED and first.channel == "sms"
    assert first.text.startswith("Pamoja PJ1: KES 1,500 zimepokelewa")
    run_jobs(app)
    run_jobs(app)
    assert sent_sms(providers) == [(PHONE, first.text)]
    assert session.query(Notification).filter_by(kind="deposit_received", member_id=amina.id).count() == 1


def test_every_kind_fits_one_sms_segment_in_both_languages():
    from app.agents.cash import SAVINGS_AFTER
    from app.i18n import T, translate
    from app.notifications.kinds import KINDS
    from channels.textfit import segments

    sample = {"name": "Amina Wanjiru", "ussd_code": "*384*1#", "minutes": 30, "tier": 2,
              "amount": Money(1234550, "KES"),
              "balance": Money(9876500, "KES"), "reason": "", "group": "Umoja Women", "due_date": datetime(
                  2026, 12, 4).date(), "receipt": "ABCD2345", "what": "Cash deposit", "agent": "A001",
              "date": datetime(2026, 12, 1).date(), "count": 12, "total": Money(4500000, "KES"),
              "float": Money(12000000, "KES"), "where": "your savings", "taken": Money(1234550, "KES"),
              "owed": Money(1234550, "KES"), "ref": "PJ12345678", "fee": Money(5500, "KES"),
              "net": Money(1229050, "KES"), "after": T(SAVINGS_AFTER, balance=Money(9876500, "KES"))}
    for kind, spec in KINDS.items():
        for locale in ("en", "sw"):
            text = translate(locale, spec.msgid, **sample)
            assert segments(text).parts == 1, (kind, locale, len(text), text)


def test_quiet_hours_hold_reminders_until_seven_but_not_security(app, timed, clock, session, providers):
    amina = member(timed, PHONE)
    session.commit()
    run_jobs(app)  # the welcome SMS
    providers.calls.reset()
    clock.at = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 22:30 in Nairobi
    reminder = timed.notify(amina, "repayment_due_today", "r:1", amount=Money(50000, "KES"))
    alert = timed.notify(amina, "pin_changed", None)
    session.commit()
    assert reminder.status == QUEUED and reminder.send_after == datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert alert.status == DISPATCHED
    scheduled = ScheduledJobRegistry(queue=app.extensions["queues"]["default"])
    assert [scheduled.get_scheduled_time(job_id) for job_id in scheduled.get_job_ids()] == [
        datetime(2026, 12, 2, 4, 0, tzinfo=UTC)]
    run_jobs(app)
    assert [text for _, text in sent_sms(providers)] == [alert.text]

    from app.notifications.tasks import dispatch_notifications

    dispatch_notifications([reminder.id])  # too early: the job would not send it either
    assert session.get(Notification, reminder.id).status == QUEUED
    clock.at = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    dispatch_notifications([reminder.id])
    run_jobs(app)
    assert [text for _, text in sent_sms(providers)] == [alert.text, reminder.text]


def test_opted_out_member_gets_security_but_not_reminders(app, timed, session, providers):
    amina = member(timed, PHONE, sms_opted_out=True)
    session.commit()
    run_jobs(app)  # the welcome SMS
    providers.calls.reset()
    timed.notify(amina, "repayment_due_today", "r:2", amount=Money(50000, "KES"))
    alert = timed.notify(amina, "pin_locked", None, minutes=30)
    session.commit()
    run_jobs(app)
    assert sent_sms(providers) == [(PHONE, alert.text)]
    assert sorted(message.status for message in messages_to(session, PHONE)
                  if message.kind == "repayment_due_today") == ["suppressed"]


def test_a_notification_whose_job_was_lost_is_swept_up(app, timed, clock, session, providers):
    from app.notifications.tasks import sweep_notifications

    amina = member(timed, PHONE)
    session.commit()
    run_jobs(app)
    providers.calls.reset()
    row = timed.notifications.prepare(amina, "repayment_due_today", "r:lost", amount=Money(50000, "KES"))
    [lost] = timed.notifications.insert([row])  # recorded, but the process died before dispatching it
    session.commit()
    assert sweep_notifications()["notifications"] == 0  # not stale yet
    clock.advance(minutes=20)
    assert sweep_notifications()["notifications"] == 1
    run_jobs(app)
    made = session.get(Notification, lost)
    session.refresh(made)
    message = timed.notifications.message_of(made)
    assert made.status == DISPATCHED and message.status == "accepted" and message.provider_id.startswith("ATXid_")
    assert sent_sms(providers) == [(PHONE, made.text)]


def test_a_notification_due_now_is_handed_over_without_reading_it_back(app, timed, session):
    """Before: INSERT, SELECT it by id, SELECT it again FOR UPDATE, INSERT the message, UPDATE: now three."""
    from tests.round_trip_helpers import RoundTrips, words

    amina = member(timed, PHONE)
    session.commit()
    session.refresh(amina)
    trips = RoundTrips(session.get_bind())
    with trips.recording() as log:
        made = timed.notify(amina, "deposit_received", "deposit:trips", amount=Money(150000, "KES"),
                            balance=Money(250000, "KES"), ref="PJ2")
        session.flush()
    touching = [entry for entry in log if "notifications" in entry or "outbound_messages" in entry]
    assert words(touching) == ["INSERT", "INSERT", "UPDATE"], touching  # no SELECT of the row just made
    session.commit()
    session.expire_all()
    assert (made.status, made.channel, made.message_id is not None) == (DISPATCHED, "sms", True)
