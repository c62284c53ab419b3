"""SMS HELP (menus/sms_commands.py): every command a member starts is listed, in one SMS part.

Pure: no app, no servers.
"""

import pytest

from channels.sms_command_parser import COMMANDS
from channels.textfit import segments
from menus.sms_commands import HELP

NOT_IN_HELP = {"help", "start", "confirm", "pin_reset"}
"""HELP itself; START is told in the STOP reply; YES only answers a code we sent; RESET PIN is told at the PIN
lock (listing it would make English HELP two parts)."""


@pytest.mark.parametrize("locale", sorted(HELP))
def test_help_lists_every_command_in_the_members_language(locale):
    text = HELP[locale].render(locale)
    column = 0 if locale == "en" else 1
    words = set(text.replace(",", " ").replace(".", " ").split())
    missing = [name for name, spec in COMMANDS.items()
               if name not in NOT_IN_HELP and not words & set(spec[column])]
    assert not missing, f"{locale} HELP does not list {missing}: {text}"


def test_help_lists_the_dispute_command():
    assert "DISPUTE receipt" in HELP["en"].render("en")
    assert "PINGA risiti" in HELP["sw"].render("sw")


def test_kiswahili_help_names_the_group_code_as_members_say_it():
    text = HELP["sw"].render("sw")
    assert "Kikundi: JIUNGE nambari, CHANGA nambari 500" in text and "kodi" not in text


@pytest.mark.parametrize("locale", sorted(HELP))
def test_help_fits_one_sms_part(locale):
    count = segments(HELP[locale].render(locale))
    assert (count.encoding, count.parts) == ("GSM-7", 1), f"{locale} HELP is {count.units} septets"
