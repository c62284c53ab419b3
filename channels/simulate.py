"""`flask simulate ussd`: a phone in the terminal, through the real /ussd endpoint.

The simulator posts exactly what Africa's Talking would (sessionId, serviceCode,
phoneNumber, the cumulative text) to the app in-process, against the running
configuration's database and Redis, and prints each screen as the phone would.
Trainers use it without a handset; developers use it all day.
"""

import logging
import uuid

import click
from flask import current_app
from flask.cli import AppGroup

simulate = AppGroup("simulate", help="Simulate a phone on a channel.")


@simulate.command("ussd")
@click.option("--phone", default="+254712345678", show_default=True, help="The caller's number.")
@click.option("--code", default=None, help="USSD service code (default: USSD_CODE).")
def simulate_ussd(phone, code):
    """Dial the USSD service and answer each screen from the keyboard."""
    logging.getLogger("pamoja").setLevel(logging.WARNING)  # hop logs would garble the screens
    client = current_app.test_client()
    code = code or current_app.config["USSD_CODE"]
    session_id = f"SIM_{uuid.uuid4().hex[:12]}"
    inputs = []
    click.echo(f"Dialling {code} from {phone}. Ctrl-D hangs up.\n")
    while True:
        response = client.post("/ussd", data={"sessionId": session_id, "serviceCode": code, "phoneNumber": phone,
                                              "networkCode": "63902", "text": "*".join(inputs)})
        body = response.get_data(as_text=True)
        kind, _, screen = body.partition(" ")
        click.echo("+" + "-" * 30 + "+")
        click.echo(screen)
        click.echo("+" + "-" * 30 + "+")
        if kind != "CON":
            click.echo("(session ended)")
            return
        try:
            inputs.append(click.prompt("", default="", show_default=False, prompt_suffix="> "))
        except (EOFError, click.Abort):
            click.echo("\n(hung up)")
            return
