"""What a member is shown before accepting a loan: every number of the disclosure, computed once.

Kenya's digital-credit rules expect, before acceptance: what the member receives (net of
fees), each instalment and its date, the total to repay, the total cost of credit
(interest and every fee) and the annual percentage rate with fees included. The menus
(USSD, WhatsApp, SMS) only render a `Disclosure`; none of them computes a figure.

Amounts are the payable ones: the schedule rounds to the product's unit
(`in_multiples_of_minor`, app/loans/schedule.py) and so does the fee
(app/loans/products.fee_for), so the instalments shown are the ones charged. A fee
deducted at payout lowers what is received; a fee added to the first instalment
raises that instalment and the total. The APR (app/loans/apr.py) is solved on exactly
these amounts.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.loans.apr import annual_percentage_rate
from app.loans.products import fee_for
from app.loans.schedule import PERIODS_PER_YEAR, build_schedule
from app.money import Money


@dataclass(frozen=True)
class QuotedInstalment:
    number: int
    due_date: date
    amount: Money


@dataclass(frozen=True)
class Disclosure:
    """The disclosure of borrowing `principal` under a product: all Money, `count` instalments, the rows."""

    product_name: str
    method: str
    """"declining" (interest on the balance left) or "flat" (on the whole principal for the whole term)."""
    frequency: str
    annual_rate: Decimal
    """The product's nominal yearly interest rate, in percent (fees not included)."""
    principal: Money
    fee: Money
    receive: Money
    """What reaches the member: the principal less a deducted fee."""
    interest: Money
    instalment: Money
    """The first instalment (the rest are equal but for the last, which takes the rounding)."""
    count: int
    total: Money
    """Everything the member repays: principal, interest and a fee added to the instalments."""
    cost: Money
    """The total cost of credit: interest plus every fee."""
    apr: Decimal
    """The annual percentage rate, fees included, in percent with one decimal (app/loans/apr.py)."""
    schedule: list
    """[QuotedInstalment], first due first."""


Quote = Disclosure
"""The name the loan service's callers first knew it by."""


def disclose(product, amount, term, start):
    """The Disclosure of borrowing `amount` (Money) over `term` instalments of `product`, disbursed on `start`."""
    rows = build_schedule(principal_minor=amount.minor, currency=product.currency,
                          annual_rate=product.annual_rate, instalments=term, frequency=product.frequency,
                          method=product.interest_method, start=start,
                          in_multiples_of=product.in_multiples_of_minor or 1)
    fee = fee_for(product, amount.minor)
    added = fee if product.fee_timing == "first_instalment" else 0
    payments = [row.total + (added if row.number == 1 else 0) for row in rows]
    interest = sum(row.interest for row in rows)
    received = amount.minor - fee + added

    def money(minor):
        return Money(minor, product.currency)

    return Disclosure(
        product_name=product.name, method=product.interest_method, frequency=product.frequency,
        annual_rate=product.annual_rate, principal=amount, fee=money(fee), receive=money(received),
        interest=money(interest), instalment=money(payments[0]), count=term, total=money(sum(payments)),
        cost=money(interest + fee),
        apr=annual_percentage_rate(received, payments, PERIODS_PER_YEAR[product.frequency]),
        schedule=[QuotedInstalment(row.number, row.due_date, money(payment))
                  for row, payment in zip(rows, payments, strict=True)])
