"""Reports as CSV or XLSX downloads: a member's statement, the loan portfolio, PAR, agent activity, a group's
ledger, the trial balance.

Each report is (permission, header, rows) built from the same reads the pages use;
exports.py writes the file with formulas neutralised. Amounts are minor units (an
integer column with the currency beside it), never floats. The portfolio is the book
(loans and outstanding principal per portfolio, product and group); PAR is its own
report (PARn amounts and shares as of today, app/loans/ageing.py). A group's ledger
covers a period (`from`, `to`: guard.period): the pool's opening balance, every
contribution, fine and payout with the member and periods it was for, the pool's
running balance, and the closing balance.
"""

from datetime import timedelta

from flask import Response, abort, render_template, request

from app.loans.ageing import PAR_DAYS, portfolio_at_risk
from app.services import request_services
from channels.console import bp, queries
from channels.console.exports import to_csv, to_xlsx
from channels.console.guard import PERIOD_DAYS, actor, can, period, permission

REPORTS = {
    "statement": "members.view",
    "portfolio": "loans.view",
    "par": "loans.view",
    "agent_activity": "agents.view",
    "group_ledger": "members.view",
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
    header = ["scope", "name", "currency", "loans", "outstanding_minor"]
    rows = [(line.scope, line.name, line.currency, line.loans, line.outstanding)
            for line in portfolio_at_risk(services.read_session, services.clock.today())]
    return header, rows


def par_rows(services):
    today = services.clock.today()
    header = ["as_of", "scope", "name", "currency", "loans", "outstanding_minor",
              *[f"par{days}_minor" for days in PAR_DAYS], *[f"par{days}_percent" for days in PAR_DAYS]]
    rows = [(today.isoformat(), line.scope, line.name, line.currency, line.loans, line.outstanding,
             *[line.at_risk[days] for days in PAR_DAYS], *[str(line.share(days)) for days in PAR_DAYS])
            for line in portfolio_at_risk(services.read_session, today)]
    return header, rows


def group_ledger_rows(services):
    group_id = request.args.get("group", "")
    group = services.group_memberships.get(int(group_id)) if group_id.isdigit() else None
    if group is None:
        abort(404)
    first, last = period(services.clock)
    start, end = queries.day_bounds(services.clock, first)[0], queries.day_bounds(services.clock, last)[1]
    header = ["group", "code", "date", "entry", "kind", "member", "phone", "periods", "amount_minor", "currency",
              "pool_balance_minor"]
    pool = queries.group_pool(services.session, group)
    opening, lines = queries.account_movements(services.session, pool, start, end) if pool else (0, [])
    sources = queries.group_entry_sources(services.session, group, [entry.id for entry, _amount in lines])
    rows = [(group.name, group.code, first.isoformat(), "", "opening_balance", "", "", "", "", group.currency,
             opening)]
    balance = opening
    for entry, amount in lines:
        balance += amount
        what, member, periods = sources.get(entry.id, (entry.kind, None, []))
        rows.append((group.name, group.code, entry.created_at.astimezone(services.clock.zone).isoformat(), entry.id,
                     what, member.name if member else "", member.phone if member else "", " ".join(periods),
                     amount, group.currency, balance))
    rows.append((group.name, group.code, last.isoformat(), "", "closing_balance", "", "", "", "", group.currency,
                 balance))
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


BUILDERS = {"statement": statement_rows, "portfolio": portfolio_rows, "par": par_rows,
            "agent_activity": agent_activity_rows, "group_ledger": group_ledger_rows,
            "trial_balance": trial_balance_rows}
PARAMETERISED = frozenset({"statement", "group_ledger"})
"""Reports that need a member or a group: offered on their own page or form, not as a plain link."""


@bp.route("/reports")
@permission(None)
def reports():
    allowed = [name for name, needed in REPORTS.items() if can(needed)]
    groups = [group for group, _count in queries.groups(request_services().session)] \
        if "group_ledger" in allowed else []
    today = request_services().clock.today()
    return render_template("console/reports.html", reports=[name for name in allowed if name not in PARAMETERISED],
                           groups=groups, default_to=today.isoformat(),
                           default_from=(today - timedelta(days=PERIOD_DAYS - 1)).isoformat())


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
