"""The one reader of what operators send: strict JSON, amounts into minor units, ids as text."""

import json

import pytest

from app.money import Money
from app.payments.providers.base import MalformedCallback, UnreadableCallback
from app.payments.providers.inbound import (
    MAX_DEPTH,
    currency_code,
    listing,
    major_amount,
    mapping,
    minor_amount,
    read_json,
    text,
)

# -- JSON ------------------------------------------------------------------------------


def test_ordinary_operator_json_is_read_as_is():
    body = '{"Body": {"stkCallback": {"ResultCode": 0, "CallbackMetadata": {"Item": [{"Name": "Amount", ' \
           '"Value": 1.0}, {"Name": "PhoneNumber", "Value": 254708374149}]}}}}'
    assert read_json(body.encode()) == json.loads(body)
    assert read_json('"\u00e9\u4e2d"') == "\u00e9\u4e2d"


@pytest.mark.parametrize("body", [
    '{"amount": NaN}', '{"amount": Infinity}', '{"amount": -Infinity}', '{"amount": 1e400}', '{"amount": -1e400}',
    '{"amount": ' + "9" * 5000 + "}", '{"amount": 1.' + "0" * 60 + "}",
    "[" * 10_000 + "]" * 10_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    '{"a": "x\\u0000y"}', '{"a\\u0000": 1}', '{"a": "\\ud800"}', '["\\udfff"]',
    '{"amount": "1", "amount": "2"}',
    "", "{", "{'a': 1}", b"\xff\xfe\x00", "[1,]",
])
def test_what_no_operator_sends_is_unreadable(body):
    with pytest.raises(UnreadableCallback):
        read_json(body)


def test_unreadable_is_malformed_too_so_existing_handlers_still_catch_it():
    assert issubclass(UnreadableCallback, MalformedCallback) and issubclass(UnreadableCallback, ValueError)


def test_nesting_up_to_the_limit_is_fine():
    assert read_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


# -- amounts in major units ------------------------------------------------------------


@pytest.mark.parametrize("value, currency, minor", [
    ("1500", "KES", 150_000), ("1500.5", "KES", 150_050), ("1500.50", "KES", 150_050), ("0.01", "KES", 1),
    (1500, "KES", 150_000), (1500.5, "KES", 150_050), (1.0, "KES", 100), (150.25, "KES", 15_025),
    ("5000", "UGX", 5_000), ("5000.00", "UGX", 5_000), (5000.0, "UGX", 5_000), ("0", "KES", 0),
    ("1500.500000", "KES", 150_050), ("999999999999999", "UGX", 999_999_999_999_999),
    ("0.1", "KWD", 100), ("2.345", "KWD", 2_345),
])
def test_plain_decimals_become_exact_minor_units(value, currency, minor):
    assert major_amount(value, currency) == Money(minor, currency)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_amount_is_none_never_zero(value):
    assert major_amount(value, "KES") is None
    assert major_amount(value, None) is None


@pytest.mark.parametrize("value, currency", [
    ("1.001", "KES"), (1.001, "KES"), ("5000.5", "UGX"), (5000.5, "UGX"), ("2.3456", "KWD"),
    ("abc", "KES"), ("NaN", "KES"), ("nan", "KES"), ("sNaN", "KES"), ("Infinity", "KES"), ("-Infinity", "KES"),
    ("inf", "KES"), (float("nan"), "KES"), (float("inf"), "KES"),
    ("1e3", "KES"), ("1E3", "KES"), ("1e999999999", "KES"), ("1500e-999999999", "KES"), (1e16, "KES"), (1e-7, "KES"),
    ("-1500", "KES"), ("+1500", "KES"), (-1500, "KES"), (-1.5, "KES"), ("1,500", "KES"), ("1 500", "KES"),
    ("1_500", "KES"), (" 1500", "KES"), ("1500 ", "KES"), ("1500.", "KES"), (".5", "KES"), ("0x5dc", "KES"),
    ("١٥٠٠", "KES"), ("１５００", "KES"), ("1500\n", "KES"), ("9" * 16, "KES"), (10**15, "KES"),
    ("1." + "0" * 7, "KES"), (True, "KES"), (False, "KES"), ([1500], "KES"), ({"value": "1500"}, "KES"),
    (("1500",), "KES"), ("1500", None),
])
def test_anything_else_is_unreadable_never_a_guess(value, currency):
    with pytest.raises(UnreadableCallback):
        major_amount(value, currency)


# -- amounts in minor units (the sandbox) ----------------------------------------------


@pytest.mark.parametrize("value, minor", [(15_000, 15_000), ("15000", 15_000), (0, 0)])
def test_minor_units_are_whole_numbers(value, minor):
    assert minor_amount(value, "KES") == Money(minor, "KES")


@pytest.mark.parametrize("value", [15_000.9, 15_000.0, True, "15000.0", "1.5e4", "-1", -1, [1], {"a": 1},
                                   "1" * 19, 10**18])
def test_minor_units_refuse_fractions_bools_and_nesting(value):
    with pytest.raises(UnreadableCallback):
        minor_amount(value, "KES")


def test_missing_minor_units_are_none():
    assert minor_amount(None, "KES") is None and minor_amount("", "KES") is None


# -- currencies, ids, nested parts -----------------------------------------------------


def test_currency_codes():
    assert currency_code("UGX") == "UGX" and currency_code(None) is None and currency_code("") is None
    for bad in ("ugx", "UGXX", "U$X", 840, ["UGX"], True):
        with pytest.raises(UnreadableCallback):
            currency_code(bad)


def test_ids_are_text_or_whole_numbers():
    assert text("NLJ7RT61SV", "receipt") == "NLJ7RT61SV"
    assert text(254708374149, "PhoneNumber") == "254708374149"
    assert text(None, "receipt") is None and text("", "receipt") is None
    assert text("x" * 100, "receipt") == "x" * 100
    for bad in (True, 1.5, ["a"], {"$ne": None}, "x" * 101):
        with pytest.raises(UnreadableCallback):
            text(bad, "receipt")


def test_nested_parts_must_have_their_shape():
    assert mapping(None, "m") == {} and mapping({"a": 1}, "m") == {"a": 1}
    assert listing(None, "l") == [] and listing([1], "l") == [1]
    for bad in ([], "x", 1):
        with pytest.raises(UnreadableCallback):
            mapping(bad, "m")
    for bad in ({}, "x", 1):
        with pytest.raises(UnreadableCallback):
            listing(bad, "l")
