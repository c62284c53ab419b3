"""Loan products: created by an operator (`flask loans products create`) or the demo seed.

A product's terms are validated here once, so a loan can trust them. Fees and
penalties are flat (minor units) or a percentage, rounded half-even to the product's
unit (`in_multiples_of_minor`), the same rounding as the schedule: for KES that is
whole shillings (app/operator_units.py), so a 1 % fee on KES 1,550 is KES 16 and the
payout KES 1,534, an amount M-Pesa can carry.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sqlalchemy import select

from app.loans.models import LoanProduct
from app.loans.schedule import METHODS, PERIODS_PER_YEAR, round_to_unit
from app.money import Money
from app.operator_units import OperatorUnits


class ProductError(ValueError):
    """A product definition that cannot be used (an operator's typo)."""


def percent_of(minor, percent, unit=1):
    """`percent` % of `minor` minor units, rounded half-even (to a multiple of `unit` minor units)."""
    if unit == 1:
        return int((Decimal(minor) * Decimal(percent) / 100).quantize(Decimal(1), ROUND_HALF_EVEN))
    return int(round_to_unit(Decimal(minor) * Decimal(percent) / 100, unit))


def fee_for(product, principal):
    """The processing fee of a loan of `principal` minor units, in the product's unit."""
    unit = product.in_multiples_of_minor or 1
    if product.fee_type == "flat":
        return int(round_to_unit(int(product.fee_value), unit))
    return percent_of(principal, product.fee_value, unit)


def penalty_for(product_or_loan_product, overdue, unit=None):
    """The one-off late penalty on an instalment with `overdue` minor units unpaid, in `unit` (the
    loan's; by default the product's) so a penalty never adds a fraction mobile money cannot pay."""
    product = product_or_loan_product
    unit = unit or product.in_multiples_of_minor or 1
    if product.penalty_type == "flat":
        return int(round_to_unit(int(product.penalty_value), unit))
    return percent_of(overdue, product.penalty_value, unit)


def _decimal(value, name):
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProductError(f"{name}: not a number: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ProductError(f"{name}: must be zero or more, got {value!r}")
    return number


def create_product(session, *, code, name, currency, min_amount, max_amount, terms, frequency="monthly",
                   interest_method="declining", annual_rate="12", fee_type="percent", fee_value="0",
                   fee_timing="deducted", penalty_type="percent", penalty_value="0", grace_days=0,
                   savings_multiplier="3", min_membership_days=0, guarantor_rule="above_limit",
                   approval="auto", auto_approve_max=0, group_id=None, in_multiples_of_minor=None,
                   operator_units=None):
    """Create a product; amounts are Money (or minor ints), rates/percentages str or Decimal.

    `in_multiples_of_minor` is the rounding unit of its schedules, fees and penalties;
    by default what the currency's operators can carry (`operator_units`, else the
    built-in table). Raises ProductError for an inconsistent definition (a flat fee or
    penalty that is not a multiple of the unit included) or a code already in use.
    """
    min_minor = min_amount.minor if isinstance(min_amount, Money) else int(min_amount)
    max_minor = max_amount.minor if isinstance(max_amount, Money) else int(max_amount)
    auto_minor = auto_approve_max.minor if isinstance(auto_approve_max, Money) else int(auto_approve_max)
    terms = sorted({int(term) for term in terms})
    if not terms or terms[0] < 1:
        raise ProductError("terms: at least one positive number of instalments")
    if not 0 < min_minor <= max_minor:
        raise ProductError("amounts: need 0 < min <= max")
    if frequency not in PERIODS_PER_YEAR or interest_method not in METHODS:
        raise ProductError(f"frequency {frequency!r} / method {interest_method!r} unknown")
    checks = {"fee_type": (fee_type, ("flat", "percent")), "penalty_type": (penalty_type, ("flat", "percent")),
              "fee_timing": (fee_timing, ("deducted", "first_instalment")),
              "guarantor_rule": (guarantor_rule, ("none", "above_limit")),
              "approval": (approval, ("auto", "officer", "group"))}
    for field, (value, allowed) in checks.items():
        if value not in allowed:
            raise ProductError(f"{field}: {value!r} not one of {allowed}")
    if approval == "group" and group_id is None:
        raise ProductError("a group-approved product needs a group")
    unit = _unit(in_multiples_of_minor, currency, operator_units)
    for field, kind, value in (("fee_value", fee_type, fee_value), ("penalty_value", penalty_type, penalty_value)):
        if kind == "flat" and _decimal(value, field) % unit:
            raise ProductError(f"{field}: a flat {value} is not a multiple of the rounding unit {unit}")
    if session.scalar(select(LoanProduct.id).where(LoanProduct.code == code.upper())):
        raise ProductError(f"a product with code {code.upper()} exists")
    Money(min_minor, currency)
    product = LoanProduct(
        code=code.upper(), name=name, currency=currency, min_amount_minor=min_minor, max_amount_minor=max_minor,
        terms=terms,
        frequency=frequency, interest_method=interest_method, annual_rate=_decimal(annual_rate, "annual_rate"),
        fee_type=fee_type, fee_value=_decimal(fee_value, "fee_value"), fee_timing=fee_timing,
        penalty_type=penalty_type, penalty_value=_decimal(penalty_value, "penalty_value"),
        grace_days=int(grace_days), savings_multiplier=_decimal(savings_multiplier, "savings_multiplier"),
        min_membership_days=int(min_membership_days), guarantor_rule=guarantor_rule, approval=approval,
        auto_approve_max_minor=auto_minor, group_id=group_id, active=True, in_multiples_of_minor=unit)
    session.add(product)
    session.flush()
    return product


def _unit(in_multiples_of_minor, currency, operator_units):
    """The product's rounding unit: the one given, else what the currency's operators carry."""
    if in_multiples_of_minor is None:
        return (operator_units or OperatorUnits()).of(currency)
    unit = int(in_multiples_of_minor)
    if unit < 1:
        raise ProductError(f"in_multiples_of_minor: at least 1, got {in_multiples_of_minor!r}")
    return unit


def products_for(session, currency, group_ids=()):
    """Active products a member in `currency` may choose: the general ones and their groups' own."""
    query = select(LoanProduct).where(LoanProduct.active, LoanProduct.currency == currency)
    products = session.scalars(query.order_by(LoanProduct.id)).all()
    return [product for product in products if product.group_id is None or product.group_id in group_ids]


def by_code(session, code):
    """The product with this code, or None."""
    return session.scalar(select(LoanProduct).where(LoanProduct.code == code.upper()))


DEMO_PRODUCTS = [
    dict(code="CHAPCHAP", name="Chap Chap", currency="KES", min_amount=50000, max_amount=2000000,
         terms=[4, 8], frequency="weekly", interest_method="flat", annual_rate="24", fee_type="flat",
         fee_value="5000", fee_timing="deducted", penalty_type="flat", penalty_value="10000", grace_days=2,
         savings_multiplier="2", approval="auto", auto_approve_max=2000000),
    dict(code="BIASHARA", name="Biashara", currency="KES", min_amount=100000, max_amount=20000000,
         terms=[3, 6, 12], frequency="monthly", interest_method="declining", annual_rate="18", fee_type="percent",
         fee_value="1", fee_timing="deducted", penalty_type="percent", penalty_value="5", grace_days=3,
         savings_multiplier="3", min_membership_days=0, approval="auto", auto_approve_max=5000000),
    dict(code="AKIBA-UG", name="Akiba", currency="UGX", min_amount=20000, max_amount=5000000, terms=[3, 6],
         frequency="monthly", interest_method="declining", annual_rate="20", fee_type="percent", fee_value="2",
         fee_timing="first_instalment", penalty_type="percent", penalty_value="5", grace_days=3,
         savings_multiplier="3", approval="officer"),
]
"""Products for `make run`: a weekly flat quick loan and a monthly business loan in KES, one in UGX."""


def seed_demo_products(services):
    """Create the demo products that do not exist yet (idempotent); returns them all."""
    products = []
    for definition in DEMO_PRODUCTS:
        product = by_code(services.session, definition["code"])
        products.append(product or create_product(services.session, operator_units=services.operator_units,
                                                  **definition))
    return products
