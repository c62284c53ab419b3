"""Savings: balance, mini-statement, deposit and withdraw by mobile money.

Looking needs no PIN beyond the one given at login (one PIN per session, as
M-Pesa does); moving money asks for it again, in the one order of every movement
(menus/movement.py): amount (checked here: limits, balance and fee) -> one
confirmation (amount, fee, total, where it goes) -> PIN -> done.

A deposit asks the member's mobile money for the amount (the ledger posts when
the operator confirms); a withdrawal reserves amount + fee and sends the money.
The confirmation's idempotency key makes a replayed or double-tapped PIN start
nothing twice.
"""

from app.i18n import N_, ShortDate, T
from app.payments.errors import PaymentError
from app.savings.errors import SavingsError
from menus.member.amount_input import amount_with
from menus.member.pin_check import pin_check
from menus.movement import confirmation
from menus.screens import End, Input, Menu, Option, Paged, Stop

MONEY_ERRORS = (SavingsError, PaymentError)


def savings(ctx):
    return ctx.services.savings


def balance_lines(ctx):
    member = ctx.member
    available, total = savings(ctx).balance(member), savings(ctx).total(member)
    lines = [T(N_("Available: {amount}"), amount=available)]
    if total != available:
        lines.append(T(N_("Pledged for loans: {amount}"), amount=total - available))
    return lines


def statement_lines(ctx):
    return [T(N_("{date} {kind} {amount}"), date=ShortDate(row.date), kind=row.kind, amount=row.amount)
            for row in savings(ctx).statement(ctx.member, limit=5)]


def check_deposit(ctx, amount):
    savings(ctx).check_deposit(ctx.member, amount)


def check_withdrawal(ctx, amount):
    ctx.data["fee"] = savings(ctx).check_withdrawal(ctx.member, amount)


def deposit(ctx):
    return move_money(ctx, lambda: savings(ctx).deposit(
        ctx.member, ctx.data["amount"], ctx.idempotency_key("deposit"), channel=ctx.state.channel,
        session_ref=ctx.session_ref))


def withdraw(ctx):
    return move_money(ctx, lambda: savings(ctx).withdraw(
        ctx.member, ctx.data["amount"], ctx.idempotency_key("withdraw"), channel=ctx.state.channel,
        session_ref=ctx.session_ref))


def move_money(ctx, start):
    """Run a money movement; a refusal ends the session with its reason, nothing half-done."""
    try:
        start()
    except MONEY_ERRORS as error:
        raise Stop(error.message) from None


SCREENS = [
    Menu("savings", N_("Savings"), options=[
        Option(N_("Balance"), "savings_balance"),
        Option(N_("Mini-statement"), "savings_statement"),
        Option(N_("Deposit"), "savings_deposit_amount"),
        Option(N_("Withdraw"), "savings_withdraw_amount"),
    ]),
    Paged("savings_balance", N_("My savings"), items=balance_lines, next="main"),
    Paged("savings_statement", N_("Last movements"), items=statement_lines, next="main",
          empty=N_("No movements yet.")),
    Input("savings_deposit_amount", N_("Deposit amount:"), key="amount", parse=amount_with(check_deposit),
          next="savings_deposit_confirm"),
    *confirmation("savings_deposit", title=lambda ctx: T(N_("Deposit from mobile money {phone}"),
                                                         phone=ctx.member.phone),
                  to=lambda ctx: T(N_("My savings")), run=deposit, pin_check=pin_check, next="savings_deposit_sent"),
    End("savings_deposit_sent", N_("Request sent. Enter your mobile money PIN on the prompt. We will SMS you.")),
    Input("savings_withdraw_amount", N_("Withdraw amount:"), key="amount", parse=amount_with(check_withdrawal),
          next="savings_withdraw_confirm"),
    *confirmation("savings_withdraw", title=lambda ctx: T(N_("Withdraw to mobile money")),
                  to=lambda ctx: T(N_("{name} {phone}"), name=ctx.member.name, phone=ctx.member.phone),
                  run=withdraw, pin_check=pin_check, next="savings_withdraw_sent"),
    End("savings_withdraw_sent", N_("Withdrawal sent. The money will reach your mobile money shortly.")),
]
