"""Reads outside a transaction until the unit of work first needs one.

psycopg opens a transaction (`BEGIN`, one round trip) before a connection's first
statement and the unit of work ends it (`COMMIT`, another), so a USSD hop that
reads one row paid three round trips to PostgreSQL for one answer. Under READ
COMMITTED, the isolation every transaction here runs at, a transaction adds nothing
to a read: each statement takes its own snapshot either way. What a transaction
gives is writes that land together and locks held until it ends.

So a session marked with `defer_transaction(session)` gets its connection in
autocommit mode while it only reads: a plain SELECT is one round trip. The first
statement that is not a plain read (any INSERT, UPDATE or DELETE, a `FOR UPDATE` or
`FOR SHARE`, an advisory lock or any function not known to be pure, any text that
is not a SELECT) switches the connection back first, so psycopg sends `BEGIN` just
before it and everything from there on is one transaction until the unit of work
commits or rolls back. Hence:

- a hop that only reads sends no BEGIN and no COMMIT;
- a money hop is one transaction, exactly as before: its locks and writes all come
  after the switch (its earlier plain reads saw committed data, as they would have
  inside a READ COMMITTED transaction);
- the PIN check's advisory lock (`serialize_pin_checks`) starts the transaction and
  is held until commit, and the re-read after it is in that transaction;
- the hop deadline (app/deadline.py) still covers the connection: nothing here
  changes when it is checked out.

A statement that is a whole unit of work on its own (one INSERT ... SELECT that
either records something complete or nothing) may say so with the execution option
`STANDALONE` (`session.execute(stmt, execution_options={STANDALONE: True})`): while
the connection is still reading it runs in autocommit too, so it commits by itself in
its one round trip (no BEGIN, no COMMIT). The caller must end the unit of work right
after such a statement wrote, or accept that it stays written whatever follows: the
payment callbacks' duplicate record (app/payments/services.py) is the one user. Once
the unit has written anything else it is an ordinary statement of that transaction.

Deciding is conservative: an unknown function call counts as needing a transaction
(which only costs the two round trips saved elsewhere). The decision is cached per
statement text (SQLAlchemy renders the same text for the same query). The
connection goes back to the pool in the engine's ordinary transactional mode.
A connection already in a transaction (the tests' rollback wrapper, a savepoint)
is left as it is. `commit_owed` tells the unit of work (and the menu engine) whether
there is anything to commit at all: a static screen's hop begins nothing, a hop that only
read began nothing PostgreSQL saw, and an empty commit still costs SQLAlchemy's bookkeeping. Knows nothing of Flask.
"""

import functools
import re

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.pool import Pool

SESSION_FLAG = "pamoja_defer_transaction"
"""In `Session.info`: this session's transactions start at their first statement that needs one."""

READING = "pamoja_reading"
"""In `Session.info`: the connections this session put in autocommit mode in its current transaction."""

CONNECTION_FLAG = "pamoja_deferred"
"""In the pool record's info: this connection is in autocommit mode because of `defer_transaction`."""

STANDALONE = "pamoja_standalone"
"""Execution option: this one statement is a complete unit of work; a reading connection runs it in autocommit."""

PURE_CALLS = frozenset({
    # SQL keywords followed by a parenthesis
    "select", "in", "exists", "any", "all", "as", "from", "join", "on", "and", "or", "not", "where", "values",
    "over", "filter", "cast", "case", "when", "then", "else", "between", "like", "is", "using",
    # functions without side effects that reads use
    "count", "sum", "min", "max", "avg", "coalesce", "nullif", "lower", "upper", "abs", "greatest", "least",
    "length", "round", "floor", "ceil", "date_trunc", "row_number", "rank", "dense_rank", "array_agg",
    "string_agg", "bool_or", "bool_and",
})
"""Names that may precede `(` in a plain read; any other call (pg_advisory_xact_lock, nextval) needs a transaction."""

_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def is_plain_read(statement):
    """True for a SELECT that takes no lock and calls nothing that could change anything."""
    sql = statement.lstrip()
    if sql[:6].upper() != "SELECT" or _LOCKING.search(sql):
        return False
    return all(name.rsplit(".", 1)[-1].lower() in PURE_CALLS for name in _CALL.findall(sql))


def commit_owed(session):
    """True when committing `session` (a Session or a scoped_session) would do anything: a transaction began
    (a statement ran or an object was added since its last commit or rollback), and either it is a real one
    (the connection left autocommit: a write, a lock) or objects wait to be flushed.

    A deferred session that only read (its connection still in autocommit) owes no commit:
    SQLAlchemy's commit would only run its bookkeeping (about 50 us) to end a transaction that
    PostgreSQL never saw; closing the session ends it. The caller still commits for pending jobs.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        return False
    reading = session.info.get(READING)
    if not reading or session.new or session.dirty or session.deleted:
        return True
    return not all(_still_reading(connection) for connection in reading)


def _still_reading(connection):
    if connection.closed or connection.invalidated or not connection.info.get(CONNECTION_FLAG):
        return False
    dbapi_connection = connection.connection.dbapi_connection
    return dbapi_connection is not None and dbapi_connection.autocommit


def defer_transaction(session):
    """Let `session` read outside a transaction until it first needs one (see the module docstring)."""
    session.info[SESSION_FLAG] = True


def stop_deferring(session):
    """Back to ordinary transactions (at the end of the unit of work)."""
    session.info.pop(SESSION_FLAG, None)


@event.listens_for(Session, "after_begin")
def _autocommit_while_reading(session, _transaction, connection):
    if not session.info.get(SESSION_FLAG) or connection.in_nested_transaction():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit or dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
        return  # an autocommit engine of its own, or a transaction someone else opened: not ours to change
    dbapi_connection.autocommit = True
    connection.info[CONNECTION_FLAG] = True
    session.info.setdefault(READING, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_reading(session, transaction):
    if transaction.parent is None:
        session.info.pop(READING, None)


@event.listens_for(Engine, "before_cursor_execute")
def _transaction_before_first_write(connection, _cursor, statement, _parameters, context, _executemany):
    if not connection.info.get(CONNECTION_FLAG):
        return
    dbapi_connection = connection.connection.dbapi_connection
    standalone = context is not None and context.execution_options.get(STANDALONE, False)
    if dbapi_connection.autocommit and not standalone and not is_plain_read(statement):
        dbapi_connection.autocommit = False  # psycopg sends BEGIN before this statement


@event.listens_for(Pool, "reset")
def _transactional_again(dbapi_connection, record, _state):
    if record is not None and record.info.pop(CONNECTION_FLAG, False) and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False
