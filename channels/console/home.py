"""Home: the queues that need a person (count and oldest age), and today's figures.

Each queue shows only to a role that may see it (the permission of its `*.view`),
and comes from the domain's own call: the work queue by role, approvals waiting for
a checker other than their maker, payments in review, loan applications awaiting a
decision, open agent disputes, open compliance alerts.
"""

from flask import render_template

from app.i18n import N_
from app.money import Money
from app.services import request_services
from channels.console import bp
from channels.console.guard import actor, can, permission
from channels.console.queries import FLOW_PURPOSES, payments_in_review, today_figures

PURPOSE_LABELS = {"deposit": N_("Deposits"), "withdrawal": N_("Withdrawals"),
                  "loan_disbursement": N_("Disbursements"), "loan_repayment": N_("Repayments")}


def queue(label, items, opened, link=None):
    """One home card: a label msgid, the count and the oldest item's opening time."""
    times = [opened(item) for item in items if opened(item) is not None]
    return {"label": label, "count": len(items), "oldest": min(times) if times else None, "link": link}


def queues(services, me):
    staff = services.staff.get(me.id)
    cards = []
    if can("work.view"):
        for role in staff.roles:
            items = services.work_queue.list(role=role)
            cards.append(queue(N_("Work for {role}"), items, lambda item: item.opened_at) | {"role": role})
    if can("approvals.check"):
        waiting = [item for item in services.approvals.pending() if item.maker_staff_id != me.id]
        cards.append(queue(N_("Approvals waiting for me"), waiting, lambda item: item.created_at))
    if can("payments.view"):
        cards.append(queue(N_("Payments in review"), payments_in_review(services.session),
                           lambda item: item.updated_at, "console.payments"))
    if can("loans.view"):
        cards.append(queue(N_("Loan applications awaiting a decision"), services.loans.pending(),
                           lambda item: item.applied_at, "console.loans"))
    if can("disputes.view"):
        cards.append(queue(N_("Open disputes"), services.agent_disputes.disputed(), lambda item: item.disputed_at))
    if can("alerts.view"):
        cards.append(queue(N_("Open security alerts"), services.alerts.list(limit=500),
                           lambda item: item.created_at))
    return cards


@bp.route("/")
@permission(None)
def home():
    services = request_services()
    figures = new_members = None
    if can("ledger.view") or can("payments.view"):
        totals, new_members = today_figures(services.session, services.clock)
        figures = [(PURPOSE_LABELS[purpose], [Money(minor, currency) for currency, minor in
                                              sorted(totals[purpose].items())]) for purpose in FLOW_PURPOSES]
    return render_template("console/home.html", queues=queues(services, actor()), figures=figures,
                           new_members=new_members, now=services.clock.now())
