"""`flask demo seed`: demo members so a newcomer can dial in at once (idempotent)."""

import click
from flask.cli import AppGroup

from app.extensions import db
from app.services import request_services

demo_command = AppGroup("demo", help="Demo data for make run.")

DEMO_PIN = "2580"
DEMO_MEMBERS = [
    ("+254700000001", "Amina Wanjiru", "30111222", "en"),
    ("+254700000002", "Baraka Otieno", "30333444", "sw"),
]


@demo_command.command("seed")
def seed():
    """Create the demo members (and, where those services exist, their demo money)."""
    services = request_services()
    for phone, name, national_id, locale in DEMO_MEMBERS:
        if services.members.by_phone(phone) is None:
            services.members.register(phone=phone, name=name, national_id=national_id, locale=locale, pin=DEMO_PIN)
    db.session.commit()
    click.echo(f"demo members ready: {', '.join(phone for phone, *_ in DEMO_MEMBERS)} (PIN {DEMO_PIN})")
