"""GSM-7 / UCS-2 counting and typography cleanup."""

import pytest
from babel.numbers import format_currency, format_decimal

from channels.textfit import (
    GSM7,
    UCS2,
    SegmentCount,
    is_gsm7,
    segments,
    septets,
    to_gsm7,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentCount(GSM7, 0, 1)),
        ("a" * 160, SegmentCount(GSM7, 160, 1)),
        ("a" * 161, SegmentCount(GSM7, 161, 2)),
        ("a" * 306, SegmentCount(GSM7, 306, 2)),
        ("a" * 307, SegmentCount(GSM7, 307, 3)),
        ("€" * 80, SegmentCount(GSM7, 160, 1)),
        ("{" * 81, SegmentCount(GSM7, 162, 2)),
        ("é" * 160, SegmentCount(GSM7, 160, 1)),
        ("ç" * 70, SegmentCount(UCS2, 70, 1)),
        ("ç" * 71, SegmentCount(UCS2, 71, 2)),
        ("ç" * 134, SegmentCount(UCS2, 134, 2)),
        ("ç" * 135, SegmentCount(UCS2, 135, 3)),
        ("😀" * 35, SegmentCount(UCS2, 70, 1)),
        ("😀" * 36, SegmentCount(UCS2, 72, 2)),
    ],
)
def test_segments_count_like_the_network(text, expected):
    assert segments(text) == expected


def test_one_non_gsm_character_makes_the_whole_message_ucs2():
    assert segments("a" * 69 + "’") == SegmentCount(UCS2, 70, 1)
    assert segments("a" * 70 + "’").parts == 2


def test_extension_character_never_straddles_two_parts():
    # 152 plain septets then "€" (2): 154 septets do not fit 153, so the escape moves to part two.
    text = "a" * 152 + "€" + "a" * 10
    assert segments(text) == SegmentCount(GSM7, 164, 2)
    assert segments("a" * 152 + "€" + "a" * 152).parts == 3


def test_emoji_surrogate_pair_never_straddles_two_parts():
    assert segments("a" * 66 + "😀" + "a" * 66).parts == 3


def test_is_gsm7_and_septets():
    assert is_gsm7("Salio: KES 1,500 @ 10% {ok} é ñ ü Δ")
    assert not is_gsm7("ça")
    assert not is_gsm7("1\u202f500")
    assert septets("[x]€") == 7
    with pytest.raises(ValueError):
        septets("😀")


def test_to_gsm7_cleans_babel_number_formats():
    french = format_currency(1500, "KES", locale="fr")
    swahili = format_currency(1500, "KES", locale="sw")
    assert "\u202f" in french and "\xa0" in french and "\xa0" in swahili
    assert to_gsm7(french) == "1 500,00 KES"
    assert to_gsm7(swahili) == "Ksh 1,500.00"
    assert to_gsm7(format_decimal(1500, locale="fr")) == "1 500"
    assert is_gsm7(to_gsm7(french))


def test_to_gsm7_replaces_typography_and_accents_it_can():
    assert to_gsm7("“Karibu” – it’s done…") == '"Karibu" - it\'s done...'
    assert to_gsm7("Façade São Tomé") == "Facade Sao Tomé"  # é is GSM-7 and stays
    assert to_gsm7("cafe\u0301") == "café"  # decomposed é is recomposed, not stripped
    assert to_gsm7("soft\u00adhyphen\u200b") == "softhyphen"


def test_to_gsm7_leaves_what_has_no_equivalent():
    assert to_gsm7("Asante 🙏") == "Asante 🙏"
    assert to_gsm7("日本") == "日本"
