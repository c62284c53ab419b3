"""`flask simulate ussd|sms|whatsapp`: a phone in the terminal, through the real endpoints.

The simulator posts exactly what Africa's Talking would (sessionId, serviceCode,
phoneNumber, the cumulative text) to the app in-process, against the running
configuration's database and Redis, and prints each screen as the phone would.
Trainers use it without a handset; developers use it all day.

`simulate sms` posts Africa's Talking's incoming-message callback, runs the queued
jobs in-process (or leaves them to a running worker) and prints the reply SMS as the
outbox recorded it, with its parts and encoding. `simulate whatsapp` posts Twilio's
webhook signed with Twilio's algorithm and prints the TwiML answer. With no provider
credentials, outbound messages go to the console sender, so no account is needed.
"""

import contextlib
import io
import logging
import time
import uuid
import xml.etree.ElementTree as ElementTree

import click
from flask import current_app
from flask.cli import AppGroup

simulate = AppGroup("simulate", help="Simulate a phone on a channel.")


def quiet_client():
    """A test client to the running app; hop logs would garble the screens, so only warnings print."""
    logging.getLogger("pamoja").setLevel(logging.WARNING)
    return current_app.test_client()


def typed_lines(prompt_suffix):
    """Each line typed at the prompt, until Ctrl-D or Ctrl-C."""
    while True:
        try:
            yield click.prompt("", default="", show_default=False, prompt_suffix=prompt_suffix)
        except (EOFError, click.Abort):
            click.echo()
            return


def framed(text, width):
    """Print `text` between two rules, as a handset screen."""
    click.echo("+" + "-" * width + "+")
    click.echo(text)
    click.echo("+" + "-" * width + "+")


def answered(response):
    """True for a 200; otherwise say what the service answered."""
    if response.status_code != 200:
        click.echo(f"(the service answered {response.status_code})")
    return response.status_code == 200


@simulate.command("ussd")
@click.option("--phone", default="+254712345678", show_default=True, help="The caller's number.")
@click.option("--code", default=None, help="USSD service code (default: USSD_CODE).")
def simulate_ussd(phone, code):
    """Dial the USSD service and answer each screen from the keyboard."""
    client = quiet_client()
    code = code or current_app.config["USSD_CODE"]
    session_id = f"SIM_{uuid.uuid4().hex[:12]}"
    inputs = []
    path = f"/ussd?token={current_app.config['CALLBACK_TOKEN']}"  # the URL registered with Africa's Talking
    click.echo(f"Dialling {code} from {phone}. Ctrl-D hangs up.\n")
    while True:
        response = client.post(path, data={"sessionId": session_id, "serviceCode": code, "phoneNumber": phone,
                                              "networkCode": "63902", "text": "*".join(inputs)})
        body = response.get_data(as_text=True)
        kind, _, screen = body.partition(" ")
        framed(screen, 30)
        if kind != "CON":
            click.echo("(session ended)")
            return
        try:
            inputs.append(click.prompt("", default="", show_default=False, prompt_suffix="> "))
        except (EOFError, click.Abort):
            click.echo("\n(hung up)")
            return


def run_queued_jobs():
    """Run what the request queued, here (a running `rq worker` may take them first: both are fine)."""
    from rq import SimpleWorker

    queues = list(current_app.extensions["queues"].values())
    with contextlib.redirect_stdout(io.StringIO()):  # the console sender's copy; the reply is shown below
        SimpleWorker(queues, connection=current_app.extensions["redis"]).work(burst=True, logging_level="WARNING")


def replies_after(phone, last_id, wait):
    """Replies sent to `phone` after message `last_id`, waiting up to `wait` seconds for the first."""
    from app.extensions import db
    from app.notifications.messages import OutboundMessage

    deadline = time.monotonic() + wait
    while True:
        db.session.expire_all()  # READ COMMITTED: each query sees what the jobs committed
        found = db.session.query(OutboundMessage).filter(
            OutboundMessage.recipient == phone, OutboundMessage.id > last_id).order_by(OutboundMessage.id).all()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def last_message_id(phone):
    from sqlalchemy import func

    from app.extensions import db
    from app.notifications.messages import OutboundMessage

    return db.session.query(func.coalesce(func.max(OutboundMessage.id), 0)).filter(
        OutboundMessage.recipient == phone).scalar()


@simulate.command("sms")
@click.option("--phone", default="+254712345678", show_default=True, help="The sender's number.")
@click.option("--wait", default=10.0, show_default=True, help="Seconds to wait for each reply.")
@click.option("--run-jobs/--no-run-jobs", default=True, show_default=True,
              help="Run the queued jobs in this process (else leave them to `rq worker`).")
def simulate_sms(phone, wait, run_jobs):
    """Text the service: each line is one SMS to the short code; replies print as they are sent."""
    client = quiet_client()
    path = f"/sms/inbound?token={current_app.config['CALLBACK_TOKEN']}"
    click.echo(f"Texting Pamoja from {phone}. Try HELP, BAL, SAVE 500, WITHDRAW 500. Ctrl-D to stop.\n")
    for text in typed_lines("sms> "):
        last_id = last_message_id(phone)
        response = client.post(path, data={"from": phone, "to": "20880", "text": text, "id": f"SIM_{uuid.uuid4().hex}",
                                           "date": time.strftime("%Y-%m-%d %H:%M:%S"), "linkId": "",
                                           "networkCode": "63902"})
        if not answered(response):
            continue
        if run_jobs:
            run_queued_jobs()
        found = replies_after(phone, last_id, wait)
        for message in found:
            click.echo(f"<< {message.text}")
            click.echo(f"   ({message.segments or '?'} part(s), {message.encoding or '?'}, {message.status})")
        if not found:
            click.echo("(no reply yet: is a worker running?)")


@simulate.command("whatsapp")
@click.option("--phone", default="+254712345678", show_default=True, help="The sender's WhatsApp number.")
@click.option("--name", default="Simulated user", show_default=True, help="The WhatsApp profile name.")
def simulate_whatsapp(phone, name):
    """Chat on WhatsApp: each line is one message, signed the way Twilio signs; the TwiML answer prints."""
    from twilio.request_validator import RequestValidator

    client = quiet_client()
    config = current_app.config
    if not config.get("TWILIO_AUTH_TOKEN"):
        # Requests go to the app in this process only, so a throwaway token keeps the real check in the loop.
        config["TWILIO_AUTH_TOKEN"] = uuid.uuid4().hex
    url = config["PUBLIC_URL"].rstrip("/") + "/whatsapp/inbound"
    click.echo(f"Chatting with Pamoja on WhatsApp as {phone}. Try 'hi'. Ctrl-D to stop.\n")
    for body in typed_lines("wa> "):
        form = {"From": f"whatsapp:{phone}", "To": f"whatsapp:{config.get('TWILIO_WHATSAPP_FROM') or '+14155238886'}",
                "Body": body, "MessageSid": f"SM{uuid.uuid4().hex}", "AccountSid": config.get("TWILIO_ACCOUNT_SID") or
                "AC" + "0" * 32, "NumMedia": "0", "ProfileName": name, "WaId": phone.lstrip("+")}
        signature = RequestValidator(config["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
        response = client.post("/whatsapp/inbound", data=form, headers={"X-Twilio-Signature": signature})
        if not answered(response):
            continue
        message = ElementTree.fromstring(response.get_data()).find("Message")
        framed(message.text if message is not None else "(no answer)", 40)
