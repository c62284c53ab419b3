"""The Kiswahili catalogues say each recurring term with the glossary's word (locales/sw/glossary.toml).

Where a msgid says a glossary term, its msgstr (every plural form) says the glossary's Kiswahili word or
one of its forms, and none of the rejected alternatives. Placeholders are set aside on both sides, so
`{code}` is not the word "code" and a name filled in cannot satisfy a term. Entries translated as
themselves (the English SMS HELP, `{name} {phone}`) are not Kiswahili and are skipped. The staff console's
catalogue keeps its own vocabulary and is not checked. Pure: no app, no servers.
"""

import re
import tomllib

import pytest
from babel.messages.pofile import read_po

from app.i18n import LOCALES_DIR

GLOSSARY = LOCALES_DIR / "sw" / "glossary.toml"
STAFF_CATALOGUES = {"console.po"}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def terms():
    with GLOSSARY.open("rb") as handle:
        return tomllib.load(handle)["term"]


def member_entries():
    """(file, msgid, [msgstr forms]) of every member-facing Kiswahili entry that is translated."""
    for po_path in sorted((LOCALES_DIR / "sw" / "LC_MESSAGES").glob("*.po")):
        if po_path.name in STAFF_CATALOGUES:
            continue
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                ids = list(message.id) if isinstance(message.id, tuple) else [message.id]
                strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
                if strings == ids[:len(strings)]:
                    continue
                yield po_path.name, ids[0], ids, strings


def says(pattern, text):
    return re.search(pattern, PLACEHOLDER.sub("{}", text), re.IGNORECASE | re.MULTILINE) is not None


def check(term, ids, strings):
    """What is wrong with one entry against one term (empty when the msgid does not use the term)."""
    if not any(says(pattern, msgid) for pattern in term["en"] for msgid in ids):
        return []
    if ids[0] in term.get("except", []):
        return []
    accepted = [term["sw"], *term.get("forms", [])]
    wrong = []
    for text in strings:
        plain = PLACEHOLDER.sub(" ", text).lower()
        if not any(word.lower() in plain for word in accepted):
            wrong.append(f"does not say {term['sw']!r}: {text!r}")
        for rejected in term.get("rejected", []):
            if re.search(rf"\b(?:{rejected})\b", plain, re.IGNORECASE):
                wrong.append(f"says rejected {rejected!r} (use {term['sw']!r}): {text!r}")
    return wrong


def test_glossary_is_well_formed():
    seen = set()
    for term in terms():
        assert term["sw"] and term["en"], term
        assert set(term) <= {"en", "sw", "forms", "rejected", "except", "why"}, term
        for pattern in [*term["en"], *term.get("rejected", [])]:
            re.compile(pattern)
        assert term["sw"] not in seen, f"{term['sw']!r} is the word for two terms"
        seen.add(term["sw"])
    for english in ("mobile money", "yes", "group code", "instalment", "savings", "balance", "PIN", "fee", "loan",
                    "repay", "contribution", "statement", "agent", "float", "guarantor", "fine", "my share",
                    "confirm", "cancel", "back", "menu"):
        assert any(says(pattern, english) for term in terms() for pattern in term["en"]), english


def test_the_check_catches_a_rejected_word_and_a_missing_one():
    group_code = next(term for term in terms() if term["sw"] == "nambari ya kikundi")
    assert check(group_code, ["Enter the group code:"], ["Weka kodi ya kikundi:"]) == [
        "does not say 'nambari ya kikundi': 'Weka kodi ya kikundi:'",
        "says rejected 'kodi' (use 'nambari ya kikundi'): 'Weka kodi ya kikundi:'"]
    assert check(group_code, ["Enter the group code:"], ["Weka nambari ya kikundi:"]) == []
    assert check(group_code, ["Enter the PIN:"], ["Weka kodi:"]) == []  # not this term's entry


@pytest.mark.parametrize("term", terms(), ids=lambda term: term["sw"])
def test_catalogues_use_the_glossary_word(term):
    wrong = [f"{name}: {msgid!r} {problem}" for name, msgid, ids, strings in member_entries()
             for problem in check(term, ids, strings)]
    assert not wrong, f"{len(wrong)} entr(ies) against the glossary:\n" + "\n".join(wrong)
