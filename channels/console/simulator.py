"""The phone simulator: a phone-shaped page that drives the REAL member endpoints, as the providers do.

Each console POST builds exactly the request the provider would send and passes it to
this app in-process (the WSGI app, through Flask's test client, with the provider's
token or signature): USSD as Africa's Talking (`/ussd?token=`, sessionId, serviceCode,
phoneNumber, networkCode and the cumulative text), SMS as Africa's Talking's incoming
message (`/sms/inbound?token=`), WhatsApp as Twilio's webhook signed with
TWILIO_AUTH_TOKEN for PUBLIC_URL + path. So trainers and demos use what members get;
the page then shows the messages recorded for the number (the outbox: sent or queued).
The simulator's state (number, network, USSD session and inputs) lives in the staff
member's console session. Open to `simulator.use`, and without sign-in only when
APP_ENV is exactly `development` (never in test or production).
"""

import functools
import time
import uuid
import xml.etree.ElementTree as ElementTree

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from twilio.request_validator import RequestValidator

from app.phones import InvalidPhone, normalize_phone
from app.services import request_services
from channels.console import bp
from channels.console.guard import permission
from channels.console.i18n import _
from channels.console.queries import messages_to

NETWORKS = {"63902": "Safaricom", "63903": "Airtel", "63907": "Telkom", "64110": "MTN Uganda"}
"""Mobile network codes (MCC+MNC) Africa's Talking sends as networkCode."""
SHORT_CODE = "20880"


def simulator_access(view):
    """simulator.use for signed-in staff; anyone on a development machine (APP_ENV=development)."""
    guarded = permission("simulator.use")(view)

    @functools.wraps(view)
    def check(*args, **kwargs):
        if current_app.config["APP_ENV"] == "development" and not current_user.is_authenticated:
            return view(*args, **kwargs)
        return guarded(*args, **kwargs)

    return check


def state():
    return session.setdefault("simulator", {"phone": "+254712345678", "network": "63902", "ussd": None,
                                            "inputs": [], "screen": None, "ended": False, "chat": []})


def provider_client():
    return current_app.test_client()


def post_ussd(sim, inputs):
    config = current_app.config
    response = provider_client().post(f"/ussd?token={config['CALLBACK_TOKEN'].split(',')[0]}", data={
        "sessionId": sim["ussd"], "serviceCode": config["USSD_CODE"], "phoneNumber": sim["phone"],
        "networkCode": sim["network"], "text": "*".join(inputs)})
    body = response.get_data(as_text=True)
    kind, _space, screen = body.partition(" ")
    return screen if kind in ("CON", "END") else body, kind != "CON"


def post_sms(sim, text):
    config = current_app.config
    provider_client().post(f"/sms/inbound?token={config['CALLBACK_TOKEN'].split(',')[0]}", data={
        "from": sim["phone"], "to": SHORT_CODE, "text": text, "id": f"SIM_{uuid.uuid4().hex}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "linkId": "", "networkCode": sim["network"]})


def post_whatsapp(sim, text):
    """Twilio's webhook, signed as Twilio signs it; returns the TwiML answer's message text."""
    config = current_app.config
    url = config["PUBLIC_URL"].rstrip("/") + "/whatsapp/inbound"
    ours = config.get("TWILIO_WHATSAPP_FROM") or "+14155238886"
    form = {"From": f"whatsapp:{sim['phone']}", "To": f"whatsapp:{ours.removeprefix('whatsapp:')}",
            "Body": text, "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": config.get("TWILIO_ACCOUNT_SID") or
            "AC" + "0" * 32, "NumMedia": "0", "ProfileName": "Simulator", "WaId": sim["phone"].lstrip("+")}
    signature = RequestValidator(config.get("TWILIO_AUTH_TOKEN") or "").compute_signature(url, form)
    response = provider_client().post("/whatsapp/inbound", data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        return _("(the service answered {status})", status=response.status_code)
    message = ElementTree.fromstring(response.get_data()).find("Message")
    return message.text if message is not None and message.text else ""


@bp.route("/simulator")
@simulator_access
def simulator():
    sim = state()
    services = request_services()
    error = _("That is not a phone number.") if session.pop("simulator_error", None) else None
    return render_template("console/simulator.html", sim=sim, networks=NETWORKS, error=error,
                           messages=messages_to(services.session, sim["phone"]), ussd_code=services.config["USSD_CODE"])


@bp.route("/simulator/phone", methods=["POST"])
@simulator_access
def simulator_phone():
    sim = state()
    try:
        phone = normalize_phone(request.form.get("phone", ""), current_app.config["DEFAULT_REGION"])
    except InvalidPhone:
        session["simulator_error"] = True
    else:
        sim.update(phone=phone, ussd=None, inputs=[], screen=None, ended=False, chat=[])
    if request.form.get("network") in NETWORKS:
        sim["network"] = request.form["network"]
    session.modified = True
    return redirect(url_for("console.simulator"))


@bp.route("/simulator/ussd", methods=["POST"])
@simulator_access
def simulator_ussd():
    sim = state()
    if request.form.get("action") == "dial" or sim["ussd"] is None or sim["ended"]:
        sim.update(ussd=f"SIM_{uuid.uuid4().hex[:16]}", inputs=[])
    else:
        sim["inputs"].append(request.form.get("text", "").strip())
    sim["screen"], sim["ended"] = post_ussd(sim, sim["inputs"])
    session.modified = True
    return redirect(url_for("console.simulator"))


@bp.route("/simulator/sms", methods=["POST"])
@simulator_access
def simulator_sms():
    sim = state()
    text = request.form.get("text", "").strip()
    if text:
        post_sms(sim, text)
        sim["chat"] = (sim["chat"] + [["sms", "me", text]])[-12:]
    session.modified = True
    return redirect(url_for("console.simulator"))


@bp.route("/simulator/whatsapp", methods=["POST"])
@simulator_access
def simulator_whatsapp():
    sim = state()
    text = request.form.get("text", "").strip()
    if text:
        answer = post_whatsapp(sim, text)
        sim["chat"] = (sim["chat"] + [["whatsapp", "me", text], ["whatsapp", "pamoja", answer]])[-12:]
    session.modified = True
    return redirect(url_for("console.simulator"))
