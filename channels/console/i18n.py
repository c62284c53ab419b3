"""The console's language: the staff member's choice (English or Kiswahili), kept in the session.

Strings go through `_(msgid, **params)`, the same catalogues as the member channels
(app/i18n.py; the console's own are in locales/<lang>/LC_MESSAGES/console.po). The
HTTP Accept-Language is not used: staff choose on the page and the choice sticks.
"""

from flask import current_app, session

from app.i18n import LANGUAGE_NAMES, SUPPORTED, translate


def language():
    chosen = session.get("lang")
    return chosen if chosen in SUPPORTED else current_app.config["DEFAULT_LOCALE"]


def _(msgid, **params):
    """`msgid` in the staff member's language, with `{name}` parameters filled in."""
    return translate(language(), msgid, **params)


def languages():
    return [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED]
