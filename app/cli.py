"""The `flask` commands of every domain, listed in one place."""


def commands():
    from app.agents.cli import agents_cli, disputes_cli
    from app.alerts.cli import alerts_cli
    from app.audit.cli import audit_cli
    from app.demo import demo_command
    from app.groups.cli import groups_cli
    from app.ledger.cli import ledger_command
    from app.loans.cli import loans_cli
    from app.members.cli import members_cli
    from app.notifications.cli import notifications_cli, reminders_cli
    from app.payments.cli import payments_command
    from app.scheduler.cli import scheduler_cli
    from app.staff.cli import approvals_cli, staff_cli, work_cli
    from channels.simulate import simulate

    return [alerts_cli, demo_command, simulate, ledger_command, loans_cli, payments_command, reminders_cli,
            scheduler_cli,
            notifications_cli, agents_cli, groups_cli, members_cli, staff_cli, approvals_cli, work_cli, audit_cli,
            disputes_cli]
