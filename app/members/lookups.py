"""Recipient look-ups are limited per member: Send money is not a directory.

Every number a member asks about (Send money on USSD/WhatsApp, SEND by SMS) says
whether it is on Pamoja and, if so, a first name and initial. A member may ask
`per_hour` times an hour (RECIPIENT_LOOKUPS_PER_HOUR), counted in Redis per member
in fixed hourly windows (key app.keys.recipient_lookups_key), whether the number
was found or not. Beyond that the look-up is refused with TooManyLookups.
"""

from app.i18n import N_, T
from app.keys import recipient_lookups_key

WINDOW_SECONDS = 3600


class TooManyLookups(Exception):
    """The member asked about too many numbers this hour; `message` is for them."""

    message = T(N_("You have checked too many numbers this hour. Please try again later."))


class RecipientLookups:
    def __init__(self, redis, *, clock, per_hour):
        self.redis = redis
        self.clock = clock
        self.per_hour = per_hour

    def count(self, member):
        """Count one look-up by `member`; raise TooManyLookups past the hour's limit."""
        window = int(self.clock.now().timestamp() // WINDOW_SECONDS)
        key = recipient_lookups_key(member.id, window)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS)
        used, _ = pipe.execute()
        if used > self.per_hour:
            raise TooManyLookups()
