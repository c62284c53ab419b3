"""Shared set-up for the loan tests: a fixed clock, members, savings funded like a confirmed deposit, products."""

from datetime import UTC, datetime, timedelta
from itertools import count

from app.clock import FixedClock
from app.extensions import db
from app.loans.products import create_product
from app.money import Money
from app.services import build_services

START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
"""12:00 in Nairobi on 31 Jan 2026: month-end, so schedules show the clamping rule."""

_phones = count(1)


def loan_services(app, at=START):
    """Services on the test's session with a FixedClock (move it with `services.clock.at = ...`)."""
    return build_services(app, db.session, clock=FixedClock(at))


def new_member(services, *, days=400, kyc_level=3, name="Amina Wanjiru", phone=None, pin="4821"):
    """A registered member who joined `days` ago."""
    phone = phone or f"+2547{next(_phones):08d}"
    member = services.members.register(phone=phone, name=name, national_id="12345678", locale="en", pin=pin)
    member.created_at = services.clock.now() - timedelta(days=days)
    member.kyc_level = kyc_level
    db.session.flush()
    return member


def deposit(services, member, minor, *, at=None, currency="KES"):
    """Credit savings the way a confirmed mobile-money deposit does (clearing -> savings, kind "deposit")."""
    ledger = services.ledger
    saved_at, ledger.clock = ledger.clock, FixedClock(at) if at else ledger.clock
    try:
        amount = Money(minor, currency)
        ledger.post(f"test-deposit:{member.id}:{next(_phones)}",
                    [(ledger.clearing_account("sandbox", currency), amount),
                     (ledger.account("member", member.id, "member_savings", currency), -amount)],
                    kind="deposit", initiated_by=f"member:{member.id}", channel="system")
    finally:
        ledger.clock = saved_at


def regular_saver(services, member, minor_per_month, months=6):
    """Deposits on the 15th of each of the last `months` months (a full score for saving)."""
    today = services.clock.at
    for back in range(months):
        month_index = today.year * 12 + today.month - 1 - back
        at = datetime(month_index // 12, month_index % 12 + 1, 15, 9, 0, tzinfo=UTC)
        deposit(services, member, minor_per_month, at=at)


def new_saver(services, **member_options):
    """A new member with KES 10,000 saved each of the last six months (a full score for saving)."""
    member = new_member(services, **member_options)
    regular_saver(services, member, 1000000)
    return member


def savings(services, member, currency="KES"):
    ledger = services.ledger
    return ledger.balance(ledger.account("member", member.id, "member_savings", currency))


def product(services, code="BIZ", **overrides):
    definition = dict(code=code, name="Biashara", currency="KES", min_amount=100000, max_amount=10000000,
                      terms=[3, 6], frequency="monthly", interest_method="declining", annual_rate="12",
                      fee_type="percent", fee_value="1", fee_timing="deducted", penalty_type="percent",
                      penalty_value="5", grace_days=3, savings_multiplier="3", approval="auto",
                      auto_approve_max=5000000)
    definition.update(overrides)
    return create_product(services.session, **definition)
