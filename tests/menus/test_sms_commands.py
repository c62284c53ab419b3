"""SMS HELP (menus/sms_commands.py): every command a member starts is listed, in as few SMS parts as it can be.

Pure: no app, no servers.
"""

import pytest

from channels.sms_command_parser import COMMANDS
from channels.textfit import segments
from menus.sms_commands import HELP

NOT_IN_HELP = {"help", "start", "confirm", "pin_reset"}
"""HELP itself; START is told in the STOP reply; YES only answers a code we sent; RESET PIN is told at the PIN
lock (listing it would make English HELP two parts)."""
PARTS = {"en": 1, "sw": 2}
"""Kiswahili needs two parts for the glossary's `nambari ya kikundi` (group code): see HELP's docstring."""


@pytest.mark.parametrize("locale", sorted(HELP))
def test_help_lists_every_command_in_the_members_language(locale):
    text = HELP[locale].render(locale)
    column = 0 if locale == "en" else 1
    words = set(text.replace(",", " ").split())
    missing = [name for name, spec in COMMANDS.items() if name not in NOT_IN_HELP and spec[column][0] not in words]
    assert not missing, f"{locale} HELP does not list {missing}: {text}"


def test_help_lists_the_dispute_command():
    assert "DISPUTE receipt" in HELP["en"].render("en")
    assert "PINGA risiti" in HELP["sw"].render("sw")


@pytest.mark.parametrize("locale", sorted(HELP))
def test_help_takes_as_few_sms_parts_as_it_can(locale):
    count = segments(HELP[locale].render(locale))
    assert count.encoding == "GSM-7"
    assert count.parts == PARTS[locale], f"{locale} HELP is {count.units} septets in {count.parts} part(s)"
