"""Drive /sms/inbound the way Africa's Talking does, run the jobs, read the reply that went out."""

import itertools

from app.notifications.messages import OutboundMessage
from tests.messaging_helpers import run_jobs

INBOUND_PATH = "/sms/inbound?token=dev-callback-token"
_ids = itertools.count(1)


class Handset:
    """A phone texting the service's short code; `send` returns the reply SMS text."""

    def __init__(self, app, client, session, phone="+254711000001"):
        self.app, self.client, self.session, self.phone = app, client, session, phone

    def post(self, text, message_id=None):
        message_id = message_id or f"ATXid_in_{next(_ids)}"
        response = self.client.post(INBOUND_PATH, data={
            "from": self.phone, "to": "20880", "text": text, "date": "2026-11-25 10:00:00", "id": message_id,
            "linkId": "", "networkCode": "63902"})
        assert response.status_code == 200
        return message_id

    def replies(self):
        return list(self.session.query(OutboundMessage).filter_by(recipient=self.phone, kind="sms_reply")
                    .order_by(OutboundMessage.id))

    def send(self, text, message_id=None):
        before = len(self.replies())
        self.post(text, message_id)
        run_jobs(self.app)
        replies = self.replies()
        assert len(replies) == before + 1, f"expected one reply to {text!r}, got {len(replies) - before}"
        return replies[-1].text

    def last_reply(self):
        return self.replies()[-1]


def register(services, phone="+254711000001", name="Amina Wanjiru", locale="en"):
    member = services.members.register(phone=phone, name=name, national_id="12345678", locale=locale, pin="4821")
    member.kyc_level = 3  # the top KYC tier: only the operators' limits (tier limits: tests/app/members)
    services.session.commit()
    return member
