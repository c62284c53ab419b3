"""OPERATOR_MINOR_UNITS and the parser's whole-unit rule (app/operator_units.py, app/money.parse_amount)."""

import pytest

from app.amount_mistakes import amount_mistake
from app.money import AmountError, Money, parse_amount
from app.operator_units import OperatorUnits, parse_operator_units


def test_the_operator_units_setting():
    assert parse_operator_units("KES=100, ugx=1,,TZS=100") == {"KES": 100, "UGX": 1, "TZS": 100}
    for bad in ("KES", "KES=0", "KES=abc", "KENYA=100"):
        with pytest.raises(ValueError):
            parse_operator_units(bad)
    assert OperatorUnits().of("KES") == 100 and OperatorUnits().of("UGX") == 1 and OperatorUnits().of("GHS") == 1
    assert OperatorUnits({"GHS": 10}).of("GHS") == 10


@pytest.mark.parametrize("typed", ["1500.50", "1,500.01", "1500,5", "0.99"])
def test_cents_are_refused_where_the_unit_is_whole_shillings(typed):
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, "KES", multiple_of=100)
    assert refused.value.reason == "not_whole_units"
    assert amount_mistake("not_whole_units").render("en").startswith("Mobile money takes whole amounts only.")


def test_whole_amounts_pass_and_the_default_keeps_cents():
    assert parse_amount("1,500.00", "KES", multiple_of=100) == Money(150_000, "KES")
    assert parse_amount("1500.50", "KES") == Money(150_050, "KES")  # no unit given: the currency's minor unit
    assert parse_amount("5000", "UGX", multiple_of=1) == Money(5000, "UGX")
    with pytest.raises(AmountError) as refused:
        parse_amount("1500.505", "KES", multiple_of=100)
    assert refused.value.reason == "too_many_decimals"  # the older, more precise reason comes first


def test_the_app_reads_the_setting(app):
    assert app.extensions["settings"].OPERATOR_MINOR_UNITS == {"KES": 100, "UGX": 1, "TZS": 100, "RWF": 1}
