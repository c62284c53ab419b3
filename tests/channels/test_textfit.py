"""GSM-7 / UCS-2 counting, typography cleanup, splitting and USSD fitting."""

import pytest
from babel.numbers import format_currency, format_decimal

from channels.textfit import (
    GSM7,
    UCS2,
    SegmentCount,
    fit_screen,
    is_gsm7,
    segments,
    septets,
    split_message,
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


def test_split_short_text_is_one_part():
    assert split_message("Salio lako ni KES 1,500.") == ["Salio lako ni KES 1,500."]
    assert split_message("a" * 160) == ["a" * 160]
    assert split_message("   ") == []


def test_split_at_word_boundaries_within_the_per_part_limit():
    words = [f"word{i:03d}" for i in range(60)]
    text = " ".join(words)
    parts = split_message(text)
    assert len(parts) > 1
    assert all(septets(part) <= 153 for part in parts)
    assert " ".join(parts).split() == words  # no word was cut or lost
    assert all(part == part.strip() for part in parts)


def test_split_counts_extension_characters_and_keeps_escapes_whole():
    text = " ".join(["€€€€"] * 50)  # 8 septets per word
    parts = split_message(text)
    assert all(septets(part) <= 153 for part in parts)
    assert all(set(part) <= {"€", " "} for part in parts)
    assert "".join(parts).replace(" ", "") == "€" * 200


def test_split_ucs2_uses_67_units_and_keeps_emoji_whole():
    text = " ".join(["ndiyo😀"] * 40)
    parts = split_message(text)
    assert all(len(part.encode("utf-16-le")) // 2 <= 67 for part in parts)
    assert " ".join(parts).split() == text.split()


def test_split_cuts_a_word_longer_than_a_part():
    parts = split_message("x" * 400)
    assert parts == ["x" * 153, "x" * 153, "x" * 94]


def test_split_with_max_parts_ends_in_ellipsis():
    text = " ".join(f"word{i:03d}" for i in range(100))
    parts = split_message(text, max_parts=2)
    assert len(parts) == 2
    assert parts[1].endswith("...")
    assert all(septets(part) <= 153 for part in parts)


def test_fit_screen_leaves_short_text():
    assert fit_screen("CON Karibu\n1. Salio", 160) == "CON Karibu\n1. Salio"


def test_fit_screen_cuts_at_a_word_boundary():
    assert fit_screen("one two three four", 12) == "one two..."
    assert len(fit_screen("word " * 50, 160)) <= 160


def test_fit_screen_counts_septets_for_gsm7():
    text = "{}" * 50  # 100 characters, 200 septets
    fitted = fit_screen(text, 160)
    assert septets(fitted) <= 160
    assert fitted.endswith("...")


def test_fit_screen_counts_characters_for_ucs2():
    text = "ç" * 100
    assert fit_screen(text, 160) == text
    assert fit_screen(text, 50) == "ç" * 47 + "..."
