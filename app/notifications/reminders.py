"""Reminders computed from the database for one day: what is due, to whom, once.

For a day D (local): repayment reminders for instalments due on D + n for each n in
REMINDER_DAYS_BEFORE ("repayment_due"), due on D ("repayment_due_today") and still
unpaid n days after D - n for n in REMINDER_DAYS_AFTER ("repayment_overdue"); group
contribution reminders for each active member who has not paid the period whose
meeting day is D + n (CONTRIBUTION_REMINDER_DAYS_BEFORE). Each reminder's key names
the instalment or period and D, so running D again (a second scheduler, or
`flask reminders run --date D`) makes nothing new. The sources read the loans and
groups tables through app/notifications/sources.py, which copes with either package
not being installed. Large runs are written and handed to the outbox in chunks, each
committed by `checkpoint`, so identical texts go out as one bulk SMS per chunk.
A run ahead of its day (`not_before`, the day's morning) never sends early: the
reminders are written now and scheduled for that morning (RQ `enqueue_at`), as a
quiet-hours run is.
"""

import json
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import select

from app.members.models import Member
from app.money import Money
from app.notifications import reminder_batch, sources
from app.notifications.outbox import BATCH_SIZE
from app.notifications.reminder_batch import repayment_key

CHUNK = 1000
"""Reminders written, dispatched and committed together."""


class Reminder(NamedTuple):
    member_id: int
    kind: str
    key: str
    params: dict


class RunResult(NamedTuple):
    computed: int
    made: int
    dispatched: int


class ReminderService:
    def __init__(self, session, *, clock, notifications, settings):
        self.session = session
        self.clock = clock
        self.notifications = notifications
        self.settings = settings

    def compute(self, day):
        """Every reminder owed for local day `day`, in member order."""
        reminders = [*self.repayment_reminders(day), *self.contribution_reminders(day)]
        return sorted(reminders, key=lambda reminder: reminder.member_id)

    def repayment_dates(self, day):
        """{due date: (kind, n)} of the repayment reminders owed on local day `day`."""
        wanted = {day + timedelta(days=n): ("repayment_due", n) for n in self.settings.REMINDER_DAYS_BEFORE}
        wanted[day] = ("repayment_due_today", 0)
        for n in self.settings.REMINDER_DAYS_AFTER:
            wanted[day - timedelta(days=n)] = ("repayment_overdue", n)
        return wanted

    def repayment_reminders(self, day):
        stamp = day.isoformat()
        wanted = self.repayment_dates(day)
        for due in sources.unpaid_instalments(self.session, list(wanted)):
            kind, _ = wanted[due.due_date]
            yield Reminder(due.member_id, kind, repayment_key(kind, due.loan_id, due.number, stamp),
                           {"amount": due.owed, "due_date": due.due_date})

    def contribution_reminders(self, day):
        stamp = day.isoformat()
        for n in self.settings.CONTRIBUTION_REMINDER_DAYS_BEFORE:
            for due in sources.unpaid_contributions(self.session, day + timedelta(days=n), self.clock.zone):
                yield Reminder(due.member_id, "contribution_due",
                               f"contribution_due:{due.group_id}:{due.member_id}:{due.period}:{stamp}",
                               {"group": due.group_name, "amount": due.owed, "due_date": due.due_date})

    def run(self, day, *, checkpoint=None, progress=None, not_before=None):
        """Make and send the day's reminders; `progress(n)` as they are made. Returns a RunResult.

        With `not_before` (an aware datetime), nothing goes out before it: the rows wait and a
        dispatch job is scheduled for it.
        """
        repayments = self.run_repayments(day, not_before=not_before, checkpoint=checkpoint)
        if progress is not None:
            progress(repayments.computed)
        contributions = self.run_rows(list(self.contribution_reminders(day)), checkpoint=checkpoint,
                                      progress=progress, not_before=not_before)
        return RunResult(*(a + b for a, b in zip(repayments, contributions, strict=True)))

    def run_repayments(self, day, *, not_before=None, checkpoint=None):
        """The repayment reminders of `day`, set-based (reminder_batch.py): a few statements per slice of
        loan ids, each slice followed by `checkpoint()`."""
        notifications = self.notifications
        outbox = notifications.outbox
        wanted = self.repayment_dates(day)
        default_locale = notifications.default_locale
        combinations = reminder_batch.wording_combinations(self.session, list(wanted), default_locale)
        wordings, fitted = [], {}
        for due_date, owed, currency, locale, *_counts in combinations:
            kind, _ = wanted[due_date]
            text, variables = notifications.render(kind, locale, amount=Money(int(owed), currency), due_date=due_date)
            send_after = notifications.send_after(kind)
            if not_before is not None:
                send_after = max(send_after, not_before)
            wordings.append((due_date, int(owed), currency, locale, kind, text, json.dumps(variables), send_after))
            fitted.setdefault(text, (text, *outbox.sms_form(text)))
        made = dispatched = 0
        for loans in reminder_batch.loan_slices(combinations):
            batch = reminder_batch.insert_repayment_reminders(
                self.session, loans=loans, wordings=wordings,
                fitted=list(fitted.values()), stamp=day.isoformat(), now=self.clock.now(),
                default_locale=default_locale, suppressed_history=outbox.opted_out_history(), batch_size=BATCH_SIZE,
                chunk=CHUNK)
            outbox.send_recorded_batches(batch.send_batches)
            made, dispatched = made + batch.made, dispatched + batch.dispatched
            for send_after, ids in batch.waiting:
                if send_after > self.clock.now():  # quiet hours, or a run ahead of its day: they wait
                    notifications.schedule(ids, send_after)
                else:  # members who prefer WhatsApp: the outbox's window and templates decide, row by row
                    dispatched += notifications.dispatch(ids)
            if checkpoint is not None:
                checkpoint()  # this slice's send jobs go to the workers while the next is made
        return RunResult(sum(row[4] for row in combinations), made, dispatched)

    def run_rows(self, reminders, *, checkpoint=None, progress=None, not_before=None):
        """Make and send `reminders` row by row in chunks (the contribution reminders: one query per group)."""
        made = dispatched = 0
        for start in range(0, len(reminders), CHUNK):
            chunk = reminders[start:start + CHUNK]
            members = {member.id: member for member in self.session.scalars(
                select(Member).where(Member.id.in_({reminder.member_id for reminder in chunk})))}
            rows = [self.notifications.prepare(members[r.member_id], r.kind, r.key, **r.params)
                    for r in chunk if r.member_id in members]
            if not_before is not None:
                for row in rows:
                    row["send_after"] = max(row["send_after"], not_before)
            ids = self.notifications.insert(rows)
            made += len(ids)
            if ids and rows[0]["send_after"] > self.clock.now():  # run in quiet hours: they wait
                self.notifications.schedule(ids, rows[0]["send_after"])
            elif ids:
                dispatched += self.notifications.dispatch(ids)
            if checkpoint is not None:
                checkpoint()
            if progress is not None:
                progress(len(chunk))
        return RunResult(len(reminders), made, dispatched)

    def count(self, day):
        """How many reminders `day` owes (made before or not), without building them."""
        combinations = reminder_batch.wording_combinations(self.session, list(self.repayment_dates(day)),
                                                           self.notifications.default_locale)
        return sum(row[4] for row in combinations) + len(list(self.contribution_reminders(day)))
