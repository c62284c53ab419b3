"""app/phones.py: numbers in E.164, parsed once per distinct text (every USSD hop normalises its caller)."""

import pytest

from app.phones import InvalidPhone, _e164, normalize_phone


@pytest.mark.parametrize("raw", ["0712 345 678", "+254712345678", "254712345678", "whatsapp:+254712345678"])
def test_local_and_international_forms_are_one_number(raw):
    assert normalize_phone(raw) == "+254712345678"


@pytest.mark.parametrize("raw", ["", "12", "0712", "not a phone", "+2547123456789012345678"])
def test_an_invalid_number_is_refused_every_time(raw):
    for _ in range(2):  # the second time from the cache: still refused
        with pytest.raises(InvalidPhone):
            normalize_phone(raw)


def test_a_number_seen_again_is_not_parsed_again():
    normalize_phone("+254799000111")
    hits = _e164.cache_info().hits
    assert normalize_phone("+254799000111") == "+254799000111"
    assert _e164.cache_info().hits == hits + 1
