"""The member service: registration, PIN checks with lockout, language, profile.

Knows nothing of Flask or channels. Every PIN check, right or wrong, runs under
a per-member guard held until the caller commits, so three wrong PINs lock the
account across sessions and channels, whichever web process serves them, and no
burst of parallel guesses gets more than three evaluated. Callers commit once per
request.

The reads every USSD hop makes (by id, by phone, the PIN check's re-read) are built
once at import: SQLAlchemy then computes their cache keys once, not per call, which
measured about 130 us a read on this machine (bench/ussd_load.py's hop reads one or two).
"""

import re
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from app.i18n import SUPPORTED
from app.members import errors
from app.members.identity import mask
from app.members.kyc.tiers import registration_tier
from app.members.models import Member
from app.members.pin_hashing import (
    TRIVIAL_PINS,
    as_peppers,
    hash_pin,
    is_pin_shaped,
    lock_minutes_left,
    needs_rehash,
    pin_matches,
    serialize_pin_checks,
)
from app.phones import currency_for

BY_ID = select(Member).where(Member.id == bindparam("member_id"))
BY_PHONE = select(Member).where(Member.phone == bindparam("phone"))
FRESH_BY_ID = BY_ID.execution_options(populate_existing=True)

NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")
NATIONAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{5,12}$")
NOTIFICATION_CHANNELS = ("sms", "whatsapp")
"""Where a member may have their notifications sent (members.preferred_channel)."""


class MemberService:
    def __init__(self, session, *, clock, pepper, identity, max_attempts=3, lock_minutes=30,
                 default_currency="KES", notify=None, support_phone=""):
        self.session = session
        self.identity = identity
        self.clock = clock
        self.pepper = as_peppers(pepper)
        self.max_attempts = max_attempts
        self.lock_minutes = lock_minutes
        self.default_currency = default_currency
        self.notify = notify or (lambda member, kind, **params: None)
        self.support_phone = support_phone

    def by_phone(self, phone):
        """The member with this E.164 number, or None."""
        return self.session.scalar(BY_PHONE, {"phone": phone})

    def get(self, member_id):
        """The member with this id, or None; no query when the session has it already (as Session.get)."""
        if member_id is None or identity_key(Member, member_id) in self.session.identity_map:
            return self.session.get(Member, member_id)
        return self.session.scalar(BY_ID, {"member_id": member_id})

    @staticmethod
    def clean_name(raw):
        """A name in letters (any script), single-spaced, or raise InvalidName."""
        name = " ".join((raw or "").split())
        if not (3 <= len(name) <= 60) or not NAME_PATTERN.match(name):
            raise errors.InvalidName()
        return name.title() if name.islower() or name.isupper() else name

    @staticmethod
    def clean_national_id(raw):
        """An ID of 5-12 letters or digits, upper-cased, or raise InvalidNationalId."""
        national_id = (raw or "").strip().upper()
        if not NATIONAL_ID_PATTERN.match(national_id):
            raise errors.InvalidNationalId()
        return national_id

    @staticmethod
    def check_new_pin(pin):
        """Refuse a PIN that is not 4 digits or is trivially guessable."""
        if not is_pin_shaped(pin or "") or pin in TRIVIAL_PINS:
            raise errors.WeakPin()

    def check_changed_pin(self, member, new_pin):
        """Refuse a new PIN that is weak or the member's current one: a "change" to the same PIN
        changes nothing, yet would send "your PIN was changed"."""
        self.check_new_pin(new_pin)
        if member.pin_hash is not None and pin_matches(new_pin, member.pin_hash, self.pepper):
            raise errors.SamePin()

    def register(self, *, phone, name, national_id, locale, pin=None, agent_id=None):
        """Create a member; without a PIN (agent registration) they set it on first dial."""
        if self.by_phone(phone) is not None:
            raise errors.AlreadyRegistered()
        if pin is not None:
            self.check_new_pin(pin)
        member = Member(
            phone=phone,
            name=self.clean_name(name),
            **self._national_id_columns(self.clean_national_id(national_id)),
            locale=locale if locale in SUPPORTED else "en",
            currency=currency_for(phone, self.default_currency),
            pin_hash=hash_pin(pin, self.pepper) if pin is not None else None,
            pin_failures=0,
            kyc_level=registration_tier(national_id),  # never verified by registration (app/members/kyc)
            registered_by_agent_id=agent_id,
        )
        self.session.add(member)
        self.session.flush()
        self.notify(member, "welcome", name=member.name)
        return member

    # -- national ID (encrypted at rest, app/members/identity.py) ------------------------

    def _national_id_columns(self, national_id):
        return {"national_id_encrypted": self.identity.encrypt(national_id),
                "national_id_lookup": self.identity.lookup_hash(national_id)}

    def record_national_id(self, member, national_id):
        """Store a (cleaned) ID number for a member who had none: the KYC verification of app/members/kyc."""
        for column, value in self._national_id_columns(national_id).items():
            setattr(member, column, value)
        return member

    def national_id(self, member):
        """The member's ID number, decrypted: for a check, never for display (see `masked_national_id`)."""
        return self.identity.decrypt(member.national_id_encrypted)

    def masked_national_id(self, member):
        """The ID number as every screen, command and log line shows it."""
        return mask(self.national_id(member))

    def by_national_id(self, raw):
        """Members registered with this ID number (by its keyed hash), oldest first; [] when none or malformed."""
        try:
            national_id = self.clean_national_id(raw)
        except errors.InvalidNationalId:
            return []
        return list(self.session.scalars(select(Member).where(
            Member.national_id_lookup == self.identity.lookup_hash(national_id)).order_by(Member.id)))

    def reencrypt(self, member):
        """Re-encrypt under the current key and recompute the lookup hash; True when the row changed."""
        national_id = self.national_id(member)
        lookup = self.identity.lookup_hash(national_id)
        if not self.identity.needs_reencrypt(member.national_id_encrypted) and member.national_id_lookup == lookup:
            return False
        member.national_id_encrypted = self.identity.encrypt(national_id)
        member.national_id_lookup = lookup
        return True

    # -- PIN -------------------------------------------------------------------------------

    def locked_minutes_left(self, member):
        """Minutes until the PIN lock lifts, or 0 when the member is not locked."""
        return lock_minutes_left(member.pin_locked_until, self.clock.now())

    def check_pin(self, member, pin, *, fresh=False):
        """Check a PIN; return None when right, else the MemberError to show.

        `fresh`: `member` was read by `read_for_pin_check` in this transaction (under the
        guard, after it), so it is not read again.

        Returns rather than raises so the caller still commits the failure count:
        a rolled-back wrong PIN would never lock anyone out. Checks of one member
        are serialised (`serialize_pin_checks`, held until the caller commits)
        before the lock state is re-read, and the guard is held across the hash
        check and the count: parallel sessions queue, each sees the count the
        previous one committed, at most `max_attempts` guesses are evaluated per
        lock window, the right PIN after the lock is refused, and only the guess
        that sets the lock alerts. A right PIN writes nothing (the hop stays a
        read-only transaction) unless it clears failures or re-hashes for a new
        pepper or work factor; bench/pin_hash.py measures the hash.
        """
        if not fresh:
            member = self.read_for_pin_check(member.id)
        if member.pin_hash is None:
            return errors.NoPin()
        minutes = self.locked_minutes_left(member)
        if minutes:
            return errors.PinLocked(member.pin_locked_until, minutes)
        if pin_matches(pin, member.pin_hash, self.pepper):
            if member.pin_failures or member.pin_locked_until:
                member.pin_failures = 0
                member.pin_locked_until = None
            if needs_rehash(member.pin_hash, self.pepper):
                member.pin_hash = hash_pin(pin, self.pepper)
            return None
        member.pin_failures += 1
        if member.pin_failures < self.max_attempts:
            return errors.WrongPin(self.max_attempts - member.pin_failures)
        member.pin_failures = 0
        member.pin_locked_until = self.clock.now() + timedelta(minutes=self.lock_minutes)
        self.notify(member, "pin_locked", minutes=self.lock_minutes)
        return errors.PinLocked(member.pin_locked_until, self.lock_minutes)

    def read_for_pin_check(self, member_id):
        """The member read under the PIN-check guard (another session may have counted a failure since), or None.

        Takes the guard (`serialize_pin_checks`, held until commit) first, then reads: pass the
        result to `check_pin(..., fresh=True)`. A hop that has not read the member yet saves a
        round trip this way (menus/context.py `member_for_pin_check`).
        """
        serialize_pin_checks(self.session, "member", member_id)
        return self.session.scalar(FRESH_BY_ID, {"member_id": member_id})

    def set_pin(self, member, new_pin):
        """Set a PIN: the first one of an agent-registered member, or a change after `check_pin`."""
        self.check_changed_pin(member, new_pin)
        first_pin = member.pin_hash is None
        member.pin_hash = hash_pin(new_pin, self.pepper)
        member.pin_failures = 0
        member.pin_locked_until = None
        if not first_pin:  # a first PIN is no change: "if this was not you" would only alarm a new member
            member.pin_changed_at = self.clock.now()  # watched by the velocity rules (app/alerts)
            self.notify(member, "pin_changed")
        return member

    def reset_pin(self, member, new_pin):
        """Set the PIN the member chose after an approved reset (app/members/pin_reset.py): lockout cleared.

        The reset's own alert ("your PIN was reset") goes out from there, not "pin_changed".
        """
        self.check_new_pin(new_pin)
        member.pin_hash = hash_pin(new_pin, self.pepper)
        member.pin_failures = 0
        member.pin_locked_until = None
        member.pin_changed_at = self.clock.now()  # watched by the velocity rules (app/alerts)
        return member

    # -- blocked accounts (app/members/access.py blocks and unblocks) -----------------------

    def check_active(self, member):
        """Raise AccountBlocked when staff have blocked `member` (an id or a Member): THE check every
        channel and every money-moving service asks. Money coming in (callbacks) never asks it."""
        if isinstance(member, int):
            member = self.get(member)
        if member is not None and member.blocked_at is not None:
            raise errors.AccountBlocked(self.support_phone)

    def set_sms_opt_out(self, member, opted_out):
        """Stop (or restart) reminders and offers by SMS: the member's STOP/START, or the gateway's opt-out.

        Replies to the member's own requests still go out (app/notifications/outbox.py decides).
        """
        member.sms_opted_out = opted_out
        return member

    def set_preferred_channel(self, member, channel):
        """Where the member's notifications go: "sms" or "whatsapp" (app/notifications/routing.py reads it;
        WhatsApp falls back to SMS when it cannot deliver)."""
        if channel not in NOTIFICATION_CHANNELS:
            raise errors.MemberError()
        member.preferred_channel = channel
        return member

    def set_locale(self, member, locale):
        if locale not in SUPPORTED:
            raise errors.MemberError()
        member.locale = locale
        return member
