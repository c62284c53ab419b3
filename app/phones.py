"""Phone numbers: parsed with `phonenumbers`, stored and compared in E.164.

Every USSD hop normalises its caller's number, and a session's hops carry the same
one: parsing costs about 30 us, so the last PARSED_CACHE results are kept (a pure
function of the text and region, invalid ones included).
"""

import re
from functools import lru_cache

import phonenumbers

PARSED_CACHE = 4096
"""Numbers whose E.164 form is kept per process (a few hundred kilobytes at most)."""

COUNTRY_CURRENCY = {"KE": "KES", "UG": "UGX", "TZ": "TZS", "RW": "RWF", "GH": "GHS", "ZM": "ZMW"}
"""The currency a member banks in, by the country of their phone number."""


class InvalidPhone(ValueError):
    """The text is not a valid mobile number."""


def normalize_phone(raw, default_region="KE"):
    """Return `raw` as E.164 (`+254712345678`), or raise InvalidPhone.

    Accepts local forms (`0712 345 678`), international ones (`+254…`, `254…`) and
    the `whatsapp:` prefix Twilio adds.
    """
    text = (raw or "").strip().removeprefix("whatsapp:")
    if not text or len(text) > 20:
        raise InvalidPhone(raw)
    if text[0].isdigit() and not text.startswith("0") and len(text) > 10:
        text = "+" + text
    e164 = _e164(text, default_region)
    if e164 is None:
        raise InvalidPhone(raw)
    return e164


@lru_cache(maxsize=PARSED_CACHE)
def _e164(text, default_region):
    """E.164 of a valid number, else None (not an exception: lru_cache keeps a None, so a bad number costs once)."""
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


LIST_SEPARATORS = re.compile(r"[*#,;\s]+")
"""What may separate numbers in a typed list: the keypad's `*` and `#` (a feature phone has no comma),
spaces, commas and semicolons (WhatsApp and SMS)."""


def split_phones(raw, default_region="KE"):
    """Phone numbers typed one after another -> E.164 numbers, in order; raises InvalidPhone(the part at fault).

    "0722000111*0733123456", "0722000111#0733123456", "0722 000 111, 0733 123456" all give two numbers.
    People type spaces inside numbers too, so parts are joined until they make a valid number that the
    next part would not extend.
    """
    def valid(text):
        try:
            return normalize_phone(text, default_region)
        except InvalidPhone:
            return None

    parts = [part for part in LIST_SEPARATORS.split(raw or "") if part]
    phones, current = [], ""
    for index, part in enumerate(parts):
        current += part
        following = parts[index + 1] if index + 1 < len(parts) else None
        if valid(current) and (following is None or not valid(current + following)):
            phones.append(valid(current))
            current = ""
    if current:
        raise InvalidPhone(current)
    return phones


def country_of(phone):
    """The ISO country code of an E.164 number (`KE`), or None."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None


def currency_for(phone, default="KES"):
    """The currency of the country the number belongs to."""
    return COUNTRY_CURRENCY.get(country_of(phone), default)


def masked(phone):
    """A number shown to another member: `+2547****5678`."""
    return phone[:5] + "****" + phone[-4:] if len(phone) > 9 else phone
