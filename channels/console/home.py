"""Home: the queues that need a person (count and oldest age), and today's figures.

Each queue shows only to a role that may see it (the permission of its `*.view`),
and comes from the domain's own call: the work queue by role, approvals waiting for
a checker other than their maker, payments in review, loan applications awaiting a
decision, open agent disputes, open compliance alerts, forgotten-PIN requests waiting
for a call-back, top-tier KYC approvals and float top-ups waiting for a checker.

Below the cards, the items a person clears from here (desk.py): approvals waiting for
me (approve/reject), PIN resets requested (approve), my roles' work items (take/close)
and open compliance alerts (close).
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
        cards.append(queue(N_("Approvals waiting for me"), waiting_for(services, me), lambda item: item.created_at))
    if can("pins.reset.approve"):
        cards.append(queue(N_("PIN resets requested"), services.pin_resets.list(status="requested"),
                           lambda item: item.requested_at))
    if can("kyc.view"):
        cards.append(queue(N_("KYC approvals pending"), services.approvals.pending("kyc.tier3"),
                           lambda item: item.created_at))
    if can("floats.view"):
        cards.append(queue(N_("Float top-ups awaiting approval"), services.approvals.pending("floats.approve"),
                           lambda item: item.created_at))
    if can("payments.view"):
        cards.append(queue(N_("Payments in review"), payments_in_review(services.session),
                           lambda item: item.updated_at, "console.payments"))
    if can("loans.view"):
        cards.append(queue(N_("Loan applications awaiting a decision"), services.loans.pending(),
                           lambda item: item.applied_at, "console.loans"))
    if can("disputes.view"):
        cards.append(queue(N_("Open disputes"), services.agent_disputes.disputed(), lambda item: item.disputed_at,
                           "console.disputes"))
    if can("alerts.view"):
        cards.append(queue(N_("Open security alerts"), services.alerts.list(limit=500),
                           lambda item: item.created_at))
    return cards


def staff_names(services):
    """{staff id: username}, to say who asked for an approval."""
    return {staff.id: staff.username for staff in services.staff.list()}


def waiting_for(services, me):
    """Pending approvals someone other than `me` asked for: the ones `me` may decide."""
    return [item for item in services.approvals.pending() if item.maker_staff_id != me.id]


def desk(services, me):
    """What this staff member clears from Home: {name: items} of the lists their role may act on."""
    staff = services.staff.get(me.id)
    lists = {}
    if can("approvals.check"):
        lists["approvals"] = waiting_for(services, me)
    if can("pins.reset.approve"):
        requested = services.pin_resets.list(status="requested")
        lists["pin_resets"] = [(item, services.members.get(item.member_id)) for item in requested]
    if can("work.view"):
        lists["work"] = [item for role in staff.roles for item in services.work_queue.list(role=role)[:WORK_SHOWN]]
    if can("alerts.work"):
        lists["alerts"] = services.alerts.list(limit=WORK_SHOWN)
    return lists


WORK_SHOWN = 20
"""Items per list on Home (the cards count them all)."""


@bp.route("/")
@permission(None)
def home():
    services = request_services()
    figures = new_members = None
    if can("ledger.view") or can("payments.view"):
        totals, new_members = today_figures(services.session, services.clock)
        figures = [(PURPOSE_LABELS[purpose], [Money(minor, currency) for currency, minor in
                                              sorted(totals[purpose].items())]) for purpose in FLOW_PURPOSES]
    me = actor()
    return render_template("console/home.html", queues=queues(services, me), desk=desk(services, me),
                           figures=figures, staff_names=staff_names(services),
                           new_members=new_members, now=services.clock.now())
