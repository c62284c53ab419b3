"""The Kiswahili catalogue covers every string the code marks for translation.

This is the gate for new strings: extract every msgid the way Babel would
(`N_()`, `T()`'s first argument, `ngettext()`'s two forms) from app/, menus/ and channels/,
and require a non-empty Kiswahili translation with the same `{placeholders}` (every plural
form of a `msgid_plural` entry). Catalogue files
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
KEYWORDS = {"N_": None, "T": (1,), "_": None, "gettext": None, "ngettext": (1, 2)}
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


def translations_of(translations, msgid):
    """Every translated form of `msgid`: one, or each plural form of a `msgid_plural` entry."""
    if msgid in translations:
        return [translations[msgid]]
    forms = [translations[(msgid, n)] for n in range(2) if (msgid, n) in translations]
    return forms if len(forms) == 2 and all(forms) else []


def test_plural_forms_follow_the_count():
    from app.i18n import ngettext

    for locale, one, many in (("en", "Wrong PIN. 1 try left.", "Wrong PIN. 2 tries left."),
                              ("sw", "PIN si sahihi. Umebakiza jaribio 1.", "PIN si sahihi. Umebakiza majaribio 2.")):
        assert ngettext("Wrong PIN. {left} try left.", "Wrong PIN. {left} tries left.", 1,
                        left=1).render(locale) == one
        assert ngettext("Wrong PIN. {left} try left.", "Wrong PIN. {left} tries left.", 2,
                        left=2).render(locale) == many


def test_a_plural_is_never_answered_from_the_singular_lookups_cache():
    from app.i18n import ngettext, translate

    assert translate("en", "Wrong PIN. {left} try left.") == "Wrong PIN. {left} try left."  # cached, singular
    assert translate("sw", "0 Back 00 Menu") == translate("sw", "0 Back 00 Menu") != "0 Back 00 Menu"
    assert ngettext("Wrong PIN. {left} try left.", "Wrong PIN. {left} tries left.", 2,
                    left=2).render("en") == "Wrong PIN. 2 tries left."
    assert translate("xx", "0 Back 00 Menu") == "0 Back 00 Menu"  # an unsupported locale reads English


def placeholders(text):
    return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field is not None}


def test_extraction_finds_the_spine():
    msgids = extracted_msgids()
    assert "0 Back 00 Menu" in msgids
    assert "Wrong PIN. {left} try left." in msgids


def test_every_msgid_has_a_kiswahili_translation():
    # The merged gettext catalogue: a msgid missing from it renders in English.
    translations = catalogue(TARGET_LOCALE)._catalog
    missing = [f"{where}: {msgid!r}" for msgid, where in sorted(extracted_msgids().items(), key=lambda kv: kv[1])
               if not translations_of(translations, msgid)]
    assert not missing, f"{len(missing)} msgid(s) without a Kiswahili translation:\n" + "\n".join(missing)


def test_placeholders_match():
    translations = catalogue(TARGET_LOCALE)._catalog
    wrong = []
    for msgid, where in extracted_msgids().items():
        for translated in translations_of(translations, msgid):
            if placeholders(translated) != placeholders(msgid):
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
