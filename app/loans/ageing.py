"""Arrears and portfolio at risk: the daily ageing run and the PAR report.

Ageing as of a date (`flask loans age --date 2026-12-01`, daily from the scheduler):
every unpaid instalment of a disbursed or defaulted loan gets `days_overdue` = days
since its due date (0 when not yet due); once that exceeds the product's grace days
the late penalty is charged, once per instalment ever: the ledger entry's key is
`loan:<id>:instalment:<n>:penalty`, and the row remembers `penalty_on`. So running it
twice for a date (or two schedulers at once: each loan is aged under its row lock)
changes nothing the second time. Penalty = the product's flat amount, or its
percentage of what is unpaid of the instalment (without earlier penalties).

PAR as of a date: the outstanding principal of every loan on the books, and PARn =
the outstanding principal of loans with an instalment overdue MORE than n days
(computed from due dates, so it does not depend on ageing having run), as an amount
and a share; for the whole portfolio (per currency), per product and per group
(the group whose own product lent it; "-" for Pamoja's products).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import Date, func, literal, select, tuple_

from app.loans.accounts import LoanAccounts
from app.loans.models import Loan, LoanInstalment, LoanProduct
from app.loans.products import penalty_for
from app.loans.repayment_booking import Repayments
from app.loans.states import ON_BOOKS
from app.money import Money

PAR_DAYS = (1, 30, 60, 90)
"""The PAR thresholds reported: loans overdue more than this many days."""

@dataclass
class AgeingResult:
    loans: int = 0
    overdue_instalments: int = 0
    penalties: list = field(default_factory=list)
    """(loan id, instalment number, Money) charged by this run."""


class Ageing:
    def __init__(self, session, *, ledger, clock):
        self.session = session
        self.ledger = ledger
        self.clock = clock
        self.accounts = LoanAccounts(ledger)
        self.repayments = Repayments(session, ledger=ledger, clock=clock)

    def run(self, as_of):
        """Age every loan on the books as of `as_of` (a date); returns an AgeingResult."""
        result = AgeingResult()
        loan_ids = self.session.scalars(select(Loan.id).where(Loan.state.in_(ON_BOOKS)).order_by(Loan.id)).all()
        for loan_id in loan_ids:
            with self.session.begin_nested():
                self.age_loan(loan_id, as_of, result)
        return result

    def age_loan(self, loan_id, as_of, result):
        loan = self.repayments.lock(loan_id)
        if loan.state not in ON_BOOKS:
            return
        product = self.session.get(LoanProduct, loan.product_id)
        result.loans += 1
        for row in self.repayments.schedule(loan):
            if row.paid:
                continue
            row.days_overdue = max(0, (as_of - row.due_date).days)
            if not row.days_overdue:
                continue
            result.overdue_instalments += 1
            if row.days_overdue > product.grace_days and row.penalty_on is None:
                self.charge_penalty(loan, product, row, as_of, result)

    def charge_penalty(self, loan, product, row, as_of, result):
        unpaid = row.remaining_minor - (row.penalty_due_minor - row.penalty_paid_minor)
        amount = penalty_for(product, unpaid, loan.in_multiples_of_minor)
        row.penalty_on = as_of
        if amount <= 0:
            return
        penalty = Money(amount, loan.currency)
        self.ledger.post(f"loan:{loan.id}:instalment:{row.number}:penalty",
                         [(self.accounts.penalty(loan), penalty),
                          (self.accounts.income("penalty_income", loan.currency), -penalty)],
                         kind="loan_penalty", memo=f"late instalment {row.number} of loan {loan.id}",
                         initiated_by="system", channel="system")
        row.penalty_due_minor += amount
        result.penalties.append((loan.id, row.number, penalty))


@dataclass
class ParLine:
    """One line of the PAR report: outstanding principal and PARn amounts (minor units)."""

    scope: str
    name: str
    currency: str
    loans: int = 0
    outstanding: int = 0
    at_risk: dict = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, 0))

    def share(self, days):
        """PARn as a percentage of the outstanding principal, 2 decimals (0 for an empty portfolio)."""
        if not self.outstanding:
            return Decimal("0.00")
        return (Decimal(100 * self.at_risk[days]) / self.outstanding).quantize(Decimal("0.01"), ROUND_HALF_EVEN)

    def as_dict(self):
        return {"scope": self.scope, "name": self.name, "currency": self.currency, "loans": self.loans,
                "outstanding": self.outstanding,
                **{f"par{days}": self.at_risk[days] for days in PAR_DAYS},
                **{f"par{days}_share": str(self.share(days)) for days in PAR_DAYS}}

    def money(self, minor):
        return Money(minor, self.currency)


def portfolio_at_risk(session, as_of):
    """[ParLine] for the portfolio per currency, then per product, then per group.

    Set-based: PostgreSQL sums each loan's instalments and then each scope (GROUPING SETS), so a
    million loans' six million instalments never reach Python (60 s that way; see bench/statement_scale.py).
    Each loan's figures come from its instalments alone, grouped by `loan_id` in that index's order (no sort,
    no join yet); only the million per-loan rows then meet their loans and products, and the three scopes
    are summed in one hash pass. Joining first and grouping by loan, currency, product code and group cost
    1.6x the CPU: six million wide rows through the join and the grouping, and a million-row sort for the
    grouping sets (figures in docs/scaling.md).
    """
    overdue_since = func.min(LoanInstalment.due_date).filter(LoanInstalment.paid.is_(False),
                                                              LoanInstalment.due_date < as_of)
    per_loan = (
        select(LoanInstalment.loan_id,
               func.sum(LoanInstalment.principal_left_minor).label("outstanding"),
               func.coalesce(literal(as_of, Date) - overdue_since, 0).label("overdue_days"))
        .group_by(LoanInstalment.loan_id)).subquery("per_loan")
    scopes = (tuple_(Loan.currency), tuple_(Loan.currency, LoanProduct.code),
              tuple_(Loan.currency, LoanProduct.group_id))
    rows = session.execute(
        select(Loan.currency, LoanProduct.code, LoanProduct.group_id,
               func.grouping(LoanProduct.code), func.grouping(LoanProduct.group_id), func.count(),
               func.sum(per_loan.c.outstanding),
               *[func.coalesce(func.sum(per_loan.c.outstanding).filter(per_loan.c.overdue_days > days), 0)
                 for days in PAR_DAYS])
        .select_from(per_loan.join(Loan, Loan.id == per_loan.c.loan_id)
                     .join(LoanProduct, LoanProduct.id == Loan.product_id))
        .where(Loan.state.in_(ON_BOOKS))
        .group_by(func.grouping_sets(*scopes))).all()
    lines = []
    for currency, code, group_id, no_product, no_group, count, outstanding, *at_risk in rows:
        if no_product and no_group:
            scope, name = "portfolio", "all"
        elif not no_product:
            scope, name = "product", code
        else:
            scope, name = "group", "-" if group_id is None else str(group_id)
        lines.append(ParLine(scope, name, currency, count, int(outstanding),
                             {days: int(amount) for days, amount in zip(PAR_DAYS, at_risk, strict=True)}))
    order = {"portfolio": 0, "product": 1, "group": 2}
    return sorted(lines, key=lambda line: (order[line.scope], line.name, line.currency))
