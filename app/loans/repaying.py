"""Repaying, recovering, and the calls other channels make (SMS commands, field agents).

Allocation and posting live in app/loans/repayments.py; this mixin adds the member-facing
checks (never beyond the payoff on USSD/SMS), notifications and the adapters that
menus/sms_money.py and app/agents/collections.py call. Mixed into LoanService.
"""

from app.loans import errors


class RepaymentMixin:
    def repay_from_savings(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Repay from the borrower's savings; raises NoLoan, PaysTooMuch, InsufficientFunds."""
        repayment = self.repayments.from_savings(loan_id, amount, key=idempotency_key, actor=actor,
                                                 channel=channel, session_ref=session_ref)
        loan = self.get(loan_id)
        self.notify(self.members.get(loan.member_id), "repayment_received", key=f"loan-repayment:{repayment.id}",
                    amount=amount, balance=self.repayments.payoff(loan))
        return repayment

    def start_mobile_repayment(self, loan_id, amount, *, idempotency_key, actor, channel, session_ref=None):
        """Ask the member's mobile money for a repayment; settles on the operator's callback.

        Refuses more than the payoff (a member typing too much is told so, not charged).
        """
        from app.payments.providers.base import COLLECTION

        loan = self._lock(loan_id)
        if loan.state not in ("disbursed", "defaulted"):
            raise errors.NoLoan()
        owed = self.repayments.payoff(loan)
        if amount > owed:
            raise errors.PaysTooMuch(owed)
        member = self.members.get(loan.member_id)
        return self.payments.start(idempotency_key, member, COLLECTION, "loan_repayment", amount, member.phone,
                                   purpose_ref=loan.id, initiated_by=actor, channel=channel, session_ref=session_ref)

    def _closed(self, loan):
        self.guarantees.release_all(loan, reason="repaid")

    # -- default and recovery ---------------------------------------------------------

    def recover(self, loan_id, *, actor, channel, reason):
        """Declare a disbursed loan defaulted and recover it (app/loans/guarantors.py's order).

        Returns [(source, owner id, Money)] taken; raises WrongState for a loan not on the books.
        """
        loan = self._lock(loan_id)
        if loan.state == "disbursed":
            loan.state = "defaulted"
            self._decide(loan, "defaulted", actor, channel, reason)
        elif loan.state != "defaulted":
            raise errors.WrongState(detail=f"loan {loan.id} is {loan.state}")
        taken = self.guarantees.recover(loan, actor=actor, channel=channel)
        summary = ", ".join(f"{source}:{owner} {amount.minor}" for source, owner, amount in taken) or "nothing"
        self._decide(loan, "recovered", actor, channel, f"{reason}; took {summary}")
        return taken

    # -- the calls the SMS commands and agents make (menus/sms_money.py, app/agents/collections.py) --

    def apply(self, member, amount, term, idempotency_key, *, channel, session_ref=None, product=None):
        """Apply with the member's first product (and its shortest term when `term` is None)."""
        products = [product] if product else self.products(member)
        if not products:
            raise errors.NoProduct()
        product = products[0]
        return self.apply_for(member, product, amount, term or product.terms[0], idempotency_key=idempotency_key,
                              destination=self.default_destination, channel=channel, session_ref=session_ref)

    def balance(self, member):
        """What the member's loan on the books needs to clear today, or None without one."""
        loan = self.current(member)
        if loan is None or loan.state not in ("disbursed", "defaulted"):
            return None
        return self.repayments.payoff(loan)

    def repay(self, member, amount, idempotency_key, *, channel, session_ref=None):
        """Start a mobile-money repayment of the member's loan (beyond the payoff is refused)."""
        loan = self.current(member)
        if loan is None or loan.state not in ("disbursed", "defaulted"):
            raise errors.NoLoan()
        return self.start_mobile_repayment(loan.id, amount, idempotency_key=idempotency_key,
                                           actor=f"member:{member.id}", channel=channel, session_ref=session_ref)

    def repay_from_account(self, member, amount, *, source, idempotency_key, initiated_by, channel,
                           session_ref=None):
        """Repay the member's loan debiting the ledger account `source` (an agent's float).

        Returns (ledger entry, loan); raises NoLoan, PaysTooMuch, InsufficientFunds.
        """
        loan = self.current(member)
        if loan is None or loan.state not in ("disbursed", "defaulted"):
            raise errors.NoLoan()
        self.repayments.repay_from(loan.id, amount, source, key=idempotency_key, source="agent_cash",
                                   actor=initiated_by, channel=channel, session_ref=session_ref,
                                   states=("disbursed", "defaulted"))
        return self.ledger.entry(idempotency_key), loan
