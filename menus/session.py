"""Menu sessions in Redis: one JSON value per session, with a TTL.

A session holds the screen stack, the inputs collected so far, the member's
locale and id, and what is needed to answer a repeated request: a keyed digest
of the previous raw text (never the text itself, which on USSD contains PINs)
and the last reply. It never holds a PIN.

On USSD a phone's session left unfinished (mid-flow, not ended) is also marked by
phone, so the next dial can say the last session timed out and nothing was changed
(WhatsApp does the same in channels/whatsapp.py). The mark is read with the session
and written with it, in one round trip each: a hop costs no extra call.
"""

import json
from dataclasses import dataclass, field, fields

from app.keys import chat_expired_key, menu_session_key
from app.money import Money

UNFINISHED_MEMORY = 24 * 3600
"""How long after a session was left unfinished the next dial is told it timed out."""


def encode_value(value):
    """Inputs may be Money: kept as {"$money": [minor, currency]}."""
    if isinstance(value, Money):
        return {"$money": [value.minor, value.currency]}
    raise TypeError(f"cannot keep {type(value).__name__} in a menu session")


def decode_value(obj):
    if "$money" in obj and len(obj) == 1:
        return Money(*obj["$money"])
    return obj


@dataclass
class MenuSession:
    channel: str
    session_id: str
    phone: str
    stack: list = field(default_factory=list)
    data: dict = field(default_factory=dict)
    locale: str = "en"
    member_id: int | None = None
    authenticated: bool = False
    page: int = 0
    more_pages: bool = False
    """The screen last shown has pages after this one: `98` turns the page."""
    errors: int = 0
    prev_len: int = 0
    prev_digest: str | None = None
    last_reply: list | None = None
    ended: bool = False

    @property
    def current(self):
        return self.stack[-1] if self.stack else None


class SessionStore:
    """Load and save MenuSessions; one GET and one SET per hop.

    The `queue_*` forms put the same commands on a caller's pipeline, so a hop can send
    them with its other Redis work (rate limits, hop counters) in one round trip.
    """

    def __init__(self, redis):
        self.redis = redis

    def load(self, channel, session_id):
        """The stored session, or None when there is none (new or expired)."""
        raw = self.redis.get(menu_session_key(channel, session_id))
        if raw is None:
            return None
        return MenuSession(**json.loads(raw, object_hook=decode_value))

    def load_marked(self, channel, session_id, phone):
        """(the stored session or None, True when the phone's last session was left unfinished)."""
        pipe = self.redis.pipeline(transaction=False)
        self.queue_load_marked(pipe, channel, session_id, phone)
        return self.read_marked(*pipe.execute())

    @staticmethod
    def queue_load_marked(pipe, channel, session_id, phone):
        """Queue `load_marked`'s two reads on `pipe` (a channel sends them with its own first round trip)."""
        pipe.get(menu_session_key(channel, session_id))
        pipe.exists(chat_expired_key(channel, phone))

    @staticmethod
    def read_marked(raw, marked):
        """`load_marked`'s answer from the results of the two reads `queue_load_marked` queued."""
        state = None if raw is None else MenuSession(**json.loads(raw, object_hook=decode_value))
        return state, bool(marked)

    def save(self, session, ttl, *, unfinished=None):
        """Store `session`; `unfinished` True/False marks or clears its phone's mark (None: untouched)."""
        pipe = self.redis.pipeline(transaction=False)
        self.queue_save(pipe, session, ttl, unfinished=unfinished)
        pipe.execute()

    @staticmethod
    def queue_save(pipe, session, ttl, *, unfinished=None):
        """Queue `save`'s writes on `pipe`; returns how many commands it queued."""
        state = {f.name: getattr(session, f.name) for f in fields(session)}
        pipe.set(menu_session_key(session.channel, session.session_id),
                 json.dumps(state, separators=(",", ":"), default=encode_value), ex=ttl)
        if unfinished is True:
            pipe.set(chat_expired_key(session.channel, session.phone), 1, ex=UNFINISHED_MEMORY)
        elif unfinished is False:
            pipe.delete(chat_expired_key(session.channel, session.phone))
        return 1 if unfinished is None else 2

    def delete(self, channel, session_id):
        self.redis.delete(menu_session_key(channel, session_id))

    @staticmethod
    def queue_delete(pipe, channel, session_id):
        """Queue `delete` on `pipe`; returns how many commands it queued."""
        pipe.delete(menu_session_key(channel, session_id))
        return 1
