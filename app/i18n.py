"""Translations: English msgids in the code, catalogues in `locales/<lang>/LC_MESSAGES/*.po`.

The locale is the member's, not the HTTP request's, and screens are rendered in
jobs and CLI commands too, so the engine and services translate through
`translate(locale, msgid, **params)`: there is no request locale to select (a
gateway's request carries no language), so Flask-Babel is not used; Babel itself
formats numbers, currencies and dates, and extracts msgids (tests/test_translations.py).
Each domain keeps its own catalogue file (members.po, loans.po, ...); all files of
a language are merged when first used. Strings are marked for extraction with
`N_()` (no translation at definition time) and carried as `Text` values until a
channel renders them, so a service can say what happened without knowing who
reads it or in which language. `Money` and `date` parameters are formatted for
the locale when the text is rendered. A count in the text ("1 try left", "2 tries
left") is said with Babel's plural forms: `ngettext(singular, plural, n, **params)`
builds a Text whose msgid carries both forms and the count; the catalogues hold
`msgid_plural` entries (Kiswahili and English both have two forms, `n != 1`).
"""

from datetime import date
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app.money import Money, format_money
from app.typography import plain_spaces

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("en", "sw")
LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili"}


def N_(msgid):
    """Mark a string for extraction; it is translated later, when rendered."""
    return msgid


class PluralMsgid(str):
    """A msgid (its singular form, so it reads and compares as one) with its plural form and count."""

    def __new__(cls, singular, plural, n):
        msgid = super().__new__(cls, singular)
        msgid.plural = plural
        msgid.n = n
        return msgid

    def __getnewargs__(self):
        return str(self), self.plural, self.n


class Text(NamedTuple):
    """A translatable message with its parameters, rendered per locale."""

    msgid: str
    params: dict = {}

    def render(self, locale):
        return translate(locale, self.msgid, **self.params)


class DatePattern(NamedTuple):
    """A date parameter shown with a Babel pattern (`d MMM`, `MMM y`) where the medium format says too much."""

    value: date
    pattern: str


def T(msgid, **params):
    """Build a Text; `T(N_("Balance: {amount}"), amount=money)` reads naturally."""
    return Text(msgid, params)


def ngettext(singular, plural, n, **params):
    """A Text in the singular or plural form the locale uses for `n`: `ngettext("{left} try left.",
    "{left} tries left.", left, left=left)`; the call itself marks both forms for extraction (no `N_`),
    as one `msgid_plural` entry."""
    return Text(PluralMsgid(singular, plural, n), params)


@cache
def catalogue(locale):
    """All catalogue files of `locale` merged into one Translations object."""
    merged = Translations()
    for po_path in sorted((LOCALES_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        merged.merge(Translations(buffer))
    return merged


def format_param(value, locale):
    """Format one message parameter for the locale, GSM-7 safe."""
    if isinstance(value, Money):
        return format_money(value, locale)
    if isinstance(value, DatePattern):
        return plain_spaces(format_date(value.value, format=value.pattern, locale=locale))
    if isinstance(value, date):
        return plain_spaces(format_date(value, format="medium", locale=locale))
    if isinstance(value, Text):
        return value.render(locale)
    return value


def translate(locale, msgid, **params):
    """Translate `msgid` to `locale` and fill in its `{name}` parameters."""
    if isinstance(msgid, PluralMsgid):
        text = catalogue(_supported(locale)).ngettext(str(msgid), msgid.plural, msgid.n)
    else:
        text = _translated(_supported(locale), msgid)
    if not params:
        return text
    return text.format(**{name: format_param(value, locale) for name, value in params.items()})


def _supported(locale):
    return locale if locale in SUPPORTED else "en"


@lru_cache(maxsize=4096)
def _translated(locale, msgid):
    """The catalogue's text for a singular msgid: a USSD screen looks up about nine (4 us each through
    gettext), the same few hundred msgids every hop; the catalogues never change in a running process."""
    return catalogue(locale).gettext(msgid)


def render(message, locale):
    """Render a Text, a plain msgid or a list of them (joined by newlines)."""
    if isinstance(message, Text):
        return message.render(locale)
    if isinstance(message, (list, tuple)):
        return "\n".join(render(part, locale) for part in message)
    return translate(locale, message)
