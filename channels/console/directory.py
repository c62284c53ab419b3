"""Agents (float, limits, status, last 30 days' activity) and groups (members, contribution)."""

from flask import render_template

from app.services import request_services
from channels.console import bp, queries
from channels.console.guard import can, permission


@bp.route("/agents")
@permission("agents.view")
def agents():
    services = request_services()
    found = queries.agents(services.session)
    floats = {agent.id: services.agent_float.balance(agent) for agent in found} if can("floats.view") else {}
    activity = {}
    for agent, kind, count, minor in queries.agent_activity(services.session, services.clock):
        activity.setdefault(agent.id, []).append((kind, count, minor))
    return render_template("console/agents.html", agents=found, floats=floats, activity=activity)


@bp.route("/groups")
@permission("members.view")
def groups():
    services = request_services()
    return render_template("console/groups.html", groups=queries.groups(services.session))
