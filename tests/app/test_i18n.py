"""Dates as members write them (app/i18n.py format_date): day first, one style per language, never US style.

Pure: no app, no servers.
"""

import ast
from datetime import date, datetime
from pathlib import Path

import pytest

from app.i18n import N_, ShortDate, T, format_date

ROOT = Path(__file__).resolve().parents[2]
KISWAHILI_MONTHS = "Jan Feb Mac Apr Mei Jun Jul Ago Sep Okt Nov Des".split()


@pytest.mark.parametrize("locale, full, short", [("en", "9 Dec 2026", "9 Dec"), ("sw", "9 Des 2026", "9 Des"),
                                                 ("fr", "9 Dec 2026", "9 Dec")])
def test_a_date_reads_day_first_in_every_language(locale, full, short):
    assert format_date(date(2026, 12, 9), locale) == full
    assert format_date(date(2026, 12, 9), locale, short=True) == short


def test_kiswahili_month_abbreviations():
    assert [format_date(date(2026, month, 1), "sw", short=True)[2:] for month in range(1, 13)] == KISWAHILI_MONTHS


def test_a_time_is_added_only_when_asked():
    moment = datetime(2026, 3, 4, 10, 5)
    assert format_date(moment, "en", short=True, with_time=True) == "4 Mar 10:05"
    assert format_date(moment, "sw") == "4 Mac 2026"


def test_text_parameters_go_through_format_date():
    assert T(N_("Member since {date}"), date=date(2025, 3, 2)).render("en") == "Member since 2 Mar 2025"
    assert T(N_("Member since {date}"), date=date(2025, 3, 2)).render("sw") == "Mwanachama tangu 2 Mac 2025"
    assert T(N_("{date} {kind} {amount}"), date=ShortDate(date(2026, 8, 9)), kind="x", amount="y").render("sw") \
        == "9 Ago x y"


def test_no_strftime_on_member_facing_text():
    # Menus, notifications and the member-facing services format dates through format_date only.
    # (Times of day alone, "%H:%M", are not dates.)
    offenders = []
    for directory in ("menus", "app/members", "app/notifications", "app/savings", "app/loans", "app/groups",
                      "app/agents", "app/payments"):
        for path in sorted((ROOT / directory).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "strftime" and node.args and isinstance(node.args[0], ast.Constant)
                        and any(part in node.args[0].value for part in ("%d", "%m", "%b", "%y"))):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[0].value!r}")
    allowed = {"app/notifications/outbox.py", "app/payments/providers/mpesa.py", "app/payments/statements.py"}
    offenders = [line for line in offenders if line.split(":")[0] not in allowed]
    assert not offenders, "format dates with app.i18n.format_date:\n" + "\n".join(offenders)
