"""Shared pieces of the messaging tests: provider answers at the HTTP boundary, jobs, signed requests.

Africa's Talking and Twilio are faked with `responses` in their documented shapes;
the senders themselves are the real ones (channels/senders.py) pointed at them by
the `providers` fixture in tests/conftest.py.
"""

import itertools
import json
from urllib.parse import parse_qs

from rq import SimpleWorker
from twilio.request_validator import RequestValidator

from app.notifications.messages import OutboundMessage

AT_URL = "https://api.africastalking.com/version1/messaging"
TWILIO_SID = "AC" + "0" * 32
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
TWILIO_TOKEN = "test-twilio-token"
WHATSAPP_FROM = "+14155238886"
_ids = itertools.count(1)


def at_answer_for(request):
    """Africa's Talking's send answer for every recipient of a request (`to` is comma-separated)."""
    form = {key: values[0] for key, values in parse_qs(request.body).items()}
    recipients = [{"statusCode": 101, "number": phone, "status": "Success", "cost": "KES 0.8000",
                   "messageId": f"ATXid_{next(_ids)}"} for phone in form["to"].split(",")]
    body = {"SMSMessageData": {"Message": f"Sent to {len(recipients)}/{len(recipients)} Total Cost: KES 0.8000",
                               "Recipients": recipients}}
    return 201, {"Content-Type": "application/json"}, json.dumps(body)


def twilio_message(status="queued", error_code=None, error_message=None, sid=None, body="Habari"):
    sid = sid or f"SM{next(_ids):032d}"
    return {"sid": sid, "account_sid": TWILIO_SID, "from": f"whatsapp:{WHATSAPP_FROM}",
            "to": "whatsapp:+254711000001", "body": body, "status": status, "num_segments": "1",
            "direction": "outbound-api", "error_code": error_code, "error_message": error_message, "price": None,
            "price_unit": "USD", "date_created": "Thu, 24 Jul 2025 10:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json"}


def twilio_error(code, message, status):
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def run_jobs(app):
    """Run every queued job now, in this process and this test's transaction."""
    queues = list(app.extensions["queues"].values())
    SimpleWorker(queues, connection=app.extensions["redis"]).work(burst=True)


def sent_sms(fake):
    """The (to, message) pairs of every SMS request that reached the Africa's Talking fake."""
    found = []
    for call in fake.calls:
        if call.request.url.startswith(AT_URL):
            form = {key: values[0] for key, values in parse_qs(call.request.body).items()}
            found.append((form["to"], form["message"]))
    return found


def messages_to(session, phone, kind=None):
    """The outbox rows for `phone`, oldest first; only those of `kind` when given."""
    query = session.query(OutboundMessage).filter_by(recipient=phone)
    if kind is not None:
        query = query.filter_by(kind=kind)
    return list(query.order_by(OutboundMessage.id))


def signed_post(client, path, data, token=TWILIO_TOKEN, base="http://127.0.0.1:5000", signature=None):
    """POST as Twilio does: form body plus X-Twilio-Signature computed with Twilio's own algorithm."""
    if signature is None:
        signature = RequestValidator(token).compute_signature(base + path, data)
    return client.post(path, data=data, headers={"X-Twilio-Signature": signature})
