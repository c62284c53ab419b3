"""The console in a real browser: Chromium (Debian's) through Playwright against a real server thread."""

import csv
import io
import re

import pyotp

from app.extensions import db
from app.payments.models import Payment
from app.staff.models import Staff
from tests.channels.console.conftest import PASSWORD, next_code


def sign_in(page, url, services, username, code=None):
    page.goto(f"{url}/sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=code]", code if code is not None else next_code(services, username))
    page.click("#sign-in button[type=submit]")


def nav_links(page):
    return set(page.locator("nav a").evaluate_all("links => links.map(a => a.dataset.nav)"))


def test_sign_in_with_totp_shows_the_queues_and_signs_out(page, console_url, console_services):
    sign_in(page, console_url, console_services, "demo.support")
    assert page.url.rstrip("/").endswith("/console")
    assert page.locator("#queues .card").count() >= 3
    assert "Payments in review" in page.inner_text("#queues")
    page.click("#sign-out")
    assert "/console/sign-in" in page.url and "signed out" in page.inner_text("main")
    page.goto(f"{console_url}/members")
    assert "/console/sign-in" in page.url


def test_wrong_code_is_refused_and_repeated_failures_lock(page, console_url, console_services):
    from app.staff.passwords import hash_password

    services = console_services
    staff = Staff(username="lock.me", name="Lock Me", status="active", password_hash=hash_password(PASSWORD),
                  password_changed_at=services.clock.now(), totp_secret=pyotp.random_base32(), totp_enrolled=True,
                  failed_logins=0, created_at=services.clock.now())
    services.session.add(staff)
    services.session.commit()
    sign_in(page, console_url, services, "lock.me", code="000000")
    assert "Wrong username, password or code." in page.inner_text("[role=alert]")
    sign_in(page, console_url, services, "lock.me", code="000001")
    sign_in(page, console_url, services, "lock.me", code="000002")
    assert "locked" in page.inner_text("[role=alert]")
    right = pyotp.TOTP(staff.totp_secret).now()
    sign_in(page, console_url, services, "lock.me", code=right)  # even the right code: locked
    assert "locked" in page.inner_text("[role=alert]")


def test_first_sign_in_enrols_totp_with_a_qr_code(page, console_url, console_services):
    from app.staff.passwords import hash_password

    services = console_services
    services.session.add(Staff(username="new.officer", name="New Officer", status="active",
                               password_hash=hash_password(PASSWORD), password_changed_at=services.clock.now(),
                               totp_enrolled=False, failed_logins=0, created_at=services.clock.now()))
    services.session.commit()
    sign_in(page, console_url, services, "new.officer", code="")
    assert "/console/enrol" in page.url
    assert page.locator("#totp-qr").evaluate("img => img.naturalWidth") > 0
    secret = page.inner_text("#totp-key").strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    assert "Two-step sign-in is set up" in page.inner_text("main")
    sign_in(page, console_url, services, "new.officer", code=next_code(services, "new.officer", secret))
    assert page.url.rstrip("/").endswith("/console")


def test_a_forged_csrf_token_is_refused_with_400(page, console_url, console_services):
    sign_in(page, console_url, console_services, "demo.finance")
    page.eval_on_selector_all("input[name=csrf_token]", "inputs => inputs.forEach(i => i.value = 'forged')")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("#sign-out")
    assert answer.value.status == 400
    response = page.request.post(f"{console_url}/sign-out-everywhere", form={})
    assert response.status == 400
    page.goto(console_url + "/")
    assert page.url.rstrip("/").endswith("/console")  # still signed in: nothing was done


def test_each_role_sees_only_what_it_may(page, console_url, console_services):
    sign_in(page, console_url, console_services, "demo.loan_officer")
    links = nav_links(page)
    assert {"console.loans", "console.members", "console.dashboard"} <= links
    assert not links & {"console.payments", "console.audit_log", "console.simulator", "console.agents"}
    assert page.goto(f"{console_url}/payments").status == 403
    assert page.goto(f"{console_url}/audit").status == 403
    assert page.goto(f"{console_url}/reports/trial_balance.csv").status == 403
    page.click("#sign-out")
    sign_in(page, console_url, console_services, "demo.trainer")
    assert nav_links(page) == {"console.home", "console.simulator", "console.reports"}
    assert page.goto(f"{console_url}/members").status == 403
    page.click("#sign-out")
    sign_in(page, console_url, console_services, "demo.admin")
    assert "console.audit_log" in nav_links(page)
    assert page.goto(f"{console_url}/audit").status == 200
    assert "staff.sign_in" in page.inner_text("#audit")
    assert page.goto(f"{console_url}/loans").status == 403


def test_member_360_and_a_csv_export_downloaded_and_parsed(page, console_url, console_services):
    services = console_services
    member = services.members.by_phone("+254733100200") or services.members.register(
        phone="+254733100200", name="Zawadi Akinyi", national_id="27182818", locale="sw", pin="4821")
    services.session.commit()
    sign_in(page, console_url, services, "demo.branch_manager")
    page.goto(f"{console_url}/members?q=27182818")
    page.click(f"#found a[href$='/members/{member.id}']")
    assert page.inner_text("h1").startswith("Zawadi Akinyi")
    assert "27182818" not in page.content()
    assert re.search(r"\*+", page.inner_text("#masked-id"))
    page.goto(f"{console_url}/reports")
    with page.expect_download() as downloaded:
        page.click("#report-portfolio-csv")
    rows = list(csv.reader(io.StringIO(open(downloaded.value.path(), encoding="utf-8-sig").read())))
    assert rows[0][:5] == ["scope", "name", "currency", "loans", "outstanding_minor"]
    with page.expect_download() as downloaded:
        page.click("#report-trial_balance-xlsx")
    assert downloaded.value.suggested_filename.endswith(".xlsx")


def test_the_dashboard_draws_its_charts(page, console_url, console_services):
    sign_in(page, console_url, console_services, "demo.branch_manager")
    page.goto(f"{console_url}/dashboard")
    charts = page.locator("img.chart")
    assert charts.count() == 4
    page.wait_for_load_state("load")
    widths = charts.evaluate_all("images => images.map(img => img.complete ? img.naturalWidth : 0)")
    assert all(width > 0 for width in widths), widths
    answer = page.request.get(f"{console_url}/charts/par.svg")
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert b"PAR30" in answer.body()


def test_the_simulator_registers_a_member_and_starts_a_deposit(page, console_url, console_services):
    services = console_services
    phone = "+254722555777"
    sign_in(page, console_url, services, "demo.trainer")
    page.goto(f"{console_url}/simulator")
    page.fill("#sim-phone", phone)
    page.click("text=Use this phone")

    def ussd(value=None):
        if value is None:
            page.click("#ussd-dial")
        else:
            page.fill("#ussd-input", value)
            page.click("#ussd-send")
        return page.inner_text("#ussd-screen")

    ussd()
    for value in ("1", "Neema Chebet", "31415926", "4821"):
        ussd(value)
    assert "1." in ussd("4821")  # registered: the main menu
    ussd()
    ussd("4821")
    ussd("1")
    ussd("3")
    assert "KES 700" in ussd("700")
    assert "PIN" in ussd("1")  # the one confirmation, then the PIN
    done = ussd("4821")
    assert "PIN" in done and "(session ended)" in done
    services.session.expire_all()
    member = services.members.by_phone(phone)
    assert member is not None and member.name == "Neema Chebet"
    deposits = db.session.query(Payment).filter_by(member_id=member.id, purpose="deposit").all()
    assert [payment.amount_minor for payment in deposits] == [70_000]
    assert "Neema" in page.inner_text("#outbox") or page.locator("#outbox tr").count() >= 2
