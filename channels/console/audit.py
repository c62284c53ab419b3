"""The audit log, read-only: `services.audit.search` filtered by actor, action (or `prefix.*`), subject, time."""

from datetime import timedelta

from flask import render_template, request

from app.services import request_services
from channels.console import bp
from channels.console.guard import permission

SINCE = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@bp.route("/audit")
@permission("audit.view")
def audit_log():
    services = request_services()
    filters = {name: request.args.get(name, "").strip() for name in ("actor", "action", "subject_type", "since")}
    since = SINCE.get(filters["since"])
    events = services.audit.search(actor=filters["actor"] or None, action=filters["action"] or None,
                                   subject_type=filters["subject_type"] or None,
                                   since=services.clock.now() - since if since else None, limit=200)
    return render_template("console/audit.html", events=events, filters=filters, periods=list(SINCE))
