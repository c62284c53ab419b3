"""A member's own mobile-money number: "my money is on another number (or network) than this SIM".

The member sets it on USSD/WhatsApp (My account > Mobile money number); from then on
the payments service (`route`, called once by `PaymentService.start`) sends the member's
collections and payouts to that number, through the provider of its network.

A different number can move money out to someone else's wallet, so:

- it is set only with a one-time code (purpose `momo_number`) sent by SMS to the NEW
  number and typed back in the menu: whoever sets it holds that phone;
- payouts to a newly set number are held for MOMO_NUMBER_PAYOUT_HOLD_HOURS (refused
  with the time they open; collections from it are allowed at once), so a thief with
  the member's PIN cannot empty the savings to their own wallet before the member
  notices; choosing only another network for the SIM's own number is not held;
- the SIM's number is told by SMS (set and removed), and every step is audited with
  the member as the actor.

Removing it takes effect at once (back to the SIM's number and network). Only a
payment the caller asks for the member's own SIM number, with no provider named, is
routed: refunds name the provider of the payment they reverse and go back to the
wallet that paid. Knows nothing of Flask or channels.
"""

import json
from datetime import timedelta

from sqlalchemy import select

from app.i18n import N_, ShortDate, T
from app.members.errors import MemberError
from app.members.models import Member, MomoNumber
from app.one_time_codes import CodePolicy
from app.payments.errors import PaymentError
from app.phones import InvalidPhone, masked, normalize_phone
from app.staff.actor import Actor

PURPOSE = "momo_number"
CODE_MINUTES = 10
SMS_KIND = "member_access"
DISBURSEMENT = "disbursement"
"""app/payments/providers/base.py's DISBURSEMENT (kept here so members does not import provider code)."""

CODE_SMS = N_("Pamoja: code {code} makes this number the mobile money number of a Pamoja account. Type it in "
              "the Pamoja menu. If you did not ask, ignore this.")
SET_SMS = N_("Pamoja: your mobile money now goes to the number ending {ending}. Payouts to it start after "
             "{hours} hours. If this was not you, call {support_phone} at once.")
NETWORK_SMS = N_("Pamoja: your mobile money on this number now goes through {network}. If this was not you, call "
                 "{support_phone}.")
REMOVED_SMS = N_("Pamoja: your mobile money goes to this number again. If this was not you, call "
                 "{support_phone}.")


class MomoNumberError(MemberError):
    """A refused change of the mobile-money number; `message` is a Text for the member."""


class PayoutOnHold(PaymentError):
    """A payout to a mobile-money number set less than the hold ago: refused until `opens_at`."""

    def __init__(self, opens_at, when):
        super().__init__(f"payouts to the new mobile money number open at {opens_at.isoformat()}",
                         T(N_("Payouts to your new mobile money number start on {when}. Try again then."),
                           when=when))
        self.opens_at = opens_at


def refused(msgid, **params):
    return MomoNumberError(T(msgid, **params))


class MomoNumbers:
    def __init__(self, session, *, clock, codes, audit, outbox, provider_for, networks_in, hold_hours=24,
                 default_region="KE", support_phone=""):
        """`provider_for(phone, network)` names the provider (or raises NoProviderForNumber);
        `networks_in(phone)` lists the networks a member may choose for a number."""
        self.session = session
        self.clock = clock
        self.codes = codes
        self.audit = audit
        self.outbox = outbox
        self.provider_for = provider_for
        self.networks_in = networks_in
        self.hold = timedelta(hours=hold_hours)
        self.hold_hours = hold_hours
        self.default_region = default_region
        self.support_phone = support_phone
        self.policy = CodePolicy(PURPOSE, ttl_seconds=CODE_MINUTES * 60, max_attempts=3, digits=6)

    def current(self, member):
        """The member's MomoNumber, or None (the SIM's number)."""
        return self.session.get(MomoNumber, member.id)

    def phone(self, raw):
        """The E.164 form of what the member typed, or raise MomoNumberError."""
        try:
            return normalize_phone(raw, self.default_region)
        except InvalidPhone:
            raise refused(N_("Enter a valid mobile number, like 0712345678.")) from None

    # -- setting it --------------------------------------------------------------------------------

    def request(self, member, phone, network=None, *, channel):
        """Send a code to `phone` (E.164) for the member to type back; nothing changes until then."""
        if phone == member.phone and network is None:
            raise refused(N_("That is your number already. To use it again, remove the other number."))
        try:
            self.provider_for(phone, network)
        except PaymentError as error:
            raise MomoNumberError(error.message) from None
        payload = json.dumps({"member": member.id, "phone": phone, "network": network})
        code = self.codes.issue(self.policy, self._subject(member), payload)
        self.audit.record(Actor.member(member.id, channel), "members.momo_number.request", ("member", member.id),
                          after={"momo_phone_ending": phone[-3:], "network": network})
        self._sms(member, phone, CODE_SMS, code=code)

    def confirm(self, member, code, *, channel):
        """The member typed the code: the number is theirs from now. Raises CodeError or MomoNumberError."""
        wanted = json.loads(self.codes.redeem(self.policy, self._subject(member), code).payload)
        member = self.session.scalar(select(Member).where(Member.id == member.id).with_for_update())
        now = self.clock.now()
        row = self.current(member)
        before = {"phone": row.phone, "network": row.network} if row else {"phone": member.phone, "network": None}
        new_number = wanted["phone"] != member.phone
        if row is None:
            row = MomoNumber(member_id=member.id)
            self.session.add(row)
        row.phone, row.network, row.set_at = wanted["phone"], wanted["network"], now
        row.payouts_from = now + self.hold if new_number else now
        self.session.flush()
        self.audit.record(Actor.member(member.id, channel), "members.momo_number.set", ("member", member.id),
                          before=before, after={"phone": row.phone, "network": row.network},
                          reason="set by the member with the code sent to that number")
        if new_number:
            self._sms(member, member.phone, SET_SMS, ending=row.phone[-3:], hours=self.hold_hours,
                      support_phone=self.support_phone)
        else:
            self._sms(member, member.phone, NETWORK_SMS, network=(row.network or "").capitalize(),
                      support_phone=self.support_phone)
        return row

    def remove(self, member, *, channel):
        """Back to the SIM's number and network; False when there was nothing to remove."""
        row = self.session.scalar(select(MomoNumber).where(MomoNumber.member_id == member.id).with_for_update())
        if row is None:
            return False
        self.audit.record(Actor.member(member.id, channel), "members.momo_number.remove", ("member", member.id),
                          before={"phone": row.phone, "network": row.network},
                          after={"phone": member.phone, "network": None}, reason="removed by the member")
        self.session.delete(row)
        self.session.flush()
        self._sms(member, member.phone, REMOVED_SMS, support_phone=self.support_phone)
        return True

    # -- routing -----------------------------------------------------------------------------------

    def route(self, member_id, phone, direction):
        """(phone, network) a payment the caller asked for `phone` goes to: the member's own number when they set one
        and `phone` is their SIM's (network None: read it from the number). Raises PayoutOnHold."""
        row = self.session.scalar(select(MomoNumber).join(Member, Member.id == MomoNumber.member_id)
                                  .where(MomoNumber.member_id == member_id, Member.phone == phone))
        if row is None:
            return phone, None
        if direction == DISBURSEMENT and self.clock.now() < row.payouts_from:
            local = row.payouts_from.astimezone(self.clock.zone)
            raise PayoutOnHold(row.payouts_from, ShortDate(local, with_time=True))
        return row.phone, row.network

    def describe(self, member):
        """What My account shows: the masked number the money goes to (and the network when chosen)."""
        row = self.current(member)
        if row is None:
            return T(N_("Your mobile money number is this phone's number."))
        if row.network is None:
            return T(N_("Your mobile money number: {phone}"), phone=masked(row.phone))
        return T(N_("Your mobile money number: {phone} ({network})"), phone=masked(row.phone),
                 network=row.network.capitalize())

    @staticmethod
    def _subject(member):
        return f"member:{member.id}"

    def _sms(self, member, phone, msgid, **params):
        self.outbox.send_sms(phone, T(msgid, **params).render(member.locale), kind=SMS_KIND, member_id=member.id,
                             urgent=True)
