"""The annual percentage rate of a loan, fees included: one pure rule, checked by hand in its tests.

The APR is the rate that makes what the member receives equal to the present value of
the instalments they pay: the internal rate of return r per period of

    received = sum(instalment_k / (1 + r) ** k  for k = 1..n)

annualised as the nominal rate r x periods per year (12 monthly, 52 weekly), the way
Kenya's cost-of-credit disclosures and US Regulation Z state an APR. Periods are whole
instalment periods, as in app/loans/schedule.py (no day counting). Because `received`
is net of the fees deducted and the instalments carry any fee added to them, every fee
is in the rate. A fee makes the APR higher than the product's nominal rate; with no fee
a declining-balance loan's APR is its nominal rate (up to the rounding of instalments).

Solved by bisection in Decimal arithmetic (the present value falls as the rate rises, so
the root is unique and bisection cannot miss it); never floats, so the same inputs give
the same digits on every machine.
"""

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

PRECISION = 40
"""Decimal digits carried while solving: far beyond the 0.1 % shown."""
SHOWN = Decimal("0.1")
"""The APR is stated to one decimal place of a percent."""
TOLERANCE = Decimal("1e-15")
"""Bisection stops when the periodic-rate interval is this narrow."""


def annual_percentage_rate(received_minor, instalments_minor, periods_per_year):
    """The APR in percent (Decimal, one decimal place) of receiving `received_minor` now and paying
    `instalments_minor` (minor units, one per period, first one period from now).

    Raises ValueError when nothing is received, there are no instalments, or an instalment is negative.
    """
    instalments = [int(amount) for amount in instalments_minor]
    if int(received_minor) <= 0 or not instalments or any(amount < 0 for amount in instalments):
        raise ValueError("an APR needs money received and instalments of zero or more")
    with localcontext() as context:
        context.prec = PRECISION
        rate = _periodic_rate(Decimal(int(received_minor)), [Decimal(amount) for amount in instalments])
        percent = rate * periods_per_year * 100
    return percent.quantize(SHOWN, ROUND_HALF_EVEN)


def present_value(instalments, rate):
    """What `instalments` (Decimal, one per period) are worth now at the periodic `rate`."""
    factor, value = Decimal(1) / (1 + rate), Decimal(0)
    discount = Decimal(1)
    for amount in instalments:
        discount *= factor
        value += amount * discount
    return value


def _periodic_rate(received, instalments):
    low, high = Decimal("-0.99"), Decimal(1)
    while present_value(instalments, high) > received:  # a costly short loan: widen until the root is inside
        low, high = high, high * 2
    while high - low > TOLERANCE:
        middle = (low + high) / 2
        if present_value(instalments, middle) > received:
            low = middle
        else:
            high = middle
    return (low + high) / 2
