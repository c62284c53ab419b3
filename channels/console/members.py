"""Member 360: search, then one page with everything about a member (never the full ID number).

Search by phone, name, member number or national ID (its keyed lookup hash, as the
member service does). The profile shows the masked ID (`members.masked_national_id`),
KYC tier, balances, a paged statement per account, loans with their schedules,
groups, payments, messages sent with their status, disputes and the audit trail
(`audit.for_subject`). Each section shows only to a role that may see it.

The printable statement (`/members/<id>/statement`) is a page of its own, without the
console's navigation and with a print style sheet: one account over a period
(guard.period), the opening balance, every movement with the running balance, the
closing balance, and the member's masked ID, as a member asks for on paper.
"""

from flask import abort, render_template, request

from app.services import request_services
from channels.console import bp, queries
from channels.console.guard import can, page_number, period, permission


@bp.route("/members")
@permission("members.view")
def members():
    services = request_services()
    text = request.args.get("q", "")
    found = queries.find_members(services.session, services.members, text)
    return render_template("console/members.html", q=text, found=found, searched=bool(text.strip()))


@bp.route("/members/<int:member_id>")
@permission("members.view")
def member(member_id):
    services = request_services()
    person = services.members.get(member_id)
    if person is None:
        abort(404)
    accounts = queries.member_accounts(services.session, person.id)
    chosen = next((account for account in accounts if str(account.id) == request.args.get("account")),
                  accounts[0] if accounts else None)
    page = page_number()
    statement, more = queries.statement_page(services.session, chosen, page, request.args.get("kind") or None) \
        if chosen else ([], False)
    loans = []
    if can("loans.view"):
        loans = [(loan, services.loans.schedule(loan)) for loan in queries.member_loans(services.session, person.id)]
    return render_template(
        "console/member.html", member=person, masked_id=services.members.masked_national_id(person),
        accounts=accounts, chosen=chosen, statement=statement, page=page, more=more,
        kind=request.args.get("kind", ""), loans=loans,
        groups=services.group_memberships.groups_of(person),
        payments=queries.member_payments(services.session, person.id) if can("payments.view") else None,
        messages=queries.member_messages(services.session, person),
        disputes=queries.member_disputes(services.session, person.id) if can("disputes.view") else None,
        trail=services.audit.for_subject(("member", person.id)) if can("audit.view") else None)


@bp.route("/members/<int:member_id>/statement")
@permission("members.view")
def printable_statement(member_id):
    services = request_services()
    person = services.members.get(member_id)
    if person is None:
        abort(404)
    accounts = queries.member_accounts(services.session, person.id)
    account = next((account for account in accounts if str(account.id) == request.args.get("account")),
                   accounts[0] if accounts else None)
    first, last = period(services.clock)
    opening, lines = 0, []
    if account is not None:
        start, end = queries.day_bounds(services.clock, first)[0], queries.day_bounds(services.clock, last)[1]
        opening, lines = queries.account_movements(services.session, account, start, end)
    running, balance = [], opening
    for entry, amount in lines:
        balance += amount
        running.append((entry, amount, balance))
    return render_template(
        "console/statement_print.html", member=person, masked_id=services.members.masked_national_id(person),
        accounts=accounts, account=account, first=first, last=last, opening=opening, lines=running,
        closing=balance, printed_at=services.clock.now())
