"""The credit score and the borrowing limit, built so a member can be told why.

Score (0-100) = four factors, each with the points it earned and what would earn more:

- months saving (30): months since the first deposit, full marks at 6;
- regularity (30): of the last 6 calendar months, how many had a deposit;
- group contributions (10): of the last 6 months, how many had a group contribution;
- repayment record (30): share of past instalments paid by their due date; 15 with no
  history; a defaulted loan scores the member 0 overall.

Limit = min(product maximum, available savings x the product's multiplier, the
currency's score cap (`LOAN_SCORE_CAPS`, reached at 100 points) x score / 100), rounded
down to whole major units. The "top reason" is the
bound that decides the limit; when the score decides it, the factor that lost the
most points. Deposits are credits to member_savings from entries not made by loans
or guarantees (a disbursement into savings is not saving).
"""

from dataclasses import dataclass

from sqlalchemy import func, select, text

from app.i18n import N_, T, ngettext
from app.loans.models import Loan, LoanInstalment
from app.loans.states import NOT_REPAID
from app.money import Money, minor_digits

FULL_MONTHS = 6
"""Months of saving (and of the regularity window) that earn full marks."""

WEIGHTS = {"months": 30, "regularity": 30, "group": 10, "repayment": 30}
"""Points each factor can earn; they add up to 100."""

NOT_SAVING_KINDS = ("loan%", "guarantee%")
"""Entry kinds that credit savings without being the member's own saving."""

MONTHS_SQL = """
SELECT DISTINCT date_trunc('month', timezone(:zone, e.created_at))::date AS month
FROM ledger_postings p
JOIN ledger_entries e ON e.id = p.entry_id
JOIN ledger_accounts a ON a.id = p.account_id
WHERE a.owner_type = 'member' AND a.owner_id = :member AND a.kind = 'member_savings' AND p.amount < 0
  AND NOT (e.kind LIKE ANY(:not_saving))
"""

GROUP_MONTHS_SQL = """
SELECT DISTINCT date_trunc('month', timezone(:zone, e.created_at))::date AS month
FROM ledger_postings p
JOIN ledger_entries e ON e.id = p.entry_id
JOIN ledger_accounts a ON a.id = p.account_id
JOIN group_members m ON a.owner_type = 'group_member' AND a.owner_id = m.id
WHERE m.member_id = :member AND a.kind = 'member_group_share' AND p.amount < 0
"""
"""Months with a contribution: credits to the member's share of any group's pool."""


@dataclass(frozen=True)
class Factor:
    name: str
    points: int
    weight: int
    advice: object

    @property
    def missing(self):
        return self.weight - self.points


@dataclass(frozen=True)
class CreditLimit:
    """The limit for one product, the score behind it and the top reason it is not higher."""

    limit: Money
    score: int
    factors: tuple
    reason: object
    defaulted: bool = False


def _month_index(day):
    return day.year * 12 + day.month


class CreditScorer:
    def __init__(self, session, *, ledger, clock, score_caps=None):
        self.session = session
        self.score_caps = score_caps or {}
        self.ledger = ledger
        self.clock = clock

    def deposit_months(self, member, query=MONTHS_SQL):
        """The first day of each local month in which the member saved (or, with GROUP_MONTHS_SQL, contributed)."""
        rows = self.session.execute(text(query), {"zone": str(self.clock.zone), "member": member.id,
                                                  "not_saving": list(NOT_SAVING_KINDS)})
        return sorted(row.month for row in rows)

    def factors(self, member, today):
        months = self.deposit_months(member)
        group_months = self.deposit_months(member, GROUP_MONTHS_SQL)
        window = {_month_index(today) - back for back in range(FULL_MONTHS)}
        saved_for = (_month_index(today) - _month_index(months[0]) + 1) if months else 0
        regular = len(window & {_month_index(month) for month in months})
        contributed = len(window & {_month_index(month) for month in group_months})
        on_time, late, defaulted = self.repayment_record(member, today)
        if on_time + late:
            repayment = round(WEIGHTS["repayment"] * on_time / (on_time + late))
        else:
            repayment = WEIGHTS["repayment"] // 2
        return (
            Factor("months", round(WEIGHTS["months"] * min(saved_for, FULL_MONTHS) / FULL_MONTHS), WEIGHTS["months"],
                   ngettext("Save regularly for {months} more month to raise your limit.",
                            "Save regularly for {months} more months to raise your limit.",
                            max(1, FULL_MONTHS - saved_for), months=max(1, FULL_MONTHS - saved_for))),
            Factor("regularity", round(WEIGHTS["regularity"] * regular / FULL_MONTHS), WEIGHTS["regularity"],
                   T(N_("Save every month to raise your limit: {months} of the last 6 months had a deposit."),
                     months=regular)),
            Factor("group", round(WEIGHTS["group"] * contributed / FULL_MONTHS), WEIGHTS["group"],
                   T(N_("Contribute to your savings group every month to raise your limit."))),
            Factor("repayment", repayment, WEIGHTS["repayment"],
                   T(N_("Repay your loans on time to raise your limit."))),
        ), defaulted

    def repayment_record(self, member, today):
        """(instalments paid by their due date, instalments late, any loan defaulted)."""
        rows = self.session.execute(
            select(LoanInstalment.paid, LoanInstalment.paid_on, LoanInstalment.due_date)
            .join(Loan, Loan.id == LoanInstalment.loan_id)
            .where(Loan.member_id == member.id, LoanInstalment.due_date <= today)).all()
        on_time = sum(1 for paid, paid_on, due in rows if paid and paid_on <= due)
        defaulted = bool(self.session.scalar(select(func.count(Loan.id)).where(
            Loan.member_id == member.id, Loan.state.in_(NOT_REPAID))))
        return on_time, len(rows) - on_time, defaulted

    def available_savings(self, member, currency):
        account = self.ledger.account("member", member.id, "member_savings", currency)
        return self.ledger.balance(account)

    def limit(self, member, product, today=None):
        """The member's CreditLimit for `product` today."""
        today = today or self.clock.today()
        factors, defaulted = self.factors(member, today)
        score = 0 if defaulted else sum(factor.points for factor in factors)
        savings = self.available_savings(member, product.currency)
        by_savings = savings.times(product.savings_multiplier).minor
        cap = self.score_caps.get(product.currency)
        by_score = (cap.minor if cap is not None else product.max_amount_minor) * score // 100
        unit = 10 ** minor_digits(product.currency)
        limit = max(0, min(product.max_amount_minor, by_savings, by_score)) // unit * unit
        if defaulted:
            reason = T(N_("A past loan was not repaid, so you cannot borrow now."))
        elif product.max_amount_minor <= min(by_savings, by_score):
            reason = T(N_("This is the most this product lends."))
        elif by_savings <= by_score:
            reason = T(N_("Your limit is {times} times your savings. Save more to raise it."),
                       times=format(product.savings_multiplier.normalize(), "f"))
        else:
            reason = max(factors, key=lambda factor: factor.missing).advice
        return CreditLimit(Money(limit, product.currency), score, factors, reason, defaulted)
