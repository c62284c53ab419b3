"""Member 360: search, then one page with everything about a member (never the full ID number).

Search by phone, name, member number or national ID (its keyed lookup hash, as the
member service does). The profile shows the masked ID (`members.masked_national_id`),
KYC tier, balances, a paged statement per account, loans with their schedules,
groups, payments, messages sent with their status, disputes and the audit trail
(`audit.for_subject`). Each section shows only to a role that may see it.

Its actions (each a POST with a reason, to app/members/access.py or app/members/kyc):
block and unblock, start a phone change (a code goes to the new number) and enter the
code the member reads out, and a KYC tier change (tier 3 waits for a second staff member).

The printable statement (`/members/<id>/statement`) is a page of its own, without the
console's navigation and with a print style sheet: one account over a period
(guard.period), the opening balance, every movement with the running balance, the
closing balance, and the member's masked ID, as a member asks for on paper.
"""

from flask import abort, render_template, request, url_for

from app.members.kyc.tiers import ID_TYPES, TIERS
from app.services import request_services
from channels.console import bp, queries
from channels.console.actions import act, reason
from channels.console.guard import can, page_number, period, permission
from channels.console.i18n import _


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
        trail=services.audit.for_subject(("member", person.id)) if can("audit.view") else None,
        tiers=TIERS, id_types=ID_TYPES)


def member_or_404(services, member_id):
    person = services.members.get(member_id)
    if person is None:
        abort(404)
    return person


def on_member(member_id, call, done):
    """`act` on the member's page: `call(services, actor, member)`."""
    return act(lambda services, me: call(services, me, member_or_404(services, member_id)), done,
               url_for("console.member", member_id=member_id))


@bp.route("/members/<int:member_id>/block", methods=["POST"])
@permission("members.block")
def block_member(member_id):
    return on_member(member_id, lambda services, me, person: services.member_access.block(me, person.phone, reason()),
                     lambda person: _("{name} is blocked; they were told by SMS.", name=person.name))


@bp.route("/members/<int:member_id>/unblock", methods=["POST"])
@permission("members.block")
def unblock_member(member_id):
    return on_member(member_id,
                     lambda services, me, person: services.member_access.unblock(me, person.phone, reason()),
                     lambda person: _("{name} is unblocked; they were told by SMS.", name=person.name))


@bp.route("/members/<int:member_id>/phone-change", methods=["POST"])
@permission("members.phone_change")
def start_phone_change(member_id):
    new_phone = request.form.get("new_phone", "")
    return on_member(member_id, lambda services, me, person: services.member_access.start_phone_change(
        me, person.phone, new_phone, reason()),
        lambda started: _("A code went to {phone}: enter it below when the member reads it out, or the member "
                          "replies YES and the code from the new phone.", phone=started[1]))


@bp.route("/members/<int:member_id>/phone-change/confirm", methods=["POST"])
@permission("members.phone_change")
def confirm_phone_change(member_id):
    new_phone, code = request.form.get("new_phone", ""), request.form.get("code", "")
    return on_member(member_id, lambda services, me, person: services.member_access.confirm_phone_change(
        me, new_phone, code), lambda person: _("{name} now uses {phone}.", name=person.name, phone=person.phone))


def tier_changed(result):
    approval = getattr(result, "approval", None)
    if approval is not None:
        return _("Approval #{approval} waits for a second staff member.", approval=approval.id)
    return _("KYC tier changed.")


@bp.route("/members/<int:member_id>/kyc", methods=["POST"])
@permission("kyc.view")
def change_kyc_tier(member_id):
    tier = request.form.get("tier", "")
    return on_member(member_id, lambda services, me, person: services.kyc.set_tier(
        me, person, int(tier) if tier.isdigit() else -1, reason(), id_type=request.form.get("id_type") or None,
        id_number=request.form.get("id_number") or None), tier_changed)


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
