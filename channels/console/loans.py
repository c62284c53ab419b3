"""Loans: the applications awaiting a decision, loans by state, and the portfolio's ageing.

Ageing comes from the PAR report (app/loans/ageing.py `portfolio_at_risk`): the
buckets are the differences between consecutive PARn amounts, so the rule "overdue
more than n days" lives in one place. Approve and decline are the actions pass's
forms: one POST each to the loan officers' service (app/loans/officers.py: above the
officer's limit an approval becomes a maker-checker request for a branch manager) and a
write-off request for a defaulted loan (app/loans/write_off.py, maker-checker above
its threshold).
"""

from flask import render_template, url_for

from app.loans.ageing import PAR_DAYS, portfolio_at_risk
from app.loans.states import DEFAULTED
from app.services import request_services
from channels.console import bp, queries
from channels.console.actions import act, reason
from channels.console.guard import permission
from channels.console.i18n import _


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
    lines = portfolio_at_risk(services.read_session, services.clock.today())
    return render_template("console/loans.html", pending=services.loans.pending(),
                           by_state=queries.loans_by_state(services.session), par_lines=lines,
                           defaulted=queries.loans_in_state(services.session, DEFAULTED),
                           ageing={(line.scope, line.name, line.currency): ageing(line) for line in lines},
                           par_days=PAR_DAYS, now=services.clock.now())


def decided(outcome):
    if outcome.approval is not None:
        return _("Loan #{id} is above your limit: approval #{approval} waits for a branch manager.",
                 id=outcome.loan.id, approval=outcome.approval.id)
    return _("Loan #{id} approved: {state}.", id=outcome.loan.id, state=outcome.loan.state)


@bp.route("/loans/<int:loan_id>/approve", methods=["POST"])
@permission("loans.decide")
def approve_loan(loan_id):
    return act(lambda services, me: services.loan_officers.approve(me, loan_id, reason()), decided,
               url_for("console.loans"))


@bp.route("/loans/<int:loan_id>/decline", methods=["POST"])
@permission("loans.decide")
def decline_loan(loan_id):
    return act(lambda services, me: services.loan_officers.decline(me, loan_id, reason()),
               lambda loan: _("Loan #{id} declined.", id=loan.id), url_for("console.loans"))


def written_off(outcome):
    if outcome.approval is not None:
        return _("Write-off of loan #{id} waits for approval #{approval}.", id=outcome.loan.id,
                 approval=outcome.approval.id)
    return _("Loan #{id} written off.", id=outcome.loan.id)


@bp.route("/loans/<int:loan_id>/write-off", methods=["POST"])
@permission("loans.write_off")
def write_off_loan(loan_id):
    return act(lambda services, me: services.loan_write_offs.request(me, loan_id, reason()), written_off,
               url_for("console.loans"))
