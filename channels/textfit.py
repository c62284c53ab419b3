"""Fit text to SMS and USSD: GSM-7 or UCS-2, and how many parts the network bills.

An SMS is billed per part, and one character outside the GSM-7 alphabet (a curly
quote, Babel's non-breaking spaces, an emoji) silently turns the whole message into
UCS-2: 70 characters instead of 160. So the channels count with the same rules the
network uses and clean typography before sending. Whether a text is GSM-7, and its
width in septets, comes from the `gsm0338` codec (extension characters such as
`€ { } [ ]` count two); only the counting of parts is ours, because an escape or a
surrogate pair never straddles two parts. (USSD screens are fitted by menus/render.py
with the USSD channel's `measure` and `to_gsm7`.)
"""

import re
import unicodedata
from typing import NamedTuple

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from app.typography import TYPOGRAPHIC_SPACES

GSM7 = "GSM-7"
UCS2 = "UCS-2"

LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
"""Units in a single-part message, and per part once a message is split (the rest is the concatenation header)."""

# Typography that GSM-7 lacks but has a plain equivalent for; "" drops invisible characters.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00d7": "x", "\u2044": "/",
    **TYPOGRAPHIC_SPACES, "\t": " ",
    "\u200b": "", "\u200e": "", "\u200f": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
}  # fmt: skip


class SegmentCount(NamedTuple):
    """How a text travels: its encoding, its width in that encoding's units, and the parts billed."""

    encoding: str
    units: int
    parts: int


_ASCII_OUTSIDE_GSM7 = frozenset("`") | frozenset(chr(c) for c in range(32) if chr(c) not in "\n\r")
_EXTENSION = frozenset("^{}\\[~]|\x0c")
# As character classes: a screen is checked and measured a dozen times a hop, and a regex scan
# is a few times faster than a Python loop or a set built from the text.
_ASCII_OUTSIDE_GSM7_CLASS = re.compile("[" + re.escape("".join(sorted(_ASCII_OUTSIDE_GSM7))) + "]")
_EXTENSION_CLASS = re.compile("[" + re.escape("".join(sorted(_EXTENSION))) + "]")


def _plain_ascii(text):
    """ASCII with no character outside GSM-7: the common case, decided without the codec."""
    return text.isascii() and _ASCII_OUTSIDE_GSM7_CLASS.search(text) is None


def is_gsm7(text):
    """True when every character is in the GSM-7 basic alphabet or its extension table."""
    if _plain_ascii(text):
        return True
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


def septets(text):
    """Width of a GSM-7 text in septets (extension characters count two).

    Raises `UnicodeEncodeError` (a `ValueError`) for text that is not GSM-7, which
    has no septet width at all.
    """
    if _plain_ascii(text):
        return len(text) + len(_EXTENSION_CLASS.findall(text))
    return len(text.encode("gsm03.38"))


def _gsm7_width(char):
    return len(char.encode("gsm03.38"))


def _ucs2_width(char):
    # UCS-2 on the air is UTF-16: characters beyond the BMP (emoji) take a surrogate pair.
    return 2 if ord(char) > 0xFFFF else 1


def _width_function(text):
    return (GSM7, _gsm7_width) if is_gsm7(text) else (UCS2, _ucs2_width)


def _width(text, width):
    return sum(width(char) for char in text)


def segments(text):
    """Count a text the way the network bills it.

    Parts are packed character by character rather than divided out, because an
    extension character's two septets (and an emoji's surrogate pair) never straddle
    two parts: a text can need one part more than `units / 153` suggests. An empty
    text is still one message.
    """
    encoding, width = _width_function(text)
    single, per_part = LIMITS[encoding]
    units = _width(text, width)
    if units <= single:
        return SegmentCount(encoding, units, 1)
    parts, used = 1, 0
    for char in text:
        size = width(char)
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return SegmentCount(encoding, units, parts)


def _to_gsm7_char(char):
    if is_gsm7(char):
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare and is_gsm7(bare) else char


def to_gsm7(text):
    """Replace characters GSM-7 lacks with plain equivalents, so one stray character does not make
    the whole message UCS-2 (and cost up to three times as much).

    Curly quotes become straight, dashes hyphens, the ellipsis three dots, Babel's
    `\\xa0`/`\\u202f` plain spaces, and accented letters GSM-7 lacks (`ç`, `ã`) lose
    their accent; those it has (`é`, `ñ`, `ü`) are kept. Text is NFC-normalized first
    so a decomposed `é` stays `é`. Anything without an equivalent (emoji, most
    non-Latin scripts) is left as is: the caller then pays for UCS-2 knowingly.
    """
    if _plain_ascii(text):
        return text
    return "".join(_to_gsm7_char(char) for char in unicodedata.normalize("NFC", text))
