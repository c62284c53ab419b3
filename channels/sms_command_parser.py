"""The SMS command language: keywords a person can type on a keypad, in English and Kiswahili.

Parsing only: `parse_command("salio")` -> Command("balance", (), "sw"). Whether the
member may do it, and what it does, is decided where the commands run
(menus/sms_commands.py) with the same services as the USSD menus. Keywords are
case-insensitive; arguments are split on spaces. A command with the wrong number of
arguments parses as `usage` for that command (the reply shows an example in the
keyword's language); anything else unknown parses as `unknown`.
"""

import re
from typing import NamedTuple

MAX_COMMAND_CHARS = 160
"""A real command is short; a longer text is not a command (and is never parsed)."""

# name: (English keywords, Kiswahili keywords, (min args, max args), example arguments)
COMMANDS = {
    "help": (("HELP", "?"), ("MSAADA",), (0, 9), ""),
    "balance": (("BAL", "BALANCE"), ("SALIO",), (0, 9), ""),
    "statement": (("MINI", "STATEMENT"), ("TAARIFA",), (0, 9), ""),
    "deposit": (("SAVE", "DEPOSIT"), ("WEKA",), (1, 1), "1500"),
    "withdraw": (("WITHDRAW",), ("TOA",), (1, 1), "1500"),
    "transfer": (("SEND", "TRANSFER"), ("TUMA",), (2, 2), "0712345678 500"),
    "contribute": (("CONTRIBUTE",), ("CHANGA",), (2, 2), "123456 500"),
    "loan": (("LOAN",), ("MKOPO",), (1, 5), "5000 3"),  # then the term and where: LOAN 5000 3 mobile money
    "repay": (("REPAY",), ("LIPA",), (1, 1), "1000"),
    "loan_balance": (("LOANBAL",), ("DENI",), (0, 9), ""),
    "join": (("JOIN",), ("JIUNGE",), (1, 1), "123456"),
    "language": (("LANG", "LANGUAGE"), ("LUGHA",), (1, 1), "SW"),
    "stop": (("STOP", "UNSUBSCRIBE"), ("SIMAMISHA", "ACHA"), (0, 9), ""),
    "start": (("START", "SUBSCRIBE"), ("ANZA",), (0, 9), ""),
    "confirm": (("YES", "Y"), ("NDIO", "NDIYO"), (1, 1), "4821"),
    "dispute": (("DISPUTE",), ("PINGA",), (1, 1), "AB12CD34"),
    "pin_reset": (("RESET", "FORGOT", "PIN"), ("NIMESAHAU", "SAHAU"), (0, 1), "PIN"),
}

KEYWORDS = {word: (name, language)
            for name, (english, swahili, _arity, _example) in COMMANDS.items()
            for language, words in (("en", english), ("sw", swahili)) for word in words}

LANGUAGE_WORDS = {"EN": "en", "ENG": "en", "ENGLISH": "en", "KIINGEREZA": "en",
                  "SW": "sw", "SWA": "sw", "KISWAHILI": "sw", "SWAHILI": "sw"}
"""What `LANG <x>` accepts."""

PIN_RESET_WORDS = {"PIN", "RESET"}
"""`RESET PIN`, `PIN RESET`, `FORGOT PIN`, `NIMESAHAU PIN`: the forgotten-PIN request (no PIN ever follows)."""


class Command(NamedTuple):
    """A parsed SMS: `name` (a COMMANDS key, `usage` or `unknown`), its arguments, the keyword's language."""

    name: str
    args: tuple = ()
    language: str | None = None
    target: str | None = None
    """For `usage`: the command whose arguments were wrong (`args` then holds an example to show)."""


def parse_command(text):
    """Parse one SMS body into a Command; never raises."""
    words = (text or "").split()
    if not words or len(text) > MAX_COMMAND_CHARS:
        return Command("unknown")
    keyword = words[0].upper().strip(".,!:;")
    if keyword not in KEYWORDS:
        return Command("unknown")
    name, language = KEYWORDS[keyword]
    args = tuple(words[1:])
    low, high = COMMANDS[name][2]
    if not low <= len(args) <= high:
        return Command("usage", (example(name, language),), language, name)
    if name == "pin_reset" and args and args[0].upper() not in PIN_RESET_WORDS:
        return Command("usage", (example(name, language),), language, name)
    if name in ("help", "balance", "statement", "loan_balance", "stop", "start", "pin_reset"):
        args = ()
    if name in ("join", "contribute"):
        args = (args[0].upper(), *args[1:])
    if name == "language":
        chosen = LANGUAGE_WORDS.get(args[0].upper())
        if chosen is None:
            return Command("usage", (example(name, language),), language, name)
        args = (chosen,)
    if not all(re.fullmatch(r"[\w+.,'-]{1,20}", arg) and arg.isascii() for arg in args):
        return Command("usage", (example(name, language),), language, name)
    return Command(name, args, language)


def example(name, language):
    """How to type `name` in `language`: `TOA 1500`."""
    english, swahili, _arity, arguments = COMMANDS[name]
    keyword = (swahili if language == "sw" else english)[0]
    return f"{keyword} {arguments}".strip()
