"""The back-office console: a Flask blueprint at /console, one more thin adapter over the services.

Staff sign in with username, password and TOTP (auth.py), every page asks
`services.staff.require(actor, permission)` first (guard.py: the same call the CLI
makes), and every view reads through the services or the read-only queries in
queries.py; no business rule lives here. State changes are POST forms with a CSRF
token (Flask-WTF), so an action of the workflows (resolve a payment, uphold a
dispute, approve a PIN reset) is one small form posting to a view that calls one
service method. Pages are server-rendered Jinja; charts are SVG drawn by pygal on
the server (charts.py), so nothing is fetched from the internet and no script runs
inline (the CSP forbids it). Staff pick English or Kiswahili (i18n.py; strings in
locales/*/LC_MESSAGES/console.po).

Modules: auth (sign-in, TOTP enrolment, sign-out, sign-out everywhere), guard
(sessions, idle timeout, permissions, security headers), actions (`act`: one POST, one
service call, one commit, a refusal shown on its own page), home, desk (approvals,
work items, alerts, PIN resets), dashboard, members, loans, payments, disputes,
directory (agents, groups), audit, reports (CSV/XLSX), simulator.
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")


def _init(state):
    from channels.console.guard import init_app

    init_app(state.app)


bp.record_once(_init)

from channels.console import (  # noqa: E402,F401  (each module adds its routes to bp)
    actions,
    audit,
    auth,
    dashboard,
    desk,
    directory,
    disputes,
    formatting,
    home,
    loans,
    members,
    payments,
    reports,
    simulator,
)
