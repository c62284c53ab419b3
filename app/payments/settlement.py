"""Where a payment's money goes in the ledger, by purpose: handlers the composition root hands in.

Payments must not import groups, loans or agents, so each purpose's module defines its
small functions and `app/services.py` (the composition root) lists them all in one
`SettlementHandlers` given to the payments service: nothing registers itself on import.

- a settlement handler for collections: `handler(ledger, payment) -> credit postings`,
  a list of (LedgerAccount, Money) summing to `-payment.amount`; the payments service
  adds the debit to the provider's clearing account and posts both as ONE entry
  (key `payment:<id>`) in the transaction that marks the payment succeeded. A handler
  may also update its own rows through `ledger.session` (a loan's schedule).
- a notice for collections whose purpose tells its own success: `notice(ledger, payment) -> Notice`
  (who is told, the kind, its parameters), run after the settlement entry is posted so a balance
  is the new one; the payments service adds the entry's reference and says it once (key
  `payment:<id>:succeeded`). Every mobile-money movement thus ends with one confirmation.
- a reservation handler for disbursements: `handler(ledger, payment) -> debit postings`
  summing to `payment.amount + payment.fee`; posted when the payment starts, against
  `payouts_in_flight` (amount) and `fee_income` (fee), so the money cannot be spent twice.

`deposit` and `withdrawal` (member savings) are defined here.
"""

from typing import NamedTuple

from app.money import Money


class Notice(NamedTuple):
    """Who hears of a settled payment, and what: a member or an agent, a notification kind, its parameters."""

    recipient: object
    kind: str
    params: dict


class SettlementHandlers(NamedTuple):
    """The ledger side of every payment purpose, wired in app/services.py."""

    collections: dict
    """purpose -> callable(ledger, payment) -> credit postings of a collection."""
    disbursements: dict
    """purpose -> callable(ledger, payment) -> debit postings of a disbursement (amount + fee)."""
    notices: dict = {}
    """purpose -> callable(ledger, payment) -> Notice, for purposes that tell their own success."""

    def success_notice(self, ledger, payment):
        """The Notice of a settled payment whose purpose tells its own success, or None."""
        notice = self.notices.get(payment.purpose)
        return notice(ledger, payment) if notice is not None else None

    def for_direction(self, is_collection):
        """The handlers of collections or of disbursements."""
        return self.collections if is_collection else self.disbursements

    def settlement_postings(self, ledger, payment):
        """The credits of a succeeded collection (its purpose's handler)."""
        return self.collections[payment.purpose](ledger, payment)

    def reservation_postings(self, ledger, payment):
        """The whole reservation entry of a disbursement: the purpose's debits, in-flight and fee credits."""
        postings = list(self.disbursements[payment.purpose](ledger, payment))
        postings.append((ledger.system_account("payouts_in_flight", payment.currency), -payment.amount))
        if payment.fee_minor:
            postings.append((ledger.system_account("fee_income", payment.currency), -payment.fee))
        return postings


def member_savings(ledger, payment):
    return ledger.account("member", payment.member_id, "member_savings", payment.currency)


def credit_member_savings(ledger, payment):
    return [(member_savings(ledger, payment), -payment.amount)]


def debit_member_savings(ledger, payment):
    return [(member_savings(ledger, payment), payment.amount + payment.fee)]


def released_postings(reservation_entry, accounts):
    """The exact opposite of a reservation entry (a failed disbursement gives everything back)."""
    return [(accounts[p.account_id], Money(-p.amount, accounts[p.account_id].currency))
            for p in reservation_entry.postings]
