"""What an operator sends us, read strictly and in one place: JSON bodies, amounts, ids.

A callback is money: whoever holds the callback URL can post anything, and an operator
can have a bad day. So nothing an operator sends is coerced into meaning. A value is
either **missing** (absent, `null`, blank text: the caller decides what that means, and
a success without an amount is never a match) or **readable** (exactly one meaning), or
the whole body is **unreadable** and `UnreadableCallback` says why: the endpoint then
answers 400, posts nothing and leaves the payment as it was; the operator's status
query settles it later. Never a 503 (an operator retries that forever) or a 500.

- `read_json` accepts RFC 8259 JSON only: no `NaN`/`Infinity`, no number that overflows
  a float or runs past MAX_NUMBER_CHARS, no nesting deeper than MAX_DEPTH (Python's
  own parser would raise RecursionError at about 1,000 levels), no key given twice (two
  readers could take different ones), no NUL or lone surrogate in a string (PostgreSQL's
  jsonb refuses both, which would turn every retry into an error).
- `major_amount`/`minor_amount` read an amount into integer minor units of the currency:
  plain ASCII digits with at most one `.`, no sign, exponent, grouping, bool or nesting,
  at most MAX_WHOLE_DIGITS whole digits, and no fraction the currency cannot hold
  (`"1.001"` KES, `"5000.5"` UGX); trailing zeros are fine (`"5000.00"` UGX is 5,000).
  A JSON float is read through its shortest repr, which is exact for every amount within
  these bounds (15 significant digits).
- `text` reads an id or receipt; `mapping` and `listing` a nested part of the body.
"""

import json
import math
import re

from app.money import Money, minor_digits
from app.payments.providers.base import UnreadableCallback

MAX_DEPTH = 16
"""Nesting no operator needs (Daraja's deepest is 5: Body.stkCallback.CallbackMetadata.Item[])."""

MAX_NUMBER_CHARS = 40
"""Characters of one JSON number; longer is not an operator's number (Python refuses 4,300-digit ints itself)."""

MAX_WHOLE_DIGITS = 15
"""Whole digits of an amount: beyond every operator's limit, and minor units stay far inside a bigint."""

MAX_FRACTION_DIGITS = 6
"""Fraction digits an amount may spell, trailing zeros included (`"500.000000"`)."""

MAX_TEXT = 100
"""Characters of an id or receipt (the columns that keep them are String(100))."""

DECIMAL = re.compile(rf"([0-9]{{1,{MAX_WHOLE_DIGITS}}})(?:\.([0-9]{{1,{MAX_FRACTION_DIGITS}}}))?", re.ASCII)
MINOR = re.compile(rf"[0-9]{{1,{MAX_WHOLE_DIGITS + 3}}}", re.ASCII)
CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _bounded_float(literal):
    if len(literal) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal[:20]} overflows")
    return value


def _bounded_int(literal):
    if len(literal) > MAX_NUMBER_CHARS:
        raise ValueError("number too long")
    return int(literal)


def _object(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice")
    return result


def _check_string(string):
    if "\x00" in string:
        raise UnreadableCallback("NUL character in a string")
    try:
        string.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnreadableCallback("lone surrogate in a string") from exc


def _check_tree(value):
    """Walk without recursion: depth, and every key and string PostgreSQL must be able to store."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_string(node)
        elif isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise UnreadableCallback(f"JSON nested deeper than {MAX_DEPTH}")
            if isinstance(node, dict):
                for key in node:
                    _check_string(key)
                stack.extend((child, depth + 1) for child in node.values())
            else:
                stack.extend((child, depth + 1) for child in node)


def read_json(data):
    """Parse a body (bytes or str) as strict JSON; raise UnreadableCallback for anything else."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_float=_bounded_float,
                           parse_int=_bounded_int, object_pairs_hook=_object)
    except RecursionError as exc:
        raise UnreadableCallback("JSON nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UnreadableCallback(f"not JSON: {str(exc)[:100]}") from exc
    _check_tree(value)
    return value


def _missing(value):
    return value is None or (isinstance(value, str) and not value.strip())


def currency_code(value, name="currency"):
    """An ISO 4217 code, or None when missing; UnreadableCallback for anything else."""
    if _missing(value):
        return None
    if isinstance(value, str) and CURRENCY.fullmatch(value):
        return value
    raise UnreadableCallback(f"{name} is not a currency code")


def major_amount(value, currency, name="amount"):
    """Money from an amount in major units (`"1500"`, `"1500.50"`, `1500`, `1500.5`); None when missing.

    UnreadableCallback for everything that is not one plain decimal the currency can hold.
    `currency` missing (None) while the amount is given makes the amount unreadable.
    """
    if _missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnreadableCallback(f"{name} is a {type(value).__name__}, not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnreadableCallback(f"{name} is not finite")
        value = repr(value)
    spelled = str(value)
    match = DECIMAL.fullmatch(spelled)
    if match is None:
        raise UnreadableCallback(f"{name} {spelled[:20]!r} is not a plain decimal")
    if currency is None:
        raise UnreadableCallback(f"{name} without a currency")
    whole, fraction = match.group(1), match.group(2) or ""
    digits = minor_digits(currency)
    if fraction[digits:].strip("0"):
        raise UnreadableCallback(f"{name} {spelled!r} has more decimals than {currency} allows")
    return Money(int(whole + fraction[:digits].ljust(digits, "0")), currency)


def minor_amount(value, currency, name="amount_minor"):
    """Money from whole minor units (`15000`, `"15000"`); None when missing; UnreadableCallback otherwise."""
    if _missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnreadableCallback(f"{name} is a {type(value).__name__}, not whole minor units")
    spelled = str(value)
    if MINOR.fullmatch(spelled) is None:
        raise UnreadableCallback(f"{name} {spelled[:20]!r} is not whole minor units")
    if currency is None:
        raise UnreadableCallback(f"{name} without a currency")
    return Money(int(spelled), currency)


def text(value, name, *, max_length=MAX_TEXT):
    """An id, receipt or code as text (numbers are spelled out); None when missing.

    UnreadableCallback for a bool, float, list or object, or text longer than `max_length`.
    """
    if _missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnreadableCallback(f"{name} is a {type(value).__name__}, not text")
    spelled = str(value)
    if len(spelled) > max_length:
        raise UnreadableCallback(f"{name} is longer than {max_length} characters")
    return spelled


def mapping(value, name):
    """A nested object, {} when missing; UnreadableCallback when it is anything else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnreadableCallback(f"{name} is a {type(value).__name__}, not an object")
    return value


def listing(value, name):
    """A nested list, [] when missing; UnreadableCallback when it is anything else."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableCallback(f"{name} is a {type(value).__name__}, not a list")
    return value
