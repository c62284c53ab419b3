"""Inviting a number that is not on Pamoja yet, when a member tries to send it money.

The invitation is written in the SENDER's language and names the sender, so the
person receiving it knows who asked. A member may invite a number at most once a
(local) day: the mark is a Redis key set before the SMS is recorded, so a second
try the same day, or a concurrent one, sends nothing. The SMS is not urgent, so an
opted-out number is not texted.
"""

from app import keys
from app.i18n import N_, T
from app.phones import InvalidPhone, normalize_phone

INVITATION = N_("{name} invites you to Pamoja. Dial {ussd_code} to save and get paid.")
MARK_SECONDS = 2 * 24 * 3600
"""The mark's key carries the day; it only has to outlive that day."""


class Invitations:
    def __init__(self, *, redis, outbox, members, clock, ussd_code, default_region):
        self.redis = redis
        self.outbox = outbox
        self.members = members
        self.clock = clock
        self.ussd_code = ussd_code
        self.default_region = default_region

    def invitable(self, sender, raw_phone):
        """The E.164 number when `raw_phone` is a valid phone that is not a member (nor the sender), else None."""
        try:
            phone = normalize_phone(raw_phone, self.default_region)
        except InvalidPhone:
            return None
        if phone == sender.phone or self.members.by_phone(phone) is not None:
            return None
        return phone

    def text(self, sender):
        return T(INVITATION, name=sender.name, ussd_code=self.ussd_code).render(sender.locale)

    def invite(self, sender, phone):
        """Send the invitation SMS; False (and nothing sent) when `sender` already invited `phone` today."""
        key = keys.invitation_key(sender.id, phone, self.clock.today())
        if not self.redis.set(key, "1", nx=True, ex=MARK_SECONDS):
            return False
        try:
            self.outbox.send_sms(phone, self.text(sender), kind="invitation", urgent=False)
        except BaseException:
            self.redis.delete(key)
            raise
        return True
