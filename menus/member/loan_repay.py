"""Repaying the loan on the books, in the one order of every movement (menus/movement.py):
amount -> savings or mobile money -> one confirmation -> PIN -> done.

The amount is refused beyond the payoff on its screen, and savings that cannot pay it
on the source screen, before the confirmation. From savings the repayment is booked at
once and the new balance shown; from mobile money only a request is sent, and the
member hears back by SMS once the operator confirms.
"""

from app.i18n import N_, T
from app.loans import errors
from app.savings.errors import SavingsError
from menus.member.amount_input import amount_with
from menus.member.loan_common import loans, on_books, refused
from menus.member.pin_check import pin_check
from menus.movement import confirmation
from menus.screens import Branch, End, Input, Invalid, Stop

SOURCES = {"1": "savings", "2": "mobile_money"}


def start_repayment(ctx):
    loan = on_books(ctx)
    if loan is None:
        raise Stop(errors.NoLoan.message)
    ctx.data["loan_id"] = loan.id
    return "ok"


def repay_prompt(ctx):
    summary = loans(ctx).summary(loans(ctx).get(ctx.data["loan_id"]))
    return T(N_("You owe {payoff}. Next payment {amount}.\nEnter amount to pay:"), payoff=summary.payoff,
             amount=summary.next_due)


def check_repayment(ctx, amount):
    loans(ctx).check_repayment(ctx.data["loan_id"], amount)


def parse_source(ctx, raw):
    """Savings or mobile money; savings that cannot pay the amount are refused here, not after the PIN."""
    if raw not in SOURCES:
        raise Invalid(T(N_("Choose a number from the list.")))
    if SOURCES[raw] == "savings":
        try:
            ctx.services.savings.check_covers(ctx.member, ctx.data["amount"])
        except SavingsError as error:
            raise Invalid(error.message) from None
    return SOURCES[raw]


def repayment_title(ctx):
    if ctx.data["source"] == "savings":
        return T(N_("Loan repayment from my savings"))
    return T(N_("Loan repayment from mobile money {phone}"), phone=ctx.member.phone)


def repay(ctx):
    service, key = loans(ctx), ctx.idempotency_key("repay")
    audit = {"actor": f"member:{ctx.member.id}", "channel": ctx.state.channel, "session_ref": ctx.session_ref}
    if ctx.data["source"] == "savings":
        refused(lambda: service.repay_from_savings(ctx.data["loan_id"], ctx.data["amount"], idempotency_key=key,
                                                   **audit))
        ctx.data["balance"] = service.summary(service.get(ctx.data["loan_id"])).outstanding  # as My loan's Balance
        return "paid"
    refused(lambda: service.start_mobile_repayment(ctx.data["loan_id"], ctx.data["amount"], idempotency_key=key,
                                                   **audit))
    return "sent"


SCREENS = [
    Branch("loan_repay", decide=start_repayment, next="loan_repay_amount"),
    Input("loan_repay_amount", repay_prompt, key="amount", parse=amount_with(check_repayment),
          next="loan_repay_source"),
    Input("loan_repay_source", N_("Pay from:\n1. My savings\n2. Mobile money"), key="source", parse=parse_source,
          next="loan_repay_confirm"),
    *confirmation("loan_repay", title=repayment_title, to=lambda ctx: T(N_("My loan")), run=repay,
                  pin_check=pin_check, next={"paid": "loan_repay_paid", "sent": "loan_repay_sent"}),
    End("loan_repay_paid", lambda ctx: T(N_("Paid {amount}. Your loan balance is {balance}."),
                                         amount=ctx.data["amount"], balance=ctx.data["balance"])),
    End("loan_repay_sent", N_("Approve the payment on your phone with your mobile money PIN. We will SMS you.")),
]
