"""`flask staff ...`: bootstrap, prompted passwords, signed-in admins, refusals as clear errors."""

import pyotp

from app.staff.cli import create_command, disable_command, list_command, roles_command
from app.staff.models import Staff, StaffRole
from tests.app.staff.staff_helpers import PASSWORD, code_for


def test_bootstrap_then_a_signed_in_admin_manages_staff(app, services, session):
    session.query(StaffRole).filter_by(role="admin").delete()
    runner = app.test_cli_runner()
    created = runner.invoke(create_command, ["boss", "--name", "The Boss", "--role", "admin"],
                            input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert PASSWORD not in created.output
    again = runner.invoke(create_command, ["boss2", "--name", "Another", "--role", "admin"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code == 1 and "bootstrap is over" in again.output
    boss = session.query(Staff).filter_by(username="boss").one()
    boss.totp_secret, boss.totp_enrolled = pyotp.random_base32(), True
    session.flush()
    sign_in_input = f"{PASSWORD}\n{code_for(services, boss.totp_secret)}\n"
    made = runner.invoke(create_command, ["juma", "--name", "Juma", "--role", "support", "--staff", "boss",
                                          "--reason", "hired"], input=sign_in_input + f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    wrong = runner.invoke(roles_command, ["juma", "--add", "finance", "--staff", "boss", "--reason", "cover"],
                          input="not the password\n000000\n")
    assert wrong.exit_code == 1 and "wrong username, password or TOTP code" in wrong.output
    session.refresh(boss)
    assert boss.failed_logins == 1
    boss.totp_last_step = None
    changed = runner.invoke(roles_command, ["juma", "--add", "finance", "--staff", "boss", "--reason", "cover"],
                            input=f"{PASSWORD}\n{code_for(services, boss.totp_secret)}\n")
    assert changed.exit_code == 0, changed.output
    assert "juma: finance, support" in changed.output and "payments.reverse" in changed.output
    refused = runner.invoke(disable_command, ["boss", "--staff", "juma", "--reason", "coup"])
    assert refused.exit_code == 1 and "may not staff.manage" in refused.output
    assert runner.invoke(disable_command, ["juma", "--staff", "boss", "--reason", "left"]).exit_code == 0
    listed = runner.invoke(list_command, ["--all"])
    assert "juma 'Juma' disabled roles=finance,support" in listed.output
