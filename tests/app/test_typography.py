"""The one table of typographic spaces, shared by money and date formatting and the channels' GSM-7 cleanup."""

from app.typography import TYPOGRAPHIC_SPACES, plain_spaces
from channels.textfit import is_gsm7, to_gsm7


def test_every_typographic_space_becomes_a_plain_one():
    text = "KES" + "".join(TYPOGRAPHIC_SPACES) + "1"
    assert plain_spaces(text) == "KES" + " " * len(TYPOGRAPHIC_SPACES) + "1"
    assert to_gsm7(text) == plain_spaces(text)
    assert is_gsm7(plain_spaces(text))
