"""Where a payment's money goes in the ledger, by purpose: a registry other domains extend.

Payments must not import groups or loans, so each purpose registers two small
functions here (at import of its own module, e.g. `app/loans/settlement.py`):

- a SETTLEMENT handler for collections: `handler(ledger, payment) -> credit postings`,
  a list of (LedgerAccount, Money) summing to `-payment.amount`; the payments service
  adds the debit to the provider's clearing account and posts both as ONE entry
  (key `payment:<id>`) in the transaction that marks the payment succeeded. A handler
  may also update its own rows through `ledger.session` (a loan's schedule).
- a RESERVATION handler for disbursements: `handler(ledger, payment) -> debit postings`
  summing to `payment.amount + payment.fee`; posted when the payment starts, against
  `payouts_in_flight` (amount) and `fee_income` (fee), so the money cannot be spent twice.

`deposit` and `withdrawal` (member savings) are registered here.
"""

from app.money import Money

SETTLEMENT_HANDLERS = {}
"""purpose -> callable(ledger, payment) -> credit postings of a collection."""

RESERVATION_HANDLERS = {}
"""purpose -> callable(ledger, payment) -> debit postings of a disbursement (amount + fee)."""


def settles(purpose):
    """Register the collection handler of `purpose`."""

    def register(handler):
        SETTLEMENT_HANDLERS[purpose] = handler
        return handler

    return register


def reserves(purpose):
    """Register the disbursement reservation handler of `purpose`."""

    def register(handler):
        RESERVATION_HANDLERS[purpose] = handler
        return handler

    return register


def member_savings(ledger, payment):
    return ledger.account("member", payment.member_id, "member_savings", payment.currency)


@settles("deposit")
def credit_member_savings(ledger, payment):
    return [(member_savings(ledger, payment), -payment.amount)]


@reserves("withdrawal")
def debit_member_savings(ledger, payment):
    return [(member_savings(ledger, payment), payment.amount + payment.fee)]


def reservation_postings(ledger, payment):
    """The whole reservation entry of a disbursement: the purpose's debits, in-flight and fee credits."""
    postings = list(RESERVATION_HANDLERS[payment.purpose](ledger, payment))
    postings.append((ledger.system_account("payouts_in_flight", payment.currency), -payment.amount))
    if payment.fee_minor:
        postings.append((ledger.system_account("fee_income", payment.currency), -payment.fee))
    return postings


def released_postings(reservation_entry, accounts):
    """The exact opposite of a reservation entry (a failed disbursement gives everything back)."""
    return [(accounts[p.account_id], Money(-p.amount, accounts[p.account_id].currency))
            for p in reservation_entry.postings]
