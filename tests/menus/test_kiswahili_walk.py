"""Every menu a Kiswahili member reaches, with their own data on it, shows no English.

tests/menus/test_screens_fit.py renders each static screen alone; this walks the member tree through
/ussd as a Kiswahili member with savings, movements and a loan, choosing every option of every menu
three levels deep (input screens are shown, not answered), so the dynamic screens (balances,
statements, schedules, limits, histories) are read too. English is any literal part of a msgid
whose Kiswahili differs (what the member would see if a string were not translated or not marked).
"""

import re
import string
from datetime import UTC, datetime

import pytest

from app.i18n import LANGUAGE_NAMES, catalogue
from channels.ussd import measure
from tests.app.loans.loan_helpers import loan_services, product, regular_saver
from tests.test_translations import extracted_msgids, translations_of
from tests.ussd_helpers import UssdPhone, register

PHONE, PIN = "+254712345678", "4821"
DEPTH = 3
OPTION = re.compile(r"^(\d+)\. (.+)$")
NAVIGATION = {"0", "00", "98"}


def english_fragments():
    """Literal parts of msgids (between placeholders, per line) that their Kiswahili does not share."""
    translations = catalogue("sw")._catalog
    swahili = "\n".join(text for msgid in extracted_msgids() for text in translations_of(translations, msgid))
    fragments = set()
    for msgid in extracted_msgids():
        if [msgid] == translations_of(translations, msgid):
            continue
        for literal, *_rest in string.Formatter().parse(msgid):
            for line in literal.split("\n"):
                line = line.strip(" .:,?!()-")
                if len(line) >= 6 and re.search(r"[a-z]{3}", line) and line not in swahili \
                        and not any(name in line for name in LANGUAGE_NAMES.values()):
                    fragments.add(line)
    return fragments


@pytest.fixture
def kiswahili_borrower(app, client, providers):
    services = loan_services(app, at=datetime.now(UTC))
    register(client, phone=PHONE, pin=PIN, language="2")
    member = services.members.by_phone(PHONE)
    member.kyc_level = 3
    regular_saver(services, member, 1000000)
    product(services)
    handset, _main = signed_in(client)
    for value in ("2", "2", "10000", "2", "2"):  # Mikopo > Omba mkopo > amount > term > into savings
        body = handset.send(value)
    while "\n98 " in body:  # the disclosure, page by page
        body = handset.send("98")
    handset.send("1")
    body = handset.send(PIN)
    assert body.startswith("END Imeidhinishwa!"), body
    return services


def signed_in(client):
    """A handset on the main menu, and that menu."""
    handset = UssdPhone(client, PHONE)
    handset.dial()
    main = handset.send(PIN)
    assert main.startswith("CON Pamoja\n"), main
    return handset, main


def options(page):
    """The numbered choices of a menu page (not navigation, not the language switch)."""
    return [match.group(1) for line in page.split("\n") if (match := OPTION.match(line))
            and match.group(1) not in NAVIGATION and match.group(2) not in LANGUAGE_NAMES.values()]


def test_every_menu_a_kiswahili_member_reaches_is_in_kiswahili(client, kiswahili_borrower):
    english = english_fragments()
    assert {"Available", "Pledged for loans", "To clear today"} <= english
    seen, problems, paths = set(), [], [[]]
    while paths:
        path = paths.pop()
        handset, page = signed_in(client)
        for choice in path:
            page = handset.send(choice)
        if page in seen:
            continue
        seen.add(page)
        left = sorted(fragment for fragment in english if fragment in page)
        if left:
            problems.append(f"{'*'.join(path) or 'main'}: {left}\n{page}")
        assert measure(page[4:]) <= 160, page
        if page.startswith("CON ") and len(path) < DEPTH:
            paths.extend(path + [choice] for choice in options(page[4:]))
    assert len(seen) > 25, f"the walk saw only {len(seen)} screens"
    assert not problems, "English in Kiswahili screens:\n" + "\n\n".join(problems)
