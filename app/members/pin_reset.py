"""Forgotten PINs: the member asks, an agent or support approves, the member sets a new PIN with a code.

An ID number alone proves little (family members know it), so asking only opens a
request (`pin_reset_requests`, at most one open per member). It is approved by

- an agent, with the member present and their ID card in hand (agent menu "Reset a
  member's PIN": the member's phone and ID number, then the agent's own PIN), or
- a support staff member after calling the member back (`flask members pin-reset
  approve <phone> --reason --staff`, permission `pins.reset.approve`).

Approval sends the member an SMS with a one-time code (app/one_time_codes.py,
purpose `pin_reset`, PIN_RESET_CODE_MINUTES). At their next dial the member enters
the code and chooses a new PIN twice; the lockout clears, `pin_changed_at` is set
(the velocity rules watch it), the reset is audited and an SMS alert tells the member
to call SUPPORT_PHONE if it was not them. No one but the member ever types the PIN.

A request not approved within PIN_RESET_REQUEST_DAYS, or approved but not used
before its code expires, expires (checked whenever it is read); blocking the member
cancels it. Knows nothing of Flask or channels; nothing here commits.
"""

from datetime import timedelta

from sqlalchemy import bindparam, select

from app.audit.services import require_reason
from app.i18n import N_, T
from app.members.errors import MemberError
from app.members.models import PIN_RESET_OPEN, Member, PinResetRequest
from app.one_time_codes import CodeExpired, CodePolicy, NothingPending, WrongCode
from app.staff.actor import Actor

PURPOSE = "pin_reset"
SMS_KIND = "pin_reset"

CODE_SMS = N_("Pamoja: your PIN reset is approved. Dial {ussd_code} within {minutes} min and enter code {code}, "
              "then choose a new PIN. Never share this code.")
RESET_ALERT = N_("Pamoja: your PIN was reset. If this was not you, call {support_phone} at once.")


AT_DIAL = (select(Member, PinResetRequest)
           .outerjoin(PinResetRequest, (PinResetRequest.member_id == Member.id)
                      & PinResetRequest.status.in_(PIN_RESET_OPEN))
           .where(Member.phone == bindparam("phone")))
"""A dial's member and their open request in one statement, built once (its cache key is computed once)."""


class PinResetError(MemberError):
    """A refused PIN-reset step; `message` is a Text (rendered in English for the CLI by `str`)."""

    def __str__(self):
        return self.message.render("en")


def refusal(msgid, **params):
    return PinResetError(T(msgid, **params))


class PinResets:
    def __init__(self, session, *, clock, members, codes, staff, audit, outbox, code_minutes=30, request_days=7,
                 ussd_code="", support_phone=""):
        self.session = session
        self.clock = clock
        self.members = members
        self.codes = codes
        self.staff = staff
        self.audit = audit
        self.outbox = outbox
        self.policy = CodePolicy(PURPOSE, ttl_seconds=code_minutes * 60, max_attempts=3, digits=6)
        self.code_minutes = code_minutes
        self.request_days = request_days
        self.ussd_code = ussd_code
        self.support_phone = support_phone

    # -- reading --------------------------------------------------------------------------------

    def open_request(self, member, *, lock=False):
        """The member's open (requested or approved) request, or None; one past its time is expired first."""
        query = select(PinResetRequest).where(PinResetRequest.member_id == member.id,
                                              PinResetRequest.status.in_(PIN_RESET_OPEN))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self._unexpired(self.session.scalar(query))

    def awaiting_code(self, member):
        """The approved request whose code the member should enter at this dial, or None."""
        return self._awaiting(self.open_request(member))

    def at_dial(self, phone):
        """(the member with `phone` or None, their request awaiting its code or None), in one statement.

        What a dial's first screen needs (menus/member/onboarding.py): read apart, the
        member and `awaiting_code` cost two round trips. The request expires as in `open_request`.
        """
        row = self.session.execute(AT_DIAL, {"phone": phone}).first()
        if row is None:
            return None, None
        member, request = row
        return member, self._awaiting(self._unexpired(request))

    @staticmethod
    def _awaiting(request):
        return request if request is not None and request.status == "approved" else None

    def _unexpired(self, request):
        """`request` (open), or None once it is expired here for being past its time."""
        if request is not None and self._past_its_time(request):
            self._close(request, "expired", Actor.system("pin_reset"), reason="not used in time")
            return None
        return request

    def list(self, status=None, limit=200):
        """Requests, newest first (open ones by default: the support desk's call-back list)."""
        query = select(PinResetRequest).order_by(PinResetRequest.id.desc()).limit(limit)
        query = query.where(PinResetRequest.status == status) if status else query.where(
            PinResetRequest.status.in_(PIN_RESET_OPEN))
        return [request for request in self.session.scalars(query) if not self._expire_if_due(request)]

    def _past_its_time(self, request):
        now = self.clock.now()
        if request.status == "requested":
            return request.requested_at + timedelta(days=self.request_days) <= now
        return request.status == "approved" and request.code_expires_at is not None and \
            request.code_expires_at <= now

    def _expire_if_due(self, request):
        if request.is_open and self._past_its_time(request):
            self._close(request, "expired", Actor.system("pin_reset"), reason="not used in time")
            return True
        return False

    # -- the member asks ------------------------------------------------------------------------

    def request(self, member, *, channel):
        """Open a request for `member` (USSD "Forgot PIN", SMS keyword); (request, True when new).

        Asking again while one is open returns it unchanged. A blocked member is refused.
        """
        self.members.check_active(member)
        existing = self.open_request(member, lock=True)
        if existing is not None:
            return existing, False
        request = PinResetRequest(member_id=member.id, requested_at=self.clock.now(), channel=channel,
                                  status="requested")
        self.session.add(request)
        self.session.flush()
        self.audit.record(Actor.member(member.id, channel), "pins.reset.request", ("member", member.id),
                          after={"request": request.id, "status": "requested"})
        return request, True

    # -- someone approves -----------------------------------------------------------------------

    def check_id(self, member, national_id):
        """Refuse unless `national_id` (typed by the agent from the card in hand) is the member's own."""
        if member not in self.members.by_national_id(national_id):
            raise refusal(N_("That ID number is not this member's. Check the ID card."))

    def check_approvable(self, member, *, lock=False):
        """The member's request waiting for approval, or a refusal (the agent menu asks before the agent PIN)."""
        self.members.check_active(member)
        request = self.open_request(member, lock=lock)
        if request is None:
            raise refusal(N_("This member has not asked to reset their PIN. They choose Forgot PIN first."))
        if request.status != "requested":
            raise refusal(N_("This PIN reset is already approved. The member has the code by SMS."))
        return request

    def approve_by_agent(self, agent, member, *, national_id=None, id_checked=False, channel="ussd"):
        """An agent with the member in front of them, after the agent's own PIN.

        The ID number typed from the card must be the member's own: checked here, or
        (`id_checked`) by `check_id` on an earlier screen of the same agent session.
        """
        if agent.status != "active":
            raise refusal(N_("This agent account is suspended. Call your supervisor."))
        if not id_checked:
            self.check_id(member, national_id)
        actor = Actor.agent(agent.id, channel)
        return self._approve(actor, member, f"agent:{agent.id}",
                             reason=f"agent {agent.code} checked the member's ID in person")

    def approve_by_staff(self, actor, phone, reason):
        """Support after a call-back (`pins.reset.approve`); a reason is required."""
        self.staff.require(actor, "pins.reset.approve")
        reason = require_reason("pins.reset.approve", reason)
        member = self.members.by_phone(phone)
        if member is None:
            raise refusal(N_("No Pamoja member has this number."))
        return self._approve(actor, member, actor.label, reason=reason)

    def _approve(self, actor, member, approved_by, *, reason):
        request = self.check_approvable(member, lock=True)  # two approvers at once: the second waits, is refused
        now = self.clock.now()
        request.status, request.approved_at, request.approved_by = "approved", now, approved_by
        request.code_expires_at = now + timedelta(minutes=self.code_minutes)
        self.audit.record(actor, "pins.reset.approve", ("member", member.id), reason=reason,
                          before={"request": request.id, "status": "requested"},
                          after={"request": request.id, "status": "approved"})
        code = self.codes.issue(self.policy, member.phone, str(request.id))
        text = T(CODE_SMS, ussd_code=self.ussd_code, minutes=self.code_minutes, code=code).render(member.locale)
        self.outbox.send_sms(member.phone, text, kind=SMS_KIND, member_id=member.id, urgent=True)
        return request

    # -- the member finishes --------------------------------------------------------------------

    def redeem_code(self, member, code):
        """Use up the code of the member's approved request; its id, or raise a CodeError.

        A code that can no longer work (expired, used, too many wrong tries) expires the
        request too, so the member may ask again; raise after writing that (callers keep it).
        """
        request = self.awaiting_code(member)
        if request is None:
            raise NothingPending()
        try:
            redeemed = self.codes.redeem(self.policy, member.phone, code)
        except (NothingPending, CodeExpired) as error:
            self._close(request, "expired", Actor.member(member.id, request.channel), reason="code no longer valid")
            raise error from None
        except WrongCode as error:
            if not error.left:
                self._close(request, "expired", Actor.member(member.id, request.channel),
                            reason="too many wrong codes")
            raise
        if redeemed.payload != str(request.id):
            raise NothingPending()
        return request.id

    def complete(self, member, request_id, new_pin, *, channel):
        """Set the new PIN (after `redeem_code` in this session), close the request, audit and alert."""
        request = self.session.scalar(select(PinResetRequest).where(PinResetRequest.id == request_id)
                                      .with_for_update())
        if request is None or request.member_id != member.id or request.status != "approved":
            raise refusal(N_("This PIN reset is no longer open. Choose Forgot PIN to ask again."))
        self.members.check_active(member)
        self.members.reset_pin(member, new_pin)
        self._close(request, "completed", Actor.member(member.id, channel), reason="member set a new PIN with the "
                    f"code of a reset approved by {request.approved_by}")
        text = T(RESET_ALERT, support_phone=self.support_phone).render(member.locale)
        self.outbox.send_sms(member.phone, text, kind=SMS_KIND, member_id=member.id, urgent=True)
        return request

    def cancel_open(self, actor, member, reason):
        """Cancel the member's open request (when staff block the account)."""
        request = self.open_request(member, lock=True)
        if request is not None:
            self._close(request, "cancelled", actor, reason=reason)
        return request

    def _close(self, request, status, actor, *, reason):
        before = request.status
        request.status, request.closed_at = status, self.clock.now()
        action = "pins.reset.complete" if status == "completed" else "pins.reset.close"
        self.audit.record(actor, action, ("member", request.member_id), reason=reason,
                          before={"request": request.id, "status": before},
                          after={"request": request.id, "status": status})
