"""`flask agents ...` and `flask disputes ...`: the back office's side of field agents.

Thin over the services: `--staff <username>` names who acts (app/staff/cli_auth.py),
the services check the permission, the reason and the state, and record the audit.
"""

import contextlib
import uuid

import click
from flask import current_app

from app.agents.errors import AgentError, BackOfficeRefusal
from app.extensions import db
from app.i18n import render
from app.members.errors import MemberError
from app.phones import InvalidPhone
from app.staff.cli_auth import as_staff, reason_option, refusals, staff_option
from app.unit_of_work import command_unit


@click.group("agents")
def agents_cli():
    """Field agents: create them, list them, review disputes."""


@agents_cli.command("create")
@click.option("--phone", required=True)
@click.option("--name", required=True)
@click.option("--code", required=True, help="The agent code printed on their receipt book, e.g. A001.")
@click.option("--limit", "per_transaction", required=True, help="Most per transaction, major units (5000).")
@click.option("--daily-limit", required=True, help="Most per day, major units (50000).")
@click.option("--locale", default="en", type=click.Choice(["en", "sw"]))
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="The agent's 4-digit PIN.")
@command_unit
def create_agent_command(phone, name, code, per_transaction, daily_limit, locale, pin):
    """Create a vetted agent with a float account and limits."""
    from app.services import build_services

    services = build_services(current_app, db.session)
    try:
        agent = services.agents.create(code=code, phone=phone, name=name, pin=pin, locale=locale,
                                       per_transaction_limit=per_transaction, daily_limit=daily_limit)
    except (AgentError, MemberError) as error:
        raise click.ClickException(render(error.message, "en")) from None
    except InvalidPhone:
        raise click.ClickException(f"not a valid mobile number: {phone}") from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"agent {agent.code} (id {agent.id}) {agent.name} {agent.phone}: limit {agent.per_transaction_limit} "
               f"per transaction, {agent.daily_limit} a day")


@agents_cli.command("list")
@command_unit
def list_agents_command():
    """Every agent with their float and today's collections."""
    from sqlalchemy import select

    from app.agents.models import Agent
    from app.services import build_services

    services = build_services(current_app, db.session)
    for agent in db.session.scalars(select(Agent).order_by(Agent.code)):
        today = services.agent_reports.collected_today(agent)
        click.echo(f"{agent.code:8} {agent.status:9} {agent.phone:14} {agent.name:24} "
                   f"float {services.agent_float.balance(agent)}  today {today}")


@agents_cli.command("disputes")
@command_unit
def list_disputes_command():
    """Agent transactions members disputed, oldest first."""
    from app.services import build_services

    services = build_services(current_app, db.session)
    for row in services.agent_disputes.disputed():
        click.echo(f"{row.receipt} agent {row.agent_id} member {row.member_id} {row.kind} {row.amount} "
                   f"made {row.created_at:%Y-%m-%d %H:%M} disputed {row.disputed_at:%Y-%m-%d %H:%M}")


def _services():
    from app.services import build_services

    return build_services(current_app, db.session)


@contextlib.contextmanager
def _refused():
    """Staff, audit and back-office refusals as click errors (the unit of work rolls back)."""
    with refusals():
        try:
            yield
        except BackOfficeRefusal as error:
            raise click.ClickException(str(error)) from None
        except AgentError as error:
            raise click.ClickException(render(error.message, "en")) from None


@agents_cli.command("suspend")
@click.argument("code")
@reason_option()
@staff_option()
@command_unit
def suspend_command(code, reason, staff_username):
    """Suspend an agent: their menu refuses them and no cash moves (agents.manage)."""
    services = _services()
    agent = as_staff(services, staff_username, services.agent_oversight.suspend, code, reason, refused=_refused)
    click.echo(f"agent {agent.code} suspended")


@agents_cli.command("reinstate")
@click.argument("code")
@reason_option()
@staff_option()
@command_unit
def reinstate_command(code, reason, staff_username):
    """Reinstate a suspended agent (agents.manage)."""
    services = _services()
    agent = as_staff(services, staff_username, services.agent_oversight.reinstate, code, reason, refused=_refused)
    click.echo(f"agent {agent.code} active again")


@agents_cli.command("limits")
@click.argument("code")
@click.option("--limit", "per_transaction", default=None, help="Most per transaction, major units.")
@click.option("--daily-limit", default=None, help="Most per day, major units.")
@reason_option()
@staff_option()
@command_unit
def limits_command(code, per_transaction, daily_limit, reason, staff_username):
    """Change an agent's limits (agents.manage; audited with before and after)."""
    services = _services()
    agent = as_staff(services, staff_username, services.agent_oversight.set_limits, code, reason,
                     per_transaction=per_transaction, daily=daily_limit, refused=_refused)
    click.echo(f"agent {agent.code}: limit {agent.per_transaction_limit} per transaction, {agent.daily_limit} a day")


@agents_cli.command("topup")
@click.argument("code")
@click.option("--amount", required=True, help="Major units (150000).")
@click.option("--request-id", default=None, help="Retry-safe id of this request (default: a new one).")
@reason_option()
@staff_option()
@command_unit
def topup_command(code, amount, request_id, reason, staff_username):
    """Ask the agent's mobile money for a float top-up (floats.approve); above FLOAT_TOPUP_APPROVAL it waits
    for a branch manager: `flask approvals approve <id>`."""
    services = _services()
    payment, approval = as_staff(services, staff_username, services.agent_oversight.request_topup, code, amount,
                                 reason, idempotency_key=request_id or uuid.uuid4().hex, refused=_refused)
    if approval is not None:
        click.echo(f"top-up waits for approval #{approval.id} "
                   f"(a branch manager: flask approvals approve {approval.id})")
    else:
        click.echo(f"top-up payment #{payment.id} started: the agent confirms on their phone")


@click.group("disputes")
def disputes_cli():
    """Agent disputes: list, show, investigate, uphold, reject."""


@disputes_cli.command("list")
@click.option("--state", type=click.Choice(["open", "investigating", "upheld", "rejected"]), default=None,
              help="Default: every unresolved dispute.")
@staff_option()
@command_unit
def disputes_list_command(state, staff_username):
    """Disputes, oldest first (disputes.view)."""
    services = _services()
    rows = as_staff(services, staff_username, services.agent_disputes.list, state, refused=_refused)
    for dispute, row in rows:
        click.echo(f"#{dispute.id:<5} {dispute.state:13} {row.receipt} agent {row.agent_id} member {row.member_id} "
                   f"{row.kind} {row.amount} due {dispute.due_at:%Y-%m-%d %H:%M}"
                   f"{' ESCALATED' if dispute.escalated_at else ''}")


@disputes_cli.command("show")
@click.argument("dispute_id", type=int)
@staff_option()
@command_unit
def disputes_show_command(dispute_id, staff_username):
    """One dispute with its transaction and story (disputes.view)."""
    services = _services()
    dispute, row, agent = as_staff(services, staff_username, services.agent_disputes.show, dispute_id,
                                   refused=_refused)
    click.echo(f"dispute #{dispute.id}: {dispute.state}, opened {dispute.opened_at:%Y-%m-%d %H:%M}, "
               f"due {dispute.due_at:%Y-%m-%d %H:%M}" + (f", escalated {dispute.escalated_at:%Y-%m-%d %H:%M}"
                                                          if dispute.escalated_at else ""))
    click.echo(f"receipt {row.receipt}: {row.kind} {row.amount} by agent {agent.code} ({agent.name}) for member "
               f"{row.member_id}, {row.created_at:%Y-%m-%d %H:%M}, ledger entry {row.ledger_entry_id}")
    if dispute.resolved_at:
        click.echo(f"resolved {dispute.resolved_at:%Y-%m-%d %H:%M} by staff {dispute.resolved_by_staff_id}: "
                   f"{dispute.resolution_reason}" + (f" (entry {dispute.reversal_entry_id})"
                                                     if dispute.reversal_entry_id else ""))


def _move_command(name, method, help_text):
    @disputes_cli.command(name, help=help_text)
    @click.argument("dispute_id", type=int)
    @reason_option()
    @staff_option()
    @command_unit
    def move(dispute_id, reason, staff_username):
        services = _services()
        dispute = as_staff(services, staff_username, getattr(services.agent_disputes, method), dispute_id, reason,
                           refused=_refused)
        click.echo(f"dispute #{dispute.id} {dispute.state}")

    return move


_move_command("investigate", "investigate", "Take a dispute: open -> investigating (disputes.intake).")
_move_command("uphold", "uphold", "Uphold: compensate in one ledger entry, tell both parties (disputes.resolve).")
_move_command("reject", "reject", "Reject: the transaction stands, tell both parties (disputes.resolve).")
