"""The loan service: apply, decide, disburse, repay; what a member owes and when.

- `apply` checks eligibility (app/loans/eligibility.py), freezes the product's terms
  on the loan and routes it: automatic approval for a product that allows it, under
  its threshold and within the member's own limit; otherwise an officer
  (`flask loans approve|decline`), or two group officials for a group's product.
  Above the member's limit, guarantors are asked first and every pledge must be in.
- Every decision is a LoanDecision row: who, when, channel, why.
- `disburse` (run on approval) builds the schedule from that day with
  app/loans/schedule.build_schedule and posts ONE entry: the principal receivable
  against savings (or, by mobile money, the payments service's reservation entry
  against money in flight) and the fee income when the fee is deducted.
- Disbursing is in app/loans/disbursement.py, repaying and recovery in app/loans/repaying.py
  (both mixed in here); allocation in app/loans/repayments.py; guarantors in guarantors.py.
Callers commit once; every method works inside the caller's transaction.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.loans import errors
from app.loans.allocation import payoff
from app.loans.disbursement import DisbursementMixin
from app.loans.eligibility import Eligibility
from app.loans.groups import member_group_ids
from app.loans.guarantors import Guarantees
from app.loans.models import OPEN_STATES, Loan, LoanDecision, LoanProduct
from app.loans.products import fee_for, products_for
from app.loans.repaying import RepaymentMixin
from app.loans.repayments import LoanAccounts, Repayments
from app.loans.schedule import build_schedule
from app.loans.scoring import CreditScorer
from app.members.models import Member
from app.money import Money


@dataclass(frozen=True)
class Quote:
    """What a member sees before confirming: all Money, `count` instalments, the rows."""

    principal: Money
    fee: Money
    receive: Money
    instalment: Money
    count: int
    total: Money
    cost: Money
    schedule: list


@dataclass(frozen=True)
class LoanSummary:
    """My loan: balance, next due instalment, arrears, payoff today."""

    loan: Loan
    outstanding: Money
    next_due_date: object
    next_due: Money
    arrears: Money
    payoff: Money


class LoanService(DisbursementMixin, RepaymentMixin):
    def __init__(self, session, *, clock, ledger, members, payments=None, kyc_tiers=None, notify=None,
                 group_officials=None, default_destination="savings", score_caps=None):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.members = members
        self.payments = payments
        self.notify = notify or (lambda member, kind, **params: None)
        self.default_destination = default_destination
        self.group_officials = group_officials or (lambda group_id: set())
        self.scorer = CreditScorer(session, ledger=ledger, clock=clock, score_caps=score_caps)
        self.eligibility = Eligibility(session, clock=clock, members=members, scorer=self.scorer,
                                       kyc_tiers=kyc_tiers or {})
        self.guarantees = Guarantees(session, ledger=ledger, clock=clock, notify=self.notify)
        self.repayments = Repayments(session, ledger=ledger, clock=clock, on_closed=self._closed,
                                     closing_accounts=self.guarantees.release_accounts)
        self.accounts = LoanAccounts(ledger)

    # -- reading ----------------------------------------------------------------------

    def get(self, loan_id):
        """The loan with this id, or None."""
        return self.session.get(Loan, loan_id)

    def products(self, member):
        """The products this member may choose: Pamoja's and their groups' own."""
        return products_for(self.session, member.currency, member_group_ids(self.session, member))

    def limit(self, member, product):
        """The member's CreditLimit for the product (limit, score, factors, top reason)."""
        return self.scorer.limit(member, product)

    def current(self, member):
        """The member's loan in progress (applied, approved, disbursed), else their latest; None if none."""
        loans = self.session.scalars(select(Loan).where(Loan.member_id == member.id).order_by(Loan.id.desc()))
        loans = list(loans)
        return next((loan for loan in loans if loan.state in OPEN_STATES), loans[0] if loans else None)

    def schedule(self, loan):
        return self.repayments.schedule(loan)

    def decisions(self, loan):
        return list(self.session.scalars(select(LoanDecision).where(LoanDecision.loan_id == loan.id)
                                         .order_by(LoanDecision.id)))

    def summary(self, loan, today=None):
        """A LoanSummary of a disbursed loan (amounts zero when nothing is owed)."""
        today = today or self.clock.today()
        rows = self.schedule(loan)
        unpaid = [row for row in rows if not row.paid]
        upcoming = next(iter(unpaid), None)
        arrears = sum(row.remaining for row in unpaid if row.due_date < today)
        owed = payoff(rows)
        return LoanSummary(loan, loan.money(owed), upcoming.due_date if upcoming else None,
                           loan.money(upcoming.remaining if upcoming else 0), loan.money(arrears), loan.money(owed))

    def quote(self, product, amount, term, start=None):
        """The cost of borrowing `amount` over `term` instalments of `product`, from `start` (today)."""
        start = start or self.clock.today()
        rows = build_schedule(principal_minor=amount.minor, currency=product.currency,
                              annual_rate=product.annual_rate, instalments=term, frequency=product.frequency,
                              method=product.interest_method, start=start)
        fee = fee_for(product, amount.minor)
        interest = sum(row.interest for row in rows)
        added = fee if product.fee_timing == "first_instalment" else 0
        return Quote(principal=amount, fee=product.money(fee), receive=product.money(amount.minor - fee + added),
                     instalment=product.money(rows[0].total), count=term,
                     total=product.money(amount.minor + interest + added), cost=product.money(interest + fee),
                     schedule=rows)

    # -- applying and deciding --------------------------------------------------------

    def check_member(self, member):
        """Raise NotEligible when the member may not borrow at all now."""
        self.eligibility.check_member(member)

    def check_amount(self, member, product, amount, term=None):
        """Raise NotEligible for this amount; return the Money guarantors must cover."""
        self.eligibility.check_product(member, product)
        return self.eligibility.check_amount(member, product, amount, term)

    def apply_for(self, member, product, amount, term, *, idempotency_key, destination="savings", guarantors=(),
              actor=None, channel="system", session_ref=None):
        """Apply for a loan; returns the Loan (already disbursed when it approves itself).

        `guarantors` are Members (None for an unknown phone), needed only above the limit.
        Raises NotEligible (every refusal carries its reason), BadGuarantor, TooManyGuarantors.
        """
        existing = self.session.scalar(select(Loan).where(Loan.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
        actor = actor or f"member:{member.id}"
        # One application at a time per member: two sessions applying at once queue here.
        self.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
        self.check_member(member)
        credit = self.limit(member, product)
        self.eligibility.check_product(member, product)
        above = self.eligibility.check_amount(member, product, amount, term, credit)
        if above and not guarantors:
            raise errors.above_limit(credit.limit)
        if above:
            self.guarantees.check(list(guarantors), member)
        fee = fee_for(product, amount.minor)
        if fee >= amount.minor:
            raise errors.below_minimum(product.money(product.min_amount))
        loan = Loan(idempotency_key=idempotency_key, member_id=member.id, product_id=product.id,
                    principal=amount.minor, currency=product.currency, instalments=term, frequency=product.frequency,
                    interest_method=product.interest_method, annual_rate=product.annual_rate, fee=fee,
                    fee_timing=product.fee_timing, state="applied", destination=destination,
                    own_limit=min(credit.limit.minor, amount.minor), applied_at=self.clock.now(), channel=channel,
                    session_ref=session_ref)
        self.session.add(loan)
        self.session.flush()
        self._decide(loan, "applied", actor, channel, f"limit {credit.limit.minor}, score {credit.score}")
        if above:
            self.guarantees.request(loan, list(guarantors), member)
            return loan
        if product.approval == "auto" and amount.minor <= product.auto_approve_max and product.group_id is None:
            self.approve(loan.id, actor="system", channel=channel, reason="automatic: within limit and threshold")
        return loan

    def _decide(self, loan, decision, actor, channel, reason=""):
        self.session.add(LoanDecision(loan_id=loan.id, decision=decision, actor=actor, channel=channel,
                                      reason=reason[:200], created_at=self.clock.now()))
        self.session.flush()

    def _lock(self, loan_id):
        loan = self.repayments.lock(loan_id)
        if loan is None:
            raise errors.NoLoan()
        return loan

    def approve(self, loan_id, *, actor, channel, reason=""):
        """Approve an applied loan and disburse it; raises WrongState, GuaranteesMissing."""
        loan = self._lock(loan_id)
        if loan.state != "applied":
            raise errors.WrongState(detail=f"loan {loan.id} is {loan.state}")
        missing = self.guarantees.missing(loan)
        if missing:
            raise errors.GuaranteesMissing(loan.money(missing))
        loan.state, loan.decided_at = "approved", self.clock.now()
        self._decide(loan, "approved", actor, channel, reason)
        self.disburse(loan, actor=actor, channel=channel)
        return loan

    def decline(self, loan_id, *, actor, channel, reason):
        """Decline an applied loan; pledges go back to the guarantors."""
        loan = self._lock(loan_id)
        if loan.state != "applied":
            raise errors.WrongState(detail=f"loan {loan.id} is {loan.state}")
        loan.state, loan.decided_at = "declined", self.clock.now()
        self._decide(loan, "declined", actor, channel, reason)
        self.guarantees.release_all(loan, reason="declined")
        member = self.members.get(loan.member_id)
        self.notify(member, "loan_declined", key=f"loan:{loan.id}:declined", amount=loan.money(loan.principal),
                    reason=reason)
        return loan

    def approve_as_official(self, loan_id, official, *, channel):
        """A group official's approval; the second distinct official's approval approves the loan."""
        loan = self._lock(loan_id)
        if loan.state != "applied":
            raise errors.WrongState()
        if official.id not in self.group_officials(loan.product.group_id) or official.id == loan.member_id:
            raise errors.NotAnOfficial()
        self._decide(loan, "official_approved", f"member:{official.id}", channel)
        approvers = set(self.session.scalars(select(LoanDecision.actor).where(
            LoanDecision.loan_id == loan.id, LoanDecision.decision == "official_approved")))
        if len(approvers) >= 2:
            self.approve(loan.id, actor=f"member:{official.id}", channel=channel, reason="two group officials")
        return loan

    def awaiting_official(self, official):
        """Applied loans of group products that `official` may approve (not their own, not yet approved by them)."""
        from app.loans.groups import official_group_ids

        group_ids = official_group_ids(self.session, official)
        if not group_ids:
            return []
        loans = self.session.scalars(
            select(Loan).join(LoanProduct, LoanProduct.id == Loan.product_id)
            .where(Loan.state == "applied", Loan.member_id != official.id, LoanProduct.group_id.in_(group_ids))
            .order_by(Loan.id)).all()
        done = set(self.session.scalars(select(LoanDecision.loan_id).where(
            LoanDecision.decision == "official_approved", LoanDecision.actor == f"member:{official.id}")))
        return [loan for loan in loans if loan.id not in done and not self.guarantees.missing(loan)]

    def pending(self):
        """Loans waiting for a decision, oldest first."""
        return list(self.session.scalars(select(Loan).where(Loan.state == "applied").order_by(Loan.id)))
