"""Loans: the section's menu, and its screens assembled from one module per flow.

loan_status (my limit, my loan, schedule), loan_apply (quote before PIN and
confirmation), loan_repay, loan_guarantees (requests to me as guarantor) and
loan_officials (group loan approvals). Each exports SCREENS; this module is the
one the member tree imports.
"""

from app.i18n import N_
from menus.member import loan_apply, loan_guarantees, loan_officials, loan_repay, loan_status
from menus.member.loan_officials import is_official
from menus.screens import Menu, Option

LOANS_MENU = Menu("loans", N_("Loans"), options=[
    Option(N_("My limit"), "loan_limit"),
    Option(N_("Apply for a loan"), "loan_apply"),
    Option(N_("My loan"), "loan_mine"),
    Option(N_("Schedule"), "loan_schedule"),
    Option(N_("Repay"), "loan_repay"),
    Option(N_("Guarantee requests"), "loan_guarantees"),
    Option(N_("Group loan approvals"), "loan_approvals", visible=is_official),
])

SCREENS = [LOANS_MENU] + [
    screen for flow in (loan_status, loan_apply, loan_repay, loan_guarantees, loan_officials)
    for screen in flow.SCREENS
]
