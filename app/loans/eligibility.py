"""Who may borrow, and how much: every rule that refuses a loan, each with its plain reason.

Checked in this order, so a member hears the most fundamental reason first:

1. not PIN-locked; 2. no defaulted loan; 3. no loan already in progress (one at a time,
so "My loan" is never ambiguous); 4. no loan in arrears; 5. a member for at least the
product's minimum days; 6. the amount within the product's minimum and maximum and
the term one the product allows; 7. KYC: the member's tier allows the amount
(asked of `KycLimits`, app/members/kyc/limits.py: LOAN_KYC_TIERS, tier 0 borrows nothing);
8. within the member's limit, or above it only where the product takes guarantors and the
member has a limit of their own (with none, the reason their limit is zero).
"""

from dataclasses import replace

from sqlalchemy import exists, select

from app.loans import errors
from app.loans.models import Loan, LoanInstalment
from app.loans.states import DISBURSED, IN_PROGRESS, NOT_REPAID
from app.money import Money


class Eligibility:
    def __init__(self, session, *, clock, members, scorer, kyc_limits):
        self.session = session
        self.clock = clock
        self.members = members
        self.scorer = scorer
        self.kyc_limits = kyc_limits

    def in_arrears(self, member, today):
        """True when one of the member's disbursed loans has an unpaid instalment past its due date."""
        return self.session.scalar(select(exists().where(
            Loan.member_id == member.id, Loan.state == DISBURSED, LoanInstalment.loan_id == Loan.id,
            LoanInstalment.paid.is_(False), LoanInstalment.due_date < today)))

    def check_member(self, member, today=None):
        """Raise NotEligible if the member may not borrow at all right now (rules 1-4)."""
        today = today or self.clock.today()
        self.members.check_active(member)
        minutes = self.members.locked_minutes_left(member)
        if minutes:
            raise errors.locked(minutes)
        states = set(self.session.scalars(select(Loan.state).where(Loan.member_id == member.id)))
        if states & NOT_REPAID:
            raise errors.defaulted()
        if self.in_arrears(member, today):
            raise errors.in_arrears()
        if states & IN_PROGRESS:
            raise errors.has_open_loan()

    def check_product(self, member, product, today=None):
        """Raise NotEligible if the member is too new for `product` (rule 5)."""
        today = today or self.clock.today()
        member_since = member.created_at.astimezone(self.clock.zone).date()
        days = (today - member_since).days
        if days < product.min_membership_days:
            raise errors.too_new(product.min_membership_days - days)

    def within_kyc(self, member, product, credit):
        """`credit` lowered to the member's KYC loan ceiling (rule 7), its reason then the KYC one."""
        ceiling = self.kyc_limits.loan_ceiling(member, product.currency)
        if ceiling is None or credit.limit <= ceiling:
            return credit
        return replace(credit, limit=ceiling, reason=errors.kyc(ceiling).message)

    def check_amount(self, member, product, amount, term=None, credit=None):
        """Raise NotEligible for an amount or term the product, KYC or limit refuses (rules 6-8).

        Returns the amount that guarantors must cover (0 within the member's own limit).
        """
        if amount < product.min_amount:
            raise errors.below_minimum(product.min_amount)
        if amount > product.max_amount:
            raise errors.above_maximum(product.max_amount)
        if term is not None and term not in product.terms:
            raise errors.bad_term()
        ceiling = self.kyc_limits.loan_ceiling(member, product.currency)
        if ceiling is not None and amount > ceiling:
            raise errors.kyc(ceiling)
        credit = credit or self.scorer.limit(member, product)
        if credit.defaulted:
            raise errors.defaulted()
        if amount <= credit.limit:
            return Money(0, amount.currency)
        if not credit.limit:
            raise errors.no_limit(credit.reason)
        if product.guarantor_rule == "none":
            raise errors.above_limit(credit.limit)
        return amount - credit.limit
