"""`flask agents create|list|disputes`: the operator's side."""

from app.agents.models import Agent


def test_create_list_and_refuse_a_duplicate(app, session):
    runner = app.test_cli_runner()
    args = ["agents", "create", "--phone", "0722000050", "--name", "Baraka Otieno", "--code", "a050",
            "--limit", "5000", "--daily-limit", "50000"]
    made = runner.invoke(args=args, input="7391\n7391\n")
    assert made.exit_code == 0, made.output
    agent = session.query(Agent).filter_by(code="A050").one()
    assert (agent.phone, agent.per_transaction_limit_minor, agent.daily_limit_minor) == (
        "+254722000050", 500000, 5000000)
    again = runner.invoke(args=args, input="7391\n7391\n")
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(args=[*args[:-6], "--code", "A051", "--limit", "5000", "--daily-limit", "50000"],
                         input="1234\n1234\n")
    assert weak.exit_code != 0 and "not easy to guess" in weak.output
    listed = runner.invoke(args=["agents", "list"])
    assert "A050" in listed.output and "float KES 0" in listed.output
    assert runner.invoke(args=["agents", "disputes"]).exit_code == 0
