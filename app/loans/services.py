"""The loan service: apply, decide, disburse, repay; what a member owes and when.

- `apply_for` checks eligibility (app/loans/eligibility.py), freezes the product's terms
  on the loan and routes it: automatic approval for a product that allows it, under
  its threshold and within the member's own limit; otherwise an officer
  (`flask loans approve|decline`), or two group officials for a group's product.
  Above the member's limit, guarantors are asked first and every pledge must be in.
- Every decision is a LoanDecision row (app/loans/decisions.py): who, when, channel, why.
- Every change of a loan's state goes through app/loans/states.move.
- The work is done by collaborators, each in its own module and wired in app/services.py
  (the composition root): CreditScorer, Eligibility, Guarantees (guarantors.py), Repayments
  (repayment_booking.py: lock, allocate, post, close), MemberRepayments (member_repayments.py:
  the member-facing checks and notices), Disbursements (disbursement.py) and Decisions.
  This class is the one door screens, SMS commands, agents and the officers' CLI use:
  screens ask it, never restate its rules.
- `quote` is the disclosure shown before acceptance (app/loans/disclosure.py: received, instalments,
  total, cost of credit, APR with fees); `payoff` is what clears a loan today
  (app/loans/early_settlement.py: a declining loan owes interest to date, not the whole schedule).
Callers commit once; every method works inside the caller's transaction.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.loans import errors
from app.loans.allocation import payoff
from app.loans.disclosure import disclose
from app.loans.early_settlement import settlement
from app.loans.group_membership import member_group_ids, official_group_ids
from app.loans.models import Loan, LoanProduct
from app.loans.products import fee_for, products_for
from app.loans.states import APPLIED, APPROVED, DECLINED, DEFAULTED, DISBURSED, IN_PROGRESS, ON_BOOKS, move
from app.members.models import Member
from app.money import Money


@dataclass(frozen=True)
class LoanSummary:
    """My loan: balance (all left on the schedule), next due instalment, arrears, payoff today (what clears it:
    app/loans/early_settlement.py)."""

    loan: Loan
    outstanding: Money
    next_due_date: object
    next_due: Money
    arrears: Money
    payoff: Money


class LoanService:
    def __init__(self, session, *, clock, ledger, members, notify, scorer, eligibility, decisions, guarantees,
                 repayments, member_repayments, disbursements, group_officials, default_destination="savings"):
        self.session = session
        self.clock = clock
        self.ledger = ledger
        self.members = members
        self.notify = notify
        self.default_destination = default_destination
        self.group_officials = group_officials
        """group id -> member ids of its chair, treasurer and secretary (group loan approvals)."""
        self.scorer = scorer
        self.eligibility = eligibility
        self.decisions = decisions
        self.guarantees = guarantees
        self.repayments = repayments
        self.accounts = repayments.accounts
        """The loans' ledger accounts (app/loans/accounts.py)."""
        self.member_repayments = member_repayments
        self.disbursements = disbursements

    # -- reading ----------------------------------------------------------------------

    def get(self, loan_id):
        """The loan with this id, or None."""
        return self.session.get(Loan, loan_id)

    def product(self, product_id):
        """The loan product with this id, or None."""
        return self.session.get(LoanProduct, product_id)

    def products(self, member):
        """The products this member may choose: Pamoja's and their groups' own."""
        return products_for(self.session, member.currency, member_group_ids(self.session, member))

    def limit(self, member, product):
        """The member's CreditLimit for the product (limit, score, factors, top reason), never above what
        their KYC tier lets them borrow: a screen offering more than the KYC check then refuses misleads."""
        return self.eligibility.within_kyc(member, product, self.scorer.limit(member, product))

    def current(self, member):
        """The member's loan in progress (applied, approved, disbursed), else their latest; None if none."""
        loans = self.session.scalars(select(Loan).where(Loan.member_id == member.id).order_by(Loan.id.desc()))
        loans = list(loans)
        return next((loan for loan in loans if loan.state in IN_PROGRESS), loans[0] if loans else None)

    def on_books(self, member):
        """The member's disbursed or defaulted loan, or None when nothing is owed."""
        loan = self.current(member)
        return loan if loan is not None and loan.state in ON_BOOKS else None

    def schedule(self, loan):
        return self.repayments.schedule(loan)

    def decisions_on(self, loan):
        """Every decision on `loan`, oldest first."""
        return self.decisions.of_loan(loan)

    def payoff(self, loan):
        """What clears `loan` today, as Money (a declining loan: principal left + interest accrued to date)."""
        return self.repayments.payoff(loan)

    def summary(self, loan, today=None):
        """A LoanSummary of a disbursed loan (amounts zero when nothing is owed)."""
        today = today or self.clock.today()
        rows = self.schedule(loan)
        unpaid = [row for row in rows if not row.paid]
        upcoming = next(iter(unpaid), None)
        arrears = Money(sum(row.remaining_minor for row in unpaid if row.due_date < today), loan.currency)
        return LoanSummary(loan, Money(payoff(rows), loan.currency), upcoming.due_date if upcoming else None,
                           upcoming.remaining if upcoming else Money.zero(loan.currency), arrears,
                           Money(settlement(loan, rows, today), loan.currency))

    def quote(self, product, amount, term, start=None):
        """The Disclosure (app/loans/disclosure.py) of borrowing `amount` over `term` instalments of
        `product` from `start` (today): everything the member is shown before accepting."""
        return disclose(product, amount, term, start or self.clock.today())

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
            raise errors.below_minimum(product.min_amount)
        loan = Loan(idempotency_key=idempotency_key, member_id=member.id, product_id=product.id,
                    principal_minor=amount.minor, currency=product.currency, instalments=term,
                    frequency=product.frequency, interest_method=product.interest_method,
                    annual_rate=product.annual_rate, fee_minor=fee, fee_timing=product.fee_timing,
                    in_multiples_of_minor=product.in_multiples_of_minor, state=APPLIED,
                    destination=destination, own_limit_minor=min(credit.limit.minor, amount.minor),
                    applied_at=self.clock.now(), channel=channel, session_ref=session_ref)
        self.session.add(loan)
        self.session.flush()
        self.decisions.record(loan, "applied", actor, channel, f"limit {credit.limit.minor}, score {credit.score}")
        if above:
            self.guarantees.request(loan, list(guarantors), member)
            return loan
        if product.approval == "auto" and amount <= product.auto_approve_max and product.group_id is None:
            self.approve(loan.id, actor="system", channel=channel, reason="automatic: within limit and threshold")
        return loan

    def _lock(self, loan_id):
        loan = self.repayments.lock(loan_id)
        if loan is None:
            raise errors.NoLoan()
        return loan

    def _lock_applied(self, loan_id):
        loan = self._lock(loan_id)
        if loan.state != APPLIED:
            raise errors.WrongState(detail=f"loan {loan.id} is {loan.state}")
        return loan

    def approve(self, loan_id, *, actor, channel, reason=""):
        """Approve an applied loan and disburse it; raises WrongState, GuaranteesMissing."""
        loan = self._lock_applied(loan_id)
        missing = self.guarantees.missing(loan)
        if missing:
            raise errors.GuaranteesMissing(missing)
        move(loan, APPROVED)
        loan.decided_at = self.clock.now()
        self.decisions.record(loan, "approved", actor, channel, reason)
        self.disbursements.disburse(loan, actor=actor, channel=channel)
        return loan

    def decline(self, loan_id, *, actor, channel, reason):
        """Decline an applied loan; pledges go back to the guarantors."""
        loan = self._lock_applied(loan_id)
        move(loan, DECLINED)
        loan.decided_at = self.clock.now()
        self.decisions.record(loan, "declined", actor, channel, reason)
        self.guarantees.release_all(loan, reason="declined")
        member = self.members.get(loan.member_id)
        self.notify(member, "loan_declined", key=f"loan:{loan.id}:declined", amount=loan.principal, reason=reason)
        return loan

    def is_group_official(self, member):
        """True when the member is an official of a group (who may approve its loans)."""
        return bool(official_group_ids(self.session, member))

    def approve_as_official(self, loan_id, official, *, channel):
        """A group official's approval; the second distinct official's approval approves the loan."""
        loan = self._lock(loan_id)
        if loan.state != APPLIED:
            raise errors.WrongState()
        if official.id not in self.group_officials(loan.product.group_id) or official.id == loan.member_id:
            raise errors.NotAnOfficial()
        self.decisions.record(loan, "official_approved", f"member:{official.id}", channel)
        if len(self.decisions.actors(loan, "official_approved")) >= 2:
            self.approve(loan.id, actor=f"member:{official.id}", channel=channel, reason="two group officials")
        return loan

    def awaiting_official(self, official):
        """Applied loans of group products that `official` may approve (not their own, not yet approved by them)."""
        group_ids = official_group_ids(self.session, official)
        if not group_ids:
            return []
        loans = self.session.scalars(
            select(Loan).join(LoanProduct, LoanProduct.id == Loan.product_id)
            .where(Loan.state == APPLIED, Loan.member_id != official.id, LoanProduct.group_id.in_(group_ids))
            .order_by(Loan.id)).all()
        done = self.decisions.loan_ids_by(f"member:{official.id}", "official_approved")
        return [loan for loan in loans if loan.id not in done and not self.guarantees.missing(loan)]

    def pending(self):
        """Loans waiting for a decision, oldest first."""
        return list(self.session.scalars(select(Loan).where(Loan.state == APPLIED).order_by(Loan.id)))

    # -- paying out -------------------------------------------------------------------

    def revert_failed_disbursements(self):
        """Loans whose mobile-money payout failed, put back to `approved`; returns them."""
        return self.disbursements.revert_failed()

    def redisburse(self, loan_id, *, actor, channel, destination=None):
        """Disburse an approved loan again (after a failed payout), optionally to savings."""
        return self.disbursements.redisburse(self._lock(loan_id), actor=actor, channel=channel,
                                             destination=destination)

    # -- guarantees (the guarantor's screens) -----------------------------------------

    def guarantee_requests(self, member):
        """Requests waiting for this member's answer, on loans still being applied for."""
        return self.guarantees.open_requests(member)

    def guarantee_request(self, guarantee_id, member):
        """The member's own guarantee request with this id; raises GuaranteeClosed for another's or none."""
        return self.guarantees.request_of(guarantee_id, member)

    def pledges_missing(self, loan):
        """What guarantors still need to pledge before `loan` can be approved (Money, zero when covered)."""
        return self.guarantees.missing(loan)

    def check_pledge(self, guarantee_id, member, amount):
        """Raise PledgeTooLarge beyond what the loan still needs, InsufficientFunds beyond the savings."""
        self.guarantees.check_pledge(self.guarantee_request(guarantee_id, member), member, amount)

    def pledge(self, guarantee_id, member, amount, *, key, channel, session_ref=None):
        """Lock `amount` of the guarantor's savings for the loan (see Guarantees.pledge)."""
        return self.guarantees.pledge(guarantee_id, member, amount, key=key, channel=channel,
                                      session_ref=session_ref)

    def decline_guarantee(self, guarantee_id, member):
        return self.guarantees.decline(guarantee_id, member)

    # -- repaying, default and recovery -----------------------------------------------

    def check_repayment(self, loan_id, amount):
        """Raise NoLoan for a loan not on the books, PaysTooMuch beyond its payoff (asked before the PIN)."""
        self.member_repayments.check(self.get(loan_id), amount)

    def repay_from_savings(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Repay from the borrower's savings; raises NoLoan, PaysTooMuch, InsufficientFunds."""
        return self.member_repayments.from_savings(loan_id, amount, idempotency_key=idempotency_key, actor=actor,
                                                   channel=channel, session_ref=session_ref)

    def start_mobile_repayment(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Ask the member's mobile money for a repayment; settles on the operator's callback.

        Refuses more than the payoff (a member typing too much is told so, not charged).
        """
        return self.member_repayments.by_mobile_money(self._lock(loan_id), amount, idempotency_key=idempotency_key,
                                                      actor=actor, channel=channel, session_ref=session_ref)

    def recover(self, loan_id, *, actor, channel, reason):
        """Declare a disbursed loan defaulted and recover it (app/loans/guarantors.py's order).

        Returns [(source, owner id, Money)] taken; raises WrongState for a loan not on the books.
        """
        loan = self._lock(loan_id)
        if loan.state == DISBURSED:
            move(loan, DEFAULTED)
            self.decisions.record(loan, "defaulted", actor, channel, reason)
        elif loan.state != DEFAULTED:
            raise errors.WrongState(detail=f"loan {loan.id} is {loan.state}")
        taken = self.guarantees.recover(loan, actor=actor, channel=channel)
        summary = ", ".join(f"{source}:{owner} {amount.minor}" for source, owner, amount in taken) or "nothing"
        self.decisions.record(loan, "recovered", actor, channel, f"{reason}; took {summary}")
        return taken

    # -- the calls the SMS commands and agents make (menus/sms_money.py, app/agents/collections.py) --

    def first_product(self, member):
        """The product the SMS commands and agents borrow under: the member's first; raises NoProduct."""
        products = self.products(member)
        if not products:
            raise errors.NoProduct()
        return products[0]

    def check_application(self, member, amount, term=None):
        """Every check `apply` makes, before anything is asked of the member (the SMS code); returns
        the product and the term (its shortest when `term` is None). Raises NotEligible, NoProduct."""
        product = self.first_product(member)
        term = term or product.terms[0]
        self.check_member(member)
        if self.check_amount(member, product, amount, term):
            raise errors.above_limit(self.limit(member, product).limit)
        if fee_for(product, amount.minor) >= amount.minor:
            raise errors.below_minimum(product.min_amount)
        return product, term

    def apply(self, member, amount, term, idempotency_key, *, channel, session_ref=None, product=None,
              destination=None):
        """Apply with the member's first product (and its shortest term when `term` is None), paying out to
        `destination` ("savings" or "mobile_money"; by default LOAN_DEFAULT_DESTINATION)."""
        product = product or self.first_product(member)
        return self.apply_for(member, product, amount, term or product.terms[0], idempotency_key=idempotency_key,
                              destination=destination or self.default_destination, channel=channel,
                              session_ref=session_ref)

    def balance(self, member):
        """What the member's loan on the books needs to clear today, or None without one."""
        loan = self.on_books(member)
        return self.payoff(loan) if loan is not None else None

    def repay(self, member, amount, idempotency_key, *, channel, session_ref=None):
        """Start a mobile-money repayment of the member's loan (beyond the payoff is refused)."""
        loan = self.on_books(member)
        if loan is None:
            raise errors.NoLoan()
        return self.start_mobile_repayment(loan.id, amount, idempotency_key=idempotency_key,
                                           actor=f"member:{member.id}", channel=channel, session_ref=session_ref)

    def repay_from_account(self, member, amount, *, source, idempotency_key, initiated_by, channel,
                           session_ref=None):
        """Repay the member's loan debiting the ledger account `source` (an agent's float).

        Returns (ledger entry, loan); raises NoLoan, PaysTooMuch, InsufficientFunds.
        """
        loan = self.on_books(member)
        if loan is None:
            raise errors.NoLoan()
        self.repayments.repay_from(loan.id, amount, source, key=idempotency_key, source="agent_cash",
                                   actor=initiated_by, channel=channel, session_ref=session_ref, states=ON_BOOKS)
        return self.ledger.entry(idempotency_key), loan
