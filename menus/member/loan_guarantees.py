"""Guarantee requests, seen by the guarantor: pledge part of my savings, or decline.

A request names the borrower and what is still missing; a pledge is at most that
and at most my savings balance, and is locked in my savings until the loan is
repaid. The chosen request's id is kept in ctx.data and reloaded on each screen.
"""

from app.i18n import N_, T
from menus.member.amount_input import amount_with
from menus.member.loan_common import loans, refused
from menus.member.pin_check import pin_check
from menus.screens import Confirm, End, Input, Menu, Option, Paged, Pin


def request_items(ctx):
    members = ctx.services.members
    items = []
    for guarantee in loans(ctx).guarantee_requests(ctx.member):
        loan = guarantee.loan
        borrower = members.get(loan.member_id)
        items.append((T(N_("{name}: {amount}"), name=borrower.name, amount=loan.guarantee_needed), guarantee.id))
    return items


def choose_request(ctx, item):
    ctx.data["guarantee_id"] = item[1]


def open_request(ctx):
    guarantee = refused(lambda: loans(ctx).guarantee_request(ctx.data["guarantee_id"], ctx.member))
    loan = guarantee.loan
    return guarantee, loan, ctx.services.members.get(loan.member_id)


def request_prompt(ctx):
    _guarantee, loan, borrower = open_request(ctx)
    return T(N_("{name} asks you to guarantee {amount} of a loan of {total}."), name=borrower.name,
             amount=loans(ctx).pledges_missing(loan), total=loan.principal)


def pledge_prompt(ctx):
    _guarantee, loan, _borrower = open_request(ctx)
    return T(N_("Amount to pledge (up to {amount}). It stays locked in your savings until the loan is repaid:"),
             amount=loans(ctx).pledges_missing(loan))


def check_pledge(ctx, amount):
    loans(ctx).check_pledge(ctx.data["guarantee_id"], ctx.member, amount)


def confirm_pledge(ctx):
    _guarantee, _loan, borrower = open_request(ctx)
    return T(N_("Lock {amount} of your savings as a guarantee for {name}?"), amount=ctx.data["pledge"],
             name=borrower.name)


def pledge(ctx):
    refused(lambda: loans(ctx).pledge(ctx.data["guarantee_id"], ctx.member, ctx.data["pledge"],
                                      key=ctx.idempotency_key("pledge"), channel=ctx.state.channel,
                                      session_ref=ctx.session_ref))


def decline_request(ctx):
    refused(lambda: loans(ctx).decline_guarantee(ctx.data["guarantee_id"], ctx.member))


SCREENS = [
    Paged("loan_guarantees", N_("Guarantee requests"), items=request_items, select=choose_request,
          next="loan_guarantee", empty=N_("No guarantee requests.")),
    Menu("loan_guarantee", request_prompt, options=[
        Option(N_("Pledge"), "loan_guarantee_amount"),
        Option(N_("Decline"), "loan_guarantee_decline"),
    ]),
    Input("loan_guarantee_amount", pledge_prompt, key="pledge", parse=amount_with(check_pledge),
          next="loan_guarantee_pin"),
    Pin("loan_guarantee_pin", N_("Enter your PIN:"), action=pin_check, next="loan_guarantee_confirm"),
    Confirm("loan_guarantee_confirm", confirm_pledge, on_yes=pledge, next="loan_guarantee_done"),
    End("loan_guarantee_done", N_("Thank you. Your pledge is locked in your savings until the loan is repaid.")),
    Confirm("loan_guarantee_decline", N_("Decline this guarantee request?"), on_yes=decline_request,
            next="loan_guarantee_declined"),
    End("loan_guarantee_declined", N_("You declined the request. We will tell the borrower.")),
]
