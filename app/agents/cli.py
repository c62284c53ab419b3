"""`flask agents create|list|disputes`: the operator's side of field agents."""

import click
from flask import current_app

from app.agents.errors import AgentError
from app.extensions import db
from app.i18n import render
from app.members.errors import MemberError
from app.phones import InvalidPhone
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
