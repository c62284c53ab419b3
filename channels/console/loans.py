"""Loans: the applications awaiting a decision, loans by state, and the portfolio's ageing.

Ageing comes from the PAR report (app/loans/ageing.py `portfolio_at_risk`): the
buckets are the differences between consecutive PARn amounts, so the rule "overdue
more than n days" lives in one place. Approve and decline are the actions pass's
forms (one POST each to `services.loans.approve/decline` with `require_loan_limit`).
"""

from flask import render_template

from app.loans.ageing import PAR_DAYS, portfolio_at_risk
from app.services import request_services
from channels.console import bp, queries
from channels.console.guard import permission


def ageing(line):
    """[(label, minor)] buckets of one PAR line: up to 1 day, 2-30, 31-60, 61-90, over 90 days overdue."""
    edges = [line.outstanding] + [line.at_risk[days] for days in PAR_DAYS]
    labels = ["0-1", "2-30", "31-60", "61-90", "90+"]
    return [(label, edges[index] - (edges[index + 1] if index + 1 < len(edges) else 0))
            for index, label in enumerate(labels)]


@bp.route("/loans")
@permission("loans.view")
def loans():
    services = request_services()
    lines = portfolio_at_risk(services.session, services.clock.today())
    return render_template("console/loans.html", pending=services.loans.pending(),
                           by_state=queries.loans_by_state(services.session), par_lines=lines,
                           ageing={(line.scope, line.name, line.currency): ageing(line) for line in lines},
                           par_days=PAR_DAYS, now=services.clock.now())
