"""Regressions found by walking the product: a new member's first PIN, a withdrawal in the history."""

from datetime import UTC, datetime

from app.members.services import MemberService
from app.money import Money
from tests.clock_helpers import fixed_clock
from tests.member_helpers import make_member
from tests.money_helpers import fund_savings

clock = fixed_clock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))


def test_first_pin_of_an_agent_registered_member_sends_no_pin_changed_alert(session, clock):
    notices = []
    members = MemberService(session, clock=clock, pepper="p", max_attempts=3, lock_minutes=30,
                            notify=lambda member, kind, **params: notices.append(kind))
    member = members.register(phone="+254712000444", name="Wanjiku Kamau", national_id="22334455", locale="en")
    members.set_pin(member, "4829")
    assert notices == ["welcome"]
    members.set_pin(member, "5739")
    assert notices == ["welcome", "pin_changed"]


def test_history_names_a_withdrawal(services):
    amina = make_member(services.session, "+254712000555", "Amina Otieno")
    fund_savings(services, amina, 2_000_00)
    services.savings.withdraw(amina, Money.from_major(500, "KES"), "wd:history", channel="ussd")
    rows = services.savings.history(amina)
    assert [row.kind.render("en") for row in rows] == ["Withdrawal"]
    assert rows[0].kind.render("sw") == "Kutoa pesa"


def test_statement_names_cash_deposits_and_pledges():
    from app.savings.services import label

    assert label("cash_deposit").render("sw") == "Kuweka pesa taslimu"
    assert label("guarantee_pledge").render("en") == "Loan guarantee"
    assert label("group_payout").render("sw") == "Mgao wa kikundi"


def test_member_is_told_a_deposit_arrived_and_a_payment_failed_once(services):
    from sqlalchemy import select

    from app.notifications.models import Notification
    from tests.app.payments.test_payment_service import FakeProvider

    services.providers.install(FakeProvider())
    member = make_member(services.session, "+254712000111", "Amina Otieno")
    payments = services.payments

    def settle(key, status, **extra):
        payment = payments.start(key, member, "collection", "deposit", Money(500_00, "KES"), member.phone,
                                 provider="fake")
        payments.send(payment.id, checkpoint=services.session.flush)
        for _ in range(2):  # a duplicate callback tells nobody twice
            payments.apply_callback("fake", {"status": status, "ref": f"FK-{payment.reference}",
                                             "amount": 500_00, "phone": member.phone, **extra})

    settle("deposit:review:1", "succeeded", receipt="R1")
    settle("deposit:review:2", "failed", reason="cancelled")
    texts = [n.text for n in services.session.scalars(
        select(Notification).where(Notification.member_id == member.id).order_by(Notification.id))]
    assert [t for t in texts if "Welcome" not in t] == [
        "Pamoja: KES 500 received into your savings. Balance: KES 500.",
        "Pamoja: your payment of KES 500 did not go through. You cancelled the fake request.",
    ]


def test_the_dispute_sms_the_receipt_advertises_is_understood_in_both_languages(app, session):
    from app.agents.models import DISPUTED
    from app.extensions import db
    from app.services import build_services
    from channels.sms_commands import Command, parse_command
    from menus.sms_commands import SmsCommands
    from tests.app.agents.agent_helpers import kes, new_agent, new_member

    assert parse_command("DISPUTE ab12cd34") == Command("dispute", ("ab12cd34",), "en")
    assert parse_command("pinga AB12CD34") == Command("dispute", ("AB12CD34",), "sw")
    services = build_services(app, db.session)
    agent = new_agent(services, float_minor=1_000_000)
    amina = new_member(services)
    row = services.agents.cash_deposit(agent, amina, kes(500), idempotency_key="review-dispute")
    commands = SmsCommands(services, ussd_code="*384*1#")
    reply = commands.answer(amina.phone, parse_command(f"DISPUTE {row.receipt}"), "in-1")
    assert reply.text.render("en") == f"Pamoja: we received your dispute of receipt {row.receipt}. We will call you."
    assert row.status == DISPUTED
    again = commands.answer(amina.phone, parse_command(f"PINGA {row.receipt}"), "in-2")
    assert again.text.render("en") == "This receipt is already under review."
