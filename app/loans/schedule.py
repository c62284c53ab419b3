"""Repayment schedules, exact to the minor unit: the rules loan officers check by hand.

Amounts are integers in the currency's minor unit (KES cents, UGX shillings); the
rate is an annual percentage (`12` means 12 % a year), given as Decimal, str or int,
never float.

- Periodic rate r = annual rate / 12 for monthly, / 52 for weekly (no day counting).
- Every rounding is half-even (banker's) to the minor unit.
- Declining balance: instalment = P·r / (1 − (1 + r)^−n), rounded; each period's
  interest = outstanding principal × r, rounded; principal = instalment − interest;
  the last instalment pays the whole remaining principal plus its interest, so it
  absorbs the rounding difference. At a zero rate the instalment is P / n, rounded.
  (10,000.00 KES at 12 % over 6 months: instalment 1,725.48.)
- Flat: total interest = P × annual rate × n / periods per year, rounded; principal
  and interest are each split evenly, rounded down, and the last instalment takes
  both remainders.
- Due dates: the first one period after the start (disbursement); monthly ones fall
  on the start's day of month, clamped to shorter months and always counted from the
  start (31 Jan → 28 Feb → 31 Mar); weekly ones every 7 days.
- So the principals add up to P exactly, and the interests to the total interest.
- In multiples of a unit (`in_multiples_of`, minor units; Fineract's "installment
  amount in multiples of"): every rounding above rounds to a multiple of the unit
  instead of to one minor unit, so each instalment's principal, interest and total
  are whole units (KES: whole shillings, all M-Pesa can carry) and the last
  instalment takes the remainder. Unit 1 is the plain schedule, unchanged.
  (10,000.00 KES at 18 % over 3 months in 100s: 3,434, 3,434, 3,434; interest 150, 101, 51.)

Arithmetic is exact rational (`Fraction`) with one half-even rounding at the end of
each rule: a rate such as 18.5 % / 52 has no finite decimal, and rounding it first
(as a Decimal division would) can flip a half-way case the officer rounds the other
way. In degenerate schedules (a principal of a few minor units over many
instalments) an instalment never pays more principal than is still outstanding.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from app.money import Money

PERIODS_PER_YEAR = {"monthly": 12, "weekly": 52}
"""How many instalment periods a year has, per repayment frequency."""

METHODS = ("declining", "flat")
"""Interest methods: declining balance with equal instalments, or flat on the original principal."""


@dataclass(frozen=True)
class Instalment:
    """One scheduled repayment: amounts in minor units of the schedule's currency."""

    number: int
    due_date: date
    principal: int
    interest: int

    @property
    def total(self):
        return self.principal + self.interest


def build_schedule(*, principal_minor, currency, annual_rate, instalments, frequency, method, start,
                   in_multiples_of=1):
    """The schedule of a loan of `principal_minor` disbursed on `start`, by the rules above.

    Raises ValueError for a non-positive principal, fewer than one instalment, a
    negative rate, a unit below 1, or an unknown currency, frequency or method;
    TypeError for a float rate.
    """
    _check_inputs(principal_minor, currency, instalments, frequency, method, start)
    unit = _check_unit(in_multiples_of)
    rate = _annual_rate_fraction(annual_rate)
    periods = PERIODS_PER_YEAR[frequency]
    if method == "declining":
        amounts = _declining(principal_minor, rate / periods, instalments, unit)
    else:
        amounts = _flat(principal_minor, rate * instalments / periods, instalments, unit)
    return [
        Instalment(number, add_periods(start, number, frequency), principal, interest)
        for number, (principal, interest) in enumerate(amounts, start=1)
    ]


def total_interest(schedule):
    """The interest over the whole schedule, in minor units."""
    return sum(instalment.interest for instalment in schedule)


def total_repayable(schedule):
    """Principal plus interest over the whole schedule, in minor units."""
    return sum(instalment.total for instalment in schedule)


def add_periods(start, count, frequency):
    """The date `count` periods after `start`; months clamp to their last day, counted from `start`."""
    if frequency == "weekly":
        return start + timedelta(weeks=count)
    if frequency != "monthly":
        raise ValueError(f"unknown frequency {frequency!r}; expected one of {sorted(PERIODS_PER_YEAR)}")
    year, month_index = divmod(start.year * 12 + start.month - 1 + count, 12)
    month = month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def round_to_unit(value, unit):
    """`value` (minor units, any rational) rounded half-even to a multiple of `unit`."""
    return round(Fraction(value) / unit) * unit


def _declining(principal, periodic_rate, count, unit=1):
    """(principal, interest) pairs for equal instalments on the declining balance."""
    if periodic_rate == 0:
        instalment = round_to_unit(Fraction(principal, count), unit)
    else:
        growth = (1 + periodic_rate) ** count
        instalment = round_to_unit(principal * periodic_rate * growth / (growth - 1), unit)
    outstanding = principal
    amounts = []
    for number in range(1, count + 1):
        interest = round_to_unit(outstanding * periodic_rate, unit)
        paid = outstanding if number == count else min(instalment - interest, outstanding)
        amounts.append((paid, interest))
        outstanding -= paid
    return amounts


def _flat(principal, rate_over_term, count, unit=1):
    """(principal, interest) pairs: even splits rounded down (to the unit), remainders on the last."""
    interest_total = round_to_unit(principal * rate_over_term, unit)
    principal_part, principal_rest = _split_down(principal, count, unit)
    interest_part, interest_rest = _split_down(interest_total, count, unit)
    amounts = [(principal_part, interest_part)] * (count - 1)
    return amounts + [(principal_part + principal_rest, interest_part + interest_rest)]


def _split_down(amount, count, unit):
    """An even part of `amount` over `count`, rounded down to the unit, and what the last one adds."""
    part = amount // count // unit * unit
    return part, amount - part * count


def _check_unit(unit):
    if isinstance(unit, bool) or not isinstance(unit, int):
        raise TypeError(f"the rounding unit must be an integer of minor units, got {unit!r}")
    if unit < 1:
        raise ValueError(f"the rounding unit must be at least 1 minor unit, got {unit}")
    return unit


def _annual_rate_fraction(annual_rate):
    """The annual percentage as an exact fraction of one (12 -> 3/25); refuses floats."""
    if isinstance(annual_rate, float):
        raise TypeError("the rate must be a Decimal or str, never a float")
    if isinstance(annual_rate, bool) or not isinstance(annual_rate, Decimal | str | int):
        raise TypeError(f"the rate must be a Decimal or str, got {type(annual_rate).__name__}")
    try:
        rate = Decimal(annual_rate.strip() if isinstance(annual_rate, str) else annual_rate)
    except InvalidOperation as exc:
        raise ValueError(f"not a rate: {annual_rate!r}") from exc
    if not rate.is_finite():
        raise ValueError(f"the rate must be a finite number, got {annual_rate!r}")
    if rate < 0:
        raise ValueError(f"the rate cannot be negative, got {annual_rate!r}")
    return Fraction(rate) / 100


def _check_inputs(principal_minor, currency, instalments, frequency, method, start):
    if isinstance(principal_minor, bool) or not isinstance(principal_minor, int):
        raise TypeError(f"the principal must be an integer of minor units, got {principal_minor!r}")
    if principal_minor <= 0:
        raise ValueError(f"the principal must be positive, got {principal_minor}")
    Money(principal_minor, currency)  # refuses a malformed currency code
    if isinstance(instalments, bool) or not isinstance(instalments, int):
        raise TypeError(f"the number of instalments must be an integer, got {instalments!r}")
    if instalments < 1:
        raise ValueError(f"a schedule needs at least one instalment, got {instalments}")
    if frequency not in PERIODS_PER_YEAR:
        raise ValueError(f"unknown frequency {frequency!r}; expected one of {sorted(PERIODS_PER_YEAR)}")
    if method not in METHODS:
        raise ValueError(f"unknown interest method {method!r}; expected one of {list(METHODS)}")
    if isinstance(start, datetime) or not isinstance(start, date):
        raise TypeError(f"the start must be a date, got {start!r}")
