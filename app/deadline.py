"""The app's own deadline on a hop, for a database that cannot enforce its own.

A frozen PostgreSQL (a stopped backend, a network path that drops packets, a
PgBouncer stuck on its server) never answers, so its `statement_timeout` never
fires and a request would wait on its socket for minutes. `hop_deadline(ms)` gives
the code inside it a deadline: while it runs, every connection this thread takes
from a SQLAlchemy pool is remembered (a dup of its socket), and when the deadline
passes one shared watchdog thread shuts those sockets down. The blocked read then
fails at once with an OperationalError (the caller's "temporarily unavailable"),
and the pool invalidates the broken connection. A connection whose socket was shut
down while nothing waited on it (a read-only hop keeps its idle autocommit connection
until the request ends, and the deadline may pass during its last Redis save) goes back
to the pool looking healthy: its pool record is marked, and its next checkout replaces
it (DisconnectionError: the pool reconnects) instead of failing another member's hop. A
connection taken after the deadline is refused the same way, and a hop that gave up
waiting for a pooled connection gets an OperationalError too, not a pool TimeoutError.

One timer thread serves every request (a heap of deadlines, woken only when a new
deadline is the earliest), so a hop pays a lock, a heap push and a `dup` per
connection it uses. The thread wakes at most every RESOLUTION and then settles every
deadline that has passed: a deadline is enforced up to RESOLUTION late, and at
hundreds of hops a second the thread wakes 20 times a second, not once per hop
(each wake-up takes the GIL from the threads serving hops). Redis needs none of
this: its client's `socket_timeout` already bounds every read (app/extensions.py).
Knows nothing of Flask.
"""

import heapq
import itertools
import os
import socket
import threading
import time
from contextlib import contextmanager

import psycopg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import Pool

RESOLUTION = 0.05
"""Seconds the watchdog may sleep past a deadline, so one wake-up settles every deadline passed meanwhile."""

BROKEN = "pamoja_deadline_broken"
"""In a pool record's info: the watchdog shut this connection's socket down; replace it at its next checkout."""


class _Hop:
    """One deadline: the sockets its thread holds ((dup'ed fd, pool record) by connection id), whether it has passed."""

    __slots__ = ("at", "fds", "expired", "done")

    def __init__(self, at):
        self.at = at
        self.fds = {}
        self.expired = False
        self.done = False

    def release(self, held):
        """Close the dup'ed descriptors of `held` connections; mark their records when their sockets were broken."""
        for fd, record in held:
            os.close(fd)
            if self.expired and record is not None:
                record.info[BROKEN] = True


class Watchdog:
    """One daemon thread that breaks the database sockets of hops that overran their deadline."""

    def __init__(self):
        self._lock = threading.Condition(threading.Lock())
        self._heap = []
        self._order = itertools.count()
        self._local = threading.local()
        self._thread = None
        self.wakeups = 0
        """How often the watchdog thread woke (tests/app/test_deadline.py bounds it)."""

    @contextmanager
    def hop(self, seconds):
        """Run the block with a deadline of `seconds` (None or <= 0: no deadline)."""
        if not seconds or seconds <= 0:
            yield
            return
        hop = _Hop(time.monotonic() + seconds)
        outer = getattr(self._local, "hop", None)
        self._local.hop = hop
        with self._lock:
            self._start()
            heapq.heappush(self._heap, (hop.at, next(self._order), hop))
            if self._heap[0][2] is hop:
                self._lock.notify()
        try:
            yield
        except PoolTimeout as exc:
            raise OperationalError("waiting for a pooled database connection", None, exc) from exc
        finally:
            self._local.hop = outer
            with self._lock:
                hop.done = True
                held, hop.fds = hop.fds, {}
            hop.release(held.values())  # connections still out: their sockets may be broken

    # -- pool events (any thread) -------------------------------------------------------------------

    def on_checkout(self, dbapi_connection, record, _proxy):
        if record.info.pop(BROKEN, False):
            raise DisconnectionError("its socket was shut down at a hop's deadline")  # the pool reconnects
        hop = getattr(self._local, "hop", None)
        if hop is None:
            return
        fd = _socket_fd(dbapi_connection)
        with self._lock:
            if hop.expired:
                raise psycopg.OperationalError("the request's deadline passed before a database connection was free")
            if fd is not None:
                hop.fds[id(dbapi_connection)] = (os.dup(fd), record)

    def on_checkin(self, dbapi_connection, _record):
        hop = getattr(self._local, "hop", None)
        if hop is None or dbapi_connection is None:
            return
        with self._lock:
            held = hop.fds.pop(id(dbapi_connection), None)
        if held is not None:
            hop.release([held])

    # -- the watchdog thread ------------------------------------------------------------------------

    def _start(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="hop-deadline", daemon=True)
            self._thread.start()

    def _run(self):
        with self._lock:
            while True:
                self.wakeups += 1
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    hop = heapq.heappop(self._heap)[2]
                    if not hop.done:
                        hop.expired = True
                        for fd, _record in hop.fds.values():
                            _break(fd)
                self._lock.wait(self._heap[0][0] - now + RESOLUTION if self._heap else None)


def _socket_fd(dbapi_connection):
    """The psycopg connection's socket descriptor, or None (another driver, already closed)."""
    try:
        return dbapi_connection.pgconn.socket
    except (AttributeError, psycopg.Error):
        return None


def _break(fd):
    """Shut the socket down both ways: a thread blocked reading it wakes with an error now."""
    sock = socket.socket(fileno=fd)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer: the blocked read has its error anyway
    finally:
        sock.detach()


WATCHDOG = Watchdog()
event.listen(Pool, "checkout", WATCHDOG.on_checkout)
event.listen(Pool, "checkin", WATCHDOG.on_checkin)


def hop_deadline(milliseconds):
    """A deadline of `milliseconds` on the block (0 or None: none); see the module docstring."""
    return WATCHDOG.hop(milliseconds / 1000 if milliseconds else None)
