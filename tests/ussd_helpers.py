"""Drive /ussd the way Africa's Talking does: one session, the cumulative text, the registered token."""

import uuid


def ussd_path(client, path="/ussd"):
    """The URL registered with Africa's Talking: the path with `?token=CALLBACK_TOKEN`."""
    return f"{path}?token={client.application.config['CALLBACK_TOKEN']}"


class UssdPhone:
    """A phone in one USSD session; `send` appends an input to the path."""

    def __init__(self, client, phone="+254712345678", service_code="*384*1#"):
        self.client = client
        self.phone = phone
        self.service_code = service_code
        self.session_id = "ATUid_" + uuid.uuid4().hex
        self.inputs = []

    @property
    def text(self):
        return "*".join(self.inputs)

    def post(self, text):
        response = self.client.post(ussd_path(self.client), data={
            "sessionId": self.session_id, "serviceCode": self.service_code,
            "phoneNumber": self.phone, "networkCode": "63902", "text": text,
        })
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")), body
        return body

    def dial(self):
        self.inputs = []
        self.session_id = "ATUid_" + uuid.uuid4().hex
        return self.post("")

    def send(self, value):
        self.inputs.append(value)
        return self.post(self.text)


def register(client, phone="+254712345678", name="Amina Wanjiru", national_id="12345678", pin="4821",
             language="1"):
    """Register through the real menus; returns the phone left on the main menu."""
    handset = UssdPhone(client, phone)
    handset.dial()
    for value in (language, name, national_id, pin, pin):
        body = handset.send(value)
    assert "1. " in body, body
    return handset
