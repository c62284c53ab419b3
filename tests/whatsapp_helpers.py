"""Drive /whatsapp/inbound the way Twilio does: signed form posts, TwiML answers.

The signature check is switched on by the `twilio_token` fixture in tests/conftest.py.
"""

import itertools
import xml.etree.ElementTree as ElementTree

from tests.messaging_helpers import TWILIO_SID, WHATSAPP_FROM, signed_post

_sids = itertools.count(1)


def inbound_form(phone, body, sid=None):
    return {"From": f"whatsapp:{phone}", "To": f"whatsapp:{WHATSAPP_FROM}", "Body": body,
            "MessageSid": sid or f"SM{next(_sids):032x}", "AccountSid": TWILIO_SID, "NumMedia": "0",
            "ProfileName": "Amina", "WaId": phone.lstrip("+")}


def twiml_text(response):
    """The text of the TwiML <Message>, or None for an empty <Response/>."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.get_data())
    message = root.find("Message")
    return None if message is None else message.text


class Chat:
    """One WhatsApp user writing to the service."""

    def __init__(self, client, phone="+254711000001"):
        self.client, self.phone = client, phone

    def post(self, body, sid=None):
        return signed_post(self.client, "/whatsapp/inbound", inbound_form(self.phone, body, sid))

    def send(self, body, sid=None):
        return twiml_text(self.post(body, sid))
