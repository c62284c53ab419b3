"""Reports as CSV or XLSX downloads: a member's statement, portfolio/PAR, agent activity, trial balance.

Each report is (permission, header, rows) built from the same reads the pages use;
exports.py writes the file with formulas neutralised. Amounts are minor units (an
integer column with the currency beside it), never floats.
"""

from flask import Response, abort, render_template, request

from app.loans.ageing import PAR_DAYS, portfolio_at_risk
from app.services import request_services
from channels.console import bp, queries
from channels.console.exports import to_csv, to_xlsx
from channels.console.guard import actor, can, permission

REPORTS = {
    "statement": "members.view",
    "portfolio": "loans.view",
    "agent_activity": "agents.view",
    "trial_balance": "ledger.view",
}
"""Report name -> the permission it needs (checked again by the download)."""


def statement_rows(services):
    member_id = request.args.get("member", "")
    person = services.members.get(int(member_id)) if member_id.isdigit() else None
    if person is None:
        abort(404)
    header = ["entry", "date", "kind", "memo", "account", "amount_minor", "currency", "member", "phone"]
    rows = []
    for account in queries.member_accounts(services.session, person.id):
        page = 1
        while True:
            lines, more = queries.statement_page(services.session, account, page, per_page=500)
            rows += [(entry.id, entry.created_at.isoformat(), entry.kind, entry.memo, account.kind, amount,
                      account.currency, person.name, person.phone) for entry, amount in lines]
            if not more:
                break
            page += 1
    return header, rows


def portfolio_rows(services):
    header = ["scope", "name", "currency", "loans", "outstanding_minor",
              *[f"par{days}_minor" for days in PAR_DAYS], *[f"par{days}_percent" for days in PAR_DAYS]]
    rows = [(line.scope, line.name, line.currency, line.loans, line.outstanding,
             *[line.at_risk[days] for days in PAR_DAYS], *[str(line.share(days)) for days in PAR_DAYS])
            for line in portfolio_at_risk(services.session, services.clock.today())]
    return header, rows


def agent_activity_rows(services):
    header = ["agent", "name", "kind", "transactions", "amount_minor", "currency"]
    rows = [(agent.code, agent.name, kind, count, int(minor or 0), agent.currency)
            for agent, kind, count, minor in queries.agent_activity(services.session, services.clock)]
    return header, rows


def trial_balance_rows(services):
    return (["account_kind", "owner_type", "currency", "balance_minor"],
            [(kind, owner, currency, int(total or 0)) for kind, owner, currency, total in
             queries.trial_balance(services.session)])


BUILDERS = {"statement": statement_rows, "portfolio": portfolio_rows, "agent_activity": agent_activity_rows,
            "trial_balance": trial_balance_rows}


@bp.route("/reports")
@permission(None)
def reports():
    return render_template("console/reports.html", reports=[name for name, needed in REPORTS.items() if can(needed)])


@bp.route("/reports/<name>.<fmt>")
@permission(None)
def download(name, fmt):
    if name not in REPORTS or fmt not in ("csv", "xlsx"):
        abort(404)
    services = request_services()
    services.staff.require(actor(), REPORTS[name])
    header, rows = BUILDERS[name](services)
    stamp = services.clock.today().isoformat()
    if fmt == "csv":
        body, mimetype = to_csv(header, rows), "text/csv"
    else:
        body, mimetype = to_xlsx(name, header, rows), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"'})
