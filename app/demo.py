"""`flask demo seed`: demo members, an agent and one staff member per role, so a newcomer can start at once.

Idempotent. The demo staff exist only in development (app/staff/demo.py has their password and TOTP key).
"""

import click
from flask.cli import AppGroup

from app.agents.demo import seed_demo_agent
from app.loans.products import seed_demo_products
from app.money import Money
from app.services import request_services
from app.staff.demo import DEMO_STAFF_PASSWORD, DEMO_TOTP_SECRET, seed_demo_staff
from app.unit_of_work import command_unit

demo_command = AppGroup("demo", help="Demo data for make run.")

DEMO_PIN = "2580"
DEMO_SAVINGS_MINOR = 500_000
"""KES 5,000 each, posted as a sandbox deposit would be, so Balance shows real ledger money."""

DEMO_MEMBERS = [
    ("+254700000001", "Amina Wanjiru", "30111222", "en"),
    ("+254700000002", "Baraka Otieno", "30333444", "sw"),
]


@demo_command.command("seed")
@command_unit
def seed():
    """Create the demo members with savings, and the demo loan products."""
    services = request_services()
    for phone, name, national_id, locale in DEMO_MEMBERS:
        member = services.members.by_phone(phone)
        if member is None:
            member = services.members.register(phone=phone, name=name, national_id=national_id, locale=locale,
                                               pin=DEMO_PIN)
        give_demo_savings(services, member)
    seed_demo_products(services)
    agent = seed_demo_agent(services, DEMO_PIN)
    click.echo(f"demo members ready: {', '.join(phone for phone, *_ in DEMO_MEMBERS)} (PIN {DEMO_PIN})")
    staff = seed_demo_staff(services)
    if staff:
        click.echo(f"demo staff (development only): {', '.join(staff)}, password {DEMO_STAFF_PASSWORD}, "
                   f"TOTP key {DEMO_TOTP_SECRET}")
    click.echo(f"demo agent {agent.code}: {agent.phone} on {services.config['AGENT_USSD_CODE']} (PIN {DEMO_PIN})")


def give_demo_savings(services, member):
    """One deposit-like ledger entry per demo member; the idempotency key makes re-seeding a no-op."""
    amount = Money(DEMO_SAVINGS_MINOR, member.currency)
    ledger = services.ledger
    ledger.post(f"demo:savings:{member.id}",
                [(ledger.clearing_account("sandbox", member.currency), amount),
                 (services.savings.account_for(member), -amount)],
                kind="deposit", memo="demo savings", initiated_by="operator:demo", channel="cli")
