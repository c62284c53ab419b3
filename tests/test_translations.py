"""The Kiswahili catalogue covers every string the code marks for translation.

This is the gate for new strings: extract every msgid the way Babel would
(`N_()`, and `T()`'s first argument) from app/, menus/ and channels/, and require
a non-empty Kiswahili translation with the same `{placeholders}`. Catalogue files
are merged per language, so one msgid in two files would silently lose one of
them: that is refused too. Pure: no app, no servers.
"""

import string
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import LOCALES_DIR, catalogue

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("app", "menus", "channels")
KEYWORDS = {"N_": None, "T": (1,), "_": None, "gettext": None}
TARGET_LOCALE = "sw"


def extracted_msgids():
    """Every msgid in the code, with the first place it appears."""
    found = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / directory, method_map=[("**.py", "python")], keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{directory}/{filename}:{lineno}")
    return found


def placeholders(text):
    return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field is not None}


def test_extraction_finds_the_spine():
    msgids = extracted_msgids()
    assert "0 Back 00 Menu" in msgids
    assert "Wrong PIN. {left} tries left." in msgids


def test_every_msgid_has_a_kiswahili_translation():
    # The merged gettext catalogue: a msgid missing from it renders in English.
    translations = catalogue(TARGET_LOCALE)._catalog
    missing = [f"{where}: {msgid!r}" for msgid, where in sorted(extracted_msgids().items(), key=lambda kv: kv[1])
               if not translations.get(msgid)]
    assert not missing, f"{len(missing)} msgid(s) without a Kiswahili translation:\n" + "\n".join(missing)


def test_placeholders_match():
    translations = catalogue(TARGET_LOCALE)._catalog
    wrong = []
    for msgid, where in extracted_msgids().items():
        translated = translations.get(msgid)
        if translated and placeholders(translated) != placeholders(msgid):
            wrong.append(f"{where}: {msgid!r} -> {translated!r}")
    assert not wrong, "placeholders differ between msgid and translation:\n" + "\n".join(wrong)


def test_no_msgid_in_two_catalogue_files():
    owners = defaultdict(list)
    for po_path in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if message.id:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    owners[(po_path.parent.parent.name, key)].append(po_path.name)
    duplicated = [f"{locale}: {msgid!r} in {files}" for (locale, msgid), files in owners.items() if len(files) > 1]
    assert not duplicated, "msgids defined in more than one catalogue file:\n" + "\n".join(duplicated)


def test_catalogue_files_parse_and_have_translations():
    for po_path in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        empty = [message.id for message in catalog if message.id and not message.string]
        assert not empty, f"{po_path.name}: empty msgstr for {empty}"
