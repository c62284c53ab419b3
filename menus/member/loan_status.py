"""Loans, read-only: my limit per product, my loan's balance and its schedule.

Each is one paged list built from the loan service's figures; a member with no
product or no loan sees the screen's `empty` line instead.
"""

from app.i18n import N_, T
from app.loans.states import AWAITING_DECISION, FINAL
from menus.member.loan_common import loans, on_books
from menus.member.loan_disclosure import METHODS, rate
from menus.screens import Paged

STATUS = {"paid": N_("paid"), "late": N_("late"), "due": N_("due")}


def limit_lines(ctx):
    """One line per product with that product's own reason: products differ (a 2x and a 3x
    savings multiple), so one reason under several limits would be wrong for some of them."""
    return [T(N_("{product}: up to {limit}. {reason}"), product=product.name, limit=credit.limit,
              reason=credit.reason)
            for product, credit in ((product, loans(ctx).limit(ctx.member, product))
                                    for product in loans(ctx).products(ctx.member))]


def my_loan_lines(ctx):
    loan = loans(ctx).current(ctx.member)
    if loan is None or loan.state in FINAL:
        return []
    if loan.state in AWAITING_DECISION:
        return [T(N_("Your loan of {amount} is waiting for approval."), amount=loan.principal)]
    summary = loans(ctx).summary(loan)
    lines = [T(N_("Interest: {method}, {rate}% a year"), method=T(METHODS[loan.interest_method]),
               rate=rate(loan.annual_rate)),
             T(N_("Balance: {amount}"), amount=summary.outstanding)]
    if summary.next_due_date:
        lines.append(T(N_("Next: {amount} by {date}"), amount=summary.next_due, date=summary.next_due_date))
    if summary.arrears:
        lines.append(T(N_("Overdue: {amount}"), amount=summary.arrears))
    lines.append(T(N_("To clear today: {amount}"), amount=summary.payoff))  # declining: interest to date only
    return lines


def schedule_lines(ctx):
    loan = on_books(ctx)
    if loan is None:
        return []
    today = ctx.services.clock.today()
    return [instalment_line(row, today) for row in loans(ctx).schedule(loan)]


def instalment_line(row, today):
    """An instalment as the member reads it: what was due and, once part is paid, what is paid and what is left."""
    status = T(STATUS["paid" if row.paid else ("late" if row.due_date < today else "due")])
    date = row.due_date.strftime("%d/%m/%y")
    if row.paid or not row.total_paid_minor:
        return T(N_("{number}. {date} {amount} {status}"), number=row.number, date=date, amount=row.total_due,
                 status=status)
    return T(N_("{number}. {date} {amount}: paid {paid}, {left} {status}"), number=row.number, date=date,
             amount=row.total_due, paid=row.total_paid, left=row.remaining, status=status)


SCREENS = [
    Paged("loan_limit", N_("My loan limit"), items=limit_lines, next="main",
          empty=N_("No loan product is available for you yet.")),
    Paged("loan_mine", N_("My loan"), items=my_loan_lines, next="main", empty=N_("You have no loan now.")),
    Paged("loan_schedule", N_("Schedule"), items=schedule_lines, next="main", empty=N_("You have no loan now.")),
]
