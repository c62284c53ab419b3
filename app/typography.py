"""The typographic spaces GSM-7 lacks, and their plain replacement: one list for every formatter.

Babel puts non-breaking and thin spaces in some locales' numbers, currencies and
dates; one of them in an SMS turns the whole message into UCS-2 (70 characters a
part instead of 160). Money and date formatting (app/money.py, app/i18n.py) and the
channels' GSM-7 cleanup (channels/textfit.py) all replace them from this table.
"""

TYPOGRAPHIC_SPACES = {
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
}  # fmt: skip
"""No-break, narrow no-break, figure, thin, hair, en and em space -> a plain space."""


def plain_spaces(text):
    """`text` with every typographic space replaced by a plain one."""
    for char, plain in TYPOGRAPHIC_SPACES.items():
        text = text.replace(char, plain)
    return text
