"""The send job's two writes, one statement each: the claim before the provider call, the answer after it.

The outbox's exactly-once rule (outbox.py): a message is marked `sending_since` and that
mark is durable BEFORE the provider hears of it, and the provider's answer is stored
(clearing the mark) as soon as it comes. Done through the ORM that was BEGIN, SELECT ...
FOR UPDATE, UPDATE, COMMIT before the call and BEGIN, SELECT ... FOR UPDATE, the
provider id's advisory lock, a look for early reports, UPDATE, COMMIT after it: ten round
trips around one HTTP request, most of a send job's time.

- `claim_fresh` marks, in one UPDATE ... RETURNING, the messages among the ids that are
  still `queued` and unmarked, and returns (id, recipient, text) for each. The row lock
  the UPDATE takes is what `_lock_queued` took; a message marked by an earlier attempt
  is not claimed here (the outbox decides about it under a lock, `_claim`), nor is one
  already sent. Run as a STANDALONE statement (app/deferred_transaction.py) in the
  job's deferred unit it commits by itself: the mark is durable before the call.
- `store_answers` writes the provider's answers for a request in one UPDATE: provider
  id, segments, cost, the mark cleared, and the status through `set_status`'s rule (a
  history entry appended; the status only moves up STATUS_RANK, e.g. a message the
  sweep gave up on stays failed). The same statement takes the advisory lock of each
  provider id first (in a fixed order), as `DeliveryReports.lock_provider_id` does.
- The same call then asks, in a statement of its own (a fresh snapshot, taken after
  the store's lock was taken), which of those provider ids have reports waiting: a
  report that overtook the send was stored before the lock was ours, so it is seen
  here; one that comes later waits for the lock and then finds the stored id itself
  (delivery_reports.py). Only those messages are applied the ORM way.

The store and the look go to PostgreSQL together, in one round trip (psycopg's pipeline
mode, on the session's own connection): the server runs them in order, and in READ
COMMITTED the look takes its snapshot when it starts, after the store holds the locks.
On a connection reading outside a transaction (app/deferred_transaction.py) the two are
one implicit transaction, committed at the pipeline's end: the locks are held until the
look is done, so no report can slip between them. Inside a transaction they are two of
its statements, as before. Sent past SQLAlchemy, they are not seen by its events.
"""

import json

import psycopg
from sqlalchemy import exc, text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from app.deferred_transaction import STANDALONE
from app.notifications import messages as m

CLAIM_FRESH = text("""
UPDATE outbound_messages SET attempts = attempts + 1, sending_since = :now, updated_at = :now
WHERE id = ANY(:ids) AND status = :queued AND sending_since IS NULL
RETURNING id, recipient, text
""")

STORE_ANSWERS = text("""
WITH locked AS (
    SELECT count(pg_advisory_xact_lock(hashtext('message:' || provider_id))) AS taken
    FROM (SELECT DISTINCT provider_id FROM unnest(CAST(:provider_ids AS text[])) AS provider_id
          WHERE provider_id IS NOT NULL ORDER BY provider_id) AS ordered
), answer AS (
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]),
                         CAST(:provider_ids AS text[]), CAST(:segments AS integer[]),
                         CAST(:cost_currencies AS text[]), CAST(:cost_amounts AS numeric[]),
                         CAST(:entries AS jsonb[]))
        AS answer(id, status, reason, provider_id, segments, cost_currency, cost_amount, entry)
)
UPDATE outbound_messages AS message SET
    sending_since = NULL,
    provider_id = answer.provider_id,
    segments = COALESCE(answer.segments, message.segments),
    cost_currency = answer.cost_currency,
    cost_amount = answer.cost_amount,
    status_history = COALESCE(message.status_history, '[]'::jsonb) || jsonb_build_array(answer.entry),
    status = CASE WHEN (CAST(:ranks AS jsonb) ->> answer.status)::int > (CAST(:ranks AS jsonb) ->> message.status)::int
                  THEN answer.status ELSE message.status END,
    status_reason = CASE WHEN (CAST(:ranks AS jsonb) ->> answer.status)::int
                              > (CAST(:ranks AS jsonb) ->> message.status)::int
                         THEN answer.reason ELSE message.status_reason END,
    updated_at = :now
FROM answer, locked
WHERE message.id = answer.id
RETURNING message.id
""")

PENDING_REPORTS = text("""
SELECT DISTINCT provider_id FROM message_reports
WHERE channel = :channel AND provider_id = ANY(:provider_ids) AND applied_at IS NULL
""")

RANKS = json.dumps(m.STATUS_RANK)

_DIALECT = psycopg_dialect.dialect()
STORE_ANSWERS_SQL = str(STORE_ANSWERS.compile(dialect=_DIALECT))
PENDING_REPORTS_SQL = str(PENDING_REPORTS.compile(dialect=_DIALECT))
"""The two in psycopg's own placeholders, for the pipeline that sends them together."""


def claim_fresh(session, message_ids, now):
    """Mark the queued, unmarked messages among `message_ids` as being sent; [(id, recipient, text)]."""
    return [tuple(row) for row in session.execute(
        CLAIM_FRESH, {"ids": list(message_ids), "now": now, "queued": m.QUEUED},
        execution_options={STANDALONE: True})]


def store_answers(session, answers, now, channel):
    """Store [(message_id, status, reason, history entry, SendResult)] in one statement; the provider ids
    among them with reports waiting on `channel`, asked in the same round trip."""
    if not answers:
        return set()
    params = {
        "ids": [message_id for message_id, *_ in answers],
        "statuses": [status for _, status, *_ in answers],
        "reasons": [str(reason)[:200] if reason else None for _, _, reason, *_ in answers],
        "provider_ids": [result.provider_id or None for *_, result in answers],
        "segments": [result.segments or None for *_, result in answers],
        "cost_currencies": [result.cost_currency for *_, result in answers],
        "cost_amounts": [str(result.cost_amount) if result.cost_amount else None for *_, result in answers],
        "entries": [json.dumps(entry) for _, _, _, entry, _ in answers],
        "ranks": RANKS, "now": now,
    }
    provider_ids = [provider_id for provider_id in params["provider_ids"] if provider_id]
    driver = session.connection().connection.driver_connection
    statement = STORE_ANSWERS_SQL
    try:
        with driver.pipeline():
            driver.execute(STORE_ANSWERS_SQL, params)
            if not provider_ids:
                return set()
            statement = PENDING_REPORTS_SQL
            waiting = driver.execute(PENDING_REPORTS_SQL, {"channel": channel, "provider_ids": provider_ids})
        return {provider_id for provider_id, in waiting.fetchall()}
    except psycopg.Error as error:  # as SQLAlchemy would have raised it
        raise exc.DBAPIError.instance(statement, params, error, psycopg.Error) from error
