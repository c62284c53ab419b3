"""The loan officer's commands: products create/list, pending, approve, decline, show, recover."""


from app.loans.models import Loan
from app.loans.products import by_code, seed_demo_products
from app.money import Money
from tests.app.loans.loan_helpers import new_member, product, regular_saver
from tests.app.staff.staff_helpers import new_staff
from tests.money_helpers import kes


def run(app, *args):
    return app.test_cli_runner().invoke(args=["loans", *args])


def test_products_create_and_list(app, services):
    result = run(app, "products", "create", "--code", "kilimo", "--name", "Kilimo", "--currency", "KES", "--min",
                 "1000", "--max", "50000", "--terms", "3,6", "--rate", "18.5", "--fee-type", "flat", "--fee", "150",
                 "--penalty", "5", "--grace-days", "3", "--approval", "officer")
    assert result.exit_code == 0, result.output
    kilimo = by_code(services.session, "KILIMO")
    assert (kilimo.min_amount, kilimo.max_amount, kilimo.terms, kilimo.fee_value) == (
        Money(100000, "KES"), Money(5000000, "KES"), [3, 6], 15000)
    assert "KILIMO" in run(app, "products", "list").output
    again = run(app, "products", "create", "--code", "KILIMO", "--name", "K", "--currency", "KES", "--min", "1",
                "--max", "2", "--terms", "3")
    assert again.exit_code != 0 and "exists" in again.output
    assert {p.code for p in seed_demo_products(services)} == {"CHAPCHAP", "BIASHARA", "AKIBA-UG"}
    assert len(seed_demo_products(services)) == 3  # idempotent


def test_products_list_prints_money_and_percents(app):
    created = run(app, "products", "create", "--code", "mavuno", "--name", "Mavuno", "--currency", "KES", "--min",
                  "1000", "--max", "50000", "--terms", "3", "--fee-type", "flat", "--fee", "50", "--penalty", "2.5")
    assert created.exit_code == 0, created.output
    line = next(line for line in run(app, "products", "list").output.splitlines() if "MAVUNO" in line)
    assert "fee KES 50.00 (deducted)" in line and "penalty 2.5%" in line and "5000" not in line


def test_approve_decline_show_and_recover(app, services, session):
    officer_product = product(services, approval="officer")
    member, other = new_member(services), new_member(services)
    regular_saver(services, member, 1000000)
    regular_saver(services, other, 1000000)
    first = services.loans.apply_for(member, officer_product, kes(5000), 3, idempotency_key="c1",
                                     destination="savings")
    second = services.loans.apply_for(other, officer_product, kes(5000), 3, idempotency_key="c2",
                                      destination="savings")
    officer = new_staff(services, "loan_officer").username
    listing = run(app, "pending").output
    assert f"{first.id:>5} member {member.id}" in listing
    result = run(app, "approve", str(first.id), "--reason", "good saver", "--staff", officer)
    assert result.exit_code == 0 and "disbursed" in result.output, result.output
    again = run(app, "approve", str(first.id), "--reason", "again", "--staff", officer)
    assert again.exit_code != 0 and "not applied" in again.output  # already decided: refused in words
    assert run(app, "decline", str(second.id), "--staff", officer).exit_code != 0  # a reason is required
    assert run(app, "decline", str(second.id), "--reason", "no documents", "--staff", "nobody").exit_code != 0
    assert run(app, "decline", str(second.id), "--reason", "no documents", "--staff", officer).exit_code == 0
    assert session.get(Loan, second.id).state == "declined"
    shown = run(app, "show", str(first.id)).output
    assert "approved" in shown and f"staff:{officer}" in shown and "good saver" in shown and "unpaid" in shown
    recovered = run(app, "recover", str(first.id), "--reason", "90 days late", "--staff", officer)
    assert recovered.exit_code == 0 and "from savings of member" in recovered.output, recovered.output
    assert session.get(Loan, first.id).state == "closed"  # the borrower's savings covered everything
