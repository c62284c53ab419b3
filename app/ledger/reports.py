"""Read-only ledger reports for the accountants: the trial balance and the postings as CSV.

Both read postings by their entry's `created_at`, with day boundaries in the deployment's
TIMEZONE (the clock's zone): "as of 2026-12-01" means every entry created before midnight
that starts 2 December, local time. Nothing here writes; the ledger service (services.py)
stays the only writer.

Trial balance: each account's balance as of the cut-off (the sum of its postings, debit
positive) lands in the debit column when positive and the credit column when negative;
accounts are summed per kind and currency. Because every entry balances, each currency's
debit total equals its credit total; `TrialBalance.balanced` says so (a False is a broken
ledger, for `flask ledger verify`).

Export: one row per posting, oldest entry first, amounts in major units as exact decimals
(never floats), streamed so a year of postings never sits in memory.
"""

import csv
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select

from app.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from app.money import Money

EXPORT_COLUMNS = ("entry_id", "time", "kind", "idempotency_key", "account", "holder", "debit", "credit",
                  "currency", "memo")
"""The CSV header, in order (a contract with the accountants' import)."""


def start_of_day(day, zone):
    """The aware instant local midnight begins `day` in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone)


class TrialBalanceLine(NamedTuple):
    kind: str
    currency: str
    debit: Money
    credit: Money
    accounts: int


class TrialBalance(NamedTuple):
    as_of: object
    lines: list
    """[TrialBalanceLine], by currency then kind."""

    def totals(self):
        """{currency: (debit Money, credit Money)}."""
        totals = defaultdict(lambda: [0, 0])
        for line in self.lines:
            totals[line.currency][0] += line.debit.minor
            totals[line.currency][1] += line.credit.minor
        return {currency: (Money(debit, currency), Money(credit, currency))
                for currency, (debit, credit) in sorted(totals.items())}

    @property
    def balanced(self):
        return all(debit == credit for debit, credit in self.totals().values())


def trial_balance(session, as_of, zone):
    """The TrialBalance at the end of local day `as_of` (accounts with a zero balance then are left out)."""
    cutoff = start_of_day(as_of + timedelta(days=1), zone)
    per_account = (
        select(LedgerPosting.account_id, func.sum(LedgerPosting.amount).label("balance"))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerEntry.created_at < cutoff)
        .group_by(LedgerPosting.account_id)
        .subquery())
    balance = per_account.c.balance
    rows = session.execute(
        select(LedgerAccount.kind, LedgerAccount.currency,
               func.sum(case((balance > 0, balance), else_=0)),
               func.sum(case((balance < 0, -balance), else_=0)),
               func.count())
        .join(per_account, per_account.c.account_id == LedgerAccount.id)
        .where(balance != 0)
        .group_by(LedgerAccount.kind, LedgerAccount.currency)
        .order_by(LedgerAccount.currency, LedgerAccount.kind))
    return TrialBalance(as_of, [TrialBalanceLine(kind, currency, Money(int(debit), currency),
                                                 Money(int(credit), currency), count)
                                for kind, currency, debit, credit, count in rows])


def postings_between(session, first_day, last_day, zone, *, batch=1000):
    """Export rows (dicts keyed by EXPORT_COLUMNS) of entries created on local days first_day..last_day."""
    start, end = start_of_day(first_day, zone), start_of_day(last_day + timedelta(days=1), zone)
    query = (
        select(LedgerEntry.id, LedgerEntry.created_at, LedgerEntry.kind, LedgerEntry.idempotency_key,
               LedgerAccount.id, LedgerAccount.kind, LedgerAccount.owner_type, LedgerAccount.owner_id,
               LedgerPosting.amount, LedgerAccount.currency, LedgerEntry.memo)
        .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
        .order_by(LedgerEntry.created_at, LedgerEntry.id, LedgerPosting.id)
        .execution_options(yield_per=batch))
    for (entry_id, created_at, kind, key, account_id, account_kind, owner_type, owner_id, amount, currency,
         memo) in session.execute(query):
        money = Money(abs(amount), currency)
        yield {
            "entry_id": entry_id,
            "time": created_at.astimezone(zone).isoformat(timespec="seconds"),
            "kind": kind,
            "idempotency_key": key,
            "account": f"{account_id}:{account_kind}",
            "holder": owner_type if owner_id is None else f"{owner_type}:{owner_id}",
            "debit": f"{money.major}" if amount > 0 else "",
            "credit": f"{money.major}" if amount < 0 else "",
            "currency": currency,
            "memo": memo,
        }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is read as a formula by spreadsheets (CSV injection)."""


def _cell(value):
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_csv(rows, stream):
    """Write export rows to a text stream with a header; returns how many rows were written."""
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({name: _cell(value) if name in ("kind", "idempotency_key", "memo") else value
                         for name, value in row.items()})
        count += 1
    return count
