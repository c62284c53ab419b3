"""Parsing the SMS command language (pure: no app, no servers)."""

import pytest

from channels.sms_command_parser import COMMANDS, Command, example, parse_command


@pytest.mark.parametrize("text, expected", [
    ("HELP", Command("help", (), "en")),
    ("msaada", Command("help", (), "sw")),
    ("bal", Command("balance", (), "en")),
    ("Salio", Command("balance", (), "sw")),
    ("MINI", Command("statement", (), "en")),
    ("taarifa", Command("statement", (), "sw")),
    ("save 500", Command("deposit", ("500",), "en")),
    ("DEPOSIT 1,500", Command("deposit", ("1,500",), "en")),
    ("weka 500", Command("deposit", ("500",), "sw")),
    ("withdraw 1500", Command("withdraw", ("1500",), "en")),
    ("TOA 1500", Command("withdraw", ("1500",), "sw")),
    ("send 0712345678 500", Command("transfer", ("0712345678", "500"), "en")),
    ("tuma +254712345678 500", Command("transfer", ("+254712345678", "500"), "sw")),
    ("contribute ab12 500", Command("contribute", ("AB12", "500"), "en")),
    ("CHANGA ab12 500", Command("contribute", ("AB12", "500"), "sw")),
    ("loan 5000", Command("loan", ("5000",), "en")),
    ("mkopo 5000 3", Command("loan", ("5000", "3"), "sw")),
    ("repay 1000", Command("repay", ("1000",), "en")),
    ("lipa 1000", Command("repay", ("1000",), "sw")),
    ("LOANBAL", Command("loan_balance", (), "en")),
    ("deni", Command("loan_balance", (), "sw")),
    ("join xy34", Command("join", ("XY34",), "en")),
    ("jiunge XY34", Command("join", ("XY34",), "sw")),
    ("lang sw", Command("language", ("sw",), "en")),
    ("LUGHA english", Command("language", ("en",), "sw")),
    ("stop", Command("stop", (), "en")),
    ("simamisha", Command("stop", (), "sw")),
    ("START", Command("start", (), "en")),
    ("anza", Command("start", (), "sw")),
    ("yes 4821", Command("confirm", ("4821",), "en")),
    ("Ndio 4821", Command("confirm", ("4821",), "sw")),
    ("  bal  ", Command("balance", (), "en")),
    ("help!", Command("help", (), "en")),
])
def test_every_command_in_both_languages(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "hello there", "\U0001f600", "BALANCE\U0001f600x", "x" * 2000,
                                  "'; DROP TABLE members; --", "<script>alert(1)</script>", "\x00\x01"])
def test_hostile_or_unknown_text_is_unknown(text):
    assert parse_command(text).name == "unknown"


@pytest.mark.parametrize("text, target, shown", [
    ("withdraw", "withdraw", "WITHDRAW 1500"),
    ("toa", "withdraw", "TOA 1500"),
    ("save 1 2", "deposit", "SAVE 1500"),
    ("changa AB12", "contribute", "CHANGA 123456 500"),  # group codes are six digits (issue 16)
    ("join", "join", "JOIN 123456"),
    ("lang fr", "language", "LANG SW"),
    ("yes", "confirm", "YES 4821"),
    ("withdraw 500'); DROP TABLE payments;--", "withdraw", "WITHDRAW 1500"),
    ("save \U0001f4b0", "deposit", "SAVE 1500"),
])
def test_wrong_arguments_parse_as_usage_with_an_example(text, target, shown):
    command = parse_command(text)
    assert (command.name, command.target, command.args) == ("usage", target, (shown,))


def test_each_command_has_keywords_in_both_languages():
    for name, (english, swahili, _arity, _example) in COMMANDS.items():
        assert english and swahili, name
        assert example(name, "sw").split()[0] == swahili[0]
