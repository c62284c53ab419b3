"""Which mobile network a number is on, so its money goes through that network's own wallet.

A country has several wallets (Kenya: M-Pesa on Safaricom, Airtel Money on Airtel), and
a push to the wrong one never reaches the member: a Kenyan Airtel number must not get
an M-Pesa prompt. The network is read from PAYMENT_NETWORK_PREFIXES first (a
deployment's corrections, "KE:airtel=73,750,78;KE:safaricom=70,71", the longest
matching prefix of the national number wins), then from `phonenumbers`' carrier data
(the operator the number range was allocated to). Names are lower-case letters and
digits (`safaricom`, `airtel`, `mtn`, `telkom`). A ported number keeps its original
range, so only configuration can correct it; None means the network is unknown.
"""

import phonenumbers
from phonenumbers import carrier


def network_name(text):
    """`"Airtel"` -> `"airtel"`, `"MTN"` -> `"mtn"`: lower case, letters and digits only."""
    return "".join(ch for ch in str(text).lower() if ch.isascii() and ch.isalnum())


def parse_prefixes(text):
    """`"KE:airtel=73,78;KE:safaricom=70"` -> {"KE": {"73": "airtel", "78": "airtel", "70": "safaricom"}}.

    Raises ValueError for a part that is not `country:network=digits,...` or a prefix given twice.
    """
    table = {}
    for part in (item.strip() for item in str(text or "").split(";")):
        if not part:
            continue
        where, separator, prefixes = part.partition("=")
        country, colon, network = where.strip().partition(":")
        country, network = country.strip().upper(), network_name(network)
        if not separator or not colon or len(country) != 2 or not country.isalpha() or not network:
            raise ValueError(f"expected country:network=prefix,prefix, not {part!r}")
        for prefix in (item.strip() for item in prefixes.split(",") if item.strip()):
            if not (prefix.isascii() and prefix.isdigit()):
                raise ValueError(f"prefix {prefix!r} of {where.strip()} is not digits")
            if table.setdefault(country, {}).setdefault(prefix, network) != network:
                raise ValueError(f"prefix {prefix} of {country} is given to two networks")
    return table


def network_of(phone, prefixes=None):
    """The network of an E.164 number (`+254733123456` -> `airtel`), or None when unknown."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    configured = (prefixes or {}).get(phonenumbers.region_code_for_number(number) or "", {})
    for length in range(len(national), 0, -1):
        if national[:length] in configured:
            return configured[national[:length]]
    return network_name(carrier.name_for_number(number, "en")) or None
