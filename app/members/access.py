"""Staff actions on a member's access: block, unblock, and a new phone number after a SIM replacement.

- Block / unblock (`members.block`, a reason): a blocked member is refused on every
  channel and by every money-moving service with "Your account is blocked. Call
  SUPPORT_PHONE." (`MemberService.check_active`, THE check); money coming in from
  mobile-money callbacks is still credited. Blocking cancels an open PIN reset.
- Change phone (`members.phone_change`, a reason): staff start it; the NEW number gets
  a one-time code (purpose `phone_change`, PHONE_CHANGE_CODE_MINUTES) that either the
  staff member enters (`--code`) or the member sends back from the new number by SMS
  (`YES <code>`). Only then does the member move: the old number is freed,
  `phone_changed_at` is set (the velocity rules watch it), both numbers are told and
  the change is audited with the starting staff member's reason.

Every step is one transaction with its audit event; the member row is locked, so two
staff at once cannot both win. Knows nothing of Flask or channels.
"""

import json

from sqlalchemy import select

from app.audit.services import require_reason
from app.i18n import N_, T
from app.members.models import Member
from app.members.pin_reset import PinResetError, refusal
from app.one_time_codes import CodePolicy
from app.phones import InvalidPhone, normalize_phone
from app.staff.actor import Actor

PHONE_CHANGE = "phone_change"
SMS_KIND = "member_access"

BLOCKED_SMS = N_("Pamoja: your account is blocked. No money can move. Call {support_phone} for help.")
UNBLOCKED_SMS = N_("Pamoja: your account is open again. Dial {ussd_code} to use it.")
PHONE_CODE_SMS = N_("Pamoja: code {code} moves your Pamoja account to this number. Give it only to Pamoja "
                    "staff on the phone, or reply YES {code}.")
PHONE_OLD_SMS = N_("Pamoja: your account now uses a new number ending {ending}. If this was not you, call "
                   "{support_phone} at once.")
PHONE_NEW_SMS = N_("Pamoja: your account now uses this number. Dial {ussd_code} with your usual PIN.")

AccessError = PinResetError
"""A refused access action: `message` is a Text, `str()` its English for the CLI."""


class MemberAccess:
    def __init__(self, session, *, clock, members, staff, audit, codes, outbox, pin_resets, default_region="KE",
                 code_minutes=30, ussd_code="", support_phone=""):
        self.session = session
        self.clock = clock
        self.members = members
        self.staff = staff
        self.audit = audit
        self.codes = codes
        self.outbox = outbox
        self.pin_resets = pin_resets
        self.default_region = default_region
        self.policy = CodePolicy(PHONE_CHANGE, ttl_seconds=code_minutes * 60, max_attempts=3, digits=6)
        self.ussd_code = ussd_code
        self.support_phone = support_phone

    def _phone(self, raw):
        try:
            return normalize_phone(raw, self.default_region)
        except InvalidPhone:
            raise refusal(N_("Enter a valid mobile number, like 0712345678.")) from None

    def _member(self, raw_phone, lock=True):
        query = select(Member).where(Member.phone == self._phone(raw_phone))
        member = self.session.scalar(query.with_for_update() if lock else query)
        if member is None:
            raise refusal(N_("No Pamoja member has this number."))
        return member

    def _sms(self, member, phone, msgid, **params):
        self.outbox.send_sms(phone, T(msgid, **params).render(member.locale), kind=SMS_KIND, member_id=member.id,
                             urgent=True)

    # -- block / unblock ------------------------------------------------------------------------

    def block(self, actor, phone, reason):
        """Block the member with this number (lost phone, fraud); refused when already blocked."""
        self.staff.require(actor, "members.block")
        reason = require_reason("members.block", reason)
        member = self._member(phone)
        if member.blocked_at is not None:
            raise refusal(N_("This account is already blocked."))
        member.blocked_at = self.clock.now()
        self.audit.record(actor, "members.block", ("member", member.id), before={"blocked": False},
                          after={"blocked": True}, reason=reason)
        self.pin_resets.cancel_open(actor, member, reason=f"account blocked: {reason}")
        self._sms(member, member.phone, BLOCKED_SMS, support_phone=self.support_phone)
        return member

    def unblock(self, actor, phone, reason):
        """Lift a block; refused when the account is not blocked."""
        self.staff.require(actor, "members.block")
        reason = require_reason("members.unblock", reason)
        member = self._member(phone)
        if member.blocked_at is None:
            raise refusal(N_("This account is not blocked."))
        member.blocked_at = None
        self.audit.record(actor, "members.unblock", ("member", member.id), before={"blocked": True},
                          after={"blocked": False}, reason=reason)
        self._sms(member, member.phone, UNBLOCKED_SMS, ussd_code=self.ussd_code)
        return member

    # -- phone change ---------------------------------------------------------------------------

    def start_phone_change(self, actor, old_phone, new_phone, reason):
        """Send a code to the new number; nothing moves until it comes back. Returns (member, new phone)."""
        self.staff.require(actor, "members.phone_change")
        reason = require_reason("members.phone_change", reason)
        member = self._member(old_phone, lock=False)
        new = self._phone(new_phone)
        self._check_free(member, new)
        payload = json.dumps({"member": member.id, "old": member.phone, "new": new, "staff": actor.id,
                              "reason": reason})
        code = self.codes.issue(self.policy, new, payload)
        self.audit.record(actor, "members.phone_change.request", ("member", member.id), reason=reason,
                          after={"new_phone_ending": new[-3:]})
        self._sms(member, new, PHONE_CODE_SMS, code=code)
        return member, new

    def _check_free(self, member, new):
        if new == member.phone:
            raise refusal(N_("That is already the member's number."))
        if self.members.by_phone(new) is not None:
            raise refusal(N_("This number is already registered."))

    def confirm_phone_change(self, actor, new_phone, code):
        """Staff enter the code the member read out from the new phone (`members.phone_change`)."""
        self.staff.require(actor, "members.phone_change")
        return self._complete(actor, self._phone(new_phone), code, confirmed_by="the staff member")

    def confirm_phone_change_by_sms(self, new_phone, code):
        """The member replied `YES <code>` from the new number; the Member moved, or raise a CodeError."""
        return self._complete(None, new_phone, code, confirmed_by="the member by SMS from the new number")

    def pending_phone_change(self, new_phone):
        """The change waiting for a code sent to `new_phone` (a dict), or None."""
        payload = self.codes.pending(self.policy, new_phone)
        return json.loads(payload) if payload else None

    def _complete(self, actor, new, code, *, confirmed_by):
        redeemed = self.codes.redeem(self.policy, new, code)  # CodeError: nothing pending, expired, wrong
        change = json.loads(redeemed.payload)
        member = self.session.scalar(select(Member).where(Member.id == change["member"]).with_for_update())
        if member is None or member.phone != change["old"]:
            raise refusal(N_("The member's number changed meanwhile. Start again."))
        self._check_free(member, new)
        actor = actor or Actor.member(member.id, "sms")
        old = member.phone
        member.phone, member.phone_changed_at = new, self.clock.now()
        self.session.flush()
        self.audit.record(actor, "members.phone_change", ("member", member.id),
                          before={"phone": old}, after={"phone": new},
                          reason=f"{change['reason']} (started by staff:{change['staff']}, confirmed by "
                                 f"{confirmed_by})")
        self._sms(member, old, PHONE_OLD_SMS, ending=new[-3:], support_phone=self.support_phone)
        self._sms(member, new, PHONE_NEW_SMS, ussd_code=self.ussd_code)
        return member
