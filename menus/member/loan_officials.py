"""Group loan approvals, for group officials: pick a waiting loan, confirm, approve.

The menu option is shown only to officials (`is_official`). A group loan needs
more than one official, so an approval either pays the loan out or is recorded
while it waits for the next official.
"""

from app.i18n import N_, T
from app.loans.states import APPLIED
from menus.member.loan_common import loans, refused
from menus.screens import Confirm, End, Paged


def is_official(ctx):
    return loans(ctx).is_group_official(ctx.member)


def approval_items(ctx):
    members = ctx.services.members
    return [(T(N_("{name}: {amount}"), name=members.get(loan.member_id).name, amount=loan.principal), loan.id)
            for loan in loans(ctx).awaiting_official(ctx.member)]


def choose_approval(ctx, item):
    ctx.data["approve_loan_id"] = item[1]


def confirm_approval(ctx):
    loan = loans(ctx).get(ctx.data["approve_loan_id"])
    return T(N_("Approve the loan of {amount} for {name} from the group?"), amount=loan.principal,
             name=ctx.services.members.get(loan.member_id).name)


def approve_as_official(ctx):
    loan = refused(lambda: loans(ctx).approve_as_official(ctx.data["approve_loan_id"], ctx.member,
                                                          channel=ctx.state.channel))
    return "approved" if loan.state != APPLIED else "recorded"


SCREENS = [
    Paged("loan_approvals", N_("Loans to approve"), items=approval_items, select=choose_approval,
          next="loan_approval_confirm", empty=N_("No loans are waiting for you.")),
    Confirm("loan_approval_confirm", confirm_approval, on_yes=approve_as_official,
            next={"approved": "loan_approval_done", "recorded": "loan_approval_recorded"}),
    End("loan_approval_done", N_("Approved. The loan is being paid out.")),
    End("loan_approval_recorded", N_("Your approval is recorded. One more official must approve.")),
]
