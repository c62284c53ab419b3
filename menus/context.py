"""What a screen's prompt and action see: the member, their inputs, the services.

The member is loaded lazily, so a hop that shows a static screen costs no query.
"""

from app.i18n import render


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
        return self._member

    def set_member(self, member):
        self._member = member
        self.state.member_id = member.id
        self.state.locale = member.locale

    def translate(self, message):
        return render(message, self.locale)

    def idempotency_key(self, purpose):
        """A key unique to this session and purpose: a replayed hop reuses it."""
        return f"{purpose}:{self.state.member_id}:{self.session_ref}:{self.data.get('_nonce', 0)}"
