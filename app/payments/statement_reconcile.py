"""Reconcile an operator's settlement statement with our payments and its clearing account.

    StatementReconciliation(...).run(actor, provider, lines) -> Reconciled

Every receipt is looked for on both sides:

- on the statement, not ours (`missing_ours`): money moved at the operator that we never
  booked (a C2B payment with no STK push, a payout we think failed);
- ours, not on the statement (`missing_statement`): a payment we booked as succeeded
  (or reversed) in the statement's period whose receipt the operator does not show;
- on both, but the amount, the direction or our state differs (`differs`): our state
  must be succeeded or reversed for a receipt the operator completed.

Each difference opens one finance work item (`services.work_queue.open`, deduped by
provider and receipt, so importing the same statement twice opens nothing new) and the
run is one `payments.reconcile_statement` audit row with the counts. The statement's
period is the local days its lines cover (or the caller's `first`/`last` days). The
clearing account's net movement over the period is reported next to the statement's
net (in - out), for finance to see the two totals agree. Nothing is posted: the person
who works an item decides (a review resolution, a reversal), under their own permission.
"""

from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting, clearing_kind
from app.ledger.reports import start_of_day
from app.money import Money
from app.payments import states
from app.payments.models import Payment
from app.payments.providers.base import COLLECTION
from app.payments.statements import IN, OUT

ACTION = "payments.reconcile_statement"
PERMISSION = "reconciliation.run"
WORK_KIND = "statement_difference"
BOOKED = frozenset({states.SUCCEEDED, states.REVERSED})
"""Our states that mean the operator moved the money."""

MISSING_OURS, MISSING_STATEMENT, DIFFERS = "missing_ours", "missing_statement", "differs"


class Difference(NamedTuple):
    kind: str
    receipt: str | None
    payment_id: int | None
    detail: str
    work_item_id: int | None = None


class Reconciled(NamedTuple):
    provider: str
    first: object
    last: object
    matched: int
    differences: list
    statement_net: dict
    """{currency: Money} in - out on the statement."""
    clearing_net: dict
    """{currency: Money} the clearing account's movement over the period (debit = money at the operator)."""


def _direction(payment):
    return IN if payment.direction == COLLECTION else OUT


class StatementReconciliation:
    def __init__(self, session, *, clock, staff, audit, work_queue):
        self.session = session
        self.clock = clock
        self.staff = staff
        self.audit = audit
        self.work_queue = work_queue

    def run(self, actor, provider, lines, *, first=None, last=None):
        """Match `lines` (StatementLines) against `provider`'s payments; open a work item per difference."""
        self.staff.require(actor, PERMISSION)
        zone = self.clock.zone
        first = first or min((line.time.astimezone(zone).date() for line in lines), default=self.clock.today())
        last = last or max((line.time.astimezone(zone).date() for line in lines), default=first)
        start, end = start_of_day(first, zone), start_of_day(last + timedelta(days=1), zone)
        by_receipt = {line.receipt: line for line in lines}
        ours = {payment.receipt: payment for payment in self.session.scalars(
            select(Payment).where(Payment.provider == provider, Payment.receipt.in_(list(by_receipt))))}
        differences, matched = [], 0
        for receipt, line in by_receipt.items():
            payment = ours.get(receipt)
            if payment is None:
                differences.append(Difference(MISSING_OURS, receipt, None,
                                              f"{line.direction} {line.amount.currency} {line.amount.major} "
                                              f"{line.counterparty} at {line.time.isoformat()} is not ours"))
                continue
            problems = []
            if payment.amount != line.amount:
                problems.append(f"amount ours {payment.amount.currency} {payment.amount.major}, statement "
                                f"{line.amount.currency} {line.amount.major}")
            if _direction(payment) != line.direction:
                problems.append(f"direction ours {_direction(payment)}, statement {line.direction}")
            if payment.state not in BOOKED:
                problems.append(f"ours is {payment.state}, the operator completed it")
            if problems:
                differences.append(Difference(DIFFERS, receipt, payment.id, "; ".join(problems)))
            else:
                matched += 1
        unseen = self.session.scalars(
            select(Payment).where(Payment.provider == provider, Payment.state.in_(BOOKED),
                                  Payment.settled_at >= start, Payment.settled_at < end)
            .order_by(Payment.id))
        for payment in unseen:
            if payment.receipt not in by_receipt:
                differences.append(Difference(MISSING_STATEMENT, payment.receipt, payment.id,
                                              f"our {payment.direction} {payment.currency} {payment.amount.major} "
                                              f"({payment.state}) is not on the statement"))
        differences = [self._open(actor, provider, difference) for difference in differences]
        statement_net = {}
        for line in lines:
            signed = line.amount if line.direction == IN else -line.amount
            statement_net[line.amount.currency] = statement_net.get(line.amount.currency,
                                                                    Money.zero(signed.currency)) + signed
        result = Reconciled(provider, first, last, matched, differences, statement_net,
                            self._clearing_net(provider, start, end))
        self.audit.record(actor, ACTION, ("provider", provider),
                          after={"from": first.isoformat(), "to": last.isoformat(), "lines": len(lines),
                                 "matched": matched, "differences": len(differences)})
        return result

    def _open(self, actor, provider, difference):
        key = difference.receipt or f"payment:{difference.payment_id}"
        subject = ("payment", difference.payment_id) if difference.payment_id else ("receipt", f"{provider}:{key}")
        label = {MISSING_OURS: "on statement, not ours", MISSING_STATEMENT: "ours, not on statement",
                 DIFFERS: "differs"}[difference.kind]
        item = self.work_queue.open(
            WORK_KIND, subject, "finance", summary=f"{provider} {key}: {label}: {difference.detail}",
            dedupe_key=f"statement:{provider}:{key}", actor=actor,
            details={"provider": provider, "receipt": difference.receipt, "payment_id": difference.payment_id,
                     "kind": difference.kind, "detail": difference.detail})
        return difference._replace(work_item_id=item.id)

    def _clearing_net(self, provider, start, end):
        rows = self.session.execute(
            select(LedgerAccount.currency, func.sum(LedgerPosting.amount))
            .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
            .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
            .where(LedgerAccount.kind == clearing_kind(provider), LedgerEntry.created_at >= start,
                   LedgerEntry.created_at < end)
            .group_by(LedgerAccount.currency))
        return {currency: Money(int(total), currency) for currency, total in rows}
