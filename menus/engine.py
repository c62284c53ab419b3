"""The menu engine: one step of one session per request, on any channel.

`Engine.handle` loads the session from Redis, works out the new input, moves
through the tree (navigation `0` back, `00` home, `98` more on any screen shown in
pages; `0` on a home menu shows it again), runs the screen's
action against the domain services, renders the next screen for the channel's
limits, commits once, and saves the session. It knows nothing of HTTP or of any
provider: channels describe themselves with a `ChannelProfile`.

Cumulative channels (USSD) send the whole path `1*2*500`; the new input is what
follows the previous text, checked against a keyed digest of it (the text holds
PINs, so it is never stored). The same text again is a network replay and gets
the stored reply without running anything.

A session belongs to the phone that opened it: a request carrying another phone's
session id, or (on USSD) a text that neither repeats nor extends the previous one,
is not this session's next hop. It ends with NOT_THIS_SESSION and leaves the
session exactly as it was (nothing run, nothing saved), instead of guessing.

Entering a screen that confirms something (Confirm, Pin) draws a new nonce into the
session: every money movement's idempotency key carries it (menus/context.py), so
each confirmation is its own movement while a replayed hop reuses the same key.

A USSD session left mid-flow is marked by phone (menus/session.py): the next dial
opens with "Your last session timed out. Nothing was changed."

A hop runs at most one action, so an `Invalid` or `Stop` raised by an action rolls
the hop's transaction back: nothing it wrote survives (no savepoint needed, which
saves three round trips on every action hop). Actions that must keep a write while
refusing (a wrong PIN is counted) return `Reprompt(...)` or `Finish(...)` instead.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import OperationalError

from app.deadline import hop_deadline
from app.hop_counters import count_hop, queue_hop_count
from app.i18n import N_, T, Text
from app.jobs import commit_if_owed
from app.members.pin_hashing import is_pin_shaped
from app.observability import ERRORS, HOP_SECONDS, HOPS, log_event
from menus.context import NONCE, Context
from menus.render import render_screen
from menus.screens import Branch, Confirm, End, Input, Invalid, Menu, Paged, Pin, Stop, outcome_target
from menus.session import MenuSession

BACK, HOME, MORE = "0", "00", "98"
MAX_INPUT_CHARS = 160
"""Longer input is refused before any parsing: no real answer is that long."""

UNAVAILABLE = T(N_("Service is temporarily unavailable. Please try again later."))
TOO_MANY_ERRORS = T(N_("Too many invalid entries. Please dial again."))
INPUT_TOO_LONG = T(N_("That is too long. Try again."))
EMPTY_INPUT = T(N_("Please enter a choice."))
READ_TO_THE_END = T(N_("Read to the end first: 98 for more."))
PIN_SHAPE = T(N_("Enter 4 digits."))
NOT_THIS_SESSION = T(N_("This session has ended. Please dial again."))
"""The answer to a request that is not this session's next hop (another phone, an unknown text)."""
SESSION_TIMED_OUT = T(N_("Your last session timed out. Nothing was changed."))
"""Said on the first screen of a dial after a USSD session was left unfinished."""


class Reprompt(NamedTuple):
    """Returned by an action: stay on this screen with `message`, keep what was written."""

    message: object


class Finish(NamedTuple):
    """Returned by an action: end the session with `message`, keep what was written."""

    message: object


@dataclass(frozen=True)
class ChannelProfile:
    """How a channel delivers input and what its screens may hold."""

    name: str
    session_ttl: int
    max_chars: int | None = None
    cumulative: bool = False
    measure: Callable[[str], int] = len
    normalize: Callable[[str], str] = str
    page_size: int = 9
    wording: Mapping[str, str] = field(default_factory=dict)
    """The channel's own words for the few messages that name a channel's gesture ("Please dial
    again"): msgid -> this channel's msgid, same parameters. Absent: the message as written (USSD's)."""

    keywords: Mapping[str, str] = field(default_factory=dict)
    """Words meaning a navigation input anywhere (chat: `back` -> `0`), matched case-insensitively."""
    shortcuts: Mapping[str, str] = field(default_factory=dict)
    """Words leading straight to a screen anywhere (chat: `balance`); signed-in sessions only,
    except to an End (`exit`). A screen the tree lacks is ignored."""

    def words(self, message):
        """`message` in this channel's words (a Text or a msgid)."""
        if isinstance(message, Text) and message.msgid in self.wording:
            return Text(self.wording[message.msgid], message.params)
        if isinstance(message, str) and message in self.wording:
            return self.wording[message]
        return message


@dataclass(frozen=True)
class Reply:
    text: str
    end: bool
    secret_input: bool = False
    """The input answered a secret screen (a PIN): a channel whose provider keeps messages deletes it."""


class Engine:
    def __init__(self, tree, store, *, secret, max_errors=3, default_locale="en"):
        """`secret` keys the digest of the previous text (app.secrets.MENU_INPUT_DIGEST, never the PIN pepper)."""
        self.tree = tree
        self.store = store
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.max_errors = max_errors
        self.default_locale = default_locale

    def handle(self, channel, session_id, phone, raw_text, services, prefetched=None):
        """Answer one request: returns a Reply, never raises for bad input or lost dependencies.

        `prefetched` (cumulative channels): the results of `store.queue_load_marked`'s reads,
        sent by the channel with its own first round trip, or the RedisError that lost them.
        None: the engine reads the session itself.
        """
        started = time.perf_counter()
        outcome, screen_name, state, secret_input, redis_down = "ok", None, None, False, False
        counted = False
        try:
            with hop_deadline(services.settings.HOP_DEADLINE_MS):
                raw_text = raw_text or ""
                timed_out = False
                if channel.cumulative:
                    state, marked = self._load_marked(channel, session_id, phone, prefetched)
                    timed_out = marked and state is None
                else:
                    state = self.store.load(channel.name, session_id)
                secret_input = self._answers_secret(channel, state, raw_text)
                if state is not None and not self._belongs(channel, state, phone, raw_text):
                    outcome = "foreign"
                    return Reply(channel.normalize(channel.words(NOT_THIS_SESSION).render(self.default_locale)), True)
                if state is not None and channel.cumulative and self._is_replay(state, raw_text):
                    outcome = "replay"
                    return Reply(*state.last_reply)
                reply, state, outcome = self._step(channel, session_id, phone, raw_text, state, services,
                                                   timed_out)
                screen_name = state.current
                commit_if_owed(services.session)  # a hop that only read owes no commit
                self._remember(state, raw_text, reply)
                counted = self._save_and_count(channel, session_id, state, reply, outcome)
                return replace(reply, secret_input=secret_input)
        except (RedisError, OperationalError, SAInterfaceError) as exc:
            outcome, redis_down = "unavailable", isinstance(exc, RedisError)
            ERRORS.labels(channel.name, type(exc).__name__).inc()
            self._rollback(services)
            locale = state.locale if state else self.default_locale
            return Reply(channel.normalize(UNAVAILABLE.render(locale)), True, secret_input)
        finally:
            elapsed = time.perf_counter() - started
            HOPS.labels(channel.name, outcome).inc()
            # The hour counters (app/hop_counters.py), unless sent with the session: no second timeout in an outage
            if not redis_down and not counted:
                count_hop(self.store.redis, channel.name, outcome)
            HOP_SECONDS.labels(channel.name).observe(elapsed)
            log_event("hop", channel=channel.name, session=session_id, screen=screen_name, outcome=outcome,
                      ms=round(elapsed * 1000, 2))

    # -- Redis ------------------------------------------------------------------------------------

    def _load_marked(self, channel, session_id, phone, prefetched):
        if prefetched is None:
            return self.store.load_marked(channel.name, session_id, phone)
        if isinstance(prefetched, RedisError):
            raise prefetched
        return self.store.read_marked(*prefetched)

    def _save_and_count(self, channel, session_id, state, reply, outcome):
        """Save (or, ended off USSD, delete) the session and count the hop in one round trip; returns True.

        A failed session write raises (the hop is unavailable); a failed count is ignored,
        as `count_hop` ignores it (app/hop_counters.py).
        """
        pipe = self.store.redis.pipeline(transaction=False)
        if reply.end and not channel.cumulative:
            writes = self.store.queue_delete(pipe, channel.name, session_id)
        else:
            writes = self.store.queue_save(pipe, state, channel.session_ttl,
                                           unfinished=self._unfinished(channel, state, reply))
        queue_hop_count(pipe, channel.name, outcome)
        for result in pipe.execute(raise_on_error=False)[:writes]:
            if isinstance(result, Exception):
                raise result
        return True

    # -- input ------------------------------------------------------------------------------------

    def _answers_secret(self, channel, state, raw_text):
        """True when a one-input message answered a secret screen, whatever the hop then does.

        Decided before the hop runs, so a refused, locked or failed PIN is flagged too;
        navigation (`0`, `00`) is not a secret. A four-digit message that finds no live
        session was most likely typed at a PIN screen that expired, so it counts.
        Cumulative channels (USSD) carry the whole path and keep nothing: never flagged.
        """
        if channel.cumulative:
            return False
        raw = raw_text.strip()
        if state is None or state.ended:
            return is_pin_shaped(raw)
        screen = self.tree.screens.get(state.current)
        return screen is not None and screen.sensitive and raw not in (BACK, HOME)

    def _digest(self, state, text):
        return hmac.new(self.secret, f"{state.session_id}:{text}".encode(), hashlib.sha256).hexdigest()[:32]

    def _is_replay(self, state, raw_text):
        return state.last_reply is not None and state.prev_len == len(raw_text) and \
            hmac.compare_digest(state.prev_digest or "", self._digest(state, raw_text))

    def _remember(self, state, raw_text, reply):
        state.prev_len = len(raw_text)
        state.prev_digest = self._digest(state, raw_text)
        state.last_reply = [reply.text, reply.end]
        state.ended = reply.end

    def _extends(self, state, raw_text):
        """True when `raw_text` is the previous text, `*`, and one more input."""
        return len(raw_text) > state.prev_len and raw_text[state.prev_len] == "*" and \
            hmac.compare_digest(state.prev_digest or "", self._digest(state, raw_text[: state.prev_len]))

    def _belongs(self, channel, state, phone, raw_text):
        """True when this request may be `state`'s next hop: the same phone and, on USSD, a known text."""
        if state.phone != phone:
            return False
        if not channel.cumulative or state.ended or state.prev_len == 0:
            return True
        return self._is_replay(state, raw_text) or self._extends(state, raw_text)

    def _new_inputs(self, channel, state, raw_text):
        """The inputs this request carries, in order (`_belongs` has vouched for the text)."""
        if state is None:
            # A new session starts at the start screen whatever it carries: replaying
            # a path into a session Redis lost would check a menu choice as a PIN.
            return []
        if not channel.cumulative or state.prev_len == 0:
            return [raw_text]
        return [raw_text[state.prev_len + 1:]]

    # -- movement ---------------------------------------------------------------------------------

    def _unfinished(self, channel, state, reply):
        """On USSD: True when the session stops mid-flow (not ended, past its first screen, not on a home menu)."""
        if not channel.cumulative:
            return None
        screen = self.tree.screens.get(state.current)
        return not reply.end and len(state.stack) > 1 and screen is not None and not screen.home

    def _step(self, channel, session_id, phone, raw_text, state, services, timed_out=False):
        fresh = state is None or state.ended
        inputs = self._new_inputs(channel, None if fresh else state, raw_text)
        if fresh:
            state = MenuSession(channel=channel.name, session_id=session_id, phone=phone,
                                locale=self.default_locale)
        ctx = Context(state, services, channel)
        if timed_out:
            ctx.notice = SESSION_TIMED_OUT
        try:
            if fresh:
                screen = self._enter(ctx, self.tree.start)
            else:
                screen = self.tree[state.current]
            for raw in inputs:
                if isinstance(screen, End):
                    break
                screen = self._input(ctx, screen, raw)
            outcome = "end" if isinstance(screen, End) else "ok"
            return render_screen(ctx, screen, channel), state, outcome
        except Stop as stop:
            return self._finish(ctx, channel, stop.message), state, "stop"

    def _finish(self, ctx, channel, message):
        return Reply(channel.normalize(ctx.translate(channel.words(message))), True)

    def _input(self, ctx, screen, raw):
        state = ctx.state
        raw = raw.strip()
        word = raw.casefold()
        raw = ctx.channel.keywords.get(word, raw)
        shortcut = self.tree.screens.get(ctx.channel.shortcuts.get(word))
        if isinstance(screen, Menu) and any(ctx.translate(option.label).casefold() == word
                                            for option in screen.visible_options(ctx)):
            shortcut = None  # this menu's own option of that name comes first (a group's Balance)
        if shortcut is not None and not screen.sensitive and (state.authenticated or isinstance(shortcut, End)):
            state.stack, state.errors = [self.tree.home] if state.authenticated else [], 0
            return self._enter(ctx, shortcut.name)
        if raw == HOME:
            return self._enter(ctx, self.tree.home if state.authenticated else self.tree.start)
        if raw == BACK and len(state.stack) > 1:
            state.stack.pop()
            # Back never lands on a PIN screen: the PIN was given; asking again is a trap.
            while len(state.stack) > 1 and isinstance(self.tree[state.stack[-1]], Pin):
                state.stack.pop()
            state.page, state.errors = 0, 0
            return self._enter(ctx, state.stack.pop(), going_back=True)
        if raw == BACK and screen.home:
            return screen  # nowhere to go back to: the same menu again, not an error
        if raw == MORE and (state.more_pages or isinstance(screen, Paged)):
            state.page += 1
            return screen
        try:
            if not raw:
                raise Invalid(EMPTY_INPUT)
            if len(raw) > MAX_INPUT_CHARS:
                raise Invalid(INPUT_TOO_LONG)
            target = self._run(ctx, screen, raw)
        except Invalid as invalid:
            return self._reprompt(ctx, screen, invalid.message)
        if isinstance(target, Reprompt):
            return self._reprompt(ctx, screen, target.message)
        if isinstance(target, Finish):
            raise Stop(target.message)
        state.errors = 0
        return self._enter(ctx, target)

    def _reprompt(self, ctx, screen, message):
        ctx.state.errors += 1
        if ctx.state.errors >= self.max_errors:
            raise Stop(TOO_MANY_ERRORS)
        ctx.error = message
        if not isinstance(screen, Paged):
            ctx.state.page = 0  # the error line heads the first page of a screen split in pages
        return screen

    def _run(self, ctx, screen, raw):
        """Handle `raw` on `screen`; return the target screen name (or a Reprompt/Finish)."""
        if isinstance(screen, Menu):
            return screen.choose(ctx, raw)
        if isinstance(screen, Confirm):
            if not Confirm.answer(raw):
                return screen.cancel
            if ctx.state.more_pages:
                raise Invalid(READ_TO_THE_END)  # a Yes before the last page: a loan's terms are read before accepted
            return self._outcome(ctx, screen, lambda: screen.on_yes(ctx) if screen.on_yes else None)
        if isinstance(screen, Pin):
            if raw in screen.escapes:
                return screen.escapes[raw]  # never a PIN: not counted, no action
            if not is_pin_shaped(raw):
                raise Invalid(PIN_SHAPE)  # not a guess: never counted as a wrong PIN
            return self._outcome(ctx, screen, lambda: screen.action(ctx, raw))
        if isinstance(screen, Input):
            def act():
                value = screen.parse(ctx, raw) if screen.parse else raw
                if screen.key:
                    ctx.data[screen.key] = value
                return screen.action(ctx, value) if screen.action else None
            return self._outcome(ctx, screen, act)
        if isinstance(screen, Paged):
            return self._outcome(ctx, screen, lambda: self._select(ctx, screen, raw))
        raise Invalid(EMPTY_INPUT)

    def _select(self, ctx, screen, raw):
        if screen.select is None:
            raise Invalid(T(N_("Reply 0 to go back or 00 for the menu.")))
        if not (raw.isdigit() and raw.isascii()):
            raise Invalid(T(N_("Choose a number from the list.")))
        items = screen.items(ctx)
        index = int(raw) - 1
        if not 0 <= index < len(items):
            raise Invalid(T(N_("Choose a number from the list.")))
        return screen.select(ctx, items[index])

    def _outcome(self, ctx, screen, action):
        """Run the hop's action; a refusal it raises undoes everything it wrote."""
        try:
            outcome = action()
        except (Invalid, Stop):
            ctx.services.session.rollback()
            raise
        if isinstance(outcome, (Reprompt, Finish)):
            return outcome
        return outcome_target(screen.next, outcome)

    def _enter(self, ctx, name, going_back=False):
        state = ctx.state
        screen = self.tree[name]
        while isinstance(screen, Branch):
            outcome = screen.decide(ctx)
            if isinstance(outcome, Finish):
                raise Stop(outcome.message)
            screen = self.tree[outcome_target(screen.next, outcome)]
        if isinstance(screen, End):
            state.stack.append(screen.name)
            return screen
        if isinstance(screen, (Confirm, Pin)):
            state.data[NONCE] = secrets.token_hex(8)  # a new confirmation: a new movement
        if screen.home:
            state.stack = [screen.name]
        elif screen.name in state.stack:
            # Arriving again (a retry loop, `00` before login) unwinds to it: `0` never leads forward.
            del state.stack[state.stack.index(screen.name) + 1:]
        else:
            state.stack.append(screen.name)
        state.page = 0
        if not going_back:
            state.errors = 0
        return screen

    @staticmethod
    def _rollback(services):
        try:
            services.session.rollback()
        except Exception:  # noqa: BLE001 - the database may be the thing that is down
            pass
