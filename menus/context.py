"""What a screen's prompt and action see: the member, their inputs, the services.

The member is loaded lazily, so a hop that shows a static screen costs no query.
Loading it is where every hop meets the access rules: a blocked member's session
ends with "Your account is blocked. Call ..." (MemberService.check_active), and a
session whose phone is no longer the member's (their number was changed) ends as
not theirs. A session already signed in meets them at its next hop that reads the
member (every balance, statement and money action does; a static menu does not).
"""

from app.i18n import N_, T, render
from app.members.errors import AccountBlocked
from menus.screens import Stop

NUMBER_CHANGED = T(N_("This session has ended. Please dial again."))
"""The same words as the engine's NOT_THIS_SESSION: each channel words it its own way (ChannelProfile.wording)."""

NONCE = "_nonce"
"""Session data key of the current confirmation's nonce, drawn by the engine on entering a Confirm or Pin."""


class Context:
    def __init__(self, state, services, channel):
        self.state = state
        self.services = services
        self.channel = channel
        self.notice = None
        self.error = None
        self._member = None

    @property
    def data(self):
        return self.state.data

    @property
    def locale(self):
        return self.state.locale

    @property
    def phone(self):
        return self.state.phone

    @property
    def session_ref(self):
        """A stable reference to this session for audit trails and idempotency keys."""
        return f"{self.state.channel}:{self.state.session_id}"

    @property
    def member(self):
        """The member this session belongs to (by id once known, else by phone), or None."""
        if self._member is None:
            members = self.services.members
            if self.state.member_id is not None:
                self._member = members.get(self.state.member_id)
            else:
                self._member = members.by_phone(self.state.phone)
                if self._member is not None:
                    self.state.member_id = self._member.id
            if self._member is not None:
                self._check_access(self._member)
        return self._member

    def member_for_pin_check(self):
        """The member, read under the PIN-check guard (MemberService.read_for_pin_check) when this hop has not
        read it yet: (member, True), for `check_pin(..., fresh=True)`; else (`member`, False).

        The check must re-read the row after taking its guard anyway; reading it first as
        `member` does would cost a round trip for nothing. The same access rules apply.
        """
        if self._member is not None or self.state.member_id is None:
            return self.member, False
        member = self.services.members.read_for_pin_check(self.state.member_id)
        if member is not None:
            self._member = member
            self._check_access(member)
        return member, True

    @property
    def member_read(self):
        """True once the member is loaded or known by id (`member` then reads it by id, not by phone)."""
        return self._member is not None or self.state.member_id is not None

    def adopt_member(self, member):
        """Take `member`, read by phone with what else a screen needed in one statement, as `member` would.

        The same access rules apply (a blocked member's session ends); None leaves the member unknown.
        """
        if member is not None:
            self._member = member
            self.state.member_id = member.id
            self._check_access(member)
        return member

    def _check_access(self, member):
        if member.phone != self.state.phone:
            self._member, self.state.member_id, self.state.authenticated = None, None, False
            raise Stop(NUMBER_CHANGED)
        try:
            self.services.members.check_active(member)
        except AccountBlocked as blocked:
            self.state.authenticated = False
            raise Stop(blocked.message) from None

    def set_member(self, member):
        self._member = member
        self.state.member_id = member.id
        self.state.locale = member.locale

    def translate(self, message):
        return render(message, self.locale)

    def idempotency_key(self, purpose):
        """A key unique to this movement: the confirmation's nonce, so a replayed hop reuses it.

        The nonce is new each time the member reaches a Confirm or Pin screen, so the
        second transfer of a WhatsApp chat (whose session id is the phone) is a new key.
        The session id itself is not in the key (USSD ids may be 100 characters; the
        entry's `session_ref` records it): purpose, member, channel and nonce suffice.
        """
        nonce = self.data.get(NONCE)
        if not nonce:
            raise LookupError(f"{purpose}: a money movement must follow a Confirm or Pin screen")
        return f"{purpose}:{self.state.member_id}:{self.state.channel}:{nonce}"
