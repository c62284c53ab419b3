"""Typed lists of phone numbers (issue 16: keypad-friendly): `*` and `#` separate, as spaces and commas do."""

import pytest

from app.phones import InvalidPhone, split_phones

TWO = ["+254722000111", "+254733123456"]


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
