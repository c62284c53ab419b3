"""app/phones.py: numbers in E.164, parsed once per distinct text (every USSD hop normalises its caller),
and typed lists of numbers (issue 16: keypad-friendly): `*` and `#` separate, as spaces and commas do."""

import pytest

from app.phones import InvalidPhone, _e164, normalize_phone, split_phones

TWO = ["+254722000111", "+254733123456"]


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


@pytest.mark.parametrize("typed", ["0722000111*0733123456", "0722000111#0733123456", "0722000111 0733123456",
                                   "0722000111,0733123456", "0722000111, 0733123456", "*0722000111**0733123456#",
                                   "0722 000 111 * 0733 123 456"])
def test_keypad_separators_split_a_list_of_numbers(typed):
    assert split_phones(typed, "KE") == TWO


def test_spaces_inside_numbers_still_join_and_a_broken_number_is_named():
    assert split_phones("0722 000 111 0733 123456", "KE") == TWO
    with pytest.raises(InvalidPhone) as error:
        split_phones("0722000111*0733 12", "KE")
    assert str(error.value) == "073312"
