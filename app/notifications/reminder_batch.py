"""The morning run's repayment reminders, made and handed to the outbox in one SQL statement.

A million members cannot go through Python one row at a time in five minutes (the
row-by-row run took 87 s for 100,000). What a reminder says depends only on its kind,
language, amount and due date, and a morning has a few hundred such combinations at
most, not a million. So Python renders each combination once (the same `render` as
every notification, Babel included) and PostgreSQL does the rest in one statement:

1. the slice's unpaid instalments (LOANS_PER_STATEMENT loan ids: each slice is its own bounded
   statements and commit) are copied into a temporary table (`reminder_due`, dropped at the end
   of the slice and ON COMMIT in any case) by a query of that table alone, then ANALYZEd;
2. `made` joins them to their loans and members and inserts one notification per due
   instalment, keyed like the row-by-row path (`repayment_key`, computed in step 1), ON
   CONFLICT DO NOTHING on the unique (kind, dedupe_key), so a second run the same day makes
   nothing (each row it offers again is one probe of that index; the message id it took from
   the sequence is left unused);
3. for the rows due now whose member does not prefer WhatsApp, `made` also marks them
   dispatched with a message id taken from the outbox's sequence, and `sent` inserts
   those outbox messages, `suppressed` for members who opted out of SMS (the outbox's
   rule for non-urgent messages);
4. the statement answers the queued messages in batches of one text and distinct
   phones (one provider request each, one job each, any worker), the notifications
   left queued (WhatsApp, or waiting for their morning) in chunks, and the counts.

Why the temporary table: the plans must not depend on the statistics of the base tables,
which can be missing or stale right after a bulk load (autovacuum has not analyzed them yet).
Joined in one statement on a never-analyzed schema, PostgreSQL estimated a slice's loans at
10 rows and probed the instalments per loan through a BitmapAnd with the due-date index, which
read every instalment due that day once per loan (21 ms a loan: 35 minutes for 100,000 loans).
Step 1 reads one table with no join, so every plan of it is one pass over the slice; step 2
starts from a table of known size (ANALYZEd) and its joins to loans and members go by primary
key or by hash. The keys already made are skipped by ON CONFLICT alone, never by a join the
planner chooses: a NOT EXISTS against `notifications` planned while it was empty (analyzed
empty, the statement about to fill it) became a sequential scan of it per row, re-reading every
row the statement had inserted so far (the first slice of a million was still running after
4 minutes). See docs/scaling.md.

Staleness needs no check here: the rows are made from unpaid instalments in the same
statement. Rows left queued go through `NotificationService.dispatch` (staleness,
WhatsApp window and templates) now or from their scheduled job.
"""

from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by, array, insert
from sqlalchemy.schema import CreateTable

from app.loans.models import Loan
from app.loans.models import LoanInstalment as Instalment
from app.loans.states import ON_BOOKS
from app.members.models import Member
from app.notifications import messages as m
from app.notifications.models import DISPATCHED, QUEUED, Notification
from app.notifications.outbox import OPTED_OUT

MESSAGE_ID_SEQUENCE = "outbound_messages_id_seq"
"""The outbox messages' id sequence (a BIGSERIAL): ids are taken before the rows exist, so the
notification can point at its message in the same statement."""
STATEMENT_TIMEOUT = "10min"
"""The run's own bound (SET LOCAL): the role's DB_STATEMENT_TIMEOUT_MS (5 s) is for requests, and a
million rows take longer than that in one statement."""
LOANS_PER_STATEMENT = 100_000
"""Loan ids per slice (and per commit): a million loans is ten slices of bounded statements, each
committed and its send jobs handed to the workers while the next one is made."""
WORK_MEM = "64MB"
"""Sort memory for the run's statement (SET LOCAL): a million rows sort in memory, not on disk."""


class Wording(NamedTuple):
    """One combination of what a reminder depends on, and what it then says."""

    due_date: object
    owed: int
    currency: str
    locale: str
    kind: str
    text: str
    variables: str
    """JSON of the WhatsApp template variables."""
    send_after: object


class Fitted(NamedTuple):
    """One distinct text as the outbox sends it by SMS."""

    text: str
    sms_text: str
    segments: int | None
    encoding: str | None


class BatchResult(NamedTuple):
    made: int
    dispatched: int
    send_batches: list
    """[[message id, ...], ...]: one text, distinct phones, at most `batch_size` each."""
    waiting: list
    """[(send_after, [notification id, ...]), ...]: left queued (WhatsApp, or not yet their time)."""


def repayment_key(kind, loan_id, number, stamp):
    """A repayment reminder's dedupe key: the instalment and the day of the run."""
    return f"{kind}:{loan_id}:{number}:{stamp}"


def repayment_key_sql(kind, loan_id, number, stamp):
    """`repayment_key` in SQL: the same text, so either path sees the other's rows."""
    return func.concat_ws(":", kind, loan_id, number, stamp)


def locale_sql(default_locale):
    """The member's language, or the default when they have none (as `prepare` does)."""
    return func.coalesce(func.nullif(Member.locale, ""), default_locale)


def allow_long_statements(session):
    """Lift the role's request-sized statement timeout and sort memory for the rest of this transaction
    only (SET LOCAL: it holds through a transaction-pooling PgBouncer and ends with the transaction)."""
    session.execute(select(func.set_config("statement_timeout", STATEMENT_TIMEOUT, True),
                           func.set_config("work_mem", WORK_MEM, True)))


REMINDER_DUE = Table(
    "reminder_due", MetaData(),  # not the app's metadata: a temporary table of the run's own transaction
    Column("loan_id", BigInteger), Column("number", Integer), Column("due_date", Date), Column("owed", BigInteger),
    Column("kind", String(40)), Column("dedupe_key", String(160)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
"""One slice's unpaid instalments, keyed (step 1 above); created ON COMMIT DROP, so it never outlives the
transaction (safe behind a transaction-pooling PgBouncer)."""


def unpaid_instalments_alone(due_dates, loans=None):
    """The unpaid instalments due on `due_dates` (of loan ids in range(*loans)), read from their own table
    with no join: whatever the statistics, one pass (index or sequential) over them."""
    query = (select(Instalment.loan_id, Instalment.number, Instalment.due_date,
                    Instalment.remaining_minor.label("owed"))
             .where(Instalment.due_date.in_(list(due_dates)), Instalment.paid.is_(False),
                    Instalment.remaining_minor > 0))
    if loans is not None:
        query = query.where(Instalment.loan_id >= loans[0], Instalment.loan_id < loans[1])
    return query


def wording_combinations(session, due_dates, default_locale):
    """[(due_date, owed minor, currency, locale, count, lowest loan id, highest loan id)] of the unpaid
    instalments due on `due_dates` of loans on the books.

    The instalments are read alone first (a MATERIALIZED CTE: computed once, never probed per loan), then
    joined to every loan and member: no filter narrows those, so no estimate invites a nested loop."""
    allow_long_statements(session)
    due = unpaid_instalments_alone(due_dates).cte("due").prefix_with("MATERIALIZED")
    locale = locale_sql(default_locale)
    return session.execute(
        select(due.c.due_date, due.c.owed, Loan.currency, locale, func.count(), func.min(due.c.loan_id),
               func.max(due.c.loan_id))
        .select_from(due.join(Loan, Loan.id == due.c.loan_id).join(Member, Member.id == Loan.member_id))
        .where(Loan.state.in_(ON_BOOKS))
        .group_by(due.c.due_date, due.c.owed, Loan.currency, locale)).all()


def loan_slices(combinations):
    """[(first loan id, last + 1)] ranges of LOANS_PER_STATEMENT ids covering every loan of `combinations`."""
    if not combinations:
        return []
    size = LOANS_PER_STATEMENT
    low, high = min(row[5] for row in combinations), max(row[6] for row in combinations)
    return [(start, min(start + size, high + 1)) for start in range(low, high + 1, size)]


def fill_reminder_due(session, *, loans, kinds, stamp):
    """Step 1: the unpaid instalments of loan ids in range(*loans) due on the dates of `kinds`
    ({due date: kind}) into a fresh REMINDER_DUE with their keys, ANALYZEd."""
    session.execute(sql_text("DROP TABLE IF EXISTS pg_temp.reminder_due"))
    session.execute(CreateTable(REMINDER_DUE))
    alone = unpaid_instalments_alone(kinds, loans).subquery("alone")
    kind = case(kinds, value=alone.c.due_date)
    session.execute(insert(REMINDER_DUE).from_select(
        ["loan_id", "number", "due_date", "owed", "kind", "dedupe_key"],
        select(alone.c.loan_id, alone.c.number, alone.c.due_date, alone.c.owed, kind,
               repayment_key_sql(kind, alone.c.loan_id, alone.c.number, stamp))))
    session.execute(sql_text("ANALYZE pg_temp.reminder_due"))  # step 2 plans with the slice's true size


def _table(name, columns, rows):
    """`unnest(array, array, ...) AS name(columns)`: many rows in a fixed number of parameters."""
    arrays = [cast(bindparam(f"{name}_{column}", [row[i] for row in rows], type_=ARRAY(kind)), ARRAY(kind))
              for i, (column, kind) in enumerate(columns)]
    return func.unnest(*arrays).table_valued(*[column for column, _ in columns]).render_derived(name=name)


def insert_repayment_reminders(session, *, loans, wordings, fitted, stamp, now, default_locale,
                               suppressed_history, batch_size, chunk):
    """Make the reminders of the loans with ids in range(*loans) for `wordings`, and hand the due SMS
    ones to the outbox; returns a BatchResult."""
    if not wordings:
        return BatchResult(0, 0, [], [])
    allow_long_statements(session)
    fill_reminder_due(session, loans=loans, kinds={row[0]: row[4] for row in wordings}, stamp=stamp)
    result = _insert_from_reminder_due(session, loans=loans, wordings=wordings, fitted=fitted, now=now,
                                       default_locale=default_locale, suppressed_history=suppressed_history,
                                       batch_size=batch_size, chunk=chunk)
    session.execute(sql_text("DROP TABLE pg_temp.reminder_due"))  # before the next slice, committed in between or not
    return result


def _insert_from_reminder_due(session, *, loans, wordings, fitted, now, default_locale, suppressed_history,
                              batch_size, chunk):
    """Step 2: REMINDER_DUE joined to its loans and members, made and handed to the outbox."""
    texts = _table("texts", [("due_date", Date), ("owed", BigInteger), ("currency", String), ("locale", String),
                             ("kind", String), ("text", Text), ("variables", Text),
                             ("send_after", DateTime(timezone=True))], wordings)
    fits = _table("fits", [("text", Text), ("sms_text", Text), ("segments", Integer), ("encoding", String)], fitted)
    slice_due = REMINDER_DUE.c
    # Materialized with the member's language first, so the texts join on all four keys at once: joined
    # piecemeal (currency, then language), PostgreSQL paired every loan with every amount's text (20x the rows).
    due = (select(slice_due.loan_id, slice_due.number, slice_due.due_date, slice_due.owed, slice_due.kind,
                  slice_due.dedupe_key, Loan.member_id, Loan.currency, Member.phone,
                  locale_sql(default_locale).label("locale"),
                  func.coalesce(Member.preferred_channel, "sms").label("channel"))
           .select_from(REMINDER_DUE.join(Loan, Loan.id == slice_due.loan_id)
                        .join(Member, Member.id == Loan.member_id))
           .where(Loan.state.in_(ON_BOOKS), Loan.id >= loans[0], Loan.id < loans[1])
           .cte("due").prefix_with("MATERIALIZED"))
    by_sms_now = and_(texts.c.send_after <= now, due.c.channel != "whatsapp")
    rows = (
        select(due.c.kind, due.c.dedupe_key, due.c.member_id, due.c.phone, texts.c.locale, false(), texts.c.text,
               cast(texts.c.variables, JSONB), case((by_sms_now, DISPATCHED), else_=QUEUED),
               case((by_sms_now, "sms"), else_=null()), case((by_sms_now, now), else_=null()),
               case((by_sms_now, func.nextval(MESSAGE_ID_SEQUENCE)), else_=null()), literal(now), texts.c.send_after)
        .select_from(due.join(texts, and_(
            texts.c.due_date == due.c.due_date, texts.c.owed == due.c.owed, texts.c.currency == due.c.currency,
            texts.c.locale == due.c.locale))))
    made = (insert(Notification)
            .from_select(["kind", "dedupe_key", "member_id", "phone", "locale", "urgent", "text",
                          "template_variables", "status", "channel", "dispatched_at", "message_id", "created_at",
                          "send_after"], rows)
            .on_conflict_do_nothing(index_elements=["kind", "dedupe_key"])
            .returning(Notification.id, Notification.member_id, Notification.phone, Notification.kind,
                       Notification.text, Notification.status, Notification.message_id, Notification.send_after)
            .cte("made"))
    opted_out = func.coalesce(Member.sms_opted_out, False)
    sent = (insert(m.OutboundMessage)
            .from_select(["id", "channel", "recipient", "member_id", "kind", "urgent", "text", "segments", "encoding",
                          "status", "status_reason", "status_history", "attempts", "created_at", "updated_at"],
                         select(made.c.message_id, literal(m.SMS), made.c.phone, made.c.member_id, made.c.kind,
                                false(), fits.c.sms_text, fits.c.segments, fits.c.encoding,
                                case((opted_out, m.SUPPRESSED), else_=m.QUEUED),
                                case((opted_out, OPTED_OUT), else_=null()),
                                case((opted_out, cast(literal(suppressed_history), JSONB)),
                                     else_=cast(literal("[]"), JSONB)),
                                literal(0), literal(now), literal(now))
                         .select_from(made.join(Member, Member.id == made.c.member_id)
                                      .join(fits, fits.c.text == made.c.text))
                         .where(made.c.status == DISPATCHED))
            .returning(m.OutboundMessage.id, m.OutboundMessage.recipient, m.OutboundMessage.text,
                       m.OutboundMessage.status)
            .cte("sent"))
    copies = select(sent.c.id, sent.c.text, func.row_number().over(
        partition_by=[sent.c.text, sent.c.recipient], order_by=sent.c.id).label("copy")
    ).where(sent.c.status == m.QUEUED).subquery("copies")
    parts = select(copies.c.id, copies.c.text, copies.c.copy, ((func.row_number().over(
        partition_by=[copies.c.text, copies.c.copy], order_by=copies.c.id) - 1) // batch_size).label("part")
    ).subquery("parts")
    answer = union_all(
        select(literal("send"), null().label("at"), func.array_agg(aggregate_order_by(parts.c.id, parts.c.id)))
        .group_by(parts.c.text, parts.c.copy, parts.c.part),
        select(literal("wait"), made.c.send_after, func.array_agg(aggregate_order_by(made.c.id, made.c.id)))
        .where(made.c.status == QUEUED).group_by(made.c.send_after, made.c.id // chunk),
        select(literal("made"), null(), array([func.count(), func.count().filter(made.c.status == DISPATCHED)]))
        .select_from(made))
    send_batches, waiting, counts = [], [], (0, 0)
    for what, at, ids in session.execute(answer):
        if what == "send":
            send_batches.append(ids)
        elif what == "wait":
            waiting.append((at, ids))
        else:
            counts = ids
    return BatchResult(counts[0], counts[1], send_batches, waiting)

