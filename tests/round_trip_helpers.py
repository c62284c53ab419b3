"""Count the round trips the app makes to PostgreSQL, as psycopg sends them.

psycopg sends `BEGIN` on its own, just before a statement when the connection is
neither in autocommit mode nor already in a transaction, and `COMMIT`/`ROLLBACK`
only when a transaction is open; SQLAlchemy's events see neither as a statement.
`RoundTrips` listens on one engine and writes down what went over the wire. Its
listeners are the engine's own, so they run after the class-wide ones of
app/deferred_transaction.py, which may switch a connection out of autocommit just
before a statement: the BEGIN that switch causes is seen here.
"""

from contextlib import contextmanager

from psycopg.pq import TransactionStatus
from sqlalchemy import event

IDLE = TransactionStatus.IDLE


def first_word(statement):
    return statement.split(None, 1)[0].upper()


class RoundTrips:
    def __init__(self, engine):
        self.engine = engine
        self.log = []

    def _statement(self, connection, _cursor, statement, _parameters, _context, _executemany):
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.autocommit and dbapi_connection.info.transaction_status == IDLE:
            self.log.append("BEGIN")
        self.log.append(statement)

    def _ending(self, word):
        def listener(connection):
            dbapi_connection = connection.connection.dbapi_connection
            if dbapi_connection is not None and dbapi_connection.info.transaction_status != IDLE:
                self.log.append(word)
        return listener

    @contextmanager
    def recording(self):
        """`with trips.recording() as log:` the round trips of the block, in order (statements as SQL text)."""
        listeners = [("before_cursor_execute", self._statement), ("commit", self._ending("COMMIT")),
                     ("rollback", self._ending("ROLLBACK"))]
        for name, listener in listeners:
            event.listen(self.engine, name, listener)
        self.log = []
        try:
            yield self.log
        finally:
            for name, listener in listeners:
                event.remove(self.engine, name, listener)


def words(log):
    """The first word of each round trip: BEGIN, SELECT, INSERT, COMMIT ..."""
    return [first_word(entry) for entry in log]


def assert_reads_then_one_transaction(log):
    """Plain reads outside a transaction, then one BEGIN just before the first write or lock, then one COMMIT."""
    from app.deferred_transaction import is_plain_read

    assert log.count("BEGIN") == 1, words(log)
    begin = log.index("BEGIN")
    assert all(is_plain_read(entry) for entry in log[:begin]), words(log)
    assert not is_plain_read(log[begin + 1]), log[begin + 1]
    assert log[-1] == "COMMIT" and log.count("COMMIT") == 1 and "ROLLBACK" not in log, words(log)
