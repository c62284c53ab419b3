"""Browser tests of the console: the app under a real HTTP server thread, Debian's Chromium driven by Playwright.

The console app gets its own schema and Redis database (the server thread commits for
real, so the suite's rolled-back tests never see its rows, and it never sees theirs).
Chromium is Debian's (`/usr/bin/chromium`): when it is missing the run installs it with
apt-get, and FAILS with the reason when it cannot, never skips. A failed test leaves a
screenshot of its page under the run's temporary folder (printed in the failure).
"""

import os
import shutil
import subprocess
import threading

import pyotp
import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.services import build_services
from app.staff.demo import DEMO_TOTP_SECRET, seed_demo_staff
from tests.conftest import migrated_app

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pamoja-demo-staff"


def ensure_chromium():
    """The path of Debian's Chromium, installed with apt-get when missing; pytest.fail when it cannot be."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if shutil.which("apt-get") is None:
        pytest.fail(f"the console's browser tests need Chromium at {CHROMIUM} and there is no apt-get to install it: "
                    "install the `chromium` package", pytrace=False)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"the console's browser tests need Chromium and `{' '.join(command)}` failed "
                        f"({done.returncode}): {done.stderr[-800:]}", pytrace=False)
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} is not there", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def console_app():
    settings = {"STAFF_MAX_FAILED_LOGINS": "3", "CONSOLE_SIGNIN_RATE": "1000/60"}  # every test signs in from 127.0.0.1
    with migrated_app(f"t_{os.getpid()}_console", **settings) as application:
        application.extensions["redis"].flushdb()
        with application.app_context():
            seed_demo_staff(build_services(application, db.session))
            db.session.commit()
        yield application


@pytest.fixture(scope="session")
def console_url(console_app):
    """The console served by a real threaded HTTP server (werkzeug), as a browser reaches it."""
    server = make_server("127.0.0.1", 0, console_app, threaded=True)
    port = server.server_port
    console_app.config["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/console"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    path = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, console_url, request, tmp_path_factory):
    """A fresh browser context (no cookies) per test; a screenshot under the run's tmp folder when it fails."""
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = tmp_path_factory.getbasetemp() / "console-screenshots"
        folder.mkdir(exist_ok=True)
        shot = folder / f"{request.node.name}.png"
        opened.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failed page: {shot}")
    context.close()


@pytest.fixture
def console_services(console_app):
    """Services on the console app's own schema; commit to make rows visible to the server."""
    with console_app.app_context():
        yield build_services(console_app, db.session)
        db.session.rollback()


def next_code(services, username, secret=DEMO_TOTP_SECRET):
    """A TOTP code the staff service still accepts for `username` (each 30-second step is accepted once)."""
    import time

    services.session.expire_all()
    staff = services.staff.by_username(username)
    totp = pyotp.TOTP(secret)
    while True:
        current = totp.timecode(services.clock.now())
        for step in (current, current + 1):
            if step > (staff.totp_last_step or -1):
                return totp.generate_otp(step)
        time.sleep(1)
