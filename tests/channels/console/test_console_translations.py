"""Every string the console's templates show has a Kiswahili translation with the same placeholders.

tests/test_translations.py covers the Python sources; this adds the Jinja templates of
channels/console (extracted the way Babel extracts Jinja: `_()` calls). Pure: no app.
"""

from pathlib import Path

from babel.messages.extract import extract_from_dir

from app.i18n import catalogue
from tests.test_translations import placeholders

TEMPLATES = Path(__file__).resolve().parents[3] / "channels" / "console" / "templates"


def template_msgids():
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            TEMPLATES, method_map=[("**.html", "jinja2.ext:babel_extract")], keywords={"_": None}):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_the_templates_have_strings_to_translate():
    assert "Sign in" in template_msgids()


def test_every_template_string_has_kiswahili_with_the_same_placeholders():
    translations = catalogue("sw")._catalog
    missing = [f"{where}: {msgid!r}" for msgid, where in template_msgids().items() if not translations.get(msgid)]
    assert not missing, "\n".join(missing)
    wrong = [msgid for msgid in template_msgids() if placeholders(translations[msgid]) != placeholders(msgid)]
    assert not wrong, wrong
