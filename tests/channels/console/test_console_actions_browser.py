"""The console's actions in a real browser: one form, one service call, what the staff member sees after.

Same server, browser and schema as test_console_browser.py (session fixtures): each test
seeds its own rows with fresh phone numbers and commits them so the server sees them.
"""

import itertools
import random
from datetime import UTC, datetime

from app.agents.models import AgentDispute
from app.clock import FixedClock
from app.extensions import db
from app.loans.models import Loan
from app.members.models import PinResetRequest
from app.money import Money
from app.payments.models import Payment
from app.services import build_services
from app.staff.demo import DEMO_TOTP_SECRET
from tests.app.agents.agent_helpers import new_agent
from tests.app.loans.loan_helpers import product, regular_saver
from tests.app.payments.review_helpers import deposit_in_review
from tests.channels.console.test_console_browser import sign_in
from tests.fakes import FakeProvider

_numbers = itertools.count(random.randrange(10_000, 90_000) * 10)


def phone():
    return f"+2547{next(_numbers):08d}"


def member(services, kyc_level=1):
    person = services.members.register(phone=phone(), name="Imani Njeri", national_id=str(next(_numbers)),
                                       locale="en", pin="4821")
    person.kyc_level = kyc_level
    services.session.flush()
    return person


def act(page, form, reason="checked by the browser test"):
    page.fill(f"#{form} input[name=reason]", reason)
    page.click(f"#{form} button[type=submit]")
    return page.inner_text("main")


def test_a_loan_officer_approves_a_loan_within_their_limit(page, console_url, console_app, console_services):
    services = build_services(console_app, db.session, clock=FixedClock(datetime.now(UTC)))
    applicant = member(services, kyc_level=3)
    regular_saver(services, applicant, 10_000_000)
    loan = services.loans.apply_for(applicant, product(services, code=f"B{next(_numbers)}", approval="officer"),
                                    Money(500_000, "KES"), 3, idempotency_key=f"k{applicant.id}",
                                    destination="savings")
    services.session.commit()
    sign_in(page, console_url, console_services, "demo.loan_officer")
    page.goto(f"{console_url}/loans")
    assert f"Loan #{loan.id} approved" in act(page, f"approve-loan-{loan.id}", "six months of steady saving")
    services.session.expire_all()
    assert services.session.get(Loan, loan.id).state == "disbursed"


def test_finance_resolves_a_payment_in_review(page, console_url, console_services):
    services = console_services
    services.providers.install(FakeProvider())
    payment = deposit_in_review(services, member(services), key=f"deposit:review:{next(_numbers)}")
    services.session.commit()
    sign_in(page, console_url, services, "demo.finance")
    page.goto(f"{console_url}/payments")
    page.click(f"#review a[href$='/payments/{payment.id}']")
    page.select_option("#resolve-payment select[name=outcome]", "succeeded")
    assert "resolved: succeeded" in act(page, "resolve-payment", "operator statement shows the receipt")
    services.session.expire_all()
    assert services.session.get(Payment, payment.id).state == "succeeded"
    assert page.locator("#resolve-payment").count() == 0  # nothing left to resolve


def test_a_branch_manager_investigates_and_upholds_a_dispute(page, console_url, console_services):
    services = console_services
    agent = new_agent(services, phone=phone(), code=f"A{next(_numbers)}", float_minor=1_000_00)
    row = services.agent_cash.cash_deposit(agent, member(services), Money(500_00, "KES"),
                                           idempotency_key=f"dispute:{agent.id}")
    services.agent_disputes.dispute(services.members.get(row.member_id), row.receipt)
    dispute = services.session.query(AgentDispute).filter_by(transaction_id=row.id).one()
    services.session.commit()
    sign_in(page, console_url, services, "demo.branch_manager")
    page.goto(f"{console_url}/disputes")
    assert "being investigated" in act(page, f"investigate-dispute-{dispute.id}", "called the member back")
    assert "upheld" in act(page, f"uphold-dispute-{dispute.id}", "the agent admitted the cash never went in")
    services.session.expire_all()
    assert services.session.get(AgentDispute, dispute.id).state == "upheld"


def test_support_approves_a_pin_reset_from_home(page, console_url, console_services):
    services = console_services
    asking = member(services)
    request, _new = services.pin_resets.request(asking, channel="ussd")
    services.session.commit()
    sign_in(page, console_url, services, "demo.support")
    assert asking.phone in page.inner_text("#pin-resets")
    assert "PIN reset approved" in act(page, f"approve-pin-reset-{request.id}", "called back on the registered number")
    services.session.expire_all()
    assert services.session.get(PinResetRequest, request.id).status == "approved"


def test_the_maker_cannot_approve_their_own_request_a_second_staff_member_does(page, console_url, console_services):
    from app.staff.models import Staff, StaffRole
    from app.staff.passwords import hash_password
    from tests.channels.console.conftest import PASSWORD

    services = console_services
    verified = member(services, kyc_level=2)
    second = f"bm{next(_numbers)}"
    services.session.add(Staff(username=second, name="Second Manager", status="active",
                               password_hash=hash_password(PASSWORD), password_changed_at=services.clock.now(),
                               totp_secret=DEMO_TOTP_SECRET, totp_enrolled=True, failed_logins=0,
                               created_at=services.clock.now(), role_rows=[StaffRole(role="branch_manager")]))
    services.session.commit()
    sign_in(page, console_url, services, "demo.branch_manager")
    page.goto(f"{console_url}/members/{verified.id}")
    page.select_option("#change-kyc-tier select[name=tier]", "3")
    done = act(page, "change-kyc-tier", "passport and utility bill sighted at the branch")
    approval_id = int(done.split("Approval #")[1].split(" ")[0])
    page.goto(f"{console_url}/")
    assert page.locator(f"#approve-request-{approval_id}").count() == 0  # not waiting for its own maker
    refused = page.request.post(f"{console_url}/approvals/{approval_id}/approve",
                                form={"csrf_token": page.input_value("input[name=csrf_token] >> nth=0")})
    assert refused.status == 409 and "your own request" in refused.text()
    page.click("#sign-out")
    sign_in(page, console_url, services, second)
    assert "approved: kyc.tier3 done" in act(page, f"approve-request-{approval_id}", "documents on file")
    services.session.expire_all()
    assert services.members.get(verified.id).kyc_level == 3
