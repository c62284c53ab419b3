"""`flask members kyc` and `kyc-history`: staff-only, reasons required, the ID number prompted."""

from app.members.kyc.cli import kyc_command, kyc_history_command
from tests.app.staff.staff_helpers import new_staff
from tests.member_helpers import make_member


def test_staff_verify_request_tier_3_and_downgrade_from_the_cli(app, services, session):
    member = make_member(session, "+254712200001", "Amina Wanjiru", national_id="30111222", kyc_level=1)
    support = new_staff(services, "support")
    manager = new_staff(services, "branch_manager")
    runner = app.test_cli_runner()
    no_reason = runner.invoke(kyc_command, ["0712200001", "--tier", "2", "--staff", support.username])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    done = runner.invoke(kyc_command, ["0712200001", "--tier", "2", "--id-type", "national_id", "--reason",
                                       "ID seen on call-back", "--staff", support.username], input="30111222\n")
    assert done.exit_code == 0, done.output
    assert "tier 1 -> 2" in done.output and "30111222" not in done.output
    asked = runner.invoke(kyc_command, ["+254712200001", "--tier", "3", "--reason", "documents sighted",
                                        "--staff", manager.username])
    assert asked.exit_code == 0 and "waits for approval" in asked.output
    down = runner.invoke(kyc_command, ["0712200001", "--tier", "0", "--reason", "fraud", "--staff",
                                       support.username])
    assert down.exit_code == 0 and "tier 2 -> 0" in down.output
    history = runner.invoke(kyc_history_command, ["0712200001", "--staff", support.username])
    assert "tier 0" in history.output and "2->0 staff" in history.output and "30111222" not in history.output
    session.refresh(member)
    assert member.kyc_level == 0
    # a refusal rolls the command's unit of work back (here: the whole test transaction), so it comes last
    refused = runner.invoke(kyc_command, ["0712200001", "--tier", "2", "--id-type", "national_id", "--reason",
                                          "seen", "--staff", new_staff(services, "loan_officer").username],
                            input="30111222\n")
    assert refused.exit_code == 1 and "kyc.verify" in refused.output
