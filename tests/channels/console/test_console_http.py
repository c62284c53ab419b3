"""The console's HTTP rules through the test client: headers, CSRF, idle timeout, sign-out everywhere, limits."""

import re
import time

import pyotp
import pytest
from flask import request, template_rendered

from app.staff.demo import DEMO_STAFF_PASSWORD, DEMO_TOTP_SECRET, seed_demo_staff


def token(client, path="/console/sign-in"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, username, step_offset=0, next_page=None):
    code = pyotp.TOTP(DEMO_TOTP_SECRET)
    step = code.timecode(time.time()) + step_offset
    return client.post("/console/sign-in", data={"csrf_token": token(client), "username": username,
                                                 "password": DEMO_STAFF_PASSWORD, "code": code.generate_otp(step),
                                                 **({"next": next_page} if next_page else {})})


@pytest.fixture
def staffed(services, session):
    seed_demo_staff(services)
    session.flush()
    return services


def test_security_headers_and_cookie_flags(client, staffed):
    answer = client.get("/console/sign-in")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["Referrer-Policy"] == "same-origin"
    cookie = sign_in(client, "demo.finance").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_cookie_signer_is_built_only_for_a_request_with_the_cookie(app, client, staffed, monkeypatch):
    built = []
    real = type(app.session_interface).get_signing_serializer
    monkeypatch.setattr(type(app.session_interface), "get_signing_serializer",
                        lambda self, application: built.append(1) or real(self, application))
    assert client.get("/healthz").status_code == 200  # a member channel's callback, no cookie: nothing built
    assert built == []
    assert sign_in(client, "demo.finance").status_code == 302  # the sign-in sets the cookie: signed
    assert client.get("/console/").status_code == 200  # and reads it back: still signed in
    assert built


def test_outside_the_console_a_request_without_the_cookie_gets_flasks_null_session(app, client):
    """Nothing to open, nothing to save: a USSD hop's answer neither sets a cookie nor varies on one."""
    interface = app.session_interface
    for path, kept in (("/ussd", False), ("/healthz", False), ("/console", True), ("/console/sign-in", True),
                       ("/consoles", False)):
        with app.test_request_context(path):
            assert (interface.open_session(app, request) is not None) is kept, path
    answer = client.post("/ussd?token=dev-callback-token", data={"sessionId": "null1", "serviceCode": "*384*1#",
                                                                 "phoneNumber": "+254712345678", "text": ""})
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")


def test_a_post_without_a_csrf_token_is_refused(client, staffed):
    assert client.post("/console/sign-in", data={"username": "demo.finance"}).status_code == 400


def test_member_channels_take_no_csrf_token(client):
    answer = client.post("/ussd?token=dev-callback-token", data={"sessionId": "x1", "serviceCode": "*384*1#",
                                                                 "phoneNumber": "+254712345678", "text": ""})
    assert answer.status_code == 200


def test_an_idle_session_goes_back_to_sign_in_with_the_page_it_wanted(client, staffed):
    assert sign_in(client, "demo.finance").status_code == 302
    assert client.get("/console/payments").status_code == 200
    with client.session_transaction() as saved:
        saved["seen"] = time.time() - 31 * 60
    answer = client.get("/console/payments?q=abc")
    assert answer.status_code == 302 and "/console/sign-in?next=/console/payments?q%3Dabc" in answer.location
    assert "without activity" in client.get(answer.location).get_data(as_text=True)


def kept_on(app, client, path):
    """What the page at `path` (GET) would fill its form fields with: the template context's `kept`."""
    seen = []

    def record(sender, template, context, **extra):
        seen.append(context)

    with template_rendered.connected_to(record, app):
        assert client.get(path).status_code == 200
    return {name: seen[0]["kept"](name) for name in ("reason", "note", "password", "csrf_token")}


def test_a_form_posted_after_the_idle_timeout_comes_back_after_sign_in_with_its_reason(app, client, staffed):
    from tests.sms_helpers import register

    member = register(staffed)
    page = f"/console/members/{member.id}?account=1"
    assert sign_in(client, "demo.support").status_code == 302
    csrf = token(client, page)
    with client.session_transaction() as saved:
        saved["seen"] = time.time() - 31 * 60
    # The guard answers before any view, so any console form will do; this one posts to the language switch.
    answer = client.post("/console/language", headers={"Referer": f"http://localhost{page}"},
                         data={"csrf_token": csrf, "reason": "Member called: lost phone", "password": "hunter2",
                               "code": "123456", "lang": "sw"})
    assert answer.status_code == 302 and answer.location.startswith("/console/sign-in?next=")
    with client.session_transaction() as saved:
        assert saved["kept_form"]["fields"] == {"reason": "Member called: lost phone"}
        assert "_user_id" not in saved and saved.get("lang") is None
    assert "without activity" in client.get(answer.location).get_data(as_text=True)
    back = sign_in(client, "demo.support", step_offset=1, next_page=page)
    assert back.status_code == 302 and back.location == page
    assert kept_on(app, client, page) == {"reason": "Member called: lost phone", "note": "", "password": "",
                                          "csrf_token": ""}
    assert kept_on(app, client, page)["reason"] == ""  # restored once


def test_a_form_posted_after_the_browser_dropped_the_expired_cookie_is_kept_too(app, client, staffed):
    from tests.sms_helpers import register

    member = register(staffed)
    page = f"/console/members/{member.id}"
    answer = client.post("/console/language", headers={"Referer": f"http://localhost{page}"},
                         data={"csrf_token": "from-the-ended-session", "reason": "KYC documents seen"})
    assert answer.status_code == 302 and "next=/console/members/" in answer.location
    sign_in(client, "demo.support", next_page=page)
    assert kept_on(app, client, page)["reason"] == "KYC documents seen"
    other_site = app.test_client()
    refused = other_site.post("/console/language", headers={"Referer": "http://evil.example/console/members/1"},
                              data={"csrf_token": "x", "reason": "planted"})
    assert refused.status_code == 400
    with other_site.session_transaction() as saved:
        assert "kept_form" not in saved


def test_signing_out_everywhere_ends_the_other_browsers(app, staffed):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "demo.support")
    answer = sign_in(phone, "demo.support", step_offset=1)
    assert answer.status_code == 302, answer.get_data(as_text=True)[-1500:]
    assert phone.get("/console/members").status_code == 200
    laptop.post("/console/sign-out-everywhere", data={"csrf_token": token(laptop, "/console/")})
    assert phone.get("/console/members").status_code == 302


def test_sign_in_attempts_are_limited_per_address(client, staffed, monkeypatch, app):
    from app.ratelimit import Limit

    monkeypatch.setattr(app.extensions["settings"], "CONSOLE_SIGNIN_RATE", Limit(2, 60))
    csrf = token(client)
    codes = [client.post("/console/sign-in", data={"csrf_token": csrf, "username": "nobody", "password": "x"})
             .status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_the_simulator_is_open_without_sign_in_only_in_development(client, app, monkeypatch):
    assert client.get("/console/simulator").status_code == 302
    monkeypatch.setitem(app.config, "APP_ENV", "development")
    assert client.get("/console/simulator").status_code == 200


def test_the_simulator_signs_whatsapp_as_twilio_does(client, app, monkeypatch, twilio_token):
    monkeypatch.setitem(app.config, "APP_ENV", "development")
    csrf = token(client, "/console/simulator")
    client.post("/console/simulator/whatsapp", data={"csrf_token": csrf, "text": "hi"})
    page = client.get("/console/simulator").get_data(as_text=True)
    assert "pamoja" in page and "(the service answered 403)" not in page


def test_the_console_speaks_kiswahili_when_chosen(client, staffed):
    client.post("/console/language", data={"csrf_token": token(client), "lang": "sw"})
    assert "Jina la mtumiaji" in client.get("/console/sign-in").get_data(as_text=True)


def test_every_page_renders_for_a_branch_manager_and_an_auditor(app, staffed):
    from tests.sms_helpers import register

    member = register(staffed)
    for username, offset in (("demo.branch_manager", 0), ("demo.auditor", 0)):
        browser = app.test_client()
        sign_in(browser, username, step_offset=offset)
        for path in ("/console/", "/console/dashboard", f"/console/members?q={member.phone}",
                     f"/console/members/{member.id}", f"/console/members/{member.id}?page=2&kind=deposit",
                     "/console/loans", "/console/payments?q=x&state=review", "/console/agents", "/console/groups",
                     "/console/reports", "/console/disputes", "/console/charts/money.svg",
                     "/console/charts/members.svg", "/console/charts/health.svg",
                     f"/console/reports/statement.xlsx?member={member.id}"):
            assert browser.get(path).status_code == 200, (username, path)
        assert "*" in browser.get(f"/console/members/{member.id}").get_data(as_text=True)
