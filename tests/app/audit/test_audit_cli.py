"""`flask audit show` and `flask audit list` print the story, filtered."""

from app.audit.cli import list_command, show_command
from app.staff.actor import Actor


def test_show_and_list(app, services):
    services.audit.record(Actor("staff", 3, "cli", os_user="amina"), "members.block", ("member", 42),
                          before={"blocked": False}, after={"blocked": True}, reason="lost phone")
    services.audit.record(Actor.system("scheduler"), "work.open", ("work_item", 1))
    runner = app.test_cli_runner()
    shown = runner.invoke(show_command, ["--subject", "member:42"])
    assert shown.exit_code == 0, shown.output
    assert "staff:3 (os amina) members.block member:42 reason='lost phone'" in shown.output
    assert '"blocked": true' in shown.output
    listed = runner.invoke(list_command, ["--actor", "system:scheduler", "--since", "1h"])
    assert "work.open work_item:1" in listed.output and "members.block" not in listed.output
    assert runner.invoke(show_command, ["--subject", "member"]).exit_code != 0
