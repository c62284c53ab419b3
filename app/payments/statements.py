"""Operators' settlement statements, read into one shape: `StatementLine`s.

Two CSV layouts are understood, told apart by their header row:

- M-Pesa's organisation statement (the portal's "Export" CSV): `Receipt No.`,
  `Completion Time`, `Initiation Time`, `Details`, `Transaction Status`, `Paid In`,
  `Withdrawn`, `Balance`, `Balance Confirmed`, `Reason Type`, `Other Party Info`,
  `Linked Transaction ID`, `A/C No.`. Only `Completed` rows count; a row whose Reason
  Type or Details names a charge is the operator's fee for the row with the same
  receipt, not a payment of ours, and is skipped. `Paid In` is money in (our
  collections), `Withdrawn` money out (our disbursements; the portal may print it
  negative). Amounts are KES; times are Nairobi time.
- The simple layout, for MoMo and Airtel settlement files turned into CSV by finance,
  or any operator: `receipt,time,amount,direction,counterparty[,currency]` with `time`
  ISO 8601 (local TIMEZONE when it has no offset), `amount` in major units, `direction`
  `in` or `out`, `counterparty` the other party's MSISDN; `currency` defaults to the
  one given by the caller (the operator's).

Amounts are read as exact decimals into Money (never floats); a line that cannot be read
raises StatementError naming its line number, so a half-read statement never reconciles.
"""

import csv
from collections import Counter
from datetime import datetime
from typing import NamedTuple

from app.money import Money

IN, OUT = "in", "out"

MPESA_COLUMNS = ("Receipt No.", "Completion Time", "Transaction Status", "Paid In", "Withdrawn")
"""The M-Pesa org statement columns we read (the others are ignored)."""

SIMPLE_COLUMNS = ("receipt", "time", "amount", "direction", "counterparty")

MPESA_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                      "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M")


class StatementError(ValueError):
    """The statement cannot be read (unknown layout, a bad line): nothing is reconciled."""


class StatementLine(NamedTuple):
    receipt: str
    time: datetime
    amount: Money
    """Always positive; `direction` says which way it moved."""
    direction: str
    counterparty: str


def _amount(text, currency, line):
    cleaned = (text or "").replace(",", "").strip().lstrip("-")
    try:
        amount = Money.from_major(cleaned, currency)
    except (ValueError, ArithmeticError):
        raise StatementError(f"line {line}: {text!r} is not an amount in {currency}") from None
    if amount.minor <= 0:
        raise StatementError(f"line {line}: amount {text!r} is not positive")
    return amount


def _time(text, zone, line, formats=()):
    text = (text or "").strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StatementError(f"line {line}: {text!r} is not a time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _mpesa_lines(rows, zone):
    for line, row in rows:
        if (row.get("Transaction Status") or "").strip().lower() != "completed":
            continue
        words = f"{row.get('Reason Type') or ''} {row.get('Details') or ''}".lower()
        if "charge" in words:
            continue
        paid_in, withdrawn = (row.get("Paid In") or "").strip(), (row.get("Withdrawn") or "").strip()
        if bool(paid_in) == bool(withdrawn):
            raise StatementError(f"line {line}: exactly one of Paid In and Withdrawn must be filled")
        receipt = (row.get("Receipt No.") or "").strip()
        if not receipt:
            raise StatementError(f"line {line}: no Receipt No.")
        yield StatementLine(receipt, _time(row.get("Completion Time"), zone, line, MPESA_TIME_FORMATS),
                            _amount(paid_in or withdrawn, "KES", line), IN if paid_in else OUT,
                            (row.get("Other Party Info") or "").strip())


def _simple_lines(rows, zone, currency):
    for line, row in rows:
        receipt = (row.get("receipt") or "").strip()
        direction = (row.get("direction") or "").strip().lower()
        if not receipt:
            raise StatementError(f"line {line}: no receipt")
        if direction not in (IN, OUT):
            raise StatementError(f"line {line}: direction is in or out, not {row.get('direction')!r}")
        line_currency = (row.get("currency") or currency or "").strip().upper()
        if not line_currency:
            raise StatementError(f"line {line}: no currency (add a currency column or pass --currency)")
        yield StatementLine(receipt, _time(row.get("time"), zone, line), _amount(row.get("amount"), line_currency,
                                                                                  line),
                            direction, (row.get("counterparty") or "").strip())


def read_statement(stream, *, zone, currency=None):
    """Every StatementLine of a CSV text stream, in file order; StatementError for anything unreadable."""
    reader = csv.DictReader(stream)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    rows = ((number, row) for number, row in enumerate(reader, start=2) if any((v or "").strip() for v in
                                                                               row.values() if isinstance(v, str)))
    if all(column in header for column in MPESA_COLUMNS):
        lines = list(_mpesa_lines(rows, zone))
    elif all(column in header for column in SIMPLE_COLUMNS):
        lines = list(_simple_lines(rows, zone, currency))
    else:
        raise StatementError(f"unknown statement layout (header {', '.join(header) or 'empty'}): expected M-Pesa's "
                             f"org statement or {','.join(SIMPLE_COLUMNS)}[,currency]")
    duplicates = sorted(receipt for receipt, seen in Counter(line.receipt for line in lines).items() if seen > 1)
    if duplicates:
        raise StatementError(f"receipt(s) {', '.join(duplicates[:5])} appear twice in the statement")
    return lines
